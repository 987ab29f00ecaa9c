// The daemon's HTTP endpoints (daemon/endpoints.hpp), driven with http::Request values and once
// through a real Beast server on a loopback port: webhook authentication of both kinds, 413, 400
// for malformed and absurdly deep bodies, de-duplicated redeliveries, the events endpoint,
// readiness and liveness, and the metrics content type. The store is a real in-memory SQLite one.

#include "leadsync/core/log.hpp"
#include "leadsync/daemon/endpoints.hpp"
#include "leadsync/http/failure.hpp"
#include "leadsync/store/open.hpp"
#include "leadsync_test_paths.hpp"
#include "support/forwarding_store.hpp"
#include "support/raw_http.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>

namespace leadsync::daemon {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Forwards to a real store; add_webhook_event and add_events can be told to fail, as a full disk
// or a locked database would make them.
class FlakyStore final : public store::testing::ForwardingStore {
public:
  explicit FlakyStore(store::Store& inner) : ForwardingStore(inner) {}
  bool fail_writes = false;

  Result<store::AddWebhookEventResult>
  add_webhook_event(const store::WebhookEvent& event) override {
    if (fail_writes) {
      return fail(ErrorCategory::storage, "disk I/O error (injected)");
    }
    return inner().add_webhook_event(event);
  }
  Result<store::AddEventsResult>
  add_events(const std::vector<model::BehaviourEvent>& events) override {
    if (fail_writes) {
      return fail(ErrorCategory::storage, "disk I/O error (injected)");
    }
    return inner().add_events(events);
  }
  // Everything else is the inner store's (ForwardingStore).
};

// Captures what leadsync::log writes; restores the default logger afterwards.
class LogCapture {
public:
  LogCapture() { log::init(log::Options{spdlog::level::debug, log::Format::text, true}, out_); }
  ~LogCapture() { log::init(log::Options{}); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  std::size_t count(const std::string& part) const {
    std::size_t n = 0;
    std::istringstream lines(out_.str());
    for (std::string line; std::getline(lines, line);) {
      n += contains(line, part) ? 1 : 0;
    }
    return n;
  }
  std::string text() const { return out_.str(); }

private:
  std::ostringstream out_;
};

constexpr const char* lead_a = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
constexpr const char* lead_b = "7eea077c-2dc9-4594-aa42-42e9caa1acfc";
constexpr const char* operation_1 = "9b2e6c0a-1d2f-4e3a-8b4c-5d6e7f809a1b";
constexpr const char* operation_2 = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
constexpr const char* secret = "s3cr3t-webhook-key-0123456789";

// A Create of lead as Dataverse POSTs it (the shape of Microsoft's sample, trimmed).
std::string lead_create(const std::string& lead_id, const std::string& operation_id,
                        const std::string& message = "Create", const std::string& entity = "lead") {
  return R"({"BusinessUnitId":"e2b9dd85-e89e-e711-8122-000d3aa2331c",)"
         R"("CorrelationId":"0c8f8a8e-6b1f-4d8e-9c55-3a2d6f1e7b10","Depth":1,)"
         R"("InputParameters":[{"key":"Target","value":{)"
         R"("__type":"Entity:http:\/\/schemas.microsoft.com\/xrm\/2011\/Contracts",)"
         R"("Attributes":[{"key":"firstname","value":"Ada"},{"key":"lastname","value":"Lovelace"}],)"
         R"("Id":")" +
         lead_id + R"(","LogicalName":")" + entity + R"("}}],"MessageName":")" + message +
         R"(","Mode":1,"OperationCreatedOn":"\/Date(1767693600123+0100)\/","OperationId":")" +
         operation_id + R"(","OrganizationName":"OrgName","PrimaryEntityId":")" + lead_id +
         R"(","PrimaryEntityName":")" + entity + R"(","RequestId":null,"Stage":40})";
}

