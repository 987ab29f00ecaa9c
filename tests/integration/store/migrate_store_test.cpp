// migrate_store (store/migrate.hpp): a SQLite store filled through the Store API is copied into a
// fresh database of the throwaway PostgreSQL server (tests/support/postgres_server.hpp) and
// checked there with psql; refusals leave the target as it was. The column specs are checked
// against the SQLite schema itself, so a table added to it without a spec fails here.

#include "leadsync/core/clock.hpp"
#include "leadsync/core/process.hpp"
#include "leadsync/core/random.hpp"
#include "leadsync/store/migrate.hpp"
#include "leadsync/store/postgres_store.hpp"
#include "leadsync/store/sqlite_store.hpp"
#include "support/store/store_test_support.hpp"
#include "support/postgres_server.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <gtest/gtest.h>
#include <map>
#include <memory>
#include <sqlite3.h>
#include <string>
#include <vector>

namespace leadsync::store {
namespace {

namespace fs = std::filesystem;
using leadsync::testing::PostgresServer;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// Text that COPY's text format must escape, and text in three scripts.
const std::string awkward = "tab\there, newline\nthere, return\r, backslash \\ and \\N, "
                            "Ёлкина Ольга, فاطمة الزهراني, 🙂";

model::Lead lead_named(std::string first, std::string last) {
  model::Lead lead;
  lead.person.first_name = std::move(first);
  lead.person.last_name = std::move(last);
  return lead;
}

model::Phone phone(std::string raw, std::string e164, model::PhoneKind kind) {
  model::Phone number;
  number.kind = kind;
  number.raw = std::move(raw);
  number.e164 = std::move(e164);
  number.valid = true;
  return number;
}

// Runs SQL on a SQLite file directly (what a hand edit or a later schema would do).
void sqlite_exec(const fs::path& file, const std::string& sql) {
  sqlite3* connection = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &connection), SQLITE_OK);
  char* message = nullptr;
  const int rc = sqlite3_exec(connection, sql.c_str(), nullptr, nullptr, &message);
  const std::string text = message != nullptr ? message : "";
  sqlite3_free(message);
  sqlite3_close(connection);
  ASSERT_EQ(rc, SQLITE_OK) << text;
}

class MigrateStoreTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern = (fs::path(::testing::TempDir()) / "leadsync-migrate-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    server_ = PostgresServer::shared();
    if (server_ == nullptr) {
      GTEST_SKIP() << PostgresServer::why_not();
    }
    target_url_ = server_->fresh_database_url();
    target_db_ = target_url_.substr(target_url_.rfind('/') + 1);
  }

  void TearDown() override { fs::remove_all(dir_); }

  fs::path source_file() const { return dir_ / "state.db"; }
  std::string source_url() const { return "sqlite://" + source_file().string(); }

  std::unique_ptr<Store> open_source() {
    auto store = open_sqlite_store(SqliteOptions{.path = source_file(),
                                                 .busy_timeout = std::chrono::milliseconds{5000},
                                                 .background_checkpoint_pages = 0},
                                   clock_, random_);
    EXPECT_TRUE(store.ok()) << store.error().describe();
    return std::move(store).value();
  }

  Result<StoreMigrationReport> migrate(const std::string& from = {}) {
    return migrate_store(from.empty() ? source_url() : from, target_url_, dir_, clock_);
  }

  std::string psql(const std::string& sql) const { return server_->psql(target_db_, sql); }
  std::int64_t target_rows(const std::string& table) const {
    return std::stoll(psql("SELECT count(*) FROM " + table));
  }

  // A store with rows in every table it has, through the Store API.
  void fill(Store& store) {
    auto ada = lead_named("Ада", "Лавлейс");
    ada.person.emails = {"Ada@Example.com", "ada@analytical.org"};
    ada.person.phones = {phone("8 916 765-43-21", "+79167654321", model::PhoneKind::mobile),
                         phone("030 1234567", "+49301234567", model::PhoneKind::business)};
    ada.person.job_title = awkward;
    ada.company.domain = "Example.com";
    ada.enriched_at = clock_.now() - hours{2};
    ada = store.create_lead(ada).value();
    auto fatima = lead_named("فاطمة", "الزهراني");
    fatima.person.emails = {"f.zahrani@jarir.sa"};
    fatima.person.phones = {phone("+966 55 123 4567", "+966551234567", model::PhoneKind::mobile)};
    fatima = store.create_lead(fatima).value();
    const auto gone = store.create_lead(lead_named("Gone", "Away")).value();
    clock_.advance(seconds{1});
    ASSERT_TRUE(store.tombstone_lead(gone.identity.id).ok());

    // A lead written from the CRM (no outbox entry) with the review queue and a checkpoint.
    LeadWrite from_crm{.kind = WriteKind::create,
                       .lead = lead_named("Ada", "Lovelace"),
                       .options = {.enqueue = false, .operation = OutboxOperation::upsert}};
    from_crm.lead.identity.crm_id = "5d8f0a4e-0000-0000-0000-000000000001";
    const DuplicatePair pair{.id = 0,
                             .lead_a = ada.identity.id,
                             .lead_b = fatima.identity.id,
                             .rule = "shared_phone",
                             .score = 0.875,
                             .evidence = awkward,
                             .source = "list.csv line 3",
                             .status = DuplicateStatus::open,
                             .created_at = {},
                             .resolved_at = std::nullopt};
    ASSERT_TRUE(store
                    .write_batch({from_crm},
                                 CheckpointValue{.name = "import:abc", .value = awkward}, {pair})
                    .ok());
    ASSERT_TRUE(store
                    .put_checkpoint("pull:lead:delta", "https://org.crm.dynamics.com/api/data/v9.2/"
                                                       "leads?$deltatoken=919042%2108%2f22%2f2017")
                    .ok());

    // The outbox: one entry pushed, one given back with an error, one dead-lettered, the rest
    // pending.
    const auto held = store
                          .claim_outbox(ClaimRequest{
                              .worker = "host:1:0", .max_entries = 3, .lease = seconds{60}})
                          .value();
    ASSERT_EQ(held.size(), 3U);
    ASSERT_TRUE(store.complete_outbox({held[0].seq}, "host:1:0").ok());
    ASSERT_TRUE(
        store.release_outbox(held[1].seq, "host:1:0", awkward, clock_.now() + minutes{5}).ok());
    auto error = Error::make(ErrorCategory::validation, awkward);
    error.http_status = 400;
    error.service_code = "0x80044331";
    ASSERT_TRUE(store.dead_letter_outbox(held[2].seq, "host:1:0", error).ok());

    auto run = store.begin_run("import").value();
    run.status = "ok";
    run.counts = {{"read", 3}, {"created", 3}};
    run.message = awkward;
    ASSERT_TRUE(store.finish_run(run).ok());

    const auto now = clock_.now();
    ASSERT_TRUE(store
                    .put_cached_answers({CachedAnswer{.provider = "pdl",
                                                      .key = "person|email:ada@example.com",
                                                      .answer = awkward,
                                                      .matched = true,
                                                      .fetched_at = now,
                                                      .expires_at = now + hours{24}},
                                         CachedAnswer{.provider = "pdl",
                                                      .key = "person|email:nobody@example.com",
                                                      .answer = "",
                                                      .matched = false,
                                                      .fetched_at = now,
                                                      .expires_at = now + hours{1}}})
                    .ok());
    ASSERT_TRUE(
        store.add_usage("pdl", {"2026-12-06", "2026-12"}, {.requests = 3, .credits = 7}).ok());
    ASSERT_TRUE(store
                    .put_pending_lookup(PendingLookup{.provider = "pdl",
                                                      .key = "company|domain:example.com",
                                                      .lead_id = ada.identity.id,
                                                      .group = "company",
                                                      .not_before = now + minutes{10},
                                                      .attempts = 1,
                                                      .created_at = {}})
                    .ok());
    const FeedFileState feed{.provider = "feed",
                             .path = "/data/feeds/Сделки.csv",
                             .size = 2048,
                             .mtime_ns = 1'790'000'000'123'456'789,
                             .digest = "sha256:ab",
                             .lines = 3,
                             .records = 2,
                             .rejected = 1,
                             .indexed_at = now};
    const auto record = [&](std::int64_t line, std::string json, std::vector<FeedKey> keys) {
      return FeedRecord{.provider = feed.provider,
                        .path = feed.path,
                        .line = line,
                        .record = std::move(json),
                        .keys = std::move(keys)};
    };
    ASSERT_TRUE(
        store
            .replace_feed_file(feed,
                               {record(2, R"({"full_name":"Ада Лавлейс"})",
                                       {{.kind = FeedKeyKind::email, .value = "ada@example.com"},
                                        {.kind = FeedKeyKind::phone, .value = "+79167654321"}}),
                                record(3, R"({"full_name":"Fatima"})",
                                       {{.kind = FeedKeyKind::domain, .value = "jarir.sa"}})},
                               false)
            .ok());

    model::BehaviourEvent visit;
    visit.lead_id = ada.identity.id;
    visit.kind = model::BehaviourKind::pricing_page_visit;
    visit.occurred_at = now - hours{1};
    visit.detail = awkward;
    visit.event_id = "evt-1";
    ASSERT_TRUE(store.add_event(visit).ok());
    visit.event_id.clear();
    visit.kind = model::BehaviourKind::content_download;
    ASSERT_TRUE(store.add_event(visit).ok());

    WebhookEvent hook;
    hook.dedupe_key = "create:1";
    hook.source = "dataverse";
    hook.message = "Create";
    hook.entity = "lead";
    hook.crm_id = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
    hook.payload = "{\n\t\"MessageName\": \"Create\"\n}";
    hook.received_at = now;
    ASSERT_TRUE(store.add_webhook_event(hook).ok());
    hook.dedupe_key = "create:2";
    hook.crm_id = "3f2504e0-4f89-11d3-9a0c-0305e82c3302";
    ASSERT_TRUE(store.add_webhook_event(hook).ok());
    const auto claimed = store.claim_webhook_events("host:1:0", 1, now, seconds{30}).value();
    ASSERT_EQ(claimed.size(), 1U);
    ASSERT_TRUE(store.complete_webhook_events({claimed[0].seq}, "host:1:0", now).ok());
  }

  ManualClock clock_;
  SeededRandom random_{20261206};
  fs::path dir_;
  PostgresServer* server_ = nullptr;
  std::string target_url_;
  std::string target_db_;
};

