// The SQLite Store.
//
// Concurrency: one connection, guarded by a mutex, serves all threads of the process; every method
// runs under it, so a multi-statement transaction never interleaves with another thread's
// statements. Other processes (a CLI run beside the daemon) are kept apart by SQLite's file locks:
// writes take the write lock up front with BEGIN IMMEDIATE and wait up to the busy timeout for it.
//
// Durability: journal_mode=WAL with synchronous=NORMAL. A transaction is in the WAL file when
// COMMIT returns, so every committed change survives the process being killed; only an
// operating-system crash or power loss can lose the last few transactions (their WAL frames are
// synced at the next checkpoint). Since a lead change and its outbox entry commit together, such a
// loss drops both and never leaves a change that push would miss. synchronous=FULL would add an
// fsync to every commit for that last case.

#include "leadsync/store/sqlite_store.hpp"

#include "detail/rules.hpp"
#include "leadsync/core/process.hpp"
#include "leadsync/model/json.hpp"
#include "sqlite/detail/database.hpp"
#include "sqlite/detail/lookup_backlog.hpp"
#include "sqlite/migrations.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sys/stat.h>
#include <system_error>
#include <thread>
#include <unistd.h>

namespace leadsync::store {
namespace {

using sqlite::Database;
using sqlite::Query;
using sqlite::SqlValue;
using sqlite::Transaction;

using detail::ascii_lower;
using detail::canonical_id;
using detail::from_millis;
using detail::parse_cursor;
using detail::parse_duplicate_status;
using detail::parse_feed_key_kind;
using detail::parse_operation;
using detail::parse_webhook_state;
using detail::prefixed;
using detail::sql;
using detail::sql_limit;
using detail::to_millis;

// Lead rows are always read with these columns, in this order (see read_lead).
constexpr std::string_view lead_columns =
    "leads.id, leads.crm_id, leads.version, leads.is_new, "
    "leads.deleted, leads.created_at, leads.updated_at, leads.doc";
constexpr std::string_view outbox_columns =
    "seq, lead_id, operation, lead_version, created_at, attempts, "
    "last_error, not_before, lease_owner, lease_until";
constexpr std::string_view dead_letter_columns =
    "id, lead_id, operation, outbox_seq, error_category, http_status, service_code, message, "
    "attempts, "
    "created_at";

Result<model::Lead> read_lead(const Query& row) {
  const std::string id = row.text(0);
  LEADSYNC_TRY(model::Lead lead, detail::read_lead_document(id, row.text_view(7)));
  // The columns are authoritative for the identity; the document carries the rest.
  lead.identity.id = id;
  lead.identity.crm_id = row.text(1);
  lead.identity.version = row.integer(2);
  lead.is_new = row.integer(3) != 0;
  lead.deleted = row.integer(4) != 0;
  lead.identity.created_at = from_millis(row.integer(5));
  lead.identity.updated_at = from_millis(row.integer(6));
  return lead;
}

Result<std::vector<model::Lead>> read_leads(Query& query) {
  std::vector<model::Lead> leads;
  for (;;) {
    LEADSYNC_TRY(const bool has_row, query.step());
    if (!has_row) {
      return leads;
    }
    LEADSYNC_TRY(auto lead, read_lead(query));
    leads.push_back(std::move(lead));
  }
}

Result<OutboxEntry> read_outbox_entry(const Query& row) {
  OutboxEntry entry;
  entry.seq = row.integer(0);
  entry.lead_id = row.text(1);
  LEADSYNC_TRY(entry.operation, parse_operation(row.text(2)));
  entry.lead_version = row.integer(3);
  entry.created_at = from_millis(row.integer(4));
  entry.attempts = static_cast<int>(row.integer(5));
  entry.last_error = row.text(6);
  entry.not_before = from_millis(row.optional_integer(7));
  entry.lease_owner = row.text(8);
  entry.lease_until = from_millis(row.optional_integer(9));
  return entry;
}

Result<std::vector<OutboxEntry>> read_outbox_entries(Query& query) {
  std::vector<OutboxEntry> entries;
  for (;;) {
    LEADSYNC_TRY(const bool has_row, query.step());
    if (!has_row) {
      return entries;
    }
    LEADSYNC_TRY(auto entry, read_outbox_entry(query));
    entries.push_back(std::move(entry));
  }
}

Result<DeadLetter> read_dead_letter(const Query& row) {
  DeadLetter letter;
  letter.id = row.integer(0);
  letter.lead_id = row.text(1);
  LEADSYNC_TRY(letter.operation, parse_operation(row.text(2)));
  letter.outbox_seq = row.integer(3);
  letter.error_category = row.text(4);
  letter.http_status = static_cast<int>(row.integer(5));
  letter.service_code = row.text(6);
  letter.message = row.text(7);
  letter.attempts = static_cast<int>(row.integer(8));
  letter.created_at = from_millis(row.integer(9));
  return letter;
}

constexpr std::string_view duplicate_pair_columns =
    "id, lead_a, lead_b, rule, score_milli, evidence, source, status, created_at, resolved_at";

Result<DuplicatePair> read_duplicate_pair(const Query& row) {
  DuplicatePair pair;
  pair.id = row.integer(0);
  pair.lead_a = row.text(1);
  pair.lead_b = row.text(2);
  pair.rule = row.text(3);
  pair.score = detail::score_of(row.integer(4));
  pair.evidence = row.text(5);
  pair.source = row.text(6);
  LEADSYNC_TRY(pair.status, parse_duplicate_status(row.text(7)));
  pair.created_at = from_millis(row.integer(8));
  pair.resolved_at = from_millis(row.optional_integer(9));
  return pair;
}

Result<RunRecord> read_run(const Query& row) {
  RunRecord run;
  run.id = row.integer(0);
  run.kind = row.text(1);
  run.status = row.text(2);
  run.started_at = from_millis(row.integer(3));
  run.finished_at = from_millis(row.optional_integer(4));
  LEADSYNC_TRY(run.counts, detail::read_run_counts(run.id, row.text_view(5)));
  run.message = row.text(6);
  run.owner = row.text(7);
  return run;
}

constexpr std::string_view feed_file_columns =
    "provider, path, size, mtime_ns, digest, lines, records, rejected, indexed_at";

FeedFileState read_feed_file(const Query& row) {
  return FeedFileState{.provider = row.text(0),
                       .path = row.text(1),
                       .size = row.integer(2),
                       .mtime_ns = row.integer(3),
                       .digest = row.text(4),
                       .lines = row.integer(5),
                       .records = row.integer(6),
                       .rejected = row.integer(7),
                       .indexed_at = from_millis(row.integer(8))};
}

Status create_private_directories(const std::filesystem::path& folder) {
  std::filesystem::path current;
  for (const auto& part : folder) {
    current /= part;
    std::error_code ignored;
    if (std::filesystem::is_directory(current, ignored)) {
      continue;
    }
    if (::mkdir(current.c_str(), 0700) != 0 && errno != EEXIST) {
      return fail(ErrorCategory::storage,
                  "cannot create the folder " + current.string() +
                      " for the database: " + std::generic_category().message(errno) +
                      "; create it or choose another [store] url");
    }
  }
  return ok_status();
}

// Creates the database file with mode 0600 before SQLite opens it, so it is never readable by
// others even for a moment; SQLite gives the -wal and -shm files the mode of the database file.
Status create_private_file(const std::filesystem::path& path) {
  std::error_code ignored;
  if (std::filesystem::exists(path, ignored)) {
    return ok_status();
  }
  if (path.has_parent_path()) {
    LEADSYNC_CHECK(create_private_directories(path.parent_path()));
  }
  const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return ok_status(); // another process created it meanwhile
    }
    return fail(ErrorCategory::storage, "cannot create the database file " + path.string() + ": " +
                                            std::generic_category().message(errno) +
                                            "; check that leadsync may write to its folder");
  }
  ::close(fd);
  return ok_status();
}

Status configure(Database& database, bool in_memory) {
  if (!in_memory) {
    LEADSYNC_TRY(const auto mode, database.query_text("PRAGMA journal_mode = WAL"));
    if (mode != "wal") {
      return fail(ErrorCategory::storage, "cannot switch " + database.path() +
                                              " to write-ahead logging (journal mode is '" + mode +
                                              "'); put the database on a local file system");
    }
  }
  // An 8 MB page cache (the default is 2 MB) keeps the upper levels of every index and the
  // recently written leaves in memory; without it a bulk import re-reads each random-keyed index
  // page (e-mail, phone, domain) from the file. A 16 MB write-ahead log between automatic
  // checkpoints (the default is 4 MB) lets a page changed by several batches be copied back once.
  return database.execute("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; "
                          "PRAGMA cache_size = -8192; PRAGMA wal_autocheckpoint = 4096");
}

constexpr std::string_view webhook_event_columns =
    "seq, dedupe_key, source, message, entity, crm_id, correlation_id, payload, received_at, "
    "state, attempts, last_error, not_before, lease_owner, lease_until, finished_at";

Result<std::vector<WebhookEvent>> read_webhook_events(Query& query) {
  std::vector<WebhookEvent> events;
  for (;;) {
    LEADSYNC_TRY(const bool has_row, query.step());
    if (!has_row) {
      return events;
    }
    WebhookEvent event;
    event.seq = query.integer(0);
    event.dedupe_key = query.text(1);
    event.source = query.text(2);
    event.message = query.text(3);
    event.entity = query.text(4);
    event.crm_id = query.text(5);
    event.correlation_id = query.text(6);
    event.payload = query.text(7);
    event.received_at = from_millis(query.integer(8));
    LEADSYNC_TRY(event.state, parse_webhook_state(query.text(9)));
    event.attempts = static_cast<int>(query.integer(10));
    event.last_error = query.text(11);
    event.not_before = from_millis(query.optional_integer(12));
    event.lease_owner = query.text(13);
    event.lease_until = from_millis(query.optional_integer(14));
    event.finished_at = from_millis(query.optional_integer(15));
    events.push_back(std::move(event));
  }
}

