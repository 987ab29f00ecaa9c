// `leadsync webhook register|unregister|status`: the Dataverse webhook the daemon receives
// (shared/dataverse-notes.md section 11): a serviceendpoint (contract 8) and its step on Create of
// lead, asynchronous, post-operation.

#include "commands.hpp"
#include "exit_codes.hpp"
#include "leadsync/core/secrets.hpp"
#include "leadsync/http/url.hpp"
#include "leadsync/jobs/runtime.hpp"
#include "setting_word.hpp"

#include <fmt/format.h>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace leadsync::cli {

namespace {

constexpr const char* default_name = "leadsync";

struct WebhookOptions {
  std::string url;
  std::string auth; // --auth: key | header; empty: server.webhook_auth
  std::string name = default_name;
  bool json = false;
};

// The CRM client and the webhooks registered in the organization now.
struct WebhookSession {
  std::unique_ptr<jobs::Runtime> runtime; // holds the connection the client uses
  std::shared_ptr<dataverse::DataverseClient> client;
  std::vector<dataverse::RegisteredWebhook> registered;
};

Result<WebhookSession> open_session(Context& context) {
  LEADSYNC_TRY(store::Store * store, context.store());
  WebhookSession session;
  jobs::RuntimeOptions options;
  options.recover = false;
  // The store stays the context's; the runtime only needs the config and the CRM here.
  LEADSYNC_TRY(session.runtime,
               jobs::Runtime::create(context.config(),
                                     std::shared_ptr<store::Store>(store, [](store::Store*) {}),
                                     std::move(options)));
  LEADSYNC_TRY(jobs::CrmLink * link, session.runtime->crm());
  session.client = link->connection.client;
  LEADSYNC_TRY(session.registered, session.client->list_webhooks());
  return session;
}

// "https://host/path" of a URL, without the query (which may hold the key).
std::string shown_url(const std::string& url) {
  auto parsed = http::parse_url(url);
  if (!parsed.ok()) {
    return url.substr(0, url.find('?'));
  }
  return parsed->scheme + "://" + parsed->authority() + parsed->path;
}

std::string auth_name(int authtype) {
  switch (authtype) {
  case 4:
    return "key (?code=)";
  case 5:
    return "header";
  case 6:
    return "query string";
  default:
    return "authtype " + std::to_string(authtype);
  }
}

int run_register(Context& context, const WebhookOptions& options) {
  const auto& config = context.config();
  // The flag's word was checked by the parser (setting_word).
  const config::WebhookAuth auth = options.auth.empty()
                                       ? config.server.webhook_auth
                                       : config::parse_webhook_auth(options.auth).value();
  auto parsed = http::parse_url(options.url);
  if (!parsed.ok() || (parsed->scheme != "https" && parsed->scheme != "http")) {
    context.err() << "error: --url must be the absolute URL Dataverse posts to, like "
                     "https://leadsync.example.com/webhooks/dataverse\n";
    return exit_usage;
  }
  if (!parsed->query.empty()) {
    context.err() << "error: --url must not carry a query: the key is added by --auth key\n";
    return exit_usage;
  }
  auto secret = load_webhook_secret(config);
  if (!secret.ok()) {
    return context.report(secret.error());
  }
  auto session = open_session(context);
  if (!session.ok()) {
    return context.report(session.error());
  }
  const auto& existing = session->registered;
  const auto& client = session->client;
  for (const auto& webhook : existing) {
    if (webhook.name == options.name) {
      context.err() << fmt::format("error: a webhook named '{}' is registered already (to {}); "
                                   "run `leadsync webhook unregister` first, or register another "
                                   "with --name\n",
                                   options.name, shown_url(webhook.url));
      return exit_usage;
    }
  }
  std::string auth_value = secret->reveal();
  auto kind = dataverse::WebhookAuth::webhook_key;
  if (auth == config::WebhookAuth::header) {
    kind = dataverse::WebhookAuth::http_header;
    // serviceendpoint.authvalue for HttpHeader: the header as a settings document.
    auth_value = fmt::format(R"(<settings><setting name="{}" value="{}" /></settings>)",
                             config.server.webhook_header, secret->reveal());
  }
  auto registered = client->register_webhook(options.name, options.url, kind, auth_value);
  if (!registered.ok()) {
    return context.report(registered.error());
  }
  if (options.json) {
    context.out() << nlohmann::json{{"name", options.name},
                                    {"url", shown_url(options.url)},
                                    {"auth", config::to_string(auth)},
                                    {"serviceendpointid", registered->service_endpoint_id},
                                    {"stepid", registered->step_id}}
                         .dump()
                  << "\n";
    return exit_ok;
  }
  context.out() << fmt::format(
      "registered webhook '{}': Dataverse posts each lead created in Dynamics to {} ({}); "
      "serviceendpoint {}, step {} (Create of lead, post-operation, asynchronous)\n",
      options.name, shown_url(options.url),
      auth == config::WebhookAuth::header ? "key in header " + config.server.webhook_header
                                          : "key as ?code=",
      registered->service_endpoint_id, registered->step_id);
  if (parsed->scheme != "https" && !http::is_loopback_host(parsed->host)) {
    context.out() << "note: Dataverse calls webhooks over the internet; use an https URL behind a "
                     "TLS-terminating proxy (README: Running the daemon)\n";
  }
  return exit_ok;
}

int run_unregister(Context& context, const WebhookOptions& options) {
  auto session = open_session(context);
  if (!session.ok()) {
    return context.report(session.error());
  }
  const auto& existing = session->registered;
  const auto& client = session->client;
  int removed = 0;
  for (const auto& webhook : existing) {
    if (webhook.name != options.name) {
      continue;
    }
    for (const auto& step : webhook.steps) {
      if (auto gone = client->unregister_webhook(
              {.service_endpoint_id = webhook.service_endpoint_id, .step_id = step.id});
          !gone.ok()) {
        return context.report(gone.error());
      }
    }
    if (webhook.steps.empty()) {
      if (auto gone = client->unregister_webhook(
              {.service_endpoint_id = webhook.service_endpoint_id, .step_id = {}});
          !gone.ok()) {
        return context.report(gone.error());
      }
    }
    ++removed;
    context.out() << fmt::format("unregistered webhook '{}' ({}): its serviceendpoint and {} "
                                 "step(s) are removed\n",
                                 webhook.name, shown_url(webhook.url), webhook.steps.size());
  }
  if (removed == 0) {
    context.out() << fmt::format("no webhook named '{}' is registered; nothing to do\n",
                                 options.name);
  }
  return exit_ok;
}

int run_status(Context& context, const WebhookOptions& options) {
  auto session = open_session(context);
  if (!session.ok()) {
    return context.report(session.error());
  }
  const auto& existing = session->registered;
  if (options.json) {
    auto list = nlohmann::json::array();
    for (const auto& webhook : existing) {
      auto steps = nlohmann::json::array();
      for (const auto& step : webhook.steps) {
        steps.push_back({{"id", step.id},
                         {"name", step.name},
                         {"stage", step.stage},
                         {"mode", step.mode == 1 ? "asynchronous" : "synchronous"}});
      }
      list.push_back({{"name", webhook.name},
                      {"url", shown_url(webhook.url)},
                      {"auth", auth_name(webhook.authtype)},
                      {"serviceendpointid", webhook.service_endpoint_id},
                      {"steps", steps}});
    }
    context.out() << list.dump() << "\n";
    return exit_ok;
  }
  if (existing.empty()) {
    context.out() << "no webhook is registered in the CRM; `leadsync webhook register --url URL` "
                     "registers the daemon's\n";
    return exit_ok;
  }
  for (const auto& webhook : existing) {
    context.out() << fmt::format("{}  {}  auth: {}  serviceendpoint {}\n", webhook.name,
                                 shown_url(webhook.url), auth_name(webhook.authtype),
                                 webhook.service_endpoint_id);
    if (webhook.steps.empty()) {
      context.out() << "  no step: nothing triggers it (unregister and register it again)\n";
    }
    for (const auto& step : webhook.steps) {
      context.out() << fmt::format("  step {}: {} (stage {}, {})\n", step.id, step.name, step.stage,
                                   step.mode == 1 ? "asynchronous" : "synchronous");
    }
  }
  return exit_ok;
}

} // namespace

