#pragma once
// The internal lead model (design section 3): plain types, snake_case field names, no behaviour
// beyond small derivations. JSON lives in model/json.hpp, invariants in model/validate.hpp. Every
// struct compares member-wise (operator==), so a round trip through JSON or the store can be
// checked whole.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace leadsync::model {

using TimePoint =
    std::chrono::system_clock::time_point; // serialized as RFC 3339 UTC, "2026-11-22T20:00:00Z"
using Date = std::chrono::year_month_day;  // serialized as "YYYY-MM-DD"

// ---- identity
// -------------------------------------------------------------------------------------------
struct Identity {
  std::string id;     // internal UUID (lower-case, hyphenated); also the CRM alternate key value
  std::string crm_id; // Dataverse leadid once known; empty before the first push
  std::int64_t version = 0;            // our optimistic-concurrency version, bumped by the store
  std::string crm_version;             // Dataverse versionnumber / etag of the last row we saw
  std::optional<TimePoint> created_at; // set by the store
  std::optional<TimePoint> updated_at; // set by the store

  friend bool operator==(const Identity&, const Identity&) = default;
};

// ---- person
// ---------------------------------------------------------------------------------------------
enum class PhoneKind { business, mobile, home, other };
// libphonenumber's number type of a valid number. A mobile is personal; a fixed line is often a
// switchboard that colleagues share; many plans (the US, Canada) cannot tell the two apart.
enum class LineType { unknown, mobile, fixed_line, fixed_line_or_mobile, toll_free, voip, other };
struct Phone {
  PhoneKind kind = PhoneKind::business;
  std::string raw;       // as received
  std::string e164;      // normalized "+4930123456"; empty when it could not be normalized
  std::string extension; // kept apart from the E.164 number
  bool valid = false;    // libphonenumber said it is a valid number
  LineType line_type = LineType::unknown; // unknown when not valid

  friend bool operator==(const Phone&, const Phone&) = default;
};

enum class ContactMethod { any, email, phone, fax, mail };

struct Person {
  std::string first_name;
  std::string middle_name;
  std::string last_name;
  std::string job_title;
  // Seniority level as enrichment reports it: "owner", "cxo", "vp", "director", "manager",
  // "senior", "entry", ... (PDL job_title_levels, Clearbit employment.seniority).
  std::string seniority;
  // Normalized (domain lower-cased); the first is the primary. Every address a lead ever received
  // is kept (up to max_identifiers_per_lead); the CRM gets the first three.
  std::vector<std::string> emails;
  std::vector<Phone> phones;
  // What was given as an e-mail but is not one, as received: kept for the record, never sent.
  std::vector<std::string> invalid_emails;
  std::optional<ContactMethod> preferred_contact_method;
  std::string language; // BCP 47 tag, e.g. "ru", "ar-SA"

  friend bool operator==(const Person&, const Person&) = default;
};

// ---- company
// --------------------------------------------------------------------------------------------
struct Address {
  std::string line1;
  std::string line2;
  std::string city;
  std::string state_or_province;
  std::string postal_code;
  std::string country;

  friend bool operator==(const Address&, const Address&) = default;
};

struct Company {
  std::string name;
  std::string website;
  std::string domain;   // registrable domain (from the website or a non-free-mail e-mail host)
  std::string industry; // label from the industry option set, e.g. "Consulting"
  std::optional<std::int64_t> employee_count;
  std::optional<double> annual_revenue; // in the org's base currency
  Address address;

  friend bool operator==(const Company&, const Company&) = default;
};

// ---- origin
// ---------------------------------------------------------------------------------------------
enum class Channel {
  advertisement,
  trade_show,
  seminar, // seminar or webinar
  web,
  employee_referral,
  external_referral,
  partner,
  public_relations,
  word_of_mouth,
  social_campaign,
  direct_mail,
  cold_call,
  purchased_list,
  other
};

enum class ListAgeBucket { days_1_7, days_8_30, days_31_60, days_61_90, older, unknown };

struct ListProvenance {
  std::string vendor;
  std::string list_id;
  bool exclusive = false;               // exclusive list, or shared (resold)
  std::optional<int> times_sold;        // how many times the vendor sold it, if known
  std::optional<Date> acquired_on;      // acquisition date
  std::optional<TimePoint> imported_at; // when this list delivered the lead to us

  friend bool operator==(const ListProvenance&, const ListProvenance&) = default;
};

