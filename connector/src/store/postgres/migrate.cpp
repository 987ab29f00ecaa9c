// Copying a SQLite store into PostgreSQL (`leadsync migrate-store`, issue 16). One table of column
// specs says what is copied. SQLite is read in one read transaction (a snapshot) and streamed,
// table by table in primary-key order, into COPY; PostgreSQL is then read back in the same order
// and both sides' row counts and checksums are compared before COMMIT.

#include "leadsync/store/migrate.hpp"

#include "leadsync/core/process.hpp"
#include "leadsync/core/text.hpp"
#include "leadsync/store/sqlite_store.hpp"
#include "sqlite/detail/database.hpp"
#include "sqlite/detail/lookup_backlog.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string>
#include <vector>

#ifdef LEADSYNC_WITH_POSTGRES
#include "leadsync/store/postgres_store.hpp"
#include "postgres/detail/pool.hpp"
#include "postgres/detail/sql.hpp"

#include <charconv>
#include <memory>
#include <openssl/evp.h>
#include <pqxx/tablewriter>
#endif

namespace leadsync::store {
namespace {

namespace fs = std::filesystem;

enum class Kind {
  text,
  integer,
  boolean, // 0/1 in SQLite, boolean in PostgreSQL; compared as 0/1
};

struct ColumnSpec {
  std::string_view name;
  Kind kind = Kind::text;
};

constexpr ColumnSpec text(std::string_view name) {
  return ColumnSpec{.name = name, .kind = Kind::text};
}
constexpr ColumnSpec integer(std::string_view name) {
  return ColumnSpec{.name = name, .kind = Kind::integer};
}
constexpr ColumnSpec boolean(std::string_view name) {
  return ColumnSpec{.name = name, .kind = Kind::boolean};
}

struct TableSpec {
  std::string_view name;
  std::vector<ColumnSpec> columns;
  std::vector<std::string_view> key; // the primary key: rows are copied and compared in its order
  std::string_view identity;         // the identity column in PostgreSQL; "" for none
};

// Every table of the SQLite store (store/sqlite/migrations.cpp at its latest version) that
// migrate_store copies, column by column, in an order that satisfies the foreign keys (leads
// before the tables that refer to them). The PostgreSQL schema (postgres/migrations.cpp) has the
// same tables and columns. A table the SQLite schema gains must be added here or to `not_copied`:
// until it is, the test MigrateStoreSchema.ColumnSpecsCoverTheLatestSqliteSchema fails, and so
// does every migration (unmapped_sqlite_schema).
const std::vector<TableSpec>& copied_tables() {
  static const std::vector<TableSpec> tables{
      {.name = "leads",
       .columns = {text("id"), text("crm_id"), integer("version"), text("stage"), boolean("is_new"),
                   boolean("deleted"), text("company_domain"), integer("created_at"),
                   integer("updated_at"), text("doc"), integer("enriched_at")},
       .key = {"id"},
       .identity = ""},
      {.name = "lead_emails",
       .columns = {text("lead_id"), text("email")},
       .key = {"lead_id", "email"},
       .identity = ""},
      {.name = "lead_phones",
       .columns = {text("lead_id"), text("e164")},
       .key = {"lead_id", "e164"},
       .identity = ""},
      {.name = "outbox",
       .columns = {integer("seq"), text("lead_id"), text("operation"), integer("lead_version"),
                   integer("created_at"), integer("attempts"), text("last_error"),
                   integer("not_before"), text("lease_owner"), integer("lease_until")},
       .key = {"seq"},
       .identity = "seq"},
      {.name = "dead_letters",
       .columns = {integer("id"), text("lead_id"), text("operation"), integer("lead_version"),
                   integer("outbox_seq"), text("error_category"), integer("http_status"),
                   text("service_code"), text("message"), integer("attempts"),
                   integer("created_at")},
       .key = {"id"},
       .identity = "id"},
      {.name = "checkpoints",
       .columns = {text("name"), text("value"), integer("updated_at")},
       .key = {"name"},
       .identity = ""},
      {.name = "runs",
       .columns = {integer("id"), text("kind"), text("status"), integer("started_at"),
                   integer("finished_at"), text("counts"), text("message"), text("owner")},
       .key = {"id"},
       .identity = "id"},
      {.name = "behaviour_events",
       .columns = {integer("id"), text("lead_id"), text("kind"), integer("occurred_at"),
                   text("doc"), text("event_id")},
       .key = {"id"},
       .identity = "id"},
      {.name = "duplicate_pairs",
       .columns = {integer("id"), text("lead_low"), text("lead_high"), text("lead_a"),
                   text("lead_b"), text("rule"), integer("score_milli"), text("evidence"),
                   text("source"), text("status"), integer("created_at"), integer("resolved_at")},
       .key = {"id"},
       .identity = "id"},
      {.name = "enrichment_cache",
       .columns = {text("provider"), text("key"), text("answer"), boolean("matched"),
                   integer("fetched_at"), integer("expires_at")},
       .key = {"provider", "key"},
       .identity = ""},
      {.name = "provider_usage",
       .columns = {text("provider"), text("period"), integer("requests"), integer("credits"),
                   integer("updated_at")},
       .key = {"provider", "period"},
       .identity = ""},
      {.name = "pending_lookups",
       .columns = {text("provider"), text("key"), text("lead_id"), text("lookup_group"),
                   integer("not_before"), integer("attempts"), integer("created_at")},
       .key = {"provider", "key", "lead_id"},
       .identity = ""},
      {.name = "feed_files",
       .columns = {text("provider"), text("path"), integer("size"), integer("mtime_ns"),
                   text("digest"), integer("lines"), integer("records"), integer("rejected"),
                   integer("indexed_at")},
       .key = {"provider", "path"},
       .identity = ""},
      {.name = "feed_records",
       .columns = {integer("id"), text("provider"), text("path"), integer("line"), text("record")},
       .key = {"id"},
       .identity = "id"},
      {.name = "feed_keys",
       .columns = {integer("record_id"), integer("position"), text("provider"), text("kind"),
                   text("value")},
       .key = {"record_id", "position"},
       .identity = ""},
      {.name = "webhook_events",
       .columns = {integer("seq"), text("dedupe_key"), text("source"), text("message"),
                   text("entity"), text("crm_id"), text("correlation_id"), text("payload"),
                   integer("received_at"), text("state"), integer("attempts"), text("last_error"),
                   integer("not_before"), text("lease_owner"), integer("lease_until"),
                   integer("finished_at")},
       .key = {"seq"},
       .identity = "seq"},
  };
  return tables;
}

// SQLite tables deliberately left behind: the schema's own bookkeeping (the target keeps its
// own), and the daemons' runtime state (registered workers, singleton leases), which describes
// processes of the old install; the daemons using the target fill those anew. SQLite's internal
// tables (sqlite_sequence, sqlite_stat1, ...) are left too; sqlite_sequence is read to continue
// the identity sequences.
// The SQLite store's own lookup structures for the company domain are left too: lead_domains
// holds leads.company_domain again (the PostgreSQL store indexes that column), and lookup_backlog
// is empty when the copy starts (its keys are merged into lead_emails and lead_phones first).
constexpr std::array<std::string_view, 5> not_copied{
    "schema_migrations", "workers", "singleton_leases", "lookup_backlog", "lead_domains"};

const TableSpec* spec_of(std::string_view table) {
  for (const TableSpec& spec : copied_tables()) {
    if (spec.name == table) {
      return &spec;
    }
  }
  return nullptr;
}

// What `database` holds that the specs do not copy, and what they copy that it lacks.
Result<std::vector<std::string>> unmapped_in(sqlite::Database& database) {
  std::set<std::string, std::less<>> present;
  {
    LEADSYNC_TRY(auto tables,
                 database.query("SELECT name FROM sqlite_master WHERE type = 'table'"));
    for (;;) {
      LEADSYNC_TRY(const bool row, tables.step());
      if (!row) {
        break;
      }
      present.insert(tables.text(0));
    }
  }
  std::vector<std::string> problems;
  for (const std::string& table : present) {
    const bool left_out =
        table.starts_with("sqlite_") ||
        std::find(not_copied.begin(), not_copied.end(), table) != not_copied.end();
    if (!left_out && spec_of(table) == nullptr) {
      problems.push_back("table " + table);
    }
  }
  for (const TableSpec& spec : copied_tables()) {
    if (!present.contains(spec.name)) {
      problems.push_back("missing table " + std::string(spec.name));
      continue;
    }
    std::set<std::string, std::less<>> columns;
    LEADSYNC_TRY(auto query,
                 database.query("SELECT name FROM pragma_table_info(?)", std::string(spec.name)));
    for (;;) {
      LEADSYNC_TRY(const bool row, query.step());
      if (!row) {
        break;
      }
      columns.insert(query.text(0));
    }
    for (const std::string& column : columns) {
      if (std::none_of(spec.columns.begin(), spec.columns.end(),
                       [&](const ColumnSpec& known) { return known.name == column; })) {
        problems.push_back("column " + std::string(spec.name) + "." + column);
      }
    }
    for (const ColumnSpec& column : spec.columns) {
      if (!columns.contains(column.name)) {
        problems.push_back("missing column " + std::string(spec.name) + "." +
                           std::string(column.name));
      }
    }
  }
  return problems;
}

Status refuse_unmapped(sqlite::Database& database) {
  LEADSYNC_TRY(const auto unmapped, unmapped_in(database));
  if (unmapped.empty()) {
    return ok_status();
  }
  return fail(ErrorCategory::internal,
              "the SQLite store " + database.path() +
                  " does not have the tables and columns this leadsync copies (" +
                  leadsync::text::join(unmapped, ", ") +
                  "); nothing was copied. A table you added by hand must be dropped or moved "
                  "out first; otherwise this is a bug in leadsync (its list of tables to copy "
                  "is out of date): please report it");
}

Result<sqlite::Database> open_existing(const fs::path& file) {
  std::error_code error;
  if (!fs::is_regular_file(file, error)) {
    return fail(ErrorCategory::not_found,
                "the SQLite store " + file.string() +
                    " does not exist; check the path (a relative sqlite:// path is relative to "
                    "the config file's folder)");
  }
  return sqlite::Database::open(file.string(), std::chrono::milliseconds{5000});
}

} // namespace

Result<std::vector<std::string>> unmapped_sqlite_schema(const std::filesystem::path& file) {
  LEADSYNC_TRY(auto database, open_existing(file));
  LEADSYNC_TRY(auto snapshot,
               sqlite::Transaction::begin(database, sqlite::Transaction::Mode::read));
  return unmapped_in(database);
}

#ifdef LEADSYNC_WITH_POSTGRES
namespace {

constexpr std::int64_t progress_every = 10'000; // rows between two progress calls
constexpr int fetch_rows = 1000;                // rows read back per FETCH

// The SQLite file a sqlite:// URL names, resolved as store/open.cpp does.
Result<fs::path> sqlite_file_of(const std::string& url, const fs::path& base_dir) {
  constexpr std::string_view prefix = "sqlite://";
  const std::string_view text = url;
  if (text == "sqlite::memory:") {
    return fail(ErrorCategory::invalid_argument,
                "the source is an in-memory SQLite store, which holds nothing to move; give the "
                "sqlite:// URL of the state.db file (store.url in leadsync.toml)");
  }
  if (!text.starts_with(prefix)) {
    // Only the scheme is shown: a URL of another kind may hold a password.
    return fail(ErrorCategory::invalid_argument,
                "the source must be a SQLite store URL (sqlite:///absolute/path/state.db or "
                "sqlite://path/relative/to/the/config/folder/state.db), not a '" +
                    std::string(text.substr(0, text.find(':'))) + ":' URL");
  }
  const fs::path path(text.substr(prefix.size()));
  if (path.empty() || !path.has_filename()) {
    return fail(ErrorCategory::invalid_argument,
                "the source URL '" + url +
                    "' names no database file; use sqlite:///absolute/path/state.db");
  }
  return path.is_absolute() ? path : base_dir / path;
}

// A SHA-256 over rows rendered canonically, the same way from either database: NULL "n;", an
// integer (booleans as 0/1) "i<decimal>;", a text "t<length in bytes>:<bytes>" (length-prefixed,
// so no value can imitate a separator), and "\n" after each row.
class RowDigest {
public:
  static Result<RowDigest> start() {
    RowDigest digest;
    digest.context_.reset(EVP_MD_CTX_new());
    if (!digest.context_ || EVP_DigestInit_ex(digest.context_.get(), EVP_sha256(), nullptr) != 1) {
      return fail(ErrorCategory::internal, "cannot start a SHA-256 digest (OpenSSL)");
    }
    return digest;
  }