const TableMigration* table_of(const StoreMigrationReport& report, const std::string& name) {
  const auto found = std::find_if(report.tables.begin(), report.tables.end(),
                                  [&](const TableMigration& table) { return table.table == name; });
  return found == report.tables.end() ? nullptr : &*found;
}

// ---- the column specs (no PostgreSQL needed)

// A SQLite store at this build's latest schema, in a folder of its own.
class MigrateStoreSchema : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern = (fs::path(::testing::TempDir()) / "leadsync-schema-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    ManualClock clock;
    ASSERT_TRUE(open_sqlite_store(SqliteOptions{.path = file(),
                                                .busy_timeout = std::chrono::milliseconds{5000},
                                                .background_checkpoint_pages = 0},
                                  clock)
                    .ok());
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path file() const { return dir_ / "state.db"; }

  fs::path dir_;
};

TEST_F(MigrateStoreSchema, ColumnSpecsCoverTheLatestSqliteSchema) {
  const auto unmapped = unmapped_sqlite_schema(file());

  ASSERT_TRUE(unmapped.ok()) << unmapped.error().describe();
  EXPECT_EQ(unmapped.value(), std::vector<std::string>{})
      << "the SQLite schema (store/sqlite/migrations.cpp) has tables or columns migrate-store "
         "does not know: add them to copied_tables() or not_copied in "
         "store/postgres/migrate.cpp (and to the PostgreSQL schema)";
}

