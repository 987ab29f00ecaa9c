// Match keys and the rules that decide whether two leads are one, may be one, or are two people
// (see dedupe.hpp).

#include "clean/detail/match_rules.hpp"
#include "clean/detail/text.hpp"
#include "leadsync/importer/dedupe.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <memory>
#include <unicode/translit.h>
#include <unicode/unistr.h>
#include <unordered_map>

namespace leadsync::importer {
namespace {

// Russian and many other languages mark the feminine form of a name with a final a/я:
// Ivanov/Ivanova, Aleksandr/Aleksandra, Petrovskii/Petrovskaya. Those pairs are near-identical
// strings but two people.
bool has_feminine_ending(std::string_view folded) {
  return folded.ends_with("a") || folded.ends_with("\u0430") || folded.ends_with("\u044F");
}

bool is_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// A folded name in Latin letters: ICU's "Any-Latin; Latin-ASCII" gives one deterministic
// romanisation (Александр -> aleksandr, Ольга -> olga; محمد -> mhmd, consonants only), so a name
// written in two scripts can be compared, as a fuzzy match that flags and never merges on its own
// (../shared/scoring-dedupe.md, B6).
std::string latin_form(std::string_view folded) {
  thread_local const std::unique_ptr<icu::Transliterator> to_latin = [] {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::Transliterator> made(
        icu::Transliterator::createInstance("Any-Latin; Latin-ASCII", UTRANS_FORWARD, status));
    return U_SUCCESS(status) ? std::move(made) : nullptr;
  }();
  // Names of one company recur from row to row: a small cache per thread saves most of ICU's work.
  constexpr std::size_t max_cached = 4096;
  thread_local std::unordered_map<std::string, std::string> cache;
  if (to_latin == nullptr) {
    return std::string(folded);
  }
  const std::string key(folded);
  if (const auto found = cache.find(key); found != cache.end()) {
    return found->second;
  }
  auto unicode = icu::UnicodeString::fromUTF8(
      icu::StringPiece(folded.data(), static_cast<std::int32_t>(folded.size())));
  to_latin->transliterate(unicode);
  std::string latin;
  unicode.toUTF8String(latin);
  if (cache.size() >= max_cached) {
    cache.clear();
  }
  return cache.emplace(key, fold_for_matching(latin)).first->second;
}

bool similar_name(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) {
    return false;
  }
  if (a == b) {
    return true;
  }
  if (is_ascii(a) != is_ascii(b)) { // two scripts: compare their Latin forms
    const auto latin_a = latin_form(a);
    const auto latin_b = latin_form(b);
    return !latin_a.empty() && !latin_b.empty() &&
           has_feminine_ending(latin_a) == has_feminine_ending(latin_b) &&
           jaro_winkler(latin_a, latin_b) >= name_match_threshold;
  }
  if (has_feminine_ending(a) != has_feminine_ending(b)) {
    return false;
  }
  return a == b || jaro_winkler(a, b) >= name_match_threshold;
}

// "s" (from "S.") for "sergey": an initial does not contradict the name it abbreviates.
bool is_initial_of(std::string_view initial, std::string_view name) {
  if (initial.empty()) {
    return false;
  }
  std::int32_t length = 0;
  detail::next_code_point(initial, length);
  return static_cast<std::size_t>(length) == initial.size() && name.starts_with(initial);
}

bool alike_first_names(std::string_view a, std::string_view b) {
  return similar_name(a, b) || is_initial_of(a, b) || is_initial_of(b, a);
}

std::optional<std::uint64_t> e164_key(const model::Phone& phone) {
  if (!phone.valid || phone.e164.size() < 2 || phone.e164.front() != '+') {
    return std::nullopt;
  }
  std::uint64_t number = 0;
  const auto* first = phone.e164.data() + 1;
  const auto* last = phone.e164.data() + phone.e164.size();
  const auto [end, error] = std::from_chars(first, last, number);
  if (error != std::errc() || end != last) {
    return std::nullopt;
  }
  return number;
}

// A mobile is personal; a fixed line is often a switchboard. Where the numbering plan cannot tell
// (the US, Canada: fixed-line-or-mobile), the column the list gave it in decides.
bool is_mobile(const model::Phone& phone) {
  return phone.line_type == model::LineType::mobile ||
         (phone.line_type == model::LineType::fixed_line_or_mobile &&
          phone.kind == model::PhoneKind::mobile);
}

template <typename T, typename Predicate> bool any(const std::vector<T>& values, Predicate&& test) {
  return std::any_of(values.begin(), values.end(), test);
}

} // namespace

