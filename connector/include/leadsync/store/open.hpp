#pragma once
// Opens a store from its URL: "sqlite:///abs/path/state.db", "sqlite://relative/state.db" (relative
// to base_dir, usually the config file's folder), "sqlite::memory:" for tests. "postgresql://..."
// needs a build with LEADSYNC_WITH_POSTGRES=ON; without it the error says so.

#include "leadsync/core/clock.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/store/store.hpp"

#include <filesystem>
#include <memory>
#include <string>

namespace leadsync::store {

Result<std::unique_ptr<Store>> open_store(const std::string& url,
                                          const std::filesystem::path& base_dir,
                                          Clock& clock = SystemClock::instance());

} // namespace leadsync::store
