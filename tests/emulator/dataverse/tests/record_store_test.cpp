#include "dvemu/record_store.hpp"

#include <chrono>
#include <filesystem>
#include <gtest/gtest.h>
#include <leadsync/core/clock.hpp>
#include <leadsync/core/random.hpp>
#include <leadsync/core/uuid.hpp>
#include <sqlite3.h>
#include <stdexcept>
#include <string>

namespace dvemu {
namespace {

using namespace std::chrono_literals;

class RecordStoreTest : public ::testing::Test {
protected:
  RecordStoreTest() : schema(Schema::dataverse(options())) {}

  static EmulatorOptions options() {
    EmulatorOptions options;
    options.extra_alternate_keys = {"contact:nameandmail:firstname+emailaddress1"};
    return options;
  }

  void TearDown() override {
    for (const auto& path : files) {
      std::filesystem::remove(path);
      std::filesystem::remove(path + "-wal");
      std::filesystem::remove(path + "-shm");
    }
  }

  std::string temp_file(const std::string& name) {
    std::string path = ::testing::TempDir() + "dvemu_" +
                       ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
                       name + ".db";
    std::filesystem::remove(path);
    files.push_back(path);
    return path;
  }

  std::string insert_lead(RecordStore& target, Json attributes) {
    auto txn = target.begin();
    std::string id = txn.insert(lead, std::move(attributes)).id;
    txn.commit();
    return id;
  }

