// `leadsync report`: what converts. The numbers come from qualify/report.hpp; this file only reads
// the store page by page and renders them as a table, JSON, CSV or one self-contained HTML page.

#include "commands.hpp"
#include "exit_codes.hpp"
#include "leadsync/core/clock.hpp"
#include "leadsync/importer/rejected_rows.hpp"
#include "leadsync/model/json.hpp"
#include "leadsync/qualify/report.hpp"
#include "output.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

namespace leadsync::cli {

namespace {

using qualify::Report;
using qualify::ReportRow;

struct ReportCommandOptions {
  std::string since;
  std::string by = "source";
  bool json = false;
  bool csv = false;
  std::string html;
};

constexpr std::size_t page_size = 1000;

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

std::string percent(double rate) {
  return fixed(rate * 100, 1) + "%";
}

std::string median_text(const ReportRow& row) {
  return row.median_days_to_qualify ? fixed(*row.median_days_to_qualify, 1) : "-";
}

double rounded(double value, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}

// ---- JSON
// -----------------------------------------------------------------------------------------------
nlohmann::json row_json(const ReportRow& row) {
  nlohmann::json reasons = nlohmann::json::array();
  for (std::size_t i = 0; i < qualify::disqualify_status_codes.size(); ++i) {
    const int code = qualify::disqualify_status_codes[i];
    reasons.push_back({{"status_code", code},
                       {"reason", qualify::disqualify_reason_label(code)},
                       {"count", row.disqualify_reasons[i]}});
  }
  reasons.push_back(
      {{"status_code", nullptr}, {"reason", "other"}, {"count", row.disqualify_other}});
  return {{"group", row.group},
          {"leads", row.leads},
          {"mql", row.mql},
          {"sql", row.sql},
          {"decided_qualify", row.decided_qualify},
          {"decided_disqualify", row.decided_disqualify},
          {"qualified", row.qualified},
          {"disqualified", row.disqualified},
          {"open", row.open},
          {"conversion_rate", rounded(row.conversion_rate, 4)},
          {"median_days_to_qualify", row.median_days_to_qualify
                                         ? nlohmann::json(rounded(*row.median_days_to_qualify, 2))
                                         : nlohmann::json(nullptr)},
          {"qualified_with_time", row.qualified_with_time},
          {"disqualification_reasons", std::move(reasons)}};
}

nlohmann::json rows_json(const std::vector<ReportRow>& rows) {
  nlohmann::json array = nlohmann::json::array();
  for (const auto& row : rows) {
    array.push_back(row_json(row));
  }
  return array;
}

nlohmann::json report_json(const Report& report) {
  return {{"by", qualify::to_string(report.by)},
          {"since", report.since ? nlohmann::json(model::format_time(*report.since))
                                 : nlohmann::json(nullptr)},
          {"overall", row_json(report.overall)},
          {"groups", rows_json(report.groups)},
          {"grade_bands", rows_json(report.grade_bands)},
          {"vendors", rows_json(report.vendors)},
          {"list_ages", rows_json(report.list_ages)},
          {"score_predicts_conversion", report.score_predicts_conversion
                                            ? nlohmann::json(*report.score_predicts_conversion)
                                            : nlohmann::json(nullptr)},
          {"won_lost", report.won_lost}};
}

// ---- CSV
// ------------------------------------------------------------------------------------------------
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) {
    return text;
  }
  std::string quoted = "\"";
  for (const char c : text) {
    quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  }
  return quoted + "\"";
}

void print_csv(std::ostream& out, const Report& report) {
  out << "section,group,leads,mql,sql,decided_qualify,decided_disqualify,qualified,disqualified,"
         "open,conversion_rate,median_days_to_qualify,lost,cannot_contact,no_longer_interested,"
         "canceled,other_reason\r\n";
  const auto print = [&](const std::string& section, const ReportRow& row) {
    // Groups are vendors' and lists' names from purchased files: never a formula (CSV injection).
    out << section << "," << csv_field(importer::spreadsheet_safe(row.group)) << "," << row.leads
        << "," << row.mql << "," << row.sql << "," << row.decided_qualify << ","
        << row.decided_disqualify << "," << row.qualified << "," << row.disqualified << ","
        << row.open << "," << fixed(row.conversion_rate, 4) << ","
        << (row.median_days_to_qualify ? fixed(*row.median_days_to_qualify, 2) : "");
    for (const auto count : row.disqualify_reasons) {
      out << "," << count;
    }
    out << "," << row.disqualify_other << "\r\n";
  };
  print("overall", report.overall);
  for (const auto& row : report.groups) {
    print(std::string(qualify::to_string(report.by)), row);
  }
  for (const auto& row : report.grade_bands) {
    print("grade_band", row);
  }
}

