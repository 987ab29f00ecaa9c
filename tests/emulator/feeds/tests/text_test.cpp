#include "femu/text.hpp"

#include <gtest/gtest.h>

namespace femu {
namespace {

TEST(feedsText, CaseMappingCoversLatinOneAndCyrillic) {
  EXPECT_EQ(utf8_lower("АННА ИВАНОВА Ёлка"), "анна иванова ёлка");
  EXPECT_EQ(utf8_upper("chloé"), "CHLOÉ");
  EXPECT_EQ(utf8_titlecase("иван петров-сидоров o'brien"), "Иван Петров-Сидоров O'brien");
  EXPECT_EQ(utf8_lower("محمد"), "محمد"); // Arabic has no case
}

TEST(feedsText, NamesAndCompaniesCompareInNormalForm) {
  EXPECT_EQ(normalize_name("  АННА   Иванова "), "анна иванова");
  EXPECT_EQ(normalize_name("Алёна"), normalize_name("Алена"));
  EXPECT_EQ(normalize_company_name("ООО «Ромашка»"), "ромашка");
  EXPECT_EQ(normalize_company_name("Acme Corp, Inc."), "acme");
  EXPECT_EQ(normalize_company_name("Stahlwerk Berlin GmbH"), "stahlwerk berlin");
}

TEST(feedsText, DomainsPhonesAndProfilesNormalise) {
  EXPECT_EQ(normalize_domain("https://www.Acme.com/about?x=1"), "acme.com");
  EXPECT_EQ(normalize_domain("jane@acme.com"), "acme.com");
  EXPECT_EQ(normalize_domain("localhost"), "");
  EXPECT_EQ(phone_digits("+7 (495) 123-45-67"), "74951234567");
  EXPECT_EQ(normalize_profile_url("https://www.linkedin.com/in/Jane-Doe/"),
            "linkedin.com/in/jane-doe");
  EXPECT_EQ(profile_handle("github.com/jdoe"), "jdoe");
}

TEST(feedsText, EmailShapeCheck) {
  EXPECT_TRUE(looks_like_email("jane.doe+x@acme.co.uk"));
  EXPECT_FALSE(looks_like_email("not-an-email"));
  EXPECT_FALSE(looks_like_email("maria.lopez@"));
  EXPECT_FALSE(looks_like_email("a@b@c.com"));
  EXPECT_FALSE(looks_like_email("a b@c.com"));
}

TEST(feedsText, FormQueryDecodesPlusAsSpaceAndKeepsRepeatedKeys) {
  // What URLSearchParams (the PDL JS SDK) writes for {name:"Jane Doe", email:[a,b], profile:[..]}.
  const auto params = parse_form_query("name=Jane+Doe&email=a%40x.com&email=b%40x.com&profile=%5B%"
                                       "22linkedin.com%2Fin%2Fx%22%5D&flag");
  ASSERT_TRUE(params.has_value());
  ASSERT_EQ(params->size(), 5u);
  EXPECT_EQ((*params)[0].second, "Jane Doe");
  EXPECT_EQ((*params)[1].second, "a@x.com");
  EXPECT_EQ((*params)[2].second, "b@x.com");
  EXPECT_EQ((*params)[3].second, "[\"linkedin.com/in/x\"]");
  EXPECT_EQ((*params)[4].first, "flag");
  EXPECT_FALSE(parse_form_query("a=%zz").has_value());
  EXPECT_FALSE(parse_form_query("a=%4").has_value());
}

TEST(feedsText, Base64DecodesBasicCredentials) {
  EXPECT_EQ(base64_decode("c2tfa2V5Og=="), "sk_key:");
  EXPECT_EQ(base64_decode("c2tfa2V5Og"), "sk_key:");
  EXPECT_FALSE(base64_decode("not base64!").has_value());
}

TEST(feedsText, StableHashIsStableAndFractionsStayInRange) {
  EXPECT_EQ(stable_hash("abc", 7), stable_hash("abc", 7));
  EXPECT_NE(stable_hash("abc", 7), stable_hash("abc", 8));
  for (int i = 0; i < 1000; ++i) {
    const double fraction = unit_fraction(stable_hash(std::to_string(i)));
    EXPECT_GE(fraction, 0.0);
    EXPECT_LT(fraction, 1.0);
  }
}

} // namespace
} // namespace femu