  const Schema schema;
  const EntityDef& lead = *schema.by_logical_name("lead");
  const EntityDef& account = *schema.by_logical_name("account");
  const EntityDef& contact = *schema.by_logical_name("contact");
  leadsync::ManualClock clock;
  leadsync::SeededRandom random{7};
  RecordStore store{schema, clock, random};
  std::vector<std::string> files;
};

TEST_F(RecordStoreTest, InsertAssignsIdTimestampsVersionDefaultsAndFullname) {
  auto txn = store.begin();
  const StoredRecord& row = txn.insert(lead, {{"firstname", "Ada"}, {"lastname", "Lovelace"}});
  auto uuid = leadsync::Uuid::parse(row.id);
  ASSERT_TRUE(uuid.ok()) << row.id;
  EXPECT_EQ(uuid->version(), 4);
  EXPECT_EQ(row.id, uuid->to_string());
  EXPECT_EQ(row.attributes["leadid"], row.id);
  EXPECT_EQ(row.attributes["createdon"], to_rfc3339(clock.now()));
  EXPECT_EQ(row.attributes["modifiedon"], to_rfc3339(clock.now()));
  EXPECT_EQ(row.attributes["versionnumber"], row.version);
  EXPECT_EQ(row.version, txn.current_version());
  EXPECT_EQ(row.attributes["statecode"], 0);
  EXPECT_EQ(row.attributes["statuscode"], 1);
  EXPECT_EQ(row.attributes["followemail"], true);
  EXPECT_EQ(row.attributes["donotemail"], false);
  EXPECT_EQ(row.attributes["fullname"], "Ada Lovelace");
}

TEST_F(RecordStoreTest, InsertKeepsAGivenIdInLowerCaseAndFindsItInAnyCase) {
  const std::string id = insert_lead(
      store, {{"leadid", "0A1B2C3D-0000-4000-8000-00000000ABCD"}, {"lastname", "Hopper"}});
  EXPECT_EQ(id, "0a1b2c3d-0000-4000-8000-00000000abcd");
  auto txn = store.begin();
  ASSERT_NE(txn.find(lead, "0A1B2C3D-0000-4000-8000-00000000ABCD"), nullptr);
  EXPECT_EQ(txn.find(lead, id)->attributes["fullname"], "Hopper");
  EXPECT_EQ(txn.find(account, id), nullptr);
  EXPECT_THROW(txn.insert(lead, {{"leadid", id}}), std::logic_error);
}

TEST_F(RecordStoreTest, InsertWithAGivenStateTakesThatStatesDefaultStatus) {
  auto txn = store.begin();
  EXPECT_EQ(txn.insert(lead, {{"statecode", 2}}).attributes["statuscode"], 4);
  EXPECT_EQ(txn.insert(lead, {{"statecode", 0}, {"statuscode", 2}}).attributes["statuscode"], 2);
}

TEST_F(RecordStoreTest, UpdateMergesBumpsVersionAndRecomputesFullname) {
  const std::string id =
      insert_lead(store, {{"firstname", "Ada"}, {"lastname", "Byron"}, {"jobtitle", "Countess"}});
  clock.advance(90s);
  auto txn = store.begin();
  const std::int64_t before = txn.find(lead, id)->version;
  const std::string created = txn.find(lead, id)->attributes["createdon"];
  const StoredRecord& row = txn.update(lead, id, {{"lastname", "Lovelace"}, {"jobtitle", nullptr}});
  EXPECT_GT(row.version, before);
  EXPECT_EQ(row.attributes["versionnumber"], row.version);
  EXPECT_EQ(row.attributes["fullname"], "Ada Lovelace");
  EXPECT_FALSE(row.attributes.contains("jobtitle"));
  EXPECT_EQ(row.attributes["firstname"], "Ada");
  EXPECT_EQ(row.attributes["createdon"], created);
  EXPECT_EQ(row.attributes["modifiedon"], to_rfc3339(clock.now()));
  EXPECT_NE(row.attributes["modifiedon"], created);
  EXPECT_THROW(txn.update(lead, "00000000-0000-4000-8000-000000000001", {{"lastname", "x"}}),
               std::logic_error);
}

TEST_F(RecordStoreTest, VersionsIncreaseAcrossTablesForEveryWrite) {
  auto txn = store.begin();
  const std::int64_t start = txn.current_version();
  const auto first = txn.insert(lead, {}).version;
  const auto second = txn.insert(account, {{"name", "Contoso"}}).version;
  const auto third = txn.update(lead, txn.scan(lead)[0]->id, {{"subject", "x"}}).version;
  txn.erase(account, txn.scan(account)[0]->id);
  EXPECT_EQ(first, start + 1);
  EXPECT_EQ(second, start + 2);
  EXPECT_EQ(third, start + 3);
  EXPECT_EQ(txn.current_version(), start + 4);
}

TEST_F(RecordStoreTest, EraseRemovesTheRowAndIgnoresUnknownIds) {
  const std::string id = insert_lead(store, {{"lastname", "Gone"}});
  auto txn = store.begin();
  const std::int64_t version = txn.current_version();
  txn.erase(lead, id);
  EXPECT_EQ(txn.find(lead, id), nullptr);
  EXPECT_TRUE(txn.scan(lead).empty());
  txn.erase(lead, id);
  EXPECT_EQ(txn.current_version(), version + 1);
}

TEST_F(RecordStoreTest, ScanReturnsRowsInCreationOrderAfterUpdates) {
  const std::string a = insert_lead(store, {{"lastname", "A"}});
  const std::string b = insert_lead(store, {{"lastname", "B"}});
  const std::string c = insert_lead(store, {{"lastname", "C"}});
  auto txn = store.begin();
  txn.update(lead, a, {{"lastname", "A2"}});
  const auto rows = txn.scan(lead);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0]->id, a);
  EXPECT_EQ(rows[1]->id, b);
  EXPECT_EQ(rows[2]->id, c);
}

TEST_F(RecordStoreTest, FindByKeyUsesTheAlternateKeyCaseInsensitively) {
  const std::string id = insert_lead(store, {{"leadsync_externalid", "Ext-ÄÖ-Straße-Σ"}});
  auto txn = store.begin();
  const StoredRecord* row = txn.find_by_key(lead, {{"leadsync_externalid", "ext-äö-straße-σ"}});
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->id, id);
  EXPECT_EQ(txn.find_by_key(lead, {{"leadsync_externalid", "ext-ao-strasse"}}), nullptr);
}

