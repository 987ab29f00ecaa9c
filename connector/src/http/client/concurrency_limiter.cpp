#include "leadsync/http/policies.hpp"

#include <algorithm>
#include <stdexcept>

namespace leadsync::http {

ConcurrencyLimiter::ConcurrencyLimiter(int initial, int ceiling, int grow_after)
    : limit_(0), ceiling_(ceiling), grow_after_(grow_after) {
  if (ceiling < 1 || grow_after < 1) {
    throw std::invalid_argument("ConcurrencyLimiter needs ceiling >= 1 and grow_after >= 1");
  }
  limit_ = std::clamp(initial, 1, ceiling_);
}

bool ConcurrencyLimiter::acquire(const CancellationToken& cancel) {
  bool cancelled = false; // guarded by mutex_
  // Declared before the lock so that it unregisters after the lock is released: the callback takes
  // the same mutex.
  const auto registration = cancel.on_cancel([this, &cancelled] {
    {
      std::lock_guard lock(mutex_);
      cancelled = true;
    }
    freed_.notify_all();
  });
  std::unique_lock lock(mutex_);
  freed_.wait(lock, [&] { return cancelled || in_flight_ < limit_; });
  if (cancelled) {
    return false;
  }
  ++in_flight_;
  return true;
}

void ConcurrencyLimiter::release(Outcome outcome) {
  {
    std::lock_guard lock(mutex_);
    --in_flight_;
    switch (outcome) {
    case Outcome::throttled:
      limit_ = std::max(1, limit_ / 2);
      successes_ = 0;
      break;
    case Outcome::failure:
      successes_ = 0;
      break;
    case Outcome::success:
      if (++successes_ >= grow_after_) {
        successes_ = 0;
        limit_ = std::min(ceiling_, limit_ + 1);
      }
      break;
    }
  }
  freed_.notify_all();
}

void ConcurrencyLimiter::set_hint(int dop_hint) {
  if (dop_hint < 1) {
    return;
  }
  {
    std::lock_guard lock(mutex_);
    limit_ = std::min(dop_hint, ceiling_);
    successes_ = 0;
  }
  freed_.notify_all();
}

int ConcurrencyLimiter::limit() const {
  std::lock_guard lock(mutex_);
  return limit_;
}

int ConcurrencyLimiter::in_flight() const {
  std::lock_guard lock(mutex_);
  return in_flight_;
}

namespace {

constexpr int status_too_many_requests = 429;
constexpr int first_server_error = 500;

// Releases the slot however the attempt ends, also when a later policy throws.
class SlotGuard {
public:
  explicit SlotGuard(ConcurrencyLimiter& limiter) : limiter_(limiter) {}
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;
  ~SlotGuard() { limiter_.release(outcome_); }
  void set_outcome(ConcurrencyLimiter::Outcome outcome) { outcome_ = outcome; }

private:
  ConcurrencyLimiter& limiter_;
  ConcurrencyLimiter::Outcome outcome_ = ConcurrencyLimiter::Outcome::failure;
};

ConcurrencyLimiter::Outcome outcome_of(const Result<Response>& result) {
  if (!result.ok() || result->status >= first_server_error) {
    return ConcurrencyLimiter::Outcome::failure;
  }
  if (result->status == status_too_many_requests) {
    return ConcurrencyLimiter::Outcome::throttled;
  }
  return ConcurrencyLimiter::Outcome::success;
}

} // namespace

ThrottlePolicy::ThrottlePolicy(std::shared_ptr<ConcurrencyLimiter> limiter)
    : limiter_(std::move(limiter)) {
  if (!limiter_) {
    throw std::invalid_argument("ThrottlePolicy needs a limiter");
  }
}

Result<Response> ThrottlePolicy::send(Request& request, CallContext& context,
                                      const NextPolicy& next) {
  if (!limiter_->acquire(context.cancel)) {
    return fail(ErrorCategory::cancelled,
                "cancelled while waiting for a free request slot (limit " +
                    std::to_string(limiter_->limit()) + ")");
  }
  SlotGuard slot(*limiter_);
  auto result = next(request, context);
  slot.set_outcome(outcome_of(result));
  return result;
}

} // namespace leadsync::http
