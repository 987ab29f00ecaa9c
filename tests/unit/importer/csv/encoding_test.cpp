#include "leadsync/importer/encoding.hpp"
#include "support/csv_fixtures.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace leadsync::importer {
namespace {

using test::encode;
using ::testing::HasSubstr;

const std::string russian_list = "Имя;Фамилия;Компания;Телефон\n"
                                 "Иван;Петров;ООО Ромашка;+7 495 123-45-67\n"
                                 "Мария;Сидорова;АО \"Вектор\";8 (812) 555-01-02\n";
const std::string arabic_list = "الاسم الأول,اسم العائلة,الشركة,الهاتف\n"
                                "محمد,العتيبي,شركة النور للتجارة,0501234567\n"
                                "فاطمة,الزهراني,مؤسسة الأفق,+966 11 234 5678\n";
const std::string western_list = "First Name,Last Name,Company,City\n"
                                 "José,Müller,Société Générale,Zürich\n"
                                 "François,Ångström,Café Crème,Besançon\n";

TEST(DetectEncoding, Utf8ByteOrderMarkIsSkipped) {
  const auto choice = detect_encoding("\xEF\xBB\xBF" + russian_list);
  EXPECT_EQ(choice.name, "UTF-8");
  EXPECT_EQ(choice.bom_length, 3u);
  EXPECT_THAT(choice.reason, HasSubstr("byte order mark"));
}

TEST(DetectEncoding, Utf16LittleEndianByteOrderMark) {
  const auto choice = detect_encoding("\xFF\xFE" + encode(arabic_list, "UTF-16LE"));
  EXPECT_EQ(choice.name, "UTF-16LE");
  EXPECT_EQ(choice.bom_length, 2u);
}

TEST(DetectEncoding, Utf16BigEndianByteOrderMark) {
  const auto choice = detect_encoding("\xFE\xFF" + encode(russian_list, "UTF-16BE"));
  EXPECT_EQ(choice.name, "UTF-16BE");
  EXPECT_EQ(choice.bom_length, 2u);
}

TEST(DetectEncoding, Utf16WithoutByteOrderMarkByItsZeroBytes) {
  EXPECT_EQ(detect_encoding(encode(western_list, "UTF-16LE")).name, "UTF-16LE");
  EXPECT_EQ(detect_encoding(encode(russian_list, "UTF-16BE")).name, "UTF-16BE");
  EXPECT_EQ(detect_encoding(encode(western_list, "UTF-16LE")).bom_length, 0u);
}

TEST(DetectEncoding, ValidUtf8WithoutBomIsUtf8) {
  for (const auto& text : {russian_list, arabic_list, western_list}) {
    const auto choice = detect_encoding(text);
    EXPECT_EQ(choice.name, "UTF-8");
    EXPECT_EQ(choice.bom_length, 0u);
    EXPECT_EQ(choice.reason, "valid UTF-8");
  }
}

TEST(DetectEncoding, AsciiIsReadAsUtf8) {
  const auto choice = detect_encoding("email,phone\na@example.com,555\n");
  EXPECT_EQ(choice.name, "UTF-8");
  EXPECT_THAT(choice.reason, HasSubstr("ASCII"));
}

TEST(DetectEncoding, Utf8SampleCutInsideACharacterIsStillUtf8) {
  const std::string text = "name\nИван";
  EXPECT_EQ(detect_encoding(text.substr(0, text.size() - 1)).name, "UTF-8");
}

TEST(DetectEncoding, InvalidUtf8InTheMiddleIsNotUtf8) {
  EXPECT_NE(detect_encoding("name\nJos\xE9 Garc\xED"
                            "a\n")
                .name,
            "UTF-8");
}

// --- UTF-8 with a few bad bytes: detection never turns it into a code page

// `copies` times `text`, with `bad` inserted after the first `at` bytes.
std::string repeated_with(const std::string& text, int copies, std::size_t at,
                          std::string_view bad) {
  std::string sample;
  for (int i = 0; i < copies; ++i) {
    sample += text;
  }
  return sample.insert(at, bad);
}

TEST(DetectEncoding, Utf8WithOneBadByteAmongManyCharactersIsUtf8) {
  for (const auto& text : {russian_list, arabic_list, western_list}) {
    for (const std::string_view bad : {"\xFF", "\xE9", "\x81", "\xC3", "\xA9", "\xE2\x80"}) {
      const auto choice = detect_encoding(repeated_with(text, 20, text.size(), bad));
      EXPECT_EQ(choice.name, "UTF-8") << text << " with " << test::hex(bad);
      EXPECT_FALSE(choice.refuse_utf8_lines);
      EXPECT_THAT(choice.reason, HasSubstr("UTF-8 apart from 1 invalid byte sequence"));
    }
  }
}

TEST(DetectEncoding, Utf8CyrillicWithABadByteIsNotWindows1252) {
  // The adversarial probe: UTF-8 Cyrillic has many bytes 0x80-0x9F (as in "Р" D0 A0, "р" D1 80),
  // which made one bad byte pick Windows-1252 and garble every row.
  const auto choice = detect_encoding(repeated_with(russian_list, 300, 60, "\xE9"));
  EXPECT_EQ(choice.name, "UTF-8");
}

TEST(DetectEncoding, Utf8WithAFewBadSequencesIsStillUtf8) {
  std::string sample = "First Name,Last Name\n";
  for (int i = 0; i < 40; ++i) {
    sample += i % 4 == 0 ? "Jos\xE9,Garc\xED"
                           "a\n"
                         : "José,García\n"; // 20 bad, 60 good
  }
  EXPECT_EQ(detect_encoding(sample).name, "UTF-8");
}

TEST(DetectEncoding, AsciiWithOneStrayByteIsUtf8) {
  const std::string ascii = "email,phone,company\na@example.com,555,Acme\nb@example.com,556,Beta\n";
  for (const std::string_view bad : {"\xE9", "\xFF", "\x81", "\x92", "\xC3", "\xA9"}) {
    for (const std::size_t at : {std::size_t{0}, std::size_t{25}, ascii.size() - 2}) {
      std::string sample = ascii;
      sample.insert(at, bad);
      const auto choice = detect_encoding(sample);
      EXPECT_EQ(choice.name, "UTF-8") << test::hex(bad) << " at " << at;
      EXPECT_THAT(choice.reason, HasSubstr("1 invalid byte sequence among 0 multi-byte"));
    }
  }
}

TEST(DetectEncoding, TwoAccentedLettersInAsciiTextAreWesternLatin) {
  const auto choice = detect_encoding("name\nJos\xE9 Garc\xED"
                                      "a\n");
  EXPECT_EQ(choice.name, "ISO-8859-1");
  EXPECT_TRUE(choice.refuse_utf8_lines);
}

TEST(DetectEncoding, CodePageTextThatFormsSomeUtf8SequencesByChanceKeepsItsCodePage) {
  // Upper case Cyrillic before І/Ї/Є, and Arabic letters before Persian گ ک پ چ (bytes 0x80-0xBF),
  // form well-formed UTF-8 pairs; still far fewer than the invalid sequences. (Persian in 1256
  // writes ی as ي.)
  const std::string ukrainian_caps =
      "ПРІЗВИЩЕ;ІМ'Я;МІСТО\nШЕВЧЕНКО;ЄВГЕН;КИЇВ\nПЕТРЕНКО;НІНА;ДНІПРО\n"
      "ЇЖАКЕВИЧ;ВІТАЛІЙ;ХАРКІВ\nКОВАЛЬ;ІРИНА;ЛЬВІВ\n";
  const std::string persian = "نام,شرکت,شهر\nکامبيز,شرکت پارس گستر,تهران\nگلناز,پگاه کوچک,کرج\n"
                              "اگر,پژوهش چگونه,چابهار\n";
  const std::string russian = "Имя;Фамилия\nФёдор;Сёмин\nПётр;Жёлтый\nЁлка;Щёткин\n";
  EXPECT_EQ(detect_encoding(encode(ukrainian_caps, "WINDOWS-1251")).name, "WINDOWS-1251");
  EXPECT_EQ(detect_encoding(encode(persian, "WINDOWS-1256")).name, "WINDOWS-1256");
  EXPECT_EQ(detect_encoding(encode(russian, "WINDOWS-1251")).name, "WINDOWS-1251");
}

TEST(DetectEncoding, RussianInWindows1251) {
  const auto choice = detect_encoding(encode(russian_list, "WINDOWS-1251"));
  EXPECT_EQ(choice.name, "WINDOWS-1251");
  EXPECT_THAT(choice.reason, HasSubstr("Cyrillic"));
  EXPECT_TRUE(choice.refuse_utf8_lines);
}

TEST(DetectEncoding, UpperCaseRussianInWindows1251) {
  const std::string shouting = "ФАМИЛИЯ;ИМЯ\nПЕТРОВ;ИВАН\nСИДОРОВА;МАРИЯ\n";
  EXPECT_EQ(detect_encoding(encode(shouting, "WINDOWS-1251")).name, "WINDOWS-1251");
}

TEST(DetectEncoding, ArabicInWindows1256) {
  const auto choice = detect_encoding(encode(arabic_list, "WINDOWS-1256"));
  EXPECT_EQ(choice.name, "WINDOWS-1256");
  EXPECT_THAT(choice.reason, HasSubstr("Arabic"));
}

TEST(DetectEncoding, WesternAccentsInIso8859_1) {
  const auto choice = detect_encoding(encode(western_list, "ISO-8859-1"));
  EXPECT_EQ(choice.name, "ISO-8859-1");
  EXPECT_THAT(choice.reason, HasSubstr("Latin"));
}

TEST(DetectEncoding, WesternTextWithTypographicQuotesIsWindows1252) {
  const std::string text = western_list + "Seán,O’Brien,“Best” Ltd,Dublin\n";
  EXPECT_EQ(detect_encoding(encode(text, "WINDOWS-1252")).name, "WINDOWS-1252");
}

TEST(ChooseEncoding, AutoDetects) {
  const auto choice = choose_encoding("auto", encode(russian_list, "WINDOWS-1251"));
  ASSERT_TRUE(choice.ok()) << choice.error().describe();
  EXPECT_EQ(choice->name, "WINDOWS-1251");
}

TEST(ChooseEncoding, DocumentedNamesOverrideDetection) {
  const std::string cyrillic_bytes = encode(russian_list, "WINDOWS-1251");
  const auto latin = choose_encoding("iso-8859-1", cyrillic_bytes);
  ASSERT_TRUE(latin.ok());
  EXPECT_EQ(latin->name, "ISO-8859-1");
  EXPECT_EQ(latin->reason, "--encoding iso-8859-1");
  EXPECT_EQ(choose_encoding("Windows-1256", cyrillic_bytes)->name, "WINDOWS-1256");
  EXPECT_EQ(choose_encoding(" windows-1251 ", cyrillic_bytes)->name, "WINDOWS-1251");
  EXPECT_EQ(choose_encoding("utf-16be", cyrillic_bytes)->name, "UTF-16BE");
}

TEST(ChooseEncoding, Utf8OverrideSkipsAByteOrderMark) {
  const auto choice = choose_encoding("utf-8", "\xEF\xBB\xBF"
                                               "a,b\n");
  ASSERT_TRUE(choice.ok());
  EXPECT_EQ(choice->bom_length, 3u);
  EXPECT_EQ(choose_encoding("utf-8", "a,b\n")->bom_length, 0u);
}

TEST(ChooseEncoding, Utf16TakesItsByteOrderFromTheBomAndIsLittleEndianWithout) {
  const auto big = choose_encoding("utf-16", "\xFE\xFF" + encode("a,b\n", "UTF-16BE"));
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->name, "UTF-16BE");
  EXPECT_EQ(big->bom_length, 2u);
  const auto little = choose_encoding("UTF-16", encode("a,b\n", "UTF-16LE"));
  ASSERT_TRUE(little.ok());
  EXPECT_EQ(little->name, "UTF-16LE");
  EXPECT_EQ(little->bom_length, 0u);
}

TEST(ChooseEncoding, OtherAsciiCompatibleIconvNamesAreAccepted) {
  const auto choice = choose_encoding("KOI8-R", "a,b\n");
  ASSERT_TRUE(choice.ok()) << choice.error().describe();
  EXPECT_EQ(choice->name, "KOI8-R");
}

TEST(ChooseEncoding, UnknownNameFailsListingTheSupportedNames) {
  const auto choice = choose_encoding("klingon-1", "a,b\n");
  ASSERT_FALSE(choice.ok());
  EXPECT_EQ(choice.error().category, ErrorCategory::invalid_argument);
  EXPECT_THAT(choice.error().message, HasSubstr("klingon-1"));
  for (const auto name : supported_encoding_options()) {
    EXPECT_THAT(choice.error().message, HasSubstr(std::string(name)));
  }
}

TEST(ChooseEncoding, EncodingsThatDoNotWriteAsciiAsAsciiAreRefused) {
  const auto choice = choose_encoding("UTF-32LE", "a,b\n");
  ASSERT_FALSE(choice.ok());
  EXPECT_THAT(choice.error().message, HasSubstr("ASCII"));
}

} // namespace
} // namespace leadsync::importer