TEST_F(MigrateStoreSchema, ATableTheSpecsDoNotKnowIsNamed) {
  sqlite_exec(file(), "CREATE TABLE lead_notes (id INTEGER PRIMARY KEY, note TEXT)");

  EXPECT_EQ(unmapped_sqlite_schema(file()).value(), std::vector<std::string>{"table lead_notes"});
}

TEST_F(MigrateStoreSchema, AColumnTheSpecsDoNotKnowIsNamed) {
  sqlite_exec(file(), "ALTER TABLE runs ADD COLUMN host TEXT");

  EXPECT_EQ(unmapped_sqlite_schema(file()).value(), std::vector<std::string>{"column runs.host"});
}

TEST_F(MigrateStoreSchema, AMissingFileIsNotFoundAndNotCreated) {
  const auto error = error_of(unmapped_sqlite_schema(dir_ / "typo.db"));

  EXPECT_EQ(error.category, ErrorCategory::not_found);
  EXPECT_FALSE(fs::exists(dir_ / "typo.db"));
}

// ---- refusal of an unknown table, with PostgreSQL

TEST_F(MigrateStoreTest, ATableTheSpecsDoNotKnowIsNamedAndStopsTheMigration) {
  fill(*open_source());
  sqlite_exec(source_file(), "CREATE TABLE lead_notes (id INTEGER PRIMARY KEY, note TEXT)");

  const auto error = error_of(migrate());

  EXPECT_EQ(error.category, ErrorCategory::internal);
  EXPECT_NE(error.message.find("table lead_notes"), std::string::npos) << error.message;
  EXPECT_EQ(target_rows("leads"), 0);
}

// ---- the copy

TEST_F(MigrateStoreTest, EveryTableIsCopiedWithEqualCountsAndChecksums) {
  fill(*open_source());

  const auto report = migrate();

  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_EQ(report->source, source_file().string());
  EXPECT_EQ(report->target, target_url_);
  ASSERT_EQ(report->tables.size(), 16U);
  std::int64_t total = 0;
  for (const auto& table : report->tables) {
    SCOPED_TRACE(table.table);
    EXPECT_GT(table.rows_copied, 0) << "fill() leaves this table empty: the test proves nothing";
    EXPECT_EQ(table.rows_in_target, table.rows_copied);
    EXPECT_EQ(table.target_checksum, table.source_checksum);
    EXPECT_EQ(table.source_checksum.size(), 64U);
    EXPECT_EQ(target_rows(table.table), table.rows_copied) << "counted by psql";
    total += table.rows_copied;
  }
  EXPECT_EQ(report->total_rows, total);

  // Independently of the checksums: what psql sees.
  EXPECT_EQ(table_of(*report, "leads")->rows_copied, 4);
  EXPECT_EQ(psql("SELECT count(*) FROM leads WHERE deleted"), "1");
  EXPECT_EQ(psql("SELECT count(*) FROM leads WHERE enriched_at IS NOT NULL"), "1");
  EXPECT_EQ(psql("SELECT count(*) FROM leads WHERE doc LIKE '%Лавлейс%'"), "1");
  // Fatima's name, and Ada's job title (`awkward`).
  EXPECT_EQ(psql("SELECT count(*) FROM leads WHERE doc LIKE '%فاطمة%'"), "2");
  EXPECT_EQ(psql("SELECT string_agg(email, ',' ORDER BY email) FROM lead_emails"),
            "ada@analytical.org,ada@example.com,f.zahrani@jarir.sa");
  EXPECT_EQ(psql("SELECT count(*) FROM lead_phones WHERE e164 = '+966551234567'"), "1");
  EXPECT_EQ(psql("SELECT matched::int FROM enrichment_cache ORDER BY key"), "1\n0");
  const std::string quoted = "$q$" + awkward + "$q$";
  EXPECT_EQ(psql("SELECT count(*) FROM outbox WHERE last_error = " + quoted), "1");
  EXPECT_EQ(psql("SELECT count(*) FROM dead_letters WHERE message = " + quoted +
                 " AND http_status = 400 AND service_code = '0x80044331'"),
            "1");
  EXPECT_EQ(psql("SELECT count(*) FROM runs WHERE message = " + quoted), "1");
  EXPECT_EQ(psql("SELECT count(*) FROM checkpoints WHERE value = " + quoted), "1");
  EXPECT_EQ(psql("SELECT count(*) FROM duplicate_pairs WHERE evidence = " + quoted +
                 " AND score_milli = 875"),
            "1");
  EXPECT_EQ(psql("SELECT count(*) FROM enrichment_cache WHERE answer = " + quoted), "1");
  EXPECT_EQ(psql("SELECT count(*) FROM behaviour_events WHERE event_id IS NULL"), "1");
  EXPECT_EQ(psql("SELECT path FROM feed_files"), "/data/feeds/Сделки.csv");
  EXPECT_EQ(psql("SELECT string_agg(state, ',' ORDER BY seq) FROM webhook_events"), "done,pending");
  EXPECT_EQ(psql("SELECT count(*) FROM webhook_events WHERE payload = "
                 "$q${\n\t\"MessageName\": \"Create\"\n}$q$"),
            "2");
}