http::Request post(std::string target, std::string body) {
  http::Request request;
  request.method = "POST";
  request.url = std::move(target);
  request.headers.set("Content-Type", "application/json");
  request.headers.set("x-ms-dynamics-organization", "org.crm.dynamics.com");
  request.headers.set("x-ms-dynamics-entity-name", "lead");
  request.headers.set("x-ms-dynamics-request-name", "Create");
  request.headers.set("x-ms-correlation-request-id", "corr-7d1e");
  request.body = std::move(body);
  request.remote_address = "127.0.0.1:50000";
  return request;
}

http::Request get(std::string target) {
  http::Request request;
  request.method = "GET";
  request.url = std::move(target);
  return request;
}

std::string webhook_target(const std::string& code = secret) {
  return "/webhooks/dataverse?code=" + code;
}

class EndpointsTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened = store::open_store("sqlite::memory:", {}, clock_);
    ASSERT_TRUE(opened.ok()) << opened.error().describe();
    inner_ = std::move(opened).value();
    store_ = std::make_unique<FlakyStore>(*inner_);
  }

  EndpointsOptions options(WebhookAuth auth = {.type = WebhookAuthType::webhook_key,
                                               .header_name = {},
                                               .secret = Secret(secret)}) {
    EndpointsOptions options;
    options.store = store_.get();
    options.metrics = &metrics_;
    options.auth = std::move(auth);
    options.max_webhook_body_bytes = std::size_t{64} * 1024;
    options.max_events_body_bytes = std::size_t{64} * 1024;
    options.liveness_timeout = 30s;
    options.clock = &clock_;
    options.on_event = [this](const store::WebhookEvent& event) { woken_.push_back(event); };
    return options;
  }

  std::unique_ptr<Endpoints> make(EndpointsOptions options) {
    auto created = Endpoints::create(std::move(options));
    EXPECT_TRUE(created.ok()) << created.error().describe();
    return created.ok() ? std::move(created).value() : nullptr;
  }
  std::unique_ptr<Endpoints> make() { return make(options()); }

  std::vector<store::WebhookEvent> stored_events() {
    auto events = inner_->list_webhook_events(100);
    EXPECT_TRUE(events.ok()) << events.error().describe();
    return events.ok() ? std::move(events).value() : std::vector<store::WebhookEvent>{};
  }

  double metric(const std::string& series) {
    std::istringstream lines(metrics_.scrape());
    for (std::string line; std::getline(lines, line);) {
      if (line.starts_with(series + " ")) {
        return std::stod(line.substr(series.size() + 1));
      }
    }
    ADD_FAILURE() << "no series " << series;
    return -1;
  }

  std::string lead_with_email(const std::string& email) {
    model::Lead lead;
    lead.person.first_name = "Ada";
    lead.person.last_name = "Lovelace";
    lead.person.emails = {email};
    auto created = inner_->create_lead(lead);
    EXPECT_TRUE(created.ok()) << created.error().describe();
    return created.ok() ? created->identity.id : std::string();
  }

  ManualClock clock_;
  Metrics metrics_{{.version = "test", .start_time = {}, .clock = &clock_}};
  std::unique_ptr<store::Store> inner_;
  std::unique_ptr<FlakyStore> store_;
  std::vector<store::WebhookEvent> woken_;
};

// ---- the webhook

TEST_F(EndpointsTest, ACreateOfLeadWithTheRightCodeIsStoredBeforeTheAnswerAndWakesTheWorker) {
  auto endpoints = make();
  const auto response = endpoints->handle(post(webhook_target(), lead_create(lead_a, operation_1)));
  EXPECT_EQ(response.status, 200);

  const auto events = stored_events();
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].source, "dataverse");
  EXPECT_EQ(events[0].message, "Create");
  EXPECT_EQ(events[0].entity, "lead");
  EXPECT_EQ(events[0].crm_id, lead_a);
  EXPECT_EQ(events[0].state, store::WebhookEventState::pending);
  EXPECT_EQ(events[0].received_at, clock_.now());
  EXPECT_TRUE(contains(events[0].payload, "\"Lovelace\""));
  ASSERT_EQ(woken_.size(), 1U);
  EXPECT_EQ(woken_[0].seq, events[0].seq);
  EXPECT_EQ(woken_[0].dedupe_key, events[0].dedupe_key);
  EXPECT_EQ(metric("leadsync_webhook_events_received_total"), 1);
}

