#include "detail/rules.hpp"

#include "leadsync/core/text.hpp"
#include "leadsync/core/uuid.hpp"
#include "leadsync/model/json.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <system_error>
#include <utility>

namespace leadsync::store::detail {
namespace {

constexpr std::size_t max_page_size = 1000;

// The enum value whose to_string is `text`, or a storage error: the column holds a name this
// leadsync does not know, so a newer one wrote it.
template <typename Enum>
Result<Enum> parse_name(std::string_view text, std::initializer_list<Enum> values,
                        std::string_view holder) {
  for (const auto value : values) {
    if (to_string(value) == text) {
      return value;
    }
  }
  return fail(ErrorCategory::storage,
              std::string(holder) + " '" + std::string(text) +
                  "'; it was written by a newer leadsync: upgrade leadsync");
}

} // namespace

// ---- times

std::int64_t to_millis(TimePoint time) {
  return std::chrono::floor<std::chrono::milliseconds>(time).time_since_epoch().count();
}

std::optional<std::int64_t> to_millis(const std::optional<TimePoint>& time) {
  if (!time) {
    return std::nullopt;
  }
  return to_millis(*time);
}

TimePoint from_millis(std::int64_t millis) {
  return TimePoint{std::chrono::milliseconds{millis}};
}

std::optional<TimePoint> from_millis(std::optional<std::int64_t> millis) {
  if (!millis) {
    return std::nullopt;
  }
  return from_millis(*millis);
}

TimePoint stored_time(TimePoint time) {
  return from_millis(to_millis(time));
}

// ---- text

std::string sql(std::initializer_list<std::string_view> parts) {
  std::string text;
  for (auto part : parts) {
    text += part;
  }
  return text;
}

std::int64_t sql_limit(std::size_t limit) {
  return static_cast<std::int64_t>(
      std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max()));
}

std::string join_numbers(const std::vector<std::int64_t>& numbers) {
  std::vector<std::string> texts;
  texts.reserve(numbers.size());
  for (auto number : numbers) {
    texts.push_back(std::to_string(number));
  }
  return text::join(texts, ", ");
}

Error prefixed(Error error, const std::string& prefix) {
  error.message = prefix + error.message;
  return error;
}

std::string position_of(std::string_view what, std::size_t index, std::size_t count) {
  return std::string(what) + " " + std::to_string(index + 1) + " of " + std::to_string(count) +
         ": ";
}

// ---- lead ids, identities and versions

Result<std::string> canonical_id(const std::string& id) {
  if (id.empty()) {
    return fail(ErrorCategory::invalid_argument, "a lead id is required");
  }
  auto parsed = Uuid::parse(id);
  if (!parsed) {
    return fail(ErrorCategory::invalid_argument,
                "lead id '" + id + "' is " + parsed.error().message);
  }
  return parsed->to_string();
}

Result<std::vector<std::string>> canonical_ids(const std::vector<std::string>& ids) {
  std::vector<std::string> canonical;
  canonical.reserve(ids.size());
  for (const auto& id : ids) {
    LEADSYNC_TRY(auto one, canonical_id(id));
    canonical.push_back(std::move(one));
  }
  return canonical;
}

Status assign_id(model::Lead& lead, const Clock& clock, Random& random) {
  if (lead.identity.id.empty()) {
    lead.identity.id = Uuid::generate_v7(clock.now(), random).to_string();
    return ok_status();
  }
  auto id = Uuid::parse(lead.identity.id);
  if (!id) {
    return fail(ErrorCategory::invalid_argument, "lead id '" + lead.identity.id + "' is " +
                                                     id.error().message +
                                                     "; leave the id empty to have one assigned");
  }
  lead.identity.id = id->to_string();
  return ok_status();
}

Status prepare_writes(std::vector<LeadWrite>& writes,
                      const std::optional<CheckpointValue>& checkpoint, const Clock& clock,
                      Random& random) {
  LEADSYNC_CHECK(checkpoint ? check_checkpoint_name(checkpoint->name) : ok_status());
  std::set<std::string> ids;
  for (std::size_t i = 0; i < writes.size(); ++i) {
    const auto position = [&] { return position_of("write", i, writes.size()); };
    auto& lead = writes[i].lead;
    if (writes[i].kind == WriteKind::create) {
      if (auto assigned = assign_id(lead, clock, random); !assigned.ok()) {
        return prefixed(assigned.error(), position());
      }
    } else {
      auto id = canonical_id(lead.identity.id);
      if (!id.ok()) {
        return prefixed(id.error(), position());
      }
      lead.identity.id = std::move(id).value();
    }
    if (!ids.insert(lead.identity.id).second) {
      return prefixed(lead_written_twice(lead.identity.id), position());
    }
  }
  return ok_status();
}