TEST_F(MigrateStoreTest, KeysABulkImportLeftUnindexedAreCopiedAndFoundInPostgres) {
  std::string id;
  {
    auto source = open_source();
    auto lead = lead_named("Grace", "Hopper");
    lead.person.emails = {"grace@navy.example"};
    lead.person.phones = {phone("+1 202 555 0100", "+12025550100", model::PhoneKind::mobile)};
    std::vector<LeadWrite> writes{
        {.kind = WriteKind::create,
         .lead = lead,
         .options = {.enqueue = true, .operation = OutboxOperation::upsert, .bulk_load = true}}};
    id = source->write_batch(std::move(writes), std::nullopt).value().front().identity.id;
  } // no finish_bulk_load: the keys are still in the SQLite store's backlog

  const auto report = migrate();

  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_EQ(target_rows("lead_emails"), 1);
  EXPECT_EQ(target_rows("lead_phones"), 1);
  auto target =
      open_postgres_store(PostgresOptions{.url = target_url_, .pool_size = 1}, clock_).value();
  ASSERT_EQ(target->find_by_email("grace@navy.example").value().size(), 1U);
  EXPECT_EQ(target->find_by_phone("+12025550100").value().front().identity.id, id);
}

TEST_F(MigrateStoreTest, ProgressNamesEveryTableAndEndsWithItsTotal) {
  fill(*open_source());
  std::map<std::string, std::int64_t> last;

  const auto report = migrate_store(
      source_url(), target_url_, dir_, clock_,
      [&](std::string_view table, std::int64_t rows) { last[std::string(table)] = rows; });

  ASSERT_TRUE(report.ok()) << report.error().describe();
  ASSERT_EQ(last.size(), report->tables.size());
  for (const auto& table : report->tables) {
    EXPECT_EQ(last[table.table], table.rows_copied) << table.table;
  }
}

TEST_F(MigrateStoreTest, AnEmptyStoreIsCopiedToo) {
  open_source().reset();

  const auto report = migrate();

  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_EQ(report->total_rows, 0);
  for (const auto& table : report->tables) {
    EXPECT_EQ(table.target_checksum, table.source_checksum) << table.table;
  }
}

