#include "leadsync/daemon/watch_folder.hpp"

#include "leadsync/core/bounded_read.hpp"
#include "leadsync/core/log.hpp"
#include "leadsync/core/text.hpp"
#include "leadsync/model/json.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <exception>
#include <fcntl.h>
#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <sstream>
#include <toml++/toml.h>
#include <utility>

namespace leadsync::daemon {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view processing_dir = "processing";
constexpr std::string_view done_dir = "done";
constexpr std::string_view failed_dir = "failed";

constexpr std::array<std::string_view, 5> data_extensions = {".csv", ".tsv", ".txt", ".jsonl",
                                                             ".ndjson"};
// Partial uploads and downloads, and the files leadsync itself writes beside a filed list.
constexpr std::array<std::string_view, 10> ignored_suffixes = {
    ".part",       ".partial",     ".tmp",       ".crdownload", ".filepart",
    ".result.txt", ".result.json", ".error.txt", ".errors.csv", ".notes.csv"};
constexpr std::string_view sidecar_keys =
    "vendor, list, exclusive, acquired, encoding, delimiter, region, map";

// One line: line breaks in a message become spaces.
std::string one_line(std::string_view text) {
  std::string out(text);
  std::replace_if(
      out.begin(), out.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return out;
}

std::string path_text(const fs::path& path) {
  return path.string();
}

Error file_error(const std::string& message, const std::error_code& code) {
  return Error::make(ErrorCategory::unavailable,
                     message + ": " + (code ? code.message() : std::string("unknown error")), true);
}

// "20261103T101500Z": the suffix a name taken in done/ or failed/ gets.
std::string stamp(TimePoint time) {
  const auto day = std::chrono::floor<std::chrono::days>(time);
  const std::chrono::year_month_day date{day};
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(time - day).count();
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     seconds / 3600, seconds % 3600 / 60, seconds % 60);
}

// Renames without ever replacing a file at `to` (renameat2 RENAME_NOREPLACE, Linux 3.15+). Where
// the file system does not support the flag, checks first (not atomic, but only leadsync writes
// there). Across file systems, copies and removes.
Status move_file(const fs::path& from, const fs::path& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
    return ok_status();
  }
  const int error_number = errno;
  if (error_number == EEXIST) {
    return fail(ErrorCategory::already_exists,
                "cannot move " + path_text(from) + " to " + path_text(to) + ": that file exists");
  }
  std::error_code code;
  if (error_number == EINVAL || error_number == ENOSYS) {
    if (fs::exists(to, code)) {
      return fail(ErrorCategory::already_exists,
                  "cannot move " + path_text(from) + " to " + path_text(to) + ": that file exists");
    }
    fs::rename(from, to, code);
    if (code) {
      return file_error("cannot move " + path_text(from) + " to " + path_text(to), code);
    }
    return ok_status();
  }
  if (error_number == EXDEV) {
    fs::copy_file(from, to, fs::copy_options::none, code);
    if (!code) {
      fs::remove(from, code);
    }
    if (code) {
      return file_error("cannot move " + path_text(from) + " to " + path_text(to), code);
    }
    return ok_status();
  }
  return fail(ErrorCategory::unavailable,
              "cannot move " + path_text(from) + " to " + path_text(to) + ": " +
                  system_error_text(error_number),
              true);
}

Status write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.flush();
  if (!out) {
    return fail(ErrorCategory::unavailable,
                "cannot write " + path_text(path) + ": " + system_error_text(errno), true);
  }
  return ok_status();
}

// A sidecar is a few lines of TOML: read bounded (issue 18), so a huge or endless one is refused.
Result<std::string> read_text(const fs::path& path) {
  return read_regular_file(path, mapping_file_limit,
                           FileReadPurpose{.what = "the sidecar",
                                           .remedy = "a sidecar holds only a few import options "
                                                     "as TOML"});
}

struct DigestFree {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

Result<std::string> sha256_of(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(ErrorCategory::unavailable,
                "cannot read " + path_text(path) + ": " + system_error_text(errno), true);
  }
  std::unique_ptr<EVP_MD_CTX, DigestFree> context(EVP_MD_CTX_new());
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) {
    return fail(ErrorCategory::internal, "OpenSSL cannot compute SHA-256");
  }
  std::array<char, std::size_t{64} * 1024> buffer{};
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto got = in.gcount();
    if (got > 0) {
      EVP_DigestUpdate(context.get(), buffer.data(), static_cast<std::size_t>(got));
    }
  }
  if (in.bad()) {
    return fail(ErrorCategory::unavailable, "cannot read " + path_text(path), true);
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> hash{};
  unsigned int length = 0;
  EVP_DigestFinal_ex(context.get(), hash.data(), &length);
  static constexpr std::string_view hex = "0123456789abcdef";
  std::string out;
  out.reserve(std::size_t{length} * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[hash[i] >> 4U];
    out += hex[hash[i] & 0xFU];
  }
  return out;
}