  void add_null() { row_ += "n;"; }
  void add_integer(std::int64_t value) {
    row_ += 'i';
    row_ += std::to_string(value);
    row_ += ';';
  }
  void add_text(std::string_view value) {
    row_ += 't';
    row_ += std::to_string(value.size());
    row_ += ':';
    row_ += value;
  }
  void end_row() {
    row_ += '\n';
    EVP_DigestUpdate(context_.get(), row_.data(), row_.size());
    row_.clear();
  }

  std::string finish() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> hash{};
    unsigned int length = 0;
    EVP_DigestFinal_ex(context_.get(), hash.data(), &length);
    constexpr std::string_view digits = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < length; ++i) {
      hex += digits[hash[i] >> 4];
      hex += digits[hash[i] & 0x0f];
    }
    return hex;
  }

private:
  RowDigest() = default;
  struct Freer {
    void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
  };
  std::unique_ptr<EVP_MD_CTX, Freer> context_;
  std::string row_;
};

// Appends `value` as a field of COPY's text format
// (https://www.postgresql.org/docs/15/sql-copy.html, "Text Format"): a backslash, newline,
// carriage return or tab inside it becomes a backslash sequence, every other byte stays as it
// is. The session's client encoding is UTF8 (set before the copy), where no byte of a multi-byte
// character is a backslash, so any text passes unchanged.
void append_copy_field(std::string& line, std::string_view value) {
  for (const char c : value) {
    switch (c) {
    case '\\':
      line += "\\\\";
      break;
    case '\n':
      line += "\\n";
      break;
    case '\r':
      line += "\\r";
      break;
    case '\t':
      line += "\\t";
      break;
    default:
      line += c;
    }
  }
}