TEST_F(RecordStoreTest, FindByKeyMatchesMultiColumnKeysInAnyOrder) {
  auto txn = store.begin();
  const std::string id =
      txn.insert(contact, {{"firstname", "Joe"}, {"emailaddress1", "Joe@Example.com"}}).id;
  txn.insert(contact, {{"firstname", "Joe"}, {"emailaddress1", "other@example.com"}});
  const StoredRecord* row =
      txn.find_by_key(contact, {{"emailaddress1", "joe@example.com"}, {"firstname", "JOE"}});
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->id, id);
}

TEST_F(RecordStoreTest, FindByKeyOnColumnsThatAreNotAKeyComparesEveryRow) {
  insert_lead(store, {{"emailaddress1", "first@example.com"}});
  const std::string id = insert_lead(store, {{"emailaddress1", "Second@Example.com"}});
  auto txn = store.begin();
  ASSERT_NE(txn.find_by_key(lead, {{"emailaddress1", "second@example.com"}}), nullptr);
  EXPECT_EQ(txn.find_by_key(lead, {{"emailaddress1", "second@example.com"}})->id, id);
  EXPECT_EQ(txn.find_by_key(lead, {{"emailaddress1", "third@example.com"}}), nullptr);
}

TEST_F(RecordStoreTest, KeyConflictFindsAnotherRowWithTheSameKeyButNotTheRowItself) {
  const std::string a = insert_lead(store, {{"leadsync_externalid", "A"}});
  const std::string b = insert_lead(store, {{"leadsync_externalid", "B"}});
  auto txn = store.begin();
  const AlternateKeyDef* conflict = txn.key_conflict(lead, "", {{"leadsync_externalid", "a"}});
  ASSERT_NE(conflict, nullptr);
  EXPECT_EQ(conflict->name, "leadsync_externalid");
  EXPECT_NE(txn.key_conflict(lead, b, {{"leadsync_externalid", "A"}}), nullptr);
  EXPECT_EQ(txn.key_conflict(lead, a, {{"leadsync_externalid", "A"}}), nullptr);
  EXPECT_EQ(txn.key_conflict(lead, b, {{"subject", "unrelated"}}), nullptr);
  EXPECT_EQ(txn.key_conflict(lead, "", {{"leadsync_externalid", nullptr}}), nullptr);
  EXPECT_THROW(txn.insert(lead, {{"leadsync_externalid", "A"}}), std::logic_error);
  EXPECT_THROW(txn.update(lead, b, {{"leadsync_externalid", "A"}}), std::logic_error);
}

TEST_F(RecordStoreTest, UpdatingAKeyMovesItInTheIndex) {
  const std::string id = insert_lead(store, {{"leadsync_externalid", "old"}});
  auto txn = store.begin();
  txn.update(lead, id, {{"leadsync_externalid", "new"}});
  EXPECT_EQ(txn.find_by_key(lead, {{"leadsync_externalid", "old"}}), nullptr);
  ASSERT_NE(txn.find_by_key(lead, {{"leadsync_externalid", "new"}}), nullptr);
  txn.update(lead, id, {{"leadsync_externalid", nullptr}});
  EXPECT_EQ(txn.find_by_key(lead, {{"leadsync_externalid", "new"}}), nullptr);
  EXPECT_EQ(txn.key_conflict(lead, "", {{"leadsync_externalid", "old"}}), nullptr);
}