// What to tell the person who dropped a file leadsync cannot label.
std::string no_labels_text(const std::string& name, const fs::path& folder) {
  return fmt::format(
      "leadsync did not import {0}: it does not know who sold the list or which list it is.\n"
      "Add a file named {0}.toml beside it, with (the options of `leadsync import`):\n"
      "  vendor = \"the vendor, e.g. zoominfo\"\n"
      "  list = \"the list's id, e.g. emea-webinar-2026-11\"\n"
      "or name the file VENDOR__LIST.ext with two underscores, e.g. "
      "zoominfo__emea-webinar-2026-11.csv.\n"
      "Then move the file (and its .toml) from failed/ back into {1}.\n",
      name, path_text(folder));
}

std::string_view fate_folder(FileFate fate) {
  return fate == FileFate::failed ? failed_dir : done_dir;
}

} // namespace

std::string_view to_string(ImportStatus status) {
  switch (status) {
  case ImportStatus::ok:
    return "ok";
  case ImportStatus::partial:
    return "partial";
  case ImportStatus::failed:
    return "failed";
  case ImportStatus::interrupted:
    return "interrupted";
  }
  return "failed";
}

std::string_view to_string(FileFate fate) {
  switch (fate) {
  case FileFate::done:
    return "done";
  case FileFate::already_imported:
    return "already imported";
  case FileFate::failed:
    return "failed";
  case FileFate::interrupted:
    return "interrupted";
  case FileFate::not_claimed:
    return "not claimed";
  }
  return "failed";
}

struct WatchFolder::Claimed {
  fs::path path;    // in processing/
  std::string name; // as dropped
  fs::path sidecar; // where its sidecar is now (processing/, or the folder when it could not be
                    // moved); empty when none
  bool resume = false;
};

WatchFolder::WatchFolder(WatchFolderOptions options, store::Store& store, ImportCallback import,
                         Clock& clock)
    : options_(std::move(options)), store_(store), import_(std::move(import)), clock_(clock) {}

WatchFolder::~WatchFolder() = default;

Result<std::unique_ptr<WatchFolder>> WatchFolder::open(WatchFolderOptions options,
                                                       store::Store& store, ImportCallback import,
                                                       Clock& clock) {
  if (!import) {
    return fail(ErrorCategory::invalid_argument, "the watch folder needs an import callback");
  }
  if (options.settle_time < std::chrono::seconds{0}) {
    return fail(ErrorCategory::invalid_argument, "the settle time of the watch folder is negative");
  }
  std::error_code code;
  const auto status = fs::status(options.folder, code);
  if (code || !fs::exists(status)) {
    return fail(ErrorCategory::config,
                fmt::format("the import folder \"{}\" ([schedule] import_watch) does not exist: "
                            "create it, or correct the path",
                            path_text(options.folder)));
  }
  if (!fs::is_directory(status)) {
    return fail(ErrorCategory::config,
                fmt::format("the import folder \"{}\" ([schedule] import_watch) is not a folder: "
                            "give the path of a folder",
                            path_text(options.folder)));
  }
  return std::unique_ptr<WatchFolder>(
      new WatchFolder(std::move(options), store, std::move(import), clock));
}

const fs::path& WatchFolder::folder() const {
  return options_.folder;
}

std::string WatchFolder::imported_checkpoint(std::string_view sha256_hex) {
  return fmt::format("watch:sha256:{}", sha256_hex);
}

bool WatchFolder::is_candidate_name(std::string_view name) {
  if (name.empty() || name.front() == '.' || name.substr(0, 2) == "~$" || name.back() == '~') {
    return false;
  }
  const std::string folded = text::ascii_lower(name);
  for (const auto suffix : ignored_suffixes) {
    if (folded.ends_with(suffix)) {
      return false;
    }
  }
  return std::any_of(data_extensions.begin(), data_extensions.end(), [&](std::string_view ext) {
    return folded.size() > ext.size() && folded.ends_with(ext);
  });
}

