// Runs the Store contract (store_contract.hpp) against the SQLite store, in memory and on disk.

#include "leadsync/store/sqlite_store.hpp"
#include "support/store/store_contract.hpp"
#include "support/store/store_contract_bulk.hpp"
#include "support/store/store_contract_order.hpp"
#include "support/store/store_contract_workers.hpp"

namespace leadsync::store::testing {
namespace {

std::unique_ptr<Store> open_sqlite(const std::filesystem::path& path, StoreTestEnvironment& env) {
  return open_sqlite_store(SqliteOptions{path}, env.clock, env.random).value();
}

INSTANTIATE_TEST_SUITE_P(
    Sqlite, StoreContract,
    ::testing::Values(StoreImplementation{"InMemory",
                                          [](StoreTestEnvironment& env) {
                                            return open_sqlite(":memory:", env);
                                          },
                                          {},
                                          {}},
                      StoreImplementation{"File",
                                          [](StoreTestEnvironment& env) {
                                            return open_sqlite(env.scratch_dir / "state.db", env);
                                          },
                                          {},
                                          [](StoreTestEnvironment& env) {
                                            return open_sqlite(env.scratch_dir / "state.db", env);
                                          }}),
    name_of);

} // namespace
} // namespace leadsync::store::testing
