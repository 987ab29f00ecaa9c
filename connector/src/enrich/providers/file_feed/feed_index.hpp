#pragma once
// Keeps the store's feed index in step with a feed folder (file_feed provider, prepare()).
//
// Each run scans the folder (not its subfolders) and, per feed file:
//  - size and mtime as indexed, and the mtime not within 2 s of when it was indexed: unchanged,
//    nothing read (a file indexed while its mtime was that recent is stored with mtime_ns 0, so the
//    next run hashes it: a rewrite within the same timestamp tick is not missed);
//  - bigger, its first `size` bytes hash to the stored digest and they end in a line break: the
//    file grew, only the new lines are read and their records appended;
//  - otherwise (shrunk, rewritten, or the indexed part ended mid-line): re-indexed whole;
//  - gone (or no longer a feed file): its records are removed.
// Files are streamed and records written in chunks of at most chunk_records records / chunk_bytes
// bytes; each chunk's FeedFileState covers exactly the bytes read so far (size, digest, lines), so
// an interrupted run resumes as an append. Malformed records become notices
// "<folder>/<file>:<line>: <what>; record skipped" (max_notices_per_file per file and run, then a
// count) and FeedFileState::rejected; they never stop the run.

#include "leadsync/core/cancel.hpp"
#include "leadsync/core/clock.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/store/store.hpp"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace leadsync::enrich::providers::file_feed {

enum class FeedFormat { json_lines, csv };

// The format a file name says (.jsonl, .ndjson, .json: JSON Lines; .csv: CSV, any case); none for
// other names.
std::optional<FeedFormat> feed_format(const std::filesystem::path& file);

struct IndexSettings {
  std::string provider;                           // the provider name the index is kept under
  std::filesystem::path folder;                   // absolute
  std::string display_folder;                     // the folder as configured, for notices ("feeds")
  std::size_t chunk_records = 1000;               // records per store write
  std::size_t chunk_bytes = std::size_t{8} << 20; // record text per store write
  std::size_t max_record_bytes = std::size_t{1} << 20; // longer records are rejected
  std::size_t max_notices_per_file = 20;               // malformed-record notices listed per file
};

class FeedIndexer {
public:
  FeedIndexer(store::EnrichmentStore& store, const Clock& clock, IndexSettings settings);

  // Brings the index in step with the folder; returns the notices. Fails when the folder cannot be
  // listed, the store fails, or on cancellation (what was written stays consistent).
  Result<std::vector<std::string>> run(const CancellationToken& cancel);

  const IndexSettings& settings() const { return settings_; }

private:
  struct FileRun;
  Status index_file(const std::filesystem::path& path, const std::string& display,
                    FeedFormat format, const CancellationToken& cancel,
                    std::vector<std::string>& notices);
  Status read_json_lines(FileRun& run, const CancellationToken& cancel);
  Status read_csv(FileRun& run, const CancellationToken& cancel);
  Status flush(FileRun& run, bool final);
  // Writes the chunk when it is full. True when reading is to stop (run.io_error is set); fails
  // when writing fails or `cancel` is set.
  Result<bool> flush_when_full(FileRun& run, const CancellationToken& cancel);
  void reject(FileRun& run, std::int64_t line, const std::string& what);
  // Adds an accepted record (its text and index keys) to the chunk and counts it.
  void keep(FileRun& run, std::int64_t line, std::string text, std::vector<store::FeedKey> keys);
  std::string display_of(const std::string& stored_path) const;

  store::EnrichmentStore& store_;
  const Clock& clock_;
  IndexSettings settings_;
};

} // namespace leadsync::enrich::providers::file_feed
