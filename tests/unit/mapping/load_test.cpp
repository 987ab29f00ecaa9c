#include "leadsync/mapping/lead_mapping.hpp"
#include "mapping_test_support.hpp"

#include <filesystem>
#include <fstream>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace leadsync::mapping {
namespace {

using ::testing::HasSubstr;
using testing::shipped_mapping;
using testing::shipped_mapping_path;

std::string describe(const std::vector<Problem>& problems) {
  std::string text;
  for (const auto& problem : problems) {
    text += problem.describe() + "\n";
  }
  return text;
}

// The problem reported at `line`, or nullptr.
const Problem* at_line(const std::vector<Problem>& problems, int line) {
  for (const auto& problem : problems) {
    if (problem.line == line) {
      return &problem;
    }
  }
  return nullptr;
}

TEST(ShippedMapping, LoadsWithoutAnyProblem) {
  auto report = check_lead_mapping(shipped_mapping_path(), "leadsync_");
  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_TRUE(report->problems.empty()) << describe(report->problems);
}

TEST(ShippedMapping, MapsEveryLeadColumnTheDesignLists) {
  const auto& mapping = shipped_mapping();
  for (const char* column : {"firstname",
                             "lastname",
                             "middlename",
                             "jobtitle",
                             "emailaddress1",
                             "emailaddress2",
                             "emailaddress3",
                             "telephone1",
                             "mobilephone",
                             "telephone2",
                             "companyname",
                             "websiteurl",
                             "industrycode",
                             "numberofemployees",
                             "revenue",
                             "address1_line1",
                             "address1_city",
                             "address1_stateorprovince",
                             "address1_postalcode",
                             "address1_country",
                             "leadsourcecode",
                             "campaignid",
                             "budgetamount",
                             "budgetstatus",
                             "decisionmaker",
                             "need",
                             "purchasetimeframe",
                             "purchaseprocess",
                             "leadqualitycode",
                             "donotemail",
                             "donotphone",
                             "donotbulkemail",
                             "donotpostalmail",
                             "preferredcontactmethodcode",
                             "subject",
                             "description",
                             "statecode",
                             "statuscode"}) {
    EXPECT_NE(mapping.find_column(column), nullptr) << column;
  }
}

// Lengths from the lead table reference (dataverse-notes section 1): the CRM refuses longer text.
TEST(ShippedMapping, TextLimitsAreTheCrmColumnLengths) {
  const std::map<std::string, int> lengths = {
      {"firstname", 50},           {"lastname", 50},         {"middlename", 50},
      {"companyname", 100},        {"jobtitle", 100},        {"subject", 300},
      {"description", 2000},       {"emailaddress1", 100},   {"emailaddress2", 100},
      {"emailaddress3", 100},      {"telephone1", 50},       {"mobilephone", 20},
      {"telephone2", 50},          {"telephone3", 50},       {"websiteurl", 200},
      {"address1_city", 80},       {"address1_country", 80}, {"address1_stateorprovince", 50},
      {"address1_postalcode", 20}, {"address1_line1", 250},  {"address1_line2", 250}};
  const auto& mapping = shipped_mapping();
  for (const auto& [column, length] : lengths) {
    const auto* field = mapping.find_column(column);
    ASSERT_NE(field, nullptr) << column;
    EXPECT_EQ(field->max_length, length) << column;
  }
  EXPECT_EQ(mapping.find_column("description")->type, ColumnType::memo);
  EXPECT_EQ(mapping.find_column("emailaddress1")->on_too_long, TooLong::reject);
  EXPECT_EQ(mapping.find_column("description")->on_too_long, TooLong::truncate);
}

TEST(ShippedMapping, NumberRangesAreTheCrmColumnRanges) {
  const auto& mapping = shipped_mapping();
  EXPECT_EQ(mapping.find_column("numberofemployees")->max, 1'000'000);
  EXPECT_EQ(mapping.find_column("revenue")->max, 1e14);
  EXPECT_EQ(mapping.find_column("budgetamount")->max, 1e12);
  EXPECT_EQ(mapping.find_column("budgetamount")->min, 0);
}

struct CustomColumn {
  const char* column = nullptr;
  ColumnType type = ColumnType::string;
  std::optional<int> max_length;
  std::optional<double> max;
};

// The custom columns as the emulator defines them (tests/emulator/dataverse/src/schema.cpp).
TEST(ShippedMapping, CustomColumnsMatchTheEmulatorsLeadsyncSolution) {
  const CustomColumn expected[] = {
      {"leadsync_externalid", ColumnType::string, 100, std::nullopt},
      {"leadsync_fitscore", ColumnType::decimal, std::nullopt, 100},
      {"leadsync_engagementscore", ColumnType::decimal, std::nullopt, 100},
      {"leadsync_dataqualityscore", ColumnType::decimal, std::nullopt, 100},
      {"leadsync_totalscore", ColumnType::decimal, std::nullopt, 100},
      {"leadsync_lifecyclestage", ColumnType::string, 50, std::nullopt},
      {"leadsync_listvendor", ColumnType::string, 100, std::nullopt},
      {"leadsync_listid", ColumnType::string, 100, std::nullopt},
      {"leadsync_listexclusive", ColumnType::boolean, std::nullopt, std::nullopt},
      {"leadsync_listacquiredon", ColumnType::date_only, std::nullopt, std::nullopt},
      {"leadsync_listcount", ColumnType::integer, std::nullopt, 1000},
      {"leadsync_listagebucket", ColumnType::string, 20, std::nullopt},
      {"leadsync_enrichmentsource", ColumnType::string, 200, std::nullopt},
      {"leadsync_enrichedon", ColumnType::date_time, std::nullopt, std::nullopt},
      {"leadsync_seniority", ColumnType::string, 50, std::nullopt},
      {"leadsync_linkedinurl", ColumnType::string, 200, std::nullopt},
      {"leadsync_xhandle", ColumnType::string, 100, std::nullopt},
      {"leadsync_githuburl", ColumnType::string, 200, std::nullopt},
      {"leadsync_socialbio", ColumnType::memo, 2000, std::nullopt},
      {"leadsync_grade", ColumnType::string, 1, std::nullopt},
      {"leadsync_scorereason", ColumnType::string, 250, std::nullopt},
  };
  const auto& mapping = shipped_mapping();
  for (const auto& column : expected) {
    const auto* field = mapping.find_column(column.column);
    ASSERT_NE(field, nullptr) << column.column;
    EXPECT_EQ(field->type, column.type) << column.column;
    EXPECT_EQ(field->max_length, column.max_length) << column.column;
    EXPECT_EQ(field->max, column.max) << column.column;
  }
  EXPECT_EQ(mapping.key().column, "leadsync_externalid");
}

TEST(ShippedMapping, CustomColumnsTakeTheConfiguredPrefix) {
  auto mapping = load_lead_mapping(shipped_mapping_path(), "acme_");
  ASSERT_TRUE(mapping.ok()) << mapping.error().message;
  EXPECT_EQ(mapping->key().column, "acme_externalid");
  EXPECT_NE(mapping->find_column("acme_totalscore"), nullptr);
  EXPECT_EQ(mapping->find_column("leadsync_totalscore"), nullptr);
}

TEST(ShippedMapping, StateAndDerivedColumnsHaveTheirOnlyPossibleDirection) {
  const auto& mapping = shipped_mapping();
  EXPECT_EQ(mapping.find_column("statecode")->direction, Direction::pull);
  EXPECT_EQ(mapping.find_column("leadsync_listagebucket")->direction, Direction::push);
  EXPECT_EQ(mapping.find_column("firstname")->direction, Direction::both);
  const auto* campaign = mapping.find_column("campaignid");
  EXPECT_EQ(campaign->type, ColumnType::lookup);
  EXPECT_EQ(campaign->lookup_entity_set, "campaigns");
  EXPECT_EQ(campaign->lookup_name_column, "name");
  EXPECT_EQ(campaign->navigation, "campaignid");
  EXPECT_EQ(campaign->read_property(), "_campaignid_value");
}

// Line numbers matter: the test asserts each problem is reported where the mistake is.
const char* const several_mistakes = R"([fields."identity.id"]
column = "{prefix}externalid"
type = "string"
max_length = 100

[fields."person.fist_name"]
column = "firstname"
type = "string"
max_length = 50

[fields."person.last_name"]
column = "lastname"
type = "text"
max_length = 50

[fields."company.name"]
column = "companyname"
type = "string"

[fields."person.job_title"]
column = "firstname"
type = "string"
max_length = 100

[fields."origin.channel"]
column = "leadsourcecode"
type = "optionset:leadsource"

[fields."qualification.bant.need"]
column = "need"
type = "optionset:need"

[fields."origin.list_count"]
column = "{prefix}listcount"
type = "integer"
direction = "both"
max_length = 4

[option_sets.need]
options = [
  { value = 0, label = "Must have", internal = "must_have" },
  { value = 1, label = "Should have", internal = "should_have", synonyms = ["must-have"] },
]
)";

