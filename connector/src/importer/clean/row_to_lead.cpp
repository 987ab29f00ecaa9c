// One mapped list row -> a cleaned lead, its problems, or the reasons it is rejected.

#include "leadsync/importer/row_to_lead.hpp"

#include "clean/detail/text.hpp"
#include "leadsync/core/text.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <fmt/format.h>
#include <unicode/uchar.h>

namespace leadsync::importer {
namespace {

enum class Field {
  first_name,
  middle_name,
  last_name,
  full_name,
  email,
  email2,
  phone_business,
  phone_mobile,
  phone_home,
  phone,
  company,
  job_title,
  website,
  industry,
  employee_count,
  annual_revenue,
  address_line1,
  city,
  state,
  postal_code,
  country,
  language,
  notes
};

// In the order of Field.
constexpr std::array<std::string_view, 23> field_names = {
    "first_name",     "middle_name",    "last_name",    "full_name",  "email",
    "email2",         "phone_business", "phone_mobile", "phone_home", "phone",
    "company",        "job_title",      "website",      "industry",   "employee_count",
    "annual_revenue", "address_line1",  "city",         "state",      "postal_code",
    "country",        "language",       "notes"};

std::optional<Field> find_field(std::string_view name) {
  const auto found = std::find(field_names.begin(), field_names.end(), name);
  if (found == field_names.end()) {
    return std::nullopt;
  }
  return static_cast<Field>(found - field_names.begin());
}

// Digits with optional thousands groups ("1,200", "1 200", "1.200", "1'200") from text[pos];
// advances pos.
std::optional<std::int64_t> read_grouped_integer(std::string_view text, std::size_t& pos) {
  auto is_group_at = [&](std::size_t at) {
    return at + 3 <= text.size() && detail::is_ascii_digit(text[at]) &&
           detail::is_ascii_digit(text[at + 1]) && detail::is_ascii_digit(text[at + 2]) &&
           (at + 3 == text.size() || !detail::is_ascii_digit(text[at + 3]));
  };
  std::string digits;
  while (pos < text.size() && detail::is_ascii_digit(text[pos])) {
    digits += text[pos++];
  }
  if (digits.empty()) {
    return std::nullopt;
  }
  while (pos < text.size() && std::string_view(",. '").find(text[pos]) != std::string_view::npos &&
         is_group_at(pos + 1)) {
    digits.append(text.substr(pos + 1, 3));
    pos += 4;
  }
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size()) {
    return std::nullopt;
  }
  return value;
}

// "1,200", "51-200" (the lower bound), "500+", "~40".
std::optional<std::int64_t> parse_employee_count(std::string_view text) {
  if (text.starts_with('~') || text.starts_with('>')) {
    text = text::trim(text.substr(1), " ");
  }
  std::size_t pos = 0;
  const auto value = read_grouped_integer(text, pos);
  if (!value) {
    return std::nullopt;
  }
  auto rest = text::trim(text.substr(pos), " ");
  if (rest.empty() || rest == "+") {
    return value;
  }
  for (const std::string_view dash : {"-", "\u2013", "\u2014", "to"}) {
    if (rest.starts_with(dash)) {
      auto upper = text::trim(rest.substr(dash.size()), " ");
      std::size_t upper_pos = 0;
      if (read_grouped_integer(upper, upper_pos) &&
          (upper_pos == upper.size() || upper.substr(upper_pos) == "+")) {
        return value;
      }
    }
  }
  return std::nullopt;
}

// "1,500,000", "1.5", "1,5" (decimal comma), "1.500" (thousands, unless a multiplier follows).
std::optional<double> parse_decimal(std::string_view number, bool multiplier_follows) {
  std::string digits;
  for (const char c : number) {
    if (c != ' ' && c != '\'') {
      digits += c;
    }
  }
  const auto commas = std::count(digits.begin(), digits.end(), ',');
  const auto dots = std::count(digits.begin(), digits.end(), '.');
  char decimal_mark = 0;
  if (commas > 0 && dots > 0) {
    decimal_mark = digits.rfind(',') > digits.rfind('.') ? ',' : '.';
  } else if (commas + dots == 1) {
    const char mark = commas == 1 ? ',' : '.';
    const auto digits_after = digits.size() - digits.find(mark) - 1;
    decimal_mark = digits_after == 3 && !multiplier_follows ? '\0' : mark;
  }
  std::string plain;
  for (const char c : digits) {
    if (c == decimal_mark) {
      plain += '.';
    } else if (detail::is_ascii_digit(c)) {
      plain += c;
    } else if (c != ',' && c != '.') {
      return std::nullopt;
    }
  }
  double value = 0;
  const auto [end, error] = std::from_chars(plain.data(), plain.data() + plain.size(), value);
  if (plain.empty() || error != std::errc() || end != plain.data() + plain.size()) {
    return std::nullopt;
  }
  return value;
}

// The multiplier word right after a number: K, M, MM, B, thousand, million, тыс, млн, млрд, ألف,
// مليون...
double multiplier_of(std::string_view suffix) {
  const auto folded = fold_for_matching(suffix);
  std::string word;
  for (std::int32_t i = 0; i < static_cast<std::int32_t>(folded.size());) {
    const auto start = i;
    if (!u_isalpha(detail::next_code_point(folded, i))) {
      if (word.empty()) {
        continue;
      }
      break;
    }
    word.append(
        folded.substr(static_cast<std::size_t>(start), static_cast<std::size_t>(i - start)));
  }
  static const std::pair<std::string_view, double> multipliers[] = {
      {"k", 1e3},       {"thousand", 1e3}, {"тыс", 1e3},      {"тысяч", 1e3}, {"الف", 1e3},
      {"m", 1e6},       {"mm", 1e6},       {"mn", 1e6},       {"mln", 1e6},   {"million", 1e6},
      {"млн", 1e6},     {"миллион", 1e6},  {"مليون", 1e6},    {"b", 1e9},     {"bn", 1e9},
      {"billion", 1e9}, {"млрд", 1e9},     {"миллиард", 1e9}, {"مليار", 1e9}};
  for (const auto& [name, factor] : multipliers) {
    if (word == name) {
      return factor;
    }
  }
  return 1;
}

// "$1.5M", "1 500 000 руб.", "USD 2,000,000", "1,5 млн".
std::optional<double> parse_revenue(std::string_view text) {
  const auto first = text.find_first_of("0123456789");
  if (first == std::string_view::npos ||
      text.substr(0, first).find('-') != std::string_view::npos) {
    return std::nullopt;
  }
  const auto last = text.find_last_of("0123456789");
  const auto suffix = text.substr(last + 1);
  const double multiplier = multiplier_of(suffix);
  const auto value = parse_decimal(text.substr(first, last - first + 1), multiplier != 1);
  if (!value) {
    return std::nullopt;
  }
  return *value * multiplier;
}

std::size_t count_ascii_digits(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return detail::is_ascii_digit(c); }));
}

