#include "leadsync/importer/events_import.hpp"

#include "detail/bounded_line.hpp"
#include "leadsync/core/bounded_read.hpp"
#include "leadsync/core/json_limits.hpp"
#include "leadsync/core/text.hpp"
#include "leadsync/core/uuid.hpp"
#include "leadsync/model/json.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace leadsync::importer {
namespace {

constexpr std::string_view time_example =
    "2026-11-22T20:00:00Z or 2026-11-22T23:00:00+03:00 (RFC 3339 with Z or an offset)";
constexpr std::string_view json_example =
    R"({"email":"anna@example.com","kind":"page_visit","occurred_at":"2026-11-22T20:00:00Z",)"
    R"("detail":"https://example.com/pricing"})";

constexpr std::array<std::string_view, 7> field_names = {
    "lead_id", "email", "kind", "occurred_at", "detail", "weight", "event_id"};
enum Field : std::size_t {
  field_lead_id,
  field_email,
  field_kind,
  field_occurred_at,
  field_detail,
  field_weight,
  field_event_id
};

std::string field_list() {
  return text::join(field_names, ", ");
}

// A value as long as the message should show it.
std::string shown(std::string_view value) {
  constexpr std::size_t limit = 60;
  if (value.size() <= limit) {
    return std::string(value);
  }
  auto cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0U) == 0x80U) {
    --cut; // not inside a UTF-8 sequence
  }
  return std::string(value.substr(0, cut)) + "…";
}

std::optional<std::size_t> field_index(std::string_view name) {
  for (std::size_t i = 0; i < field_names.size(); ++i) {
    if (field_names[i] == name) {
      return i;
    }
  }
  return std::nullopt;
}

// One event as read, before checking: text values (absent: not given or blank).
struct RawEvent {
  std::array<std::optional<std::string>, field_names.size()> values;
  std::vector<std::string> problems; // found while reading (wrong JSON types)
};

// Where a lead reference led: the lead's id, or why there is none.
struct Resolution {
  std::string lead_id;
  std::string problem; // non-empty: unknown or ambiguous
};

class EventsImporter {
public:
  EventsImporter(store::Store& store, const EventsImportOptions& options)
      : store_(store), batch_size_(std::max<std::size_t>(options.batch_size, 1)) {}

  EventsImportReport& report() { return report_; }

  // Checks one event and queues it for the store.
  Status take(RawEvent raw, std::int64_t line) {
    ++report_.read;
    auto& values = raw.values;
    std::vector<std::string> problems = std::move(raw.problems);

    model::BehaviourEvent event;
    if (const auto& text = values[field_kind]; !text) {
      problems.push_back("kind is missing; write one of " + behaviour_kind_names());
    } else if (auto parsed = model::parse_behaviour_kind(text::ascii_lower(*text)); parsed.ok()) {
      event.kind = *parsed;
    } else {
      problems.push_back("kind '" + shown(*text) + "' is not a behaviour kind; write one of " +
                         behaviour_kind_names());
    }
    if (const auto& text = values[field_occurred_at]; !text) {
      problems.push_back("occurred_at is missing; write the time as " + std::string(time_example));
    } else if (auto parsed = model::parse_time(*text); parsed.ok()) {
      event.occurred_at = *parsed;
    } else {
      problems.push_back("occurred_at '" + shown(*text) + "' is not a time; write " +
                         std::string(time_example));
    }
    if (const auto& text = values[field_weight]; text) {
      double number = 0;
      const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), number);
      if (ec == std::errc() && end == text->data() + text->size() && std::isfinite(number) &&
          number > 0) {
        event.weight = number;
      } else {
        problems.push_back("weight '" + shown(*text) +
                           "' is not a number greater than 0; write e.g. 1 or 2.5, or leave it "
                           "out for 1");
      }
    }
    std::string lead_id_text;
    if (values[field_lead_id]) {
      auto parsed = Uuid::parse(*values[field_lead_id]);
      if (parsed.ok()) {
        lead_id_text = parsed->to_string();
      } else {
        problems.push_back("lead_id '" + shown(*values[field_lead_id]) +
                           "' is not a lead id; write the id `leadsync leads list` shows (a "
                           "UUID such as 0190c3a2-7b1e-7c4d-9f2a-1b2c3d4e5f60), or give email "
                           "instead");
      }
    } else if (!values[field_email]) {
      problems.push_back("the lead is missing; give lead_id or email");
    }
    event.detail = values[field_detail].value_or("");
    event.event_id = values[field_event_id].value_or("");

    if (!problems.empty()) {
      std::string message;
      for (const auto& problem : problems) {
        message += (message.empty() ? "" : "; ") + problem;
      }
      ++report_.rejected;
      add_problem(line, std::move(message));
      return ok_status();
    }

    LEADSYNC_TRY(const auto resolution, values[field_lead_id]
                                            ? resolve_id(lead_id_text)
                                            : resolve_email(*values[field_email]));
    if (!resolution.problem.empty()) {
      ++report_.unknown_leads;
      add_problem(line, resolution.problem);
      return ok_status();
    }
    event.lead_id = resolution.lead_id;

    if (!event.event_id.empty() && !seen_event_ids_.insert(event.event_id).second) {
      ++report_.duplicates; // earlier in the file
      return ok_status();
    }
    pending_.push_back(std::move(event));
    if (pending_.size() >= batch_size_) {
      return flush();
    }
    return ok_status();
  }

  // Stores the queued events in one transaction.
  Status flush() {
    if (pending_.empty()) {
      return ok_status();
    }
    LEADSYNC_TRY(const auto stored, store_.add_events(pending_));
    report_.added += stored.added;
    report_.duplicates += stored.duplicates;
    auto duplicate = stored.duplicate_positions.begin();
    for (std::size_t i = 0; i < pending_.size(); ++i) {
      if (duplicate != stored.duplicate_positions.end() && *duplicate == i) {
        ++duplicate;
        continue;
      }
      ++report_.added_by_kind[std::string(model::to_string(pending_[i].kind))];
    }
    pending_.clear();
    return ok_status();
  }

  void reject(std::int64_t line, std::string message) {
    ++report_.read;
    ++report_.rejected;
    add_problem(line, std::move(message));
  }