TEST_F(EndpointsTest, TheCorrelationIdIsLoggedWithEachEvent) {
  LogCapture log;
  auto endpoints = make();
  ASSERT_EQ(endpoints->handle(post(webhook_target(), lead_create(lead_a, operation_1))).status,
            200);
  EXPECT_EQ(log.count("corr-7d1e"), 1U) << log.text();
  // The key travels in the target; it never reaches the log.
  EXPECT_FALSE(contains(log.text(), secret));
}

TEST_F(EndpointsTest, AWrongMissingEmptyOrRepeatedCodeGets401WithNoDetailAndStoresNothing) {
  LogCapture log;
  auto endpoints = make();
  const auto body = lead_create(lead_a, operation_1);
  for (const std::string& target :
       {webhook_target("wrong"), std::string("/webhooks/dataverse"), webhook_target(""),
        webhook_target(std::string(secret) + "x"), webhook_target(std::string(secret).substr(1)),
        webhook_target(secret) + "&code=" + secret, webhook_target("%zz")}) {
    const auto response = endpoints->handle(post(target, body));
    EXPECT_EQ(response.status, 401) << target;
    EXPECT_EQ(response.body, "") << target;
  }
  EXPECT_TRUE(stored_events().empty());
  EXPECT_TRUE(woken_.empty());
  EXPECT_EQ(metric(R"(leadsync_webhook_events_rejected_total{reason="unauthorized"})"), 7);
  EXPECT_EQ(log.count("without the right key"), 1U) << log.text();
  EXPECT_FALSE(contains(log.text(), secret));
}

TEST_F(EndpointsTest, AnHttpHeaderKeyIsCheckedAndTheCodeParameterDoesNotReplaceIt) {
  auto endpoints = make(options({.type = WebhookAuthType::http_header,
                                 .header_name = "X-Leadsync-Key",
                                 .secret = Secret(secret)}));
  const auto body = lead_create(lead_a, operation_1);
  auto request = post("/webhooks/dataverse", body);
  request.headers.set("x-leadsync-key", secret); // header names compare case-insensitively
  EXPECT_EQ(endpoints->handle(request).status, 200);

  auto wrong = post("/webhooks/dataverse", body);
  wrong.headers.set("X-Leadsync-Key", "wrong");
  EXPECT_EQ(endpoints->handle(wrong).status, 401);
  EXPECT_EQ(endpoints->handle(post(webhook_target(), body)).status, 401);
  auto twice = post("/webhooks/dataverse", body);
  twice.headers.add("X-Leadsync-Key", secret);
  twice.headers.add("X-Leadsync-Key", secret);
  EXPECT_EQ(endpoints->handle(twice).status, 401);
  EXPECT_EQ(stored_events().size(), 1U);
}

TEST_F(EndpointsTest, CreationRefusesAMissingKeyOrAnInvalidHeaderNameSayingWhatToSet) {
  auto no_key = Endpoints::create(
      options({.type = WebhookAuthType::webhook_key, .header_name = {}, .secret = Secret()}));
  ASSERT_FALSE(no_key.ok());
  EXPECT_EQ(no_key.error().category, ErrorCategory::config);
  EXPECT_TRUE(contains(no_key.error().message, "LEADSYNC_WEBHOOK_KEY")) << no_key.error().message;

  auto bad_header = Endpoints::create(options(
      {.type = WebhookAuthType::http_header, .header_name = "x key", .secret = Secret(secret)}));
  ASSERT_FALSE(bad_header.ok());
  EXPECT_EQ(bad_header.error().category, ErrorCategory::config);
  EXPECT_TRUE(contains(bad_header.error().message, "x-leadsync-key"));

  auto no_store = options();
  no_store.store = nullptr;
  EXPECT_FALSE(Endpoints::create(no_store).ok());
}