std::vector<std::string> split_on(std::string_view text, std::string_view separators) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find_first_of(separators, start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    if (const auto part = text::trim(text.substr(start, end - start), " "); !part.empty()) {
      parts.emplace_back(part);
    }
    start = end + 1;
  }
  return parts;
}

// Several numbers in one cell: split at ';' and at ',' between two full numbers ("+7 495 123-45-67,
// +7 916 123-45-67"), not before an extension ("212-555-0100,12").
std::vector<std::string> split_phone_cell(std::string_view cell) {
  std::vector<std::string> numbers;
  for (auto& part : split_on(cell, ";")) {
    const auto pieces = split_on(part, ",");
    const bool all_full_numbers =
        pieces.size() > 1 && std::all_of(pieces.begin(), pieces.end(), [](const std::string& p) {
          return count_ascii_digits(p) >= 7;
        });
    if (all_full_numbers) {
      numbers.insert(numbers.end(), pieces.begin(), pieces.end());
    } else {
      numbers.push_back(std::move(part));
    }
  }
  return numbers;
}

// Several addresses in one cell, separated by ';', ',' or spaces.
std::vector<std::string> split_email_cell(std::string_view cell) {
  if (std::count(cell.begin(), cell.end(), '@') <= 1) {
    return {std::string(cell)};
  }
  return split_on(cell, ";, ");
}

class RowBuilder {
public:
  explicit RowBuilder(const RowContext& context) : context_(context) {
    auto& lead = result_.lead;
    lead.origin.channel = model::Channel::purchased_list;
    if (!context.list.vendor.empty() || !context.list.list_id.empty()) {
      lead.origin.lists.push_back(context.list);
    }
  }

