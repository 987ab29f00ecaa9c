#include "pipeline/detail/lead_writer.hpp"

#include "clean/detail/text.hpp"
#include "leadsync/model/lead.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace leadsync::importer::detail {
namespace {

std::string email_key(std::string_view email) {
  return "e:" + ascii_lower(email);
}
std::string phone_key(std::string_view e164) {
  return "p:" + std::string(e164);
}
std::string domain_key(std::string_view domain) {
  return "d:" + ascii_lower(domain);
}

std::string person_name(const model::Lead& lead) {
  const auto& person = lead.person;
  if (person.first_name.empty()) {
    return person.last_name;
  }
  return person.last_name.empty() ? person.first_name : person.first_name + " " + person.last_name;
}

std::string_view describe(LinkRule rule) {
  switch (rule) {
  case LinkRule::email:
    return "same e-mail";
  case LinkRule::mobile:
    return "same mobile";
  case LinkRule::exact_name_at_domain:
    return "same name at the same company";
  case LinkRule::email_names_differ:
    return "same e-mail, different names";
  case LinkRule::mobile_names_differ:
    return "same mobile, different names";
  case LinkRule::mobile_unconfirmed:
    return "same mobile, names or work e-mails do not confirm it";
  case LinkRule::same_name_at_domain:
    return "same name at the same company, each with its own e-mail or mobile, or several leads "
           "with that name";
  case LinkRule::common_name_at_domain:
    return "same common name at the same company";
  case LinkRule::similar_name_at_domain:
    return "similar name at the same company";
  case LinkRule::shared_phone:
    return "same fixed-line phone (a switchboard?), names alike";
  case LinkRule::shared_role_email:
    return "same team mailbox, names alike";
  case LinkRule::identifier_cap:
    return "suspicious cluster: merging would give the lead more than the allowed e-mails or "
           "phones (a broken or padded list?)";
  case LinkRule::bridge:
    return "the same row matched both leads";
  }
  return "possible duplicate";
}

// The newcomer's key the link is about, as text.
std::string shared_key_text(const model::Lead& newcomer, const Link& link) {
  if (link.email != 0) {
    for (const auto& email : newcomer.person.emails) {
      if (stable_hash(ascii_lower(email)) == link.email) {
        return email;
      }
    }
  }
  if (link.number != 0) {
    return "+" + std::to_string(link.number);
  }
  return {};
}

std::string evidence(const model::Lead& newcomer, const LeadWriter::Flag& flag) {
  auto text = std::string(describe(flag.link.rule));
  if (const auto key = shared_key_text(newcomer, flag.link); !key.empty()) {
    text += ": " + key;
  }
  text += fmt::format("; names '{}' and '{}'", person_name(newcomer), flag.other_name);
  return text;
}

} // namespace

LeadWriter::LeadWriter(Stores stores, const Clock& clock, Random& random, MergePolicy policy,
                       std::size_t expected_leads, store::TimePoint domain_created_before,
                       std::string source_name, bool commit_in_background)
    : stores_(stores), source_name_(std::move(source_name)),
      dry_run_(&stores.lookup != &stores.target), clock_(clock), random_(random), policy_(policy),
      domain_created_before_(domain_created_before), index_(expected_leads),
      background_(commit_in_background) {
  from_store_.reserve(expected_leads);
}

LeadWriter::~LeadWriter() {
  stop_committer();
}

Status LeadWriter::refresh_filter() {
  if (filter_state_ == FilterState::off) {
    return ok_status();
  }
  if (filter_state_ == FilterState::unbuilt) {
    // The marker is read before the keys: a write in between shows as a change next time. Later
    // markers come from the commits (latest_marker_).
    LEADSYNC_TRY(const auto marker, stores_.lookup.foreign_write_marker());
    foreign_writes_ = marker;
    latest_marker_.store(marker);
    if (!dry_run_) {
      // A bulk load left unfinished (an import that failed or was killed) is finished first, so
      // that the lookups of this one may skip the backlog while it holds only this import's leads
      // (found in memory): see LeadLookup::skip_unfinished_bulk_loads. A dry run writes nothing.
      LEADSYNC_CHECK(stores_.lookup.finish_bulk_load());
    }
    LEADSYNC_TRY(filter_, StoredKeyFilter::load(stores_.lookup));
    filter_state_ = FilterState::on;
    // The stored leads' names count towards how common a name is (dedupe.hpp).
    MatchKeys folded;
    LEADSYNC_CHECK(
        stores_.lookup.scan_person_names([&](std::string_view first, std::string_view last) {
          folded.first = fold_for_matching(first);
          folded.last = fold_for_matching(last);
          names_.add(folded.name_hash());
        }));
  } else if (marker_unknown_.load() || latest_marker_.load() != foreign_writes_) {
    filter_.reset();
    filter_state_ = FilterState::off;
  }
  return ok_status();
}

