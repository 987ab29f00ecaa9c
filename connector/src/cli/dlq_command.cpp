#include "commands.hpp"
#include "exit_codes.hpp"
#include "leadsync/model/json.hpp"
#include "output.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace leadsync::cli {

namespace {

constexpr std::size_t list_limit = 1000;

int list_dead_letters(Context& context, bool json) {
  auto store = context.store();
  if (!store.ok()) {
    return context.report(store.error());
  }
  auto letters = store.value()->list_dead_letters(list_limit);
  if (!letters.ok()) {
    return context.report(letters.error());
  }
  if (json) {
    nlohmann::json document = nlohmann::json::array();
    for (const auto& letter : *letters) {
      document.push_back({{"id", letter.id},
                          {"lead", letter.lead_id},
                          {"operation", store::to_string(letter.operation)},
                          {"http_status", letter.http_status},
                          {"code", letter.service_code},
                          {"category", letter.error_category},
                          {"message", letter.message},
                          {"attempts", letter.attempts},
                          {"when", model::format_time(letter.created_at)}});
    }
    context.out() << document.dump(2) << "\n";
    return exit_ok;
  }
  if (letters->empty()) {
    context.out() << "no dead letters\n";
    return exit_ok;
  }
  Table table({"ID", "LEAD", "OPERATION", "CODE", "MESSAGE", "ATTEMPTS", "WHEN"});
  for (const auto& letter : *letters) {
    const std::string code = !letter.service_code.empty() ? letter.service_code
                             : letter.http_status > 0     ? std::to_string(letter.http_status)
                                                          : letter.error_category;
    table.add_row({std::to_string(letter.id), letter.lead_id,
                   std::string(store::to_string(letter.operation)), code,
                   truncate_display(letter.message, 70), std::to_string(letter.attempts),
                   format_time_local(letter.created_at)});
  }
  table.print(context.out());
  context.out() << "Fix the lead (or the mapping), then `leadsync dlq retry ID` or `--all`; "
                   "`leadsync dlq drop ID` forgets one.\n";
  return exit_ok;
}

int retry_dead_letters(Context& context, std::optional<std::int64_t> id) {
  auto store = context.store();
  if (!store.ok()) {
    return context.report(store.error());
  }
  std::vector<std::int64_t> ids;
  if (id) {
    ids.push_back(*id);
  } else {
    auto letters = store.value()->list_dead_letters(list_limit);
    if (!letters.ok()) {
      return context.report(letters.error());
    }
    for (const auto& letter : *letters) {
      ids.push_back(letter.id);
    }
  }
  for (const auto letter_id : ids) {
    auto entry = store.value()->retry_dead_letter(letter_id);
    if (!entry.ok()) {
      if (entry.error().category == ErrorCategory::not_found) {
        context.err() << "error: there is no dead letter " << letter_id
                      << "; `leadsync dlq list` shows them\n";
        return exit_usage;
      }
      return context.report(entry.error());
    }
  }
  context.out() << ids.size() << " change(s) back in the outbox; run `leadsync push`\n";
  return exit_ok;
}

int drop_dead_letter(Context& context, std::int64_t id) {
  auto store = context.store();
  if (!store.ok()) {
    return context.report(store.error());
  }
  if (auto dropped = store.value()->drop_dead_letter(id); !dropped.ok()) {
    if (dropped.error().category == ErrorCategory::not_found) {
      context.err() << "error: there is no dead letter " << id
                    << "; `leadsync dlq list` shows them\n";
      return exit_usage;
    }
    return context.report(dropped.error());
  }
  context.out() << "dead letter " << id << " dropped\n";
  return exit_ok;
}

} // namespace

void add_dlq_command(CLI::App& app, Context& context, int& exit_code) {
  auto* dlq = app.add_subcommand("dlq", "Changes the CRM refused: list, retry or drop them");
  dlq->require_subcommand(1);

  auto json = std::make_shared<bool>(false);
  auto* list = dlq->add_subcommand("list", "List the dead letters with the CRM's code and message");
  list->add_flag("--json", *json, "Print one JSON document");
  list->callback([&context, &exit_code, json] {
    exit_code = context.load_config() ? list_dead_letters(context, *json) : exit_usage;
  });

  auto retry_id = std::make_shared<std::int64_t>(0);
  auto all = std::make_shared<bool>(false);
  auto* retry = dlq->add_subcommand("retry", "Put dead letters back into the outbox");
  auto* id_option = retry->add_option("ID", *retry_id, "Dead letter id (from dlq list)");
  auto* all_flag = retry->add_flag("--all", *all, "Every dead letter");
  id_option->excludes(all_flag);
  retry->callback([&context, &exit_code, retry_id, all, id_option] {
    if (!*all && id_option->count() == 0) {
      context.err() << "error: name a dead letter ID or pass --all\n";
      exit_code = exit_usage;
      return;
    }
    exit_code = context.load_config()
                    ? retry_dead_letters(context, *all ? std::nullopt
                                                       : std::optional<std::int64_t>(*retry_id))
                    : exit_usage;
  });

  auto drop_id = std::make_shared<std::int64_t>(0);
  auto* drop = dlq->add_subcommand("drop", "Forget a dead letter");
  drop->add_option("ID", *drop_id, "Dead letter id (from dlq list)")->required();
  drop->callback([&context, &exit_code, drop_id] {
    exit_code = context.load_config() ? drop_dead_letter(context, *drop_id) : exit_usage;
  });
}

} // namespace leadsync::cli
