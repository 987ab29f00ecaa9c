#include "leadsync/importer/column_mapping.hpp"
#include "leadsync_test_paths.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <map>

namespace leadsync::importer {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string shipped_mapping =
    std::string(LEADSYNC_SOURCE_DIR) + "/mappings/import-columns.toml";

class ShippedColumnMapping : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    auto loaded = ColumnDictionary::load_file(shipped_mapping);
    ASSERT_TRUE(loaded.ok()) << loaded.error().describe();
    shared_dictionary = new ColumnDictionary(std::move(loaded).value());
  }
  static void TearDownTestSuite() {
    delete shared_dictionary;
    shared_dictionary = nullptr;
  }

  // header -> field ("" when unmapped), after mapping `headers` together.
  static std::map<std::string, std::string>
  fields_of(const std::vector<std::string>& headers,
            const std::vector<ColumnOverride>& overrides = {}) {
    auto mapping = map_columns(headers, *shared_dictionary, overrides);
    EXPECT_TRUE(mapping.ok()) << mapping.error().describe();
    std::map<std::string, std::string> result;
    if (mapping.ok()) {
      for (const auto& column : mapping->columns) {
        result[column.header] = column.field;
      }
    }
    return result;
  }

  static ColumnDictionary* shared_dictionary;
};

ColumnDictionary* ShippedColumnMapping::shared_dictionary = nullptr;

TEST_F(ShippedColumnMapping, EnglishHeadersAndTheirVariants) {
  const auto fields =
      fields_of({"First Name", "SURNAME", "e-mail", "Work Phone", "Cell", "Company Name",
                 "job_title", "Web Site", "ZIP", "Employees", "Country", "Postal Code"});
  EXPECT_EQ(fields.at("First Name"), "first_name");
  EXPECT_EQ(fields.at("SURNAME"), "last_name");
  EXPECT_EQ(fields.at("e-mail"), "email");
  EXPECT_EQ(fields.at("Work Phone"), "phone_business");
  EXPECT_EQ(fields.at("Cell"), "phone_mobile");
  EXPECT_EQ(fields.at("Company Name"), "company");
  EXPECT_EQ(fields.at("job_title"), "job_title");
  EXPECT_EQ(fields.at("Web Site"), "website");
  EXPECT_EQ(fields.at("ZIP"), "postal_code");
  EXPECT_EQ(fields.at("Employees"), "employee_count");
  EXPECT_EQ(fields.at("Country"), "country");
}

TEST_F(ShippedColumnMapping, EmailSpellingsAreOneHeader) {
  for (const char* spelling : {"Email", "E-mail", "E mail", "EMAIL:", "e_mail", " E-Mail* "}) {
    EXPECT_EQ(fields_of({spelling}).at(spelling), "email") << spelling;
  }
}

TEST_F(ShippedColumnMapping, RussianHeadersInAnyCase) {
  const auto fields = fields_of({"ИМЯ", "фамилия", "Отчество", "эл. почта", "Моб. телефон",
                                 "Телефон", "КОМПАНИЯ", "Должность", "Сайт", "Город", "Страна"});
  EXPECT_EQ(fields.at("ИМЯ"), "first_name");
  EXPECT_EQ(fields.at("фамилия"), "last_name");
  EXPECT_EQ(fields.at("Отчество"), "middle_name");
  EXPECT_EQ(fields.at("эл. почта"), "email");
  EXPECT_EQ(fields.at("Моб. телефон"), "phone_mobile");
  EXPECT_EQ(fields.at("Телефон"), "phone_business");
  EXPECT_EQ(fields.at("КОМПАНИЯ"), "company");
  EXPECT_EQ(fields.at("Должность"), "job_title");
  EXPECT_EQ(fields.at("Сайт"), "website");
  EXPECT_EQ(fields.at("Город"), "city");
  EXPECT_EQ(fields.at("Страна"), "country");
}