bool LeadWriter::may_be_stored(store::LookupKind kind, std::string_view key) const {
  return !filter_ || filter_->may_hold(kind, key);
}

Status LeadWriter::prepare(std::span<const RowChunk> chunks) {
  candidates_.clear();
  candidates_by_key_.clear();
  prefetched_.clear();
  keep_.clear();
  LEADSYNC_CHECK(refresh_filter());
  store::LeadLookup lookup;
  lookup.domain_created_before = domain_created_before_;
  // Until another process writes leads (it may be bulk loading too), the backlog holds only this
  // import's leads.
  lookup.skip_unfinished_bulk_loads = !dry_run_ && filter_state_ == FilterState::on;
  std::vector<std::string> wanted; // leads of this import to read
  std::unordered_set<std::string> wanted_ids;
  for (const auto& chunk : chunks) {
    for (const auto& row : chunk.rows) {
      if (!row.accepted) {
        continue;
      }
      // A row that merges into a lead of this import by an e-mail or a mobile now will still do
      // so when its turn comes (a name rule may change as names grow common, so those rows ask
      // the store). Its lead is read now, unless it is in memory (staged) when the batch runs.
      if (const auto found = index_.find(row.keys, names_, /*by_name=*/false);
          !found.empty() && found.front().link.rule <= LinkRule::mobile) {
        for (const auto& candidate : found) {
          if (!merges(candidate.link.rule)) {
            continue;
          }
          auto id = index_.lead_id(candidate.ref).to_string();
          if (staged_by_id_.contains(id)) {
            keep_.insert(std::move(id)); // in the batch about to be handed
          } else if (wanted_ids.insert(id).second) {
            wanted.push_back(std::move(id));
          }
        }
        continue;
      }
      for (const auto& email : row.lookups.emails) {
        if (may_be_stored(store::LookupKind::email, email)) {
          lookup.emails.push_back(email);
        }
      }
      for (const auto& phone : row.lookups.phones) {
        if (may_be_stored(store::LookupKind::phone, phone)) {
          lookup.phones.push_back(phone);
        }
      }
      if (!row.lookups.domain.empty() &&
          may_be_stored(store::LookupKind::domain, row.lookups.domain)) {
        lookup.domains.push_back(row.lookups.domain);
      }
    }
  }
  if (!wanted.empty()) {
    // Missing ones (a dry run's stored leads the scratch store does not have) are read as before.
    LEADSYNC_TRY(auto leads, stores_.target.get_leads(wanted));
    for (auto& lead : leads) {
      auto id = lead.identity.id;
      prefetched_.insert_or_assign(std::move(id), std::move(lead));
    }
  }
  if (lookup.emails.empty() && lookup.phones.empty() && lookup.domains.empty()) {
    return ok_status();
  }
  LEADSYNC_TRY(candidates_, stores_.lookup.find_leads(lookup));
  for (std::size_t i = 0; i < candidates_.size(); ++i) {
    const auto& lead = candidates_[i];
    for (const auto& email : lead.person.emails) {
      candidates_by_key_[email_key(email)].push_back(i);
    }
    for (const auto& phone : lead.person.phones) {
      if (!phone.e164.empty()) {
        candidates_by_key_[phone_key(phone.e164)].push_back(i);
      }
    }
    if (!lead.company.domain.empty()) {
      candidates_by_key_[domain_key(lead.company.domain)].push_back(i);
    }
  }
  return ok_status();
}

