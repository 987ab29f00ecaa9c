#include "leadsync/core/bounded_read.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

namespace leadsync {
namespace {

namespace fs = std::filesystem;

const FileReadPurpose purpose{.what = "mapping file", .remedy = "name another with --mapping"};

class BoundedReadTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("leadsync-bounded-read-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& content) {
    fs::path file = dir_ / name;
    std::ofstream(file, std::ios::binary) << content;
    return file;
  }

  fs::path dir_;
};

TEST_F(BoundedReadTest, ReadsARegularFileWithinItsLimitWhole) {
  const std::string content(5000, 'x');
  const auto read = read_regular_file(write("a.toml", content), 5000, purpose);
  ASSERT_TRUE(read) << read.error().describe();
  EXPECT_EQ(*read, content);
}

TEST_F(BoundedReadTest, ReadsAnEmptyFileAsEmpty) {
  const auto read = read_regular_file(write("empty.toml", ""), 10, purpose);
  ASSERT_TRUE(read);
  EXPECT_TRUE(read->empty());
}

TEST_F(BoundedReadTest, RefusesAFileOneByteOverItsLimitSayingTheLimitAndWhatToDo) {
  const auto read = read_regular_file(write("big.toml", std::string(2049, 'x')), 2048, purpose);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().category, ErrorCategory::config);
  EXPECT_NE(read.error().message.find("2 KB limit"), std::string::npos) << read.error().message;
  EXPECT_NE(read.error().message.find("mapping file"), std::string::npos);
  EXPECT_NE(read.error().message.find("--mapping"), std::string::npos);
}

TEST_F(BoundedReadTest, RefusesDevZeroAsADeviceWithoutReadingIt) {
  const auto read = read_regular_file("/dev/zero", 1024, purpose);
  ASSERT_FALSE(read);
  EXPECT_NE(read.error().message.find("is a device"), std::string::npos) << read.error().message;
}

TEST_F(BoundedReadTest, RefusesAFolder) {
  const auto read = read_regular_file(dir_, 1024, purpose);
  ASSERT_FALSE(read);
  EXPECT_NE(read.error().message.find("is a folder"), std::string::npos) << read.error().message;
}

TEST_F(BoundedReadTest, RefusesAFifoWithoutWaitingForAWriter) {
  const fs::path fifo = dir_ / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto read = read_regular_file(fifo, 1024, purpose);
  ASSERT_FALSE(read);
  EXPECT_NE(read.error().message.find("pipe"), std::string::npos) << read.error().message;
}

TEST_F(BoundedReadTest, SaysAMissingFileDoesNotExist) {
  const auto read = read_regular_file(dir_ / "missing.toml", 1024, purpose);
  ASSERT_FALSE(read);
  EXPECT_NE(read.error().message.find("does not exist"), std::string::npos);
}

TEST_F(BoundedReadTest, ChecksARegularFileWithoutReadingIt) {
  EXPECT_TRUE(check_regular_file(write("list.csv", "a,b\n"), purpose));
  EXPECT_FALSE(check_regular_file("/dev/zero", purpose));
  EXPECT_FALSE(check_regular_file(dir_, purpose));
}

} // namespace
} // namespace leadsync
