#pragma once
// Secrets come from a file or an environment variable, never from the config text. A Secret does
// not print itself; reading one registers it with the log redactor so it can never appear in a log
// line.

#include "leadsync/core/config.hpp"
#include "leadsync/core/result.hpp"

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

} // namespace leadsync
