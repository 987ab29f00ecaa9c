// Runs the webhook event suite (webhook_events_contract.hpp) against the SQLite store, in memory
// and on disk; the shared-store tests (two handles, reopening) need the file.

#include "leadsync/store/sqlite_store.hpp"
#include "support/store/webhook_events_contract.hpp"

namespace leadsync::store::webhook_testing {
namespace {

std::unique_ptr<Store> open_sqlite(const std::filesystem::path& path,
                                   WebhookStoreEnvironment& env) {
  auto store = open_sqlite_store(SqliteOptions{path}, env.clock, env.random);
  if (!store.ok()) {
    ADD_FAILURE() << store.error().describe();
    return nullptr;
  }
  return std::move(store).value();
}

WebhookStoreFlavour in_memory() {
  return {"InMemory", [](WebhookStoreEnvironment& env) { return open_sqlite(":memory:", env); }};
}

WebhookStoreFlavour on_disk() {
  return {"File", [](WebhookStoreEnvironment& env) {
            return open_sqlite(env.scratch_dir / "state.db", env);
          }};
}

INSTANTIATE_TEST_SUITE_P(Sqlite, WebhookEventsTest, ::testing::Values(in_memory(), on_disk()),
                         flavour_name);
INSTANTIATE_TEST_SUITE_P(Sqlite, WebhookEventsSharedTest, ::testing::Values(on_disk()),
                         flavour_name);

} // namespace
} // namespace leadsync::store::webhook_testing
