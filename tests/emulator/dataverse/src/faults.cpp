#include "faults.hpp"

#include "dvemu/emulator.hpp"
#include "emulator_support.hpp"

#include <array>
#include <cmath>
#include <cstdlib>
#include <string>
#include <utility>

namespace dvemu {
namespace detail {

std::string_view fault_name(Fault fault) {
  switch (fault) {
  case Fault::error_500:
    return "500";
  case Fault::error_503:
    return "503";
  case Fault::reset:
    return "reset";
  case Fault::slow:
    return "slow";
  case Fault::revoke:
    return "revoke";
  case Fault::none:
    break;
  }
  return "none";
}

FaultOptions FaultPlan::options() const {
  leadsync::MutexLock lock(mutex_);
  return options_;
}

void FaultPlan::configure(const FaultOptions& options) {
  leadsync::MutexLock lock(mutex_);
  options_ = options;
  random_ = std::make_unique<leadsync::SeededRandom>(options.seed);
}

Fault FaultPlan::draw() {
  leadsync::MutexLock lock(mutex_);
  const std::array<std::pair<double, Fault>, 5> rates{{{options_.rate_500, Fault::error_500},
                                                       {options_.rate_503, Fault::error_503},
                                                       {options_.rate_reset, Fault::reset},
                                                       {options_.rate_slow, Fault::slow},
                                                       {options_.rate_revoke, Fault::revoke}}};
  double total = 0;
  for (const auto& [rate, fault] : rates) {
    total += rate;
  }
  if (total <= 0) {
    return Fault::none;
  }
  const double roll = random_->next_unit();
  double cumulative = 0;
  for (const auto& [rate, fault] : rates) {
    cumulative += rate;
    if (roll < cumulative) {
      return fault;
    }
  }
  return Fault::none;
}

} // namespace detail

using namespace detail;

leadsync::Result<FaultOptions> parse_fault_spec(std::string_view spec, FaultOptions base) {
  FaultOptions faults = base;
  faults.rate_500 = faults.rate_503 = faults.rate_reset = faults.rate_slow = faults.rate_revoke = 0;
  const auto bad = [&](const std::string& why) {
    return fail(ErrorCategory::invalid_argument,
                "bad fault spec '" + std::string(spec) + "': " + why +
                    "; write e.g. 500=0.05,503=0.05,reset=0.02,slow=0.01:2000,revoke=0.001");
  };
  const auto parse_number = [](const std::string& text, double& out) {
    if (text.empty()) {
      return false;
    }
    char* end = nullptr;
    out = std::strtod(text.c_str(), &end);
    return end == text.c_str() + text.size();
  };
  for (const auto& item : split(spec, ',')) {
    const auto entry = trim(item);
    if (entry.empty()) {
      continue;
    }
    const auto equals = entry.find('=');
    if (equals == std::string::npos) {
      return bad("'" + entry + "' has no '='");
    }
    const auto name = lower(trim(entry.substr(0, equals)));
    auto value = trim(entry.substr(equals + 1));
    if (name == "slow") {
      const auto colon = value.find(':');
      if (colon != std::string::npos) {
        double delay = 0;
        if (!parse_number(value.substr(colon + 1), delay) || delay < 0) {
          return bad("the slow delay after ':' must be milliseconds");
        }
        faults.slow_delay = milliseconds{std::llround(delay)};
        value = value.substr(0, colon);
      }
    }
    double rate = 0;
    if (!parse_number(value, rate) || rate < 0 || rate > 1) {
      return bad("the rate of '" + name + "' must be a number between 0 and 1");
    }
    if (name == "500") {
      faults.rate_500 = rate;
    } else if (name == "503") {
      faults.rate_503 = rate;
    } else if (name == "reset") {
      faults.rate_reset = rate;
    } else if (name == "slow") {
      faults.rate_slow = rate;
    } else if (name == "revoke") {
      faults.rate_revoke = rate;
    } else {
      return bad("unknown fault '" + name + "' (known: 500, 503, reset, slow, revoke)");
    }
  }
  if (faults.rate_500 + faults.rate_503 + faults.rate_reset + faults.rate_slow +
          faults.rate_revoke >
      1 + 1e-9) {
    return bad("the rates add up to more than 1");
  }
  return faults;
}

} // namespace dvemu
