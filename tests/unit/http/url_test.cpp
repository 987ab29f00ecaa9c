#include "leadsync/http/url.hpp"

#include <gtest/gtest.h>

namespace leadsync::http {
namespace {

TEST(ParseUrl, SplitsADataverseUrl) {
  const auto url = parse_url("https://org.crm.dynamics.com/api/data/v9.2/leads?$top=1");
  ASSERT_TRUE(url.ok()) << url.error().describe();
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "org.crm.dynamics.com");
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->path, "/api/data/v9.2/leads");
  EXPECT_EQ(url->query, "$top=1");
  EXPECT_EQ(url->authority(), "org.crm.dynamics.com");
  EXPECT_EQ(url->target(), "/api/data/v9.2/leads?$top=1");
  EXPECT_EQ(to_string(*url), "https://org.crm.dynamics.com/api/data/v9.2/leads?$top=1");
}

TEST(ParseUrl, KeepsAnExplicitPortAndDefaultsAnEmptyPathToSlash) {
  const auto url = parse_url("http://127.0.0.1:8765");
  ASSERT_TRUE(url.ok()) << url.error().describe();
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 8765);
  EXPECT_EQ(url->path, "/");
  EXPECT_EQ(url->query, "");
  EXPECT_EQ(to_string(*url), "http://127.0.0.1:8765/");
}

TEST(ParseUrl, DefaultsThePortByScheme) {
  EXPECT_EQ(parse_url("http://example.com/").value().port, 80);
  EXPECT_EQ(parse_url("https://example.com/").value().port, 443);
}

TEST(ParseUrl, LeavesADefaultPortOutWhenPrinting) {
  EXPECT_EQ(to_string(parse_url("https://example.com:443/a").value()), "https://example.com/a");
  EXPECT_EQ(to_string(parse_url("http://example.com:443/a").value()), "http://example.com:443/a");
}

TEST(ParseUrl, UnbracketsIpv6HostsAndBracketsThemAgainInTheAuthority) {
  const auto url = parse_url("http://[::1]:8080/x?y=1");
  ASSERT_TRUE(url.ok()) << url.error().describe();
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->authority(), "[::1]:8080");
  EXPECT_EQ(to_string(*url), "http://[::1]:8080/x?y=1");
}

TEST(ParseUrl, LowersSchemeAndHostButNotPathOrQuery) {
  const auto url = parse_url("HTTPS://Org.CRM.Dynamics.com/API/Leads?$Filter=X");
  ASSERT_TRUE(url.ok()) << url.error().describe();
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "org.crm.dynamics.com");
  EXPECT_EQ(url->path, "/API/Leads");
  EXPECT_EQ(url->query, "$Filter=X");
}

TEST(ParseUrl, DropsTheFragment) {
  const auto url = parse_url("https://h.example/p?q=1#section");
  ASSERT_TRUE(url.ok()) << url.error().describe();
  EXPECT_EQ(url->query, "q=1");
  EXPECT_EQ(url->target(), "/p?q=1");
}

TEST(ParseUrl, KeepsODataSyntaxInTheQueryAsGiven) {
  const auto url =
      parse_url("https://h.example/api/data/v9.2/leads?$filter=modifiedon%20gt%202024-01-01T00:"
                "00:00Z%20and%20lastname%20eq%20'O''Brien'&$select=leadid");
  ASSERT_TRUE(url.ok()) << url.error().describe();
  EXPECT_EQ(url->path, "/api/data/v9.2/leads");
  EXPECT_EQ(url->query,
            "$filter=modifiedon%20gt%202024-01-01T00:00:00Z%20and%20lastname%20eq%20'O''Brien'"
            "&$select=leadid");
}

TEST(ParseUrl, AcceptsAQueryWithoutAPath) {
  const auto url = parse_url("http://h.example?a=1");
  ASSERT_TRUE(url.ok()) << url.error().describe();
  EXPECT_EQ(url->path, "/");
  EXPECT_EQ(url->query, "a=1");
}

struct BadUrl {
  const char* text;
  const char* message_part; // what the message must say
};

class ParseUrlRejects : public ::testing::TestWithParam<BadUrl> {};

