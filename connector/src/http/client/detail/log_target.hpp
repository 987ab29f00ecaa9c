#pragma once
// What the client side may log about a request URL: the path only. Query strings are left out
// because OData filters and alternate keys can hold e-mail addresses and other personal data.

#include <string>
#include <string_view>

namespace leadsync::http::detail {

// "/api/data/v9.2/leads(…)" for "https://org.crm.dynamics.com/api/data/v9.2/leads(…)?$select=x".
std::string path_for_log(std::string_view url);

} // namespace leadsync::http::detail
