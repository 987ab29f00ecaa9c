#include "leadsync/core/random.hpp"
#include "leadsync/http/policies.hpp"
#include "support/log_capture.hpp"
#include "support/recording_transport.hpp"
#include "support/sleepers.hpp"

#include <gtest/gtest.h>
#include <memory>
#include <thread>
#include <vector>

namespace leadsync::http {
namespace {

using namespace std::chrono_literals;
using test::LogCapture;
using test::make_request;
using test::next_to;
using test::RecordingSleeper;
using test::RecordingTransport;
using Waits = std::vector<std::chrono::milliseconds>;

// Bytes all 0xFF: next_unit() is as close to 1 as it gets, so full jitter waits the whole cap.
class HighestRandom final : public Random {
public:
  void fill(std::span<std::uint8_t> bytes) override { std::fill(bytes.begin(), bytes.end(), 0xFF); }
};

RetryOptions test_options() {
  RetryOptions options;
  options.max_attempts = 4;
  options.base_delay = 100ms;
  options.max_delay = 1s;
  options.max_retry_after = 60s;
  return options;
}

class RetryPolicyTest : public ::testing::Test {
protected:
  Result<Response> send(RetryPolicy& policy, std::string method = "GET", bool idempotent = true) {
    auto request =
        make_request(std::move(method), "https://crm.example.com/api/data/v9.2/leads?$top=1");
    context.idempotent = idempotent;
    return policy.send(request, context, next_to(transport));
  }

  ManualClock clock{
      Clock::WallTime{std::chrono::sys_days{std::chrono::year{2026} / std::chrono::November / 22}} +
      20h};
  RecordingSleeper sleeper{clock};
  SeededRandom random{99};
  RecordingTransport transport;
  CallContext context;
};

TEST_F(RetryPolicyTest, SuccessOnTheFirstTryIsReturnedWithoutWaiting) {
  RetryPolicy policy(test_options(), clock, sleeper, random);
  transport.then_respond(200, {}, "ok");

  const auto result = send(policy);

  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->body, "ok");
  EXPECT_EQ(transport.call_count(), 1U);
  EXPECT_TRUE(sleeper.waits().empty());
  EXPECT_EQ(context.attempt, 1);
  EXPECT_EQ(policy.stats().retries, 0);
}

TEST_F(RetryPolicyTest, StatusesThatRetryingCannotFixAreReturnedAtOnce) {
  RetryPolicy policy(test_options(), clock, sleeper, random);
  for (const int status : {400, 401, 403, 404, 412, 501}) {
    transport.then_respond(status);
    const auto result = send(policy);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result->status, status);
  }
  EXPECT_EQ(transport.call_count(), 6U);
  EXPECT_TRUE(sleeper.waits().empty());
}

TEST_F(RetryPolicyTest, Waits429RetryAfterSecondsExactly) {
  RetryPolicy policy(test_options(), clock, sleeper, random);
  transport.then_respond(429, {{"Retry-After", "7"}}).then_respond(200);

  const auto result = send(policy);

  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(sleeper.waits(), Waits{7s});
  EXPECT_EQ(transport.call_count(), 2U);
  EXPECT_EQ(context.attempt, 2);
  const auto stats = policy.stats();
  EXPECT_EQ(stats.throttled, 1);
  EXPECT_EQ(stats.retries, 1);
  EXPECT_EQ(stats.waited, 7s);
}

TEST_F(RetryPolicyTest, Waits429RetryAfterHttpDateRelativeToTheClock) {
  RetryPolicy policy(test_options(), clock, sleeper, random);
  // The clock reads Sunday 2026-11-22 20:00:00 UTC.
  transport.then_respond(429, {{"Retry-After", "Sun, 22 Nov 2026 20:00:12 GMT"}}).then_respond(200);

  const auto result = send(policy);

  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(sleeper.waits(), Waits{12s});
}