  void add_field(std::string_view name, std::string_view raw) {
    auto value = clean_text(raw);
    if (value.empty()) {
      return;
    }
    const auto field = find_field(name);
    if (!field) {
      result_.problems.push_back(
          fmt::format("'{}' is not a lead field; its value is kept as an unmapped column", name));
      add_unmapped(name, value);
      return;
    }
    auto& person = result_.lead.person;
    auto& company = result_.lead.company;
    switch (*field) {
    case Field::first_name:
      return set_once(person.first_name, normalize_name(value), name);
    case Field::middle_name:
      return set_once(person.middle_name, normalize_name(value), name);
    case Field::last_name:
      return set_once(person.last_name, normalize_name(value), name);
    case Field::full_name:
      return set_once(full_name_, std::move(value), name);
    case Field::email:
    case Field::email2:
      email_cells_.push_back(std::move(value));
      return;
    case Field::phone_business:
      return add_phone_cell(value, model::PhoneKind::business);
    case Field::phone_mobile:
      return add_phone_cell(value, model::PhoneKind::mobile);
    case Field::phone_home:
      return add_phone_cell(value, model::PhoneKind::home);
    case Field::phone:
      return add_phone_cell(value, std::nullopt);
    case Field::company:
      return set_once(company.name, std::move(value), name);
    case Field::job_title:
      return set_once(person.job_title, std::move(value), name);
    case Field::website:
      return set_once(company.website, std::move(value), name);
    case Field::industry:
      return set_once(company.industry, std::move(value), name);
    case Field::employee_count:
      return set_employee_count(value);
    case Field::annual_revenue:
      return set_revenue(value);
    case Field::address_line1:
      return set_once(company.address.line1, std::move(value), name);
    case Field::city:
      return set_once(company.address.city, std::move(value), name);
    case Field::state:
      return set_once(company.address.state_or_province, std::move(value), name);
    case Field::postal_code:
      return set_once(company.address.postal_code, std::move(value), name);
    case Field::country:
      return set_once(company.address.country, std::move(value), name);
    case Field::language:
      return set_language(value);
    case Field::notes:
      return set_once(notes_, std::move(value), name);
    }
  }

  void add_unmapped(std::string_view header, std::string_view raw) {
    auto value = clean_text(raw);
    if (value.empty() || context_.unmapped_columns == UnmappedColumns::drop) {
      return;
    }
    if (context_.unmapped_columns == UnmappedColumns::custom) {
      result_.custom_fields.emplace_back(clean_text(header), std::move(value));
    } else {
      unmapped_lines_.push_back(fmt::format("{}: {}", clean_text(header), value));
    }
  }

  RowResult finish() {
    fill_names_from_full_name();
    add_emails();
    add_phones();
    derive_company_domain();
    build_description();
    decide();
    return std::move(result_);
  }

private:
  void set_once(std::string& target, std::string value, std::string_view field) {
    if (target.empty()) {
      target = std::move(value);
    } else if (target != value) {
      result_.problems.push_back(
          fmt::format("two values for {}: kept '{}', ignored '{}'", field, target, value));
    }
  }

  void add_phone_cell(const std::string& cell, std::optional<model::PhoneKind> kind) {
    for (auto& number : split_phone_cell(cell)) {
      phone_cells_.emplace_back(std::move(number), kind);
    }
  }

  void set_employee_count(const std::string& value) {
    if (const auto count = parse_employee_count(value)) {
      result_.lead.company.employee_count = count;
    } else {
      result_.problems.push_back(fmt::format(
          "employee count '{}' is not a number or a range like 51-200; left empty", value));
    }
  }

  void set_revenue(const std::string& value) {
    if (const auto revenue = parse_revenue(value)) {
      result_.lead.company.annual_revenue = revenue;
    } else {
      result_.problems.push_back(fmt::format(
          "annual revenue '{}' is not an amount like 1,500,000 or 1.5M; left empty", value));
    }
  }

  void set_language(const std::string& value) {
    if (auto tag = language_tag(value)) {
      result_.lead.person.language = std::move(*tag);
    } else {
      result_.problems.push_back(fmt::format("language '{}' is neither a language tag like ru or "
                                             "ar-SA nor a language name; left empty",
                                             value));
    }
  }

  void fill_names_from_full_name() {
    auto& person = result_.lead.person;
    if (full_name_.empty() || !person.first_name.empty() || !person.last_name.empty()) {
      return;
    }
    auto split = split_full_name(full_name_);
    person.first_name = std::move(split.first);
    person.last_name = std::move(split.last);
    if (person.middle_name.empty()) {
      person.middle_name = std::move(split.middle);
    }
  }