std::string column_list(const TableSpec& spec, const std::function<std::string(ColumnSpec)>& form) {
  std::string list;
  for (const ColumnSpec& column : spec.columns) {
    list += (list.empty() ? "" : ", ") + form(column);
  }
  return list;
}

std::string table_list() {
  std::string list;
  for (const TableSpec& spec : copied_tables()) {
    list += (list.empty() ? "" : ", ") + std::string(spec.name);
  }
  return list;
}

// ---- the target

// libpqxx's exceptions for what the server reported, as Errors naming the step.
template <typename Step> Status server_step(std::string_view what, Step&& step) {
  try {
    return step();
  } catch (const pqxx::sql_error& problem) {
    return postgres::error_from(problem, what);
  }
}

Status check_target_encoding(pqxx::work& work) {
  const std::string encoding = work.exec1("SELECT current_setting('server_encoding')")[0].c_str();
  if (encoding == "UTF8") {
    return ok_status();
  }
  return fail(ErrorCategory::config,
              "the PostgreSQL database uses the encoding " + encoding +
                  "; leadsync stores text in UTF8: create the database with "
                  "`createdb -E UTF8 -T template0 NAME` and point --to at it");
}

Status check_target_columns(pqxx::work& work) {
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> found;
  for (const auto& row : work.exec("SELECT table_name, column_name FROM information_schema.columns "
                                   "WHERE table_schema = current_schema()")) {
    found[row[0].c_str()].insert(row[1].c_str());
  }
  std::vector<std::string> problems;
  for (const TableSpec& spec : copied_tables()) {
    const auto table = found.find(spec.name);
    if (table == found.end()) {
      problems.push_back("missing table " + std::string(spec.name));
      continue;
    }
    for (const ColumnSpec& column : spec.columns) {
      if (!table->second.contains(column.name)) {
        problems.push_back("missing column " + std::string(spec.name) + "." +
                           std::string(column.name));
      }
    }
    for (const std::string& column : table->second) {
      if (std::none_of(spec.columns.begin(), spec.columns.end(),
                       [&](const ColumnSpec& known) { return known.name == column; })) {
        problems.push_back("column " + std::string(spec.name) + "." + column);
      }
    }
  }
  if (problems.empty()) {
    return ok_status();
  }
  return fail(ErrorCategory::internal,
              "the PostgreSQL schema does not have the tables and columns this leadsync copies (" +
                  leadsync::text::join(problems, ", ") +
                  "); this is a bug in leadsync (its list of tables to copy is out of date): "
                  "please report it");
}