TEST_F(RetryPolicyTest, RetryAfterDateInThePastRetriesWithoutWaiting) {
  RetryPolicy policy(test_options(), clock, sleeper, random);
  transport.then_respond(503, {{"Retry-After", "Sun, 22 Nov 2026 19:59:00 GMT"}}).then_respond(200);

  const auto result = send(policy);

  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->status, 200);
  EXPECT_TRUE(sleeper.waits().empty());
  EXPECT_EQ(transport.call_count(), 2U);
}

TEST_F(RetryPolicyTest, Retries503ThenReturnsTheSuccess) {
  RetryPolicy policy(test_options(), clock, sleeper, random);
  transport.then_respond(503).then_respond(200, {}, "second");

  const auto result = send(policy);

  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->body, "second");
  ASSERT_EQ(sleeper.waits().size(), 1U);
  EXPECT_LE(sleeper.waits()[0], 100ms); // the first backoff is capped at base_delay
}

TEST_F(RetryPolicyTest, EveryRetryableStatusIsRetried) {
  RetryPolicy policy(test_options(), clock, sleeper, random);
  for (const int status : {408, 429, 500, 502, 503, 504}) {
    transport.then_respond(status).then_respond(200);
    const auto result = send(policy);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result->status, 200) << "after " << status;
  }
  EXPECT_EQ(transport.call_count(), 12U);
}

TEST_F(RetryPolicyTest, Exhausting500sReturnsTheLast500AndLogsTheAttemptCount) {
  const LogCapture log;
  RetryPolicy policy(test_options(), clock, sleeper, random);
  for (int i = 0; i < 4; ++i) {
    transport.then_respond(500, {}, "failure " + std::to_string(i + 1));
  }

  const auto result = send(policy);

  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->status, 500);
  EXPECT_EQ(result->body, "failure 4");
  EXPECT_EQ(transport.call_count(), 4U);
  EXPECT_EQ(context.attempt, 4);
  EXPECT_EQ(sleeper.waits().size(), 3U);
  EXPECT_NE(log.text().find("giving up after 4 attempts (every allowed attempt failed)"),
            std::string::npos)
      << log.text();
  EXPECT_EQ(log.text().find("$top"), std::string::npos) << "query strings stay out of logs";
}

TEST_F(RetryPolicyTest, ExhaustingTransportErrorsSaysHowManyAttemptsWereMade) {
  RetryPolicy policy(test_options(), clock, sleeper, random);
  for (int i = 0; i < 4; ++i) {
    transport.then_fail(ErrorCategory::unavailable, "connection to crm.example.com:443 was reset",
                        true);
  }
  context.client_request_id = "rid-9";

  const auto result = send(policy);

  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::unavailable);
  EXPECT_EQ(result.error().message, "connection to crm.example.com:443 was reset (gave up after 4 "
                                    "attempts: every allowed attempt failed)");
  EXPECT_EQ(result.error().request_id, "rid-9");
  EXPECT_EQ(transport.call_count(), 4U);
}

TEST_F(RetryPolicyTest, ConnectionResetIsRetried) {
  RetryPolicy policy(test_options(), clock, sleeper, random);
  transport.then_fail(ErrorCategory::unavailable, "connection reset", true).then_respond(200);

  const auto result = send(policy);

  ASSERT_TRUE(result.ok()) << result.error().describe();
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(transport.call_count(), 2U);
}

TEST_F(RetryPolicyTest, TimeoutIsRetried) {
  RetryPolicy policy(test_options(), clock, sleeper, random);
  transport.then_fail(ErrorCategory::timeout, "no response within 120 s", true).then_respond(200);

  const auto result = send(policy);

  ASSERT_TRUE(result.ok()) << result.error().describe();
  EXPECT_EQ(transport.call_count(), 2U);
}

TEST_F(RetryPolicyTest, ErrorsMarkedNotRetryableAreReturnedUnchanged) {
  RetryPolicy policy(test_options(), clock, sleeper, random);
  transport.then_fail(ErrorCategory::unavailable,
                      "TLS with x:443 failed: certificate verify failed", false);

  const auto result = send(policy);

  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "TLS with x:443 failed: certificate verify failed");
  EXPECT_EQ(transport.call_count(), 1U);
}

