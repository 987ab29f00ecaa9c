#include "leadsync/importer/normalize.hpp"

#include <gtest/gtest.h>
#include <thread>

namespace leadsync::importer {
namespace {

using model::PhoneKind;

struct PhoneCase {
  std::string raw;
  std::string region;
  std::string e164;
  std::string extension;
};

TEST(NormalizePhone, ReadsTheWaysListsWriteNumbers) {
  const std::vector<PhoneCase> cases = {
      {"+7 (495) 123-45-67", "RU", "+74951234567", ""},
      {"8 495 123 45 67", "RU", "+74951234567", ""},
      {"8 (916) 123-45-67", "RU", "+79161234567", ""},
      {"(212) 555-0100", "US", "+12125550100", ""},
      {"212.555.0100", "US", "+12125550100", ""},
      {"+1 212 555 0100", "RU", "+12125550100", ""}, // a country code beats the region
      {"+971 4 323 4567", "AE", "+97143234567", ""},
      {"04 323 4567", "AE", "+97143234567", ""},
      {"+44 20 7946 0958", "GB", "+442079460958", ""},
      {"tel:+1-212-555-0100", "US", "+12125550100", ""},
      {"+1 212 555 0100 ext. 12", "US", "+12125550100", "12"},
      {"212-555-0100 x34", "US", "+12125550100", "34"},
      {"+7 495 123-45-67 доб. 89", "RU", "+74951234567", "89"},
  };
  for (const auto& c : cases) {
    const auto check = normalize_phone(c.raw, c.region, PhoneKind::business);
    EXPECT_TRUE(check.phone.valid) << c.raw << ": " << check.problem;
    EXPECT_EQ(check.phone.e164, c.e164) << c.raw;
    EXPECT_EQ(check.phone.extension, c.extension) << c.raw;
    EXPECT_EQ(check.phone.raw, c.raw) << c.raw;
    EXPECT_TRUE(check.problem.empty()) << c.raw;
  }
}

TEST(NormalizePhone, UnderstandsArabicIndicAndEasternArabicIndicDigits) {
  const auto egypt = normalize_phone("٠١٠٠١٢٣٤٥٦٧", "EG");
  EXPECT_TRUE(egypt.phone.valid) << egypt.problem;
  EXPECT_EQ(egypt.phone.e164, "+201001234567");
  EXPECT_EQ(egypt.phone.raw, "٠١٠٠١٢٣٤٥٦٧");

  const auto iran = normalize_phone("۰۹۱۲۳۴۵۶۷۸۹", "IR");
  EXPECT_TRUE(iran.phone.valid) << iran.problem;
  EXPECT_EQ(iran.phone.e164, "+989123456789");

  const auto mixed = normalize_phone("+٩٧١ ٥٠ ١٢٣ ٤٥٦٧", "US");
  EXPECT_TRUE(mixed.phone.valid) << mixed.problem;
  EXPECT_EQ(mixed.phone.e164, "+971501234567");
}

TEST(NormalizePhone, ReadsInternationalNumbersWithoutAPlusWhenTheRegionCannot) {
  // The "00" prefix, whatever the list's region, and a '+' a spreadsheet dropped.
  EXPECT_EQ(normalize_phone("00971 4 323 4567", "US").phone.e164, "+97143234567");
  EXPECT_EQ(normalize_phone("79161234567", "US").phone.e164, "+79161234567");
  // A number valid in the region is read in the region.
  EXPECT_EQ(normalize_phone("2125550100", "US").phone.e164, "+12125550100");
}

TEST(NormalizePhone, FlagsANumberThatParsesButIsNotValid) {
  const auto check = normalize_phone("555-0100", "US", PhoneKind::business);
  EXPECT_FALSE(check.phone.valid);
  EXPECT_EQ(check.phone.e164, "+15550100"); // possible, kept for a person, not trusted
  EXPECT_EQ(check.problem, "phone '555-0100' is not a valid number for region US");

  // Dubai fixed lines do not start 04-1: libphonenumber's metadata says this one is not valid.
  const auto dubai = normalize_phone("+971 4 123 4567", "AE");
  EXPECT_FALSE(dubai.phone.valid);
  EXPECT_EQ(dubai.problem, "phone '+971 4 123 4567' is not a valid number");
}

TEST(NormalizePhone, KeepsNoE164WhenTheNumberIsNotEvenPossible) {
  const auto check = normalize_phone("12", "US");
  EXPECT_FALSE(check.phone.valid);
  EXPECT_TRUE(check.phone.e164.empty());
  EXPECT_FALSE(check.problem.empty());
}

TEST(NormalizePhone, ExplainsWhatCannotBeParsed) {
  EXPECT_EQ(normalize_phone("call me", "US").problem, "phone 'call me' is not a phone number");
  EXPECT_EQ(normalize_phone("  ", "US").problem, "phone is empty");
  EXPECT_EQ(normalize_phone("+999 1234 5678", "US").problem,
            "phone '+999 1234 5678' has an unknown country code");
  const auto no_region = normalize_phone("(212) 555-0100", "XX");
  EXPECT_FALSE(no_region.phone.valid);
  EXPECT_NE(no_region.problem.find("default region 'XX' is not a known region"), std::string::npos)
      << no_region.problem;
  EXPECT_NE(no_region.problem.find("--region"), std::string::npos);
}

TEST(NormalizePhone, GuessesTheKindOnlyWhenNotGiven) {
  EXPECT_EQ(normalize_phone("+7 916 123-45-67", "RU").phone.kind, PhoneKind::mobile);
  EXPECT_EQ(normalize_phone("+7 495 123-45-67", "RU").phone.kind, PhoneKind::business);
  // US numbers do not say fixed or mobile: a generic column is taken as the business line.
  EXPECT_EQ(normalize_phone("(212) 555-0100", "US").phone.kind, PhoneKind::business);
  EXPECT_EQ(normalize_phone("555-0100", "US").phone.kind, PhoneKind::other);
  EXPECT_EQ(normalize_phone("+7 916 123-45-67", "RU", PhoneKind::home).phone.kind, PhoneKind::home);
}

TEST(SupportedRegion, KnowsIsoRegionsInAnyCase) {
  EXPECT_TRUE(is_supported_region("US"));
  EXPECT_TRUE(is_supported_region("ru"));
  EXPECT_TRUE(is_supported_region("AE"));
  EXPECT_FALSE(is_supported_region("XX"));
  EXPECT_FALSE(is_supported_region(""));
}

TEST(RegionForCountry, ReadsCodesAndNamesInEnglishRussianAndArabic) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"RU", "RU"},
      {"rus", "RU"},
      {"Russia", "RU"},
      {"Россия", "RU"},
      {"روسيا", "RU"},
      {"Russian Federation", "RU"},
      {"USA", "US"},
      {"United States", "US"},
      {"США", "US"},
      {"UAE", "AE"},
      {"ОАЭ", "AE"},
      {"United Arab Emirates", "AE"},
      {"الإمارات العربية المتحدة", "AE"},
      {"مصر", "EG"},
      {"egypt", "EG"},
      {"  GERMANY ", "DE"},
      {"Германия", "DE"},
      {"UK", "GB"},
  };
  for (const auto& [country, region] : cases) {
    EXPECT_EQ(region_for_country(country), region) << country;
  }
  EXPECT_FALSE(region_for_country("Atlantis").has_value());
  EXPECT_FALSE(region_for_country("").has_value());
}