struct Origin {
  Channel channel = Channel::other;
  std::string campaign;    // campaign name (resolved to a CRM campaign by the mapping)
  std::string lead_magnet; // incentive: trial, consultation, report, white paper, sample...
  std::vector<ListProvenance> lists; // every purchased list the lead came on, oldest first

  friend bool operator==(const Origin&, const Origin&) = default;
};

// Age of the newest list acquisition relative to `today`; unknown when no list has a date.
ListAgeBucket list_age_bucket(const Origin& origin, Date today);
// How many distinct lists (vendor + list id) the lead appeared on: a much-resold lead is worth
// less.
int list_count(const Origin& origin);

// ---- consent
// --------------------------------------------------------------------------------------------
enum class LawfulBasis { none, consent, legitimate_interest, contract, other };

struct Consent {
  bool do_not_email = false;
  bool do_not_phone = false;
  bool do_not_bulk_email = false;
  bool do_not_postal_mail = false;
  LawfulBasis lawful_basis = LawfulBasis::none;
  std::optional<TimePoint> given_at;
  bool aware_of_sales_offer = false; // the person knew about the sales offer when responding

  friend bool operator==(const Consent&, const Consent&) = default;
};

// ---- kind
// -----------------------------------------------------------------------------------------------
enum class LeadKind { sales, marketing }; // sales: rich data; marketing: contact data only

// ---- qualification
// --------------------------------------------------------------------------------------
enum class LifecycleStage {
  new_lead, // serialized "new"
  cold,
  mql,
  pql,
  service_qualified,
  sql,
  qualified,
  disqualified
};

enum class BudgetStatus { no_committed_budget, may_buy, can_buy, will_buy };
enum class Need { must_have, should_have, good_to_have, no_need };
enum class PurchaseTimeframe { immediate, this_quarter, next_quarter, this_year, unknown };
enum class PurchaseProcess { individual, committee, unknown };

struct Bant {
  std::optional<double> budget_amount;
  std::optional<BudgetStatus> budget_status;
  std::optional<bool> decision_maker; // authority
  std::optional<Need> need;
  std::optional<PurchaseTimeframe> purchase_timeframe;
  std::optional<PurchaseProcess> purchase_process;

  friend bool operator==(const Bant&, const Bant&) = default;
};

struct Scores {
  double fit = 0;
  double engagement = 0;
  double data_quality = 0;
  double bant = 0; // BANT completeness and values
  double total = 0;

  friend bool operator==(const Scores&, const Scores&) = default;
};

enum class OutcomeKind { none, qualify, disqualify, reactivate };

// A decision to push to the CRM (or one seen in the CRM by the pull side).
struct Outcome {
  OutcomeKind kind = OutcomeKind::none;
  // qualify: which records QualifyLead creates
  bool create_account = true;
  bool create_contact = true;
  bool create_opportunity = true;
  int status_code = 0; // Dataverse statuscode: 3 qualified; 4..7 disqualified reasons; 1 or 2 open
  std::string reason;  // why, in words
  std::string decided_by; // "leadsync:rules" or the CRM user who did it
  std::optional<TimePoint> decided_at;
  bool pushed = false; // reached the CRM
  std::optional<TimePoint> pushed_at;

  friend bool operator==(const Outcome&, const Outcome&) = default;
};

// One contribution to a lead's scores, as `qualify --explain` shows it.
struct ScoreReason {
  std::string rule;   // the scoring rule's name; "engagement.<kind>" for behaviour events
  std::string group;  // "fit", "engagement", "data_quality", "bant"
  double points = 0;  // after decay
  std::string detail; // the value it looked at and the condition (events: the decay)

  friend bool operator==(const ScoreReason&, const ScoreReason&) = default;
};

struct Qualification {
  LifecycleStage stage = LifecycleStage::new_lead;
  Bant bant;
  Scores scores;
  std::vector<std::string> fired_rules;
  Outcome outcome;
  std::string grade;                  // "A".."D" from the total; empty until scored
  int quality_code = 0;               // leadqualitycode: 1 hot, 2 warm, 3 cold; 0 until scored
  std::vector<ScoreReason> reasons;   // every contribution, largest first
  std::string reason_text;            // <= 200 characters for the CRM: total, grade, top reasons
  std::optional<TimePoint> scored_at; // when the scores were last computed

  friend bool operator==(const Qualification&, const Qualification&) = default;
};

