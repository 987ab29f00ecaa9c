// The waterfall: order and stop rule, cache, quotas and budgets across restarts, consent, merge
// policies, rate limits, queued lookups, provenance and the outbox.

#include "leadsync/enrich/consent.hpp"
#include "leadsync/enrich/enricher.hpp"
#include "leadsync/store/open.hpp"
#include "unit/enrich/fake_provider.hpp"

#include <algorithm>
#include <filesystem>
#include <gtest/gtest.h>
#include <unistd.h>

namespace leadsync::enrich {
namespace {

namespace fs = std::filesystem;
using testing::ClockSleeper;
using testing::FakeProvider;
using testing::matched;

config::EnrichProviderOptions provider_options(const std::string& name,
                                               const std::string& charges = "match") {
  config::EnrichProviderOptions options;
  options.name = name;
  options.kind = "fake";
  options.charges = charges;
  options.min_confidence = 0.5;
  options.cache_ttl_days = 30;
  return options;
}

class EnricherTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern = fs::path(::testing::TempDir()) / "leadsync-enrich-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    folder_ = pattern;
    reopen();
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(folder_);
  }
  void reopen() {
    store_.reset();
    auto opened = store::open_store("sqlite://" + (folder_ / "state.db").string(), folder_, clock_);
    ASSERT_TRUE(opened.ok()) << opened.error().describe();
    store_ = std::move(*opened);
  }

  std::string add_lead(const std::string& email, const std::string& domain = "example.com",
                       const std::function<void(model::Lead&)>& edit = {}) {
    model::Lead lead;
    lead.person.first_name = "Anna";
    lead.person.last_name = "Ivanova";
    lead.person.emails = {email};
    lead.company.name = "Example";
    lead.company.domain = domain;
    if (edit) {
      edit(lead);
    }
    auto created = store_->create_lead(lead, {.enqueue = false});
    EXPECT_TRUE(created.ok());
    return created->identity.id;
  }

  std::unique_ptr<Enricher> enricher(std::vector<ConfiguredProvider> providers,
                                     config::EnrichOptions options = {}) {
    EnrichSettings settings;
    settings.options = std::move(options);
    settings.accepts = accepts_;
    auto made =
        Enricher::create(std::move(settings), std::move(providers), *store_, clock_, sleeper_);
    EXPECT_TRUE(made.ok()) << made.error().describe();
    return std::move(*made);
  }

  EnrichOutcome run(Enricher& enricher, EnrichRequest request = {}) {
    auto outcome = enricher.run(request);
    EXPECT_TRUE(outcome.ok()) << outcome.error().describe();
    return *outcome;
  }

  model::Lead lead(const std::string& id) { return store_->get_lead(id).value(); }

  static config::EnrichOptions wanting(std::vector<std::string> fields) {
    config::EnrichOptions options;
    options.wanted_fields = std::move(fields);
    return options;
  }

  fs::path folder_;
  ManualClock clock_;
  ClockSleeper sleeper_{clock_};
  std::unique_ptr<store::Store> store_;
  std::function<bool(std::string_view, std::string_view)> accepts_;
};

ConfiguredProvider configured(FakeProvider*& raw, const std::string& name,
                              std::vector<FieldGroup> groups, std::size_t max_batch = 1,
                              const std::string& charges = "match") {
  auto provider = std::make_unique<FakeProvider>(name, std::move(groups), max_batch);
  raw = provider.get();
  return {.options = provider_options(name, charges), .provider = std::move(provider)};
}

