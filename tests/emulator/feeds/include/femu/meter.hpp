#pragma once
// Rate limits, credits and call counters. Plain classes with the time passed in, so unit tests
// drive them without sleeping; the emulator guards them with its mutex.

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

namespace femu {

using SteadyTime = std::chrono::steady_clock::time_point;

// Fixed windows per bucket (a bucket is an API family and a key): the first request opens a window
// of `window`; requests in it share `limit`. PDL documents a fixed 60 s window (notes 1.8).
class RateLimiter {
public:
  struct Decision {
    bool allowed = true;
    std::int64_t limit = 0;                // what the headers advertise
    std::int64_t remaining = 0;            // after this request
    std::int64_t used = 0;                 // in this window, this request included when allowed
    std::chrono::milliseconds reset_in{0}; // until the window closes
  };

  explicit RateLimiter(std::chrono::milliseconds window = std::chrono::seconds(60))
      : window_(window) {}

  // Takes `cost` requests (a PDL bulk call costs one per item) from the bucket. `limit` 0 means
  // unlimited: always allowed, and the headers advertise `nominal_limit` with nothing used up.
  // A call costing more than what is left is refused whole and takes nothing.
  Decision take(const std::string& bucket, std::int64_t cost, std::int64_t limit,
                std::int64_t nominal_limit, SteadyTime now);
  void clear() { windows_.clear(); }

private:
  struct Window {
    SteadyTime start;
    std::int64_t used = 0;
  };
  std::chrono::milliseconds window_;
  std::map<std::string, Window> windows_;
};

// The credits PDL and Clearbit share. A total of 0 means unlimited.
class CreditBank {
public:
  void set_total(std::int64_t total) {
    total_ = total;
    spent_ = 0;
  }
  void restore() { spent_ = 0; }
  bool unlimited() const { return total_ == 0; }
  bool available(std::int64_t count = 1) const { return unlimited() || spent_ + count <= total_; }
  // Spends one credit; false (and nothing spent) when none is left.
  bool spend() {
    if (!available()) {
      return false;
    }
    ++spent_;
    return true;
  }
  std::int64_t spent() const { return spent_; }
  // nullopt when unlimited.
  std::optional<std::int64_t> remaining() const {
    return unlimited() ? std::nullopt : std::optional<std::int64_t>(total_ - spent_);
  }

private:
  std::int64_t total_ = 0;
  std::int64_t spent_ = 0;
};

// Calls per endpoint, what they answered and what they cost.
class CallStats {
public:
  // One HTTP call to `endpoint` answered `status`, carrying `items` lookups (bulk) and billing
  // `credits`.
  void record(const std::string& endpoint, int status, std::int64_t items, std::int64_t credits);
  void clear() { endpoints_.clear(); }
  // {"endpoints": {name: {"calls","items","billed","statuses":{code:n}}}, "totals": {...}}
  nlohmann::json to_json() const;
  std::int64_t billed(const std::string& endpoint) const;
  std::int64_t calls(const std::string& endpoint) const;

private:
  struct Counters {
    std::int64_t calls = 0;
    std::int64_t items = 0;
    std::int64_t billed = 0;
    std::map<int, std::int64_t> statuses;
  };
  std::map<std::string, Counters> endpoints_;
};

// Clearbit bills each unique query once per billing period (notes 2.3): remembers which were.
class UniqueQueryLedger {
public:
  bool billed(const std::string& query) const { return billed_.count(query) > 0; }
  void mark(const std::string& query) { billed_.insert(query); }
  void clear() { billed_.clear(); }

private:
  std::set<std::string> billed_;
};

} // namespace femu
