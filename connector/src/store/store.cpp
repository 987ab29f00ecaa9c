#include "leadsync/store/store.hpp"

namespace leadsync::store {

std::string_view to_string(OutboxOperation op) {
  switch (op) {
  case OutboxOperation::upsert:
    return "upsert";
  case OutboxOperation::qualify:
    return "qualify";
  case OutboxOperation::disqualify:
    return "disqualify";
  case OutboxOperation::reactivate:
    return "reactivate";
  case OutboxOperation::remove:
    return "remove";
  }
  return "unknown";
}

} // namespace leadsync::store