TEST_F(EndpointsTest, ABodyOverTheCapGets413AndStoresNothing) {
  auto endpoints = make();
  std::string body = lead_create(lead_a, operation_1);
  body.insert(body.size() - 1, ",\"Padding\":\"" + std::string(std::size_t{64} * 1024, 'x') + "\"");
  EXPECT_EQ(endpoints->handle(post(webhook_target(), body)).status, 413);
  EXPECT_TRUE(stored_events().empty());
  EXPECT_EQ(metric(R"(leadsync_webhook_events_rejected_total{reason="too_large"})"), 1);
}

TEST_F(EndpointsTest, MalformedBodiesGet400AreLoggedOnceAndStoreNothing) {
  LogCapture log;
  auto endpoints = make();
  for (const std::string& body :
       {std::string(R"({"MessageName": "Create", "x": tru)"), std::string("[1,2,3]"),
        std::string(""), std::string(R"({"MessageName":"Create","PrimaryEntityName":"lead"})")}) {
    EXPECT_EQ(endpoints->handle(post(webhook_target(), body)).status, 400) << body;
  }
  EXPECT_TRUE(stored_events().empty());
  EXPECT_TRUE(woken_.empty());
  EXPECT_EQ(metric(R"(leadsync_webhook_events_rejected_total{reason="malformed"})"), 4);
  EXPECT_EQ(log.count("not a Dataverse notification"), 1U) << log.text();
}

TEST_F(EndpointsTest, AHundredThousandLevelsOfNestingGet400NotACrash) {
  LogCapture log;
  auto options = this->options();
  options.max_webhook_body_bytes = 1 << 20;
  options.max_events_body_bytes = 1 << 20;
  auto endpoints = make(std::move(options));
  const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  EXPECT_EQ(endpoints->handle(post(webhook_target(), deep)).status, 400);
  const std::string deep_object = "{\"a\":" + deep + "}";
  EXPECT_EQ(endpoints->handle(post(webhook_target(), deep_object)).status, 400);
  EXPECT_EQ(endpoints->handle(post("/events?code=" + std::string(secret), deep)).status, 400);
  EXPECT_EQ(endpoints->handle(post("/events?code=" + std::string(secret), deep_object)).status,
            400);
  EXPECT_TRUE(stored_events().empty());
  EXPECT_EQ(log.count("not a Dataverse notification"), 1U) << log.text();
  EXPECT_EQ(log.count("events: refused an unreadable body"), 1U) << log.text();
}

TEST_F(EndpointsTest, ARedeliveredEventIsStoredOnceAndAnsweredAgain) {
  auto endpoints = make();
  const auto body = lead_create(lead_a, operation_1);
  EXPECT_EQ(endpoints->handle(post(webhook_target(), body)).status, 200);
  clock_.advance(60s); // Dataverse retries after its 60 s timeout
  EXPECT_EQ(endpoints->handle(post(webhook_target(), body)).status, 200);
  // Another operation on another lead is another event.
  EXPECT_EQ(endpoints->handle(post(webhook_target(), lead_create(lead_b, operation_2))).status,
            200);
  EXPECT_EQ(stored_events().size(), 2U);
  EXPECT_EQ(woken_.size(), 2U);
  EXPECT_EQ(metric("leadsync_webhook_events_duplicate_total"), 1);
  EXPECT_EQ(metric("leadsync_webhook_events_received_total"), 3);
}

TEST_F(EndpointsTest, NotificationsOtherThanCreateOfLeadAreAnsweredAndIgnored) {
  auto endpoints = make();
  std::ifstream sample(std::string(LEADSYNC_SOURCE_DIR) +
                       "/tests/data/webhooks/microsoft-sample-update-contact.json");
  ASSERT_TRUE(sample) << "Microsoft's sample body is missing from tests/data/webhooks";
  const std::string update_of_contact((std::istreambuf_iterator<char>(sample)),
                                      std::istreambuf_iterator<char>());
  EXPECT_EQ(endpoints->handle(post(webhook_target(), update_of_contact)).status, 200);
  EXPECT_EQ(
      endpoints->handle(post(webhook_target(), lead_create(lead_a, operation_1, "Update"))).status,
      200);
  EXPECT_EQ(
      endpoints
          ->handle(post(webhook_target(), lead_create(lead_a, operation_2, "Create", "contact")))
          .status,
      200);
  EXPECT_TRUE(stored_events().empty());
  EXPECT_TRUE(woken_.empty());
  EXPECT_EQ(metric("leadsync_webhook_events_ignored_total"), 3);
}

