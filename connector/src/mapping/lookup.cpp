#include "leadsync/mapping/lookup.hpp"

namespace leadsync::mapping {

std::shared_ptr<CachingLookupResolver::Entry> CachingLookupResolver::entry(Cache& cache,
                                                                           const Key& key) {
  std::lock_guard lock(mutex_);
  auto& slot = cache[key];
  if (!slot) {
    slot = std::make_shared<Entry>();
  }
  return slot;
}

Result<std::optional<std::string>> CachingLookupResolver::cached(Cache& cache, const Key& key,
                                                                 bool by_name) {
  const auto slot = entry(cache, key);
  std::lock_guard resolving(slot->resolving);
  if (slot->known) {
    return slot->answer;
  }
  const auto& [entity_set, name_column, text] = key;
  auto answer = by_name ? inner_.resolve(entity_set, name_column, text)
                        : inner_.name_of(entity_set, name_column, text);
  if (!answer) {
    return answer;
  }
  slot->known = true;
  slot->answer = *answer;
  if (by_name && slot->answer) {
    // The row's id now answers name_of too, without asking.
    const auto reverse = entry(names_by_id_, Key{entity_set, name_column, *slot->answer});
    std::lock_guard reverse_lock(reverse->resolving);
    if (!reverse->known) {
      reverse->known = true;
      reverse->answer = text;
    }
  }
  return answer;
}

Result<std::optional<std::string>> CachingLookupResolver::resolve(const std::string& entity_set,
                                                                  const std::string& name_column,
                                                                  const std::string& name) {
  return cached(ids_by_name_, Key{entity_set, name_column, name}, true);
}

Result<std::optional<std::string>> CachingLookupResolver::name_of(const std::string& entity_set,
                                                                  const std::string& name_column,
                                                                  const std::string& id) {
  return cached(names_by_id_, Key{entity_set, name_column, id}, false);
}

void CachingLookupResolver::clear() {
  std::lock_guard lock(mutex_);
  ids_by_name_.clear();
  names_by_id_.clear();
}

} // namespace leadsync::mapping