TEST_F(MigrateStoreTest, IdentitySequencesContinueAfterTheLargestIdSqliteHandedOut) {
  std::int64_t newest_seq = 0;
  {
    auto store = open_source();
    fill(*store);
    // The newest outbox entry is pushed (deleted): its seq must not be handed out again.
    const auto newest = store->create_lead(lead_named("Newest", "Lead")).value();
    const auto held = store
                          ->claim_outbox(ClaimRequest{
                              .worker = "host:1:0", .max_entries = 100, .lease = seconds{60}})
                          .value();
    for (const auto& entry : held) {
      if (entry.lead_id == newest.identity.id) {
        newest_seq = entry.seq;
        ASSERT_TRUE(store->complete_outbox({entry.seq}, "host:1:0").ok());
      } else {
        ASSERT_TRUE(store->release_outbox(entry.seq, "host:1:0", "", std::nullopt).ok());
      }
    }
    ASSERT_GT(newest_seq, 0);
  }

  const auto report = migrate();

  ASSERT_TRUE(report.ok()) << report.error().describe();
  const auto max_copied = std::stoll(psql("SELECT max(seq) FROM outbox"));
  ASSERT_LT(max_copied, newest_seq);
  EXPECT_EQ(table_of(*report, "outbox")->next_id, newest_seq + 1);
  const auto lead_id = psql("SELECT min(id) FROM leads WHERE NOT deleted");
  const auto seq = std::stoll(psql("INSERT INTO outbox (lead_id, operation, lead_version, "
                                   "created_at) VALUES ('" +
                                   lead_id + "', 'upsert', 1, 0) RETURNING seq"));
  EXPECT_EQ(seq, newest_seq + 1);
  for (const std::string table :
       {"dead_letters", "runs", "behaviour_events", "duplicate_pairs", "feed_records"}) {
    const auto max_id = std::stoll(psql("SELECT max(id) FROM " + table));
    const auto next =
        std::stoll(psql("SELECT nextval(pg_get_serial_sequence('" + table + "', 'id'))"));
    EXPECT_GT(next, max_id) << table;
    EXPECT_EQ(table_of(*report, table)->next_id, next) << table;
  }
  EXPECT_GT(std::stoll(psql("SELECT nextval(pg_get_serial_sequence('webhook_events', 'seq'))")),
            std::stoll(psql("SELECT max(seq) FROM webhook_events")));
}

// ---- refusals

TEST_F(MigrateStoreTest, ATargetHoldingDataIsRefusedAndLeftUntouched) {
  fill(*open_source());
  ASSERT_TRUE(migrate().ok());
  const std::string before_sql =
      "SELECT (SELECT count(*) FROM leads) || '/' || (SELECT count(*) FROM outbox) || '/' || "
      "md5((SELECT string_agg(id || ':' || version || ':' || doc, ',' ORDER BY id) FROM leads))";
  const auto before = psql(before_sql);
  // Another install, into the same database.
  const fs::path other = dir_ / "other.db";
  {
    auto store = open_sqlite_store(SqliteOptions{.path = other,
                                                 .busy_timeout = std::chrono::milliseconds{5000},
                                                 .background_checkpoint_pages = 0},
                                   clock_, random_)
                     .value();
    ASSERT_TRUE(store->create_lead(lead_named("Other", "Install")).ok());
  }

  const auto error = error_of(migrate("sqlite://" + other.string()));

  EXPECT_EQ(error.category, ErrorCategory::already_exists);
  EXPECT_NE(error.message.find("leads"), std::string::npos) << error.message;
  EXPECT_NE(error.message.find("empty database"), std::string::npos) << error.message;
  EXPECT_EQ(psql(before_sql), before);
}

TEST_F(MigrateStoreTest, ATargetHoldingOnlyACheckpointIsRefusedToo) {
  open_source().reset();
  ASSERT_TRUE(
      open_postgres_store(PostgresOptions{.url = target_url_, .pool_size = 1}, clock_).ok());
  psql("INSERT INTO checkpoints (name, value, updated_at) VALUES ('pull:lead:delta', 'x', 0)");

  const auto error = error_of(migrate());

  EXPECT_EQ(error.category, ErrorCategory::already_exists);
  EXPECT_NE(error.message.find("checkpoints"), std::string::npos) << error.message;
  EXPECT_EQ(psql("SELECT value FROM checkpoints"), "x");
}

