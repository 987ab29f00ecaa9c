#pragma once
// Enrichment state: the answer cache, the usage ledger behind quotas and budgets, lookups a
// provider queued, and the feed index of file_feed providers. One role of the Store
// (store/store.hpp).

#include "leadsync/core/result.hpp"
#include "leadsync/store/store_types.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::store {

// A provider's answer to one lookup, kept so the same question is not paid twice within its TTL.
// Misses are cached too. `answer` is opaque to the store (enrich/ encodes it).
struct CachedAnswer {
  std::string provider; // provider name from the config
  std::string key;      // the provider's lookup key, e.g. "person|email:anna@example.com"
  std::string answer;   // encoded answer
  bool matched = false;
  TimePoint fetched_at{};
  TimePoint expires_at{};
};

// Requests and credits a provider used in one period, kept across restarts so quotas and budgets
// hold. A period is a UTC day "2026-12-06" or month "2026-12" (enrich/ names them).
struct ProviderUsage {
  std::int64_t requests = 0;
  std::int64_t credits = 0;
  friend bool operator==(const ProviderUsage&, const ProviderUsage&) = default;
};

// A lookup the provider queued (HTTP 202): asked again once not_before has passed.
struct PendingLookup {
  std::string provider;
  std::string key;     // the lookup key (as in CachedAnswer)
  std::string lead_id; // the lead waiting for it
  std::string group;   // "person" | "company" | "social"
  TimePoint not_before{};
  int attempts = 0;       // answers of "queued" so far
  TimePoint created_at{}; // set by the store on the first put
  friend bool operator==(const PendingLookup&, const PendingLookup&) = default;
};

// An aggregator feed file (file_feed provider) as last indexed.
struct FeedFileState {
  std::string provider; // the file_feed provider that owns it
  std::string path;     // absolute path
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::string digest;        // of the first `size` bytes, to tell an append from a rewrite
  std::int64_t lines = 0;    // lines read so far (an append resumes after them)
  std::int64_t records = 0;  // records indexed
  std::int64_t rejected = 0; // malformed records (reported with their lines, never fatal)
  TimePoint indexed_at{};
  friend bool operator==(const FeedFileState&, const FeedFileState&) = default;
};

enum class FeedKeyKind { email, phone, profile, domain };
std::string_view to_string(FeedKeyKind kind);

struct FeedKey {
  FeedKeyKind kind = FeedKeyKind::email;
  std::string value; // normalized by the caller (lower-case e-mail/domain/profile, E.164 phone)
  friend bool operator==(const FeedKey&, const FeedKey&) = default;
};

// One record of a feed file: the record as JSON text and the keys it answers.
struct FeedRecord {
  std::string provider;
  std::string path;
  std::int64_t line = 0; // 1-based line (CSV: of the record's first line)
  std::string record;    // JSON object text, PDL person shape
  std::vector<FeedKey> keys;
  friend bool operator==(const FeedRecord&, const FeedRecord&) = default;
};

class EnrichmentStore {
public:
  virtual ~EnrichmentStore() = default;

  // Enrichment answer cache. get_cached_answer returns the entry unless missing or expired at
  // `now`.
  virtual Result<std::optional<CachedAnswer>>
  get_cached_answer(const std::string& provider, const std::string& key, TimePoint now) = 0;
  // Stores (replaces) the answers in one transaction.
  virtual Status put_cached_answers(const std::vector<CachedAnswer>& answers) = 0;
  // Deletes cache entries that expired before `now`; returns how many.
  virtual Result<std::int64_t> prune_cached_answers(TimePoint now) = 0;

  // Usage ledger: zero when nothing was recorded for the provider and period.
  virtual Result<ProviderUsage> get_usage(const std::string& provider,
                                          const std::string& period) = 0;
  // Adds `delta` to the provider's usage in each of the periods, in one transaction.
  virtual Status add_usage(const std::string& provider, const std::vector<std::string>& periods,
                           const ProviderUsage& delta) = 0;

  // Pending (queued) lookups, one per (provider, key, lead_id): put inserts or replaces (keeping
  // created_at), delete removes (no error when missing). list returns up to `limit`, oldest
  // not_before first.
  virtual Status put_pending_lookup(const PendingLookup& pending) = 0;
  virtual Status delete_pending_lookup(const std::string& provider, const std::string& key,
                                       const std::string& lead_id) = 0;
  virtual Result<std::vector<PendingLookup>> list_pending_lookups(std::size_t limit) = 0;

  // Feed index. replace_feed_file stores the file's state and its records in one transaction:
  // append=false first removes every record of that (provider, path); append=true keeps them and
  // adds these (the file grew). remove_feed_file drops the file and its records.
  virtual Result<std::optional<FeedFileState>> get_feed_file(const std::string& provider,
                                                             const std::string& path) = 0;
  virtual Result<std::vector<FeedFileState>> list_feed_files(const std::string& provider) = 0;
  virtual Status replace_feed_file(const FeedFileState& state,
                                   const std::vector<FeedRecord>& records, bool append) = 0;
  virtual Status remove_feed_file(const std::string& provider, const std::string& path) = 0;
  // Records of the provider's feeds holding the key, newest file line last; at most `limit`.
  virtual Result<std::vector<FeedRecord>>
  find_feed_records(const std::string& provider, const FeedKey& key, std::size_t limit) = 0;
};

} // namespace leadsync::store