TEST_F(EndpointsTest, AStoreFailureGets503SoThatDataverseRetriesAndIsLoggedOncePerOutage) {
  LogCapture log;
  auto endpoints = make();
  store_->fail_writes = true;
  EXPECT_EQ(endpoints->handle(post(webhook_target(), lead_create(lead_a, operation_1))).status,
            503);
  EXPECT_EQ(endpoints->handle(post(webhook_target(), lead_create(lead_b, operation_2))).status,
            503);
  EXPECT_TRUE(woken_.empty());
  EXPECT_EQ(log.count("could not store the event"), 1U) << log.text();
  EXPECT_EQ(metric(R"(leadsync_webhook_events_rejected_total{reason="unavailable"})"), 2);
  // Dataverse's one retry, once the store is back, is stored.
  store_->fail_writes = false;
  EXPECT_EQ(endpoints->handle(post(webhook_target(), lead_create(lead_a, operation_1))).status,
            200);
  EXPECT_EQ(stored_events().size(), 1U);
  EXPECT_EQ(log.count("takes events again"), 1U);
}

TEST_F(EndpointsTest, WithoutKeepingPayloadsTheEventIsStoredWithoutItsBody) {
  auto options = this->options();
  options.keep_webhook_payload = false;
  auto endpoints = make(std::move(options));
  ASSERT_EQ(endpoints->handle(post(webhook_target(), lead_create(lead_a, operation_1))).status,
            200);
  const auto events = stored_events();
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].payload, "");
}

// ---- /events

std::string event_line(const std::string& lead_id, const std::string& event_id,
                       const std::string& kind = "pricing_page_visit") {
  return R"({"lead_id":")" + lead_id + R"(","kind":")" + kind +
         R"(","occurred_at":"2026-11-22T20:00:00Z","detail":"/pricing","event_id":")" + event_id +
         R"("})";
}

TEST_F(EndpointsTest, EventsInJsonLinesAreStoredWithASummary) {
  auto endpoints = make();
  const auto lead = lead_with_email("ada@example.com");
  const auto body = event_line(lead, "e1") + "\n" + event_line(lead, "e2", "demo_requested") +
                    "\n" + event_line(lead, "e1") + "\n";
  const auto response = endpoints->handle(post("/events?code=" + std::string(secret), body));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.headers.get("Content-Type"), "application/json; charset=utf-8");
  const auto summary = nlohmann::json::parse(response.body);
  EXPECT_EQ(summary.at("read"), 3);
  EXPECT_EQ(summary.at("added"), 2);
  EXPECT_EQ(summary.at("duplicates"), 1);
  EXPECT_EQ(summary.at("problem_count"), 0);
  EXPECT_TRUE(summary.at("problems").empty());
  EXPECT_EQ(inner_->list_events(lead)->size(), 2U);
  EXPECT_EQ(metric(R"(leadsync_behaviour_events_received_total{result="added"})"), 2);
  EXPECT_EQ(metric(R"(leadsync_behaviour_events_received_total{result="duplicate"})"), 1);
}

TEST_F(EndpointsTest, EventsInAJsonArrayReportProblemsByTheirPosition) {
  auto endpoints = make();
  const auto lead = lead_with_email("ada@example.com");
  const auto body = "[" + event_line(lead, "e1") + ",\n" +
                    event_line("00000000-0000-4000-8000-000000000000", "e2") + "," +
                    event_line(lead, "e3", "teleport") + "]";
  const auto response = endpoints->handle(post("/events?code=" + std::string(secret), body));
  ASSERT_EQ(response.status, 200) << response.body;
  const auto summary = nlohmann::json::parse(response.body);
  EXPECT_EQ(summary.at("added"), 1);
  EXPECT_EQ(summary.at("unknown_leads"), 1);
  EXPECT_EQ(summary.at("rejected"), 1);
  ASSERT_EQ(summary.at("problems").size(), 2U);
  EXPECT_EQ(summary.at("problems")[0].at("line"), 2);
  EXPECT_EQ(summary.at("problems")[1].at("line"), 3);
  EXPECT_TRUE(contains(summary.at("problems")[1].at("message").get<std::string>(), "teleport"));
}

