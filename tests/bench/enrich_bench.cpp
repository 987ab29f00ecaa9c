// Enrichment throughput against a provider's rate limit: generates deterministic new leads
// (10,000 by default: 25 people per company, common names, Latin, Cyrillic and Arabic scripts),
// plants 90% of them in the feeds emulator (People Data Labs), imports all of them with
// `leadsync import` into a config `leadsync init` wrote, and enriches them with `leadsync enrich`
// through the PDL provider only (person group; wanted fields person.job_title and
// person.seniority, what a person record fills). The emulator allows R requests per minute (a bulk
// item counts as one request, as it bills them) and the provider's rate_limit_per_min is the same
// R. Then `leadsync enrich --all` runs again over the same leads.
//
// Prints: leads enriched per minute and the lookups per minute as a fraction of R (target >= 0.9),
// credits billed per matched lead (target 1.0), the second run's paid lookups (target 0) and the
// 429s the emulator answered.
//
//   enrich_bench [--leads N] [--rate-per-min R] [--keep DIR]
//
// At the default R = 6,000, 10,000 leads take about 100 s.

#include "bench_support.hpp"
#include "support/feeds_fixture.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace fs = std::filesystem;
using leadsync::bench::ChildRun;
using leadsync::bench::run_child;
using leadsync::bench::with_commas;
using Json = nlohmann::json;
using leadsync::testing::emulator_admin;
using leadsync::testing::mix;
using leadsync::testing::PersonFacts;

constexpr const char* key_env = "LEADSYNC_ENRICH_BENCH_KEY";
constexpr const char* api_key = "3f9a0c1d2e4b5a6f7081928374656a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5";
constexpr int people_per_company = 25;

// ---- the leads ----------------------------------------------------------------------------------

struct Name {
  std::string_view text;
  std::string_view ascii;
};

struct Culture {
  std::array<Name, 5> first;
  std::array<Name, 4> last;
  std::array<std::string_view, 3> titles;
  std::string_view company_word;
  std::string_view tld;
};

constexpr std::array<Culture, 7> cultures = {{
    {{{{"James", "james"},
       {"Mary", "mary"},
       {"John", "john"},
       {"Linda", "linda"},
       {"Michael", "michael"}}},
     {{{"Smith", "smith"}, {"Johnson", "johnson"}, {"Brown", "brown"}, {"Jones", "jones"}}},
     {"sales director", "it manager", "head of procurement"},
     "Atlantic",
     "com"},
    {{{{"Thomas", "thomas"},
       {"Jürgen", "juergen"},
       {"Anna", "anna"},
       {"Stefan", "stefan"},
       {"Julia", "julia"}}},
     {{{"Müller", "mueller"}, {"Schmidt", "schmidt"}, {"Weber", "weber"}, {"Fischer", "fischer"}}},
     {"einkaufsleiter", "geschäftsführer", "leiterin it"},
     "Stahlwerk",
     "de"},
    {{{{"Chloé", "chloe"},
       {"Noël", "noel"},
       {"Marie", "marie"},
       {"Pierre", "pierre"},
       {"Jean", "jean"}}},
     {{{"Lefèvre", "lefevre"}, {"Dubois", "dubois"}, {"Martin", "martin"}, {"Bernard", "bernard"}}},
     {"responsable achats", "directeur commercial", "chef de projet"},
     "Lumière",
     "fr"},
    {{{{"José", "jose"},
       {"María", "maria"},
       {"Carmen", "carmen"},
       {"Javier", "javier"},
       {"Lucía", "lucia"}}},
     {{{"García", "garcia"}, {"López", "lopez"}, {"Martínez", "martinez"}, {"Pérez", "perez"}}},
     {"director de compras", "jefa de ventas", "analista"},
     "Iberia",
     "es"},
    {{{{"Иван", "ivan"},
       {"Анна", "anna"},
       {"Дмитрий", "dmitry"},
       {"Ольга", "olga"},
       {"Сергей", "sergey"}}},
     {{{"Иванов", "ivanov"}, {"Петров", "petrov"}, {"Смирнов", "smirnov"}, {"Соколов", "sokolov"}}},
     {"директор по закупкам", "финансовый директор", "главный инженер"},
     "Ромашка",
     "ru"},
    {{{{"محمد", "mohammed"},
       {"أحمد", "ahmed"},
       {"فاطمة", "fatima"},
       {"علي", "ali"},
       {"مريم", "maryam"}}},
     {{{"الحداد", "alhaddad"},
       {"العتيبي", "alotaibi"},
       {"المصري", "almasri"},
       {"الشمري", "alshammari"}}},
     {"مدير المبيعات", "مدير المشتريات", "مهندس برمجيات"},
     "النور",
     "ae"},
    {{{{"Li", "li"}, {"Wei", "wei"}, {"Fang", "fang"}, {"Na", "na"}, {"Jing", "jing"}}},
     {{{"王", "wang"}, {"李", "li"}, {"张", "zhang"}, {"刘", "liu"}}},
     {"采购经理", "销售总监", "软件工程师"},
     "华信",
     "cn"},
}};
constexpr std::array<std::string_view, 5> levels = {"director", "manager", "senior", "vp", "cxo"};

