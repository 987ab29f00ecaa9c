#pragma once
// What the enrichment integration test and benchmark share around the feeds emulator: starting it,
// its admin API (/_emulator/records, /_emulator/stats), the PDL-style records they plant and the
// leads they import, the config edit that puts their providers into what `leadsync init` wrote,
// the hash their deterministic people come from (`leadsync` in the background:
// background_leadsync.hpp).

#include "support/background_leadsync.hpp"
#include "support/emulator_admin.hpp"
#include "support/emulator_process.hpp"
#include "support/raw_http.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace leadsync::testing {

// SplitMix64's finalizer: a well-mixed 64-bit hash of x, for deterministic generated people.
inline std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Starts the feeds emulator (the executable at `binary`) with no generated population, the API key
// read from `key_env`, and `extra` arguments. Check port() != 0: 0 means it did not come up.
inline std::unique_ptr<EmulatorProcess>
start_feeds_emulator(const std::string& binary, const std::string& key_env,
                     const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"--api-key-env", key_env, "--population", "0"};
  args.insert(args.end(), extra.begin(), extra.end());
  return std::make_unique<EmulatorProcess>(binary, args);
}

// Plants records in the emulator: `kind` is "people" or "companies". False when it refused them.
inline bool plant_records(std::uint16_t port, const std::string& kind,
                          const nlohmann::json& records) {
  return emulator_admin(port, "POST", "/_emulator/records", nlohmann::json{{kind, records}}.dump())
      .has_value();
}

// What a generated person is called, does and where.
struct PersonFacts {
  std::string first;
  std::string last;
  std::string email;
  std::string title;
  std::string level;
  std::string company;
  std::string domain;
};

// The PDL person record the emulator is planted with (callers add more keys).
inline nlohmann::json emulator_person_record(const PersonFacts& person) {
  return {{"first_name", person.first},
          {"last_name", person.last},
          {"full_name", person.first + " " + person.last},
          {"emails", nlohmann::json::array({person.email})},
          {"job_title", person.title},
          {"job_title_levels", nlohmann::json::array({person.level})},
          {"job_company_name", person.company},
          {"job_company_website", person.domain}};
}

// The lead, as a line of the JSON Lines file `leadsync import` reads.
inline nlohmann::json import_lead(const PersonFacts& person) {
  return {{"person",
           {{"first_name", person.first},
            {"last_name", person.last},
            {"emails", nlohmann::json::array({person.email})}}},
          {"company", {{"name", person.company}, {"domain", person.domain}}}};
}

// The config `leadsync init` wrote (init_text) with its example [[enrich.provider]] tables replaced
// by `providers` (TOML, starting with a line break) and `wanted_fields = []` by `wanted_fields`
// (e.g. R"(wanted_fields = ["person.job_title"])"). Nothing when the text has changed shape.
inline std::optional<std::string> with_enrich_providers(const std::string& init_text,
                                                        const std::string& providers,
                                                        const std::string& wanted_fields) {
  constexpr std::string_view no_fields = "wanted_fields = []";
  const auto first = init_text.find("\n[[enrich.provider]]");
  const auto schedule = init_text.find("\n[schedule]");
  if (first == std::string::npos || schedule == std::string::npos) {
    return std::nullopt;
  }
  std::string text = init_text.substr(0, first) + providers + init_text.substr(schedule);
  const auto wanted = text.find(no_fields);
  if (wanted == std::string::npos) {
    return std::nullopt;
  }
  text.replace(wanted, no_fields.size(), wanted_fields);
  return text;
}

} // namespace leadsync::testing