TEST_P(ParseUrlRejects, WithAnInvalidArgumentThatSaysWhy) {
  const auto url = parse_url(GetParam().text);
  ASSERT_FALSE(url.ok()) << GetParam().text;
  EXPECT_EQ(url.error().category, ErrorCategory::invalid_argument);
  EXPECT_NE(url.error().message.find(GetParam().message_part), std::string::npos)
      << url.error().message;
}

INSTANTIATE_TEST_SUITE_P(BadUrls, ParseUrlRejects,
                         ::testing::Values(BadUrl{"org.crm.dynamics.com/api", "not absolute"},
                                           BadUrl{"ftp://files.example/x", "only http and https"},
                                           BadUrl{"http://user:secret@h.example/", "credentials"},
                                           BadUrl{"http:///path", "host is missing"},
                                           BadUrl{"http://:80/", "host is missing"},
                                           BadUrl{"http://h.example:0/", "port"},
                                           BadUrl{"http://h.example:65536/", "port"},
                                           BadUrl{"http://h.example:8o/", "port"},
                                           BadUrl{"http://h.example/a b", "space"},
                                           BadUrl{"http://h.example/\x01", "control"},
                                           BadUrl{"http://h.example/\xc3\xa9", "non-ASCII"},
                                           BadUrl{"http://[::1/", "closing ']'"},
                                           BadUrl{"http://[::1]x/", "after the IPv6"},
                                           BadUrl{"http://[zz]/", "IPv6 address is malformed"},
                                           BadUrl{"http://h_ost!.example/", "host contains"}));

TEST(PercentEncode, LeavesUnreservedCharactersAlone) {
  EXPECT_EQ(percent_encode("AZaz09-._~"), "AZaz09-._~");
}

TEST(PercentEncode, EncodesReservedSpaceAndUtf8BytesInUpperCaseHex) {
  EXPECT_EQ(percent_encode("a b&c=d/é+"), "a%20b%26c%3Dd%2F%C3%A9%2B");
}

TEST(PercentEncode, KeepsTheRequestedCharacters) {
  EXPECT_EQ(percent_encode("/api/data v9.2/leads(1)", "/()"), "/api/data%20v9.2/leads(1)");
}

TEST(PercentEncode, EncodesAnODataStringLiteral) {
  EXPECT_EQ(percent_encode("lastname eq 'O''Brien'"), "lastname%20eq%20%27O%27%27Brien%27");
  EXPECT_EQ(percent_encode("$top", "$"), "$top");
}

TEST(PercentEncode, EncodesNulAndHighBytes) {
  EXPECT_EQ(percent_encode(std::string("\0\xff", 2)), "%00%FF");
}

TEST(PercentDecode, DecodesBothHexCases) {
  EXPECT_EQ(percent_decode("%41%4a%4A%c3%A9").value(), "AJJ\xc3\xa9");
}

TEST(PercentDecode, KeepsPlusAsPlus) {
  EXPECT_EQ(percent_decode("a+b%2Bc").value(), "a+b+c");
}

TEST(PercentDecode, RoundTripsEveryByteWhateverReservedCharactersAreKept) {
  std::string every_byte;
  for (int byte = 0; byte < 256; ++byte) {
    every_byte += static_cast<char>(byte);
  }
  for (const std::string_view keep : {std::string_view{}, std::string_view{"$'():,/=&+?"}}) {
    const auto encoded = percent_encode(every_byte, keep);
    EXPECT_EQ(percent_decode(encoded).value(), every_byte) << "kept: " << keep;
  }
}

TEST(PercentDecode, RoundTripsAnODataFilter) {
  const std::string text =
      "emailaddress1 eq 'jo+x@example.com' and modifiedon gt 2024-01-01T00:00:00Z";
  EXPECT_EQ(percent_decode(percent_encode(text)).value(), text);
  EXPECT_EQ(percent_decode(percent_encode(text, "$'():,")).value(), text);
}

class PercentDecodeRejects : public ::testing::TestWithParam<const char*> {};

TEST_P(PercentDecodeRejects, AnIncompleteOrNonHexSequence) {
  const auto decoded = percent_decode(GetParam());
  ASSERT_FALSE(decoded.ok()) << GetParam();
  EXPECT_EQ(decoded.error().category, ErrorCategory::invalid_argument);
  EXPECT_NE(decoded.error().message.find("%25"), std::string::npos) << decoded.error().message;
}

