#include "pipeline/detail/stored_key_filter.hpp"

#include "clean/detail/text.hpp"

#include <algorithm>

namespace leadsync::importer::detail {
namespace {

// 10 bits and 7 probes per key: about 0.8% false positives.
constexpr std::uint64_t bits_per_key = 10;
constexpr int probes = 7;
// Keys a lead typically has (an e-mail, a phone, a company domain) and room for a second e-mail.
constexpr std::size_t keys_per_lead = 4;

// The bit positions of a key: double hashing from the importer's stable_hash of the
// ASCII-lower-cased key (the store compares e-mails and domains case-insensitively; phones have no
// letters), offset by the kind so that an e-mail and a domain with the same text are different
// keys.
template <typename Visit>
void for_each_bit(store::LookupKind kind, std::string_view key, std::uint64_t bits, Visit visit) {
  const auto first =
      stable_hash(ascii_lower(key)) + static_cast<std::uint64_t>(kind) * 0x9e3779b97f4a7c15ULL;
  const auto step = ((first >> 32U) | (first << 32U)) | 1U;
  for (int i = 0; i < probes; ++i) {
    if (!visit((first + static_cast<std::uint64_t>(i) * step) % bits)) {
      return;
    }
  }
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
  for_each_bit(kind, key, bits_, [this](std::uint64_t bit) {
    words_[bit / 64] |= std::uint64_t{1} << (bit % 64);
    return true;
  });
}

bool StoredKeyFilter::may_hold(store::LookupKind kind, std::string_view key) const {
  bool all_set = true;
  for_each_bit(kind, key, bits_, [&](std::uint64_t bit) {
    all_set = (words_[bit / 64] & (std::uint64_t{1} << (bit % 64))) != 0;
    return all_set;
  });
  return all_set;
}

} // namespace leadsync::importer::detail