TEST_F(EndpointsTest, EventsOfWhichNoneCanBeStoredGet422WithTheirProblems) {
  auto endpoints = make();
  const auto body =
      event_line("00000000-0000-4000-8000-000000000000", "e1") + "\n" + R"({"kind":"call"})" + "\n";
  const auto response = endpoints->handle(post("/events?code=" + std::string(secret), body));
  ASSERT_EQ(response.status, 422) << response.body;
  const auto summary = nlohmann::json::parse(response.body);
  EXPECT_EQ(summary.at("added"), 0);
  EXPECT_EQ(summary.at("problem_count"), 2);
  EXPECT_EQ(summary.at("problems")[0].at("line"), 1);
  EXPECT_EQ(summary.at("problems")[1].at("line"), 2);
  EXPECT_EQ(metric(R"(leadsync_events_requests_rejected_total{reason="unprocessable"})"), 1);
}

TEST_F(EndpointsTest, AnUnreadableEventsBodyGets400) {
  auto endpoints = make();
  const auto target = "/events?code=" + std::string(secret);
  for (const std::string& body :
       {std::string(""), std::string("  \n"), std::string("kind,lead_id\n"),
        std::string("[{\"kind\":"), std::string("\"just a string\"")}) {
    const auto response = endpoints->handle(post(target, body));
    EXPECT_EQ(response.status, 400) << body;
    EXPECT_TRUE(contains(response.body, "JSON")) << response.body;
  }
  EXPECT_EQ(metric(R"(leadsync_events_requests_rejected_total{reason="malformed"})"), 5);
}

TEST_F(EndpointsTest, EventsNeedTheKeyAndRespectTheCap) {
  auto endpoints = make();
  const auto lead = lead_with_email("ada@example.com");
  EXPECT_EQ(endpoints->handle(post("/events?code=wrong", event_line(lead, "e1"))).status, 401);
  EXPECT_EQ(endpoints->handle(post("/events", event_line(lead, "e1"))).status, 401);
  std::string big;
  while (big.size() <= std::size_t{64} * 1024) {
    big += event_line(lead, "e" + std::to_string(big.size())) + "\n";
  }
  EXPECT_EQ(endpoints->handle(post("/events?code=" + std::string(secret), big)).status, 413);
  EXPECT_TRUE(inner_->list_events(lead)->empty());
}

TEST_F(EndpointsTest, EventsTheStoreCannotTakeGet503) {
  auto endpoints = make();
  const auto lead = lead_with_email("ada@example.com");
  store_->fail_writes = true;
  EXPECT_EQ(
      endpoints->handle(post("/events?code=" + std::string(secret), event_line(lead, "e1"))).status,
      503);
}

// ---- health

TEST_F(EndpointsTest, ReadinessNeedsEveryCheckAndVerboseListsThem) {
  auto endpoints = make();
  auto response = endpoints->handle(get("/readyz"));
  EXPECT_EQ(response.status, 503);
  EXPECT_TRUE(contains(response.body, "store, config, crm")) << response.body;

  endpoints->set_readiness(ReadinessCheck::store, true);
  endpoints->set_readiness(ReadinessCheck::config, true);
  EXPECT_EQ(endpoints->handle(get("/readyz")).status, 503);
  endpoints->set_readiness(ReadinessCheck::crm, true);
  response = endpoints->handle(get("/readyz"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "ok");

  endpoints->set_readiness(ReadinessCheck::crm, false, "connection refused");
  response = endpoints->handle(get("/readyz?verbose"));
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body, "[+]store ok\n[+]config ok\n[-]crm failed: connection refused\n"
                           "[+]shutdown ok\nreadyz check failed\n");

  endpoints->set_readiness(ReadinessCheck::crm, true);
  EXPECT_EQ(endpoints->handle(get("/readyz?verbose")).body,
            "[+]store ok\n[+]config ok\n[+]crm ok\n[+]shutdown ok\nreadyz check passed\n");
  endpoints->set_readiness(ReadinessCheck::shutdown, false, "shutting down");
  response = endpoints->handle(get("/readyz"));
  EXPECT_EQ(response.status, 503);
  EXPECT_TRUE(contains(response.body, "shutdown"));
}

