#include "commands.hpp"
#include "exit_codes.hpp"
#include "leadsync/daemon/daemon.hpp"

#include <memory>
#include <string>

namespace leadsync::cli {

void add_daemon_command(CLI::App& app, Context& context, int& exit_code) {
  auto listen = std::make_shared<std::string>();
  auto port_file = std::make_shared<std::string>();
  auto* command = app.add_subcommand(
      "daemon", "Run as a service: the [schedule] jobs, Dataverse's webhook for new leads, the "
                "watched import folder, /livez, /readyz and /metrics. SIGTERM stops it, SIGHUP "
                "reloads the config");
  command->add_option("--listen", *listen,
                      "HOST:PORT for the endpoints, overriding server.listen (port 0 picks a free "
                      "one)");
  command->add_option("--port-file", *port_file,
                      "Write the port it listens on to this file once it does");
  command->callback([&context, &exit_code, listen, port_file] {
    if (!context.load_config()) {
      exit_code = exit_usage;
      return;
    }
    daemon::DaemonOptions options;
    options.config = context.config();
    options.config_file = context.config_path();
    options.listen = *listen;
    options.port_file = *port_file;
    options.version = "0.1.0";
    const Status ran = daemon::run_daemon(std::move(options));
    exit_code = ran.ok() ? exit_ok : context.report(ran.error());
  });
}

} // namespace leadsync::cli