TEST_F(EnricherTest, TheSecondProviderIsAskedOnlyForLeadsTheFirstLeftWithoutTheWantedFields) {
  const std::string filled = add_lead("anna@example.com");
  const std::string missing = add_lead("boris@example.com");
  FakeProvider* first = nullptr;
  FakeProvider* second = nullptr;
  std::vector<ConfiguredProvider> providers;
  providers.push_back(configured(first, "first", {FieldGroup::person}));
  providers.push_back(configured(second, "second", {FieldGroup::person}));
  first->answer("anna@example.com",
                matched({{"person.job_title", "CTO"}, {"person.seniority", "cxo"}}));
  second->answer("boris@example.com", matched({{"person.job_title", "Buyer"}}));
  auto waterfall = enricher(std::move(providers), wanting({"person.job_title"}));

  const EnrichOutcome outcome = run(*waterfall);

  std::sort(first->asked.begin(), first->asked.end()); // leads come in id order
  EXPECT_EQ(first->asked, (std::vector<std::string>{"anna@example.com", "boris@example.com"}));
  EXPECT_EQ(second->asked, (std::vector<std::string>{"boris@example.com"}));
  EXPECT_EQ(lead(filled).person.job_title, "CTO");
  EXPECT_EQ(lead(missing).person.job_title, "Buyer");
  EXPECT_EQ(outcome.leads, 2);
  EXPECT_EQ(outcome.matched, 2);
  EXPECT_EQ(outcome.fields_filled, 3);
  EXPECT_EQ(outcome.providers.at("second").lookups, 1);
}

TEST_F(EnricherTest, AnAnswerBelowTheWantedConfidenceLetsTheWaterfallGoOn) {
  const std::string id = add_lead("anna@example.com");
  FakeProvider* weak = nullptr;
  FakeProvider* strong = nullptr;
  std::vector<ConfiguredProvider> providers;
  providers.push_back(configured(weak, "weak", {FieldGroup::person}));
  providers.push_back(configured(strong, "strong", {FieldGroup::person}));
  weak->answer("anna@example.com", matched({{"person.job_title", "Engineer"}}, 0.55));
  strong->answer("anna@example.com", matched({{"person.job_title", "Head of Data"}}, 0.95));
  config::EnrichOptions options = wanting({"person.job_title"});
  options.min_confidence = 0.8;
  options.merge["person.job_title"] = "overwrite_if_more_confident";
  auto waterfall = enricher(std::move(providers), options);

  run(*waterfall);

  EXPECT_EQ(strong->asked.size(), 1U);
  const model::Lead enriched = lead(id);
  EXPECT_EQ(enriched.person.job_title, "Head of Data");
  ASSERT_EQ(enriched.enrichment.size(), 1U);
  EXPECT_EQ(enriched.enrichment[0].provider, "strong");
  EXPECT_DOUBLE_EQ(enriched.enrichment[0].confidence, 0.95);
  EXPECT_DOUBLE_EQ(enriched.enrichment[0].raw_confidence, 9.5);
  EXPECT_EQ(enriched.enrichment[0].fetched_at, clock_.now());
}

TEST_F(EnricherTest, PayOnMatchProvidersAreAskedBeforePayPerRequestOnesUnlessConfiguredOtherwise) {
  for (const bool pay_on_match_first : {true, false}) {
    // Each round has its own lead, so the first round's cached answers play no part.
    const std::string email = pay_on_match_first ? "anna@example.com" : "boris@example.com";
    add_lead(email);
    FakeProvider* per_request = nullptr;
    FakeProvider* on_match = nullptr;
    std::vector<ConfiguredProvider> providers;
    providers.push_back(configured(per_request, "per_request", {FieldGroup::person}, 1, "request"));
    providers.push_back(configured(on_match, "on_match", {FieldGroup::person}));
    per_request->answer(email, matched({{"person.job_title", "A"}}));
    on_match->answer(email, matched({{"person.job_title", "B"}}));
    config::EnrichOptions options = wanting({"person.job_title"});
    options.pay_on_match_first = pay_on_match_first;
    auto waterfall = enricher(std::move(providers), options);

    const EnrichOutcome outcome = run(*waterfall);

    if (pay_on_match_first) {
      EXPECT_EQ(on_match->asked, (std::vector<std::string>{email}));
      EXPECT_TRUE(per_request->asked.empty());
    } else {
      EXPECT_EQ(per_request->asked, (std::vector<std::string>{email}));
      EXPECT_TRUE(on_match->asked.empty());
    }
    EXPECT_EQ(outcome.lookups, 1);
  }
}

