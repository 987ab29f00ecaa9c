// Fuzz target feed_file: the feed-file reader of the file_feed provider
// (enrich/providers/file_feed/feed_index.hpp, feed_record.hpp). The input is the content of a feed
// file dropped into the feed folder, JSON Lines or CSV by the input size; the indexer reads it into
// an in-memory SQLite store as `leadsync enrich` does. Each run writes a new file name and deletes
// the previous file, so the index is re-read whole and the store never grows.

#include "fuzz_support.hpp"
#include "leadsync/core/cancel.hpp"
#include "leadsync/core/clock.hpp"
#include "leadsync/store/sqlite_store.hpp"
#include "providers/file_feed/feed_index.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

namespace {

struct Feed {
  Feed() {
    std::filesystem::create_directories(folder);
    auto opened = leadsync::store::open_sqlite_store(
        leadsync::store::SqliteOptions{.path = ":memory:",
                                       .busy_timeout = std::chrono::milliseconds{5000},
                                       .background_checkpoint_pages = 0},
        clock);
    if (!opened.ok()) {
      std::abort();
    }
    store = std::move(opened).value();
    indexer = std::make_unique<leadsync::enrich::providers::file_feed::FeedIndexer>(
        *store, clock,
        leadsync::enrich::providers::file_feed::IndexSettings{.provider = "feeds",
                                                              .folder = folder,
                                                              .display_folder = "feeds",
                                                              .chunk_records = 50,
                                                              .chunk_bytes = std::size_t{64} << 10,
                                                              .max_record_bytes = std::size_t{16}
                                                                                  << 10,
                                                              .max_notices_per_file = 20});
  }

  std::filesystem::path folder = leadsync::fuzz::scratch_dir() / "feeds";
  leadsync::ManualClock clock;
  std::unique_ptr<leadsync::store::Store> store;
  std::unique_ptr<leadsync::enrich::providers::file_feed::FeedIndexer> indexer;
  std::filesystem::path previous;
  std::uint64_t runs = 0;
};

} // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace leadsync;
  static Feed feed;
  std::error_code ignored;
  std::filesystem::remove(feed.previous, ignored);
  feed.previous =
      feed.folder / ("people-" + std::to_string(feed.runs++) + (size % 2 == 0 ? ".jsonl" : ".csv"));
  fuzz::write_file(feed.previous, fuzz::as_text(data, size));
  feed.clock.advance(std::chrono::seconds{10}); // never within the 2 s re-hash window
  const CancellationToken cancel;
  if (auto notices = feed.indexer->run(cancel); notices.ok()) {
    (void)notices->size();
  }
  return 0;
}