TEST_F(MigrateStoreTest, ARunningRunOfALiveProcessRefusesTheMigration) {
  auto store = open_source();
  fill(*store);
  auto run = store->begin_run("push").value(); // owned by this (live) process

  const auto error = error_of(migrate());

  EXPECT_EQ(error.category, ErrorCategory::conflict);
  EXPECT_NE(error.message.find("run " + std::to_string(run.id) + " (push)"), std::string::npos)
      << error.message;
  EXPECT_NE(error.message.find("stop the daemon"), std::string::npos) << error.message;
  EXPECT_EQ(target_rows("leads"), 0);

  run.status = "ok";
  ASSERT_TRUE(store->finish_run(run).ok());
  EXPECT_TRUE(migrate().ok());
}

WorkerInfo daemon_worker(long pid, TimePoint now) {
  return WorkerInfo{.id = process_name(host_name(), pid),
                    .host = host_name(),
                    .pid = pid,
                    .kind = "daemon",
                    .crm_user = "",
                    .started_at = now,
                    .heartbeat_at = now,
                    .outbox_held = 0,
                    .webhook_events_held = 0};
}

TEST_F(MigrateStoreTest, AnIdleDaemonRegisteredOnThisHostRefusesTheMigration) {
  auto store = open_source();
  fill(*store);
  const auto worker = daemon_worker(::getpid(), clock_.now()); // this (live) process
  ASSERT_TRUE(store->register_worker(worker).ok());

  const auto error = error_of(migrate());

  EXPECT_EQ(error.category, ErrorCategory::conflict);
  EXPECT_NE(error.message.find("daemon " + worker.id + " is running"), std::string::npos)
      << error.message;
  EXPECT_EQ(target_rows("leads"), 0);
}

TEST_F(MigrateStoreTest, WorkersOfGoneProcessesAreNeitherARefusalNorCopied) {
  auto store = open_source();
  fill(*store);
  ASSERT_TRUE(store->register_worker(daemon_worker(4'194'304 + 17, clock_.now())).ok());

  const auto report = migrate();

  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_EQ(table_of(*report, "workers"), nullptr);
  EXPECT_EQ(target_rows("workers"), 0);
}

TEST_F(MigrateStoreTest, ARunningRunOfAProcessThatIsGoneDoesNotRefuse) {
  auto store = open_source();
  fill(*store);
  store.reset();
  // A run left "running" by a process killed long ago (pid_max is below 2^22 on Linux).
  sqlite_exec(source_file(), "INSERT INTO runs (kind, status, started_at, owner) VALUES "
                             "('import', 'running', 0, '" +
                                 process_name(host_name(), 4'194'304 + 17) + "')");

  const auto report = migrate();

  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_EQ(psql("SELECT count(*) FROM runs WHERE status = 'running'"), "1");
}

TEST_F(MigrateStoreTest, AnUnexpiredOutboxLeaseRefusesTheMigrationUntilItExpires) {
  auto store = open_source();
  fill(*store);
  ASSERT_FALSE(store
                   ->claim_outbox(ClaimRequest{
                       .worker = "otherhost:4242:1", .max_entries = 1, .lease = seconds{60}})
                   .value()
                   .empty());

  const auto error = error_of(migrate());

  EXPECT_EQ(error.category, ErrorCategory::conflict);
  EXPECT_NE(error.message.find("1 outbox entries are leased (by otherhost:4242:1)"),
            std::string::npos)
      << error.message;
  EXPECT_EQ(target_rows("leads"), 0);

  clock_.advance(seconds{61});
  const auto report = migrate();
  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_EQ(psql("SELECT lease_owner FROM outbox WHERE lease_owner <> ''"), "otherhost:4242:1");
}