TEST(MappingLoader, ReportsEveryMistakeWithItsLine) {
  const auto report = check_lead_mapping_text(several_mistakes, "bad.toml", "leadsync_");
  const auto& problems = report.problems;
  const std::vector<std::pair<int, std::string>> expected = {
      {6, "unknown internal field 'person.fist_name' (did you mean 'person.first_name'?)"},
      {13, "unknown type 'text'"},
      {16, "missing max_length"},
      {21, "column 'firstname' is already mapped from person.fist_name (line 7)"},
      {27, "unknown option set 'leadsource' (defined: need)"},
      {29, "gives no value for qualification.bant.need good_to_have, no_need"},
      {33, "computed by leadsync and cannot be read back"},
      {37, "max_length applies to string and memo columns only"},
      {42, "'must-have' names both 0 Must have (line 41) and 1 Should have"},
  };
  for (const auto& [line, message] : expected) {
    const Problem* problem = at_line(problems, line);
    ASSERT_NE(problem, nullptr) << "nothing reported at line " << line << "; got:\n"
                                << describe(problems);
    EXPECT_THAT(problem->message, HasSubstr(message)) << "line " << line;
    EXPECT_EQ(problem->file, "bad.toml");
  }
  EXPECT_EQ(problems.size(), expected.size()) << describe(problems);
}

