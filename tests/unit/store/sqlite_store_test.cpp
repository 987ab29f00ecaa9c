// What is particular to the SQLite store: the file on disk, its journal mode, migrations, error
// reporting, and the store URLs open_store understands.

#include "leadsync/core/clock.hpp"
#include "leadsync/core/random.hpp"
#include "leadsync/store/open.hpp"
#include "leadsync/store/sqlite_store.hpp"
#include "support/raw_database.hpp"
#include "support/store/store_test_support.hpp"
#include "support/tmpdir_override.hpp"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <memory>
#include <optional>
#include <sqlite3.h>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace leadsync::store {
namespace {

namespace fs = std::filesystem;

using test::RawDatabase;

// Takes a database of the current schema back to what version 7 created.
#define LEADSYNC_BACK_TO_VERSION_7                                                                 \
  "DROP TABLE lookup_backlog; DROP TABLE lead_domains; "                                           \
  "CREATE INDEX leads_by_company_domain ON leads (company_domain); "                               \
  "DELETE FROM schema_migrations WHERE version > 7; "

// Takes a database of the current schema back to what version 3 created.
constexpr const char* back_to_version_3 = LEADSYNC_BACK_TO_VERSION_7
    "DROP TABLE workers; DROP TABLE singleton_leases; DROP INDEX outbox_by_lease_owner; "
    "DROP TABLE webhook_events; DROP INDEX behaviour_events_by_event_id; ALTER TABLE "
    "behaviour_events DROP COLUMN event_id; "
    "DROP INDEX leads_not_enriched; ALTER TABLE leads DROP COLUMN enriched_at; "
    "DROP TABLE enrichment_cache; DROP TABLE provider_usage; DROP TABLE pending_lookups; "
    "DROP TABLE feed_keys; DROP TABLE feed_records; DROP TABLE feed_files; "
    "DELETE FROM schema_migrations WHERE version > 3;";

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

unsigned permissions_of(const fs::path& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 0777U;
}

class SqliteStoreTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern = fs::path(::testing::TempDir()) / "leadsync-sqlite-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Store> open(const fs::path& path) {
    return open_sqlite_store(SqliteOptions{path}, clock_, random_).value();
  }

  model::Lead sample_lead() {
    model::Lead lead;
    lead.person.first_name = "Ada";
    lead.person.last_name = "Lovelace";
    return lead;
  }

  ManualClock clock_;
  SeededRandom random_{7};
  fs::path dir_;
};

TEST_F(SqliteStoreTest, NewDatabaseAndItsFolderAreOnlyAccessibleByTheOwner) {
  const auto path = dir_ / "var" / "lib" / "state.db";

  auto store = open(path);
  ASSERT_TRUE(store->create_lead(sample_lead()).ok());

  EXPECT_EQ(permissions_of(path), 0600U);
  EXPECT_EQ(permissions_of(path.string() + "-wal"), 0600U);
  EXPECT_EQ(permissions_of(dir_ / "var"), 0700U);
  EXPECT_EQ(permissions_of(dir_ / "var" / "lib"), 0700U);
}

std::vector<fs::path> entries_of(const fs::path& folder) {
  std::vector<fs::path> entries;
  for (const auto& entry : fs::directory_iterator(folder)) {
    entries.push_back(entry.path());
  }
  return entries;
}

TEST_F(SqliteStoreTest, ATemporaryStoreLivesInAFolderOfItsOwnThatIsRemovedWithIt) {
  const test::TmpdirOverride tmpdir(dir_);
  auto store = open_temporary_sqlite_store(clock_, random_);
  ASSERT_TRUE(store.ok()) << store.error().describe();
  ASSERT_TRUE((*store)->create_lead(sample_lead()).ok());

  const auto folders = entries_of(dir_);
  ASSERT_EQ(folders.size(), 1U);
  EXPECT_EQ(permissions_of(folders[0]), 0700U);
  EXPECT_EQ(permissions_of(folders[0] / "scratch.db"), 0600U);

  store->reset();
  EXPECT_TRUE(entries_of(dir_).empty());
}

