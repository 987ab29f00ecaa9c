#include "leadsync/http/policies.hpp"

#include <algorithm>
#include <stdexcept>

namespace leadsync::http {

ConcurrencyLimiter::ConcurrencyLimiter(int initial, int ceiling) : limit_(0), ceiling_(ceiling) {
  if (ceiling < 1) {
    throw std::invalid_argument("ConcurrencyLimiter needs ceiling >= 1");
  }
  limit_ = std::clamp(initial, 1, ceiling_);
}

std::optional<ConcurrencyLimiter::Slot>
ConcurrencyLimiter::acquire(const CancellationToken& cancel) {
  bool cancelled = false; // guarded by mutex_
  // Declared before the lock so that it unregisters after the lock is released: the callback takes
  // the same mutex.
  const auto registration = cancel.on_cancel([this, &cancelled] {
    {
      MutexLock lock(mutex_);
      cancelled = true;
    }
    freed_.notify_all();
  });
  UniqueLock lock(mutex_);
  freed_.wait(lock, [&] {
    mutex_.assert_held();
    return cancelled || in_flight_ < limit_;
  });
  if (cancelled) {
    return std::nullopt;
  }
  ++in_flight_;
  return Slot{epoch_};
}

void ConcurrencyLimiter::release(Slot slot, Outcome outcome) {
  {
    MutexLock lock(mutex_);
    --in_flight_;
    switch (outcome) {
    case Outcome::throttled:
      // Only a request sent since the last cut tells us the cut limit is still too high; the
      // others were in flight at the old limit and belong to the episode already answered.
      if (slot.epoch == epoch_) {
        limit_ = std::max(1, limit_ / 2);
        ++epoch_;
      }
      successes_ = 0;
      break;
    case Outcome::failure:
      successes_ = 0;
      break;
    case Outcome::success:
      // One more slot per round of `limit` successes, as TCP grows its window by one segment per
      // round trip: a fixed count would make growth take as many rounds as that count at a low
      // limit (20 rounds at limit 1, a whole push of large batches) and be hasty at a high one.
      // Never past the server's x-ms-dop-hint: Microsoft recommends threads "up to the dop hint",
      // and more requests at once only use up the execution-time budget sooner.
      if (++successes_ >= limit_) {
        successes_ = 0;
        limit_ = std::min(hint_ > 0 ? hint_ : ceiling_, limit_ + 1);
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
    MutexLock lock(mutex_);
    hint_ = std::min(dop_hint, ceiling_);
    limit_ = hint_;
    successes_ = 0;
  }
  freed_.notify_all();
}

int ConcurrencyLimiter::limit() const {
  MutexLock lock(mutex_);
  return limit_;
}

int ConcurrencyLimiter::in_flight() const {
  MutexLock lock(mutex_);
  return in_flight_;
}

namespace {

constexpr int status_too_many_requests = 429;
constexpr int first_server_error = 500;

// Releases the slot however the attempt ends, also when a later policy throws.
class SlotGuard {
public:
  SlotGuard(ConcurrencyLimiter& limiter, ConcurrencyLimiter::Slot slot)
      : limiter_(limiter), slot_(slot) {}
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;
  ~SlotGuard() { limiter_.release(slot_, outcome_); }
  void set_outcome(ConcurrencyLimiter::Outcome outcome) { outcome_ = outcome; }

private:
  ConcurrencyLimiter& limiter_;
  ConcurrencyLimiter::Slot slot_;
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
  const auto acquired = limiter_->acquire(context.cancel);
  if (!acquired) {
    return fail(ErrorCategory::cancelled,
                "cancelled while waiting for a free request slot (limit " +
                    std::to_string(limiter_->limit()) + ")");
  }
  SlotGuard slot(*limiter_, *acquired);
  auto result = next(request, context);
  slot.set_outcome(outcome_of(result));
  return result;
}

} // namespace leadsync::http
