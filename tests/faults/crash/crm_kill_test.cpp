// `leadsync push`, `pull` and `qualify` (with the push that carries its decisions to the CRM as
// QualifyLead) killed with SIGKILL at random points, several times each, then run again to the end
// against the Dataverse emulator (issue 18, fault suite). Counted in the CRM (the emulator's rows)
// and in the store.

#include "faults/crash/crash_support.hpp"
#include "leadsync_test_paths.hpp"
#include "support/web_api.hpp"

#include <gtest/gtest.h>
#include <map>
#include <memory>
#include <set>

namespace {

using namespace leadsync::faults;
using leadsync::testing::BackgroundLeadsync;
using leadsync::testing::CliRun;
using leadsync::testing::EmulatorProcess;
const auto quoted = leadsync::testing::shell_quoted;

constexpr const char* crm_token = "crash-fault-token";
constexpr const char* key_column = "leadsync_externalid"; // crm.alternate_key as init writes it

class CrmKillTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = scratch_folder("crash-crm");
    ASSERT_EQ(leadsync("init " + quoted(dir_.string())).exit_code, 0);
    // Small batches and a little latency per request: the work takes many requests, so a kill
    // lands between some of them and inside others.
    crm_ = std::make_unique<EmulatorProcess>(
        DATAVERSE_EMULATOR, std::vector<std::string>{"--static-token", crm_token, "--profile",
                                                     "dataverse", "--latency-ms", "15"});
    ASSERT_NE(crm_->port(), 0) << "the emulator did not start";
    ASSERT_TRUE(set_config_value(config(), "crm", "url", "\"" + crm_->url() + "\""));
    ASSERT_TRUE(set_config_value(config(), "push", "batch_size", "10"));
  }
  void TearDown() override {
    crm_.reset();
    if (!HasFailure()) {
      std::error_code ignored;
      fs::remove_all(dir_, ignored);
    } else {
      std::cerr << "kept " << dir_ << " for a look\n";
    }
  }

  std::vector<std::string> env() const { return {std::string("LEADSYNC_CRM_TOKEN=") + crm_token}; }
  CliRun leadsync(const std::string& args) {
    return leadsync::testing::run_leadsync(LEADSYNC_EXE, args, dir_,
                                           std::string("LEADSYNC_CRM_TOKEN=") + crm_token);
  }
  CliRun command(const std::string& args) {
    return leadsync("-c " + quoted(config().string()) + " " + args);
  }
  std::string background_log() const {
    return leadsync::testing::read_file(dir_ / "background-stderr.txt");
  }

  fs::path config() const { return dir_ / "leadsync.toml"; }
  fs::path store() const { return dir_ / "state.db"; }

  // Runs `leadsync ARGS` `kill_rounds` times, killing each run with SIGKILL once `progress()` has
  // moved past where it was when the run started and a random extra delay has passed; after each
  // kill, waits for the CRM to finish what the dead process had sent. The number of kills that
  // landed (a run that ended first stops the rounds).
  template <typename Progress>
  int kill_repeatedly(KillPlan& plan, const std::vector<std::string>& args, Progress progress,
                      int max_extra_ms, std::vector<std::int64_t>& at_kill) {
    int kills = 0;
    for (int round = 0; round < kill_rounds; ++round) {
      const auto before = progress();
      std::vector<std::string> words = {"-c", config().string()};
      words.insert(words.end(), args.begin(), args.end());
      BackgroundLeadsync run(LEADSYNC_EXE, words, dir_, env());
      const bool moved = wait_until([&] { return progress() > before || !run.running(); },
                                    std::chrono::seconds(30));
      EXPECT_TRUE(moved) << "round " << round << ": no progress in 30 s: " << background_log();
      std::this_thread::sleep_for(plan.extra_delay(max_extra_ms));
      if (!run.running()) {
        break;
      }
      if (!killed_by_sigkill(run.kill())) {
        break; // it ended on its own between the check and the signal
      }
      ++kills;
      EXPECT_TRUE(wait_for_quiet_crm(crm_->port())) << "the CRM did not go quiet after a kill";
      at_kill.push_back(progress());
    }
    return kills;
  }

  std::int64_t crm_count(const std::string& entity_set) {
    const auto rows = crm_records(crm_->port(), entity_set);
    return rows ? static_cast<std::int64_t>(rows->size()) : -1;
  }

  // The CRM's lead rows: how many, and how many distinct values of `column` they hold.
  std::pair<std::size_t, std::size_t> crm_leads_by(const std::string& column) {
    const auto rows = crm_records(crm_->port(), "leads");
    if (!rows) {
      ADD_FAILURE() << "no lead rows from the emulator";
      return {0, 0};
    }
    std::set<std::string> values;
    for (const auto& row : *rows) {
      values.insert(row.at("attributes").value(column, json()).dump());
    }
    return {rows->size(), values.size()};
  }

  void import_list(int rows, const std::string& tag) {
    write_people_list(dir_ / "people.csv", rows, tag);
    const auto run =
        command("import " + quoted((dir_ / "people.csv").string()) + " --no-progress --json");
    ASSERT_EQ(run.exit_code, 0) << run.err;
    ASSERT_EQ(stored_leads(store()), rows);
  }

  static void print_kills(const char* job, int kills, const std::vector<std::int64_t>& at,
                          std::int64_t total) {
    std::cout << job << ": " << kills << " kills, at";
    for (const auto value : at) {
      std::cout << " " << value;
    }
    std::cout << " of " << total << "\n";
  }

  fs::path dir_;
  std::unique_ptr<EmulatorProcess> crm_;
};

