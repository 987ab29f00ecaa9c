#pragma once
// De-duplication and merging of imported leads.
//
// Two leads are one when they share
//   1. a normalized e-mail address (compared case-insensitively), or
//   2. a valid E.164 phone number, or
//   3. the same person name at the same company domain: folded first names AND folded last names
//      each reach a Jaro-Winkler similarity of name_match_threshold (0.92), and neither pair
//      differs by a feminine ending (Ivanov/Ivanova, Aleksandr/Aleksandra are different people).
// A phone, or a role address like info@, is often shared by colleagues (switchboard, team
// mailbox), so a match by either is refused when both leads carry a first or a last name and those
// names differ (an initial does not differ from the name it abbreviates). A personal e-mail address
// matches whatever the names say: people change names, addresses are personal.
//
// Why 0.92: it accepts one typo or transliteration variant in names of five or more letters
// (Ivanov/Ivanow 0.93, Sergey/Sergei 0.93, Mohammed/Mohammad 0.95, Catherine/Katherine 0.93,
// Elena/Yelena 0.94, Jon/John 0.93) and refuses different short names (John/Joan 0.87, Anna/Anne
// 0.88, Chen/Chan 0.87; Maria/Marie is refused by the feminine-ending rule). It misses Smith/Smyth
// (0.89) and Stephen/Steven (0.89): a missed duplicate costs a second lead, a wrong merge loses a
// person, so the threshold errs on the side of missing. Names in different scripts (Иванов/Ivanov)
// are not compared.

#include "leadsync/core/uuid.hpp"
#include "leadsync/importer/normalize.hpp"
#include "leadsync/model/lead.hpp"

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

enum class MatchReason { email, phone, name_at_domain };
std::string_view to_string(MatchReason reason); // "email", "phone", "name at domain"

// Whether two folded (fold_for_matching) given/family name pairs denote one person by rule 3.
bool same_person_name(std::string_view first_a, std::string_view last_a, std::string_view first_b,
                      std::string_view last_b);

// What identifies a lead for matching, compact: hashes and integers, no lead data.
struct MatchKeys {
  struct Email {
    // 64-bit hash of the lower-cased address: odds of any collision among 1M addresses ~3e-8.
    std::uint64_t hash = 0;
    bool role = false;
    friend bool operator==(const Email&, const Email&) = default;
  };
  std::vector<Email> emails;
  std::vector<std::uint64_t> phones; // valid E.164 numbers, digits after '+' as an integer
  std::uint64_t domain = 0;          // hash of the company domain; 0 when none
  std::string first;                 // folded first name
  std::string last;                  // folded last name
};

MatchKeys match_keys(const model::Lead& lead);

// Why `candidate` is the same lead as `existing`, per the rules above; nullopt when it is not.
std::optional<MatchReason> match_reason(const MatchKeys& candidate, const MatchKeys& existing);

// The store lookups that can find the candidate's duplicates: Store::find_by_email for each e-mail
// (lower-cased), find_by_phone for each valid E.164 number, find_by_domain for the company domain
// when the lead has both a first and a last name (otherwise no stored lead can match it by name).
struct StoreLookups {
  std::vector<std::string> emails;
  std::vector<std::string> phones;
  std::string domain; // empty: no domain lookup
};
StoreLookups store_lookups(const model::Lead& candidate);

struct StoredMatch {
  std::size_t index = 0; // into the `stored` span
  MatchReason reason = MatchReason::email;
};

// Which of `stored` (what the store_lookups found, duplicates allowed) is the same lead as
// `candidate`. Tombstones never match. The strongest reason wins (e-mail, then phone, then name);
// among equals the most recently updated lead, then the first.
std::optional<StoredMatch> match_stored(const model::Lead& candidate,
                                        std::span<const model::Lead> stored);

// The leads of one import file, by key, for finding duplicates within the file. Holds keys, folded
// names and the lead's id only: about 85 bytes per lead with an e-mail, a phone and a name at a
// domain (measured: 85 MB for 1,000,000 such leads), which leaves the rest of the 150 MB budget to
// the pipeline. Not thread-safe: the one writer owns it.
class FileIndex {
public:
  using Ref = std::uint32_t;
  struct Match {
    Ref ref = 0;
    MatchReason reason = MatchReason::email;
  };

  // `expected_leads` sizes the tables up front, which avoids rehash copies (and their peak memory).
  explicit FileIndex(std::size_t expected_leads = 0);
  ~FileIndex();
  FileIndex(FileIndex&&) noexcept;
  FileIndex& operator=(FileIndex&&) noexcept;
  FileIndex(const FileIndex&) = delete;
  FileIndex& operator=(const FileIndex&) = delete;

  // The lead added earlier that `keys` denote: by e-mail, else phone, else name at the same domain.
  std::optional<Match> find(const MatchKeys& keys) const;
  // Registers a new lead; its keys that another lead holds already keep pointing there.
  Ref add(const Uuid& lead_id, const MatchKeys& keys);
  // After merging into `ref`: registers the keys the lead gained; names are taken when it had none.
  void extend(Ref ref, const MatchKeys& keys);

  const Uuid& lead_id(Ref ref) const;
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
//  - e-mails are united (stored first, at most max_emails_per_lead, compared case-insensitively),
//    phones too (one per E.164 number, or per raw text when there is none; an extension fills a
//    missing one);
//  - the newcomer's lists are appended to origin.lists unless the same vendor (case-insensitive)
//    and list id is there already, so model::list_count counts the lists the lead was sold on;
//  - description lines the stored description lacks are appended; do-not-contact flags are OR-ed
//    (a refusal recorded anywhere stands); channel, campaign and lead magnet of the first touch are
//    kept (filled when empty, a channel of "other" counting as empty);
//  - identity, kind, qualification, enrichment, activities and behaviour stay as stored.
// When anything changed, is_new is set so enrichment and scoring look at the lead again.
MergeResult merge_leads(const model::Lead& stored, const model::Lead& newcomer,
                        const MergePolicy& policy = {});

} // namespace leadsync::importer