std::optional<std::pair<std::string, std::string>>
WatchFolder::labels_from_name(std::string_view name) {
  const auto dot = name.rfind('.');
  const std::string_view stem = dot == std::string_view::npos ? name : name.substr(0, dot);
  const auto separator = stem.find("__");
  if (separator == std::string_view::npos) {
    return std::nullopt;
  }
  std::string vendor(text::trim(stem.substr(0, separator), text::space_tab_cr_lf));
  std::string list(text::trim(stem.substr(separator + 2), text::space_tab_cr_lf));
  if (vendor.empty() || list.empty()) {
    return std::nullopt;
  }
  return std::pair{std::move(vendor), std::move(list)};
}

Result<ImportFileOptions> WatchFolder::parse_sidecar(std::string_view text,
                                                     std::string_view label) {
  toml::table root;
  try {
    root = toml::parse(text, std::string(label));
  } catch (const toml::parse_error& problem) {
    return fail(ErrorCategory::invalid_argument,
                fmt::format("{} line {}, column {}: {}", label, problem.source().begin.line,
                            problem.source().begin.column, problem.description()));
  }
  ImportFileOptions options;
  bool acquired_seen = false;
  const auto wrong = [&](const std::string& key, const toml::node& node, std::string_view what) {
    return fail(ErrorCategory::invalid_argument, fmt::format("{} line {}: {} must be {}", label,
                                                             node.source().begin.line, key, what));
  };
  for (const auto& entry : root) {
    const toml::key& toml_key = entry.first;
    const toml::node& node = entry.second;
    const std::string key(toml_key.str());
    const auto text_value = [&]() -> std::optional<std::string> {
      if (const auto* value = node.as_string()) {
        return std::string(text::trim(value->get(), text::space_tab_cr_lf));
      }
      return std::nullopt;
    };
    if (key == "vendor" || key == "list" || key == "encoding" || key == "delimiter" ||
        key == "region") {
      auto value = text_value();
      if (!value) {
        return wrong(key, node, fmt::format("text in quotes, like {} = \"...\"", key));
      }
      if (key == "vendor") {
        options.vendor = std::move(*value);
      } else if (key == "list") {
        options.list = std::move(*value);
      } else if (key == "encoding") {
        options.encoding = value->empty() ? "auto" : std::move(*value);
      } else if (key == "delimiter") {
        // A delimiter may be a blank (a TAB): taken as written.
        options.delimiter = node.as_string()->get().empty() ? "auto" : node.as_string()->get();
      } else {
        options.region = std::move(*value);
      }
    } else if (key == "exclusive") {
      const auto* value = node.as_boolean();
      if (value == nullptr) {
        return wrong(key, node, "true (sold to us only) or false (resold to others)");
      }
      options.exclusive = value->get();
    } else if (key == "acquired" || key == "acquired_on") {
      if (acquired_seen) {
        return fail(ErrorCategory::invalid_argument,
                    fmt::format("{} line {}: the acquisition date is given twice (acquired and "
                                "acquired_on): keep one",
                                label, node.source().begin.line));
      }
      acquired_seen = true;
      std::string date;
      if (const auto* value = node.as_date()) {
        const auto day = value->get();
        date = fmt::format("{:04}-{:02}-{:02}", day.year, day.month, day.day);
      } else if (auto written = text_value()) {
        date = std::move(*written);
      } else {
        return wrong(key, node, "a date, like acquired = 2026-11-03");
      }
      const auto parsed = model::parse_date(date);
      if (!parsed.ok()) {
        return fail(ErrorCategory::invalid_argument,
                    fmt::format("{} line {}: {}: {}", label, node.source().begin.line, key,
                                parsed.error().message));
      }
      options.acquired = model::format_date(parsed.value());
    } else if (key == "map") {
      options.map.clear();
      if (auto single = text_value()) {
        options.map.push_back(std::move(*single));
      } else if (const auto* items = node.as_array()) {
        for (const auto& item : *items) {
          const auto* value = item.as_string();
          if (value == nullptr) {
            return wrong(key, item,
                         "a list of \"Header=field\" texts, like map = [\"Firma=company\"]");
          }
          options.map.push_back(value->get());
        }
      } else {
        return wrong(key, node, "a list of \"Header=field\" texts, like map = [\"Firma=company\"]");
      }
    } else {
      std::string message =
          fmt::format("{} line {}: unknown key \"{}\"", label, toml_key.source().begin.line, key);
      static const std::vector<std::string_view> known = {"vendor",    "list",        "exclusive",
                                                          "acquired",  "acquired_on", "encoding",
                                                          "delimiter", "region",      "map"};
      const auto close = text::closest_match(key, known, 2);
      if (!close.empty()) {
        message += fmt::format(" (did you mean \"{}\"?)", close);
      }
      message += fmt::format("; the keys are {}", sidecar_keys);
      return fail(ErrorCategory::invalid_argument, std::move(message));
    }
  }
  return options;
}

