#include "femu/meter.hpp"

#include <algorithm>

namespace femu {

RateLimiter::Decision RateLimiter::take(const std::string& bucket, std::int64_t cost,
                                        std::int64_t limit, std::int64_t nominal_limit,
                                        SteadyTime now) {
  auto& window = windows_[bucket];
  if (window.start == SteadyTime{} || now - window.start >= window_) {
    window = Window{now, 0};
  }
  Decision decision;
  decision.reset_in =
      std::chrono::duration_cast<std::chrono::milliseconds>(window.start + window_ - now);
  if (limit <= 0) {
    window.used += cost;
    decision.limit = nominal_limit;
    decision.remaining = nominal_limit;
    decision.used = window.used;
    return decision;
  }
  decision.limit = limit;
  decision.allowed = window.used + cost <= limit;
  if (decision.allowed) {
    window.used += cost;
  }
  decision.used = window.used;
  decision.remaining = std::max<std::int64_t>(0, limit - window.used);
  if (!decision.allowed) {
    decision.remaining = 0; // a refused caller must wait for the reset, whatever is left
  }
  return decision;
}

void CallStats::record(const std::string& endpoint, int status, std::int64_t items,
                       std::int64_t credits) {
  auto& counters = endpoints_[endpoint];
  ++counters.calls;
  counters.items += items;
  counters.billed += credits;
  ++counters.statuses[status];
}

nlohmann::json CallStats::to_json() const {
  nlohmann::json endpoints = nlohmann::json::object();
  std::int64_t calls = 0;
  std::int64_t items = 0;
  std::int64_t billed = 0;
  for (const auto& [name, counters] : endpoints_) {
    nlohmann::json statuses = nlohmann::json::object();
    for (const auto& [status, count] : counters.statuses) {
      statuses[std::to_string(status)] = count;
    }
    endpoints[name] = {{"calls", counters.calls},
                       {"items", counters.items},
                       {"billed", counters.billed},
                       {"statuses", statuses}};
    calls += counters.calls;
    items += counters.items;
    billed += counters.billed;
  }
  return {{"endpoints", endpoints},
          {"totals", {{"calls", calls}, {"items", items}, {"billed", billed}}}};
}

std::int64_t CallStats::billed(const std::string& endpoint) const {
  const auto it = endpoints_.find(endpoint);
  return it == endpoints_.end() ? 0 : it->second.billed;
}

std::int64_t CallStats::calls(const std::string& endpoint) const {
  const auto it = endpoints_.find(endpoint);
  return it == endpoints_.end() ? 0 : it->second.calls;
}

} // namespace femu