// One classification (http/failure.hpp) for /readyz and the metrics: each transport cause, as the
// cpprestsdk adapter reports it, is named by the same kind in both.
TEST_F(EndpointsTest, EachTransportCauseIsNamedAlikeByReadyzAndTheFailureMetric) {
  auto endpoints = make();
  endpoints->set_readiness(ReadinessCheck::store, true);
  endpoints->set_readiness(ReadinessCheck::config, true);
  const auto observer = crm_request_observer(metrics_);
  const std::pair<TransportCause, std::string> cases[] = {
      {TransportCause::refused, "refused"}, {TransportCause::dns, "dns"},
      {TransportCause::tls, "tls"},         {TransportCause::reset, "reset"},
      {TransportCause::timeout, "timeout"}, {TransportCause::other, "network"}};
  for (const auto& [cause, kind] : cases) {
    Error error = Error::make(cause == TransportCause::timeout ? ErrorCategory::timeout
                                                               : ErrorCategory::unavailable,
                              "no answer from crm.example.com:443", true);
    error.transport_cause = cause;
    error.endpoint = "crm.example.com:443";
    ASSERT_TRUE(http::classify_failure(error).crm_unreachable) << kind;
    const std::string series = "leadsync_crm_failures_total{kind=\"" + kind + "\"}";
    const double before = metric(series);

    endpoints->set_crm_unreachable(error);
    observer->observe({.method = "GET",
                       .route = "WhoAmI",
                       .status = 0,
                       .attempts = 1,
                       .duration = 5ms,
                       .throttled = false,
                       .failure = error.category,
                       .error = error});

    const auto response = endpoints->handle(get("/readyz?verbose"));
    EXPECT_EQ(response.status, 503) << kind;
    EXPECT_TRUE(contains(response.body,
                         "[-]crm failed: " + kind + ": no answer from crm.example.com:443\n"))
        << response.body;
    EXPECT_EQ(metric(series), before + 1) << kind;
  }
}

TEST_F(EndpointsTest, LivenessFollowsTheHeartbeatAndNeverTheStoreOrCrm) {
  auto endpoints = make();
  // Not ready at all, but alive.
  EXPECT_EQ(endpoints->handle(get("/livez")).status, 200);
  EXPECT_EQ(endpoints->handle(get("/livez")).body, "ok");
  clock_.advance(30s);
  EXPECT_EQ(endpoints->handle(get("/healthz")).status, 200);
  clock_.advance(1s);
  auto response = endpoints->handle(get("/livez"));
  EXPECT_EQ(response.status, 503);
  EXPECT_TRUE(contains(response.body, "no heartbeat for 31.0 s")) << response.body;
  EXPECT_EQ(endpoints->handle(get("/healthz")).status, 503);
  EXPECT_TRUE(contains(endpoints->handle(get("/livez?verbose")).body, "[-]heartbeat failed"));
  endpoints->heartbeat();
  EXPECT_EQ(endpoints->handle(get("/livez")).status, 200);
  EXPECT_TRUE(contains(endpoints->handle(get("/livez?verbose")).body, "[+]heartbeat ok"));
}