// SQL that is true when the lease owner `owner` (a column) belongs to the worker `id` (an SQL
// expression): the id itself or "<id>:..." (a thread of it), never another worker whose id merely
// starts with it ("h:12" owns "h:12:0", not "h:123"). Comparing a prefix rather than LIKE: a name
// may hold '%' or '_'. The range lets SQLite seek the partial lease_owner indexes (every "<id>:..."
// sorts between "<id>:" and "<id>;"); the exact test then drops what else is in it ("h:120").
std::string owned_by(const std::string& owner, const std::string& id) {
  const std::string in_range =
      owner + " <> '' AND " + owner + " >= " + id + " AND " + owner + " < " + id + " || ';'";
  const std::string exact = owner + " = " + id + " OR substr(" + owner + ", 1, length(" + id +
                            ") + 1) = " + id + " || ':'";
  return "(" + in_range + " AND (" + exact + "))";
}

// Copies the write-ahead log back into the database on a thread and connection of its own.
// SQLite's automatic checkpoint runs inside the commit that crosses its threshold, copying pages
// and waiting for two fsyncs while the writer waits: a 200,000-row import spent about 3 s of its
// 16 s there on this machine's disk.
class Checkpointer {
public:
  explicit Checkpointer(Database database) : database_(std::move(database)) {
    thread_ = std::thread([this] { run(); });
  }
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;
  ~Checkpointer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

  void request() {
    {
      std::lock_guard lock(mutex_);
      requested_ = true;
    }
    wake_.notify_one();
  }

  // Returns once no checkpoint of this thread is running. A checkpoint the writer starts while this
  // thread is in one would only get SQLITE_BUSY: starved of CPU mid-checkpoint, the thread once
  // let the log grow to 7 MB past a 256 KB backstop while every commit's own attempt failed.
  void wait_idle() {
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [this] { return !checkpointing_; });
  }

private:
  void run() {
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return requested_ || stopping_; });
        if (stopping_) {
          return;
        }
        requested_ = false;
        checkpointing_ = true;
      }
      // Busy or failed: the next commit asks again, and the writer's own checkpoint at four times
      // the size stays as a backstop.
      (void)database_.checkpoint_passive();
      {
        std::lock_guard lock(mutex_);
        checkpointing_ = false;
      }
      idle_.notify_all();
    }
  }

  Database database_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  bool requested_ = false;
  bool checkpointing_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

class SqliteStore final : public Store {
public:
  SqliteStore(Database database, Clock& clock, Random& random,
              std::unique_ptr<Checkpointer> checkpointer = nullptr, int checkpoint_pages = 0)
      : database_(std::move(database)), clock_(clock), random_(random),
        checkpointer_(std::move(checkpointer)) {
    if (checkpointer_) {
      database_.on_wal_commit([this, checkpoint_pages](int frames) {
        if (frames >= 4 * checkpoint_pages) {
          // The checkpointer is falling behind: let its pass end, then copy the rest here.
          checkpointer_->wait_idle();
          (void)database_.checkpoint_passive();
        } else if (frames >= checkpoint_pages) {
          checkpointer_->request();
        }
      });
    }
  }
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;
  ~SqliteStore() override {
    if (checkpointer_) {
      database_.on_wal_commit({});
      checkpointer_.reset();
    }
  }

  Result<model::Lead> create_lead(model::Lead lead, const WriteOptions& options) override {
    LEADSYNC_CHECK(detail::assign_id(lead, clock_, random_));
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
    LEADSYNC_CHECK(insert_lead(lead, options));
    LEADSYNC_CHECK(transaction.commit());
    return lead;
  }

  Result<model::Lead> update_lead(model::Lead lead, const WriteOptions& options) override {
    LEADSYNC_TRY(lead.identity.id, canonical_id(lead.identity.id));
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
    LEADSYNC_CHECK(apply_update(lead, options));
    LEADSYNC_CHECK(transaction.commit());
    return lead;
  }

  using Store::write_batch;
  Result<std::vector<model::Lead>> write_batch(std::vector<LeadWrite> writes,
                                               const std::optional<CheckpointValue>& checkpoint,
                                               const std::vector<DuplicatePair>& pairs) override {
    LEADSYNC_CHECK(detail::prepare_writes(writes, checkpoint, clock_, random_));
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
    for (std::size_t i = 0; i < writes.size(); ++i) {
      auto& write = writes[i];
      auto written = write.kind == WriteKind::create ? insert_lead(write.lead, write.options)
                                                     : apply_update(write.lead, write.options);
      if (!written.ok()) {
        return fail(prefixed(written.error(), detail::position_of("write", i, writes.size())));
      }
    }
    for (const auto& pair : pairs) {
      LEADSYNC_CHECK(save_duplicate_pair(pair));
    }
    if (checkpoint) {
      LEADSYNC_CHECK(save_checkpoint(checkpoint->name, checkpoint->value));
    }
    LEADSYNC_CHECK(transaction.commit());
    std::vector<model::Lead> leads;
    leads.reserve(writes.size());
    for (auto& write : writes) {
      leads.push_back(std::move(write.lead));
    }
    return leads;
  }

  Status finish_bulk_load() override {
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
    LEADSYNC_CHECK(sqlite::merge_lookup_backlog(database_));
    return transaction.commit();
  }

  // Tombstoning a tombstone changes nothing and records nothing.
  Result<model::Lead> tombstone_lead(const std::string& id, const WriteOptions& options) override {
    LEADSYNC_TRY(const auto canonical, canonical_id(id));
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
    LEADSYNC_TRY(auto lead, load_lead(canonical));
    if (!detail::make_tombstone(lead, now())) {
      return lead;
    }
    LEADSYNC_CHECK(
        save_lead(lead, options.enqueue ? std::optional(OutboxOperation::remove) : std::nullopt));
    LEADSYNC_CHECK(transaction.commit());
    return lead;
  }

  Result<model::Lead> get_lead(const std::string& id) override {
    LEADSYNC_TRY(const auto canonical, canonical_id(id));
    std::lock_guard lock(mutex_);
    return load_lead(canonical);
  }

  // One lookup by primary key each, under one lock: SQLite has no round trips to save.
  Result<std::vector<model::Lead>> get_leads(const std::vector<std::string>& ids) override {
    std::vector<std::string> canonical;
    canonical.reserve(ids.size());
    for (const auto& id : ids) {
      LEADSYNC_TRY(auto one, canonical_id(id));
      canonical.push_back(std::move(one));
    }
    std::vector<model::Lead> leads;
    leads.reserve(ids.size());
    std::lock_guard lock(mutex_);
    for (const auto& id : canonical) {
      auto lead = load_lead(id);
      if (lead.ok()) {
        leads.push_back(std::move(lead).value());
      } else if (lead.error().category != ErrorCategory::not_found) {
        return lead.error();
      }
    }
    return leads;
  }

  Result<std::vector<model::Lead>> find_by_email(const std::string& email) override {
    return find_live_leads(
        "WHERE leads.id IN (SELECT lead_id FROM lead_emails WHERE email = ?1 "
        "UNION SELECT lead_id FROM lookup_backlog WHERE value = ?1 AND kind = 0)",
        ascii_lower(email));
  }

  Result<std::vector<model::Lead>> find_by_phone(const std::string& e164) override {
    return find_live_leads(
        "WHERE leads.id IN (SELECT lead_id FROM lead_phones WHERE e164 = ?1 "
        "UNION SELECT lead_id FROM lookup_backlog WHERE value = ?1 AND kind = 1)",
        e164);
  }

  Result<std::vector<model::Lead>> find_by_domain(const std::string& domain) override {
    return find_live_leads(
        "WHERE leads.id IN (SELECT lead_id FROM lead_domains WHERE domain = ?1 "
        "UNION SELECT lead_id FROM lookup_backlog WHERE value = ?1 AND kind = 2)",
        ascii_lower(domain));
  }

  Result<std::vector<model::Lead>> find_by_crm_id(const std::string& crm_id) override {
    return find_live_leads("WHERE leads.crm_id = ?", crm_id);
  }

  // One statement for all the keys: each list is bound as one JSON array parameter.
  Result<std::vector<model::Lead>> find_leads(const LeadLookup& lookup) override {
    const auto keys = detail::lookup_keys(lookup);
    if (keys.empty()) {
      return std::vector<model::Lead>{};
    }
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(
        auto query,
        database_.query(
            sql({"WITH hits (id) AS ("
                 "SELECT lead_id FROM lead_emails WHERE email IN (SELECT value FROM json_each(?1)) "
                 "UNION SELECT lead_id FROM lead_phones WHERE e164 IN "
                 "(SELECT value FROM json_each(?2)) "
                 "UNION SELECT lead_id FROM lead_domains JOIN leads ON leads.id = lead_id "
                 "WHERE domain IN (SELECT value FROM json_each(?3)) AND created_at < ?4 ",
                 lookup.skip_unfinished_bulk_loads ? ""
                                                   : "UNION SELECT lead_id FROM lookup_backlog "
                                                     "JOIN leads ON leads.id = lead_id "
                                                     "WHERE CASE kind "
                                                     "WHEN 0 THEN value IN (SELECT value FROM "
                                                     "json_each(?1)) "
                                                     "WHEN 1 THEN value IN (SELECT value FROM "
                                                     "json_each(?2)) "
                                                     "ELSE value IN (SELECT value FROM "
                                                     "json_each(?3)) AND created_at < ?4 END",
                 ") SELECT ", lead_columns,
                 " FROM leads JOIN hits ON hits.id = leads.id WHERE leads.deleted = 0 "
                 "ORDER BY leads.created_at, leads.id"}),
            nlohmann::json(keys.emails).dump(), nlohmann::json(keys.phones).dump(),
            nlohmann::json(keys.domains).dump(), keys.domain_created_before));
    return read_leads(query);
  }

  Status scan_lookup_keys(const std::function<void(LookupKind, std::string_view)>& visit) override {
    std::lock_guard lock(mutex_);
    // Each part reads one index in its own order: no sorting, no lookups into the leads table.
    LEADSYNC_TRY(auto query, database_.query("SELECT 0, email FROM lead_emails UNION ALL "
                                             "SELECT 1, e164 FROM lead_phones UNION ALL "
                                             "SELECT kind, value FROM lookup_backlog UNION ALL "
                                             "SELECT 2, domain FROM lead_domains"));
    for (;;) {
      LEADSYNC_TRY(const bool has_row, query.step());
      if (!has_row) {
        return ok_status();
      }
      const auto kind = query.integer(0);
      visit(kind == 0   ? LookupKind::email
            : kind == 1 ? LookupKind::phone
                        : LookupKind::domain,
            query.text_view(1));
    }
  }

