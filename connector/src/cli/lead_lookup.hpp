#pragma once
// The one lead an id on the command line names: the whole id, or an unambiguous start or end of it
// (`leads list` prints the end). Says on stderr what is wrong and returns nullopt when none or
// several leads match.

#include "context.hpp"
#include "leadsync/model/lead.hpp"
#include "leadsync/store/store.hpp"

#include <optional>
#include <string>

namespace leadsync::cli {

std::optional<model::Lead> find_one(Context& context, store::Store& store, const std::string& id);

} // namespace leadsync::cli
