// E-mail syntax, normalization, role mailboxes and free-mail providers.
//
// The role and free-mail lists are compiled in rather than read from mappings/: they change rarely,
// every deployment needs the same ones, and keeping them in code keeps normalize_email a pure
// function with no file to load, no load error to report and nothing to lock when rows are cleaned
// in parallel.

#include "clean/detail/text.hpp"
#include "leadsync/importer/normalize.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_set>

namespace leadsync::importer {
namespace {

constexpr std::size_t max_local_part_length = 64;
constexpr std::size_t max_address_length = 254;

// Local parts of shared mailboxes (compared without a "+tag"), space-separated.
constexpr std::string_view role_mailboxes =
    "abuse accounting accounts admin administrator billing booking buh buhgalteria bukhgalteriya "
    "careers compliance contact contacts contactus customerservice do-not-reply donotreply email "
    "enquiries enquiry events feedback finance general hello help helpdesk hi hostmaster hr info "
    "inquiries inquiry it jobs kadry legal mail mailbox marketing media news newsletter no-reply "
    "no_reply noreply notifications office order orders partners postmaster pr press priem "
    "priemnaya privacy procurement purchasing reception recruitment reservations root sales "
    "secretary security service services shop store support team webmaster zakaz zakupki";

// Providers whose domain says nothing about the sender's employer. Any subdomain counts.
constexpr std::string_view free_mail_providers =
    "126.com 139.com 163.com aim.com bk.ru daum.net email.com fastmail.com free.fr freenet.de "
    "gmail.com googlemail.com hanmail.net hey.com hushmail.com i.ua icloud.com inbox.lv inbox.ru "
    "interia.pl internet.ru laposte.net libero.it list.ru mac.com mail.com mail.ru mail.ua "
    "maktoob.com me.com meta.ua msn.com naver.com o2.pl onet.pl orange.fr pm.me proton.me qq.com "
    "rambler.ru rediffmail.com ro.ru rocketmail.com seznam.cz sina.com sohu.com t-online.de "
    "tut.by tuta.io tutanota.com ukr.net virgilio.it wanadoo.fr web.de wp.pl ya.ru yeah.net "
    "ymail.com zoho.com zohomail.com";

// Providers registered under many public suffixes: yahoo.co.uk, hotmail.fr, gmx.de, yandex.kz...
constexpr std::string_view free_mail_brands =
    "aol gmx hotmail live outlook protonmail rambler yahoo yandex";

using NameSet = std::unordered_set<std::string_view>;

NameSet word_set(std::string_view words) {
  NameSet set;
  for (std::size_t start = 0; start < words.size();) {
    const auto end = std::min(words.find(' ', start), words.size());
    set.insert(words.substr(start, end - start));
    start = end + 1;
  }
  return set;
}

// Built on first use; static initialization is thread-safe and the sets are never changed after.
const NameSet& role_set() {
  static const NameSet set = word_set(role_mailboxes);
  return set;
}
const NameSet& provider_set() {
  static const NameSet set = word_set(free_mail_providers);
  return set;
}
const NameSet& brand_set() {
  static const NameSet set = word_set(free_mail_brands);
  return set;
}

bool is_atext(char c) {
  static constexpr std::string_view specials = "!#$%&'*+/=?^_`{|}~-";
  return detail::is_ascii_alpha(c) || detail::is_ascii_digit(c) ||
         specials.find(c) != std::string_view::npos ||
         static_cast<unsigned char>(c) >= 0x80; // RFC 6531: UTF-8 in the local part
}

// Dot-atom: atext runs separated by single dots.
std::string dot_atom_problem(std::string_view local) {
  if (local.front() == '.' || local.back() == '.') {
    return "the name before '@' starts or ends with a dot";
  }
  if (local.find("..") != std::string_view::npos) {
    return "two dots in a row before '@'";
  }
  for (const char c : local) {
    if (c != '.' && !is_atext(c)) {
      return std::string("character '") + c + "' is not allowed before '@' (put it in quotes)";
    }
  }
  return {};
}

// Quoted string: printable ASCII except '"' and '\', which need a backslash.
std::string quoted_problem(std::string_view local) {
  for (std::size_t i = 1; i + 1 < local.size(); ++i) {
    const auto c = static_cast<unsigned char>(local[i]);
    if (c == '\\') {
      if (i + 2 >= local.size()) {
        return "the quoted name before '@' is not closed (its last quote is escaped)";
      }
      ++i;
    } else if (c == '"' || c < 0x20 || c == 0x7F) {
      return "the quoted name before '@' holds an unescaped quote or control character";
    }
  }
  return {};
}

// "mailto:x@y", "Name <x@y>", "<x@y>" -> "x@y".
std::string_view unwrap(std::string_view text) {
  if (detail::istarts_with(text, "mailto:")) {
    text.remove_prefix(7);
  }
  const auto open = text.rfind('<');
  if (open != std::string_view::npos && text.ends_with('>')) {
    text = text.substr(open + 1, text.size() - open - 2);
  }
  return text;
}

EmailCheck invalid(std::string problem) {
  EmailCheck check;
  check.problem = std::move(problem);
  return check;
}

} // namespace

bool is_role_local_part(std::string_view local_part) {
  const auto base = local_part.substr(0, local_part.find('+'));
  return role_set().contains(detail::ascii_lower(base));
}

bool is_free_mail_domain(std::string_view ascii_domain) {
  const auto domain = detail::ascii_lower(ascii_domain);
  for (std::string_view suffix = domain;;) {
    if (provider_set().contains(suffix)) {
      return true;
    }
    const auto dot = suffix.find('.');
    if (dot == std::string_view::npos) {
      break;
    }
    suffix.remove_prefix(dot + 1);
  }
  const auto registrable = registrable_domain(domain);
  if (!registrable) {
    return false;
  }
  const std::string_view brand = std::string_view(*registrable).substr(0, registrable->find('.'));
  return brand_set().contains(brand);
}

EmailCheck normalize_email(std::string_view raw) {
  const auto cleaned = clean_text(raw);
  const auto address = unwrap(cleaned);
  if (address.empty()) {
    return invalid("empty");
  }
  // Even inside quotes: the lead model (model::validate) refuses addresses with white space.
  if (address.find(' ') != std::string_view::npos) {
    return invalid("contains a space");
  }
  // Even inside quotes: the lead model refuses an address with more than one '@'.
  const auto ats = std::count(address.begin(), address.end(), '@');
  if (ats == 0) {
    return invalid("no '@'");
  }
  if (ats > 1) {
    return invalid("more than one '@'");
  }
  const auto at = address.find('@');
  const auto local = address.substr(0, at);
  const auto domain = address.substr(at + 1);
  if (local.empty()) {
    return invalid("nothing before '@'");
  }
  if (domain.empty()) {
    return invalid("nothing after '@'");
  }
  const bool quoted = local.front() == '"';
  if (quoted && (local.size() < 2 || local.back() != '"')) {
    return invalid("the quoted name before '@' is not closed");
  }
  if (local.size() > max_local_part_length) {
    return invalid("the name before '@' is longer than 64 characters");
  }
  const auto local_problem = quoted ? quoted_problem(local) : dot_atom_problem(local);
  if (!local_problem.empty()) {
    return invalid(local_problem);
  }
  if (domain.starts_with('[')) {
    return invalid("an IP address instead of a domain after '@'");
  }
  auto ascii_domain = to_ascii_domain(domain);
  if (!ascii_domain) {
    return invalid("'" + std::string(domain) + "' is not a valid domain");
  }
  EmailCheck check;
  check.address = std::string(local) + "@" + *ascii_domain;
  if (check.address.size() > max_address_length) {
    return invalid("longer than 254 characters");
  }
  check.domain = std::move(*ascii_domain);
  check.valid = true;
  check.role = is_role_local_part(local);
  check.free_mail = is_free_mail_domain(check.domain);
  return check;
}

} // namespace leadsync::importer
