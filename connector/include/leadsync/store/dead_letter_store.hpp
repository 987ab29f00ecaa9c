#pragma once
// Dead letters: changes push gave up on, kept to be inspected, dropped or retried; one role of the
// Store (store/store.hpp). DeadLetter itself is declared with the outbox.

#include "leadsync/core/result.hpp"
#include "leadsync/store/outbox_store.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace leadsync::store {

class DeadLetterStore {
public:
  virtual ~DeadLetterStore() = default;

  // Dead letters.
  virtual Result<std::vector<DeadLetter>> list_dead_letters(std::size_t limit) = 0;
  virtual Result<DeadLetter> get_dead_letter(std::int64_t id) = 0;
  virtual Status drop_dead_letter(std::int64_t id) = 0;
  // Puts the change back into the outbox (new seq) and removes the dead letter, in one transaction.
  virtual Result<OutboxEntry> retry_dead_letter(std::int64_t id) = 0;
};

} // namespace leadsync::store
