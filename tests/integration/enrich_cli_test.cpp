// `leadsync enrich` end to end: the CLI as a user runs it, against the feeds-emulator executable
// (People Data Labs, Clearbit and the GitHub-shaped social API, started here with its own API key)
// and a file feed folder, over 3,000 generated people (Latin, Cyrillic and Arabic names, common
// names, 20 people per company) imported with `leadsync import` into a config `leadsync init`
// wrote. Half of them are planted in the emulator, a fifth only in a feed file, a tenth in both and
// a fifth nowhere.
//
// What it checks: fields are filled with provenance through all four provider kinds; a second run
// pays for nothing; credit budgets hold what the emulator bills and the leads left over are
// deferred to a later run; a run killed with SIGKILL and run again loses no lead, marks each lead
// enriched once and pays again for nothing that was answered before the kill; a lead with a
// do-not-email flag gets company fields only, and no person endpoint is called for it.

#include "support/cli_process.hpp"
#include "support/emulator_process.hpp"
#include "support/feeds_fixture.hpp"
#include "support/raw_database.hpp"

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sqlite3.h>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;
using leadsync::testing::BackgroundLeadsync;
using leadsync::testing::CliRun;
using leadsync::testing::emulator_admin;
using leadsync::testing::EmulatorProcess;
using leadsync::testing::mix;
using leadsync::testing::PersonFacts;
using leadsync::testing::plant_records;
using nlohmann::json;
const auto quoted = leadsync::testing::shell_quoted;
using Clock = std::chrono::steady_clock;

constexpr int people_count = 3000;
constexpr int company_count = 150;
constexpr const char* key_env = "LEADSYNC_ENRICH_TEST_KEY";
// 64 characters, like a real provider key.
constexpr const char* api_key = "e7c1a9f04b3d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f";

// ---- the generated people ----------------------------------------------------------------------

struct Name {
  const char* text;
  const char* ascii; // for the e-mail address
};

struct Culture {
  std::vector<Name> first;
  std::vector<Name> last;
  std::vector<const char*> titles;      // as the emulator answers them (lower case)
  std::vector<const char*> feed_titles; // as the feed files have them
  std::vector<const char*> company_words;
  const char* tld;
  const char* country;
};

const std::vector<Culture>& cultures() {
  static const std::vector<Culture> all = {
      {{{"James", "james"},
        {"John", "john"},
        {"Mary", "mary"},
        {"Michael", "michael"},
        {"Jennifer", "jennifer"},
        {"David", "david"}},
       {{"Smith", "smith"},
        {"Johnson", "johnson"},
        {"Williams", "williams"},
        {"Brown", "brown"},
        {"Jones", "jones"}},
       {"sales director", "head of procurement", "it manager", "chief financial officer"},
       {"vp sales", "procurement lead", "systems engineer"},
       {"Blue River", "Northwind", "Summit", "Granite"},
       "com",
       "united states"},
      {{{"Thomas", "thomas"}, {"Jürgen", "juergen"}, {"Anna", "anna"}, {"Stefan", "stefan"}},
       {{"Müller", "mueller"},
        {"Schmidt", "schmidt"},
        {"Schneider", "schneider"},
        {"Fischer", "fischer"}},
       {"einkaufsleiter", "geschäftsführer", "leiterin it"},
       {"vertriebsleiter", "entwickler"},
       {"Stahlwerk", "Nordlicht", "Bergmann"},
       "de",
       "germany"},
      {{{"Chloé", "chloe"}, {"Noël", "noel"}, {"Marie", "marie"}, {"Pierre", "pierre"}},
       {{"Lefèvre", "lefevre"}, {"Dubois", "dubois"}, {"Martin", "martin"}, {"Bernard", "bernard"}},
       {"responsable achats", "directeur commercial"},
       {"directrice financière", "chef de projet"},
       {"Lumière", "Belle Rive", "Cristal"},
       "fr",
       "france"},
      {{{"José", "jose"}, {"María", "maria"}, {"Carmen", "carmen"}, {"Javier", "javier"}},
       {{"García", "garcia"},
        {"Fernández", "fernandez"},
        {"López", "lopez"},
        {"Martínez", "martinez"}},
       {"director de compras", "jefa de ventas"},
       {"gerente general", "analista"},
       {"Sol y Mar", "Iberia", "Costa Verde"},
       "es",
       "spain"},
      {{{"Иван", "ivan"},
        {"Анна", "anna"},
        {"Дмитрий", "dmitry"},
        {"Ольга", "olga"},
        {"Сергей", "sergey"},
        {"Елена", "elena"}},
       {{"Иванов", "ivanov"},
        {"Петров", "petrov"},
        {"Смирнов", "smirnov"},
        {"Кузнецов", "kuznetsov"},
        {"Соколов", "sokolov"}},
       {"директор по закупкам", "финансовый директор", "главный инженер"},
       {"руководитель отдела продаж", "аналитик"},
       {"Ромашка", "Уралмаш", "Северсталь"},
       "ru",
       "russia"},
      {{{"محمد", "mohammed"},
        {"أحمد", "ahmed"},
        {"فاطمة", "fatima"},
        {"علي", "ali"},
        {"مريم", "maryam"},
        {"عمر", "omar"}},
       {{"الحداد", "alhaddad"},
        {"العتيبي", "alotaibi"},
        {"المصري", "almasri"},
        {"الشمري", "alshammari"}},
       {"مدير المبيعات", "مدير المشتريات", "مهندس برمجيات"},
       {"مديرة التسويق", "محاسب"},
       {"النور", "الخليج", "الواحة"},
       "ae",
       "united arab emirates"},
  };
  return all;
}

enum class Known { emulator, feed, both, nowhere };