private:
  void add_problem(std::int64_t line, std::string message) {
    ++report_.problem_count;
    if (report_.problems.size() < max_event_problems) {
      report_.problems.push_back({.line = line, .message = std::move(message)});
    }
  }

  Result<Resolution> resolve_id(const std::string& id) {
    if (const auto known = by_id_.find(id); known != by_id_.end()) {
      return known->second;
    }
    Resolution resolution;
    auto lead = store_.get_lead(id);
    if (lead.ok() && !lead->deleted) {
      resolution.lead_id = lead->identity.id;
    } else if (lead.ok()) {
      resolution.problem = "the lead " + id +
                           " was deleted; events are kept for live leads only (leads are never "
                           "created from events)";
    } else if (lead.error().category == ErrorCategory::not_found) {
      resolution.problem = "there is no lead " + id +
                           "; import the lead first (leads are never created from events) or "
                           "correct lead_id";
    } else {
      return fail(lead.error());
    }
    by_id_.emplace(id, resolution);
    return resolution;
  }

  Result<Resolution> resolve_email(const std::string& given) {
    const auto address = text::ascii_lower(given);
    if (const auto known = by_email_.find(address); known != by_email_.end()) {
      return known->second;
    }
    LEADSYNC_TRY(const auto leads, store_.find_by_email(address));
    Resolution resolution;
    if (leads.empty()) {
      resolution.problem = "no lead has the e-mail " + shown(given) +
                           "; import the lead first (leads are never created from events) or "
                           "give its lead_id";
    } else if (leads.size() > 1) {
      std::string ids;
      constexpr std::size_t shown_ids = 3;
      for (std::size_t i = 0; i < std::min(leads.size(), shown_ids); ++i) {
        ids += (ids.empty() ? "" : ", ") + leads[i].identity.id;
      }
      if (leads.size() > shown_ids) {
        ids += ", ...";
      }
      resolution.problem = "the e-mail " + shown(given) + " is held by " +
                           std::to_string(leads.size()) + " leads (" + ids +
                           "); give lead_id instead of email to say which";
    } else {
      resolution.lead_id = leads.front().identity.id;
    }
    by_email_.emplace(address, resolution);
    return resolution;
  }

  store::Store& store_;
  std::size_t batch_size_;
  EventsImportReport report_;
  std::vector<model::BehaviourEvent> pending_;
  std::unordered_set<std::string> seen_event_ids_;
  std::unordered_map<std::string, Resolution> by_id_;
  std::unordered_map<std::string, Resolution> by_email_;
};

// ---- JSON Lines ---------------------------------------------------------------------------------

