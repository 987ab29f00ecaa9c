#include "leadsync/core/cancel.hpp"

#include <utility>

namespace leadsync {

bool CancellationToken::cancelled() const {
  if (!state_) {
    return false;
  }
  MutexLock lock(state_->mutex);
  return state_->cancelled;
}

bool CancellationToken::wait_for(std::chrono::nanoseconds duration) const {
  if (!state_) {
    // A token nobody can cancel: a plain wait on a private condition variable.
    Mutex mutex;
    CondVar never;
    UniqueLock lock(mutex);
    never.wait_for(lock, duration, [] { return false; });
    return true;
  }
  UniqueLock lock(state_->mutex);
  return !state_->changed.wait_for(lock, duration, [this] {
    state_->mutex.assert_held();
    return state_->cancelled;
  });
}

CancellationRegistration CancellationToken::on_cancel(std::function<void()> callback) const {
  if (!state_) {
    return {};
  }
  UniqueLock lock(state_->mutex);
  if (state_->cancelled) {
    lock.unlock();
    callback();
    return {};
  }
  const std::uint64_t id = state_->next_callback_id++;
  state_->callbacks.emplace(id, std::move(callback));
  return CancellationRegistration(state_, id);
}

CancellationRegistration::CancellationRegistration(CancellationRegistration&& other) noexcept
    : state_(std::move(other.state_)), id_(std::exchange(other.id_, 0)) {}

CancellationRegistration&
CancellationRegistration::operator=(CancellationRegistration&& other) noexcept {
  if (this != &other) {
    unregister();
    state_ = std::move(other.state_);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

CancellationRegistration::~CancellationRegistration() {
  unregister();
}

void CancellationRegistration::unregister() noexcept {
  if (!state_) {
    return;
  }
  UniqueLock lock(state_->mutex);
  if (state_->callbacks.erase(id_) == 0 && state_->running_callback_id == id_ &&
      state_->cancelling_thread != std::this_thread::get_id()) {
    state_->changed.wait(lock, [this] {
      state_->mutex.assert_held();
      return state_->running_callback_id != id_;
    });
  }
  lock.unlock();
  state_.reset();
  id_ = 0;
}

CancellationSource::CancellationSource() : state_(std::make_shared<CancellationToken::State>()) {}

void CancellationSource::cancel() {
  UniqueLock lock(state_->mutex);
  if (state_->cancelled) {
    return;
  }
  state_->cancelled = true;
  state_->cancelling_thread = std::this_thread::get_id();
  state_->changed.notify_all();
  // Each callback runs without the lock, so it may take other locks or read the token;
  // running_callback_id lets a registration destroyed meanwhile wait until its callback has
  // returned.
  while (!state_->callbacks.empty()) {
    auto node = state_->callbacks.extract(state_->callbacks.begin());
    state_->running_callback_id = node.key();
    lock.unlock();
    node.mapped()();
    lock.lock();
    state_->running_callback_id = 0;
    state_->changed.notify_all();
  }
}

bool CancellationSource::cancelled() const {
  MutexLock lock(state_->mutex);
  return state_->cancelled;
}

RealSleeper& RealSleeper::instance() {
  static RealSleeper sleeper;
  return sleeper;
}

} // namespace leadsync