TEST_F(ShippedColumnMapping, ArabicHeadersAndCommonSpellingVariants) {
  const auto fields = fields_of({"الاسم الأول", "اسم العائلة", "البريد الإلكتروني", "الهاتف",
                                 "الجوال", "الشركة", "المسمى الوظيفي", "المدينة", "الدولة"});
  EXPECT_EQ(fields.at("الاسم الأول"), "first_name");
  EXPECT_EQ(fields.at("اسم العائلة"), "last_name");
  EXPECT_EQ(fields.at("البريد الإلكتروني"), "email");
  EXPECT_EQ(fields.at("الهاتف"), "phone_business");
  EXPECT_EQ(fields.at("الجوال"), "phone_mobile");
  EXPECT_EQ(fields.at("الشركة"), "company");
  EXPECT_EQ(fields.at("المسمى الوظيفي"), "job_title");
  EXPECT_EQ(fields.at("المدينة"), "city");
  EXPECT_EQ(fields.at("الدولة"), "country");
  // Hamza left out, tatweel stretching, ي for ى, ه for ة, and spacing differences.
  const auto variants = fields_of({"الاسم الاول", "الشـــركه", "المسمي  الوظيفي"});
  EXPECT_EQ(variants.at("الاسم الاول"), "first_name");
  EXPECT_EQ(variants.at("الشـــركه"), "company");
  EXPECT_EQ(variants.at("المسمي  الوظيفي"), "job_title");
}

TEST_F(ShippedColumnMapping, UnmappedColumnsAreKept) {
  auto mapping = map_columns({"Email", "Favourite Colour", ""}, *shared_dictionary);
  ASSERT_TRUE(mapping.ok());
  ASSERT_EQ(mapping->columns.size(), 3u);
  EXPECT_EQ(mapping->columns[1].header, "Favourite Colour");
  EXPECT_EQ(mapping->columns[1].index, 1u);
  EXPECT_EQ(mapping->columns[1].field, "");
  EXPECT_EQ(mapping->columns[1].source, MappingSource::none);
  EXPECT_EQ(mapping->columns[2].field, "");
  EXPECT_EQ(mapping->find("email")->index, 0u);
  EXPECT_EQ(mapping->find("company"), nullptr);
  EXPECT_THAT(mapping->describe(), HasSubstr("\"Favourite Colour\" -> (unmapped, kept)"));
  EXPECT_THAT(mapping->describe(), HasSubstr("\"Email\" -> email"));
}

TEST_F(ShippedColumnMapping, SecondColumnForTheSameFieldStaysUnmappedWithAWarning) {
  auto mapping = map_columns({"E-mail", "Email Address", "Эл. почта"}, *shared_dictionary);
  ASSERT_TRUE(mapping.ok());
  EXPECT_EQ(mapping->columns[0].field, "email");
  EXPECT_EQ(mapping->columns[1].field, "");
  EXPECT_EQ(mapping->columns[2].field, "");
  ASSERT_EQ(mapping->warnings.size(), 2u);
  EXPECT_THAT(mapping->warnings[0], HasSubstr("\"Email Address\""));
  EXPECT_THAT(mapping->warnings[0], HasSubstr("--map"));
}

TEST_F(ShippedColumnMapping, MapOptionOverridesTheDictionary) {
  auto mapping = map_columns({"Phone", "Favourite Colour", "Email"}, *shared_dictionary,
                             {{"phone", "phone_mobile"}, {"Favourite Colour", "notes"}});
  ASSERT_TRUE(mapping.ok()) << mapping.error().describe();
  EXPECT_EQ(mapping->columns[0].field, "phone_mobile");
  EXPECT_EQ(mapping->columns[0].source, MappingSource::command_line);
  EXPECT_EQ(mapping->columns[1].field, "notes");
  EXPECT_EQ(mapping->columns[2].field, "email");
  EXPECT_EQ(mapping->columns[2].source, MappingSource::dictionary);
  EXPECT_THAT(mapping->describe(), HasSubstr("\"Phone\" -> phone_mobile (--map)"));
}

