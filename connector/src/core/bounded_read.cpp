#include "leadsync/core/bounded_read.hpp"

#include "leadsync/core/error.hpp"

#include <cerrno>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace leadsync {
namespace {

std::string size_text(std::size_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) {
    return std::to_string(bytes >> 20) + " MB";
  }
  if (bytes >= (1u << 10) && bytes % (1u << 10) == 0) {
    return std::to_string(bytes >> 10) + " KB";
  }
  return std::to_string(bytes) + " bytes";
}

Failure refuse(const FileReadPurpose& purpose, const std::filesystem::path& file,
               const std::string& why) {
  std::string message = std::string(purpose.what) + " " + file.string() + " " + why;
  if (!purpose.remedy.empty()) {
    message += "; " + std::string(purpose.remedy);
  }
  return fail(ErrorCategory::config, std::move(message));
}

// Closes the descriptor on every path out.
class Descriptor {
public:
  explicit Descriptor(int fd) : fd_(fd) {}
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  ~Descriptor() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  [[nodiscard]] int get() const { return fd_; }

private:
  int fd_;
};

std::string kind_of(mode_t mode) {
  if (S_ISDIR(mode)) {
    return "is a folder, not a file";
  }
  if (S_ISCHR(mode) || S_ISBLK(mode)) {
    return "is a device, not a regular file";
  }
  if (S_ISFIFO(mode)) {
    return "is a pipe (FIFO), not a regular file";
  }
  if (S_ISSOCK(mode)) {
    return "is a socket, not a regular file";
  }
  return "is not a regular file";
}

// Opens `file` for reading and checks it is a regular file. O_NONBLOCK keeps a FIFO with no
// writer from blocking the open; it is refused right after.
Result<int> open_regular(const std::filesystem::path& file, const FileReadPurpose& purpose,
                         struct stat& info) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    const int error_number = errno;
    if (error_number == ENOENT) {
      return refuse(purpose, file, "does not exist");
    }
    return refuse(purpose, file, "cannot be read (" + system_error_text(error_number) + ")");
  }
  if (::fstat(fd, &info) != 0) {
    const int error_number = errno;
    ::close(fd);
    return refuse(purpose, file, "cannot be read (" + system_error_text(error_number) + ")");
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(fd);
    return refuse(purpose, file, kind_of(info.st_mode));
  }
  return fd;
}

} // namespace

Result<std::string> read_regular_file(const std::filesystem::path& file, std::size_t max_bytes,
                                      const FileReadPurpose& purpose) {
  struct stat info {};
  auto opened = open_regular(file, purpose, info);
  if (!opened) {
    return fail(opened.error());
  }
  const Descriptor fd(*opened);
  const auto too_large = [&](std::size_t at_least) {
    return refuse(purpose, file,
                  "is larger than its " + size_text(max_bytes) + " limit (" +
                      std::to_string(at_least) + " bytes or more)");
  };
  if (static_cast<std::size_t>(info.st_size) > max_bytes) {
    return too_large(static_cast<std::size_t>(info.st_size));
  }
  std::string content;
  content.resize(static_cast<std::size_t>(info.st_size) + 1);
  std::size_t filled = 0;
  for (;;) {
    if (filled == content.size()) {
      if (content.size() > max_bytes) {
        return too_large(content.size());
      }
      content.resize(std::min(max_bytes + 1, content.size() * 2));
    }
    const ssize_t got = ::read(fd.get(), content.data() + filled, content.size() - filled);
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      return refuse(purpose, file, "cannot be read (" + system_error_text(errno) + ")");
    }
    if (got == 0) {
      break;
    }
    filled += static_cast<std::size_t>(got);
  }
  content.resize(filled);
  return content;
}

Status check_regular_file(const std::filesystem::path& file, const FileReadPurpose& purpose) {
  struct stat info {};
  auto opened = open_regular(file, purpose, info);
  if (!opened) {
    return fail(opened.error());
  }
  ::close(*opened);
  return ok_status();
}

} // namespace leadsync
