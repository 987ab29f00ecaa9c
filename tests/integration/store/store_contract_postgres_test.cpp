// Runs the Store contract (store_contract.hpp) against the PostgreSQL store: each test on a fresh
// schema of the shared throwaway server (tests/support/postgres_server.hpp); open_another connects
// to the same schema again.

#include "leadsync/store/postgres_store.hpp"
#include "support/store/store_contract.hpp"
#include "support/store/store_contract_bulk.hpp"
#include "support/store/store_contract_order.hpp"
#include "support/store/store_contract_workers.hpp"
#include "support/postgres_server.hpp"

namespace leadsync::store::testing {
namespace {

std::unique_ptr<Store> open_postgres(StoreTestEnvironment& env) {
  auto* server = leadsync::testing::PostgresServer::shared();
  if (server == nullptr) {
    return nullptr;
  }
  if (env.location.empty()) {
    env.location = server->fresh_schema_url();
  }
  auto store = open_postgres_store(PostgresOptions{.url = env.location, .pool_size = 4}, env.clock,
                                   env.random);
  if (!store.ok()) {
    ADD_FAILURE() << store.error().describe();
    return nullptr;
  }
  return std::move(store).value();
}

INSTANTIATE_TEST_SUITE_P(Postgres, StoreContract,
                         ::testing::Values(StoreImplementation{
                             "Postgres", open_postgres,
                             [] {
                               return leadsync::testing::PostgresServer::shared() == nullptr
                                          ? leadsync::testing::PostgresServer::why_not()
                                          : std::string();
                             },
                             open_postgres}),
                         name_of);

} // namespace
} // namespace leadsync::store::testing
