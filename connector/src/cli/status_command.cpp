#include "commands.hpp"
#include "exit_codes.hpp"
#include "leadsync/core/schedule.hpp"
#include "leadsync/enrich/enricher.hpp"
#include "leadsync/jobs/job_kind.hpp"
#include "leadsync/model/json.hpp"
#include "output.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

namespace leadsync::cli {

namespace {

struct StatusOptions {
  bool json = false;
  std::size_t runs = 5;
};

std::string counts_text(const std::map<std::string, std::int64_t>& counts) {
  std::string text;
  for (const auto& [name, value] : counts) {
    text += (text.empty() ? "" : ", ") + name + " " + std::to_string(value);
  }
  return text;
}

// How far back `status` looks for the last push run.
// What each enrichment provider used today and this month (UTC), against its quotas and budgets.
struct ProviderUsageRow {
  const config::EnrichProviderOptions* options;
  store::ProviderUsage today;
  store::ProviderUsage month;
};

std::vector<ProviderUsageRow> enrichment_usage(const config::Config& config, store::Store& store) {
  const enrich::UsagePeriods periods = enrich::usage_periods(SystemClock::instance().now());
  std::vector<ProviderUsageRow> rows;
  for (const auto& provider : config.enrich.providers) {
    auto today = store.get_usage(provider.name, periods.day);
    auto month = store.get_usage(provider.name, periods.month);
    rows.push_back({.options = &provider,
                    .today = today.ok() ? *today : store::ProviderUsage{},
                    .month = month.ok() ? *month : store::ProviderUsage{}});
  }
  return rows;
}

nlohmann::json enrichment_usage_json(const config::Config& config, store::Store& store) {
  nlohmann::json providers = nlohmann::json::object();
  for (const auto& row : enrichment_usage(config, store)) {
    providers[row.options->name] = {
        {"kind", row.options->kind},
        {"today", {{"requests", row.today.requests}, {"credits", row.today.credits}}},
        {"month", {{"requests", row.month.requests}, {"credits", row.month.credits}}},
        {"daily_quota", row.options->daily_quota},
        {"monthly_quota", row.options->monthly_quota},
        {"credit_budget_per_day", row.options->credit_budget_per_day}};
  }
  return providers;
}

void print_enrichment_usage(std::ostream& out, const config::Config& config, store::Store& store) {
  const auto of = [](std::int64_t limit) {
    return limit > 0 ? " of " + std::to_string(limit) : std::string();
  };
  for (const auto& row : enrichment_usage(config, store)) {
    out << "  enrichment     " << row.options->name << ": today " << row.today.requests
        << " request(s)" << of(row.options->daily_quota) << ", " << row.today.credits
        << " credit(s)" << of(row.options->credit_budget_per_day) << "; this month "
        << row.month.requests << " request(s)" << of(row.options->monthly_quota) << "\n";
  }
}

// The next run of a schedule after `now`, as the daemon computes it: cron expressions in the
// config's time zone (parse_schedule took it); @every intervals counted from the job's last firing,
// which the daemon keeps in the checkpoint "schedule:<job>:last" (from now when it never fired).
std::optional<Schedule::TimePoint> next_run(const Schedule& schedule, Schedule::TimePoint now,
                                            const std::map<std::string, std::string>& checkpoints,
                                            jobs::JobKind kind) {
  Schedule::TimePoint start = now;
  if (const auto last =
          checkpoints.find("schedule:" + std::string(jobs::to_string(kind)) + ":last");
      last != checkpoints.end()) {
    if (auto parsed = model::parse_time(last->second); parsed.ok()) {
      start = *parsed;
    }
  }
  return schedule.next_after(now, start);
}

// What the daemon would do for one scheduled job kind (config [schedule]).
struct ScheduledJob {
  jobs::JobKind kind = jobs::JobKind::pull;
  std::string expression;                  // empty: off
  std::string described;                   // Schedule::describe(), or why it is unusable
  std::optional<Schedule::TimePoint> next; // nullopt: off, unusable, or never fires
  bool valid = false;
};

std::vector<ScheduledJob> scheduled_jobs(const config::Config& config,
                                         const std::map<std::string, std::string>& checkpoints,
                                         Schedule::TimePoint now) {
  std::vector<ScheduledJob> jobs;
  for (const auto kind : jobs::all_job_kinds) {
    if (kind == jobs::JobKind::import) { // watched (schedule.import_watch), not scheduled
      continue;
    }
    ScheduledJob job{.kind = kind,
                     .expression = jobs::schedule_expression(config.schedule, kind),
                     .described = {},
                     .next = std::nullopt,
                     .valid = false};
    if (!job.expression.empty()) {
      auto schedule = parse_schedule(job.expression, config.schedule.timezone);
      if (schedule.ok()) {
        job.valid = true;
        job.described = schedule->describe();
        job.next = next_run(*schedule, now, checkpoints, kind);
      } else {
        job.described = schedule.error().message;
      }
    }
    jobs.push_back(std::move(job));
  }
  return jobs;
}

nlohmann::json schedule_json(const std::vector<ScheduledJob>& scheduled) {
  nlohmann::json document = nlohmann::json::object();
  for (const auto& job : scheduled) {
    const std::string name(jobs::to_string(job.kind));
    if (job.expression.empty()) {
      document[name] = nullptr; // off
      continue;
    }
    document[name] = {{"expression", job.expression},
                      {"valid", job.valid},
                      {"description", job.described},
                      {"next_run", job.next ? nlohmann::json(model::format_time(*job.next))
                                            : nlohmann::json(nullptr)}};
  }
  return document;
}

void print_schedule(std::ostream& out, const std::vector<ScheduledJob>& scheduled) {
  for (const auto& job : scheduled) {
    out << "  schedule       " << jobs::to_string(job.kind) << ": ";
    if (job.expression.empty()) {
      out << "off\n";
    } else if (!job.valid) {
      out << "\"" << job.expression << "\" is not a schedule: " << job.described << "\n";
    } else if (!job.next) {
      out << job.described << ", never fires\n";
    } else {
      out << "next " << format_time_local(*job.next) << " (" << job.described << ")\n";
    }
  }
}

// A worker that has not beaten for this long is taken for dead by the others (jobs/presence.hpp).
constexpr auto worker_dead_after = std::chrono::seconds{30};

nlohmann::json workers_json(const std::vector<store::WorkerInfo>& workers) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& worker : workers) {
    list.push_back({{"id", worker.id},
                    {"host", worker.host},
                    {"pid", worker.pid},
                    {"kind", worker.kind},
                    {"crm_user", worker.crm_user},
                    {"started_at", model::format_time(worker.started_at)},
                    {"heartbeat_at", model::format_time(worker.heartbeat_at)},
                    {"outbox_held", worker.outbox_held},
                    {"webhook_events_held", worker.webhook_events_held}});
  }
  return list;
}