struct GenCompany {
  std::string name;
  std::string domain;
  std::int64_t employees = 0;
  bool planted = false; // known to the emulator
  const Culture* culture = nullptr;
};

struct GenPerson {
  int index = 0;
  std::string first;
  std::string last;
  std::string email;
  int company = 0;
  Known known = Known::nowhere;
  std::string title;      // the emulator's
  std::string feed_title; // the feed file's
  std::string level;
  std::string linkedin;
  std::string github; // "github.com/<login>" for some emulator people
  std::string bio;
  bool do_not_email = false;
};

struct Population {
  std::vector<GenCompany> companies;
  std::vector<GenPerson> people;

  bool in_emulator(const GenPerson& person) const {
    return person.known == Known::emulator || person.known == Known::both;
  }
  bool in_feed(const GenPerson& person) const {
    return person.known == Known::feed || person.known == Known::both;
  }
};

// Deterministic: person i works at company i % company_count (so a batch of leads spans many
// companies) and names repeat (common names). One more person, the last, is the do-not-email lead,
// at a company of its own.
Population generate(int count) {
  Population population;
  const auto& all = cultures();
  const char* levels[] = {"director", "manager", "senior", "vp", "cxo"};
  for (int c = 0; c < company_count; ++c) {
    const Culture& culture = all[static_cast<std::size_t>(c) % all.size()];
    GenCompany company;
    company.culture = &culture;
    const std::string word =
        culture.company_words[static_cast<std::size_t>(c / 6) % culture.company_words.size()];
    company.name = word + " " + std::to_string(c);
    company.domain = "enrich-co-" + std::to_string(c) + "." + culture.tld;
    company.employees = 10 + static_cast<std::int64_t>(mix(static_cast<std::uint64_t>(c)) % 5000);
    company.planted = c % 10 != 9;
    population.companies.push_back(company);
  }
  // The consent test's company: planted, and only its one lead works there.
  population.companies.push_back({.name = "Privacy First GmbH",
                                  .domain = "privacy-first-gmbh.de",
                                  .employees = 240,
                                  .planted = true,
                                  .culture = &all[1]});
  for (int i = 0; i < count; ++i) {
    GenPerson person;
    person.index = i;
    person.company = i % company_count;
    const Culture& culture =
        *population.companies[static_cast<std::size_t>(person.company)].culture;
    const std::uint64_t h = mix(static_cast<std::uint64_t>(i) + 1000);
    const Name& first = culture.first[h % culture.first.size()];
    const Name& last = culture.last[(h >> 8) % culture.last.size()];
    person.first = first.text;
    person.last = last.text;
    person.email = std::string(first.ascii) + "." + last.ascii + "." + std::to_string(i) + "@" +
                   population.companies[static_cast<std::size_t>(person.company)].domain;
    switch (i % 10) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
      person.known = Known::emulator;
      break;
    case 5:
    case 6:
      person.known = Known::feed;
      break;
    case 7:
      person.known = Known::both;
      break;
    default:
      person.known = Known::nowhere;
    }
    person.title = culture.titles[(h >> 16) % culture.titles.size()];
    person.feed_title = culture.feed_titles[(h >> 24) % culture.feed_titles.size()];
    person.level = levels[(h >> 32) % 5];
    person.linkedin =
        "linkedin.com/in/" + std::string(first.ascii) + "-" + last.ascii + "-" + std::to_string(i);
    if (person.known == Known::emulator && i % 4 == 0) {
      person.github = "github.com/" + std::string(first.ascii) + last.ascii + std::to_string(i);
      person.bio =
          "builds things at " + population.companies[static_cast<std::size_t>(person.company)].name;
    }
    population.people.push_back(person);
  }
  // The do-not-email lead: known to the emulator and to the feed, at a company of its own.
  GenPerson blocked;
  blocked.index = count;
  blocked.first = "Jürgen";
  blocked.last = "Vogel";
  blocked.company = company_count;
  blocked.email = "j.vogel@privacy-first-gmbh.de";
  blocked.known = Known::both;
  blocked.title = "datenschutzbeauftragter";
  blocked.feed_title = "datenschutzbeauftragter";
  blocked.level = "manager";
  blocked.linkedin = "linkedin.com/in/juergen-vogel-privacy";
  blocked.github = "github.com/jvogelprivacy";
  blocked.bio = "privacy first";
  blocked.do_not_email = true;
  population.people.push_back(blocked);
  return population;
}

// The person as the shared helpers take it (the emulator's title).
PersonFacts facts(const Population& population, const GenPerson& person) {
  const GenCompany& company = population.companies[static_cast<std::size_t>(person.company)];
  return PersonFacts{.first = person.first,
                     .last = person.last,
                     .email = person.email,
                     .title = person.title,
                     .level = person.level,
                     .company = company.name,
                     .domain = company.domain};
}

json emulator_person(const Population& population, const GenPerson& person) {
  const GenCompany& company = population.companies[static_cast<std::size_t>(person.company)];
  json record = leadsync::testing::emulator_person_record(facts(population, person));
  record["work_email"] = person.email;
  record["linkedin_url"] = person.linkedin;
  record["location_country"] = company.culture->country;
  if (!person.github.empty()) {
    record["github_url"] = person.github;
    record["bio"] = person.bio;
  }
  return record;
}

json emulator_company(const GenCompany& company) {
  return {{"name", company.name},
          {"website", company.domain},
          {"employee_count", company.employees},
          {"location", {{"locality", "capital"}, {"country", company.culture->country}}}};
}

