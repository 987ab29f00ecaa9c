#include "leadsync/model/json.hpp"

#include "detail/enum_tables.hpp"
#include "leadsync/core/json_limits.hpp"
#include "leadsync/core/text.hpp"

#include <algorithm>
#include <cstdint>
#include <fmt/format.h>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <type_traits>
#include <utility>

namespace leadsync::model {
namespace {

using detail::enum_name;
using detail::parse_enum;
using nlohmann::json;

// ---- field lists: one description per record drives both writing and reading
// -------------------------------

template <typename T> struct Fields { static constexpr bool is_record = false; };
template <typename T>
concept Record = Fields<T>::is_record;

template <> struct Fields<Identity> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("crm_id", self.crm_id);
    visit("version", self.version);
    visit("crm_version", self.crm_version);
    visit("created_at", self.created_at);
    visit("updated_at", self.updated_at);
  }
};

template <> struct Fields<Phone> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("kind", self.kind);
    visit("raw", self.raw);
    visit("e164", self.e164);
    visit("extension", self.extension);
    visit("valid", self.valid);
    visit("line_type", self.line_type);
  }
};

template <> struct Fields<Person> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("first_name", self.first_name);
    visit("middle_name", self.middle_name);
    visit("last_name", self.last_name);
    visit("job_title", self.job_title);
    visit("seniority", self.seniority);
    visit("emails", self.emails);
    visit("phones", self.phones);
    visit("invalid_emails", self.invalid_emails);
    visit("preferred_contact_method", self.preferred_contact_method);
    visit("language", self.language);
  }
};

template <> struct Fields<Address> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("line1", self.line1);
    visit("line2", self.line2);
    visit("city", self.city);
    visit("state_or_province", self.state_or_province);
    visit("postal_code", self.postal_code);
    visit("country", self.country);
  }
};

template <> struct Fields<Company> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("name", self.name);
    visit("website", self.website);
    visit("domain", self.domain);
    visit("industry", self.industry);
    visit("employee_count", self.employee_count);
    visit("annual_revenue", self.annual_revenue);
    visit("address", self.address);
  }
};

template <> struct Fields<ListProvenance> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("vendor", self.vendor);
    visit("list_id", self.list_id);
    visit("exclusive", self.exclusive);
    visit("times_sold", self.times_sold);
    visit("acquired_on", self.acquired_on);
    visit("imported_at", self.imported_at);
  }
};

template <> struct Fields<Origin> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("channel", self.channel);
    visit("campaign", self.campaign);
    visit("lead_magnet", self.lead_magnet);
    visit("lists", self.lists);
  }
};

template <> struct Fields<Consent> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("do_not_email", self.do_not_email);
    visit("do_not_phone", self.do_not_phone);
    visit("do_not_bulk_email", self.do_not_bulk_email);
    visit("do_not_postal_mail", self.do_not_postal_mail);
    visit("lawful_basis", self.lawful_basis);
    visit("given_at", self.given_at);
    visit("aware_of_sales_offer", self.aware_of_sales_offer);
  }
};

template <> struct Fields<Bant> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("budget_amount", self.budget_amount);
    visit("budget_status", self.budget_status);
    visit("decision_maker", self.decision_maker);
    visit("need", self.need);
    visit("purchase_timeframe", self.purchase_timeframe);
    visit("purchase_process", self.purchase_process);
  }
};

template <> struct Fields<Scores> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("fit", self.fit);
    visit("engagement", self.engagement);
    visit("data_quality", self.data_quality);
    visit("bant", self.bant);
    visit("total", self.total);
  }
};

template <> struct Fields<Outcome> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("kind", self.kind);
    visit("create_account", self.create_account);
    visit("create_contact", self.create_contact);
    visit("create_opportunity", self.create_opportunity);
    visit("status_code", self.status_code);
    visit("reason", self.reason);
    visit("decided_by", self.decided_by);
    visit("decided_at", self.decided_at);
    visit("pushed", self.pushed);
    visit("pushed_at", self.pushed_at);
  }
};