// Takes the copied tables for this transaction, so that no other session writes to them until
// COMMIT (SHARE ROW EXCLUSIVE conflicts with every write and with itself, not with reads:
// https://www.postgresql.org/docs/15/explicit-locking.html), and refuses a target holding rows.
Status claim_empty_target(pqxx::work& work) {
  try {
    work.exec("LOCK TABLE " + table_list() + " IN SHARE ROW EXCLUSIVE MODE");
  } catch (const pqxx::sql_error& problem) {
    if (problem.sqlstate() != "55P03") { // lock_not_available: the lock_timeout passed
      throw;
    }
    return fail(ErrorCategory::conflict,
                "another session is using the tables of the PostgreSQL database (is a daemon "
                "already pointed at it?); stop it, then run migrate-store again");
  }
  std::string probe;
  for (const TableSpec& spec : copied_tables()) {
    probe += std::string(probe.empty() ? "" : " UNION ALL ") + "SELECT '" + std::string(spec.name) +
             "' WHERE EXISTS (SELECT 1 FROM " + std::string(spec.name) + ")";
  }
  std::vector<std::string> holding;
  for (const auto& row : work.exec(probe)) {
    holding.emplace_back(row[0].c_str());
  }
  if (holding.empty()) {
    return ok_status();
  }
  return fail(ErrorCategory::already_exists,
              "the PostgreSQL database already holds leadsync data (in " +
                  leadsync::text::join(holding, ", ") +
                  "); nothing was copied. migrate-store copies into an empty database only: "
                  "create a new one (createdb -E UTF8 -T template0 NAME) and point --to at it");
}