TEST_F(RetryPolicyTest, BackoffDoublesUpToTheCapWhenJitterIsAtItsTop) {
  HighestRandom highest;
  auto options = test_options();
  options.max_attempts = 7;
  RetryPolicy policy(options, clock, sleeper, highest);
  for (int i = 0; i < 7; ++i) {
    transport.then_respond(503);
  }

  ASSERT_TRUE(send(policy).ok());

  EXPECT_EQ(sleeper.waits(), (Waits{100ms, 200ms, 400ms, 800ms, 1s, 1s}));
}

Waits backoff_waits(std::uint64_t seed) {
  ManualClock clock;
  RecordingSleeper sleeper(clock);
  SeededRandom random(seed);
  RecordingTransport transport;
  auto options = test_options();
  options.max_attempts = 9;
  for (int i = 0; i < 9; ++i) {
    transport.then_respond(502);
  }
  RetryPolicy policy(options, clock, sleeper, random);
  auto request = make_request("GET", "https://crm.example.com/x");
  CallContext context;
  context.idempotent = true;
  EXPECT_TRUE(policy.send(request, context, next_to(transport)).ok());
  return sleeper.waits();
}

TEST(RetryPolicyBackoffTest, FullJitterStaysWithinTheDoublingCapAndIsDeterministicPerSeed) {
  const auto waits = backoff_waits(2024);
  ASSERT_EQ(waits.size(), 8U);
  auto cap = std::chrono::milliseconds{100};
  bool any_below_cap = false;
  for (const auto wait : waits) {
    EXPECT_GE(wait, 0ms);
    EXPECT_LE(wait, cap);
    any_below_cap = any_below_cap || wait < cap;
    cap = std::min<std::chrono::milliseconds>(cap * 2, 1s);
  }
  EXPECT_TRUE(any_below_cap) << "waits are jittered, not the bare caps";
  EXPECT_EQ(backoff_waits(2024), waits);
  EXPECT_NE(backoff_waits(2025), waits);
}

TEST_F(RetryPolicyTest, EmptyBudgetStopsRetrying) {
  auto options = test_options();
  options.max_attempts = 6;
  options.budget_capacity = 2;
  options.budget_refill = 0;
  RetryPolicy policy(options, clock, sleeper, random);
  for (int i = 0; i < 4; ++i) {
    transport.then_respond(503);
  }

  const auto first = send(policy);
  const auto calls_for_first = transport.call_count();
  const auto second = send(policy);

  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->status, 503);
  EXPECT_EQ(calls_for_first, 3U); // two retries spent the two tokens
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->status, 503);
  EXPECT_EQ(transport.call_count(), 4U); // no retry at all with an empty budget
  EXPECT_EQ(policy.stats().budget_exhausted, 2);
  EXPECT_EQ(policy.stats().retries, 2);
}

TEST_F(RetryPolicyTest, EmptyBudgetNamesItselfInTheTransportError) {
  auto options = test_options();
  options.budget_capacity = 0;
  RetryPolicy policy(options, clock, sleeper, random);
  transport.then_fail(ErrorCategory::unavailable, "connection reset", true);

  const auto result = send(policy);

  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "connection reset (gave up after 1 attempt: retry budget "
                                    "exhausted: the service keeps failing)");
}

TEST_F(RetryPolicyTest, FirstTrySuccessesRefillTheBudget) {
  auto options = test_options();
  options.budget_capacity = 1;
  options.budget_refill = 0.5;
  RetryPolicy policy(options, clock, sleeper, random);
  transport.then_respond(503).then_respond(503); // spends the one token, then finds it empty
  transport.then_respond(200).then_respond(200); // two first-try successes earn it back
  transport.then_respond(503).then_respond(200); // so this one is retried again

  ASSERT_EQ(send(policy)->status, 503);
  ASSERT_EQ(send(policy)->status, 200);
  ASSERT_EQ(send(policy)->status, 200);
  ASSERT_EQ(send(policy)->status, 200);

  EXPECT_EQ(transport.call_count(), 6U);
  EXPECT_EQ(policy.stats().retries, 2);
}