std::string_view to_string(LinkRule rule) {
  switch (rule) {
  case LinkRule::email:
    return "email";
  case LinkRule::mobile:
    return "mobile";
  case LinkRule::exact_name_at_domain:
    return "exact_name_at_domain";
  case LinkRule::email_names_differ:
    return "email_names_differ";
  case LinkRule::mobile_names_differ:
    return "mobile_names_differ";
  case LinkRule::mobile_unconfirmed:
    return "mobile_unconfirmed";
  case LinkRule::same_name_at_domain:
    return "same_name_at_domain";
  case LinkRule::common_name_at_domain:
    return "common_name_at_domain";
  case LinkRule::similar_name_at_domain:
    return "similar_name_at_domain";
  case LinkRule::shared_phone:
    return "shared_phone";
  case LinkRule::shared_role_email:
    return "shared_role_email";
  case LinkRule::identifier_cap:
    return "identifier_cap";
  case LinkRule::bridge:
    return "bridge";
  }
  return "unknown";
}

std::span<const LinkRule> review_order() {
  static constexpr std::array order{
      LinkRule::bridge,
      LinkRule::shared_phone,
      LinkRule::exact_name_at_domain,
      LinkRule::email_names_differ,
      LinkRule::mobile_unconfirmed,
      LinkRule::mobile_names_differ,
      LinkRule::same_name_at_domain,
      LinkRule::similar_name_at_domain,
      LinkRule::shared_role_email,
      LinkRule::common_name_at_domain,
      LinkRule::identifier_cap,
  };
  return order;
}

bool detail::names_conflict(std::string_view first_a, std::string_view last_a,
                            std::string_view first_b, std::string_view last_b) {
  return (!last_a.empty() && !last_b.empty() && !similar_name(last_a, last_b)) ||
         (!first_a.empty() && !first_b.empty() && !alike_first_names(first_a, first_b));
}

NameRelation compare_names(std::string_view first_a, std::string_view last_a,
                           std::string_view first_b, std::string_view last_b) {
  if (!first_a.empty() && !last_a.empty() && first_a == first_b && last_a == last_b) {
    return NameRelation::exact; // the common case of a repeated name, without any similarity
  }
  if (detail::names_conflict(first_a, last_a, first_b, last_b)) {
    return NameRelation::conflict;
  }
  if (last_a.empty() || last_b.empty()) {
    return NameRelation::unknown;
  }
  if (!first_a.empty() && first_a == first_b && last_a == last_b) {
    return NameRelation::exact;
  }
  // Last names alike (no conflict); a missing first name on one side is no agreement.
  return first_a.empty() || first_b.empty() ? NameRelation::unknown : NameRelation::agree;
}

double name_score(std::string_view first_a, std::string_view last_a, std::string_view first_b,
                  std::string_view last_b) {
  if (last_a.empty() || last_b.empty()) {
    return 0;
  }
  if (first_a == first_b && last_a == last_b) {
    return 1;
  }
  if (is_ascii(last_a) != is_ascii(last_b)) { // two scripts: as similar_name compares them
    const auto latin_a = latin_form(std::string(first_a) + " " + std::string(last_a));
    const auto latin_b = latin_form(std::string(first_b) + " " + std::string(last_b));
    return jaro_winkler(latin_a, latin_b);
  }
  const auto full_a = std::string(first_a) + " " + std::string(last_a);
  const auto full_b = std::string(first_b) + " " + std::string(last_b);
  return jaro_winkler(full_a, full_b);
}

bool MatchKeys::has_strong_identifier() const {
  return any(emails, [](const Email& email) { return email.personal(); }) ||
         any(phones, [](const Phone& phone) { return phone.mobile; });
}

std::uint64_t MatchKeys::corporate_host() const {
  for (const auto& email : emails) {
    if (email.corporate()) {
      return email.host;
    }
  }
  return 0;
}

std::uint64_t MatchKeys::name_hash() const {
  if (last.empty()) {
    return 0;
  }
  return detail::stable_hash(first + '\x1f' + last);
}