// ---- the source

// Refuses a source some process still works on: what it writes after the snapshot would be lost.
Status refuse_busy_source(sqlite::Database& database, TimePoint now) {
  std::vector<std::string> uses;
  const std::string host = host_name();
  {
    LEADSYNC_TRY(auto runs, database.query("SELECT id, kind, owner FROM runs "
                                           "WHERE status = 'running' ORDER BY id"));
    for (;;) {
      LEADSYNC_TRY(const bool row, runs.step());
      if (!row) {
        break;
      }
      const auto owner = parse_process_name(runs.text_view(2));
      if (owner && owner->host == host && process_exists(owner->pid)) {
        uses.push_back("run " + std::to_string(runs.integer(0)) + " (" + runs.text(1) +
                       ") is running in process " + runs.text(2));
      }
    }
  }
  // A daemon waiting for its next job holds neither a run nor a lease, but is registered.
  LEADSYNC_TRY(const auto has_workers,
               database.query_integer("SELECT count(*) FROM sqlite_master "
                                      "WHERE type = 'table' AND name = 'workers'"));
  if (has_workers > 0) {
    LEADSYNC_TRY(
        auto workers,
        database.query("SELECT id, kind, pid FROM workers WHERE host = ? ORDER BY id", host));
    for (;;) {
      LEADSYNC_TRY(const bool row, workers.step());
      if (!row) {
        break;
      }
      if (process_exists(workers.integer(2))) {
        uses.push_back(workers.text(1) + " " + workers.text(0) + " is running");
      }
    }
  }
  struct Leases {
    std::string_view table;
    std::string_view what;
    std::string_view only;
  };
  for (const Leases& leases : {Leases{.table = "outbox", .what = "outbox entries", .only = ""},
                               Leases{.table = "webhook_events",
                               .what = "webhook events",
                               .only = " AND state = 'pending'"}}) {
    LEADSYNC_TRY(auto held, database.query("SELECT count(*), min(lease_owner) FROM " +
                                               std::string(leases.table) +
                                               " WHERE lease_owner <> '' AND lease_until >= ?" +
                                               std::string(leases.only),
                                           postgres::to_millis(now)));
    LEADSYNC_TRY(const bool row, held.step());
    if (row && held.integer(0) > 0) {
      uses.push_back(std::to_string(held.integer(0)) + " " + std::string(leases.what) +
                     " are leased (by " + held.text(1) +
                     (held.integer(0) > 1 ? " and maybe others" : "") + ")");
    }
  }
  if (uses.empty()) {
    return ok_status();
  }
  return fail(ErrorCategory::conflict,
              "the SQLite store " + database.path() +
                  " is in use: " + leadsync::text::join(uses, "; ") +
                  ". Nothing was copied: stop the daemon and any push first (or let them "
                  "finish, and leases of a stopped process expire), then run migrate-store "
                  "again");
}

