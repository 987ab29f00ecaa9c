#pragma once
// Runs the `leadsync` executable as a user would and captures what it printed and its exit status.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>

namespace leadsync::testing {

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::string shell_quoted(const std::string& text) {
  std::string result = "'";
  for (const char c : text) {
    result += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return result + "'";
}

// `environment` ("VAR=value ...") and `args` are passed to the shell as written (quote them as
// needed); LEADSYNC_CONFIG is unset and stdin is empty. stdout and stderr go through files in
// `scratch`.
inline CliRun run_leadsync(const std::string& executable, const std::string& args,
                           const std::filesystem::path& scratch,
                           const std::string& environment = {}) {
  const auto out = scratch / "stdout.txt";
  const auto err = scratch / "stderr.txt";
  const std::string command = "env -u LEADSYNC_CONFIG " + environment + " " + executable + " " +
                              args + " >" + shell_quoted(out.string()) + " 2>" +
                              shell_quoted(err.string()) + " </dev/null";
  const int status = std::system(command.c_str());
  return CliRun{WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(out), read_file(err)};
}

} // namespace leadsync::testing