Result<std::vector<WatchCandidate>> WatchFolder::scan(TimePoint now) {
  MutexLock lock(mutex_);
  return scan_locked(now);
}

Result<std::vector<WatchCandidate>> WatchFolder::scan_locked(TimePoint now) {
  std::error_code code;
  fs::directory_iterator entries(options_.folder, code);
  if (code) {
    return fail(ErrorCategory::config,
                fmt::format("cannot read the import folder \"{}\": {}; check that it exists and "
                            "that the daemon's user may read and write it",
                            path_text(options_.folder), code.message()));
  }
  std::map<std::string, Observation> seen;
  for (; entries != fs::directory_iterator(); entries.increment(code)) {
    const auto& entry = *entries;
    const std::string name = entry.path().filename().string();
    const bool sidecar =
        name.ends_with(".toml") && is_candidate_name(name.substr(0, name.size() - 5));
    if (!is_candidate_name(name) && !sidecar) {
      continue;
    }
    std::error_code entry_code;
    // symlink_status: a symbolic link is never a regular file here, wherever it points.
    if (!fs::is_regular_file(entry.symlink_status(entry_code)) || entry_code) {
      continue;
    }
    Observation observed;
    observed.size = entry.file_size(entry_code);
    if (!entry_code) {
      observed.mtime = entry.last_write_time(entry_code);
    }
    if (entry_code) {
      continue; // gone meanwhile
    }
    observed.since = now;
    if (const auto before = seen_.find(name); before != seen_.end() &&
                                              before->second.size == observed.size &&
                                              before->second.mtime == observed.mtime) {
      observed.since = before->second.since;
    }
    seen.emplace(name, observed);
  }
  if (code) {
    return fail(ErrorCategory::config, fmt::format("cannot read the import folder \"{}\": {}",
                                                   path_text(options_.folder), code.message()));
  }
  seen_ = std::move(seen);
  std::vector<WatchCandidate> candidates;
  for (const auto& [name, observed] : seen_) {
    if (!is_candidate_name(name)) {
      continue;
    }
    bool ready = now - observed.since >= options_.settle_time;
    if (const auto sidecar = seen_.find(name + ".toml"); sidecar != seen_.end()) {
      ready = ready && now - sidecar->second.since >= options_.settle_time;
    }
    candidates.push_back(WatchCandidate{.path = options_.folder / name,
                                        .size = observed.size,
                                        .stable_since = observed.since,
                                        .ready = ready});
  }
  return candidates;
}

Result<std::vector<WatchResult>> WatchFolder::recover(const CancellationToken& cancel) {
  MutexLock lock(mutex_);
  return recover_locked(cancel);
}

