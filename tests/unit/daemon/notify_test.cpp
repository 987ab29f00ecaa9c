// systemd notifications (daemon/notify.hpp) against a real AF_UNIX datagram socket standing in for
// the service manager, the watchdog variables, and the daemon's signals (daemon/signals.hpp) sent
// to the test process itself.

#include "leadsync/daemon/notify.hpp"
#include "leadsync/daemon/signals.hpp"

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <gtest/gtest.h>
#include <mutex>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <vector>

namespace leadsync::daemon {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Sets an environment variable for one test and restores the previous state after it.
class ScopedEnv {
public:
  ScopedEnv(std::string name, const std::optional<std::string>& value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) { // NOLINT(concurrency-mt-unsafe)
      old_ = old;
    }
    set(value);
  }
  ~ScopedEnv() { set(old_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
  void set(const std::optional<std::string>& value) {
    if (value) {
      ::setenv(name_.c_str(), value->c_str(), 1); // NOLINT(concurrency-mt-unsafe)
    } else {
      ::unsetenv(name_.c_str()); // NOLINT(concurrency-mt-unsafe)
    }
  }
  std::string name_;
  std::optional<std::string> old_;
};

// A datagram socket bound in a temporary folder, as systemd's notify socket is.
class NotifySocket {
public:
  NotifySocket() {
    dir_ = fs::temp_directory_path() /
           ("leadsync-notify-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "notify.sock").string();
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path_.size() >= sizeof address.sun_path) {
      throw std::runtime_error("socket path too long: " + path_);
    }
    std::copy(path_.begin(), path_.end(), address.sun_path);
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      throw std::runtime_error("bind() of the notify socket failed");
    }
  }
  ~NotifySocket() {
    ::close(fd_);
    fs::remove_all(dir_);
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  const std::string& path() const { return path_; }

  // The next datagram; nullopt when none comes within the wait.
  std::optional<std::string> receive(std::chrono::milliseconds wait = 2000ms) {
    pollfd descriptor{fd_, POLLIN, 0};
    if (::poll(&descriptor, 1, static_cast<int>(wait.count())) <= 0) {
      return std::nullopt;
    }
    char buffer[4096];
    const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n < 0) {
      return std::nullopt;
    }
    return std::string(buffer, static_cast<std::size_t>(n));
  }

private:
  fs::path dir_;
  std::string path_;
  int fd_ = -1;
};

TEST(SystemdNotifierTest, SendsTheExactAssignmentsToTheNotifySocket) {
  NotifySocket socket;
  ScopedEnv env("NOTIFY_SOCKET", socket.path());
  SystemdNotifier notifier;
  EXPECT_TRUE(notifier.enabled());

  ASSERT_TRUE(notifier.ready("serving on 127.0.0.1:8080").ok());
  EXPECT_EQ(socket.receive(), "READY=1\nSTATUS=serving on 127.0.0.1:8080");
  ASSERT_TRUE(notifier.ready().ok());
  EXPECT_EQ(socket.receive(), "READY=1");
  ASSERT_TRUE(notifier.reloading().ok());
  EXPECT_EQ(socket.receive(), "RELOADING=1");
  ASSERT_TRUE(notifier.stopping().ok());
  EXPECT_EQ(socket.receive(), "STOPPING=1");
  ASSERT_TRUE(notifier.watchdog().ok());
  EXPECT_EQ(socket.receive(), "WATCHDOG=1");
  ASSERT_TRUE(notifier.status("3 leads waiting").ok());
  EXPECT_EQ(socket.receive(), "STATUS=3 leads waiting");
}

TEST(SystemdNotifierTest, AStatusStaysOneLine) {
  NotifySocket socket;
  ScopedEnv env("NOTIFY_SOCKET", socket.path());
  SystemdNotifier notifier;
  ASSERT_TRUE(notifier.status("reload failed:\nbad [schedule]\r\nREADY=1").ok());
  EXPECT_EQ(socket.receive(), "STATUS=reload failed: bad [schedule]  READY=1");
}

TEST(SystemdNotifierTest, DoesNothingWithoutANotifySocket) {
  NotifySocket socket;
  ScopedEnv env("NOTIFY_SOCKET", std::nullopt);
  SystemdNotifier notifier;
  EXPECT_FALSE(notifier.enabled());
  EXPECT_TRUE(notifier.ready("x").ok());
  EXPECT_TRUE(notifier.watchdog().ok());
  // sd_notify sends synchronously: a datagram would be queued already.
  EXPECT_EQ(socket.receive(0ms), std::nullopt);
}

TEST(SystemdNotifierTest, ASocketNobodyListensOnIsAnError) {
  const auto path = fs::temp_directory_path() /
                    ("leadsync-notify-missing-" + std::to_string(::getpid()) + ".sock");
  ScopedEnv env("NOTIFY_SOCKET", path.string());
  SystemdNotifier notifier;
  const auto sent = notifier.ready();
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().category, ErrorCategory::unavailable);
  EXPECT_NE(sent.error().message.find("NOTIFY_SOCKET"), std::string::npos);
}

