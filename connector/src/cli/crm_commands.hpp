#pragma once
// push and pull as `push`, `pull` and `sync` run them: the job (jobs/push.hpp, jobs/pull.hpp), its
// summary on stdout, the exit code.

#include "context.hpp"
#include "leadsync/jobs/push.hpp"

namespace leadsync::cli {

int run_push_command(Context& context, const jobs::PushRequest& request);
int run_pull_command(Context& context, bool full);

} // namespace leadsync::cli