template <> struct Fields<Qualification> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("stage", self.stage);
    visit("bant", self.bant);
    visit("scores", self.scores);
    visit("fired_rules", self.fired_rules);
    visit("outcome", self.outcome);
    visit("grade", self.grade);
    visit("quality_code", self.quality_code);
    visit("reasons", self.reasons);
    visit("reason_text", self.reason_text);
    visit("scored_at", self.scored_at);
  }
};

template <> struct Fields<ScoreReason> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("rule", self.rule);
    visit("group", self.group);
    visit("points", self.points);
    visit("detail", self.detail);
  }
};

template <> struct Fields<FieldProvenance> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("field", self.field);
    visit("provider", self.provider);
    visit("raw_confidence", self.raw_confidence);
    visit("confidence", self.confidence);
    visit("fetched_at", self.fetched_at);
  }
};

template <> struct Fields<Stakeholder> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("name", self.name);
    visit("role", self.role);
    visit("email", self.email);
  }
};

template <> struct Fields<Activity> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("kind", self.kind);
    visit("subject", self.subject);
    visit("body", self.body);
    visit("occurred_at", self.occurred_at);
    visit("crm_id", self.crm_id);
  }
};

template <> struct Fields<Lead> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("identity", self.identity);
    visit("person", self.person);
    visit("company", self.company);
    visit("origin", self.origin);
    visit("consent", self.consent);
    visit("kind", self.kind);
    visit("qualification", self.qualification);
    visit("social", self.social);
    visit("enrichment", self.enrichment);
    visit("enriched_at", self.enriched_at);
    visit("stakeholders", self.stakeholders);
    visit("competitors", self.competitors);
    visit("activities", self.activities);
    visit("subject", self.subject);
    visit("description", self.description);
    visit("is_new", self.is_new);
    visit("deleted", self.deleted);
    visit("merges", self.merges);
    visit("merge_count", self.merge_count);
    visit("merged_into", self.merged_into);
  }
};

template <> struct Fields<SocialProfiles> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("linkedin_url", self.linkedin_url);
    visit("x_handle", self.x_handle);
    visit("github_url", self.github_url);
    visit("facebook_url", self.facebook_url);
    visit("bio", self.bio);
    visit("location", self.location);
    visit("blog", self.blog);
  }
};

template <> struct Fields<MergeRecord> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("rule", self.rule);
    visit("source", self.source);
    visit("merged_at", self.merged_at);
  }
};

template <> struct Fields<BehaviourEvent> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("lead_id", self.lead_id);
    visit("kind", self.kind);
    visit("occurred_at", self.occurred_at);
    visit("detail", self.detail);
    visit("weight", self.weight);
    visit("event_id", self.event_id);
  }
};

// ---- writing
// ----------------------------------------------------------------------------------------------

template <typename T> bool omitted(const T&) {
  return false;
}
bool omitted(const std::string& text) {
  return text.empty();
}
bool omitted(LineType type) {
  return type == LineType::unknown;
}
template <typename T> bool omitted(const std::vector<T>& values) {
  return values.empty();
}
template <typename T> bool omitted(const std::optional<T>& value) {
  return !value.has_value();
}

json encode(const std::string& text) {
  return text;
}
json encode(bool value) {
  return value;
}
json encode(int value) {
  return value;
}
json encode(std::int64_t value) {
  return value;
}
json encode(double value) {
  return value;
}
json encode(TimePoint time) {
  return format_time(time);
}
json encode(Date date) {
  return format_date(date);
}
template <typename E>
requires std::is_enum_v<E> json encode(E value) {
  return std::string(enum_name(value));
}
template <typename T> json encode(const std::optional<T>& value);
template <typename T> json encode(const std::vector<T>& values);
template <Record T> json encode(const T& record);