std::optional<OutboxOperation> outbox_operation(const WriteOptions& options) {
  return options.enqueue ? std::optional(options.operation) : std::nullopt;
}

void start_identity(model::Lead& lead, TimePoint now) {
  lead.identity.version = 1;
  lead.identity.created_at = now;
  lead.identity.updated_at = now;
}

Status advance_identity(model::Lead& lead, std::int64_t stored_version,
                        std::int64_t stored_created_at_millis, TimePoint now) {
  if (stored_version != lead.identity.version) {
    return stale_version(lead.identity.id, stored_version, lead.identity.version);
  }
  lead.identity.version = stored_version + 1;
  lead.identity.created_at = from_millis(stored_created_at_millis);
  lead.identity.updated_at = now;
  return ok_status();
}

bool make_tombstone(model::Lead& lead, TimePoint now) {
  if (lead.deleted) {
    return false;
  }
  lead.deleted = true;
  lead.identity.version += 1;
  lead.identity.updated_at = now;
  return true;
}

std::set<std::string> email_keys(const model::Lead& lead) {
  std::set<std::string> keys;
  for (const auto& email : lead.person.emails) {
    if (!email.empty()) {
      keys.insert(ascii_lower(email));
    }
  }
  return keys;
}

std::set<std::string> phone_keys(const model::Lead& lead) {
  std::set<std::string> keys;
  for (const auto& phone : lead.person.phones) {
    if (!phone.e164.empty()) {
      keys.insert(phone.e164);
    }
  }
  return keys;
}

Error lead_not_found(const std::string& id) {
  return Error::make(ErrorCategory::not_found, "there is no lead " + id);
}

Error lead_exists(const std::string& id) {
  return Error::make(ErrorCategory::already_exists,
                     "a lead with id " + id + " already exists; update it instead");
}

Error stale_version(const std::string& id, std::int64_t stored, std::int64_t given) {
  return Error::make(ErrorCategory::conflict,
                     "lead " + id + " was changed since it was read: stored version " +
                         std::to_string(stored) + ", given version " + std::to_string(given) +
                         "; read it again and reapply the change");
}

Error lead_written_twice(const std::string& id) {
  return Error::make(ErrorCategory::invalid_argument,
                     "lead " + id +
                         " is written twice in one batch; merge its changes into one write");
}

LookupKeys lookup_keys(const LeadLookup& lookup) {
  const auto lowered = [](const std::vector<std::string>& values) {
    std::vector<std::string> keys;
    for (const auto& value : values) {
      if (!value.empty()) {
        keys.push_back(ascii_lower(value));
      }
    }
    return keys;
  };
  LookupKeys keys;
  keys.emails = lowered(lookup.emails);
  keys.phones = lowered(lookup.phones);
  keys.domains = lowered(lookup.domains);
  keys.domain_created_before = lookup.domain_created_before
                                   ? to_millis(*lookup.domain_created_before)
                                   : std::numeric_limits<std::int64_t>::max();
  return keys;
}

// ---- documents

Result<std::string> lead_document(const model::Lead& lead) {
  try {
    return model::to_stored_json_text(lead);
  } catch (const nlohmann::json::exception& error) {
    return fail(ErrorCategory::invalid_argument, "lead " + lead.identity.id +
                                                     " cannot be stored: " + error.what() +
                                                     "; convert its text to UTF-8 first");
  }
}

Result<model::Lead> read_lead_document(const std::string& id, std::string_view document) {
  auto parsed = model::lead_from_json_text(document);
  if (!parsed) {
    return fail(ErrorCategory::storage,
                "the stored lead " + id + " cannot be read (" + parsed.error().message +
                    "); it was changed outside leadsync: restore the database from a backup");
  }
  return parsed;
}

Result<std::string> prepare_event(model::BehaviourEvent& event) {
  LEADSYNC_TRY(event.lead_id, canonical_id(event.lead_id));
  event.occurred_at = stored_time(event.occurred_at);
  event.id = 0;
  try {
    return model::to_json(event).dump();
  } catch (const nlohmann::json::exception& error) {
    return fail(ErrorCategory::invalid_argument,
                std::string("the behaviour event cannot be stored: ") + error.what() +
                    "; convert its text to UTF-8 first");
  }
}