// A PDL-style record as an aggregator's feed file has it (no company size: company fields come
// from the company providers).
json feed_person(const Population& population, const GenPerson& person) {
  const GenCompany& company = population.companies[static_cast<std::size_t>(person.company)];
  return {{"id", "feed-" + std::to_string(person.index)},
          {"full_name", person.first + " " + person.last},
          {"first_name", person.first},
          {"last_name", person.last},
          {"work_email", person.email},
          {"emails", json::array({json{{"address", person.email}}})},
          {"job_title", person.feed_title},
          {"job_title_levels", json::array({person.level})},
          {"job_company_name", company.name},
          {"job_company_website", company.domain},
          {"linkedin_url", person.linkedin}};
}

json lead_line(const Population& population, const GenPerson& person) {
  json lead = leadsync::testing::import_lead(facts(population, person));
  if (person.do_not_email) {
    lead["consent"] = {{"do_not_email", true}};
  }
  return lead;
}

// ---- the emulator's admin API -----------------------------------------------------------------

// Calls, items and billed items of the emulator, per endpoint name.
struct Usage {
  json endpoints = json::object();

  std::int64_t get(const std::string& endpoint, const char* what) const {
    if (!endpoints.contains(endpoint)) {
      return 0;
    }
    return endpoints.at(endpoint).value(what, std::int64_t{0});
  }
  std::int64_t sum(const std::vector<std::string>& names, const char* what) const {
    std::int64_t total = 0;
    for (const auto& name : names) {
      total += get(name, what);
    }
    return total;
  }
  std::int64_t pdl_billed() const {
    return sum({"pdl.person.enrich", "pdl.person.bulk", "pdl.company.enrich", "pdl.company.bulk"},
               "billed");
  }
  std::int64_t clearbit_billed() const {
    return sum({"clearbit.combined.find", "clearbit.people.find", "clearbit.companies.find"},
               "billed");
  }
  std::int64_t billed() const { return pdl_billed() + clearbit_billed(); }
  // Calls that ask about a person (every endpoint but the company ones).
  std::int64_t person_calls() const {
    return sum({"pdl.person.enrich", "pdl.person.bulk", "clearbit.combined.find",
                "clearbit.people.find", "github.users", "github.search.users"},
               "calls");
  }
};

const std::vector<std::string> enrichable_paths = {"person.job_title",
                                                   "person.seniority",
                                                   "company.name",
                                                   "company.website",
                                                   "company.industry",
                                                   "company.employee_count",
                                                   "company.annual_revenue",
                                                   "company.address.city",
                                                   "company.address.country",
                                                   "social.linkedin_url",
                                                   "social.x_handle",
                                                   "social.github_url",
                                                   "social.facebook_url",
                                                   "social.bio",
                                                   "social.location",
                                                   "social.blog"};

// A field of a lead document as text ("" when empty or missing).
std::string field_of(const json& doc, const std::string& path) {
  std::string pointer = "/" + path;
  for (char& c : pointer) {
    c = c == '.' ? '/' : c;
  }
  const json::json_pointer at(pointer);
  if (!doc.contains(at)) {
    return {};
  }
  const json& value = doc.at(at);
  if (value.is_string()) {
    return value.get<std::string>();
  }
  if (value.is_null()) {
    return {};
  }
  return value.dump();
}

const json* provenance_of(const json& doc, const std::string& path) {
  if (!doc.contains("enrichment")) {
    return nullptr;
  }
  for (const json& entry : doc.at("enrichment")) {
    if (entry.value("field", "") == path) {
      return &entry;
    }
  }
  return nullptr;
}

struct StoredLead {
  std::string id;
  std::optional<std::int64_t> enriched_at;
  std::int64_t version = 0;
  json doc;
};

// Every stored lead, read from leadsync's SQLite file (read-only).
std::vector<StoredLead> stored_leads(const fs::path& database) {
  std::vector<StoredLead> leads;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT id, enriched_at, version, doc FROM leads WHERE deleted = 0",
                           -1, &statement, nullptr) == SQLITE_OK) {
      while (sqlite3_step(statement) == SQLITE_ROW) {
        StoredLead lead;
        lead.id = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
        if (sqlite3_column_type(statement, 1) != SQLITE_NULL) {
          lead.enriched_at = sqlite3_column_int64(statement, 1);
        }
        lead.version = sqlite3_column_int64(statement, 2);
        lead.doc = json::parse(reinterpret_cast<const char*>(sqlite3_column_text(statement, 3)),
                               nullptr, false);
        leads.push_back(std::move(lead));
      }
    }
    sqlite3_finalize(statement);
  }
  sqlite3_close(db);
  return leads;
}

using leadsync::test::query_integer;

// ---- the fixture --------------------------------------------------------------------------------

struct ProviderSetup {
  bool clearbit = true;
  bool social = true;
  std::string pdl_groups = R"(["person"])";
  std::int64_t pdl_budget_per_run = 0;
  std::int64_t pdl_budget_per_day = 0;
  std::int64_t clearbit_budget_per_run = 0;
  std::int64_t clearbit_budget_per_day = 0;
};

class EnrichCliTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() { population_ = new Population(generate(people_count)); }
  static void TearDownTestSuite() {
    delete population_;
    population_ = nullptr;
  }

  void SetUp() override {
    ::setenv(key_env, api_key, 1);
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("leadsync-enrich-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "feeds");
    ASSERT_EQ(leadsync("init " + quoted(dir_.string())).exit_code, 0);
    init_text_ = leadsync::testing::read_file(config());
  }
  void TearDown() override {
    emulator_.reset();
    if (!HasFailure()) {
      fs::remove_all(dir_);
    } else {
      std::cerr << "kept " << dir_ << " for a look\n";
    }
  }

  const Population& people() const { return *population_; }

  CliRun leadsync(const std::string& args) {
    return leadsync::testing::run_leadsync(LEADSYNC_EXE, args, dir_);
  }
  CliRun command(const std::string& args) {
    return leadsync("-c " + quoted(config().string()) + " " + args);
  }
  // `leadsync enrich ARGS --json`: the summary, checked to be a JSON document.
  json enrich(const std::string& args, int expected_exit = 0) {
    const auto run = command("enrich " + args + " --json --no-progress");
    EXPECT_EQ(run.exit_code, expected_exit) << run.err << run.out;
    auto parsed = json::parse(run.out, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << run.out << run.err;
    return parsed.is_discarded() ? json::object() : parsed;
  }

  fs::path config() const { return dir_ / "leadsync.toml"; }
  fs::path store() const { return dir_ / "state.db"; }

  void start_emulator(const std::vector<std::string>& extra = {}) {
    emulator_ = leadsync::testing::start_feeds_emulator(FEEDS_EMULATOR, key_env, extra);
    ASSERT_NE(emulator_->port(), 0) << "the feeds emulator did not start";
  }
  Usage usage() {
    const auto stats = emulator_admin(emulator_->port(), "GET", "/_emulator/stats");
    EXPECT_TRUE(stats) << "no stats from the emulator";
    return Usage{stats ? stats->value("endpoints", json::object()) : json::object()};
  }

  // Plants the emulator's people and companies, writes the feed file, imports the leads.
  void plant_and_import() {
    json companies = json::array();
    for (const auto& company : people().companies) {
      if (company.planted) {
        companies.push_back(emulator_company(company));
      }
    }
    ASSERT_TRUE(plant_records(emulator_->port(), "companies", companies))
        << "the emulator refused the companies";
    json batch = json::array();
    const auto flush = [&] {
      if (!batch.empty()) {
        ASSERT_TRUE(plant_records(emulator_->port(), "people", batch))
            << "the emulator refused the people";
        batch = json::array();
      }
    };
    std::ofstream feed(dir_ / "feeds" / "people-2026-01.jsonl", std::ios::binary);
    std::ofstream leads(dir_ / "leads.jsonl", std::ios::binary);
    for (const auto& person : people().people) {
      if (people().in_emulator(person)) {
        batch.push_back(emulator_person(people(), person));
        if (batch.size() == 500) {
          ASSERT_NO_FATAL_FAILURE(flush());
        }
      }
      if (people().in_feed(person)) {
        feed << feed_person(people(), person).dump() << "\n";
      }
      leads << lead_line(people(), person).dump() << "\n";
    }
    ASSERT_NO_FATAL_FAILURE(flush());
    feed.close();
    leads.close();
    const auto run = command("import " + quoted((dir_ / "leads.jsonl").string()) + " --json");
    ASSERT_EQ(run.exit_code, 0) << run.err << run.out;
    const auto report = json::parse(run.out, nullptr, false);
    ASSERT_FALSE(report.is_discarded()) << run.out;
    ASSERT_EQ(stored_leads(store()).size(), people().people.size()) << run.out;
    for (const auto& lead : stored_leads(store())) {
      lead_by_email_[field_of(lead.doc, "person.emails.0")] = lead.id;
    }
    ASSERT_EQ(lead_by_email_.size(), people().people.size());
  }

  // The config `leadsync init` wrote, with its example providers replaced by ours, all pointed at
  // the emulator and the feed folder.
  void write_config(const ProviderSetup& setup) {
    const std::string url = emulator_->url();
    std::string providers = R"toml(
[[enrich.provider]]
name = "feeds"
kind = "file_feed"
folder = "feeds"

[[enrich.provider]]
name = "pdl"
kind = "pdl"
url = ")toml" + url + R"toml("
api_key_env = ")toml" + key_env +
                            R"toml("
rate_limit_per_min = 100000
groups = )toml" + setup.pdl_groups +
                            R"toml(
credit_budget_per_run = )toml" +
                            std::to_string(setup.pdl_budget_per_run) +
                            "\ncredit_budget_per_day = " +
                            std::to_string(setup.pdl_budget_per_day) + "\n";
    if (setup.social) {
      providers += R"toml(
[[enrich.provider]]
name = "social-github"
kind = "http_json"
url = ")toml" + url +
                   R"toml("
api_key_env = ")toml" +
                   key_env +
                   R"toml("
spec = "mappings/social-github.toml"
groups = ["social"]
charges = "request"
rate_limit_per_min = 100000
)toml";
    }
    if (setup.clearbit) {
      providers += R"toml(
[[enrich.provider]]
name = "clearbit"
kind = "clearbit"
url = ")toml" + url +
                   R"toml("
api_key_env = ")toml" +
                   key_env +
                   R"toml("
rate_limit_per_min = 100000
groups = ["person", "company"]
credit_budget_per_run = )toml" +
                   std::to_string(setup.clearbit_budget_per_run) +
                   "\ncredit_budget_per_day = " + std::to_string(setup.clearbit_budget_per_day) +
                   "\n";
    }
    const auto text = leadsync::testing::with_enrich_providers(
        init_text_, providers,
        R"(wanted_fields = ["person.job_title", "person.seniority", "company.employee_count", "company.address.country", "social.linkedin_url", "social.github_url", "social.bio"])");
    ASSERT_TRUE(text) << "the config `leadsync init` wrote has changed shape:\n" << init_text_;
    std::ofstream(config(), std::ios::binary | std::ios::trunc) << *text;
  }

  std::string lead_id(const GenPerson& person) const { return lead_by_email_.at(person.email); }

  // Whatever enrichment wrote, each value has its provenance and each provenance its value: no
  // lead is half written.
  static void expect_whole(const StoredLead& lead) {
    std::set<std::string> with_provenance;
    for (const json& entry : lead.doc.value("enrichment", json::array())) {
      const std::string field = entry.value("field", "");
      with_provenance.insert(field);
      EXPECT_FALSE(field_of(lead.doc, field).empty())
          << lead.id << ": provenance for the empty field " << field;
      const std::string provider = entry.value("provider", "");
      EXPECT_TRUE(provider == "feeds" || provider == "pdl" || provider == "clearbit" ||
                  provider == "social-github")
          << lead.id << " " << field << ": provider '" << provider << "'";
      const double confidence = entry.value("confidence", -1.0);
      EXPECT_GT(confidence, 0.0) << lead.id << " " << field;
      EXPECT_LE(confidence, 1.0) << lead.id << " " << field;
      EXPECT_TRUE(entry.contains("fetched_at") && entry.at("fetched_at").is_string() &&
                  !entry.at("fetched_at").get<std::string>().empty())
          << lead.id << " " << field << ": no fetched_at";
    }
    for (const auto& path : enrichable_paths) {
      if (path == "company.name") {
        continue; // the import gave it
      }
      if (!field_of(lead.doc, path).empty()) {
        EXPECT_TRUE(with_provenance.contains(path))
            << lead.id << ": " << path << " = '" << field_of(lead.doc, path)
            << "' has no provenance";
      }
    }
  }

  static Population* population_;
  fs::path dir_;
  std::string init_text_;
  std::unique_ptr<EmulatorProcess> emulator_;
  std::map<std::string, std::string> lead_by_email_;
};

