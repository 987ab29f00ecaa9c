#include "leadsync/sync/push.hpp"

#include "leadsync/core/log.hpp"
#include "leadsync/core/mutex.hpp"
#include "leadsync/core/text.hpp"
#include "leadsync/dataverse/client.hpp" // the QualifyOptions and PredictiveScore the Crm takes
#include "leadsync/sync/keyed_write.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <ctime>
#include <fmt/format.h>
#include <span>
#include <thread>
#include <unordered_map>

namespace leadsync::sync {

namespace {

constexpr const char* lead_type = "Microsoft.Dynamics.CRM.lead";
constexpr std::chrono::hours max_backoff{1};
constexpr int store_conflict_retries = 5;

// A failure that says nothing about the records: the whole run stops.
bool is_fatal(const Error& error) {
  return error.category == ErrorCategory::unauthorized ||
         error.category == ErrorCategory::forbidden || error.category == ErrorCategory::config ||
         error.category == ErrorCategory::cancelled;
}

bool is_transient(const Error& error) {
  return error.retryable || error.category == ErrorCategory::throttled ||
         error.category == ErrorCategory::unavailable || error.category == ErrorCategory::timeout;
}

model::Date today(const Clock& clock) {
  return model::Date{std::chrono::floor<std::chrono::days>(clock.now())};
}

// One lead to write, with the outbox entry that asked for it.
struct Item {
  store::OutboxEntry entry;
  model::Lead lead;
  std::string row_url;
  Json body;
  std::string crm_id; // known after the write (already known, or returned by the service)
  std::string crm_version;
};

// An UpsertMultiple target: addressed by leadid when the CRM id is known, else by the alternate
// key.
Json bulk_target(const Item& item) {
  Json target = item.body;
  if (item.lead.identity.crm_id.empty()) {
    target["@odata.id"] = item.row_url;
  } else {
    target["leadid"] = item.lead.identity.crm_id;
  }
  return target;
}

// A tombstone merged by hand into another lead: the CRM gets a Merge, never an upsert or a delete.
bool is_hand_merged(const model::Lead& lead) {
  return lead.deleted && !lead.merged_into.empty();
}

// Dataverse writes GUIDs in lower case; compare ours whatever their case.
bool same_guid(std::string_view a, std::string_view b) {
  return text::iequals(a, b);
}

// Further merges of a target are followed at most this far (a longer chain is a loop).
constexpr int max_merge_hops = 32;

// The merge entry of a hand-merged tombstone, kept until the claim's writes are done.
struct MergeItem {
  store::OutboxEntry entry;
  model::Lead lead; // the subordinate
};

// "2026-11-22T20:00:00Z"
std::string utc_seconds(model::TimePoint time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[32];
  const std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return std::string(text, length);
}

bool has_pending_outcome(const model::Lead& lead) {
  const auto& outcome = lead.qualification.outcome;
  return outcome.kind != model::OutcomeKind::none && !outcome.pushed;
}

// What the run shares between its workers.
struct Shared {
  explicit Shared(std::optional<std::size_t> limit) : remaining(limit) {}

  Mutex mutex;
  // lead id -> the latest version written or dead-lettered: later entries up to it are covered.
  std::unordered_map<std::string, std::int64_t> written_versions GUARDED_BY(mutex);
  std::optional<std::size_t> remaining GUARDED_BY(mutex); // entries still allowed
  std::atomic<bool> stop{false};
  std::optional<Error> failure GUARDED_BY(mutex); // the first error that stopped the run

  std::size_t take(std::size_t wanted) {
    MutexLock lock(mutex);
    if (!remaining) {
      return wanted;
    }
    const std::size_t granted = std::min(wanted, *remaining);
    *remaining -= granted;
    return granted;
  }
  void give_back(std::size_t unused) {
    MutexLock lock(mutex);
    if (remaining) {
      *remaining += unused;
    }
  }
  bool covered(const std::string& lead_id, std::int64_t version) {
    MutexLock lock(mutex);
    const auto found = written_versions.find(lead_id);
    return found != written_versions.end() && found->second >= version;
  }
  void written(const std::string& lead_id, std::int64_t version) {
    MutexLock lock(mutex);
    auto& known = written_versions[lead_id];
    known = std::max(known, version);
  }
  std::optional<Error> first_failure() {
    MutexLock lock(mutex);
    return failure;
  }
  void fail_run(Error error) {
    MutexLock lock(mutex);
    if (!failure) {
      failure = std::move(error);
    }
    stop = true;
  }
};

class Worker {
public:
  Worker(store::Store& store, Crm& crm, const mapping::LeadMapping& mapping,
         mapping::LookupResolver& lookups, Clock& clock, const PushSettings& settings,
         Shared& shared, std::string worker_id)
      : store_(store), crm_(crm), mapping_(mapping), lookups_(lookups), clock_(clock),
        settings_(settings), shared_(shared), worker_id_(std::move(worker_id)) {}

