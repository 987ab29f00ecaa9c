#include "pipeline/detail/lead_writer.hpp"

#include <algorithm>

namespace leadsync::importer::detail {
namespace {

std::string ascii_lower(std::string_view text) {
  std::string lowered(text);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return lowered;
}

std::string email_key(std::string_view email) {
  return "e:" + ascii_lower(email);
}
std::string phone_key(std::string_view e164) {
  return "p:" + std::string(e164);
}
std::string domain_key(std::string_view domain) {
  return "d:" + ascii_lower(domain);
}

} // namespace

LeadWriter::LeadWriter(Stores stores, const Clock& clock, Random& random, MergePolicy policy,
                       std::size_t expected_leads, store::TimePoint domain_created_before)
    : stores_(stores), dry_run_(&stores.lookup != &stores.target), clock_(clock), random_(random),
      policy_(policy), domain_created_before_(domain_created_before), index_(expected_leads) {
  from_store_.reserve(expected_leads);
}

Status LeadWriter::refresh_filter() {
  if (filter_state_ == FilterState::off) {
    return ok_status();
  }
  LEADSYNC_TRY(const auto marker, stores_.lookup.foreign_write_marker());
  if (filter_state_ == FilterState::unbuilt) {
    // The marker is read before the keys: a write in between shows as a change next time.
    foreign_writes_ = marker;
    LEADSYNC_TRY(filter_, StoredKeyFilter::load(stores_.lookup));
    filter_state_ = FilterState::on;
  } else if (marker != foreign_writes_) {
    filter_.reset();
    filter_state_ = FilterState::off;
  }
  return ok_status();
}

bool LeadWriter::may_be_stored(store::LookupKind kind, std::string_view key) const {
  return !filter_ || filter_->may_hold(kind, key);
}

Status LeadWriter::look_up(std::span<const RowOutcome> rows) {
  candidates_.clear();
  candidates_by_key_.clear();
  LEADSYNC_CHECK(refresh_filter());
  store::LeadLookup lookup;
  lookup.domain_created_before = domain_created_before_;
  for (const auto& row : rows) {
    // A row that matches a lead of this import now will still match it when its turn comes.
    if (!row.accepted || index_.find(row.keys)) {
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
  if (candidate != nullptr && !dry_run_) {
    return Current{candidate, store::WriteKind::update};
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
  if (const auto found = staged_by_id_.find(lead.identity.id); found != staged_by_id_.end()) {
    staged_[found->second].lead = std::move(lead);
    return;
  }
  staged_by_id_.emplace(lead.identity.id, staged_.size());
  staged_.push_back({kind, std::move(lead), {}});
}

Result<RowFate> LeadWriter::add(RowOutcome&& row) {
  if (const auto match = index_.find(row.keys)) {
    LEADSYNC_TRY(const auto base, current(index_.lead_id(match->ref).to_string(), nullptr));
    auto merged = merge_leads(*base.lead, row.lead, policy_);
    if (!merged.changed()) {
      return RowFate::unchanged;
    }
    index_.extend(match->ref, match_keys(merged.lead));
    stage(std::move(merged.lead), base.kind);
    return from_store_[match->ref] ? RowFate::merged_with_stored : RowFate::merged_in_file;
  }

  const auto candidates = candidates_for(row.lookups);
  if (!candidates.empty()) {
    std::vector<model::Lead> stored;
    stored.reserve(candidates.size());
    for (const auto* candidate : candidates) {
      stored.push_back(*candidate);
    }
    if (const auto match = match_stored(row.lead, stored)) {
      const auto* candidate = candidates[match->index];
      const auto id = Uuid::parse(candidate->identity.id);
      if (!id.ok()) {
        return fail(ErrorCategory::storage, "the stored lead id '" + candidate->identity.id +
                                                "' is not a UUID: " + id.error().message);
      }
      LEADSYNC_TRY(const auto base, current(candidate->identity.id, candidate));
      auto merged = merge_leads(*base.lead, row.lead, policy_);
      index_.add(id.value(), match_keys(merged.changed() ? merged.lead : *base.lead));
      from_store_.push_back(true);
      if (!merged.changed()) {
        return RowFate::unchanged;
      }
      stage(std::move(merged.lead), base.kind);
      return RowFate::merged_with_stored;
    }
  }

  const auto id = Uuid::generate_v7(clock_.now(), random_);
  row.lead.identity.id = id.to_string();
  index_.add(id, row.keys);
  from_store_.push_back(false);
  stage(std::move(row.lead), store::WriteKind::create);
  return RowFate::new_lead;
}

Status LeadWriter::commit(const std::optional<store::CheckpointValue>& checkpoint) {
  auto writes = std::move(staged_);
  staged_.clear();
  staged_by_id_.clear();
  LEADSYNC_TRY(const auto written, stores_.target.write_batch(std::move(writes), checkpoint));
  (void)written;
  return ok_status();
}

} // namespace leadsync::importer::detail
