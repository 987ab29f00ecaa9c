#pragma once
// What the jobs tests share: a temporary folder, an in-memory SQLite store, a manual clock, and a
// Runtime over them whose config points at the shipped mappings (mappings/ of the source tree).

#include "leadsync/core/clock.hpp"
#include "leadsync/core/random.hpp"
#include "leadsync/jobs/runtime.hpp"
#include "leadsync/store/sqlite_store.hpp"
#include "leadsync_test_paths.hpp"
#include "support/csv_fixtures.hpp"

#include <gtest/gtest.h>
#include <memory>
#include <string>
#include <vector>

namespace leadsync::jobs::testing {

using test::TempDir;

class JobTest : public ::testing::Test {
protected:
  void SetUp() override {
    store_ = std::shared_ptr<store::Store>(
        store::open_sqlite_store({":memory:"}, clock_, random_).value());
    config_.base_dir = LEADSYNC_SOURCE_DIR; // mappings/*.toml as shipped
    config_.store.url = "sqlite::memory:";
  }

  // A runtime over the test's store. Recovery is off unless the options ask for it: the tests of
  // recovery name the processes they pretend are gone.
  Runtime& runtime(RuntimeOptions options = {.clock = nullptr,
                                             .connect = {},
                                             .enrich = {},
                                             .recover = false,
                                             .host = {},
                                             .pid = 0,
                                             .alive = {}}) {
    options.clock = &clock_;
    runtime_ = Runtime::create(config_, store_, std::move(options)).value();
    return *runtime_;
  }

  std::string write(const std::string& name, const std::string& text) {
    return dir_.write(name, text);
  }

  std::vector<store::RunRecord> runs() { return store_->list_runs(20).value(); }

  std::vector<model::Lead> leads() {
    store::PageRequest page;
    page.limit = 1000;
    return store_->list_leads({}, page).value().leads;
  }

  ManualClock clock_;
  SeededRandom random_{5};
  TempDir dir_;
  config::Config config_;
  std::shared_ptr<store::Store> store_;
  std::unique_ptr<Runtime> runtime_;
};

// A CSV list of `count` people, each with an e-mail, phone and company domain of their own, then
// `bad` rows without a usable contact.
inline std::string people_csv(int count, int bad = 0) {
  std::string text = "First Name,Last Name,Email,Phone,Company,Job Title,Country\n";
  for (int i = 0; i < count; ++i) {
    const auto n = std::to_string(i);
    text += "Person" + n + ",Tester,person" + n + "@company" + n + ".com,+1 212 456 " +
            std::to_string(1000 + i) + ",Company " + n + ",Engineer,USA\n";
  }
  for (int i = 0; i < bad; ++i) {
    text += "Bad" + std::to_string(i) + ",Row,broken@,1,,,USA\n";
  }
  return text;
}

inline std::string email_of(int n) {
  return "person" + std::to_string(n) + "@company" + std::to_string(n) + ".com";
}

} // namespace leadsync::jobs::testing