TEST_F(ShippedColumnMapping, MapOptionTakesAFieldAwayFromTheDictionaryColumn) {
  auto mapping =
      map_columns({"Email", "Personal Mail"}, *shared_dictionary, {{"Personal Mail", "email"}});
  ASSERT_TRUE(mapping.ok());
  EXPECT_EQ(mapping->columns[1].field, "email");
  EXPECT_EQ(mapping->columns[0].field, "");
  ASSERT_EQ(mapping->warnings.size(), 1u);
}

TEST_F(ShippedColumnMapping, MapOptionWithoutAFieldKeepsTheColumnUnmapped) {
  auto mapping = map_columns({"Email", "Notes"}, *shared_dictionary, {{"Notes", ""}});
  ASSERT_TRUE(mapping.ok());
  EXPECT_EQ(mapping->columns[1].field, "");
  EXPECT_EQ(mapping->columns[1].source, MappingSource::command_line);
}

TEST_F(ShippedColumnMapping, MapOptionForAHeaderNotInTheFileFailsListingTheColumns) {
  auto mapping = map_columns({"Email", "Phone"}, *shared_dictionary, {{"Telefax", "phone_home"}});
  ASSERT_FALSE(mapping.ok());
  EXPECT_EQ(mapping.error().category, ErrorCategory::invalid_argument);
  EXPECT_THAT(mapping.error().message, HasSubstr("no column \"Telefax\""));
  EXPECT_THAT(mapping.error().message, HasSubstr("Email, Phone"));
}

TEST_F(ShippedColumnMapping, TwoMapOptionsForOneFieldFail) {
  auto mapping = map_columns({"A", "B"}, *shared_dictionary, {{"A", "email"}, {"B", "email"}});
  ASSERT_FALSE(mapping.ok());
  EXPECT_THAT(mapping.error().message, HasSubstr("already given to the column \"A\""));
}

TEST(ParseColumnOverride, SplitsAtTheLastEqualsSignAndTrims) {
  const auto parsed = parse_column_override(" Score = 1=2 = notes ");
  ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
  EXPECT_EQ(parsed->header, "Score = 1=2");
  EXPECT_EQ(parsed->field, "notes");
  EXPECT_EQ(parse_column_override("Mail=EMAIL")->field, "email");
  EXPECT_EQ(parse_column_override("Mail=")->field, "");
}

TEST(ParseColumnOverride, UnknownFieldFailsListingTheValidOnes) {
  const auto parsed = parse_column_override("Mail=e_mail");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().category, ErrorCategory::invalid_argument);
  EXPECT_THAT(parsed.error().message, HasSubstr("e_mail"));
  for (const auto field : import_field_names()) {
    EXPECT_THAT(parsed.error().message, HasSubstr(std::string(field)));
  }
}

TEST(ParseColumnOverride, MissingEqualsOrHeaderFails) {
  EXPECT_THAT(parse_column_override("Email").error().message, HasSubstr("Header=field"));
  EXPECT_THAT(parse_column_override(" =email").error().message, HasSubstr("header"));
}

TEST(NormalizeHeader, IgnoresCaseSpacesAndPunctuation) {
  EXPECT_EQ(normalize_header("E-mail"), normalize_header("email"));
  EXPECT_EQ(normalize_header("E mail"), normalize_header("EMAIL:"));
  EXPECT_EQ(normalize_header("First_Name"), normalize_header("first name"));
  EXPECT_EQ(normalize_header("ЭЛ. ПОЧТА"), normalize_header("эл почта"));
  EXPECT_EQ(normalize_header("Ёлка"), normalize_header("елка"));
  EXPECT_EQ(normalize_header("الأول"), normalize_header("الاول"));
  EXPECT_NE(normalize_header("email"), normalize_header("email2"));
  EXPECT_NE(normalize_header("Имя"), normalize_header("Фамилия"));
}

