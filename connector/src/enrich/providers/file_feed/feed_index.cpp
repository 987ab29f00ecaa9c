#include "providers/file_feed/feed_index.hpp"

#include "leadsync/core/error.hpp"
#include "leadsync/core/json_limits.hpp"
#include "leadsync/core/text.hpp"
#include "leadsync/importer/csv_reader.hpp"
#include "providers/file_feed/feed_record.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <set>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

namespace leadsync::enrich::providers::file_feed {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t block_size = std::size_t{64} * 1024;
// A file whose mtime was this close to the time it was indexed may still change within the same
// timestamp tick: its state gets mtime_ns 0, so the next run compares the digest.
constexpr std::int64_t racy_window_ns = 2'000'000'000;

class FileDescriptor {
public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  int get() const { return fd_; }

private:
  int fd_;
};

// Reads up to `length` bytes at `offset`; fewer only at the end of the file. Fails with errno's
// text.
Result<std::size_t> read_at(int fd, char* buffer, std::size_t length, std::int64_t offset) {
  std::size_t got = 0;
  while (got < length) {
    const ssize_t n = ::pread(fd, buffer + got, length - got,
                              static_cast<off_t>(offset) + static_cast<off_t>(got));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(ErrorCategory::storage, system_error_text(errno));
    }
    if (n == 0) {
      break;
    }
    got += static_cast<std::size_t>(n);
  }
  return got;
}

struct DigestFreer {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
using DigestContext = std::unique_ptr<EVP_MD_CTX, DigestFreer>;

// SHA-256 of the first bytes of a file, extended on demand.
class PrefixHasher {
public:
  explicit PrefixHasher(int fd) : fd_(fd) { reset(); }

  void reset() {
    context_.reset(EVP_MD_CTX_new());
    if (!context_ || EVP_DigestInit_ex(context_.get(), EVP_sha256(), nullptr) != 1) {
      throw std::bad_alloc();
    }
    done_ = 0;
    last_byte_ = 0;
  }

  // Hashes the bytes from where it stands up to `offset`.
  Status advance_to(std::int64_t offset) {
    std::array<char, block_size> buffer{};
    while (done_ < offset) {
      const auto want = static_cast<std::size_t>(
          std::min<std::int64_t>(static_cast<std::int64_t>(buffer.size()), offset - done_));
      LEADSYNC_TRY(const std::size_t got, read_at(fd_, buffer.data(), want, done_));
      if (got == 0) {
        return fail(ErrorCategory::storage, "the file became shorter while it was read");
      }
      EVP_DigestUpdate(context_.get(), buffer.data(), got);
      last_byte_ = buffer[got - 1];
      done_ += static_cast<std::int64_t>(got);
    }
    return {};
  }

