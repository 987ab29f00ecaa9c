#pragma once
// Normalizers for the values a purchased list carries: text and person names (ICU), e-mail
// addresses (syntax, IDNA, role and free-mail recognition), phone numbers (libphonenumber) and web
// domains (libpsl). Every function is pure and safe to call from several threads at once: the only
// shared state is immutable (ICU's UTS #46 and NFD instances, libphonenumber's PhoneNumberUtil
// singleton, libpsl's built-in list, the compiled-in role and free-mail lists), so a pipeline can
// normalize rows on every core. Input is UTF-8; ill-formed bytes become U+FFFD rather than passing
// through.

#include "leadsync/model/lead.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace leadsync::importer {

// ---- text and names -----------------------------------------------------------------------------

// Trims, and collapses every run of Unicode white space (NBSP, thin and ideographic spaces, tabs,
// line breaks, other controls) into one ASCII space. Invisible characters that only break matching
// (zero-width space, word joiner, BOM, soft hyphen) are removed; ZWJ/ZWNJ stay, Persian and Arabic
// spelling needs them.
std::string clean_text(std::string_view text);

// clean_text, then proper case for names written ALL-CAPS or all-lower in a script that has case
// (Latin, Cyrillic, Greek...): "ИВАНОВ" -> "Иванов", "O'BRIEN" -> "O'Brien", "MARY-JANE" ->
// "Mary-Jane", "MCDONALD" -> "McDonald", "JEAN DE LA FONTAINE" -> "Jean de la Fontaine" (particles
// after the first word stay lower-case). A name that already mixes cases ("van der BERG",
// "McDonald") is someone's deliberate spelling and is left alone, as is every script without case
// (Arabic, Hebrew, CJK).
std::string normalize_name(std::string_view name);

struct PersonName {
  std::string first;
  std::string middle; // middle name, or the patronymic (отчество) of a Russian name
  std::string last;
  friend bool operator==(const PersonName&, const PersonName&) = default;
};

// Splits a "full name" column; the name is cased as a whole by normalize_name first. Heuristics:
//  - "Last, First Middle" when there is a comma;
//  - three Cyrillic words with a patronymic (-ович, -евич, -ьич, -овна, -евна, -ична, -оглы,
//    -кызы, -улы; a Turkic "Рашид оглы" counts as one word): "Фамилия Имя Отчество" when it comes
//    last, "Имя Отчество Фамилия" when it comes second; the patronymic is the middle name;
//  - two Cyrillic words where the first looks more like a surname than the second (-ов, -ев,
//    -ский, -цкий, -енко and their feminine forms beat -ин, -ын, -ых, -их, -ук, -юк, which given
//    names like Ирина share, which beat none): "Фамилия Имя"; otherwise "Имя Фамилия". Two words
//    that look alike ("Пушкина Марина") stay "Имя Фамилия": the order cannot be told, and that is
//    the more common one;
//  - Arabic script: the first word is the given name (a leading عبد joins the next word: عبد الله),
//    the rest (nasab, family name) the last name;
//  - otherwise the first word is the given name, the last word the family name (with any particles
//    before it: "Ludwig van Beethoven" -> last "van Beethoven"), the words between the middle name.
//    A Latin "Petrov Ivan" is read as given name Petrov: the order cannot be told there either.
// One word is taken as the last name (a surname alone identifies better than a given name alone).
PersonName split_full_name(std::string_view full_name);

// The form names are compared in: case-folded, diacritics and Arabic vowel marks removed, Arabic
// letter variants unified (أ إ آ -> ا, ة -> ه, ى -> ي), apostrophes dropped, hyphens, dots and
// commas read as spaces, spaces collapsed. "Ñúñez" -> "nunez", "Ёлкин" -> "елкин", "O'Brien" ->
// "obrien".
std::string fold_for_matching(std::string_view text);

// Jaro-Winkler similarity (0..1, prefix scale 0.1, up to 4 prefix characters) of two strings,
// compared code point by code point. Callers fold first.
double jaro_winkler(std::string_view a, std::string_view b);

// ---- e-mail -------------------------------------------------------------------------------------