Result<std::vector<WatchResult>> WatchFolder::recover_locked(const CancellationToken& cancel) {
  std::vector<WatchResult> results;
  if (recovered_) {
    return results;
  }
  recovered_ = true;
  const fs::path processing = options_.folder / processing_dir;
  std::error_code code;
  if (!fs::is_directory(processing, code)) {
    return results; // nothing claimed yet (a file in its place fails each claim, reported there)
  }
  fs::directory_iterator entries(processing, code);
  if (code) {
    return fail(ErrorCategory::config,
                fmt::format("cannot read \"{}\": {}; check that the daemon's user may read and "
                            "write it",
                            path_text(processing), code.message()));
  }
  std::vector<std::string> names;
  for (; entries != fs::directory_iterator(); entries.increment(code)) {
    const auto& entry = *entries;
    const std::string name = entry.path().filename().string();
    std::error_code entry_code;
    if (is_candidate_name(name) && fs::is_regular_file(entry.symlink_status(entry_code)) &&
        !entry_code) {
      names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    if (cancel.cancelled()) {
      break;
    }
    Claimed claimed{.path = processing / name, .name = name, .sidecar = {}, .resume = true};
    const fs::path inside = processing / (name + ".toml");
    const fs::path outside = options_.folder / (name + ".toml");
    std::error_code exists_code;
    if (fs::exists(inside, exists_code)) {
      claimed.sidecar = inside;
    } else if (fs::exists(outside, exists_code)) {
      // Killed between claiming the file and its sidecar: take the sidecar now.
      const auto moved = move_file(outside, inside);
      claimed.sidecar = moved.ok() ? inside : outside;
    }
    log::get()->info("watch: {} was left in processing/ by an earlier run; importing it again "
                     "(resume)",
                     name);
    results.push_back(process(std::move(claimed), cancel));
  }
  return results;
}

Result<std::vector<WatchResult>> WatchFolder::poll(TimePoint now, const CancellationToken& cancel) {
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto results, recover_locked(cancel));
  LEADSYNC_TRY(auto candidates, scan_locked(now));
  for (const auto& candidate : candidates) {
    if (cancel.cancelled()) {
      break;
    }
    if (candidate.ready) {
      results.push_back(take(candidate.path, cancel));
    }
  }
  return results;
}

WatchResult WatchFolder::take(const fs::path& file, const CancellationToken& cancel) {
  const std::string name = file.filename().string();
  const fs::path processing = options_.folder / processing_dir;
  WatchResult result;
  result.name = name;
  result.filed_as = file;
  std::error_code code;
  fs::create_directories(processing, code);
  if (code) {
    result.error = file_error("cannot create " + path_text(processing), code);
    result.message = result.error->message;
    log::get()->error("watch: {}", result.message);
    return result;
  }
  const fs::path claimed_path = processing / name;
  if (auto moved = move_file(file, claimed_path); !moved.ok()) {
    result.error = moved.error();
    result.message = moved.error().category == ErrorCategory::already_exists
                         ? fmt::format("a file named {} is being imported (in processing/); this "
                                       "one is taken once that one is filed",
                                       name)
                         : moved.error().message;
    log::get()->warn("watch: {} not taken: {}", name, result.message);
    return result;
  }
  seen_.erase(name);
  Claimed claimed{.path = claimed_path, .name = name, .sidecar = {}, .resume = false};
  const fs::path sidecar = options_.folder / (name + ".toml");
  if (fs::exists(sidecar, code)) {
    seen_.erase(name + ".toml");
    const fs::path claimed_sidecar = processing / (name + ".toml");
    if (auto moved = move_file(sidecar, claimed_sidecar); moved.ok()) {
      claimed.sidecar = claimed_sidecar;
    } else {
      log::get()->warn("watch: {}; reading it where it is", moved.error().message);
      claimed.sidecar = sidecar;
    }
  }
  log::get()->info("watch: took {}", name);
  return process(std::move(claimed), cancel);
}

