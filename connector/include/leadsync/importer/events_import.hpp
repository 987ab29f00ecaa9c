#pragma once
// Import of behaviour events (`leadsync events import FILE`): page visits, downloads, webinar and
// demo attendance, trial usage, e-mail opens and clicks, calls, which engagement scoring reads.
//
// A file is JSON Lines (one object a line) or CSV (a header row, then one event a row; encoding and
// delimiter detected as for lead lists, see csv_reader.hpp). The format follows the extension
// (.jsonl, .ndjson, .json: JSON Lines; .csv, .tsv, .txt: CSV), else the first character of the
// file: `{` is JSON Lines. Each event has these fields (JSON keys or CSV column names):
//   lead_id      the lead's id, or
//   email        an e-mail of exactly one lead (compared case-insensitively);
//   kind         page_visit, pricing_page_visit, content_download, webinar_attended,
//                demo_attended, demo_requested, trial_usage, email_open, email_click or call;
//   occurred_at  RFC 3339, "2026-11-22T20:00:00Z" or "2026-11-22T23:00:00+03:00";
//   detail       free text (URL, content title, call note); may be empty;
//   weight       optional, a number greater than 0 (default 1);
//   event_id     optional, the source's id of the event: an id seen before (earlier in the file
//                or in the store) is counted as a duplicate and not added again.
// Any other field is an error: a JSON line with one is rejected, a CSV header with one is refused
// whole (it is usually a typo, which would otherwise drop a value without a word).
//
// Leads are never created: an event whose lead is unknown (no live lead with that id or e-mail) or
// ambiguous (several leads hold the e-mail) is reported with its line. So is an event with a bad
// kind, time, weight or a missing field, with what to write instead. Events go to the store in
// batches, each one transaction (Store::add_events).

#include "leadsync/core/result.hpp"
#include "leadsync/importer/csv_reader.hpp"
#include "leadsync/store/store.hpp"

#include <cstddef>
#include <cstdint>
#include <istream>
#include <map>
#include <string>
#include <vector>

namespace leadsync::importer {

enum class EventsFormat { automatic, jsonl, csv };

struct EventsImportOptions {
  EventsFormat format = EventsFormat::automatic; // automatic: by extension, else by content
  std::size_t batch_size = 500;                  // events per transaction
  ReadOptions csv;                               // encoding and delimiter of a CSV file
};

// The report keeps the first this many problems; the counts cover all of them.
inline constexpr std::size_t max_event_problems = 100;

struct EventProblem {
  std::int64_t line = 0; // 1-based physical line (CSV: where the row starts; the header is 1)
  std::string message;   // what is wrong and what to write instead

  friend bool operator==(const EventProblem&, const EventProblem&) = default;
};

struct EventsImportReport {
  std::string format;                 // "jsonl" or "csv"
  std::string encoding;               // CSV: the encoding read; JSON Lines: "UTF-8"
  std::int64_t read = 0;              // events read (non-blank lines, data rows)
  std::int64_t added = 0;             // stored
  std::int64_t duplicates = 0;        // event_id seen before, in the file or the store: not added
  std::int64_t unknown_leads = 0;     // no such lead, or an e-mail several leads hold
  std::int64_t rejected = 0;          // bad kind, time, weight, field or line
  std::vector<EventProblem> problems; // the first max_event_problems, in line order
  std::int64_t problem_count = 0;     // all problems: unknown_leads + rejected
  std::map<std::string, std::int64_t> added_by_kind; // kind name -> events added; kinds with none
                                                     // are left out

  // For the run history: read, added, duplicates, unknown_leads, rejected.
  std::map<std::string, std::int64_t> counts() const;
};

// Reads the file and stores its events. Fails when the file cannot be opened or read, a CSV file's
// header is unusable (an unknown or repeated column, no kind or occurred_at column, neither lead_id
// nor email) or the store fails; everything wrong with single events is in the report.
Result<EventsImportReport> import_events_file(store::Store& store, const std::string& path,
                                              const EventsImportOptions& options = {});

// The same for JSON Lines from a stream (a request body, standard input).
Result<EventsImportReport> import_events_jsonl(store::Store& store, std::istream& input,
                                               const EventsImportOptions& options = {});

// The kind names in the model's order, comma-separated, for messages and help texts.
std::string behaviour_kind_names();

} // namespace leadsync::importer
