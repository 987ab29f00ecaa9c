#include "leadsync/importer/normalize.hpp"

#include <gtest/gtest.h>

namespace leadsync::importer {
namespace {

TEST(NormalizeEmail, AcceptsPracticalAddressesAndLowerCasesOnlyTheDomain) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"ivan.petrov@example.com", "ivan.petrov@example.com"},
      {"  Ivan.Petrov@Example.COM ", "Ivan.Petrov@example.com"},
      {"first+tag@sub.example.co.uk", "first+tag@sub.example.co.uk"},
      {"o'brien@example.ie", "o'brien@example.ie"},
      {"\"john..smith\"@example.com", "\"john..smith\"@example.com"},
      {"mailto:sales@example.com", "sales@example.com"},
      {"Ivan Petrov <ivan@example.com>", "ivan@example.com"},
      {"user@example.com.", "user@example.com"},
      {"иван@пример.рф", "иван@xn--e1afmkfd.xn--p1ai"},
      {"info@BÜCHER.de", "info@xn--bcher-kva.de"},
  };
  for (const auto& [raw, expected] : cases) {
    const auto check = normalize_email(raw);
    EXPECT_TRUE(check.valid) << raw << ": " << check.problem;
    EXPECT_EQ(check.address, expected) << raw;
    EXPECT_TRUE(check.problem.empty()) << raw;
  }
}

TEST(NormalizeEmail, RefusesMalformedAddressesWithAReason) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty"},
      {"ivan.example.com", "no '@'"},
      {"x@", "nothing after '@'"},
      {"@example.com", "nothing before '@'"},
      {"a@b@example.com", "more than one '@'"},
      {"ivan petrov@example.com", "contains a space"},
      {"\"ivan petrov\"@example.com", "contains a space"}, // the lead model refuses any space
      {".ivan@example.com", "starts or ends with a dot"},
      {"ivan..petrov@example.com", "two dots in a row"},
      {"ivan(work)@example.com", "character '(' is not allowed"},
      {"user@[192.0.2.1]", "an IP address"},
      {"user@localhost", "not a valid domain"},
      {"user@example..com", "not a valid domain"},
      {"user@-example.com", "not a valid domain"},
      {"user@example.123", "not a valid domain"},
      {"user@exa_mple.com", "not a valid domain"},
      {std::string(65, 'a') + "@example.com", "longer than 64"},
      {"\"unterminated@example.com", "not closed"},
      {"\"escaped\\\"@example.com", "not closed"},
      {"\"a@b\"@example.com", "more than one '@'"}, // the lead model allows exactly one
  };
  for (const auto& [raw, reason] : cases) {
    const auto check = normalize_email(raw);
    EXPECT_FALSE(check.valid) << raw;
    EXPECT_TRUE(check.address.empty()) << raw;
    EXPECT_NE(check.problem.find(reason), std::string::npos) << raw << " -> " << check.problem;
  }
}

TEST(NormalizeEmail, RecognisesRoleMailboxes) {
  for (const std::string local : {"info", "Sales", "support", "admin", "office", "contact", "hello",
                                  "noreply", "no-reply", "INFO+leads"}) {
    const auto check = normalize_email(local + "@example.com");
    ASSERT_TRUE(check.valid) << local;
    EXPECT_TRUE(check.role) << local;
  }
  for (const std::string local : {"ivan", "information.officer", "salesman", "j.smith"}) {
    EXPECT_FALSE(normalize_email(local + "@example.com").role) << local;
  }
}

TEST(NormalizeEmail, RecognisesFreeMailProvidersIncludingSubdomainsAndFamilies) {
  for (const std::string domain :
       {"gmail.com",      "googlemail.com", "yahoo.com",  "yahoo.co.uk", "outlook.com",
        "hotmail.fr",     "live.com",       "icloud.com", "mail.ru",     "yandex.ru",
        "ya.ru",          "bk.ru",          "list.ru",    "inbox.ru",    "rambler.ru",
        "gmx.de",         "gmx.net",        "web.de",     "aol.com",     "proton.me",
        "protonmail.com", "zoho.com",       "qq.com",     "163.com",     "GMAIL.COM"}) {
    const auto check = normalize_email("someone@" + domain);
    ASSERT_TRUE(check.valid) << domain;
    EXPECT_TRUE(check.free_mail) << domain;
  }
  for (const std::string domain : {"example.com", "acme.ru", "mailru-partner.com", "gmail.co"}) {
    EXPECT_FALSE(normalize_email("someone@" + domain).free_mail) << domain;
  }
}

TEST(ToAsciiDomain, ConvertsInternationalizedNamesToPunycode) {
  EXPECT_EQ(to_ascii_domain("пример.рф"), "xn--e1afmkfd.xn--p1ai");
  EXPECT_EQ(to_ascii_domain("Пример.РФ"), "xn--e1afmkfd.xn--p1ai");
  EXPECT_EQ(to_ascii_domain("bücher.de"), "xn--bcher-kva.de");
  EXPECT_EQ(to_ascii_domain("Example.COM."), "example.com");
  EXPECT_EQ(to_ascii_domain("xn--e1afmkfd.xn--p1ai"), "xn--e1afmkfd.xn--p1ai");
}

TEST(ToAsciiDomain, RefusesWhatIsNotAHostName) {
  const std::vector<std::string> hosts = {
      "", "localhost", "exa mple.com", "a..b", "-a.com", "a.com-", std::string(64, 'a') + ".com"};
  for (const auto& host : hosts) {
    EXPECT_FALSE(to_ascii_domain(host).has_value()) << host;
  }
}

TEST(RegistrableDomain, ReducesUrlsAndHostsToThePublicSuffixPlusOne) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"www.example.co.uk", "example.co.uk"},
      {"https://shop.example.com/path?q=1#top", "example.com"},
      {"HTTP://WWW.Example.COM:8080/", "example.com"},
      {"example.com", "example.com"},
      {"//cdn.example.com/x.js", "example.com"},
      {"https://user:pass@portal.example.com.au/", "example.com.au"},
      {"https://www.пример.рф/контакты", "xn--e1afmkfd.xn--p1ai"},
      {"mail.example.ae", "example.ae"},
      {"shop.example.com.sa", "example.com.sa"},
      {"foo.blogspot.com", "foo.blogspot.com"}, // private suffix: each blog is its own site
  };
  for (const auto& [input, expected] : cases) {
    EXPECT_EQ(registrable_domain(input), expected) << input;
  }
}

TEST(RegistrableDomain, HasNoneForAddressesSuffixesAndNonHosts) {
  for (const std::string input :
       {"192.168.1.10", "http://10.0.0.1:8080/admin", "http://[::1]/", "co.uk", "com", "localhost",
        "", "not a website", "javascript:alert(1)"}) {
    EXPECT_FALSE(registrable_domain(input).has_value()) << input;
  }
}

} // namespace
} // namespace leadsync::importer