WatchResult WatchFolder::process(Claimed claimed, const CancellationToken& cancel) {
  const auto sha = sha256_of(claimed.path);
  if (!sha.ok()) {
    return file_away(claimed, FileFate::failed, sha.error().message, {},
                     sha.error().message +
                         "\nCheck the file, then drop it into the folder again.\n");
  }
  const auto before = store_.get_checkpoint(imported_checkpoint(sha.value()));
  if (!before.ok()) {
    WatchResult result{.name = claimed.name,
                       .fate = FileFate::interrupted,
                       .resumed = claimed.resume,
                       .message = "the store cannot be read (" + before.error().message +
                                  "); the file stays in processing/ and is taken at the next start",
                       .filed_as = claimed.path,
                       .error = before.error()};
    log::get()->error("watch: {}: {}", claimed.name, result.message);
    return result;
  }
  if (before.value()) {
    std::string when = *before.value();
    std::string as;
    const auto record = nlohmann::json::parse(*before.value(), nullptr, false);
    if (record.is_object()) {
      when = record.value("imported_at", std::string());
      as = record.value("file", std::string());
    }
    std::string message = "already imported on " + when;
    if (!as.empty()) {
      message += " (as " + as + ")";
    }
    message += ": the same content is not imported again";
    return file_away(claimed, FileFate::already_imported, message, {}, {});
  }

  WatchedFile file;
  file.path = claimed.path;
  file.name = claimed.name;
  file.resume = claimed.resume;
  file.sha256 = sha.value();
  file.errors_file = claimed.path.parent_path() / (claimed.name + ".errors.csv");
  if (!claimed.sidecar.empty()) {
    const std::string label = claimed.name + ".toml";
    auto text = read_text(claimed.sidecar);
    auto options =
        text.ok() ? parse_sidecar(text.value(), label) : Result<ImportFileOptions>(text.error());
    if (!options.ok()) {
      return file_away(claimed, FileFate::failed, options.error().message, {},
                       fmt::format("leadsync did not import {}: {}\nThe keys are {}.\nFix {}, "
                                   "then move both files from failed/ back into {}.\n",
                                   claimed.name, options.error().message, sidecar_keys, label,
                                   path_text(options_.folder)));
    }
    file.options = std::move(options).value();
    file.sidecar = claimed.sidecar;
    file.labels_from = LabelSource::sidecar;
    if (file.options.vendor.empty() || file.options.list.empty()) {
      // The name may still give what the sidecar leaves out.
      if (const auto named = labels_from_name(claimed.name)) {
        if (file.options.vendor.empty()) {
          file.options.vendor = named->first;
        }
        if (file.options.list.empty()) {
          file.options.list = named->second;
        }
      }
    }
    if (file.options.vendor.empty() || file.options.list.empty()) {
      const std::string missing = file.options.vendor.empty() && file.options.list.empty()
                                      ? "vendor = \"...\" and list = \"...\""
                                  : file.options.vendor.empty() ? "vendor = \"...\""
                                                                : "list = \"...\"";
      const std::string message = fmt::format("{} has no {}: add it", label, missing);
      return file_away(claimed, FileFate::failed, message, {},
                       fmt::format("leadsync did not import {}: {} (who sold the list, and the "
                                   "list's id).\nThen move both files from failed/ back into {}.\n",
                                   claimed.name, message, path_text(options_.folder)));
    }
  } else if (const auto named = labels_from_name(claimed.name)) {
    file.options.vendor = named->first;
    file.options.list = named->second;
    file.labels_from = LabelSource::file_name;
  } else {
    return file_away(claimed, FileFate::failed,
                     fmt::format("no vendor and list: add {0}.toml with vendor = \"...\" and "
                                 "list = \"...\", or name the file VENDOR__LIST.ext; see "
                                 "{0}.error.txt",
                                 claimed.name),
                     {}, no_labels_text(claimed.name, options_.folder));
  }

  if (cancel.cancelled()) {
    return WatchResult{.name = claimed.name,
                       .fate = FileFate::interrupted,
                       .resumed = claimed.resume,
                       .message = "stopped before the import began; it is taken at the next start",
                       .filed_as = claimed.path,
                       .error = std::nullopt};
  }
  ImportOutcome outcome;
  try {
    outcome = import_(file, cancel);
  } catch (const std::exception& problem) {
    outcome =
        ImportOutcome{.status = ImportStatus::failed,
                      .message = std::string("the import failed unexpectedly: ") + problem.what(),
                      .error_file = {}};
  }
  if (text::trim(outcome.message, text::space_tab_cr_lf).empty()) {
    outcome.message = std::string(to_string(outcome.status));
  }
  switch (outcome.status) {
  case ImportStatus::interrupted: {
    log::get()->info("watch: the import of {} was interrupted; it continues at the next start",
                     claimed.name);
    return WatchResult{.name = claimed.name,
                       .fate = FileFate::interrupted,
                       .resumed = claimed.resume,
                       .message = one_line(outcome.message),
                       .filed_as = claimed.path,
                       .error = std::nullopt};
  }
  case ImportStatus::ok:
  case ImportStatus::partial: {
    const nlohmann::json record = {{"file", claimed.name},
                                   {"imported_at", model::format_time(clock_.now())},
                                   {"status", to_string(outcome.status)}};
    const auto stored = store_.put_checkpoint(
        imported_checkpoint(file.sha256),
        // A file name in a legacy code page is not UTF-8: replaced rather than thrown over.
        record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    auto result = file_away(claimed, FileFate::done, outcome.message, outcome.error_file, {});
    if (!stored.ok()) {
      log::get()->error("watch: cannot record that {} was imported ({}): the same content "
                        "dropped again would be imported again",
                        claimed.name, stored.error().describe());
      if (!result.error) {
        result.error = stored.error();
      }
    }
    return result;
  }
  case ImportStatus::failed:
    break;
  }
  return file_away(claimed, FileFate::failed, outcome.message, outcome.error_file, {});
}

WatchResult WatchFolder::file_away(const Claimed& claimed, FileFate fate,
                                   const std::string& message, const fs::path& error_file,
                                   const std::string& error_text) {
  WatchResult result{.name = claimed.name,
                     .fate = fate,
                     .resumed = claimed.resume,
                     .message = one_line(message),
                     .filed_as = claimed.path,
                     .error = std::nullopt};
  const TimePoint now = clock_.now();
  const fs::path processing = claimed.path.parent_path();
  const fs::path destination = options_.folder / fate_folder(fate);
  std::error_code code;
  fs::create_directories(destination, code);
  if (code) {
    result.error = file_error("cannot create " + path_text(destination), code);
    log::get()->error("watch: {}: {}", claimed.name, result.error->message);
    return result;
  }

  // The files that go with it, as (where it is, the suffix after the file's name).
  std::vector<std::pair<fs::path, std::string>> companions;
  const auto listed = [&](const fs::path& path) {
    return std::any_of(companions.begin(), companions.end(),
                       [&](const auto& companion) { return companion.first == path; });
  };
  for (fs::directory_iterator entries(processing, code);
       !code && entries != fs::directory_iterator(); entries.increment(code)) {
    const std::string name = entries->path().filename().string();
    if (name.size() > claimed.name.size() + 1 && name.rfind(claimed.name + ".", 0) == 0 &&
        !is_candidate_name(name)) {
      companions.emplace_back(entries->path(), name.substr(claimed.name.size()));
    }
  }
  if (!claimed.sidecar.empty() && !listed(claimed.sidecar)) {
    std::error_code exists_code;
    if (fs::exists(claimed.sidecar, exists_code)) {
      companions.emplace_back(claimed.sidecar, ".toml");
    }
  }
  if (!error_file.empty() && !listed(error_file)) {
    std::error_code exists_code;
    if (fs::exists(error_file, exists_code)) {
      const std::string ext = error_file.extension().string();
      companions.emplace_back(error_file, ".errors" + (ext.empty() ? std::string(".csv") : ext));
    }
  }

  // A name free for the file and all that goes with it.
  const auto taken = [&](const std::string& base) {
    std::error_code exists_code;
    if (fs::exists(destination / base, exists_code) ||
        fs::exists(destination / (base + ".result.txt"), exists_code) ||
        fs::exists(destination / (base + ".error.txt"), exists_code)) {
      return true;
    }
    return std::any_of(companions.begin(), companions.end(), [&](const auto& companion) {
      std::error_code companion_code;
      return fs::exists(destination / (base + companion.second), companion_code);
    });
  };
  std::string base = claimed.name;
  if (taken(base)) {
    const auto dot = claimed.name.rfind('.');
    const std::string stem = dot == std::string::npos ? claimed.name : claimed.name.substr(0, dot);
    const std::string ext = dot == std::string::npos ? std::string() : claimed.name.substr(dot);
    const std::string time = stamp(now);
    base = fmt::format("{}.{}{}", stem, time, ext);
    for (int n = 2; taken(base); ++n) {
      base = fmt::format("{}.{}-{}{}", stem, time, n, ext);
    }
  }

  // The data file goes last: should the daemon die before, it is still in processing/ and taken
  // again at the next start (where its recorded SHA-256 files an imported one as done).
  const std::string line =
      fmt::format("{} at {}: {}\n", to_string(fate), model::format_time(now), result.message);
  const auto note = [&](const Status& status) {
    if (!status.ok() && !result.error) {
      result.error = status.error();
    }
  };
  note(write_text(destination / (base + ".result.txt"), line));
  if (!error_text.empty()) {
    note(write_text(destination / (base + ".error.txt"), error_text));
  }
  for (const auto& [from, suffix] : companions) {
    note(move_file(from, destination / (base + suffix)));
  }
  const auto moved = move_file(claimed.path, destination / base);
  if (moved.ok()) {
    result.filed_as = destination / base;
  } else {
    result.error = moved.error();
  }
  if (result.error) {
    log::get()->error("watch: filing {} in {}/: {}", claimed.name, fate_folder(fate),
                      result.error->message);
  }
  const auto level = fate == FileFate::failed ? spdlog::level::warn : spdlog::level::info;
  log::get()->log(level, "watch: {} -> {}/{}: {}", claimed.name, fate_folder(fate), base,
                  result.message);
  return result;
}

} // namespace leadsync::daemon
