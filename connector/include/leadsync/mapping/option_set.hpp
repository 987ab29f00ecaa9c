#pragma once
// A Dataverse choice column's values ("option set"): value <-> label, with synonyms and the
// internal names our lead model uses (e.g. Channel::trade_show is "trade_show" -> 7 "Trade Show").
//
// Text is matched loosely: case does not matter (Latin, Cyrillic and Greek), '_' and '-' count as
// spaces, runs of spaces as one and curly apostrophes as straight ones, so "TRADE-SHOW",
// "trade_show" and "Trade  Show" all find "Trade Show". A label, a synonym or an internal name may
// be given.

#include "leadsync/core/result.hpp"

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::mapping {

struct Option {
  int value = 0;
  std::string label;                 // as Dynamics shows it, e.g. "Trade Show"
  std::vector<std::string> internal; // our names for it; the first is the one the pull side sets
  std::vector<std::string> synonyms; // other texts people use for it
  int line = 0;                      // in the mapping file
};

class OptionSet {
public:
  OptionSet() = default;
  OptionSet(std::string name, std::vector<Option> options);

  const std::string& name() const noexcept { return name_; }
  const std::vector<Option>& options() const noexcept { return options_; }

  // The option whose label, synonym or internal name matches `text` loosely; nullptr when none.
  const Option* find(std::string_view text) const;
  // The option listing `internal_name` among its internal names (compared loosely).
  const Option* find_internal(std::string_view internal_name) const;
  const Option* find_value(int value) const;

  // "1 Advertisement, 2 Employee Referral, ..." for messages.
  std::string accepted_labels() const;

private:
  std::string name_;
  std::vector<Option> options_;
  std::map<std::string, std::size_t, std::less<>> by_text_;     // normalized text -> option index
  std::map<std::string, std::size_t, std::less<>> by_internal_; // normalized internal name -> index
};

// The value for a label, synonym or internal name. Fails (validation) naming the text, the option
// set and every accepted label, so the person can correct the data or add a synonym to the mapping
// file.
Result<int> option_value(const OptionSet& set, std::string_view label);
// The label of a value. Fails (validation) for a value the set does not list, naming the set's
// values.
Result<std::string> option_label(const OptionSet& set, int value);

// The comparison form used for labels: case-folded, '_'/'-' as spaces, whitespace collapsed,
// trimmed.
std::string normalize_label(std::string_view text);

} // namespace leadsync::mapping
