#include "leadsync/importer/dedupe.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <map>

namespace leadsync::importer {
namespace {

model::Phone valid_phone(std::string e164, model::LineType type = model::LineType::mobile) {
  model::Phone phone;
  phone.raw = e164;
  phone.e164 = std::move(e164);
  phone.valid = true;
  phone.line_type = type;
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

model::Lead with_fixed_line(model::Lead lead, std::string e164) {
  lead.person.phones.push_back(valid_phone(std::move(e164), model::LineType::fixed_line));
  return lead;
}

// The rule that links the newcomer `a` to the existing `b`, or nullopt.
std::optional<LinkRule> rule(const model::Lead& a, const model::Lead& b, NameContext names = {}) {
  const auto found = link(match_keys(a), match_keys(b), names);
  return found ? std::optional(found->rule) : std::nullopt;
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
  ASSERT_EQ(keys.phones.size(), 1U);
  EXPECT_EQ(keys.phones[0].number, 74951234567ULL);
  EXPECT_TRUE(keys.phones[0].mobile);
  EXPECT_NE(keys.domain, 0U);
  EXPECT_EQ(keys.domain, match_keys(person("", "", "acme.com")).domain);
  EXPECT_EQ(keys.first, "анна");
  EXPECT_EQ(keys.last, "елкина");
  EXPECT_EQ(match_keys(person("", "")).domain, 0U);
}

// ---- rules --------------------------------------------------------------------------------------

TEST(LinkRules, ASharedPersonalEmailMergesWhenTheNamesAgreeOrOneSideHasNone) {
  const auto stored = with_email(person("Anna", "Ivanova"), "anna.i@acme.com");
  EXPECT_EQ(rule(with_email(person("ANNA", "IVANOVA"), "Anna.I@acme.com"), stored),
            LinkRule::email);
  EXPECT_EQ(rule(with_email(person("", ""), "anna.i@acme.com"), stored), LinkRule::email);
  EXPECT_EQ(rule(with_email(person("A.", "Ivanova"), "anna.i@acme.com"), stored), LinkRule::email);
}

TEST(LinkRules, ASharedEmailWithConflictingNamesIsFlaggedNotMerged) {
  const auto stored = with_email(person("Anna", "Ivanova"), "anna.i@acme.com");
  EXPECT_EQ(rule(with_email(person("Boris", "Petrov"), "anna.i@acme.com"), stored),
            LinkRule::email_names_differ);
  // A change of name is a person's call too.
  EXPECT_EQ(rule(with_email(person("Anna", "Smirnova"), "anna.i@acme.com"), stored),
            LinkRule::email_names_differ);
}

TEST(LinkRules, ASharedMobileMergesOnlyWhenTheNamesAgree) {
  const auto stored = with_phone(person("Ivan", "Petrov"), "+79161234567");
  EXPECT_EQ(rule(with_phone(person("Ivan", "Petrov"), "+79161234567"), stored), LinkRule::mobile);
  EXPECT_EQ(rule(with_phone(person("I.", "Petrov"), "+79161234567"), stored), LinkRule::mobile);
  EXPECT_EQ(rule(with_phone(person("", ""), "+79161234567"), stored), LinkRule::mobile_unconfirmed);
  EXPECT_EQ(rule(with_phone(person("Olga", "Sidorova"), "+79161234567"), stored),
            LinkRule::mobile_names_differ);
}

TEST(LinkRules, ASharedFixedLineNeverMerges) {
  const auto stored = with_fixed_line(person("Ivan", "Petrov", "acme.ru"), "+74951234567");
  // The switchboard on two colleagues' rows: nothing at all.
  EXPECT_FALSE(
      rule(with_fixed_line(person("Olga", "Sidorova", "acme.ru"), "+74951234567"), stored));
  // The same name on the switchboard, nothing else: flagged (names at the domain decide first).
  auto same = with_fixed_line(person("Ivan", "Petrov"), "+74951234567");
  EXPECT_EQ(rule(same, stored), LinkRule::shared_phone);
}

TEST(LinkRules, ASharedRoleMailboxNeverMerges) {
  const auto stored = with_email(person("Ivan", "Petrov"), "sales@acme.com");
  EXPECT_FALSE(rule(with_email(person("Olga", "Sidorova"), "sales@acme.com"), stored));
  EXPECT_FALSE(rule(with_email(person("", ""), "sales@acme.com"), stored));
  EXPECT_EQ(rule(with_email(person("Ivan", "Petrov"), "sales@acme.com"), stored),
            LinkRule::shared_role_email);
}

TEST(LinkRules, ConflictingStrongIdentifiersVetoTheNameRules) {
  // Same name, same company, each their own mailbox: two people, nothing to review.
  const auto stored = with_email(person("John", "Smith", "acme.com"), "john.smith@acme.com");
  EXPECT_FALSE(rule(with_email(person("John", "Smith", "acme.com"), "jsmith2@acme.com"), stored));
  // Each their own mobile.
  const auto mobile = with_phone(person("John", "Smith", "acme.com"), "+12125550101");
  EXPECT_FALSE(rule(with_phone(person("John", "Smith", "acme.com"), "+12125550102"), mobile));
  // Two gmail addresses are no conflict: one person may have two.
  const auto gmail = with_email(person("John", "Smith", "acme.com"), "john.smith@gmail.com");
  EXPECT_EQ(rule(with_email(person("John", "Smith", "acme.com"), "jsmith77@gmail.com"), gmail),
            LinkRule::same_name_at_domain);
}

TEST(LinkRules, ASharedMobileWithTwoWorkMailboxesIsFlagged) {
  const auto stored =
      with_phone(with_email(person("Ivan", "Petrov", "acme.ru"), "ivan@acme.ru"), "+79161234567");
  const auto newcomer =
      with_phone(with_email(person("Ivan", "Petrov", "acme.ru"), "petrov@acme.ru"), "+79161234567");
  EXPECT_EQ(rule(newcomer, stored), LinkRule::mobile_unconfirmed);
}

TEST(LinkRules, AnExactNameAtTheCompanyIsFlaggedNeverMerged) {
  const auto stored = with_email(person("Sergey", "Ivanov", "acme.com"), "s.ivanov@acme.com");
  EXPECT_EQ(rule(person("SERGEY", "Ivanov", "acme.com"), stored), LinkRule::exact_name_at_domain);
  EXPECT_FALSE(merges(LinkRule::exact_name_at_domain)) << "a name alone is a coin toss";
  EXPECT_EQ(rule(with_fixed_line(person("Sergey", "Ivanov", "acme.com"), "+74951234567"), stored),
            LinkRule::exact_name_at_domain);
  // Both confirmed by something of their own (an e-mail and a mobile): review.
  EXPECT_EQ(rule(with_phone(person("Sergey", "Ivanov", "acme.com"), "+79160000000"), stored),
            LinkRule::same_name_at_domain);
  EXPECT_FALSE(rule(person("Sergey", "Ivanov", "other.com"), stored)); // another company
  EXPECT_FALSE(rule(person("Sergey", "Ivanov"), stored));              // no domain
}

TEST(LinkRules, ACommonOrAmbiguousNameIsFlaggedNotMerged) {
  const auto stored = person("John", "Smith", "acme.com");
  EXPECT_EQ(rule(person("John", "Smith", "acme.com"), stored, {.common = true}),
            LinkRule::common_name_at_domain);
  EXPECT_EQ(rule(person("John", "Smith", "acme.com"), stored, {.ambiguous = true}),
            LinkRule::same_name_at_domain);
}

TEST(LinkRules, AFuzzyNameNeverMergesOnItsOwn) {
  const auto stored = person("Sergey", "Ivanov", "acme.com");
  const auto typo = link(match_keys(person("Sergei", "Ivanow", "acme.com")), match_keys(stored));
  ASSERT_TRUE(typo.has_value());
  EXPECT_EQ(typo->rule, LinkRule::similar_name_at_domain);
  EXPECT_GT(typo->score, 0.9);
  EXPECT_LT(typo->score, 1.0);
  EXPECT_EQ(rule(person("S.", "Ivanov", "acme.com"), stored), LinkRule::similar_name_at_domain);
  EXPECT_FALSE(rule(person("", "Ivanov", "acme.com"), stored)); // no given name: nothing to say
  EXPECT_FALSE(rule(person("Maria", "Ivanova", "acme.com"), stored));
}

TEST(NameRelation, DocumentedThresholdSeparatesTyposFromOtherPeople) {
  const auto agree = [](std::string_view f1, std::string_view l1, std::string_view f2,
                        std::string_view l2) {
    return compare_names(f1, l1, f2, l2) == NameRelation::agree;
  };
  // Above 0.92: one typo or transliteration.
  EXPECT_TRUE(agree("catherine", "jones", "katherine", "jones")); // 0.926
  EXPECT_TRUE(agree("mohammed", "ali", "mohammad", "ali"));       // 0.950
  EXPECT_TRUE(agree("jon", "smith", "john", "smith"));            // 0.933
  // Below: different names.
  EXPECT_EQ(compare_names("john", "smith", "joan", "smith"), NameRelation::conflict);    // 0.867
  EXPECT_EQ(compare_names("stephen", "king", "steven", "king"), NameRelation::conflict); // 0.894
  EXPECT_EQ(compare_names("john", "smith", "john", "smyth"), NameRelation::conflict);    // 0.893
  // Feminine forms are other people however similar the strings.
  EXPECT_EQ(compare_names("aleksandr", "ivanov", "aleksandra", "ivanova"), NameRelation::conflict);
  EXPECT_EQ(compare_names("анна", "петров", "анна", "петрова"), NameRelation::conflict);
  EXPECT_EQ(compare_names("maria", "lopez", "marie", "lopez"), NameRelation::conflict);
  EXPECT_EQ(compare_names("anna", "lee", "anna", "lee"), NameRelation::exact);
  EXPECT_EQ(compare_names("", "lee", "anna", "lee"), NameRelation::unknown);
}

TEST(NameFrequency, CountsNeverLessThanTheTruthAndMarksCommonNames) {
  NameFrequency frequency;
  const auto john = match_keys(person("John", "Smith")).name_hash();
  const auto rare = match_keys(person("Zebulon", "Quarrington")).name_hash();
  EXPECT_FALSE(frequency.common(john));
  for (std::uint32_t i = 1; i <= common_name_count; ++i) {
    frequency.add(john);
    EXPECT_GE(frequency.estimate(john), i);
  }
  EXPECT_TRUE(frequency.common(john));
  frequency.add(rare);
  EXPECT_FALSE(frequency.common(rare));
  EXPECT_FALSE(frequency.common(0)); // no last name: never common
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

TEST(DecideStored, MergesIntoTheStrongestMatchAndFlagsTheRest) {
  const auto candidate =
      with_phone(with_email(person("Ivan", "Petrov", "acme.com"), "ivan@acme.com"), "+74951234567");
  std::vector<model::Lead> stored = {
      person("Ivan", "Petrov", "acme.com"),                    // by name
      with_phone(person("Ivan", "Petrov"), "+74951234567"),    // by mobile
      with_email(person("Ivan", "Petrov"), "IVAN@acme.com"),   // by e-mail, older
      with_email(person("Ivan", "Petrov"), "ivan@acme.com"),   // by e-mail, newer
      with_email(person("Olga", "Sidorova"), "olga@acme.com"), // not a match
  };
  for (std::size_t i = 0; i < stored.size(); ++i) {
    stored[i].identity.id = uuid(static_cast<std::uint8_t>(i)).to_string();
  }
  stored[2].identity.updated_at = model::TimePoint{std::chrono::seconds{100}};
  stored[3].identity.updated_at = model::TimePoint{std::chrono::seconds{200}};
  const NameFrequency frequency;
  const auto decision = decide_stored(candidate, stored, frequency);
  ASSERT_TRUE(decision.merge.has_value());
  EXPECT_EQ(decision.merge->index, 3U);
  EXPECT_EQ(decision.merge->link.rule, LinkRule::email);
  // The other leads it would merge with are bridges for a person to look at; the lead with only
  // the same name at the company is flagged for what it is.
  std::map<std::size_t, LinkRule> flagged;
  for (const auto& flag : decision.flags) {
    flagged[flag.index] = flag.link.rule;
  }
  EXPECT_EQ(flagged, (std::map<std::size_t, LinkRule>{{0, LinkRule::exact_name_at_domain},
                                                      {1, LinkRule::bridge},
                                                      {2, LinkRule::bridge}}));
}

TEST(DecideStored, NeverMatchesATombstoneOrAStranger) {
  auto tombstone = with_email(person("Ivan", "Petrov"), "ivan@acme.com");
  tombstone.deleted = true;
  const std::vector<model::Lead> stored = {tombstone,
                                           with_email(person("Olga", "Sidorova"), "o@acme.com")};
  const NameFrequency frequency;
  const auto decision =
      decide_stored(with_email(person("Ivan", "Petrov"), "ivan@acme.com"), stored, frequency);
  EXPECT_FALSE(decision.merge);
  EXPECT_TRUE(decision.flags.empty());
}

TEST(DecideStored, TwoStoredLeadsWithTheSameNameMakeTheNameAmbiguous) {
  auto first = person("Anna", "Lee", "acme.com");
  first.identity.id = uuid(1).to_string();
  auto second = with_email(person("Anna", "Lee", "acme.com"), "anna.lee@acme.com");
  second.identity.id = uuid(2).to_string();
  const NameFrequency frequency;
  const auto decision =
      decide_stored(person("Anna", "Lee", "acme.com"), std::vector{first, second}, frequency);
  EXPECT_FALSE(decision.merge);
  ASSERT_EQ(decision.flags.size(), 2U);
  EXPECT_EQ(decision.flags[0].link.rule, LinkRule::same_name_at_domain);
}

// ---- file index ---------------------------------------------------------------------------------

std::optional<FileIndex::Candidate> first_found(const FileIndex& index, const model::Lead& lead) {
  static const NameFrequency frequency;
  const auto found = index.find(match_keys(lead), frequency);
  return found.empty() ? std::nullopt : std::optional(found.front());
}

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

  const auto by_email = first_found(index, with_email(person("", ""), "S.Ivanov@ACME.com"));
  ASSERT_TRUE(by_email.has_value());
  EXPECT_EQ(by_email->ref, first);
  EXPECT_EQ(by_email->link.rule, LinkRule::email);

  const auto by_phone = first_found(index, with_phone(person("S.", "Ivanov"), "+74951234567"));
  ASSERT_TRUE(by_phone.has_value());
  EXPECT_EQ(by_phone->link.rule, LinkRule::mobile);

  const auto by_name = first_found(index, person("Sergey", "Ivanov", "acme.com"));
  ASSERT_TRUE(by_name.has_value());
  EXPECT_EQ(by_name->ref, first);
  EXPECT_EQ(by_name->link.rule, LinkRule::exact_name_at_domain);

  const auto fuzzy = first_found(index, person("Sergei", "Ivanov", "acme.com"));
  ASSERT_TRUE(fuzzy.has_value());
  EXPECT_EQ(fuzzy->link.rule, LinkRule::similar_name_at_domain);

  EXPECT_FALSE(first_found(index, person("Sergey", "Petrov", "acme.com")));
  EXPECT_EQ(first_found(index, with_phone(person("Olga", "Sidorova"), "+74951234567"))->link.rule,
            LinkRule::mobile_names_differ);
  EXPECT_EQ(first_found(index, with_email(person("", ""), "olga@example.org"))->ref, second);
}

TEST(FileIndex, ExtendAddsTheKeysALeadGainedInAMerge) {
  FileIndex index;
  const auto ref = index.add(uuid(1), match_keys(with_email(person("", ""), "a@acme.com")));
  EXPECT_FALSE(first_found(index, with_phone(person("", ""), "+12125550100")));
  EXPECT_FALSE(first_found(index, person("Anna", "Lee", "acme.com")));

  index.extend(ref, match_keys(with_phone(person("Anna", "Lee", "acme.com"), "+12125550100")));
  EXPECT_EQ(first_found(index, with_phone(person("Anna", "Lee"), "+12125550100"))->ref, ref);
  EXPECT_EQ(first_found(index, person("Anna", "Lee", "acme.com"))->ref, ref);
  // The names it gained show a colleague on the phone.
  EXPECT_EQ(first_found(index, with_phone(person("Bob", "Stone"), "+12125550100"))->link.rule,
            LinkRule::mobile_names_differ);
  index.extend(ref, match_keys(person("Anna", "Lee", "acme.com"))); // idempotent
  EXPECT_EQ(index.size(), 1U);
}

TEST(FileIndex, AKeyStaysWithTheFirstLeadThatHadIt) {
  FileIndex index;
  const auto first = index.add(uuid(1), match_keys(with_phone(person("", "Lee"), "+12125550100")));
  index.add(uuid(2), match_keys(with_phone(person("", "Lee"), "+12125550100")));
  EXPECT_EQ(first_found(index, with_phone(person("", "Lee"), "+12125550100"))->ref, first);
}

TEST(FileIndex, TwoLeadsWithTheSameNameAtTheCompanyAreFlaggedNeverMerged) {
  FileIndex index;
  index.add(uuid(1), match_keys(with_email(person("John", "Smith", "acme.com"), "js1@acme.com")));
  index.add(uuid(2), match_keys(with_phone(person("John", "Smith", "acme.com"), "+12125550101")));
  const NameFrequency frequency;
  const auto found = index.find(match_keys(person("John", "Smith", "acme.com")), frequency);
  ASSERT_EQ(found.size(), 2U);
  EXPECT_EQ(found[0].link.rule, LinkRule::same_name_at_domain);
  EXPECT_EQ(found[1].link.rule, LinkRule::same_name_at_domain);
  EXPECT_FALSE(merges(found[0].link.rule));
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
  EXPECT_EQ(first_found(index, with_email(person("", ""), "person77777@example.com"))->ref, 77777U);
}

} // namespace
} // namespace leadsync::importer
