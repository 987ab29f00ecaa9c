#pragma once
// De-duplication and merging of imported leads: identity-safe record linkage.
//
// A wrong merge loses a person silently and cannot be undone from the CRM side; a missed duplicate
// costs one extra lead that a person can merge later (`leadsync leads merge`). So a pair of leads
// has three outcomes, not two: MERGE, FLAG as a possible duplicate (the review queue, `leadsync
// leads duplicates`), or nothing (a new lead). Dynamics' own default duplicate rule matches on the
// same e-mail only, and flags rather than merges; Fellegi-Sunter record linkage keeps a "possible
// link" class for clerical review for the same reason (../shared/scoring-dedupe.md, B4-B5).
//
// Terms. Names are compared folded (fold_for_matching). They AGREE when both sides have a last name
// and the last names and the first names are alike: equal, one typo or transliteration variant
// (Jaro-Winkler >= name_match_threshold, 0.92), or an initial of the other ("S." / "Sergey"); they
// are EXACT when folded first and last names are equal; they CONFLICT when both sides have a last
// (or first) name and those differ beyond that, or by a feminine ending (Ivanov/Ivanova,
// Aleksandr/Aleksandra: two people). A PERSONAL e-mail is one that is not a role mailbox (info@,
// sales@); a CORPORATE one is personal and not at a free-mail provider. A MOBILE is a valid number
// that libphonenumber types as mobile, or as fixed-line-or-mobile (the US, Canada) when the list
// gave it in a mobile column. STRONG identifiers are personal e-mails and mobiles.
//
// The rules, in order (the first that applies decides):
//  1. A shared personal e-mail MERGES ("email") when the names agree or either side has none; with
//     names that conflict it is FLAGGED ("email_names_differ"): a couple or an assistant may share
//     a mailbox, and a person can change their name, so a person decides.
//  2. A shared mobile MERGES ("mobile") when the names agree and no corporate e-mails conflict
//     (rule 3); otherwise it is FLAGGED ("mobile_names_differ", or "mobile_unconfirmed" when one
//     side has no name or the corporate e-mails differ).
//  3. CONFLICTING strong identifiers veto everything below: two different corporate e-mails at the
//     same mail host (a company gives each person one mailbox), or two different mobiles, are two
//     people, whatever their names say. No merge, no flag.
//  4. The same company domain: a name never merges on its own, however exact. EXACT names are
//     FLAGGED: "exact_name_at_domain" when one side has no strong identifier (nothing contradicts,
//     nothing confirms), the name is not common (below) and no other lead at the domain has it;
//     otherwise "same_name_at_domain" or "common_name_at_domain". Names that agree but are not
//     exact (a typo, a transliteration, an initial) are FLAGGED "similar_name_at_domain" with the
//     Jaro-Winkler score. Why not merge the first case, as some tools do: the import benchmark's
//     many-people-per-company list (2% of people sharing an uncommon full name with a colleague,
//     some of them with only a direct line or a team mailbox) merged 27 pairs of colleagues out of
//     209 such merges on 200,000 rows (13% wrong). A merge by name is a coin a person must toss.
//  5. A shared fixed line or other non-mobile phone is a switchboard, and a shared role mailbox a
//     team's: neither ever merges. With names that agree the pair is FLAGGED ("shared_phone",
//     "shared_role_email"); otherwise nothing (colleagues).
// Common names weigh less, as record-linkage tools do with term-frequency adjustment (Splink's TF
// adjustment, fastLink's name reweighting): a folded full name seen common_name_count (3) or more
// times among the rows of this import so far and the stored leads ("John Smith", "Mohammed Ali") is
// weak evidence: rule 4 says so in its rule name, and a reviewer should weigh it less. The counts
// come from a count-min sketch, which can only over-count.
// Merges into one lead are capped (model::max_identifiers_per_lead e-mails, and as many phones): a
// merge past the cap is FLAGGED as a suspicious cluster ("identifier_cap": a broken or padded
// list), and the row becomes a lead of its own. A row that merges into one lead and would also
// merge into another (a bridge) merges into the stronger match and the two leads are FLAGGED
// ("bridge").
//
// Why 0.92: it accepts one typo or transliteration variant in names of five or more letters
// (Ivanov/Ivanow 0.93, Sergey/Sergei 0.93, Mohammed/Mohammad 0.95, Catherine/Katherine 0.93,
// Elena/Yelena 0.94, Jon/John 0.93) and refuses different short names (John/Joan 0.87, Anna/Anne
// 0.88, Chen/Chan 0.87; Maria/Marie is refused by the feminine-ending rule). A name in Latin
// letters and one in another script (Ольга Сидорова / Olga Sidorova) are compared by their Latin
// forms (ICU's "Any-Latin; Latin-ASCII"): they can AGREE, never be EXACT, so a name written in two
// scripts merges only through a shared e-mail or mobile, and is otherwise flagged.