  // Hex digest of the bytes hashed so far.
  std::string hex() const {
    DigestContext copy(EVP_MD_CTX_new());
    if (!copy || EVP_MD_CTX_copy_ex(copy.get(), context_.get()) != 1) {
      throw std::bad_alloc();
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> hash{};
    unsigned int length = 0;
    EVP_DigestFinal_ex(copy.get(), hash.data(), &length);
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(std::size_t{length} * 2);
    for (unsigned int i = 0; i < length; ++i) {
      out.push_back(digits[hash[i] >> 4U]);
      out.push_back(digits[hash[i] & 0x0FU]);
    }
    return out;
  }

  std::int64_t done() const { return done_; }
  char last_byte() const { return last_byte_; } // of the bytes hashed so far

private:
  int fd_;
  DigestContext context_;
  std::int64_t done_ = 0;
  char last_byte_ = 0;
};

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The mtime to store: 0 when it is too recent to trust (see racy_window_ns).
std::int64_t trusted_mtime(std::int64_t mtime_ns) {
  const std::int64_t age = now_ns() - mtime_ns;
  return age < racy_window_ns ? 0 : mtime_ns;
}

// The CSV reader's row errors start with "line N: ": our notices name the line already.
std::string without_line_prefix(const std::string& error) {
  if (error.rfind("line ", 0) == 0) {
    const auto colon = error.find(": ");
    if (colon != std::string::npos) {
      return error.substr(colon + 2);
    }
  }
  return error;
}

std::string plural(std::int64_t count, const char* noun) {
  return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

constexpr std::string_view no_key_text =
    "no e-mail, phone, profile URL or company website to index";

} // namespace

std::optional<FeedFormat> feed_format(const fs::path& file) {
  const std::string extension = text::ascii_lower(file.extension().string());
  if (extension == ".jsonl" || extension == ".ndjson" || extension == ".json") {
    return FeedFormat::json_lines;
  }
  if (extension == ".csv") {
    return FeedFormat::csv;
  }
  return std::nullopt;
}

struct FeedIndexer::FileRun {
  std::string path;
  std::string display;
  FeedFormat format = FeedFormat::json_lines;
  int fd = -1;
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;
  bool append = false;  // adds to the records indexed before this run
  bool written = false; // a chunk was written this run (later ones append)
  PrefixHasher hasher;
  std::int64_t start = 0;    // where reading starts
  std::int64_t consumed = 0; // bytes read up to the end of the last line handled
  std::int64_t lines = 0;    // physical lines up to `consumed`
  std::int64_t records = 0;
  std::int64_t rejected = 0;
  std::int64_t new_records = 0;
  std::int64_t new_rejected = 0;
  std::vector<store::FeedRecord> chunk;
  std::size_t chunk_bytes = 0;
  std::vector<std::string>* notices = nullptr;
  std::size_t listed = 0;
  std::int64_t unlisted = 0;
  std::string io_error; // reading stopped: why

  explicit FileRun(int descriptor) : fd(descriptor), hasher(descriptor) {}
};

FeedIndexer::FeedIndexer(store::EnrichmentStore& store, const Clock& clock, IndexSettings settings)
    : store_(store), clock_(clock), settings_(std::move(settings)) {}

std::string FeedIndexer::display_of(const std::string& stored_path) const {
  const fs::path path(stored_path);
  if (path.parent_path() == settings_.folder) {
    return (fs::path(settings_.display_folder) / path.filename()).generic_string();
  }
  return stored_path;
}

Result<std::vector<std::string>> FeedIndexer::run(const CancellationToken& cancel) {
  std::vector<std::string> notices;
  std::error_code error;
  if (!fs::is_directory(settings_.folder, error)) {
    return fail(ErrorCategory::config, "enrich.provider '" + settings_.provider +
                                           "': the feed folder '" + settings_.display_folder +
                                           "' (" + settings_.folder.string() +
                                           ") is not a folder that can be read");
  }
  std::vector<fs::directory_entry> entries;
  for (fs::directory_iterator it(settings_.folder, error), end; !error && it != end;
       it.increment(error)) {
    entries.push_back(*it);
  }
  if (error) {
    return fail(ErrorCategory::storage, "enrich.provider '" + settings_.provider +
                                            "': cannot list the feed folder '" +
                                            settings_.display_folder + "': " + error.message());
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.path().filename() < b.path().filename(); });

  std::set<std::string> present;
  for (const auto& entry : entries) {
    if (cancel.cancelled()) {
      return fail(ErrorCategory::cancelled, "feed indexing cancelled");
    }
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.front() == '.') {
      continue; // hidden files: partial uploads, editor and OS droppings
    }
    const std::string display = (fs::path(settings_.display_folder) / name).generic_string();
    std::error_code status_error;
    const fs::file_status status = entry.status(status_error); // follows symbolic links
    if (status_error || !fs::is_regular_file(status)) {
      notices.push_back(display + ": not a regular file; ignored");
      continue;
    }
    const auto format = feed_format(entry.path());
    if (!format) {
      notices.push_back(display + ": not a feed file (.jsonl, .ndjson, .json or .csv); ignored");
      continue;
    }
    const std::string path = entry.path().string();
    present.insert(path);
    LEADSYNC_CHECK(index_file(entry.path(), display, *format, cancel, notices));
  }