// Promise: a push killed with SIGKILL at random points, again and again, and run again loses and
// doubles nothing: the CRM holds every stored lead exactly once (one row per alternate key, the
// keys are the store's lead ids) and the outbox is empty.
TEST_F(CrmKillTest, APushKilledAtRandomPointsAndRunAgainLeavesEveryLeadInTheCrmOnce) {
  KillPlan plan;
  SCOPED_TRACE(plan.trace());
  constexpr int leads = 3000;
  ASSERT_NO_FATAL_FAILURE(import_list(leads, "push"));
  std::vector<std::int64_t> at_kill;
  const int kills = kill_repeatedly(
      plan, {"push"}, [&] { return crm_count("leads"); }, 150, at_kill);
  print_kills("push", kills, at_kill, leads);
  ASSERT_GE(kills, 3) << "the push finished before most kills could land";
  ASSERT_LT(at_kill.back(), leads) << "the last kill came after the end";

  const auto last = command("push");
  ASSERT_EQ(last.exit_code, 0) << last.err << last.out;
  const auto [rows, keys] = crm_leads_by(key_column);
  EXPECT_EQ(rows, static_cast<std::size_t>(leads)) << "a lead is missing or doubled in the CRM";
  EXPECT_EQ(keys, static_cast<std::size_t>(leads)) << "two CRM rows share one of our keys";
  const auto ids = sql_strings(store(), "SELECT id FROM leads WHERE deleted = 0");
  std::set<std::string> crm_keys;
  const auto crm_rows = crm_records(crm_->port(), "leads");
  ASSERT_TRUE(crm_rows);
  for (const auto& row : *crm_rows) {
    crm_keys.insert(row.at("attributes").value(key_column, std::string()));
  }
  EXPECT_EQ(crm_keys, std::set<std::string>(ids.begin(), ids.end()));
  EXPECT_EQ(sql_integer(store(), "SELECT count(*) FROM outbox"), 0) << "changes left unsent";
  EXPECT_EQ(sql_integer(store(), "SELECT count(*) FROM dead_letters"), 0);
}

// Promise: a pull killed with SIGKILL at random points, again and again, and run again stores
// every CRM lead exactly once: as many store leads as CRM leads, no CRM id held by two leads.
TEST_F(CrmKillTest, APullKilledAtRandomPointsAndRunAgainStoresEveryCrmLeadOnce) {
  KillPlan plan;
  SCOPED_TRACE(plan.trace());
  constexpr int leads = 1500;
  for (int index = 0; index < leads; ++index) {
    const auto n = std::to_string(index);
    const auto [status, body] =
        leadsync::testing::web_api(crm_->port(), crm_token, "POST", "leads",
                                   json{{"firstname", "Pulled"},
                                        {"lastname", "Lead " + n},
                                        {"emailaddress1", "pulled" + n + "@crm" + n + ".example"},
                                        {"companyname", "CRM Company " + n}}
                                       .dump());
    ASSERT_TRUE(status == 204 || status == 201) << status << " " << body.dump();
  }
  std::vector<std::int64_t> at_kill;
  const int kills = kill_repeatedly(
      plan, {"pull"}, [&] { return std::max<std::int64_t>(stored_leads(store()), 0); }, 100,
      at_kill);
  print_kills("pull", kills, at_kill, leads);
  ASSERT_GE(kills, 3) << "the pull finished before most kills could land";
  ASSERT_LT(at_kill.back(), leads) << "the last kill came after the end";

  const auto last = command("pull");
  ASSERT_EQ(last.exit_code, 0) << last.err << last.out;
  EXPECT_EQ(crm_count("leads"), leads) << "the pull created CRM leads";
  EXPECT_EQ(stored_leads(store()), leads) << "a CRM lead is missing or doubled in the store";
  EXPECT_EQ(sql_integer(store(), "SELECT count(DISTINCT crm_id) FROM leads WHERE deleted = 0 "
                                 "AND crm_id <> ''"),
            leads);
  EXPECT_EQ(doubled_emails(store()), 0);
}