// ---- behaviour
// ------------------------------------------------------------------------------------------
enum class BehaviourKind {
  page_visit,
  pricing_page_visit,
  content_download,
  webinar_attended,
  demo_attended,
  demo_requested,
  trial_usage,
  email_open,
  email_click,
  call
};

struct BehaviourEvent {
  std::int64_t id = 0; // assigned by the store
  std::string lead_id;
  BehaviourKind kind = BehaviourKind::page_visit;
  TimePoint occurred_at{};
  std::string detail; // URL, content title, call note...
  double weight = 1.0;
  std::string event_id; // the source's id; an event with a known id is not added twice

  friend bool operator==(const BehaviourEvent&, const BehaviourEvent&) = default;
};

// ---- enrichment
// -----------------------------------------------------------------------------------------
struct FieldProvenance {
  std::string field;         // internal field path, e.g. "company.employee_count"
  std::string provider;      // provider name from the config
  double raw_confidence = 0; // as the provider reported it, in its own scale
  double confidence = 0;     // normalized 0..1
  std::optional<TimePoint> fetched_at;

  friend bool operator==(const FieldProvenance&, const FieldProvenance&) = default;
};

// Public social profiles, from enrichment (or an import column). URLs are kept as the source gave
// them, without the scheme when the source had none ("linkedin.com/in/anna-ivanova").
struct SocialProfiles {
  std::string linkedin_url;
  std::string x_handle; // without the '@'
  std::string github_url;
  std::string facebook_url;
  std::string bio;      // the profile's self-description
  std::string location; // free text as the profile states it ("Moscow, Russia")
  std::string blog;     // personal site or blog URL

  friend bool operator==(const SocialProfiles&, const SocialProfiles&) = default;
};

// ---- stakeholders, competitors, activities
// ---------------------------------------------------------------
struct Stakeholder {
  std::string name;
  std::string role;
  std::string email;

  friend bool operator==(const Stakeholder&, const Stakeholder&) = default;
};

enum class ActivityKind { note, call, meeting, email, task };
struct Activity {
  ActivityKind kind = ActivityKind::note;
  std::string subject;
  std::string body;
  std::optional<TimePoint> occurred_at;
  std::string crm_id; // activity id once synced

  friend bool operator==(const Activity&, const Activity&) = default;
};

// ---- merges
// ---------------------------------------------------------------------------------------------
// How data from another row or lead came into this one: which rule merged which source.
struct MergeRecord {
  std::string rule;   // "email", "mobile" (dedupe.hpp), or "manual" (`leads merge`)
  std::string source; // "FILE line N" for a list row, "lead ID" for a lead merged by hand
  std::optional<TimePoint> merged_at;

  friend bool operator==(const MergeRecord&, const MergeRecord&) = default;
};

// A lead keeps the first max_merge_records merges; merge_count counts them all.
inline constexpr std::size_t max_merge_records = 20;
// E-mails, and phones, a lead accumulates at most: past this, a further match is flagged as a
// suspicious cluster (a broken or padded list) rather than merged.
inline constexpr std::size_t max_identifiers_per_lead = 10;

// ---- the lead
// -------------------------------------------------------------------------------------------
struct Lead {
  Identity identity;
  Person person;
  Company company;
  Origin origin;
  Consent consent;
  LeadKind kind = LeadKind::sales;
  Qualification qualification;
  SocialProfiles social;
  std::vector<FieldProvenance> enrichment;
  // When enrichment last looked this lead up (whatever it found); unset: never. `enrich --new`
  // takes the leads without it.
  std::optional<TimePoint> enriched_at;
  std::vector<Stakeholder> stakeholders;
  std::vector<std::string> competitors;
  std::vector<Activity> activities;
  std::string subject;             // CRM "Topic"
  std::string description;         // free text; the importer keeps unmapped columns here
  bool is_new = true;              // not yet seen by enrichment and scoring
  bool deleted = false;            // tombstone: deleted in the CRM or locally
  std::vector<MergeRecord> merges; // the first max_merge_records merges into this lead
  std::int64_t merge_count = 0;    // all merges into this lead
  std::string merged_into;         // a tombstone merged by hand: the id of the lead it went into

  friend bool operator==(const Lead&, const Lead&) = default;
};

// Small derivations used across components.
std::string primary_email(const Lead& lead);                   // first e-mail or empty
std::vector<std::string> phone_numbers_e164(const Lead& lead); // non-empty e164 values
std::string display_name(const Lead& lead);                    // "First Last" or company name

} // namespace leadsync::model