#include "leadsync/core/uuid.hpp"
#include "leadsync/importer/normalize.hpp"
#include "leadsync/model/lead.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::importer {

inline constexpr double name_match_threshold = 0.92;
// A folded full name seen this often (this import's rows and the stored leads) is common.
inline constexpr std::uint32_t common_name_count = 3;
// A row is flagged against at most this many leads: a longer list helps nobody review it.
inline constexpr std::size_t max_flags_per_row = 5;

// Why two leads are one (the first two) or may be one (the rest), strongest first.
enum class LinkRule {
  email,
  mobile,
  exact_name_at_domain,
  email_names_differ,
  mobile_names_differ,
  mobile_unconfirmed,
  same_name_at_domain,
  common_name_at_domain,
  similar_name_at_domain,
  shared_phone,
  shared_role_email,
  identifier_cap,
  bridge,
};
std::string_view to_string(LinkRule rule); // the enumerator's name, e.g. "exact_name_at_domain"
inline bool merges(LinkRule rule) {
  return rule <= LinkRule::mobile;
}
// The flag rules in the order a reviewer is shown them: the evidence most often one person first,
// as measured on the import benchmark's many-people-per-company list (bridge, shared_phone and
// exact_name_at_domain: 88-100% one person; common_name_at_domain: 28%), suspicious clusters last.
std::span<const LinkRule> review_order();

// How the folded names of two leads compare (see the terms above).
enum class NameRelation { unknown, conflict, agree, exact };
NameRelation compare_names(std::string_view first_a, std::string_view last_a,
                           std::string_view first_b, std::string_view last_b);
// Jaro-Winkler of the folded full names, 0 when either has none: the score a flag reports.
double name_score(std::string_view first_a, std::string_view last_a, std::string_view first_b,
                  std::string_view last_b);

// What identifies a lead for matching, compact: hashes and integers, no lead data.
struct MatchKeys {
  struct Email {
    // 64-bit hash of the lower-cased address: odds of any collision among 1M addresses ~3e-8.
    std::uint64_t hash = 0;
    std::uint64_t host = 0; // hash of the lower-cased host
    bool role = false;
    bool free_mail = false;
    bool personal() const { return !role; }
    bool corporate() const { return !role && !free_mail; }
    friend bool operator==(const Email&, const Email&) = default;
  };
  struct Phone {
    std::uint64_t number = 0; // a valid E.164 number, digits after '+' as an integer
    bool mobile = false;
    friend bool operator==(const Phone&, const Phone&) = default;
  };
  std::vector<Email> emails;
  std::vector<Phone> phones;
  std::uint64_t domain = 0; // hash of the company domain; 0 when none
  std::string first;        // folded first name
  std::string last;         // folded last name

  bool has_strong_identifier() const;
  // The host of the first corporate e-mail, 0 when none.
  std::uint64_t corporate_host() const;
  // Hash of the folded full name, 0 when there is no last name.
  std::uint64_t name_hash() const;
};

