// FileIndex: compact key tables for finding duplicates within one import file.

#include "clean/detail/match_rules.hpp"
#include "leadsync/importer/dedupe.hpp"

#include <algorithm>
#include <limits>
#include <memory>
#include <stdexcept>

namespace leadsync::importer {
namespace {

constexpr std::uint32_t no_entry = std::numeric_limits<std::uint32_t>::max();
constexpr std::size_t max_name_bytes =
    255; // a longer folded name is compared by its first 255 bytes
// Leads of one company compared by name per row, newest first. A company with more rows in one file
// is compared with its newest ones only: bounded work per row, whatever the list. An exact name
// further back is missed (a second lead, never a wrong merge: a name seen that often is common).
constexpr std::size_t max_domain_scan = 256;
// Of those, the ones whose names agree that are judged by the rules (more only make the name
// ambiguous, which is counted over the whole scan).
constexpr std::size_t max_domain_candidates = 8;

std::uint64_t spread(std::uint64_t key) {
  key ^= key >> 33;
  key *= 0xff51afd7ed558ccdULL;
  key ^= key >> 33;
  return key;
}

// Open addressing with linear probing: 64-bit keys (0 = empty slot) -> 32-bit values, kept in two
// arrays so a slot costs 12 bytes with no padding. Grows by doubling past 3/4 full.
class KeyTable {
public:
  void reserve(std::size_t keys) {
    const std::size_t wanted = keys + keys / 3 + 1;
    if (wanted > keys_.size()) {
      rehash(wanted);
    }
  }

  std::optional<std::uint32_t> find(std::uint64_t key) const {
    if (keys_.empty()) {
      return std::nullopt;
    }
    for (std::size_t slot = slot_of(key);; slot = next(slot)) {
      if (keys_[slot] == key) {
        return values_[slot];
      }
      if (keys_[slot] == 0) {
        return std::nullopt;
      }
    }
  }

  // Sets the value of a new key; an existing key keeps its value unless `overwrite`.
  void put(std::uint64_t key, std::uint32_t value, bool overwrite) {
    if ((size_ + 1) * 4 > keys_.size() * 3) {
      rehash(std::max<std::size_t>(16, keys_.size() * 2));
    }
    std::size_t slot = slot_of(key);
    while (keys_[slot] != 0 && keys_[slot] != key) {
      slot = next(slot);
    }
    if (keys_[slot] == 0) {
      keys_[slot] = key;
      values_[slot] = value;
      ++size_;
    } else if (overwrite) {
      values_[slot] = value;
    }
  }

  std::size_t memory_bytes() const {
    return keys_.capacity() * sizeof(std::uint64_t) + values_.capacity() * sizeof(std::uint32_t);
  }

private:
  std::size_t slot_of(std::uint64_t key) const { return spread(key) % keys_.size(); }
  std::size_t next(std::size_t slot) const { return slot + 1 == keys_.size() ? 0 : slot + 1; }

  void rehash(std::size_t capacity) {
    std::vector<std::uint64_t> old_keys(capacity, 0);
    std::vector<std::uint32_t> old_values(capacity, 0);
    old_keys.swap(keys_);
    old_values.swap(values_);
    size_ = 0;
    for (std::size_t i = 0; i < old_keys.size(); ++i) {
      if (old_keys[i] != 0) {
        put(old_keys[i], old_values[i], false);
      }
    }
  }

  std::vector<std::uint64_t> keys_;
  std::vector<std::uint32_t> values_;
  std::size_t size_ = 0;
};

// Folded names, packed end to end in fixed 1 MiB blocks: no reallocation copies, no doubling slack.
class NameArena {
public:
  // Stores `a` then `b` contiguously; returns where they start.
  std::uint32_t add(std::string_view a, std::string_view b) {
    const auto length = a.size() + b.size();
    if (blocks_.empty() || used_ + length > block_size) {
      if ((blocks_.size() + 1) * block_size > no_entry) {
        throw std::length_error("FileIndex name arena is full (4 GiB)");
      }
      blocks_.push_back(std::make_unique<char[]>(block_size));
      used_ = 0;
    }
    char* at = blocks_.back().get() + used_;
    std::copy(a.begin(), a.end(), at);
    std::copy(b.begin(), b.end(), at + a.size());
    const auto offset = (blocks_.size() - 1) * block_size + used_;
    used_ += length;
    return static_cast<std::uint32_t>(offset);
  }

  std::string_view view(std::uint32_t offset, std::size_t length) const {
    return {blocks_[offset / block_size].get() + offset % block_size, length};
  }