  void run(const CancellationToken& cancel) {
    while (!shared_.stop && !cancel.cancelled()) {
      const std::size_t wanted = shared_.take(settings_.batch_size);
      if (wanted == 0) {
        return;
      }
      auto claimed = store_.claim_outbox({worker_id_, wanted, settings_.lease});
      if (!claimed.ok()) {
        shared_.give_back(wanted);
        shared_.fail_run(claimed.error());
        return;
      }
      shared_.give_back(wanted - claimed->size());
      if (claimed->empty()) {
        return;
      }
      report_.claimed += static_cast<std::int64_t>(claimed->size());
      if (auto status = process(std::move(claimed).value()); !status.ok()) {
        shared_.fail_run(status.error());
        return;
      }
    }
  }

  PushReport& report() { return report_; }

private:
  Status process(const std::vector<store::OutboxEntry>& entries) {
    std::vector<Item> items;
    std::vector<MergeItem> merges;
    std::vector<std::int64_t> done;
    // The batch's leads in one read (one query on PostgreSQL rather than one per entry).
    std::vector<std::string> ids;
    ids.reserve(entries.size());
    for (const auto& entry : entries) {
      ids.push_back(entry.lead_id);
    }
    LEADSYNC_TRY(auto read, store_.get_leads(ids));
    std::unordered_map<std::string, model::Lead> stored;
    stored.reserve(read.size());
    for (auto& lead : read) {
      std::string id = lead.identity.id;
      stored.emplace(std::move(id), std::move(lead));
    }
    for (const auto& entry : entries) {
      const auto found = stored.find(entry.lead_id);
      if (found == stored.end()) {
        // The lead is gone from the store altogether: nothing left to send.
        done.push_back(entry.seq);
        continue;
      }
      Result<model::Lead> lead = found->second;
      if (entry.operation == store::OutboxOperation::merge || is_hand_merged(*lead)) {
        if (entry.operation != store::OutboxOperation::merge) {
          // A change made before the lead was merged by hand: its merge entry covers it, and the
          // tombstone is neither upserted (that would re-activate it) nor deleted in the CRM.
          ++report_.coalesced;
          done.push_back(entry.seq);
        } else if (!is_hand_merged(*lead)) {
          log::get()->warn("lead {} has a merge to push but is no longer merged into another "
                           "lead; nothing to merge in the CRM",
                           entry.lead_id);
          done.push_back(entry.seq);
        } else {
          merges.push_back({entry, std::move(lead).value()});
        }
        continue;
      }
      if (entry.operation == store::OutboxOperation::remove || lead->deleted) {
        LEADSYNC_CHECK(remove(entry, *lead));
        continue;
      }
      if (entry.operation == store::OutboxOperation::upsert &&
          shared_.covered(lead->identity.id, entry.lead_version)) {
        ++report_.coalesced;
        done.push_back(entry.seq);
        continue;
      }
      auto mapped =
          mapping::to_dataverse(*lead, mapping_, lookups_, {settings_.crm_owned, today(clock_)});
      if (!mapped.ok()) {
        LEADSYNC_CHECK(failed(entry, mapped.error(), lead->identity.version));
        continue;
      }
      for (auto& warning : mapped->warnings) {
        log::get()->warn("lead {}: {}", lead->identity.id, warning);
        report_.warnings.push_back(lead->identity.id + ": " + warning);
      }
      Item item{entry, std::move(lead).value(), {}, std::move(mapped->body), {}, {}};
      if (!item.lead.identity.crm_id.empty()) {
        // Addressed by leadid: the key column is an ordinary column then, so a lead created in the
        // CRM by a person gets our id written.
        item.body[mapped->key_column] = mapped->key_value;
      }
      auto url = row_url(settings_.key_column, item.lead.identity.id, item.lead.identity.crm_id);
      if (!url.ok()) {
        LEADSYNC_CHECK(failed(entry, url.error()));
        continue;
      }
      item.row_url = std::move(url).value();
      item.crm_id = item.lead.identity.crm_id;
      items.push_back(std::move(item));
    }
    if (!done.empty()) {
      LEADSYNC_CHECK(complete(done));
    }
    std::vector<Item*> written;
    switch (settings_.mode) {
    case PushMode::bulk: {
      std::vector<Item*> all;
      all.reserve(items.size());
      for (auto& item : items) {
        all.push_back(&item);
      }
      LEADSYNC_CHECK(write_bulk(all, written));
      break;
    }
    case PushMode::batch:
      LEADSYNC_CHECK(write_batch(items, written));
      break;
    case PushMode::single:
      for (auto& item : items) {
        auto status = crm_.upsert({item.row_url, item.body});
        if (status.ok()) {
          written.push_back(&item);
        } else {
          LEADSYNC_CHECK(refused_write(item, status.error()));
        }
      }
      break;
    }
    LEADSYNC_CHECK(after_write(written));
    return push_merges(merges);
  }