MatchKeys match_keys(const model::Lead& lead);

// The other side of a pair, as much as a compact index keeps of it.
struct LeadSummary {
  std::string_view first;
  std::string_view last;
  std::uint64_t domain = 0;
  bool personal_email = false;
  bool mobile = false;
};
LeadSummary summary_of(const MatchKeys& keys);

// What a newcomer shares with an existing lead: the keys found on both (0: none).
struct SharedKeys {
  std::uint64_t personal_email = 0; // an e-mail hash
  std::uint64_t role_email = 0;
  std::uint64_t mobile = 0; // a number
  std::uint64_t other_phone = 0;
  bool corporate_email_at_host = false; // the newcomer has a corporate e-mail at the lead's host
  bool mobile_on_both_sides = false;    // both have a mobile (whether shared or not)
};
// Shared keys of two full key sets.
SharedKeys shared_keys(const MatchKeys& candidate, const MatchKeys& existing);

// Facts about the name that only the caller knows.
struct NameContext {
  bool common = false;    // the name is common (see common_name_count)
  bool ambiguous = false; // another lead at the domain has the same exact name
};

struct Link {
  LinkRule rule = LinkRule::email;
  double score = 0;         // name_score of the pair
  std::uint64_t email = 0;  // the shared e-mail's hash, when the rule is about one
  std::uint64_t number = 0; // the shared phone, when the rule is about one
};

// The rules above for `candidate` (the newcomer) against `existing`; nullopt: unrelated.
std::optional<Link> link(const MatchKeys& candidate, const LeadSummary& existing,
                         const SharedKeys& shared, const NameContext& names);
// The same for two full key sets.
std::optional<Link> link(const MatchKeys& candidate, const MatchKeys& existing,
                         const NameContext& names = {});

// The store lookups that can find the candidate's duplicates and possible duplicates: each e-mail
// (lower-cased), each valid E.164 number, and the company domain when the lead has a first and a
// last name (without both, no stored lead can be linked to it by name).
struct StoreLookups {
  std::vector<std::string> emails;
  std::vector<std::string> phones;
  std::string domain; // empty: no domain lookup
};
StoreLookups store_lookups(const model::Lead& candidate);

// How often folded full names occur: a count-min sketch (4 rows of 2^16 16-bit counters, 512 KiB),
// which never under-counts. Not thread-safe.
class NameFrequency {
public:
  NameFrequency();
  void add(std::uint64_t name_hash);
  std::uint32_t estimate(std::uint64_t name_hash) const;
  bool common(std::uint64_t name_hash) const {
    return name_hash != 0 && estimate(name_hash) >= common_name_count;
  }

private:
  static constexpr std::size_t rows = 4;
  static constexpr std::size_t width = std::size_t{1} << 16;
  std::vector<std::uint16_t> counters_;
};

// A decision for one newcomer against several existing leads.
struct Decision {
  struct Flag {
    std::size_t index = 0; // into the existing leads given
    Link link;
  };
  std::optional<Flag>
      merge; // the lead to merge into: the strongest merge rule, the first among equals
  std::vector<Flag> flags; // possible duplicates (at most max_flags_per_row); bridges included
};

// Which of `stored` (what the store lookups found, duplicates allowed) the candidate merges into or
// is flagged against. Tombstones never match. `frequency` says whether a name is common.
Decision decide_stored(const model::Lead& candidate, std::span<const model::Lead> stored,
                       const NameFrequency& frequency);

// The leads of one import file, by key, for finding duplicates within the file. Holds keys, folded
// names and a few bits per lead: about 95 bytes per lead with an e-mail, a phone and a name at a
// domain, which leaves the rest of the 150 MB budget to the pipeline. Not thread-safe: the one
// writer owns it.
class FileIndex {
public:
  using Ref = std::uint32_t;
  struct Candidate {
    Ref ref = 0;
    Link link;
  };

