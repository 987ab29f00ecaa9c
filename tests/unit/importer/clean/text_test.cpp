#include "leadsync/importer/normalize.hpp"

#include <gtest/gtest.h>

namespace leadsync::importer {
namespace {

struct Case {
  std::string input;
  std::string expected;
};

TEST(CleanText, TrimsAndCollapsesEveryKindOfUnicodeSpace) {
  const std::vector<Case> cases = {
      {"  Ivan   Petrov \t", "Ivan Petrov"},
      {"Ivan\u00A0Petrov", "Ivan Petrov"},           // no-break space
      {"Ivan\u2009\u202FPetrov", "Ivan Petrov"},     // thin and narrow no-break spaces
      {"\u3000Иван\r\nПетров\u3000", "Иван Петров"}, // ideographic space, CRLF
      {"Ivan\x01Petrov", "Ivan Petrov"},             // a control character
      {"", ""},
      {" \u00A0 ", ""},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(clean_text(c.input), c.expected) << c.input;
  }
}

TEST(CleanText, RemovesInvisibleCharactersButKeepsJoiners) {
  EXPECT_EQ(clean_text("\uFEFFIva\u200Bn"), "Ivan");
  EXPECT_EQ(clean_text("Pe\u00ADtrov"), "Petrov");
  // ZWNJ is part of Persian spelling (می‌خواهم) and must survive.
  EXPECT_EQ(clean_text("\u0645\u06CC\u200C\u062E"), "\u0645\u06CC\u200C\u062E");
}

TEST(CleanText, ReplacesIllFormedUtf8) {
  EXPECT_EQ(clean_text(std::string("Iv\xFF") + "an"), "Iv\uFFFDan");
  EXPECT_EQ(clean_text("\xC3"), "\uFFFD"); // truncated sequence
}

TEST(NormalizeName, ProperCasesAllCapsAndAllLowerNamesInCasedScripts) {
  const std::vector<Case> cases = {
      {"IVAN", "Ivan"},
      {"ivan", "Ivan"},
      {"ИВАНОВ", "Иванов"},
      {"анна-мария", "Анна-Мария"},
      {"ΠΑΠΑΔΟΠΟΥΛΟΣ", "Παπαδοπουλος"}, // final sigma in lower case
      {"O'BRIEN", "O'Brien"},
      {"d’angelo", "D’Angelo"},
      {"MARY-JANE", "Mary-Jane"},
      {"MCDONALD", "McDonald"},
      {"JEAN DE LA FONTAINE", "Jean de la Fontaine"},
      {"  JOHN   SMITH ", "John Smith"},
      {"ÑÚÑEZ", "Ñúñez"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(normalize_name(c.input), c.expected) << c.input;
  }
}

TEST(NormalizeName, LeavesDeliberateMixedCaseAndCaselessScriptsAlone) {
  EXPECT_EQ(normalize_name("van der BERG"), "van der BERG");
  EXPECT_EQ(normalize_name("McDonald"), "McDonald");
  EXPECT_EQ(normalize_name("DeShawn"), "DeShawn");
  EXPECT_EQ(normalize_name("محمد  العلي"), "محمد العلي"); // spaces collapsed, letters untouched
}

TEST(NormalizeName, AnApostropheInsideAWordDoesNotStartANewWord) {
  // Ukrainian uses the apostrophe inside words: Дем'ян, not Дем'Ян.
  EXPECT_EQ(normalize_name("ДЕМ'ЯН"), "Дем'ян");
}

TEST(NormalizeName, AParticleAtTheStartOfAFamilyNameIsCapitalized) {
  EXPECT_EQ(normalize_name("VAN DER BERG"), "Van der Berg");
}

TEST(SplitFullName, WesternOrderWithMiddleNameAndParticles) {
  EXPECT_EQ(split_full_name("John Ronald Tolkien"), (PersonName{"John", "Ronald", "Tolkien"}));
  EXPECT_EQ(split_full_name("LUDWIG VAN BEETHOVEN"), (PersonName{"Ludwig", "", "van Beethoven"}));
  EXPECT_EQ(split_full_name("Smith, John Paul"), (PersonName{"John", "Paul", "Smith"}));
  EXPECT_EQ(split_full_name("Madonna"), (PersonName{"", "", "Madonna"}));
  EXPECT_EQ(split_full_name("   "), PersonName{});
}

TEST(SplitFullName, RussianOrderFollowsThePatronymic) {
  EXPECT_EQ(split_full_name("Иванов Иван Иванович"), (PersonName{"Иван", "Иванович", "Иванов"}));
  EXPECT_EQ(split_full_name("ПЕТРОВА АННА СЕРГЕЕВНА"),
            (PersonName{"Анна", "Сергеевна", "Петрова"}));
  EXPECT_EQ(split_full_name("Анна Сергеевна Петрова"),
            (PersonName{"Анна", "Сергеевна", "Петрова"}));
  // Azerbaijani and Kazakh patronymics are two words: "Рашид оглы".
  EXPECT_EQ(split_full_name("Мамедов Эльдар Рашид оглы"),
            (PersonName{"Эльдар", "Рашид оглы", "Мамедов"}));
}

TEST(SplitFullName, TwoRussianWordsAreOrderedBySurnameEndings) {
  EXPECT_EQ(split_full_name("Иванов Иван"), (PersonName{"Иван", "", "Иванов"}));
  EXPECT_EQ(split_full_name("Петрова Ирина"), (PersonName{"Ирина", "", "Петрова"}));
  EXPECT_EQ(split_full_name("Ирина Петрова"), (PersonName{"Ирина", "", "Петрова"}));
  EXPECT_EQ(split_full_name("Пушкин Александр"), (PersonName{"Александр", "", "Пушкин"}));
  EXPECT_EQ(split_full_name("Ольга Смирнова"), (PersonName{"Ольга", "", "Смирнова"}));
}

TEST(SplitFullName, ArabicGivenNameFirstAndAbdJoinsTheNextWord) {
  EXPECT_EQ(split_full_name("محمد بن سلمان آل سعود"), (PersonName{"محمد", "", "بن سلمان آل سعود"}));
  EXPECT_EQ(split_full_name("عبد الله الحربي"), (PersonName{"عبد الله", "", "الحربي"}));
}

TEST(FoldForMatching, RemovesCaseDiacriticsAndSpellingVariants) {
  const std::vector<Case> cases = {
      {"Ñúñez", "nunez"},    {"Ёлкин", "елкин"},
      {"O'Brien", "obrien"}, {"Mary-Jane  SMITH", "mary jane smith"},
      {"Straße", "strasse"}, {"أحمد", "احمد"}, // hamza on alef
      {"فَاطِمَة", "فاطمه"},                      // vowel marks removed, teh marbuta unified
      {"مصطفى", "مصطفي"},                      // alef maksura
      {"عـــلي", "علي"},                       // tatweel
  };
  for (const auto& c : cases) {
    EXPECT_EQ(fold_for_matching(c.input), c.expected) << c.input;
  }
}

TEST(JaroWinkler, MatchesThePublishedReferenceValues) {
  // Winkler (1990) / Wikipedia examples.
  EXPECT_NEAR(jaro_winkler("MARTHA", "MARHTA"), 0.961, 0.001);
  EXPECT_NEAR(jaro_winkler("DWAYNE", "DUANE"), 0.840, 0.001);
  EXPECT_NEAR(jaro_winkler("DIXON", "DICKSONX"), 0.813, 0.001);
  EXPECT_DOUBLE_EQ(jaro_winkler("same", "same"), 1.0);
  EXPECT_DOUBLE_EQ(jaro_winkler("abc", "xyz"), 0.0);
  EXPECT_DOUBLE_EQ(jaro_winkler("", "abc"), 0.0);
}

TEST(JaroWinkler, ComparesCodePointsNotBytes) {
  // Two-byte Cyrillic letters: one substituted letter in six, as for the Latin pair.
  EXPECT_DOUBLE_EQ(jaro_winkler("иванов", "иванов"), 1.0);
  EXPECT_DOUBLE_EQ(jaro_winkler("иванов", "ивановъ"), jaro_winkler("ivanov", "ivanovx"));
}

} // namespace
} // namespace leadsync::importer
