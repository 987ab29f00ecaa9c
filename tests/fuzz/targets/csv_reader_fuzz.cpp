// Fuzz target csv_reader: the CSV reader with encoding detection and decoding
// (importer/csv_reader.hpp, encoding.hpp). The input is the file content; its size picks the
// --encoding and --delimiter options (most often auto/auto, as users run it). Reads every record,
// then resumes from the middle record and reads on, as `import --resume` does.

#include "fuzz_support.hpp"
#include "leadsync/importer/csv_reader.hpp"
#include "leadsync/importer/encoding.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace {

leadsync::importer::ReadOptions options_for(std::size_t size) {
  leadsync::importer::ReadOptions options;
  // A small record limit reaches the over-long-record path without megabyte inputs.
  options.max_record_bytes = 4096;
  switch (size % 8) {
  case 4:
    options.encoding = "utf-16";
    break;
  case 5:
    options.encoding = "windows-1251";
    break;
  case 6:
    options.delimiter = ";";
    break;
  case 7:
    options.encoding = "utf-8";
    options.delimiter = "tab";
    break;
  default:
    break;
  }
  return options;
}

} // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace leadsync;
  const auto text = fuzz::as_text(data, size);
  (void)importer::detect_encoding(text.substr(0, importer::encoding_sample_bytes));

  const auto path = fuzz::scratch_dir() / "input.csv";
  fuzz::write_file(path, text);
  auto reader = importer::CsvReader::open(path.string(), options_for(size));
  if (!reader.ok()) {
    return 0;
  }
  std::vector<importer::ResumePoint> points;
  for (int guard = 0; guard < 100000; ++guard) {
    auto record = reader->next();
    if (!record.ok() || !record->has_value()) {
      break;
    }
    points.push_back((*record)->resume_after());
  }
  if (!points.empty() && reader->seek(points[points.size() / 2]).ok()) {
    for (int guard = 0; guard < 100000; ++guard) {
      auto record = reader->next();
      if (!record.ok() || !record->has_value()) {
        break;
      }
    }
  }
  return 0;
}
