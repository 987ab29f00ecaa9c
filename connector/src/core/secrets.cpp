#include "leadsync/core/secrets.hpp"

#include "leadsync/core/log.hpp"

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace leadsync {
namespace {

namespace fs = std::filesystem;

std::string trim_trailing_whitespace(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' ||
                           text.back() == '\t')) {
    text.pop_back();
  }
  return text;
}

Result<std::string> read_secret_file(const std::string& path, const std::string& what) {
  const std::string key = what + "_file";
  const std::string how_to_create =
      "create it with the secret and chmod 600 (printf '%s' 'SECRET' > " + path + " && chmod 600 " +
      path + ")";
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (!fs::exists(status)) {
    return fail(ErrorCategory::config,
                key + ": secret file " + path + " does not exist; " + how_to_create);
  }
  if (fs::is_directory(status)) {
    return fail(ErrorCategory::config, key + ": " + path +
                                           " is a folder, not a file holding the secret; " +
                                           how_to_create);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const std::string reason = std::error_code(errno, std::generic_category()).message();
    return fail(ErrorCategory::config, key + ": cannot read secret file " + path + " (" + reason +
                                           "); make it readable by the user leadsync runs as, "
                                           "for example with chown and chmod 600");
  }
  std::ostringstream content;
  content << in.rdbuf();
  std::string value = trim_trailing_whitespace(std::move(content).str());
  if (value.empty()) {
    return fail(ErrorCategory::config, key + ": secret file " + path +
                                           " is empty; write the secret into it (printf '%s' "
                                           "'SECRET' > " +
                                           path + ")");
  }
  constexpr auto readable_by_others = fs::perms::group_read | fs::perms::others_read;
  if ((status.permissions() & readable_by_others) != fs::perms::none) {
    log::get()->warn("{}: secret file {} can be read by other users; run chmod 600 {}", key, path,
                     path);
  }
  return value;
}

Result<std::string> read_secret_env(const std::string& variable, const std::string& what) {
  const std::string key = what + "_env";
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
  return std::string(value);
}

} // namespace

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
