#pragma once
// Lookup columns name a row of another table (a lead's campaign). Our lead holds the name; the CRM
// wants the row id in "<nav>@odata.bind" and reports "_<column>_value" (an id) when read. The
// mapping asks a LookupResolver; the sync engine implements it with the Dataverse client, and wraps
// it in a CachingLookupResolver so each name or id costs at most one request while its answer
// lasts.

#include "leadsync/core/clock.hpp"
#include "leadsync/core/mutex.hpp"
#include "leadsync/core/result.hpp"

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>

namespace leadsync::mapping {

class LookupResolver {
public:
  virtual ~LookupResolver() = default;

  // The id (GUID) of the row of `entity_set` whose `name_column` equals `name`; nullopt when there
  // is none. An implementation fails (validation) when several rows share the name, and with the
  // client's error (unavailable, throttled...) when the CRM could not be asked.
  virtual Result<std::optional<std::string>> resolve(const std::string& entity_set,
                                                     const std::string& name_column,
                                                     const std::string& name) = 0;

  // The `name_column` value of the row `entity_set(id)`; nullopt when the row does not exist.
  virtual Result<std::optional<std::string>>
  name_of(const std::string& entity_set, const std::string& name_column, const std::string& id) = 0;
};

// How long CachingLookupResolver remembers an answer. A name that is not found is asked again
// sooner: in a daemon the campaign may be created in the CRM a minute later.
struct LookupCacheTtl {
  std::chrono::milliseconds found{std::chrono::minutes{10}};
  std::chrono::milliseconds not_found{std::chrono::minutes{1}};
};

// Asks `inner` once per (entity set, name column, name) and once per (entity set, name column, id),
// remembering found answers for ttl.found and not-found answers for ttl.not_found, measured on the
// clock's steady time (errors are not remembered, so the next call asks again; a TTL of zero
// remembers nothing). A name resolved to an id also answers name_of for that id, for as long.
// Thread-safe: concurrent calls for the same key wait for one request; calls for different keys run
// in parallel. Expired answers are dropped as the cache grows, so a long-running process does not
// keep every name it was ever asked.
class CachingLookupResolver final : public LookupResolver {
public:
  explicit CachingLookupResolver(LookupResolver& inner, Clock& clock = SystemClock::instance(),
                                 LookupCacheTtl ttl = {})
      : inner_(inner), clock_(clock), ttl_(ttl) {}

  Result<std::optional<std::string>> resolve(const std::string& entity_set,
                                             const std::string& name_column,
                                             const std::string& name) override;
  Result<std::optional<std::string>> name_of(const std::string& entity_set,
                                             const std::string& name_column,
                                             const std::string& id) override;

  // Forgets every answer, e.g. at the start of a push run so campaigns created since are found.
  void clear();

private:
  using Key = std::tuple<std::string, std::string, std::string>;
  struct Entry {
    Mutex resolving; // held while the inner resolver is asked for this key
    bool known GUARDED_BY(resolving) = false;
    std::optional<std::string> answer GUARDED_BY(resolving);
    Clock::SteadyTime expires_at GUARDED_BY(resolving){};
  };
  using Cache = std::map<Key, std::shared_ptr<Entry>>;

  // The map of names to ids (by_name) or of ids to names.
  Cache& cache(bool by_name) REQUIRES(mutex_) { return by_name ? ids_by_name_ : names_by_id_; }
  std::shared_ptr<Entry> entry(bool by_name, const Key& key) EXCLUDES(mutex_);
  Result<std::optional<std::string>> cached(const Key& key, bool by_name) EXCLUDES(mutex_);
  void remember(Entry& slot, std::optional<std::string> answer, Clock::SteadyTime now) const
      REQUIRES(slot.resolving);
  void drop_expired(Cache& cache, Clock::SteadyTime now) REQUIRES(mutex_);

  LookupResolver& inner_;
  Clock& clock_;
  LookupCacheTtl ttl_;
  Mutex mutex_; // guards both maps (not the entries' contents)
  Cache ids_by_name_ GUARDED_BY(mutex_);
  Cache names_by_id_ GUARDED_BY(mutex_);
  // Drop expired entries when a map grows past this.
  std::size_t sweep_at_size_ GUARDED_BY(mutex_) = 1024;
};

} // namespace leadsync::mapping
