#pragma once
// Every record a CSV reader gives, until the end of the file; a reading error fails the test.

#include "leadsync/importer/csv_reader.hpp"

#include <gtest/gtest.h>
#include <vector>

namespace leadsync::importer::testing {

inline std::vector<CsvRecord> read_all(CsvReader& reader) {
  std::vector<CsvRecord> records;
  while (true) {
    auto record = reader.next();
    if (!record.ok()) {
      ADD_FAILURE() << record.error().describe();
      return records;
    }
    if (!record->has_value()) {
      return records;
    }
    records.push_back(std::move(**record));
  }
}

} // namespace leadsync::importer::testing