  std::size_t memory_bytes() const {
    return blocks_.size() * block_size + blocks_.capacity() * sizeof(blocks_.front());
  }

private:
  static constexpr std::size_t block_size = std::size_t{1} << 20;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::size_t used_ = 0;
};

struct LeadRecord {
  Uuid id;
  // The low 32 bits of MatchKeys::corporate_host: two hosts that share them look like one, which
  // can only make two mailboxes look conflicting (a missed merge, never a wrong one).
  std::uint32_t corporate_host = 0;
  std::uint32_t name_offset = 0; // into the name arena: the folded first name, then the last name
  std::uint8_t first_length = 0;
  std::uint8_t last_length = 0;
  bool personal_email = false;
  bool mobile = false;
};

struct DomainEntry {
  FileIndex::Ref ref = 0;
  std::uint32_t next = no_entry; // the next lead at the same domain
};

// Cuts at a code point boundary.
std::string_view clip(std::string_view name) {
  if (name.size() <= max_name_bytes) {
    return name;
  }
  std::size_t end = max_name_bytes;
  while (end > 0 && (static_cast<unsigned char>(name[end]) & 0xC0) == 0x80) {
    --end;
  }
  return name.substr(0, end);
}

} // namespace

struct FileIndex::Tables {
  KeyTable emails;
  KeyTable phones;
  KeyTable domain_heads; // domain hash -> first DomainEntry
  std::vector<DomainEntry> domain_entries;
  std::vector<LeadRecord> leads;
  NameArena names;

  std::string_view first(Ref ref) const {
    const auto& lead = leads[ref];
    return names.view(lead.name_offset, lead.first_length);
  }
  std::string_view last(Ref ref) const {
    const auto& lead = leads[ref];
    return names.view(lead.name_offset + lead.first_length, lead.last_length);
  }

  void set_names(Ref ref, const MatchKeys& keys) {
    const auto first_name = clip(keys.first);
    const auto last_name = clip(keys.last);
    auto& lead = leads[ref];
    lead.name_offset = names.add(first_name, last_name);
    lead.first_length = static_cast<std::uint8_t>(first_name.size());
    lead.last_length = static_cast<std::uint8_t>(last_name.size());
  }

  LeadSummary summary(Ref ref, std::uint64_t domain) const {
    const auto& lead = leads[ref];
    LeadSummary summary;
    summary.first = first(ref);
    summary.last = last(ref);
    summary.domain = domain;
    summary.personal_email = lead.personal_email;
    summary.mobile = lead.mobile;
    return summary;
  }

  // The keys `ref` shares with the candidate, as far as the tables know: a key points at the first
  // lead that had it.
  SharedKeys shared(const MatchKeys& keys, Ref ref) const {
    SharedKeys shared;
    for (const auto& email : keys.emails) {
      if (emails.find(email.hash) != std::optional<std::uint32_t>(ref)) {
        continue;
      }
      auto& slot = email.personal() ? shared.personal_email : shared.role_email;
      slot = slot == 0 ? email.hash : slot;
    }
    bool candidate_mobile = false;
    for (const auto& phone : keys.phones) {
      candidate_mobile = candidate_mobile || phone.mobile;
      if (phones.find(phone.number) != std::optional<std::uint32_t>(ref)) {
        continue;
      }
      auto& slot = phone.mobile ? shared.mobile : shared.other_phone;
      slot = slot == 0 ? phone.number : slot;
    }
    const auto host = leads[ref].corporate_host;
    shared.corporate_email_at_host =
        host != 0 && std::any_of(keys.emails.begin(), keys.emails.end(), [&](const auto& email) {
          return email.corporate() && static_cast<std::uint32_t>(email.host) == host;
        });
    shared.mobile_on_both_sides = candidate_mobile && leads[ref].mobile;
    return shared;
  }

  void note_identifiers(Ref ref, const MatchKeys& keys) {
    auto& lead = leads[ref];
    const auto summary = summary_of(keys);
    lead.personal_email = lead.personal_email || summary.personal_email;
    lead.mobile = lead.mobile || summary.mobile;
    if (lead.corporate_host == 0) {
      lead.corporate_host = static_cast<std::uint32_t>(keys.corporate_host());
    }
  }

  // Whether `ref` is among the newest max_domain_scan leads at the domain (further back it counts
  // as not at the domain: the name rules then do not apply, a missed merge at worst).
  bool at_domain(std::uint64_t domain, Ref ref) const {
    if (domain == 0) {
      return false;
    }
    const auto head = domain_heads.find(domain);
    std::size_t scanned = 0;
    for (auto entry = head.value_or(no_entry); entry != no_entry && scanned < max_domain_scan;
         entry = domain_entries[entry].next, ++scanned) {
      if (domain_entries[entry].ref == ref) {
        return true;
      }
    }
    return false;
  }

