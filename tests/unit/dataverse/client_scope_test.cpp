// The call scope end to end through the DataverseClient: every operation sends its requests with
// the caller's cancellation, figures and deadline, and a cancelled scope ends the retry wait, the
// wait for a request slot and a multi-page read at once.

#include "client_fixture.hpp"
#include "leadsync/odata/batch.hpp"

#include <functional>
#include <future>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <string>
#include <utility>
#include <vector>

namespace leadsync::dataverse {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

class ClientScopeTest : public ClientFixture {
protected:
  ClientScopeTest() {
    scope_.cancel = shutdown_.token();
    scope_.stats = stats_;
    scope_.deadline = deadline_;
  }

  std::string key() const { return odata::key_by_id(kLeadId).value(); }

  CancellationSource shutdown_;
  std::shared_ptr<http::CallStats> stats_ = std::make_shared<http::CallStats>();
  std::chrono::steady_clock::time_point deadline_ = clock_.steady_now() + 1h;
  http::CallScope scope_;
};

TEST_F(ClientScopeTest, EveryOperationSendsItsRequestUnderTheCallersScope) {
  // Nothing is scripted: each operation's first request fails (internal, not retried) and the
  // operation returns, so each one sends exactly one request.
  odata::BatchRequest batch;
  odata::BatchOperation get;
  get.method = "GET";
  get.url = "leads" + key();
  batch.parts.push_back({{get}, false});
  const std::vector<std::pair<std::string, std::function<void()>>> operations = {
      {"who_am_i", [&] { (void)client_->who_am_i(scope_); }},
      {"create", [&] { (void)client_->create("leads", Json::object(), scope_); }},
      {"create_and_return",
       [&] { (void)client_->create_and_return("leads", Json::object(), {"leadid"}, scope_); }},
      {"retrieve", [&] { (void)client_->retrieve("leads", key(), {}, scope_); }},
      {"retrieve_page", [&] { (void)client_->retrieve_page("leads", {}, {}, scope_); }},
      {"retrieve_all", [&] { (void)client_->retrieve_all("leads", {}, scope_); }},
      {"update", [&] { (void)client_->update("leads", key(), Json::object(), {}, scope_); }},
      {"upsert",
       [&] {
         (void)client_->upsert("leads", key(), Json::object(), UpsertMode::create_or_update,
                               scope_);
       }},
      {"remove", [&] { (void)client_->remove("leads", key(), {}, scope_); }},
      {"create_multiple",
       [&] { (void)client_->create_multiple("leads", "lead", {Json::object()}, scope_); }},
      {"update_multiple",
       [&] { (void)client_->update_multiple("leads", "lead", {Json::object()}, scope_); }},
      {"upsert_multiple",
       [&] { (void)client_->upsert_multiple("leads", "lead", {Json::object()}, scope_); }},
      {"batch", [&] { (void)client_->batch(batch, scope_); }},
      {"qualify_lead", [&] { (void)client_->qualify_lead(kLeadId, {}, scope_); }},
      {"disqualify_lead", [&] { (void)client_->disqualify_lead(kLeadId, 4, scope_); }},
      {"reactivate_lead", [&] { (void)client_->reactivate_lead(kLeadId, scope_); }},
      {"upsert_predictive_score",
       [&] { (void)client_->upsert_predictive_score(kLeadId, {}, scope_); }},
      {"merge_leads",
       [&] {
         (void)client_->merge_leads(kLeadId, "11111111-2222-4333-8444-555555555555", Json::object(),
                                    false, scope_);
       }},
      {"track_changes", [&] { (void)client_->track_changes("leads", {"leadid"}, {}, scope_); }},
      {"column_exists", [&] { (void)client_->column_exists("lead", "leadid", scope_); }},
      {"alternate_key_status",
       [&] { (void)client_->alternate_key_status("lead", "leadsync_key", scope_); }},
      {"table_columns", [&] { (void)client_->table_columns("lead", scope_); }},
      {"register_webhook",
       [&] {
         (void)client_->register_webhook("hook", "https://hooks.example.com/dataverse",
                                         WebhookAuth::webhook_key, "key", scope_);
       }},
      {"unregister_webhook",
       [&] {
         (void)client_->unregister_webhook({.service_endpoint_id = kLeadId, .step_id = kLeadId},
                                           scope_);
       }},
  };

  for (const auto& [name, operation] : operations) {
    const auto before = transport_->call_count();
    operation();
    ASSERT_EQ(transport_->call_count(), before + 1) << name << " sent no request";
    const auto sent = call(before);
    EXPECT_EQ(sent.context.stats, stats_) << name << " left out the scope's CallStats";
    EXPECT_EQ(sent.request.deadline, deadline_) << name << " left out the scope's deadline";
    EXPECT_FALSE(sent.context.cancel.cancelled());
  }
  shutdown_.cancel();
  for (const auto& sent : transport_->calls()) {
    EXPECT_TRUE(sent.context.cancel.cancelled())
        << sent.request.method << " " << sent.request.url << " carried another cancellation";
  }
}

TEST_F(ClientScopeTest, ARequestsOwnEarlierDeadlineIsKept) {
  transport_->then_json(200, R"({"BusinessUnitId":"b","UserId":"u","OrganizationId":"o"})");
  http::CallScope late;
  late.deadline = clock_.steady_now() + 24h;

  ASSERT_TRUE(client_->who_am_i(late).ok());

  EXPECT_EQ(call(0).request.deadline, late.deadline);
  EXPECT_EQ(call(0).context.stats, nullptr) << "a scope without figures counts nothing of its own";
}

TEST_F(ClientScopeTest, ACancelledScopeEndsTheRetryAfterWaitAtOnce) {
  transport_->then_respond(429, {{"Retry-After", "300"}});
  sleeper_.during_wait([this] { shutdown_.cancel(); });

  const auto written = client_->upsert("leads", key(), Json{{"lastname", "Hopper"}},
                                       UpsertMode::create_or_update, scope_);

  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().category, ErrorCategory::cancelled);
  EXPECT_THAT(written.error().message, HasSubstr("cancelled while waiting to retry"));
  EXPECT_EQ(transport_->call_count(), 1U);
  EXPECT_EQ(sleeper_.waits(), std::vector<std::chrono::milliseconds>{300s});
  const auto figures = stats_->snapshot();
  EXPECT_EQ(figures.throttled, 1);
  EXPECT_EQ(figures.retries, 0) << "the wait did not end in a retry";
}