// The largest id SQLite's AUTOINCREMENT handed out per table (sqlite_sequence), deleted rows
// included.
Result<std::map<std::string, std::int64_t, std::less<>>>
autoincrement_high_marks(sqlite::Database& database) {
  std::map<std::string, std::int64_t, std::less<>> marks;
  LEADSYNC_TRY(const auto exists, database.query_integer("SELECT count(*) FROM sqlite_master "
                                                         "WHERE name = 'sqlite_sequence'"));
  if (exists == 0) {
    return marks;
  }
  LEADSYNC_TRY(auto query, database.query("SELECT name, seq FROM sqlite_sequence"));
  for (;;) {
    LEADSYNC_TRY(const bool row, query.step());
    if (!row) {
      return marks;
    }
    marks[query.text(0)] = query.integer(1);
  }
}

// ---- the copy

using Progress = std::function<void(std::string_view, std::int64_t)>;

// Streams the table from SQLite into COPY in primary-key order, digesting every row as read.
// Returns the largest value of the identity column (0 when none or empty).
Result<std::int64_t> copy_table(sqlite::Database& database, pqxx::work& work, const TableSpec& spec,
                                TableMigration& migration, const Progress& progress) {
  LEADSYNC_TRY(auto digest, RowDigest::start());
  // Each column with its SQLite storage class: SQLite holds any type in any column, and a value
  // of an unexpected one is refused rather than converted.
  std::string select =
      "SELECT " + column_list(spec, [](ColumnSpec column) {
        return std::string(column.name) + ", typeof(" + std::string(column.name) + ")";
      });
  select += " FROM " + std::string(spec.name) + " ORDER BY ";
  for (std::size_t i = 0; i < spec.key.size(); ++i) {
    select += (i == 0 ? "" : ", ") + std::string(spec.key[i]);
  }
  LEADSYNC_TRY(auto rows, database.query(select));
  std::vector<std::string> columns;
  for (const ColumnSpec& column : spec.columns) {
    columns.emplace_back(column.name);
  }
  std::int64_t largest_id = 0;
  std::int64_t copied = 0;
  std::string line;
  // tablewriter, not stream_to: libpqxx 6.4's stream_to writes tuples only and escapes every
  // non-ASCII byte itself; tablewriter takes lines escaped by append_copy_field as they are.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  pqxx::tablewriter writer(work, std::string(spec.name), columns.begin(), columns.end());
#pragma GCC diagnostic pop
  for (;;) {
    LEADSYNC_TRY(const bool row, rows.step());
    if (!row) {
      break;
    }
    line.clear();
    for (std::size_t i = 0; i < spec.columns.size(); ++i) {
      const ColumnSpec& column = spec.columns[i];
      const int value = static_cast<int>(2 * i);
      const std::string_view type = rows.text_view(value + 1);
      if (i > 0) {
        line += '\t';
      }
      if (type == "null") {
        line += "\\N";
        digest.add_null();
        continue;
      }
      const std::string_view expected = column.kind == Kind::text ? "text" : "integer";
      if (type != expected) {
        return fail(ErrorCategory::validation,
                    "row " + std::to_string(copied + 1) + " of table " + std::string(spec.name) +
                        " (in primary-key order) holds a " + std::string(type) + " in column " +
                        std::string(column.name) + ", which holds " + std::string(expected) +
                        "; nothing was copied. Repair the row in the SQLite file (sqlite3 " +
                        database.path() + ") or report it as a bug");
      }
      if (column.kind == Kind::text) {
        const std::string_view text = rows.text_view(value);
        append_copy_field(line, text);
        digest.add_text(text);
        continue;
      }
      const std::int64_t number = rows.integer(value);
      line += std::to_string(number);
      digest.add_integer(number);
      if (column.name == spec.identity) {
        largest_id = std::max(largest_id, number);
      }
    }
    writer.write_raw_line(line);
    digest.end_row();
    ++copied;
    if (progress && copied % progress_every == 0) {
      progress(spec.name, copied);
    }
  }
  writer.complete();
  if (progress) {
    progress(spec.name, copied);
  }
  migration.rows_copied = copied;
  migration.source_checksum = digest.finish();
  return largest_id;
}