Population* EnrichCliTest::population_ = nullptr;

// (a) all four provider kinds fill fields with provenance, (e) consent, (b) a second run pays for
// nothing.
TEST_F(EnrichCliTest, FillsFieldsThroughAllFourProvidersAndASecondRunPaysForNothing) {
  ASSERT_NO_FATAL_FAILURE(start_emulator());
  ASSERT_NO_FATAL_FAILURE(write_config({}));
  ASSERT_NO_FATAL_FAILURE(plant_and_import());

  // (e) The do-not-email lead alone: company fields only; no person endpoint is called.
  const GenPerson& blocked = people().people.back();
  ASSERT_TRUE(blocked.do_not_email);
  const Usage before_blocked = usage();
  const json blocked_run = enrich("--lead " + lead_id(blocked));
  const Usage after_blocked = usage();
  EXPECT_EQ(blocked_run.value("skipped_consent", -1), 1) << blocked_run.dump(2);
  EXPECT_EQ(blocked_run.value("consent_reasons", json::object()).value("do_not_email", 0), 1)
      << blocked_run.dump(2);
  EXPECT_EQ(after_blocked.person_calls(), before_blocked.person_calls())
      << "a person endpoint was called for a do-not-email lead: " << after_blocked.endpoints.dump();
  EXPECT_EQ(after_blocked.get("clearbit.companies.find", "calls"),
            before_blocked.get("clearbit.companies.find", "calls") + 1)
      << after_blocked.endpoints.dump();
  {
    const auto shown = command("leads show " + lead_id(blocked) + " --json");
    ASSERT_EQ(shown.exit_code, 0) << shown.err;
    const json doc = json::parse(shown.out, nullptr, false);
    ASSERT_FALSE(doc.is_discarded()) << shown.out;
    EXPECT_EQ(field_of(doc, "person.job_title"), "") << doc.dump(2);
    EXPECT_EQ(field_of(doc, "social.linkedin_url"), "") << doc.dump(2);
    EXPECT_EQ(field_of(doc, "company.employee_count"), "240") << doc.dump(2);
    const json* provenance = provenance_of(doc, "company.employee_count");
    ASSERT_NE(provenance, nullptr) << doc.dump(2);
    EXPECT_EQ(provenance->value("provider", ""), "clearbit");
    for (const json& entry : doc.value("enrichment", json::array())) {
      EXPECT_TRUE(entry.value("field", "").starts_with("company."))
          << "a personal field was filled for a do-not-email lead: " << entry.dump();
    }
    EXPECT_TRUE(doc.contains("enriched_at") && doc.at("enriched_at").is_string()) << doc.dump(2);
  }

  // (a) The first run over the new leads.
  const auto started = Clock::now();
  const json first = enrich("--new");
  const auto first_seconds = std::chrono::duration<double>(Clock::now() - started).count();
  const Usage after_first = usage();
  std::cout << "first run (" << first_seconds << " s): " << first.dump() << "\n";
  std::cout << "emulator: " << after_first.endpoints.dump() << "\n";
  const auto total = static_cast<std::int64_t>(people().people.size());
  EXPECT_EQ(first.value("leads", -1), total - 1) << first.dump(2);
  EXPECT_EQ(first.value("errors", -1), 0) << first.dump(2);
  EXPECT_EQ(first.value("deferred", -1), 0) << first.dump(2);
  EXPECT_EQ(first.value("status", ""), "ok") << first.dump(2);
  for (const char* provider : {"feeds", "pdl", "social-github", "clearbit"}) {
    const json tally = first.at("providers").value(provider, json::object());
    EXPECT_GT(tally.value("fields_filled", 0), 0) << provider << ": " << first.dump(2);
    EXPECT_EQ(tally.value("status", ""), "ok") << provider << ": " << first.dump(2);
  }
  // What the run says it spent is what the emulator billed.
  EXPECT_EQ(first.value("credits_spent", -1) + blocked_run.value("credits_spent", -1),
            after_first.billed())
      << first.dump(2);
  // PDL bills matches only: once per matched lookup (each lead has its own e-mail).
  EXPECT_EQ(after_first.pdl_billed(), first.at("providers").at("pdl").value("matched", -1));

  std::map<std::string, const GenPerson*> person_by_id;
  for (const auto& person : people().people) {
    person_by_id[lead_id(person)] = &person;
  }
  const auto leads = stored_leads(store());
  ASSERT_EQ(leads.size(), people().people.size());
  std::map<std::string, int> filled_by;
  for (const auto& lead : leads) {
    SCOPED_TRACE(lead.id);
    const GenPerson& person = *person_by_id.at(lead.id);
    const GenCompany& company = people().companies[static_cast<std::size_t>(person.company)];
    EXPECT_TRUE(lead.enriched_at) << "not marked enriched: " << person.email;
    expect_whole(lead);
    for (const json& entry : lead.doc.value("enrichment", json::array())) {
      ++filled_by[entry.value("provider", "")];
    }
    if (person.do_not_email) {
      continue;
    }
    const json* title = provenance_of(lead.doc, "person.job_title");
    switch (person.known) {
    case Known::emulator:
      EXPECT_EQ(field_of(lead.doc, "person.job_title"), person.title) << person.email;
      ASSERT_NE(title, nullptr) << person.email;
      EXPECT_EQ(title->value("provider", ""), "pdl");
      EXPECT_GE(title->value("confidence", 0.0), 0.9) << "an e-mail match is likelihood 9-10";
      EXPECT_EQ(field_of(lead.doc, "person.seniority"), person.level);
      EXPECT_EQ(field_of(lead.doc, "social.linkedin_url"), person.linkedin);
      break;
    case Known::feed:
    case Known::both: // the free feed is asked first and has the answer
      EXPECT_EQ(field_of(lead.doc, "person.job_title"), person.feed_title) << person.email;
      ASSERT_NE(title, nullptr) << person.email;
      EXPECT_EQ(title->value("provider", ""), "feeds");
      EXPECT_DOUBLE_EQ(title->value("confidence", 0.0), 1.0);
      break;
    case Known::nowhere:
      EXPECT_EQ(field_of(lead.doc, "person.job_title"), "") << person.email;
      EXPECT_EQ(title, nullptr);
      break;
    }
    if (!person.github.empty()) {
      EXPECT_EQ(field_of(lead.doc, "social.bio"), person.bio) << person.email;
      const json* bio = provenance_of(lead.doc, "social.bio");
      ASSERT_NE(bio, nullptr) << person.email;
      EXPECT_EQ(bio->value("provider", ""), "social-github");
      EXPECT_EQ(field_of(lead.doc, "social.github_url"), person.github);
    }
    if (company.planted) {
      EXPECT_EQ(field_of(lead.doc, "company.employee_count"), std::to_string(company.employees))
          << person.email;
      const json* employees = provenance_of(lead.doc, "company.employee_count");
      ASSERT_NE(employees, nullptr) << person.email;
      EXPECT_EQ(employees->value("provider", ""), "clearbit");
      EXPECT_DOUBLE_EQ(employees->value("confidence", 0.0), 0.9);
    } else {
      EXPECT_EQ(field_of(lead.doc, "company.employee_count"), "") << person.email;
    }
  }
  for (const char* provider : {"feeds", "pdl", "social-github", "clearbit"}) {
    EXPECT_GT(filled_by[provider], 0) << provider << " filled no stored field";
  }
  // `leads show` gives the same provenance a user sees.
  {
    const GenPerson& known = people().people.front();
    const auto shown = command("leads show " + lead_id(known) + " --json");
    ASSERT_EQ(shown.exit_code, 0) << shown.err;
    const json doc = json::parse(shown.out, nullptr, false);
    const json* title = provenance_of(doc, "person.job_title");
    ASSERT_NE(title, nullptr) << shown.out;
    EXPECT_EQ(title->value("provider", ""), "pdl");
    EXPECT_TRUE(title->contains("fetched_at")) << shown.out;
  }

  // (b) Every lead again: cached answers only, nothing billed.
  const json second = enrich("--all");
  const Usage after_second = usage();
  std::cout << "second run (--all): " << second.dump() << "\n";
  EXPECT_EQ(second.value("leads", -1), total) << second.dump(2);
  EXPECT_EQ(second.value("credits_spent", -1), 0) << second.dump(2);
  EXPECT_GT(second.value("cache_hits", 0), 0) << second.dump(2);
  EXPECT_EQ(second.value("errors", -1), 0) << second.dump(2);
  EXPECT_EQ(after_second.billed(), after_first.billed())
      << "the second run paid: " << after_second.endpoints.dump();
  EXPECT_EQ(after_second.sum({"pdl.person.enrich", "pdl.person.bulk", "clearbit.combined.find",
                              "clearbit.companies.find", "clearbit.people.find"},
                             "calls"),
            after_first.sum({"pdl.person.enrich", "pdl.person.bulk", "clearbit.combined.find",
                             "clearbit.companies.find", "clearbit.people.find"},
                            "calls"))
      << "the second run called a paid endpoint: " << after_second.endpoints.dump();
  for (const auto& lead : stored_leads(store())) {
    expect_whole(lead);
  }
}

