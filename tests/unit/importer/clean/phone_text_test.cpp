// The compact form normalize_phone hands libphonenumber must parse exactly as the text it came
// from: checked here against PhoneNumberUtil::Parse itself.

#include "clean/detail/phone_text.hpp"

#include <gtest/gtest.h>
#include <map>
#include <phonenumbers/phonenumberutil.h>
#include <random>

namespace leadsync::importer::detail {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

TEST(PlainPhoneDigits, KeepsTheDigitsAndALeadingPlusInAnyDigitSystem) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"+7 (916) 123-45-67", "+79161234567"},  {"8 925 123 45 67", "89251234567"},
      {"212.555.0123", "2125550123"},          {"(212) 555-0123", "2125550123"},
      {"00971 50 123 4567", "00971501234567"}, {"٠٥٠ ١٢٣ ٤٥٦٧", "0501234567"}, // Arabic-Indic
      {"+۹۸ ۹۱۲ ۳۴۵ ۶۷۸۹", "+989123456789"}, // Eastern Arabic-Indic
  };
  for (const auto& [text, digits] : cases) {
    EXPECT_EQ(plain_phone_digits(text), digits) << text;
  }
}

TEST(PlainPhoneDigits, LeavesEverythingElseToTheFullParse) {
  for (const std::string text :
       {"1-800-FLOWERS", "+1 212 555 0123 ext. 45", "212 555 0123 #45", "212 555 0123,,45",
        "212/555-0123", "(+7) 916 123 45 67", "+7 916 123 45 67 +1", "tel:+79161234567", "12",
        "+1-2", "", "\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93"}) { // full-width "123"
    EXPECT_FALSE(plain_phone_digits(text).has_value()) << text;
  }
  EXPECT_FALSE(plain_phone_digits(std::string(phone_parse_max_input + 1, '5')).has_value());
  EXPECT_TRUE(plain_phone_digits(std::string(phone_parse_max_input, '5')).has_value());
}

// Every field Parse sets, and whether it is set.
std::string fields(const PhoneNumber& number) {
  std::string text;
  text +=
      "country_code=" + (number.has_country_code() ? std::to_string(number.country_code()) : "-");
  text += " national_number=" +
          (number.has_national_number() ? std::to_string(number.national_number()) : "-");
  text += " extension=" + (number.has_extension() ? number.extension() : "-");
  text += " italian_leading_zero=" +
          (number.has_italian_leading_zero() ? std::to_string(number.italian_leading_zero()) : "-");
  text += " number_of_leading_zeros=" + (number.has_number_of_leading_zeros()
                                             ? std::to_string(number.number_of_leading_zeros())
                                             : "-");
  text += " raw_input=" + (number.has_raw_input() ? number.raw_input() : "-");
  text += " country_code_source=" +
          (number.has_country_code_source() ? std::to_string(number.country_code_source()) : "-");
  text += " carrier=" + (number.has_preferred_domestic_carrier_code()
                             ? number.preferred_domestic_carrier_code()
                             : "-");
  return text;
}

// Texts written the ways lists write numbers, some valid, some not, in many regions.
std::vector<std::string> generated_texts(std::mt19937& random) {
  const std::vector<std::string> prefixes = {"", "+", "00", "8", "0", "1", "011", "810", "+0"};
  const std::vector<std::string> separators = {"", "", " ", "-", ".", "(", ")", " (", ") ", "  "};
  const std::vector<std::string> digit_forms[] = {
      {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"},
      {"٠", "١", "٢", "٣", "٤", "٥", "٦", "٧", "٨", "٩"},
      {"۰", "۱", "۲", "۳", "۴", "۵", "۶", "۷", "۸", "۹"}};
  std::vector<std::string> texts;
  for (int i = 0; i < 3000; ++i) {
    const auto& digits = digit_forms[random() % 10 < 8 ? 0 : 1 + random() % 2];
    std::string text = (random() % 3 == 0 ? "(" : "") + prefixes[random() % prefixes.size()];
    const auto length = 1 + random() % 16;
    for (std::size_t d = 0; d < length; ++d) {
      if (d > 0 && random() % 3 == 0) {
        text += separators[random() % separators.size()];
      }
      text += digits[random() % 10];
    }
    if (random() % 5 == 0) {
      text += ")";
    }
    texts.push_back(text);
  }
  // Real numbers in the shapes of tests/bench/import_bench.cpp and of the lists in tests/data.
  for (const std::string text :
       {"+7 (916) 123-45-67", "8 925 123 45 67", "8-903-1234567", "+79851234567",
        "+971 50 123 4567", "٠٥٠ ١٢٣ ٤٥٦٧", "055-123-4567", "(212) 555-0123", "+1 415 234 5678",
        "646.345.6789", "+44 (0) 20 7946 0000", "020 7946 0000", "+39 06 1234 5678", "06 1234 5678",
        "+49 (30) 123456", "0 800 123 456", "+86 138 0013 8000", "0039 06 123456"}) {
    texts.push_back(text);
  }
  return texts;
}

TEST(PlainPhoneDigits, ParseAsTheTextTheyCameFrom) {
  const auto* util = PhoneNumberUtil::GetInstance();
  std::mt19937 random(20261123); // fixed: the same texts every run
  const auto texts = generated_texts(random);
  const std::vector<std::string> regions = {"US", "CA", "RU", "KZ", "AE", "SA", "GB", "DE",
                                            "IT", "FR", "BR", "IN", "CN", "EG", "ZZ"};
  std::map<PhoneNumberUtil::ErrorType, int> outcomes;
  int valid = 0;
  for (const auto& text : texts) {
    const auto plain = plain_phone_digits(text);
    if (!plain) {
      continue;
    }
    for (const auto& region : regions) {
      PhoneNumber from_text;
      PhoneNumber from_plain;
      const auto text_error = util->Parse(text, region, &from_text);
      const auto plain_error = util->Parse(*plain, region, &from_plain);
      ASSERT_EQ(plain_error, text_error) << "'" << text << "' as '" << *plain << "' in " << region;
      ASSERT_EQ(fields(from_plain), fields(from_text))
          << "'" << text << "' as '" << *plain << "' in " << region;
      ++outcomes[text_error];
      valid += text_error == PhoneNumberUtil::NO_PARSING_ERROR && util->IsValidNumber(from_text);
    }
  }
  // The comparison must have met parsed numbers, valid ones and each kind of refusal a text of
  // three or more digits can get (NOT_A_NUMBER needs fewer digits or other characters).
  EXPECT_GT(outcomes[PhoneNumberUtil::NO_PARSING_ERROR], 10'000);
  EXPECT_GT(valid, 500);
  EXPECT_GT(outcomes[PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR], 100);
  EXPECT_GT(outcomes[PhoneNumberUtil::TOO_SHORT_NSN], 100);
  EXPECT_GT(outcomes[PhoneNumberUtil::TOO_SHORT_AFTER_IDD], 100);
  EXPECT_GT(outcomes[PhoneNumberUtil::TOO_LONG_NSN], 100);
}

} // namespace
} // namespace leadsync::importer::detail
