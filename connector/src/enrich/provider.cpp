#include "leadsync/enrich/provider.hpp"

namespace leadsync::enrich {

std::string_view to_string(FieldGroup group) {
  switch (group) {
  case FieldGroup::person:
    return "person";
  case FieldGroup::company:
    return "company";
  case FieldGroup::social:
    return "social";
  }
  return "person";
}

std::optional<FieldGroup> parse_field_group(std::string_view text) {
  for (const FieldGroup group : {FieldGroup::person, FieldGroup::company, FieldGroup::social}) {
    if (text == to_string(group)) {
      return group;
    }
  }
  return std::nullopt;
}

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
  case Outcome::matched:
    return "matched";
  case Outcome::no_match:
    return "no_match";
  case Outcome::pending:
    return "pending";
  case Outcome::invalid_input:
    return "invalid_input";
  }
  return "no_match";
}

std::vector<Result<Answer>> Provider::lookup_many(const std::vector<Query>& queries,
                                                  FieldGroup group,
                                                  const http::CallContext& context) {
  std::vector<Result<Answer>> results;
  results.reserve(queries.size());
  for (const Query& query : queries) {
    results.push_back(lookup(query, group, context));
  }
  return results;
}

} // namespace leadsync::enrich
