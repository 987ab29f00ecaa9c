#pragma once
// A flag that overrides a setting of leadsync.toml (--log-level, --log-format, webhook register
// --auth) takes the words the file takes, checked by the same config::parse_* function, so that a
// bad word gets the message the file would get.

#include "leadsync/core/result.hpp"

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>

namespace leadsync::cli {

template <class Enum> CLI::Validator setting_word(Result<Enum> (*parse)(std::string_view)) {
  return CLI::Validator(
      [parse](std::string& text) {
        auto parsed = parse(text);
        return parsed.ok() ? std::string() : parsed.error().message;
      },
      "");
}

} // namespace leadsync::cli