TEST_F(SqliteStoreTest, EachScratchStoreStartsEmptyAndKeepsItsWritesToItself) {
  const test::TmpdirOverride tmpdir(dir_);
  const auto make_scratch = scratch_store_factory(clock_, random_);
  auto first = make_scratch();
  auto second = make_scratch();
  ASSERT_TRUE(first.ok() && second.ok());
  const auto created = (*first)->create_lead(sample_lead());
  ASSERT_TRUE(created.ok());

  EXPECT_TRUE((*first)->get_lead(created->identity.id).ok());
  EXPECT_EQ((*second)->get_lead(created->identity.id).error().category, ErrorCategory::not_found);
  EXPECT_EQ(entries_of(dir_).size(), 2U);
}

TEST_F(SqliteStoreTest, ATemporaryStoreNeedsAWritableTemporaryDirectory) {
  const test::TmpdirOverride tmpdir(dir_ / "missing");
  auto store = open_temporary_sqlite_store(clock_, random_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().category, ErrorCategory::storage);
  EXPECT_NE(store.error().message.find("TMPDIR"), std::string::npos) << store.error().message;
}

TEST_F(SqliteStoreTest, FileDatabaseUsesWriteAheadLogging) {
  const auto path = dir_ / "state.db";
  auto store = open(path);

  EXPECT_EQ(RawDatabase(path).text("PRAGMA journal_mode"), "wal");
}

TEST_F(SqliteStoreTest, MigrationRecordsTheSchemaVersionOnce) {
  const auto path = dir_ / "state.db";
  open(path).reset();
  clock_.advance(std::chrono::hours{1});
  open(path).reset();

  RawDatabase raw(path);
  EXPECT_EQ(raw.text("SELECT max(version) FROM schema_migrations"),
            std::to_string(sqlite_schema_version()));
  EXPECT_EQ(raw.text("SELECT count(*) FROM schema_migrations"),
            std::to_string(sqlite_schema_version()));
}

TEST_F(SqliteStoreTest, AVersion1DatabaseGainsTheRunOwnerAndKeepsItsRuns) {
  const auto path = dir_ / "state.db";
  {
    auto store = open(path);
    auto run = store->begin_run("import").value();
    run.status = "ok";
    ASSERT_TRUE(store->finish_run(run).ok());
  }
  // Back to what version 1 created.
  RawDatabase(path).execute(std::string(back_to_version_3) +
                            "ALTER TABLE runs DROP COLUMN owner; DROP TABLE duplicate_pairs; "
                            "DELETE FROM schema_migrations WHERE version > 1");

  auto store = open(path);

  const auto runs = store->list_runs(10).value();
  ASSERT_EQ(runs.size(), 1U);
  EXPECT_EQ(runs[0].status, "ok");
  EXPECT_EQ(runs[0].owner, "") << "runs from before the upgrade have no known owner";
  const auto next = store->begin_run("push").value();
  EXPECT_EQ(store->list_runs(1).value().at(0).owner, next.owner);
  EXPECT_TRUE(contains(next.owner, ":" + std::to_string(::getpid()))) << next.owner;
}

