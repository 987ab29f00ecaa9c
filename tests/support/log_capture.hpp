#pragma once
// Captures what leadsync::log writes, for tests that check log lines; restores the default logger.

#include "leadsync/core/log.hpp"

#include <sstream>
#include <string>
#include <vector>

namespace leadsync::test {

class LogCapture {
public:
  explicit LogCapture(spdlog::level::level_enum level = spdlog::level::debug) {
    log::init(log::Options{level, log::Format::text, true}, out_);
  }
  ~LogCapture() { log::init(log::Options{}); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::string text() const { return out_.str(); }
  std::vector<std::string> lines() const {
    std::vector<std::string> result;
    std::istringstream in(out_.str());
    for (std::string line; std::getline(in, line);) {
      result.push_back(line);
    }
    return result;
  }

private:
  std::ostringstream out_;
};

} // namespace leadsync::test