TEST_F(EnricherTest, AListedSelectionAsksForThoseLeadsOnlyAndCanLeaveTheRunToTheCaller) {
  const std::string anna = add_lead("anna@example.com");
  const std::string boris = add_lead("boris@example.com");
  FakeProvider* provider = nullptr;
  std::vector<ConfiguredProvider> providers;
  providers.push_back(configured(provider, "p", {FieldGroup::person}));
  provider->answer("anna@example.com", matched({{"person.job_title", "CTO"}}));
  provider->answer("boris@example.com", matched({{"person.job_title", "CFO"}}));
  auto waterfall = enricher(std::move(providers), wanting({"person.job_title"}));

  const EnrichOutcome outcome =
      run(*waterfall, {.selection = Selection::listed,
                       .lead_id = {},
                       .lead_ids = {anna, "01900000-0000-7000-8000-000000000000"},
                       .record_run = false,
                       .provider = {},
                       .dry_run = false,
                       .limit = 0,
                       .cancel = {},
                       .on_progress = {}});

  EXPECT_EQ(provider->asked, (std::vector<std::string>{"anna@example.com"}));
  EXPECT_EQ(outcome.leads, 1) << "an unknown id is skipped";
  EXPECT_EQ(lead(anna).person.job_title, "CTO");
  EXPECT_EQ(lead(boris).person.job_title, "");
  EXPECT_EQ(outcome.run_id, 0);
  EXPECT_TRUE(store_->list_runs(10).value().empty());
}

TEST_F(EnricherTest, ADryRunAsksNothingAndWritesNothing) {
  const std::string id = add_lead("anna@example.com");
  FakeProvider* provider = nullptr;
  std::vector<ConfiguredProvider> providers;
  providers.push_back(configured(provider, "p", {FieldGroup::person}));
  provider->answer("anna@example.com", matched({{"person.job_title", "CTO"}}));
  auto waterfall = enricher(std::move(providers), wanting({"person.job_title"}));

  const EnrichOutcome outcome = run(*waterfall, {.selection = Selection::new_leads,
                                                 .lead_id = {},
                                                 .lead_ids = {},
                                                 .record_run = true,
                                                 .provider = {},
                                                 .dry_run = true,
                                                 .limit = 0,
                                                 .cancel = {},
                                                 .on_progress = {}});

  EXPECT_TRUE(provider->calls.empty());
  EXPECT_EQ(outcome.lookups, 1);
  EXPECT_EQ(lead(id).person.job_title, "");
  EXPECT_FALSE(lead(id).enriched_at.has_value());
  EXPECT_TRUE(store_->list_runs(10).value().empty());
}

TEST_F(EnricherTest, TheSameLookupIsNotPaidTwiceWithinTheCacheTtlMissesIncluded) {
  add_lead("anna@example.com");
  add_lead("nobody@example.com");
  FakeProvider* provider = nullptr;
  std::vector<ConfiguredProvider> providers;
  providers.push_back(configured(provider, "p", {FieldGroup::person}));
  provider->answer("anna@example.com", matched({{"person.job_title", "CTO"}}));
  auto waterfall = enricher(std::move(providers), wanting({"person.job_title"}));
  const EnrichRequest all{.selection = Selection::all,
                          .lead_id = {},
                          .lead_ids = {},
                          .record_run = true,
                          .provider = {},
                          .dry_run = false,
                          .limit = 0,
                          .cancel = {},
                          .on_progress = {}};

  const EnrichOutcome first = run(*waterfall, all);
  const EnrichOutcome second = run(*waterfall, all);
  clock_.advance(std::chrono::hours{24 * 31});
  const EnrichOutcome after_ttl = run(*waterfall, all);

  EXPECT_EQ(first.lookups, 2);
  EXPECT_EQ(first.credits_spent, 1);
  EXPECT_EQ(second.lookups, 0);
  EXPECT_EQ(second.cache_hits, 1); // the miss; the match filled the field, so it is not asked
  EXPECT_EQ(second.credits_spent, 0);
  EXPECT_EQ(after_ttl.lookups, 1); // the miss expired and is asked again
}

