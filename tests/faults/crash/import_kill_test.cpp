// `leadsync import` killed with SIGKILL at random points of a CSV list, several times, then resumed
// with --resume until it finishes (issue 18, fault suite).

#include "faults/crash/crash_support.hpp"

#include <gtest/gtest.h>

namespace {

using namespace leadsync::faults;
using leadsync::testing::BackgroundLeadsync;
using leadsync::testing::CliRun;
const auto quoted = leadsync::testing::shell_quoted;

constexpr int list_rows = 12'000;

// rows_read of the import checkpoint (committed with each batch of rows); -1 before the first.
std::int64_t checkpoint_rows(const fs::path& database) {
  const auto values =
      sql_strings(database, "SELECT value FROM checkpoints WHERE name LIKE 'import:%'");
  if (values.empty()) {
    return -1;
  }
  const auto value = json::parse(values.front(), nullptr, false);
  if (!value.is_object() || !value.contains("counts")) {
    return -1;
  }
  return value.at("counts").value("rows_read", std::int64_t{-1});
}

// Promise: an import killed with SIGKILL at any point, any number of times, and resumed with
// `import FILE --resume` ends with every row of the list imported exactly once: as many leads as
// rows, no e-mail held by two leads, every lead queued for the CRM once.
TEST(ImportKillTest, AnImportKilledAtRandomPointsAndResumedImportsEveryRowOnce) {
  KillPlan plan;
  SCOPED_TRACE(plan.trace());
  const auto dir = scratch_folder("crash-import");
  const auto config = dir / "leadsync.toml";
  const auto database = dir / "state.db";
  const auto list = dir / "people.csv";
  ASSERT_EQ(
      leadsync::testing::run_leadsync(LEADSYNC_EXE, "init " + quoted(dir.string()), dir).exit_code,
      0);
  write_people_list(list, list_rows, "import");

  int kills = 0;
  bool finished = false; // a run ended on its own before its kill: nothing is left to resume
  std::vector<std::int64_t> killed_at;
  for (int round = 0; round < kill_rounds; ++round) {
    std::vector<std::string> args = {"-c", config.string(), "import", list.string(),
                                     "--no-progress"};
    if (round > 0) {
      args.emplace_back("--resume");
    }
    const auto before = std::max<std::int64_t>(checkpoint_rows(database), 0);
    BackgroundLeadsync import(LEADSYNC_EXE, args, dir);
    // Mid-work: this run has committed at least one batch of its own, then a random extra delay.
    const bool progressed =
        wait_until([&] { return checkpoint_rows(database) > before || !import.running(); },
                   std::chrono::seconds(30));
    ASSERT_TRUE(progressed) << "round " << round << ": no batch committed in 30 s";
    std::this_thread::sleep_for(plan.extra_delay(400));
    if (!import.running()) {
      finished = true; // it finished: the rounds left have nothing to interrupt
      break;
    }
    const int status = import.kill();
    if (!killed_by_sigkill(status)) {
      // It ended on its own between the check and the signal.
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
      finished = true;
      break;
    }
    ++kills;
    killed_at.push_back(checkpoint_rows(database));
  }
  ASSERT_GE(kills, 3) << "the import finished before most kills could land";
  std::cout << "import: " << kills << " kills, at rows";
  for (const auto rows : killed_at) {
    std::cout << " " << rows;
  }
  std::cout << " of " << list_rows << "\n";
  // A kill after the last batch committed is a kill point like any other: while the import
  // indexes and finishes, the resume finishes it; after it recorded the run finished (the kill
  // landed as it exited), the resume says there is nothing to resume (exit 2) and the counts
  // below are the proof.
  if (!finished) {
    const CliRun resumed = leadsync::testing::run_leadsync(LEADSYNC_EXE,
                                                           "-c " + quoted(config.string()) +
                                                               " import " + quoted(list.string()) +
                                                               " --resume --no-progress --json",
                                                           dir);
    const bool recorded_finished =
        resumed.exit_code == 2 && killed_at.back() == list_rows &&
        resumed.err.find("there is nothing to resume") != std::string::npos;
    if (!recorded_finished) {
      ASSERT_EQ(resumed.exit_code, 0) << resumed.err << resumed.out;
      const auto summary = json::parse(resumed.out, nullptr, false);
      ASSERT_TRUE(summary.is_object()) << resumed.out;
      EXPECT_EQ(summary.value("rows_read", -1), list_rows) << summary.dump(2);
    }
  }

  EXPECT_EQ(stored_leads(database), list_rows) << "a row was lost or imported twice";
  EXPECT_EQ(sql_integer(database, "SELECT count(DISTINCT lower(email)) FROM lead_emails"),
            list_rows);
  EXPECT_EQ(doubled_emails(database), 0);
  EXPECT_EQ(sql_integer(database, "SELECT count(*) FROM leads WHERE id NOT IN "
                                  "(SELECT lead_id FROM outbox)"),
            0)
      << "a lead is not queued for the CRM";
  if (!::testing::Test::HasFailure()) {
    fs::remove_all(dir);
  }
}

} // namespace
