#include "femu/options.hpp"

#include <algorithm>

namespace femu {
namespace {

using leadsync::ErrorCategory;
using leadsync::fail;

leadsync::Result<double> number_in(const std::string& key, const nlohmann::json& value, double low,
                                   double high) {
  if (!value.is_number()) {
    return fail(ErrorCategory::invalid_argument, key + " must be a number");
  }
  const double number = value.get<double>();
  if (number < low || number > high) {
    return fail(ErrorCategory::invalid_argument,
                key + " must be from " + std::to_string(low) + " to " + std::to_string(high));
  }
  return number;
}

leadsync::Result<std::int64_t> count_in(const std::string& key, const nlohmann::json& value,
                                        std::int64_t high) {
  if (!value.is_number_integer() || value.get<std::int64_t>() < 0 ||
      value.get<std::int64_t>() > high) {
    return fail(ErrorCategory::invalid_argument,
                key + " must be an integer from 0 to " + std::to_string(high));
  }
  return value.get<std::int64_t>();
}

} // namespace

leadsync::Result<Knobs> apply_knobs(Knobs knobs, const nlohmann::json& changes) {
  if (!changes.is_object()) {
    return fail(ErrorCategory::invalid_argument, "the configuration must be a JSON object");
  }
  for (const auto& [raw_key, value] : changes.items()) {
    std::string key = raw_key;
    std::replace(key.begin(), key.end(), '-', '_');
    if (key == "latency_ms") {
      LEADSYNC_TRY(knobs.latency_ms, count_in(key, value, 600'000));
    } else if (key == "rate_per_min") {
      LEADSYNC_TRY(knobs.rate_per_min, count_in(key, value, 100'000'000));
    } else if (key == "credits") {
      LEADSYNC_TRY(knobs.credits, count_in(key, value, 1'000'000'000'000));
    } else if (key == "miss_rate") {
      LEADSYNC_TRY(knobs.miss_rate, number_in(key, value, 0, 1));
    } else if (key == "queued_share") {
      LEADSYNC_TRY(knobs.queued_share, number_in(key, value, 0, 1));
    } else if (key == "queued_ready_s") {
      LEADSYNC_TRY(knobs.queued_ready_s, number_in(key, value, 0, 3600));
    } else if (key == "fault_rate") {
      LEADSYNC_TRY(knobs.fault_rate, number_in(key, value, 0, 1));
    } else if (key == "reset_rate") {
      LEADSYNC_TRY(knobs.reset_rate, number_in(key, value, 0, 1));
    } else if (key == "storm_every") {
      LEADSYNC_TRY(knobs.storm_every, count_in(key, value, 1'000'000'000));
    } else if (key == "storm_length") {
      LEADSYNC_TRY(knobs.storm_length, count_in(key, value, 1'000'000'000));
    } else if (key == "seed") {
      LEADSYNC_TRY(const auto seed, count_in(key, value, INT64_MAX));
      knobs.seed = static_cast<std::uint64_t>(seed);
    } else if (key == "population") {
      LEADSYNC_TRY(const auto population, count_in(key, value, 1'000'000));
      knobs.population = static_cast<std::size_t>(population);
    } else {
      return fail(ErrorCategory::invalid_argument,
                  "unknown setting '" + raw_key +
                      "'; known: latency_ms, rate_per_min, credits, miss_rate, queued_share, "
                      "queued_ready_s, fault_rate, reset_rate, storm_every, storm_length, seed, "
                      "population");
    }
  }
  if (knobs.fault_rate + knobs.reset_rate > 1) {
    return fail(ErrorCategory::invalid_argument,
                "fault_rate + reset_rate must be at most 1 (each call gets at most one fault)");
  }
  if (knobs.storm_length > 0 && knobs.storm_length >= knobs.storm_every) {
    return fail(ErrorCategory::invalid_argument,
                "storm_length must be less than storm_every (a storm that never ends answers "
                "nothing); set storm_every above it, or storm_length to 0");
  }
  return knobs;
}

nlohmann::json knobs_to_json(const Knobs& knobs) {
  return {{"latency_ms", knobs.latency_ms},
          {"rate_per_min", knobs.rate_per_min},
          {"credits", knobs.credits},
          {"miss_rate", knobs.miss_rate},
          {"queued_share", knobs.queued_share},
          {"queued_ready_s", knobs.queued_ready_s},
          {"fault_rate", knobs.fault_rate},
          {"reset_rate", knobs.reset_rate},
          {"storm_every", knobs.storm_every},
          {"storm_length", knobs.storm_length},
          {"seed", knobs.seed},
          {"population", knobs.population}};
}

} // namespace femu
