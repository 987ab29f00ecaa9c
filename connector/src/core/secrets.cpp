#include "leadsync/core/secrets.hpp"

#include "leadsync/core/bounded_read.hpp"
#include "leadsync/core/log.hpp"
#include "leadsync/core/text.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace leadsync {
namespace {

namespace fs = std::filesystem;

bool has_control_characters(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
  });
}

// A secret goes into an HTTP header or a form body: a CR LF inside it would add a header on the
// wire, a NUL would cut it short (issue 18). Only the trailing line ending is forgiven (trimmed).
Status refuse_control_characters(std::string_view value, const std::string& key,
                                 const std::string& source, const std::string& remedy) {
  if (!has_control_characters(value)) {
    return ok_status();
  }
  return fail(ErrorCategory::config,
              fmt::format("{}: {} holds control characters (a line break, tab, NUL or another "
                          "control byte) inside the secret; {}",
                          key, source, remedy));
}

Result<std::string> read_secret_file(const std::string& path, const std::string& what) {
  const std::string key = what + "_file";
  const std::string how_to_create =
      "create it with the secret and chmod 600 (printf '%s' 'SECRET' > " + path + " && chmod 600 " +
      path + ")";
  const std::string what_text = key + ": secret file";
  const std::string remedy =
      "it must be a regular file readable by the user leadsync runs as, holding only the secret; " +
      how_to_create;
  LEADSYNC_TRY(std::string content,
               read_regular_file(path, secret_file_limit,
                                 FileReadPurpose{.what = what_text, .remedy = remedy}));
  std::string value(text::trim_right(content, text::space_tab_cr_lf));
  if (value.empty()) {
    return fail(ErrorCategory::config, key + ": secret file " + path +
                                           " is empty; write the secret into it (printf '%s' "
                                           "'SECRET' > " +
                                           path + ")");
  }
  LEADSYNC_CHECK(refuse_control_characters(
      value, key, "secret file " + path,
      "write only the secret into it, on one line (printf '%s' 'SECRET' > " + path + ")"));
  std::error_code ec;
  const auto status = fs::status(path, ec);
  constexpr auto readable_by_others = fs::perms::group_read | fs::perms::others_read;
  if (!ec && (status.permissions() & readable_by_others) != fs::perms::none) {
    log::get()->warn("{}: secret file {} can be read by other users; run chmod 600 {}", key, path,
                     path);
  }
  return value;
}

Result<std::string> read_secret_env(const std::string& variable, const std::string& what) {
  const std::string key = what + "_env";
  // NOLINTNEXTLINE(concurrency-mt-unsafe): leadsync never changes its own environment
  const char* value = std::getenv(variable.c_str());
  if (value == nullptr) {
    return fail(ErrorCategory::config, key + ": environment variable " + variable +
                                           " is not set; export " + variable +
                                           "=... in the environment leadsync runs in");
  }
  if (*value == '\0') {
    return fail(ErrorCategory::config, key + ": environment variable " + variable +
                                           " is empty; export " + variable +
                                           "=... with the secret");
  }
  LEADSYNC_CHECK(refuse_control_characters(value, key, "environment variable " + variable,
                                           "export " + variable +
                                               "=... with the secret alone, without line breaks"));
  return std::string(value);
}

std::string errno_text(int error) {
  return std::error_code(error, std::generic_category()).message();
}

constexpr std::string_view webhook_key_advice =
    "set server.webhook_key_file to a file holding only the key (printf '%s' 'KEY' > "
    "/etc/leadsync/webhook_key && chmod 600 /etc/leadsync/webhook_key) or export the variable "
    "named by server.webhook_key_env (LEADSYNC_WEBHOOK_KEY=KEY); use the key the webhook was "
    "registered with";

