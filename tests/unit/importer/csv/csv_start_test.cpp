// check_csv_start (issue 18): what cannot be a CSV list is refused from its first megabyte, at
// once, before anything scans the whole file.

#include "leadsync/importer/csv_reader.hpp"
#include "support/csv_fixtures.hpp"

#include <filesystem>
#include <fstream>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <string>
#include <sys/stat.h>

namespace leadsync::importer {
namespace {

using test::TempDir;
using ::testing::HasSubstr;

class CsvStartTest : public ::testing::Test {
protected:
  TempDir dir;
};

TEST_F(CsvStartTest, ADeviceOrAFifoIsRefusedBeforeItIsOpenedForReading) {
  const auto device = check_csv_start("/dev/zero");
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.error().category, ErrorCategory::invalid_argument);
  EXPECT_THAT(device.error().message, HasSubstr("is a device"));
  EXPECT_THAT(device.error().message, HasSubstr("name a CSV file"));
  const auto fifo = dir.path() / "list.csv";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // Opening a FIFO with no writer for reading would block: the check must not.
  const auto piped = check_csv_start(fifo.string());
  ASSERT_FALSE(piped.ok());
  EXPECT_THAT(piped.error().message, HasSubstr("pipe (FIFO)"));
  // CsvReader::open makes the same check first.
  const auto reader = CsvReader::open(fifo.string(), {});
  ASSERT_FALSE(reader.ok());
  EXPECT_THAT(reader.error().message, HasSubstr("pipe (FIFO)"));
}

TEST_F(CsvStartTest, AMissingFileIsNotFound) {
  const auto missing = check_csv_start((dir.path() / "absent.csv").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().category, ErrorCategory::not_found);
}

TEST_F(CsvStartTest, ALargeFileWithNoLineBreakInItsFirstMegabyteIsRefusedSayingWhatItHolds) {
  const auto path = dir.path() / "zeros.csv";
  { std::ofstream create(path); }
  std::filesystem::resize_file(path, std::uintmax_t{64} << 20); // sparse: no disk
  const auto checked = check_csv_start(path.string());
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().category, ErrorCategory::invalid_argument);
  EXPECT_THAT(checked.error().message, HasSubstr("first 1 MB hold no line break"));
  EXPECT_THAT(checked.error().message, HasSubstr("the first bytes are 00 00 00 00"));
  EXPECT_THAT(checked.error().message, HasSubstr("is this a CSV file?"));
  // Text with no line break is refused the same way once it passes the probe.
  const auto long_line = dir.write("long.csv", std::string(header_probe_bytes + 1, 'a'));
  EXPECT_FALSE(check_csv_start(long_line).ok());
}

TEST_F(CsvStartTest, AFirstLineOfNulOrControlBytesIsRefused) {
  const auto nuls = dir.write("nuls.csv", std::string(100, '\0') + "\nname\n");
  const auto refused = check_csv_start(nuls);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error().message, HasSubstr("its first line is 100 of 100 NUL or control"));
  const auto binary = dir.write("binary.csv", std::string("a\x01\x02\x03\x04\x05,b\n1,2\n"));
  EXPECT_FALSE(check_csv_start(binary).ok());
  // A small file that is one header line without a line break is a header.
  EXPECT_TRUE(check_csv_start(dir.write("header-only.csv", "First Name,Email")).ok());
}

TEST_F(CsvStartTest, Utf16FilesWithTheirZeroBytesPassWithOrWithoutAByteOrderMark) {
  const std::string text = "First Name,Email\nAda,ada@example.com\n";
  EXPECT_TRUE(
      check_csv_start(dir.write("le.csv", "\xFF\xFE" + test::encode(text, "UTF-16LE"))).ok());
  EXPECT_TRUE(
      check_csv_start(dir.write("be.csv", "\xFE\xFF" + test::encode(text, "UTF-16BE"))).ok());
  EXPECT_TRUE(check_csv_start(dir.write("bare.csv", test::encode(text, "UTF-16LE"))).ok());
  EXPECT_TRUE(
      check_csv_start(dir.write("named.csv", test::encode(text, "UTF-16LE")), "utf-16").ok());
}

TEST_F(CsvStartTest, AWorkbookGetsTheSaveAsAdviceNotTheBinaryRefusal) {
  const auto workbook = dir.write("list.csv", std::string("PK\x03\x04\x14\x00\x06\x00", 8));
  const auto checked = check_csv_start(workbook);
  ASSERT_FALSE(checked.ok());
  EXPECT_THAT(checked.error().message, HasSubstr("Save As"));
}

} // namespace
} // namespace leadsync::importer
