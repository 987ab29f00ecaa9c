// Service faults, throttling and flaky services (issue 18): 429 storms, 10% 503s and connection
// resets on the CRM (the Dataverse emulator's service-protection limits and fault plan) and on the
// enrichment provider (the feeds emulator's storms, faults and resets) at once. Checked by counting
// leads in the CRM, enriched leads in the store, credits billed and dead letters.

#include "faults/service/service_support.hpp"
#include "support/cli_process.hpp"
#include "support/feeds_fixture.hpp"

#include <chrono>
#include <cstdlib>
#include <gtest/gtest.h>
#include <string>

namespace {

using namespace leadsync::faults;
using leadsync::testing::shell_quoted;
using namespace std::chrono_literals;

constexpr const char* crm_token = "service-fault-storm-token";
constexpr const char* key_env = "LEADSYNC_FAULT_PDL_KEY";
constexpr const char* api_key = "service-fault-pdl-key";
constexpr int lead_count = 600;

// Calls, items, billed and statuses of the feeds emulator summed over the PDL endpoints.
struct ProviderTally {
  std::int64_t calls = 0;
  std::int64_t billed = 0;
  std::map<std::string, std::int64_t> statuses;
};

ProviderTally pdl_tally(const Json& stats) {
  ProviderTally tally;
  for (const auto& [name, endpoint] : stats.at("endpoints").items()) {
    if (!name.starts_with("pdl.")) {
      continue;
    }
    tally.calls += endpoint.value("calls", std::int64_t{0});
    tally.billed += endpoint.value("billed", std::int64_t{0});
    for (const auto& [status, count] : endpoint.at("statuses").items()) {
      tally.statuses[status] += count.get<std::int64_t>();
    }
  }
  return tally;
}

// Promise: with the CRM throttling in storms (a 3 s window of 8 requests of 10 leads each),
// answering 10% of requests 503 and dropping 5% of connections, and the enrichment provider
// answering 6 of every 20 calls 429, 10% 500/503 and dropping 5% of connections, an enrich run and
// then a push complete: every lead is enriched once (billed once: a match is paid for once), every
// lead is in the CRM exactly once with its enriched job title, and no dead letter holds what a
// retry would have saved.
TEST(StormFaultsTest, AnEnrichAndPushUnderStormsFaultsAndResetsEverywhereLoseAndDoubleNothing) {
  Scratch scratch("storms");
  ::setenv(key_env, api_key, 1);
  leadsync::faults::RestartableEmulator crm(
      DATAVERSE_EMULATOR,
      {"--profile", "dataverse", "--window-s", "3", "--max-requests", "8", "--latency-ms", "10",
       "--faults", "503=0.1,reset=0.05", "--seed", "18", "--static-token", crm_token},
      scratch.dir());
  ASSERT_TRUE(crm.start()) << "the Dataverse emulator did not start";
  const auto feeds = leadsync::testing::start_feeds_emulator(
      FEEDS_EMULATOR, key_env,
      {"--fault-rate", "0.1", "--reset-rate", "0.05", "--storm-every", "20", "--storm-length", "6",
       "--seed", "18"});
  ASSERT_NE(feeds->port(), 0) << "the feeds emulator did not start";

  const auto leadsync = [&](const std::string& args) {
    return leadsync::testing::run_leadsync(LEADSYNC_EXE, args, scratch.dir(),
                                           std::string("LEADSYNC_CRM_TOKEN=") + crm_token + " " +
                                               key_env + "=" + api_key);
  };
  const auto command = [&](const std::string& args) {
    return leadsync("-c " + shell_quoted(scratch.config().string()) + " " + args);
  };
  ASSERT_EQ(leadsync("init " + shell_quoted(scratch.dir().string())).exit_code, 0);
  const std::string providers = "\n[[enrich.provider]]\nname = \"pdl\"\nkind = \"pdl\"\nurl = \"" +
                                feeds->url() + "\"\napi_key_env = \"" + key_env +
                                "\"\nrate_limit_per_min = 100000\ngroups = [\"person\"]\n"
                                "cache_ttl_days = 0\nbatch_size = 10\n\n";
  ASSERT_EQ(write_config(scratch.dir(),
                         ConfigSetup{.crm_url = crm.url(),
                                     .client_id = {},
                                     .secret_file = {},
                                     .push_batch_size = 10,
                                     .providers = providers,
                                     .wanted_fields = R"(wanted_fields = ["person.job_title"])",
                                     .schedule = "push = \"\"\n",
                                     .daemon_port = 0}),
            "");

  // Every lead has its person at the provider, with a job title to fill.
  Json people = Json::array();
  for (int i = 0; i < lead_count; ++i) {
    const auto n = std::to_string(i);
    people.push_back(leadsync::testing::emulator_person_record(
        {.first = "Fault",
         .last = "Lead" + n,
         .email = "storm" + n + "@company" + n + ".example",
         .title = "Head of Purchasing " + n,
         .level = "director",
         .company = "Company " + n,
         .domain = "company" + n + ".example"}));
  }
  ASSERT_TRUE(leadsync::testing::plant_records(feeds->port(), "people", people));
  write_lead_list(scratch.dir() / "storm.csv", "storm", 0, lead_count);
  const auto imported = command("import " + shell_quoted((scratch.dir() / "storm.csv").string()) +
                                " --no-progress --json");
  ASSERT_EQ(imported.exit_code, 0) << imported.err;

  // Enrich, then push.
  const auto started = Clock::now();
  const auto enriched = command("enrich --new --json --no-progress");
  const auto enrich_s = std::chrono::duration<double>(Clock::now() - started).count();
  EXPECT_EQ(enriched.exit_code, 0) << enriched.out << enriched.err.substr(0, 4000);
  const auto push_started = Clock::now();
  // A push that leaves throttled changes for a retry exits 1 and names when it is due: run it again
  // then, as an admin or the daemon's schedule would (counted in `pushes`).
  const auto [pushed, pushes] = push_until_done(command, command("push"), 3);
  const auto push_s = std::chrono::duration<double>(Clock::now() - push_started).count();
  EXPECT_EQ(pushed.exit_code, 0) << pushed.out << pushed.err.substr(0, 4000);

  // The faults happened, on both sides (else the test proved nothing).
  const auto crm_stats = emulator_admin(crm.port(), "GET", "/_emulator/stats");
  const auto feeds_stats = emulator_admin(feeds->port(), "GET", "/_emulator/stats");
  ASSERT_TRUE(crm_stats && feeds_stats);
  auto provider = pdl_tally(*feeds_stats);
  const auto& crm_statuses = crm_stats->at("requests_by_status");
  std::cout << "storms: enrich " << enrich_s << " s, push " << push_s << " s in " << pushes
            << " push(es); CRM: " << crm_statuses.dump()
            << ", provider: " << Json(provider.statuses).dump() << " in " << provider.calls
            << " calls, " << provider.billed << " billed\n";
  EXPECT_GT(crm_stats->value("throttled", 0), 0) << crm_stats->dump();
  EXPECT_GT(crm_statuses.value("503", 0), 0) << crm_statuses.dump();
  EXPECT_GT(crm_statuses.value("reset", 0), 0) << crm_statuses.dump();
  EXPECT_GT(provider.statuses["429"], 0);
  EXPECT_GT(provider.statuses["0"], 0) << "no provider connection was reset";
  EXPECT_GT(provider.statuses["500"] + provider.statuses["503"], 0);

  // Every lead enriched, once.
  EXPECT_EQ(store_count(scratch.store(),
                        "SELECT count(*) FROM leads WHERE deleted = 0 AND enriched_at IS NULL"),
            0);
  EXPECT_EQ(provider.billed, lead_count)
      << "a lead was looked up and paid for twice, or not at all";
  // Every lead in the CRM exactly once, enriched.
  const auto ids = store_strings(scratch.store(), "SELECT id FROM leads WHERE deleted = 0");
  const auto rows = emulator_admin(crm.port(), "GET", "/_emulator/records/leads");
  ASSERT_TRUE(rows && rows->is_array());
  std::set<std::string> keys;
  int with_title = 0;
  for (const auto& row : *rows) {
    keys.insert(row.at("attributes").value("leadsync_externalid", std::string()));
    with_title +=
        row.at("attributes").value("jobtitle", std::string()).starts_with("Head of") ||
                row.at("attributes").value("jobtitle", std::string()).starts_with("head of")
            ? 1
            : 0;
  }
  EXPECT_EQ(rows->size(), static_cast<std::size_t>(lead_count)) << "a lead is missing or doubled";
  EXPECT_EQ(keys, std::set<std::string>(ids.begin(), ids.end()));
  EXPECT_EQ(with_title, lead_count) << "a lead reached the CRM without its enrichment";
  // Nothing dead-lettered, nothing left queued.
  const auto status = command("status --json");
  ASSERT_EQ(status.exit_code, 0) << status.err;
  const auto body = Json::parse(status.out, nullptr, false);
  EXPECT_EQ(body.at("dead_letters"), 0) << body.dump(2);
  EXPECT_EQ(body.at("outbox").at("pending"), 0) << body.dump(2);
}

} // namespace
