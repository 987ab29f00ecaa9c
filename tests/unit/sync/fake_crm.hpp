#pragma once
// A Crm in memory for push and pull tests: keeps rows by key, records every call in order, and can
// refuse writes of chosen leads (as Dataverse refuses a whole UpsertMultiple) or fail transiently.

#include "leadsync/dataverse/client.hpp"
#include "leadsync/mapping/lookup.hpp"
#include "leadsync/sync/crm.hpp"
#include "leadsync/sync/keyed_write.hpp"

#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace leadsync::sync::testing {

class FakeCrm final : public Crm, public mapping::LookupResolver {
public:
  std::vector<std::string> calls;           // "upsert_multiple:3", "qualify:<crm id>", ...
  std::map<std::string, Json> rows;         // by external id
  std::map<std::string, int> writes_per_id; // how often each external id was written
  std::set<std::string> poisoned;           // external ids whose writes are refused
  std::optional<Error> transient;           // every write fails with this while set
  std::vector<dataverse::ChangeBatch> change_batches; // track_changes answers, in order
  std::vector<std::string> delta_links_asked;
  std::optional<Error> track_error_once;
  std::function<void()> on_track_changes; // runs inside each track_changes call (e.g. to cancel)
  // Merges as Dataverse keeps them on the subordinate: its leadid -> the target's leadid
  // (masterid).
  std::map<std::string, std::string> masters;
  std::set<std::string> gone_leadids;      // rows deleted in the CRM: merge and merge_state 404
  std::map<std::string, int> state_codes;  // statecode by CRM id (merge_state), 0 when absent
  std::optional<Error> merge_refusal_once; // the next merge is refused with this
  // msdyn_predictivescore rows by the lead's CRM id.
  std::map<std::string, dataverse::PredictiveScore> predictive_scores;
  std::optional<Error> score_refusal; // every predictive score write fails with this while set

  static Error refusal() {
    Error error = Error::make(ErrorCategory::validation,
                              "A validation error occurred. The length of the 'lastname' "
                              "attribute of the 'lead' entity exceeded the maximum allowed "
                              "length of '50'.");
    error.http_status = 400;
    error.service_code = "0x80044331";
    return error;
  }

  Status upsert_multiple(std::vector<Json> targets) override {
    std::lock_guard lock(mutex_);
    calls.push_back("upsert_multiple:" + std::to_string(targets.size()));
    if (transient) {
      return *transient;
    }
    for (const auto& target : targets) {
      if (poisoned.contains(external_id(target))) {
        return refusal();
      }
    }
    for (const auto& target : targets) {
      store_row(target);
    }
    return ok_status();
  }

  Result<std::vector<WriteResult>> upsert_batch(const std::vector<KeyedWrite>& writes) override {
    std::lock_guard lock(mutex_);
    calls.push_back("upsert_batch:" + std::to_string(writes.size()));
    std::vector<WriteResult> results;
    for (const auto& write : writes) {
      Json row = write.body;
      row["@odata.id"] = write.row_url;
      WriteResult result;
      if (transient) {
        result.error = transient;
      } else if (poisoned.contains(external_id(row))) {
        result.error = refusal();
      } else {
        result.crm_id = store_row(row);
      }
      results.push_back(result);
    }
    return results;
  }

  Status upsert(const KeyedWrite& write) override {
    std::lock_guard lock(mutex_);
    calls.push_back("upsert:" + write.row_url);
    Json row = write.body;
    row["@odata.id"] = write.row_url;
    if (transient) {
      return *transient;
    }
    if (poisoned.contains(external_id(row))) {
      return refusal();
    }
    store_row(row);
    return ok_status();
  }

  Status remove(const std::string& row_url) override {
    std::lock_guard lock(mutex_);
    calls.push_back("remove:" + row_url);
    return ok_status();
  }

  Result<std::vector<Json>> rows_by_key(const std::string& key_column,
                                        const std::vector<std::string>& values) override {
    std::lock_guard lock(mutex_);
    calls.push_back("rows_by_key:" + std::to_string(values.size()));
    std::vector<Json> found;
    for (const auto& value : values) {
      if (const auto row = rows.find(value); row != rows.end()) {
        found.push_back(
            {{key_column, value}, {"leadid", row->second["leadid"]}, {"versionnumber", "7"}});
      }
    }
    return found;
  }