  // The live lead that `subordinate` ended up in: its merged_into, following that lead's own
  // merges. A reason the merge cannot be sent (the target is gone, or the merges loop) is put in
  // `refusal`; the result is then empty. Store failures are errors.
  Result<std::optional<model::Lead>> merge_target(const model::Lead& subordinate,
                                                  std::optional<Error>& refusal) {
    std::string chain = subordinate.identity.id;
    std::string id = subordinate.merged_into;
    const auto refuse = [&](std::string why) {
      refusal = Error::make(
          ErrorCategory::validation,
          fmt::format("lead {} was merged by hand into lead {}, which {}; nothing is merged in the "
                      "CRM: merge or deactivate lead {} in Dynamics by hand if it is there, then "
                      "drop this dead letter (leadsync dlq drop)",
                      subordinate.identity.id, subordinate.merged_into, why,
                      subordinate.identity.id));
      return std::optional<model::Lead>{};
    };
    for (int hop = 0; hop < max_merge_hops; ++hop) {
      chain += " -> " + id;
      auto target = store_.get_lead(id);
      if (!target.ok()) {
        if (target.error().category != ErrorCategory::not_found) {
          return target.error();
        }
        return refuse(hop == 0 ? "is not in the store"
                               : "ends in lead " + id + ", not in the store");
      }
      if (!target->deleted) {
        return std::optional<model::Lead>{std::move(target).value()};
      }
      if (target->merged_into.empty()) {
        return refuse(hop == 0 ? "has been deleted since"
                               : "ends in lead " + id + ", deleted since");
      }
      if (target->identity.id == subordinate.identity.id) {
        break;
      }
      id = target->merged_into;
    }
    return refuse("leads back into a loop of merges (" + chain + ")");
  }