TEST_F(EnricherTest, TheDailyQuotaHoldsAcrossARestartAndFreesTheNextDay) {
  for (int i = 0; i < 5; ++i) {
    add_lead("person" + std::to_string(i) + "@example.com");
  }
  const auto make = [&](FakeProvider*& raw) {
    std::vector<ConfiguredProvider> providers;
    providers.push_back(configured(raw, "p", {FieldGroup::person}));
    providers.back().options.daily_quota = 3;
    return enricher(std::move(providers), wanting({"person.job_title"}));
  };
  FakeProvider* provider = nullptr;
  auto waterfall = make(provider);
  const EnrichOutcome first = run(*waterfall);
  EXPECT_EQ(provider->asked.size(), 3U);
  EXPECT_EQ(first.deferred, 2);
  ASSERT_EQ(first.warnings.size(), 1U);
  EXPECT_NE(first.warnings[0].find("daily quota"), std::string::npos);
  EXPECT_EQ(first.providers.at("p").status, "quota");

  waterfall.reset();
  reopen(); // a restart
  FakeProvider* restarted = nullptr;
  waterfall = make(restarted);
  const EnrichOutcome second = run(*waterfall);
  EXPECT_TRUE(restarted->asked.empty());
  EXPECT_EQ(second.deferred, 2);

  clock_.advance(std::chrono::hours{24});
  const EnrichOutcome next_day = run(*waterfall);
  EXPECT_EQ(restarted->asked.size(), 2U);
  EXPECT_EQ(next_day.deferred, 0);
}

TEST_F(EnricherTest, TheCreditBudgetPerRunIsNeverExceededEvenByABulkCall) {
  for (int i = 0; i < 10; ++i) {
    add_lead("person" + std::to_string(i) + "@example.com");
  }
  FakeProvider* provider = nullptr;
  std::vector<ConfiguredProvider> providers;
  providers.push_back(configured(provider, "p", {FieldGroup::person}, 100));
  providers.back().options.credit_budget_per_run = 4;
  for (int i = 0; i < 10; ++i) {
    provider->answer("person" + std::to_string(i) + "@example.com",
                     matched({{"person.job_title", "Engineer"}}));
  }
  auto waterfall = enricher(std::move(providers), wanting({"person.job_title"}));

  const EnrichOutcome outcome = run(*waterfall);

  EXPECT_EQ(provider->calls, (std::vector<std::size_t>{4}));
  EXPECT_EQ(outcome.credits_spent, 4);
  EXPECT_EQ(outcome.deferred, 6);
  EXPECT_EQ(outcome.providers.at("p").status, "budget");
}

TEST_F(EnricherTest, AProviderOutOfCreditsIsSkippedWithOneWarningPerRunNotOnePerLead) {
  for (int i = 0; i < 5; ++i) {
    add_lead("person" + std::to_string(i) + "@example.com");
  }
  FakeProvider* broke = nullptr;
  FakeProvider* backup = nullptr;
  std::vector<ConfiguredProvider> providers;
  providers.push_back(configured(broke, "broke", {FieldGroup::person}));
  providers.push_back(configured(backup, "backup", {FieldGroup::person}));
  Error payment = Error::make(ErrorCategory::forbidden, "Payment Required");
  payment.http_status = 402;
  payment.service_code = std::string(out_of_credits_code);
  broke->fail_next(payment);
  auto waterfall = enricher(std::move(providers), wanting({"person.job_title"}));

  const EnrichOutcome outcome = run(*waterfall);

  EXPECT_EQ(broke->calls.size(), 1U);
  EXPECT_EQ(outcome.warnings.size(), 1U);
  EXPECT_EQ(outcome.providers.at("broke").status, "out_of_credits");
  EXPECT_EQ(outcome.providers.at("broke").skipped, 5);
  EXPECT_EQ(backup->asked.size(), 5U); // the waterfall goes on to the next provider
  EXPECT_EQ(outcome.errors, 0);
}

TEST_F(EnricherTest, A429WithRetryAfterIsWaitedOutAndTheLookupSentAgain) {
  const std::string id = add_lead("anna@example.com");
  FakeProvider* provider = nullptr;
  std::vector<ConfiguredProvider> providers;
  providers.push_back(configured(provider, "p", {FieldGroup::person}));
  Error throttled = Error::make(ErrorCategory::throttled, "Too Many Requests", true);
  throttled.http_status = 429;
  provider->fail_next(throttled);
  provider->set_rate_state({.limit = std::nullopt,
                            .remaining = std::nullopt,
                            .reset = std::nullopt,
                            .retry_after = std::chrono::seconds{7}});
  provider->answer("anna@example.com", matched({{"person.job_title", "CTO"}}));
  auto waterfall = enricher(std::move(providers), wanting({"person.job_title"}));

  const EnrichOutcome outcome = run(*waterfall);

  EXPECT_EQ(provider->calls.size(), 2U);
  EXPECT_GE(sleeper_.slept, std::chrono::seconds{7});
  EXPECT_EQ(lead(id).person.job_title, "CTO");
  EXPECT_EQ(outcome.errors, 0);
}

