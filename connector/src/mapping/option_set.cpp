#include "leadsync/mapping/option_set.hpp"

#include "detail/text.hpp"
#include "leadsync/core/text.hpp"

#include <utility>

namespace leadsync::mapping {

std::string normalize_label(std::string_view text) {
  const std::string folded = detail::fold_case(text);
  std::string out;
  out.reserve(folded.size());
  bool pending_space = false;
  for (std::size_t i = 0; i < folded.size(); ++i) {
    const char c = folded[i];
    // U+2018 / U+2019 (curly apostrophes) are E2 80 98 / E2 80 99 in UTF-8.
    if (c == '\xE2' && i + 2 < folded.size() && folded[i + 1] == '\x80' &&
        (folded[i + 2] == '\x98' || folded[i + 2] == '\x99')) {
      i += 2;
      out += pending_space && !out.empty() ? " '" : "'";
      pending_space = false;
      continue;
    }
    if (c == '_' || c == '-' || text::is_ascii_space(c)) {
      pending_space = true;
      continue;
    }
    if (pending_space && !out.empty()) {
      out += ' ';
    }
    pending_space = false;
    out += c;
  }
  return out;
}

OptionSet::OptionSet(std::string name, std::vector<Option> options)
    : name_(std::move(name)), options_(std::move(options)) {
  for (std::size_t i = 0; i < options_.size(); ++i) {
    const Option& option = options_[i];
    by_text_.emplace(normalize_label(option.label), i);
    for (const auto& synonym : option.synonyms) {
      by_text_.emplace(normalize_label(synonym), i);
    }
    for (const auto& internal : option.internal) {
      by_text_.emplace(normalize_label(internal), i);
      by_internal_.emplace(normalize_label(internal), i);
    }
  }
}

const Option* OptionSet::find(std::string_view text) const {
  auto found = by_text_.find(normalize_label(text));
  return found == by_text_.end() ? nullptr : &options_[found->second];
}

const Option* OptionSet::find_internal(std::string_view internal_name) const {
  auto found = by_internal_.find(normalize_label(internal_name));
  return found == by_internal_.end() ? nullptr : &options_[found->second];
}

const Option* OptionSet::find_value(int value) const {
  for (const auto& option : options_) {
    if (option.value == value) {
      return &option;
    }
  }
  return nullptr;
}

std::string OptionSet::accepted_labels() const {
  std::vector<std::string> labels;
  labels.reserve(options_.size());
  for (const auto& option : options_) {
    labels.push_back(std::to_string(option.value) + " " + option.label);
  }
  return text::join(labels, ", ");
}

Result<int> option_value(const OptionSet& set, std::string_view label) {
  if (const Option* option = set.find(label)) {
    return option->value;
  }
  return fail(ErrorCategory::validation,
              "'" + std::string(label) + "' is not a value of option set " + set.name() +
                  "; accepted: " + set.accepted_labels() +
                  " (add it as a synonym in the mapping file if it means one of these)");
}

Result<std::string> option_label(const OptionSet& set, int value) {
  if (const Option* option = set.find_value(value)) {
    return option->label;
  }
  return fail(ErrorCategory::validation, std::to_string(value) + " is not a value of option set " +
                                             set.name() + " in the mapping file (it lists " +
                                             set.accepted_labels() +
                                             "); add the CRM's option to the mapping file");
}

} // namespace leadsync::mapping
