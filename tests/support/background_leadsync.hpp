#pragma once
// `leadsync` run in the background, so a test can kill it mid-run (crash tests of push and
// enrich).

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <optional>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace leadsync::testing {

// `leadsync ARGS` (the executable at `executable`) started in the background, so a test can kill
// it; killed with SIGKILL when the test ends early. It inherits the environment but for
// LEADSYNC_CONFIG and the variables `extra_env` ("NAME=value") sets. stdout and stderr go to
// background-stdout.txt and background-stderr.txt in `scratch`.
class BackgroundLeadsync {
public:
  BackgroundLeadsync(const std::string& executable, const std::vector<std::string>& args,
                     const std::filesystem::path& scratch,
                     const std::vector<std::string>& extra_env = {}) {
    std::vector<std::string> arguments = {executable};
    arguments.insert(arguments.end(), args.begin(), args.end());
    std::vector<std::string> environment = extra_env;
    for (char** variable = environ; *variable != nullptr; ++variable) {
      const std::string entry = *variable;
      if (!entry.starts_with("LEADSYNC_CONFIG=") && !sets(extra_env, entry)) {
        environment.push_back(entry);
      }
    }
    const auto out = (scratch / "background-stdout.txt").string();
    const auto err = (scratch / "background-stderr.txt").string();
    pid_ = ::fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (auto& argument : arguments) {
        argv.push_back(argument.data());
      }
      argv.push_back(nullptr);
      std::vector<char*> envp;
      for (auto& entry : environment) {
        envp.push_back(entry.data());
      }
      envp.push_back(nullptr);
      ::dup2(::open("/dev/null", O_RDONLY), STDIN_FILENO);
      ::dup2(::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600), STDOUT_FILENO);
      ::dup2(::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600), STDERR_FILENO);
      ::execve(argv[0], argv.data(), envp.data());
      ::_exit(127);
    }
  }
  BackgroundLeadsync(const BackgroundLeadsync&) = delete;
  BackgroundLeadsync& operator=(const BackgroundLeadsync&) = delete;
  ~BackgroundLeadsync() {
    if (running()) {
      kill();
    }
  }

  pid_t pid() const { return pid_; }
  bool running() {
    if (pid_ <= 0 || status_) {
      return false;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      status_ = status;
      return false;
    }
    return true;
  }
  // SIGKILL and wait; the wait status.
  int kill() {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    status_ = status;
    return status;
  }
  // Sends `signal` and waits up to `timeout` for the process to end; the wait status, or nullopt
  // when it was still running then (it is left running).
  std::optional<int> signal_and_wait(int signal, std::chrono::milliseconds timeout) {
    ::kill(pid_, signal);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!running()) {
        return status_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return running() ? std::nullopt : status_;
  }
  // Sends `signal` without waiting (SIGHUP to reload).
  void signal(int signal) const { ::kill(pid_, signal); }

private:
  // Whether one of `overrides` ("NAME=value") sets the variable of `entry` ("NAME=...").
  static bool sets(const std::vector<std::string>& overrides, const std::string& entry) {
    for (const std::string& variable : overrides) {
      const auto equals = variable.find('=');
      if (equals != std::string::npos && entry.starts_with(variable.substr(0, equals + 1))) {
        return true;
      }
    }
    return false;
  }

  pid_t pid_ = -1;
  std::optional<int> status_;
};

} // namespace leadsync::testing
