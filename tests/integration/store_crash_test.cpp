// Kills a process that is writing leads at arbitrary moments (SIGKILL, no chance to clean up) and
// checks that the database stays intact, that every change the writer saw committed survived, and
// that no lead change exists without its outbox entry.

#include "leadsync/core/clock.hpp"
#include "leadsync/core/random.hpp"
#include "leadsync/store/sqlite_store.hpp"
#include "support/raw_database.hpp"

#include <array>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <gtest/gtest.h>
#include <poll.h>
#include <sqlite3.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace leadsync::store {
namespace {

namespace fs = std::filesystem;

constexpr int poll_timeout_ms = 60'000; // only reached when the writer is stuck
constexpr std::array<std::size_t, 3> kill_points{50, 300, 1000};
constexpr int rounds = 12;

// Runs in the forked child: creates leads until killed, reporting each id on the pipe once its
// transaction has committed.
[[noreturn]] void write_leads_until_killed(const fs::path& path, int report_fd,
                                           std::uint64_t seed) {
  SeededRandom random(seed);
  auto store = open_sqlite_store(SqliteOptions{path}, SystemClock::instance(), random);
  if (!store.ok()) {
    ::_exit(2);
  }
  for (int i = 0;; ++i) {
    model::Lead lead;
    lead.person.first_name = "Crash";
    lead.person.last_name = "Test " + std::to_string(i);
    lead.person.emails = {"crash" + std::to_string(i) + "@example.com"};
    const auto created = (*store)->create_lead(lead);
    if (!created.ok()) {
      ::_exit(3);
    }
    // One line is far below PIPE_BUF, so the write is atomic: the parent sees whole ids only.
    const std::string line = created->identity.id + "\n";
    if (::write(report_fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
      ::_exit(4);
    }
  }
}

// Appends the complete lines in `buffer` to `ids`, keeping an unfinished last line in the buffer.
void take_lines(std::string& buffer, std::vector<std::string>& ids) {
  std::size_t start = 0;
  for (auto end = buffer.find('\n'); end != std::string::npos; end = buffer.find('\n', start)) {
    ids.push_back(buffer.substr(start, end - start));
    start = end + 1;
  }
  buffer.erase(0, start);
}

// Starts a writer, kills it once it has reported `kill_after` committed leads, and returns every id
// it reported before it died.
std::vector<std::string> write_and_kill(const fs::path& path, std::size_t kill_after,
                                        std::chrono::microseconds kill_delay, std::uint64_t seed) {
  int fds[2];
  if (::pipe(fds) != 0) {
    ADD_FAILURE() << "pipe failed";
    return {};
  }
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(fds[0]);
    write_leads_until_killed(path, fds[1], seed);
  }
  ::close(fds[1]);
  std::vector<std::string> ids;
  std::string buffer;
  char chunk[4096];
  bool writer_alive = true;
  while (writer_alive && ids.size() < kill_after) {
    pollfd readable{fds[0], POLLIN, 0};
    const int ready = ::poll(&readable, 1, poll_timeout_ms);
    if (ready <= 0) {
      ADD_FAILURE() << "the writer reported nothing for a minute";
      break;
    }
    const ssize_t n = ::read(fds[0], chunk, sizeof chunk);
    writer_alive = n > 0;
    if (writer_alive) {
      buffer.append(chunk, static_cast<std::size_t>(n));
      take_lines(buffer, ids);
    }
  }
  // The writer reports right after a commit; without a delay every kill would land at the same
  // point of its loop. The delay is not waiting for anything, it spreads the kills over a
  // transaction's phases.
  std::this_thread::sleep_for(kill_delay);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  // Whatever it reported before the kill landed was committed too.
  for (ssize_t n; (n = ::read(fds[0], chunk, sizeof chunk)) > 0;) {
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
  take_lines(buffer, ids);
  ::close(fds[0]);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the writer stopped by itself with exit status " << WEXITSTATUS(status);
  return ids;
}

using leadsync::test::RawDatabase;

class StoreCrashTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern = fs::path(::testing::TempDir()) / "leadsync-crash-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
};

TEST_F(StoreCrashTest, KilledWriterLosesNoCommittedLeadAndLeavesNoChangeWithoutItsOutboxEntry) {
  const auto path = dir_ / "state.db";
  std::vector<std::string> committed;
  SeededRandom jitter(20240611);
  for (int round = 0; round < rounds; ++round) {
    const std::size_t kill_after = kill_points[round % kill_points.size()];
    const auto kill_delay = std::chrono::microseconds{jitter.next_u64() % 1000};
    SCOPED_TRACE("killed " + std::to_string(kill_delay.count()) + " us after " +
                 std::to_string(kill_after) + " committed leads");
    const auto reported = write_and_kill(path, kill_after, kill_delay, round + 1);
    ASSERT_GE(reported.size(), kill_after);
    committed.insert(committed.end(), reported.begin(), reported.end());

    RawDatabase raw(path);
    EXPECT_EQ(raw.text("PRAGMA integrity_check"), "ok");
    raw.execute("CREATE TEMP TABLE reported (id TEXT PRIMARY KEY)");
    raw.run_for_each("INSERT INTO reported (id) VALUES (?1)", committed);
    EXPECT_EQ(raw.text("SELECT group_concat(id, ' ') FROM (SELECT id FROM reported "
                       "WHERE id NOT IN (SELECT id FROM leads) LIMIT 5)"),
              "")
        << "committed leads that are missing";
    EXPECT_EQ(raw.text("SELECT group_concat(id, ' ') FROM (SELECT id FROM leads WHERE (SELECT "
                       "count(*) FROM outbox WHERE outbox.lead_id = leads.id) <> 1 LIMIT 5)"),
              "")
        << "leads without exactly one outbox entry";
    EXPECT_EQ(raw.text("SELECT count(*) FROM leads WHERE NOT EXISTS (SELECT 1 FROM lead_emails "
                       "WHERE lead_emails.lead_id = leads.id)"),
              "0");

    // The store itself opens the recovered file and sees the same leads.
    auto store = open_sqlite_store(SqliteOptions{path});
    ASSERT_TRUE(store.ok()) << store.error().describe();
    EXPECT_EQ((*store)->stats().value().leads, std::stoll(raw.text("SELECT count(*) FROM leads")));
  }
}

} // namespace
} // namespace leadsync::store