  // Hand merges become Dataverse's Merge action, after the claim's writes so that a target written
  // just now is found by its key.
  Status push_merges(const std::vector<MergeItem>& merges) {
    struct Plan {
      const MergeItem* merge;
      std::string target_id; // ours
      std::string target_crm_id;
      std::string subordinate_crm_id;
    };
    std::vector<Plan> plans;
    std::vector<std::string> unknown; // our ids of the leads whose CRM id is not recorded
    for (const auto& merge : merges) {
      std::optional<Error> refusal;
      LEADSYNC_TRY(const auto target, merge_target(merge.lead, refusal));
      if (!target) {
        LEADSYNC_CHECK(failed(merge.entry, *refusal));
        continue;
      }
      Plan plan{&merge, target->identity.id, target->identity.crm_id, merge.lead.identity.crm_id};
      // A lead pushed by bulk or single mode has no CRM id until the next pull: ask by key.
      if (plan.subordinate_crm_id.empty()) {
        unknown.push_back(merge.lead.identity.id);
      }
      if (plan.target_crm_id.empty()) {
        unknown.push_back(plan.target_id);
      }
      plans.push_back(std::move(plan));
    }
    std::optional<Error> lookup_error;
    if (!unknown.empty()) {
      auto rows = crm_.rows_by_key(settings_.key_column, unknown);
      if (!rows.ok()) {
        lookup_error = rows.error();
      } else {
        for (const Json& row : *rows) {
          const auto key = row.find(settings_.key_column);
          const auto id = row.find("leadid");
          if (key == row.end() || !key->is_string() || id == row.end() || !id->is_string()) {
            continue;
          }
          for (auto& plan : plans) {
            if (plan.subordinate_crm_id.empty() && plan.merge->lead.identity.id == *key) {
              plan.subordinate_crm_id = id->get<std::string>();
            }
            if (plan.target_crm_id.empty() && plan.target_id == *key) {
              plan.target_crm_id = id->get<std::string>();
            }
          }
        }
      }
    }
    std::vector<std::int64_t> done;
    for (const auto& plan : plans) {
      const store::OutboxEntry& entry = plan.merge->entry;
      const bool looked_up = plan.merge->lead.identity.crm_id.empty() || plan.target_crm_id.empty();
      if (lookup_error && looked_up) {
        LEADSYNC_CHECK(failed(entry, *lookup_error));
        continue;
      }
      if (plan.subordinate_crm_id.empty()) {
        // Never reached the CRM: the merge is ours alone.
        done.push_back(entry.seq);
        continue;
      }
      if (plan.target_crm_id.empty()) {
        // The target's upsert has not gone out yet; the merge follows it. Not a failure.
        ++report_.merges_waiting;
        LEADSYNC_CHECK(store_.release_outbox(
            entry.seq, worker_id_,
            fmt::format("waiting for lead {}, which it was merged into, to reach the CRM",
                        plan.target_id),
            clock_.now() + settings_.retry_backoff));
        continue;
      }
      Status merged = crm_.merge(plan.target_crm_id, plan.subordinate_crm_id);
      if (!merged.ok() && !is_fatal(merged.error()) && !is_transient(merged.error())) {
        // Refused: merged already (a merge sent before a crash kept the entry), or gone?
        auto state = crm_.merge_state(plan.subordinate_crm_id);
        if (state.ok() && state->merged && same_guid(state->master_id, plan.target_crm_id)) {
          merged = ok_status();
        } else if (!state.ok() && state.error().category == ErrorCategory::not_found) {
          log::get()->warn("lead {} (CRM {}) is no longer in the CRM; nothing to merge",
                           entry.lead_id, plan.subordinate_crm_id);
          done.push_back(entry.seq);
          continue;
        }
      }
      if (!merged.ok()) {
        LEADSYNC_CHECK(failed(entry, merged.error()));
        continue;
      }
      ++report_.merged;
      done.push_back(entry.seq);
    }
    return complete(done);
  }

  // UpsertMultiple is all or nothing: a refusal a retry cannot fix is narrowed down by halves.
  Status write_bulk(std::span<Item*> items, std::vector<Item*>& written) {
    if (items.empty()) {
      return ok_status();
    }
    std::vector<Json> targets;
    targets.reserve(items.size());
    for (const Item* item : items) {
      targets.push_back(bulk_target(*item));
    }
    auto status = crm_.upsert_multiple(std::move(targets));
    if (status.ok()) {
      written.insert(written.end(), items.begin(), items.end());
      return ok_status();
    }
    const Error& error = status.error();
    if (items.size() == 1 || is_transient(error) || is_fatal(error)) {
      for (Item* item : items) {
        LEADSYNC_CHECK(refused_write(*item, error));
      }
      return ok_status();
    }
    const std::size_t half = items.size() / 2;
    LEADSYNC_CHECK(write_bulk(items.first(half), written));
    return write_bulk(items.subspan(half), written);
  }

  Status write_batch(std::vector<Item>& items, std::vector<Item*>& written) {
    if (items.empty()) {
      return ok_status();
    }
    std::vector<KeyedWrite> writes;
    writes.reserve(items.size());
    for (const auto& item : items) {
      writes.push_back({item.row_url, item.body});
    }
    auto results = crm_.upsert_batch(writes);
    if (!results.ok()) {
      for (auto& item : items) {
        LEADSYNC_CHECK(failed(item.entry, results.error()));
      }
      return ok_status();
    }
    for (std::size_t index = 0; index < items.size(); ++index) {
      const WriteResult& result = (*results)[index];
      if (result.error) {
        LEADSYNC_CHECK(refused_write(items[index], *result.error));
        continue;
      }
      if (!result.crm_id.empty()) {
        items[index].crm_id = result.crm_id;
      }
      written.push_back(&items[index]);
    }
    return ok_status();
  }

