#include "commands.hpp"
#include "exit_codes.hpp"
#include "leadsync/core/clock.hpp"
#include "leadsync/core/process.hpp"
#include "leadsync/sync/lease_recovery.hpp"
#include "sync_engine.hpp"

#include <fmt/format.h>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace leadsync::cli {

namespace {

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) {
    text += (text.empty() ? "" : ", ") + item;
  }
  return text;
}

// Requests in flight at most: push.max_parallel, or "auto": the CRM's x-ms-dop-hint as the
// connection's limiter holds it.
int request_slots(const config::Config& config, SyncEngine& engine) {
  if (config.push.max_parallel > 0) {
    return config.push.max_parallel;
  }
  (void)engine.connection.client->who_am_i(); // sets the limiter from x-ms-dop-hint
  return engine.connection.limiter->limit();
}

} // namespace

int run_push(Context& context, SyncEngine& engine, const PushCommandOptions& options) {
  const auto& config = context.config();
  auto store = context.store();
  if (!store.ok()) {
    return context.report(store.error());
  }
  auto mode = sync::parse_push_mode(config.push.mode);
  if (!mode.ok()) {
    return context.report(mode.error());
  }
  sync::PushSettings settings;
  settings.mode = *mode;
  settings.batch_size = static_cast<std::size_t>(config.push.batch_size);
  settings.limit = options.limit;
  settings.worker_id = this_process_name(); // the pusher adds :<n>
  settings.key_column = config.crm.alternate_key;
  settings.crm_owned = engine.crm_owned;
  settings.write_predictive_score = config.qualify.write_predictive_score;
  if (options.dry_run) {
    sync::Pusher pusher(**store, *engine.crm, engine.mapping, *engine.lookups,
                        SystemClock::instance(), settings);
    auto requests = pusher.dry_run(options.limit.value_or(1000));
    if (!requests.ok()) {
      return context.report(requests.error());
    }
    for (const auto& request : *requests) {
      context.out() << request << "\n";
    }
    context.out() << "dry run: nothing was sent and the outbox is unchanged\n";
    return exit_ok;
  }
  // A push killed earlier on this host left its changes leased; take them back now rather than
  // after the lease expires, so that this push sends them.
  auto recovered = sync::recover_leases_of_dead_pushes(**store, host_name(), ::getpid());
  if (!recovered.ok()) {
    return context.report(recovered.error());
  }
  if (recovered->freed > 0) {
    std::vector<std::string> pids;
    for (const long pid : recovered->dead_pids) {
      pids.push_back(std::to_string(pid));
    }
    context.out() << fmt::format("took back {} change(s) held by a push that stopped without "
                                 "finishing (process {})\n",
                                 recovered->freed, joined(pids));
  }
  const int slots = request_slots(config, engine);
  settings.workers = sync::push_workers(slots);
  sync::Pusher pusher(**store, *engine.crm, engine.mapping, *engine.lookups,
                      SystemClock::instance(), settings);

  auto run = store.value()->begin_run("push");
  if (!run.ok()) {
    return context.report(run.error());
  }
  const auto before = engine.connection.retry->stats();
  auto report = pusher.run();
  const auto after = engine.connection.retry->stats();
  run->finished_at = SystemClock::instance().now();
  if (report.ok()) {
    run->counts = report->counts();
  }
  run->counts["throttled"] = after.throttled - before.throttled;
  run->counts["waited_ms"] = (after.waited - before.waited).count();
  if (!report.ok()) {
    run->status = "failed";
    run->message = report.error().describe();
  } else if (report->dead_lettered > 0 || report->retried_later > 0) {
    run->status = "partial";
    run->message = fmt::format("{} dead-lettered, {} to retry later", report->dead_lettered,
                               report->retried_later);
  } else {
    run->status = "ok";
  }
  if (auto finished = store.value()->finish_run(*run); !finished.ok()) {
    return context.report(finished.error());
  }
  if (!report.ok()) {
    return context.report(report.error());
  }
  auto& out = context.out();
  out << fmt::format(
      "push ({} mode, up to {} request(s) at once): {} change(s) claimed, {} lead(s) "
      "written, {} covered by a later write, {} removed\n",
      config.push.mode, slots, report->claimed, report->upserted, report->coalesced,
      report->removed);
  out << fmt::format("  outcomes: {} qualified, {} disqualified, {} reactivated\n",
                     report->qualified, report->disqualified, report->reactivated);
  if (report->merged > 0 || report->merges_waiting > 0) {
    out << fmt::format("  merges: {} lead(s) merged in the CRM, {} waiting for the lead they were "
                       "merged into to reach the CRM (the next push sends them)\n",
                       report->merged, report->merges_waiting);
  }
  out << fmt::format("  throttling: {} HTTP 429, {} ms waited\n", run->counts["throttled"],
                     run->counts["waited_ms"]);
  if (report->retried_later > 0) {
    out << fmt::format("  {} change(s) failed for now and will be retried by the next push\n",
                       report->retried_later);
  }
  if (auto others = store.value()->outbox_lease_holders(); others.ok() && !others->empty()) {
    std::int64_t held = 0;
    std::vector<std::string> holders;
    for (const auto& [worker, entries] : *others) {
      held += entries;
      holders.push_back(worker);
    }
    out << fmt::format("  {} change(s) are being pushed by another leadsync ({}); a push after it "
                       "finishes, or after its lease expires, picks up what it leaves\n",
                       held, joined(holders));
  }
  if (report->dead_lettered > 0) {
    out << fmt::format("  {} lead(s) refused by the CRM are in the dead letters: see `leadsync dlq "
                       "list`, fix them and run `leadsync dlq retry --all`\n",
                       report->dead_lettered);
    return exit_rejected;
  }
  return exit_ok;
}

void add_push_command(CLI::App& app, Context& context, int& exit_code) {
  auto options = std::make_shared<PushCommandOptions>();
  auto limit = std::make_shared<std::size_t>(0);
  auto* command = app.add_subcommand("push", "Send pending changes to the CRM (push.mode: bulk, "
                                             "batch or single); exit 1 when some were refused");
  command->add_flag("--dry-run", options->dry_run,
                    "Print the requests a push would send, without sending them");
  command->add_option("--limit", *limit, "Push at most N pending changes")
      ->check(CLI::PositiveNumber);
  command->callback([&context, &exit_code, options, limit] {
    if (!context.load_config()) {
      exit_code = exit_usage;
      return;
    }
    auto engine = open_sync_engine(context.config());
    if (!engine.ok()) {
      exit_code = context.report(engine.error());
      return;
    }
    if (*limit > 0) {
      options->limit = *limit;
    }
    exit_code = run_push(context, **engine, *options);
  });
}

} // namespace leadsync::cli
