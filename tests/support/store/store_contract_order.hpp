#pragma once
// The Store contract where order and atomicity meet concurrency (issue 16): several workers, each
// a handle of its own on one store (open_another: another process), claiming the outbox from many
// threads; writes and checkpoints seen across handles; and batches large enough for an
// implementation's bulk path (the PostgreSQL store COPYs batches of more than 64 writes). Part of
// the StoreContract suite: include it right after store_contract.hpp, from the one translation
// unit per test executable that includes that.

#include "support/store/store_contract.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace leadsync::store::testing::order_contract {

// A lead with keys of its own: e-mail "<tag>-<n>@example.com", phone +1415555<nnnn>, domain
// "<tag>-<n>.example".
inline model::Lead keyed_lead(const std::string& tag, int n) {
  auto lead = lead_named("Lead " + std::to_string(n), tag);
  lead.person.emails = {tag + "-" + std::to_string(n) + "@Example.com"};
  model::Phone phone;
  phone.e164 = "+1415555" + std::string(4 - std::to_string(n).size(), '0') + std::to_string(n);
  lead.person.phones = {phone};
  lead.company.domain = tag + "-" + std::to_string(n) + ".example";
  return lead;
}

inline std::vector<std::string> lead_ids_of(const std::vector<OutboxEntry>& entries) {
  std::vector<std::string> ids;
  for (const auto& entry : entries) {
    ids.push_back(entry.lead_id);
  }
  return ids;
}

} // namespace leadsync::store::testing::order_contract

