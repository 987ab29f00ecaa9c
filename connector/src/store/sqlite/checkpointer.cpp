#include "sqlite/checkpointer.hpp"

#include <utility>

namespace leadsync::store::sqlite {

Checkpointer::Checkpointer(Database database) : database_(std::move(database)) {
  thread_ = std::thread([this] { run(); });
}

Checkpointer::~Checkpointer() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void Checkpointer::request() {
  {
    MutexLock lock(mutex_);
    requested_ = true;
  }
  wake_.notify_one();
}

void Checkpointer::wait_idle() {
  UniqueLock lock(mutex_);
  idle_.wait(lock, [this] {
    mutex_.assert_held();
    return !checkpointing_;
  });
}

void Checkpointer::run() {
  for (;;) {
    {
      UniqueLock lock(mutex_);
      wake_.wait(lock, [this] {
        mutex_.assert_held();
        return requested_ || stopping_;
      });
      if (stopping_) {
        return;
      }
      requested_ = false;
      checkpointing_ = true;
    }
    // Busy or failed: the next commit asks again, and the writer's own checkpoint at four times
    // the size stays as a backstop.
    (void)database_.checkpoint_passive();
    {
      MutexLock lock(mutex_);
      checkpointing_ = false;
    }
    idle_.notify_all();
  }
}

} // namespace leadsync::store::sqlite
