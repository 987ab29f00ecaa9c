// Fault suite, injection (issue 18): lead data from outside must not drive the terminal or forge
// log lines. A lead imported from JSON Lines holds a newline followed by a log-line prefix and an
// ANSI escape sequence; a file name holds the same.

#include "support/cli_process.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <string>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using leadsync::testing::CliRun;

const std::string forged_line = "2026-11-22T20:00:00.000Z [info] forged";
const std::string red = "\x1b[31m";

std::size_t line_count(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
    ++count;
  }
  return count;
}

// Lines that start with the forged prefix: each would be a log line nobody wrote.
std::size_t forged_lines(const std::string& text) {
  return count_of("\n" + text, "\n" + forged_line);
}

class TerminalInjectionTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("leadsync-terminal-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_EQ(leadsync("init " + dir_.string()).exit_code, 0);
  }
  void TearDown() override { fs::remove_all(dir_); }

  CliRun leadsync(const std::string& args) {
    return leadsync::testing::run_leadsync(LEADSYNC_EXE, args, dir_);
  }
  CliRun run(const std::string& args) {
    return leadsync("-c " + (dir_ / "leadsync.toml").string() + " --log-format text " + args);
  }

  // One hostile lead as JSON Lines, in a file of that name; returns its path.
  fs::path write_hostile_lead(const std::string& name) {
    const nlohmann::json lead = {{"person",
                                  {{"first_name", "Ann\n" + forged_line},
                                   {"last_name", red + "Evil\x1b[0m"},
                                   {"job_title", "CTO\r\x1b[2K\x07"},
                                   {"emails", {"ann@hostile.example"}}}},
                                 {"company", {{"name", red + "Hostile Ltd\x1b]0;owned\x07"}}}};
    auto path = dir_ / name;
    std::ofstream(path, std::ios::binary) << lead.dump() << "\n";
    return path;
  }

  fs::path dir_;
};

// Promise: `leads list` and `leads show` print a hostile lead's control characters as visible
// escapes: no raw ESC or BEL byte reaches the terminal and no field adds a line.
TEST_F(TerminalInjectionTest, LeadsListAndShowPrintControlCharactersOfALeadAsVisibleEscapes) {
  const auto imported = run("import " + write_hostile_lead("leads.jsonl").string() + " --json");
  ASSERT_EQ(imported.exit_code, 0) << imported.out << imported.err;

  const auto list = run("leads list");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(count_of(list.out, "\x1b"), 0U) << list.out;
  EXPECT_EQ(count_of(list.out, "\x07"), 0U) << list.out;
  EXPECT_EQ(line_count(list.out), 3U) << "header, one lead, the count:\n" << list.out;
  EXPECT_EQ(forged_lines(list.out), 0U) << list.out;
  EXPECT_EQ(count_of(list.out, "Ann\\n2026-"), 1U) << list.out;
  EXPECT_EQ(count_of(list.out, "\\x1b[31mHostile"), 1U) << list.out;

  const auto listed = run("leads list --json");
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const auto document = nlohmann::json::parse(listed.out);
  ASSERT_EQ(document.at("leads").size(), 1U);
  const std::string id = document["leads"][0].at("identity").at("id");
  EXPECT_EQ(document["leads"][0]["person"]["first_name"], "Ann\n" + forged_line)
      << "--json keeps the exact value";

  const auto show = run("leads show " + id);
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_EQ(count_of(show.out, "\x1b"), 0U) << show.out;
  EXPECT_EQ(count_of(show.out, "\x07"), 0U) << show.out;
  EXPECT_EQ(count_of(show.out, "\r"), 0U) << show.out;
  EXPECT_EQ(forged_lines(show.out), 0U) << show.out;
  EXPECT_EQ(count_of(show.out, "Ann\\n" + forged_line), 1U) << show.out;
  EXPECT_EQ(count_of(show.out, "CTO\\r\\x1b[2K\\x07"), 1U) << show.out;
  EXPECT_EQ(count_of(show.out, "\\x1b]0;owned\\x07"), 1U) << show.out;
}

// Promise: an info line of the text log holds a hostile value (here the imported file's name, as
// a watch folder would receive it) on that one line, with visible escapes: no forged line, no ESC.
TEST_F(TerminalInjectionTest, LogInjectionThroughAFileNameStaysOnOneVisibleLine) {
  const auto path = write_hostile_lead("x\n" + forged_line + " " + red + ".jsonl");
  const auto imported =
      run("--log-level info import " + leadsync::testing::shell_quoted(path.string()));
  ASSERT_EQ(imported.exit_code, 0) << imported.out << imported.err;

  EXPECT_EQ(count_of(imported.err, "\x1b"), 0U) << imported.err;
  EXPECT_EQ(forged_lines(imported.err), 0U) << imported.err;
  EXPECT_GE(count_of(imported.err, "[info] import "), 1U) << imported.err;
  EXPECT_EQ(count_of(imported.err, "x\\n" + forged_line + " \\x1b[31m.jsonl"),
            count_of(imported.err, "[info] import "))
      << imported.err;
  EXPECT_EQ(count_of(imported.out, "\x1b"), 0U) << imported.out;
  EXPECT_EQ(forged_lines(imported.out), 0U) << imported.out;
}

} // namespace