// ---- text
// -----------------------------------------------------------------------------------------------
void add_rows(Table& table, const std::vector<ReportRow>& rows) {
  for (const auto& row : rows) {
    table.add_row({truncate_display(row.group, 40), std::to_string(row.leads),
                   std::to_string(row.mql), std::to_string(row.sql),
                   std::to_string(row.decided_qualify), std::to_string(row.qualified),
                   std::to_string(row.disqualified), percent(row.conversion_rate),
                   median_text(row)});
  }
}

std::vector<std::string> table_headers() {
  return {"GROUP",     "LEADS",        "MQL",  "SQL",        "DECIDED-Q",
          "QUALIFIED", "DISQUALIFIED", "CONV", "MEDIAN-DAYS"};
}

std::string predicts_text(const Report& report) {
  if (!report.score_predicts_conversion) {
    return "not enough graded leads to tell";
  }
  return *report.score_predicts_conversion ? "yes: conversion falls from grade A to D"
                                           : "no: conversion does not fall from grade A to D";
}

void print_text(std::ostream& out, const Report& report) {
  out << "leadsync report by " << qualify::to_string(report.by);
  if (report.since) {
    out << ", leads created since " << model::format_time(*report.since);
  }
  out << "\n\n";
  Table groups(table_headers());
  add_rows(groups, report.groups);
  add_rows(groups, {report.overall});
  groups.print(out);
  out << "\nDisqualification reasons (all leads):\n";
  Table reasons({"  STATUS", "REASON", "LEADS"});
  for (std::size_t i = 0; i < qualify::disqualify_status_codes.size(); ++i) {
    const int code = qualify::disqualify_status_codes[i];
    reasons.add_row({"  " + std::to_string(code),
                     std::string(qualify::disqualify_reason_label(code)),
                     std::to_string(report.overall.disqualify_reasons[i])});
  }
  reasons.add_row({"  -", "other", std::to_string(report.overall.disqualify_other)});
  reasons.print(out);
  out << "\nBy grade band (does the score predict conversion? " << predicts_text(report) << "):\n";
  Table grades(table_headers());
  add_rows(grades, report.grade_bands);
  grades.print(out);
  out << "\nWon/lost: " << report.won_lost
      << " (leadsync keeps no opportunity state; qualified means qualified in the CRM)\n";
}

// ---- HTML
// -----------------------------------------------------------------------------------------------
std::string html_escape(const std::string& text) {
  std::string escaped;
  for (const char c : text) {
    switch (c) {
    case '&':
      escaped += "&amp;";
      break;
    case '<':
      escaped += "&lt;";
      break;
    case '>':
      escaped += "&gt;";
      break;
    case '"':
      escaped += "&quot;";
      break;
    case '\'':
      escaped += "&#39;";
      break;
    default:
      escaped += c;
    }
  }
  return escaped;
}

std::string bar_value_text(const ReportRow& row) {
  if (row.leads == 0) {
    return "no leads";
  }
  return percent(row.conversion_rate) + " (" + std::to_string(row.qualified) + " of " +
         std::to_string(row.leads) + ")";
}

// A horizontal bar chart of conversion per row, labels left, values right; 0..100%.
void svg_chart(std::ostream& out, const std::string& id, const std::string& title,
               const std::vector<ReportRow>& rows) {
  constexpr int width = 760;
  constexpr int label_width = 220;
  constexpr int value_width = 150;
  constexpr int bar_area = width - label_width - value_width;
  constexpr int row_height = 30;
  constexpr int top = 10;
  const int height = top * 2 + row_height * static_cast<int>(std::max<std::size_t>(rows.size(), 1));
  out << "<figure>\n<svg class=\"chart\" id=\"" << id << "\" role=\"img\" aria-labelledby=\"" << id
      << "-title " << id << "-desc\" width=\"" << width << "\" height=\"" << height
      << "\" viewBox=\"0 0 " << width << " " << height
      << "\" xmlns=\"http://www.w3.org/2000/svg\">\n<title id=\"" << id << "-title\">"
      << html_escape(title) << "</title>\n<desc id=\"" << id << "-desc\">";
  for (const auto& row : rows) {
    out << html_escape(row.group) << ": " << html_escape(bar_value_text(row)) << ". ";
  }
  out << "</desc>\n";
  if (rows.empty()) {
    out << "<text x=\"10\" y=\"" << top + 20 << "\">no leads</text>\n";
  }
  int y = top;
  for (const auto& row : rows) {
    const double length = row.conversion_rate * bar_area;
    out << "<g class=\"row\">\n"
        << "<text class=\"label\" x=\"" << label_width - 8 << "\" y=\"" << y + 20
        << "\" text-anchor=\"end\">" << html_escape(truncate_display(row.group, 28)) << "</text>\n"
        << "<rect class=\"track\" x=\"" << label_width << "\" y=\"" << y + 4 << "\" width=\""
        << bar_area << "\" height=\"" << row_height - 8 << "\"/>\n"
        << "<rect class=\"bar\" x=\"" << label_width << "\" y=\"" << y + 4 << "\" width=\""
        << fixed(std::max(length, row.leads > 0 ? 2.0 : 0.0), 1) << "\" height=\"" << row_height - 8
        << "\"><title>" << html_escape(row.group) << ": " << html_escape(bar_value_text(row))
        << "</title></rect>\n"
        << "<text class=\"value\" x=\"" << label_width + bar_area + 8 << "\" y=\"" << y + 20
        << "\">" << html_escape(bar_value_text(row)) << "</text>\n</g>\n";
    y += row_height;
  }
  out << "</svg>\n<figcaption>" << html_escape(title) << "</figcaption>\n</figure>\n";
}