// A JSON value as the text of a field; problems go to `raw`.
void read_json_field(RawEvent& raw, std::size_t field, const nlohmann::json& value) {
  if (value.is_null()) {
    return;
  }
  const std::string name(field_names[field]);
  if (field == field_weight) {
    if (value.is_number()) {
      raw.values[field] = value.dump(); // as written, for the message when it is not > 0
      return;
    }
    if (value.is_string()) {
      if (auto text = std::string(text::trim(value.get<std::string>(), text::space_tab_cr_lf));
          !text.empty()) {
        raw.values[field] = std::move(text);
      }
      return;
    }
    raw.problems.push_back("weight must be a number greater than 0, e.g. 1 or 2.5");
    return;
  }
  if (field == field_event_id && value.is_number_integer()) {
    raw.values[field] = value.dump(); // numeric ids are common; kept as their digits
    return;
  }
  if (!value.is_string()) {
    raw.problems.push_back(name + " must be text in double quotes, not " +
                           std::string(value.type_name()));
    return;
  }
  auto text = value.get<std::string>();
  if (field != field_detail) {
    text = std::string(text::trim(text, text::space_tab_cr_lf));
  }
  if (!text.empty()) {
    raw.values[field] = std::move(text);
  }
}

Status read_jsonl(EventsImporter& importer, std::istream& input) {
  detail::JsonLinesReader lines(input, "record",
                                "Write one event object a line, e.g. " + std::string(json_example));
  std::string line;
  for (;;) {
    LEADSYNC_TRY(const bool more, lines.next(line));
    if (!more) {
      break;
    }
    const std::int64_t line_number = lines.line_number();
    // Depth-limited (issue 18): a line nested 100,000 deep is refused, not recursed into.
    auto parsed = parse_untrusted_json(line, "the line");
    if (!parsed) {
      importer.reject(line_number, parsed.error().message + "; write one object a line, e.g. " +
                                       std::string(json_example));
      continue;
    }
    nlohmann::json document = std::move(parsed).value();
    if (!document.is_object()) {
      importer.reject(line_number,
                      "a line must be one JSON object, e.g. " + std::string(json_example));
      continue;
    }
    RawEvent raw;
    for (const auto& [key, value] : document.items()) {
      const auto field = field_index(key);
      if (!field) {
        raw.problems.push_back("unknown field '" + shown(key) + "' (the fields are " +
                               field_list() + ")");
        continue;
      }
      read_json_field(raw, *field, value);
    }
    LEADSYNC_CHECK(importer.take(std::move(raw), line_number));
  }
  if (input.bad()) {
    return fail(ErrorCategory::storage,
                "reading the events failed after line " + std::to_string(lines.line_number()));
  }
  return importer.flush();
}

// ---- CSV ----------------------------------------------------------------------------------------

// "Occurred At", "occurred-at" -> "occurred_at"; "e-mail" -> "email".
std::string column_key(std::string_view header) {
  auto key = text::ascii_lower(text::trim(header, text::space_tab_cr_lf));
  std::replace(key.begin(), key.end(), ' ', '_');
  std::replace(key.begin(), key.end(), '-', '_');
  if (key == "e_mail") {
    key = "email";
  }
  return key;
}

// The field each column holds; fails for an unknown or repeated column or a missing one.
Result<std::vector<std::size_t>> map_columns(const std::vector<std::string>& header,
                                             const std::string& path) {
  std::vector<std::size_t> columns;
  std::array<bool, field_names.size()> present{};
  for (const auto& name : header) {
    const auto field = field_index(column_key(name));
    if (!field) {
      return fail(ErrorCategory::invalid_argument,
                  path + ": unknown column '" + shown(name) + "'; the columns are " + field_list() +
                      " (lead_id or email, kind and occurred_at are required)");
    }
    if (present[*field]) {
      return fail(ErrorCategory::invalid_argument, path + ": the column " +
                                                       std::string(field_names[*field]) +
                                                       " appears twice; keep one");
    }
    present[*field] = true;
    columns.push_back(*field);
  }
  std::string missing;
  if (!present[field_lead_id] && !present[field_email]) {
    missing = "lead_id or email";
  }
  for (const auto field : {field_kind, field_occurred_at}) {
    if (!present[field]) {
      missing += (missing.empty() ? "" : ", ") + std::string(field_names[field]);
    }
  }
  if (!missing.empty()) {
    return fail(ErrorCategory::invalid_argument,
                path + ": the header has no " + missing + " column; the columns are " +
                    field_list() + " (lead_id or email, kind and occurred_at are required)");
  }
  return columns;
}

