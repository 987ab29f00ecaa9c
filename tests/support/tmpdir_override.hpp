#pragma once
// Points TMPDIR (where a dry run makes its scratch store) at `folder` while it lives, then puts
// back what was there (or unsets it).

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

namespace leadsync::test {

class TmpdirOverride {
public:
  explicit TmpdirOverride(const std::filesystem::path& folder) {
    if (const char* given = std::getenv("TMPDIR"); given != nullptr) {
      previous_ = given;
    }
    ::setenv("TMPDIR", folder.c_str(), 1);
  }
  TmpdirOverride(const TmpdirOverride&) = delete;
  TmpdirOverride& operator=(const TmpdirOverride&) = delete;
  ~TmpdirOverride() {
    if (previous_) {
      ::setenv("TMPDIR", previous_->c_str(), 1);
    } else {
      ::unsetenv("TMPDIR");
    }
  }

private:
  std::optional<std::string> previous_;
};

} // namespace leadsync::test