TEST(SystemdNotifierTest, TheWatchdogIntervalIsHalfOfWatchdogUsec) {
  ScopedEnv usec("WATCHDOG_USEC", "20000000");
  ScopedEnv pid("WATCHDOG_PID", std::to_string(::getpid()));
  EXPECT_EQ(SystemdNotifier().watchdog_interval(), std::chrono::microseconds(10'000'000));
}

TEST(SystemdNotifierTest, TheWatchdogIsOnWithoutWatchdogPidToo) {
  ScopedEnv usec("WATCHDOG_USEC", "3000000");
  ScopedEnv pid("WATCHDOG_PID", std::nullopt);
  EXPECT_EQ(SystemdNotifier().watchdog_interval(), std::chrono::microseconds(1'500'000));
}

TEST(SystemdNotifierTest, TheWatchdogIsOffForAnotherProcessOrWithoutOrWithBadVariables) {
  {
    ScopedEnv usec("WATCHDOG_USEC", "20000000");
    ScopedEnv pid("WATCHDOG_PID", std::to_string(::getpid() + 1));
    EXPECT_EQ(SystemdNotifier().watchdog_interval(), std::nullopt);
  }
  {
    ScopedEnv usec("WATCHDOG_USEC", std::nullopt);
    ScopedEnv pid("WATCHDOG_PID", std::nullopt);
    EXPECT_EQ(SystemdNotifier().watchdog_interval(), std::nullopt);
  }
  {
    ScopedEnv usec("WATCHDOG_USEC", "soon");
    ScopedEnv pid("WATCHDOG_PID", std::nullopt);
    EXPECT_EQ(SystemdNotifier().watchdog_interval(), std::nullopt);
  }
  {
    ScopedEnv usec("WATCHDOG_USEC", "0");
    ScopedEnv pid("WATCHDOG_PID", std::nullopt);
    EXPECT_EQ(SystemdNotifier().watchdog_interval(), std::nullopt);
  }
}

// What the callbacks saw, with a bounded wait for it.
class Recorder {
public:
  void add(std::string what) {
    {
      std::lock_guard lock(mutex_);
      seen_.push_back(std::move(what));
    }
    changed_.notify_all();
  }
  // Waits (at most 5 s) until `count` callbacks ran; returns what they were.
  std::vector<std::string> wait_for(std::size_t count) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, 5s, [&] { return seen_.size() >= count; });
    return seen_;
  }

private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> seen_;
};

// Signals go to the process, as systemd and kill(1) send them: raise() would direct them at this
// thread only, where they are blocked and would stay pending.
void signal_process(int signal) {
  ASSERT_EQ(::kill(::getpid(), signal), 0);
}

TEST(SignalWatcherTest, SighupReloadsAndSigtermStopsOnTheWatchersThread) {
  Recorder recorder;
  const auto test_thread = std::this_thread::get_id();
  std::atomic<bool> on_other_thread{true};
  SignalWatcher watcher({.on_stop =
                             [&](int signal) {
                               on_other_thread =
                                   on_other_thread && std::this_thread::get_id() != test_thread;
                               recorder.add("stop " + std::to_string(signal));
                             },
                         .on_reload =
                             [&] {
                               on_other_thread =
                                   on_other_thread && std::this_thread::get_id() != test_thread;
                               recorder.add("reload");
                             },
                         .on_second_stop = {}});
  signal_process(SIGHUP);
  EXPECT_EQ(recorder.wait_for(1), std::vector<std::string>{"reload"});
  EXPECT_FALSE(watcher.stop_requested());
  signal_process(SIGTERM);
  EXPECT_EQ(recorder.wait_for(2),
            (std::vector<std::string>{"reload", "stop " + std::to_string(SIGTERM)}));
  EXPECT_TRUE(watcher.stop_requested());
  EXPECT_TRUE(on_other_thread);
}

TEST(SignalWatcherTest, ASecondStopSignalGoesToItsOwnCallback) {
  Recorder recorder;
  SignalWatcher watcher(
      {.on_stop = [&](int signal) { recorder.add("stop " + std::to_string(signal)); },
       .on_reload = {},
       .on_second_stop = [&](int signal) { recorder.add("again " + std::to_string(signal)); }});
  signal_process(SIGINT);
  ASSERT_EQ(recorder.wait_for(1).size(), 1U);
  signal_process(SIGTERM);
  EXPECT_EQ(recorder.wait_for(2), (std::vector<std::string>{"stop " + std::to_string(SIGINT),
                                                            "again " + std::to_string(SIGTERM)}));
}

TEST(SignalWatcherTest, StopsPromptlyWhenDestroyed) {
  const auto start = std::chrono::steady_clock::now();
  { SignalWatcher watcher({.on_stop = {}, .on_reload = {}, .on_second_stop = {}}); }
  // The thread is woken, not left to its one-second wait.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 900ms);
}

} // namespace
} // namespace leadsync::daemon