  // Records what was written, pushes decided outcomes, completes the entries.
  Status after_write(const std::vector<Item*>& written) {
    std::vector<Item*> needs_id;
    for (Item* item : written) {
      shared_.written(item->lead.identity.id, item->lead.identity.version);
      ++report_.upserted;
      if (item->crm_id.empty() && (has_pending_outcome(item->lead) || wants_score(*item))) {
        needs_id.push_back(item);
      }
    }
    LEADSYNC_CHECK(look_up_ids(needs_id));
    std::vector<std::int64_t> done;
    for (Item* item : written) {
      if (item->crm_id != item->lead.identity.crm_id) {
        LEADSYNC_CHECK(record_crm_id(*item));
      }
      if (wants_score(*item)) {
        auto written_score = push_predictive_score(*item);
        if (!written_score.ok()) {
          if (is_fatal(written_score.error()) || is_transient(written_score.error())) {
            LEADSYNC_CHECK(failed(item->entry, written_score.error()));
            continue;
          }
          // The lead is written; only its score row was refused (e.g. the org has no such table).
          report_.warnings.push_back(
              fmt::format("the predictive score of lead {} was not written: {}",
                          item->lead.identity.id, written_score.error().describe()));
        }
      }
      if (has_pending_outcome(item->lead)) {
        auto pushed = push_outcome(*item);
        if (!pushed.ok()) {
          LEADSYNC_CHECK(failed(item->entry, pushed.error()));
          continue;
        }
      }
      done.push_back(item->entry.seq);
    }
    return complete(done);
  }

  // QualifyLead needs the row's leadid; UpsertMultiple does not return it.
  Status look_up_ids(const std::vector<Item*>& items) {
    if (items.empty()) {
      return ok_status();
    }
    std::vector<std::string> ids;
    ids.reserve(items.size());
    for (const Item* item : items) {
      ids.push_back(item->lead.identity.id);
    }
    auto rows = crm_.rows_by_key(settings_.key_column, ids);
    if (!rows.ok()) {
      // The outcome waits for the next push; the lead itself is written.
      log::get()->warn("cannot read the CRM ids of {} lead(s) to qualify: {}", ids.size(),
                       rows.error().describe());
      return ok_status();
    }
    for (const Json& row : *rows) {
      const auto key = row.find(settings_.key_column);
      const auto id = row.find("leadid");
      if (key == row.end() || !key->is_string() || id == row.end() || !id->is_string()) {
        continue;
      }
      for (Item* item : items) {
        if (item->lead.identity.id == key->get<std::string>()) {
          item->crm_id = id->get<std::string>();
          if (const auto version = row.find("versionnumber"); version != row.end()) {
            item->crm_version =
                version->is_string() ? version->get<std::string>() : version->dump();
          }
        }
      }
    }
    return ok_status();
  }

  // Applies `change` to the stored lead (re-read on a concurrent change) without an outbox entry.
  template <typename Change>
  Result<model::Lead> update_stored(const std::string& id, Change change) {
    for (int attempt = 0;; ++attempt) {
      LEADSYNC_TRY(model::Lead lead, store_.get_lead(id));
      change(lead);
      auto updated = store_.update_lead(lead, {.enqueue = false});
      if (updated.ok() || updated.error().category != ErrorCategory::conflict ||
          attempt == store_conflict_retries) {
        return updated;
      }
    }
  }

  Status record_crm_id(Item& item) {
    LEADSYNC_TRY(item.lead, update_stored(item.lead.identity.id, [&](model::Lead& lead) {
                   lead.identity.crm_id = item.crm_id;
                   if (!item.crm_version.empty()) {
                     lead.identity.crm_version = item.crm_version;
                   }
                 }));
    // Our own bookkeeping update is not a change the CRM has to see.
    shared_.written(item.lead.identity.id, item.lead.identity.version);
    return ok_status();
  }

  bool wants_score(const Item& item) const {
    return settings_.write_predictive_score && predictive_score(item.lead).has_value();
  }

  Status push_predictive_score(const Item& item) {
    if (item.crm_id.empty()) {
      return fail(ErrorCategory::unavailable,
                  "the CRM id of the lead is not known yet; its predictive score is sent next time",
                  true);
    }
    LEADSYNC_CHECK(crm_.upsert_predictive_score(item.crm_id, *predictive_score(item.lead)));
    ++report_.predictive_scores;
    return ok_status();
  }

