#pragma once
// What the benchmark programs share: their work folder, running a child process with its output
// captured and its time and peak memory measured, and printing figures.

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace leadsync::bench {

// The folder a benchmark works in: `keep` emptied and created when given (the caller leaves it
// there), else a fresh folder "<name>-XXXXXX" in the temporary folder. Exits when it cannot.
inline std::filesystem::path work_folder(const std::string& keep, const std::string& name) {
  namespace fs = std::filesystem;
  if (!keep.empty()) {
    const auto work = fs::absolute(keep);
    fs::remove_all(work);
    fs::create_directories(work);
    return work;
  }
  std::string pattern = (fs::temp_directory_path() / (name + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    std::fprintf(stderr, "%s: cannot create a folder in %s: %s\n", name.c_str(),
                 fs::temp_directory_path().c_str(), std::strerror(errno));
    std::exit(1);
  }
  return pattern;
}

struct ChildRun {
  int exit_code = -1;     // 128 + the signal when it was killed
  double seconds = 0;     // from start to exit
  long max_rss_kib = 0;   // peak resident memory (the child's VmHWM)
  double cpu_seconds = 0; // user + system time of all its threads
  std::string out;        // its standard output; standard error passes through
};

// Runs argv in `dir` with stdout captured and measures it.
inline ChildRun run_child(const std::vector<std::string>& argv, const std::filesystem::path& dir) {
  std::array<int, 2> pipe_fds{};
  if (::pipe(pipe_fds.data()) != 0) {
    std::perror("pipe");
    std::exit(1);
  }
  const auto started = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    if (::chdir(dir.c_str()) != 0) {
      std::_Exit(127);
    }
    std::vector<char*> args;
    for (const auto& arg : argv) {
      args.push_back(const_cast<char*>(arg.c_str()));
    }
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "cannot run %s: %s\n", args[0], std::strerror(errno));
    std::_Exit(127);
  }
  ::close(pipe_fds[1]);
  ChildRun run;
  // ru_maxrss of a child also counts the process it was forked from (Linux keeps the high-water
  // mark across execve), so a benchmark holding much memory would charge it to its children. The
  // child's own peak (VmHWM of /proc/PID/status) is sampled instead, every 10 ms until it exits.
  std::atomic<bool> exited{false};
  std::atomic<long> peak_kib{0};
  std::thread sampler([&exited, &peak_kib, pid] {
    const auto status_file = "/proc/" + std::to_string(pid) + "/status";
    while (!exited.load()) {
      std::ifstream status(status_file);
      std::string line;
      while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0) {
          peak_kib.store(std::max(peak_kib.load(), std::atol(line.c_str() + 6)));
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
  });
  std::array<char, 65536> buffer{};
  for (;;) {
    const auto got = ::read(pipe_fds[0], buffer.data(), buffer.size());
    if (got <= 0) {
      break;
    }
    run.out.append(buffer.data(), static_cast<std::size_t>(got));
  }
  ::close(pipe_fds[0]);
  int status = 0;
  rusage usage{};
  ::wait4(pid, &status, 0, &usage);
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  exited.store(true);
  sampler.join();
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.max_rss_kib = peak_kib.load() > 0 ? peak_kib.load() : usage.ru_maxrss;
  const auto seconds_of = [](const timeval& time) {
    return static_cast<double>(time.tv_sec) + static_cast<double>(time.tv_usec) / 1e6;
  };
  run.cpu_seconds = seconds_of(usage.ru_utime) + seconds_of(usage.ru_stime);
  return run;
}

// User + system CPU time of this process so far, all its threads (getrusage RUSAGE_SELF).
inline double process_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto seconds_of = [](const timeval& time) {
    return static_cast<double>(time.tv_sec) + static_cast<double>(time.tv_usec) / 1e6;
  };
  return seconds_of(usage.ru_utime) + seconds_of(usage.ru_stime);
}

// `value` as `count` decimal digits, zero-padded (the last `count` digits when it has more).
inline std::string digits(std::uint64_t value, int count) {
  std::string text(static_cast<std::size_t>(count), '0');
  for (int i = count - 1; i >= 0; --i) {
    text[static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return text;
}

// Rounded to a whole number, with thousands separators: 1234567.8 -> "1,234,568".
inline std::string with_commas(double value) {
  auto text = std::to_string(static_cast<long long>(value + 0.5));
  for (auto at = static_cast<long>(text.size()) - 3; at > 0; at -= 3) {
    text.insert(static_cast<std::size_t>(at), 1, ',');
  }
  return text;
}

} // namespace leadsync::bench
