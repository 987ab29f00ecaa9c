#pragma once
// The watched import folder ([schedule] import_watch): lists dropped into it are imported as
// `leadsync import` would import them, then filed away. It holds no import logic: the owner's
// import callback runs the import (jobs/) on the calling thread.
//
// The folder:
//   FOLDER/acme-q4.csv           a list dropped by someone
//   FOLDER/acme-q4.csv.toml      its sidecar: vendor, list and import options (below)
//   FOLDER/processing/           files being imported (claimed)
//   FOLDER/done/                 imported: the file, its sidecar, its error file (rejected rows)
//                                and FILE.result.txt, one line saying what happened
//   FOLDER/failed/               not imported: the same, with the error file saying why
//
// Candidates: regular files (no symlinks, no folders) with the extensions .csv .tsv .txt .jsonl
// .ndjson (any case), except hidden files (".x"), partial uploads and editor files (*.part,
// *.partial, *.tmp, *.crdownload, *.filepart, "~$x", "x~") and the files leadsync writes itself
// (*.result.txt, *.error.txt, *.errors.csv, *.notes.csv). A candidate is ready once its size and
// modification time (and its sidecar's) have not changed for the settle time, as seen by scans
// with the injected clock.
//
// Labels: the sidecar FILE.toml (e.g. acme-q4.csv.toml) takes the options of `leadsync import`
// by their names:
//   vendor = "acme"              --vendor      (required, unless the file name gives it)
//   list = "q4-webinar"          --list        (required, unless the file name gives it)
//   exclusive = true             --exclusive (true) / --shared (false); default shared
//   acquired = 2026-11-03        --acquired    (a TOML date or "YYYY-MM-DD"; acquired_on also
//   works) encoding = "windows-1252"    --encoding    (default auto) delimiter = ";" --delimiter
//   (default auto) region = "DE"                --region map = ["Firma=company"]      --map, each
// Other keys are refused, naming the key. Without a sidecar, the name VENDOR__LIST.ext (two
// underscores) gives both: zoominfo__emea-webinar-2026-11.csv is vendor "zoominfo", list
// "emea-webinar-2026-11". A file with neither is moved to failed/ with FILE.error.txt saying what
// to add. Put the sidecar in the folder before (or together with) its file.
//
// Never imported twice:
//   - claiming is an atomic rename into processing/ (never over an existing file);
//   - a file left in processing/ (the daemon was killed mid-import) is imported again at the first
//     poll() after start (recover()), with WatchedFile::resume set, so the import continues after
//     its last committed batch; an import that is interrupted again stays there for the next start;
//   - the SHA-256 of each imported file's content (ok or partial) is kept in the store's
//     checkpoints ("watch:sha256:<hex>"): the same content dropped again goes straight to done/
//     with a result "already imported on ...".
// Filing: done/ or failed/ (created on demand). A name already taken there gets the time as a
// suffix before the extension: acme-q4.20261103T101500Z.csv (and -2, -3... within one second).
// Every file operation that fails is reported in the result, never thrown.

#include "leadsync/core/cancel.hpp"
#include "leadsync/core/clock.hpp"
#include "leadsync/core/mutex.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/store/store.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::daemon {

using TimePoint = std::chrono::system_clock::time_point;

// What `leadsync import` would be given for a file (the CLI option each mirrors in brackets).
struct ImportFileOptions {
  std::string vendor;             // --vendor
  std::string list;               // --list
  std::optional<bool> exclusive;  // --exclusive (true) / --shared (false); unset: shared
  std::string acquired;           // --acquired: YYYY-MM-DD (checked); empty: unknown
  std::string encoding = "auto";  // --encoding
  std::string delimiter = "auto"; // --delimiter
  std::string region;             // --region; empty: import.default_region
  std::vector<std::string> map;   // --map "Header=field", each

  friend bool operator==(const ImportFileOptions&, const ImportFileOptions&) = default;
};

enum class LabelSource { sidecar, file_name };

// A claimed file, as the import callback gets it.
struct WatchedFile {
  std::filesystem::path path;    // the file, in processing/
  std::string name;              // its name, as dropped
  std::filesystem::path sidecar; // its FILE.toml in processing/; empty when it has none
  LabelSource labels_from = LabelSource::file_name;
  ImportFileOptions options;
  // Where the import writes its rejected rows (--errors): processing/FILE.errors.csv. It is filed
  // beside the file afterwards.
  std::filesystem::path errors_file;
  // The file was claimed before this daemon started (it was killed or stopped mid-import):
  // continue its import after the last committed batch (`leadsync import --resume`), or start it
  // afresh when no batch was committed.
  bool resume = false;
  std::string sha256; // of the whole content, lower-case hex
};

enum class ImportStatus { ok, partial, failed, interrupted };
std::string_view to_string(ImportStatus status);

