#include "commands.hpp"
#include "exit_codes.hpp"
#include "leadsync/core/clock.hpp"
#include "sync_engine.hpp"

#include <fmt/format.h>

namespace leadsync::cli {

int run_pull(Context& context, SyncEngine& engine, bool full) {
  const auto& config = context.config();
  auto store = context.store();
  if (!store.ok()) {
    return context.report(store.error());
  }
  sync::PullSettings settings;
  settings.full = full;
  settings.key_column = config.crm.alternate_key;
  settings.crm_owned = engine.crm_owned;
  sync::Puller puller(**store, *engine.crm, engine.mapping, *engine.lookups, settings);

  auto run = store.value()->begin_run("pull");
  if (!run.ok()) {
    return context.report(run.error());
  }
  auto report = puller.run();
  run->finished_at = SystemClock::instance().now();
  if (report.ok()) {
    run->counts = report->counts();
    run->status = report->rejected > 0 ? "partial" : "ok";
    if (report->token_expired) {
      run->message = "change-tracking token expired; read all leads again";
    }
  } else {
    run->status = "failed";
    run->message = report.error().describe();
  }
  if (auto finished = store.value()->finish_run(*run); !finished.ok()) {
    return context.report(finished.error());
  }
  if (!report.ok()) {
    return context.report(report.error());
  }
  context.out() << fmt::format(
      "pull ({}): {} changed row(s) read, {} new lead(s) from the CRM, {} updated, {} unchanged, "
      "{} deleted, {} outcome(s) recorded\n",
      report->full_read ? "all leads" : "changes since the last pull", report->read,
      report->created, report->updated, report->unchanged, report->tombstoned, report->outcomes);
  if (report->rejected > 0) {
    context.out() << fmt::format("  {} row(s) could not be read; the log says why\n",
                                 report->rejected);
    return exit_rejected;
  }
  return exit_ok;
}

void add_pull_command(CLI::App& app, Context& context, int& exit_code) {
  auto full = std::make_shared<bool>(false);
  auto* command =
      app.add_subcommand("pull", "Read what changed in the CRM (change tracking) into the store");
  command->add_flag("--full", *full,
                    "Read every lead again instead of the changes since last time");
  command->callback([&context, &exit_code, full] {
    if (!context.load_config()) {
      exit_code = exit_usage;
      return;
    }
    auto engine = open_sync_engine(context.config());
    if (!engine.ok()) {
      exit_code = context.report(engine.error());
      return;
    }
    exit_code = run_pull(context, **engine, *full);
  });
}

} // namespace leadsync::cli