// (c) Credit budgets per run and per day hold what the emulator bills; the leads left over are
// deferred and a later run, with the budget raised, enriches them.
TEST_F(EnrichCliTest, CreditBudgetsHoldAndTheLeadsLeftOverAreEnrichedByALaterRun) {
  ASSERT_NO_FATAL_FAILURE(start_emulator());
  ProviderSetup setup{.clearbit = true,
                      .social = false,
                      .pdl_budget_per_run = 300,
                      .pdl_budget_per_day = 500,
                      .clearbit_budget_per_run = 400,
                      .clearbit_budget_per_day = 600};
  ASSERT_NO_FATAL_FAILURE(write_config(setup));
  ASSERT_NO_FATAL_FAILURE(plant_and_import());
  const auto total = static_cast<std::int64_t>(people().people.size());
  const auto unmarked = [&] {
    return query_integer(store(), "SELECT count(*) FROM leads WHERE enriched_at IS NULL");
  };

  // Run 1: the per-run budgets stop both providers.
  const json first = enrich("--new");
  const Usage after_first = usage();
  std::cout << "budget run 1: " << first.dump() << "\n";
  EXPECT_LE(after_first.pdl_billed(), 300) << after_first.endpoints.dump();
  EXPECT_LE(after_first.clearbit_billed(), 400) << after_first.endpoints.dump();
  EXPECT_GT(after_first.pdl_billed(), 0);
  EXPECT_GT(first.value("deferred", 0), 0) << first.dump(2);
  EXPECT_EQ(first.at("providers").at("pdl").value("status", ""), "budget") << first.dump(2);
  EXPECT_EQ(first.value("deferred", -1), unmarked()) << "every lead left over is deferred";
  EXPECT_EQ(first.value("errors", -1), 0) << first.dump(2);

  // Run 2: the per-day budgets stop them, counting what run 1 spent.
  const json second = enrich("--new");
  const Usage after_second = usage();
  std::cout << "budget run 2: " << second.dump() << "\n";
  EXPECT_LE(after_second.pdl_billed(), 500) << after_second.endpoints.dump();
  EXPECT_LE(after_second.clearbit_billed(), 600) << after_second.endpoints.dump();
  EXPECT_GT(after_second.pdl_billed(), after_first.pdl_billed());
  EXPECT_GT(second.value("deferred", 0), 0) << second.dump(2);
  EXPECT_EQ(second.value("deferred", -1), unmarked());

  // A later run, the budgets raised: every lead left over is enriched.
  ASSERT_NO_FATAL_FAILURE(write_config({.clearbit = true, .social = false}));
  const json last = enrich("--new");
  const Usage after_last = usage();
  std::cout << "budget run 3 (no budget): " << last.dump() << "\n";
  EXPECT_EQ(last.value("deferred", -1), 0) << last.dump(2);
  EXPECT_EQ(last.value("errors", -1), 0) << last.dump(2);
  EXPECT_EQ(unmarked(), 0);
  EXPECT_GT(last.value("leads", 0), 0);
  // PDL billed each matched lookup once over the three runs, and what the runs said they spent.
  std::int64_t pdl_matched = 0;
  std::int64_t pdl_credits = 0;
  for (const json* run : {&first, &second, &last}) {
    pdl_matched += run->at("providers").at("pdl").value("matched", 0);
    pdl_credits += run->at("providers").at("pdl").value("credits_spent", 0);
  }
  EXPECT_EQ(after_last.pdl_billed(), pdl_matched) << after_last.endpoints.dump();
  EXPECT_EQ(after_last.pdl_billed(), pdl_credits) << after_last.endpoints.dump();
  std::int64_t emulator_only = 0;
  for (const auto& person : people().people) {
    emulator_only += person.known == Known::emulator ? 1 : 0;
  }
  EXPECT_LE(after_last.pdl_billed(), emulator_only);
  const auto leads = stored_leads(store());
  EXPECT_EQ(static_cast<std::int64_t>(leads.size()), total);
  for (const auto& lead : leads) {
    expect_whole(lead);
  }
}