Result<model::BehaviourEvent> read_event_document(std::int64_t id, std::string_view document) {
  auto parsed = model::behaviour_event_from_json(nlohmann::json::parse(document, nullptr, false));
  if (!parsed) {
    return fail(ErrorCategory::storage, "the stored behaviour event " + std::to_string(id) +
                                            " cannot be read (" + parsed.error().message +
                                            "); it was changed outside leadsync");
  }
  parsed->id = id;
  return parsed;
}

Error event_lead_missing(const std::string& lead_id) {
  return Error::make(ErrorCategory::not_found, "there is no lead " + lead_id +
                                                   "; store the lead before its behaviour events");
}

Error event_exists(const std::string& event_id) {
  return Error::make(ErrorCategory::already_exists,
                     "the behaviour event " + event_id +
                         " is stored already; an event with a known event_id is not added twice");
}

// ---- list_leads

Result<std::size_t> page_size(const PageRequest& page) {
  if (page.limit == 0) {
    return fail(ErrorCategory::invalid_argument, "the page limit must be at least 1");
  }
  return std::min(page.limit, max_page_size);
}

// Ids are stored lower-case.
Result<std::string> id_pattern(const std::string& part, bool suffix) {
  const bool plain = std::all_of(part.begin(), part.end(), [](char c) {
    return std::isxdigit(static_cast<unsigned char>(c)) || c == '-';
  });
  if (!plain) {
    return fail(ErrorCategory::invalid_argument,
                std::string("an id ") + (suffix ? "suffix" : "prefix") +
                    " holds only hex digits and '-' (got \"" + part + "\")");
  }
  return suffix ? "%" + ascii_lower(part) : ascii_lower(part) + "%";
}

std::string make_cursor(const model::Lead& lead) {
  return std::to_string(to_millis(lead.identity.created_at.value_or(TimePoint{}))) + ":" +
         lead.identity.id;
}

Result<Cursor> parse_cursor(std::string_view text) {
  const auto colon = text.find(':');
  Cursor cursor;
  if (colon != std::string_view::npos && colon + 1 < text.size()) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + colon, cursor.created_at);
    if (ec == std::errc() && end == text.data() + colon) {
      cursor.id = std::string(text.substr(colon + 1));
      return cursor;
    }
  }
  return fail(ErrorCategory::invalid_argument,
              "the page cursor '" + std::string(text) +
                  "' is not one list_leads returned; pass the previous page's cursor unchanged, or "
                  "none for the first page");
}

// ---- enum columns

Result<OutboxOperation> parse_operation(std::string_view text) {
  return parse_name(text,
                    {OutboxOperation::upsert, OutboxOperation::qualify, OutboxOperation::disqualify,
                     OutboxOperation::reactivate, OutboxOperation::remove, OutboxOperation::merge},
                    "the outbox holds an unknown operation");
}

Result<DuplicateStatus> parse_duplicate_status(std::string_view text) {
  return parse_name(
      text, {DuplicateStatus::open, DuplicateStatus::merged, DuplicateStatus::not_duplicate},
      "the review queue holds an unknown status");
}

Result<WebhookEventState> parse_webhook_state(std::string_view text) {
  return parse_name(
      text, {WebhookEventState::pending, WebhookEventState::done, WebhookEventState::failed},
      "the webhook queue holds an unknown state");
}

Result<FeedKeyKind> parse_feed_key_kind(std::string_view text) {
  return parse_name(
      text, {FeedKeyKind::email, FeedKeyKind::phone, FeedKeyKind::profile, FeedKeyKind::domain},
      "the feed index holds an unknown key kind");
}

// ---- the review queue

Result<DuplicatePairRow> duplicate_pair_row(const DuplicatePair& pair, TimePoint now) {
  DuplicatePairRow row;
  LEADSYNC_TRY(row.a, canonical_id(pair.lead_a));
  LEADSYNC_TRY(row.b, canonical_id(pair.lead_b));
  if (row.a == row.b) {
    return fail(ErrorCategory::invalid_argument,
                "a possible duplicate pair names lead " + row.a + " twice");
  }
  row.low = std::min(row.a, row.b);
  row.high = std::max(row.a, row.b);
  row.resolved = pair.status != DuplicateStatus::open;
  row.score_milli = static_cast<std::int64_t>(std::lround(pair.score * 1000.0));
  row.created_at = to_millis(now);
  if (row.resolved) {
    row.resolved_at = to_millis(pair.resolved_at.value_or(now));
  }
  return row;
}