  // A write of a lead refused for good. One case is not a failure: the lead's decided qualify or
  // disqualify reached the CRM before a crash kept its pushed mark from being saved, so the CRM
  // row is closed, and a closed lead is read-only [LEAD][QLTS]: every later write is refused. When
  // the CRM row is closed as decided, the outcome is marked pushed and the entry completed (what
  // the write carried cannot be written to a closed lead in any case; pull reads the row back).
  //
  // The same holds for an entry older than the outcome's pushed mark: the push that sent the
  // outcome wrote the lead as it was then (this entry's change included) just before, and was
  // stopped before completing the entry. A change made after the outcome was sent is a real
  // refusal: it stays a dead letter (reactivate the lead in Dynamics to edit it).
  Status refused_write(Item& item, const Error& error) {
    const auto version = item.lead.identity.version;
    const model::Outcome& outcome = item.lead.qualification.outcome;
    const model::OutcomeKind kind = outcome.kind;
    const bool pending = has_pending_outcome(item.lead);
    const bool sent_with_outcome =
        outcome.pushed && outcome.pushed_at && item.entry.created_at <= *outcome.pushed_at;
    const bool closes =
        kind == model::OutcomeKind::qualify || kind == model::OutcomeKind::disqualify;
    if (!closes || !(pending || sent_with_outcome) || is_transient(error) || is_fatal(error)) {
      return failed(item.entry, error, version);
    }
    std::string crm_id = item.crm_id.empty() ? item.lead.identity.crm_id : item.crm_id;
    if (crm_id.empty()) {
      auto rows = crm_.rows_by_key(settings_.key_column, {item.lead.identity.id});
      if (rows.ok() && rows->size() == 1) {
        crm_id = (*rows)[0].value("leadid", std::string());
      }
    }
    if (crm_id.empty()) {
      return failed(item.entry, error, version);
    }
    const auto state = crm_.merge_state(crm_id);
    const int closed_as = kind == model::OutcomeKind::qualify ? 1 : 2;
    if (!state.ok() || state->state_code != closed_as) {
      return failed(item.entry, error, version);
    }
    if (!pending) {
      log::get()->info("lead {}: its change was written with its outcome before an interruption; "
                       "the entry is completed",
                       item.lead.identity.id);
      return complete({item.entry.seq});
    }
    log::get()->info("lead {} is already {} in the CRM (sent before an interruption); its outcome "
                     "is marked sent",
                     item.lead.identity.id,
                     kind == model::OutcomeKind::qualify ? "qualified" : "disqualified");
    const auto now = clock_.now();
    LEADSYNC_TRY(item.lead, update_stored(item.lead.identity.id, [&](model::Lead& lead) {
                   lead.identity.crm_id = crm_id;
                   lead.qualification.outcome.pushed = true;
                   lead.qualification.outcome.pushed_at = now;
                 }));
    shared_.written(item.lead.identity.id, item.lead.identity.version);
    if (kind == model::OutcomeKind::qualify) {
      ++report_.qualified;
    } else {
      ++report_.disqualified;
    }
    return complete({item.entry.seq});
  }

  Status push_outcome(Item& item) {
    const model::Outcome outcome = item.lead.qualification.outcome;
    if (item.crm_id.empty()) {
      return fail(ErrorCategory::unavailable,
                  "the CRM id of the lead is not known yet; the outcome is sent next time", true);
    }
    Status sent;
    switch (outcome.kind) {
    case model::OutcomeKind::qualify: {
      dataverse::QualifyOptions options;
      options.create_account = outcome.create_account;
      options.create_contact = outcome.create_contact;
      options.create_opportunity = outcome.create_opportunity;
      options.status = outcome.status_code > 0 ? outcome.status_code : 3;
      // The lead's campaign, as the mapping resolved it for the row ("/campaigns(<id>)"), becomes
      // the opportunity's source campaign.
      if (const auto bind = item.body.find("campaignid@odata.bind");
          bind != item.body.end() && bind->is_string()) {
        const std::string text = bind->get<std::string>();
        const auto open = text.find('(');
        const auto close = text.rfind(')');
        if (open != std::string::npos && close != std::string::npos && close > open + 1) {
          options.source_campaign_id = text.substr(open + 1, close - open - 1);
        }
      }
      sent = crm_.qualify(item.crm_id, options);
      // A qualify sent before a crash, whose pushed mark was not saved: the lead is closed already.
      if (!sent.ok() && sent.error().message.find("already closed") != std::string::npos) {
        sent = ok_status();
      }
      if (sent.ok()) {
        ++report_.qualified;
      }
      break;
    }
    case model::OutcomeKind::disqualify:
      sent = crm_.disqualify(item.crm_id, outcome.status_code >= 4 ? outcome.status_code : 4);
      if (sent.ok()) {
        ++report_.disqualified;
      }
      break;
    case model::OutcomeKind::reactivate:
      sent = crm_.reactivate(item.crm_id);
      if (sent.ok()) {
        ++report_.reactivated;
      }
      break;
    case model::OutcomeKind::none:
      return ok_status();
    }
    LEADSYNC_CHECK(sent);
    const auto now = clock_.now();
    LEADSYNC_TRY(item.lead, update_stored(item.lead.identity.id, [&](model::Lead& lead) {
                   lead.qualification.outcome.pushed = true;
                   lead.qualification.outcome.pushed_at = now;
                 }));
    shared_.written(item.lead.identity.id, item.lead.identity.version);
    return ok_status();
  }

