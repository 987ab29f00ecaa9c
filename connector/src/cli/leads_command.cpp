#include "commands.hpp"
#include "exit_codes.hpp"
#include "lead_lookup.hpp"
#include "leadsync/core/clock.hpp"
#include "leadsync/importer/dedupe.hpp"
#include "leadsync/importer/review.hpp"
#include "leadsync/model/json.hpp"
#include "output.hpp"

#include <algorithm>
#include <cstdio>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace leadsync::cli {

// The one lead an id names: whole, as `leads list` shows it (its end), or its start. Says what is
// wrong on stderr and returns nullopt when none or several match.
std::optional<model::Lead> find_one(Context& context, store::Store& store, const std::string& id) {
  // The id whole, as `leads list` shows it (its end), or its start.
  std::vector<model::Lead> matches;
  for (const bool by_end : {true, false}) {
    store::LeadFilter filter;
    (by_end ? filter.id_suffix : filter.id_prefix) = id;
    filter.include_deleted = true;
    auto page = store.list_leads(filter, {.limit = 2, .after = {}});
    if (!page.ok()) {
      context.report(page.error());
      return std::nullopt;
    }
    for (auto& found : page->leads) {
      const bool seen = std::any_of(matches.begin(), matches.end(), [&](const model::Lead& lead) {
        return lead.identity.id == found.identity.id;
      });
      if (!seen) {
        matches.push_back(std::move(found));
      }
    }
  }
  if (matches.empty()) {
    context.err() << "error: no lead with id " << id << " (use an id from `leadsync leads list`)\n";
    return std::nullopt;
  }
  if (matches.size() > 1) {
    context.err() << "error: more than one lead has an id starting or ending with " << id
                  << "; give more of the id (`leadsync leads list --json` shows whole ids)\n";
    return std::nullopt;
  }
  return std::move(matches.front());
}

namespace {

struct ListOptions {
  std::string stage;
  bool only_new = false;
  bool include_deleted = false;
  std::size_t limit = 50;
  std::string after;
  bool json = false;
};

struct ShowOptions {
  std::string id;
  bool json = false;
};

struct DuplicatesOptions {
  std::size_t limit = 100;
  bool resolved = false;
  std::string rule;
  bool json = false;
};

struct PairOptions {
  std::string first;
  std::string second;
  bool json = false;
};

// Lead ids are time-ordered (UUID v7): leads made together share their first characters, so the
// short form is the random end.
std::string short_id(const std::string& id) {
  constexpr std::size_t shown = 12;
  return id.size() > shown ? id.substr(id.size() - shown) : id;
}

std::string score_text(double score) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.0f", score);
  return buffer;
}

std::string phone_text(const model::Lead& lead) {
  for (const auto& phone : lead.person.phones) {
    if (!phone.e164.empty()) {
      return phone.e164;
    }
  }
  return lead.person.phones.empty() ? "" : lead.person.phones.front().raw;
}