MatchKeys match_keys(const model::Lead& lead) {
  MatchKeys keys;
  for (const auto& email : lead.person.emails) {
    const auto at = email.rfind('@');
    if (at == std::string::npos) {
      continue;
    }
    const auto host = detail::ascii_lower(std::string_view(email).substr(at + 1));
    keys.emails.push_back(
        {detail::stable_hash(detail::ascii_lower(email)), detail::stable_hash(host),
         is_role_local_part(std::string_view(email).substr(0, at)), is_free_mail_domain(host)});
  }
  for (const auto& phone : lead.person.phones) {
    const auto key = e164_key(phone);
    if (!key) {
      continue;
    }
    const auto kept = std::find_if(keys.phones.begin(), keys.phones.end(),
                                   [&](const MatchKeys::Phone& p) { return p.number == *key; });
    if (kept == keys.phones.end()) {
      keys.phones.push_back({*key, is_mobile(phone)});
    } else {
      kept->mobile = kept->mobile || is_mobile(phone);
    }
  }
  if (!lead.company.domain.empty()) {
    keys.domain = detail::stable_hash(detail::ascii_lower(lead.company.domain));
  }
  keys.first = fold_for_matching(lead.person.first_name);
  keys.last = fold_for_matching(lead.person.last_name);
  return keys;
}

LeadSummary summary_of(const MatchKeys& keys) {
  LeadSummary summary;
  summary.first = keys.first;
  summary.last = keys.last;
  summary.domain = keys.domain;
  summary.personal_email = any(keys.emails, [](const auto& email) { return email.personal(); });
  summary.mobile = any(keys.phones, [](const auto& phone) { return phone.mobile; });
  return summary;
}

SharedKeys shared_keys(const MatchKeys& candidate, const MatchKeys& existing) {
  SharedKeys shared;
  for (const auto& email : candidate.emails) {
    const bool on_both =
        any(existing.emails, [&](const auto& other) { return other.hash == email.hash; });
    if (!on_both) {
      continue;
    }
    auto& slot = email.personal() ? shared.personal_email : shared.role_email;
    if (slot == 0) {
      slot = email.hash;
    }
  }
  for (const auto& phone : candidate.phones) {
    const bool on_both =
        any(existing.phones, [&](const auto& other) { return other.number == phone.number; });
    if (!on_both) {
      continue;
    }
    auto& slot = phone.mobile ? shared.mobile : shared.other_phone;
    if (slot == 0) {
      slot = phone.number;
    }
  }
  const auto host = existing.corporate_host();
  shared.corporate_email_at_host = host != 0 && any(candidate.emails, [&](const auto& email) {
                                     return email.corporate() && email.host == host;
                                   });
  shared.mobile_on_both_sides = any(candidate.phones, [](const auto& p) { return p.mobile; }) &&
                                any(existing.phones, [](const auto& p) { return p.mobile; });
  return shared;
}

std::optional<Link> link(const MatchKeys& candidate, const LeadSummary& existing,
                         const SharedKeys& shared, const NameContext& names) {
  const auto relation =
      compare_names(candidate.first, candidate.last, existing.first, existing.last);
  const auto score = name_score(candidate.first, candidate.last, existing.first, existing.last);
  const bool names_agree = relation == NameRelation::agree || relation == NameRelation::exact;
  // Rule 3's conflicts: two mailboxes at one company, or two mobiles, are two people.
  const bool email_conflict = shared.corporate_email_at_host && shared.personal_email == 0;
  const bool mobile_conflict = shared.mobile_on_both_sides && shared.mobile == 0;

  // 1. A shared personal e-mail.
  if (shared.personal_email != 0) {
    const auto rule =
        relation == NameRelation::conflict ? LinkRule::email_names_differ : LinkRule::email;
    return Link{rule, score, shared.personal_email, 0};
  }
  // 2. A shared mobile.
  if (shared.mobile != 0) {
    const auto rule = relation == NameRelation::conflict ? LinkRule::mobile_names_differ
                      : names_agree && !email_conflict   ? LinkRule::mobile
                                                         : LinkRule::mobile_unconfirmed;
    return Link{rule, score, 0, shared.mobile};
  }
  // 3. Conflicting strong identifiers: two people.
  if (email_conflict || mobile_conflict) {
    return std::nullopt;
  }
  // 4. The same company domain.
  if (candidate.domain != 0 && candidate.domain == existing.domain) {
    if (relation == NameRelation::exact) {
      const bool one_side_unconfirmed =
          !candidate.has_strong_identifier() || !(existing.personal_email || existing.mobile);
      const auto rule = names.common                               ? LinkRule::common_name_at_domain
                        : one_side_unconfirmed && !names.ambiguous ? LinkRule::exact_name_at_domain
                                                                   : LinkRule::same_name_at_domain;
      return Link{rule, score, 0, 0};
    }
    if (relation == NameRelation::agree) {
      return Link{LinkRule::similar_name_at_domain, score, 0, 0};
    }
  }
  // 5. A switchboard or a team mailbox: only with names that agree.
  if (names_agree && shared.other_phone != 0) {
    return Link{LinkRule::shared_phone, score, 0, shared.other_phone};
  }
  if (names_agree && shared.role_email != 0) {
    return Link{LinkRule::shared_role_email, score, shared.role_email, 0};
  }
  return std::nullopt;
}