  Status remove(const store::OutboxEntry& entry, const model::Lead& lead) {
    auto url = row_url(settings_.key_column, lead.identity.id, lead.identity.crm_id);
    Status removed = url.ok() ? crm_.remove(*url) : Status(url.error());
    if (!removed.ok()) {
      return failed(entry, removed.error());
    }
    ++report_.removed;
    return complete({entry.seq});
  }

  Status complete(const std::vector<std::int64_t>& seqs) {
    if (seqs.empty()) {
      return ok_status();
    }
    return store_.complete_outbox(seqs, worker_id_);
  }

  // A failure a retry may fix releases the entry with a backoff; a fatal one stops the run; any
  // other dead-letters it. `tried_version` is the lead version that was refused: the lead's later
  // entries up to it are covered by the dead letter (a retry sends the lead as it is then).
  Status failed(const store::OutboxEntry& entry, const Error& error,
                std::int64_t tried_version = 0) {
    if (is_fatal(error)) {
      shared_.fail_run(error);
      return store_.release_outbox(entry.seq, worker_id_, error.describe(), std::nullopt);
    }
    if (is_transient(error)) {
      const auto backoff = std::min<std::chrono::seconds>(
          settings_.retry_backoff * (1LL << std::min(entry.attempts, 16)), max_backoff);
      ++report_.retried_later;
      return store_.release_outbox(entry.seq, worker_id_, error.describe(), clock_.now() + backoff);
    }
    log::get()->warn("lead {} goes to the dead letters: {}", entry.lead_id, error.describe());
    ++report_.dead_lettered;
    shared_.written(entry.lead_id, tried_version);
    LEADSYNC_TRY(const auto letter, store_.dead_letter_outbox(entry.seq, worker_id_, error));
    (void)letter;
    return ok_status();
  }

