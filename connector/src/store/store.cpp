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
  case OutboxOperation::merge:
    return "merge";
  }
  return "unknown";
}

std::string_view to_string(DuplicateStatus status) {
  switch (status) {
  case DuplicateStatus::open:
    return "open";
  case DuplicateStatus::merged:
    return "merged";
  case DuplicateStatus::not_duplicate:
    return "not_duplicate";
  }
  return "unknown";
}

std::string_view to_string(FeedKeyKind kind) {
  switch (kind) {
  case FeedKeyKind::email:
    return "email";
  case FeedKeyKind::phone:
    return "phone";
  case FeedKeyKind::profile:
    return "profile";
  case FeedKeyKind::domain:
    return "domain";
  }
  return "unknown";
}

std::string_view to_string(WebhookEventState state) {
  switch (state) {
  case WebhookEventState::pending:
    return "pending";
  case WebhookEventState::done:
    return "done";
  case WebhookEventState::failed:
    return "failed";
  }
  return "unknown";
}

} // namespace leadsync::store
