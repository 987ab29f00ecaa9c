#pragma once
// Secrets come from a file or an environment variable, never from the config text. A Secret does
// not print itself; reading one registers it with the log redactor so it can never appear in a log
// line.

#include "leadsync/core/config.hpp"
#include "leadsync/core/result.hpp"

#include <cstddef>
#include <string>

namespace leadsync {

class Secret {
public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  const std::string& reveal() const {
    return value_;
  } // the one way to get at it: grep-able on purpose
  bool empty() const { return value_.empty(); }

private:
  std::string value_;
};

// Reads the secret named by ref (file first if both are set is a config error caught by
// validate()). File: trailing newline(s) trimmed; a group- or world-readable file gets a warning in
// the log. Errors (category config) say which file or variable, and what to do. `what` is the
// config key the reference came from without its _file/_env suffix, e.g. "crm.auth.client_secret".
Result<Secret> read_secret(const config::SecretRef& ref, const std::string& what);

// The key the CRM webhook (and POST /events) must present, from [server]: the file named by
// webhook_key_file when set (resolved against the config's folder; a regular file of at most
// max_webhook_key_bytes, one trailing "\n" or "\r\n" dropped), else the environment variable
// named by webhook_key_env. Refused (category config), saying what to set: nothing configured, a
// missing or unreadable file, a folder, FIFO or device, an empty key, a key with control
// characters (a second line included). The key is registered with the log redactor.
inline constexpr std::size_t max_webhook_key_bytes = 4096;
Result<Secret> load_webhook_secret(const config::Config& config);

} // namespace leadsync
