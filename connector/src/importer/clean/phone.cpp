// Phone numbers through libphonenumber.

#include "clean/detail/phone_text.hpp"
#include "clean/detail/text.hpp"
#include "leadsync/importer/normalize.hpp"

#include <phonenumbers/phonenumberutil.h>
#include <unicode/uchar.h>

namespace leadsync::importer {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

constexpr std::size_t min_e164_digits = 8;
constexpr std::size_t max_e164_digits = 15;
constexpr std::size_t min_international_digits = 10;

struct Parsed {
  PhoneNumber number;
  PhoneNumberUtil::ErrorType error = PhoneNumberUtil::NOT_A_NUMBER;
  // GetNumberType returns UNKNOWN exactly when IsValidNumber is false (both test the national
  // number against the same metadata patterns), so one call gives validity and kind.
  PhoneNumberUtil::PhoneNumberType type = PhoneNumberUtil::UNKNOWN;
  bool valid() const { return type != PhoneNumberUtil::UNKNOWN; }
};

Parsed parse(const std::string& text, const std::string& region) {
  const auto* util = PhoneNumberUtil::GetInstance();
  Parsed parsed;
  // Same result, fewer regular expressions: see detail/phone_text.hpp.
  const auto plain = detail::plain_phone_digits(text);
  parsed.error = util->Parse(plain ? *plain : text, region, &parsed.number);
  if (parsed.error == PhoneNumberUtil::NO_PARSING_ERROR) {
    parsed.type = util->GetNumberType(parsed.number);
  }
  return parsed;
}

std::size_t count_digits(std::string_view text) {
  std::size_t digits = 0;
  for (std::int32_t i = 0; i < static_cast<std::int32_t>(text.size());) {
    digits += u_isdigit(detail::next_code_point(text, i)) ? 1 : 0;
  }
  return digits;
}

// How the number reads when taken as international: "00 971..." (the IDD prefix most of the world
// uses, whatever the list's region) and "79161234567" (a '+' a spreadsheet dropped). Empty when
// neither applies.
std::string international_reading(std::string_view text) {
  if (text.starts_with("00")) {
    return "+" + std::string(text.substr(2));
  }
  if (!text.starts_with('+') && count_digits(text) >= min_international_digits) {
    return "+" + std::string(text);
  }
  return {};
}

model::PhoneKind guess_kind(const Parsed& parsed) {
  if (!parsed.valid()) {
    return model::PhoneKind::other;
  }
  return parsed.type == PhoneNumberUtil::MOBILE ? model::PhoneKind::mobile
                                                : model::PhoneKind::business;
}

model::LineType line_type(const Parsed& parsed) {
  switch (parsed.type) {
  case PhoneNumberUtil::MOBILE:
    return model::LineType::mobile;
  case PhoneNumberUtil::FIXED_LINE:
    return model::LineType::fixed_line;
  case PhoneNumberUtil::FIXED_LINE_OR_MOBILE:
    return model::LineType::fixed_line_or_mobile;
  case PhoneNumberUtil::TOLL_FREE:
    return model::LineType::toll_free;
  case PhoneNumberUtil::VOIP:
    return model::LineType::voip;
  case PhoneNumberUtil::UNKNOWN:
    return model::LineType::unknown;
  default:
    return model::LineType::other;
  }
}

std::string parse_problem(const std::string& raw, PhoneNumberUtil::ErrorType error,
                          const std::string& region) {
  const auto quoted = "phone '" + raw + "'";
  switch (error) {
  case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
    if (raw.starts_with('+') || raw.starts_with("00")) {
      return quoted + " has an unknown country code";
    }
    return quoted + " has no country code and the default region '" + region +
           "' is not a known region: set it (--region or import.default_region) to an ISO 3166 "
           "code such as US, RU or AE";
  case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
  case PhoneNumberUtil::TOO_SHORT_NSN:
    return quoted + " is too short to be a phone number";
  case PhoneNumberUtil::TOO_LONG_NSN:
    return quoted + " is too long to be a phone number";
  default:
    return quoted + " is not a phone number";
  }
}

} // namespace

bool is_supported_region(std::string_view region) {
  return PhoneNumberUtil::GetInstance()->GetCountryCodeForRegion(detail::ascii_upper(region)) != 0;
}

PhoneCheck normalize_phone(std::string_view raw, std::string_view default_region,
                           std::optional<model::PhoneKind> kind) {
  PhoneCheck check;
  check.phone.raw = clean_text(raw);
  const auto region = detail::ascii_upper(default_region);
  if (check.phone.raw.empty()) {
    check.phone.kind = kind.value_or(model::PhoneKind::other);
    check.problem = "phone is empty";
    return check;
  }
  auto parsed = parse(check.phone.raw, region);
  if (!parsed.valid()) {
    if (const auto alternative = international_reading(check.phone.raw); !alternative.empty()) {
      auto international = parse(alternative, "ZZ");
      if (international.valid()) {
        parsed = std::move(international);
      }
    }
  }
  check.phone.kind = kind.value_or(guess_kind(parsed));
  if (parsed.error != PhoneNumberUtil::NO_PARSING_ERROR) {
    check.problem = parse_problem(check.phone.raw, parsed.error, region);
    return check;
  }
  const auto* util = PhoneNumberUtil::GetInstance();
  std::string e164;
  util->Format(parsed.number, PhoneNumberUtil::E164, &e164);
  check.phone.extension = parsed.number.extension();
  check.phone.valid = parsed.valid();
  if (check.phone.valid) {
    check.phone.e164 = std::move(e164);
    check.phone.line_type = line_type(parsed);
    return check;
  }
  const auto digits = e164.size() - 1;
  if (util->IsPossibleNumber(parsed.number) && digits >= min_e164_digits &&
      digits <= max_e164_digits) {
    // Kept for a person to look at; valid=false says not to trust it.
    check.phone.e164 = std::move(e164);
  }
  check.problem = "phone '" + check.phone.raw + "' is not a valid number";
  if (!check.phone.raw.starts_with('+')) {
    check.problem += " for region " + region;
  }
  return check;
}

} // namespace leadsync::importer