struct Person {
  std::string first;
  std::string last;
  std::string email;
  std::string company;
  std::string domain;
  std::string title;
  std::string level;
  bool planted = false; // known to the emulator
};

// Person i works at company i % companies, so a batch of leads spans many companies and each
// company has about people_per_company people; 9 in 10 are known to the emulator.
std::vector<Person> generate(int count) {
  const int companies = std::max(1, count / people_per_company);
  std::vector<Person> people;
  people.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    const int company = i % companies;
    const Culture& culture = cultures[static_cast<std::size_t>(company) % cultures.size()];
    const std::uint64_t h = mix(static_cast<std::uint64_t>(i));
    const Name& first = culture.first[h % culture.first.size()];
    const Name& last = culture.last[(h >> 8) % culture.last.size()];
    Person person;
    person.first = first.text;
    person.last = last.text;
    person.company = std::string(culture.company_word) + " " + std::to_string(company);
    person.domain = "bench-co-" + std::to_string(company) + "." + std::string(culture.tld);
    person.email = std::string(first.ascii) + "." + std::string(last.ascii) + "." +
                   std::to_string(i) + "@" + person.domain;
    person.title = culture.titles[(h >> 16) % culture.titles.size()];
    person.level = levels[(h >> 24) % levels.size()];
    person.planted = i % 10 != 9;
    people.push_back(std::move(person));
  }
  return people;
}

// ---- the emulator
// ---------------------------------------------------------------------------------

struct PdlFigures {
  std::int64_t calls = 0;
  std::int64_t items = 0; // what the rate limit counts (a bulk item is one request)
  std::int64_t billed = 0;
  std::int64_t throttled = 0; // 429 answers
};

PdlFigures pdl_figures(std::uint16_t port) {
  const auto stats = emulator_admin(port, "GET", "/_emulator/stats");
  if (!stats) {
    std::fprintf(stderr, "enrich_bench: no stats from the emulator\n");
    std::exit(1);
  }
  PdlFigures figures;
  const auto endpoints = stats->find("endpoints");
  if (endpoints == stats->end() || !endpoints->is_object()) {
    return figures;
  }
  for (auto it = endpoints->begin(); it != endpoints->end(); ++it) {
    if (!it.key().starts_with("pdl.")) {
      continue;
    }
    const Json& endpoint = it.value();
    figures.calls += endpoint.value("calls", std::int64_t{0});
    figures.items += endpoint.value("items", std::int64_t{0});
    figures.billed += endpoint.value("billed", std::int64_t{0});
    const Json statuses = endpoint.value("statuses", Json::object());
    if (statuses.contains("429")) {
      figures.throttled += statuses.at("429").get<std::int64_t>();
    }
  }
  return figures;
}

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "enrich_bench: %s\n", message.c_str());
  std::exit(1);
}

Json json_of(const ChildRun& run, const std::string& what) {
  auto parsed = Json::parse(run.out, nullptr, false);
  if (parsed.is_discarded()) {
    die(what + " printed no JSON (exit " + std::to_string(run.exit_code) + "): " + run.out);
  }
  return parsed;
}