template <typename T> json encode(const std::optional<T>& value) {
  return encode(*value);
}

template <typename T> json encode(const std::vector<T>& values) {
  json array = json::array();
  for (const auto& value : values) {
    array.push_back(encode(value));
  }
  return array;
}

template <Record T> json encode(const T& record) {
  json object = json::object();
  Fields<T>::each(record, [&object](const char* key, const auto& member) {
    if (!omitted(member)) {
      object[key] = encode(member);
    }
  });
  return object;
}

// ---- writing text directly
// ---------------------------------------------------------------------------------------------
// The same document as encode(value).dump(), without building the tree first: a bulk import
// writes a million of them, and the tree's allocations cost more than the text. Members come out
// in key order, as nlohmann's std::map-based objects give them.

// Appends `text` as a JSON string. Plain ASCII goes straight in; anything else (escapes, UTF-8,
// which nlohmann validates) through nlohmann's own serializer.
void append_string(std::string& out, std::string_view text) {
  const bool plain = std::all_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte >= 0x20 && byte < 0x80 && c != '"' && c != '\\';
  });
  if (plain) {
    out += '"';
    out += text;
    out += '"';
  } else {
    out += json(text).dump();
  }
}

void write(std::string& out, const std::string& text) {
  append_string(out, text);
}
void write(std::string& out, bool value) {
  out += value ? "true" : "false";
}
void write(std::string& out, int value) {
  fmt::format_to(std::back_inserter(out), "{}", value);
}
void write(std::string& out, std::int64_t value) {
  fmt::format_to(std::back_inserter(out), "{}", value);
}
void write(std::string& out, double value) {
  out += json(value).dump(); // nlohmann's shortest round-trip form, "0.0" for zero
}
void write(std::string& out, TimePoint time) {
  append_string(out, format_time(time));
}
void write(std::string& out, Date date) {
  append_string(out, format_date(date));
}
template <typename E>
requires std::is_enum_v<E>
void write(std::string& out, E value) {
  append_string(out, enum_name(value));
}
template <typename T> void write(std::string& out, const std::optional<T>& value);
template <typename T> void write(std::string& out, const std::vector<T>& values);
template <Record T> void write(std::string& out, const T& record);

template <typename T> void write(std::string& out, const std::optional<T>& value) {
  write(out, *value);
}

template <typename T> void write(std::string& out, const std::vector<T>& values) {
  out += '[';
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != 0) {
      out += ',';
    }
    write(out, values[i]);
  }
  out += ']';
}

// The positions, in Fields<T>::each order, of T's members sorted by key.
template <Record T> const std::vector<std::size_t>& key_order() {
  static const std::vector<std::size_t> order = [] {
    std::vector<std::string_view> keys;
    T sample{};
    Fields<T>::each(sample, [&keys](const char* key, const auto&) { keys.emplace_back(key); });
    std::vector<std::size_t> positions(keys.size());
    for (std::size_t i = 0; i < positions.size(); ++i) {
      positions[i] = i;
    }
    std::sort(positions.begin(), positions.end(),
              [&keys](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });
    return positions;
  }();
  return order;
}

template <Record T> void write(std::string& out, const T& record) {
  out += '{';
  bool first = true;
  // A record has at most a few dozen members: finding each by position is cheaper than sorting
  // them per call.
  for (const auto wanted : key_order<T>()) {
    std::size_t position = 0;
    Fields<T>::each(record, [&](const char* key, const auto& member) {
      if (position++ != wanted || omitted(member)) {
        return;
      }
      out += first ? "" : ",";
      first = false;
      append_string(out, key);
      out += ':';
      write(out, member);
    });
  }
  out += '}';
}

// ---- writing the stored form
// ---------------------------------------------------------------------------------------------
// The text write() gives, without the members that hold their default value, at any depth (see
// to_stored_json_text). decode() leaves a missing member as it found it, so the baseline a member
// is compared with is the value decode() starts from: the same member of the enclosing record's
// baseline, and T{} for an array element, an optional's value and the top level.