  Status
  scan_person_names(const std::function<void(std::string_view, std::string_view)>& visit) override {
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto query, database_.query("SELECT json_extract(doc, '$.person.first_name'), "
                                             "json_extract(doc, '$.person.last_name') "
                                             "FROM leads WHERE deleted = 0"));
    for (;;) {
      LEADSYNC_TRY(const bool has_row, query.step());
      if (!has_row) {
        return ok_status();
      }
      visit(query.text_view(0), query.text_view(1));
    }
  }

  using Store::list_duplicate_pairs;
  Result<std::vector<DuplicatePair>> find_duplicate_pairs(const DuplicateQuery& query) override {
    std::string lead;
    if (!query.lead_id.empty()) {
      LEADSYNC_TRY(lead, canonical_id(query.lead_id));
    }
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto found,
                 database_.query("SELECT " + std::string(duplicate_pair_columns) +
                                     " FROM duplicate_pairs WHERE status = ?1 AND (?2 = '' OR "
                                     "rule = ?2) AND (?3 = '' OR lead_low = ?3 OR lead_high = ?3) "
                                     "ORDER BY id LIMIT ?4",
                                 to_string(query.status), query.rule, lead,
                                 sql_limit(query.limit)));
    std::vector<DuplicatePair> pairs;
    for (;;) {
      LEADSYNC_TRY(const bool has_row, found.step());
      if (!has_row) {
        return pairs;
      }
      LEADSYNC_TRY(auto pair, read_duplicate_pair(found));
      pairs.push_back(std::move(pair));
    }
  }

  Result<DuplicatePair> get_duplicate_pair(const std::string& lead_a,
                                           const std::string& lead_b) override {
    LEADSYNC_TRY(const auto a, canonical_id(lead_a));
    LEADSYNC_TRY(const auto b, canonical_id(lead_b));
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto query, database_.query("SELECT " + std::string(duplicate_pair_columns) +
                                                 " FROM duplicate_pairs WHERE lead_low = ? AND "
                                                 "lead_high = ?",
                                             std::min(a, b), std::max(a, b)));
    LEADSYNC_TRY(const bool found, query.step());
    if (!found) {
      return detail::duplicate_pair_not_found(a, b);
    }
    return read_duplicate_pair(query);
  }

  // SQLite's data_version changes when another connection commits, never for this one's own.
  Result<std::int64_t> foreign_write_marker() override {
    std::lock_guard lock(mutex_);
    return database_.query_integer("PRAGMA data_version");
  }

  Result<LeadPage> list_leads(const LeadFilter& filter, const PageRequest& page) override {
    LEADSYNC_TRY(const std::size_t limit, detail::page_size(page));
    std::string text = sql({"SELECT ", lead_columns, " FROM leads WHERE 1 = 1"});
    std::vector<SqlValue> parameters;
    if (!filter.include_deleted) {
      text += " AND deleted = 0";
    }
    if (filter.stage) {
      text += " AND stage = ?";
      parameters.emplace_back(std::string(model::to_string(*filter.stage)));
    }
    if (filter.is_new) {
      text += " AND is_new = ?";
      parameters.emplace_back(std::int64_t{*filter.is_new});
    }
    if (filter.enriched) {
      // Written exactly as the partial index leads_not_enriched is, so that it is used.
      text += *filter.enriched ? " AND enriched_at IS NOT NULL" : " AND enriched_at IS NULL";
    }
    if (filter.updated_since) {
      text += " AND updated_at >= ?";
      parameters.emplace_back(to_millis(*filter.updated_since));
    }
    if (!filter.crm_id.empty()) {
      text += " AND crm_id = ?";
      parameters.emplace_back(filter.crm_id);
    }
    // Ids are stored lower-case; a part of an id has no LIKE wildcards (checked first).
    for (const bool suffix : {false, true}) {
      const std::string& part = suffix ? filter.id_suffix : filter.id_prefix;
      if (part.empty()) {
        continue;
      }
      LEADSYNC_TRY(auto pattern, detail::id_pattern(part, suffix));
      text += " AND id LIKE ?";
      parameters.emplace_back(std::move(pattern));
    }
    if (!page.after.empty()) {
      LEADSYNC_TRY(const auto cursor, parse_cursor(page.after));
      text += " AND (created_at, id) > (?, ?)";
      parameters.emplace_back(cursor.created_at);
      parameters.emplace_back(cursor.id);
    }
    text += " ORDER BY created_at, id LIMIT ?";
    // One row more than asked tells whether another page follows.
    parameters.emplace_back(static_cast<std::int64_t>(limit + 1));

    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto query, database_.query(text));
    for (std::size_t i = 0; i < parameters.size(); ++i) {
      query.bind(static_cast<int>(i + 1), parameters[i]);
    }
    LeadPage result;
    LEADSYNC_TRY(result.leads, read_leads(query));
    if (result.leads.size() > limit) {
      result.leads.pop_back();
      result.next = detail::make_cursor(result.leads.back());
    }
    return result;
  }

  // Only the oldest entry of each lead is claimable: a lead's next change goes out only after the
  // previous one was completed or dead-lettered, so changes of one lead reach the CRM in order and
  // at most one worker holds a lead's changes at a time.
  Result<std::vector<OutboxEntry>> claim_outbox(const ClaimRequest& request) override {
    LEADSYNC_CHECK(detail::check_claim(request));
    if (request.max_entries == 0) {
      return std::vector<OutboxEntry>{};
    }
    std::lock_guard lock(mutex_);
    const std::int64_t now = to_millis(clock_.now());
    const std::int64_t lease_until =
        now + std::chrono::duration_cast<std::chrono::milliseconds>(request.lease).count();
    LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
    std::vector<OutboxEntry> claimed;
    {
      LEADSYNC_TRY(
          auto query,
          database_.query(sql({"UPDATE outbox SET lease_owner = ?1, lease_until = ?2 "
                               "WHERE seq IN (SELECT entry.seq FROM outbox AS entry "
                               "WHERE (entry.lease_owner = '' OR entry.lease_until < ?3) "
                               "AND coalesce(entry.not_before, ?3) <= ?3 "
                               "AND NOT EXISTS (SELECT 1 FROM outbox AS older "
                               "WHERE older.lead_id = entry.lead_id AND older.seq < entry.seq) "
                               "ORDER BY entry.seq LIMIT ?4) RETURNING ",
                               outbox_columns}),
                          request.worker, lease_until, now, sql_limit(request.max_entries)));
      LEADSYNC_TRY(claimed, read_outbox_entries(query));
    }
    LEADSYNC_CHECK(transaction.commit());
    std::sort(claimed.begin(), claimed.end(),
              [](const OutboxEntry& a, const OutboxEntry& b) { return a.seq < b.seq; });
    return claimed;
  }

  Result<std::map<std::string, std::int64_t>> outbox_lease_holders() override {
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto query,
                 database_.query("SELECT lease_owner, count(*) FROM outbox WHERE lease_owner <> '' "
                                 "AND lease_until >= ? GROUP BY lease_owner",
                                 to_millis(clock_.now())));
    std::map<std::string, std::int64_t> holders;
    while (true) {
      LEADSYNC_TRY(const bool row, query.step());
      if (!row) {
        return holders;
      }
      holders.emplace(query.text(0), query.integer(1));
    }
  }

  Result<std::int64_t> release_leases_of(const std::string& worker_prefix) override {
    LEADSYNC_CHECK(detail::check_release_prefix(worker_prefix));
    std::lock_guard lock(mutex_);
    // substr rather than LIKE: a worker name may hold '%' or '_'.
    LEADSYNC_TRY(
        auto query,
        database_.query("UPDATE outbox SET lease_owner = '', lease_until = NULL "
                        "WHERE lease_owner <> '' AND substr(lease_owner, 1, length(?1)) = ?1",
                        worker_prefix));
    LEADSYNC_CHECK(query.run());
    return database_.changes();
  }

  // Deletes every listed entry the worker still holds (even when its lease expired unnoticed).
  // Entries it no longer holds are left for their new holder and reported in the error.
  Status complete_outbox(const std::vector<std::int64_t>& seqs,
                         const std::string& worker) override {
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
    std::vector<std::int64_t> lost;
    std::vector<std::int64_t> missing;
    for (const auto seq : seqs) {
      LEADSYNC_TRY(const auto owner, lease_owner(seq));
      if (!owner) {
        missing.push_back(seq);
      } else if (*owner != worker || worker.empty()) {
        lost.push_back(seq);
      } else {
        LEADSYNC_TRY(auto remove, database_.query("DELETE FROM outbox WHERE seq = ?", seq));
        LEADSYNC_CHECK(remove.run());
      }
    }
    LEADSYNC_CHECK(transaction.commit());
    return detail::outbox_completion(lost, missing, worker);
  }

  Status release_outbox(std::int64_t seq, const std::string& worker, const std::string& error,
                        std::optional<TimePoint> not_before) override {
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
    LEADSYNC_CHECK(require_lease(seq, worker));
    {
      LEADSYNC_TRY(auto update,
                   database_.query("UPDATE outbox SET attempts = attempts + 1, last_error = ?, "
                                   "not_before = ?, lease_owner = '', lease_until = NULL "
                                   "WHERE seq = ?",
                                   error, to_millis(not_before), seq));
      LEADSYNC_CHECK(update.run());
    }
    return transaction.commit();
  }

  Result<DeadLetter> dead_letter_outbox(std::int64_t seq, const std::string& worker,
                                        const Error& error) override {
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
    LEADSYNC_CHECK(require_lease(seq, worker));
    OutboxEntry entry;
    {
      LEADSYNC_TRY(
          auto query,
          database_.query(sql({"SELECT ", outbox_columns, " FROM outbox WHERE seq = ?"}), seq));
      LEADSYNC_TRY(auto entries, read_outbox_entries(query));
      entry = std::move(entries.front()); // require_lease found it
    }
    DeadLetter letter;
    letter.lead_id = entry.lead_id;
    letter.operation = entry.operation;
    letter.outbox_seq = entry.seq;
    letter.error_category = std::string(leadsync::to_string(error.category));
    letter.http_status = error.http_status;
    letter.service_code = error.service_code;
    letter.message = error.message;
    letter.attempts = entry.attempts + 1; // the attempt that failed for good counts too
    letter.created_at = now();
    {
      LEADSYNC_TRY(
          auto insert,
          database_.query("INSERT INTO dead_letters (lead_id, operation, lead_version, "
                          "outbox_seq, error_category, http_status, service_code, message, "
                          "attempts, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          letter.lead_id, to_string(letter.operation), entry.lead_version,
                          letter.outbox_seq, letter.error_category, letter.http_status,
                          letter.service_code, letter.message, letter.attempts,
                          to_millis(letter.created_at)));
      LEADSYNC_CHECK(insert.run());
      letter.id = database_.last_insert_rowid();
    }
    {
      LEADSYNC_TRY(auto remove, database_.query("DELETE FROM outbox WHERE seq = ?", seq));
      LEADSYNC_CHECK(remove.run());
    }
    LEADSYNC_CHECK(transaction.commit());
    return letter;
  }

  Result<std::vector<OutboxEntry>> pending_outbox(std::size_t limit) override {
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto query, database_.query(sql({"SELECT ", outbox_columns,
                                                  " FROM outbox ORDER BY seq LIMIT ?"}),
                                             sql_limit(limit)));
    return read_outbox_entries(query);
  }

  Result<std::optional<std::string>> get_checkpoint(const std::string& name) override {
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto query, database_.query("SELECT value FROM checkpoints WHERE name = ?", name));
    LEADSYNC_TRY(const bool found, query.step());
    if (!found) {
      return std::optional<std::string>();
    }
    return std::optional(query.text(0));
  }

  Status put_checkpoint(const std::string& name, const std::string& value) override {
    LEADSYNC_CHECK(detail::check_checkpoint_name(name));
    std::lock_guard lock(mutex_);
    return save_checkpoint(name, value);
  }

  // BEGIN IMMEDIATE takes the database's write lock before the read, so no other connection can
  // write the checkpoint between the comparison and the write.
  Result<bool> put_checkpoint_if(const std::string& name,
                                 const std::optional<std::string>& expected,
                                 const std::string& value) override {
    LEADSYNC_CHECK(detail::check_checkpoint_name(name));
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
    std::optional<std::string> stored;
    {
      LEADSYNC_TRY(auto query,
                   database_.query("SELECT value FROM checkpoints WHERE name = ?", name));
      LEADSYNC_TRY(const bool found, query.step());
      if (found) {
        stored = query.text(0);
      }
    }
    if (stored != expected) {
      return false;
    }
    LEADSYNC_CHECK(save_checkpoint(name, value));
    LEADSYNC_CHECK(transaction.commit());
    return true;
  }

  Result<std::map<std::string, std::string>> list_checkpoints() override {
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto query, database_.query("SELECT name, value FROM checkpoints"));
    std::map<std::string, std::string> checkpoints;
    for (;;) {
      LEADSYNC_TRY(const bool has_row, query.step());
      if (!has_row) {
        return checkpoints;
      }
      checkpoints.emplace(query.text(0), query.text(1));
    }
  }

  Result<std::vector<DeadLetter>> list_dead_letters(std::size_t limit) override {
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto query, database_.query(sql({"SELECT ", dead_letter_columns,
                                                  " FROM dead_letters ORDER BY id LIMIT ?"}),
                                             sql_limit(limit)));
    std::vector<DeadLetter> letters;
    for (;;) {
      LEADSYNC_TRY(const bool has_row, query.step());
      if (!has_row) {
        return letters;
      }
      LEADSYNC_TRY(auto letter, read_dead_letter(query));
      letters.push_back(std::move(letter));
    }
  }

  Result<DeadLetter> get_dead_letter(std::int64_t id) override {
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto query,
                 database_.query(
                     sql({"SELECT ", dead_letter_columns, " FROM dead_letters WHERE id = ?"}), id));
    LEADSYNC_TRY(const bool found, query.step());
    if (!found) {
      return detail::dead_letter_not_found(id);
    }
    return read_dead_letter(query);
  }

  Status drop_dead_letter(std::int64_t id) override {
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto query, database_.query("DELETE FROM dead_letters WHERE id = ?", id));
    LEADSYNC_CHECK(query.run());
    if (database_.changes() == 0) {
      return detail::dead_letter_not_found(id);
    }
    return ok_status();
  }

  Result<OutboxEntry> retry_dead_letter(std::int64_t id) override {
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
    OutboxEntry entry;
    {
      LEADSYNC_TRY(auto query, database_.query("SELECT lead_id, operation, lead_version "
                                               "FROM dead_letters WHERE id = ?",
                                               id));
      LEADSYNC_TRY(const bool found, query.step());
      if (!found) {
        return detail::dead_letter_not_found(id);
      }
      entry.lead_id = query.text(0);
      LEADSYNC_TRY(entry.operation, parse_operation(query.text(1)));
      entry.lead_version = query.integer(2);
    }
    entry.created_at = now();
    LEADSYNC_CHECK(enqueue(entry.lead_id, entry.operation, entry.lead_version, entry.created_at));
    entry.seq = database_.last_insert_rowid();
    {
      LEADSYNC_TRY(auto remove, database_.query("DELETE FROM dead_letters WHERE id = ?", id));
      LEADSYNC_CHECK(remove.run());
    }
    LEADSYNC_CHECK(transaction.commit());
    return entry;
  }

  Result<RunRecord> begin_run(const std::string& kind) override {
    LEADSYNC_CHECK(detail::check_run_kind(kind));
    RunRecord run;
    run.kind = kind;
    run.status = "running";
    run.owner = this_process_name();
    std::lock_guard lock(mutex_);
    run.started_at = now();
    LEADSYNC_TRY(auto insert,
                 database_.query("INSERT INTO runs (kind, status, started_at, owner) "
                                 "VALUES (?, ?, ?, ?)",
                                 run.kind, run.status, to_millis(run.started_at), run.owner));
    LEADSYNC_CHECK(insert.run());
    run.id = database_.last_insert_rowid();
    return run;
  }

  Status finish_run(const RunRecord& run) override {
    LEADSYNC_CHECK(detail::check_run_end(run));
    std::lock_guard lock(mutex_);
    const auto finished_at = to_millis(run.finished_at.value_or(clock_.now()));
    LEADSYNC_TRY(auto update,
                 database_.query("UPDATE runs SET status = ?, finished_at = ?, counts = ?, "
                                 "message = ? WHERE id = ?",
                                 run.status, finished_at, nlohmann::json(run.counts).dump(),
                                 run.message, run.id));
    LEADSYNC_CHECK(update.run());
    if (database_.changes() == 0) {
      return detail::run_not_found(run.id);
    }
    return ok_status();
  }

  Result<std::vector<RunRecord>> list_runs(std::size_t limit) override {
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(
        auto query,
        database_.query("SELECT id, kind, status, started_at, finished_at, counts, message, owner "
                        "FROM runs ORDER BY started_at DESC, id DESC LIMIT ?",
                        sql_limit(limit)));
    std::vector<RunRecord> runs;
    for (;;) {
      LEADSYNC_TRY(const bool has_row, query.step());
      if (!has_row) {
        return runs;
      }
      LEADSYNC_TRY(auto run, read_run(query));
      runs.push_back(std::move(run));
    }
  }

  // ---- enrichment

  Result<std::optional<CachedAnswer>>
  get_cached_answer(const std::string& provider, const std::string& key, TimePoint at) override {
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto query, database_.query("SELECT answer, matched, fetched_at, expires_at "
                                             "FROM enrichment_cache WHERE provider = ? AND key = ? "
                                             "AND expires_at > ?",
                                             provider, key, to_millis(at)));
    LEADSYNC_TRY(const bool found, query.step());
    if (!found) {
      return std::optional<CachedAnswer>();
    }
    return std::optional(CachedAnswer{.provider = provider,
                                      .key = key,
                                      .answer = query.text(0),
                                      .matched = query.integer(1) != 0,
                                      .fetched_at = from_millis(query.integer(2)),
                                      .expires_at = from_millis(query.integer(3))});
  }

  Status put_cached_answers(const std::vector<CachedAnswer>& answers) override {
    LEADSYNC_CHECK(detail::check_cached_answers(answers));
    if (answers.empty()) {
      return ok_status();
    }
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
    for (const auto& answer : answers) {
      LEADSYNC_TRY(auto upsert,
                   database_.query("INSERT INTO enrichment_cache (provider, key, answer, matched, "
                                   "fetched_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) "
                                   "ON CONFLICT (provider, key) DO UPDATE SET "
                                   "answer = excluded.answer, matched = excluded.matched, "
                                   "fetched_at = excluded.fetched_at, "
                                   "expires_at = excluded.expires_at",
                                   answer.provider, answer.key, answer.answer, answer.matched,
                                   to_millis(answer.fetched_at), to_millis(answer.expires_at)));
      LEADSYNC_CHECK(upsert.run());
    }
    return transaction.commit();
  }

  // Deletes what get_cached_answer no longer returns at `at` (expires_at <= at).
  Result<std::int64_t> prune_cached_answers(TimePoint at) override {
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto remove, database_.query("DELETE FROM enrichment_cache WHERE expires_at <= ?",
                                              to_millis(at)));
    LEADSYNC_CHECK(remove.run());
    return database_.changes();
  }

  Result<ProviderUsage> get_usage(const std::string& provider, const std::string& period) override {
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto query, database_.query("SELECT requests, credits FROM provider_usage "
                                             "WHERE provider = ? AND period = ?",
                                             provider, period));
    LEADSYNC_TRY(const bool found, query.step());
    if (!found) {
      return ProviderUsage{};
    }
    return ProviderUsage{.requests = query.integer(0), .credits = query.integer(1)};
  }

  Status add_usage(const std::string& provider, const std::vector<std::string>& periods,
                   const ProviderUsage& delta) override {
    LEADSYNC_CHECK(detail::check_usage(provider, periods));
    if (periods.empty()) {
      return ok_status();
    }
    std::lock_guard lock(mutex_);
    const auto now_millis = to_millis(clock_.now());
    LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
    for (const auto& period : periods) {
      LEADSYNC_TRY(auto upsert,
                   database_.query("INSERT INTO provider_usage (provider, period, requests, "
                                   "credits, updated_at) VALUES (?, ?, ?, ?, ?) "
                                   "ON CONFLICT (provider, period) DO UPDATE SET "
                                   "requests = requests + excluded.requests, "
                                   "credits = credits + excluded.credits, "
                                   "updated_at = excluded.updated_at",
                                   provider, period, delta.requests, delta.credits, now_millis));
      LEADSYNC_CHECK(upsert.run());
    }
    return transaction.commit();
  }

  Status put_pending_lookup(const PendingLookup& pending) override {
    LEADSYNC_CHECK(detail::check_pending_lookup(pending));
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto upsert,
                 database_.query("INSERT INTO pending_lookups (provider, key, lead_id, "
                                 "lookup_group, not_before, attempts, created_at) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?) "
                                 "ON CONFLICT (provider, key, lead_id) DO UPDATE SET "
                                 "lookup_group = excluded.lookup_group, "
                                 "not_before = excluded.not_before, attempts = excluded.attempts",
                                 pending.provider, pending.key, pending.lead_id, pending.group,
                                 to_millis(pending.not_before), pending.attempts,
                                 to_millis(clock_.now())));
    return upsert.run();
  }

  Status delete_pending_lookup(const std::string& provider, const std::string& key,
                               const std::string& lead_id) override {
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto remove, database_.query("DELETE FROM pending_lookups WHERE provider = ? "
                                              "AND key = ? AND lead_id = ?",
                                              provider, key, lead_id));
    return remove.run();
  }

  Result<std::vector<PendingLookup>> list_pending_lookups(std::size_t limit) override {
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto query,
                 database_.query("SELECT provider, key, lead_id, lookup_group, not_before, "
                                 "attempts, created_at FROM pending_lookups "
                                 "ORDER BY not_before, created_at, provider, key, lead_id LIMIT ?",
                                 sql_limit(limit)));
    std::vector<PendingLookup> lookups;
    for (;;) {
      LEADSYNC_TRY(const bool has_row, query.step());
      if (!has_row) {
        return lookups;
      }
      lookups.push_back(PendingLookup{.provider = query.text(0),
                                      .key = query.text(1),
                                      .lead_id = query.text(2),
                                      .group = query.text(3),
                                      .not_before = from_millis(query.integer(4)),
                                      .attempts = static_cast<int>(query.integer(5)),
                                      .created_at = from_millis(query.integer(6))});
    }
  }

  Result<std::optional<FeedFileState>> get_feed_file(const std::string& provider,
                                                     const std::string& path) override {
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto query, database_.query(sql({"SELECT ", feed_file_columns,
                                                  " FROM feed_files WHERE provider = ? AND "
                                                  "path = ?"}),
                                             provider, path));
    LEADSYNC_TRY(const bool found, query.step());
    if (!found) {
      return std::optional<FeedFileState>();
    }
    return std::optional(read_feed_file(query));
  }

  Result<std::vector<FeedFileState>> list_feed_files(const std::string& provider) override {
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto query,
                 database_.query(sql({"SELECT ", feed_file_columns,
                                      " FROM feed_files WHERE provider = ? ORDER BY path"}),
                                 provider));
    std::vector<FeedFileState> files;
    for (;;) {
      LEADSYNC_TRY(const bool has_row, query.step());
      if (!has_row) {
        return files;
      }
      files.push_back(read_feed_file(query));
    }
  }

  Status replace_feed_file(const FeedFileState& state, const std::vector<FeedRecord>& records,
                           bool append) override {
    LEADSYNC_CHECK(detail::check_feed_file(state, records));
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
    {
      LEADSYNC_TRY(auto upsert,
                   database_.query(sql({"INSERT INTO feed_files (", feed_file_columns,
                                        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                                        "ON CONFLICT (provider, path) DO UPDATE SET "
                                        "size = excluded.size, mtime_ns = excluded.mtime_ns, "
                                        "digest = excluded.digest, lines = excluded.lines, "
                                        "records = excluded.records, "
                                        "rejected = excluded.rejected, "
                                        "indexed_at = excluded.indexed_at"}),
                                   state.provider, state.path, state.size, state.mtime_ns,
                                   state.digest, state.lines, state.records, state.rejected,
                                   to_millis(state.indexed_at)));
      LEADSYNC_CHECK(upsert.run());
    }
    if (!append) {
      LEADSYNC_CHECK(delete_feed_records(state.provider, state.path));
    }
    for (const auto& record : records) {
      std::int64_t record_id = 0;
      {
        LEADSYNC_TRY(auto insert,
                     database_.query("INSERT INTO feed_records (provider, path, line, record) "
                                     "VALUES (?, ?, ?, ?)",
                                     state.provider, state.path, record.line, record.record));
        LEADSYNC_CHECK(insert.run());
        record_id = database_.last_insert_rowid();
      }
      for (std::size_t position = 0; position < record.keys.size(); ++position) {
        const auto& key = record.keys[position];
        LEADSYNC_TRY(auto insert,
                     database_.query("INSERT INTO feed_keys (record_id, position, provider, "
                                     "kind, value) VALUES (?, ?, ?, ?, ?)",
                                     record_id, static_cast<std::int64_t>(position), state.provider,
                                     to_string(key.kind), key.value));
        LEADSYNC_CHECK(insert.run());
      }
    }
    return transaction.commit();
  }

  // No error when the file is not indexed.
  Status remove_feed_file(const std::string& provider, const std::string& path) override {
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
    LEADSYNC_CHECK(delete_feed_records(provider, path));
    {
      LEADSYNC_TRY(auto remove,
                   database_.query("DELETE FROM feed_files WHERE provider = ? AND path = ?",
                                   provider, path));
      LEADSYNC_CHECK(remove.run());
    }
    return transaction.commit();
  }

  // The keys index (provider, kind, value) finds the records; only those are read and sorted.
  Result<std::vector<FeedRecord>> find_feed_records(const std::string& provider, const FeedKey& key,
                                                    std::size_t limit) override {
    std::vector<FeedRecord> records;
    if (limit == 0 || key.value.empty()) {
      return records;
    }
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto transaction, Transaction::begin(database_, Transaction::Mode::read));
    std::vector<std::int64_t> ids;
    {
      LEADSYNC_TRY(auto query,
                   database_.query("SELECT id, path, line, record FROM feed_records "
                                   "WHERE id IN (SELECT record_id FROM feed_keys "
                                   "WHERE provider = ?1 AND kind = ?2 AND value = ?3) "
                                   "ORDER BY path, line, id LIMIT ?4",
                                   provider, to_string(key.kind), key.value, sql_limit(limit)));
      for (;;) {
        LEADSYNC_TRY(const bool has_row, query.step());
        if (!has_row) {
          break;
        }
        ids.push_back(query.integer(0));
        records.push_back(FeedRecord{.provider = provider,
                                     .path = query.text(1),
                                     .line = query.integer(2),
                                     .record = query.text(3),
                                     .keys = {}});
      }
    }
    for (std::size_t i = 0; i < records.size(); ++i) {
      LEADSYNC_TRY(auto query, database_.query("SELECT kind, value FROM feed_keys "
                                               "WHERE record_id = ? ORDER BY position",
                                               ids[i]));
      for (;;) {
        LEADSYNC_TRY(const bool has_row, query.step());
        if (!has_row) {
          break;
        }
        LEADSYNC_TRY(const auto kind, parse_feed_key_kind(query.text_view(0)));
        records[i].keys.push_back(FeedKey{.kind = kind, .value = query.text(1)});
      }
    }
    LEADSYNC_CHECK(transaction.commit());
    return records;
  }

  Result<model::BehaviourEvent> add_event(model::BehaviourEvent event) override {
    LEADSYNC_TRY(auto document, detail::prepare_event(event));
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
    LEADSYNC_TRY(const bool added, insert_event(event, document));
    if (!added) {
      return detail::event_exists(event.event_id);
    }
    LEADSYNC_CHECK(transaction.commit());
    return event;
  }

  Result<AddEventsResult> add_events(const std::vector<model::BehaviourEvent>& events) override {
    const auto position = [&](std::size_t index) {
      return detail::position_of("event", index, events.size());
    };
    std::vector<model::BehaviourEvent> prepared = events;
    std::vector<std::string> documents;
    documents.reserve(prepared.size());
    for (std::size_t i = 0; i < prepared.size(); ++i) {
      auto document = detail::prepare_event(prepared[i]);
      if (!document.ok()) {
        return fail(prefixed(document.error(), position(i)));
      }
      documents.push_back(std::move(document).value());
    }
    AddEventsResult result;
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
    for (std::size_t i = 0; i < prepared.size(); ++i) {
      auto added = insert_event(prepared[i], documents[i]);
      if (!added.ok()) {
        return fail(prefixed(added.error(), position(i)));
      }
      if (*added) {
        ++result.added;
      } else {
        ++result.duplicates;
        result.duplicate_positions.push_back(i);
      }
    }
    LEADSYNC_CHECK(transaction.commit());
    return result;
  }

  Result<std::vector<model::BehaviourEvent>> list_events(const std::string& lead_id) override {
    LEADSYNC_TRY(const auto canonical, canonical_id(lead_id));
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto query, database_.query("SELECT id, occurred_at, doc FROM behaviour_events "
                                             "WHERE lead_id = ? ORDER BY occurred_at, id",
                                             canonical));
    std::vector<model::BehaviourEvent> events;
    for (;;) {
      LEADSYNC_TRY(const bool has_row, query.step());
      if (!has_row) {
        return events;
      }
      LEADSYNC_TRY(auto event, detail::read_event_document(query.integer(0), query.text_view(2)));
      event.lead_id = canonical;
      event.occurred_at = from_millis(query.integer(1));
      events.push_back(std::move(event));
    }
  }

  // Webhook events. add_webhook_event's transaction is committed (in the write-ahead log) when it
  // returns, so an event it accepted survives the process being killed the moment after; see the
  // durability note at the top for an operating-system crash.
  Result<AddWebhookEventResult> add_webhook_event(const WebhookEvent& event) override {
    LEADSYNC_CHECK(detail::check_webhook_event(event));
    const auto received_at = detail::received_at_millis(event, clock_.now());
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
    AddWebhookEventResult result;
    {
      LEADSYNC_TRY(auto insert,
                   database_.query("INSERT INTO webhook_events (dedupe_key, source, message, "
                                   "entity, crm_id, correlation_id, payload, received_at) "
                                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                                   "ON CONFLICT (dedupe_key) DO NOTHING",
                                   event.dedupe_key, event.source, event.message, event.entity,
                                   event.crm_id, event.correlation_id, event.payload, received_at));
      LEADSYNC_CHECK(insert.run());
      result.added = database_.changes() > 0;
    }
    if (result.added) {
      result.seq = database_.last_insert_rowid();
    } else {
      LEADSYNC_TRY(auto known, database_.query("SELECT seq FROM webhook_events "
                                               "WHERE dedupe_key = ?",
                                               event.dedupe_key));
      LEADSYNC_TRY(const bool found, known.step());
      if (!found) {
        return fail(ErrorCategory::internal,
                    "webhook event " + event.dedupe_key + " was neither added nor found");
      }
      result.seq = known.integer(0);
    }
    LEADSYNC_CHECK(transaction.commit());
    return result;
  }

  // One UPDATE ... RETURNING takes the oldest claimable events; it runs under the database's
  // write lock (BEGIN IMMEDIATE), so two workers, in this process or another, never get the same
  // event while its lease runs.
  Result<std::vector<WebhookEvent>> claim_webhook_events(const std::string& worker,
                                                         std::size_t max_entries, TimePoint now,
                                                         std::chrono::milliseconds lease) override {
    LEADSYNC_CHECK(detail::check_webhook_claim(worker, lease));
    if (max_entries == 0) {
      return std::vector<WebhookEvent>{};
    }
    const std::int64_t now_millis = to_millis(now);
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
    std::vector<WebhookEvent> claimed;
    {
      LEADSYNC_TRY(auto query,
                   database_.query(sql({"UPDATE webhook_events SET lease_owner = ?1, "
                                        "lease_until = ?2 WHERE seq IN (SELECT seq FROM "
                                        "webhook_events WHERE state = 'pending' "
                                        "AND (lease_owner = '' OR lease_until < ?3) "
                                        "AND coalesce(not_before, ?3) <= ?3 "
                                        "ORDER BY seq LIMIT ?4) RETURNING ",
                                        webhook_event_columns}),
                                   worker, now_millis + lease.count(), now_millis,
                                   sql_limit(max_entries)));
      LEADSYNC_TRY(claimed, read_webhook_events(query));
    }
    LEADSYNC_CHECK(transaction.commit());
    std::sort(claimed.begin(), claimed.end(),
              [](const WebhookEvent& a, const WebhookEvent& b) { return a.seq < b.seq; });
    return claimed;
  }

  // Like complete_outbox: every listed event the worker still holds is marked done (even when
  // its lease expired unnoticed); the others are left alone and named in the error.
  Status complete_webhook_events(const std::vector<std::int64_t>& seqs, const std::string& worker,
                                 TimePoint now) override {
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
    std::vector<std::int64_t> lost;
    std::vector<std::int64_t> missing;
    for (const auto seq : seqs) {
      LEADSYNC_TRY(const auto owner, webhook_lease_owner(seq));
      if (!owner) {
        missing.push_back(seq);
      } else if (worker.empty() || *owner != worker) {
        lost.push_back(seq);
      } else {
        LEADSYNC_CHECK(finish_webhook_event(seq, WebhookEventState::done, std::nullopt, now));
      }
    }
    LEADSYNC_CHECK(transaction.commit());
    return detail::webhook_completion(lost, missing, worker);
  }

  Status retry_webhook_event(std::int64_t seq, const std::string& worker, const std::string& error,
                             TimePoint not_before) override {
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
    LEADSYNC_CHECK(require_webhook_lease(seq, worker));
    {
      LEADSYNC_TRY(auto update, database_.query("UPDATE webhook_events SET attempts = attempts + "
                                                "1, last_error = ?, not_before = ?, "
                                                "lease_owner = '', lease_until = NULL "
                                                "WHERE seq = ?",
                                                error, to_millis(not_before), seq));
      LEADSYNC_CHECK(update.run());
    }
    return transaction.commit();
  }

  Status fail_webhook_event(std::int64_t seq, const std::string& worker, const std::string& error,
                            TimePoint now) override {
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
    LEADSYNC_CHECK(require_webhook_lease(seq, worker));
    LEADSYNC_CHECK(finish_webhook_event(seq, WebhookEventState::failed, error, now));
    return transaction.commit();
  }

  Result<WebhookQueueStats> webhook_queue_stats() override {
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto query,
                 database_.query("SELECT coalesce(sum(state = 'pending'), 0), "
                                 "coalesce(sum(state = 'done'), 0), "
                                 "coalesce(sum(state = 'failed'), 0), "
                                 "min(CASE WHEN state = 'pending' THEN received_at END) "
                                 "FROM webhook_events"));
    LEADSYNC_CHECK(query.step());
    return WebhookQueueStats{.pending = query.integer(0),
                             .done = query.integer(1),
                             .failed = query.integer(2),
                             .oldest_pending = from_millis(query.optional_integer(3))};
  }

  Result<std::vector<WebhookEvent>> list_webhook_events(std::size_t limit) override {
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto query,
                 database_.query(sql({"SELECT ", webhook_event_columns,
                                      " FROM webhook_events ORDER BY seq DESC LIMIT ?"}),
                                 sql_limit(limit)));
    return read_webhook_events(query);
  }

  Result<std::int64_t> prune_webhook_events(TimePoint before) override {
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto remove, database_.query("DELETE FROM webhook_events WHERE state <> "
                                              "'pending' AND finished_at < ?",
                                              to_millis(before)));
    LEADSYNC_CHECK(remove.run());
    return database_.changes();
  }

  // ---- workers and singleton leases (scale-out, issue 16)
  // Leases belong to a worker by name: its id or "<id>:..." (owned_by). Times are the callers',
  // like claim_webhook_events, so that every process judges liveness by the same numbers.

  Status register_worker(const WorkerInfo& worker) override {
    if (worker.id.empty()) {
      return fail(ErrorCategory::invalid_argument,
                  "register_worker needs the worker's id: process_name(), \"<host>:<pid>\"");
    }
    const auto started_at = to_millis(worker.started_at);
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto upsert,
                 database_.query("INSERT INTO workers (id, host, pid, kind, crm_user, started_at, "
                                 "heartbeat_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) "
                                 "ON CONFLICT (id) DO UPDATE SET host = excluded.host, "
                                 "pid = excluded.pid, kind = excluded.kind, "
                                 "crm_user = excluded.crm_user, started_at = excluded.started_at, "
                                 "heartbeat_at = excluded.heartbeat_at",
                                 worker.id, worker.host, worker.pid, worker.kind, worker.crm_user,
                                 started_at));
    return upsert.run();
  }

  Result<Heartbeat> heartbeat_worker(const std::string& worker_id, TimePoint now,
                                     std::chrono::milliseconds lease) override {
    if (worker_id.empty()) {
      return fail(ErrorCategory::invalid_argument,
                  "heartbeat_worker needs the worker's id: process_name(), \"<host>:<pid>\"");
    }
    if (lease.count() <= 0) {
      return fail(ErrorCategory::invalid_argument,
                  "the lease a heartbeat extends must be longer than zero");
    }
    const std::int64_t now_millis = to_millis(now);
    const std::int64_t lease_until = now_millis + lease.count();
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
    {
      LEADSYNC_TRY(auto beat, database_.query("UPDATE workers SET heartbeat_at = ? WHERE id = ?",
                                              now_millis, worker_id));
      LEADSYNC_CHECK(beat.run());
    }
    if (database_.changes() == 0) {
      return fail(ErrorCategory::not_found,
                  "worker '" + worker_id +
                      "' is not registered (it was reaped as dead after missing its heartbeats, "
                      "or never registered); register it again, and claim its work again: what "
                      "it held may have been given to other workers");
    }
    Heartbeat beat;
    {
      LEADSYNC_TRY(auto extend, database_.query(sql({"UPDATE outbox SET lease_until = ?2 WHERE ",
                                                     owned_by("lease_owner", "?1")}),
                                                worker_id, lease_until));
      LEADSYNC_CHECK(extend.run());
      beat.outbox_extended = database_.changes();
    }
    {
      LEADSYNC_TRY(auto extend, database_.query(sql({"UPDATE webhook_events SET lease_until = ?2 "
                                                     "WHERE state = 'pending' AND ",
                                                     owned_by("lease_owner", "?1")}),
                                                worker_id, lease_until));
      LEADSYNC_CHECK(extend.run());
      beat.webhook_events_extended = database_.changes();
    }
    LEADSYNC_CHECK(transaction.commit());
    return beat;
  }

  // Its leases are left as they are: a worker that stops cleanly has given its work back, and
  // one that did not loses its leases when they expire or when it is reaped.
  Status unregister_worker(const std::string& worker_id) override {
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto remove, database_.query("DELETE FROM workers WHERE id = ?", worker_id));
    return remove.run();
  }

  Result<std::vector<WorkerInfo>> list_workers(TimePoint alive_since, TimePoint now) override {
    // Held work: unexpired leases (valid up to and including lease_until, as claims judge them).
    const std::string outbox_held = "(SELECT count(*) FROM outbox AS o WHERE " +
                                    owned_by("o.lease_owner", "w.id") + " AND o.lease_until >= ?2)";
    const std::string webhook_events_held =
        "(SELECT count(*) FROM webhook_events AS e WHERE e.state = 'pending' AND " +
        owned_by("e.lease_owner", "w.id") + " AND e.lease_until >= ?2)";
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto query,
                 database_.query("SELECT w.id, w.host, w.pid, w.kind, w.crm_user, w.started_at, "
                                 "w.heartbeat_at, " +
                                     outbox_held + ", " + webhook_events_held +
                                     " FROM workers AS w WHERE w.heartbeat_at >= ?1 "
                                     "ORDER BY w.started_at, w.id",
                                 to_millis(alive_since), to_millis(now)));
    std::vector<WorkerInfo> workers;
    for (;;) {
      LEADSYNC_TRY(const bool has_row, query.step());
      if (!has_row) {
        return workers;
      }
      workers.push_back(WorkerInfo{.id = query.text(0),
                                   .host = query.text(1),
                                   .pid = query.integer(2),
                                   .kind = query.text(3),
                                   .crm_user = query.text(4),
                                   .started_at = from_millis(query.integer(5)),
                                   .heartbeat_at = from_millis(query.integer(6)),
                                   .outbox_held = query.integer(7),
                                   .webhook_events_held = query.integer(8)});
    }
  }

  // One transaction: a worker is removed together with the freeing of its leases, so a worker
  // that heartbeats meanwhile either keeps everything or learns (not_found) that it lost it.
  Result<ReapedWorkers> reap_dead_workers(TimePoint dead_before) override {
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
    ReapedWorkers reaped;
    {
      LEADSYNC_TRY(auto dead,
                   database_.query("SELECT id FROM workers WHERE heartbeat_at < ? ORDER BY id",
                                   to_millis(dead_before)));
      for (;;) {
        LEADSYNC_TRY(const bool has_row, dead.step());
        if (!has_row) {
          break;
        }
        reaped.workers.push_back(dead.text(0));
      }
    }
    for (const auto& id : reaped.workers) {
      // No attempt is counted: the work did not fail, its worker went away.
      {
        LEADSYNC_TRY(auto freeing, database_.query(sql({"UPDATE outbox SET lease_owner = '', "
                                                        "lease_until = NULL WHERE ",
                                                        owned_by("lease_owner", "?1")}),
                                                   id));
        LEADSYNC_CHECK(freeing.run());
        reaped.outbox_freed += database_.changes();
      }
      {
        LEADSYNC_TRY(auto freeing, database_.query(sql({"UPDATE webhook_events SET lease_owner = "
                                                        "'', lease_until = NULL WHERE state = "
                                                        "'pending' AND ",
                                                        owned_by("lease_owner", "?1")}),
                                                   id));
        LEADSYNC_CHECK(freeing.run());
        reaped.webhook_events_freed += database_.changes();
      }
      LEADSYNC_TRY(auto remove, database_.query("DELETE FROM workers WHERE id = ?", id));
      LEADSYNC_CHECK(remove.run());
    }
    LEADSYNC_CHECK(transaction.commit());
    return reaped;
  }

  // One upsert under the write lock: it changes the row only when the lease is free (no row),
  // expired, or the owner's already; a row it did not change means another owner holds it.
  Result<bool> try_lease(const std::string& name, const std::string& owner, TimePoint now,
                         std::chrono::milliseconds lease) override {
    if (name.empty() || owner.empty()) {
      return fail(ErrorCategory::invalid_argument,
                  "try_lease needs the lease's name and its owner (the worker's id)");
    }
    if (lease.count() <= 0) {
      return fail(ErrorCategory::invalid_argument,
                  "a singleton lease must be longer than zero (lease '" + name + "')");
    }
    const std::int64_t now_millis = to_millis(now);
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
    bool taken = false;
    {
      LEADSYNC_TRY(auto take,
                   database_.query("INSERT INTO singleton_leases (name, owner, acquired_at, "
                                   "lease_until) VALUES (?1, ?2, ?3, ?4) "
                                   "ON CONFLICT (name) DO UPDATE SET acquired_at = CASE WHEN "
                                   "owner = excluded.owner THEN acquired_at ELSE "
                                   "excluded.acquired_at END, owner = excluded.owner, "
                                   "lease_until = excluded.lease_until "
                                   "WHERE owner = excluded.owner OR lease_until < ?3",
                                   name, owner, now_millis, now_millis + lease.count()));
      LEADSYNC_CHECK(take.run());
      taken = database_.changes() > 0;
    }
    LEADSYNC_CHECK(transaction.commit());
    return taken;
  }

  Status release_lease(const std::string& name, const std::string& owner) override {
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(
        auto release,
        database_.query("DELETE FROM singleton_leases WHERE name = ? AND owner = ?", name, owner));
    return release.run();
  }

  // SQLite has no signal between processes; writers in this process are seen by polling too.
  Result<std::unique_ptr<WorkWaiter>> open_work_waiter() override {
    return std::unique_ptr<WorkWaiter>();
  }

  Result<StoreStats> stats() override {
    std::lock_guard lock(mutex_);
    StoreStats stats;
    LEADSYNC_TRY(auto transaction, Transaction::begin(database_, Transaction::Mode::read));
    {
      LEADSYNC_TRY(auto query, database_.query("SELECT coalesce(sum(deleted = 0), 0), "
                                               "coalesce(sum(deleted <> 0), 0) FROM leads"));
      LEADSYNC_CHECK(query.step());
      stats.leads = query.integer(0);
      stats.tombstones = query.integer(1);
    }
    {
      LEADSYNC_TRY(auto query, database_.query("SELECT stage, count(*) FROM leads "
                                               "WHERE deleted = 0 GROUP BY stage"));
      for (;;) {
        LEADSYNC_TRY(const bool has_row, query.step());
        if (!has_row) {
          break;
        }
        stats.leads_by_stage[query.text(0)] = query.integer(1);
      }
    }
    {
      LEADSYNC_TRY(auto query,
                   database_.query("SELECT count(*), coalesce(sum(lease_owner <> '' AND "
                                   "lease_until >= ?), 0) FROM outbox",
                                   to_millis(clock_.now())));
      LEADSYNC_CHECK(query.step());
      stats.outbox_leased = query.integer(1);
      stats.outbox_pending = query.integer(0) - stats.outbox_leased;
    }
    LEADSYNC_TRY(stats.dead_letters, database_.query_integer("SELECT count(*) FROM dead_letters"));
    LEADSYNC_TRY(stats.behaviour_events,
                 database_.query_integer("SELECT count(*) FROM behaviour_events"));
    LEADSYNC_TRY(stats.possible_duplicates,
                 database_.query_integer("SELECT count(*) FROM duplicate_pairs "
                                         "WHERE status = 'open'"));
    LEADSYNC_CHECK(transaction.commit());
    return stats;
  }

