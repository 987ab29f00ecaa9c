#pragma once
// Starts the dataverse-emulator executable as a child process on port 0 and reads its port file;
// stops it with SIGTERM. For integration tests and benchmarks that want the real binary.

#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace leadsync::testing {

class EmulatorProcess {
public:
  // Returns with port() == 0 when the emulator did not come up within 15 s.
  EmulatorProcess(const std::string& binary, std::vector<std::string> args) {
    dir_ = std::filesystem::temp_directory_path() /
           ("leadsync-emu-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    std::filesystem::create_directories(dir_);
    const auto port_file = (dir_ / "port").string();
    std::vector<std::string> argv_storage = {binary,        "--listen", "127.0.0.1:0",
                                             "--port-file", port_file,  "--quiet"};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (auto& arg : argv_storage) {
        argv.push_back(arg.data());
      }
      argv.push_back(nullptr);
      ::execv(binary.c_str(), argv.data());
      ::_exit(127);
    }
    // Polling a file the child writes once: the child is a separate process, so there is nothing to
    // wait on.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      std::ifstream in(port_file);
      unsigned port = 0;
      if (in >> port && port != 0) {
        port_ = static_cast<std::uint16_t>(port);
        break;
      }
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  EmulatorProcess(const EmulatorProcess&) = delete;
  EmulatorProcess& operator=(const EmulatorProcess&) = delete;
  ~EmulatorProcess() {
    stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  bool running() {
    int status = 0;
    return pid_ > 0 && ::waitpid(pid_, &status, WNOHANG) == 0;
  }
  // SIGTERM and wait; returns the exit status (or -1).
  int stop() {
    if (pid_ <= 0) {
      return -1;
    }
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

private:
  static int& counter() {
    static int value = 0;
    return value;
  }
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

} // namespace leadsync::testing