TEST_F(MigrateStoreTest, AnUnexpiredWebhookEventLeaseRefusesTheMigration) {
  auto store = open_source();
  fill(*store);
  ASSERT_EQ(
      store->claim_webhook_events("otherhost:4242", 10, clock_.now(), seconds{30}).value().size(),
      1U);

  const auto error = error_of(migrate());

  EXPECT_EQ(error.category, ErrorCategory::conflict);
  EXPECT_NE(error.message.find("1 webhook events are leased"), std::string::npos) << error.message;
}

TEST_F(MigrateStoreTest, ARowPostgresChangesOnTheWayRollsEverythingBack) {
  fill(*open_source());
  ASSERT_TRUE(
      open_postgres_store(PostgresOptions{.url = target_url_, .pool_size = 1}, clock_).ok());
  psql("CREATE FUNCTION shout() RETURNS trigger LANGUAGE plpgsql AS "
       "$$BEGIN NEW.stage := upper(NEW.stage); RETURN NEW; END$$; "
       "CREATE TRIGGER shout BEFORE INSERT ON leads FOR EACH ROW EXECUTE FUNCTION shout()");

  const auto error = error_of(migrate());

  EXPECT_EQ(error.category, ErrorCategory::internal);
  EXPECT_NE(error.message.find("table leads differs"), std::string::npos) << error.message;
  EXPECT_NE(error.message.find("rolled back"), std::string::npos) << error.message;
  for (const std::string table : {"leads", "lead_emails", "outbox", "webhook_events"}) {
    EXPECT_EQ(target_rows(table), 0) << table;
  }
}

TEST_F(MigrateStoreTest, AMissingSourceIsNotFoundAndNotCreated) {
  const auto error = error_of(migrate("sqlite://" + (dir_ / "typo.db").string()));

  EXPECT_EQ(error.category, ErrorCategory::not_found);
  EXPECT_NE(error.message.find("typo.db"), std::string::npos) << error.message;
  EXPECT_FALSE(fs::exists(dir_ / "typo.db"));
}

TEST_F(MigrateStoreTest, ARelativeSourceIsFoundInTheBaseFolder) {
  fill(*open_source());

  const auto report = migrate("sqlite://state.db");

  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_EQ(report->source, (dir_ / "state.db").string());
}

TEST_F(MigrateStoreTest, UrlsOfTheWrongKindAreRefusedWithoutEchoingThem) {
  open_source().reset();

  const auto memory = error_of(migrate_store("sqlite::memory:", target_url_, dir_, clock_));
  const auto backwards =
      error_of(migrate_store("postgresql://u:hunter2@db/x", source_url(), dir_, clock_));
  const auto not_postgres = error_of(migrate_store(source_url(), source_url(), dir_, clock_));

  EXPECT_EQ(memory.category, ErrorCategory::invalid_argument);
  EXPECT_EQ(backwards.category, ErrorCategory::invalid_argument);
  EXPECT_EQ(backwards.message.find("hunter2"), std::string::npos) << backwards.message;
  EXPECT_EQ(not_postgres.category, ErrorCategory::invalid_argument);
  EXPECT_NE(not_postgres.message.find("postgresql://"), std::string::npos) << not_postgres.message;
}

TEST_F(MigrateStoreTest, ATargetUrlWithAPasswordIsRefusedWithoutPrintingIt) {
  open_source().reset();
  const auto with_password = "postgresql://leadsync:hunter2@" +
                             target_url_.substr(std::string("postgresql://leadsync@").size());

  const auto error = error_of(migrate_store(source_url(), with_password, dir_, clock_));

  EXPECT_EQ(error.category, ErrorCategory::config);
  EXPECT_EQ(error.message.find("hunter2"), std::string::npos) << error.message;
  EXPECT_NE(error.message.find("pgpass"), std::string::npos) << error.message;
}

} // namespace
} // namespace leadsync::store
