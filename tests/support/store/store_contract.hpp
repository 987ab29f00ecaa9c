#pragma once
// The contract every Store implementation keeps, as a value-parameterized suite. An implementation
// joins it with one line:
//   INSTANTIATE_TEST_SUITE_P(Name, StoreContract, ::testing::Values(StoreImplementation{...}),
//   name_of);
// Include this file from exactly one translation unit per test executable (it defines the tests).

#include "leadsync/core/clock.hpp"
#include "leadsync/core/random.hpp"
#include "leadsync/core/uuid.hpp"
#include "leadsync/store/store.hpp"
#include "support/store/store_test_support.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <gtest/gtest.h>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace leadsync::store::testing {

// What an implementation gets to open a fresh, empty store for one test.
struct StoreTestEnvironment {
  Clock& clock;
  Random& random;
  std::filesystem::path scratch_dir; // empty folder of this test, removed after it
  std::string location = {};         // set by `open`: what `open_another` needs to reach it
};

struct StoreImplementation {
  std::string name; // becomes the test name suffix
  std::function<std::unique_ptr<Store>(StoreTestEnvironment&)> open;
  // When set and it returns a reason, the implementation cannot run here and its tests skip with
  // that reason (the PostgreSQL server binaries are missing).
  std::function<std::string()> unavailable = {};
  // A second handle on the store `open` opened (another process's view of the same data: a second
  // worker); nullptr when the implementation has none (SQLite in memory).
  std::function<std::unique_ptr<Store>(StoreTestEnvironment&)> open_another = {};
};

inline void PrintTo(const StoreImplementation& implementation, std::ostream* out) {
  *out << implementation.name;
}

inline std::string name_of(const ::testing::TestParamInfo<StoreImplementation>& info) {
  return info.param.name;
}

inline model::Lead lead_named(std::string first_name, std::string last_name = "Tester") {
  model::Lead lead;
  lead.person.first_name = std::move(first_name);
  lead.person.last_name = std::move(last_name);
  return lead;
}

inline std::vector<std::string> ids_of(const std::vector<model::Lead>& leads) {
  std::vector<std::string> ids;
  for (const auto& lead : leads) {
    ids.push_back(lead.identity.id);
  }
  return ids;
}

inline std::vector<std::int64_t> seqs_of(const std::vector<OutboxEntry>& entries) {
  std::vector<std::int64_t> seqs;
  for (const auto& entry : entries) {
    seqs.push_back(entry.seq);
  }
  return seqs;
}

class StoreContract : public ::testing::TestWithParam<StoreImplementation> {
protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::path(::testing::TempDir()) / "leadsync-store-XXXXXX");
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << "cannot create a scratch folder";
    scratch_dir_ = pattern;
    if (GetParam().unavailable) {
      if (const std::string reason = GetParam().unavailable(); !reason.empty()) {
        GTEST_SKIP() << reason;
      }
    }
    environment_ = std::make_unique<StoreTestEnvironment>(
        StoreTestEnvironment{clock_, random_, scratch_dir_, {}});
    store_ = GetParam().open(*environment_);
    ASSERT_NE(store_, nullptr);
  }

  // A second handle on this test's store (a second worker), or nullptr when the implementation
  // has none; tests that need one skip then.
  std::unique_ptr<Store> open_another() {
    return GetParam().open_another ? GetParam().open_another(*environment_) : nullptr;
  }

  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(scratch_dir_);
  }

  Store& store() { return *store_; }

  model::Lead create(model::Lead lead, const WriteOptions& options = {}) {
    return store().create_lead(std::move(lead), options).value();
  }

  std::vector<OutboxEntry> claim(const std::string& worker, std::size_t max_entries = 200,
                                 std::chrono::seconds lease = std::chrono::seconds{60}) {
    return store().claim_outbox(ClaimRequest{worker, max_entries, lease}).value();
  }

  std::vector<OutboxEntry> pending() { return store().pending_outbox(10'000).value(); }

  ManualClock clock_;
  SeededRandom random_{20240611};
  std::filesystem::path scratch_dir_;
  std::unique_ptr<StoreTestEnvironment> environment_;
  std::unique_ptr<Store> store_;
};

// ---- leads
// ----------------------------------------------------------------------------------------------

TEST_P(StoreContract, CreateAssignsATimeOrderedUuidVersionOneAndTheClockTime) {
  const auto created = create(lead_named("Ada", "Lovelace"));

  const auto id = Uuid::parse(created.identity.id);
  ASSERT_TRUE(id.ok()) << created.identity.id;
  EXPECT_EQ(id->version(), 7);
  EXPECT_EQ(created.identity.id.substr(0, 13),
            Uuid::generate_v7(clock_.now(), random_).to_string().substr(0, 13));
  EXPECT_EQ(created.identity.id, id->to_string());
  EXPECT_EQ(created.identity.version, 1);
  EXPECT_EQ(created.identity.created_at, clock_.now());
  EXPECT_EQ(created.identity.updated_at, clock_.now());

  const auto loaded = store().get_lead(created.identity.id).value();
  EXPECT_EQ(loaded.person.first_name, "Ada");
  EXPECT_EQ(loaded.person.last_name, "Lovelace");
  EXPECT_EQ(loaded.identity.version, 1);
  EXPECT_EQ(loaded.identity.created_at, clock_.now());
  EXPECT_EQ(loaded.identity.updated_at, clock_.now());
}

TEST_P(StoreContract, CreateKeepsAGivenIdInLowerCase) {
  auto lead = lead_named("Grace");
  lead.identity.id = "1B4E28BA-2FA1-4D2B-883F-0016D3CCA427";

  const auto created = create(lead);

  EXPECT_EQ(created.identity.id, "1b4e28ba-2fa1-4d2b-883f-0016d3cca427");
  EXPECT_EQ(store().get_lead(lead.identity.id).value().person.first_name, "Grace");
}

TEST_P(StoreContract, CreateRefusesAnIdThatIsNotAUuid) {
  auto lead = lead_named("Grace");
  lead.identity.id = "lead-42";

  const auto error = error_of(store().create_lead(lead));

  EXPECT_EQ(error.category, ErrorCategory::invalid_argument);
  EXPECT_NE(error.message.find("lead-42"), std::string::npos) << error.message;
  EXPECT_TRUE(pending().empty());
}

TEST_P(StoreContract, CreateRefusesADuplicateIdAndRecordsNothing) {
  const auto first = create(lead_named("First"));
  auto second = lead_named("Second");
  second.identity.id = first.identity.id;

  const auto error = error_of(store().create_lead(second));

  EXPECT_EQ(error.category, ErrorCategory::already_exists);
  EXPECT_EQ(store().get_lead(first.identity.id).value().person.first_name, "First");
  EXPECT_EQ(pending().size(), 1U);
}

TEST_P(StoreContract, GetLeadsReturnsTheExistingOnesInTheOrderAskedTombstonesIncluded) {
  const auto anna = create(lead_named("Anna"));
  const auto omar = create(lead_named("Omar"));
  const auto gone = create(lead_named("Gone"));
  ASSERT_TRUE(store().tombstone_lead(gone.identity.id).ok());
  const std::string missing = "00000000-0000-4000-8000-000000000001";

  const auto leads =
      store().get_leads({omar.identity.id, missing, gone.identity.id, anna.identity.id});
  ASSERT_TRUE(leads.ok()) << leads.error().describe();
  EXPECT_EQ(ids_of(*leads),
            (std::vector<std::string>{omar.identity.id, gone.identity.id, anna.identity.id}));
  EXPECT_TRUE((*leads)[1].deleted);
  EXPECT_EQ((*leads)[0].person.first_name, "Omar");
  EXPECT_TRUE(store().get_leads({}).value().empty());
  EXPECT_EQ(store().get_leads({"not-a-uuid"}).error().category, ErrorCategory::invalid_argument);
}

TEST_P(StoreContract, GetOfAMissingLeadIsNotFound) {
  const auto missing = Uuid::generate_v4(random_).to_string();

  const auto error = error_of(store().get_lead(missing));

  EXPECT_EQ(error.category, ErrorCategory::not_found);
  EXPECT_NE(error.message.find(missing), std::string::npos) << error.message;
}

TEST_P(StoreContract, UpdateBumpsVersionAndUpdateTimeButKeepsCreationTime) {
  const auto created = create(lead_named("Ada"));
  const auto created_at = clock_.now();
  clock_.advance(std::chrono::seconds{5});
  auto changed = created;
  changed.person.job_title = "Analyst";

  const auto updated = store().update_lead(changed).value();

  EXPECT_EQ(updated.identity.version, 2);
  EXPECT_EQ(updated.identity.created_at, created_at);
  EXPECT_EQ(updated.identity.updated_at, clock_.now());
  const auto loaded = store().get_lead(created.identity.id).value();
  EXPECT_EQ(loaded.person.job_title, "Analyst");
  EXPECT_EQ(loaded.identity.version, 2);
  EXPECT_EQ(loaded.identity.created_at, created_at);
  EXPECT_EQ(loaded.identity.updated_at, clock_.now());
}

TEST_P(StoreContract, UpdateWithAStaleVersionIsAConflictNamingBothVersions) {
  const auto created = create(lead_named("Ada"));
  auto first_change = created;
  first_change.person.job_title = "Analyst";
  ASSERT_TRUE(store().update_lead(first_change).ok());
  auto stale_change = created; // still version 1
  stale_change.person.job_title = "Engineer";

  const auto error = error_of(store().update_lead(stale_change));

  EXPECT_EQ(error.category, ErrorCategory::conflict);
  EXPECT_NE(error.message.find("stored version 2"), std::string::npos) << error.message;
  EXPECT_NE(error.message.find("given version 1"), std::string::npos) << error.message;
  const auto loaded = store().get_lead(created.identity.id).value();
  EXPECT_EQ(loaded.person.job_title, "Analyst");
  EXPECT_EQ(loaded.identity.version, 2);
}

TEST_P(StoreContract, UpdateOfAMissingLeadIsNotFound) {
  auto lead = lead_named("Nobody");
  lead.identity.id = Uuid::generate_v4(random_).to_string();
  lead.identity.version = 1;

  EXPECT_EQ(error_of(store().update_lead(lead)).category, ErrorCategory::not_found);
  EXPECT_TRUE(pending().empty());
}

TEST_P(StoreContract, UpdateWithoutAnIdIsAnInvalidArgument) {
  EXPECT_EQ(error_of(store().update_lead(lead_named("Nobody"))).category,
            ErrorCategory::invalid_argument);
}

inline model::Lead findable_lead() {
  auto lead = lead_named("Ada", "Lovelace");
  lead.person.emails = {"Ada.Lovelace@Example.COM"};
  model::Phone phone;
  phone.raw = "030 1234567";
  phone.e164 = "+49301234567";
  lead.person.phones = {phone};
  lead.company.domain = "Example.com";
  lead.identity.crm_id = "5d8f0a4e-0000-0000-0000-000000000001";
  return lead;
}

TEST_P(StoreContract, TombstoneHidesTheLeadFromListsAndLookups) {
  const auto created = create(findable_lead());
  clock_.advance(std::chrono::seconds{1});

  const auto tombstone = store().tombstone_lead(created.identity.id).value();

  EXPECT_TRUE(tombstone.deleted);
  EXPECT_EQ(tombstone.identity.version, 2);
  EXPECT_EQ(tombstone.identity.updated_at, clock_.now());
  EXPECT_TRUE(store().get_lead(created.identity.id).value().deleted);
  EXPECT_TRUE(store().find_by_email("ada.lovelace@example.com").value().empty());
  EXPECT_TRUE(store().find_by_phone("+49301234567").value().empty());
  EXPECT_TRUE(store().find_by_domain("example.com").value().empty());
  EXPECT_TRUE(store().find_by_crm_id(created.identity.crm_id).value().empty());
  EXPECT_TRUE(store().list_leads({}, {}).value().leads.empty());
  LeadFilter with_tombstones;
  with_tombstones.include_deleted = true;
  EXPECT_EQ(ids_of(store().list_leads(with_tombstones, {}).value().leads),
            std::vector{created.identity.id});
}

TEST_P(StoreContract, TombstoneRecordsARemoveInTheOutbox) {
  const auto created = create(lead_named("Ada"));

  ASSERT_TRUE(store().tombstone_lead(created.identity.id).ok());

  const auto entries = pending();
  ASSERT_EQ(entries.size(), 2U);
  EXPECT_EQ(entries[1].operation, OutboxOperation::remove);
  EXPECT_EQ(entries[1].lead_version, 2);
}

TEST_P(StoreContract, TombstoningATombstoneChangesNothing) {
  const auto created = create(lead_named("Ada"));
  ASSERT_TRUE(store().tombstone_lead(created.identity.id).ok());

  const auto again = store().tombstone_lead(created.identity.id).value();

  EXPECT_EQ(again.identity.version, 2);
  EXPECT_EQ(pending().size(), 2U);
}

TEST_P(StoreContract, TombstoneOfAMissingLeadIsNotFound) {
  EXPECT_EQ(error_of(store().tombstone_lead(Uuid::generate_v4(random_).to_string())).category,
            ErrorCategory::not_found);
}

TEST_P(StoreContract, FindByEmailIgnoresCase) {
  const auto ada = create(findable_lead());
  auto other = lead_named("Other");
  other.person.emails = {"other@example.com"};
  create(other);

  EXPECT_EQ(ids_of(store().find_by_email("ada.lovelace@example.com").value()),
            std::vector{ada.identity.id});
  EXPECT_EQ(ids_of(store().find_by_email("ADA.LOVELACE@EXAMPLE.COM").value()),
            std::vector{ada.identity.id});
  EXPECT_TRUE(store().find_by_email("lovelace@example.com").value().empty());
}

TEST_P(StoreContract, FindByPhoneDomainAndCrmIdReturnOnlyTheMatchingLead) {
  const auto ada = create(findable_lead());
  auto other = lead_named("Other");
  other.company.domain = "other.org";
  other.identity.crm_id = "5d8f0a4e-0000-0000-0000-000000000002";
  create(other);

  EXPECT_EQ(ids_of(store().find_by_phone("+49301234567").value()), std::vector{ada.identity.id});
  EXPECT_EQ(ids_of(store().find_by_domain("EXAMPLE.com").value()), std::vector{ada.identity.id});
  EXPECT_EQ(ids_of(store().find_by_crm_id("5d8f0a4e-0000-0000-0000-000000000001").value()),
            std::vector{ada.identity.id});
  EXPECT_TRUE(store().find_by_phone("+49301234568").value().empty());
}

TEST_P(StoreContract, FindWithAnEmptyValueMatchesNothing) {
  create(lead_named("No CRM id yet"));

  EXPECT_TRUE(store().find_by_crm_id("").value().empty());
  EXPECT_TRUE(store().find_by_domain("").value().empty());
}

TEST_P(StoreContract, FindReturnsEveryLeadSharingTheValue) {
  auto first = create(findable_lead());
  auto second_lead = findable_lead();
  second_lead.identity.crm_id.clear();
  auto second = create(second_lead);

  const auto found = ids_of(store().find_by_email("ada.lovelace@example.com").value());

  EXPECT_EQ(std::set<std::string>(found.begin(), found.end()),
            (std::set{first.identity.id, second.identity.id}));
}

TEST_P(StoreContract, UpdateReplacesTheLookupEntries) {
  auto lead = create(findable_lead());
  lead.person.emails = {"ada@newmail.example"};
  lead.person.phones.clear();

  ASSERT_TRUE(store().update_lead(lead).ok());

  EXPECT_TRUE(store().find_by_email("ada.lovelace@example.com").value().empty());
  EXPECT_TRUE(store().find_by_phone("+49301234567").value().empty());
  EXPECT_EQ(ids_of(store().find_by_email("ada@newmail.example").value()),
            std::vector{lead.identity.id});
}

TEST_P(StoreContract, ListFiltersByStageNewnessCrmIdAndUpdateTime) {
  auto mql = lead_named("Mql");
  mql.qualification.stage = model::LifecycleStage::mql;
  mql.is_new = false;
  mql = create(mql);
  clock_.advance(std::chrono::minutes{1});
  const auto since = clock_.now();
  auto fresh = lead_named("Fresh");
  fresh.identity.crm_id = "5d8f0a4e-0000-0000-0000-000000000003";
  fresh = create(fresh);

  LeadFilter by_stage;
  by_stage.stage = model::LifecycleStage::mql;
  EXPECT_EQ(ids_of(store().list_leads(by_stage, {}).value().leads), std::vector{mql.identity.id});
  LeadFilter only_new;
  only_new.is_new = true;
  EXPECT_EQ(ids_of(store().list_leads(only_new, {}).value().leads), std::vector{fresh.identity.id});
  LeadFilter by_crm_id;
  by_crm_id.crm_id = fresh.identity.crm_id;
  EXPECT_EQ(ids_of(store().list_leads(by_crm_id, {}).value().leads),
            std::vector{fresh.identity.id});
  LeadFilter recent;
  recent.updated_since = since;
  EXPECT_EQ(ids_of(store().list_leads(recent, {}).value().leads), std::vector{fresh.identity.id});
}

TEST_P(StoreContract, ListFindsLeadsByIdPrefix) {
  const auto first = create(lead_named("First"));
  const auto second = create(lead_named("Second"));
  LeadFilter by_prefix;
  by_prefix.id_prefix = first.identity.id.substr(0, 8);
  const auto found = store().list_leads(by_prefix, {}).value().leads;
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found.front().identity.id, first.identity.id);
  by_prefix.id_prefix = second.identity.id; // a whole id is a prefix of itself
  EXPECT_EQ(ids_of(store().list_leads(by_prefix, {}).value().leads),
            std::vector{second.identity.id});
  by_prefix.id_prefix = "zz%";
  const auto refused = store().list_leads(by_prefix, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().category, ErrorCategory::invalid_argument);
}