  Status qualify(const std::string& crm_id, const dataverse::QualifyOptions& options) override {
    std::lock_guard lock(mutex_);
    calls.push_back("qualify:" + crm_id + ":" + std::to_string(options.status));
    return ok_status();
  }
  Status upsert_predictive_score(const std::string& crm_id,
                                 const dataverse::PredictiveScore& score) override {
    std::lock_guard lock(mutex_);
    calls.push_back("predictive_score:" + crm_id + ":" + std::to_string(score.score));
    if (score_refusal) {
      return *score_refusal;
    }
    predictive_scores[crm_id] = score;
    return ok_status();
  }
  Status disqualify(const std::string& crm_id, int status_code) override {
    std::lock_guard lock(mutex_);
    calls.push_back("disqualify:" + crm_id + ":" + std::to_string(status_code));
    return ok_status();
  }
  Status reactivate(const std::string& crm_id) override {
    std::lock_guard lock(mutex_);
    calls.push_back("reactivate:" + crm_id);
    return ok_status();
  }

  // Dataverse's Merge as the emulator models it: a merged subordinate cannot be merged again.
  Status merge(const std::string& target_crm_id, const std::string& subordinate_crm_id) override {
    std::lock_guard lock(mutex_);
    calls.push_back("merge:" + target_crm_id + "<-" + subordinate_crm_id);
    if (transient) {
      return *transient;
    }
    if (merge_refusal_once) {
      Error error = *merge_refusal_once;
      merge_refusal_once.reset();
      return error;
    }
    for (const auto& id : {target_crm_id, subordinate_crm_id}) {
      if (gone_leadids.contains(id)) {
        Error error =
            Error::make(ErrorCategory::not_found, "lead With Id = " + id + " Does Not Exist");
        error.http_status = 404;
        return error;
      }
    }
    if (const auto master = masters.find(subordinate_crm_id); master != masters.end()) {
      Error error = Error::make(ErrorCategory::validation,
                                "The subordinate lead " + subordinate_crm_id +
                                    " was already merged into lead " + master->second +
                                    " and is inactive; it cannot be merged again.");
      error.http_status = 400;
      error.service_code = "0x80040203";
      return error;
    }
    masters[subordinate_crm_id] = target_crm_id;
    return ok_status();
  }

  Result<MergeState> merge_state(const std::string& crm_id) override {
    std::lock_guard lock(mutex_);
    calls.push_back("merge_state:" + crm_id);
    if (gone_leadids.contains(crm_id)) {
      Error error =
          Error::make(ErrorCategory::not_found, "lead With Id = " + crm_id + " Does Not Exist");
      error.http_status = 404;
      return error;
    }
    MergeState state;
    if (const auto code = state_codes.find(crm_id); code != state_codes.end()) {
      state.state_code = code->second;
    }
    if (const auto master = masters.find(crm_id); master != masters.end()) {
      state.merged = true;
      state.master_id = master->second;
      state.state_code = 2;
    }
    return state;
  }

  Result<dataverse::ChangeBatch> track_changes(const std::vector<std::string>&,
                                               const std::string& delta_link) override {
    std::lock_guard lock(mutex_);
    delta_links_asked.push_back(delta_link);
    if (on_track_changes) {
      on_track_changes();
    }
    if (track_error_once) {
      Error error = *track_error_once;
      track_error_once.reset();
      return error;
    }
    if (change_batches.empty()) {
      return dataverse::ChangeBatch{{}, {}, "delta-empty"};
    }
    auto batch = change_batches.front();
    change_batches.erase(change_batches.begin());
    return batch;
  }

  Result<std::optional<std::string>> resolve(const std::string&, const std::string&,
                                             const std::string&) override {
    return std::optional<std::string>{};
  }
  Result<std::optional<std::string>> name_of(const std::string&, const std::string&,
                                             const std::string&) override {
    return std::optional<std::string>{};
  }

private:
  // The external id a target names: "leads(leadsync_externalid='<id>')" or the body column.
  static std::string external_id(const Json& target) {
    if (const auto column = target.find("leadsync_externalid"); column != target.end()) {
      return column->get<std::string>();
    }
    const std::string reference = target.value("@odata.id", "");
    const auto open = reference.find("='");
    if (open == std::string::npos) {
      return reference;
    }
    return reference.substr(open + 2, reference.size() - open - 4);
  }

  std::string store_row(const Json& target) {
    const std::string id = external_id(target);
    Json& row = rows[id];
    for (const auto& [column, value] : target.items()) {
      if (!column.starts_with("@")) {
        row[column] = value;
      }
    }
    if (!row.contains("leadid")) {
      row["leadid"] = fake_leadid(rows.size());
    }
    ++writes_per_id[id];
    return row["leadid"].get<std::string>();
  }

  static std::string fake_leadid(std::size_t n) {
    char text[40];
    std::snprintf(text, sizeof(text), "00000000-0000-4000-8000-%012zx", n);
    return text;
  }

  std::mutex mutex_;
};

} // namespace leadsync::sync::testing