TEST(MappingLoader, LoadFailsWithAMessageListingEveryProblem) {
  auto loaded = load_lead_mapping_text(several_mistakes, "bad.toml", "leadsync_");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().category, ErrorCategory::config);
  EXPECT_THAT(loaded.error().message, HasSubstr("9 problems in the lead mapping"));
  EXPECT_THAT(loaded.error().message, HasSubstr("bad.toml:6: fields.\"person.fist_name\""));
  EXPECT_THAT(loaded.error().message, HasSubstr("bad.toml:42:"));
}

// Issue 18: a huge value or key is quoted as a short excerpt with its size, and no suggestion is
// computed for it (the edit distance of a megabyte name to every field would take minutes).
TEST(MappingLoader, AHugeNameOrValueIsQuotedAsAShortExcerpt) {
  const std::string huge(2'000'000, 'q');
  const auto report = check_lead_mapping_text("[fields.\"" + huge + "\"]\ncolumn = \"" + huge +
                                                  "\"\ntype = \"" + huge + "\"\n",
                                              "huge.toml", "leadsync_");
  ASSERT_FALSE(report.problems.empty());
  for (const auto& problem : report.problems) {
    EXPECT_LT(problem.describe().size(), 600U) << problem.describe().substr(0, 800);
  }
  EXPECT_THAT(describe(report.problems), HasSubstr("unknown internal field '" +
                                                   std::string(40, 'q') + "...' (2000000 bytes)"));
}

// Issue 18: the mapping file is read bounded, from a regular file only.
TEST(MappingLoader, ADeviceOrAnOversizedFileIsRefusedSayingWhatToDo) {
  const auto device = load_lead_mapping("/dev/zero", "leadsync_");
  ASSERT_FALSE(device.ok());
  EXPECT_THAT(device.error().message, HasSubstr("is a device"));
  EXPECT_THAT(device.error().message, HasSubstr("config key mapping.lead"));
  const auto big = std::filesystem::temp_directory_path() / "leadsync-mapping-too-large.toml";
  std::ofstream(big, std::ios::binary) << std::string((4U << 20) + 1, '#');
  const auto oversized = load_lead_mapping(big, "leadsync_");
  std::filesystem::remove(big);
  ASSERT_FALSE(oversized.ok());
  EXPECT_THAT(oversized.error().message, HasSubstr("4 MB limit"));
}

TEST(MappingLoader, ReportsASyntaxErrorWithItsLine) {
  const auto report = check_lead_mapping_text(
      "[fields.\"subject\"]\ncolumn = \ntype = \"string\"\n", "x.toml", "leadsync_");
  ASSERT_EQ(report.problems.size(), 1u) << describe(report.problems);
  EXPECT_EQ(report.problems[0].line, 2);
  EXPECT_THAT(report.problems[0].message, HasSubstr("syntax error"));
}

TEST(MappingLoader, RequiresTheIdentityEntry) {
  const auto report = check_lead_mapping_text(
      "[fields.\"subject\"]\ncolumn = \"subject\"\ntype = \"string\"\nmax_length = 300\n", "x.toml",
      "leadsync_");
  ASSERT_EQ(report.problems.size(), 1u) << describe(report.problems);
  EXPECT_THAT(report.problems[0].message, HasSubstr("no entry for identity.id"));
}