  void register_keys(Ref ref, const MatchKeys& keys) {
    for (const auto& email : keys.emails) {
      emails.put(email.hash, ref, false);
    }
    for (const auto& phone : keys.phones) {
      phones.put(phone.number, ref, false);
    }
    if (keys.domain != 0 && !at_domain(keys.domain, ref)) {
      const auto head = domain_heads.find(keys.domain);
      domain_entries.push_back({ref, head.value_or(no_entry)});
      domain_heads.put(keys.domain, static_cast<std::uint32_t>(domain_entries.size() - 1), true);
    }
  }
};

FileIndex::FileIndex(std::size_t expected_leads) : tables_(std::make_unique<Tables>()) {
  if (expected_leads > 0) {
    tables_->emails.reserve(expected_leads);
    tables_->phones.reserve(expected_leads);
    tables_->domain_heads.reserve(expected_leads / 2);
    tables_->leads.reserve(expected_leads);
    tables_->domain_entries.reserve(expected_leads);
  }
}

FileIndex::~FileIndex() = default;
FileIndex::FileIndex(FileIndex&&) noexcept = default;
FileIndex& FileIndex::operator=(FileIndex&&) noexcept = default;

std::vector<FileIndex::Candidate> FileIndex::find(const MatchKeys& keys,
                                                  const NameFrequency& frequency,
                                                  bool by_name) const {
  const auto& t = *tables_;
  MatchKeys clipped; // names as the index keeps them
  clipped.first = std::string(clip(keys.first));
  clipped.last = std::string(clip(keys.last));
  struct Considered {
    Ref ref;
    bool at_domain; // known to be at the candidate's company domain
  };
  std::vector<Considered> refs;
  const auto consider = [&refs](Ref ref, bool at_domain) {
    const auto known = std::find_if(refs.begin(), refs.end(),
                                    [ref](const Considered& seen) { return seen.ref == ref; });
    if (known == refs.end()) {
      refs.push_back({ref, at_domain});
    } else {
      known->at_domain = known->at_domain || at_domain;
    }
  };
  for (const auto& email : keys.emails) {
    if (const auto ref = t.emails.find(email.hash)) {
      consider(*ref, false);
    }
  }
  for (const auto& phone : keys.phones) {
    if (const auto ref = t.phones.find(phone.number)) {
      consider(*ref, false);
    }
  }
  NameContext names;
  names.common = frequency.common(keys.name_hash());
  if (by_name && keys.domain != 0 && !keys.last.empty()) {
    std::size_t same_exact_name = 0;
    std::size_t named = 0; // leads at the domain whose names agree, considered so far
    const auto head = t.domain_heads.find(keys.domain);
    std::size_t scanned = 0;
    for (auto entry = head.value_or(no_entry); entry != no_entry && scanned < max_domain_scan;
         entry = t.domain_entries[entry].next, ++scanned) {
      const auto ref = t.domain_entries[entry].ref;
      const auto relation = compare_names(clipped.first, clipped.last, t.first(ref), t.last(ref));
      if (relation == NameRelation::exact) {
        ++same_exact_name;
      }
      if ((relation == NameRelation::exact || relation == NameRelation::agree) &&
          named++ < max_domain_candidates) {
        consider(ref, true);
      }
      if (named >= max_domain_candidates && same_exact_name > 1) {
        break; // enough to judge, and the name is ambiguous already
      }
    }
    names.ambiguous = same_exact_name > 1;
  }
  std::vector<Candidate> found;
  for (const auto [ref, at_domain] : refs) {
    const auto domain = at_domain || t.at_domain(keys.domain, ref) ? keys.domain : 0;
    auto summary = t.summary(ref, domain);
    MatchKeys candidate = keys;
    candidate.first = clipped.first;
    candidate.last = clipped.last;
    if (const auto linked = link(candidate, summary, t.shared(keys, ref), names)) {
      found.push_back({ref, *linked});
    }
  }
  // Merges first, strongest first; the order found otherwise.
  std::stable_sort(found.begin(), found.end(), [](const Candidate& a, const Candidate& b) {
    return importer::merges(a.link.rule) &&
           (!importer::merges(b.link.rule) || a.link.rule < b.link.rule);
  });
  return found;
}

FileIndex::Ref FileIndex::add(const Uuid& lead_id, const MatchKeys& keys) {
  auto& t = *tables_;
  if (t.leads.size() >= no_entry) {
    throw std::length_error("FileIndex holds at most 4294967294 leads");
  }
  const auto ref = static_cast<Ref>(t.leads.size());
  t.leads.push_back({lead_id});
  t.set_names(ref, keys);
  t.note_identifiers(ref, keys);
  t.register_keys(ref, keys);
  return ref;
}

void FileIndex::extend(Ref ref, const MatchKeys& keys) {
  auto& t = *tables_;
  const auto& lead = t.leads.at(ref);
  if (lead.first_length == 0 && lead.last_length == 0) {
    t.set_names(ref, keys);
  }
  t.note_identifiers(ref, keys);
  t.register_keys(ref, keys);
}

std::string FileIndex::folded_name(Ref ref) const {
  const auto& t = *tables_;
  const auto first = t.first(ref);
  const auto last = t.last(ref);
  return first.empty() ? std::string(last) : std::string(first) + " " + std::string(last);
}

const Uuid& FileIndex::lead_id(Ref ref) const {
  return tables_->leads.at(ref).id;
}

std::size_t FileIndex::size() const {
  return tables_->leads.size();
}

std::size_t FileIndex::memory_bytes() const {
  const auto& t = *tables_;
  return sizeof(Tables) + t.emails.memory_bytes() + t.phones.memory_bytes() +
         t.domain_heads.memory_bytes() + t.domain_entries.capacity() * sizeof(DomainEntry) +
         t.leads.capacity() * sizeof(LeadRecord) + t.names.memory_bytes();
}

} // namespace leadsync::importer