private:
  struct StoredVersion {
    std::int64_t version = 0;
    std::int64_t created_at = 0;
  };

  // What the database keeps: wall time at millisecond precision.
  TimePoint now() const { return detail::stored_time(clock_.now()); }

  // Inside a transaction. An open pair is added unless the pair is known; a resolved one sets its
  // status (see Store::write_batch).
  Status save_duplicate_pair(const DuplicatePair& pair) {
    LEADSYNC_TRY(const auto row, detail::duplicate_pair_row(pair, clock_.now()));
    LEADSYNC_TRY(
        auto insert,
        database_.query(
            std::string("INSERT INTO duplicate_pairs (lead_low, lead_high, lead_a, lead_b, "
                        "rule, score_milli, evidence, source, status, created_at, "
                        "resolved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                        "ON CONFLICT (lead_low, lead_high) DO ") +
                (row.resolved ? "UPDATE SET status = excluded.status, "
                                "resolved_at = excluded.resolved_at"
                              : "NOTHING"),
            row.low, row.high, row.a, row.b, pair.rule, row.score_milli, pair.evidence, pair.source,
            to_string(pair.status), row.created_at, row.resolved_at));
    return insert.run();
  }

  // Stores a new lead (version 1, the clock's time) inside the caller's transaction.
  Status insert_lead(model::Lead& lead, const WriteOptions& options) {
    detail::start_identity(lead, now());
    return save_lead(lead, detail::outbox_operation(options), /*new_lead=*/true, options.bulk_load);
  }

  // Stores a new version of a lead inside the caller's transaction; the given version must be the
  // stored one.
  Status apply_update(model::Lead& lead, const WriteOptions& options) {
    LEADSYNC_TRY(const auto stored, find_version(lead.identity.id));
    if (!stored) {
      return detail::lead_not_found(lead.identity.id);
    }
    LEADSYNC_CHECK(detail::advance_identity(lead, stored->version, stored->created_at, now()));
    return save_lead(lead, detail::outbox_operation(options), /*new_lead=*/false,
                     options.bulk_load);
  }

  // Inside a transaction: every record of the file and their keys.
  Status delete_feed_records(const std::string& provider, const std::string& path) {
    {
      LEADSYNC_TRY(auto remove,
                   database_.query("DELETE FROM feed_keys WHERE record_id IN (SELECT id FROM "
                                   "feed_records WHERE provider = ? AND path = ?)",
                                   provider, path));
      LEADSYNC_CHECK(remove.run());
    }
    LEADSYNC_TRY(auto remove,
                 database_.query("DELETE FROM feed_records WHERE provider = ? AND path = ?",
                                 provider, path));
    return remove.run();
  }

  Status save_checkpoint(const std::string& name, const std::string& value) {
    LEADSYNC_TRY(
        auto query,
        database_.query("INSERT INTO checkpoints (name, value, updated_at) VALUES (?, ?, ?) "
                        "ON CONFLICT (name) DO UPDATE SET value = excluded.value, "
                        "updated_at = excluded.updated_at",
                        name, value, to_millis(clock_.now())));
    return query.run();
  }

  // Inside the caller's transaction: stores the event unless its event_id is known; false when it
  // was. Sets event.id when stored.
  Result<bool> insert_event(model::BehaviourEvent& event, const std::string& document) {
    LEADSYNC_TRY(const auto lead, find_version(event.lead_id));
    if (!lead) {
      return detail::event_lead_missing(event.lead_id);
    }
    const SqlValue event_id = event.event_id.empty() ? SqlValue(nullptr) : SqlValue(event.event_id);
    LEADSYNC_TRY(
        auto insert,
        database_.query("INSERT INTO behaviour_events "
                        "(lead_id, kind, occurred_at, doc, event_id) VALUES (?, ?, ?, ?, ?) "
                        "ON CONFLICT DO NOTHING",
                        event.lead_id, model::to_string(event.kind), to_millis(event.occurred_at),
                        document, event_id));
    LEADSYNC_CHECK(insert.run());
    if (database_.changes() == 0) {
      return false;
    }
    event.id = database_.last_insert_rowid();
    return true;
  }

  Result<std::optional<StoredVersion>> find_version(const std::string& id) {
    LEADSYNC_TRY(auto query,
                 database_.query("SELECT version, created_at FROM leads WHERE id = ?", id));
    LEADSYNC_TRY(const bool found, query.step());
    if (!found) {
      return std::optional<StoredVersion>();
    }
    return std::optional(StoredVersion{query.integer(0), query.integer(1)});
  }

  Result<model::Lead> load_lead(const std::string& id) {
    LEADSYNC_TRY(auto query,
                 database_.query(sql({"SELECT ", lead_columns, " FROM leads WHERE id = ?"}), id));
    LEADSYNC_TRY(const bool found, query.step());
    if (!found) {
      return detail::lead_not_found(id);
    }
    return read_lead(query);
  }

  // Non-deleted leads matching `condition` (which follows "FROM leads" and has one parameter).
  Result<std::vector<model::Lead>> find_live_leads(std::string_view condition,
                                                   const std::string& value) {
    if (value.empty()) {
      return std::vector<model::Lead>{};
    }
    std::lock_guard lock(mutex_);
    LEADSYNC_TRY(
        auto query,
        database_.query(sql({"SELECT ", lead_columns, " FROM leads ", condition,
                             " AND leads.deleted = 0 ORDER BY leads.created_at, leads.id"}),
                        value));
    return read_leads(query);
  }

  // Writes the lead row, rewrites its lookup rows (a new lead has none to remove; `bulk`: into the
  // backlog) and, when `operation` is set, records the outbox entry. Runs inside the caller's
  // transaction.
  Status save_lead(const model::Lead& lead, std::optional<OutboxOperation> operation,
                   bool new_lead = false, bool bulk = false) {
    LEADSYNC_TRY(const auto document, detail::lead_document(lead));
    {
      // A new lead's insert does nothing when the id is taken: one statement instead of a lookup
      // and an insert, which matters for bulk imports.
      LEADSYNC_TRY(
          auto upsert,
          database_.query(
              new_lead ? "INSERT INTO leads (id, crm_id, version, stage, is_new, deleted, "
                         "company_domain, created_at, updated_at, enriched_at, doc) VALUES "
                         "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING"
                       : "INSERT INTO leads (id, crm_id, version, stage, is_new, deleted, "
                         "company_domain, created_at, updated_at, enriched_at, doc) VALUES "
                         "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                         "ON CONFLICT (id) DO UPDATE SET crm_id = excluded.crm_id, version = "
                         "excluded.version, stage = excluded.stage, is_new = excluded.is_new, "
                         "deleted = excluded.deleted, company_domain = excluded.company_domain, "
                         "updated_at = excluded.updated_at, enriched_at = excluded.enriched_at, "
                         "doc = excluded.doc",
              lead.identity.id, lead.identity.crm_id, lead.identity.version,
              model::to_string(lead.qualification.stage), lead.is_new, lead.deleted,
              ascii_lower(lead.company.domain), to_millis(lead.identity.created_at.value()),
              to_millis(lead.identity.updated_at.value()), to_millis(lead.enriched_at), document));
      LEADSYNC_CHECK(upsert.run());
    }
    if (new_lead && database_.changes() == 0) {
      return detail::lead_exists(lead.identity.id);
    }
    LEADSYNC_CHECK(bulk ? write_backlog(lead, new_lead) : write_lookups(lead, new_lead));
    if (operation) {
      LEADSYNC_CHECK(enqueue(lead.identity.id, *operation, lead.identity.version,
                             lead.identity.updated_at.value()));
    }
    return ok_status();
  }

  Status write_lookups(const model::Lead& lead, bool new_lead) {
    const std::string& id = lead.identity.id;
    if (!new_lead) {
      LEADSYNC_CHECK(remove_rows("lookup_backlog", id));
    }
    LEADSYNC_CHECK(replace_rows("lead_emails", "email", id, detail::email_keys(lead), new_lead));
    LEADSYNC_CHECK(replace_rows("lead_phones", "e164", id, detail::phone_keys(lead), new_lead));
    return replace_rows("lead_domains", "domain", id, domain_keys(lead), new_lead);
  }

  // A bulk write's keys: all of the lead's keys go to the backlog (an update's indexed ones are
  // taken out, so that the backlog holds the lead's whole set). See
  // sqlite/detail/lookup_backlog.hpp.
  Status write_backlog(const model::Lead& lead, bool new_lead) {
    const std::string& id = lead.identity.id;
    if (!new_lead) {
      LEADSYNC_CHECK(remove_rows("lead_emails", id));
      LEADSYNC_CHECK(remove_rows("lead_phones", id));
      LEADSYNC_CHECK(remove_rows("lead_domains", id));
      LEADSYNC_CHECK(remove_rows("lookup_backlog", id));
    }
    const auto add = [&](int kind, const std::set<std::string>& values) -> Status {
      for (const auto& value : values) {
        LEADSYNC_TRY(auto insert, database_.query("INSERT OR IGNORE INTO lookup_backlog (lead_id, "
                                                  "kind, value) VALUES (?, ?, ?)",
                                                  id, std::int64_t{kind}, value));
        LEADSYNC_CHECK(insert.run());
      }
      return ok_status();
    };
    LEADSYNC_CHECK(add(0, detail::email_keys(lead)));
    LEADSYNC_CHECK(add(1, detail::phone_keys(lead)));
    return add(2, domain_keys(lead));
  }

  static std::set<std::string> domain_keys(const model::Lead& lead) {
    if (lead.company.domain.empty()) {
      return {};
    }
    return {ascii_lower(lead.company.domain)};
  }

  Status remove_rows(std::string_view table, const std::string& lead_id) {
    LEADSYNC_TRY(auto remove,
                 database_.query(sql({"DELETE FROM ", table, " WHERE lead_id = ?"}), lead_id));
    return remove.run();
  }

  Status replace_rows(std::string_view table, std::string_view column, const std::string& lead_id,
                      const std::set<std::string>& values, bool new_lead) {
    if (!new_lead) {
      LEADSYNC_CHECK(remove_rows(table, lead_id));
    }
    const std::string insert_sql =
        sql({"INSERT INTO ", table, " (lead_id, ", column, ") VALUES (?, ?)"});
    for (const auto& value : values) {
      LEADSYNC_TRY(auto insert, database_.query(insert_sql, lead_id, value));
      LEADSYNC_CHECK(insert.run());
    }
    return ok_status();
  }

  Status enqueue(const std::string& lead_id, OutboxOperation operation, std::int64_t lead_version,
                 TimePoint created_at) {
    LEADSYNC_TRY(
        auto insert,
        database_.query("INSERT INTO outbox (lead_id, operation, lead_version, created_at) "
                        "VALUES (?, ?, ?, ?)",
                        lead_id, to_string(operation), lead_version, to_millis(created_at)));
    return insert.run();
  }

  // The worker holding the entry, or nullopt when the entry does not exist.
  Result<std::optional<std::string>> lease_owner(std::int64_t seq) {
    LEADSYNC_TRY(auto query, database_.query("SELECT lease_owner FROM outbox WHERE seq = ?", seq));
    LEADSYNC_TRY(const bool found, query.step());
    if (!found) {
      return std::optional<std::string>();
    }
    return std::optional(query.text(0));
  }

  // The holder of a pending webhook event ("" when free); for a finished one "\x01", which no
  // worker name equals (worker names are printable); nullopt when there is no such event.
  Result<std::optional<std::string>> webhook_lease_owner(std::int64_t seq) {
    LEADSYNC_TRY(auto query, database_.query("SELECT CASE WHEN state = 'pending' THEN lease_owner "
                                             "ELSE char(1) END FROM webhook_events WHERE seq = ?",
                                             seq));
    LEADSYNC_TRY(const bool found, query.step());
    if (!found) {
      return std::optional<std::string>();
    }
    return std::optional(query.text(0));
  }

  Status require_webhook_lease(std::int64_t seq, const std::string& worker) {
    LEADSYNC_TRY(const auto owner, webhook_lease_owner(seq));
    if (!owner) {
      return detail::webhook_event_gone(seq);
    }
    if (worker.empty() || *owner != worker) {
      return detail::webhook_lease_lost(seq, worker);
    }
    return ok_status();
  }

  // Inside a transaction: done (error nullopt: attempts and last error stay) or failed (the
  // attempt counts, its error kept); the lease is dropped either way.
  Status finish_webhook_event(std::int64_t seq, WebhookEventState state,
                              const std::optional<std::string>& error, TimePoint now) {
    LEADSYNC_TRY(auto update,
                 database_.query("UPDATE webhook_events SET state = ?1, "
                                 "attempts = attempts + (?2 IS NOT NULL), "
                                 "last_error = coalesce(?2, last_error), finished_at = ?3, "
                                 "not_before = NULL, lease_owner = '', lease_until = NULL "
                                 "WHERE seq = ?4",
                                 to_string(state), error ? SqlValue(*error) : SqlValue(nullptr),
                                 to_millis(now), seq));
    return update.run();
  }

  Status require_lease(std::int64_t seq, const std::string& worker) {
    LEADSYNC_TRY(const auto owner, lease_owner(seq));
    if (!owner) {
      return detail::outbox_entry_gone(seq);
    }
    if (worker.empty() || *owner != worker) {
      return detail::outbox_lease_lost(seq, worker);
    }
    return ok_status();
  }

  std::mutex mutex_;
  Database database_;
  Clock& clock_;
  Random& random_;
  std::unique_ptr<Checkpointer> checkpointer_; // file databases only
};

} // namespace