namespace leadsync::store::testing {

// ---- two workers claiming at once
// ----------------------------------------------------------------------------------------------

// Two handles (two processes), 8 threads each, drain 200 leads x 5 changes. Each thread claims a
// few entries, notes each in a shared ledger, then completes it. A store that handed out an entry
// twice, or a lead's change while an earlier change of that lead was not yet completed, shows in
// the ledger: the earlier change would not be noted yet when the later one is claimed.
TEST_P(StoreContract, TwoWorkersClaimingFromManyThreadsCompleteEveryChangeOnceAndEachLeadsInOrder) {
  auto other = open_another();
  if (!other) {
    GTEST_SKIP() << "this implementation has no second handle on one store";
  }
  constexpr int leads = 200;
  constexpr int changes = 5;
  constexpr int threads_per_handle = 8;
  constexpr int total = leads * changes;
  // Batches of all leads, so that the changes of the leads interleave in the outbox.
  std::vector<LeadWrite> creates;
  for (int i = 0; i < leads; ++i) {
    creates.push_back({WriteKind::create, lead_named("Lead", std::to_string(i)), {}});
  }
  auto written = store().write_batch(std::move(creates), std::nullopt).value();
  for (int change = 1; change < changes; ++change) {
    std::vector<LeadWrite> updates;
    for (const auto& lead : written) {
      updates.push_back({WriteKind::update, lead, {}});
    }
    written = store().write_batch(std::move(updates), std::nullopt).value();
  }
  ASSERT_EQ(pending().size(), static_cast<std::size_t>(total));

  std::mutex mutex;
  std::set<std::int64_t> claimed;                             // every seq handed out
  std::map<std::string, std::vector<std::int64_t>> completed; // per lead: versions, in order
  std::vector<std::string> problems;
  int done = 0;
  const auto work = [&](Store& handle, const std::string& worker) {
    // A safety net for a store that stops handing out work, not a timing assumption.
    const auto give_up_at = std::chrono::steady_clock::now() + std::chrono::minutes{2};
    for (;;) {
      {
        std::lock_guard lock(mutex);
        if (done == total || !problems.empty()) {
          return;
        }
      }
      if (std::chrono::steady_clock::now() > give_up_at) {
        std::lock_guard lock(mutex);
        problems.push_back(worker + " found no more work with " + std::to_string(done) + " of " +
                           std::to_string(total) + " changes completed");
        return;
      }
      auto entries = handle.claim_outbox(ClaimRequest{worker, 3, std::chrono::seconds{60}});
      if (!entries.ok()) {
        std::lock_guard lock(mutex);
        problems.push_back(worker + " could not claim: " + entries.error().describe());
        return;
      }
      if (entries->empty()) {
        std::this_thread::yield();
        continue;
      }
      for (const auto& entry : *entries) {
        {
          std::lock_guard lock(mutex);
          if (!claimed.insert(entry.seq).second) {
            problems.push_back("entry " + std::to_string(entry.seq) + " was claimed twice");
          }
          auto& versions = completed[entry.lead_id];
          if (static_cast<std::int64_t>(versions.size()) + 1 != entry.lead_version) {
            problems.push_back(worker + " got version " + std::to_string(entry.lead_version) +
                               " of lead " + entry.lead_id + " after " +
                               std::to_string(versions.size()) + " of its changes");
          }
          versions.push_back(entry.lead_version);
        }
        const auto finished = handle.complete_outbox({entry.seq}, worker);
        std::lock_guard lock(mutex);
        if (!finished.ok()) {
          problems.push_back(worker + " could not complete entry " + std::to_string(entry.seq) +
                             ": " + finished.error().describe());
        }
        ++done;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < threads_per_handle; ++t) {
    threads.emplace_back(work, std::ref(store()), "host-a:100:" + std::to_string(t));
    threads.emplace_back(work, std::ref(*other), "host-b:200:" + std::to_string(t));
  }
  for (auto& thread : threads) {
    thread.join();
  }

  EXPECT_EQ(problems, std::vector<std::string>{});
  EXPECT_EQ(done, total);
  EXPECT_EQ(claimed.size(), static_cast<std::size_t>(total));
  ASSERT_EQ(completed.size(), static_cast<std::size_t>(leads));
  for (const auto& [lead, versions] : completed) {
    EXPECT_EQ(versions, (std::vector<std::int64_t>{1, 2, 3, 4, 5})) << lead;
  }
  EXPECT_TRUE(pending().empty());
}

TEST_P(StoreContract, OfTwoHandlesPuttingTheSameCheckpointIfUnchangedExactlyOneSucceeds) {
  auto other = open_another();
  if (!other) {
    GTEST_SKIP() << "this implementation has no second handle on one store";
  }
  ASSERT_TRUE(store().put_checkpoint("import:race", "read by all").ok());
  std::atomic<int> created{0};
  std::atomic<int> replaced{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    Store& handle = i % 2 == 0 ? store() : *other;
    threads.emplace_back([&, i] {
      const auto value = "run " + std::to_string(i);
      if (handle.put_checkpoint_if("import:new", std::nullopt, value).value_or(false)) {
        ++created;
      }
      if (handle.put_checkpoint_if("import:race", "read by all", value).value_or(false)) {
        ++replaced;
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }

  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(replaced.load(), 1);
  EXPECT_NE(other->get_checkpoint("import:race").value(),
            std::optional<std::string>("read by all"));
}

TEST_P(StoreContract, AWriteThroughAnotherHandleChangesTheForeignWriteMarker) {
  auto other = open_another();
  if (!other) {
    GTEST_SKIP() << "this implementation has no second handle on one store";
  }
  const auto before = store().foreign_write_marker().value();
  create(lead_named("Mine"));
  EXPECT_EQ(store().foreign_write_marker().value(), before) << "its own write";

  ASSERT_TRUE(other->create_lead(lead_named("Theirs")).ok());

  EXPECT_NE(store().foreign_write_marker().value(), before);
}

// ---- batches for bulk paths
// ----------------------------------------------------------------------------------------------

// 100 updates interleaved with 150 creates, some not enqueued: all of it lands as one write at a
// time would have it, outbox entries in batch order.
TEST_P(StoreContract, ABatchOfHundredsOfWritesStoresEachWithItsLookupsAndOutboxEntryInOrder) {
  using order_contract::keyed_lead;
  WriteOptions quiet;
  quiet.enqueue = false;
  std::vector<model::Lead> existing;
  for (int i = 0; i < 100; ++i) {
    existing.push_back(create(keyed_lead("old", i), quiet));
  }
  const auto created_at = clock_.now();
  clock_.advance(std::chrono::seconds{7});
  std::vector<LeadWrite> writes;
  std::vector<std::string> expected_outbox; // the enqueued writes' leads, in batch order
  for (std::size_t i = 0; i < 250; ++i) {
    if (i % 5 < 2) { // two of every five writes update, in the order of the leads
      auto changed = existing[i / 5 * 2 + i % 5];
      changed.person.emails = {"changed-" + std::to_string(i) + "@example.com"};
      changed.person.phones.clear();
      changed.person.job_title = "Changed";
      writes.push_back({WriteKind::update, changed, {}});
    } else {
      writes.push_back({WriteKind::create, keyed_lead("new", static_cast<int>(i)),
                        i % 10 == 3 ? quiet : WriteOptions{}});
    }
  }
  ASSERT_EQ(std::count_if(writes.begin(), writes.end(),
                          [](const LeadWrite& w) { return w.kind == WriteKind::update; }),
            100);

  const auto written = store().write_batch(writes, CheckpointValue{"import:bulk", "250"}).value();

  ASSERT_EQ(written.size(), writes.size());
  for (std::size_t i = 0; i < writes.size(); ++i) {
    const auto& lead = written[i];
    EXPECT_EQ(lead.identity.updated_at, clock_.now()) << i;
    if (writes[i].kind == WriteKind::update) {
      EXPECT_EQ(lead.identity.id, writes[i].lead.identity.id) << i;
      EXPECT_EQ(lead.identity.version, 2) << i;
      EXPECT_EQ(lead.identity.created_at, created_at) << i;
    } else {
      EXPECT_EQ(lead.identity.version, 1) << i;
      EXPECT_EQ(lead.identity.created_at, clock_.now()) << i;
    }
    if (writes[i].options.enqueue) {
      expected_outbox.push_back(lead.identity.id);
    }
  }
  EXPECT_EQ(order_contract::lead_ids_of(pending()), expected_outbox);
  EXPECT_EQ(store().get_checkpoint("import:bulk").value(), std::optional<std::string>("250"));

  // Updates replaced their lookups; creates have theirs.
  const auto& updated = written[0];
  EXPECT_EQ(store().get_lead(updated.identity.id).value().person.job_title, "Changed");
  EXPECT_EQ(store().get_lead(updated.identity.id).value().identity.version, 2);
  EXPECT_EQ(ids_of(store().find_by_email(updated.person.emails[0]).value()),
            std::vector{updated.identity.id});
  EXPECT_TRUE(store().find_by_email("old-0@example.com").value().empty());
  EXPECT_TRUE(store().find_by_phone(existing[0].person.phones[0].e164).value().empty());
  EXPECT_EQ(ids_of(store().find_by_domain("old-0.example").value()),
            std::vector{existing[0].identity.id})
      << "the domain was kept";
  const auto& fresh = written[249];
  ASSERT_EQ(writes[249].kind, WriteKind::create);
  EXPECT_EQ(ids_of(store().find_by_email("NEW-249@example.com").value()),
            std::vector{fresh.identity.id});
  EXPECT_EQ(ids_of(store().find_by_phone("+14155550249").value()), std::vector{fresh.identity.id});
  EXPECT_EQ(store().get_lead(fresh.identity.id).value().person.last_name, "new");
  LeadLookup lookup;
  lookup.emails = {"new-2@example.com"};
  lookup.domains = {"new-4.example", "old-99.example"}; // an updated lead's domain stays
  EXPECT_EQ(store().find_leads(lookup).value().size(), 3U);
}

// The first failing write of a large batch fails it, named by its position, and nothing of the
// batch is stored: a stale update, a taken id, a missing lead.
TEST_P(StoreContract, ALargeBatchFailsWholeWithTheErrorOfItsFirstFailingWrite) {
  using order_contract::keyed_lead;
  std::vector<model::Lead> existing;
  for (int i = 0; i < 3; ++i) {
    existing.push_back(create(keyed_lead("old", i)));
  }
  auto changed = existing[1];
  changed.person.job_title = "Changed elsewhere";
  ASSERT_TRUE(store().update_lead(changed).ok()); // existing[1] is at version 2 now
  const auto make_batch = [&](std::size_t size) {
    std::vector<LeadWrite> writes;
    for (std::size_t i = 0; i < size; ++i) {
      auto lead = keyed_lead("new", static_cast<int>(i));
      lead.identity.id = Uuid::generate_v4(random_).to_string();
      writes.push_back({WriteKind::create, lead, {}});
    }
    return writes;
  };
  const auto outbox_before = pending().size();
  const auto nothing_stored = [&](const std::vector<LeadWrite>& writes) {
    EXPECT_EQ(pending().size(), outbox_before);
    EXPECT_FALSE(store().get_checkpoint("import:bulk").value().has_value());
    EXPECT_EQ(error_of(store().get_lead(writes[0].lead.identity.id)).category,
              ErrorCategory::not_found);
    EXPECT_TRUE(store().find_by_email("new-0@example.com").value().empty());
  };

  auto stale = make_batch(200);
  stale[119] = {WriteKind::update, existing[1], {}}; // version 1, stored 2
  stale[150] = {WriteKind::update, existing[0], {}}; // fine, but after the failure
  const auto conflict = error_of(store().write_batch(stale, CheckpointValue{"import:bulk", "1"}));
  EXPECT_EQ(conflict.category, ErrorCategory::conflict);
  EXPECT_NE(conflict.message.find("write 120 of 200"), std::string::npos) << conflict.message;
  EXPECT_NE(conflict.message.find("stored version 2, given version 1"), std::string::npos)
      << conflict.message;
  nothing_stored(stale);
  EXPECT_EQ(store().get_lead(existing[0].identity.id).value().identity.version, 1);

  auto taken = make_batch(100);
  taken[80].lead.identity.id = existing[2].identity.id;
  taken[90] = {WriteKind::update, existing[1], {}}; // stale too, but later
  const auto exists = error_of(store().write_batch(taken, CheckpointValue{"import:bulk", "1"}));
  EXPECT_EQ(exists.category, ErrorCategory::already_exists);
  EXPECT_NE(exists.message.find("write 81 of 100"), std::string::npos) << exists.message;
  nothing_stored(taken);

  auto missing = make_batch(100);
  auto nobody = keyed_lead("nobody", 1);
  nobody.identity.id = Uuid::generate_v4(random_).to_string();
  nobody.identity.version = 1;
  missing[99] = {WriteKind::update, nobody, {}};
  const auto gone = error_of(store().write_batch(missing, std::nullopt));
  EXPECT_EQ(gone.category, ErrorCategory::not_found);
  EXPECT_NE(gone.message.find("write 100 of 100"), std::string::npos) << gone.message;
  nothing_stored(missing);
}

} // namespace leadsync::store::testing