template <typename T> const T& default_value() {
  static const T value{};
  return value;
}

// Written in full in every stored document, default or not: the lead's identity, so that a
// document read outside leadsync always says whose it is.
template <typename T> constexpr bool written_whole = false;
template <> constexpr bool written_whole<Identity> = true;

// Calls `use` with the member at `position` (in Fields<T>::each order) of `record`, whose type is
// Member.
template <typename Member, Record T, typename Use>
void with_member_at(const T& record, std::size_t position, Use&& use) {
  std::size_t index = 0;
  Fields<T>::each(record, [&](const char*, const auto& member) {
    if constexpr (std::is_same_v<std::decay_t<decltype(member)>, Member>) {
      if (index == position) {
        use(member);
      }
    }
    ++index;
  });
}

template <typename T> bool stored_omitted(const T& value, const T& baseline) {
  return value == baseline;
}
// An empty optional cannot be written (decode() reads null as "keep the default"), so it is left
// out as in the full form; no member of the model defaults to an engaged optional.
template <typename T>
bool stored_omitted(const std::optional<T>& value, const std::optional<T>& baseline) {
  return !value.has_value() || value == baseline;
}

template <typename T> void write_stored(std::string& out, const T& value, const T& /*baseline*/) {
  write(out, value);
}
template <typename T>
void write_stored(std::string& out, const std::optional<T>& value,
                  const std::optional<T>& baseline);
template <typename T>
void write_stored(std::string& out, const std::vector<T>& values, const std::vector<T>& baseline);
template <Record T> void write_stored(std::string& out, const T& record, const T& baseline);

template <typename T>
void write_stored(std::string& out, const std::optional<T>& value,
                  const std::optional<T>& /*baseline*/) {
  write_stored(out, *value, default_value<T>());
}

template <typename T>
void write_stored(std::string& out, const std::vector<T>& values,
                  const std::vector<T>& /*baseline*/) {
  out += '[';
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != 0) {
      out += ',';
    }
    write_stored(out, values[i], default_value<T>());
  }
  out += ']';
}

template <Record T> void write_stored(std::string& out, const T& record, const T& baseline) {
  out += '{';
  bool first = true;
  for (const auto wanted : key_order<T>()) {
    std::size_t position = 0;
    Fields<T>::each(record, [&](const char* key, const auto& member) {
      if (position++ != wanted) {
        return;
      }
      using Member = std::decay_t<decltype(member)>;
      with_member_at<Member>(baseline, wanted, [&](const Member& member_baseline) {
        if (!written_whole<Member> && stored_omitted(member, member_baseline)) {
          return;
        }
        out += first ? "" : ",";
        first = false;
        append_string(out, key);
        out += ':';
        if constexpr (written_whole<Member>) {
          write(out, member);
        } else {
          write_stored(out, member, member_baseline);
        }
      });
    });
  }
  out += '}';
}

// ---- reading
// ----------------------------------------------------------------------------------------------

// JSON pointer (RFC 6901) of a member or an element.
std::string pointer_child(const std::string& path, std::string_view key) {
  std::string child = path + '/';
  for (char c : key) {
    if (c == '~') {
      child += "~0";
    } else if (c == '/') {
      child += "~1";
    } else {
      child += c;
    }
  }
  return child;
}

std::string pointer_child(const std::string& path, std::size_t index) {
  return path + '/' + std::to_string(index);
}

// Collects the first problem; every decode step stops early once one is recorded.
class Decoder {
public:
  bool failed() const { return problem_.has_value(); }
  void reject(const std::string& path, std::string_view message) {
    if (!problem_) {
      problem_ = fmt::format("{}: {}", path.empty() ? "(root)" : path, message);
    }
  }
  const std::string& problem() const { return *problem_; }

private:
  std::optional<std::string> problem_;
};

