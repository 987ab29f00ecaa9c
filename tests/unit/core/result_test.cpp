#include "leadsync/core/result.hpp"

#include <gtest/gtest.h>
#include <memory>
#include <set>
#include <string>

namespace leadsync {
namespace {

Result<int> parse_positive(int input) {
  if (input <= 0) {
    return fail(ErrorCategory::invalid_argument, "must be positive");
  }
  return input;
}

// Doubles a parsed value; counts how often it got past the LEADSYNC_TRY.
Result<int> double_parsed(int input, int& reached_after_try) {
  LEADSYNC_TRY(const int value, parse_positive(input));
  ++reached_after_try;
  return value * 2;
}

Status check_positive(int input) {
  if (input <= 0) {
    return fail(ErrorCategory::validation, "not positive", true);
  }
  return ok_status();
}

Status check_both(int a, int b, int& checks_passed) {
  LEADSYNC_CHECK(check_positive(a));
  ++checks_passed;
  LEADSYNC_CHECK(check_positive(b));
  ++checks_passed;
  return ok_status();
}

TEST(ResultTest, SuccessfulResultHoldsItsValue) {
  const Result<std::string> result = std::string("lead");
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(static_cast<bool>(result));
  EXPECT_EQ(result.value(), "lead");
  EXPECT_EQ(*result, "lead");
  EXPECT_EQ(result->size(), 4U);
}

TEST(ResultTest, FailedResultHoldsCategoryMessageAndRetryable) {
  const Result<int> result = fail(ErrorCategory::throttled, "slow down", true);
  ASSERT_FALSE(result.ok());
  EXPECT_FALSE(static_cast<bool>(result));
  EXPECT_EQ(result.error().category, ErrorCategory::throttled);
  EXPECT_EQ(result.error().message, "slow down");
  EXPECT_TRUE(result.error().retryable);
}

TEST(ResultTest, ReadingTheValueOfAFailedResultThrowsWithTheErrorText) {
  const Result<int> result = fail(ErrorCategory::not_found, "lead 42 is gone");
  try {
    (void)result.value();
    FAIL() << "value() of a failed result did not throw";
  } catch (const BadResultAccess& error) {
    EXPECT_NE(std::string(error.what()).find("lead 42 is gone"), std::string::npos);
  }
  EXPECT_THROW((void)*result, BadResultAccess);
}

TEST(ResultTest, ReadingTheErrorOfASuccessfulResultThrows) {
  const Result<int> result = 7;
  EXPECT_THROW((void)result.error(), BadResultAccess);
}

TEST(ResultTest, ValueOrReturnsTheFallbackOnlyOnFailure) {
  const Result<int> good = 5;
  const Result<int> bad = fail(ErrorCategory::internal, "x");
  EXPECT_EQ(good.value_or(-1), 5);
  EXPECT_EQ(bad.value_or(-1), -1);
}

TEST(ResultTest, HoldsMoveOnlyValues) {
  Result<std::unique_ptr<int>> result = std::make_unique<int>(9);
  const std::unique_ptr<int> taken = std::move(result).value();
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(*taken, 9);
}

TEST(ResultTest, ErrorConvertsImplicitlyToAFailedResult) {
  const Result<int> result = Error::make(ErrorCategory::conflict, "version changed");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::conflict);
}

TEST(ResultTest, TryUnwrapsTheValueOnSuccess) {
  int reached = 0;
  const auto result = double_parsed(21, reached);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.value(), 42);
  EXPECT_EQ(reached, 1);
}

TEST(ResultTest, TryReturnsTheFailureAndSkipsTheRest) {
  int reached = 0;
  const auto result = double_parsed(-3, reached);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::invalid_argument);
  EXPECT_EQ(result.error().message, "must be positive");
  EXPECT_EQ(reached, 0);
}

TEST(ResultTest, CheckStopsAtTheFirstFailedStatus) {
  int passed = 0;
  const Status status = check_both(1, -1, passed);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message, "not positive");
  EXPECT_TRUE(status.error().retryable);
  EXPECT_EQ(passed, 1);

  passed = 0;
  EXPECT_TRUE(check_both(1, 2, passed).ok());
  EXPECT_EQ(passed, 2);
}

TEST(ResultTest, StatusIsOkByDefaultAndThrowsOnlyOnWrongAccess) {
  const Status good = ok_status();
  EXPECT_TRUE(good.ok());
  EXPECT_NO_THROW(good.value());
  EXPECT_THROW((void)good.error(), BadResultAccess);

  const Status bad = fail(ErrorCategory::storage, "disk full");
  EXPECT_FALSE(bad.ok());
  EXPECT_THROW(bad.value(), BadResultAccess);
  EXPECT_EQ(bad.error().category, ErrorCategory::storage);
}

TEST(ErrorTest, DescribeShowsCategoryMessageHttpStatusAndServiceCode) {
  Error error = Error::make(ErrorCategory::throttled, "too many requests");
  EXPECT_EQ(error.describe(), "throttled: too many requests");
  error.http_status = 429;
  EXPECT_EQ(error.describe(), "throttled: too many requests (HTTP 429)");
  error.service_code = "0x80072322";
  EXPECT_EQ(error.describe(), "throttled: too many requests (HTTP 429, code 0x80072322)");
  error.http_status = 0;
  EXPECT_EQ(error.describe(), "throttled: too many requests (code 0x80072322)");
}

TEST(ErrorTest, DescribeAddsTheTransportCauseAndTheServiceRequestIdInBrackets) {
  Error error = Error::make(ErrorCategory::unavailable, "cannot connect to crm:443");
  error.transport_cause = TransportCause::refused;
  EXPECT_EQ(error.describe(), "unavailable: cannot connect to crm:443 [cause: refused]");

  Error answered = Error::make(ErrorCategory::unavailable, "Service Unavailable");
  answered.http_status = 503;
  answered.service_request_id = "5f1c2d3e-0000-4000-8000-000000000001";
  EXPECT_EQ(answered.describe(), "unavailable: Service Unavailable (HTTP 503) [service request id: "
                                 "5f1c2d3e-0000-4000-8000-000000000001]");
  answered.transport_cause = TransportCause::reset;
  EXPECT_EQ(answered.describe(), "unavailable: Service Unavailable (HTTP 503) [cause: reset; "
                                 "service request id: 5f1c2d3e-0000-4000-8000-000000000001]");
}

TEST(ErrorTest, EveryTransportCauseHasItsOwnName) {
  std::set<std::string_view> names;
  const int last = static_cast<int>(TransportCause::other);
  for (int i = 0; i <= last; ++i) {
    names.insert(to_string(static_cast<TransportCause>(i)));
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(last + 1));
  EXPECT_EQ(names.count("unknown"), 0U);
  EXPECT_EQ(to_string(TransportCause::dns), "dns");
}

TEST(ErrorTest, EveryCategoryHasItsOwnName) {
  std::set<std::string_view> names;
  const int last = static_cast<int>(ErrorCategory::internal);
  for (int i = 0; i <= last; ++i) {
    const auto name = to_string(static_cast<ErrorCategory>(i));
    EXPECT_NE(name, "unknown") << "category " << i;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(last + 1));
}

} // namespace
} // namespace leadsync