int sqlite_schema_version() {
  return sqlite::latest_schema_version();
}

Result<std::unique_ptr<Store>> open_sqlite_store(const SqliteOptions& options, Clock& clock,
                                                 Random& random) {
  if (options.path.empty()) {
    return fail(ErrorCategory::invalid_argument,
                "no database path given; use \":memory:\" for a database that lives in memory");
  }
  const bool in_memory = options.path == ":memory:";
  if (!in_memory) {
    LEADSYNC_CHECK(create_private_file(options.path));
  }
  LEADSYNC_TRY(auto database, Database::open(options.path.string(), options.busy_timeout));
  LEADSYNC_CHECK(configure(database, in_memory));
  LEADSYNC_CHECK(sqlite::migrate(database, clock));
  std::unique_ptr<Checkpointer> checkpointer;
  if (!in_memory && options.background_checkpoint_pages > 0) {
    // Without its own connection the store falls back to SQLite's automatic checkpoint.
    auto connection = Database::open(options.path.string(), options.busy_timeout);
    if (connection.ok() && connection->execute("PRAGMA synchronous = NORMAL").ok()) {
      checkpointer = std::make_unique<Checkpointer>(std::move(connection).value());
    }
  }
  return std::unique_ptr<Store>(std::make_unique<SqliteStore>(std::move(database), clock, random,
                                                              std::move(checkpointer),
                                                              options.background_checkpoint_pages));
}

} // namespace leadsync::store