void print_workers(std::ostream& out, const std::vector<store::WorkerInfo>& workers,
                   store::TimePoint now) {
  if (workers.empty()) {
    out << "  workers        none running\n";
    return;
  }
  out << "  workers        " << workers.size() << " running:\n";
  Table table({"    HOST", "PID", "KIND", "CRM USER", "HEARTBEAT", "HOLDS"});
  for (const auto& worker : workers) {
    const auto ago = std::chrono::duration_cast<std::chrono::seconds>(now - worker.heartbeat_at);
    table.add_row({"    " + worker.host, std::to_string(worker.pid), worker.kind,
                   worker.crm_user.empty() ? "-" : worker.crm_user,
                   std::to_string(std::max<std::int64_t>(0, ago.count())) + " s ago",
                   std::to_string(worker.outbox_held) + " change(s), " +
                       std::to_string(worker.webhook_events_held) + " webhook event(s)"});
  }
  table.print(out);
}

constexpr std::size_t runs_searched_for_push = 100;

// The 429s and the time waited in the last push run, the throttling a user sees.
std::optional<store::RunRecord> last_push(store::Store& store) {
  auto runs = store.list_runs(runs_searched_for_push);
  if (!runs.ok()) {
    return std::nullopt;
  }
  for (auto& run : *runs) {
    if (run.kind == "push") {
      return std::move(run);
    }
  }
  return std::nullopt;
}

std::int64_t count_of(const store::RunRecord& run, const std::string& name) {
  const auto found = run.counts.find(name);
  return found == run.counts.end() ? 0 : found->second;
}

