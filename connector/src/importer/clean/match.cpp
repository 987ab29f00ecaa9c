// Match keys and the rules that decide whether two leads are one (see dedupe.hpp).

#include "clean/detail/match_rules.hpp"
#include "clean/detail/text.hpp"
#include "leadsync/importer/dedupe.hpp"

#include <algorithm>
#include <charconv>

namespace leadsync::importer {
namespace {

// Russian and many other languages mark the feminine form of a name with a final a/я:
// Ivanov/Ivanova, Aleksandr/Aleksandra, Petrovskii/Petrovskaya. Those pairs are near-identical
// strings but two people.
bool has_feminine_ending(std::string_view folded) {
  return folded.ends_with("a") || folded.ends_with("\u0430") || folded.ends_with("\u044F");
}

bool similar_name(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty() || has_feminine_ending(a) != has_feminine_ending(b)) {
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

} // namespace

std::string_view to_string(MatchReason reason) {
  switch (reason) {
  case MatchReason::email:
    return "email";
  case MatchReason::phone:
    return "phone";
  case MatchReason::name_at_domain:
    return "name at domain";
  }
  return "unknown";
}

bool detail::names_conflict(std::string_view first_a, std::string_view last_a,
                            std::string_view first_b, std::string_view last_b) {
  return (!last_a.empty() && !last_b.empty() && !similar_name(last_a, last_b)) ||
         (!first_a.empty() && !first_b.empty() && !similar_name(first_a, first_b) &&
          !is_initial_of(first_a, first_b) && !is_initial_of(first_b, first_a));
}

bool same_person_name(std::string_view first_a, std::string_view last_a, std::string_view first_b,
                      std::string_view last_b) {
  // Family names first: they differ more often, so most pairs are decided by one comparison.
  return similar_name(last_a, last_b) && similar_name(first_a, first_b);
}

MatchKeys match_keys(const model::Lead& lead) {
  MatchKeys keys;
  for (const auto& email : lead.person.emails) {
    const auto at = email.rfind('@');
    if (at == std::string::npos) {
      continue;
    }
    keys.emails.push_back({detail::stable_hash(detail::ascii_lower(email)),
                           is_role_local_part(std::string_view(email).substr(0, at))});
  }
  for (const auto& phone : lead.person.phones) {
    if (const auto key = e164_key(phone);
        key && std::find(keys.phones.begin(), keys.phones.end(), *key) == keys.phones.end()) {
      keys.phones.push_back(*key);
    }
  }
  if (!lead.company.domain.empty()) {
    keys.domain = detail::stable_hash(detail::ascii_lower(lead.company.domain));
  }
  keys.first = fold_for_matching(lead.person.first_name);
  keys.last = fold_for_matching(lead.person.last_name);
  return keys;
}

std::optional<MatchReason> match_reason(const MatchKeys& candidate, const MatchKeys& existing) {
  const bool conflict =
      detail::names_conflict(candidate.first, candidate.last, existing.first, existing.last);
  for (const auto& email : candidate.emails) {
    const bool shared =
        std::any_of(existing.emails.begin(), existing.emails.end(),
                    [&](const MatchKeys::Email& other) { return other.hash == email.hash; });
    if (shared && (!email.role || !conflict)) {
      return MatchReason::email;
    }
  }
  if (!conflict) {
    for (const auto phone : candidate.phones) {
      if (std::find(existing.phones.begin(), existing.phones.end(), phone) !=
          existing.phones.end()) {
        return MatchReason::phone;
      }
    }
  }
  if (candidate.domain != 0 && candidate.domain == existing.domain &&
      same_person_name(candidate.first, candidate.last, existing.first, existing.last)) {
    return MatchReason::name_at_domain;
  }
  return std::nullopt;
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

std::optional<StoredMatch> match_stored(const model::Lead& candidate,
                                        std::span<const model::Lead> stored) {
  const auto keys = match_keys(candidate);
  std::optional<StoredMatch> best;
  for (std::size_t i = 0; i < stored.size(); ++i) {
    if (stored[i].deleted) {
      continue;
    }
    const auto reason = match_reason(keys, match_keys(stored[i]));
    if (!reason) {
      continue;
    }
    const bool better = !best || *reason < best->reason ||
                        (*reason == best->reason &&
                         stored[i].identity.updated_at > stored[best->index].identity.updated_at);
    if (better) {
      best = StoredMatch{i, *reason};
    }
  }
  return best;
}

} // namespace leadsync::importer