int run_list(Context& context, const ListOptions& options) {
  if (!context.load_config()) {
    return exit_usage;
  }
  store::LeadFilter filter;
  if (!options.stage.empty()) {
    auto stage = model::parse_lifecycle_stage(options.stage);
    if (!stage.ok()) {
      return context.report(stage.error());
    }
    filter.stage = stage.value();
  }
  if (options.only_new) {
    filter.is_new = true;
  }
  filter.include_deleted = options.include_deleted;
  auto store = context.store();
  if (!store.ok()) {
    return context.report(store.error());
  }
  auto page = store.value()->list_leads(filter, {.limit = options.limit, .after = options.after});
  if (!page.ok()) {
    return context.report(page.error());
  }
  if (options.json) {
    nlohmann::json document = {{"leads", nlohmann::json::array()}, {"next", page->next}};
    for (const auto& lead : page->leads) {
      document["leads"].push_back(model::to_json(lead));
    }
    context.out() << document.dump(2) << "\n";
    return exit_ok;
  }
  if (page->leads.empty()) {
    context.out() << "No leads" << (filter.stage || filter.is_new ? " match the filter" : " yet")
                  << ".\n";
    return exit_ok;
  }
  Table table({"ID", "NAME", "COMPANY", "E-MAIL", "PHONE", "STAGE", "SCORE", "IN CRM"});
  for (const auto& lead : page->leads) {
    const std::string name = lead.person.first_name.empty()
                                 ? lead.person.last_name
                                 : lead.person.first_name + " " + lead.person.last_name;
    table.add_row({short_id(lead.identity.id), truncate_display(name, 28),
                   truncate_display(lead.company.name, 24),
                   truncate_display(model::primary_email(lead), 32), phone_text(lead),
                   std::string(model::to_string(lead.qualification.stage)) +
                       (lead.deleted ? " (deleted)" : ""),
                   score_text(lead.qualification.scores.total),
                   lead.identity.crm_id.empty() ? "-" : "yes"});
  }
  table.print(context.out());
  context.out() << page->leads.size() << " lead(s) shown";
  if (!page->next.empty()) {
    context.out() << "; more with --after " << page->next;
  }
  context.out() << "\n";
  return exit_ok;
}

// Values come from imports, pulls and providers: shown() keeps their control characters visible.
void print_line(std::ostream& out, const char* label, const std::string& value) {
  if (!value.empty()) {
    out << "  " << label << shown(value) << "\n";
  }
}

int run_show(Context& context, const ShowOptions& options) {
  if (!context.load_config()) {
    return exit_usage;
  }
  auto store = context.store();
  if (!store.ok()) {
    return context.report(store.error());
  }
  auto found = find_one(context, *store.value(), options.id);
  if (!found) {
    return exit_usage;
  }
  Result<model::Lead> lead = std::move(*found);
  if (options.json) {
    context.out() << model::to_json(*lead).dump(2) << "\n";
    return exit_ok;
  }
  auto& out = context.out();
  const auto& l = lead.value();
  out << shown(model::display_name(l)) << (l.deleted ? "  [deleted]" : "") << "\n";
  print_line(out, "id           ", l.identity.id);
  print_line(out, "crm leadid   ", l.identity.crm_id);
  print_line(out, "version      ", std::to_string(l.identity.version));
  print_line(out, "job title    ", l.person.job_title);
  print_line(out, "seniority    ", l.person.seniority);
  print_line(out, "company      ", l.company.name);
  print_line(out, "domain       ", l.company.domain);
  print_line(out, "website      ", l.company.website);
  print_line(out, "industry     ", l.company.industry);
  if (l.company.employee_count) {
    print_line(out, "employees    ", std::to_string(*l.company.employee_count));
  }
  if (l.company.annual_revenue) {
    print_line(out, "revenue      ", fmt::format("{:.0f}", *l.company.annual_revenue));
  }
  print_line(out, "city         ", l.company.address.city);
  print_line(out, "country      ", l.company.address.country);
  print_line(out, "linkedin     ", l.social.linkedin_url);
  print_line(out, "x            ", l.social.x_handle.empty() ? "" : "@" + l.social.x_handle);
  print_line(out, "github       ", l.social.github_url);
  print_line(out, "facebook     ", l.social.facebook_url);
  print_line(out, "bio          ", l.social.bio);
  print_line(out, "location     ", l.social.location);
  print_line(out, "blog         ", l.social.blog);
  for (const auto& email : l.person.emails) {
    print_line(out, "e-mail       ", email);
  }
  for (const auto& email : l.person.invalid_emails) { // as received; never used or sent
    print_line(out, "e-mail       ", email + " (invalid: kept as received, not used)");
  }
  for (const auto& phone : l.person.phones) {
    print_line(out, "phone        ",
               (phone.e164.empty() ? phone.raw : phone.e164) +
                   (phone.valid ? "" : " (unverified)"));
  }
  print_line(out, "channel      ", std::string(model::to_string(l.origin.channel)));
  for (const auto& list : l.origin.lists) {
    print_line(out, "list         ",
               list.vendor + " / " + list.list_id +
                   (list.exclusive ? " (exclusive)" : " (shared)"));
  }
  print_line(out, "merged into  ", l.merged_into);
  if (l.merge_count > 0) {
    print_line(out, "merges       ",
               std::to_string(l.merge_count) +
                   (l.merge_count > static_cast<std::int64_t>(l.merges.size())
                        ? " (the first " + std::to_string(l.merges.size()) + " listed)"
                        : ""));
  }
  for (const auto& merge : l.merges) {
    print_line(out, "  merged     ",
               merge.source + " by rule " + merge.rule +
                   (merge.merged_at ? " at " + format_time_local(*merge.merged_at) : ""));
  }
  if (l.enriched_at) {
    print_line(out, "enriched     ", format_time_local(*l.enriched_at));
  }
  // Where each enriched value came from: provider, its own confidence, ours (0-1), fetch time.
  for (const auto& field : l.enrichment) {
    print_line(out, "  provenance ",
               fmt::format("{} from {} (provider confidence {:g}, normalized {:.2f}{})",
                           field.field, field.provider, field.raw_confidence, field.confidence,
                           field.fetched_at ? ", fetched " + format_time_local(*field.fetched_at)
                                            : std::string()));
  }
  print_line(out, "stage        ", std::string(model::to_string(l.qualification.stage)));
  print_line(out, "score        ", score_text(l.qualification.scores.total));
  if (l.identity.updated_at) {
    print_line(out, "updated      ", format_time_local(*l.identity.updated_at));
  }
  auto pairs = store.value()->find_duplicate_pairs(
      {.status = store::DuplicateStatus::open, .rule = {}, .lead_id = l.identity.id, .limit = 20});
  if (pairs.ok()) {
    for (const auto& pair : *pairs) {
      const auto& other = pair.lead_a == l.identity.id ? pair.lead_b : pair.lead_a;
      print_line(out, "possible dup ", short_id(other) + ": " + pair.evidence);
    }
  }
  return exit_ok;
}