TEST_P(StoreContract, ListFindsLeadsByIdSuffix) {
  const auto first = create(lead_named("First"));
  const auto second = create(lead_named("Second"));
  LeadFilter by_suffix;
  by_suffix.id_suffix = first.identity.id.substr(first.identity.id.size() - 12);
  EXPECT_EQ(ids_of(store().list_leads(by_suffix, {}).value().leads),
            std::vector{first.identity.id});
  by_suffix.id_suffix = "%" + second.identity.id.substr(30);
  const auto refused = store().list_leads(by_suffix, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().category, ErrorCategory::invalid_argument);
  EXPECT_NE(refused.error().message.find("suffix"), std::string::npos) << refused.error().message;
}

TEST_P(StoreContract, ListPagesInCreationOrderWithoutRepeatsOrGaps) {
  std::vector<model::Lead> created;
  for (int i = 0; i < 25; ++i) {
    created.push_back(create(lead_named("Lead " + std::to_string(i))));
    if (i % 2 == 1) {
      clock_.advance(
          std::chrono::milliseconds{1}); // pairs share a creation time: ids break the tie
    }
  }
  std::sort(created.begin(), created.end(), [](const auto& a, const auto& b) {
    return std::tie(*a.identity.created_at, a.identity.id) <
           std::tie(*b.identity.created_at, b.identity.id);
  });

  std::vector<std::string> listed;
  std::vector<std::size_t> page_sizes;
  PageRequest page{10, ""};
  do {
    const auto result = store().list_leads({}, page).value();
    page_sizes.push_back(result.leads.size());
    for (const auto& id : ids_of(result.leads)) {
      listed.push_back(id);
    }
    page.after = result.next;
  } while (!page.after.empty() && page_sizes.size() < 10);

  EXPECT_EQ(page_sizes, (std::vector<std::size_t>{10, 10, 5}));
  EXPECT_EQ(listed, ids_of(created));
}

TEST_P(StoreContract, ListStopsWithoutACursorWhenTheLastPageIsFull) {
  create(lead_named("One"));
  create(lead_named("Two"));

  const auto page = store().list_leads({}, PageRequest{2, ""}).value();

  EXPECT_EQ(page.leads.size(), 2U);
  EXPECT_TRUE(page.next.empty());
}

TEST_P(StoreContract, ListCapsThePageAtOneThousand) {
  WriteOptions quiet;
  quiet.enqueue = false;
  for (int i = 0; i < 1001; ++i) {
    create(lead_named("Lead " + std::to_string(i)), quiet);
  }

  const auto page = store().list_leads({}, PageRequest{5000, ""}).value();

  EXPECT_EQ(page.leads.size(), 1000U);
  EXPECT_FALSE(page.next.empty());
  EXPECT_EQ(store().list_leads({}, PageRequest{5000, page.next}).value().leads.size(), 1U);
}

TEST_P(StoreContract, ListRejectsACursorItDidNotIssueAndAZeroLimit) {
  EXPECT_EQ(error_of(store().list_leads({}, PageRequest{10, "not-a-cursor"})).category,
            ErrorCategory::invalid_argument);
  EXPECT_EQ(error_of(store().list_leads({}, PageRequest{0, ""})).category,
            ErrorCategory::invalid_argument);
}

