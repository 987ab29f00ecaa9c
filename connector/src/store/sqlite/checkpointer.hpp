#pragma once
// The SQLite store's background WAL checkpoint (private to store/sqlite/).

#include "leadsync/core/mutex.hpp"
#include "sqlite/detail/database.hpp"

#include <thread>

namespace leadsync::store::sqlite {

// Copies the write-ahead log back into the database on a thread and connection of its own.
// SQLite's automatic checkpoint runs inside the commit that crosses its threshold, copying pages
// and waiting for two fsyncs while the writer waits: a 200,000-row import spent about 3 s of its
// 16 s there on this machine's disk.
class Checkpointer {
public:
  explicit Checkpointer(Database database);
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;
  ~Checkpointer();

  // Asks the thread for a passive checkpoint (requests while one runs fold into one).
  void request() EXCLUDES(mutex_);

  // Returns once no checkpoint of this thread is running. A checkpoint the writer starts while this
  // thread is in one would only get SQLITE_BUSY: starved of CPU mid-checkpoint, the thread once
  // let the log grow to 7 MB past a 256 KB backstop while every commit's own attempt failed.
  void wait_idle() EXCLUDES(mutex_);

private:
  void run() EXCLUDES(mutex_);

  Database database_;
  Mutex mutex_;
  CondVar wake_;
  CondVar idle_;
  bool requested_ GUARDED_BY(mutex_) = false;
  bool checkpointing_ GUARDED_BY(mutex_) = false;
  bool stopping_ GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

} // namespace leadsync::store::sqlite