std::string pair_status(store::DuplicateStatus status) {
  return std::string(store::to_string(status));
}

nlohmann::json pair_json(const store::DuplicatePair& pair) {
  return {{"id", pair.id},
          {"lead_a", pair.lead_a},
          {"lead_b", pair.lead_b},
          {"rule", pair.rule},
          {"score", pair.score},
          {"evidence", pair.evidence},
          {"source", pair.source},
          {"status", pair_status(pair.status)},
          {"created_at", model::format_time(pair.created_at)},
          {"resolved_at",
           pair.resolved_at ? nlohmann::json(model::format_time(*pair.resolved_at)) : nullptr}};
}

int run_duplicates(Context& context, const DuplicatesOptions& options) {
  if (!context.load_config()) {
    return exit_usage;
  }
  auto store = context.store();
  if (!store.ok()) {
    return context.report(store.error());
  }
  // The strongest evidence first (importer::review_order), then the pairs people resolved.
  std::vector<std::string> rules;
  if (!options.rule.empty()) {
    rules.push_back(options.rule);
  } else {
    for (const auto rule : importer::review_order()) {
      rules.emplace_back(importer::to_string(rule));
    }
    rules.emplace_back("manual");
  }
  std::vector<store::DuplicatePair> pairs;
  for (const auto status :
       options.resolved ? std::vector{store::DuplicateStatus::open, store::DuplicateStatus::merged,
                                      store::DuplicateStatus::not_duplicate}
                        : std::vector{store::DuplicateStatus::open}) {
    for (const auto& rule : rules) {
      if (pairs.size() >= options.limit) {
        break;
      }
      auto found = store.value()->find_duplicate_pairs(
          {.status = status, .rule = rule, .lead_id = {}, .limit = options.limit - pairs.size()});
      if (!found.ok()) {
        return context.report(found.error());
      }
      pairs.insert(pairs.end(), found->begin(), found->end());
    }
  }
  if (options.json) {
    nlohmann::json document = {{"pairs", nlohmann::json::array()}};
    for (const auto& pair : pairs) {
      document["pairs"].push_back(pair_json(pair));
    }
    context.out() << document.dump(2) << "\n";
    return exit_ok;
  }
  if (pairs.empty()) {
    context.out() << "No possible duplicates to review.\n";
    return exit_ok;
  }
  auto& out = context.out();
  for (const auto& pair : pairs) {
    const auto a = store.value()->get_lead(pair.lead_a);
    const auto b = store.value()->get_lead(pair.lead_b);
    const auto name = [](const Result<model::Lead>& lead) {
      return lead.ok()
                 ? shown(model::display_name(*lead) + " <" + model::primary_email(*lead) + ">")
                 : std::string("(gone)");
    };
    out << short_id(pair.lead_a) << "  " << name(a) << "\n"
        << short_id(pair.lead_b) << "  " << name(b) << "\n"
        << "    " << pair.rule
        << (pair.score > 0 ? " (similarity " + score_text(pair.score * 100) + "%)" : "")
        << (pair.status == store::DuplicateStatus::open ? ""
                                                        : "  [" + pair_status(pair.status) + "]")
        << "\n    " << shown(pair.evidence) << "\n    found in " << shown(pair.source) << "\n\n";
  }
  out << pairs.size() << " pair(s). Merge one with `leadsync leads merge A B` (B goes into A), or "
      << "record two people with `leadsync leads not-duplicate A B`.\n";
  return exit_ok;
}