// ---- outbox
// ---------------------------------------------------------------------------------------------

TEST_P(StoreContract, EveryLeadWriteRecordsItsOutboxEntry) {
  auto lead = create(lead_named("Ada"));
  WriteOptions qualify;
  qualify.operation = OutboxOperation::qualify;
  clock_.advance(std::chrono::seconds{1});
  lead = store().update_lead(lead, qualify).value();
  ASSERT_TRUE(store().tombstone_lead(lead.identity.id).ok());

  const auto entries = pending();

  ASSERT_EQ(entries.size(), 3U);
  EXPECT_LT(entries[0].seq, entries[1].seq);
  EXPECT_LT(entries[1].seq, entries[2].seq);
  EXPECT_EQ(entries[0].operation, OutboxOperation::upsert);
  EXPECT_EQ(entries[1].operation, OutboxOperation::qualify);
  EXPECT_EQ(entries[2].operation, OutboxOperation::remove);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(entries[i].lead_id, lead.identity.id);
    EXPECT_EQ(entries[i].lead_version, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(entries[i].attempts, 0);
    EXPECT_TRUE(entries[i].lease_owner.empty());
  }
  EXPECT_EQ(entries[1].created_at, clock_.now());
}

TEST_P(StoreContract, WritesWithoutEnqueueRecordNoOutboxEntry) {
  WriteOptions from_crm;
  from_crm.enqueue = false;
  auto lead = create(lead_named("Ada"), from_crm);
  lead = store().update_lead(lead, from_crm).value();
  ASSERT_TRUE(store().tombstone_lead(lead.identity.id, from_crm).ok());

  EXPECT_TRUE(pending().empty());
  EXPECT_EQ(store().get_lead(lead.identity.id).value().identity.version, 3);
}

TEST_P(StoreContract, ClaimLeasesTheOldestEntriesInOrder) {
  const auto first = create(lead_named("First"));
  const auto second = create(lead_named("Second"));
  const auto third = create(lead_named("Third"));

  const auto claimed = claim("worker-a", 2, std::chrono::seconds{30});

  ASSERT_EQ(claimed.size(), 2U);
  EXPECT_EQ(claimed[0].lead_id, first.identity.id);
  EXPECT_EQ(claimed[1].lead_id, second.identity.id);
  EXPECT_LT(claimed[0].seq, claimed[1].seq);
  for (const auto& entry : claimed) {
    EXPECT_EQ(entry.lease_owner, "worker-a");
    EXPECT_EQ(entry.lease_until, clock_.now() + std::chrono::seconds{30});
  }
  const auto rest = claim("worker-b");
  ASSERT_EQ(rest.size(), 1U);
  EXPECT_EQ(rest[0].lead_id, third.identity.id);
  EXPECT_TRUE(claim("worker-c").empty());
}

TEST_P(StoreContract, AnExpiredLeaseLetsAnotherWorkerTakeTheEntry) {
  create(lead_named("Ada"));
  const auto held = claim("worker-a", 10, std::chrono::seconds{60});
  ASSERT_EQ(held.size(), 1U);

  clock_.advance(std::chrono::seconds{60});
  EXPECT_TRUE(claim("worker-b").empty()) << "the lease is valid up to and including lease_until";
  clock_.advance(std::chrono::milliseconds{1});
  const auto taken = claim("worker-b");

  EXPECT_EQ(seqs_of(taken), seqs_of(held));
  ASSERT_EQ(taken.size(), 1U);
  EXPECT_EQ(taken[0].lease_owner, "worker-b");
}

TEST_P(StoreContract, LeaseHoldersCountTheirUnexpiredEntries) {
  for (const char* name : {"A", "B", "C"}) {
    create(lead_named(name));
  }
  claim("host:100:0", 2, std::chrono::seconds{30});
  claim("host:200:0", 1, std::chrono::seconds{60});

  const auto holders = store().outbox_lease_holders().value();
  EXPECT_EQ(holders, (std::map<std::string, std::int64_t>{{"host:100:0", 2}, {"host:200:0", 1}}));
  clock_.advance(std::chrono::seconds{31});
  EXPECT_EQ(store().outbox_lease_holders().value(),
            (std::map<std::string, std::int64_t>{{"host:200:0", 1}}));
}

TEST_P(StoreContract, ReleasingAGoneWorkersLeasesFreesOnlyItsEntriesWithoutAnAttempt) {
  for (const char* name : {"A", "B", "C", "D"}) {
    create(lead_named(name));
  }
  const auto dead = claim("host:100:0", 1, std::chrono::seconds{120});
  const auto dead_too = claim("host:100:1", 1, std::chrono::seconds{120});
  const auto alive = claim("host:1000:0", 1, std::chrono::seconds{120});
  ASSERT_EQ(dead.size() + dead_too.size() + alive.size(), 3U);

  EXPECT_EQ(store().release_leases_of("host:100:").value(), 2);

  const auto retaken = claim("host:300:0");
  ASSERT_EQ(retaken.size(), 3U) << "the fourth lead's entry was free all along";
  EXPECT_EQ(retaken[0].seq, dead[0].seq);
  EXPECT_EQ(retaken[1].seq, dead_too[0].seq);
  EXPECT_NE(retaken[2].seq, alive[0].seq);
  EXPECT_EQ(retaken[0].attempts, 0);
  EXPECT_EQ(store().outbox_lease_holders().value().count("host:1000:0"), 1U);
  EXPECT_EQ(store().release_leases_of("host:100:").value(), 0);
  EXPECT_EQ(error_of(store().release_leases_of("")).category, ErrorCategory::invalid_argument);
}

TEST_P(StoreContract, ALeadsLaterChangeWaitsWhileItsEarlierChangeIsLeased) {
  auto x = create(lead_named("X"));
  x = store().update_lead(x).value();
  const auto y = create(lead_named("Y"));
  const auto by_a = claim("worker-a", 1);
  ASSERT_EQ(by_a.size(), 1U);
  ASSERT_EQ(by_a[0].lead_id, x.identity.id);

  const auto by_b = claim("worker-b");

  ASSERT_EQ(by_b.size(), 1U) << "X's second change must wait for its first";
  EXPECT_EQ(by_b[0].lead_id, y.identity.id);
  ASSERT_TRUE(store().complete_outbox(seqs_of(by_a), "worker-a").ok());
  const auto next = claim("worker-b");
  ASSERT_EQ(next.size(), 1U);
  EXPECT_EQ(next[0].lead_id, x.identity.id);
  EXPECT_EQ(next[0].lead_version, 2);
}

TEST_P(StoreContract, ALeadsLaterChangeWaitsWhileItsEarlierChangeIsDelayed) {
  auto x = create(lead_named("X"));
  x = store().update_lead(x).value();
  const auto first = claim("worker-a", 1);
  ASSERT_EQ(first.size(), 1U);
  ASSERT_TRUE(store()
                  .release_outbox(first[0].seq, "worker-a", "HTTP 503",
                                  clock_.now() + std::chrono::seconds{30})
                  .ok());

  EXPECT_TRUE(claim("worker-b").empty());
  clock_.advance(std::chrono::seconds{30});
  const auto retried = claim("worker-b");

  EXPECT_EQ(seqs_of(retried), seqs_of(first));
}

TEST_P(StoreContract, ClaimTakesAtMostTheLeadsOldestEntry) {
  auto x = create(lead_named("X"));
  x = store().update_lead(x).value();
  x = store().update_lead(x).value();

  const auto claimed = claim("worker-a");

  ASSERT_EQ(claimed.size(), 1U);
  EXPECT_EQ(claimed[0].lead_version, 1);
}

TEST_P(StoreContract, ClaimNeedsAWorkerNameAndAPositiveLease) {
  create(lead_named("Ada"));

  EXPECT_EQ(error_of(store().claim_outbox(ClaimRequest{"", 10, std::chrono::seconds{60}})).category,
            ErrorCategory::invalid_argument);
  EXPECT_EQ(error_of(store().claim_outbox(ClaimRequest{"w", 10, std::chrono::seconds{0}})).category,
            ErrorCategory::invalid_argument);
  EXPECT_EQ(store().stats().value().outbox_leased, 0);
}

TEST_P(StoreContract, CompleteByAWorkerThatLostTheLeaseFailsAndLeavesTheEntry) {
  create(lead_named("Ada"));
  const auto held = claim("worker-a", 10, std::chrono::seconds{10});
  clock_.advance(std::chrono::seconds{11});
  const auto taken = claim("worker-b", 10, std::chrono::seconds{10});
  ASSERT_EQ(seqs_of(taken), seqs_of(held));

  const auto late = store().complete_outbox(seqs_of(held), "worker-a");

  EXPECT_EQ(error_of(late).category, ErrorCategory::conflict);
  const auto entries = pending();
  ASSERT_EQ(entries.size(), 1U);
  EXPECT_EQ(entries[0].lease_owner, "worker-b");
  EXPECT_TRUE(store().complete_outbox(seqs_of(taken), "worker-b").ok());
  EXPECT_TRUE(pending().empty());
}

TEST_P(StoreContract, CompleteByTheHolderSucceedsAfterItsLeaseExpiredUntaken) {
  create(lead_named("Ada"));
  const auto held = claim("worker-a", 10, std::chrono::seconds{10});
  clock_.advance(std::chrono::seconds{11});

  EXPECT_TRUE(store().complete_outbox(seqs_of(held), "worker-a").ok());
  EXPECT_TRUE(pending().empty());
}

TEST_P(StoreContract, CompleteDeletesTheHeldEntriesAndReportsTheOthers) {
  create(lead_named("Ada"));
  create(lead_named("Grace"));
  const auto held = claim("worker-a", 1);
  const auto others = claim("worker-b", 1);
  ASSERT_EQ(held.size(), 1U);
  ASSERT_EQ(others.size(), 1U);

  const auto error = error_of(store().complete_outbox({held[0].seq, others[0].seq}, "worker-a"));

  EXPECT_EQ(error.category, ErrorCategory::conflict);
  EXPECT_NE(error.message.find(std::to_string(others[0].seq)), std::string::npos) << error.message;
  EXPECT_EQ(seqs_of(pending()), seqs_of(others));
}

TEST_P(StoreContract, CompleteOfAnUnknownEntryIsNotFound) {
  EXPECT_EQ(error_of(store().complete_outbox({4242}, "worker-a")).category,
            ErrorCategory::not_found);
}