TEST_F(RecordStoreTest, DestroyingAnUncommittedTxnRestoresRowsKeysTombstonesAndVersion) {
  const std::string a = insert_lead(store, {{"leadsync_externalid", "A"}, {"lastname", "A"}});
  const std::string b = insert_lead(store, {{"leadsync_externalid", "B"}, {"lastname", "B"}});
  const std::string gone = insert_lead(store, {{"lastname", "Gone"}});
  std::int64_t version = 0;
  {
    auto txn = store.begin();
    txn.erase(lead, gone);
    txn.commit();
    version = txn.current_version();
  }
  std::string created;
  {
    auto txn = store.begin();
    txn.update(lead, a, {{"leadsync_externalid", "C"}, {"lastname", "Changed"}});
    txn.erase(lead, b);
    created = txn.insert(lead, {{"leadsync_externalid", "B"}}).id;
    txn.insert(lead, {{"leadid", gone}, {"lastname", "Back"}});
    txn.update(lead, a, {{"subject", "twice"}});
  } // no commit

  auto txn = store.begin();
  EXPECT_EQ(txn.current_version(), version);
  EXPECT_EQ(txn.find(lead, created), nullptr);
  EXPECT_EQ(txn.find(lead, gone), nullptr);
  ASSERT_NE(txn.find(lead, a), nullptr);
  EXPECT_EQ(txn.find(lead, a)->attributes["lastname"], "A");
  EXPECT_FALSE(txn.find(lead, a)->attributes.contains("subject"));
  ASSERT_NE(txn.find_by_key(lead, {{"leadsync_externalid", "A"}}), nullptr);
  EXPECT_EQ(txn.find_by_key(lead, {{"leadsync_externalid", "A"}})->id, a);
  EXPECT_EQ(txn.find_by_key(lead, {{"leadsync_externalid", "C"}}), nullptr);
  ASSERT_NE(txn.find_by_key(lead, {{"leadsync_externalid", "B"}}), nullptr);
  EXPECT_EQ(txn.find_by_key(lead, {{"leadsync_externalid", "B"}})->id, b);
  const auto rows = txn.scan(lead);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]->id, a);
  EXPECT_EQ(rows[1]->id, b);
  const Changes changes = txn.changes_since(lead, version - 1);
  EXPECT_TRUE(changes.changed.empty());
  ASSERT_EQ(changes.deleted.size(), 1u);
  EXPECT_EQ(changes.deleted[0].id, gone);
  EXPECT_EQ(changes.deleted[0].version, version);
}

TEST_F(RecordStoreTest, ChangesSinceListsRowsByVersionAndDeletionsAfterTheToken) {
  const std::string untouched = insert_lead(store, {{"lastname", "Old"}});
  const std::string edited = insert_lead(store, {{"lastname", "Edited"}});
  const std::string removed = insert_lead(store, {{"lastname", "Removed"}});
  std::int64_t token = 0;
  {
    auto txn = store.begin();
    token = txn.current_version();
  }
  const std::string fresh = insert_lead(store, {{"lastname", "Fresh"}});
  std::string short_lived;
  {
    auto txn = store.begin();
    txn.update(lead, edited, {{"subject", "changed"}});
    txn.erase(lead, removed);
    short_lived = txn.insert(lead, {{"lastname", "Brief"}}).id;
    txn.erase(lead, short_lived);
    txn.commit();
  }
  auto txn = store.begin();
  const Changes changes = txn.changes_since(lead, token);
  ASSERT_EQ(changes.changed.size(), 2u);
  EXPECT_EQ(changes.changed[0]->id, fresh);
  EXPECT_EQ(changes.changed[1]->id, edited);
  ASSERT_EQ(changes.deleted.size(), 2u);
  EXPECT_EQ(changes.deleted[0].id, removed);
  EXPECT_EQ(changes.deleted[1].id, short_lived);
  EXPECT_LT(changes.deleted[0].version, changes.deleted[1].version);
  EXPECT_TRUE(txn.changes_since(lead, txn.current_version()).changed.empty());
  EXPECT_EQ(txn.changes_since(lead, 0).changed.size(), 3u);
  EXPECT_NE(txn.find(lead, untouched), nullptr);
}