// "line 7: the bytes ..." -> "the bytes ..."
std::string without_line_prefix(const std::string& error) {
  if (error.starts_with("line ")) {
    const auto colon = error.find(": ");
    if (colon != std::string::npos) {
      return error.substr(colon + 2);
    }
  }
  return error;
}

Status read_csv(EventsImporter& importer, const std::string& path, const ReadOptions& options) {
  LEADSYNC_TRY(auto reader, CsvReader::open(path, options));
  importer.report().encoding = reader.encoding().name;
  LEADSYNC_TRY(const auto columns, map_columns(reader.header(), path));
  for (;;) {
    LEADSYNC_TRY(auto record, reader.next());
    if (!record) {
      break;
    }
    if (!record->ok()) {
      importer.reject(record->line, without_line_prefix(record->error));
      continue;
    }
    RawEvent raw;
    for (std::size_t i = 0; i < columns.size() && i < record->fields.size(); ++i) {
      auto text = columns[i] == field_detail
                      ? std::move(record->fields[i])
                      : std::string(text::trim(record->fields[i], text::space_tab_cr_lf));
      if (!text::trim(text, text::space_tab_cr_lf).empty()) {
        raw.values[columns[i]] = std::move(text);
      }
    }
    LEADSYNC_CHECK(importer.take(std::move(raw), record->line));
  }
  return importer.flush();
}

// ---- format -------------------------------------------------------------------------------------

Result<EventsFormat> detect_format(const std::string& path) {
  const auto extension = text::ascii_lower(std::filesystem::path(path).extension().string());
  if (extension == ".jsonl" || extension == ".ndjson" || extension == ".json") {
    return EventsFormat::jsonl;
  }
  if (extension == ".csv" || extension == ".tsv" || extension == ".txt") {
    return EventsFormat::csv;
  }
  std::ifstream input(path, std::ios::binary);
  if (!input) {
    return fail(ErrorCategory::not_found,
                "cannot open " + path + " for reading; check the path and that you may read it");
  }
  std::string sample(4096, '\0');
  input.read(sample.data(), static_cast<std::streamsize>(sample.size()));
  sample.resize(static_cast<std::size_t>(input.gcount()));
  std::string_view text = sample;
  if (text.starts_with("\xEF\xBB\xBF")) {
    text.remove_prefix(3);
  }
  text = text::trim_left(text, text::space_tab_cr_lf);
  return text.starts_with('{') ? EventsFormat::jsonl : EventsFormat::csv;
}

} // namespace

std::string behaviour_kind_names() {
  std::vector<std::string_view> names;
  for (int i = 0; i <= static_cast<int>(model::BehaviourKind::call); ++i) {
    names.push_back(model::to_string(static_cast<model::BehaviourKind>(i)));
  }
  return text::join(names, ", ");
}

std::map<std::string, std::int64_t> EventsImportReport::counts() const {
  return {{"read", read},
          {"added", added},
          {"duplicates", duplicates},
          {"unknown_leads", unknown_leads},
          {"rejected", rejected}};
}

Result<EventsImportReport> import_events_jsonl(store::Store& store, std::istream& input,
                                               const EventsImportOptions& options) {
  EventsImporter importer(store, options);
  importer.report().format = "jsonl";
  importer.report().encoding = "UTF-8";
  LEADSYNC_CHECK(read_jsonl(importer, input));
  return std::move(importer.report());
}

Result<EventsImportReport> import_events_file(store::Store& store, const std::string& path,
                                              const EventsImportOptions& options) {
  // A FIFO or a device would be read forever (issue 18).
  LEADSYNC_CHECK(check_regular_file(
      path, FileReadPurpose{.what = "the events file",
                            .remedy = "name a CSV or JSON Lines file of events"}));
  auto format = options.format;
  if (format == EventsFormat::automatic) {
    LEADSYNC_TRY(format, detect_format(path));
  }
  if (format == EventsFormat::jsonl) {
    std::ifstream input(path, std::ios::binary); // checked to be a regular file above
    if (!input) {
      return fail(ErrorCategory::not_found,
                  "cannot open " + path + " for reading; check the path and that you may read it");
    }
    return import_events_jsonl(store, input, options);
  }
  EventsImporter importer(store, options);
  importer.report().format = "csv";
  LEADSYNC_CHECK(read_csv(importer, path, options.csv));
  return std::move(importer.report());
}

} // namespace leadsync::importer