TEST_P(StoreContract, ReleaseCountsTheAttemptKeepsTheErrorAndDelaysTheEntry) {
  create(lead_named("Ada"));
  const auto held = claim("worker-a");
  ASSERT_EQ(held.size(), 1U);
  const auto retry_at = clock_.now() + std::chrono::seconds{90};

  ASSERT_TRUE(store().release_outbox(held[0].seq, "worker-a", "HTTP 429 throttled", retry_at).ok());

  const auto entries = pending();
  ASSERT_EQ(entries.size(), 1U);
  EXPECT_EQ(entries[0].attempts, 1);
  EXPECT_EQ(entries[0].last_error, "HTTP 429 throttled");
  EXPECT_EQ(entries[0].not_before, retry_at);
  EXPECT_TRUE(entries[0].lease_owner.empty());
  EXPECT_FALSE(entries[0].lease_until.has_value());
  clock_.advance(std::chrono::seconds{89});
  EXPECT_TRUE(claim("worker-b").empty());
  clock_.advance(std::chrono::seconds{1});
  const auto again = claim("worker-b");
  ASSERT_EQ(again.size(), 1U);
  ASSERT_TRUE(store().release_outbox(again[0].seq, "worker-b", "HTTP 500", std::nullopt).ok());
  EXPECT_EQ(pending()[0].attempts, 2);
  EXPECT_EQ(pending()[0].last_error, "HTTP 500");
}

TEST_P(StoreContract, ReleaseByAWorkerThatDoesNotHoldTheEntryIsAConflict) {
  create(lead_named("Ada"));
  const auto held = claim("worker-a");
  ASSERT_EQ(held.size(), 1U);

  const auto error = error_of(store().release_outbox(held[0].seq, "worker-b", "x", std::nullopt));

  EXPECT_EQ(error.category, ErrorCategory::conflict);
  EXPECT_EQ(pending()[0].lease_owner, "worker-a");
  EXPECT_EQ(pending()[0].attempts, 0);
}

TEST_P(StoreContract, DeadLetteringMovesTheEntryAndRetryPutsItBackWithANewSeq) {
  const auto lead = create(lead_named("Ada"));
  const auto held = claim("worker-a");
  ASSERT_EQ(held.size(), 1U);
  auto error = Error::make(ErrorCategory::validation, "lastname is required");
  error.http_status = 400;
  error.service_code = "0x80040203";
  clock_.advance(std::chrono::seconds{3});

  const auto letter = store().dead_letter_outbox(held[0].seq, "worker-a", error).value();

  EXPECT_TRUE(pending().empty());
  EXPECT_EQ(letter.lead_id, lead.identity.id);
  EXPECT_EQ(letter.outbox_seq, held[0].seq);
  EXPECT_EQ(letter.operation, OutboxOperation::upsert);
  EXPECT_EQ(letter.error_category, "validation");
  EXPECT_EQ(letter.http_status, 400);
  EXPECT_EQ(letter.service_code, "0x80040203");
  EXPECT_EQ(letter.message, "lastname is required");
  EXPECT_EQ(letter.attempts, 1);
  EXPECT_EQ(letter.created_at, clock_.now());
  const auto listed = store().list_dead_letters(10).value();
  ASSERT_EQ(listed.size(), 1U);
  EXPECT_EQ(listed[0].id, letter.id);
  EXPECT_EQ(store().get_dead_letter(letter.id).value().message, "lastname is required");

  const auto requeued = store().retry_dead_letter(letter.id).value();

  EXPECT_GT(requeued.seq, held[0].seq);
  EXPECT_EQ(requeued.lead_id, lead.identity.id);
  EXPECT_EQ(requeued.lead_version, 1);
  EXPECT_EQ(requeued.attempts, 0);
  EXPECT_EQ(seqs_of(pending()), std::vector{requeued.seq});
  EXPECT_TRUE(store().list_dead_letters(10).value().empty());
  EXPECT_EQ(error_of(store().retry_dead_letter(letter.id)).category, ErrorCategory::not_found);
}

TEST_P(StoreContract, DeadLetteringByAWorkerThatDoesNotHoldTheEntryChangesNothing) {
  create(lead_named("Ada"));
  const auto held = claim("worker-a");
  ASSERT_EQ(held.size(), 1U);

  const auto result = store().dead_letter_outbox(held[0].seq, "worker-b",
                                                 Error::make(ErrorCategory::internal, "x"));

  EXPECT_EQ(error_of(result).category, ErrorCategory::conflict);
  EXPECT_EQ(pending().size(), 1U);
  EXPECT_TRUE(store().list_dead_letters(10).value().empty());
}

TEST_P(StoreContract, DroppedDeadLettersAreGoneAndUnknownOnesAreNotFound) {
  create(lead_named("Ada"));
  const auto held = claim("worker-a");
  ASSERT_EQ(held.size(), 1U);
  const auto letter =
      store()
          .dead_letter_outbox(held[0].seq, "worker-a", Error::make(ErrorCategory::protocol, "bad"))
          .value();

  ASSERT_TRUE(store().drop_dead_letter(letter.id).ok());

  EXPECT_EQ(error_of(store().get_dead_letter(letter.id)).category, ErrorCategory::not_found);
  EXPECT_EQ(error_of(store().drop_dead_letter(letter.id)).category, ErrorCategory::not_found);
  EXPECT_TRUE(pending().empty());
}

// ---- batches and batched lookups
// ---------------------------------------------------------------------

TEST_P(StoreContract, WriteBatchStoresEveryWriteItsOutboxEntryAndTheCheckpointTogether) {
  const auto existing = create(lead_named("Ada", "Lovelace"));
  clock_.advance(std::chrono::seconds{3});
  auto changed = existing;
  changed.person.job_title = "Analyst";
  std::vector<LeadWrite> writes;
  writes.push_back({WriteKind::create, lead_named("Grace", "Hopper"), {}});
  writes.push_back({WriteKind::update, changed, {}});
  writes.push_back({WriteKind::create, lead_named("Quiet", "Import"), {.enqueue = false}});

  const auto written =
      store().write_batch(writes, CheckpointValue{"import:abc", "{\"line\":120}"}).value();

  ASSERT_EQ(written.size(), 3U);
  EXPECT_EQ(written[0].person.first_name, "Grace");
  EXPECT_EQ(written[0].identity.version, 1);
  EXPECT_EQ(written[0].identity.created_at, clock_.now());
  EXPECT_EQ(written[1].identity.id, existing.identity.id);
  EXPECT_EQ(written[1].identity.version, 2);
  EXPECT_EQ(store().get_lead(written[0].identity.id).value().person.last_name, "Hopper");
  EXPECT_EQ(store().get_lead(existing.identity.id).value().person.job_title, "Analyst");
  EXPECT_EQ(store().get_lead(written[2].identity.id).value().person.first_name, "Quiet");
  EXPECT_EQ(store().get_checkpoint("import:abc").value(),
            std::optional<std::string>("{\"line\":120}"));
  const auto entries = pending();
  ASSERT_EQ(entries.size(), 3U); // the first create, then the batch's create and update
  EXPECT_EQ(entries[1].lead_id, written[0].identity.id);
  EXPECT_EQ(entries[2].lead_id, existing.identity.id);
  EXPECT_EQ(entries[2].lead_version, 2);
}

TEST_P(StoreContract, AFailingWriteFailsTheWholeBatchAndStoresNothingOfIt) {
  const auto existing = create(lead_named("Ada"));
  auto changed = existing;
  changed.person.job_title = "Analyst";
  ASSERT_TRUE(store().update_lead(changed).ok());
  auto stale = existing; // still version 1
  stale.person.job_title = "Engineer";
  std::vector<LeadWrite> writes;
  writes.push_back({WriteKind::create, lead_named("Grace", "Hopper"), {}});
  writes.push_back({WriteKind::update, stale, {}});

  const auto error = error_of(store().write_batch(writes, CheckpointValue{"import:abc", "1"}));

  EXPECT_EQ(error.category, ErrorCategory::conflict);
  EXPECT_NE(error.message.find("write 2 of 2"), std::string::npos) << error.message;
  EXPECT_EQ(store().stats().value().leads, 1);
  EXPECT_EQ(pending().size(), 2U);
  EXPECT_FALSE(store().get_checkpoint("import:abc").value().has_value());
}

TEST_P(StoreContract, WriteBatchRefusesTheSameLeadTwiceAndAnEmptyCheckpointName) {
  const auto existing = create(lead_named("Ada"));
  std::vector<LeadWrite> twice{{WriteKind::update, existing, {}},
                               {WriteKind::update, existing, {}}};

  const auto error = error_of(store().write_batch(twice, std::nullopt));

  EXPECT_EQ(error.category, ErrorCategory::invalid_argument);
  EXPECT_NE(error.message.find("twice"), std::string::npos) << error.message;
  EXPECT_EQ(error_of(store().write_batch({}, CheckpointValue{"", "x"})).category,
            ErrorCategory::invalid_argument);
  EXPECT_EQ(store().get_lead(existing.identity.id).value().identity.version, 1);
}

TEST_P(StoreContract, AnEmptyBatchStillStoresItsCheckpoint) {
  EXPECT_TRUE(store().write_batch({}, CheckpointValue{"import:abc", "done"}).value().empty());

  EXPECT_EQ(store().get_checkpoint("import:abc").value(), std::optional<std::string>("done"));
}

TEST_P(StoreContract, FindLeadsReturnsEachLeadHoldingAnyKeyOnceOldestFirst) {
  auto by_email = lead_named("Ada", "Lovelace");
  by_email.person.emails = {"Ada@Example.com"};
  by_email.company.domain = "example.com";
  auto by_phone = lead_named("Grace", "Hopper");
  model::Phone phone;
  phone.e164 = "+14155550100";
  by_phone.person.phones = {phone};
  auto by_domain = lead_named("Alan", "Turing");
  by_domain.company.domain = "Bletchley.org";
  auto unrelated = lead_named("Other", "Person");
  unrelated.person.emails = {"other@elsewhere.com"};
  const auto first = create(by_email);
  clock_.advance(std::chrono::seconds{1});
  const auto second = create(by_phone);
  clock_.advance(std::chrono::seconds{1});
  const auto third = create(by_domain);
  create(unrelated);

  LeadLookup lookup;
  lookup.emails = {"ADA@example.COM", "nobody@example.com"};
  lookup.phones = {"+14155550100"};
  lookup.domains = {"bletchley.org", "example.com"}; // Ada again, by her domain
  const auto found = store().find_leads(lookup).value();

  EXPECT_EQ(ids_of(found),
            (std::vector<std::string>{first.identity.id, second.identity.id, third.identity.id}));
  EXPECT_EQ(found[0].person.emails, by_email.person.emails);
}

