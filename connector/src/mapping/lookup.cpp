#include "leadsync/mapping/lookup.hpp"

#include <algorithm>
#include <iterator>

namespace leadsync::mapping {

namespace {

constexpr std::size_t least_sweep_size = 1024;

} // namespace

void CachingLookupResolver::drop_expired(Cache& cache, Clock::SteadyTime now) {
  for (auto slot = cache.begin(); slot != cache.end();) {
    // Only this map holds an entry whose use count is 1, and copies are made under mutex_ (held
    // here), so nobody can ask for it meanwhile; its own lock orders this read after the last
    // answer written into it (try_lock: never wait for an entry while holding mutex_).
    bool expired = false;
    if (slot->second.use_count() == 1) {
      Entry& entry = *slot->second;
      if (entry.resolving.try_lock()) {
        expired = !entry.known || entry.expires_at <= now;
        entry.resolving.unlock();
      }
    }
    slot = expired ? cache.erase(slot) : std::next(slot);
  }
}

std::shared_ptr<CachingLookupResolver::Entry> CachingLookupResolver::entry(bool by_name,
                                                                           const Key& key) {
  MutexLock lock(mutex_);
  Cache& cache = this->cache(by_name);
  if (cache.size() >= sweep_at_size_ && !cache.contains(key)) {
    drop_expired(cache, clock_.steady_now());
    sweep_at_size_ = std::max(least_sweep_size, 2 * cache.size());
  }
  auto& slot = cache[key];
  if (!slot) {
    slot = std::make_shared<Entry>();
  }
  return slot;
}

void CachingLookupResolver::remember(Entry& slot, std::optional<std::string> answer,
                                     Clock::SteadyTime now) const {
  const auto ttl = answer ? ttl_.found : ttl_.not_found;
  if (ttl <= std::chrono::milliseconds::zero()) {
    slot.known = false;
    slot.answer.reset();
    return;
  }
  slot.known = true;
  slot.answer = std::move(answer);
  slot.expires_at = now + ttl;
}

Result<std::optional<std::string>> CachingLookupResolver::cached(const Key& key, bool by_name) {
  const auto slot = entry(by_name, key);
  MutexLock resolving(slot->resolving);
  if (slot->known && clock_.steady_now() < slot->expires_at) {
    return slot->answer;
  }
  const auto& [entity_set, name_column, text] = key;
  auto answer = by_name ? inner_.resolve(entity_set, name_column, text)
                        : inner_.name_of(entity_set, name_column, text);
  if (!answer) {
    return answer;
  }
  // The answer lasts from when it arrived.
  const auto now = clock_.steady_now();
  remember(*slot, *answer, now);
  if (by_name && answer->has_value()) {
    // The row's id now answers name_of too, without asking, for as long as the name's answer.
    const auto reverse = entry(false, Key{entity_set, name_column, **answer});
    MutexLock reverse_lock(reverse->resolving);
    if (!reverse->known || reverse->expires_at <= now) {
      remember(*reverse, text, now);
    }
  }
  return answer;
}

Result<std::optional<std::string>> CachingLookupResolver::resolve(const std::string& entity_set,
                                                                  const std::string& name_column,
                                                                  const std::string& name) {
  return cached(Key{entity_set, name_column, name}, true);
}

Result<std::optional<std::string>> CachingLookupResolver::name_of(const std::string& entity_set,
                                                                  const std::string& name_column,
                                                                  const std::string& id) {
  return cached(Key{entity_set, name_column, id}, false);
}

void CachingLookupResolver::clear() {
  MutexLock lock(mutex_);
  ids_by_name_.clear();
  names_by_id_.clear();
}

} // namespace leadsync::mapping