  LEADSYNC_TRY(const auto indexed, store_.list_feed_files(settings_.provider));
  for (const auto& state : indexed) {
    if (present.contains(state.path)) {
      continue;
    }
    LEADSYNC_CHECK(store_.remove_feed_file(settings_.provider, state.path));
    notices.push_back(display_of(state.path) + ": no longer in the feed folder; its " +
                      plural(state.records, "record") + " removed from the index");
  }
  return notices;
}

Status FeedIndexer::index_file(const fs::path& file, const std::string& display, FeedFormat format,
                               const CancellationToken& cancel, std::vector<std::string>& notices) {
  const std::string path = file.string();
  // O_NONBLOCK: should the name have become a FIFO since it was listed, open does not wait.
  const FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) {
    notices.push_back(display + ": cannot be opened (" + system_error_text(errno) +
                      "); its index is kept as it was");
    return {};
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0 || !S_ISREG(info.st_mode)) {
    notices.push_back(display + ": not a regular file; ignored");
    return {};
  }
  const std::int64_t size = info.st_size;
  const std::int64_t mtime_ns =
      static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec;

  LEADSYNC_TRY(const auto stored, store_.get_feed_file(settings_.provider, path));
  if (stored && stored->mtime_ns != 0 && stored->size == size && stored->mtime_ns == mtime_ns) {
    return {}; // unchanged
  }

  FileRun run(fd.get());
  run.path = path;
  run.display = display;
  run.format = format;
  run.size = size;
  run.mtime_ns = mtime_ns;
  run.notices = &notices;
  if (stored && stored->size > 0 && stored->size <= size) {
    if (const Status hashed = run.hasher.advance_to(stored->size); !hashed.ok()) {
      notices.push_back(display + ": cannot be read (" + hashed.error().message +
                        "); its index is kept as it was");
      return {};
    }
    if (run.hasher.hex() == stored->digest) {
      if (size == stored->size) { // the same bytes: only the mtime changed (or was too recent)
        store::FeedFileState state = *stored;
        state.mtime_ns = trusted_mtime(mtime_ns);
        if (state.mtime_ns != stored->mtime_ns) {
          LEADSYNC_CHECK(store_.replace_feed_file(state, {}, true));
        }
        return {};
      }
      if (run.hasher.last_byte() == '\n') {
        run.append = true;
        run.start = stored->size;
        run.consumed = stored->size;
        run.lines = stored->lines;
        run.records = stored->records;
        run.rejected = stored->rejected;
      }
    }
    if (!run.append) {
      run.hasher.reset();
    }
  }

  LEADSYNC_CHECK(format == FeedFormat::csv ? read_csv(run, cancel) : read_json_lines(run, cancel));
  if (!run.io_error.empty()) {
    notices.push_back(display + ": reading stopped after line " + std::to_string(run.lines) + " (" +
                      run.io_error + "); the rest is read on the next run");
  }
  LEADSYNC_CHECK(flush(run, true));
  if (run.unlisted > 0) {
    notices.push_back(display + ": " + plural(run.unlisted, "more malformed record") +
                      " not listed");
  }
  notices.push_back(display + ": " + plural(run.new_records, run.append ? "new record" : "record") +
                    " indexed, " + plural(run.new_rejected, "malformed record") + " skipped" +
                    (run.append ? " (appended lines " + std::to_string(stored->lines + 1) + "-" +
                                      std::to_string(run.lines) + ")"
                                : ""));
  return {};
}

void FeedIndexer::reject(FileRun& run, std::int64_t line, const std::string& what) {
  ++run.rejected;
  ++run.new_rejected;
  if (run.listed < settings_.max_notices_per_file) {
    ++run.listed;
    run.notices->push_back(run.display + ":" + std::to_string(line) + ": " + what +
                           "; record skipped");
  } else {
    ++run.unlisted;
  }
}

void FeedIndexer::keep(FileRun& run, std::int64_t line, std::string text,
                       std::vector<store::FeedKey> keys) {
  run.chunk_bytes += text.size();
  run.chunk.push_back(store::FeedRecord{.provider = settings_.provider,
                                        .path = run.path,
                                        .line = line,
                                        .record = std::move(text),
                                        .keys = std::move(keys)});
  ++run.records;
  ++run.new_records;
}

