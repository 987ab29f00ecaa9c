#include "leadsync/odata/filter.hpp"
#include "leadsync/odata/query.hpp"
#include "leadsync/odata/response.hpp"
#include "leadsync/sync/dataverse_crm.hpp"
#include "leadsync/sync/keyed_write.hpp"

#include <fmt/format.h>

namespace leadsync::sync {

namespace {

constexpr const char* leads_entity_set = "leads";
constexpr const char* logical_name = "lead";
// Keeps each $filter of "key eq 'a' or key eq 'b' ..." well within URL length limits.
constexpr std::size_t values_per_filter = 50;

Error not_reached(std::size_t index) {
  Error error = Error::make(ErrorCategory::unavailable,
                            fmt::format("the $batch stopped before write {}", index + 1), true);
  return error;
}

} // namespace

Result<std::string> row_url(const std::string& key_column, const std::string& external_id,
                            const std::string& crm_id) {
  if (!crm_id.empty()) {
    LEADSYNC_TRY(const std::string key, odata::key_by_id(crm_id));
    return std::string(leads_entity_set) + key;
  }
  return dataverse::DataverseClient::alternate_key_id(leads_entity_set, key_column, external_id);
}

DataverseCrm::DataverseCrm(std::shared_ptr<dataverse::DataverseClient> client,
                           http::CallScope scope)
    : client_(std::move(client)), scope_(std::move(scope)) {}

Status DataverseCrm::upsert_multiple(std::vector<Json> targets) {
  return client_->upsert_multiple(leads_entity_set, logical_name, std::move(targets), scope_);
}

Result<std::vector<WriteResult>> DataverseCrm::upsert_batch(const std::vector<KeyedWrite>& writes) {
  odata::BatchRequest request;
  request.continue_on_error = true;
  for (const auto& write : writes) {
    odata::BatchOperation operation;
    operation.method = "PATCH";
    operation.url = write.row_url;
    operation.headers.set("Content-Type", "application/json");
    operation.body = write.body.dump();
    request.parts.push_back({{std::move(operation)}, false});
  }
  LEADSYNC_TRY(const auto outcomes, client_->batch(request, scope_));
  std::vector<WriteResult> results(writes.size());
  for (std::size_t index = 0; index < writes.size(); ++index) {
    if (index >= outcomes.size()) {
      results[index].error = not_reached(index);
      continue;
    }
    const auto& outcome = outcomes[index];
    if (outcome.error) {
      results[index].error = outcome.error;
    } else if (outcome.status < 200 || outcome.status > 299) {
      results[index].error = Error::make(
          ErrorCategory::protocol, fmt::format("HTTP {} without an error body", outcome.status));
    } else {
      http::Response response;
      response.status = outcome.status;
      response.headers = outcome.headers;
      if (auto id = odata::entity_id_from_header(response); id.ok()) {
        results[index].crm_id = *id;
      }
    }
  }
  return results;
}

Status DataverseCrm::upsert(const KeyedWrite& write) {
  const auto open = write.row_url.find('(');
  return client_->upsert(write.row_url.substr(0, open), write.row_url.substr(open), write.body,
                         dataverse::UpsertMode::create_or_update, scope_);
}

Status DataverseCrm::remove(const std::string& row_url) {
  const auto open = row_url.find('(');
  auto removed = client_->remove(row_url.substr(0, open), row_url.substr(open), {}, scope_);
  if (!removed.ok() && removed.error().category == ErrorCategory::not_found) {
    return ok_status();
  }
  return removed;
}

Result<std::vector<Json>> DataverseCrm::rows_by_key(const std::string& key_column,
                                                    const std::vector<std::string>& values) {
  std::vector<Json> rows;
  for (std::size_t start = 0; start < values.size(); start += values_per_filter) {
    const std::size_t end = std::min(values.size(), start + values_per_filter);
    odata::Filter filter = odata::eq(key_column, values[start]);
    for (std::size_t index = start + 1; index < end; ++index) {
      filter = filter || odata::eq(key_column, values[index]);
    }
    odata::Query query;
    query.select = {"leadid", "versionnumber", key_column};
    query.filter = filter;
    LEADSYNC_TRY(auto page, client_->retrieve_all(leads_entity_set, query, scope_));
    for (auto& row : page) {
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

Status DataverseCrm::qualify(const std::string& crm_id, const dataverse::QualifyOptions& options) {
  LEADSYNC_TRY(const auto created, client_->qualify_lead(crm_id, options, scope_));
  (void)created;
  return ok_status();
}

Status DataverseCrm::disqualify(const std::string& crm_id, int status_code) {
  return client_->disqualify_lead(crm_id, status_code, scope_);
}

Status DataverseCrm::reactivate(const std::string& crm_id) {
  return client_->reactivate_lead(crm_id, scope_);
}

Status DataverseCrm::upsert_predictive_score(const std::string& crm_id,
                                             const dataverse::PredictiveScore& score) {
  return client_->upsert_predictive_score(crm_id, score, scope_);
}

Status DataverseCrm::merge(const std::string& target_crm_id,
                           const std::string& subordinate_crm_id) {
  // No UpdateContent: the target's own values went out with its upsert, and it keeps them.
  return client_->merge_leads(target_crm_id, subordinate_crm_id, Json::object(), false, scope_);
}

Result<MergeState> DataverseCrm::merge_state(const std::string& crm_id) {
  LEADSYNC_TRY(const std::string key, odata::key_by_id(crm_id));
  odata::Query query;
  query.select = {"merged", "_masterid_value", "statecode"};
  LEADSYNC_TRY(const Json row, client_->retrieve(leads_entity_set, key, query, scope_));
  MergeState state;
  if (const auto merged = row.find("merged"); merged != row.end() && merged->is_boolean()) {
    state.merged = merged->get<bool>();
  }
  if (const auto master = row.find("_masterid_value"); master != row.end() && master->is_string()) {
    state.master_id = master->get<std::string>();
  }
  if (const auto code = row.find("statecode"); code != row.end() && code->is_number_integer()) {
    state.state_code = code->get<int>();
  }
  return state;
}

Result<dataverse::ChangeBatch> DataverseCrm::track_changes(const std::vector<std::string>& select,
                                                           const std::string& delta_link) {
  return client_->track_changes(leads_entity_set, select, delta_link, scope_);
}

Result<std::optional<std::string>> DataverseCrm::resolve(const std::string& entity_set,
                                                         const std::string& name_column,
                                                         const std::string& name) {
  odata::Query query;
  query.filter = odata::eq(name_column, name);
  query.top = 2;
  LEADSYNC_TRY(const auto page, client_->retrieve_page(entity_set, query, {}, scope_));
  if (page.rows.empty()) {
    return std::optional<std::string>{};
  }
  if (page.rows.size() > 1) {
    return fail(ErrorCategory::validation,
                fmt::format("several {} are named \"{}\"; give them distinct names in the CRM",
                            entity_set, name));
  }
  // The primary key column of a standard table is its logical name + "id" (campaigns ->
  // campaignid).
  const std::string id_column = entity_set.substr(0, entity_set.size() - 1) + "id";
  const auto id = page.rows.front().find(id_column);
  if (id == page.rows.front().end() || !id->is_string()) {
    return fail(ErrorCategory::protocol,
                fmt::format("the {} row named \"{}\" has no {}", entity_set, name, id_column));
  }
  return std::optional<std::string>{id->get<std::string>()};
}

Result<std::optional<std::string>> DataverseCrm::name_of(const std::string& entity_set,
                                                         const std::string& name_column,
                                                         const std::string& id) {
  LEADSYNC_TRY(const std::string key, odata::key_by_id(id));
  odata::Query query;
  query.select = {name_column};
  auto row = client_->retrieve(entity_set, key, query, scope_);
  if (!row.ok()) {
    if (row.error().category == ErrorCategory::not_found) {
      return std::optional<std::string>{};
    }
    return row.error();
  }
  const auto name = row->find(name_column);
  if (name == row->end() || !name->is_string()) {
    return std::optional<std::string>{};
  }
  return std::optional<std::string>{name->get<std::string>()};
}

} // namespace leadsync::sync