// Reads the table back from PostgreSQL in the order copy_table read SQLite. Text keys sort by
// byte under COLLATE "C", as SQLite's BINARY collation sorts them (UTF-8 byte order is code point
// order), whatever the database's default collation.
Status read_back(pqxx::work& work, const TableSpec& spec, TableMigration& migration) {
  LEADSYNC_TRY(auto digest, RowDigest::start());
  std::string select =
      "SELECT " + column_list(spec, [](ColumnSpec column) {
        return std::string(column.name) + (column.kind == Kind::boolean ? "::integer" : "");
      });
  select += " FROM " + std::string(spec.name) + " ORDER BY ";
  for (std::size_t i = 0; i < spec.key.size(); ++i) {
    const std::string_view key = spec.key[i];
    const auto column = std::find_if(spec.columns.begin(), spec.columns.end(),
                                     [&](const ColumnSpec& known) { return known.name == key; });
    select += (i == 0 ? "" : ", ") + std::string(key) +
              (column != spec.columns.end() && column->kind == Kind::text ? " COLLATE \"C\"" : "");
  }
  work.exec("DECLARE leadsync_read_back NO SCROLL CURSOR FOR " + select);
  std::int64_t rows_read = 0;
  for (;;) {
    const pqxx::result rows =
        work.exec("FETCH FORWARD " + std::to_string(fetch_rows) + " FROM leadsync_read_back");
    if (rows.empty()) {
      break;
    }
    for (const auto& row : rows) {
      for (std::size_t i = 0; i < spec.columns.size(); ++i) {
        const auto field = row[static_cast<pqxx::row::size_type>(i)];
        if (field.is_null()) {
          digest.add_null();
        } else if (spec.columns[i].kind == Kind::text) {
          digest.add_text(std::string_view(field.c_str(), field.size()));
        } else {
          std::int64_t number = 0;
          const char* first = field.c_str();
          const char* last = first + field.size();
          const auto [end, error] = std::from_chars(first, last, number);
          if (error != std::errc() || end != last) {
            digest.add_text(std::string_view(first, field.size())); // differs from the source
          } else {
            digest.add_integer(number);
          }
        }
      }
      digest.end_row();
      ++rows_read;
    }
  }
  work.exec("CLOSE leadsync_read_back");
  migration.rows_in_target = rows_read;
  migration.target_checksum = digest.finish();
  return ok_status();
}

// Moves the identity sequence past every id SQLite handed out, so rows inserted in PostgreSQL
// from now on (new outbox entries above all) continue after the copied ones and never take the
// id of a row SQLite had deleted.
Status continue_identity(pqxx::work& work, const TableSpec& spec, std::int64_t largest_copied,
                         const std::map<std::string, std::int64_t, std::less<>>& high_marks,
                         TableMigration& migration) {
  std::int64_t largest = largest_copied;
  if (const auto mark = high_marks.find(spec.name); mark != high_marks.end()) {
    largest = std::max(largest, mark->second);
  }
  const std::int64_t next = largest + 1;
  work.exec_params("SELECT setval(pg_get_serial_sequence($1, $2), $3, false)",
                   std::string(spec.name), std::string(spec.identity), next);
  migration.next_id = next;
  return ok_status();
}

