#include "providers/file_feed/feed_record.hpp"

#include "leadsync/core/json_limits.hpp"
#include "leadsync/core/text.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace leadsync::enrich::providers::file_feed {

namespace {

// "https://www.Example.com/x" -> "example.com/x" (lower-case, scheme and "www." gone).
std::string strip_scheme_and_www(std::string_view text) {
  std::string out = text::ascii_lower(text::trim(text, text::space_tab_cr_lf));
  for (const std::string_view scheme : {"https://", "http://", "//"}) {
    if (out.starts_with(scheme)) {
      out.erase(0, scheme.size());
      break;
    }
  }
  if (out.starts_with("www.")) {
    out.erase(0, 4);
  }
  return out;
}

const nlohmann::json* member(const nlohmann::json& record, const char* name) {
  const auto found = record.find(name);
  return found == record.end() ? nullptr : &*found;
}

// The text of a string member; "" for a missing, null or non-string one.
std::string text_of(const nlohmann::json& record, const char* name) {
  const nlohmann::json* value = member(record, name);
  return value != nullptr && value->is_string() ? value->get<std::string>() : std::string{};
}

// Strings of a member that is a string or an array of strings (objects: their `object_key`).
std::vector<std::string> texts_of(const nlohmann::json& record, const char* name,
                                  const char* object_key = nullptr) {
  std::vector<std::string> out;
  const nlohmann::json* value = member(record, name);
  if (value == nullptr) {
    return out;
  }
  const auto take = [&](const nlohmann::json& item) {
    if (item.is_string()) {
      out.push_back(item.get<std::string>());
    } else if (object_key != nullptr && item.is_object()) {
      const nlohmann::json* inner = member(item, object_key);
      if (inner != nullptr && inner->is_string()) {
        out.push_back(inner->get<std::string>());
      }
    }
  };
  if (value->is_array()) {
    for (const auto& item : *value) {
      take(item);
    }
  } else {
    take(*value);
  }
  return out;
}

void add_key(std::vector<store::FeedKey>& keys, store::FeedKeyKind kind, std::string value) {
  if (value.empty()) {
    return;
  }
  store::FeedKey key{.kind = kind, .value = std::move(value)};
  if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
    keys.push_back(std::move(key));
  }
}

} // namespace

std::string normalize_email(std::string_view text) {
  std::string email = text::ascii_lower(text::trim(text, text::space_tab_cr_lf));
  if (email.starts_with("mailto:")) {
    email.erase(0, 7);
  }
  const auto at = email.find('@');
  if (at == std::string::npos || at == 0 || email.find('@', at + 1) != std::string::npos) {
    return {};
  }
  const std::string_view domain = std::string_view(email).substr(at + 1);
  const auto dot = domain.find('.');
  if (dot == std::string_view::npos || dot == 0 || domain.back() == '.') {
    return {};
  }
  if (std::any_of(email.begin(), email.end(),
                  [](unsigned char c) { return c <= ' ' || c == ',' || c == ';'; })) {
    return {};
  }
  return email;
}

std::string normalize_phone(std::string_view text) {
  std::string phone;
  for (const char c : text::trim(text, text::space_tab_cr_lf)) {
    if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')') {
      continue;
    }
    phone.push_back(c);
  }
  if (phone.size() < 8 || phone.size() > 16 || phone[0] != '+' || phone[1] == '0') {
    return {};
  }
  if (!std::all_of(phone.begin() + 1, phone.end(),
                   [](unsigned char c) { return std::isdigit(c) != 0; })) {
    return {};
  }
  return phone;
}

std::string normalize_profile(std::string_view text) {
  std::string url = strip_scheme_and_www(text);
  const auto cut = url.find_first_of("?#");
  if (cut != std::string::npos) {
    url.erase(cut);
  }
  while (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
  if (url.starts_with("x.com/")) {
    url = "twitter.com/" + url.substr(6);
  }
  const auto slash = url.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 >= url.size() ||
      url.substr(0, slash).find('.') == std::string::npos) {
    return {};
  }
  if (std::any_of(url.begin(), url.end(), [](unsigned char c) { return c <= ' '; })) {
    return {};
  }
  return url;
}

std::string normalize_domain(std::string_view text) {
  std::string domain = strip_scheme_and_www(text);
  const auto cut = domain.find_first_of("/?#:");
  if (cut != std::string::npos) {
    domain.erase(cut);
  }
  while (!domain.empty() && domain.back() == '.') {
    domain.pop_back();
  }
  if (domain.find('.') == std::string::npos || domain.front() == '.' ||
      std::any_of(domain.begin(), domain.end(),
                  [](unsigned char c) { return c <= ' ' || c == '@'; })) {
    return {};
  }
  return domain;
}

