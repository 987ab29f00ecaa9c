#pragma once
// One keyed write of the Crm interface (sync/crm.hpp), in a header of its own so that crm.hpp
// needs only nlohmann/json_fwd.hpp: what holds a JSON body by value needs the whole library.

#include <nlohmann/json.hpp>
#include <string>

namespace leadsync::sync {

// One keyed PATCH upsert of a $batch: the row URL relative to the service root
// ("leads(leadsync_externalid='x')" or "leads(<leadid>)") and the body.
struct KeyedWrite {
  std::string row_url;
  nlohmann::json body;
};

} // namespace leadsync::sync