double score_of(std::int64_t score_milli) {
  return static_cast<double>(score_milli) / 1000.0;
}

Error duplicate_pair_not_found(const std::string& a, const std::string& b) {
  return Error::make(ErrorCategory::not_found,
                     "no possible duplicate was recorded for leads " + a + " and " + b);
}

// ---- outbox, dead letters, checkpoints, runs

Status check_claim(const ClaimRequest& request) {
  if (request.worker.empty()) {
    return fail(ErrorCategory::invalid_argument,
                "claim_outbox needs a worker name, unique per worker (host:pid:thread)");
  }
  if (request.lease.count() <= 0) {
    return fail(ErrorCategory::invalid_argument, "the outbox lease must be at least one second");
  }
  return ok_status();
}

Status check_release_prefix(const std::string& worker_prefix) {
  if (worker_prefix.empty()) {
    return fail(ErrorCategory::invalid_argument,
                "release_leases_of needs the start of a worker name (host:pid:)");
  }
  return ok_status();
}

Status check_checkpoint_name(const std::string& name) {
  if (name.empty()) {
    return fail(ErrorCategory::invalid_argument, "a checkpoint needs a name");
  }
  return ok_status();
}

Status check_run_kind(const std::string& kind) {
  if (kind.empty()) {
    return fail(ErrorCategory::invalid_argument, "a run needs a kind (import, push, pull, ...)");
  }
  return ok_status();
}

Status check_run_end(const RunRecord& run) {
  if (run.status.empty()) {
    return fail(ErrorCategory::invalid_argument, "finishing run " + std::to_string(run.id) +
                                                     " needs a status (ok, partial, failed)");
  }
  return ok_status();
}

Result<std::map<std::string, std::int64_t>> read_run_counts(std::int64_t run_id,
                                                            std::string_view text) {
  const auto counts = nlohmann::json::parse(text, nullptr, false);
  if (!counts.is_object()) {
    return fail(ErrorCategory::storage, "the counts of run " + std::to_string(run_id) +
                                            " are not a JSON object; the database was changed "
                                            "outside leadsync");
  }
  std::map<std::string, std::int64_t> read;
  for (const auto& [name, value] : counts.items()) {
    if (!value.is_number_integer()) {
      return fail(ErrorCategory::storage, "the count '" + name + "' of run " +
                                              std::to_string(run_id) + " is not an integer");
    }
    read[name] = value.get<std::int64_t>();
  }
  return read;
}

Error run_not_found(std::int64_t id) {
  return Error::make(ErrorCategory::not_found,
                     "there is no run " + std::to_string(id) + "; start runs with begin_run");
}

Error dead_letter_not_found(std::int64_t id) {
  return Error::make(ErrorCategory::not_found, "there is no dead letter " + std::to_string(id) +
                                                   "; `leadsync dlq list` shows the existing ones");
}

Error outbox_lease_lost(std::int64_t seq, const std::string& worker) {
  return Error::make(ErrorCategory::conflict,
                     "outbox entry " + std::to_string(seq) + " is not leased by worker '" + worker +
                         "' (its lease expired and another worker took it, or it was never "
                         "claimed); leave it to its holder");
}

Error outbox_entry_gone(std::int64_t seq) {
  return Error::make(ErrorCategory::not_found,
                     "outbox entry " + std::to_string(seq) +
                         " does not exist (it was completed or dead-lettered already)");
}

namespace {

// The error of a completion call that left some items alone: `lost` ones (held by another worker;
// conflict) and `missing` ones (not_found when they are all there is).
Status completion(std::string_view items, const std::vector<std::int64_t>& lost,
                  std::string_view lost_why, const std::vector<std::int64_t>& missing,
                  std::string_view missing_why, const std::string& worker) {
  std::string problems;
  if (!lost.empty()) {
    problems = std::string(items) + " " + join_numbers(lost) + " are not leased by worker '" +
               worker + "' (" + std::string(lost_why) + ")";
  }
  if (!missing.empty()) {
    problems += (problems.empty() ? "" : "; ") + std::string(items) + " " + join_numbers(missing) +
                " do not exist (" + std::string(missing_why) + ")";
  }
  if (!problems.empty()) {
    return fail(lost.empty() ? ErrorCategory::not_found : ErrorCategory::conflict,
                problems + "; they were not completed, the others were");
  }
  return ok_status();
}

} // namespace