struct EmailCheck {
  // Normalized: trimmed, domain lower-cased and in IDNA ASCII form, local part as written; empty
  // when invalid.
  std::string address;
  std::string domain; // the host part of `address`
  bool valid = false;
  bool role = false;      // a shared mailbox (info@, sales@, noreply@...) rather than a person
  bool free_mail = false; // a public mail provider: its domain says nothing about the employer
  std::string problem;    // why it is invalid, for the row report; empty when valid
};

// A practical RFC 5321/5322 subset: one '@'; a local part of atext characters in dot-atom form or
// one quoted string without white space (the lead model refuses spaces), non-ASCII allowed (RFC
// 6531), at most 64 octets; a domain of at least two labels, each 1-63 letters, digits or hyphens
// (not at either end) after IDNA (UTS #46) conversion, the top-level one not all digits; 254 octets
// in all. "mailto:" and a "Name <address>" wrapper are accepted and removed. Address literals
// ("user@[192.0.2.1]") and comments are refused: no purchased lead legitimately has them.
EmailCheck normalize_email(std::string_view raw);

// Role mailboxes by local part ("info", "sales", "no-reply"... and their "+tag" forms), any case.
bool is_role_local_part(std::string_view local_part);
// Free-mail providers by domain (any subdomain counts): gmail.com, mail.ru, yandex.ru, qq.com...
// and the families registered under many suffixes (yahoo.*, hotmail.*, outlook.*, live.*, gmx.*,
// aol.*, yandex.*, rambler.*, protonmail.*).
bool is_free_mail_domain(std::string_view ascii_domain);

// ---- web domains --------------------------------------------------------------------------------

// A host name in IDNA ASCII form, lower-cased ("Пример.РФ" -> "xn--e1afmkfd.xn--p1ai"); nullopt
// when it is not a valid host name. A trailing dot is dropped.
std::optional<std::string> to_ascii_domain(std::string_view host);

// The registrable domain (public suffix + one label, per libpsl's built-in Public Suffix List) of a
// URL or host: scheme, user info, port, path, query, fragment and "www." are removed, IDN converted
// to ASCII. "https://shop.example.com/path" -> "example.com", "www.example.co.uk" ->
// "example.co.uk". nullopt for IP addresses, public suffixes themselves ("co.uk"), single-label
// hosts and anything that is not a host.
std::optional<std::string> registrable_domain(std::string_view url_or_host);

// ---- phones -------------------------------------------------------------------------------------

struct PhoneCheck {
  model::Phone phone;  // raw (clean_text of the input), e164, extension, valid, kind
  std::string problem; // why the number is not trusted, for the row report; empty when valid
};

// libphonenumber, with `default_region` (ISO 3166 alpha-2, "US", "RU", "AE") for numbers written
// without a country code. Arabic-Indic and Eastern Arabic-Indic digits are understood; "ext. 12",
// "x12", "доб. 12" go to `extension`. A number written with the "00" international prefix, or a
// number whose '+' a spreadsheet dropped ("79161234567"), is tried as international when it is not
// valid in the region. `kind` nullopt: guessed from the number type (mobile -> mobile; fixed line,
// fixed-line-or-mobile, toll-free, VoIP... -> business; not valid -> other). A number that parses
// but is not valid keeps an e164 only when libphonenumber calls it possible and it has 8-15 digits;
// valid is then false: never trust it.
PhoneCheck normalize_phone(std::string_view raw, std::string_view default_region,
                           std::optional<model::PhoneKind> kind = std::nullopt);

// Whether libphonenumber knows the region ("US" yes, "XX" no): check the configured default once.
bool is_supported_region(std::string_view region);

// The ISO 3166 alpha-2 region of a country as a list writes it: a code ("ru", "RUS"), or the name
// in English, Russian or Arabic as ICU's locale data spells it ("Russia", "Россия", "روسيا"), plus
// common short forms (USA, UK, UAE, РФ, США, ОАЭ). Case- and accent-insensitive; nullopt if
// unknown.
std::optional<std::string> region_for_country(std::string_view country);

// A BCP 47 language tag for what a list writes as the language: a tag in any case ("EN", "ar_sa" ->
// "ar-SA"), an ISO 639-2 code ("rus" -> "ru"), or the language's name in English, Russian or Arabic
// as ICU's locale data spells it ("Russian", "русский", "العربية"). nullopt when unknown.
std::optional<std::string> language_tag(std::string_view language);

} // namespace leadsync::importer
