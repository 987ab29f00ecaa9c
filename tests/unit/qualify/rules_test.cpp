#include "leadsync/qualify/rules.hpp"
#include "leadsync_test_paths.hpp"

#include <gtest/gtest.h>
#include <string>

namespace leadsync::qualify {
namespace {

// Lines 1..13: the four groups with valid caps and weights.
const std::string groups = "[fit]\n"          // 1
                           "cap = 100\n"      // 2
                           "weight = 40\n"    // 3
                           "[engagement]\n"   // 4
                           "cap = 100\n"      // 5
                           "weight = 30\n"    // 6
                           "[data_quality]\n" // 7
                           "cap = 100\n"      // 8
                           "weight = 15\n"    // 9
                           "[bant]\n"         // 10
                           "cap = 100\n"      // 11
                           "weight = 15\n"    // 12
                           "\n";              // 13

bool has_problem(const LoadedRules& loaded, const std::string& key, int line,
                 const std::string& part) {
  for (const auto& problem : loaded.problems) {
    if (problem.key == key && problem.line == line &&
        problem.message.find(part) != std::string::npos) {
      return true;
    }
  }
  return false;
}

std::string all_problems(const LoadedRules& loaded) {
  std::string text;
  for (const auto& problem : loaded.problems) {
    text += problem.describe() + "\n";
  }
  return text;
}

TEST(QualifyRules, TheShippedScoringFileLoadsWithNoProblem) {
  const auto loaded = load_rules_file(std::string(LEADSYNC_SOURCE_DIR) + "/mappings/scoring.toml");
  EXPECT_TRUE(loaded.ok()) << all_problems(loaded);
  ASSERT_TRUE(loaded.rules.has_value());
  EXPECT_GT(loaded.rules->rules.size(), 20U);
  EXPECT_EQ(loaded.rules->decisions.rules.size(), 4U);
  EXPECT_TRUE(
      loaded.rules->kinds[static_cast<std::size_t>(model::BehaviourKind::trial_usage)].configured);
}

TEST(QualifyRules, AMinimalFileLoadsAndCompilesItsRules) {
  const auto loaded = load_rules_text(groups + "[[fit.rule]]\n"
                                               "name = \"title\"\n"
                                               "field = \"person.job_title\"\n"
                                               "one_of = [\"CTO\", \"Ceo\"]\n"
                                               "points = 10\n",
                                      "rules.toml");
  ASSERT_TRUE(loaded.ok()) << all_problems(loaded);
  const auto& rule = loaded.rules->rules.at(0);
  EXPECT_EQ(rule.condition.field, FieldId::job_title);
  EXPECT_EQ(rule.condition.op, Op::one_of);
  EXPECT_EQ(rule.condition.texts, (std::vector<std::string>{"ceo", "cto"})); // folded, sorted
  EXPECT_EQ(rule.condition.description, "person.job_title one_of [\"CTO\", \"Ceo\"]");
}

TEST(QualifyRules, ABadFileIsRefusedWholeWithEveryProblemAndItsLine) {
  const std::string text = groups +                                            // lines 1..13
                           "[[fit.rule]]\n"                                    // 14
                           "name = \"size\"\n"                                 // 15
                           "field = \"company.employee_count\"\n"              // 16
                           "range = { min = 500, max = 50 }\n"                 // 17
                           "points = 10\n"                                     // 18
                           "colour = \"red\"\n"                                // 19
                           "[[fit.rule]]\n"                                    // 20
                           "name = \"title\"\n"                                // 21
                           "field = \"person.job_titel\"\n"                    // 22
                           "equals = \"CEO\"\n"                                // 23
                           "points = 5\n"                                      // 24
                           "[[fit.rule]]\n"                                    // 25
                           "name = \"wrong type\"\n"                           // 26
                           "field = \"person.job_title\"\n"                    // 27
                           "contains = \"chief\"\n"                            // 28
                           "points = \"ten\"\n"                                // 29
                           "[[fit.rule]]\n"                                    // 30
                           "name = \"operator\"\n"                             // 31
                           "field = \"company.industry\"\n"                    // 32
                           "greater = 5\n"                                     // 33
                           "points = 5\n"                                      // 34
                           "[engagement.kinds.page_vist]\n"                    // 35
                           "points = 1\n"                                      // 36
                           "[stages]\n"                                        // 37
                           "mql_min_fit = 140\n"                               // 38
                           "[[decisions.rule]]\n"                              // 39
                           "name = \"drop\"\n"                                 // 40
                           "action = \"disqualify\"\n"                         // 41
                           "status_reason = 3\n"                               // 42
                           "when = [{ field = \"grade\", equals = \"E\" }]\n"; // 43
  const auto loaded = load_rules_text(text, "bad.toml");
  EXPECT_FALSE(loaded.ok());
  EXPECT_FALSE(loaded.rules.has_value()); // refused whole
  EXPECT_TRUE(has_problem(loaded, "fit.rule[0].range", 17, "min 500 is greater than max 50"))
      << all_problems(loaded);
  EXPECT_TRUE(has_problem(loaded, "fit.rule[0].colour", 19, "unknown key 'colour'"));
  EXPECT_TRUE(has_problem(loaded, "fit.rule[1].field", 22,
                          "unknown field 'person.job_titel' (did you mean 'person.job_title'?)"));
  EXPECT_TRUE(has_problem(loaded, "fit.rule[2].points", 29, "expected a number, got a string"));
  EXPECT_TRUE(has_problem(loaded, "fit.rule[3].greater", 33, "unknown key 'greater'"));
  EXPECT_TRUE(has_problem(loaded, "fit.rule[3]", 30, "missing condition"));
  EXPECT_TRUE(has_problem(loaded, "engagement.kinds.page_vist", 35,
                          "unknown event kind 'page_vist' (did you mean 'page_visit'?)"));
  EXPECT_TRUE(has_problem(loaded, "stages.mql_min_fit", 38, "must be between 0 and 100 (got 140)"));
  EXPECT_TRUE(has_problem(loaded, "decisions.rule[0].status_reason", 42,
                          "must be between 4 and 7 (got 3)"));
  EXPECT_TRUE(
      has_problem(loaded, "decisions.rule[0].when[0].equals", 43, "'E' is not a value of grade"));
  EXPECT_EQ(loaded.problems.size(), 10U) << all_problems(loaded);
  for (const auto& problem : loaded.problems) {
    EXPECT_EQ(problem.file, "bad.toml");
  }
}

TEST(QualifyRules, OperatorsThatDoNotFitTheFieldTypeAreRefused) {
  const auto loaded = load_rules_text(groups + "[[fit.rule]]\n"                       // 14
                                               "name = \"a\"\n"                       // 15
                                               "field = \"person.job_title\"\n"       // 16
                                               "range = { min = 1 }\n"                // 17
                                               "points = 1\n"                         // 18
                                               "[[fit.rule]]\n"                       // 19
                                               "name = \"b\"\n"                       // 20
                                               "field = \"company.employee_count\"\n" // 21
                                               "contains = \"5\"\n"                   // 22
                                               "points = 1\n"                         // 23
                                               "[[fit.rule]]\n"                       // 24
                                               "name = \"c\"\n"                       // 25
                                               "field = \"score.total\"\n"            // 26
                                               "range = { min = 1 }\n"                // 27
                                               "points = 1\n",                        // 28
                                      "types.toml");
  EXPECT_TRUE(
      has_problem(loaded, "fit.rule[0].range", 17, "range cannot be used on person.job_title"))
      << all_problems(loaded);
  EXPECT_TRUE(has_problem(loaded, "fit.rule[1].contains", 22,
                          "contains cannot be used on company.employee_count"));
  EXPECT_TRUE(has_problem(loaded, "fit.rule[2].field", 26, "only in [[decisions.rule]]"));
  EXPECT_EQ(loaded.problems.size(), 3U) << all_problems(loaded);
}

TEST(QualifyRules, WeightsThatDoNotAddUpTo100AndBadGradesAreRefused) {
  std::string text = groups;
  text.replace(text.find("weight = 40"), 11, "weight = 50");
  text += "[grades]\n" // 14
          "a = 50\n"   // 15
          "b = 60\n";  // 16
  const auto loaded = load_rules_text(text, "w.toml");
  EXPECT_TRUE(has_problem(loaded, "fit.weight", 1, "must add up to 100 (got 110)"))
      << all_problems(loaded);
  EXPECT_TRUE(has_problem(loaded, "grades", 14, "a > b > c"));
  EXPECT_EQ(loaded.problems.size(), 2U);
}

TEST(QualifyRules, AMissingGroupAndAMissingCapAreProblems) {
  const auto loaded = load_rules_text("[fit]\nweight = 100\n", "m.toml");
  EXPECT_TRUE(has_problem(loaded, "fit.cap", 1, "needs a cap")) << all_problems(loaded);
  EXPECT_TRUE(has_problem(loaded, "engagement", 0, "missing section [engagement]"));
  EXPECT_TRUE(has_problem(loaded, "bant", 0, "missing section [bant]"));
}

TEST(QualifyRules, ATomlSyntaxErrorIsOneProblemWithItsLine) {
  const auto loaded = load_rules_text(groups + "[[fit.rule]\nname = 1\n", "syntax.toml");
  ASSERT_EQ(loaded.problems.size(), 1U);
  EXPECT_EQ(loaded.problems[0].line, 14);
  EXPECT_NE(loaded.problems[0].message.find("not valid TOML"), std::string::npos);
}

TEST(QualifyRules, DuplicateNamesAndUnknownRuleFiredNamesAreProblems) {
  const auto loaded = load_rules_text(groups + "[[fit.rule]]\n"                    // 14
                                               "name = \"x\"\n"                    // 15
                                               "field = \"company.name\"\n"        // 16
                                               "exists = true\n"                   // 17
                                               "points = 1\n"                      // 18
                                               "[[fit.rule]]\n"                    // 19
                                               "name = \"x\"\n"                    // 20
                                               "field = \"company.name\"\n"        // 21
                                               "exists = false\n"                  // 22
                                               "points = 1\n"                      // 23
                                               "[[decisions.rule]]\n"              // 24
                                               "name = \"d\"\n"                    // 25
                                               "action = \"leave_open\"\n"         // 26
                                               "when = [{ rule_fired = \"y\" }]\n" // 27
                                               "currency = \"EUR\"\n",             // 28
                                      "dup.toml");
  EXPECT_TRUE(
      has_problem(loaded, "fit.rule[1].name", 19, "duplicate rule name 'x' (first at line 14)"))
      << all_problems(loaded);
  EXPECT_TRUE(has_problem(loaded, "decisions.rule[0].currency", 28,
                          "applies only to action = \"qualify\""));
  EXPECT_TRUE(has_problem(loaded, "decisions.rule[0].when[0].rule_fired", 27,
                          "no scoring rule is named 'y'"));
}

TEST(QualifyRules, LoadRulesOnAMissingFileFailsWithAConfigError) {
  const auto result = load_rules("/nonexistent/scoring.toml");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::config);
  EXPECT_NE(result.error().message.find("the rule file /nonexistent/scoring.toml does not exist"),
            std::string::npos)
      << result.error().message;
}

// Issue 18: the rule file is read bounded, from a regular file only.
TEST(QualifyRules, LoadRulesOnADeviceFailsAtOnceSayingWhichSettingNamesIt) {
  const auto result = load_rules("/dev/zero");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::config);
  EXPECT_NE(result.error().message.find("is a device"), std::string::npos)
      << result.error().message;
  EXPECT_NE(result.error().message.find("qualify.rules"), std::string::npos);
}

TEST(QualifyRules, FoldCaseLowersAsciiLatin1AndCyrillicKeepingTheLength) {
  std::string out;
  fold_case("Директор ÉCOLE Ёж", out);
  EXPECT_EQ(out, "директор école ёж");
}

} // namespace
} // namespace leadsync::qualify
