// Host names to IDNA ASCII (ICU UTS #46) and registrable domains (libpsl's built-in Public Suffix
// List).

#include "clean/detail/text.hpp"
#include "leadsync/importer/normalize.hpp"

#include <algorithm>
#include <libpsl.h>
#include <memory>
#include <unicode/uidna.h>

namespace leadsync::importer {
namespace {

constexpr std::size_t max_domain_length = 253;
constexpr std::size_t max_label_length = 63;

// The UTS #46 converter: created once, immutable and documented thread-safe.
const UIDNA* uts46() {
  static const std::unique_ptr<UIDNA, decltype(&uidna_close)> instance = [] {
    UErrorCode status = U_ZERO_ERROR;
    UIDNA* idna = uidna_openUTS46(UIDNA_USE_STD3_RULES | UIDNA_CHECK_BIDI | UIDNA_CHECK_CONTEXTJ |
                                      UIDNA_NONTRANSITIONAL_TO_ASCII,
                                  &status);
    return std::unique_ptr<UIDNA, decltype(&uidna_close)>(U_SUCCESS(status) ? idna : nullptr,
                                                          &uidna_close);
  }();
  return instance.get();
}

// Letters, digits and inner hyphens; 1-63 characters; at least two labels; the last not all digits.
bool is_ldh_host(std::string_view host) {
  if (host.empty() || host.size() > max_domain_length) {
    return false;
  }
  std::size_t labels = 0;
  std::size_t start = 0;
  std::string_view label;
  while (start <= host.size()) {
    auto end = host.find('.', start);
    if (end == std::string_view::npos) {
      end = host.size();
    }
    label = host.substr(start, end - start);
    if (label.empty() || label.size() > max_label_length || label.front() == '-' ||
        label.back() == '-') {
      return false;
    }
    for (const char c : label) {
      if (!detail::is_ascii_alpha(c) && !detail::is_ascii_digit(c) && c != '-') {
        return false;
      }
    }
    ++labels;
    start = end + 1;
  }
  const bool numeric_top_label =
      std::all_of(label.begin(), label.end(), [](char c) { return detail::is_ascii_digit(c); });
  return labels >= 2 && !numeric_top_label;
}

// Plain lower-case ASCII needs no IDNA mapping unless a label looks like punycode ("xn--") or
// otherwise has hyphens in positions 3-4, which UTS #46 must validate.
bool needs_idna(std::string_view host) {
  if (!detail::is_ascii(host)) {
    return true;
  }
  for (std::size_t dot = 0;;) {
    if (host.size() >= dot + 4 && host[dot + 2] == '-' && host[dot + 3] == '-') {
      return true;
    }
    dot = host.find('.', dot);
    if (dot == std::string_view::npos) {
      return false;
    }
    ++dot;
  }
}

std::optional<std::string> idna_to_ascii(std::string_view host) {
  const UIDNA* idna = uts46();
  if (idna == nullptr) {
    return std::nullopt;
  }
  std::string ascii(host.size() * 4 + 16, '\0');
  UIDNAInfo info = UIDNA_INFO_INITIALIZER;
  UErrorCode status = U_ZERO_ERROR;
  const auto length =
      uidna_nameToASCII_UTF8(idna, host.data(), static_cast<std::int32_t>(host.size()),
                             ascii.data(), static_cast<std::int32_t>(ascii.size()), &info, &status);
  if (U_FAILURE(status) || info.errors != 0) {
    return std::nullopt;
  }
  ascii.resize(static_cast<std::size_t>(length));
  return ascii;
}

bool is_ipv4(std::string_view host) {
  return !host.empty() && std::all_of(host.begin(), host.end(),
                                      [](char c) { return detail::is_ascii_digit(c) || c == '.'; });
}

// The host of a URL or of a bare host name, without scheme, user info, port, path, query or
// fragment.
std::optional<std::string_view> url_host(std::string_view url) {
  if (const auto scheme_end = url.find("://"); scheme_end != std::string_view::npos) {
    const auto scheme = url.substr(0, scheme_end);
    const bool is_scheme = !scheme.empty() && detail::is_ascii_alpha(scheme.front()) &&
                           std::all_of(scheme.begin(), scheme.end(), [](char c) {
                             return detail::is_ascii_alpha(c) || detail::is_ascii_digit(c) ||
                                    c == '+' || c == '-' || c == '.';
                           });
    if (!is_scheme) {
      return std::nullopt;
    }
    url.remove_prefix(scheme_end + 3);
  } else if (url.starts_with("//")) {
    url.remove_prefix(2);
  }
  auto host = url.substr(0, url.find_first_of("/?#"));
  if (const auto at = host.rfind('@'); at != std::string_view::npos) {
    host.remove_prefix(at + 1);
  }
  if (host.starts_with('[')) {
    return std::nullopt; // an IPv6 literal
  }
  if (const auto colon = host.find(':'); colon != std::string_view::npos) {
    const auto port = host.substr(colon + 1);
    if (!std::all_of(port.begin(), port.end(), [](char c) { return detail::is_ascii_digit(c); })) {
      return std::nullopt;
    }
    host = host.substr(0, colon);
  }
  return host;
}

} // namespace

std::optional<std::string> to_ascii_domain(std::string_view host) {
  const auto cleaned = clean_text(host);
  std::string_view name = cleaned;
  if (name.ends_with('.')) {
    name.remove_suffix(1);
  }
  if (name.empty()) {
    return std::nullopt;
  }
  auto ascii = needs_idna(name) ? idna_to_ascii(name) : std::optional(detail::ascii_lower(name));
  if (!ascii || !is_ldh_host(*ascii)) {
    return std::nullopt;
  }
  return ascii;
}

std::optional<std::string> registrable_domain(std::string_view url_or_host) {
  const auto cleaned = clean_text(url_or_host);
  const auto host = url_host(cleaned);
  if (!host || is_ipv4(*host)) {
    return std::nullopt;
  }
  auto ascii = to_ascii_domain(*host);
  if (!ascii) {
    return std::nullopt;
  }
  std::string_view name = *ascii;
  if (name.starts_with("www.")) {
    name.remove_prefix(4);
  }
  const psl_ctx_t* psl = psl_builtin();
  if (psl == nullptr) {
    return std::nullopt;
  }
  const std::string terminated(name);
  const char* registrable = psl_registrable_domain(psl, terminated.c_str());
  if (registrable == nullptr) {
    return std::nullopt;
  }
  return std::string(registrable);
}

} // namespace leadsync::importer