// The config `leadsync init` wrote with its example providers replaced by one PDL provider.
void write_config(const fs::path& config, const std::string& url, int rate_per_min) {
  std::ifstream in(config, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string provider = "[[enrich.provider]]\nname = \"pdl\"\nkind = \"pdl\"\nurl = \"" +
                               url + "\"\napi_key_env = \"" + key_env +
                               "\"\nrate_limit_per_min = " + std::to_string(rate_per_min) +
                               "\ngroups = [\"person\"]\n";
  const auto text = leadsync::testing::with_enrich_providers(
      buffer.str(), "\n" + provider, R"(wanted_fields = ["person.job_title", "person.seniority"])");
  if (!text) {
    die("the config `leadsync init` wrote has changed shape: " + config.string());
  }
  std::ofstream(config, std::ios::binary | std::ios::trunc) << *text;
}

} // namespace

int main(int argc, char** argv) {
  int lead_count = 10000;
  int rate_per_min = 6000;
  std::string keep;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--leads" && i + 1 < argc) {
      lead_count = std::atoi(argv[++i]);
    } else if (arg == "--rate-per-min" && i + 1 < argc) {
      rate_per_min = std::atoi(argv[++i]);
    } else if (arg == "--keep" && i + 1 < argc) {
      keep = argv[++i];
    } else {
      std::fprintf(stderr, "usage: enrich_bench [--leads N] [--rate-per-min R] [--keep DIR]\n");
      return 2;
    }
  }
  if (lead_count < 1 || rate_per_min < 1) {
    die("--leads and --rate-per-min must be at least 1");
  }
  ::setenv(key_env, api_key, 1);
  const fs::path work = leadsync::bench::work_folder(keep, "leadsync-enrich-bench");
  const fs::path config = work / "leadsync.toml";
  std::printf("enrich_bench: %d new leads (%d per company, 7 scripts), 90%% known to the emulator; "
              "PDL only, person group, %d requests/min (emulator --rate-per-min and "
              "rate_limit_per_min)\n",
              lead_count, people_per_company, rate_per_min);
  std::printf("  work folder %s\n", work.c_str());
  std::fflush(stdout);

  const auto emulator_process = leadsync::testing::start_feeds_emulator(
      FEEDS_EMULATOR, key_env, {"--rate-per-min", std::to_string(rate_per_min), "--threads", "2"});
  const auto& emulator = *emulator_process;
  if (emulator.port() == 0) {
    die("the feeds emulator did not start");
  }
  const std::string leadsync = LEADSYNC_EXE;
  if (run_child({leadsync, "init", work.string()}, work).exit_code != 0) {
    die("leadsync init failed");
  }
  write_config(config, emulator.url(), rate_per_min);

  const auto people = generate(lead_count);
  std::int64_t planted = 0;
  {
    std::ofstream leads(work / "leads.jsonl", std::ios::binary);
    Json batch = Json::array();
    const auto flush = [&] {
      if (!batch.empty() && !leadsync::testing::plant_records(emulator.port(), "people", batch)) {
        die("the emulator refused the planted people");
      }
      batch = Json::array();
    };
    for (const Person& person : people) {
      const PersonFacts facts{.first = person.first,
                              .last = person.last,
                              .email = person.email,
                              .title = person.title,
                              .level = person.level,
                              .company = person.company,
                              .domain = person.domain};
      leads << leadsync::testing::import_lead(facts).dump() << "\n";
      if (person.planted) {
        ++planted;
        batch.push_back(leadsync::testing::emulator_person_record(facts));
        if (batch.size() == 1000) {
          flush();
        }
      }
    }
    flush();
  }
  const auto imported = run_child(
      {leadsync, "-c", config.string(), "import", (work / "leads.jsonl").string(), "--json"}, work);
  if (imported.exit_code != 0) {
    die("leadsync import failed: " + imported.out);
  }
  std::printf("  imported %d leads in %.1f s; planted %lld people\n", lead_count, imported.seconds,
              static_cast<long long>(planted));
  std::fflush(stdout);

  // Run 1: every new lead.
  const std::vector<std::string> first_command = {leadsync, "-c",     config.string(), "enrich",
                                                  "--new",  "--json", "--no-progress"};
  std::printf("  running: leadsync -c %s enrich --new --json --no-progress\n", config.c_str());
  std::fflush(stdout);
  const PdlFigures before = pdl_figures(emulator.port());
  const ChildRun first = run_child(first_command, work);
  const Json first_json = json_of(first, "enrich --new");
  const PdlFigures after_first = pdl_figures(emulator.port());

  // Run 2: every lead again; the cache answers.
  std::printf("  running: leadsync -c %s enrich --all --json --no-progress\n", config.c_str());
  std::fflush(stdout);
  const ChildRun second = run_child(
      {leadsync, "-c", config.string(), "enrich", "--all", "--json", "--no-progress"}, work);
  const Json second_json = json_of(second, "enrich --all");
  const PdlFigures after_second = pdl_figures(emulator.port());

  const double minutes = first.seconds / 60.0;
  const auto leads_looked_at = first_json.value("leads", std::int64_t{0});
  const auto enriched = first_json.value("enriched", std::int64_t{0});
  const auto matched = first_json.value("matched", std::int64_t{0});
  const std::int64_t items = after_first.items - before.items;
  const std::int64_t billed = after_first.billed - before.billed;
  const double items_per_minute = static_cast<double>(items) / minutes;
  const double fraction = items_per_minute / rate_per_min;
  const double credits_per_match =
      matched > 0 ? static_cast<double>(billed) / static_cast<double>(matched) : 0.0;
  const std::int64_t second_paid = after_second.billed - after_first.billed;
  const std::int64_t second_calls = after_second.calls - after_first.calls;

  std::printf("\nrun 1 (enrich --new): exit %d, %.1f s, %s leads looked at, %s enriched, %s "
              "matched, %s PDL calls of %s items, %lld errors, %lld deferred, status %s\n",
              first.exit_code, first.seconds, with_commas(double(leads_looked_at)).c_str(),
              with_commas(double(enriched)).c_str(), with_commas(double(matched)).c_str(),
              with_commas(double(after_first.calls - before.calls)).c_str(),
              with_commas(double(items)).c_str(),
              static_cast<long long>(first_json.value("errors", std::int64_t{0})),
              static_cast<long long>(first_json.value("deferred", std::int64_t{0})),
              first_json.value("status", std::string("?")).c_str());
  std::printf("run 2 (enrich --all): exit %d, %.1f s, %s leads, %s cache hits, %lld credits "
              "spent, %lld PDL calls\n",
              second.exit_code, second.seconds,
              with_commas(double(second_json.value("leads", std::int64_t{0}))).c_str(),
              with_commas(double(second_json.value("cache_hits", std::int64_t{0}))).c_str(),
              static_cast<long long>(second_json.value("credits_spent", std::int64_t{0})),
              static_cast<long long>(second_calls));
  std::printf("\n%-48s %12s   %s\n", "figure", "value", "target");
  std::printf("%-48s %12s\n", "leads enriched per minute (looked at)",
              with_commas(double(leads_looked_at) / minutes).c_str());
  std::printf("%-48s %12s\n", "leads enriched per minute (got fields)",
              with_commas(double(enriched) / minutes).c_str());
  std::printf("%-48s %12s\n", "lookups per minute (emulator-counted items)",
              with_commas(items_per_minute).c_str());
  std::printf("%-48s %12.3f   >= 0.9\n", "  as a fraction of R", fraction);
  std::printf("%-48s %12.3f   1.0\n", "credits billed per matched lead", credits_per_match);
  std::printf("%-48s %12lld   0\n", "second run's paid lookups (billed delta)",
              static_cast<long long>(second_paid));
  std::printf("%-48s %12lld\n", "429s seen (emulator, both runs)",
              static_cast<long long>(after_second.throttled - before.throttled));
  std::fflush(stdout);
  const bool ok = first.exit_code == 0 && second.exit_code == 0 && leads_looked_at == lead_count;
  if (!ok) {
    std::fprintf(stderr, "enrich_bench: a run failed; see the figures above\n");
  }
  if (keep.empty()) {
    std::error_code ignored;
    fs::remove_all(work, ignored);
  }
  return ok ? 0 : 1;
}
