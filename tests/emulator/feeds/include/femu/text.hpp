#pragma once
// Text helpers the feeds emulator matches and answers with: UTF-8 case mapping (ASCII, Latin-1
// and Cyrillic; Arabic has no case), the normal forms lookups compare (names, companies, domains,
// phones, profile URLs), form-style query parsing and a stable hash for deterministic choices.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace femu {

std::string utf8_lower(std::string_view text);
std::string utf8_upper(std::string_view text);
// "ivan  petrov-sidorov" -> "Ivan  Petrov-Sidorov": the first letter of every word upper case, the
// rest lower case (PDL's titlecase=true).
std::string utf8_titlecase(std::string_view text);

// Lower case, punctuation to spaces, whitespace collapsed: "  АННА   Иванова " -> "анна иванова".
std::string normalize_name(std::string_view name);
// normalize_name plus quotes and legal forms dropped: "ООО «Ромашка»" -> "ромашка",
// "Acme Corp, Inc." -> "acme".
std::string normalize_company_name(std::string_view name);
// "https://www.Acme.com/about" -> "acme.com"; empty when nothing like a host is left.
std::string normalize_domain(std::string_view website);
// The digits of a phone number (ASCII digits only): "+7 (495) 123-45-67" -> "74951234567".
std::string phone_digits(std::string_view phone);
// "https://www.linkedin.com/in/Jane-Doe/" -> "linkedin.com/in/jane-doe".
std::string normalize_profile_url(std::string_view url);
// The last path segment of a profile URL: "github.com/jdoe" -> "jdoe".
std::string profile_handle(std::string_view url);

// A plausible e-mail address: one '@', a non-empty local part, a dotted domain, no spaces.
bool looks_like_email(std::string_view text);

using QueryParams = std::vector<std::pair<std::string, std::string>>;
// Splits an application/x-www-form-urlencoded query ("a=1&b=x+y") into decoded pairs in order;
// '+' is a space, as URLSearchParams (the PDL JS SDK) and needle (the Clearbit client) encode it.
// nullopt on a broken %-escape.
std::optional<QueryParams> parse_form_query(std::string_view query);

// Decodes standard base64 (with or without padding); nullopt when it is not base64.
std::optional<std::string> base64_decode(std::string_view text);

// FNV-1a 64-bit, then a splitmix64 finaliser so nearby inputs spread well.
std::uint64_t stable_hash(std::string_view text, std::uint64_t seed = 0);
// A number in [0, 1) derived from a hash, for "a share of queries" decisions.
double unit_fraction(std::uint64_t hash);

} // namespace femu