void add_webhook_command(CLI::App& app, Context& context, int& exit_code) {
  auto options = std::make_shared<WebhookOptions>();
  auto* command = app.add_subcommand(
      "webhook", "Register, remove or show the Dataverse webhook that sends new leads to the "
                 "daemon");
  command->require_subcommand(1);
  auto* add = command->add_subcommand(
      "register", "Create the serviceendpoint and its step (Create of lead, asynchronous)");
  add->add_option("--url", options->url, "The URL Dataverse posts to (https, public)")->required();
  add->add_option("--auth", options->auth,
                  "How the key travels: key (?code=) or header (server.webhook_header); default "
                  "server.webhook_auth")
      ->check(setting_word(config::parse_webhook_auth));
  add->add_option("--name", options->name, "The webhook's name (default leadsync)");
  add->add_flag("--json", options->json, "Print the ids as JSON");
  auto* remove = command->add_subcommand("unregister", "Remove the webhook and its step");
  remove->add_option("--name", options->name, "The webhook's name (default leadsync)");
  auto* show = command->add_subcommand("status", "List the webhooks registered in the CRM");
  show->add_flag("--json", options->json, "As JSON");

  const auto run = [&context, &exit_code, options](int (*action)(Context&, const WebhookOptions&)) {
    if (!context.load_config()) {
      exit_code = exit_usage;
      return;
    }
    exit_code = action(context, *options);
  };
  add->callback([run] { run(run_register); });
  remove->callback([run] { run(run_unregister); });
  show->callback([run] { run(run_status); });
}

} // namespace leadsync::cli
