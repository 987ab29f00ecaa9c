// Opening the PostgreSQL store: URL checks, the pool, the schema.

#include "leadsync/store/postgres_store.hpp"

#include "postgres/migrations.hpp"
#include "postgres/postgres_store.hpp"

#include <string_view>

namespace leadsync::store {
namespace {

// The "user:password@" part of a postgresql:// URL, if any: [start, end) of the userinfo.
std::optional<std::pair<std::size_t, std::size_t>> userinfo_of(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return std::nullopt;
  }
  const std::size_t start = scheme_end + 3;
  const std::size_t authority_end = std::min(url.find_first_of("/?", start), url.size());
  const std::size_t at = url.rfind('@', authority_end);
  if (at == std::string_view::npos || at < start) {
    return std::nullopt;
  }
  return std::make_pair(start, at);
}

} // namespace

std::string redact_postgres_url(const std::string& url) {
  const auto userinfo = userinfo_of(url);
  if (!userinfo) {
    return url;
  }
  const std::string_view info =
      std::string_view(url).substr(userinfo->first, userinfo->second - userinfo->first);
  const auto colon = info.find(':');
  if (colon == std::string_view::npos) {
    return url;
  }
  return url.substr(0, userinfo->first + colon) + ":***" + url.substr(userinfo->second);
}

int postgres_schema_version() {
  return postgres::latest_schema_version();
}

Result<std::unique_ptr<Store>> open_postgres_store(const PostgresOptions& options, Clock& clock,
                                                   Random& random) {
  const std::string_view url = options.url;
  if (!url.starts_with("postgresql://") && !url.starts_with("postgres://")) {
    return fail(ErrorCategory::config, "a PostgreSQL store URL starts with postgresql://");
  }
  if (const auto userinfo = userinfo_of(url)) {
    const std::string_view info = url.substr(userinfo->first, userinfo->second - userinfo->first);
    if (info.find(':') != std::string_view::npos) {
      return fail(ErrorCategory::config,
                  "the store URL holds a password; remove it from the URL (" +
                      redact_postgres_url(options.url) +
                      ") and put it in ~/.pgpass or the file PGPASSFILE names "
                      "(https://www.postgresql.org/docs/15/libpq-pgpass.html)");
    }
  }
  if (url.find("password=") != std::string_view::npos) {
    return fail(ErrorCategory::config,
                "the store URL holds a password parameter; remove it and put the password in "
                "~/.pgpass or the file PGPASSFILE names");
  }
  LEADSYNC_TRY(auto pool, postgres::ConnectionPool::open(options.url, options.pool_size));
  LEADSYNC_CHECK(postgres::migrate(*pool, clock));
  return std::unique_ptr<Store>(
      std::make_unique<postgres::PostgresStore>(std::move(pool), clock, random));
}

} // namespace leadsync::store