TEST_F(SqliteStoreTest, AVersion3DatabaseWithLeadsLearnsWhichOfThemWereEnrichedFromTheirDocuments) {
  const auto path = dir_ / "state.db";
  const auto enriched_at = clock_.now() + std::chrono::milliseconds{1500};
  std::string enriched;
  std::string tombstone;
  std::string never;
  std::string mentions_it;
  {
    auto store = open(path);
    auto lead = sample_lead();
    lead.enriched_at = enriched_at;
    enriched = store->create_lead(lead).value().identity.id;
    clock_.advance(std::chrono::milliseconds{1});
    tombstone = store->create_lead(lead).value().identity.id;
    ASSERT_TRUE(store->tombstone_lead(tombstone).ok());
    clock_.advance(std::chrono::milliseconds{1});
    never = store->create_lead(sample_lead()).value().identity.id;
    clock_.advance(std::chrono::milliseconds{1});
    auto talker = sample_lead();
    talker.description = R"(asked about "enriched_at": "2026-01-01T00:00:00Z")";
    mentions_it = store->create_lead(talker).value().identity.id;
  }
  RawDatabase(path).execute(back_to_version_3);

  auto store = open(path);

  RawDatabase raw(path);
  EXPECT_EQ(raw.text("SELECT max(version) FROM schema_migrations"),
            std::to_string(sqlite_schema_version()));
  EXPECT_EQ(raw.text("SELECT enriched_at FROM leads WHERE id = '" + enriched + "'"),
            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                               enriched_at.time_since_epoch())
                               .count()));
  LeadFilter filter;
  filter.enriched = true;
  filter.include_deleted = true;
  auto listed = store->list_leads(filter, {}).value().leads;
  ASSERT_EQ(listed.size(), 2U);
  EXPECT_EQ(listed[0].identity.id, enriched);
  EXPECT_EQ(listed[0].enriched_at, enriched_at);
  EXPECT_EQ(listed[1].identity.id, tombstone);
  filter.enriched = false;
  listed = store->list_leads(filter, {}).value().leads;
  ASSERT_EQ(listed.size(), 2U);
  EXPECT_EQ(listed[0].identity.id, never);
  EXPECT_EQ(listed[1].identity.id, mentions_it) << "only the lead's own enriched_at counts";
  EXPECT_EQ(store->stats().value().leads, 3);
}

TEST_F(SqliteStoreTest, AStoredLeadThatIsNotJsonDoesNotStopTheUpgradeToVersion4) {
  const auto path = dir_ / "state.db";
  std::string id;
  {
    auto store = open(path);
    auto lead = sample_lead();
    lead.enriched_at = clock_.now();
    id = store->create_lead(lead).value().identity.id;
  }
  RawDatabase(path).execute(std::string(back_to_version_3) +
                            "UPDATE leads SET doc = '{\"enriched_at\": broken'");

  auto store = open_sqlite_store(SqliteOptions{path}, clock_, random_);

  ASSERT_TRUE(store.ok()) << store.error().describe();
  EXPECT_EQ(RawDatabase(path).text("SELECT enriched_at IS NULL FROM leads"), "1");
  EXPECT_EQ(error_of((*store)->get_lead(id)).category, ErrorCategory::storage);
}

TEST_F(SqliteStoreTest, AVersion4DatabaseTakesEventIdsFromTheStoredEventsOldestFirst) {
  const auto path = dir_ / "state.db";
  std::string lead_id;
  {
    auto store = open(path);
    lead_id = store->create_lead(sample_lead()).value().identity.id;
    model::BehaviourEvent event;
    event.lead_id = lead_id;
    event.occurred_at = clock_.now();
    for (const auto* id : {"a", "b", "", "a-again"}) {
      event.event_id = id;
      ASSERT_TRUE(store->add_event(event).ok());
    }
  }
  // Back to version 4; before event ids were unique, "a" could be stored twice, and a document
  // could be broken.
  RawDatabase(path).execute(
      LEADSYNC_BACK_TO_VERSION_7
      "DROP TABLE workers; DROP TABLE singleton_leases; DROP INDEX outbox_by_lease_owner; "
      "DROP TABLE webhook_events; DROP INDEX behaviour_events_by_event_id; ALTER TABLE "
      "behaviour_events DROP COLUMN event_id; "
      "UPDATE behaviour_events SET doc = replace(doc, '\"a-again\"', '\"a\"'); "
      "INSERT INTO behaviour_events (lead_id, kind, occurred_at, doc) "
      "SELECT lead_id, kind, occurred_at, '{\"event_id\": broken' FROM behaviour_events LIMIT 1; "
      "DELETE FROM schema_migrations WHERE version > 4;");

  auto store = open(path);

  RawDatabase raw(path);
  EXPECT_EQ(raw.text("SELECT group_concat(coalesce(event_id, '-'), ',') FROM (SELECT event_id "
                     "FROM behaviour_events ORDER BY id)"),
            "a,b,-,-,-");
  model::BehaviourEvent repeat;
  repeat.lead_id = lead_id;
  repeat.occurred_at = clock_.now();
  repeat.event_id = "b";
  EXPECT_EQ(error_of(store->add_event(repeat)).category, ErrorCategory::already_exists);
  repeat.event_id = "c";
  EXPECT_TRUE(store->add_event(repeat).ok());
}