TEST_P(StoreContract, FindLeadsLeavesOutTombstonesAndDomainMatchesCreatedLater) {
  auto early = lead_named("Early", "Bird");
  early.company.domain = "acme.com";
  auto gone = lead_named("Gone", "Away");
  gone.company.domain = "acme.com";
  const auto early_lead = create(early);
  ASSERT_TRUE(store().tombstone_lead(create(gone).identity.id).ok());
  clock_.advance(std::chrono::seconds{1});
  const auto import_started = clock_.now();
  auto late = lead_named("Late", "Comer");
  late.company.domain = "acme.com";
  late.person.emails = {"late@acme.com"};
  const auto late_lead = create(late);

  LeadLookup by_domain;
  by_domain.domains = {"acme.com"};
  by_domain.domain_created_before = import_started;
  EXPECT_EQ(ids_of(store().find_leads(by_domain).value()),
            std::vector<std::string>{early_lead.identity.id});

  by_domain.emails = {"late@acme.com"}; // the cut-off applies to domains only
  EXPECT_EQ(ids_of(store().find_leads(by_domain).value()),
            (std::vector<std::string>{early_lead.identity.id, late_lead.identity.id}));
  EXPECT_TRUE(store().find_leads(LeadLookup{}).value().empty());
}

TEST_P(StoreContract, ScanLookupKeysGivesEveryKeyFindLeadsMatchesOn) {
  auto lead = lead_named("Ada", "Lovelace");
  lead.person.emails = {"Ada@Example.com", "ada@analytical.org"};
  model::Phone phone;
  phone.e164 = "+14155550100";
  lead.person.phones = {phone};
  lead.company.domain = "Example.com";
  create(lead);
  create(lead_named("No", "Keys"));

  std::set<std::pair<LookupKind, std::string>> keys;
  ASSERT_TRUE(store()
                  .scan_lookup_keys([&keys](LookupKind kind, std::string_view key) {
                    keys.emplace(kind, std::string(key));
                  })
                  .ok());

  EXPECT_EQ(keys,
            (std::set<std::pair<LookupKind, std::string>>{{LookupKind::email, "ada@example.com"},
                                                          {LookupKind::email, "ada@analytical.org"},
                                                          {LookupKind::phone, "+14155550100"},
                                                          {LookupKind::domain, "example.com"}}));
}

TEST_P(StoreContract, ItsOwnWritesLeaveTheForeignWriteMarkerAlone) {
  const auto before = store().foreign_write_marker().value();
  create(lead_named("Ada", "Lovelace"));
  EXPECT_EQ(store().foreign_write_marker().value(), before);
}

// ---- checkpoints, runs, events, stats
// ---------------------------------------------------------------------

TEST_P(StoreContract, CheckpointsAreUpsertedAndListed) {
  EXPECT_FALSE(store().get_checkpoint("pull.delta").value().has_value());

  ASSERT_TRUE(store().put_checkpoint("pull.delta", "https://crm/leads?$deltatoken=1").ok());
  ASSERT_TRUE(store().put_checkpoint("pull.delta", "https://crm/leads?$deltatoken=2").ok());
  ASSERT_TRUE(store().put_checkpoint("import.resume", "row 120").ok());

  EXPECT_EQ(store().get_checkpoint("pull.delta").value(),
            std::optional<std::string>("https://crm/leads?$deltatoken=2"));
  EXPECT_EQ(store().list_checkpoints().value(),
            (std::map<std::string, std::string>{
                {"import.resume", "row 120"}, {"pull.delta", "https://crm/leads?$deltatoken=2"}}));
}

TEST_P(StoreContract, ACheckpointIsPutIfItStillHoldsWhatTheCallerRead) {
  // Two callers both read "no checkpoint": only the first takes it.
  EXPECT_TRUE(store().put_checkpoint_if("import:abc", std::nullopt, "run 1").value());
  EXPECT_FALSE(store().put_checkpoint_if("import:abc", std::nullopt, "run 2").value());
  EXPECT_EQ(store().get_checkpoint("import:abc").value(), std::optional<std::string>("run 1"));

  // Replacing needs the value that is stored now.
  EXPECT_FALSE(store().put_checkpoint_if("import:abc", "run 0", "run 3").value());
  EXPECT_TRUE(store().put_checkpoint_if("import:abc", "run 1", "run 3").value());
  EXPECT_EQ(store().get_checkpoint("import:abc").value(), std::optional<std::string>("run 3"));
  EXPECT_EQ(store().list_checkpoints().value().size(), 1U);
  EXPECT_EQ(store().put_checkpoint_if("", std::nullopt, "x").error().category,
            ErrorCategory::invalid_argument);
}