  void add_emails() {
    auto& emails = result_.lead.person.emails;
    for (const auto& cell : email_cells_) {
      for (const auto& raw : split_email_cell(cell)) {
        auto check = normalize_email(raw);
        if (!check.valid) {
          contact_problems_.push_back(
              fmt::format("e-mail '{}' is not valid ({})", raw, check.problem));
          // Kept as received, marked invalid: never used or sent, but not lost either.
          auto& invalid = result_.lead.person.invalid_emails;
          if (std::find(invalid.begin(), invalid.end(), raw) == invalid.end()) {
            invalid.emplace_back(raw);
          }
        } else if (std::none_of(emails.begin(), emails.end(), [&](const std::string& kept) {
                     return detail::iequals(kept, check.address);
                   })) {
          if (emails.size() < model::max_identifiers_per_lead) {
            emails.push_back(check.address);
          } else {
            result_.problems.push_back(
                fmt::format("more than {} e-mail addresses: '{}' was left out",
                            model::max_identifiers_per_lead, check.address));
          }
        }
        result_.emails.push_back(std::move(check));
      }
    }
  }

  void add_phones() {
    const auto country_region = region_for_country(result_.lead.company.address.country);
    const auto& region = country_region && is_supported_region(*country_region)
                             ? *country_region
                             : context_.default_region;
    auto& phones = result_.lead.person.phones;
    for (const auto& [raw, kind] : phone_cells_) {
      auto check = normalize_phone(raw, region, kind);
      if (!check.phone.valid) {
        contact_problems_.push_back(std::move(check.problem));
      }
      const bool duplicate =
          std::any_of(phones.begin(), phones.end(), [&](const model::Phone& kept) {
            return check.phone.e164.empty() ? kept.raw == check.phone.raw
                                            : kept.e164 == check.phone.e164;
          });
      if (!duplicate) {
        phones.push_back(std::move(check.phone));
      }
    }
  }

  void derive_company_domain() {
    auto& company = result_.lead.company;
    if (!company.website.empty()) {
      if (auto domain = registrable_domain(company.website)) {
        company.domain = std::move(*domain);
        return;
      }
      result_.problems.push_back(fmt::format(
          "website '{}' has no registrable domain (an IP address, a bare public suffix, or not a "
          "web address)",
          company.website));
    }
    for (const auto& check : result_.emails) {
      if (check.valid && !check.free_mail) {
        if (auto domain = registrable_domain(check.domain)) {
          company.domain = std::move(*domain);
          return;
        }
      }
    }
  }

  void build_description() {
    std::vector<std::string> parts;
    if (!notes_.empty()) {
      parts.push_back(std::move(notes_));
    }
    parts.insert(parts.end(), unmapped_lines_.begin(), unmapped_lines_.end());
    result_.lead.description = text::join(parts, "\n");
  }

  void decide() {
    const auto& lead = result_.lead;
    std::vector<std::string> reasons;
    if (lead.person.last_name.empty() && lead.company.name.empty()) {
      reasons.emplace_back("no last name or company");
    }
    const bool reachable = !lead.person.emails.empty() ||
                           std::any_of(lead.person.phones.begin(), lead.person.phones.end(),
                                       [](const model::Phone& phone) { return phone.valid; });
    if (!reachable) {
      reasons.push_back(contact_problems_.empty()
                            ? std::string("no valid e-mail or phone: none given")
                            : "no valid e-mail or phone: " + text::join(contact_problems_, "; "));
    } else {
      result_.problems.insert(result_.problems.end(), contact_problems_.begin(),
                              contact_problems_.end());
    }
    result_.reject_reason = text::join(reasons, "; ");
  }

  const RowContext& context_;
  RowResult result_;
  std::string full_name_;
  std::string notes_;
  std::vector<std::string> email_cells_;
  std::vector<std::pair<std::string, std::optional<model::PhoneKind>>> phone_cells_;
  std::vector<std::string> unmapped_lines_;
  std::vector<std::string> contact_problems_; // invalid e-mails and phones, in column order
};

} // namespace

std::span<const std::string_view> lead_field_names() {
  return field_names;
}

bool is_lead_field(std::string_view name) {
  return find_field(name).has_value();
}

RowResult build_lead(const MappedRow& row, const RowContext& context) {
  RowBuilder builder(context);
  for (const auto& [name, value] : row.fields) {
    builder.add_field(name, value);
  }
  for (const auto& [header, value] : row.unmapped) {
    builder.add_unmapped(header, value);
  }
  return builder.finish();
}

} // namespace leadsync::importer