TEST_F(EnricherTest, AServerErrorThatPersistsFailsTheLeadWhichIsNotMarkedEnriched) {
  const std::string id = add_lead("anna@example.com");
  FakeProvider* provider = nullptr;
  std::vector<ConfiguredProvider> providers;
  providers.push_back(configured(provider, "p", {FieldGroup::person}));
  Error down = Error::make(ErrorCategory::unavailable, "Bad Gateway", true);
  down.http_status = 502;
  for (int i = 0; i < 3; ++i) {
    provider->fail_next(down);
  }
  auto waterfall = enricher(std::move(providers), wanting({"person.job_title"}));

  const EnrichOutcome outcome = run(*waterfall);

  EXPECT_EQ(provider->calls.size(), 3U);
  EXPECT_EQ(outcome.errors, 1);
  ASSERT_EQ(outcome.failures.size(), 1U);
  EXPECT_EQ(outcome.failures[0].lead_id, id);
  EXPECT_EQ(outcome.status, "failed");
  EXPECT_FALSE(lead(id).enriched_at.has_value());
  EXPECT_EQ(store_->list_runs(1).value().at(0).status, "failed");
}

TEST_F(EnricherTest, ConsentForbidsPersonLookupsButNotCompanyLookups) {
  const std::string id = add_lead("anna@example.com", "example.com",
                                  [](model::Lead& lead) { lead.consent.do_not_email = true; });
  FakeProvider* provider = nullptr;
  std::vector<ConfiguredProvider> providers;
  providers.push_back(
      configured(provider, "p", {FieldGroup::person, FieldGroup::social, FieldGroup::company}));
  provider->answer("anna@example.com", matched({{"person.job_title", "CTO"}}));
  provider->answer("example.com",
                   matched({{"company.employee_count", "250"}, {"person.job_title", "leaked"}}));
  auto waterfall =
      enricher(std::move(providers), wanting({"person.job_title", "company.employee_count"}));

  const EnrichOutcome outcome = run(*waterfall);

  EXPECT_EQ(provider->asked, (std::vector<std::string>{"example.com"}));
  const model::Lead enriched = lead(id);
  EXPECT_EQ(enriched.company.employee_count, 250);
  EXPECT_EQ(enriched.person.job_title, ""); // personal data is not taken from a company answer
  EXPECT_EQ(outcome.skipped_consent, 1);
  EXPECT_EQ(outcome.consent_reasons.at("do_not_email"), 1);
}

TEST_F(EnricherTest, RegionAndLawfulBasisRulesSkipPersonalLookups) {
  config::EnrichOptions options;
  options.blocked_regions = {"DE"};
  options.require_lawful_basis = true;
  model::Lead german;
  german.person.emails = {"max@firma.de"};
  german.consent.lawful_basis = model::LawfulBasis::consent;
  EXPECT_EQ(personal_lookup_consent(german, options).reason, "region DE");
  model::Lead no_basis;
  no_basis.person.emails = {"anna@example.com"};
  EXPECT_EQ(personal_lookup_consent(no_basis, options).reason, "no lawful basis");
  no_basis.consent.lawful_basis = model::LawfulBasis::legitimate_interest;
  EXPECT_TRUE(personal_lookup_consent(no_basis, options).personal_allowed);
}

