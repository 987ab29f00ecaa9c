#pragma once
// Opens a store from its URL: "sqlite:///abs/path/state.db", "sqlite://relative/state.db" (relative
// to base_dir, usually the config file's folder), "sqlite::memory:" for tests. "postgresql://..."
// needs a build with LEADSYNC_WITH_POSTGRES=ON; without it the error says so.

#include "leadsync/core/clock.hpp"
#include "leadsync/core/random.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/store/store.hpp"

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace leadsync::store {

Result<std::unique_ptr<Store>> open_store(const std::string& url,
                                          const std::filesystem::path& base_dir,
                                          Clock& clock = SystemClock::instance());

// Makes a scratch store: a new, empty store of its own, thrown away with the returned pointer. An
// import's dry run writes there instead of the real store (CsvImportOptions::scratch_store).
using ScratchStoreFactory = std::function<Result<std::unique_ptr<Store>>()>;

// The scratch stores for any configured backend: a temporary SQLite file
// (open_temporary_sqlite_store). A dry run reads the real store (matches, stored leads) and only
// writes to the scratch one; what a store does with a write (ids, versions, validation, outbox, the
// review queue) is the Store contract, shared by both backends (store/detail/rules.hpp) and pinned
// by the same contract tests, so SQLite scratch applies the rules a PostgreSQL store would. A
// throwaway PostgreSQL schema would need CREATE rights on the database, a full migration per dry
// run and cleanup after a crash, for no difference a dry run can see.
ScratchStoreFactory scratch_store_factory(Clock& clock = SystemClock::instance(),
                                          Random& random = SecureRandom::instance());

} // namespace leadsync::store