void html_table(std::ostream& out, const std::string& caption, const std::vector<ReportRow>& rows) {
  out << "<table>\n<caption>" << html_escape(caption) << "</caption>\n<thead><tr>";
  for (const auto* header : {"Group", "Leads", "MQL", "SQL", "Decided qualify", "Qualified",
                             "Disqualified", "Open", "Conversion", "Median days to qualify"}) {
    out << "<th scope=\"col\">" << header << "</th>";
  }
  out << "</tr></thead>\n<tbody>\n";
  for (const auto& row : rows) {
    out << "<tr><th scope=\"row\">" << html_escape(row.group) << "</th><td>" << row.leads
        << "</td><td>" << row.mql << "</td><td>" << row.sql << "</td><td>" << row.decided_qualify
        << "</td><td>" << row.qualified << "</td><td>" << row.disqualified << "</td><td>"
        << row.open << "</td><td>" << percent(row.conversion_rate) << "</td><td>"
        << median_text(row) << "</td></tr>\n";
  }
  out << "</tbody>\n</table>\n";
}

constexpr const char* page_style = R"(
body { font-family: sans-serif; margin: 2em; color: #1b1b1b; background: #ffffff; max-width: 1100px; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.8em 0; }
caption { text-align: left; font-weight: bold; padding-bottom: 0.3em; }
th, td { border: 1px solid #c8c8c8; padding: 0.25em 0.6em; text-align: right; }
th[scope=row], thead th:first-child { text-align: left; }
thead th { background: #eef2f7; }
figure { margin: 1em 0; }
figcaption { font-size: 0.9em; color: #444; }
svg.chart text { font-size: 13px; fill: #1b1b1b; }
svg.chart rect.track { fill: #e8ecf1; }
svg.chart rect.bar { fill: #2b6cb0; }
.summary li { margin: 0.2em 0; }
)";

void write_html(std::ostream& out, const Report& report) {
  const auto& all = report.overall;
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      << "<title>leadsync report</title>\n<style>" << page_style << "</style>\n</head>\n<body>\n"
      << "<h1>leadsync report: what converts</h1>\n<p>Grouped by " << qualify::to_string(report.by)
      << (report.since ? ", leads created since " + model::format_time(*report.since) : "")
      << ".</p>\n<ul class=\"summary\">\n"
      << "<li>Leads: " << all.leads << "</li>\n"
      << "<li>MQL or beyond: " << all.mql << "; SQL or beyond: " << all.sql << "</li>\n"
      << "<li>Qualified in the CRM: " << all.qualified << " (conversion "
      << percent(all.conversion_rate) << "); disqualified: " << all.disqualified
      << "; open: " << all.open << "</li>\n"
      << "<li>Median days to qualify: " << median_text(all) << "</li>\n"
      << "<li>Does the score predict conversion? " << html_escape(predicts_text(report))
      << "</li>\n"
      << "<li>Won/lost: " << html_escape(report.won_lost) << "</li>\n</ul>\n";
  out << "<h2>Conversion by list vendor</h2>\n";
  svg_chart(out, "chart-vendor", "Conversion by list vendor", report.vendors);
  out << "<h2>Conversion by list age</h2>\n";
  svg_chart(out, "chart-list-age", "Conversion by list age bucket (days at import)",
            report.list_ages);
  out << "<h2>Conversion by grade band</h2>\n";
  svg_chart(out, "chart-grade", "Conversion by grade band", report.grade_bands);
  out << "<h2>Details</h2>\n";
  std::vector<ReportRow> groups = report.groups;
  groups.push_back(report.overall);
  html_table(out, "By " + std::string(qualify::to_string(report.by)), groups);
  html_table(out, "By grade band", report.grade_bands);
  html_table(out, "By list vendor", report.vendors);
  html_table(out, "By list age bucket", report.list_ages);
  out << "<table>\n<caption>Disqualification reasons</caption>\n<thead><tr><th "
         "scope=\"col\">Status</th><th scope=\"col\">Reason</th><th "
         "scope=\"col\">Leads</th></tr></thead>\n<tbody>\n";
  for (std::size_t i = 0; i < qualify::disqualify_status_codes.size(); ++i) {
    const int code = qualify::disqualify_status_codes[i];
    out << "<tr><td>" << code << "</td><th scope=\"row\">" << qualify::disqualify_reason_label(code)
        << "</th><td>" << all.disqualify_reasons[i] << "</td></tr>\n";
  }
  out << "<tr><td>-</td><th scope=\"row\">other</th><td>" << all.disqualify_other
      << "</td></tr>\n</tbody>\n</table>\n</body>\n</html>\n";
}

// ---- the command
// ----------------------------------------------------------------------------------------
Result<std::optional<model::TimePoint>> parse_since(const std::string& text) {
  if (text.empty()) {
    return std::optional<model::TimePoint>();
  }
  if (auto date = model::parse_date(text); date.ok()) {
    return std::optional<model::TimePoint>(std::chrono::sys_days(*date));
  }
  if (auto time = model::parse_time(text); time.ok()) {
    return std::optional<model::TimePoint>(*time);
  }
  return fail(ErrorCategory::invalid_argument,
              "--since takes a date YYYY-MM-DD or an RFC 3339 time, got '" + text + "'");
}

int run_report(Context& context, const ReportCommandOptions& options) {
  const auto by = qualify::parse_report_dimension(options.by);
  if (!by) {
    context.err() << "error: --by takes source, vendor, list, age, grade or stage\n";
    return exit_usage;
  }
  auto since = parse_since(options.since);
  if (!since.ok()) {
    return context.report(since.error());
  }
  if (!context.load_config()) {
    return exit_usage;
  }
  auto store = context.store();
  if (!store.ok()) {
    return context.report(store.error());
  }
  const auto now = SystemClock::instance().now();
  qualify::ReportBuilder builder(
      {.by = *by,
       .since = *since,
       .today = model::Date{std::chrono::floor<std::chrono::days>(now)}});
  store::PageRequest page{.limit = page_size, .after = {}};
  do {
    auto leads = store.value()->list_leads({}, page);
    if (!leads.ok()) {
      return context.report(leads.error());
    }
    for (const auto& lead : leads->leads) {
      builder.add(lead);
    }
    page.after = leads->next;
  } while (!page.after.empty());
  const Report report = builder.finish();

  if (!options.html.empty()) {
    std::ostringstream page_text;
    write_html(page_text, report);
    std::ofstream file(options.html, std::ios::binary | std::ios::trunc);
    file << page_text.str();
    file.close();
    if (!file) {
      context.err() << "error: cannot write " << options.html << "\n";
      return exit_usage;
    }
    context.out() << "wrote " << options.html << " (" << report.overall.leads << " leads)\n";
    return exit_ok;
  }
  if (options.json) {
    context.out() << report_json(report).dump(2) << "\n";
  } else if (options.csv) {
    print_csv(context.out(), report);
  } else {
    print_text(context.out(), report);
  }
  return exit_ok;
}

} // namespace

void add_report_command(CLI::App& app, Context& context, int& exit_code) {
  auto options = std::make_shared<ReportCommandOptions>();
  auto* command = app.add_subcommand(
      "report", "What converts: leads, MQL, SQL, qualified, conversion, days to qualify, "
                "disqualification reasons and conversion by grade band");
  command->add_option("--since", options->since,
                      "Only leads created on or after this date (YYYY-MM-DD or RFC 3339 time)");
  command->add_option("--by", options->by, "Group by source, vendor, list, age, grade or stage")
      ->check(CLI::IsMember({"source", "vendor", "list", "age", "grade", "stage"}))
      ->capture_default_str();
  auto* json = command->add_flag("--json", options->json, "Print one JSON document");
  auto* csv = command->add_flag("--csv", options->csv, "Print CSV rows");
  auto* html = command->add_option("--html", options->html,
                                   "Write one self-contained HTML page with charts to FILE");
  json->excludes(csv)->excludes(html);
  csv->excludes(html);
  command->callback([&context, &exit_code, options] { exit_code = run_report(context, *options); });
}

} // namespace leadsync::cli