// Reads the key file through one descriptor: opened without blocking (a FIFO would wait for a
// writer), checked to be a regular file with fstat, read up to the limit.
Result<std::string> read_webhook_key_file(const fs::path& path) {
  const std::string key = "server.webhook_key_file";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    const int error = errno;
    return fail(ErrorCategory::config,
                fmt::format("{}: cannot open {} ({}); {}", key, path.string(), errno_text(error),
                            error == ENOENT ? std::string(webhook_key_advice)
                                            : "make it readable by the user leadsync runs as "
                                              "(chown, chmod 600)"));
  }
  struct FdCloser {
    explicit FdCloser(int descriptor) : fd(descriptor) {}
    FdCloser(const FdCloser&) = delete;
    FdCloser& operator=(const FdCloser&) = delete;
    ~FdCloser() { ::close(fd); }
    int fd;
  } closer{fd};
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    return fail(ErrorCategory::config,
                fmt::format("{}: {} is not a regular file (a folder, FIFO, socket or device); "
                            "point it at a file holding only the key",
                            key, path.string()));
  }
  std::string content;
  char buffer[1024];
  for (;;) {
    const auto got = ::read(fd, buffer, sizeof buffer);
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(ErrorCategory::config,
                  fmt::format("{}: cannot read {} ({})", key, path.string(), errno_text(errno)));
    }
    if (got == 0) {
      break;
    }
    content.append(buffer, static_cast<std::size_t>(got));
    if (content.size() > max_webhook_key_bytes) {
      return fail(ErrorCategory::config,
                  fmt::format("{}: {} is larger than {} bytes; it must hold only the key", key,
                              path.string(), max_webhook_key_bytes));
    }
  }
  // One line ending, as `echo KEY > file` leaves it; anything else is part of the key.
  if (content.ends_with("\r\n")) {
    content.resize(content.size() - 2);
  } else if (content.ends_with('\n')) {
    content.pop_back();
  }
  if (content.empty()) {
    return fail(ErrorCategory::config,
                fmt::format("{}: {} is empty; {}", key, path.string(), webhook_key_advice));
  }
  if (has_control_characters(content)) {
    return fail(ErrorCategory::config,
                fmt::format("{}: {} holds control characters or more than one line; write only "
                            "the key into it, on one line",
                            key, path.string()));
  }
  constexpr auto readable_by_others = S_IRGRP | S_IROTH;
  if ((info.st_mode & readable_by_others) != 0) {
    log::get()->warn("{}: {} can be read by other users; run chmod 600 {}", key, path.string(),
                     path.string());
  }
  return content;
}

} // namespace

Result<Secret> load_webhook_secret(const config::Config& config) {
  const auto& server = config.server;
  std::string value;
  if (!server.webhook_key_file.empty()) {
    LEADSYNC_TRY(value,
                 read_webhook_key_file(config::resolve_path(config, server.webhook_key_file)));
  } else if (!server.webhook_key_env.empty()) {
    auto found = read_secret_env(server.webhook_key_env, "server.webhook_key");
    if (!found) {
      return fail(ErrorCategory::config,
                  found.error().message +
                      "; or set server.webhook_key_file to a file holding only the key (chmod "
                      "600). Use the key the webhook was registered with");
    }
    value = std::move(found).value();
    if (has_control_characters(value)) {
      return fail(ErrorCategory::config,
                  fmt::format("server.webhook_key_env: environment variable {} holds control "
                              "characters; set it to the key alone",
                              server.webhook_key_env));
    }
  } else {
    return fail(ErrorCategory::config,
                fmt::format("no webhook key is configured: {}", webhook_key_advice));
  }
  log::Redactor::instance().add_secret(value);
  return Secret(std::move(value));
}

Result<Secret> read_secret(const config::SecretRef& ref, const std::string& what) {
  if (!ref.file.empty() && !ref.env.empty()) {
    return fail(ErrorCategory::config,
                "set only one of " + what + "_file or " + what + "_env, not both");
  }
  if (ref.empty()) {
    return fail(ErrorCategory::config,
                what + " is not configured: set " + what +
                    "_file to a file holding it (chmod 600) or " + what +
                    "_env to the name of an environment variable holding it");
  }
  LEADSYNC_TRY(std::string value, ref.file.empty() ? read_secret_env(ref.env, what)
                                                   : read_secret_file(ref.file, what));
  log::Redactor::instance().add_secret(value);
  return Secret(std::move(value));
}

} // namespace leadsync
