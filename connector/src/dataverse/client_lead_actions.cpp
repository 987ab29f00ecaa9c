// DataverseClient: what is done to a lead besides writing its columns: QualifyLead, disqualify and
// reactivate (its state), the predictive score, Merge (section 2). Section numbers refer to
// /work/shared/dataverse-notes.md.

#include "detail/client_support.hpp"
#include "leadsync/dataverse/client.hpp"

#include <fmt/format.h>
#include <string>
#include <utility>
#include <vector>

namespace leadsync::dataverse {

using namespace detail;

namespace {

// "#Microsoft.Dynamics.CRM.account" -> "account".
std::string entity_from_type(std::string_view type) {
  if (type.starts_with('#')) {
    type.remove_prefix(1);
  }
  if (type.starts_with(action_prefix)) {
    type.remove_prefix(action_prefix.size());
  }
  return std::string(type);
}

} // namespace

Result<std::vector<CreatedReference>> DataverseClient::qualify_lead(const std::string& lead_id,
                                                                    const QualifyOptions& options,
                                                                    const Scope& scope) {
  LEADSYNC_TRY(const std::string key, odata::key_by_id(lead_id));
  // Section 2: QualifyLead parameters; entity parameters are objects with @odata.type.
  Json body = {{"CreateAccount", options.create_account},
               {"CreateContact", options.create_contact},
               {"CreateOpportunity", options.create_opportunity},
               {"Status", options.status}};
  if (!options.currency_id.empty()) {
    LEADSYNC_TRY(const std::string id, checked_guid(options.currency_id, "currency id"));
    body["OpportunityCurrencyId"] = {
        {"@odata.type", std::string(action_prefix) + "transactioncurrency"},
        {"transactioncurrencyid", id}};
  }
  if (!options.customer_id.empty()) {
    if (options.customer_entity != "account" && options.customer_entity != "contact") {
      return fail(ErrorCategory::invalid_argument,
                  fmt::format("the opportunity customer must be an \"account\" or a \"contact\" "
                              "(got \"{}\")",
                              options.customer_entity));
    }
    LEADSYNC_TRY(const std::string id, checked_guid(options.customer_id, "customer id"));
    body["OpportunityCustomerId"] = {
        {"@odata.type", std::string(action_prefix) + options.customer_entity},
        {options.customer_entity + "id", id}};
  }
  if (!options.source_campaign_id.empty()) {
    LEADSYNC_TRY(const std::string id, checked_guid(options.source_campaign_id, "campaign id"));
    body["SourceCampaignId"] = {{"@odata.type", std::string(action_prefix) + "campaign"},
                                {"campaignid", id}};
  }
  auto request = make_request("POST", service_root() + "leads" + key + "/" +
                                          std::string(action_prefix) + "QualifyLead");
  LEADSYNC_CHECK(set_json_body(request, body));
  LEADSYNC_TRY(const http::Response response, send(std::move(request), false, scope));
  LEADSYNC_TRY(const odata::CollectionPage created, odata::parse_collection(response));
  std::vector<CreatedReference> references;
  for (const Json& row : created.rows) {
    LEADSYNC_TRY(const std::string type,
                 string_member(row, "@odata.type", "QualifyLead", response.status));
    CreatedReference reference;
    reference.entity = entity_from_type(type);
    LEADSYNC_TRY(reference.id, string_member(row, (reference.entity + "id").c_str(), "QualifyLead",
                                             response.status));
    references.push_back(std::move(reference));
  }
  return references;
}

Status DataverseClient::set_lead_state(const std::string& lead_id, int state_code, int status_code,
                                       const Scope& scope) {
  LEADSYNC_TRY(const std::string key, odata::key_by_id(lead_id));
  // Section 2: statecode and statuscode always together; If-Match: * so a missing lead is an
  // error instead of a new, empty lead.
  return update("leads", key, Json{{"statecode", state_code}, {"statuscode", status_code}}, {},
                scope);
}

Status DataverseClient::disqualify_lead(const std::string& lead_id, int status_code,
                                        const Scope& scope) {
  if (status_code < 4 || status_code > 7) {
    return fail(ErrorCategory::invalid_argument,
                fmt::format("{} is not a status code for a disqualified lead: use 4 (Lost), "
                            "5 (Cannot Contact), 6 (No Longer Interested) or 7 (Canceled)",
                            status_code));
  }
  return set_lead_state(lead_id, 2, status_code, scope);
}

Status DataverseClient::reactivate_lead(const std::string& lead_id, const Scope& scope) {
  return set_lead_state(lead_id, 0, 1, scope);
}

Status DataverseClient::upsert_predictive_score(const std::string& lead_id,
                                                const PredictiveScore& score, const Scope& scope) {
  LEADSYNC_TRY(const std::string lead, checked_guid(lead_id, "lead id"));
  if (score.grade < 0 || score.grade > 3) {
    return fail(ErrorCategory::invalid_argument,
                fmt::format("{} is not a predictive score grade: use 0 (Grade A), 1 (Grade B), "
                            "2 (Grade C) or 3 (Grade D)",
                            score.grade));
  }
  if (score.trend < 0 || score.trend > 3) {
    return fail(ErrorCategory::invalid_argument,
                fmt::format("{} is not a predictive score trend: use 0 (Improving), 1 (Steady), "
                            "2 (Declining) or 3 (Not enough info)",
                            score.trend));
  }
  constexpr std::size_t max_reasons = 10'000; // msdyn_scorereasons is a memo of 10,000
  if (score.reasons.size() > max_reasons) {
    return fail(ErrorCategory::invalid_argument,
                fmt::format("the score reasons are {} characters; msdyn_scorereasons holds at most "
                            "{}",
                            score.reasons.size(), max_reasons));
  }
  LEADSYNC_TRY(
      const std::string key,
      odata::key_by_alternate({{"msdyn_entityid", odata::Literal{lead}},
                               {"msdyn_entitytype", odata::Literal{std::string("lead")}}}));
  // The key columns come from the URL: Dataverse copies them into a new row and drops them from
  // the body of an update [UPSERT].
  Json row = {{"msdyn_score", score.score},
              {"msdyn_grade", score.grade},
              {"msdyn_scoretrend", score.trend}};
  if (!score.reasons.empty()) {
    row["msdyn_scorereasons"] = score.reasons;
  }
  if (!score.scored_on.empty()) {
    row["msdyn_scoredon"] = score.scored_on;
  }
  return upsert("msdyn_predictivescores", key, row, UpsertMode::create_or_update, scope);
}

Status DataverseClient::merge_leads(const std::string& target_id, const std::string& subordinate_id,
                                    const Json& update_content, bool perform_parenting_checks,
                                    const Scope& scope) {
  LEADSYNC_TRY(const std::string target, checked_guid(target_id, "target lead id"));
  LEADSYNC_TRY(const std::string subordinate, checked_guid(subordinate_id, "subordinate lead id"));
  if (target == subordinate) {
    return fail(
        ErrorCategory::invalid_argument,
        fmt::format("lead {} cannot be merged into itself: name two different leads", target));
  }
  if (!update_content.is_object()) {
    return fail(ErrorCategory::invalid_argument,
                fmt::format("the merge's update content is a JSON {}, not an object of the "
                            "target's columns",
                            update_content.type_name()));
  }
  // Merge is unbound; Target, Subordinate and UpdateContent are typed by @odata.type because the
  // parameters are crmbaseentity (merge-entity-using-web-api).
  const std::string lead_type = std::string(action_prefix) + "lead";
  Json body = {{"Target", {{"@odata.type", lead_type}, {"leadid", target}}},
               {"Subordinate", {{"@odata.type", lead_type}, {"leadid", subordinate}}},
               {"PerformParentingChecks", perform_parenting_checks}};
  if (!update_content.empty()) {
    Json content = update_content;
    content["@odata.type"] = lead_type;
    body["UpdateContent"] = std::move(content);
  }
  auto request = make_request("POST", service_root() + "Merge");
  LEADSYNC_CHECK(set_json_body(request, body));
  // Not idempotent: a second Merge of the same subordinate is refused, so a lost answer is not
  // resent blindly; the caller checks the subordinate's merged/masterid instead.
  LEADSYNC_TRY(const http::Response response, send(std::move(request), false, scope));
  return ok_status();
}

} // namespace leadsync::dataverse