TEST_F(RetryPolicyTest, RetriesAfter429DoNotSpendTheBudget) {
  auto options = test_options();
  options.budget_capacity = 0;
  RetryPolicy policy(options, clock, sleeper, random);
  transport.then_respond(429, {{"Retry-After", "1"}}).then_respond(200);

  const auto result = send(policy);

  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(policy.stats().budget_exhausted, 0);
}

TEST_F(RetryPolicyTest, NonIdempotentPostIsNotRetriedAfter503) {
  const LogCapture log;
  RetryPolicy policy(test_options(), clock, sleeper, random);
  transport.then_respond(503);

  const auto result = send(policy, "POST", false);

  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->status, 503);
  EXPECT_EQ(transport.call_count(), 1U);
  EXPECT_NE(log.text().find("not idempotent"), std::string::npos) << log.text();
}

TEST_F(RetryPolicyTest, NonIdempotentPostIsNotRetriedAfterAConnectionReset) {
  RetryPolicy policy(test_options(), clock, sleeper, random);
  transport.then_fail(ErrorCategory::unavailable, "connection reset", true);

  const auto result = send(policy, "POST", false);

  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message,
            "connection reset (gave up after 1 attempt: the request is not idempotent and may "
            "already have been processed)");
  EXPECT_EQ(transport.call_count(), 1U);
}

TEST_F(RetryPolicyTest, NonIdempotentPostIsRetriedAfter429) {
  RetryPolicy policy(test_options(), clock, sleeper, random);
  transport.then_respond(429, {{"Retry-After", "3"}}).then_respond(201);

  const auto result = send(policy, "POST", false);

  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->status, 201);
  EXPECT_EQ(transport.call_count(), 2U);
}

TEST_F(RetryPolicyTest, CancellationDuringTheWaitEndsTheCallAtOnce) {
  RetryPolicy policy(test_options(), clock, sleeper, random);
  CancellationSource shutdown;
  context.cancel = shutdown.token();
  sleeper.during_wait([&shutdown] { shutdown.cancel(); });
  transport.then_respond(429, {{"Retry-After", "30"}}).then_respond(200);

  const auto result = send(policy);

  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::cancelled);
  EXPECT_EQ(transport.call_count(), 1U);
  EXPECT_EQ(policy.stats().retries, 0);
}

TEST_F(RetryPolicyTest, RetryAfterLongerThanAllowedFailsNamingTheWait) {
  RetryPolicy policy(test_options(), clock, sleeper, random); // max_retry_after = 60 s
  transport.then_respond(429, {{"Retry-After", "600"}});

  const auto result = send(policy);

  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::throttled);
  EXPECT_EQ(result.error().http_status, 429);
  EXPECT_TRUE(result.error().retryable);
  EXPECT_NE(result.error().message.find("wait 600 s"), std::string::npos) << result.error().message;
  EXPECT_NE(result.error().message.find("the 60 s leadsync waits at most"), std::string::npos)
      << result.error().message;
  EXPECT_TRUE(sleeper.waits().empty());
}

TEST_F(RetryPolicyTest, GivesUpWhenTheWaitWouldPassTheDeadline) {
  RetryPolicy policy(test_options(), clock, sleeper, random);
  transport.then_respond(429, {{"Retry-After", "5"}});
  auto request = make_request("GET", "https://crm.example.com/x");
  request.deadline = clock.steady_now() + 2s;
  context.idempotent = true;

  const auto result = policy.send(request, context, next_to(transport));

  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->status, 429);
  EXPECT_EQ(transport.call_count(), 1U);
  EXPECT_TRUE(sleeper.waits().empty());
}