TEST_F(ClientScopeTest, ACancelledScopeEndsTheWaitForARequestSlot) {
  std::vector<http::ConcurrencyLimiter::Slot> held;
  while (limiter_->in_flight() < limiter_->limit()) {
    held.push_back(limiter_->acquire({}).value());
  }
  auto written = std::async(std::launch::async, [this] {
    return client_->upsert("leads", key(), Json{{"lastname", "Hopper"}},
                           UpsertMode::create_or_update, scope_);
  });

  shutdown_.cancel();

  ASSERT_EQ(written.wait_for(10s), std::future_status::ready);
  const auto result = written.get();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::cancelled);
  EXPECT_THAT(result.error().message, HasSubstr("free request slot"));
  EXPECT_EQ(transport_->call_count(), 0U);
  for (const auto slot : held) {
    limiter_->release(slot, http::ConcurrencyLimiter::Outcome::success);
  }
}

TEST_F(ClientScopeTest, ReadingEveryPageStopsBetweenPagesWhenCancelled) {
  transport_->then_json(200, R"({"value":[{"leadid":"a"}],"@odata.nextLink":")" + kRoot +
                                 R"(leads?$skiptoken=2"})");
  transport_->on_send([this](const http::Request&, const http::CallContext&) {
    shutdown_.cancel(); // while the first page is being read
  });

  const auto rows = client_->retrieve_all("leads", {}, scope_);

  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.error().category, ErrorCategory::cancelled);
  EXPECT_THAT(rows.error().message, HasSubstr("between two pages"));
  EXPECT_EQ(transport_->call_count(), 1U) << "the second page was not asked for";
}

TEST_F(ClientScopeTest, TrackingChangesStopsBetweenPagesWhenCancelled) {
  transport_->then_json(200, R"({"value":[{"leadid":"a"}],"@odata.nextLink":")" + kRoot +
                                 R"(leads?$skiptoken=2"})");
  transport_->on_send(
      [this](const http::Request&, const http::CallContext&) { shutdown_.cancel(); });

  const auto changes = client_->track_changes("leads", {"leadid"}, {}, scope_);

  ASSERT_FALSE(changes.ok());
  EXPECT_EQ(changes.error().category, ErrorCategory::cancelled);
  EXPECT_EQ(transport_->call_count(), 1U);
}

TEST_F(ClientScopeTest, WhoAmIStillTakesABareCancellationToken) {
  shutdown_.cancel();

  const auto who = client_->who_am_i(shutdown_.token());

  ASSERT_FALSE(who.ok());
  EXPECT_EQ(who.error().category, ErrorCategory::cancelled);
  EXPECT_EQ(transport_->call_count(), 0U);
}

} // namespace
} // namespace leadsync::dataverse
