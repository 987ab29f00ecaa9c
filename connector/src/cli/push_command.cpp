#include "commands.hpp"
#include "crm_commands.hpp"
#include "exit_codes.hpp"
#include "leadsync/core/text.hpp"
#include "leadsync/jobs/presence.hpp"
#include "output.hpp"

#include <chrono>
#include <fmt/format.h>
#include <string>
#include <vector>

namespace leadsync::cli {

namespace {

void print_summary(std::ostream& out, const jobs::PushOutcome& outcome) {
  const auto& report = outcome.report;
  out << fmt::format(
      "push ({} mode, up to {} request(s) at once): {} change(s) claimed, {} lead(s) "
      "written, {} covered by a later write, {} removed\n",
      config::to_string(outcome.mode), outcome.request_slots, report.claimed, report.upserted,
      report.coalesced, report.removed);
  out << fmt::format("  outcomes: {} qualified, {} disqualified, {} reactivated\n",
                     report.qualified, report.disqualified, report.reactivated);
  if (report.merged > 0 || report.merges_waiting > 0) {
    out << fmt::format("  merges: {} lead(s) merged in the CRM, {} waiting for the lead they were "
                       "merged into to reach the CRM (the next push sends them)\n",
                       report.merged, report.merges_waiting);
  }
  // The wait covers every retry (429s, 503s, refused connections), not throttling alone.
  out << fmt::format("  retries: {} HTTP 429, {} ms waited before retrying\n",
                     outcome.throttling.throttled, outcome.throttling.waited.count());
  if (report.retried_later > 0) {
    out << fmt::format("  {} change(s) failed for now and will be retried by the next push\n",
                       report.retried_later);
  }
  if (!outcome.other_holders.empty()) {
    std::int64_t held = 0;
    std::vector<std::string> holders;
    for (const auto& [worker, entries] : outcome.other_holders) {
      held += entries;
      holders.push_back(worker);
    }
    out << fmt::format("  {} change(s) are being pushed by another leadsync ({}); a push after it "
                       "finishes, or after its lease expires, picks up what it leaves\n",
                       held, text::join(holders, ", "));
  }
  if (report.dead_lettered > 0) {
    out << fmt::format("  {} lead(s) refused by the CRM are in the dead letters: see `leadsync dlq "
                       "list`, fix them and run `leadsync dlq retry --all`\n",
                       report.dead_lettered);
  }
}

// "in 4 min", "in 59 s", "now": how long until `due`.
std::string wait_text(std::chrono::system_clock::time_point due,
                      std::chrono::system_clock::time_point now) {
  constexpr std::int64_t minute = 60;
  constexpr std::int64_t hour = 3600;
  const std::int64_t seconds = std::chrono::ceil<std::chrono::seconds>(due - now).count();
  if (seconds <= 0) {
    return "now";
  }
  if (seconds < 2 * minute) {
    return fmt::format("in {} s", seconds);
  }
  if (seconds < 2 * hour) {
    return fmt::format("in {} min", (seconds + minute - 1) / minute);
  }
  return fmt::format("in {} h", (seconds + hour - 1) / hour);
}

// Issue 18: a push that leaves changes queued says what remains, why, when it is due and what to
// do, so that the exit status 1 it returns can be acted on.
void print_left_for_later(std::ostream& out, const jobs::LeftForLater& left,
                          std::chrono::system_clock::time_point now) {
  const std::string at_least = left.complete ? "" : "at least ";
  out << fmt::format("  left for later: {}{} change(s) of {} lead(s) are still queued", at_least,
                     left.changes, left.leads);
  if (left.throttled > 0) {
    out << fmt::format("; the CRM throttled {} of them (HTTP 429) and a retry is scheduled",
                       left.throttled);
  } else {
    out << "; a retry is scheduled";
  }
  if (!left.last_error.empty()) {
    out << " (last error: " << shown(truncate_display(left.last_error, 160)) << ")";
  }
  out << "\n";
  if (left.next_attempt) {
    out << fmt::format("  next attempt due {} ({})\n", format_time_local(*left.next_attempt),
                       wait_text(*left.next_attempt, now));
  }
  out << "  run `leadsync push` again once it is due, or let the daemon's scheduled push send "
         "them; `leadsync status` shows the outbox\n";
}

} // namespace

int run_push_command(Context& context, const jobs::PushRequest& request) {
  auto runtime = context.runtime();
  if (!runtime.ok()) {
    return context.report(runtime.error());
  }
  // A push that sends registers as a worker while it runs: `status` lists it, its leases are
  // extended by heartbeat, and other pushes sharing the store reap it should it die.
  std::unique_ptr<jobs::WorkerPresence> presence;
  if (!request.dry_run) {
    auto started =
        jobs::WorkerPresence::start((*runtime)->store(), (*runtime)->clock(),
                                    jobs::presence_settings((*runtime)->config(), "push"));
    if (!started.ok()) {
      return context.report(started.error());
    }
    presence = std::move(started).value();
  }
  auto outcome = jobs::run_push(**runtime, request);
  presence.reset();
  if (!outcome.ok()) {
    return context.report(outcome.error());
  }
  auto& out = context.out();
  if (outcome->dry_run) {
    for (const auto& sent : outcome->requests) {
      out << sent << "\n";
    }
    out << "dry run: nothing was sent and the outbox is unchanged\n";
    return exit_ok;
  }
  if (outcome->taken_back.freed > 0) {
    std::vector<std::string> pids;
    for (const long pid : outcome->taken_back.dead_pids) {
      pids.push_back(std::to_string(pid));
    }
    out << fmt::format("took back {} change(s) held by a push that stopped without "
                       "finishing (process {})\n",
                       outcome->taken_back.freed, text::join(pids, ", "));
  }
  print_summary(out, *outcome);
  if (outcome->left.any()) {
    print_left_for_later(out, outcome->left, (*runtime)->clock().now());
  } else if (outcome->left.untried > 0) {
    out << fmt::format("  {} change(s) wait beyond --limit or arrived during the push; the next "
                       "push sends them\n",
                       outcome->left.untried);
  }
  // Exit 1 also when work remains queued for a retry: the push finished, but not everything
  // reached the CRM (cli/exit_codes.hpp).
  return outcome->report.dead_lettered > 0 || outcome->left.any() ? exit_rejected : exit_ok;
}

void add_push_command(CLI::App& app, Context& context, int& exit_code) {
  auto request = std::make_shared<jobs::PushRequest>();
  auto limit = std::make_shared<std::size_t>(0);
  auto* command = app.add_subcommand("push", "Send pending changes to the CRM (push.mode: bulk, "
                                             "batch or single); exit 1 when some were refused or "
                                             "remain queued for a retry");
  command->add_flag("--dry-run", request->dry_run,
                    "Print the requests a push would send, without sending them");
  command->add_option("--limit", *limit, "Push at most N pending changes")
      ->check(CLI::PositiveNumber);
  command->callback([&context, &exit_code, request, limit] {
    if (!context.load_config()) {
      exit_code = exit_usage;
      return;
    }
    if (*limit > 0) {
      request->limit = *limit;
    }
    exit_code = run_push_command(context, *request);
  });
}

} // namespace leadsync::cli