Status FeedIndexer::flush(FileRun& run, bool final) {
  if (!final && run.chunk.empty()) {
    return {};
  }
  if (const Status hashed = run.hasher.advance_to(run.consumed); !hashed.ok()) {
    if (run.io_error.empty()) {
      run.io_error = hashed.error().message;
    }
    run.chunk.clear(); // the state could not cover them: read again next run
    run.chunk_bytes = 0;
    return {};
  }
  const store::FeedFileState state{
      .provider = settings_.provider,
      .path = run.path,
      .size = run.consumed,
      .mtime_ns = trusted_mtime(run.mtime_ns),
      .digest = run.hasher.hex(),
      .lines = run.lines,
      .records = run.records,
      .rejected = run.rejected,
      .indexed_at = clock_.now(),
  };
  LEADSYNC_CHECK(store_.replace_feed_file(state, run.chunk, run.append || run.written));
  run.written = true;
  run.chunk.clear();
  run.chunk_bytes = 0;
  return {};
}

namespace {

// The chunk is full: time to write it.
bool chunk_full(std::size_t records, std::size_t bytes, const IndexSettings& settings) {
  return records >= settings.chunk_records || bytes >= settings.chunk_bytes;
}

// The next block of a file of `size` bytes from `offset`: at most block.size() bytes. Nothing, with
// `error` set, when reading fails or the file became shorter.
std::optional<std::string_view> read_block(int fd, std::int64_t size, std::int64_t offset,
                                           std::vector<char>& block, std::string& error) {
  const auto want = static_cast<std::size_t>(
      std::min<std::int64_t>(static_cast<std::int64_t>(block.size()), size - offset));
  const auto got = read_at(fd, block.data(), want, offset);
  if (!got.ok() || *got == 0) {
    error = got.ok() ? "the file became shorter while it was read" : got.error().message;
    return std::nullopt;
  }
  return std::string_view(block.data(), *got);
}

} // namespace

Result<bool> FeedIndexer::flush_when_full(FileRun& run, const CancellationToken& cancel) {
  if (!chunk_full(run.chunk.size(), run.chunk_bytes, settings_)) {
    return false;
  }
  LEADSYNC_CHECK(flush(run, false));
  if (!run.io_error.empty()) {
    return true;
  }
  if (cancel.cancelled()) {
    return fail(ErrorCategory::cancelled, "feed indexing cancelled");
  }
  return false;
}

Status FeedIndexer::read_json_lines(FileRun& run, const CancellationToken& cancel) {
  const auto handle_line = [&](std::string_view text, bool too_long) {
    ++run.lines;
    if (too_long) {
      reject(run, run.lines,
             "record longer than " + std::to_string(settings_.max_record_bytes) + " bytes");
      return;
    }
    if (run.lines == 1 && text.substr(0, 3) == "\xEF\xBB\xBF") {
      text.remove_prefix(3); // UTF-8 byte order mark
    }
    text = text::trim(text, text::space_tab_cr_lf);
    if (text.empty()) {
      return; // blank lines separate nothing and are no records
    }
    // Depth-limited (issue 18): the stored record is walked recursively later.
    if (!json_depth_within(text)) {
      reject(run, run.lines,
             "JSON nested deeper than " + std::to_string(max_json_depth) + " levels");
      return;
    }
    nlohmann::json record = nlohmann::json::parse(text, nullptr, false);
    if (record.is_discarded()) {
      reject(run, run.lines, "not valid JSON");
      return;
    }
    if (!record.is_object()) {
      reject(run, run.lines, "not a JSON object");
      return;
    }
    std::vector<store::FeedKey> keys = record_keys(record);
    if (keys.empty()) {
      reject(run, run.lines, std::string(no_key_text));
      return;
    }
    keep(run, run.lines, std::string(text), std::move(keys));
  };

  std::vector<char> block(block_size);
  std::string line;
  bool too_long = false;
  std::int64_t offset = run.start;
  while (offset < run.size) {
    const auto read = read_block(run.fd, run.size, offset, block, run.io_error);
    if (!read) {
      return {};
    }
    std::string_view data = *read;
    const std::size_t got = data.size();
    std::int64_t data_offset = offset;
    while (!data.empty()) {
      const auto newline = data.find('\n');
      const std::string_view piece = data.substr(0, newline);
      if (!too_long && line.size() + piece.size() > settings_.max_record_bytes) {
        too_long = true;
        line.clear();
        line.shrink_to_fit();
      }
      if (!too_long) {
        line.append(piece);
      }
      if (newline == std::string_view::npos) {
        break;
      }
      handle_line(line, too_long);
      line.clear();
      too_long = false;
      run.consumed = data_offset + static_cast<std::int64_t>(newline) + 1;
      data.remove_prefix(newline + 1);
      data_offset += static_cast<std::int64_t>(newline) + 1;
      LEADSYNC_TRY(const bool stop, flush_when_full(run, cancel));
      if (stop) {
        return {};
      }
    }
    offset += static_cast<std::int64_t>(got);
  }
  if (!line.empty() || too_long) { // the last line has no line break
    handle_line(line, too_long);
  }
  run.consumed = run.size;
  return {};
}

