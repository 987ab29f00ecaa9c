#include "leadsync/store/open.hpp"

#include "leadsync/store/postgres_store.hpp"
#include "leadsync/store/sqlite_store.hpp"

#include <string_view>

namespace leadsync::store {
namespace {

constexpr std::string_view accepted_forms =
    "use sqlite:///absolute/path/state.db, sqlite://path/relative/to/the/config/folder/state.db, "
    "sqlite::memory: or postgresql://USER@HOST[:PORT]/DB";

// The scheme alone: the rest of a URL may hold a password and must not reach logs.
std::string_view scheme_of(std::string_view url) {
  const auto separator = url.find(':');
  return separator == std::string_view::npos ? std::string_view() : url.substr(0, separator);
}

} // namespace

Result<std::unique_ptr<Store>> open_store(const std::string& url,
                                          const std::filesystem::path& base_dir, Clock& clock) {
  const std::string_view text = url;
  if (text == "sqlite::memory:") {
    return open_sqlite_store(SqliteOptions{":memory:"}, clock);
  }
  constexpr std::string_view sqlite_prefix = "sqlite://";
  if (text.starts_with(sqlite_prefix)) {
    const std::filesystem::path path(text.substr(sqlite_prefix.size()));
    if (path.empty() || !path.has_filename()) {
      return fail(ErrorCategory::config, "the store URL '" + url + "' names no database file; " +
                                             std::string(accepted_forms));
    }
    return open_sqlite_store(SqliteOptions{path.is_absolute() ? path : base_dir / path}, clock);
  }
  const std::string_view scheme = scheme_of(text);
  if (scheme == "postgresql" || scheme == "postgres") {
#ifdef LEADSYNC_WITH_POSTGRES
    return open_postgres_store(PostgresOptions{.url = url, .pool_size = 4}, clock);
#else
    return fail(ErrorCategory::config, "this build has no PostgreSQL store; rebuild with "
                                       "-DLEADSYNC_WITH_POSTGRES=ON or use a sqlite:// URL");
#endif
  }
  return fail(ErrorCategory::config,
              (scheme.empty()
                   ? std::string("the store URL has no scheme")
                   : "the store URL scheme '" + std::string(scheme) + "' is not supported") +
                  "; " + std::string(accepted_forms));
}

ScratchStoreFactory scratch_store_factory(Clock& clock, Random& random) {
  return [&clock, &random] { return open_temporary_sqlite_store(clock, random); };
}

} // namespace leadsync::store