Status outbox_completion(const std::vector<std::int64_t>& lost,
                         const std::vector<std::int64_t>& missing, const std::string& worker) {
  return completion("outbox entries", lost,
                    "their lease expired and another worker took them, or they were never claimed",
                    missing, "completed or dead-lettered already", worker);
}

// ---- enrichment

Status check_cached_answers(const std::vector<CachedAnswer>& answers) {
  for (std::size_t i = 0; i < answers.size(); ++i) {
    if (answers[i].provider.empty() || answers[i].key.empty()) {
      return fail(ErrorCategory::invalid_argument,
                  "cached answer " + std::to_string(i + 1) + " of " +
                      std::to_string(answers.size()) +
                      " needs a provider and a key; nothing was cached");
    }
  }
  return ok_status();
}

Status check_usage(const std::string& provider, const std::vector<std::string>& periods) {
  if (provider.empty()) {
    return fail(ErrorCategory::invalid_argument, "recording usage needs a provider name");
  }
  for (const auto& period : periods) {
    if (period.empty()) {
      return fail(ErrorCategory::invalid_argument,
                  "usage of provider '" + provider +
                      "' names an empty period; name a UTC day (2026-12-06) or month (2026-12)");
    }
  }
  return ok_status();
}

Status check_pending_lookup(const PendingLookup& pending) {
  if (pending.provider.empty() || pending.key.empty() || pending.lead_id.empty()) {
    return fail(ErrorCategory::invalid_argument,
                "a pending lookup needs a provider, a key and a lead id (got provider '" +
                    pending.provider + "', key '" + pending.key + "', lead '" + pending.lead_id +
                    "')");
  }
  return ok_status();
}

Status check_feed_file(const FeedFileState& state, const std::vector<FeedRecord>& records) {
  if (state.provider.empty() || state.path.empty()) {
    return fail(ErrorCategory::invalid_argument,
                "a feed file needs its provider and path (got provider '" + state.provider +
                    "', path '" + state.path + "')");
  }
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& record = records[i];
    if ((!record.provider.empty() && record.provider != state.provider) ||
        (!record.path.empty() && record.path != state.path)) {
      return fail(ErrorCategory::invalid_argument,
                  "record " + std::to_string(i + 1) + " (line " + std::to_string(record.line) +
                      ") belongs to provider '" + record.provider + "', file " + record.path +
                      ", not to provider '" + state.provider + "', file " + state.path +
                      "; index each file's records with that file");
    }
  }
  return ok_status();
}

// ---- webhook events

Status check_webhook_event(const WebhookEvent& event) {
  if (event.dedupe_key.empty()) {
    return fail(ErrorCategory::invalid_argument,
                "a webhook event needs a dedupe_key (WebhookNotification::dedupe_key())");
  }
  return ok_status();
}

std::int64_t received_at_millis(const WebhookEvent& event, TimePoint now) {
  return to_millis(event.received_at == TimePoint{} ? now : event.received_at);
}

Status check_webhook_claim(const std::string& worker, std::chrono::milliseconds lease) {
  if (worker.empty()) {
    return fail(ErrorCategory::invalid_argument,
                "claim_webhook_events needs a worker name, unique per worker (host:pid:thread)");
  }
  if (lease.count() <= 0) {
    return fail(ErrorCategory::invalid_argument,
                "the webhook event lease must be longer than zero; set [server] webhook_lease_s");
  }
  return ok_status();
}

Error webhook_lease_lost(std::int64_t seq, const std::string& worker) {
  return Error::make(ErrorCategory::conflict,
                     "webhook event " + std::to_string(seq) + " is not leased by worker '" +
                         worker +
                         "' (its lease expired and another worker took it, it was never claimed, "
                         "or it is finished); leave it to its holder");
}

Error webhook_event_gone(std::int64_t seq) {
  return Error::make(ErrorCategory::not_found,
                     "webhook event " + std::to_string(seq) + " does not exist (it was pruned)");
}

Status webhook_completion(const std::vector<std::int64_t>& lost,
                          const std::vector<std::int64_t>& missing, const std::string& worker) {
  return completion("webhook events", lost,
                    "their lease expired and another worker took them, they were never claimed, "
                    "or they are finished",
                    missing, "pruned", worker);
}

} // namespace leadsync::store::detail
