#include "leadsync/importer/dedupe.hpp"

#include <gtest/gtest.h>

namespace leadsync::importer {
namespace {

model::Phone valid_phone(std::string e164) {
  model::Phone phone;
  phone.raw = e164;
  phone.e164 = std::move(e164);
  phone.valid = true;
  return phone;
}

model::Lead person(std::string first, std::string last, std::string domain = {}) {
  model::Lead lead;
  lead.person.first_name = std::move(first);
  lead.person.last_name = std::move(last);
  lead.company.domain = std::move(domain);
  return lead;
}

model::Lead with_email(model::Lead lead, std::string email) {
  lead.person.emails.push_back(std::move(email));
  return lead;
}

model::Lead with_phone(model::Lead lead, std::string e164) {
  lead.person.phones.push_back(valid_phone(std::move(e164)));
  return lead;
}

std::optional<MatchReason> reason(const model::Lead& a, const model::Lead& b) {
  return match_reason(match_keys(a), match_keys(b));
}

Uuid uuid(std::uint8_t n) {
  std::string text = "00000000-0000-4000-8000-0000000000";
  text += static_cast<char>('0' + n / 10);
  text += static_cast<char>('0' + n % 10);
  return Uuid::parse(text).value();
}

// ---- keys ---------------------------------------------------------------------------------------

TEST(MatchKeys, AreCaseInsensitiveForEmailsAndSkipUntrustedPhones) {
  auto lead = with_email(person("Анна", "Ёлкина", "Acme.COM"), "Anna@Acme.com");
  lead.person.emails.push_back("info@acme.com");
  lead.person.phones.push_back(valid_phone("+74951234567"));
  model::Phone untrusted;
  untrusted.raw = "555-0100";
  untrusted.e164 = "+15550100";
  untrusted.valid = false;
  lead.person.phones.push_back(untrusted);

  const auto keys = match_keys(lead);
  ASSERT_EQ(keys.emails.size(), 2U);
  EXPECT_EQ(keys.emails[0].hash, match_keys(with_email({}, "anna@ACME.COM")).emails.at(0).hash);
  EXPECT_FALSE(keys.emails[0].role);
  EXPECT_TRUE(keys.emails[1].role);
  EXPECT_EQ(keys.phones, std::vector<std::uint64_t>{74951234567ULL});
  EXPECT_NE(keys.domain, 0U);
  EXPECT_EQ(keys.domain, match_keys(person("", "", "acme.com")).domain);
  EXPECT_EQ(keys.first, "анна");
  EXPECT_EQ(keys.last, "елкина");
  EXPECT_EQ(match_keys(person("", "")).domain, 0U);
}

// ---- rules --------------------------------------------------------------------------------------

TEST(MatchReason, SameEmailIsOneLeadWhateverTheNames) {
  // A personal address stays with its person through a change of name.
  const auto before = with_email(person("Anna", "Ivanova"), "anna.i@acme.com");
  const auto after = with_email(person("Anna", "Smirnova"), "ANNA.I@acme.com");
  EXPECT_EQ(reason(after, before), MatchReason::email);
}

TEST(MatchReason, SamePhoneIsOneLeadUnlessTheNamesShowColleagues) {
  const auto stored = with_phone(person("Ivan", "Petrov"), "+74951234567");
  EXPECT_EQ(reason(with_phone(person("Ivan", "Petrov"), "+74951234567"), stored),
            MatchReason::phone);
  EXPECT_EQ(reason(with_phone(person("", ""), "+74951234567"), stored), MatchReason::phone);
  EXPECT_EQ(reason(with_phone(person("Ivan", ""), "+74951234567"), stored), MatchReason::phone);
  // The office switchboard on two colleagues' rows.
  EXPECT_FALSE(reason(with_phone(person("Olga", "Sidorova"), "+74951234567"), stored));
  EXPECT_FALSE(reason(with_phone(person("Anna", "Petrov"), "+74951234567"), stored));
}

TEST(MatchReason, SharedRoleMailboxNeedsCompatibleNames) {
  const auto stored = with_email(person("Ivan", "Petrov"), "sales@acme.com");
  EXPECT_FALSE(reason(with_email(person("Olga", "Sidorova"), "sales@acme.com"), stored));
  EXPECT_EQ(reason(with_email(person("", ""), "sales@acme.com"), stored), MatchReason::email);
}

TEST(MatchReason, SameNameAtTheSameDomainAboveTheThreshold) {
  const auto stored = person("Sergey", "Ivanov", "acme.com");
  EXPECT_EQ(reason(person("SERGEI", "Ivanov", "acme.com"), stored), MatchReason::name_at_domain);
  EXPECT_EQ(reason(person("Sergey", "Ivanow", "acme.com"), stored), MatchReason::name_at_domain);
  EXPECT_EQ(reason(person("Sérgey", "Ivanov", "acme.com"), stored), MatchReason::name_at_domain);
  EXPECT_FALSE(reason(person("Sergey", "Ivanov", "other.com"), stored)); // another company
  EXPECT_FALSE(reason(person("Sergey", "Ivanov"), stored));              // no domain
  EXPECT_FALSE(reason(person("", "Ivanov", "acme.com"), stored));        // no given name
}

TEST(SamePersonName, DocumentedThresholdSeparatesTyposFromOtherPeople) {
  // Above 0.92: one typo or transliteration.
  EXPECT_TRUE(same_person_name("catherine", "jones", "katherine", "jones")); // 0.926
  EXPECT_TRUE(same_person_name("mohammed", "ali", "mohammad", "ali"));       // 0.950
  EXPECT_TRUE(same_person_name("jon", "smith", "john", "smith"));            // 0.933
  // Below: different names.
  EXPECT_FALSE(same_person_name("john", "smith", "joan", "smith"));    // 0.867
  EXPECT_FALSE(same_person_name("stephen", "king", "steven", "king")); // 0.894
  EXPECT_FALSE(same_person_name("john", "smith", "john", "smyth"));    // 0.893
  // Feminine forms are other people however similar the strings.
  EXPECT_FALSE(same_person_name("aleksandr", "ivanov", "aleksandra", "ivanova"));
  EXPECT_FALSE(same_person_name("анна", "петров", "анна", "петрова"));
  EXPECT_FALSE(same_person_name("maria", "lopez", "marie", "lopez"));
}

// ---- store --------------------------------------------------------------------------------------

TEST(StoreLookups, ListWhatToAskTheStore) {
  auto lead = with_email(person("Ivan", "Petrov", "Acme.com"), "Ivan@Acme.com");
  lead.person.emails.push_back("ivan@acme.com");
  lead.person.phones.push_back(valid_phone("+74951234567"));
  model::Phone untrusted;
  untrusted.raw = "555-0100";
  untrusted.e164 = "+15550100";
  lead.person.phones.push_back(untrusted);
  const auto lookups = store_lookups(lead);
  EXPECT_EQ(lookups.emails, std::vector<std::string>{"ivan@acme.com"});
  EXPECT_EQ(lookups.phones, std::vector<std::string>{"+74951234567"});
  EXPECT_EQ(lookups.domain, "acme.com");
  EXPECT_TRUE(store_lookups(person("", "Petrov", "acme.com")).domain.empty());
}

TEST(MatchStored, PrefersTheStrongestReasonThenTheNewestLead) {
  const auto candidate =
      with_phone(with_email(person("Ivan", "Petrov", "acme.com"), "ivan@acme.com"), "+74951234567");
  std::vector<model::Lead> stored = {
      person("Ivan", "Petrov", "acme.com"),                    // by name
      with_phone(person("Ivan", "Petrov"), "+74951234567"),    // by phone
      with_email(person("Ivan", "Petrov"), "IVAN@acme.com"),   // by e-mail, older
      with_email(person("Ivan", "Petrov"), "ivan@acme.com"),   // by e-mail, newer
      with_email(person("Olga", "Sidorova"), "olga@acme.com"), // not a match
  };
  stored[2].identity.updated_at = model::TimePoint{std::chrono::seconds{100}};
  stored[3].identity.updated_at = model::TimePoint{std::chrono::seconds{200}};
  const auto match = match_stored(candidate, stored);
  ASSERT_TRUE(match.has_value());
  EXPECT_EQ(match->index, 3U);
  EXPECT_EQ(match->reason, MatchReason::email);

  const std::vector<model::Lead> by_name_only = {stored[4], stored[0]};
  const auto name_match = match_stored(candidate, by_name_only);
  ASSERT_TRUE(name_match.has_value());
  EXPECT_EQ(name_match->index, 1U);
  EXPECT_EQ(name_match->reason, MatchReason::name_at_domain);
}

TEST(MatchStored, NeverMatchesATombstoneOrAStranger) {
  auto tombstone = with_email(person("Ivan", "Petrov"), "ivan@acme.com");
  tombstone.deleted = true;
  const std::vector<model::Lead> stored = {tombstone,
                                           with_email(person("Olga", "Sidorova"), "o@acme.com")};
  EXPECT_FALSE(match_stored(with_email(person("Ivan", "Petrov"), "ivan@acme.com"), stored));
  EXPECT_FALSE(match_stored(person("Ivan", "Petrov"), {}));
}

// ---- file index ---------------------------------------------------------------------------------

TEST(FileIndex, FindsAnEarlierLeadByEachKey) {
  FileIndex index;
  const auto first = index.add(
      uuid(1),
      match_keys(with_phone(with_email(person("Sergey", "Ivanov", "acme.com"), "s.ivanov@acme.com"),
                            "+74951234567")));
  const auto second =
      index.add(uuid(2), match_keys(with_email(person("Olga", "Sidorova"), "olga@example.org")));
  EXPECT_EQ(index.size(), 2U);
  EXPECT_EQ(index.lead_id(first), uuid(1));
  EXPECT_EQ(index.lead_id(second), uuid(2));

  const auto by_email = index.find(match_keys(with_email(person("", ""), "S.Ivanov@ACME.com")));
  ASSERT_TRUE(by_email.has_value());
  EXPECT_EQ(by_email->ref, first);
  EXPECT_EQ(by_email->reason, MatchReason::email);

  const auto by_phone = index.find(match_keys(with_phone(person("S.", ""), "+74951234567")));
  ASSERT_TRUE(by_phone.has_value());
  EXPECT_EQ(by_phone->reason, MatchReason::phone);

  const auto by_name = index.find(match_keys(person("Sergei", "Ivanov", "acme.com")));
  ASSERT_TRUE(by_name.has_value());
  EXPECT_EQ(by_name->ref, first);
  EXPECT_EQ(by_name->reason, MatchReason::name_at_domain);

  EXPECT_FALSE(index.find(match_keys(person("Sergey", "Petrov", "acme.com"))));
  EXPECT_FALSE(index.find(match_keys(with_phone(person("Olga", "Sidorova"), "+74951234567"))));
  EXPECT_EQ(index.find(match_keys(with_email(person("", ""), "olga@example.org")))->ref, second);
}

TEST(FileIndex, ExtendAddsTheKeysALeadGainedInAMerge) {
  FileIndex index;
  const auto ref = index.add(uuid(1), match_keys(with_email(person("", ""), "a@acme.com")));
  EXPECT_FALSE(index.find(match_keys(with_phone(person("", ""), "+12125550100"))));
  EXPECT_FALSE(index.find(match_keys(person("Anna", "Lee", "acme.com"))));

  index.extend(ref, match_keys(with_phone(person("Anna", "Lee", "acme.com"), "+12125550100")));
  EXPECT_EQ(index.find(match_keys(with_phone(person("", ""), "+12125550100")))->ref, ref);
  EXPECT_EQ(index.find(match_keys(person("Anna", "Lee", "acme.com")))->ref, ref);
  // The names it gained now veto a colleague sharing the phone.
  EXPECT_FALSE(index.find(match_keys(with_phone(person("Bob", "Stone"), "+12125550100"))));
  index.extend(ref, match_keys(person("Anna", "Lee", "acme.com"))); // idempotent
  EXPECT_EQ(index.size(), 1U);
}

TEST(FileIndex, AKeyStaysWithTheFirstLeadThatHadIt) {
  FileIndex index;
  const auto first = index.add(uuid(1), match_keys(with_phone(person("", ""), "+12125550100")));
  index.add(uuid(2), match_keys(with_phone(person("", ""), "+12125550100")));
  EXPECT_EQ(index.find(match_keys(with_phone(person("", ""), "+12125550100")))->ref, first);
}

TEST(FileIndex, StaysWithinTheMemoryBudgetPerLead) {
  // A million-row file must fit in 150 MB with everything else; the index may take ~100 bytes a
  // lead.
  constexpr std::size_t leads = 100'000;
  const std::vector<std::string> given = {"Ivan", "Anna", "Mohammed", "Olga", "John", "Fatima"};
  const std::vector<std::string> family = {"Petrov", "Smith", "Al-Harbi", "Nguyen", "Müller"};
  FileIndex index(leads);
  for (std::size_t i = 0; i < leads; ++i) {
    auto lead = with_phone(with_email(person(given[i % given.size()], family[i % family.size()],
                                             "company" + std::to_string(i / 3) + ".com"),
                                      "person" + std::to_string(i) + "@example.com"),
                           "+1212" + std::to_string(1'000'000 + i));
    index.add(uuid(static_cast<std::uint8_t>(i % 100)), match_keys(lead));
  }
  EXPECT_EQ(index.size(), leads);
  EXPECT_LT(index.memory_bytes() / leads, 100U) << index.memory_bytes() / leads << " bytes a lead";
  EXPECT_EQ(index.find(match_keys(with_email(person("", ""), "person77777@example.com")))->ref,
            77777U);
}

} // namespace
} // namespace leadsync::importer