  // `expected_leads` sizes the tables up front, which avoids rehash copies (and their peak memory).
  explicit FileIndex(std::size_t expected_leads = 0);
  ~FileIndex();
  FileIndex(FileIndex&&) noexcept;
  FileIndex& operator=(FileIndex&&) noexcept;
  FileIndex(const FileIndex&) = delete;
  FileIndex& operator=(const FileIndex&) = delete;

  // Every lead added earlier that `keys` relate to, by the rules above, merges first (strongest
  // rule first), then flags in the order found. `by_name` false: only the leads that share an
  // e-mail or a phone (no scan of the company's leads by name; the merges are the same).
  std::vector<Candidate> find(const MatchKeys& keys, const NameFrequency& frequency,
                              bool by_name = true) const;
  // Registers a new lead; its keys that another lead holds already keep pointing there.
  Ref add(const Uuid& lead_id, const MatchKeys& keys);
  // After merging into `ref`: registers the keys the lead gained; names are taken when it had none.
  void extend(Ref ref, const MatchKeys& keys);

  const Uuid& lead_id(Ref ref) const;
  // The folded names kept for `ref`, for the evidence of a flag.
  std::string folded_name(Ref ref) const;
  std::size_t size() const;
  std::size_t memory_bytes() const; // heap bytes held (capacity, not size)

private:
  struct Tables;
  std::unique_ptr<Tables> tables_;
};

// ---- merge --------------------------------------------------------------------------------------

struct MergePolicy {
  // On a lead the CRM knows (identity.crm_id set) values may have been edited by sales in the CRM,
  // and a salesperson beats a purchased list: where both sides have a value, the stored one stays.
  // false: the newcomer wins there too.
  bool crm_values_win = true;
  // A hand merge (`leads merge A B`, as Dynamics merges): the target keeps every value it has and
  // only gains what it lacks, whether the CRM knows it or not.
  bool stored_values_win = false;
};

struct MergeResult {
  model::Lead lead;
  std::vector<std::string> changed_fields; // paths, e.g. "person.job_title", "origin.lists"
  bool changed() const { return !changed_fields.empty(); }
};

// Merges a newcomer (a list row, newer than what is stored) into a stored lead:
//  - an empty stored value is filled from the newcomer;
//  - where both have a value, the newcomer's wins (it is newer), unless policy.crm_values_win and
//    the stored lead has a crm_id; the company address is taken whole, never a street from one and
//    a city from the other; the domain follows the website it came from (a domain taken from an
//    e-mail host only fills an empty one);
//  - e-mails are united (stored first, compared case-insensitively), phones too (one per E.164
//    number, or per raw text when there is none; an extension fills a missing one), and invalid
//    e-mails too: nothing a lead ever received is dropped (the caller checks the identifier cap,
//    exceeds_identifier_cap, before it keeps a merge);
//  - the newcomer's lists are appended to origin.lists unless the same vendor (case-insensitive)
//    and list id is there already, so model::list_count counts the lists the lead was sold on;
//  - description lines the stored description lacks are appended; do-not-contact flags are OR-ed
//    (a refusal recorded anywhere stands); channel, campaign and lead magnet of the first touch are
//    kept (filled when empty, a channel of "other" counting as empty);
//  - identity, kind, qualification, enrichment, activities and behaviour stay as stored.
// When anything changed, is_new is set so enrichment and scoring look at the lead again.
MergeResult merge_leads(const model::Lead& stored, const model::Lead& newcomer,
                        const MergePolicy& policy = {});

// More than model::max_identifiers_per_lead e-mails, or phones: a merge that gives this is refused.
bool exceeds_identifier_cap(const model::Lead& lead);

// Records on `lead` that `rule` merged `source` into it: appended while fewer than
// model::max_merge_records are kept; merge_count counts every one.
void record_merge(model::Lead& lead, std::string_view rule, std::string source,
                  model::TimePoint at);

} // namespace leadsync::importer