TEST_F(SqliteStoreTest, LeadsNotYetEnrichedAreListedFromTheirOwnIndex) {
  const auto path = dir_ / "state.db";
  open(path).reset();
  RawDatabase raw(path);

  // The statement list_leads makes of {enriched = false} and a cursor.
  const auto plan = raw.plan(
      "SELECT leads.id, leads.crm_id, leads.version, leads.is_new, leads.deleted, "
      "leads.created_at, leads.updated_at, leads.doc FROM leads WHERE 1 = 1 AND deleted = 0 "
      "AND enriched_at IS NULL AND (created_at, id) > (0, '') ORDER BY created_at, id LIMIT 101");

  EXPECT_TRUE(contains(plan, "USING INDEX leads_not_enriched")) << plan;
  EXPECT_FALSE(contains(plan, "TEMP B-TREE")) << plan;
}

TEST_F(SqliteStoreTest, FeedRecordsAreFoundThroughTheKeyIndex) {
  const auto path = dir_ / "state.db";
  open(path).reset();
  RawDatabase raw(path);

  // The statement find_feed_records runs.
  const auto plan = raw.plan("SELECT id, path, line, record FROM feed_records "
                             "WHERE id IN (SELECT record_id FROM feed_keys "
                             "WHERE provider = 'feed' AND kind = 'email' AND value = 'a@b.c') "
                             "ORDER BY path, line, id LIMIT 10");

  EXPECT_TRUE(contains(plan, "INDEX feed_keys_by_value (provider=? AND kind=? AND value=?)"))
      << plan;
  EXPECT_FALSE(contains(plan, "SCAN feed")) << plan;
}

TEST_F(SqliteStoreTest, PendingWebhookEventsAreClaimedFromTheirOwnIndex) {
  const auto path = dir_ / "state.db";
  open(path).reset();
  RawDatabase raw(path);

  // The statement claim_webhook_events runs: done and failed events kept for de-duplication are
  // not in the index, so they cost the claim nothing.
  const auto plan = raw.plan(
      "UPDATE webhook_events SET lease_owner = 'w', lease_until = 2 WHERE seq IN (SELECT seq FROM "
      "webhook_events WHERE state = 'pending' AND (lease_owner = '' OR lease_until < 1) "
      "AND coalesce(not_before, 1) <= 1 ORDER BY seq LIMIT 10)");

  EXPECT_TRUE(contains(plan, "USING INDEX webhook_events_pending")) << plan;
  EXPECT_FALSE(contains(plan, "TEMP B-TREE")) << plan;
}

TEST_F(SqliteStoreTest, FinishedWebhookEventsArePrunedThroughTheirIndex) {
  const auto path = dir_ / "state.db";
  open(path).reset();
  RawDatabase raw(path);

  const auto plan =
      raw.plan("DELETE FROM webhook_events WHERE state <> 'pending' AND finished_at < 1");

  EXPECT_TRUE(contains(plan, "webhook_events_finished (finished_at<?)")) << plan;
}

