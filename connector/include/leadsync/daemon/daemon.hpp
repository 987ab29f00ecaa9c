#pragma once
// `leadsync daemon`: one long-running process that runs the [schedule] jobs, receives Dataverse's
// webhook for leads created in Dynamics and writes them back enriched and scored within moments,
// imports the lists dropped into the watched folder, and can be watched, reloaded and stopped the
// way Linux services are (issue 15; shared/daemon-scaleout.md section B). It assembles the parts
// of this component and runs jobs/; it holds no job logic.
//
// Threads: the main loop (liveness heartbeat, systemd watchdog, reload, stop), the HTTP server's
// threads (endpoints.hpp), the scheduler, one thread per running scheduled job (at most one per
// kind: the scheduler skips a firing while its job runs), the webhook worker (woken by each stored
// event, and every second) and the watched folder's poller (one import at a time).
//
// Signals (signals.hpp; construct nothing with threads before run()):
//   SIGTERM, SIGINT  stop taking work (scheduler, webhook worker, folder), cancel the jobs in
//                    flight (each stops after the batch it is on; CRM waits end at once), wait for
//                    them up to server.shutdown_grace_s, free what this process still holds under a
//                    lease, exit 0. A second signal exits at once.
//   SIGHUP           reload the config and the rules: systemd hears RELOADING=1, then READY=1. A
//                    config with problems is refused, each problem logged, and the running one
//                    kept. [schedule], [enrich], [qualify], [push], [pull], [crm] and [log] apply
//                    to the next job; store.url and [server] need a restart (said in the log).
//
// systemd (notify.hpp): READY=1 once the store is open and the endpoints listen; STATUS= lines;
// WATCHDOG=1 from the main loop, only while the webhook worker and the scheduler show progress;
// STOPPING=1 on stop.

#include "leadsync/core/config.hpp"
#include "leadsync/core/result.hpp"

#include <filesystem>
#include <string>

namespace leadsync::daemon {

struct DaemonOptions {
  config::Config config;             // loaded and validated by the caller
  std::filesystem::path config_file; // read again on SIGHUP
  std::string listen;                // overrides server.listen when not empty
  std::filesystem::path port_file;   // the bound port is written here once listening
  std::string version;               // for leadsync_build_info
};

// Runs until SIGTERM or SIGINT; returns ok after a graceful stop. Fails at start-up (before
// READY=1) when the store cannot be opened, the webhook secret is missing, the listen address is
// taken or a schedule or the watched folder is wrong; the error says what to fix.
Status run_daemon(DaemonOptions options);

} // namespace leadsync::daemon
