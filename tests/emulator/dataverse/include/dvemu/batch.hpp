#pragma once
// POST $batch (dataverse-notes section 5): multipart/mixed with changesets (atomic), Content-ID and
// $n references in URLs and bodies, Prefer: odata.continue-on-error, inner request lines with
// absolute or relative URLs, at most 1,000 requests, GET refused inside a changeset.

#include "dvemu/web_api.hpp"

namespace dvemu {

leadsync::http::Response handle_batch(WebApi& api, const leadsync::http::Request& request,
                                      CallContext& context, const EmulatorOptions& options);

} // namespace dvemu
