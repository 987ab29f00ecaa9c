#include "client/detail/log_target.hpp"
#include "leadsync/core/log.hpp"
#include "leadsync/http/policies.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <stdexcept>

namespace leadsync::http {

namespace {

constexpr int status_too_many_requests = 429;

bool is_retryable_status(int status) {
  switch (status) {
  case 408:
  case status_too_many_requests:
  case 500:
  case 502:
  case 503:
  case 504:
    return true;
  default:
    return false;
  }
}

enum class Verdict {
  done,   // a success, or a failure that repeating cannot fix
  retry,  // a transient failure, safe to repeat
  unsafe, // a transient failure, but the service may have run the request: repeating could do it
          // twice
};

Verdict verdict_for(const Result<Response>& result, bool idempotent) {
  if (result.ok()) {
    if (!is_retryable_status(result->status)) {
      return Verdict::done;
    }
    // A 429 is refused before the service runs anything, so even a create may be sent again.
    if (result->status == status_too_many_requests || idempotent) {
      return Verdict::retry;
    }
    return Verdict::unsafe;
  }
  if (!result.error().retryable) {
    return Verdict::done;
  }
  return idempotent ? Verdict::retry : Verdict::unsafe;
}

// Full jitter: uniform in [0, min(max_delay, base_delay * 2^(attempt - 1))].
std::chrono::milliseconds backoff_delay(const RetryOptions& options, int attempt, Random& random) {
  auto cap = options.base_delay;
  for (int doubling = 1; doubling < attempt && cap < options.max_delay; ++doubling) {
    cap *= 2;
  }
  cap = std::min(cap, options.max_delay);
  return std::chrono::milliseconds{
      std::llround(static_cast<double>(cap.count()) * random.next_unit())};
}

std::string attempts_text(int attempts) {
  return attempts == 1 ? "1 attempt" : fmt::format("{} attempts", attempts);
}

std::string seconds_text(std::chrono::milliseconds duration) {
  return fmt::format("{:g} s", static_cast<double>(duration.count()) / 1000.0);
}

} // namespace

RetryPolicy::RetryPolicy(RetryOptions options, Clock& clock, Sleeper& sleeper, Random& random)
    : options_(options), clock_(clock), sleeper_(sleeper), random_(random),
      budget_(options.budget_capacity) {
  if (options_.max_attempts < 1 || options_.base_delay.count() < 0 ||
      options_.max_delay < options_.base_delay || options_.max_retry_after.count() < 0 ||
      options_.budget_capacity < 0 || options_.budget_refill < 0) {
    throw std::invalid_argument("RetryOptions out of range: need max_attempts >= 1, "
                                "0 <= base_delay <= max_delay, and non-negative budget values");
  }
}

bool RetryPolicy::spend_retry_token(CallStats* call_stats) {
  MutexLock lock(mutex_);
  if (budget_ < 1) {
    ++stats_.budget_exhausted;
    if (call_stats != nullptr) {
      call_stats->add_budget_exhausted();
    }
    return false;
  }
  budget_ -= 1;
  return true;
}

RetryPolicy::Stats RetryPolicy::stats() const {
  MutexLock lock(mutex_);
  return stats_;
}

Result<Response> RetryPolicy::send(Request& request, CallContext& context, const NextPolicy& next) {
  const auto give_up = [&](Result<Response> last, int attempts,
                           std::string_view reason) -> Result<Response> {
    if (last.ok()) {
      log::get()->warn("{} {}: giving up after {} ({}); returning HTTP {}", request.method,
                       detail::path_for_log(request.url), attempts_text(attempts), reason,
                       last->status);
      return last;
    }
    Error error = last.error();
    error.message += fmt::format(" (gave up after {}: {})", attempts_text(attempts), reason);
    if (error.request_id.empty()) {
      error.request_id = context.client_request_id;
    }
    return error;
  };

  for (int attempt = 1;; ++attempt) {
    context.attempt = attempt;
    auto result = next(request, context);
    const bool throttled = result.ok() && result->status == status_too_many_requests;
    if (throttled) {
      ++context.throttled;
      if (context.stats) {
        context.stats->add_throttled();
      }
      MutexLock lock(mutex_);
      ++stats_.throttled;
    }

    switch (verdict_for(result, context.idempotent)) {
    case Verdict::done:
      if (attempt == 1 && result.ok()) {
        MutexLock lock(mutex_);
        budget_ = std::min(options_.budget_capacity, budget_ + options_.budget_refill);
      }
      return result;
    case Verdict::unsafe:
      return give_up(std::move(result), attempt,
                     "the request is not idempotent and may already have been processed");
    case Verdict::retry:
      break;
    }

    if (attempt >= options_.max_attempts) {
      return give_up(std::move(result), attempt, "every allowed attempt failed");
    }

    const auto retry_after = result.ok() ? parse_retry_after(*result, clock_.now()) : std::nullopt;
    if (retry_after && *retry_after > options_.max_retry_after) {
      Error error = Error::make(
          throttled ? ErrorCategory::throttled : ErrorCategory::unavailable,
          fmt::format("the service asked to wait {} before retrying (Retry-After), longer than "
                      "the {} leadsync waits at most; try again later",
                      seconds_text(*retry_after), seconds_text(options_.max_retry_after)),
          true);
      error.http_status = result->status;
      error.request_id = context.client_request_id;
      return error;
    }
    const auto wait = retry_after ? *retry_after : backoff_delay(options_, attempt, random_);

    if (request.deadline && clock_.steady_now() + wait >= *request.deadline) {
      return give_up(std::move(result), attempt,
                     "the request deadline would pass before the next attempt");
    }
    if (!throttled && !spend_retry_token(context.stats.get())) {
      return give_up(std::move(result), attempt,
                     "retry budget exhausted: the service keeps failing");
    }

    if (context.cancel.cancelled() ||
        (wait.count() > 0 && !sleeper_.sleep_for(wait, context.cancel))) {
      Error error =
          Error::make(ErrorCategory::cancelled,
                      fmt::format("cancelled while waiting to retry {} {} after {}", request.method,
                                  detail::path_for_log(request.url), attempts_text(attempt)));
      error.request_id = context.client_request_id;
      return error;
    }
    if (context.stats) {
      context.stats->add_retry(wait);
    }
    MutexLock lock(mutex_);
    ++stats_.retries;
    stats_.waited += wait;
  }
}

} // namespace leadsync::http