// Opens the store and finds the two leads a pair command names, then runs `action` on them; says
// what is wrong and returns its exit status when either cannot be found.
template <typename Action>
int with_named_pair(Context& context, const PairOptions& options, Action&& action) {
  if (!context.load_config()) {
    return exit_usage;
  }
  auto store = context.store();
  if (!store.ok()) {
    return context.report(store.error());
  }
  const auto first = find_one(context, *store.value(), options.first);
  const auto second = first ? find_one(context, *store.value(), options.second) : std::nullopt;
  if (!first || !second) {
    return exit_usage;
  }
  return action(*store.value(), *first, *second);
}

int merge_pair(Context& context, const PairOptions& options, store::Store& store,
               const model::Lead& target, const model::Lead& subordinate) {
  auto merged = importer::merge_by_hand(store, target.identity.id, subordinate.identity.id,
                                        SystemClock::instance().now());
  if (!merged.ok()) {
    return context.report(merged.error());
  }
  if (options.json) {
    context.out() << nlohmann::json{{"target", model::to_json(merged->target)},
                                    {"subordinate", model::to_json(merged->subordinate)},
                                    {"merged_in_crm", merged->merged_in_crm}}
                         .dump(2)
                  << "\n";
    return exit_ok;
  }
  context.out() << "Merged " << short_id(merged->subordinate.identity.id) << " ("
                << shown(model::display_name(merged->subordinate)) << ") into "
                << short_id(merged->target.identity.id) << " ("
                << shown(model::display_name(merged->target)) << ").\n"
                << (merged->merged_in_crm
                        ? "The next `leadsync push` merges them in Dynamics too (its Merge action: "
                          "the target keeps its values, the other is deactivated and linked).\n"
                        : "The next `leadsync push` sends the merged lead.\n");
  return exit_ok;
}

int run_merge(Context& context, const PairOptions& options) {
  return with_named_pair(
      context, options,
      [&](store::Store& store, const model::Lead& target, const model::Lead& subordinate) {
        return merge_pair(context, options, store, target, subordinate);
      });
}

int declare_two_people(Context& context, const PairOptions& options, store::Store& store,
                       const model::Lead& first, const model::Lead& second) {
  auto pair = importer::mark_not_duplicate(store, first.identity.id, second.identity.id);
  if (!pair.ok()) {
    return context.report(pair.error());
  }
  if (options.json) {
    context.out() << pair_json(*pair).dump(2) << "\n";
    return exit_ok;
  }
  context.out() << "Recorded: " << short_id(first.identity.id) << " ("
                << shown(model::display_name(first)) << ") and " << short_id(second.identity.id)
                << " (" << shown(model::display_name(second))
                << ") are two people; they will not be suggested again.\n";
  return exit_ok;
}