Status FeedIndexer::read_csv(FileRun& run, const CancellationToken& cancel) {
  const importer::ReadOptions options{
      .encoding = "auto", .delimiter = ",", .max_record_bytes = settings_.max_record_bytes};
  auto opened = importer::CsvReader::open(run.path, options);
  if (!opened.ok()) {
    // Nothing usable in it as it is now: index it as holding no records, so that the notice comes
    // once per version of the file and its earlier records (if any) are not used any more.
    run.notices->push_back(run.display + ": cannot be read as CSV (" + opened.error().message +
                           "); no records indexed from it");
    run.append = false;
    run.hasher.reset();
    run.consumed = run.size;
    run.lines = 0;
    run.records = 0;
    run.rejected = 0;
    return {};
  }
  importer::CsvReader reader = std::move(opened).value();
  if (run.append) {
    const Status sought = reader.seek({.offset = static_cast<std::uint64_t>(run.start),
                                       .index = run.records + run.rejected,
                                       .line = run.lines + 1});
    if (!sought.ok()) {
      run.io_error = sought.error().message;
      return {};
    }
  } else {
    const importer::ResumePoint first = reader.first_record();
    run.consumed = static_cast<std::int64_t>(first.offset);
    run.lines = first.line - 1;
  }
  const std::vector<std::string> header = reader.header();
  bool at_end = false;
  while (true) {
    auto next = reader.next();
    if (!next.ok()) {
      run.io_error = next.error().message;
      return {};
    }
    if (!next->has_value()) {
      at_end = true;
      break;
    }
    const importer::CsvRecord& row = **next;
    if (static_cast<std::int64_t>(row.end_offset) > run.size) {
      break; // written after this run looked at the file: the next run appends it
    }
    if (!row.ok()) {
      reject(run, row.line, without_line_prefix(row.error));
    } else {
      nlohmann::json record = csv_row_to_record(header, row.fields);
      std::vector<store::FeedKey> keys = record_keys(record);
      if (keys.empty()) {
        reject(run, row.line, std::string(no_key_text));
      } else {
        keep(run, row.line, record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
             std::move(keys));
      }
    }
    run.consumed = static_cast<std::int64_t>(row.end_offset);
    run.lines = row.line + row.line_count - 1;
    LEADSYNC_TRY(const bool stop, flush_when_full(run, cancel));
    if (stop) {
      return {};
    }
  }
  if (at_end && run.consumed < run.size) {
    // Blank lines after the last record: take them in, counting their line breaks, so that the
    // file does not look grown on the next run.
    std::vector<char> block(block_size);
    std::int64_t offset = run.consumed;
    while (offset < run.size) {
      const auto read = read_block(run.fd, run.size, offset, block, run.io_error);
      if (!read) {
        return {};
      }
      run.lines += std::count(read->begin(), read->end(), '\n');
      offset += static_cast<std::int64_t>(read->size());
    }
    run.consumed = run.size;
  }
  return {};
}

} // namespace leadsync::enrich::providers::file_feed
