// `leadsync enrich` killed with SIGKILL at random points, several times, then run again to the end
// against the feeds emulator (People Data Labs shaped) (issue 18, fault suite).
//
// What the code promises (connector/src/enrich, and tests/integration/enrich_cli_test.cpp): a lead
// is marked enriched once, in the transaction that writes its fields; every answer is cached
// before the leads it serves are written, so nothing answered before a kill is asked, or paid
// for, again; the one bulk call in flight at a kill (at most 100 lookups) may be billed and its
// answer lost.

#include "faults/crash/crash_support.hpp"
#include "support/feeds_fixture.hpp"

#include <gtest/gtest.h>
#include <map>
#include <memory>

namespace {

using namespace leadsync::faults;
using leadsync::testing::BackgroundLeadsync;
using leadsync::testing::CliRun;
const auto quoted = leadsync::testing::shell_quoted;

constexpr const char* key_env = "LEADSYNC_CRASH_ENRICH_KEY";
constexpr const char* api_key = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00";
constexpr int people = 1200;
constexpr int pdl_bulk_size = 100; // PDL's bulk endpoint takes at most 100 lookups per call

// The PDL calls the emulator billed.
std::int64_t pdl_billed(std::uint16_t port) {
  const auto stats = leadsync::testing::emulator_admin(port, "GET", "/_emulator/stats");
  if (!stats) {
    return -1;
  }
  std::int64_t billed = 0;
  for (const auto* endpoint :
       {"pdl.person.enrich", "pdl.person.bulk", "pdl.company.enrich", "pdl.company.bulk"}) {
    billed += stats->value("endpoints", json::object())
                  .value(endpoint, json::object())
                  .value("billed", std::int64_t{0});
  }
  return billed;
}

// Promise: an enrichment run killed with SIGKILL at random points, again and again, and run again
// loses no lead, marks every lead enriched exactly once (a lead marked before a kill keeps its
// mark and version), fills the planted leads, and pays again for nothing answered before a kill:
// what the provider billed is the matched answers cached plus at most one bulk call per kill.
TEST(EnrichKillTest, AnEnrichRunKilledAtRandomPointsAndRunAgainEnrichesEachLeadOnce) {
  KillPlan plan;
  SCOPED_TRACE(plan.trace());
  ::setenv(key_env, api_key, 1);
  const auto dir = scratch_folder("crash-enrich");
  const auto config = dir / "leadsync.toml";
  const auto store = dir / "state.db";
  ASSERT_EQ(
      leadsync::testing::run_leadsync(LEADSYNC_EXE, "init " + quoted(dir.string()), dir).exit_code,
      0);
  // 150 ms per answer: a run of twelve bulk calls takes a couple of seconds.
  const auto emulator =
      leadsync::testing::start_feeds_emulator(FEEDS_EMULATOR, key_env, {"--latency-ms", "150"});
  ASSERT_NE(emulator->port(), 0) << "the feeds emulator did not start";

  // Every other person is known to the provider.
  json planted = json::array();
  {
    std::ofstream leads(dir / "leads.jsonl", std::ios::binary);
    for (int index = 0; index < people; ++index) {
      const auto n = std::to_string(index);
      const leadsync::testing::PersonFacts person{.first = "Erin",
                                                  .last = "Kill" + n,
                                                  .email =
                                                      "erin.kill" + n + "@firm" + n + ".example",
                                                  .title = "head of buying " + n,
                                                  .level = "director",
                                                  .company = "Firm " + n,
                                                  .domain = "firm" + n + ".example"};
      if (index % 2 == 0) {
        planted.push_back(leadsync::testing::emulator_person_record(person));
      }
      leads << leadsync::testing::import_lead(person).dump() << "\n";
    }
  }
  ASSERT_TRUE(leadsync::testing::plant_records(emulator->port(), "people", planted));
  const auto text = leadsync::testing::with_enrich_providers(
      leadsync::testing::read_file(config),
      "\n[[enrich.provider]]\nname = \"pdl\"\nkind = \"pdl\"\nurl = \"" + emulator->url() +
          "\"\napi_key_env = \"" + key_env +
          "\"\nrate_limit_per_min = 100000\ngroups = [\"person\"]\n"
          "credit_budget_per_run = 0\ncredit_budget_per_day = 0\n\n",
      R"(wanted_fields = ["person.job_title"])");
  ASSERT_TRUE(text) << "the config `leadsync init` wrote has changed shape";
  std::ofstream(config, std::ios::binary | std::ios::trunc) << *text;
  const auto imported =
      leadsync::testing::run_leadsync(LEADSYNC_EXE,
                                      "-c " + quoted(config.string()) + " import " +
                                          quoted((dir / "leads.jsonl").string()) + " --no-progress",
                                      dir);
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  ASSERT_EQ(stored_leads(store), people);

  const auto marked = [&] {
    return std::max<std::int64_t>(
        sql_integer(store, "SELECT count(*) FROM leads WHERE enriched_at IS NOT NULL"), 0);
  };
  // Lead id -> "enriched_at/version" of the leads marked so far.
  const auto marks = [&] {
    std::map<std::string, std::string> result;
    for (const auto& row :
         sql_strings(store, "SELECT id || ' ' || enriched_at || '/' || version FROM leads "
                            "WHERE enriched_at IS NOT NULL")) {
      result[row.substr(0, row.find(' '))] = row.substr(row.find(' ') + 1);
    }
    return result;
  };

  int kills = 0;
  std::vector<std::int64_t> at_kill;
  std::map<std::string, std::string> marked_before;
  for (int round = 0; round < kill_rounds; ++round) {
    const auto before = marked();
    BackgroundLeadsync run(LEADSYNC_EXE,
                           {"-c", config.string(), "enrich", "--new", "--no-progress"}, dir);
    ASSERT_TRUE(
        wait_until([&] { return marked() > before || !run.running(); }, std::chrono::seconds(30)))
        << "round " << round << ": no lead marked in 30 s";
    std::this_thread::sleep_for(plan.extra_delay(200));
    if (!run.running()) {
      break;
    }
    if (!killed_by_sigkill(run.kill())) {
      break; // it ended on its own between the check and the signal
    }
    ++kills;
    at_kill.push_back(marked());
    marked_before = marks();
  }
  std::cout << "enrich: " << kills << " kills, at marked leads";
  for (const auto value : at_kill) {
    std::cout << " " << value;
  }
  std::cout << " of " << people << "\n";
  ASSERT_GE(kills, 3) << "the run finished before most kills could land";
  ASSERT_LT(at_kill.back(), people) << "the last kill came after the end";
  // A call the last killed run sent is billed when the emulator receives it: let it arrive.
  std::this_thread::sleep_for(std::chrono::milliseconds(400));

  const auto last = leadsync::testing::run_leadsync(
      LEADSYNC_EXE, "-c " + quoted(config.string()) + " enrich --new --no-progress --json", dir);
  ASSERT_EQ(last.exit_code, 0) << last.err << last.out;
  const auto summary = json::parse(last.out, nullptr, false);
  ASSERT_TRUE(summary.is_object()) << last.out;
  EXPECT_EQ(summary.value("leads", -1), people - at_kill.back())
      << "the run looked again at leads a killed run had finished: " << summary.dump();

  EXPECT_EQ(stored_leads(store), people) << "a lead was lost or doubled";
  EXPECT_EQ(marked(), people) << "a lead was not marked enriched";
  const auto after = marks();
  for (const auto& [id, mark] : marked_before) {
    EXPECT_EQ(after.at(id), mark) << id << " was marked or written again";
  }
  EXPECT_EQ(sql_integer(store, "SELECT count(*) FROM leads WHERE doc LIKE '%head of buying%'"),
            people / 2)
      << "a planted lead was not filled";
  const auto cached = sql_integer(
      store, "SELECT count(*) FROM enrichment_cache WHERE provider = 'pdl' AND matched = 1");
  const auto billed = pdl_billed(emulator->port());
  std::cout << "enrich: billed " << billed << ", matched answers cached " << cached << "\n";
  EXPECT_EQ(cached, people / 2);
  EXPECT_GE(billed, cached);
  EXPECT_LE(billed, cached + static_cast<std::int64_t>(kills) * pdl_bulk_size)
      << "an answer received before a kill was paid for again";
  if (!::testing::Test::HasFailure()) {
    fs::remove_all(dir);
  }
}

} // namespace