TEST_F(SqliteStoreTest, UsageCacheQueuedLookupsAndFeedsSurviveReopeningTheFile) {
  const auto path = dir_ / "state.db";
  const auto now = clock_.now();
  const PendingLookup pending{.provider = "pdl",
                              .key = "company|domain:example.com",
                              .lead_id = "0192f0c2-0000-7000-8000-000000000001",
                              .group = "company",
                              .not_before = now + std::chrono::minutes{5},
                              .attempts = 1,
                              .created_at = now};
  const FeedKey key{.kind = FeedKeyKind::domain, .value = "example.com"};
  const FeedRecord record{.provider = "feed",
                          .path = "/data/a.jsonl",
                          .line = 7,
                          .record = R"({"job_company_website":"example.com"})",
                          .keys = {key}};
  const FeedFileState file{.provider = "feed",
                           .path = "/data/a.jsonl",
                           .size = 4096,
                           .mtime_ns = 1,
                           .digest = "d",
                           .lines = 7,
                           .records = 1,
                           .rejected = 0,
                           .indexed_at = now};
  {
    auto store = open(path);
    ASSERT_TRUE(
        store->add_usage("pdl", {"2026-12-06", "2026-12"}, {.requests = 3, .credits = 9}).ok());
    ASSERT_TRUE(store
                    ->put_cached_answers({{.provider = "pdl",
                                           .key = "k",
                                           .answer = "a",
                                           .matched = true,
                                           .fetched_at = now,
                                           .expires_at = now + std::chrono::hours{1}}})
                    .ok());
    ASSERT_TRUE(store->put_pending_lookup(pending).ok());
    ASSERT_TRUE(store->replace_feed_file(file, {record}, false).ok());
  }

  auto store = open(path);
  ASSERT_TRUE(
      store->add_usage("pdl", {"2026-12-06", "2026-12"}, {.requests = 1, .credits = 1}).ok());

  EXPECT_EQ(store->get_usage("pdl", "2026-12").value(),
            (ProviderUsage{.requests = 4, .credits = 10}));
  EXPECT_EQ(store->get_usage("pdl", "2026-12-06").value(),
            (ProviderUsage{.requests = 4, .credits = 10}));
  EXPECT_TRUE(store->get_cached_answer("pdl", "k", now).value().has_value());
  EXPECT_EQ(store->list_pending_lookups(10).value(), std::vector{pending});
  EXPECT_EQ(store->get_feed_file("feed", "/data/a.jsonl").value(), std::optional(file));
  EXPECT_EQ(store->find_feed_records("feed", key, 10).value(), std::vector{record});
}

TEST_F(SqliteStoreTest, AWriteThroughAnotherConnectionChangesTheForeignWriteMarker) {
  const auto path = dir_ / "state.db";
  auto importer = open(path);
  auto other = open(path); // another process, as far as SQLite is concerned
  const auto before = importer->foreign_write_marker().value();

  ASSERT_TRUE(other->create_lead(sample_lead()).ok());

  EXPECT_NE(importer->foreign_write_marker().value(), before);
}

