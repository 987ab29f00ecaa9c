#include "commands.hpp"
#include "exit_codes.hpp"
#include "leadsync/model/json.hpp"
#include "output.hpp"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace leadsync::cli {

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

void print_line(std::ostream& out, const char* label, const std::string& value) {
  if (!value.empty()) {
    out << "  " << label << value << "\n";
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
  // The id whole, as `leads list` shows it (its end), or its start.
  std::vector<model::Lead> matches;
  for (const bool by_end : {true, false}) {
    store::LeadFilter filter;
    (by_end ? filter.id_suffix : filter.id_prefix) = options.id;
    filter.include_deleted = true;
    auto page = store.value()->list_leads(filter, {.limit = 2, .after = {}});
    if (!page.ok()) {
      return context.report(page.error());
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
    context.err() << "error: no lead with id " << options.id
                  << " (use an id from `leadsync leads list`)\n";
    return exit_usage;
  }
  if (matches.size() > 1) {
    context.err() << "error: more than one lead has an id starting or ending with " << options.id
                  << "; give more of the id (`leadsync leads list --json` shows whole ids)\n";
    return exit_usage;
  }
  Result<model::Lead> lead = std::move(matches.front());
  if (options.json) {
    context.out() << model::to_json(*lead).dump(2) << "\n";
    return exit_ok;
  }
  auto& out = context.out();
  const auto& l = lead.value();
  out << model::display_name(l) << (l.deleted ? "  [deleted]" : "") << "\n";
  print_line(out, "id           ", l.identity.id);
  print_line(out, "crm leadid   ", l.identity.crm_id);
  print_line(out, "version      ", std::to_string(l.identity.version));
  print_line(out, "job title    ", l.person.job_title);
  print_line(out, "company      ", l.company.name);
  print_line(out, "domain       ", l.company.domain);
  for (const auto& email : l.person.emails) {
    print_line(out, "e-mail       ", email);
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
  print_line(out, "stage        ", std::string(model::to_string(l.qualification.stage)));
  print_line(out, "score        ", score_text(l.qualification.scores.total));
  if (l.identity.updated_at) {
    print_line(out, "updated      ", format_time_local(*l.identity.updated_at));
  }
  return exit_ok;
}

} // namespace

void add_leads_command(CLI::App& app, Context& context, int& exit_code) {
  auto* leads = app.add_subcommand("leads", "List or show the leads in the store");
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
}

} // namespace leadsync::cli