TEST_F(EnricherTest, MergePoliciesKeepAPersonsValueOverwriteWeakerEnrichmentOrNeverTouch) {
  const std::string id = add_lead("anna@example.com", "example.com", [](model::Lead& lead) {
    lead.person.job_title = "Typed by a rep";
    lead.company.industry = "Retail";
    lead.enrichment.push_back({.field = "company.industry",
                               .provider = "old",
                               .raw_confidence = 3,
                               .confidence = 0.3,
                               .fetched_at = std::nullopt});
    lead.company.website = "example.com";
  });
  FakeProvider* provider = nullptr;
  std::vector<ConfiguredProvider> providers;
  providers.push_back(configured(provider, "p", {FieldGroup::person}));
  provider->answer("anna@example.com", matched({{"person.job_title", "CTO"},
                                                {"company.industry", "Consulting"},
                                                {"company.website", "other.com"},
                                                {"social.bio", "hello"}},
                                               0.9));
  config::EnrichOptions options;
  options.min_confidence = 0.95; // keep asking: every field counts as not yet good enough
  options.merge = {{"person.job_title", "overwrite_if_more_confident"},
                   {"company.industry", "overwrite_if_more_confident"},
                   {"social.bio", "never"}};
  auto waterfall = enricher(std::move(providers), options);

  run(*waterfall);

  const model::Lead enriched = lead(id);
  EXPECT_EQ(enriched.person.job_title, "Typed by a rep"); // no provenance: a person gave it
  EXPECT_EQ(enriched.company.industry, "Consulting");     // 0.9 beats the stored 0.3
  EXPECT_EQ(enriched.company.website, "example.com");     // fill_empty leaves it
  EXPECT_EQ(enriched.social.bio, "");                     // never
}

TEST_F(EnricherTest, AValueTheCrmMappingCannotCarryIsNotWritten) {
  const std::string id = add_lead("anna@example.com");
  accepts_ = [](std::string_view field, std::string_view value) {
    return field != "company.industry" || value == "Consulting";
  };
  FakeProvider* provider = nullptr;
  std::vector<ConfiguredProvider> providers;
  providers.push_back(configured(provider, "p", {FieldGroup::person}));
  provider->answer("anna@example.com", matched({{"company.industry", "underwater basketry"},
                                                {"person.job_title", "CTO"}}));
  auto waterfall = enricher(std::move(providers), {});

  const EnrichOutcome outcome = run(*waterfall);

  EXPECT_EQ(lead(id).company.industry, "");
  EXPECT_EQ(lead(id).person.job_title, "CTO");
  EXPECT_EQ(outcome.providers.at("p").fields_refused, 1);
}

TEST_F(EnricherTest, AQueuedLookupIsAskedAgainLaterNeverCountedAsAMiss) {
  const std::string id = add_lead("anna@example.com");
  FakeProvider* provider = nullptr;
  std::vector<ConfiguredProvider> providers;
  providers.push_back(configured(provider, "p", {FieldGroup::person}));
  provider->answer("anna@example.com", {.outcome = Outcome::pending,
                                        .fields = {},
                                        .raw_confidence = 0,
                                        .confidence = 0,
                                        .credits = 0,
                                        .retry_after = std::chrono::seconds{10},
                                        .note = {}});
  auto waterfall = enricher(std::move(providers), wanting({"person.job_title"}));

  const EnrichOutcome queued = run(*waterfall);
  EXPECT_EQ(queued.pending, 1);
  EXPECT_EQ(queued.providers.at("p").no_match, 0);
  EXPECT_EQ(store_->list_pending_lookups(10).value().size(), 1U);

  const EnrichOutcome too_early = run(*waterfall);
  EXPECT_EQ(provider->calls.size(), 1U);
  EXPECT_EQ(too_early.lookups, 0);

  clock_.advance(std::chrono::seconds{11});
  provider->answer("anna@example.com", matched({{"person.job_title", "CTO"}}));
  const EnrichOutcome ready = run(*waterfall);
  EXPECT_EQ(ready.resolved_pending, 1);
  EXPECT_EQ(lead(id).person.job_title, "CTO");
  EXPECT_TRUE(store_->list_pending_lookups(10).value().empty());
}

