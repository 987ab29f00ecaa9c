// check_header_fields: the one check every outgoing request passes before the wire (issue 18).
#include "leadsync/http/headers.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <string>

namespace leadsync::http {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(HeaderCheck, AcceptsOrdinaryFieldsAndATabInAValue) {
  const Headers headers{{"Authorization", "Bearer eyJ0eXAi.abc-_~+/="},
                        {"Prefer", "odata.include-annotations=\"*\""},
                        {"X-Note", "a\tb"},
                        {"X-Empty", ""}};

  EXPECT_TRUE(check_header_fields(headers).ok());
}

TEST(HeaderCheck, RefusesACrLfInAValueNamingTheHeaderButNotTheValue) {
  const Headers headers{{"Accept", "application/json"},
                        {"Authorization", "Bearer secret-token\r\nX-Injected: yes"}};

  const auto checked = check_header_fields(headers);

  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().category, ErrorCategory::invalid_argument);
  EXPECT_FALSE(checked.error().retryable);
  EXPECT_THAT(checked.error().message, HasSubstr("'Authorization'"));
  EXPECT_THAT(checked.error().message, HasSubstr("line break"));
  EXPECT_THAT(checked.error().message, HasSubstr("token"));
  EXPECT_THAT(checked.error().message, Not(HasSubstr("secret-token")));
  EXPECT_THAT(checked.error().message, Not(HasSubstr("X-Injected")));
}

TEST(HeaderCheck, RefusesEachControlCharacterButTab) {
  for (int byte = 0; byte < 0x20; ++byte) {
    const Headers headers{{"X-Key", std::string("ab") + static_cast<char>(byte) + "cd"}};
    EXPECT_EQ(check_header_fields(headers).ok(), byte == '\t') << "byte " << byte;
  }
  EXPECT_FALSE(check_header_fields(Headers{{"X-Key", std::string("a\x7f")}}).ok());
  EXPECT_FALSE(check_header_fields(Headers{{"X-Key", std::string("a\0b", 3)}}).ok());
}

TEST(HeaderCheck, LetsNonAsciiBytesThroughAsObsText) {
  // RFC 9110 obs-text: a sender should not, but it is no injection; the transport decides.
  EXPECT_TRUE(check_header_fields(Headers{{"X-Name", "Jos\xc3\xa9"}}).ok());
}

TEST(HeaderCheck, RefusesANameThatIsNoToken) {
  for (const std::string name : {"", "X Key", "X-Key:", "X\r\nEvil", "X\x01"}) {
    const auto checked = check_header_fields(Headers{{name, "v"}});
    ASSERT_FALSE(checked.ok()) << name;
    EXPECT_EQ(checked.error().category, ErrorCategory::invalid_argument);
    EXPECT_THAT(checked.error().message, HasSubstr("not a valid HTTP field name"));
    EXPECT_THAT(checked.error().message, Not(HasSubstr("\r"))) << "controls are made visible";
  }
}

} // namespace
} // namespace leadsync::http
