// `leadsync report --html`: a small store built through the CLI (init, import of JSON Lines leads
// with stages, grades and CRM outcomes), the page written, then opened in headless Chromium: the
// dumped DOM must hold the three charts with their bars, and the screenshot must be a real picture.
// The screenshot is kept as ${CMAKE_BINARY_DIR}/artifacts/report.png. Chromium is required (the
// Debian package `chromium`, scripts/install-deps.sh): without it the test fails, it never skips.

#include "support/cli_process.hpp"

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <iostream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;
using leadsync::testing::CliRun;
using leadsync::testing::read_file;
using nlohmann::json;
const auto quoted = leadsync::testing::shell_quoted;

std::string date_days_ago(int days) {
  const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  const std::chrono::year_month_day date{today - std::chrono::days{days}};
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return text;
}

// One JSON Lines lead: a list (vendor, acquired `age` days ago), a grade, a stage and an outcome.
std::string lead_line(int n, const std::string& vendor, int age, const std::string& grade,
                      const std::string& stage, const std::string& outcome_kind, int status_code,
                      bool pushed) {
  json lead = {{"person",
                {{"first_name", "Lead"},
                 {"last_name", "Number" + std::to_string(n)},
                 {"emails", json::array({"lead" + std::to_string(n) + "@example-" +
                                         std::to_string(n) + ".com"})}}},
               {"company", {{"name", "Company " + std::to_string(n)}}},
               {"origin",
                {{"channel", "purchased_list"},
                 {"lists", json::array({json{{"vendor", vendor},
                                             {"list_id", vendor + "-1"},
                                             {"acquired_on", date_days_ago(age)}}})}}},
               {"qualification", {{"stage", stage}, {"grade", grade}}}};
  if (!outcome_kind.empty()) {
    lead["qualification"]["outcome"] = {{"kind", outcome_kind},
                                        {"status_code", status_code},
                                        {"reason", "test"},
                                        {"decided_by", "leadsync:rules"},
                                        {"pushed", pushed}};
  }
  return lead.dump() + "\n";
}

std::string find_chromium() {
  for (const char* candidate : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (fs::exists(candidate)) {
      return candidate;
    }
  }
  return {};
}

struct PngInfo {
  bool valid = false;
  std::uint32_t width = 0;
  std::uint32_t height = 0;
};

// The signature and the IHDR chunk: enough to know it is a PNG of the asked size.
PngInfo png_info(const std::string& bytes) {
  static const std::string signature = "\x89PNG\r\n\x1a\n";
  if (bytes.size() < 24 || bytes.compare(0, 8, signature) != 0 ||
      bytes.compare(12, 4, "IHDR") != 0) {
    return {.valid = false, .width = 0, .height = 0};
  }
  const auto be32 = [&](std::size_t at) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at])) << 24 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 1])) << 16 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 2])) << 8 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 3]));
  };
  return {.valid = true, .width = be32(16), .height = be32(20)};
}

std::size_t count_of(const std::string& text, const std::regex& pattern) {
  return static_cast<std::size_t>(std::distance(
      std::sregex_iterator(text.begin(), text.end(), pattern), std::sregex_iterator()));
}

// The <svg> element with this id, as the DOM dump has it.
std::string svg_with_id(const std::string& dom, const std::string& id) {
  const auto at = dom.find("id=\"" + id + "\"");
  if (at == std::string::npos) {
    return {};
  }
  const auto start = dom.rfind("<svg", at);
  const auto end = dom.find("</svg>", at);
  return start == std::string::npos || end == std::string::npos ? std::string()
                                                                : dom.substr(start, end - start);
}

class ReportHtmlTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("leadsync-report-html-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_EQ(leadsync("init " + quoted(dir_.string())).exit_code, 0);
  }
  void TearDown() override { fs::remove_all(dir_); }

  CliRun leadsync(const std::string& args) {
    return leadsync::testing::run_leadsync(LEADSYNC_EXE, args, dir_);
  }
  CliRun command(const std::string& args) {
    return leadsync("-c " + quoted((dir_ / "leadsync.toml").string()) + " " + args);
  }

  // Runs Chromium headless; its own output goes to a file (it is chatty on stderr).
  int chromium(const std::string& browser, const std::string& args, const fs::path& out) {
    const std::string line = quoted(browser) +
                             " --headless --disable-gpu --no-sandbox --hide-scrollbars "
                             "--user-data-dir=" +
                             quoted((dir_ / "chromium-profile").string()) + " " + args + " >" +
                             quoted(out.string()) + " 2>" +
                             quoted((dir_ / "chromium-stderr.txt").string()) + " </dev/null";
    const int status = std::system(line.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  fs::path dir_;
};

TEST_F(ReportHtmlTest, ChartsRenderInHeadlessChromium) {
  const std::string browser = find_chromium();
  ASSERT_FALSE(browser.empty())
      << "chromium is not installed: run scripts/install-deps.sh (Debian package chromium)";

  // 8 leads: two vendors, four list ages, grades A-D, qualified, disqualified and open.
  std::string leads;
  leads += lead_line(1, "Acme Data", 3, "A", "qualified", "qualify", 3, true);
  leads += lead_line(2, "Acme Data", 3, "A", "sql", "qualify", 3, true);
  leads += lead_line(3, "Acme Data", 20, "B", "mql", "", 0, false);
  leads += lead_line(4, "Acme Data", 20, "B", "qualified", "qualify", 3, true);
  leads += lead_line(5, "ListCo", 45, "C", "disqualified", "disqualify", 4, true);
  leads += lead_line(6, "ListCo", 45, "C", "cold", "", 0, false);
  leads += lead_line(7, "ListCo", 200, "D", "disqualified", "disqualify", 5, true);
  leads += lead_line(8, "ListCo", 200, "D", "cold", "disqualify", 6, false);
  const auto file = dir_ / "leads.jsonl";
  std::ofstream(file, std::ios::binary) << leads;
  const auto imported = command("import " + quoted(file.string()) + " --json");
  ASSERT_EQ(imported.exit_code, 0) << imported.err << imported.out;

  // The numbers the page draws.
  const auto report_run = command("report --by vendor --json");
  ASSERT_EQ(report_run.exit_code, 0) << report_run.err;
  const auto report = json::parse(report_run.out);
  EXPECT_EQ(report.at("overall").at("leads"), 8);
  EXPECT_EQ(report.at("overall").at("qualified"), 3);
  EXPECT_EQ(report.at("overall").at("disqualified"), 2);
  EXPECT_EQ(report.at("won_lost"), "not visible");
  ASSERT_EQ(report.at("groups").size(), 2u);
  EXPECT_EQ(report.at("groups")[0].at("group"), "Acme Data");
  EXPECT_DOUBLE_EQ(report.at("groups")[0].at("conversion_rate").get<double>(), 0.75);
  EXPECT_EQ(report.at("score_predicts_conversion"), true);

  const auto page = dir_ / "report.html";
  const auto written = command("report --html " + quoted(page.string()));
  ASSERT_EQ(written.exit_code, 0) << written.err;
  const std::string html = read_file(page);
  // Self-contained: nothing fetched from anywhere.
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);

  // The DOM as Chromium built it.
  const auto dom_file = dir_ / "dom.html";
  ASSERT_EQ(chromium(browser, "--dump-dom " + quoted("file://" + page.string()), dom_file), 0)
      << read_file(dir_ / "chromium-stderr.txt");
  const std::string dom = read_file(dom_file);
  EXPECT_EQ(count_of(dom, std::regex("<svg[^>]*class=\"chart\"")), 3u) << dom;
  const std::regex bar("<rect[^>]*class=\"bar\"");
  const auto vendor = svg_with_id(dom, "chart-vendor");
  const auto age = svg_with_id(dom, "chart-list-age");
  const auto grade = svg_with_id(dom, "chart-grade");
  EXPECT_EQ(count_of(vendor, bar), 2u) << vendor;
  EXPECT_EQ(count_of(age, bar), 6u) << age;
  EXPECT_EQ(count_of(grade, bar), 4u) << grade;
  // Labels and values are text, not only shapes.
  EXPECT_NE(vendor.find("Acme Data"), std::string::npos);
  EXPECT_NE(vendor.find("75.0% (3 of 4)"), std::string::npos);
  EXPECT_NE(grade.find("100.0% (2 of 2)"), std::string::npos);
  EXPECT_NE(age.find("1-7"), std::string::npos);
  EXPECT_NE(dom.find("Won/lost: not visible"), std::string::npos);

  // The screenshot, and one of an empty page of the same size to compare with.
  const auto png = dir_ / "report.png";
  ASSERT_EQ(chromium(browser,
                     "--screenshot=" + quoted(png.string()) + " --window-size=1200,1600 " +
                         quoted("file://" + page.string()),
                     dir_ / "chromium-stdout.txt"),
            0)
      << read_file(dir_ / "chromium-stderr.txt");
  ASSERT_TRUE(fs::exists(png));
  const std::string picture = read_file(png);
  const auto info = png_info(picture);
  ASSERT_TRUE(info.valid);
  EXPECT_EQ(info.width, 1200u);
  EXPECT_EQ(info.height, 1600u);
  const auto blank_page = dir_ / "blank.html";
  std::ofstream(blank_page)
      << "<!DOCTYPE html><html><body style=\"background:#fff\"></body></html>";
  const auto blank = dir_ / "blank.png";
  ASSERT_EQ(chromium(browser,
                     "--screenshot=" + quoted(blank.string()) + " --window-size=1200,1600 " +
                         quoted("file://" + blank_page.string()),
                     dir_ / "chromium-stdout.txt"),
            0);
  // A single colour compresses to almost nothing; text, bars and tables do not.
  const auto blank_size = fs::file_size(blank);
  EXPECT_GT(picture.size(), 10'000u);
  EXPECT_GT(picture.size(), blank_size * 4) << "blank page: " << blank_size << " bytes";

  const fs::path artifacts = fs::path(REPORT_ARTIFACTS_DIR);
  fs::create_directories(artifacts);
  fs::copy_file(png, artifacts / "report.png", fs::copy_options::overwrite_existing);
  fs::copy_file(page, artifacts / "report.html", fs::copy_options::overwrite_existing);
  std::cout << "report screenshot: " << (artifacts / "report.png").string() << " ("
            << picture.size() << " bytes; blank page " << blank_size << " bytes)\n";
}

} // namespace