TEST_F(RecordStoreTest, StateFileKeepsCommittedWritesAcrossARestart) {
  const std::string path = temp_file("state");
  ASSERT_TRUE(store.attach_state_file(path).ok());
  const std::string kept =
      insert_lead(store, {{"leadsync_externalid", "K-1"}, {"lastname", "Kept"}});
  const std::string removed = insert_lead(store, {{"lastname", "Removed"}});
  const std::string first = insert_lead(store, {{"lastname", "First"}});
  std::int64_t last_version = 0;
  {
    auto txn = store.begin();
    txn.update(lead, kept, {{"subject", "edited"}});
    txn.erase(lead, removed);
    txn.commit();
    last_version = txn.current_version();
  }
  {
    auto txn = store.begin();
    txn.insert(lead, {{"lastname", "Never committed"}});
  }

  leadsync::SeededRandom other_random{99};
  RecordStore restarted(schema, clock, other_random);
  ASSERT_TRUE(restarted.attach_state_file(path).ok());
  auto txn = restarted.begin();
  EXPECT_EQ(txn.current_version(), last_version);
  const auto rows = txn.scan(lead);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]->id, kept);
  EXPECT_EQ(rows[1]->id, first);
  EXPECT_EQ(rows[0]->attributes["subject"], "edited");
  EXPECT_EQ(rows[0]->attributes["fullname"], "Kept");
  EXPECT_EQ(rows[0]->version, rows[0]->attributes["versionnumber"].get<std::int64_t>());
  ASSERT_NE(txn.find_by_key(lead, {{"leadsync_externalid", "k-1"}}), nullptr);
  EXPECT_EQ(txn.find_by_key(lead, {{"leadsync_externalid", "k-1"}})->id, kept);
  const Changes changes = txn.changes_since(lead, 0);
  ASSERT_EQ(changes.deleted.size(), 1u);
  EXPECT_EQ(changes.deleted[0].id, removed);
  EXPECT_GT(txn.insert(lead, {}).version, last_version);
}

TEST_F(RecordStoreTest, NewStateFileReceivesTheRowsAlreadyInMemory) {
  const std::string id = insert_lead(store, {{"lastname", "Seeded"}});
  const std::string path = temp_file("seeded");
  ASSERT_TRUE(store.attach_state_file(path).ok());
  RecordStore restarted(schema, clock, random);
  ASSERT_TRUE(restarted.attach_state_file(path).ok());
  auto txn = restarted.begin();
  ASSERT_NE(txn.find(lead, id), nullptr);
  EXPECT_EQ(txn.find(lead, id)->attributes["lastname"], "Seeded");
}

TEST_F(RecordStoreTest, AStateFileWithRowsReplacesWhatIsInMemory) {
  const std::string path = temp_file("replace");
  {
    RecordStore first(schema, clock, random);
    ASSERT_TRUE(first.attach_state_file(path).ok());
    insert_lead(first, {{"lastname", "FromFile"}});
  }
  const std::string in_memory = insert_lead(store, {{"lastname", "InMemory"}});
  ASSERT_TRUE(store.attach_state_file(path).ok());
  auto txn = store.begin();
  EXPECT_EQ(txn.find(lead, in_memory), nullptr);
  ASSERT_EQ(txn.scan(lead).size(), 1u);
  EXPECT_EQ(txn.scan(lead)[0]->attributes["lastname"], "FromFile");
}

TEST_F(RecordStoreTest, ACommitTheStateFileRefusesIsUndoneAndSaysWhy) {
  const std::string path = temp_file("locked");
  ASSERT_TRUE(store.attach_state_file(path).ok());
  const std::string kept = insert_lead(store, {{"lastname", "Kept"}});
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
  {
    auto txn = store.begin();
    txn.update(lead, kept, {{"lastname", "Lost"}});
    txn.insert(lead, {{"lastname", "Unacknowledged"}});
    try {
      txn.commit();
      ADD_FAILURE() << "commit succeeded while another connection held the write lock";
    } catch (const std::runtime_error& error) {
      EXPECT_NE(std::string(error.what()).find("could not write its state file"),
                std::string::npos);
    }
  }
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  auto txn = store.begin();
  ASSERT_EQ(txn.scan(lead).size(), 1u);
  EXPECT_EQ(txn.find(lead, kept)->attributes["lastname"], "Kept");
}