// The whole copy, in the PostgreSQL transaction `work`: refusals, copy, sequences, verification.
Status copy_and_verify(pqxx::work& work, sqlite::Database& database, Clock& clock,
                       const Progress& progress, StoreMigrationReport& report) {
  report.tables.clear(); // a body run again (after a deadlock) starts over
  report.total_rows = 0;
  // UTF8 on the wire whatever the client's locale says (see append_copy_field); a lock held
  // by another session is waited for 10 s, not forever.
  work.exec("SET LOCAL client_encoding = 'UTF8'");
  work.exec("SET LOCAL lock_timeout = '10s'");
  LEADSYNC_CHECK(check_target_encoding(work));
  LEADSYNC_CHECK(check_target_columns(work));
  LEADSYNC_CHECK(claim_empty_target(work));

  // The keys a bulk import left in the SQLite store's lookup backlog go into lead_emails and
  // lead_phones first, in the source's own transaction (lookups there stay the same).
  {
    LEADSYNC_TRY(auto merge, sqlite::Transaction::begin(database));
    LEADSYNC_CHECK(sqlite::merge_lookup_backlog(database));
    LEADSYNC_CHECK(merge.commit());
  }
  // One read transaction: every table comes from the same snapshot.
  LEADSYNC_TRY(auto snapshot,
               sqlite::Transaction::begin(database, sqlite::Transaction::Mode::read));
  LEADSYNC_CHECK(refuse_busy_source(database, clock.now()));
  LEADSYNC_TRY(const auto high_marks, autoincrement_high_marks(database));

  for (const TableSpec& spec : copied_tables()) {
    TableMigration migration;
    migration.table = spec.name;
    const std::string what = "copy table " + std::string(spec.name) + " into PostgreSQL";
    std::int64_t largest_id = 0;
    LEADSYNC_CHECK(server_step(what, [&]() -> Status {
      LEADSYNC_TRY(largest_id, copy_table(database, work, spec, migration, progress));
      if (!spec.identity.empty()) {
        LEADSYNC_CHECK(continue_identity(work, spec, largest_id, high_marks, migration));
      }
      return ok_status();
    }));
    report.total_rows += migration.rows_copied;
    report.tables.push_back(std::move(migration));
  }
  LEADSYNC_CHECK(snapshot.commit());

  for (TableMigration& migration : report.tables) {
    const TableSpec& spec = *spec_of(migration.table);
    LEADSYNC_CHECK(server_step("read table " + migration.table + " back from PostgreSQL",
                               [&] { return read_back(work, spec, migration); }));
    if (migration.rows_in_target != migration.rows_copied ||
        migration.target_checksum != migration.source_checksum) {
      return fail(ErrorCategory::internal,
                  "table " + migration.table + " differs after the copy: SQLite gave " +
                      std::to_string(migration.rows_copied) + " rows (SHA-256 " +
                      migration.source_checksum + "), PostgreSQL holds " +
                      std::to_string(migration.rows_in_target) + " (SHA-256 " +
                      migration.target_checksum +
                      "). Everything was rolled back: the PostgreSQL database is as before. "
                      "Look for triggers or rules on the table in PostgreSQL, else report it "
                      "as a bug");
    }
  }
  return ok_status();
}

} // namespace

Result<StoreMigrationReport> migrate_store(const std::string& from_url, const std::string& to_url,
                                           const std::filesystem::path& base_dir, Clock& clock,
                                           const Progress& progress) {
  LEADSYNC_TRY(const fs::path source, sqlite_file_of(from_url, base_dir));
  {
    std::error_code error;
    if (!fs::is_regular_file(source, error)) {
      return fail(ErrorCategory::not_found,
                  "the SQLite store " + source.string() +
                      " does not exist; check --from (a relative sqlite:// path is relative to "
                      "the config file's folder, " +
                      base_dir.string() + ")");
    }
  }
  const std::string_view target = to_url;
  if (!target.starts_with("postgresql://") && !target.starts_with("postgres://")) {
    return fail(ErrorCategory::invalid_argument,
                "the target must be a PostgreSQL URL: postgresql://USER@HOST[:PORT]/DB (the "
                "password goes in ~/.pgpass or PGPASSFILE)");
  }

  // Both schemas to this build's version, through the stores themselves; then both are closed.
  {
    LEADSYNC_TRY(auto sqlite_store,
                 open_sqlite_store(SqliteOptions{.path = source,
                                                 .busy_timeout = std::chrono::milliseconds{5000},
                                                 .background_checkpoint_pages = 0},
                                   clock));
  }
  {
    LEADSYNC_TRY(auto postgres_store,
                 open_postgres_store(PostgresOptions{.url = to_url, .pool_size = 1}, clock));
  }

  LEADSYNC_TRY(auto database, open_existing(source));
  LEADSYNC_CHECK(refuse_unmapped(database));
  LEADSYNC_TRY(auto pool, postgres::ConnectionPool::open(to_url, 1));

  StoreMigrationReport report;
  report.source = source.string();
  report.target = redact_postgres_url(to_url);
  LEADSYNC_CHECK(pool->transact("copy the SQLite store into PostgreSQL", [&](pqxx::work& work) {
    return copy_and_verify(work, database, clock, progress, report);
  }));
  return report;
}

#else

Result<StoreMigrationReport>
migrate_store(const std::string& /*from_url*/, const std::string& /*to_url*/,
              const std::filesystem::path& /*base_dir*/, Clock& /*clock*/,
              const std::function<void(std::string_view, std::int64_t)>& /*progress*/) {
  return fail(ErrorCategory::config, "this build has no PostgreSQL store; rebuild with "
                                     "-DLEADSYNC_WITH_POSTGRES=ON to migrate to PostgreSQL");
}

#endif

} // namespace leadsync::store
