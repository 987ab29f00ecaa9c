#pragma once
// Shared fixtures for the mapping tests: the shipped mapping, a fully populated lead and a fake
// LookupResolver that counts the questions it is asked.

#include "leadsync/mapping/lead_mapping.hpp"
#include "leadsync/mapping/lookup.hpp"
#include "leadsync/model/lead.hpp"
#include "leadsync_test_paths.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace leadsync::mapping::testing {

inline std::filesystem::path shipped_mapping_path() {
  return std::filesystem::path(LEADSYNC_SOURCE_DIR) / "mappings" / "lead.toml";
}

// Loaded once; a load failure fails the calling test with every problem listed.
inline const LeadMapping& shipped_mapping() {
  static const LeadMapping mapping = [] {
    auto loaded = load_lead_mapping(shipped_mapping_path(), "leadsync_");
    if (!loaded) {
      throw std::runtime_error(loaded.error().message);
    }
    return std::move(loaded).value();
  }();
  return mapping;
}

inline model::TimePoint at(int year, unsigned month, unsigned day, int hour = 0, int minute = 0) {
  return std::chrono::sys_days{model::Date{std::chrono::year{year}, std::chrono::month{month},
                                           std::chrono::day{day}}} +
         std::chrono::hours{hour} + std::chrono::minutes{minute};
}

inline model::Date date(int year, unsigned month, unsigned day) {
  return model::Date{std::chrono::year{year}, std::chrono::month{month}, std::chrono::day{day}};
}

inline constexpr const char* campaign_id = "5f1c2b7e-9d4a-4c1e-8f3b-2a6d9e0c7b11";
inline constexpr const char* lead_id = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

// Every mapped field populated with a value that fits its column.
inline model::Lead full_lead() {
  model::Lead lead;
  lead.identity.id = lead_id;
  auto& person = lead.person;
  person.first_name = "Анна";
  person.middle_name = "Петровна";
  person.last_name = "Смирнова";
  person.job_title = "Head of Procurement";
  person.seniority = "director";
  person.emails = {"anna@acme.example", "a.smirnova@mail.example", "anna.s@home.example"};
  person.phones = {
      {model::PhoneKind::business, "+49 30 1234567", "+49301234567", "12", true},
      {model::PhoneKind::mobile, "0170 1234567", "+491701234567", "", true},
      {model::PhoneKind::home, "030 7654321", "", "", false},
      {model::PhoneKind::other, "+44 20 7946 0958", "+442079460958", "", true},
  };
  person.preferred_contact_method = model::ContactMethod::email;
  auto& company = lead.company;
  company.name = "Acme GmbH";
  company.website = "https://acme.example";
  company.industry = "IT consulting";
  company.employee_count = 250;
  company.annual_revenue = 12500000.5;
  company.address = {"Hauptstraße 1", "Gebäude B", "Berlin", "Berlin", "10115", "Germany"};
  lead.origin.channel = model::Channel::trade_show;
  lead.origin.campaign = "Spring Expo 2026";
  lead.origin.lists = {
      {"ListCo", "L-1", false, 3, date(2026, 1, 10), std::nullopt},
      {"DataHouse", "DH-77", true, std::nullopt, date(2026, 3, 1), std::nullopt},
  };
  lead.consent.do_not_phone = true;
  lead.consent.do_not_bulk_email = true;
  auto& qualification = lead.qualification;
  qualification.stage = model::LifecycleStage::mql;
  qualification.bant = {50000.0,
                        model::BudgetStatus::may_buy,
                        true,
                        model::Need::should_have,
                        model::PurchaseTimeframe::next_quarter,
                        model::PurchaseProcess::committee};
  qualification.scores = {
      .fit = 80.0, .engagement = 55.5, .data_quality = 90.0, .bant = 60.0, .total = 75.25};
  qualification.fired_rules = {"title_match"};
  lead.subject = "Interested in the enterprise plan";
  lead.description = "Met at the booth";
  lead.qualification.grade = "A";
  lead.qualification.reason_text = "75: fit 80, engagement 56";
  lead.social.linkedin_url = "linkedin.com/in/anna-smirnova";
  lead.social.x_handle = "asmirnova";
  lead.social.bio = "Buys for three plants.";
  lead.enrichment = {
      {"company.employee_count", "company-api", 0.9, 0.9, at(2026, 3, 2, 10)},
      {"person.job_title", "people-api", 80, 0.8, at(2026, 3, 5, 8, 30)},
      {"company.industry", "company-api", 0.7, 0.7, at(2026, 3, 1)},
  };
  return lead;
}

// Campaigns by name; counts every question.
class FakeResolver : public LookupResolver {
public:
  std::map<std::string, std::string> ids_by_name{{"Spring Expo 2026", campaign_id}};
  std::optional<Error> failure; // returned instead of an answer when set
  std::atomic<int> resolve_calls{0};
  std::atomic<int> name_calls{0};

  Result<std::optional<std::string>> resolve(const std::string& entity_set,
                                             const std::string& name_column,
                                             const std::string& name) override {
    ++resolve_calls;
    if (failure) {
      return *failure;
    }
    if (entity_set != "campaigns" || name_column != "name") {
      return fail(ErrorCategory::invalid_argument, "unexpected lookup " + entity_set);
    }
    const auto found = ids_by_name.find(name);
    return found == ids_by_name.end() ? std::optional<std::string>() : found->second;
  }

  Result<std::optional<std::string>> name_of(const std::string& entity_set,
                                             const std::string& name_column,
                                             const std::string& id) override {
    ++name_calls;
    if (failure) {
      return *failure;
    }
    if (entity_set != "campaigns" || name_column != "name") {
      return fail(ErrorCategory::invalid_argument, "unexpected lookup " + entity_set);
    }
    for (const auto& [name, known_id] : ids_by_name) {
      if (known_id == id) {
        return std::optional<std::string>(name);
      }
    }
    return std::optional<std::string>();
  }
};

} // namespace leadsync::mapping::testing