// Promise: `qualify` and the push that sends its decisions (QualifyLead), each killed with SIGKILL
// at random points again and again and run again, qualify each lead in the CRM exactly once: one
// account, one contact and one opportunity per qualified lead, never a second QualifyLead.
TEST_F(CrmKillTest, QualifyAndItsPushKilledAtRandomPointsQualifyEachLeadOnce) {
  KillPlan plan;
  SCOPED_TRACE(plan.trace());
  constexpr int leads = 400;
  // The shipped rules plus one that qualifies every lead of this list (nothing earlier fires).
  auto rules =
      leadsync::testing::read_file(fs::path(LEADSYNC_SOURCE_DIR) / "mappings/scoring.toml");
  ASSERT_FALSE(rules.empty());
  rules += "\n[[decisions.rule]]\nname = \"crash test buyers\"\naction = \"qualify\"\n"
           "when = [{ field = \"person.job_title\", equals = \"Buyer\" }]\n"
           "create_account = true\ncreate_contact = true\ncreate_opportunity = true\n"
           "use_campaign = false\nreason = \"crash test\"\n";
  std::ofstream(dir_ / "scoring.toml") << rules;
  ASSERT_TRUE(set_config_value(config(), "qualify", "rules",
                               "\"" + (dir_ / "scoring.toml").string() + "\""));
  ASSERT_NO_FATAL_FAILURE(import_list(leads, "qualify"));
  // The leads reach the CRM first, so the killed pushes below are about the decisions.
  const auto first_push = command("push");
  ASSERT_EQ(first_push.exit_code, 0) << first_push.err << first_push.out;
  ASSERT_EQ(crm_count("leads"), leads);

  const auto decided = [&] {
    return std::max<std::int64_t>(
        sql_integer(store(), "SELECT count(*) FROM outbox WHERE operation <> 'upsert'"), 0);
  };
  std::vector<std::int64_t> qualify_at;
  const int qualify_kills = kill_repeatedly(plan, {"qualify"}, decided, 50, qualify_at);
  print_kills("qualify", qualify_kills, qualify_at, leads);
  const auto qualified = command("qualify --json");
  ASSERT_EQ(qualified.exit_code, 0) << qualified.err << qualified.out;

  const auto closed = [&] {
    const auto rows = crm_records(crm_->port(), "opportunities");
    return rows ? static_cast<std::int64_t>(rows->size()) : 0;
  };
  std::vector<std::int64_t> push_at;
  const int push_kills = kill_repeatedly(plan, {"push"}, closed, 150, push_at);
  print_kills("qualify push", push_kills, push_at, leads);
  ASSERT_GE(push_kills, 3) << "the push finished before most kills could land";
  const auto last = command("push");
  EXPECT_EQ(last.exit_code, 0) << last.out << last.err.substr(0, 2000);

  EXPECT_EQ(crm_count("leads"), leads);
  EXPECT_EQ(crm_count("opportunities"), leads) << "QualifyLead was lost or repeated";
  EXPECT_EQ(crm_count("contacts"), leads) << "QualifyLead was lost or repeated";
  EXPECT_EQ(crm_count("accounts"), leads) << "QualifyLead was lost or repeated";
  std::int64_t open = 0;
  const auto crm_rows = crm_records(crm_->port(), "leads");
  ASSERT_TRUE(crm_rows);
  for (const auto& row : *crm_rows) {
    open += row.at("attributes").value("statecode", 0) == 1 ? 0 : 1;
  }
  EXPECT_EQ(open, 0) << "a lead is not qualified in the CRM";
  EXPECT_EQ(sql_integer(store(), "SELECT count(*) FROM outbox"), 0) << "decisions left unsent";
  EXPECT_EQ(sql_integer(store(), "SELECT count(*) FROM dead_letters"), 0);
}

} // namespace
