#include "commands.hpp"
#include "exit_codes.hpp"
#include "leadsync/dataverse/connect.hpp"
#include "leadsync/http/failure.hpp"
#include "leadsync/http/url.hpp"
#include "leadsync/mapping/lead_mapping.hpp"
#include "leadsync/mapping/metadata.hpp"
#include "leadsync/qualify/rules.hpp"
#include "leadsync/sync/crm_metadata.hpp"

#include <fmt/format.h>
#include <optional>

namespace leadsync::cli {

namespace {

constexpr const char* lead_table = "lead";

// "host:port" of a URL, as the transport names the endpoint it failed to reach.
std::string endpoint_of(const std::string& url) {
  const auto parsed = http::parse_url(url);
  if (!parsed.ok()) {
    return url;
  }
  return parsed->host.find(':') != std::string::npos
             ? fmt::format("[{}]:{}", parsed->host, parsed->port)
             : fmt::format("{}:{}", parsed->host, parsed->port);
}

std::string host_of(const std::string& url) {
  const auto parsed = http::parse_url(url);
  return parsed.ok() ? parsed->host : url;
}

// The OpenSSL reason in the transport's "TLS with host:port failed: <reason>[: hint]" or
// "TLS with host:port failed (<what>: <detail>)", for the advice's wording only: the decision that
// this is a TLS failure comes from the error's transport cause.
std::string tls_reason(const std::string& message) {
  for (const std::string_view marker : {"failed: ", "failed ("}) {
    if (const auto at = message.find(marker); at != std::string::npos) {
      std::string reason = message.substr(at + marker.size());
      if (marker.back() == '(' && !reason.empty() && reason.back() == ')') {
        reason.pop_back();
      }
      return reason.substr(0, reason.find(": "));
    }
  }
  return message;
}

// A message that is about to be followed by another sentence, without its final period.
std::string without_period(std::string text) {
  while (!text.empty() && (text.back() == '.' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

std::string unreachable_reason(const Error& error, http::FailureKind kind,
                               const config::Config& config) {
  switch (kind) {
  case http::FailureKind::timeout:
    return fmt::format("no answer within {} s (crm.timeout_s)", config.crm.timeout_s);
  case http::FailureKind::refused:
    return "connection refused";
  case http::FailureKind::dns:
    return "the host name does not resolve";
  default:
    return without_period(error.message);
  }
}

std::string what_to_check(const config::Config& config) {
  const auto mode = config.crm.auth.mode;
  if (mode == config::AuthMode::client_credentials) {
    return "crm.auth.client_id, the client secret and crm.auth.tenant, and that the app "
           "registration is an application user of this org with a security role";
  }
  if (mode == config::AuthMode::none) {
    return "crm.auth.mode is \"none\" but this CRM wants a sign-in: use static_token or "
           "client_credentials";
  }
  return "the token in crm.auth.token_file or crm.auth.token_env: it may be wrong or expired";
}

// A message a person can act on, for a failed call to the CRM.
std::string explain_crm_failure(const Error& error, const config::Config& config) {
  const std::string& url = config.crm.url;
  const auto failure = http::classify_failure(error);
  // No answer from a server other than the CRM's: the sign-in service (the token endpoint), which
  // the client asks first when it signs in with client credentials.
  if (failure.no_response && !error.endpoint.empty() && error.endpoint != endpoint_of(url)) {
    return without_period(error.message) +
           ". Check crm.auth.authority and that this machine can reach it";
  }
  if (failure.kind == http::FailureKind::tls) {
    return fmt::format("TLS handshake with {} failed: {}. If a proxy re-signs TLS, add its CA "
                       "with crm.tls.ca_file",
                       host_of(url), tls_reason(error.message));
  }
  if (failure.no_response) {
    return fmt::format("cannot reach {}: {}. Is the URL right (crm.url) and the org reachable "
                       "from this machine?",
                       url, unreachable_reason(error, failure.kind, config));
  }
  if (failure.kind == http::FailureKind::sign_in_refused) {
    return "the sign-in service refused the client credentials: " + error.message;
  }
  switch (failure.kind) {
  case http::FailureKind::unauthorized:
    return fmt::format("the CRM refused the credentials (HTTP 401): {}. Check {}",
                       without_period(error.message), what_to_check(config));
  case http::FailureKind::forbidden:
    return fmt::format("the CRM accepted the credentials but refused access (HTTP 403): {}. Give "
                       "the user a security role that can read leads and table definitions",
                       without_period(error.message));
  case http::FailureKind::throttled:
    return fmt::format("the CRM is throttling requests (HTTP 429): {}. Try again in a few minutes",
                       without_period(error.message));
  case http::FailureKind::service_error:
    return fmt::format("the CRM at {} is unavailable (HTTP {}): {}. Try again later", url,
                       error.http_status, without_period(error.message));
  default:
    return error.describe();
  }
}

std::string create_key_steps(const config::Config& config) {
  const std::string& column = config.crm.alternate_key;
  return fmt::format(
      "  1. In Power Apps (make.powerapps.com) open Tables > Lead > Columns > New column: a "
      "Single line of text with maximum length 100, whose logical name is {} (create it in a "
      "solution whose publisher prefix gives that name, or set crm.alternate_key to the logical "
      "name you get).\n"
      "  2. Tables > Lead > Keys > New key: display name \"leadsync external id\", column {}.\n"
      "  3. Dataverse then builds the key's index; the key is usable when its status is Active. "
      "Run leadsync check again to see it.\n",
      column, column);
}

// Exit code of the key check: 0 when the alternate key is there and Active.
int check_alternate_key(dataverse::DataverseClient& client, Context& context) {
  const auto& config = context.config();
  const std::string& key = config.crm.alternate_key;
  auto column = client.column_exists(lead_table, key);
  if (!column.ok()) {
    context.err() << "error: " << explain_crm_failure(column.error(), config) << "\n";
    return exit_code_for(column.error());
  }
  if (!*column) {
    context.out() << "key      " << key << " on lead: missing (no such column)\n";
    context.err() << "error: the lead table has no column " << key
                  << ", so leadsync cannot match its leads to the CRM's. Create the column and "
                     "an alternate key on it:\n"
                  << create_key_steps(config);
    return exit_usage;
  }
  auto status = client.alternate_key_status(lead_table, key);
  if (!status.ok()) {
    context.err() << "error: " << explain_crm_failure(status.error(), config) << "\n";
    return exit_code_for(status.error());
  }
  switch (*status) {
  case dataverse::KeyIndexStatus::active:
    context.out() << "key      " << key << " on lead: Active\n";
    return exit_ok;
  case dataverse::KeyIndexStatus::missing:
    context.out() << "key      " << key << " on lead: missing\n";
    context.err() << "error: the column " << key
                  << " exists but no alternate key uses it, so upserts by our id cannot work. "
                     "Create the key:\n"
                  << create_key_steps(config);
    return exit_usage;
  case dataverse::KeyIndexStatus::pending:
  case dataverse::KeyIndexStatus::in_progress:
    context.out() << "key      " << key << " on lead: "
                  << (*status == dataverse::KeyIndexStatus::pending ? "Pending" : "InProgress")
                  << "\n";
    context.err() << "error: Dataverse is still building the index of the alternate key " << key
                  << "; wait a few minutes (longer for many leads) and run leadsync check "
                     "again\n";
    return exit_usage;
  case dataverse::KeyIndexStatus::failed:
    context.out() << "key      " << key << " on lead: Failed\n";
    context.err() << "error: Dataverse could not build the index of the alternate key " << key
                  << ", most often because some leads share a value in " << key
                  << ". Clear the duplicates, delete the key in Power Apps (Tables > Lead > "
                     "Keys) and create it again\n";
    return exit_usage;
  }
  return exit_internal;
}

void print_problems(Context& context, const std::string& heading,
                    const std::vector<mapping::Problem>& problems) {
  context.err() << "error: " << heading << " (" << problems.size()
                << (problems.size() == 1 ? " problem" : " problems") << "):\n";
  for (const auto& problem : problems) {
    context.err() << "  " << problem.describe() << "\n";
  }
}

// The mapping file on its own; prints its problems and returns false when it cannot be used.
bool load_mapping(Context& context, mapping::LeadMapping& loaded) {
  const auto& config = context.config();
  const auto file = config::resolve_path(config, config.mapping.lead);
  auto report = mapping::check_lead_mapping(file, config.crm.custom_prefix);
  if (!report.ok()) {
    context.report(report.error());
    return false;
  }
  if (!report->problems.empty()) {
    context.out() << "mapping  " << file.string() << ": " << report->problems.size()
                  << (report->problems.size() == 1 ? " problem" : " problems") << "\n";
    print_problems(context, file.string() + " cannot be used", report->problems);
    return false;
  }
  loaded = std::move(report->mapping);
  return true;
}

// The scoring rules (qualify.rules) on their own: a file with any problem is refused whole.
bool check_scoring_rules(Context& context) {
  const auto file = config::resolve_path(context.config(), context.config().qualify.rules);
  std::error_code missing;
  if (!std::filesystem::exists(file, missing)) {
    // Only `qualify` needs the rules; the other commands work without them.
    context.out() << "scoring  " << file.string()
                  << ": not found; `leadsync qualify` needs it (`leadsync init` writes one, or set "
                     "qualify.rules)\n";
    return true;
  }
  const qualify::LoadedRules loaded = qualify::load_rules_file(file);
  if (loaded.ok()) {
    context.out() << "scoring  " << file.string() << ": OK\n";
    return true;
  }
  context.out() << "scoring  " << file.string() << ": " << loaded.problems.size()
                << (loaded.problems.size() == 1 ? " problem" : " problems") << "\n";
  print_problems(context, file.string() + " cannot be used", loaded.problems);
  return false;
}

// Exit code of the comparison of the mapping with the CRM's lead table: 0 when every mapped column
// exists there with the mapping's type and at least its max_length.
int compare_mapping(dataverse::DataverseClient& client, Context& context,
                    const mapping::LeadMapping& lead_mapping) {
  const auto& config = context.config();
  sync::CrmMetadata metadata(client);
  auto problems = mapping::compare_with_metadata(lead_mapping, metadata);
  if (!problems.ok()) {
    context.err() << "error: " << explain_crm_failure(problems.error(), config) << "\n";
    return exit_code_for(problems.error());
  }
  const std::string file = lead_mapping.source.string();
  if (problems->empty()) {
    context.out() << "mapping  " << file << ": OK (" << lead_mapping.fields.size() << " columns)\n";
    return exit_ok;
  }
  context.out() << "mapping  " << file << ": " << problems->size()
                << (problems->size() == 1 ? " difference" : " differences")
                << " from the CRM's lead table\n";
  print_problems(context, file + " does not match the CRM's lead table", *problems);
  return exit_usage;
}

// lead_mapping: null when the mapping file cannot be used, so there is nothing to compare.
int check_crm(Context& context, const mapping::LeadMapping* lead_mapping) {
  const auto& config = context.config();
  dataverse::ConnectOptions options;
  options.retry.max_attempts = 2; // a person is waiting: one retry, then say what is wrong
  auto connection = dataverse::connect(config, options);
  // Without usable credentials, still find out whether the CRM can be reached at all, so both
  // problems are told at once.
  std::optional<Error> credentials_problem;
  if (!connection.ok() && connection.error().category == ErrorCategory::config) {
    credentials_problem = connection.error();
    config::Config without_sign_in = config;
    without_sign_in.crm.auth.mode = config::AuthMode::none;
    connection = dataverse::connect(without_sign_in, options);
  }
  if (!connection.ok()) {
    return context.report(credentials_problem.value_or(connection.error()));
  }

  auto& client = *connection->client;
  const auto who = client.who_am_i();
  if (!who.ok() && http::classify_failure(who.error()).no_response) {
    context.err() << "error: " << explain_crm_failure(who.error(), config) << "\n";
    if (credentials_problem) {
      context.err() << "error: " << credentials_problem->describe() << "\n";
    }
    return exit_code_for(who.error());
  }
  if (credentials_problem) {
    return context.report(*credentials_problem);
  }
  if (!who.ok()) {
    context.err() << "error: " << explain_crm_failure(who.error(), config) << "\n";
    return exit_code_for(who.error());
  }
  context.out() << "crm      " << config.crm.url << ": OK (organization " << who->organization_id
                << ", user " << who->user_id << ", "
                << (who->dop_hint > 0 ? "x-ms-dop-hint " + std::to_string(who->dop_hint)
                                      : std::string("no x-ms-dop-hint"))
                << ")\n";
  const int key_check = check_alternate_key(client, context);
  if ((key_check != exit_ok && key_check != exit_usage) || lead_mapping == nullptr) {
    return key_check; // a CRM that stopped answering would fail the comparison the same way
  }
  const int mapping_check = compare_mapping(client, context, *lead_mapping);
  return key_check != exit_ok ? key_check : mapping_check;
}

int run_check(Context& context) {
  if (!context.load_config()) {
    return exit_usage;
  }
  const auto& config = context.config();
  auto& out = context.out();
  out << "config   " << context.config_path().string() << ": OK\n";
  out << "crm      " << config.crm.url << " (Web API v" << config.crm.api_version << ", auth "
      << config::to_string(config.crm.auth.mode) << ", alternate key " << config.crm.alternate_key
      << ")\n";
  auto store = context.store();
  if (!store.ok()) {
    return context.report(store.error());
  }
  auto stats = store.value()->stats();
  if (!stats.ok()) {
    return context.report(stats.error());
  }
  out << "store    " << config.store.url << ": OK (" << stats->leads << " leads, "
      << stats->outbox_pending << " changes waiting)\n";
  // A mapping that cannot be used does not stop the CRM checks, so every problem is told at once;
  // an unreachable CRM decides the exit status, as it does for a credentials problem.
  mapping::LeadMapping lead_mapping;
  const bool mapping_usable = load_mapping(context, lead_mapping);
  const bool rules_usable = check_scoring_rules(context);
  const int crm_check = check_crm(context, mapping_usable ? &lead_mapping : nullptr);
  if (crm_check != exit_ok && crm_check != exit_usage) {
    return crm_check;
  }
  return mapping_usable && rules_usable ? crm_check : exit_usage;
}

} // namespace

void add_check_command(CLI::App& app, Context& context, int& exit_code) {
  auto* command = app.add_subcommand(
      "check", "Validate the configuration and the lead mapping, open the store, call the CRM's "
               "WhoAmI, check the alternate key and compare the mapping with the CRM's lead "
               "columns; exit 2 naming every problem, 3 when the CRM cannot be reached or refuses "
               "the credentials");
  command->callback([&context, &exit_code] { exit_code = run_check(context); });
}

} // namespace leadsync::cli