TEST(LanguageTag, ReadsTagsCodesAndLanguageNames) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"EN", "en"},      {"ar_sa", "ar-SA"}, {"zh-hant-tw", "zh-Hant-TW"},
      {"rus", "ru"},     {"Russian", "ru"},  {"русский", "ru"},
      {"العربية", "ar"}, {"Arabic", "ar"},   {"английский", "en"},
  };
  for (const auto& [text, tag] : cases) {
    EXPECT_EQ(language_tag(text), tag) << text;
  }
  EXPECT_FALSE(language_tag("xx").has_value());
  EXPECT_FALSE(language_tag("Elvish dialect").has_value());
}

TEST(Normalizers, GiveTheSameResultsFromConcurrentThreads) {
  const std::vector<std::string> phones = {"+7 (495) 123-45-67", "(212) 555-0100", "٠١٠٠١٢٣٤٥٦٧",
                                           "555-0100"};
  const std::vector<std::string> emails = {"Ivan@Пример.РФ", "sales@gmail.com", "x@"};
  auto run = [&] {
    std::string out;
    for (int round = 0; round < 50; ++round) {
      for (const auto& phone : phones) {
        out += normalize_phone(phone, "EG").phone.e164 + ";";
      }
      for (const auto& email : emails) {
        out += normalize_email(email).address + ";";
      }
      out += normalize_name("ИВАНОВ") + registrable_domain("www.example.co.uk").value_or("") +
             region_for_country("Россия").value_or("");
    }
    return out;
  };
  // Threads first, so that the lazily built tables and ICU/libphonenumber singletons are created
  // concurrently too.
  std::string first;
  std::string second;
  std::thread a([&] { first = run(); });
  std::thread b([&] { second = run(); });
  a.join();
  b.join();
  const auto expected = run();
  EXPECT_NE(expected.find("+201001234567;"), std::string::npos);
  EXPECT_EQ(first, expected);
  EXPECT_EQ(second, expected);
}

} // namespace
} // namespace leadsync::importer