TEST(ColumnDictionary, LoadsFieldsAndAnswersByNormalizedHeader) {
  const auto dictionary = ColumnDictionary::load_text(
      "[fields]\nemail = [\"E-mail\", \"Почта\"]\ncompany = [\"Firm\"]\n");
  ASSERT_TRUE(dictionary.ok()) << dictionary.error().describe();
  EXPECT_EQ(dictionary->size(), 3u);
  EXPECT_EQ(dictionary->field_for("EMAIL"), "email");
  EXPECT_EQ(dictionary->field_for("ПОЧТА"), "email");
  EXPECT_EQ(dictionary->field_for("firm"), "company");
  EXPECT_FALSE(dictionary->field_for("Phone").has_value());
}

TEST(ColumnDictionary, SyntaxErrorIsReportedWithItsLine) {
  const auto dictionary =
      ColumnDictionary::load_text("[fields]\nemail = [\"E-mail\"\n", "columns.toml");
  ASSERT_FALSE(dictionary.ok());
  EXPECT_EQ(dictionary.error().category, ErrorCategory::config);
  EXPECT_THAT(dictionary.error().message, HasSubstr("columns.toml:"));
}

TEST(ColumnDictionary, EverySemanticProblemIsReportedWithItsLine) {
  const auto dictionary = ColumnDictionary::load_text("version = 2\n"
                                                      "[fields]\n"
                                                      "email = [\"E-mail\"]\n"
                                                      "emial = [\"Mail\"]\n"
                                                      "company = \"Company\"\n"
                                                      "city = [\"Town\", 5]\n"
                                                      "email2 = [\"e mail\"]\n",
                                                      "columns.toml");
  ASSERT_FALSE(dictionary.ok());
  const std::string& message = dictionary.error().message;
  EXPECT_THAT(message, HasSubstr("5 problem(s)"));
  EXPECT_THAT(message, HasSubstr("columns.toml:1: unknown key \"version\""));
  EXPECT_THAT(message, HasSubstr("columns.toml:4: unknown field \"emial\""));
  EXPECT_THAT(message, HasSubstr("phone_business")) << "lists the valid fields";
  EXPECT_THAT(message, HasSubstr("columns.toml:5: company must be a list"));
  EXPECT_THAT(message, HasSubstr("columns.toml:6: city"));
  EXPECT_THAT(message,
              HasSubstr("columns.toml:7: \"e mail\" is listed under email2 and under email "
                        "(line 3)"));
}

TEST(ColumnDictionary, MissingFieldsTableIsReported) {
  const auto dictionary = ColumnDictionary::load_text("# nothing here\n");
  ASSERT_FALSE(dictionary.ok());
  EXPECT_THAT(dictionary.error().message, HasSubstr("no [fields] table"));
}

TEST(ColumnDictionary, MissingFileSaysWhichSettingNamesIt) {
  const auto dictionary = ColumnDictionary::load_file("/nonexistent/import-columns.toml");
  ASSERT_FALSE(dictionary.ok());
  EXPECT_EQ(dictionary.error().category, ErrorCategory::config);
  EXPECT_THAT(dictionary.error().message, HasSubstr("import_columns"));
  EXPECT_THAT(dictionary.error().message, Not(HasSubstr("problem")));
}

// Issue 18: the column mapping is read bounded, from a regular file only.
TEST(ColumnMappingFile, ADeviceIsRefusedSayingWhichSettingNamesIt) {
  const auto dictionary = ColumnDictionary::load_file("/dev/zero");
  ASSERT_FALSE(dictionary.ok());
  EXPECT_EQ(dictionary.error().category, ErrorCategory::config);
  EXPECT_THAT(dictionary.error().message, HasSubstr("is a device"));
  EXPECT_THAT(dictionary.error().message, HasSubstr("import_columns"));
}

} // namespace
} // namespace leadsync::importer