TEST_F(EnricherTest, AnEnrichedLeadGoesThroughTheOutboxAndIsMarkedEnriched) {
  const std::string id = add_lead("anna@example.com");
  const std::string nothing_found = add_lead("nobody@example.com");
  FakeProvider* provider = nullptr;
  std::vector<ConfiguredProvider> providers;
  providers.push_back(configured(provider, "p", {FieldGroup::person}));
  provider->answer("anna@example.com", matched({{"person.job_title", "CTO"}}));
  auto waterfall = enricher(std::move(providers), wanting({"person.job_title"}));

  const EnrichOutcome outcome = run(*waterfall);
  const EnrichOutcome again = run(*waterfall);

  const auto pending = store_->pending_outbox(10).value();
  ASSERT_EQ(pending.size(), 1U);
  EXPECT_EQ(pending[0].lead_id, id);
  EXPECT_TRUE(lead(id).enriched_at.has_value());
  EXPECT_TRUE(lead(nothing_found).enriched_at.has_value());
  EXPECT_EQ(outcome.enriched, 1);
  EXPECT_EQ(again.leads, 0); // --new: both were looked at
  const auto runs = store_->list_runs(2).value();
  ASSERT_EQ(runs.size(), 2U);
  EXPECT_EQ(runs[1].status, "ok");
  EXPECT_EQ(runs[1].counts.at("fields_filled"), 1);
}

TEST_F(EnricherTest, ABulkProviderIsAskedInCallsOfItsBatchSize) {
  for (int i = 0; i < 250; ++i) {
    add_lead("person" + std::to_string(i) + "@example.com");
  }
  FakeProvider* provider = nullptr;
  std::vector<ConfiguredProvider> providers;
  providers.push_back(configured(provider, "p", {FieldGroup::person}, 100));
  auto waterfall = enricher(std::move(providers), wanting({"person.job_title"}));

  const EnrichOutcome outcome = run(*waterfall);

  std::size_t total = 0;
  for (const std::size_t size : provider->calls) {
    EXPECT_LE(size, 100U);
    total += size;
  }
  EXPECT_EQ(total, 250U);
  EXPECT_EQ(outcome.providers.at("p").calls, static_cast<std::int64_t>(provider->calls.size()));
  EXPECT_EQ(outcome.lookups, 250);
}

TEST_F(EnricherTest, ColleaguesSharingACompanyDomainCostOneCompanyLookup) {
  const std::string anna = add_lead("anna@acme.example", "acme.example");
  const std::string boris = add_lead("boris@acme.example", "acme.example");
  FakeProvider* provider = nullptr;
  std::vector<ConfiguredProvider> providers;
  providers.push_back(configured(provider, "p", {FieldGroup::company}, 100));
  provider->answer("acme.example", matched({{"company.employee_count", "120"}}));
  auto waterfall = enricher(std::move(providers), wanting({"company.employee_count"}));

  const EnrichOutcome outcome = run(*waterfall);

  EXPECT_EQ(provider->asked, (std::vector<std::string>{"acme.example"}));
  EXPECT_EQ(outcome.credits_spent, 1);
  EXPECT_EQ(lead(anna).company.employee_count, 120);
  EXPECT_EQ(lead(boris).company.employee_count, 120);
}

TEST_F(EnricherTest, AnUnknownWantedFieldOrMergePolicyIsAConfigError) {
  EnrichSettings settings;
  settings.options.wanted_fields = {"person.shoe_size"};
  auto made = Enricher::create(settings, {}, *store_, clock_, sleeper_);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().category, ErrorCategory::config);
  EXPECT_NE(made.error().message.find("person.shoe_size"), std::string::npos);
  settings.options.wanted_fields = {};
  settings.options.merge = {{"person.job_title", "sometimes"}};
  made = Enricher::create(settings, {}, *store_, clock_, sleeper_);
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.error().message.find("fill_empty"), std::string::npos);
}

TEST_F(EnricherTest, AnUnknownProviderNameIsRefusedWithTheConfiguredOnes) {
  FakeProvider* provider = nullptr;
  std::vector<ConfiguredProvider> providers;
  providers.push_back(configured(provider, "pdl", {FieldGroup::person}));
  auto waterfall = enricher(std::move(providers), {});
  auto outcome = waterfall->run({.selection = Selection::new_leads,
                                 .lead_id = {},
                                 .lead_ids = {},
                                 .record_run = true,
                                 .provider = "clearbit",
                                 .dry_run = false,
                                 .limit = 0,
                                 .cancel = {},
                                 .on_progress = {}});
  ASSERT_FALSE(outcome.ok());
  EXPECT_NE(outcome.error().message.find("configured: pdl"), std::string::npos);
}

} // namespace
} // namespace leadsync::enrich
