#pragma once
// A Bloom filter of the keys the store matches duplicates on, so that a bulk import asks the store
// only about keys that may be there: a first import into an empty store asks nothing, and one into
// a full store asks about the rows that are probably duplicates (plus about 1% of the others).

#include "leadsync/core/result.hpp"
#include "leadsync/store/store.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace leadsync::importer::detail {

class StoredKeyFilter {
public:
  // Reads every lookup key of `store`, sized by its lead count.
  static Result<StoredKeyFilter> load(store::Store& store);

  // False when the store certainly has no lead with this key (e-mails and domains in any case).
  bool may_hold(store::LookupKind kind, std::string_view key) const;
  void add(store::LookupKind kind, std::string_view key);

private:
  explicit StoredKeyFilter(std::size_t expected_keys);
  std::vector<std::uint64_t> words_;
  std::uint64_t bits_ = 0;
};

} // namespace leadsync::importer::detail