// What the import callback returns.
struct ImportOutcome {
  ImportStatus status = ImportStatus::failed; // interrupted: cancelled, stays in processing/
  std::string message;                        // one line for the result file and the log
  std::filesystem::path error_file;           // the error file it wrote; empty when none
};

// Runs the import of `file` on the calling thread; stops after the batch it is on once `cancel`
// is cancelled (and says interrupted).
using ImportCallback =
    std::function<ImportOutcome(const WatchedFile& file, const CancellationToken& cancel)>;

struct WatchFolderOptions {
  std::filesystem::path folder;         // [schedule] import_watch
  std::chrono::seconds settle_time{10}; // unchanged this long before a file is taken
};

// A file a scan found.
struct WatchCandidate {
  std::filesystem::path path;
  std::uintmax_t size = 0;
  TimePoint stable_since{}; // first scan that saw its present size and time
  bool ready = false;       // stable for the settle time (its sidecar too)
};

enum class FileFate {
  done,             // imported (ok or partial): in done/
  already_imported, // the same content was imported before: in done/
  failed,           // not imported (no labels, a bad sidecar, the import failed): in failed/
  interrupted,      // the import was cancelled: stays in processing/ for the next start
  not_claimed,      // a file operation failed before the import: stays where it was
};
std::string_view to_string(FileFate fate);

// What happened to one file.
struct WatchResult {
  std::string name; // as dropped
  FileFate fate = FileFate::not_claimed;
  bool resumed = false;           // taken from processing/ at start
  std::string message;            // the line of FILE.result.txt (without the status and time)
  std::filesystem::path filed_as; // where the file is now
  // A file operation that failed (the file then stays where it was: the folder, processing/).
  std::optional<Error> error;
};

class WatchFolder {
public:
  // Fails (config) when the folder does not exist or is not a folder. `store` and `clock` must
  // outlive the watch folder.
  static Result<std::unique_ptr<WatchFolder>> open(WatchFolderOptions options, store::Store& store,
                                                   ImportCallback import,
                                                   Clock& clock = SystemClock::instance());

  WatchFolder(const WatchFolder&) = delete;
  WatchFolder& operator=(const WatchFolder&) = delete;
  ~WatchFolder();

  // Lists the candidates in the folder and notes their size and time as of `now`; ready ones have
  // kept them for the settle time. Fails when the folder cannot be read.
  Result<std::vector<WatchCandidate>> scan(TimePoint now);

  // Imports again (resume) every file left in processing/, one after the other. Runs once: later
  // calls return nothing.
  Result<std::vector<WatchResult>> recover(const CancellationToken& cancel);

  // recover() (the first time), then scan(now), then claims and imports each ready file in turn
  // until `cancel` is cancelled. Fails only when a folder cannot be read; each file's fate is in
  // its result.
  Result<std::vector<WatchResult>> poll(TimePoint now, const CancellationToken& cancel);

  const std::filesystem::path& folder() const;

  // The checkpoint that marks content as imported: "watch:sha256:<hex>".
  static std::string imported_checkpoint(std::string_view sha256_hex);
  // Parses a sidecar's text (`label` names it in messages); fails (invalid_argument) naming the
  // line, or the key that is unknown or of the wrong type.
  static Result<ImportFileOptions> parse_sidecar(std::string_view text, std::string_view label);
  // vendor and list from VENDOR__LIST.ext; none when the name does not follow the pattern.
  static std::optional<std::pair<std::string, std::string>> labels_from_name(std::string_view name);
  // Whether a scan takes a file of this name (its extension and the names above).
  static bool is_candidate_name(std::string_view name);

private:
  struct Observation {
    std::uintmax_t size = 0;
    std::filesystem::file_time_type mtime{};
    TimePoint since{};
  };
  struct Claimed;

  WatchFolder(WatchFolderOptions options, store::Store& store, ImportCallback import, Clock& clock);

  Result<std::vector<WatchCandidate>> scan_locked(TimePoint now) REQUIRES(mutex_);
  Result<std::vector<WatchResult>> recover_locked(const CancellationToken& cancel) REQUIRES(mutex_);
  WatchResult take(const std::filesystem::path& file, const CancellationToken& cancel)
      REQUIRES(mutex_);
  WatchResult process(Claimed claimed, const CancellationToken& cancel);
  WatchResult file_away(const Claimed& claimed, FileFate fate, const std::string& message,
                        const std::filesystem::path& error_file, const std::string& error_text);

  WatchFolderOptions options_;
  store::Store& store_;
  ImportCallback import_;
  Clock& clock_;
  Mutex mutex_; // one scan, recovery or poll at a time
  std::map<std::string, Observation> seen_ GUARDED_BY(mutex_);
  bool recovered_ GUARDED_BY(mutex_) = false;
};

} // namespace leadsync::daemon
