// `leadsync enrich`: flags, a progress line and the summary. The run is the enrich job
// (jobs/enrich.hpp).

#include "commands.hpp"
#include "exit_codes.hpp"
#include "leadsync/jobs/enrich.hpp"
#include "output.hpp"
#include "stop_signals.hpp"

#include <chrono>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <unistd.h>

namespace leadsync::cli {
namespace {

struct EnrichOptions {
  bool new_leads = false;
  bool all = false;
  std::string lead_id;
  std::string provider;
  bool dry_run = false;
  std::int64_t limit = 0;
  bool json = false;
  bool no_progress = false;
};

nlohmann::json to_json(const enrich::EnrichOutcome& outcome) {
  nlohmann::json providers = nlohmann::json::object();
  for (const auto& [name, tally] : outcome.providers) {
    providers[name] = {{"status", tally.status},
                       {"lookups", tally.lookups},
                       {"calls", tally.calls},
                       {"matched", tally.matched},
                       {"no_match", tally.no_match},
                       {"pending", tally.pending},
                       {"invalid", tally.invalid},
                       {"errors", tally.errors},
                       {"cache_hits", tally.cache_hits},
                       {"credits_spent", tally.credits_spent},
                       {"fields_filled", tally.fields_filled},
                       {"fields_refused", tally.fields_refused},
                       {"skipped", tally.skipped}};
  }
  nlohmann::json failures = nlohmann::json::array();
  for (const auto& failure : outcome.failures) {
    failures.push_back({{"lead", failure.lead_id}, {"message", failure.message}});
  }
  return {{"dry_run", outcome.dry_run},
          {"status", outcome.status},
          {"run_id", outcome.run_id},
          {"leads", outcome.leads},
          {"enriched", outcome.enriched},
          {"lookups", outcome.lookups},
          {"matched", outcome.matched},
          {"fields_filled", outcome.fields_filled},
          {"cache_hits", outcome.cache_hits},
          {"credits_spent", outcome.credits_spent},
          {"skipped_consent", outcome.skipped_consent},
          {"consent_reasons", outcome.consent_reasons},
          {"pending", outcome.pending},
          {"resolved_pending", outcome.resolved_pending},
          {"deferred", outcome.deferred},
          {"errors", outcome.errors},
          {"failures", failures},
          {"warnings", outcome.warnings},
          {"notices", outcome.notices},
          {"interrupted", outcome.interrupted},
          {"providers", providers}};
}

void print_summary(std::ostream& out, const enrich::EnrichOutcome& outcome) {
  out << fmt::format("enrich{}: {} lead(s) looked at, {} enriched, {} field(s) filled\n",
                     outcome.dry_run ? " (dry run: nothing asked, nothing written)" : "",
                     outcome.leads, outcome.enriched, outcome.fields_filled);
  out << fmt::format("  {} {}, {} matched, {} cache hit(s), {} credit(s) spent\n", outcome.lookups,
                     outcome.dry_run ? "lookup(s) would be sent" : "lookup(s)", outcome.matched,
                     outcome.cache_hits, outcome.credits_spent);
  if (outcome.skipped_consent > 0) {
    std::string reasons;
    for (const auto& [reason, count] : outcome.consent_reasons) {
      reasons += fmt::format("{}{} {}", reasons.empty() ? "" : ", ", count, reason);
    }
    out << fmt::format("  {} lead(s) not looked up for personal data by consent ({}); company "
                       "lookups only\n",
                       outcome.skipped_consent, reasons);
  }
  if (outcome.pending > 0 || outcome.resolved_pending > 0) {
    out << fmt::format("  {} lookup(s) queued by a provider (asked again by a later run), {} "
                       "queued earlier now answered\n",
                       outcome.pending, outcome.resolved_pending);
  }
  if (outcome.deferred > 0) {
    out << fmt::format("  {} lead(s) left for a later run (quota, budget or rate limit)\n",
                       outcome.deferred);
  }
  for (const auto& [name, tally] : outcome.providers) {
    out << fmt::format("  {:<12} {:>6} lookup(s) in {} call(s), {} matched, {} no match, {} "
                       "cache hit(s), {} credit(s), {} field(s){}{}\n",
                       name, tally.lookups, tally.calls, tally.matched, tally.no_match,
                       tally.cache_hits, tally.credits_spent, tally.fields_filled,
                       tally.skipped > 0 ? fmt::format(", {} skipped", tally.skipped) : "",
                       tally.status == "ok" ? "" : " [" + tally.status + "]");
  }
  for (const auto& warning : outcome.warnings) {
    out << "  warning: " << shown(warning) << "\n";
  }
  for (const auto& notice : outcome.notices) {
    out << "  note: " << shown(notice) << "\n";
  }
  if (outcome.errors > 0) {
    out << fmt::format("  {} error(s); these leads are not marked enriched and a later run tries "
                       "them again:\n",
                       outcome.errors);
    for (const auto& failure : outcome.failures) {
      out << "    " << failure.lead_id << ": " << shown(failure.message) << "\n";
    }
  }
  if (outcome.interrupted) {
    out << "  stopped before the end; run enrich again to go on (nothing is paid twice)\n";
  }
}

int run_enrich(Context& context, const EnrichOptions& options) {
  if (!context.load_config()) {
    return exit_usage;
  }
  if ((options.new_leads ? 1 : 0) + (options.all ? 1 : 0) + (options.lead_id.empty() ? 0 : 1) > 1) {
    context.err() << "error: give one of --new, --all and --lead ID\n";
    return exit_usage;
  }
  auto runtime = context.runtime();
  if (!runtime.ok()) {
    return context.report(runtime.error());
  }
  std::optional<StopSignals> signals;
  const bool show_progress = !options.no_progress && !options.json && ::isatty(STDERR_FILENO) == 1;
  signals.emplace([&context, show_progress](int signal) {
    context.err() << (show_progress ? "\n" : "") << signal_name(signal)
                  << " received: stopping after the batch being written; send it again to stop "
                     "at once (what is written is kept, answers are cached)\n"
                  << std::flush;
  });
  auto last_drawn = std::chrono::steady_clock::time_point{};
  const jobs::EnrichRequest request{.selection = options.all ? enrich::Selection::all
                                                 : !options.lead_id.empty()
                                                     ? enrich::Selection::one
                                                     : enrich::Selection::new_leads,
                                    .lead_id = options.lead_id,
                                    .provider = options.provider,
                                    .dry_run = options.dry_run,
                                    .limit = options.limit};
  jobs::JobContext job{.cancel = signals->token(), .on_progress = {}};
  if (show_progress) {
    job.on_progress = [&](const jobs::JobProgress& progress) {
      const auto now = std::chrono::steady_clock::now();
      if (now - last_drawn < std::chrono::milliseconds{200}) {
        return;
      }
      last_drawn = now;
      const std::string of = progress.total > 0 ? fmt::format(" of {}", progress.total) : "";
      context.err() << fmt::format("\r  enriching: {}{} leads, {} lookups, {} matched   ",
                                   progress.done, of, progress.lookups, progress.matched)
                    << std::flush;
    };
  }
  auto outcome = jobs::run_enrich(**runtime, request, job);
  const int stopped_by = signals->signal();
  signals.reset(); // SIGINT and SIGTERM end the process again
  if (show_progress && last_drawn != std::chrono::steady_clock::time_point{}) {
    context.err() << "\n";
  }
  if (!outcome.ok()) {
    return context.report(outcome.error());
  }
  const auto& figures = outcome->figures;
  if (options.json) {
    context.out() << to_json(figures).dump(2) << "\n";
  } else {
    print_summary(context.out(), figures);
  }
  if (figures.interrupted && stopped_by != 0) {
    return exit_stopped_by(stopped_by);
  }
  return figures.errors > 0 ? exit_rejected : exit_ok;
}

} // namespace

void add_enrich_command(CLI::App& app, Context& context, int& exit_code) {
  auto options = std::make_shared<EnrichOptions>();
  auto* command = app.add_subcommand(
      "enrich", "Fill job titles, company data and social profiles from the enrichment providers");
  command->add_flag("--new", options->new_leads,
                    "Leads enrichment has not looked at yet (the default)");
  command->add_flag("--all", options->all, "Every lead, again (cached answers cost nothing)");
  command->add_option("--lead", options->lead_id, "One lead, by id");
  command->add_option("--provider", options->provider, "Ask only this provider (its name)");
  command->add_flag("--dry-run", options->dry_run,
                    "Count what would be looked up; ask nothing, write nothing");
  command->add_option("--limit", options->limit, "At most N leads")->check(CLI::PositiveNumber);
  command->add_flag("--json", options->json, "One JSON document on stdout");
  command->add_flag("--no-progress", options->no_progress,
                    "No progress line (there is none when stderr is not a terminal)");
  command->callback([&context, &exit_code, options] { exit_code = run_enrich(context, *options); });
}

} // namespace leadsync::cli