// (d) SIGKILL in the middle of a run, then a run to the end.
TEST_F(EnrichCliTest, ARunKilledMidWayAndRunAgainLosesNoLeadAndPaysNothingTwice) {
  // 150 ms per provider answer: the run takes several seconds.
  ASSERT_NO_FATAL_FAILURE(start_emulator({"--latency-ms", "150"}));
  ASSERT_NO_FATAL_FAILURE(write_config({.clearbit = false, .social = false}));
  ASSERT_NO_FATAL_FAILURE(plant_and_import());
  const auto total = people().people.size();
  const auto marked = [&] {
    return query_integer(store(), "SELECT count(*) FROM leads WHERE enriched_at IS NOT NULL");
  };
  const auto matched_in_cache = [&] {
    return query_integer(store(),
                         "SELECT count(*) FROM enrichment_cache WHERE provider = 'pdl' AND "
                         "matched = 1");
  };
  const auto ledger_credits = [&] {
    return query_integer(store(), "SELECT coalesce(sum(credits), 0) FROM provider_usage WHERE "
                                  "provider = 'pdl' AND length(period) = 10");
  };

  std::int64_t marked_at_kill = 0;
  {
    BackgroundLeadsync run(LEADSYNC_EXE,
                           {"-c", config().string(), "enrich", "--new", "--no-progress"}, dir_);
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < deadline && run.running()) {
      marked_at_kill = marked();
      if (marked_at_kill >= static_cast<std::int64_t>(total) / 4) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_TRUE(run.running()) << "the run ended before it could be killed: "
                               << leadsync::testing::read_file(dir_ / "background-stderr.txt");
    const int status = run.kill();
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  }
  // Calls the killed run sent are billed when the emulator receives them; give it a moment.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto before = stored_leads(store());
  ASSERT_EQ(before.size(), total);
  std::map<std::string, StoredLead> marked_before;
  for (const auto& lead : before) {
    expect_whole(lead);
    if (lead.enriched_at) {
      marked_before[lead.id] = lead;
    }
  }
  marked_at_kill = static_cast<std::int64_t>(marked_before.size());
  ASSERT_GT(marked_at_kill, 0);
  ASSERT_LT(marked_at_kill, static_cast<std::int64_t>(total)) << "the kill came too late";
  const std::int64_t billed_at_kill = usage().pdl_billed();
  const std::int64_t cached_at_kill = matched_in_cache();
  // Billed by the emulator but never seen by leadsync: the answer of the call in flight at the
  // kill (at most one bulk call of 100). The usage ledger booked it at its worst case before the
  // call, so the budgets count it.
  const std::int64_t lost_in_flight = billed_at_kill - cached_at_kill;
  std::cout << "killed with " << marked_at_kill << " of " << total << " leads marked; billed "
            << billed_at_kill << ", matched answers cached " << cached_at_kill
            << ", ledger credits " << ledger_credits() << "\n";
  EXPECT_GE(lost_in_flight, 0);
  EXPECT_LE(lost_in_flight, 100) << "more than the one call in flight was paid and lost";
  EXPECT_GE(ledger_credits(), billed_at_kill) << "the ledger booked less than was billed";

  // Run again to the end.
  const json again = enrich("--new");
  std::cout << "run after the kill: " << again.dump() << "\n";
  EXPECT_EQ(again.value("errors", -1), 0) << again.dump(2);
  EXPECT_EQ(again.value("deferred", -1), 0) << again.dump(2);
  EXPECT_EQ(again.value("leads", -1), static_cast<std::int64_t>(total) - marked_at_kill)
      << "the run looked again at leads the killed run had finished";
  const Usage final_usage = usage();
  const std::int64_t cached_final = matched_in_cache();
  // Nothing answered before the kill is paid again: every credit billed after it is a new match.
  EXPECT_EQ(final_usage.pdl_billed() - billed_at_kill, cached_final - cached_at_kill)
      << final_usage.endpoints.dump();
  // In all: one credit per distinct matched lookup, plus the lost answer of the call in flight.
  EXPECT_EQ(final_usage.pdl_billed(), cached_final + lost_in_flight);
  std::int64_t emulator_only = 0;
  for (const auto& person : people().people) {
    emulator_only += person.known == Known::emulator ? 1 : 0;
  }
  EXPECT_EQ(cached_final, emulator_only);

  // Every lead is still there, marked once: those the killed run finished were not written again.
  const auto after = stored_leads(store());
  ASSERT_EQ(after.size(), total);
  std::map<std::string, const GenPerson*> person_by_id;
  for (const auto& person : people().people) {
    person_by_id[lead_id(person)] = &person;
  }
  for (const auto& lead : after) {
    SCOPED_TRACE(lead.id);
    ASSERT_TRUE(person_by_id.contains(lead.id));
    EXPECT_TRUE(lead.enriched_at) << "not marked enriched";
    expect_whole(lead);
    if (const auto found = marked_before.find(lead.id); found != marked_before.end()) {
      EXPECT_EQ(lead.enriched_at, found->second.enriched_at) << "marked twice";
      EXPECT_EQ(lead.version, found->second.version) << "written again";
    }
    const GenPerson& person = *person_by_id.at(lead.id);
    if (person.do_not_email) {
      EXPECT_EQ(field_of(lead.doc, "person.job_title"), "");
    } else if (person.known == Known::emulator) {
      EXPECT_EQ(field_of(lead.doc, "person.job_title"), person.title);
    } else if (person.known != Known::nowhere) {
      EXPECT_EQ(field_of(lead.doc, "person.job_title"), person.feed_title);
    }
  }
}

