// A provider answering JSON nested 100,000 deep gets a protocol error that says so, never a stack
// overflow; the provider answers the next lookup (issue 18).
#include "leadsync/enrich/providers/builtin.hpp"
#include "provider_fixture.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <string>

namespace leadsync::enrich {
namespace {

using ::testing::HasSubstr;
using testing::ProviderFixture;

std::string deep_answer() {
  return R"({"status":200,"likelihood":8,"data":)" + std::string(100'000, '[') +
         std::string(100'000, ']') + "}";
}

Query by_email() {
  Query query;
  query.email = "anna@acme.example";
  return query;
}

TEST(ProviderJsonDepth, PdlRefusesADeepAnswerAndAnswersTheNextLookup) {
  ProviderFixture fixture;
  auto made = providers::make_pdl(fixture.options("pdl", "pdl"), fixture.environment());
  ASSERT_TRUE(made.ok()) << made.error().describe();
  http::CallContext context;

  fixture.transport->then_body(200, deep_answer());
  const auto deep = (*made)->lookup(by_email(), FieldGroup::person, context);
  fixture.transport->then_body(200, R"({"status":200,"likelihood":8,"data":{"full_name":"a b"}})");
  const auto next = (*made)->lookup(by_email(), FieldGroup::person, context);

  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().category, ErrorCategory::protocol);
  EXPECT_THAT(deep.error().message, HasSubstr("nested deeper than 64 levels"));
  EXPECT_TRUE(next.ok()) << next.error().describe();
}

TEST(ProviderJsonDepth, PdlBulkRefusesADeepAnswerForEveryQuery) {
  ProviderFixture fixture;
  auto options = fixture.options("pdl", "pdl");
  options.batch_size = 10;
  auto made = providers::make_pdl(options, fixture.environment());
  ASSERT_TRUE(made.ok()) << made.error().describe();
  http::CallContext context;
  fixture.transport->then_body(200, std::string(100'000, '[') + std::string(100'000, ']'));

  const auto results =
      (*made)->lookup_many(std::vector<Query>(2, by_email()), FieldGroup::person, context);

  ASSERT_EQ(results.size(), 2U);
  for (const auto& result : results) {
    ASSERT_FALSE(result.ok());
    EXPECT_THAT(result.error().message, HasSubstr("nested deeper than 64 levels"));
  }
}

TEST(ProviderJsonDepth, ClearbitRefusesADeepAnswer) {
  ProviderFixture fixture;
  auto made =
      providers::make_clearbit(fixture.options("clearbit", "clearbit"), fixture.environment());
  ASSERT_TRUE(made.ok()) << made.error().describe();
  http::CallContext context;
  fixture.transport->then_body(200, R"({"person":)" + std::string(100'000, '[') +
                                        std::string(100'000, ']') + "}");

  const auto deep = (*made)->lookup(by_email(), FieldGroup::person, context);

  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().category, ErrorCategory::protocol);
  EXPECT_THAT(deep.error().message, HasSubstr("nested deeper than 64 levels"));
}

} // namespace
} // namespace leadsync::enrich