TEST(MappingLoader, SuggestsTheKeyMeantForAMisspeltOne) {
  const auto report = check_lead_mapping_text(R"([fields."identity.id"]
column = "{prefix}externalid"
type = "string"
max_lenght = 100
)",
                                              "x.toml", "leadsync_");
  const Problem* misspelt = at_line(report.problems, 4);
  ASSERT_NE(misspelt, nullptr) << describe(report.problems);
  EXPECT_THAT(misspelt->message,
              HasSubstr("unknown key 'max_lenght' (did you mean 'max_length'?)"));
  EXPECT_NE(at_line(report.problems, 1), nullptr) << "the missing max_length is reported too";
}

TEST(MappingLoader, RefusesAnInvalidPublisherPrefix) {
  const auto report = check_lead_mapping_text(R"([fields."identity.id"]
column = "{prefix}externalid"
type = "string"
max_length = 100
)",
                                              "x.toml", "Lead Sync");
  ASSERT_FALSE(report.problems.empty());
  EXPECT_EQ(report.problems[0].key, "crm.custom_prefix");
  EXPECT_THAT(report.problems[0].message, HasSubstr("not a publisher prefix"));
}

TEST(MappingLoader, ChecksEntryRulesForKeysAndScoreBands) {
  const auto report = check_lead_mapping_text(R"([fields."identity.id"]
column = "{prefix}externalid"
type = "string"
max_length = 100
direction = "push"

[fields."qualification.lead_quality"]
column = "leadqualitycode"
type = "optionset:leadqualitycode"
direction = "push"

[fields."company.employee_count"]
column = "numberofemployees"
type = "integer"
min = 10
max = 1

[fields."origin.campaign"]
column = "campaignid"
type = "lookup:campaigns"

[option_sets.leadqualitycode]
options = [ { value = 1, label = "Hot", internal = "hot" } ]
)",
                                              "x.toml", "leadsync_");
  const auto& problems = report.problems;
  ASSERT_NE(at_line(problems, 1), nullptr) << describe(problems);
  EXPECT_THAT(at_line(problems, 1)->message, HasSubstr("its direction must be \"both\""));
  ASSERT_NE(at_line(problems, 7), nullptr) << describe(problems);
  EXPECT_THAT(at_line(problems, 7)->message, HasSubstr("missing score_bands"));
  ASSERT_NE(at_line(problems, 12), nullptr) << describe(problems);
  EXPECT_THAT(at_line(problems, 12)->message, HasSubstr("min is greater than max"));
  ASSERT_NE(at_line(problems, 20), nullptr) << describe(problems);
  EXPECT_THAT(at_line(problems, 20)->message, HasSubstr("lookup:<entity set>:<name column>"));
}

TEST(MappingLoader, RefusesATypeThatCannotHoldTheField) {
  const auto report = check_lead_mapping_text(R"([fields."identity.id"]
column = "{prefix}externalid"
type = "string"
max_length = 100

[fields."company.annual_revenue"]
column = "revenue"
type = "boolean"
)",
                                              "x.toml", "leadsync_");
  ASSERT_EQ(report.problems.size(), 1u) << describe(report.problems);
  EXPECT_EQ(report.problems[0].line, 6);
  EXPECT_THAT(report.problems[0].message,
              HasSubstr("company.annual_revenue is a number; a boolean column cannot hold it: use "
                        "decimal, double or money"));
}

TEST(MappingLoader, FailsClearlyWhenTheFileCannotBeRead) {
  auto loaded = load_lead_mapping("/nonexistent/lead.toml", "leadsync_");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().category, ErrorCategory::config);
  EXPECT_THAT(loaded.error().message, HasSubstr("/nonexistent/lead.toml"));
  EXPECT_THAT(loaded.error().message, HasSubstr("leadsync init"));
}

TEST(FieldSet, AcceptsKnownFieldsAndNamesUnknownOnesWithASuggestion) {
  auto known = parse_field_set({"consent.do_not_email", "person.job_title"});
  ASSERT_TRUE(known.ok()) << known.error().message;
  EXPECT_TRUE(known->contains("consent.do_not_email"));

  auto unknown = parse_field_set({"consent.do_not_email", "person.jobtitle", "nonsense"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().category, ErrorCategory::config);
  EXPECT_THAT(unknown.error().message,
              HasSubstr("'person.jobtitle' (did you mean 'person.job_title'?)"));
  EXPECT_THAT(unknown.error().message, HasSubstr("'nonsense'"));
}

} // namespace
} // namespace leadsync::mapping