// Leads of one company in one batch ask the same company question: it is asked, and paid, once.
// (The answer cache only helps the batches after it.)
TEST_F(EnrichCliTest, LeadsOfOneCompanyInOneBatchAreLookedUpAndPaidForOnce) {
  ASSERT_NO_FATAL_FAILURE(start_emulator());
  ASSERT_NO_FATAL_FAILURE(
      write_config({.clearbit = false, .social = false, .pdl_groups = R"(["company"])"}));
  const json companies = {
      {"companies",
       {{{"name", "Acme One"}, {"website", "acme-one.com"}, {"employee_count", 50}},
        {{"name", "Beta Two"}, {"website", "beta-two.com"}, {"employee_count", 70}}}}};
  ASSERT_TRUE(emulator_admin(emulator_->port(), "POST", "/_emulator/records", companies.dump()));
  {
    std::ofstream leads(dir_ / "leads.jsonl", std::ios::binary);
    for (int i = 0; i < 40; ++i) {
      const std::string domain = i % 2 == 0 ? "acme-one.com" : "beta-two.com";
      leads << json{{"person",
                     {{"first_name", "Anna"},
                      {"last_name", "Lead" + std::to_string(i)},
                      {"emails", json::array({"lead" + std::to_string(i) + "@" + domain})}}},
                    {"company",
                     {{"name", i % 2 == 0 ? "Acme One" : "Beta Two"}, {"domain", domain}}}}
                   .dump()
            << "\n";
    }
  }
  const auto imported = command("import " + quoted((dir_ / "leads.jsonl").string()) + " --json");
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  const json run = enrich("--new");
  const Usage after = usage();
  std::cout << "one batch, two companies: " << run.dump() << "\n" << after.endpoints.dump() << "\n";
  EXPECT_EQ(run.value("leads", -1), 40);
  EXPECT_EQ(query_integer(store(), "SELECT count(*) FROM leads WHERE enriched_at IS NULL"), 0);
  // Two distinct questions, two matches: two credits.
  EXPECT_EQ(after.get("pdl.company.enrich", "calls") + after.get("pdl.company.bulk", "items"), 2)
      << "the same company was looked up once per lead: " << after.endpoints.dump();
  EXPECT_EQ(after.pdl_billed(), 2) << "the same company was paid for once per lead";
  EXPECT_EQ(run.value("credits_spent", -1), 2) << run.dump(2);
  for (const auto& lead : stored_leads(store())) {
    EXPECT_FALSE(field_of(lead.doc, "company.employee_count").empty()) << lead.id;
    expect_whole(lead);
  }
}

} // namespace
