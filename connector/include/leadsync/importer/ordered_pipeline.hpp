#pragma once
// A three-stage pipeline that keeps order: one thread produces items, `workers` threads transform
// them in parallel, and the caller takes the results in the order the items were produced. At most
// `in_flight` items are between the producer and the caller at any time, so memory stays bounded
// however long the input is. The import uses it as reader -> normalizers -> writer.

#include "leadsync/core/mutex.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace leadsync::importer {

template <typename Item, typename Output> class OrderedPipeline {
public:
  // Returns the next item, or nullopt at the end of the input. Runs on the producer thread.
  using Produce = std::function<std::optional<Item>()>;
  // Runs on the worker threads, several at once: must not share unguarded state.
  using Transform = std::function<Output(Item&&)>;

  // Starts the threads. `workers` and `in_flight` are at least 1.
  OrderedPipeline(std::size_t workers, std::size_t in_flight, Produce produce, Transform transform)
      : in_flight_(in_flight == 0 ? 1 : in_flight), produce_(std::move(produce)),
        transform_(std::move(transform)) {
    if (workers == 0) {
      workers = 1;
    }
    threads_.emplace_back([this] { run_producer(); });
    for (std::size_t i = 0; i < workers; ++i) {
      threads_.emplace_back([this] { run_worker(); });
    }
  }

  OrderedPipeline(const OrderedPipeline&) = delete;
  OrderedPipeline& operator=(const OrderedPipeline&) = delete;

  ~OrderedPipeline() { stop(); }

  // The next result in production order; nullopt once every item was handed out (or after
  // stop()). Rethrows an exception a producer or worker threw (a programming error).
  std::optional<Output> next() {
    UniqueLock lock(mutex_);
    changed_.wait(lock, [&] {
      mutex_.assert_held();
      return stopped_ || failure_ || done_.contains(next_out_) ||
             (produced_all_ && next_out_ == next_in_);
    });
    if (failure_) {
      std::rethrow_exception(failure_);
    }
    const auto found = done_.find(next_out_);
    if (stopped_ || found == done_.end()) {
      return std::nullopt;
    }
    Output output = std::move(found->second);
    done_.erase(found);
    ++next_out_;
    changed_.notify_all();
    return output;
  }

  // Stops producing and transforming and joins the threads; results not taken are dropped.
  void stop() {
    {
      MutexLock lock(mutex_);
      stopped_ = true;
    }
    changed_.notify_all();
    for (auto& thread : threads_) {
      if (thread.joinable()) {
        thread.join();
      }
    }
  }

private:
  void run_producer() {
    try {
      for (;;) {
        {
          UniqueLock lock(mutex_);
          changed_.wait(lock, [&] {
            mutex_.assert_held();
            return stopped_ || next_in_ - next_out_ < in_flight_;
          });
          if (stopped_) {
            return;
          }
        }
        auto item = produce_();
        MutexLock lock(mutex_);
        if (!item) {
          produced_all_ = true;
          changed_.notify_all();
          return;
        }
        waiting_.emplace_back(next_in_++, std::move(*item));
        changed_.notify_all();
      }
    } catch (...) {
      fail(std::current_exception());
    }
  }

  void run_worker() {
    try {
      for (;;) {
        std::pair<std::uint64_t, Item> work;
        {
          UniqueLock lock(mutex_);
          changed_.wait(lock, [&] {
            mutex_.assert_held();
            return stopped_ || !waiting_.empty() || produced_all_;
          });
          if (stopped_ || waiting_.empty()) {
            return;
          }
          work = std::move(waiting_.front());
          waiting_.pop_front();
        }
        Output output = transform_(std::move(work.second));
        MutexLock lock(mutex_);
        done_.emplace(work.first, std::move(output));
        changed_.notify_all();
      }
    } catch (...) {
      fail(std::current_exception());
    }
  }

  void fail(std::exception_ptr failure) {
    MutexLock lock(mutex_);
    if (!failure_) {
      failure_ = std::move(failure);
    }
    changed_.notify_all();
  }

  const std::uint64_t in_flight_;
  Produce produce_;
  Transform transform_;
  Mutex mutex_;
  CondVar changed_;
  // Produced, not yet taken by a worker.
  std::deque<std::pair<std::uint64_t, Item>> waiting_ GUARDED_BY(mutex_);
  std::map<std::uint64_t, Output> done_ GUARDED_BY(mutex_); // transformed, not yet taken by next()
  std::uint64_t next_in_ GUARDED_BY(mutex_) = 0;  // sequence number of the next item produced
  std::uint64_t next_out_ GUARDED_BY(mutex_) = 0; // sequence number next() hands out next
  bool produced_all_ GUARDED_BY(mutex_) = false;
  bool stopped_ GUARDED_BY(mutex_) = false;
  std::exception_ptr failure_ GUARDED_BY(mutex_);
  std::vector<std::thread> threads_; // last: started after everything above exists
};

} // namespace leadsync::importer