int run_not_duplicate(Context& context, const PairOptions& options) {
  return with_named_pair(context, options,
                         [&](store::Store& store, const model::Lead& a, const model::Lead& b) {
                           return declare_two_people(context, options, store, a, b);
                         });
}

} // namespace

void add_leads_command(CLI::App& app, Context& context, int& exit_code) {
  auto* leads = app.add_subcommand(
      "leads", "List or show the leads in the store; review possible duplicates");
  leads->require_subcommand(1);

  auto list_options = std::make_shared<ListOptions>();
  auto* list = leads->add_subcommand("list", "List leads, newest last");
  list->add_option("--stage", list_options->stage,
                   "Only this lifecycle stage: new, cold, mql, pql, service_qualified, sql, "
                   "qualified, disqualified");
  list->add_flag("--new", list_options->only_new, "Only leads not yet enriched and scored");
  list->add_flag("--deleted", list_options->include_deleted, "Include tombstones");
  list->add_option("--limit", list_options->limit, "At most this many (1-1000)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  list->add_option("--after", list_options->after,
                   "Continue after this cursor (printed at the end)");
  list->add_flag("--json", list_options->json, "Print one JSON document");
  list->callback(
      [&context, &exit_code, list_options] { exit_code = run_list(context, *list_options); });

  auto show_options = std::make_shared<ShowOptions>();
  auto* show = leads->add_subcommand("show", "Show one lead");
  show->add_option("ID", show_options->id,
                   "The lead's id: whole, as `leads list` shows it (its end), or its start")
      ->required();
  show->add_flag("--json", show_options->json, "Print the lead in leadsync's JSON form");
  show->callback(
      [&context, &exit_code, show_options] { exit_code = run_show(context, *show_options); });

  auto duplicates_options = std::make_shared<DuplicatesOptions>();
  auto* duplicates = leads->add_subcommand(
      "duplicates", "List the possible duplicates the import queued for review, with evidence");
  duplicates->add_option("--limit", duplicates_options->limit, "At most this many pairs")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  duplicates->add_flag("--all", duplicates_options->resolved,
                       "Also the pairs already merged or declared two people");
  duplicates->add_option("--rule", duplicates_options->rule,
                         "Only pairs found by this rule, e.g. exact_name_at_domain");
  duplicates->add_flag("--json", duplicates_options->json, "Print one JSON document");
  duplicates->callback([&context, &exit_code, duplicates_options] {
    exit_code = run_duplicates(context, *duplicates_options);
  });

  auto merge_options = std::make_shared<PairOptions>();
  auto* merge = leads->add_subcommand(
      "merge", "Merge lead B into lead A by hand: A keeps its values and gains what it lacks; B "
               "is deactivated (in Dynamics too, through its Merge action)");
  merge->add_option("A", merge_options->first, "The lead that stays (id, or its start or end)")
      ->required();
  merge->add_option("B", merge_options->second, "The lead merged into A")->required();
  merge->add_flag("--json", merge_options->json, "Print both leads as written");
  merge->callback(
      [&context, &exit_code, merge_options] { exit_code = run_merge(context, *merge_options); });

  auto not_duplicate_options = std::make_shared<PairOptions>();
  auto* not_duplicate = leads->add_subcommand(
      "not-duplicate", "Record that two leads are two people: never suggested again");
  not_duplicate->add_option("A", not_duplicate_options->first, "One lead")->required();
  not_duplicate->add_option("B", not_duplicate_options->second, "The other lead")->required();
  not_duplicate->add_flag("--json", not_duplicate_options->json, "Print the pair as recorded");
  not_duplicate->callback([&context, &exit_code, not_duplicate_options] {
    exit_code = run_not_duplicate(context, *not_duplicate_options);
  });
}

} // namespace leadsync::cli
