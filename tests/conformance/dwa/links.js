// Validates OData links with the third-party @odata/parser.
"use strict";
const { defaultParser } = require("@odata/parser");

const servicePath = "/api/data/v9.2";

// @odata/parser 0.2.14 (the latest release) has no rule for $deltatoken, a standard OData system query
// option, so it rejects every delta link whatever its content. The token's characters are held to the
// same rule as $skiptoken's (qchar-no-AMP), which the parser does implement: the delta link is parsed
// with the option name swapped, and everything else in the link is checked as it is.
function parseLink(link) {
  const url = new URL(link);
  if (!url.pathname.startsWith(servicePath + "/")) {
    throw new Error(`link outside the service root: ${link}`);
  }
  const relative = url.pathname.slice(servicePath.length) + url.search;
  return defaultParser.odataUri(relative.replace("$deltatoken=", "$skiptoken="));
}

module.exports = { parseLink };