INSTANTIATE_TEST_SUITE_P(BadSequences, PercentDecodeRejects,
                         ::testing::Values("%", "%4", "abc%", "%G1", "%1G", "%%41", "100%",
                                           "% 20"));

TEST(ParseQuery, DecodesODataParametersInOrder) {
  const auto params = parse_query(
      "$filter=emailaddress1%20eq%20'jo%40example.com'&$top=5&$select=firstname,lastname");
  ASSERT_TRUE(params.ok()) << params.error().describe();
  EXPECT_EQ(*params, (QueryParams{{"$filter", "emailaddress1 eq 'jo@example.com'"},
                                  {"$top", "5"},
                                  {"$select", "firstname,lastname"}}));
}

TEST(ParseQuery, KeepsColonsInTimestampsAndPlusAsPlus) {
  const auto params = parse_query("$filter=modifiedon%20gt%202024-01-01T00:00:00Z&q=a+b");
  ASSERT_TRUE(params.ok()) << params.error().describe();
  EXPECT_EQ(*params,
            (QueryParams{{"$filter", "modifiedon gt 2024-01-01T00:00:00Z"}, {"q", "a+b"}}));
}

TEST(ParseQuery, HandlesMissingValuesEmptyPiecesAndExtraEquals) {
  const auto params = parse_query("flag&&a=&b=1=2&");
  ASSERT_TRUE(params.ok()) << params.error().describe();
  EXPECT_EQ(*params, (QueryParams{{"flag", ""}, {"a", ""}, {"b", "1=2"}}));
}

TEST(ParseQuery, DecodesEncodedSeparatorsInsideValues) {
  const auto params = parse_query("a=x%26y%3Dz");
  ASSERT_TRUE(params.ok()) << params.error().describe();
  EXPECT_EQ(*params, (QueryParams{{"a", "x&y=z"}}));
}

TEST(ParseQuery, OfAnEmptyQueryIsEmpty) {
  EXPECT_TRUE(parse_query("").value().empty());
}

TEST(ParseQuery, RejectsAnInvalidSequenceInAValueOrAName) {
  EXPECT_FALSE(parse_query("a=1&b=%ZZ").ok());
  EXPECT_FALSE(parse_query("%zz=1").ok());
}

TEST(SplitTarget, SplitsAtTheFirstQuestionMark) {
  const auto target = split_target("/api/data/v9.2/leads?$top=1?x");
  EXPECT_EQ(target.path, "/api/data/v9.2/leads");
  EXPECT_EQ(target.query, "$top=1?x");
}

TEST(SplitTarget, WithoutAQueryHasAnEmptyQuery) {
  EXPECT_EQ(split_target("/healthz").path, "/healthz");
  EXPECT_EQ(split_target("/healthz").query, "");
  EXPECT_EQ(split_target("/p?").path, "/p");
  EXPECT_EQ(split_target("/p?").query, "");
}

class LoopbackHost : public ::testing::TestWithParam<const char*> {};
TEST_P(LoopbackHost, IsRecognised) {
  EXPECT_TRUE(is_loopback_host(GetParam())) << GetParam();
}
INSTANTIATE_TEST_SUITE_P(Loopback, LoopbackHost,
                         ::testing::Values("localhost", "LocalHost", "localhost.", "127.0.0.1",
                                           "127.5.5.5", "127.255.255.255", "::1", "[::1]",
                                           "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1",
                                           "[::ffff:127.9.9.9]"));

class NonLoopbackHost : public ::testing::TestWithParam<const char*> {};
TEST_P(NonLoopbackHost, IsNotRecognised) {
  EXPECT_FALSE(is_loopback_host(GetParam())) << GetParam();
}
INSTANTIATE_TEST_SUITE_P(NotLoopback, NonLoopbackHost,
                         ::testing::Values("", "128.0.0.1", "126.255.255.255", "10.0.0.1",
                                           "0.0.0.0", "::", "::2", "::ffff:10.0.0.1", "[::1",
                                           "example.com", "localhost.example.com",
                                           "127.0.0.1.nip.io", "127.1", "127.0.0.256",
                                           "org.crm.dynamics.com"));

} // namespace
} // namespace leadsync::http
