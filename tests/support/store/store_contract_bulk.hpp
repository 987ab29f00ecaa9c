#pragma once
// Bulk writes (WriteOptions::bulk_load, Store::finish_bulk_load): whatever a store does with the
// keys of a bulk load, every lookup finds them at once, before and after finish_bulk_load, from
// this handle and from another one. Include after store_contract.hpp, from the same translation
// unit.

#include "support/store/store_contract.hpp"

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace leadsync::store::testing {

inline std::vector<std::string> ids_found(const Result<std::vector<model::Lead>>& found) {
  std::vector<std::string> ids;
  for (const auto& lead : found.value()) {
    ids.push_back(lead.identity.id);
  }
  return ids;
}

inline LeadWrite bulk_write(WriteKind kind, model::Lead lead) {
  return {.kind = kind,
          .lead = std::move(lead),
          .options = {.enqueue = true, .operation = OutboxOperation::upsert, .bulk_load = true}};
}

inline model::Lead bulk_lead(const std::string& first, const std::string& email,
                             const std::string& e164) {
  auto lead = lead_named(first, "Bulk");
  lead.person.emails = {email};
  model::Phone phone;
  phone.raw = e164;
  phone.e164 = e164;
  lead.person.phones = {phone};
  return lead;
}

inline std::set<std::pair<LookupKind, std::string>> lookup_keys_of(Store& store) {
  std::set<std::pair<LookupKind, std::string>> keys;
  EXPECT_TRUE(store
                  .scan_lookup_keys([&keys](LookupKind kind, std::string_view key) {
                    keys.emplace(kind, std::string(key));
                  })
                  .ok());
  return keys;
}

TEST_P(StoreContract, EveryLookupFindsTheLeadsOfABulkLoadBeforeAndAfterItIsFinished) {
  std::vector<LeadWrite> writes;
  writes.push_back(bulk_write(WriteKind::create, bulk_lead("Ada", "Ada@Example.com", "+4930111")));
  writes.push_back(bulk_write(WriteKind::create, bulk_lead("Bob", "bob@example.com", "+4930222")));
  const auto written = store().write_batch(std::move(writes), std::nullopt).value();
  const auto ada = written[0].identity.id;
  const auto bob = written[1].identity.id;
  const auto another = open_another();

  for (int finished = 0; finished < 2; ++finished) {
    SCOPED_TRACE(finished == 0 ? "before finish_bulk_load" : "after finish_bulk_load");
    for (Store* handle : {&store(), another.get()}) {
      if (handle == nullptr) {
        continue;
      }
      EXPECT_EQ(ids_found(handle->find_by_email("ADA@example.COM")), std::vector{ada});
      EXPECT_EQ(ids_found(handle->find_by_phone("+4930222")), std::vector{bob});
      LeadLookup lookup;
      lookup.emails = {"bob@example.com"};
      lookup.phones = {"+4930111"};
      EXPECT_EQ(ids_found(handle->find_leads(lookup)), (std::vector{ada, bob}));
      const auto keys = lookup_keys_of(*handle);
      EXPECT_TRUE(keys.contains({LookupKind::email, "ada@example.com"}));
      EXPECT_TRUE(keys.contains({LookupKind::phone, "+4930222"}));
    }
    ASSERT_TRUE(store().finish_bulk_load().ok());
  }
  EXPECT_EQ(pending().size(), 2U); // bulk writes are pushed like any other
}

TEST_P(StoreContract, AFinishedBulkLoadIsFoundByLookupsThatSkipUnfinishedOnes) {
  auto lead = bulk_lead("Ada", "ada@example.com", "+4930111");
  lead.company.domain = "Example.com";
  std::vector<LeadWrite> writes;
  writes.push_back(bulk_write(WriteKind::create, lead));
  const auto id = store().write_batch(std::move(writes), std::nullopt).value().front().identity.id;
  LeadLookup by_domain;
  by_domain.domains = {"example.com"};
  by_domain.domain_created_before = clock_.now() + std::chrono::seconds{1};
  EXPECT_EQ(ids_found(store().find_leads(by_domain)), std::vector{id});
  EXPECT_EQ(ids_found(store().find_by_domain("EXAMPLE.com")), std::vector{id});
  by_domain.domain_created_before = clock_.now();
  EXPECT_TRUE(store().find_leads(by_domain).value().empty())
      << "created at the time given, not before it";

  ASSERT_TRUE(store().finish_bulk_load().ok());

  LeadLookup skipping;
  skipping.emails = {"ada@example.com"};
  skipping.skip_unfinished_bulk_loads = true;
  EXPECT_EQ(ids_found(store().find_leads(skipping)), std::vector{id});
  skipping.emails.clear();
  skipping.domains = {"example.com"};
  skipping.domain_created_before = clock_.now() + std::chrono::seconds{1};
  EXPECT_EQ(ids_found(store().find_leads(skipping)), std::vector{id});
}

TEST_P(StoreContract, ABulkUpdateReplacesTheKeysOfTheLeadWhereverTheyWere) {
  // One lead indexed by a plain write, one left in a bulk load's keys.
  const auto plain = create(bulk_lead("Ada", "ada@example.com", "+4930111"));
  std::vector<LeadWrite> first;
  first.push_back(bulk_write(WriteKind::create, bulk_lead("Bob", "bob@example.com", "+4930222")));
  const auto bulk = store().write_batch(std::move(first), std::nullopt).value().front();

  auto plain_changed = plain;
  plain_changed.person.emails = {"ada@new.example"};
  auto bulk_changed = bulk;
  bulk_changed.person.emails = {"bob@new.example"};
  bulk_changed.person.phones.clear();
  std::vector<LeadWrite> updates;
  updates.push_back(bulk_write(WriteKind::update, plain_changed));
  updates.push_back(bulk_write(WriteKind::update, bulk_changed));
  ASSERT_TRUE(store().write_batch(std::move(updates), std::nullopt).ok());

  for (int finished = 0; finished < 2; ++finished) {
    SCOPED_TRACE(finished == 0 ? "before finish_bulk_load" : "after finish_bulk_load");
    EXPECT_TRUE(store().find_by_email("ada@example.com").value().empty());
    EXPECT_TRUE(store().find_by_email("bob@example.com").value().empty());
    EXPECT_TRUE(store().find_by_phone("+4930222").value().empty());
    EXPECT_EQ(ids_found(store().find_by_email("ada@new.example")), std::vector{plain.identity.id});
    EXPECT_EQ(ids_found(store().find_by_phone("+4930111")), std::vector{plain.identity.id});
    EXPECT_EQ(ids_found(store().find_by_email("bob@new.example")), std::vector{bulk.identity.id});
    const auto keys = lookup_keys_of(store());
    EXPECT_FALSE(keys.contains({LookupKind::email, "bob@example.com"}));
    EXPECT_FALSE(keys.contains({LookupKind::phone, "+4930222"}));
    ASSERT_TRUE(store().finish_bulk_load().ok());
  }
}

TEST_P(StoreContract, APlainUpdateOrATombstoneOfABulkLoadedLeadDropsItsOldKeys) {
  std::vector<LeadWrite> writes;
  writes.push_back(bulk_write(WriteKind::create, bulk_lead("Ada", "ada@example.com", "+4930111")));
  writes.push_back(bulk_write(WriteKind::create, bulk_lead("Bob", "bob@example.com", "+4930222")));
  const auto written = store().write_batch(std::move(writes), std::nullopt).value();
  auto ada = written[0];
  ada.person.emails = {"ada@new.example"};
  ASSERT_TRUE(store().update_lead(ada).ok());
  ASSERT_TRUE(store().tombstone_lead(written[1].identity.id).ok());
  ASSERT_TRUE(store().finish_bulk_load().ok());

  EXPECT_TRUE(store().find_by_email("ada@example.com").value().empty());
  EXPECT_EQ(ids_found(store().find_by_email("ada@new.example")), std::vector{ada.identity.id});
  EXPECT_EQ(ids_found(store().find_by_phone("+4930111")), std::vector{ada.identity.id});
  EXPECT_TRUE(store().find_by_email("bob@example.com").value().empty());
  EXPECT_FALSE(lookup_keys_of(store()).contains({LookupKind::email, "ada@example.com"}));
}

TEST_P(StoreContract, FinishingABulkLoadWithNothingLeftDoesNothing) {
  ASSERT_TRUE(store().finish_bulk_load().ok());
  const auto lead = create(bulk_lead("Ada", "ada@example.com", "+4930111"));
  ASSERT_TRUE(store().finish_bulk_load().ok());
  EXPECT_EQ(ids_found(store().find_by_email("ada@example.com")), std::vector{lead.identity.id});
}

} // namespace leadsync::store::testing