TEST_F(SqliteStoreTest, OfTwoConnectionsPuttingACheckpointIfUnchangedOnlyOneSucceeds) {
  const auto path = dir_ / "state.db";
  auto first = open(path);
  auto second = open(path); // another process, as far as SQLite is concerned
  std::atomic<int> succeeded{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      auto& store = i % 2 == 0 ? *first : *second;
      if (store.put_checkpoint_if("import:race", std::nullopt, std::to_string(i)).value_or(false)) {
        ++succeeded;
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }

  EXPECT_EQ(succeeded.load(), 1);
  EXPECT_EQ(first->get_checkpoint("import:race").value(),
            second->get_checkpoint("import:race").value());
}

TEST_F(SqliteStoreTest, TheWriteAheadLogIsCopiedBackWhileWritingGoesOn) {
  const auto path = dir_ / "state.db";
  SqliteOptions options{path};
  options.background_checkpoint_pages = 16; // 64 KB
  auto store = open_sqlite_store(options, clock_, random_).value();
  const auto log = path.string() + "-wal";

  // 300 commits of about 50 KB each (the lead with its 8 KB description, its index and outbox
  // pages): some 15 MB through a log copied back every 64 KB.
  std::uintmax_t largest_log = 0;
  for (int i = 0; i < 300; ++i) {
    auto lead = sample_lead();
    lead.description = std::string(8000, static_cast<char>('a' + i % 26));
    ASSERT_TRUE(store->create_lead(lead).ok());
    largest_log = std::max(largest_log, fs::file_size(log));
  }

  // Copied back by the checkpointer thread, or at four times the size by the writer itself when
  // that thread falls behind: never anywhere near all that was written.
  EXPECT_LT(largest_log, 4'000'000U);
  EXPECT_EQ(store->stats().value().leads, 300);
}

TEST_F(SqliteStoreTest, AVersion5DatabaseGainsTheWebhookQueueAndKeepsItsLeads) {
  const auto path = dir_ / "state.db";
  std::string id;
  {
    auto store = open(path);
    id = store->create_lead(sample_lead()).value().identity.id;
  }
  RawDatabase(path).execute(
      LEADSYNC_BACK_TO_VERSION_7
      "DROP TABLE workers; DROP TABLE singleton_leases; DROP INDEX outbox_by_lease_owner; "
      "DROP TABLE webhook_events; DELETE FROM schema_migrations WHERE version > 5;");

  auto store = open(path);

  EXPECT_EQ(store->get_lead(id).value().person.last_name, "Lovelace");
  WebhookEvent event;
  event.dedupe_key = "create:lead:" + id + ":op";
  EXPECT_TRUE(store->add_webhook_event(event).value().added);
  EXPECT_EQ(RawDatabase(path).text("SELECT max(version) FROM schema_migrations"),
            std::to_string(sqlite_schema_version()));
}

TEST_F(SqliteStoreTest, AVersion6DatabaseGainsTheWorkerTablesAndKeepsItsLeasedWork) {
  const auto path = dir_ / "state.db";
  {
    auto store = open(path);
    ASSERT_TRUE(store->create_lead(sample_lead()).ok());
    ASSERT_EQ(
        store->claim_outbox(ClaimRequest{"h:12:0", 10, std::chrono::seconds{60}}).value().size(),
        1U);
  }
  RawDatabase(path).execute(LEADSYNC_BACK_TO_VERSION_7
                            "DROP TABLE workers; "
                            "DROP TABLE singleton_leases; DROP INDEX outbox_by_lease_owner; "
                            "DROP INDEX webhook_events_by_lease_owner; "
                            "DELETE FROM schema_migrations WHERE version > 6;");

  auto store = open(path);

  EXPECT_EQ(RawDatabase(path).text("SELECT max(version) FROM schema_migrations"),
            std::to_string(sqlite_schema_version()));
  ASSERT_TRUE(store
                  ->register_worker(WorkerInfo{.id = "h:12",
                                               .host = "h",
                                               .pid = 12,
                                               .kind = "daemon",
                                               .crm_user = "",
                                               .started_at = clock_.now(),
                                               .heartbeat_at = clock_.now(),
                                               .outbox_held = 0,
                                               .webhook_events_held = 0})
                  .ok());
  EXPECT_EQ(store->heartbeat_worker("h:12", clock_.now(), std::chrono::minutes{1})
                .value()
                .outbox_extended,
            1)
      << "the lease taken before the upgrade is the worker's";
  EXPECT_TRUE(store->try_lease("pull", "h:12", clock_.now(), std::chrono::minutes{1}).value());
}

TEST_F(SqliteStoreTest, AVersion7DatabaseGetsItsDomainsIndexedInTheirOwnTable) {
  const auto path = dir_ / "state.db";
  std::string id;
  {
    auto store = open(path);
    auto lead = sample_lead();
    lead.company.domain = "Example.COM";
    id = store->create_lead(lead).value().identity.id;
  }
  RawDatabase(path).execute(LEADSYNC_BACK_TO_VERSION_7);

  auto store = open(path);

  EXPECT_EQ(RawDatabase(path).text("SELECT lead_id || ' ' || domain FROM lead_domains"),
            id + " example.com");
  ASSERT_EQ(store->find_by_domain("example.com").value().size(), 1U);
  EXPECT_EQ(RawDatabase(path).text("SELECT count(*) FROM sqlite_master "
                                   "WHERE name = 'leads_by_company_domain'"),
            "0")
      << "the column's index goes: lead_domains is the index now";
}

// A bulk load's keys wait in the backlog; finish_bulk_load moves them, in one transaction, into
// the tables the indexes are on.
TEST_F(SqliteStoreTest, FinishingABulkLoadMovesItsKeysFromTheBacklogIntoTheLookupTables) {
  const auto path = dir_ / "state.db";
  auto store = open(path);
  auto lead = sample_lead();
  lead.company.domain = "example.com";
  lead.person.emails = {"ada@example.com"};
  model::Phone phone;
  phone.raw = "+44 20 7946 0000";
  phone.e164 = "+442079460000";
  lead.person.phones = {phone};
  std::vector<LeadWrite> writes;
  writes.push_back(
      {.kind = WriteKind::create,
       .lead = lead,
       .options = {.enqueue = true, .operation = OutboxOperation::upsert, .bulk_load = true}});
  const auto id = store->write_batch(std::move(writes), std::nullopt).value().front().identity.id;
  RawDatabase raw(path);
  const auto keys = "SELECT (SELECT count(*) FROM lookup_backlog) || ' ' || "
                    "((SELECT count(*) FROM lead_emails) + (SELECT count(*) FROM lead_phones) + "
                    "(SELECT count(*) FROM lead_domains))";
  EXPECT_EQ(raw.text(keys), "3 0");

  ASSERT_TRUE(store->finish_bulk_load().ok());

  EXPECT_EQ(raw.text(keys), "0 3");
  EXPECT_EQ(store->find_by_email("ada@example.com").value().front().identity.id, id);
  EXPECT_EQ(store->find_by_domain("example.com").value().front().identity.id, id);
}

TEST_F(SqliteStoreTest, HeartbeatsAndReapingFindALeaseOwnersWorkThroughItsIndex) {
  const auto path = dir_ / "state.db";
  open(path).reset();
  RawDatabase raw(path);

  for (const char* table : {"outbox", "webhook_events"}) {
    const auto steps = raw.plan(std::string("UPDATE ") + table +
                                " SET lease_until = 1 WHERE (lease_owner <> '' AND lease_owner >= "
                                "'h:12' AND lease_owner < 'h:12' || ';' AND (lease_owner = 'h:12' "
                                "OR substr(lease_owner, 1, length('h:12') + 1) = 'h:12' || ':'))");
    EXPECT_TRUE(contains(steps, std::string(table) + "_by_lease_owner")) << steps;
  }
}

TEST_F(SqliteStoreTest, ReopeningKeepsLeadsAndTheirOutboxEntries) {
  const auto path = dir_ / "state.db";
  std::string id;
  {
    auto store = open(path);
    auto lead = sample_lead();
    lead.person.emails = {"ada@example.com"};
    id = store->create_lead(lead).value().identity.id;
  }

  auto store = open(path);

  EXPECT_EQ(store->get_lead(id).value().person.last_name, "Lovelace");
  EXPECT_EQ(store->find_by_email("ada@example.com").value().size(), 1U);
  const auto pending = store->pending_outbox(10).value();
  ASSERT_EQ(pending.size(), 1U);
  EXPECT_EQ(pending[0].lead_id, id);
}

TEST_F(SqliteStoreTest, DatabaseFromANewerLeadsyncIsRefused) {
  const auto path = dir_ / "state.db";
  open(path).reset();
  const int newer = sqlite_schema_version() + 1;
  RawDatabase(path).execute("INSERT INTO schema_migrations (version, applied_at) VALUES (" +
                            std::to_string(newer) + ", 0)");

  const auto error = error_of(open_sqlite_store(SqliteOptions{path}, clock_, random_));

  EXPECT_EQ(error.category, ErrorCategory::config);
  EXPECT_TRUE(contains(error.message, "created by a newer leadsync")) << error.message;
  EXPECT_TRUE(contains(error.message, "upgrade leadsync")) << error.message;
  EXPECT_TRUE(contains(error.message, std::to_string(newer))) << error.message;
}

TEST_F(SqliteStoreTest, FileThatIsNotADatabaseIsRefusedWithAdvice) {
  const auto path = dir_ / "notes.txt";
  std::ofstream(path) << std::string(4096, 'x');

  const auto error = error_of(open_sqlite_store(SqliteOptions{path}, clock_, random_));

  EXPECT_EQ(error.category, ErrorCategory::storage);
  EXPECT_TRUE(contains(error.message, path.string())) << error.message;
  EXPECT_TRUE(contains(error.message, "not a leadsync database")) << error.message;
}

TEST_F(SqliteStoreTest, EmptyPathIsAnInvalidArgument) {
  EXPECT_EQ(error_of(open_sqlite_store(SqliteOptions{""}, clock_, random_)).category,
            ErrorCategory::invalid_argument);
}

TEST_F(SqliteStoreTest, LockedDatabaseIsARetryableStorageError) {
  const auto path = dir_ / "state.db";
  auto store =
      open_sqlite_store(SqliteOptions{path, std::chrono::milliseconds{0}}, clock_, random_).value();
  RawDatabase other_process(path);
  other_process.execute("BEGIN EXCLUSIVE");

  const auto error = error_of(store->create_lead(sample_lead()));

  EXPECT_EQ(error.category, ErrorCategory::storage);
  EXPECT_TRUE(error.retryable);
  EXPECT_TRUE(contains(error.message, "lock")) << error.message;
  other_process.execute("COMMIT");
  EXPECT_TRUE(store->create_lead(sample_lead()).ok());
}

TEST_F(SqliteStoreTest, StoredLeadThatCannotBeReadIsAStorageErrorNamingIt) {
  const auto path = dir_ / "state.db";
  auto store = open(path);
  const auto id = store->create_lead(sample_lead()).value().identity.id;
  RawDatabase(path).execute("UPDATE leads SET doc = 'not json'");

  const auto error = error_of(store->get_lead(id));

  EXPECT_EQ(error.category, ErrorCategory::storage);
  EXPECT_TRUE(contains(error.message, id)) << error.message;
}

TEST_F(SqliteStoreTest, TextThatIsNotUtf8IsRefusedAndNothingIsStored) {
  auto store = open(":memory:");
  auto lead = sample_lead();
  lead.person.last_name = "Lovel\xE1"
                          "ce"; // windows-1252, not converted

  const auto error = error_of(store->create_lead(lead));

  EXPECT_EQ(error.category, ErrorCategory::invalid_argument);
  EXPECT_TRUE(contains(error.message, "UTF-8")) << error.message;
  EXPECT_EQ(store->stats().value().leads, 0);
  EXPECT_TRUE(store->pending_outbox(10).value().empty());
}

// ---- open_store
// -----------------------------------------------------------------------------------------

TEST_F(SqliteStoreTest, OpenStoreTakesAnAbsoluteSqliteUrl) {
  const auto path = dir_ / "absolute" / "state.db";

  auto store = open_store("sqlite://" + path.string(), "/nonexistent-base", clock_);

  ASSERT_TRUE(store.ok()) << store.error().describe();
  EXPECT_TRUE(fs::exists(path));
}

TEST_F(SqliteStoreTest, OpenStoreResolvesARelativeSqliteUrlAgainstTheBaseFolder) {
  auto store = open_store("sqlite://data/state.db", dir_, clock_);

  ASSERT_TRUE(store.ok()) << store.error().describe();
  EXPECT_TRUE(fs::exists(dir_ / "data" / "state.db"));
}

TEST_F(SqliteStoreTest, OpenStoreOpensAnInMemoryDatabase) {
  auto store = open_store("sqlite::memory:", dir_, clock_);

  ASSERT_TRUE(store.ok()) << store.error().describe();
  EXPECT_TRUE((*store)->create_lead(sample_lead()).ok());
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(SqliteStoreTest, OpenStoreRefusesAPostgresqlUrlHoldingAPasswordWithoutShowingIt) {
  const auto error = error_of(open_store("postgresql://leadsync:s3cret@db/leadsync", dir_, clock_));

  EXPECT_EQ(error.category, ErrorCategory::config);
#ifdef LEADSYNC_WITH_POSTGRES
  EXPECT_TRUE(contains(error.message, "~/.pgpass")) << error.message;
#else
  EXPECT_TRUE(contains(error.message, "-DLEADSYNC_WITH_POSTGRES=ON")) << error.message;
#endif
  EXPECT_FALSE(contains(error.message, "s3cret")) << error.message;
}

TEST_F(SqliteStoreTest, OpenStoreRefusesOtherUrlsListingTheAcceptedForms) {
  for (const std::string url : {"mysql://root:hunter2@db/leads", "state.db", "sqlite://", ""}) {
    const auto error = error_of(open_store(url, dir_, clock_));

    EXPECT_EQ(error.category, ErrorCategory::config) << url;
    EXPECT_TRUE(contains(error.message, "sqlite:///")) << error.message;
    EXPECT_TRUE(contains(error.message, "sqlite::memory:")) << error.message;
    EXPECT_FALSE(contains(error.message, "hunter2")) << error.message;
  }
}

} // namespace
} // namespace leadsync::store
