#include "pipeline/detail/stored_key_filter.hpp"

#include <algorithm>

namespace leadsync::importer::detail {
namespace {

// 10 bits and 7 probes per key: about 0.8% false positives.
constexpr std::uint64_t bits_per_key = 10;
constexpr int probes = 7;
// Keys a lead typically has (an e-mail, a phone, a company domain) and room for a second e-mail.
constexpr std::size_t keys_per_lead = 4;

// FNV-1a over the kind and the ASCII-lower-cased key (the store compares e-mails and domains
// case-insensitively; phones have no letters), then a final mix for the second probe hash.
std::uint64_t key_hash(store::LookupKind kind, std::string_view key) {
  std::uint64_t hash = 0xcbf29ce484222325ULL ^ static_cast<std::uint64_t>(kind);
  for (const char c : key) {
    const auto byte = static_cast<unsigned char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
    hash = (hash ^ byte) * 0x100000001b3ULL;
  }
  return hash;
}

std::uint64_t mix(std::uint64_t value) {
  value ^= value >> 33U;
  value *= 0xff51afd7ed558ccdULL;
  value ^= value >> 33U;
  return value;
}

} // namespace

StoredKeyFilter::StoredKeyFilter(std::size_t expected_keys)
    : words_((std::max<std::size_t>(expected_keys, 64) * bits_per_key + 63) / 64, 0),
      bits_(words_.size() * 64) {}

Result<StoredKeyFilter> StoredKeyFilter::load(store::Store& store) {
  LEADSYNC_TRY(const auto stats, store.stats());
  StoredKeyFilter filter(static_cast<std::size_t>(stats.leads + stats.tombstones) * keys_per_lead);
  LEADSYNC_CHECK(store.scan_lookup_keys(
      [&filter](store::LookupKind kind, std::string_view key) { filter.add(kind, key); }));
  return filter;
}

void StoredKeyFilter::add(store::LookupKind kind, std::string_view key) {
  const auto first = key_hash(kind, key);
  const auto step = mix(first) | 1U;
  for (int i = 0; i < probes; ++i) {
    const auto bit = (first + static_cast<std::uint64_t>(i) * step) % bits_;
    words_[bit / 64] |= std::uint64_t{1} << (bit % 64);
  }
}

bool StoredKeyFilter::may_hold(store::LookupKind kind, std::string_view key) const {
  const auto first = key_hash(kind, key);
  const auto step = mix(first) | 1U;
  for (int i = 0; i < probes; ++i) {
    const auto bit = (first + static_cast<std::uint64_t>(i) * step) % bits_;
    if ((words_[bit / 64] & (std::uint64_t{1} << (bit % 64))) == 0) {
      return false;
    }
  }
  return true;
}

} // namespace leadsync::importer::detail
