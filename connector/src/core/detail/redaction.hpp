#pragma once
// The individual redaction passes behind log::Redactor, as pure functions over text.

#include <string>
#include <string_view>
#include <vector>

namespace leadsync::log::detail {

inline constexpr std::string_view redacted_marker = "[REDACTED]";

// Replaces every occurrence of each secret; `secrets` must be ordered longest first so that a
// secret containing another one is masked whole.
std::string mask_secrets(std::string_view text, const std::vector<std::string>& secrets);

// Bearer tokens, Authorization header values, and client_secret / password / access_token /
// refresh_token values in query strings, form bodies and JSON.
std::string mask_credentials(std::string_view text);

// E-mail addresses, replaced by mask_email().
std::string mask_emails(std::string_view text);

// Phone numbers, replaced by mask_phone(). See the rule in redaction.cpp.
std::string mask_phones(std::string_view text);

} // namespace leadsync::log::detail