TEST_F(RecordStoreTest, AttachingAnUnusablePathSaysWhichFileAndWhatToCheck) {
  const std::string path = ::testing::TempDir() + "dvemu-no-such-dir/sub/state.db";
  auto status = store.attach_state_file(path);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().category, leadsync::ErrorCategory::storage);
  EXPECT_NE(status.error().message.find(path), std::string::npos);
  EXPECT_NE(status.error().message.find("writable"), std::string::npos);
}

TEST_F(RecordStoreTest, AttachingTwiceIsRefused) {
  ASSERT_TRUE(store.attach_state_file(temp_file("one")).ok());
  auto status = store.attach_state_file(temp_file("two"));
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("already attached"), std::string::npos);
}

TEST_F(RecordStoreTest, ResetDropsEveryRowInMemoryAndFileButVersionsKeepGrowing) {
  const std::string path = temp_file("reset");
  ASSERT_TRUE(store.attach_state_file(path).ok());
  insert_lead(store, {{"leadsync_externalid", "R"}});
  std::int64_t before = 0;
  {
    auto txn = store.begin();
    txn.insert(account, {{"name", "Contoso"}});
    txn.commit();
    before = txn.current_version();
  }
  store.reset();
  EXPECT_EQ(store.row_counts()["leads"], 0);
  EXPECT_EQ(store.row_counts()["accounts"], 0);
  {
    auto txn = store.begin();
    EXPECT_EQ(txn.find_by_key(lead, {{"leadsync_externalid", "R"}}), nullptr);
    EXPECT_GT(txn.insert(lead, {{"leadsync_externalid", "R"}}).version, before);
  }
  RecordStore restarted(schema, clock, random);
  ASSERT_TRUE(restarted.attach_state_file(path).ok());
  EXPECT_EQ(restarted.row_counts()["accounts"], 0);
}

TEST_F(RecordStoreTest, RowCountsCoverEveryEntitySet) {
  insert_lead(store, {});
  insert_lead(store, {});
  {
    auto txn = store.begin();
    txn.insert(account, {{"name", "Contoso"}});
    txn.commit();
  }
  const auto counts = store.row_counts();
  EXPECT_EQ(counts.size(), schema.entities().size());
  EXPECT_EQ(counts.at("leads"), 2);
  EXPECT_EQ(counts.at("accounts"), 1);
  EXPECT_EQ(counts.at("sdkmessageprocessingsteps"), 0);
}

TEST(FoldCase, FoldsTheCapitalsOfCommonScriptsAndKeepsTheRest) {
  EXPECT_EQ(fold_case("ABC xyz 123"), "abc xyz 123");
  EXPECT_EQ(fold_case("ÄÖÜ ÀÉÎ Ø"), "äöü àéî ø");
  EXPECT_EQ(fold_case("× ß"), "× ß");
  EXPECT_EQ(fold_case("ŁĄĆ ĹŽ Ÿ"), "łąć ĺž ÿ");
  EXPECT_EQ(fold_case("ΑΒΓ Σ"), "αβγ σ");
  EXPECT_EQ(fold_case("ЖЁЯ"), "жёя");
  EXPECT_EQ(fold_case("日本 😀"), "日本 😀");
  EXPECT_EQ(fold_case(std::string("\xff\xc3", 2)), std::string("\xff\xc3", 2));
}

TEST(Rfc3339, FormatsUtcSecondsWithZ) {
  using namespace std::chrono;
  const auto time = sys_days{2026y / November / 22} + 20h + 5min + 9s + 750ms;
  EXPECT_EQ(to_rfc3339(time_point_cast<system_clock::duration>(time)), "2026-11-22T20:05:09Z");
}

} // namespace
} // namespace dvemu