std::string type_mismatch(std::string_view expected, const json& value) {
  return fmt::format("expected {}, got {}", expected, value.type_name());
}

void decode(Decoder& decoder, const json& value, const std::string& path, std::string& out) {
  if (!value.is_string()) {
    return decoder.reject(path, type_mismatch("a string", value));
  }
  out = value.get_ref<const std::string&>();
}

void decode(Decoder& decoder, const json& value, const std::string& path, bool& out) {
  if (!value.is_boolean()) {
    return decoder.reject(path, type_mismatch("true or false", value));
  }
  out = value.get<bool>();
}

template <typename Integer>
void decode_integer(Decoder& decoder, const json& value, const std::string& path, Integer& out) {
  if (!value.is_number_integer()) {
    return decoder.reject(path, type_mismatch("an integer", value));
  }
  constexpr auto lowest = std::numeric_limits<Integer>::min();
  constexpr auto highest = std::numeric_limits<Integer>::max();
  const bool in_range =
      value.is_number_unsigned()
          ? value.get<std::uint64_t>() <= static_cast<std::uint64_t>(highest)
          : value.get<std::int64_t>() >= lowest && value.get<std::int64_t>() <= highest;
  if (!in_range) {
    return decoder.reject(
        path, fmt::format("{} is out of range (expected {}..{})", value.dump(), lowest, highest));
  }
  out = value.is_number_unsigned() ? static_cast<Integer>(value.get<std::uint64_t>())
                                   : static_cast<Integer>(value.get<std::int64_t>());
}

void decode(Decoder& decoder, const json& value, const std::string& path, int& out) {
  decode_integer(decoder, value, path, out);
}

void decode(Decoder& decoder, const json& value, const std::string& path, std::int64_t& out) {
  decode_integer(decoder, value, path, out);
}

void decode(Decoder& decoder, const json& value, const std::string& path, double& out) {
  if (!value.is_number()) {
    return decoder.reject(path, type_mismatch("a number", value));
  }
  out = value.get<double>();
}

// Reads a string and converts it with `parse`, reporting the parser's message at `path`.
template <typename T, typename Parse>
void decode_parsed(Decoder& decoder, const json& value, const std::string& path, T& out,
                   Parse&& parse) {
  if (!value.is_string()) {
    return decoder.reject(path, type_mismatch("a string", value));
  }
  auto parsed = parse(value.get_ref<const std::string&>());
  if (!parsed.ok()) {
    return decoder.reject(path, parsed.error().message);
  }
  out = std::move(parsed).value();
}

void decode(Decoder& decoder, const json& value, const std::string& path, TimePoint& out) {
  decode_parsed(decoder, value, path, out, [](std::string_view text) { return parse_time(text); });
}

void decode(Decoder& decoder, const json& value, const std::string& path, Date& out) {
  decode_parsed(decoder, value, path, out, [](std::string_view text) { return parse_date(text); });
}

template <typename E>
requires std::is_enum_v<E>
void decode(Decoder& decoder, const json& value, const std::string& path, E& out) {
  decode_parsed(decoder, value, path, out,
                [](std::string_view text) { return parse_enum<E>(text); });
}

template <typename T>
void decode(Decoder& decoder, const json& value, const std::string& path, std::optional<T>& out) {
  T decoded{};
  decode(decoder, value, path, decoded);
  out = std::move(decoded);
}

template <typename T>
void decode(Decoder& decoder, const json& value, const std::string& path, std::vector<T>& out) {
  if (!value.is_array()) {
    return decoder.reject(path, type_mismatch("an array", value));
  }
  out.clear();
  std::size_t index = 0;
  for (const auto& element : value) {
    T decoded{};
    decode(decoder, element, pointer_child(path, index++), decoded);
    if (decoder.failed()) {
      return;
    }
    out.push_back(std::move(decoded));
  }
}