int run_status(Context& context, const StatusOptions& options) {
  if (!context.load_config()) {
    return exit_usage;
  }
  auto store = context.store();
  if (!store.ok()) {
    return context.report(store.error());
  }
  auto stats = store.value()->stats();
  auto runs = store.value()->list_runs(options.runs);
  auto checkpoints = store.value()->list_checkpoints();
  const auto now = SystemClock::instance().now();
  auto workers = store.value()->list_workers(now - worker_dead_after, now);
  for (const Error* error :
       {stats.ok() ? nullptr : &stats.error(), runs.ok() ? nullptr : &runs.error(),
        checkpoints.ok() ? nullptr : &checkpoints.error(),
        workers.ok() ? nullptr : &workers.error()}) {
    if (error != nullptr) {
      return context.report(*error);
    }
  }
  const auto& s = stats.value();
  const auto push = last_push(*store.value());
  const auto scheduled =
      scheduled_jobs(context.config(), checkpoints.value(), SystemClock::instance().now());
  if (options.json) {
    nlohmann::json document = {
        {"config", context.config_path().string()},
        {"crm", context.config().crm.url},
        {"store", context.config().store.url},
        {"leads",
         {{"total", s.leads}, {"tombstones", s.tombstones}, {"by_stage", s.leads_by_stage}}},
        {"outbox", {{"pending", s.outbox_pending}, {"leased", s.outbox_leased}}},
        {"dead_letters", s.dead_letters},
        {"possible_duplicates", s.possible_duplicates},
        {"throttling", push ? nlohmann::json{{"http_429", count_of(*push, "throttled")},
                                             {"waited_ms", count_of(*push, "waited_ms")}}
                            : nlohmann::json(nullptr)},
        {"behaviour_events", s.behaviour_events},
        {"enrichment", enrichment_usage_json(context.config(), **store)},
        {"checkpoints", checkpoints.value()},
        {"schedule", schedule_json(scheduled)},
        {"workers", workers_json(workers.value())},
        {"runs", nlohmann::json::array()}};
    for (const auto& run : runs.value()) {
      nlohmann::json entry = {
          {"id", run.id},         {"kind", run.kind},
          {"status", run.status}, {"started_at", model::format_time(run.started_at)},
          {"counts", run.counts}, {"message", run.message}};
      if (run.finished_at) {
        entry["finished_at"] = model::format_time(*run.finished_at);
      }
      document["runs"].push_back(std::move(entry));
    }
    context.out() << document.dump(2) << "\n";
    return exit_ok;
  }
  auto& out = context.out();
  out << "leadsync status (" << context.config_path().string() << ")\n";
  out << "  CRM            " << context.config().crm.url << "\n";
  out << "  store          " << context.config().store.url << "\n";
  out << "  leads          " << s.leads << " (" << counts_text(s.leads_by_stage) << ")";
  if (s.tombstones > 0) {
    out << ", " << s.tombstones << " deleted";
  }
  out << "\n";
  out << "  outbox         " << s.outbox_pending << " change(s) waiting to be pushed";
  if (s.outbox_leased > 0) {
    out << ", " << s.outbox_leased << " in flight";
  }
  out << "\n";
  out << "  dead letters   " << s.dead_letters;
  if (s.dead_letters > 0) {
    out << " (leadsync dlq list)";
  }
  out << "\n";
  out << "  to review      " << s.possible_duplicates << " possible duplicate pair(s)"
      << (s.possible_duplicates > 0 ? " (leadsync leads duplicates)" : "") << "\n";
  if (push) {
    out << "  throttling     last push saw " << count_of(*push, "throttled") << " HTTP 429, waited "
        << count_of(*push, "waited_ms") << " ms\n";
  } else {
    out << "  throttling     no push has run yet\n";
  }
  print_enrichment_usage(out, context.config(), **store);
  print_schedule(out, scheduled);
  print_workers(out, workers.value(), now);
  if (checkpoints->empty()) {
    out << "  checkpoints    none (no pull has run yet)\n";
  } else {
    for (const auto& [name, value] : checkpoints.value()) {
      out << "  checkpoint     " << name << " = " << shown(truncate_display(value, 60)) << "\n";
    }
  }
  if (runs->empty()) {
    out << "  last runs      none\n";
    return exit_ok;
  }
  out << "  last runs:\n";
  Table table({"    STARTED", "KIND", "STATUS", "COUNTS"});
  for (const auto& run : runs.value()) {
    table.add_row({"    " + format_time_local(run.started_at), run.kind, run.status,
                   counts_text(run.counts)});
  }
  table.print(out);
  return exit_ok;
}

} // namespace

void add_status_command(CLI::App& app, Context& context, int& exit_code) {
  auto options = std::make_shared<StatusOptions>();
  auto* command =
      app.add_subcommand("status", "Show leads, outbox backlog, dead letters, checkpoints, each "
                                   "scheduled job's next run, the running workers and the last "
                                   "runs");
  command->add_flag("--json", options->json, "Print one JSON document");
  command->add_option("--runs", options->runs, "How many recent runs to show")
      ->capture_default_str();
  command->callback([&context, &exit_code, options] { exit_code = run_status(context, *options); });
}

} // namespace leadsync::cli