std::vector<const model::Lead*> LeadWriter::candidates_for(const StoreLookups& lookups) const {
  if (candidates_.empty()) {
    return {};
  }
  std::vector<std::size_t> indexes;
  const auto collect = [&](const std::string& key) {
    if (const auto found = candidates_by_key_.find(key); found != candidates_by_key_.end()) {
      indexes.insert(indexes.end(), found->second.begin(), found->second.end());
    }
  };
  for (const auto& email : lookups.emails) {
    collect(email_key(email));
  }
  for (const auto& phone : lookups.phones) {
    collect(phone_key(phone));
  }
  if (!lookups.domain.empty()) {
    collect(domain_key(lookups.domain));
  }
  std::sort(indexes.begin(), indexes.end());
  indexes.erase(std::unique(indexes.begin(), indexes.end()), indexes.end());
  std::vector<const model::Lead*> leads;
  leads.reserve(indexes.size());
  for (const auto index : indexes) {
    leads.push_back(&candidates_[index]);
  }
  return leads;
}

Result<LeadWriter::Current> LeadWriter::current(const std::string& id,
                                                const model::Lead* candidate) {
  if (const auto found = staged_by_id_.find(id); found != staged_by_id_.end()) {
    const auto& write = staged_[found->second];
    return Current{&write.lead, write.kind};
  }
  if (in_flight_) {
    // Its commit may not have happened yet: the store may not have the lead, or an older version.
    if (const auto kept = in_flight_->kept.find(id); kept != in_flight_->kept.end()) {
      return Current{&kept->second.first, kept->second.second};
    }
    if (in_flight_->by_id.contains(id)) {
      // Not foreseen by prepare(): the store has the lead once the commit is done.
      LEADSYNC_CHECK(settle());
    }
  }
  if (const auto found = prefetched_.find(id); found != prefetched_.end()) {
    return Current{&found->second, store::WriteKind::update};
  }
  if (candidate != nullptr && !dry_run_) {
    return Current{candidate, store::WriteKind::update};
  }
  if (const auto capped = capped_.find(id); capped != capped_.end()) {
    return Current{&capped->second.first, capped->second.second};
  }
  auto in_target = stores_.target.get_lead(id);
  if (in_target.ok()) {
    fetched_ = std::move(in_target).value();
    return Current{&fetched_, store::WriteKind::update};
  }
  if (!dry_run_ || in_target.error().category != ErrorCategory::not_found) {
    return fail(in_target.error());
  }
  // A dry run's first change to a stored lead: the scratch store gets it as a new lead.
  if (candidate != nullptr) {
    return Current{candidate, store::WriteKind::create};
  }
  LEADSYNC_TRY(fetched_, stores_.lookup.get_lead(id));
  return Current{&fetched_, store::WriteKind::create};
}

void LeadWriter::stage(model::Lead lead, store::WriteKind kind) {
  capped_.erase(lead.identity.id);
  prefetched_.erase(lead.identity.id);
  if (const auto found = staged_by_id_.find(lead.identity.id); found != staged_by_id_.end()) {
    staged_[found->second].lead = std::move(lead);
    return;
  }
  staged_by_id_.emplace(lead.identity.id, staged_.size());
  // A bulk load: the store may index the lookup keys later, in key order (store.hpp).
  staged_.push_back({.kind = kind,
                     .lead = std::move(lead),
                     .options = {.enqueue = true,
                                 .operation = store::OutboxOperation::upsert,
                                 .bulk_load = true}});
}

std::string LeadWriter::source_of(const RowOutcome& row) const {
  return source_name_ + " line " + std::to_string(row.line);
}

void LeadWriter::stage_pairs(const std::vector<Flag>& flags, const std::string& lead_id,
                             const RowOutcome& row) {
  for (const auto& flag : flags) {
    if (flag.lead_id == lead_id) {
      continue;
    }
    store::DuplicatePair pair;
    pair.lead_a = flag.lead_id;
    pair.lead_b = lead_id;
    pair.rule = std::string(to_string(flag.link.rule));
    pair.score = flag.link.score;
    pair.evidence = evidence(row.lead, flag);
    pair.source = source_of(row);
    staged_pairs_.push_back(std::move(pair));
  }
}

