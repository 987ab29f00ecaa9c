#pragma once
// Lookup columns name a row of another table (a lead's campaign). Our lead holds the name; the CRM
// wants the row id in "<nav>@odata.bind" and reports "_<column>_value" (an id) when read. The
// mapping asks a LookupResolver; the sync engine implements it with the Dataverse client, and wraps
// it in a CachingLookupResolver so each name or id costs at most one request per run.

#include "leadsync/core/result.hpp"

#include <map>
#include <memory>
#include <mutex>
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

// Asks `inner` once per (entity set, name column, name) and once per (entity set, name column, id),
// remembering found and not-found answers (errors are not remembered, so the next call asks again).
// A name resolved to an id also answers name_of for that id. Thread-safe: concurrent calls for the
// same key wait for one request; calls for different keys run in parallel.
class CachingLookupResolver final : public LookupResolver {
public:
  explicit CachingLookupResolver(LookupResolver& inner) : inner_(inner) {}

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
    std::mutex resolving; // held while the inner resolver is asked for this key
    bool known = false;
    std::optional<std::string> answer;
  };
  using Cache = std::map<Key, std::shared_ptr<Entry>>;

  std::shared_ptr<Entry> entry(Cache& cache, const Key& key);
  Result<std::optional<std::string>> cached(Cache& cache, const Key& key, bool by_name);

  LookupResolver& inner_;
  std::mutex mutex_; // guards both maps (not the entries' contents)
  Cache ids_by_name_;
  Cache names_by_id_;
};

} // namespace leadsync::mapping
