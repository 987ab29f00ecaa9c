#pragma once
// The lead fields enrichment may fill, by internal path ("person.job_title"), with the group that
// asks for them and whether they are personal data (consent.hpp). Values travel as text
// (provider.hpp FoundField) and are parsed here into the model's types.

#include "leadsync/core/result.hpp"
#include "leadsync/enrich/provider.hpp"
#include "leadsync/model/lead.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace leadsync::enrich {

struct EnrichableField {
  std::string_view path;
  FieldGroup group;
  bool personal; // about the person (needs consent), not the company
};

// Every enrichable field, in a stable order.
const std::vector<EnrichableField>& enrichable_fields();
const EnrichableField* find_enrichable_field(std::string_view path);

// The field's value as text ("" when empty).
std::string field_text(const model::Lead& lead, std::string_view path);
bool field_empty(const model::Lead& lead, std::string_view path);
// Sets the field from text. Fails (validation) when the text does not fit its type: an employee
// count that is not a non-negative whole number, a revenue that is not a non-negative number.
Status set_field(model::Lead& lead, std::string_view path, std::string_view value);

} // namespace leadsync::enrich