Result<RowDecision> LeadWriter::add(RowOutcome&& row) {
  names_.add(row.keys.name_hash());
  RowDecision decision;
  std::vector<Flag> flags;

  // The lead to merge into: one of this file's (FileIndex), else a stored one.
  std::optional<FileIndex::Ref> in_file;
  const model::Lead* stored_target = nullptr;
  Link merge_link;

  const auto found = index_.find(row.keys, names_);
  for (const auto& candidate : found) {
    const auto id = index_.lead_id(candidate.ref).to_string();
    if (merges(candidate.link.rule) && !in_file) {
      in_file = candidate.ref;
      merge_link = candidate.link;
      continue;
    }
    auto link = candidate.link;
    if (merges(link.rule)) {
      link.rule = LinkRule::bridge;
    }
    flags.push_back({id, link, index_.folded_name(candidate.ref)});
  }
  if (!in_file) {
    std::vector<model::Lead> stored;
    for (const auto* candidate : candidates_for(row.lookups)) {
      if (!indexed_stored_.contains(candidate->identity.id)) {
        stored.push_back(*candidate);
      }
    }
    if (!stored.empty()) {
      const auto stored_decision = decide_stored(row.lead, stored, names_);
      for (const auto& flag : stored_decision.flags) {
        flags.push_back(
            {stored[flag.index].identity.id, flag.link, person_name(stored[flag.index])});
      }
      if (stored_decision.merge) {
        const auto& chosen = stored[stored_decision.merge->index];
        for (const auto* candidate : candidates_for(row.lookups)) {
          if (candidate->identity.id == chosen.identity.id) {
            stored_target = candidate;
            break;
          }
        }
        merge_link = stored_decision.merge->link;
      }
    }
  }
  if (flags.size() > max_flags_per_row) {
    flags.resize(max_flags_per_row);
  }

  if (in_file || stored_target != nullptr) {
    const auto target_id =
        in_file ? index_.lead_id(*in_file).to_string() : stored_target->identity.id;
    LEADSYNC_TRY(const auto base, current(target_id, stored_target));
    auto merged = merge_leads(*base.lead, row.lead, policy_);
    if (exceeds_identifier_cap(merged.lead)) {
      // A suspicious cluster: the row becomes a lead of its own, flagged against the cluster.
      // Only the cluster is queued: a padded list would otherwise fill the queue with every
      // name the rows share.
      decision.over_identifier_cap = true;
      flags = {
          Flag{target_id,
               {LinkRule::identifier_cap, merge_link.score, merge_link.email, merge_link.number},
               person_name(*base.lead)}};
      auto kept = std::pair(*base.lead, base.kind); // base.lead may point into capped_
      if (capped_.size() >= max_capped_kept) {
        capped_.clear();
      }
      capped_.insert_or_assign(target_id, std::move(kept));
    } else {
      if (stored_target != nullptr) {
        const auto id = Uuid::parse(target_id);
        if (!id.ok()) {
          return fail(ErrorCategory::storage, "the stored lead id '" + target_id +
                                                  "' is not a UUID: " + id.error().message);
        }
        index_.add(id.value(), match_keys(merged.changed() ? merged.lead : *base.lead));
        from_store_.push_back(true);
        indexed_stored_.insert(target_id);
      }
      stage_pairs(flags, target_id, row);
      decision.possible_duplicates = flags.size();
      if (!merged.changed()) {
        decision.fate = RowFate::unchanged;
        return decision;
      }
      record_merge(merged.lead, to_string(merge_link.rule), source_of(row), clock_.now());
      if (in_file) {
        index_.extend(*in_file, match_keys(merged.lead));
      }
      const bool was_stored = stored_target != nullptr || from_store_[*in_file];
      stage(std::move(merged.lead), base.kind);
      decision.fate = was_stored ? RowFate::merged_with_stored : RowFate::merged_in_file;
      return decision;
    }
  }

  const auto id = Uuid::generate_v7(clock_.now(), random_);
  row.lead.identity.id = id.to_string();
  index_.add(id, row.keys);
  from_store_.push_back(false);
  stage_pairs(flags, row.lead.identity.id, row);
  decision.possible_duplicates = flags.size();
  decision.fate = RowFate::new_lead;
  stage(std::move(row.lead), store::WriteKind::create);
  return decision;
}

