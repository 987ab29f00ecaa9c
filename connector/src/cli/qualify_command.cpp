// `leadsync qualify [--dry-run] [--explain ID] [--json]`: flags and presentation. The run and the
// explanation are the qualify job (jobs/qualify.hpp).

#include "commands.hpp"
#include "exit_codes.hpp"
#include "lead_lookup.hpp"
#include "leadsync/jobs/qualify.hpp"
#include "leadsync/model/json.hpp"
#include "output.hpp"
#include "stop_signals.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <unistd.h>

namespace leadsync::cli {
namespace {

struct QualifyOptions {
  bool dry_run = false;
  std::string explain;
  bool json = false;
  bool no_progress = false;
};

std::string outcome_text(const qualify::Decision& decision) {
  switch (decision.kind) {
  case qualify::DecisionKind::qualify: {
    std::string records;
    for (const auto& [wanted, name] : {std::pair{decision.create_account, "account"},
                                       std::pair{decision.create_contact, "contact"},
                                       std::pair{decision.create_opportunity, "opportunity"}}) {
      if (wanted) {
        records += (records.empty() ? "" : ", ") + std::string(name);
      }
    }
    // The rules' currency is not sent yet (QualifyLead needs a transactioncurrency id), so it is
    // not shown as if it were.
    return fmt::format("qualify (QualifyLead creates {}{})", records.empty() ? "nothing" : records,
                       decision.campaign.empty() ? "" : ", source campaign " + decision.campaign);
  }
  case qualify::DecisionKind::disqualify: {
    const char* reasons[] = {"lost", "cannot contact", "no longer interested", "canceled"};
    const int code = decision.status_reason;
    return fmt::format("disqualify, status reason {} ({})", code,
                       code >= 4 && code <= 7 ? reasons[code - 4] : "?");
  }
  case qualify::DecisionKind::leave_open:
    break;
  }
  return fmt::format("leave open, rating {}", qualify::quality_name(decision.quality_code));
}

nlohmann::json explain_json(const qualify::Assessment& assessment) {
  nlohmann::json reasons = nlohmann::json::array();
  for (const auto& reason : assessment.reasons) {
    reasons.push_back({{"rule", reason.rule},
                       {"group", qualify::group_name(reason.group)},
                       {"points", reason.points},
                       {"detail", reason.value.empty() ? reason.detail
                                                       : reason.value + " (" + reason.detail + ")"},
                       {"decay", reason.decay},
                       {"events", reason.events}});
  }
  const auto& s = assessment.scores;
  return {{"scores",
           {{"fit", s.fit},
            {"engagement", s.engagement},
            {"data_quality", s.data_quality},
            {"bant", s.bant},
            {"total", s.total}}},
          {"grade", std::string(1, assessment.grade)},
          {"stage", model::to_string(assessment.stage)},
          {"decision", qualify::decision_name(assessment.decision.kind)},
          {"decision_rule", assessment.decision.rule},
          {"status_reason", assessment.decision.status_reason},
          {"quality", qualify::quality_name(assessment.decision.quality_code)},
          {"kept_crm_decision", assessment.overridden_by_crm},
          {"would_have", assessment.overridden_by_crm
                             ? nlohmann::json(qualify::decision_name(assessment.would_have.kind))
                             : nlohmann::json(nullptr)},
          {"reason_text", assessment.reason_text},
          {"reasons", reasons}};
}

void print_explanation(std::ostream& out, const model::Lead& lead,
                       const qualify::Assessment& assessment) {
  const auto& s = assessment.scores;
  out << shown(model::display_name(lead)) << "  (" << lead.identity.id << ")\n";
  out << fmt::format("  total {:.0f}, grade {}, stage {}\n", s.total, assessment.grade,
                     model::to_string(assessment.stage));
  out << "  decision: " << outcome_text(assessment.decision)
      << (assessment.decision.rule.empty() ? "" : "  [rule " + assessment.decision.rule + "]")
      << "\n";
  if (assessment.overridden_by_crm) {
    out << "  kept: the CRM or a person decided this lead; the rules would have said "
        << outcome_text(assessment.would_have) << "\n";
  }
  out << "  groups (points before the cap -> score 0-100, weight):\n";
  for (std::size_t i = 0; i < qualify::group_count; ++i) {
    const auto& group = assessment.groups[i];
    out << fmt::format("    {:<13} {:>7.2f} of cap {:<5g} -> {:>3.0f}  x{:g}%{}\n",
                       qualify::group_name(static_cast<qualify::Group>(i)), group.points, group.cap,
                       group.score, group.weight, group.capped ? "  (capped)" : "");
  }
  out << "  top reasons, largest first:\n";
  Table table({"    POINTS", "GROUP", "RULE", "LOOKED AT"});
  for (const auto& reason : assessment.reasons) {
    std::string looked_at = reason.value.empty() ? reason.detail : reason.value;
    if (reason.events > 0) {
      looked_at =
          fmt::format("{} event(s), decayed to {:.0f}%{}", reason.events, reason.decay * 100,
                      reason.detail.empty() ? "" : "; " + reason.detail);
    }
    table.add_row({fmt::format("    {:+.2f}", reason.points),
                   std::string(qualify::group_name(reason.group)), reason.rule,
                   truncate_display(looked_at, 70)});
  }
  table.print(out);
  if (!assessment.events.empty()) {
    out << "  events (each kind's points halve every half-life; over the daily cap: 0):\n";
    Table events({"    KIND", "AGE (DAYS)", "BASE", "DECAY", "POINTS"});
    for (const auto& event : assessment.events) {
      events.add_row(
          {"    " + std::string(qualify::kind_name(event.kind)),
           fmt::format("{:.1f}", event.age_days), fmt::format("{:g}", event.base),
           fmt::format("x{:.2f}", event.decay),
           event.capped ? std::string("0 (daily cap)") : fmt::format("{:.2f}", event.points)});
    }
    events.print(out);
  }
  out << "  for the CRM: " << shown(assessment.reason_text) << "\n";
}

int run_explain(Context& context, const QualifyOptions& options, jobs::Runtime& runtime) {
  auto lead = find_one(context, runtime.store(), options.explain);
  if (!lead) {
    return exit_usage;
  }
  auto assessment = jobs::explain_lead(runtime, lead->identity.id);
  if (!assessment.ok()) {
    return context.report(assessment.error());
  }
  if (options.json) {
    context.out() << explain_json(*assessment).dump(2) << "\n";
  } else {
    print_explanation(context.out(), *lead, *assessment);
  }
  return exit_ok;
}

std::string counts(const std::map<std::string, std::int64_t>& by) {
  std::string text;
  for (const auto& [name, count] : by) {
    text += fmt::format("{}{} {}", text.empty() ? "" : ", ", count, name);
  }
  return text.empty() ? "none" : text;
}

int run_qualify(Context& context, const QualifyOptions& options) {
  if (!context.load_config()) {
    return exit_usage;
  }
  auto runtime = context.runtime();
  if (!runtime.ok()) {
    return context.report(runtime.error());
  }
  // The rules first: a broken rules file is reported before anything else is looked at.
  if (auto rules = runtime.value()->rules(); !rules.ok()) {
    return context.report(rules.error());
  }
  if (!options.explain.empty()) {
    return run_explain(context, options, **runtime);
  }
  std::optional<StopSignals> signals;
  signals.emplace([&context](int signal) {
    context.err() << signal_name(signal) << " received: stopping after the batch being written\n"
                  << std::flush;
  });
  const bool show_progress = !options.no_progress && !options.json && ::isatty(STDERR_FILENO) == 1;
  jobs::JobContext job{.cancel = signals->token(), .on_progress = {}};
  if (show_progress) {
    job.on_progress = [&context](const jobs::JobProgress& progress) {
      context.err() << "\r  scoring: " << progress.done << " leads   " << std::flush;
    };
  }
  auto outcome = jobs::run_qualify(**runtime, {.dry_run = options.dry_run}, job);
  const int stopped_by = signals->signal();
  signals.reset();
  if (show_progress) {
    context.err() << "\n";
  }
  if (!outcome.ok()) {
    return context.report(outcome.error());
  }
  const auto& o = outcome->figures;
  if (options.json) {
    context.out() << nlohmann::json{{"dry_run", o.dry_run},
                                    {"status", o.status},
                                    {"run_id", o.run_id},
                                    {"leads", o.leads},
                                    {"changed", o.changed},
                                    {"unchanged", o.unchanged},
                                    {"kept_crm_decisions", o.kept_crm_decisions},
                                    {"stages", o.stages},
                                    {"grades", o.grades},
                                    {"decisions", o.decisions},
                                    {"errors", o.errors},
                                    {"failures", o.failures},
                                    {"interrupted", o.interrupted}}
                         .dump(2)
                  << "\n";
  } else {
    auto& out = context.out();
    out << fmt::format("qualify{}: {} lead(s) scored, {} changed, {} unchanged\n",
                       o.dry_run ? " (dry run: nothing written)" : "", o.leads, o.changed,
                       o.unchanged);
    out << "  grades: " << counts(o.grades) << "\n";
    out << "  stages of the changed leads: " << counts(o.stages) << "\n";
    out << "  new decisions: " << counts(o.decisions)
        << (o.dry_run ? "" : " (the next push sends them to the CRM)") << "\n";
    if (o.kept_crm_decisions > 0) {
      out << "  " << o.kept_crm_decisions
          << " lead(s) closed in the CRM or decided by a person: their decision is kept\n";
    }
    for (const auto& failure : o.failures) {
      out << "  error: " << shown(failure) << "\n";
    }
  }
  if (o.interrupted && stopped_by != 0) {
    return exit_stopped_by(stopped_by);
  }
  return o.errors > 0 ? exit_rejected : exit_ok;
}

} // namespace

void add_qualify_command(CLI::App& app, Context& context, int& exit_code) {
  auto options = std::make_shared<QualifyOptions>();
  auto* command = app.add_subcommand(
      "qualify", "Score every lead, set its stage and decide (qualify, disqualify, leave open), "
                 "with the reasons; push sends the outcomes");
  command->add_flag("--dry-run", options->dry_run, "Score and count; write nothing");
  command->add_option("--explain", options->explain,
                      "Show why one lead scores and is decided as it is (its id)");
  command->add_flag("--json", options->json, "One JSON document on stdout");
  command->add_flag("--no-progress", options->no_progress, "No progress line");
  command->callback(
      [&context, &exit_code, options] { exit_code = run_qualify(context, *options); });
}

} // namespace leadsync::cli