TEST_P(StoreContract, OfManyThreadsPuttingTheSameCheckpointIfUnchangedExactlyOneSucceeds) {
  std::atomic<int> succeeded{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      if (store()
              .put_checkpoint_if("import:race", std::nullopt, "run " + std::to_string(i))
              .value_or(false)) {
        ++succeeded;
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(succeeded.load(), 1);
}

TEST_P(StoreContract, RunsAreRecordedAndListedNewestFirst) {
  const auto import = store().begin_run("import").value();
  EXPECT_EQ(import.status, "running");
  EXPECT_EQ(import.started_at, clock_.now());
  clock_.advance(std::chrono::seconds{2});
  auto finished = import;
  finished.status = "partial";
  finished.counts = {{"read", 120}, {"created", 100}, {"rejected", 2}};
  finished.message = "2 rows rejected, see errors.csv";
  ASSERT_TRUE(store().finish_run(finished).ok());
  const auto push = store().begin_run("push").value();

  const auto runs = store().list_runs(10).value();

  ASSERT_EQ(runs.size(), 2U);
  EXPECT_EQ(runs[0].id, push.id);
  EXPECT_EQ(runs[0].status, "running");
  EXPECT_FALSE(runs[0].finished_at.has_value());
  EXPECT_EQ(runs[1].id, import.id);
  EXPECT_EQ(runs[1].kind, "import");
  EXPECT_EQ(runs[1].status, "partial");
  EXPECT_EQ(runs[1].finished_at, clock_.now());
  EXPECT_EQ(runs[1].counts, finished.counts);
  EXPECT_EQ(runs[1].message, finished.message);
  EXPECT_EQ(store().list_runs(1).value().size(), 1U);
}

TEST_P(StoreContract, FinishingAnUnknownRunIsNotFound) {
  RunRecord run;
  run.id = 999;
  run.status = "ok";

  EXPECT_EQ(error_of(store().finish_run(run)).category, ErrorCategory::not_found);
}

TEST_P(StoreContract, BehaviourEventsAreListedPerLeadInTimeOrder) {
  const auto ada = create(lead_named("Ada"));
  const auto grace = create(lead_named("Grace"));
  model::BehaviourEvent later;
  later.lead_id = ada.identity.id;
  later.kind = model::BehaviourKind::pricing_page_visit;
  later.occurred_at = clock_.now() - std::chrono::hours{1};
  later.detail = "https://example.com/pricing";
  later.weight = 2.5;
  model::BehaviourEvent earlier = later;
  earlier.kind = model::BehaviourKind::content_download;
  earlier.occurred_at = clock_.now() - std::chrono::hours{2};
  model::BehaviourEvent elsewhere = later;
  elsewhere.lead_id = grace.identity.id;

  const auto stored_later = store().add_event(later).value();
  const auto stored_earlier = store().add_event(earlier).value();
  ASSERT_TRUE(store().add_event(elsewhere).ok());

  EXPECT_NE(stored_later.id, stored_earlier.id);
  const auto events = store().list_events(ada.identity.id).value();
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[0].id, stored_earlier.id);
  EXPECT_EQ(events[0].kind, model::BehaviourKind::content_download);
  EXPECT_EQ(events[0].occurred_at, earlier.occurred_at);
  EXPECT_EQ(events[1].id, stored_later.id);
  EXPECT_EQ(events[1].kind, model::BehaviourKind::pricing_page_visit);
  EXPECT_EQ(events[1].lead_id, ada.identity.id);
  EXPECT_EQ(events[1].detail, "https://example.com/pricing");
  EXPECT_DOUBLE_EQ(events[1].weight, 2.5);
}

TEST_P(StoreContract, AnEventForAnUnknownLeadIsNotFound) {
  model::BehaviourEvent event;
  event.lead_id = Uuid::generate_v4(random_).to_string();
  event.occurred_at = clock_.now();

  EXPECT_EQ(error_of(store().add_event(event)).category, ErrorCategory::not_found);
}

TEST_P(StoreContract, AnEventKeepsItsEventIdAndAKnownIdIsNotAddedTwice) {
  const auto ada = create(lead_named("Ada"));
  model::BehaviourEvent event;
  event.lead_id = ada.identity.id;
  event.kind = model::BehaviourKind::email_click;
  event.occurred_at = clock_.now();
  event.event_id = "mailer:click:7";

  const auto stored = store().add_event(event).value();

  EXPECT_EQ(stored.event_id, "mailer:click:7");
  EXPECT_EQ(error_of(store().add_event(event)).category, ErrorCategory::already_exists);
  event.event_id.clear();
  ASSERT_TRUE(store().add_event(event).ok()) << "events without an id are always added";
  ASSERT_TRUE(store().add_event(event).ok());
  const auto events = store().list_events(ada.identity.id).value();
  ASSERT_EQ(events.size(), 3U);
  EXPECT_EQ(events[0].event_id, "mailer:click:7");
  EXPECT_EQ(events[1].event_id, "");
}

TEST_P(StoreContract, AddEventsStoresABatchAndSkipsKnownAndRepeatedEventIds) {
  const auto ada = create(lead_named("Ada"));
  const auto grace = create(lead_named("Grace"));
  model::BehaviourEvent known;
  known.lead_id = ada.identity.id;
  known.kind = model::BehaviourKind::page_visit;
  known.occurred_at = clock_.now() - std::chrono::hours{3};
  known.detail = "https://example.com/";
  known.event_id = "web-1";
  ASSERT_TRUE(store().add_event(known).ok());

  auto fresh = known;
  fresh.event_id = "web-2";
  fresh.occurred_at = clock_.now() - std::chrono::hours{2};
  auto for_grace = fresh;
  for_grace.lead_id = grace.identity.id;
  for_grace.event_id = "web-3";
  for_grace.kind = model::BehaviourKind::trial_usage;
  for_grace.weight = 4;
  auto without_id = fresh;
  without_id.event_id.clear();
  without_id.occurred_at = clock_.now() - std::chrono::hours{1};
  const std::vector<model::BehaviourEvent> batch = {known, fresh,      for_grace,
                                                    fresh, without_id, without_id};

  const auto result = store().add_events(batch).value();

  EXPECT_EQ(result.added, 4);
  EXPECT_EQ(result.duplicates, 2);
  EXPECT_EQ(result.duplicate_positions, (std::vector<std::size_t>{0, 3}));
  const auto ada_events = store().list_events(ada.identity.id).value();
  ASSERT_EQ(ada_events.size(), 4U);
  EXPECT_EQ(ada_events[0].event_id, "web-1");
  EXPECT_EQ(ada_events[1].event_id, "web-2");
  EXPECT_EQ(ada_events[2].event_id, "");
  EXPECT_EQ(ada_events[3].event_id, "");
  const auto grace_events = store().list_events(grace.identity.id).value();
  ASSERT_EQ(grace_events.size(), 1U);
  EXPECT_EQ(grace_events[0].event_id, "web-3");
  EXPECT_EQ(grace_events[0].kind, model::BehaviourKind::trial_usage);
  EXPECT_DOUBLE_EQ(grace_events[0].weight, 4.0);
  EXPECT_EQ(store().stats().value().behaviour_events, 5);

  const auto again = store().add_events(batch).value();
  EXPECT_EQ(again.added, 2) << "only the events without an id";
  EXPECT_EQ(again.duplicates, 4);
  EXPECT_EQ(again.duplicate_positions, (std::vector<std::size_t>{0, 1, 2, 3}));
}

TEST_P(StoreContract, AddEventsOfAnUnknownLeadStoresNothing) {
  const auto ada = create(lead_named("Ada"));
  model::BehaviourEvent good;
  good.lead_id = ada.identity.id;
  good.occurred_at = clock_.now();
  good.event_id = "ok-1";
  auto orphan = good;
  orphan.lead_id = Uuid::generate_v4(random_).to_string();
  orphan.event_id = "orphan-1";

  const auto failed = error_of(store().add_events({good, orphan}));

  EXPECT_EQ(failed.category, ErrorCategory::not_found);
  EXPECT_NE(failed.message.find("event 2 of 2"), std::string::npos) << failed.message;
  EXPECT_TRUE(store().list_events(ada.identity.id).value().empty());
  EXPECT_EQ(error_of(store().add_events({good, {}})).category, ErrorCategory::invalid_argument);
  EXPECT_EQ(store().add_events({good}).value().added, 1) << "nothing of the failed batch stayed";
  EXPECT_EQ(store().add_events({}).value().added, 0);
}

TEST_P(StoreContract, StatsCountLeadsOutboxDeadLettersAndEvents) {
  auto mql = lead_named("Mql");
  mql.qualification.stage = model::LifecycleStage::mql;
  const auto first = create(mql);
  create(lead_named("New one"));
  const auto gone = create(lead_named("Gone"));
  ASSERT_TRUE(store().tombstone_lead(gone.identity.id).ok());
  const auto held = claim("worker-a", 1);
  ASSERT_EQ(held.size(), 1U);
  ASSERT_TRUE(store()
                  .dead_letter_outbox(held[0].seq, "worker-a",
                                      Error::make(ErrorCategory::validation, "bad"))
                  .ok());
  ASSERT_EQ(claim("worker-a", 1).size(), 1U);
  model::BehaviourEvent event;
  event.lead_id = first.identity.id;
  event.occurred_at = clock_.now();
  ASSERT_TRUE(store().add_event(event).ok());

  const auto stats = store().stats().value();

  EXPECT_EQ(stats.leads, 2);
  EXPECT_EQ(stats.tombstones, 1);
  EXPECT_EQ(stats.leads_by_stage, (std::map<std::string, std::int64_t>{{"mql", 1}, {"new", 1}}));
  EXPECT_EQ(stats.outbox_leased, 1);
  EXPECT_EQ(stats.outbox_pending, 2);
  EXPECT_EQ(stats.dead_letters, 1);
  EXPECT_EQ(stats.behaviour_events, 1);
}

TEST_P(StoreContract, FourConcurrentWritersCreate400LeadsWith400OutboxEntries) {
  constexpr int writers = 4;
  constexpr int leads_per_writer = 100;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int writer = 0; writer < writers; ++writer) {
    threads.emplace_back([&, writer] {
      for (int i = 0; i < leads_per_writer; ++i) {
        auto lead = lead_named("Writer " + std::to_string(writer), "Lead " + std::to_string(i));
        if (!store().create_lead(lead).ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }

  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store().stats().value().leads, writers * leads_per_writer);
  const auto entries = pending();
  ASSERT_EQ(entries.size(), static_cast<std::size_t>(writers * leads_per_writer));
  std::set<std::string> lead_ids;
  for (const auto& entry : entries) {
    lead_ids.insert(entry.lead_id);
  }
  EXPECT_EQ(lead_ids.size(), entries.size());
}

// ---- the review queue of possible duplicates ----------------------------------------------------

TEST_P(StoreContract, APossibleDuplicatePairIsStoredOnceWithItsEvidence) {
  const auto a = store().create_lead(lead_named("Anna", "Lee")).value();
  const auto b = store().create_lead(lead_named("Anna", "Li")).value();
  DuplicatePair pair;
  pair.lead_a = a.identity.id;
  pair.lead_b = b.identity.id;
  pair.rule = "similar_name_at_domain";
  pair.score = 0.947;
  pair.evidence = "similar name at the same company";
  pair.source = "list.csv line 7";
  ASSERT_TRUE(store().write_batch({}, std::nullopt, {pair}).ok());
  auto reversed = pair;
  std::swap(reversed.lead_a, reversed.lead_b);
  reversed.rule = "other";
  ASSERT_TRUE(store().write_batch({}, std::nullopt, {reversed}).ok()) << "known: ignored";

  const auto open = store().list_duplicate_pairs(DuplicateStatus::open, 10).value();
  ASSERT_EQ(open.size(), 1U);
  EXPECT_EQ(open[0].lead_a, a.identity.id);
  EXPECT_EQ(open[0].lead_b, b.identity.id);
  EXPECT_EQ(open[0].rule, "similar_name_at_domain");
  EXPECT_DOUBLE_EQ(open[0].score, 0.947);
  EXPECT_EQ(open[0].evidence, pair.evidence);
  EXPECT_EQ(open[0].source, pair.source);
  EXPECT_EQ(open[0].created_at, clock_.now());
  EXPECT_FALSE(open[0].resolved_at.has_value());
  EXPECT_EQ(store().get_duplicate_pair(b.identity.id, a.identity.id).value(), open[0]);
  EXPECT_EQ(store().stats().value().possible_duplicates, 1);
}

TEST_P(StoreContract, AResolvedPairLeavesTheQueueAndStaysClosed) {
  const auto a = store().create_lead(lead_named("John", "Smith")).value();
  const auto b = store().create_lead(lead_named("John", "Smith")).value();
  DuplicatePair pair;
  pair.lead_a = a.identity.id;
  pair.lead_b = b.identity.id;
  pair.rule = "same_name_at_domain";
  ASSERT_TRUE(store().write_batch({}, std::nullopt, {pair}).ok());
  auto closed = pair;
  closed.status = DuplicateStatus::not_duplicate;
  ASSERT_TRUE(store().write_batch({}, std::nullopt, {closed}).ok());
  ASSERT_TRUE(store().write_batch({}, std::nullopt, {pair}).ok()) << "found again";

  EXPECT_TRUE(store().list_duplicate_pairs(DuplicateStatus::open, 10).value().empty());
  const auto kept = store().get_duplicate_pair(a.identity.id, b.identity.id).value();
  EXPECT_EQ(kept.status, DuplicateStatus::not_duplicate);
  EXPECT_TRUE(kept.resolved_at.has_value());
  EXPECT_EQ(store().stats().value().possible_duplicates, 0);
}

TEST_P(StoreContract, APairIsWrittenWithTheBatchOrNotAtAll) {
  const auto a = store().create_lead(lead_named("Olga")).value();
  DuplicatePair pair;
  pair.lead_a = a.identity.id;
  pair.lead_b = "not-a-uuid";
  pair.rule = "bridge";
  const auto written = store().write_batch({{WriteKind::create, lead_named("Ivan"), {}}},
                                           CheckpointValue{"import:x", "1"}, {pair});
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(store().stats().value().leads, 1) << "the batch's lead was not written either";
  EXPECT_FALSE(store().get_checkpoint("import:x").value().has_value());
  const auto missing = store().get_duplicate_pair(a.identity.id, Uuid::generate_v4().to_string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().category, ErrorCategory::not_found);
}

TEST_P(StoreContract, PairsAreFoundByRuleAndByLead) {
  std::vector<model::Lead> leads;
  for (const char* name : {"Anna", "Anne", "Ann"}) {
    leads.push_back(store().create_lead(lead_named(name, "Lee")).value());
  }
  const auto pair = [&](std::size_t a, std::size_t b, std::string rule) {
    DuplicatePair made;
    made.lead_a = leads[a].identity.id;
    made.lead_b = leads[b].identity.id;
    made.rule = std::move(rule);
    return made;
  };
  ASSERT_TRUE(store()
                  .write_batch({}, std::nullopt,
                               {pair(0, 1, "similar_name_at_domain"), pair(1, 2, "shared_phone"),
                                pair(0, 2, "similar_name_at_domain")})
                  .ok());
  const auto similar = store()
                           .find_duplicate_pairs({.status = DuplicateStatus::open,
                                                  .rule = "similar_name_at_domain",
                                                  .lead_id = {},
                                                  .limit = 100})
                           .value();
  ASSERT_EQ(similar.size(), 2U);
  EXPECT_EQ(similar[0].lead_b, leads[1].identity.id);
  EXPECT_EQ(similar[1].lead_b, leads[2].identity.id);
  const auto of_the_last = store()
                               .find_duplicate_pairs({.status = DuplicateStatus::open,
                                                      .rule = {},
                                                      .lead_id = leads[2].identity.id,
                                                      .limit = 100})
                               .value();
  ASSERT_EQ(of_the_last.size(), 2U) << "as lead_a or lead_b";
  EXPECT_EQ(of_the_last[0].rule, "shared_phone");
  EXPECT_EQ(store()
                .find_duplicate_pairs(
                    {.status = DuplicateStatus::open, .rule = {}, .lead_id = {}, .limit = 1})
                .value()
                .size(),
            1U);
  EXPECT_TRUE(store()
                  .find_duplicate_pairs(
                      {.status = DuplicateStatus::merged, .rule = {}, .lead_id = {}, .limit = 100})
                  .value()
                  .empty());
}

TEST_P(StoreContract, ScanPersonNamesVisitsEveryLiveLead) {
  ASSERT_TRUE(store().create_lead(lead_named("Anna", "Lee")).ok());
  const auto gone = store().create_lead(lead_named("Ivan", "Petrov")).value();
  ASSERT_TRUE(store().tombstone_lead(gone.identity.id).ok());
  std::vector<std::string> names;
  ASSERT_TRUE(store()
                  .scan_person_names([&](std::string_view first, std::string_view last) {
                    names.push_back(std::string(first) + " " + std::string(last));
                  })
                  .ok());
  EXPECT_EQ(names, std::vector<std::string>{"Anna Lee"});
}

// ---- enrichment: answer cache, usage ledger, pending lookups, feed index ------------------------

inline CachedAnswer cached_answer(std::string key, std::string answer, TimePoint fetched_at,
                                  std::chrono::seconds ttl, bool matched = true) {
  return CachedAnswer{.provider = "pdl",
                      .key = std::move(key),
                      .answer = std::move(answer),
                      .matched = matched,
                      .fetched_at = fetched_at,
                      .expires_at = fetched_at + ttl};
}

inline FeedRecord feed_record(std::int64_t line, std::string record, std::vector<FeedKey> keys) {
  return FeedRecord{.provider = "feed",
                    .path = "/data/feeds/a.csv",
                    .line = line,
                    .record = std::move(record),
                    .keys = std::move(keys)};
}

inline FeedFileState feed_file(std::string path, std::int64_t lines, TimePoint indexed_at) {
  return FeedFileState{.provider = "feed",
                       .path = std::move(path),
                       .size = lines * 100,
                       .mtime_ns = 1'790'000'000'123'456'789,
                       .digest = "sha256:" + std::to_string(lines),
                       .lines = lines,
                       .records = lines - 1,
                       .rejected = 1,
                       .indexed_at = indexed_at};
}

inline std::vector<std::int64_t> lines_of(const std::vector<FeedRecord>& records) {
  std::vector<std::int64_t> lines;
  for (const auto& record : records) {
    lines.push_back(record.line);
  }
  return lines;
}

TEST_P(StoreContract, ACachedAnswerIsReturnedUntilItExpires) {
  const auto now = clock_.now();
  const auto answer = cached_answer("person|email:anna@example.com", "{\"name\":\"Anna\"}", now,
                                    std::chrono::hours{24});
  EXPECT_FALSE(store().get_cached_answer("pdl", answer.key, now).value().has_value());

  ASSERT_TRUE(store().put_cached_answers({answer}).ok());

  EXPECT_EQ(store().get_cached_answer("pdl", answer.key, now).value().value().answer,
            answer.answer);
  const auto later = store().get_cached_answer("pdl", answer.key, now + std::chrono::hours{23});
  ASSERT_TRUE(later.value().has_value());
  EXPECT_EQ(later.value()->provider, "pdl");
  EXPECT_EQ(later.value()->key, answer.key);
  EXPECT_TRUE(later.value()->matched);
  EXPECT_EQ(later.value()->fetched_at, now);
  EXPECT_EQ(later.value()->expires_at, now + std::chrono::hours{24});
  EXPECT_FALSE(store()
                   .get_cached_answer("pdl", answer.key, now + std::chrono::hours{24})
                   .value()
                   .has_value())
      << "an answer is expired at its expiry time";
  EXPECT_FALSE(store().get_cached_answer("clearbit", answer.key, now).value().has_value())
      << "answers are kept per provider";
}

TEST_P(StoreContract, PuttingACachedAnswerAgainReplacesItAndMissesAreCachedToo) {
  const auto now = clock_.now();
  ASSERT_TRUE(store()
                  .put_cached_answers({cached_answer("k1", "old", now, std::chrono::hours{1}),
                                       cached_answer("k2", "", now, std::chrono::hours{1}, false)})
                  .ok());

  ASSERT_TRUE(store()
                  .put_cached_answers({cached_answer("k1", "new", now + std::chrono::minutes{30},
                                                     std::chrono::hours{2})})
                  .ok());

  const auto replaced = store().get_cached_answer("pdl", "k1", now + std::chrono::hours{2});
  ASSERT_TRUE(replaced.value().has_value());
  EXPECT_EQ(replaced.value()->answer, "new");
  EXPECT_EQ(replaced.value()->fetched_at, now + std::chrono::minutes{30});
  const auto miss = store().get_cached_answer("pdl", "k2", now).value();
  ASSERT_TRUE(miss.has_value());
  EXPECT_FALSE(miss->matched);
  EXPECT_EQ(miss->answer, "");
}

TEST_P(StoreContract, PuttingCachedAnswersWithoutAProviderOrKeyCachesNoneOfThem) {
  const auto now = clock_.now();
  auto keyless = cached_answer("", "x", now, std::chrono::hours{1});

  const auto error = error_of(
      store().put_cached_answers({cached_answer("k1", "a", now, std::chrono::hours{1}), keyless}));

  EXPECT_EQ(error.category, ErrorCategory::invalid_argument);
  EXPECT_NE(error.message.find("2 of 2"), std::string::npos) << error.message;
  EXPECT_FALSE(store().get_cached_answer("pdl", "k1", now).value().has_value());
}

TEST_P(StoreContract, PruningDeletesOnlyExpiredAnswersAndCountsThem) {
  const auto now = clock_.now();
  ASSERT_TRUE(store()
                  .put_cached_answers({cached_answer("short", "a", now, std::chrono::minutes{5}),
                                       cached_answer("exact", "b", now, std::chrono::minutes{10}),
                                       cached_answer("long", "c", now, std::chrono::hours{1})})
                  .ok());

  EXPECT_EQ(store().prune_cached_answers(now + std::chrono::minutes{10}).value(), 2);

  EXPECT_FALSE(store().get_cached_answer("pdl", "short", now).value().has_value());
  EXPECT_FALSE(store().get_cached_answer("pdl", "exact", now).value().has_value());
  EXPECT_TRUE(store().get_cached_answer("pdl", "long", now).value().has_value());
  EXPECT_EQ(store().prune_cached_answers(now + std::chrono::minutes{10}).value(), 0);
}

TEST_P(StoreContract, UsageIsZeroUntilRecordedAndAddsUpInEveryPeriodGiven) {
  EXPECT_EQ(store().get_usage("pdl", "2026-12-06").value(), ProviderUsage{});

  ASSERT_TRUE(
      store().add_usage("pdl", {"2026-12-06", "2026-12"}, {.requests = 1, .credits = 3}).ok());
  ASSERT_TRUE(
      store().add_usage("pdl", {"2026-12-07", "2026-12"}, {.requests = 2, .credits = 1}).ok());
  ASSERT_TRUE(store().add_usage("clearbit", {"2026-12"}, {.requests = 5, .credits = 0}).ok());

  EXPECT_EQ(store().get_usage("pdl", "2026-12-06").value(),
            (ProviderUsage{.requests = 1, .credits = 3}));
  EXPECT_EQ(store().get_usage("pdl", "2026-12-07").value(),
            (ProviderUsage{.requests = 2, .credits = 1}));
  EXPECT_EQ(store().get_usage("pdl", "2026-12").value(),
            (ProviderUsage{.requests = 3, .credits = 4}));
  EXPECT_EQ(store().get_usage("clearbit", "2026-12").value(),
            (ProviderUsage{.requests = 5, .credits = 0}));
  EXPECT_EQ(error_of(store().add_usage("", {"2026-12"}, {.requests = 1, .credits = 1})).category,
            ErrorCategory::invalid_argument);
  EXPECT_EQ(
      error_of(store().add_usage("pdl", {"2026-12", ""}, {.requests = 1, .credits = 1})).category,
      ErrorCategory::invalid_argument);
  EXPECT_EQ(store().get_usage("pdl", "2026-12").value(),
            (ProviderUsage{.requests = 3, .credits = 4}))
      << "a refused addition adds to no period";
}

TEST_P(StoreContract, ConcurrentUsageAdditionsAreAllCounted) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        EXPECT_TRUE(store()
                        .add_usage("pdl", {"2026-12-06", "2026-12"}, {.requests = 1, .credits = 2})
                        .ok());
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }

  EXPECT_EQ(store().get_usage("pdl", "2026-12").value(),
            (ProviderUsage{.requests = 100, .credits = 200}));
  EXPECT_EQ(store().get_usage("pdl", "2026-12-06").value(),
            (ProviderUsage{.requests = 100, .credits = 200}));
}

TEST_P(StoreContract, APendingLookupPutAgainKeepsItsCreationTime) {
  const auto created = clock_.now();
  PendingLookup pending{.provider = "pdl",
                        .key = "person|email:anna@example.com",
                        .lead_id = "0192f0c2-0000-7000-8000-000000000001",
                        .group = "person",
                        .not_before = created + std::chrono::minutes{5},
                        .attempts = 1,
                        .created_at = {}};
  ASSERT_TRUE(store().put_pending_lookup(pending).ok());
  clock_.advance(std::chrono::minutes{5});

  pending.not_before = clock_.now() + std::chrono::minutes{10};
  pending.attempts = 2;
  pending.created_at = clock_.now(); // the store keeps its own
  ASSERT_TRUE(store().put_pending_lookup(pending).ok());

  const auto listed = store().list_pending_lookups(10).value();
  ASSERT_EQ(listed.size(), 1U);
  auto expected = pending;
  expected.created_at = created;
  EXPECT_EQ(listed[0], expected);
}

TEST_P(StoreContract, PendingLookupsAreListedOldestNotBeforeFirstUpToTheLimit) {
  const auto now = clock_.now();
  const auto pending = [&](std::string key, std::string lead, std::chrono::minutes wait) {
    return PendingLookup{.provider = "pdl",
                         .key = std::move(key),
                         .lead_id = std::move(lead),
                         .group = "person",
                         .not_before = now + wait,
                         .attempts = 1,
                         .created_at = {}};
  };
  ASSERT_TRUE(store().put_pending_lookup(pending("k1", "lead-a", std::chrono::minutes{30})).ok());
  ASSERT_TRUE(store().put_pending_lookup(pending("k2", "lead-a", std::chrono::minutes{10})).ok());
  ASSERT_TRUE(store().put_pending_lookup(pending("k1", "lead-b", std::chrono::minutes{20})).ok());

  const auto keys_and_leads = [](const std::vector<PendingLookup>& lookups) {
    std::vector<std::string> names;
    for (const auto& lookup : lookups) {
      names.push_back(lookup.key + "/" + lookup.lead_id);
    }
    return names;
  };
  EXPECT_EQ(keys_and_leads(store().list_pending_lookups(10).value()),
            (std::vector<std::string>{"k2/lead-a", "k1/lead-b", "k1/lead-a"}));
  EXPECT_EQ(keys_and_leads(store().list_pending_lookups(2).value()),
            (std::vector<std::string>{"k2/lead-a", "k1/lead-b"}));

  ASSERT_TRUE(store().delete_pending_lookup("pdl", "k1", "lead-b").ok());
  ASSERT_TRUE(store().delete_pending_lookup("pdl", "k1", "lead-b").ok()) << "already gone: fine";
  EXPECT_EQ(keys_and_leads(store().list_pending_lookups(10).value()),
            (std::vector<std::string>{"k2/lead-a", "k1/lead-a"}));
  EXPECT_EQ(
      error_of(store().put_pending_lookup(pending("", "lead-a", std::chrono::minutes{1}))).category,
      ErrorCategory::invalid_argument);
}

TEST_P(StoreContract, AFeedFileIsStoredWithItsStateAndListedPerProvider) {
  const auto b = feed_file("/data/feeds/b.csv", 10, clock_.now());
  const auto a = feed_file("/data/feeds/a.csv", 20, clock_.now());
  auto other = a;
  other.provider = "other_feed";
  ASSERT_TRUE(store().replace_feed_file(b, {}, false).ok());
  ASSERT_TRUE(store().replace_feed_file(a, {}, false).ok());
  ASSERT_TRUE(store().replace_feed_file(other, {}, false).ok());

  EXPECT_EQ(store().get_feed_file("feed", "/data/feeds/a.csv").value(), std::optional(a));
  EXPECT_FALSE(store().get_feed_file("feed", "/data/feeds/c.csv").value().has_value());
  EXPECT_EQ(store().list_feed_files("feed").value(), (std::vector{a, b}));
  EXPECT_EQ(store().list_feed_files("other_feed").value(), std::vector{other});
}

TEST_P(StoreContract, ReplacingAFeedFileDropsItsRecordsAndAppendingKeepsThem) {
  const FeedKey email{.kind = FeedKeyKind::email, .value = "anna@example.com"};
  const auto first = feed_record(2, R"({"full_name":"Anna Lee"})", {email});
  ASSERT_TRUE(
      store()
          .replace_feed_file(feed_file("/data/feeds/a.csv", 2, clock_.now()), {first}, false)
          .ok());

  const auto appended = feed_record(3, R"({"full_name":"Anna Lee","job_title":"CTO"})", {email});
  auto grown = feed_file("/data/feeds/a.csv", 3, clock_.now() + std::chrono::minutes{1});
  ASSERT_TRUE(store().replace_feed_file(grown, {appended}, true).ok());

  EXPECT_EQ(store().find_feed_records("feed", email, 10).value(), (std::vector{first, appended}));
  EXPECT_EQ(store().get_feed_file("feed", "/data/feeds/a.csv").value(), std::optional(grown));

  const auto rewritten = feed_record(2, R"({"full_name":"Anna Lee-Smith"})", {email});
  ASSERT_TRUE(
      store()
          .replace_feed_file(feed_file("/data/feeds/a.csv", 2, clock_.now()), {rewritten}, false)
          .ok());

  EXPECT_EQ(store().find_feed_records("feed", email, 10).value(), std::vector{rewritten});
}

TEST_P(StoreContract, RemovingAFeedFileDropsItsRecordsButNotOtherFiles) {
  const FeedKey phone{.kind = FeedKeyKind::phone, .value = "+14155550100"};
  ASSERT_TRUE(store()
                  .replace_feed_file(feed_file("/data/feeds/a.csv", 2, clock_.now()),
                                     {feed_record(2, "{}", {phone})}, false)
                  .ok());
  auto in_b = feed_record(5, "{}", {phone});
  in_b.path = "/data/feeds/b.csv";
  ASSERT_TRUE(store()
                  .replace_feed_file(feed_file("/data/feeds/b.csv", 5, clock_.now()), {in_b}, false)
                  .ok());

  ASSERT_TRUE(store().remove_feed_file("feed", "/data/feeds/a.csv").ok());

  EXPECT_FALSE(store().get_feed_file("feed", "/data/feeds/a.csv").value().has_value());
  EXPECT_EQ(store().find_feed_records("feed", phone, 10).value(), std::vector{in_b});
  EXPECT_TRUE(store().remove_feed_file("feed", "/data/feeds/a.csv").ok()) << "already gone: fine";
}

TEST_P(StoreContract, FeedRecordsAreFoundByEachKindOfKeyInPathAndLineOrderUpToTheLimit) {
  const FeedKey email{.kind = FeedKeyKind::email, .value = "anna@example.com"};
  const FeedKey phone{.kind = FeedKeyKind::phone, .value = "+14155550100"};
  const FeedKey profile{.kind = FeedKeyKind::profile, .value = "linkedin.com/in/annalee"};
  const FeedKey domain{.kind = FeedKeyKind::domain, .value = "example.com"};
  const auto line9 = feed_record(9, R"({"n":9})", {domain, email, phone});
  const auto line4 = feed_record(4, R"({"n":4})", {profile, domain});
  auto in_b = feed_record(1, R"({"n":1})", {domain});
  in_b.path = "/data/feeds/b.csv";
  ASSERT_TRUE(store()
                  .replace_feed_file(feed_file("/data/feeds/b.csv", 1, clock_.now()), {in_b}, false)
                  .ok());
  ASSERT_TRUE(
      store()
          .replace_feed_file(feed_file("/data/feeds/a.csv", 9, clock_.now()), {line9, line4}, false)
          .ok());

  EXPECT_EQ(store().find_feed_records("feed", email, 10).value(), std::vector{line9});
  EXPECT_EQ(store().find_feed_records("feed", phone, 10).value(), std::vector{line9});
  EXPECT_EQ(store().find_feed_records("feed", profile, 10).value(), std::vector{line4});
  EXPECT_EQ(store().find_feed_records("feed", domain, 10).value(),
            (std::vector{line4, line9, in_b}));
  EXPECT_EQ(lines_of(store().find_feed_records("feed", domain, 2).value()),
            (std::vector<std::int64_t>{4, 9}));
  EXPECT_TRUE(store().find_feed_records("feed", domain, 0).value().empty());
  EXPECT_TRUE(
      store()
          .find_feed_records("feed", {.kind = FeedKeyKind::email, .value = "example.com"}, 10)
          .value()
          .empty())
      << "a key matches only keys of its kind";
  EXPECT_TRUE(store().find_feed_records("other_feed", domain, 10).value().empty());
}

TEST_P(StoreContract, AFeedRecordOfAnotherFileIsRefusedAndNothingIsIndexed) {
  auto stray = feed_record(1, "{}", {{.kind = FeedKeyKind::email, .value = "a@example.com"}});
  stray.path = "/data/feeds/other.csv";

  const auto error = error_of(
      store().replace_feed_file(feed_file("/data/feeds/a.csv", 1, clock_.now()), {stray}, false));

  EXPECT_EQ(error.category, ErrorCategory::invalid_argument);
  EXPECT_FALSE(store().get_feed_file("feed", "/data/feeds/a.csv").value().has_value());
}

TEST_P(StoreContract, ListFiltersByWhetherEnrichmentLookedAtTheLeadPageByPage) {
  std::vector<std::string> enriched;
  std::vector<std::string> not_enriched;
  for (int i = 0; i < 12; ++i) {
    auto lead = lead_named("Lead " + std::to_string(i));
    if (i % 3 == 0) {
      lead.enriched_at = clock_.now();
    }
    const auto created = create(lead);
    (i % 3 == 0 ? enriched : not_enriched).push_back(created.identity.id);
    clock_.advance(std::chrono::milliseconds{1});
  }
  const auto list_all = [&](bool want) {
    LeadFilter filter;
    filter.enriched = want;
    std::vector<std::string> listed;
    PageRequest page{3, ""};
    int pages = 0;
    do {
      const auto result = store().list_leads(filter, page).value();
      for (const auto& lead : result.leads) {
        EXPECT_EQ(lead.enriched_at.has_value(), want) << lead.identity.id;
        listed.push_back(lead.identity.id);
      }
      page.after = result.next;
    } while (!page.after.empty() && ++pages < 10);
    return listed;
  };

  EXPECT_EQ(list_all(true), enriched);
  EXPECT_EQ(list_all(false), not_enriched);
  EXPECT_EQ(store().list_leads({}, {}).value().leads.size(), 12U) << "no filter: all of them";
}

TEST_P(StoreContract, EnrichmentTimeSetByAnUpdateOrABatchIsFilteredOn) {
  const auto updated = create(lead_named("Updated"));
  clock_.advance(std::chrono::milliseconds{1});
  const auto batched = create(lead_named("Batched"));
  clock_.advance(std::chrono::milliseconds{1});
  const auto untouched = create(lead_named("Untouched"));
  clock_.advance(std::chrono::milliseconds{1});
  auto update = updated;
  update.enriched_at = clock_.now();
  ASSERT_TRUE(store().update_lead(update).ok());
  auto in_batch = batched;
  in_batch.enriched_at = clock_.now();
  auto created_enriched = lead_named("Created");
  created_enriched.enriched_at = clock_.now();
  const auto written = store()
                           .write_batch({{WriteKind::update, in_batch, {}},
                                         {WriteKind::create, created_enriched, {}}},
                                        std::nullopt)
                           .value();

  LeadFilter enriched;
  enriched.enriched = true;
  EXPECT_EQ(ids_of(store().list_leads(enriched, {}).value().leads),
            (std::vector{updated.identity.id, batched.identity.id, written[1].identity.id}));
  LeadFilter not_enriched;
  not_enriched.enriched = false;
  EXPECT_EQ(ids_of(store().list_leads(not_enriched, {}).value().leads),
            std::vector{untouched.identity.id});

  // A tombstone keeps its enrichment time; tombstones are listed only when asked for.
  ASSERT_TRUE(store().tombstone_lead(updated.identity.id).ok());
  enriched.include_deleted = true;
  EXPECT_EQ(ids_of(store().list_leads(enriched, {}).value().leads).front(), updated.identity.id);
  // Clearing it makes the lead one to enrich again.
  auto cleared = store().get_lead(batched.identity.id).value();
  cleared.enriched_at.reset();
  ASSERT_TRUE(store().update_lead(cleared).ok());
  EXPECT_EQ(ids_of(store().list_leads(not_enriched, {}).value().leads),
            (std::vector{batched.identity.id, untouched.identity.id}));
}

} // namespace leadsync::store::testing