TEST_F(EndpointsTest, MetricsAreServedWithTheExpositionContentType) {
  auto endpoints = make();
  ASSERT_EQ(endpoints->handle(post(webhook_target(), lead_create(lead_a, operation_1))).status,
            200);
  const auto response = endpoints->handle(get("/metrics"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.headers.get("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_TRUE(contains(response.body, "\nleadsync_webhook_events_received_total 1\n"));
}

TEST_F(EndpointsTest, UnknownPathsGet404AndWrongMethods405WithAllow) {
  auto endpoints = make();
  EXPECT_EQ(endpoints->handle(get("/")).status, 404);
  EXPECT_EQ(endpoints->handle(get("/webhooks/dataverse/x")).status, 404);
  EXPECT_EQ(endpoints->handle(post("/nowhere?code=" + std::string(secret), "{}")).status, 404);

  auto response = endpoints->handle(get(webhook_target()));
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.headers.get("Allow"), "POST");
  EXPECT_EQ(endpoints->handle(get("/events")).headers.get("Allow"), "POST");
  response = endpoints->handle(post("/metrics", ""));
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.headers.get("Allow"), "GET, HEAD");
  auto head = get("/livez");
  head.method = "HEAD";
  EXPECT_EQ(endpoints->handle(head).status, 200);
  EXPECT_TRUE(stored_events().empty());
}

// ---- through a real server

TEST_F(EndpointsTest, ARealServerOnALoopbackPortServesEveryEndpoint) {
  auto endpoints = make();
  endpoints->set_readiness(ReadinessCheck::store, true);
  endpoints->set_readiness(ReadinessCheck::config, true);
  endpoints->set_readiness(ReadinessCheck::crm, true);
  auto server = http::make_beast_server({.address = "127.0.0.1",
                                         .port = 0,
                                         .threads = 2,
                                         .header_limit = std::size_t{64} * 1024,
                                         .body_limit = endpoints->max_body_bytes(),
                                         .read_timeout = 5000ms,
                                         .idle_timeout = 5000ms,
                                         .write_timeout = 5000ms,
                                         .max_connections = 16});
  const auto port = server->start(endpoints->handler());
  ASSERT_TRUE(port.ok()) << port.error().describe();
  testing::RawConnection connection(*port);
  ASSERT_TRUE(connection.connected());

  const auto exchange = [&](const std::string& request) {
    EXPECT_TRUE(connection.send(request));
    return connection.read_response(5000ms).value_or("");
  };
  const auto post_webhook = [&](const std::string& code, const std::string& body) {
    return exchange("POST /webhooks/dataverse?code=" + code +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    "x-ms-correlation-request-id: corr-real\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body);
  };

  const auto body = lead_create(lead_a, operation_1);
  EXPECT_EQ(testing::RawConnection::status_of(post_webhook(secret, body)), 200);
  EXPECT_EQ(testing::RawConnection::status_of(post_webhook(secret, body)), 200);
  EXPECT_EQ(testing::RawConnection::status_of(post_webhook("nope", body)), 401);
  EXPECT_EQ(testing::RawConnection::status_of(post_webhook(secret, "{]")), 400);
  EXPECT_EQ(
      testing::RawConnection::status_of(exchange("GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")),
      200);
  EXPECT_EQ(testing::RawConnection::status_of(
                exchange("GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")),
            200);
  const auto metrics = exchange("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  EXPECT_EQ(testing::RawConnection::status_of(metrics), 200);
  EXPECT_TRUE(contains(metrics, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"))
      << metrics.substr(0, 300);
  EXPECT_TRUE(contains(metrics, "\nleadsync_webhook_events_duplicate_total 1\n"));
  const auto lead = lead_with_email("ada@example.com");
  const auto events = event_line(lead, "e1") + "\n";
  const auto summary =
      exchange("POST /events?code=" + std::string(secret) +
               " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + std::to_string(events.size()) +
               "\r\n\r\n" + events);
  EXPECT_EQ(testing::RawConnection::status_of(summary), 200);
  EXPECT_TRUE(contains(summary, "\"added\":1")) << summary;
  server->stop();

  EXPECT_EQ(stored_events().size(), 1U);
  EXPECT_EQ(woken_.size(), 1U);
}

} // namespace
} // namespace leadsync::daemon
