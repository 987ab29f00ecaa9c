#include "leadsync/sync/pull.hpp"

#include "leadsync/core/log.hpp"
#include "leadsync/dataverse/client.hpp"

#include <fmt/format.h>
#include <string_view>

namespace leadsync::sync {

namespace {

constexpr int store_conflict_retries = 5;

std::string string_property(const Json& row, const std::string& name) {
  const auto found = row.find(name);
  return found != row.end() && found->is_string() ? found->get<std::string>() : std::string();
}

// A lookup the CRM could not answer now: the pull stops and is read again next time.
bool is_transient_lookup_error(const Error& error) {
  return error.retryable || error.category == ErrorCategory::throttled ||
         error.category == ErrorCategory::unavailable || error.category == ErrorCategory::timeout;
}

// A CRM decision the row brought in (not one we had already).
bool new_outcome(const model::Lead& before, const model::Lead& after) {
  const auto& outcome = after.qualification.outcome;
  return outcome.kind != model::OutcomeKind::none && outcome != before.qualification.outcome &&
         outcome.decided_by.starts_with("crm");
}

} // namespace

std::map<std::string, std::int64_t> PullReport::counts() const {
  return {{"read", read},
          {"created", created},
          {"updated", updated},
          {"unchanged", unchanged},
          {"tombstoned", tombstoned},
          {"outcomes", outcomes},
          {"rejected", rejected},
          {"full_read", full_read ? 1 : 0}};
}

Puller::Puller(store::Store& store, Crm& crm, const mapping::LeadMapping& mapping,
               mapping::LookupResolver& lookups, PullSettings settings)
    : store_(store), crm_(crm), mapping_(mapping), lookups_(lookups),
      settings_(std::move(settings)) {}

Result<PullReport> Puller::run(const CancellationToken& cancel) {
  PullReport report;
  const auto stop_if_cancelled = [&](std::string_view when) -> Status {
    if (!cancel.cancelled()) {
      return ok_status();
    }
    return fail(ErrorCategory::cancelled,
                fmt::format("pull cancelled {} ({} of the changed rows applied); the checkpoint "
                            "was not moved, so the next pull reads these changes again",
                            when, report.read));
  };
  LEADSYNC_CHECK(stop_if_cancelled("before reading the changes"));
  std::string delta_link;
  if (!settings_.full) {
    LEADSYNC_TRY(const auto checkpoint, store_.get_checkpoint(leads_delta_checkpoint));
    delta_link = checkpoint.value_or("");
  }
  const auto select = mapping::select_columns(mapping_);
  auto changes = crm_.track_changes(select, delta_link);
  if (!changes.ok() && !delta_link.empty() &&
      dataverse::DataverseClient::is_expired_delta_token(changes.error())) {
    log::get()->warn("change-tracking token expired; reading all leads again");
    report.token_expired = true;
    delta_link.clear();
    changes = crm_.track_changes(select, delta_link);
  }
  if (!changes.ok()) {
    return changes.error();
  }
  report.full_read = delta_link.empty();
  for (const Json& row : changes->changed) {
    LEADSYNC_CHECK(stop_if_cancelled("while applying the changes"));
    ++report.read;
    LEADSYNC_CHECK(apply_row(row, report));
  }
  for (const auto& deleted : changes->deleted) {
    LEADSYNC_CHECK(stop_if_cancelled("while applying the deletions"));
    LEADSYNC_CHECK(apply_deletion(deleted.id, report));
  }
  LEADSYNC_CHECK(stop_if_cancelled("before saving the checkpoint"));
  if (!changes->delta_link.empty()) {
    LEADSYNC_CHECK(store_.put_checkpoint(leads_delta_checkpoint, changes->delta_link));
  }
  return report;
}

Result<PullReport> Puller::apply_rows(const std::vector<Json>& rows) {
  PullReport report;
  for (const Json& row : rows) {
    ++report.read;
    LEADSYNC_CHECK(apply_row(row, report));
  }
  return report;
}

Status Puller::apply_row(const Json& row, PullReport& report) {
  const std::string key = string_property(row, settings_.key_column);
  const std::string crm_id = string_property(row, "leadid");
  for (int attempt = 0;; ++attempt) {
    std::optional<model::Lead> existing;
    if (!key.empty()) {
      auto found = store_.get_lead(key);
      if (found.ok()) {
        existing = std::move(found).value();
      } else if (found.error().category != ErrorCategory::not_found) {
        return found.error();
      }
    }
    if (!existing && !crm_id.empty()) {
      LEADSYNC_TRY(auto matches, store_.find_by_crm_id(crm_id));
      if (!matches.empty()) {
        existing = std::move(matches.front());
      }
    }
    if (existing && existing->deleted) {
      return ok_status(); // deleted here; the push of that deletion removes the row
    }
    auto lead = mapping::from_dataverse(row, mapping_, lookups_, existing ? &*existing : nullptr,
                                        settings_.crm_owned);
    if (!lead.ok()) {
      if (is_transient_lookup_error(lead.error())) {
        return lead.error();
      }
      log::get()->warn("CRM lead {} cannot be read: {}", crm_id, lead.error().describe());
      ++report.rejected;
      return ok_status();
    }
    if (!existing) {
      // Created in the CRM by a person (no key value): our new lead, queued so that the push writes
      // our id into the row. A row carrying a key we do not have keeps that id.
      lead->identity.id = key;
      lead->is_new = true;
      LEADSYNC_TRY(const auto created,
                   store_.create_lead(std::move(lead).value(), {.enqueue = key.empty()}));
      (void)created;
      ++report.created;
      return ok_status();
    }
    if (*lead == *existing) {
      ++report.unchanged;
      return ok_status();
    }
    const bool outcome_seen = new_outcome(*existing, *lead);
    auto updated = store_.update_lead(std::move(lead).value(), {.enqueue = false});
    if (updated.ok()) {
      ++report.updated;
      report.outcomes += outcome_seen ? 1 : 0;
      return ok_status();
    }
    // Changed here meanwhile (a push recording the CRM id): merge onto the new version.
    if (updated.error().category != ErrorCategory::conflict || attempt == store_conflict_retries) {
      return updated.error();
    }
  }
}

Status Puller::apply_deletion(const std::string& crm_id, PullReport& report) {
  LEADSYNC_TRY(const auto matches, store_.find_by_crm_id(crm_id));
  for (const auto& lead : matches) {
    LEADSYNC_TRY(const auto tombstone, store_.tombstone_lead(lead.identity.id, {.enqueue = false}));
    (void)tombstone;
    ++report.tombstoned;
  }
  return ok_status();
}

} // namespace leadsync::sync
