#pragma once
// A pid no process has: a child that has ended and been reaped (pids are reused only after the
// counter wraps), for tests of "is the owner of this run still alive".

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace leadsync::testing {

inline long reaped_pid() {
  const pid_t child = ::fork();
  if (child == 0) {
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return child;
}

} // namespace leadsync::testing