template <Record T>
void decode(Decoder& decoder, const json& value, const std::string& path, T& out) {
  if (!value.is_object()) {
    return decoder.reject(path, type_mismatch("an object", value));
  }
  std::vector<std::string_view> known;
  Fields<T>::each(out, [&known](const char* key, const auto&) { known.emplace_back(key); });
  for (auto member = value.begin(); member != value.end(); ++member) {
    if (std::find(known.begin(), known.end(), member.key()) == known.end()) {
      return decoder.reject(
          pointer_child(path, member.key()),
          fmt::format("unknown field (expected one of {})", text::join(known, ", ")));
    }
  }
  Fields<T>::each(out, [&](const char* key, auto& field) {
    if (decoder.failed()) {
      return;
    }
    const auto member = value.find(key);
    if (member != value.end() && !member->is_null()) {
      decode(decoder, *member, pointer_child(path, key), field);
    }
  });
}

template <typename T> Result<T> decode_document(const json& document, std::string_view what) {
  try {
    Decoder decoder;
    T decoded{};
    decode(decoder, document, "", decoded);
    if (decoder.failed()) {
      return fail(ErrorCategory::validation, decoder.problem());
    }
    return decoded;
  } catch (const std::exception& error) {
    return fail(ErrorCategory::validation,
                fmt::format("could not read the {}: {}", what, error.what()));
  }
}

// Finds where a document that failed to parse goes wrong (json::parse without exceptions does not
// say).
class SyntaxErrorLocator final : public nlohmann::json_sax<json> {
public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t position, const std::string&,
                   const json::exception& error) override {
    std::string_view what = error.what();
    // Drop nlohmann's "[json.exception.parse_error.101] " prefix; the rest says what and where.
    if (const auto prefix_end = what.find("] "); prefix_end != std::string_view::npos) {
      what.remove_prefix(prefix_end + 2);
    }
    message_ = fmt::format("not valid JSON at byte {}: {}", position, what);
    return false;
  }
  const std::string& message() const { return message_; }

private:
  std::string message_ = "not valid JSON";
};

std::string syntax_error_message(std::string_view text) {
  SyntaxErrorLocator locator;
  // The result is known to be false: only the located message matters.
  static_cast<void>(json::sax_parse(text, &locator));
  return locator.message();
}

} // namespace

// ---- public API
// -------------------------------------------------------------------------------------------

json to_json(const Lead& lead) {
  return encode(lead);
}

std::string to_json_text(const Lead& lead) {
  std::string text;
  text.reserve(2048);
  write(text, lead);
  return text;
}

std::string to_stored_json_text(const Lead& lead) {
  std::string text;
  text.reserve(1024);
  write_stored(text, lead, default_value<Lead>());
  return text;
}

Result<Lead> lead_from_json(const json& document) {
  return decode_document<Lead>(document, "lead");
}

Result<Lead> lead_from_json_text(std::string_view text) {
  // A lead nests a few levels (lists of e-mails, events, enrichment); a document nested 100,000
  // deep would exhaust the stack of the code that walks it (issue 18).
  if (!json_depth_within(text)) {
    return fail(ErrorCategory::validation,
                fmt::format("the lead is JSON nested deeper than {} levels, more than leadsync "
                            "accepts; write one flat lead object",
                            max_json_depth));
  }
  try {
    const json document = json::parse(text, nullptr, false);
    if (document.is_discarded()) {
      return fail(ErrorCategory::validation, syntax_error_message(text));
    }
    return lead_from_json(document);
  } catch (const std::exception& error) {
    return fail(ErrorCategory::validation,
                fmt::format("could not read the lead: {}", error.what()));
  }
}

json to_json(const BehaviourEvent& event) {
  return encode(event);
}

Result<BehaviourEvent> behaviour_event_from_json(const json& document) {
  return decode_document<BehaviourEvent>(document, "behaviour event");
}

} // namespace leadsync::model