Status LeadWriter::commit(const std::optional<store::CheckpointValue>& checkpoint,
                          std::span<const RowChunk> next) {
  LEADSYNC_CHECK(settle());
  bool stopping = false;
  if (background_) {
    const MutexLock lock(mutex_);
    stopping = stopping_;
  }
  const bool in_background = background_ && !stopping;
  if (in_background) {
    // Now, while no commit holds the store; it also finds the staged leads to keep.
    LEADSYNC_CHECK(prepare(next));
  }
  InFlight view;
  view.by_id = std::move(staged_by_id_);
  view.checkpoint = checkpoint;
  for (const auto& id : keep_) {
    if (const auto found = view.by_id.find(id); found != view.by_id.end()) {
      const auto& write = staged_[found->second];
      view.kept.emplace(id, std::pair(write.lead, write.kind));
    }
  }
  keep_.clear();
  Batch batch{
      .writes = std::move(staged_), .pairs = std::move(staged_pairs_), .checkpoint = checkpoint};
  staged_.clear();
  staged_by_id_.clear();
  staged_pairs_.clear();
  // The commit gives the leads it writes new versions: a copy kept from before would be stale.
  capped_.clear();
  in_flight_ = std::move(view);
  if (!in_background) {
    {
      auto outcome = write(std::move(batch));
      const MutexLock lock(mutex_);
      outcome_ = std::move(outcome);
      done_ = true;
    }
    LEADSYNC_CHECK(settle());
    return prepare(next); // the store has this batch now: its leads are read too
  }
  if (!committer_.joinable()) {
    committer_ = std::thread([this] { run_committer(); });
  }
  {
    const MutexLock lock(mutex_);
    handed_ = std::move(batch);
    done_ = false;
  }
  changed_.notify_all();
  return ok_status();
}

LeadWriter::Outcome LeadWriter::write(Batch batch) {
  auto written = stores_.target.write_batch(std::move(batch.writes), batch.checkpoint, batch.pairs);
  if (!written.ok()) {
    return {.status = written.error(), .versions = {}};
  }
  Outcome outcome;
  outcome.versions.reserve(written->size());
  for (const auto& lead : written.value()) {
    outcome.versions.push_back(lead.identity.version);
  }
  // A lead another process stored from now on makes the marker differ from the filter's.
  auto marker = stores_.lookup.foreign_write_marker();
  if (marker.ok()) {
    latest_marker_.store(marker.value());
  } else {
    marker_unknown_.store(true);
  }
  return outcome;
}

void LeadWriter::run_committer() {
  UniqueLock lock(mutex_);
  while (true) {
    changed_.wait(lock, [this] {
      mutex_.assert_held();
      return handed_.has_value() || stopping_;
    });
    if (!handed_) {
      return; // stopping, nothing in flight
    }
    auto batch = std::move(*handed_);
    handed_.reset();
    lock.unlock();
    auto outcome = write(std::move(batch));
    lock.lock();
    outcome_ = std::move(outcome);
    done_ = true;
    changed_.notify_all();
  }
}

Status LeadWriter::settle() {
  if (!failed_.ok()) {
    return failed_;
  }
  if (!in_flight_) {
    return ok_status();
  }
  Outcome outcome;
  {
    UniqueLock lock(mutex_);
    changed_.wait(lock, [this] {
      mutex_.assert_held();
      return done_;
    });
    outcome = std::move(*outcome_);
    outcome_.reset();
    done_ = false;
  }
  auto view = std::move(*in_flight_);
  in_flight_.reset();
  if (!outcome.status.ok()) {
    failed_ = outcome.status;
    return failed_;
  }
  if (view.checkpoint) {
    committed_ = std::move(view.checkpoint);
  }
  // Writes staged from the batch's leads carry the version they had before the commit (and a new
  // lead's is a create): they update the version it stored.
  for (auto& write : staged_) {
    if (const auto found = view.by_id.find(write.lead.identity.id); found != view.by_id.end()) {
      write.kind = store::WriteKind::update;
      write.lead.identity.version = outcome.versions.at(found->second);
    }
  }
  return ok_status();
}

void LeadWriter::stop_committer() {
  {
    const MutexLock lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (committer_.joinable()) {
    committer_.join(); // after the batch in flight, if any, is written
  }
}

Status LeadWriter::finish() {
  auto status = settle();
  stop_committer();
  return status;
}

} // namespace leadsync::importer::detail