std::vector<store::FeedKey> record_keys(const nlohmann::json& record) {
  std::vector<store::FeedKey> keys;
  if (!record.is_object()) {
    return keys;
  }
  using store::FeedKeyKind;
  for (const auto& email : texts_of(record, "emails", "address")) {
    add_key(keys, FeedKeyKind::email, normalize_email(email));
  }
  add_key(keys, FeedKeyKind::email, normalize_email(text_of(record, "work_email")));
  for (const auto& email : texts_of(record, "personal_emails")) {
    add_key(keys, FeedKeyKind::email, normalize_email(email));
  }
  add_key(keys, FeedKeyKind::phone, normalize_phone(text_of(record, "mobile_phone")));
  for (const auto& phone : texts_of(record, "phone_numbers")) {
    add_key(keys, FeedKeyKind::phone, normalize_phone(phone));
  }
  for (const char* name : {"linkedin_url", "twitter_url", "github_url"}) {
    add_key(keys, FeedKeyKind::profile, normalize_profile(text_of(record, name)));
  }
  add_key(keys, FeedKeyKind::domain, normalize_domain(text_of(record, "job_company_website")));
  return keys;
}

bool is_list_column(std::string_view column) {
  static constexpr std::array<std::string_view, 10> lists = {
      "emails", "personal_emails", "phone_numbers", "job_title_levels", "job_title_sub_role_levels",
      "skills", "interests",       "countries",     "regions",          "location_names"};
  return std::find(lists.begin(), lists.end(), column) != lists.end();
}

nlohmann::json csv_row_to_record(const std::vector<std::string>& header,
                                 const std::vector<std::string>& fields) {
  nlohmann::json record = nlohmann::json::object();
  const std::size_t count = std::min(header.size(), fields.size());
  for (std::size_t i = 0; i < count; ++i) {
    const std::string& column = header[i];
    const std::string_view cell = text::trim(fields[i], text::space_tab_cr_lf);
    if (column.empty() || cell.empty()) {
      continue;
    }
    // A cell nested deeper than max_json_depth stays text (issue 18).
    if ((cell.front() == '[' || cell.front() == '{') && json_depth_within(cell)) {
      nlohmann::json parsed = nlohmann::json::parse(cell, nullptr, false);
      if (!parsed.is_discarded()) {
        record[column] = std::move(parsed);
        continue;
      }
    }
    if (!is_list_column(column)) {
      record[column] = std::string(cell);
      continue;
    }
    nlohmann::json items = nlohmann::json::array();
    std::string_view rest = cell;
    while (!rest.empty()) {
      const auto semicolon = rest.find(';');
      const std::string_view item = text::trim(rest.substr(0, semicolon), text::space_tab_cr_lf);
      if (!item.empty()) {
        if (column == "emails") {
          items.push_back(nlohmann::json{{"address", std::string(item)}});
        } else {
          items.push_back(std::string(item));
        }
      }
      if (semicolon == std::string_view::npos) {
        break;
      }
      rest.remove_prefix(semicolon + 1);
    }
    record[column] = std::move(items);
  }
  return record;
}

std::vector<FoundField> company_fields(const nlohmann::json& record) {
  std::vector<FoundField> fields;
  if (!record.is_object()) {
    return fields;
  }
  const auto add = [&](const char* field, std::string value) {
    const std::string_view trimmed = text::trim(value, text::space_tab_cr_lf);
    if (!trimmed.empty()) {
      fields.push_back(FoundField{.field = field, .value = std::string(trimmed)});
    }
  };
  add("company.name", text_of(record, "job_company_name"));
  add("company.website", text_of(record, "job_company_website"));
  add("company.industry", text_of(record, "job_company_industry"));
  // job_company_size is a PDL range ("51-200", "10001+"): its lower bound, a count the company is
  // known to reach. A number (some feeds write job_company_employee_count) is taken as it is.
  std::string size = text_of(record, "job_company_size");
  if (const nlohmann::json* count = member(record, "job_company_employee_count");
      count != nullptr && count->is_number_integer() && count->get<std::int64_t>() >= 0) {
    size = std::to_string(count->get<std::int64_t>());
  }
  std::string lower_bound;
  for (const char c : text::trim(size, text::space_tab_cr_lf)) {
    if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
      lower_bound.push_back(c);
    } else if (c != ',') {
      break;
    }
  }
  if (!lower_bound.empty() && lower_bound.size() <= 9) {
    add("company.employee_count", std::to_string(std::stoll(lower_bound)));
  }
  add("company.address.city", text_of(record, "job_company_location_locality"));
  add("company.address.country", text_of(record, "job_company_location_country"));
  return fields;
}

} // namespace leadsync::enrich::providers::file_feed