std::optional<Link> link(const MatchKeys& candidate, const MatchKeys& existing,
                         const NameContext& names) {
  return link(candidate, summary_of(existing), shared_keys(candidate, existing), names);
}

StoreLookups store_lookups(const model::Lead& candidate) {
  StoreLookups lookups;
  for (const auto& email : candidate.person.emails) {
    auto lowered = detail::ascii_lower(email);
    if (std::find(lookups.emails.begin(), lookups.emails.end(), lowered) == lookups.emails.end()) {
      lookups.emails.push_back(std::move(lowered));
    }
  }
  for (const auto& phone : candidate.person.phones) {
    if (phone.valid && !phone.e164.empty() &&
        std::find(lookups.phones.begin(), lookups.phones.end(), phone.e164) ==
            lookups.phones.end()) {
      lookups.phones.push_back(phone.e164);
    }
  }
  if (!fold_for_matching(candidate.person.first_name).empty() &&
      !fold_for_matching(candidate.person.last_name).empty()) {
    lookups.domain = detail::ascii_lower(candidate.company.domain);
  }
  return lookups;
}

// ---- name frequency ---------------------------------------------------------------------------

NameFrequency::NameFrequency() : counters_(rows * width, 0) {}

namespace {
std::size_t sketch_slot(std::uint64_t hash, std::size_t row) {
  // Four 16-bit slices of the 64-bit hash, one per row.
  return static_cast<std::size_t>((hash >> (16 * row)) & 0xFFFF);
}
} // namespace

void NameFrequency::add(std::uint64_t name_hash) {
  if (name_hash == 0) {
    return;
  }
  for (std::size_t row = 0; row < rows; ++row) {
    auto& counter = counters_[row * width + sketch_slot(name_hash, row)];
    if (counter != UINT16_MAX) {
      ++counter;
    }
  }
}

std::uint32_t NameFrequency::estimate(std::uint64_t name_hash) const {
  std::uint32_t lowest = UINT16_MAX;
  for (std::size_t row = 0; row < rows; ++row) {
    lowest = std::min<std::uint32_t>(lowest, counters_[row * width + sketch_slot(name_hash, row)]);
  }
  return lowest;
}

// ---- deciding among several leads ---------------------------------------------------------------

Decision decide_stored(const model::Lead& candidate, std::span<const model::Lead> stored,
                       const NameFrequency& frequency) {
  const auto keys = match_keys(candidate);
  std::vector<MatchKeys> stored_keys;
  stored_keys.reserve(stored.size());
  std::size_t same_exact_name = 0;
  std::vector<std::string> seen_ids;
  for (const auto& lead : stored) {
    stored_keys.push_back(match_keys(lead));
    const auto& other = stored_keys.back();
    const bool duplicate_entry =
        std::find(seen_ids.begin(), seen_ids.end(), lead.identity.id) != seen_ids.end();
    seen_ids.push_back(lead.identity.id);
    if (!lead.deleted && !duplicate_entry && keys.domain != 0 && other.domain == keys.domain &&
        !keys.last.empty() && other.first == keys.first && other.last == keys.last) {
      ++same_exact_name;
    }
  }
  NameContext names;
  names.common = frequency.common(keys.name_hash());
  names.ambiguous = same_exact_name > 1;

  Decision decision;
  std::vector<std::string> decided;
  for (std::size_t i = 0; i < stored.size(); ++i) {
    const auto& lead = stored[i];
    if (lead.deleted ||
        std::find(decided.begin(), decided.end(), lead.identity.id) != decided.end()) {
      continue;
    }
    decided.push_back(lead.identity.id);
    const auto found = link(keys, stored_keys[i], names);
    if (!found) {
      continue;
    }
    if (merges(found->rule)) {
      const bool stronger =
          !decision.merge || found->rule < decision.merge->link.rule ||
          (found->rule == decision.merge->link.rule &&
           lead.identity.updated_at > stored[decision.merge->index].identity.updated_at);
      if (stronger) {
        if (decision.merge) {
          decision.flags.push_back({decision.merge->index, {LinkRule::bridge, found->score}});
        }
        decision.merge = Decision::Flag{i, *found};
      } else {
        decision.flags.push_back({i, {LinkRule::bridge, found->score}});
      }
    } else {
      decision.flags.push_back({i, *found});
    }
  }
  if (decision.flags.size() > max_flags_per_row) {
    decision.flags.resize(max_flags_per_row);
  }
  return decision;
}

} // namespace leadsync::importer