  store::Store& store_;
  Crm& crm_;
  const mapping::LeadMapping& mapping_;
  mapping::LookupResolver& lookups_;
  Clock& clock_;
  const PushSettings& settings_;
  Shared& shared_;
  std::string worker_id_;
  PushReport report_;
};

void merge(PushReport& into, PushReport&& from) {
  into.claimed += from.claimed;
  into.upserted += from.upserted;
  into.coalesced += from.coalesced;
  into.removed += from.removed;
  into.dead_lettered += from.dead_lettered;
  into.retried_later += from.retried_later;
  into.qualified += from.qualified;
  into.disqualified += from.disqualified;
  into.reactivated += from.reactivated;
  into.merged += from.merged;
  into.merges_waiting += from.merges_waiting;
  into.predictive_scores += from.predictive_scores;
  std::move(from.warnings.begin(), from.warnings.end(), std::back_inserter(into.warnings));
}

} // namespace

int push_workers(int request_slots) {
  return 2 * std::max(1, request_slots);
}

std::map<std::string, std::int64_t> PushReport::counts() const {
  return {{"claimed", claimed},
          {"upserted", upserted},
          {"coalesced", coalesced},
          {"removed", removed},
          {"dead_lettered", dead_lettered},
          {"retried_later", retried_later},
          {"qualified", qualified},
          {"disqualified", disqualified},
          {"reactivated", reactivated},
          {"merged", merged},
          {"merges_waiting", merges_waiting},
          {"predictive_scores", predictive_scores}};
}

std::optional<dataverse::PredictiveScore> predictive_score(const model::Lead& lead) {
  const auto& qualification = lead.qualification;
  if (!qualification.scored_at || qualification.grade.size() != 1 || qualification.grade[0] < 'A' ||
      qualification.grade[0] > 'D') {
    return std::nullopt;
  }
  const double total = std::isfinite(qualification.scores.total) ? qualification.scores.total : 0;
  return dataverse::PredictiveScore{
      .score = static_cast<int>(std::lround(std::clamp(total, 0.0, 100.0))),
      .grade = qualification.grade[0] - 'A',
      .trend = 1, // Steady: no previously pushed total is kept to compare with
      .reasons = qualification.reason_text,
      .scored_on = utc_seconds(*qualification.scored_at),
  };
}

Pusher::Pusher(store::Store& store, Crm& crm, const mapping::LeadMapping& mapping,
               mapping::LookupResolver& lookups, Clock& clock, PushSettings settings)
    : store_(store), crm_(crm), mapping_(mapping), lookups_(lookups), clock_(clock),
      settings_(std::move(settings)) {
  settings_.batch_size = std::clamp<std::size_t>(settings_.batch_size, 1, 1000);
  settings_.workers = std::max(1, settings_.workers);
}

Result<PushReport> Pusher::run(const CancellationToken& cancel) {
  Shared shared(settings_.limit);
  std::vector<std::unique_ptr<Worker>> workers;
  workers.reserve(static_cast<std::size_t>(settings_.workers));
  for (int index = 0; index < settings_.workers; ++index) {
    workers.push_back(std::make_unique<Worker>(store_, crm_, mapping_, lookups_, clock_, settings_,
                                               shared,
                                               fmt::format("{}:{}", settings_.worker_id, index)));
  }
  if (workers.size() == 1) {
    workers.front()->run(cancel);
  } else {
    std::vector<std::thread> threads;
    threads.reserve(workers.size());
    for (auto& worker : workers) {
      threads.emplace_back([&worker, &cancel] { worker->run(cancel); });
    }
    for (auto& thread : threads) {
      thread.join();
    }
  }
  if (auto failure = shared.first_failure()) {
    return *std::move(failure);
  }
  PushReport report;
  for (auto& worker : workers) {
    merge(report, std::move(worker->report()));
  }
  return report;
}

Result<std::vector<std::string>> Pusher::dry_run(std::size_t limit) {
  LEADSYNC_TRY(const auto entries, store_.pending_outbox(limit));
  std::vector<std::string> requests;
  std::vector<Json> targets;
  const auto flush_bulk = [&] {
    if (!targets.empty()) {
      Json body = {{"Targets", targets}};
      requests.push_back("POST leads/Microsoft.Dynamics.CRM.UpsertMultiple\n" + body.dump());
      targets.clear();
    }
  };
  for (const auto& entry : entries) {
    LEADSYNC_TRY(const model::Lead lead, store_.get_lead(entry.lead_id));
    LEADSYNC_TRY(const std::string url,
                 row_url(settings_.key_column, lead.identity.id, lead.identity.crm_id));
    if (entry.operation == store::OutboxOperation::merge || is_hand_merged(lead)) {
      if (entry.operation == store::OutboxOperation::merge && is_hand_merged(lead)) {
        requests.push_back(fmt::format(
            "POST Merge (Target: the CRM lead of {}, Subordinate: the CRM lead of {}, no "
            "UpdateContent, PerformParentingChecks false) when both are in the CRM",
            lead.merged_into, lead.identity.id));
      }
      continue;
    }
    if (entry.operation == store::OutboxOperation::remove || lead.deleted) {
      requests.push_back("DELETE " + url);
      continue;
    }
    auto mapped =
        mapping::to_dataverse(lead, mapping_, lookups_, {settings_.crm_owned, today(clock_)});
    if (!mapped.ok()) {
      requests.push_back("# lead " + lead.identity.id +
                         " would go to the dead letters: " + mapped.error().describe());
      continue;
    }
    Item item{entry, lead, url, std::move(mapped->body), {}, {}};
    if (!lead.identity.crm_id.empty()) {
      item.body[mapped->key_column] = mapped->key_value;
    }
    if (settings_.mode == PushMode::bulk) {
      Json target = bulk_target(item);
      target["@odata.type"] = lead_type;
      targets.push_back(std::move(target));
      if (targets.size() == settings_.batch_size) {
        flush_bulk();
      }
    } else {
      requests.push_back("PATCH " + url + "\n" + item.body.dump());
    }
    if (settings_.write_predictive_score) {
      if (const auto score = predictive_score(lead)) {
        requests.push_back(
            fmt::format("PATCH msdyn_predictivescores(msdyn_entityid='<the CRM id of lead {}>',"
                        "msdyn_entitytype='lead')\n{}",
                        lead.identity.id,
                        Json{{"msdyn_score", score->score},
                             {"msdyn_grade", score->grade},
                             {"msdyn_scoretrend", score->trend}}
                            .dump()));
      }
    }
    if (has_pending_outcome(lead)) {
      requests.push_back(fmt::format("# then the {} outcome of lead {}",
                                     lead.qualification.outcome.kind == model::OutcomeKind::qualify
                                         ? "qualify (QualifyLead)"
                                         : "statecode/statuscode",
                                     lead.identity.id));
    }
  }
  flush_bulk();
  return requests;
}

} // namespace leadsync::sync