TEST_F(RetryPolicyTest, EachCallsFiguresGoToItsOwnCallStatsAndToTheProcessWideOnes) {
  RetryPolicy policy(test_options(), clock, sleeper, random);
  const auto push_stats = std::make_shared<CallStats>();
  const auto pull_stats = std::make_shared<CallStats>();
  transport.then_respond(429, {{"Retry-After", "7"}}).then_respond(200); // the push's call
  transport.then_respond(503).then_respond(503).then_respond(200);       // the pull's call
  transport.then_respond(429, {{"Retry-After", "1"}}).then_respond(200); // a call of no job

  context.stats = push_stats;
  ASSERT_TRUE(send(policy).ok());
  EXPECT_EQ(context.throttled, 1) << "the 429s of the call are left in its context";
  context = CallContext{};
  context.stats = pull_stats;
  ASSERT_TRUE(send(policy).ok());
  EXPECT_EQ(context.throttled, 0);
  context = CallContext{};
  ASSERT_TRUE(send(policy).ok());

  const auto push = push_stats->snapshot();
  EXPECT_EQ(push.retries, 1);
  EXPECT_EQ(push.throttled, 1);
  EXPECT_EQ(push.waited, 7s);
  EXPECT_EQ(push.budget_exhausted, 0);
  const auto pull = pull_stats->snapshot();
  EXPECT_EQ(pull.retries, 2);
  EXPECT_EQ(pull.throttled, 0);
  EXPECT_EQ(pull.waited, sleeper.waits()[1] + sleeper.waits()[2]);
  const auto all = policy.stats();
  EXPECT_EQ(all.retries, 4);
  EXPECT_EQ(all.throttled, 2);
  EXPECT_EQ(all.waited, push.waited + pull.waited + 1s);
}

TEST_F(RetryPolicyTest, AnEmptyBudgetIsCountedInTheCallStatsOfTheCallItStopped) {
  auto options = test_options();
  options.budget_capacity = 0;
  RetryPolicy policy(options, clock, sleeper, random);
  const auto job_stats = std::make_shared<CallStats>();
  context.stats = job_stats;
  transport.then_respond(503);

  ASSERT_TRUE(send(policy).ok());

  EXPECT_EQ(job_stats->snapshot().budget_exhausted, 1);
  EXPECT_EQ(job_stats->snapshot().retries, 0);
  EXPECT_EQ(policy.stats().budget_exhausted, 1);
}

TEST_F(RetryPolicyTest, ConcurrentCallsOfOneJobAddUpInItsCallStats) {
  RetryPolicy policy(test_options(), clock, sleeper, random);
  const auto job_stats = std::make_shared<CallStats>();
  constexpr int threads = 8;
  constexpr int calls_per_thread = 25;
  // Each call is throttled once, then answered.
  const NextPolicy throttled_once = [](Request&, CallContext& call) -> Result<Response> {
    return call.attempt == 1 ? test::make_response(429, {{"Retry-After", "2"}})
                             : test::make_response(200);
  };

  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < calls_per_thread; ++i) {
        auto request = make_request("GET", "https://crm.example.com/api/data/v9.2/leads");
        CallContext own;
        own.idempotent = true;
        own.stats = job_stats;
        (void)policy.send(request, own, throttled_once);
      }
    });
  }
  for (auto& worker : workers) {
    worker.join();
  }

  const auto figures = job_stats->snapshot();
  EXPECT_EQ(figures.throttled, threads * calls_per_thread);
  EXPECT_EQ(figures.retries, threads * calls_per_thread);
  EXPECT_EQ(figures.waited, 2s * threads * calls_per_thread);
  EXPECT_EQ(policy.stats().throttled, figures.throttled);
}

TEST(RetryPolicyOptionsTest, RefusesOptionsThatCannotWork) {
  ManualClock clock;
  RecordingSleeper sleeper(clock);
  SeededRandom random(1);
  auto no_attempts = test_options();
  no_attempts.max_attempts = 0;
  auto inverted = test_options();
  inverted.max_delay = 10ms;
  EXPECT_THROW(RetryPolicy(no_attempts, clock, sleeper, random), std::invalid_argument);
  EXPECT_THROW(RetryPolicy(inverted, clock, sleeper, random), std::invalid_argument);
}

} // namespace
} // namespace leadsync::http
