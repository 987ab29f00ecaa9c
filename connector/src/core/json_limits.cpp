#include "leadsync/core/json_limits.hpp"

#include <string>

namespace leadsync {
namespace {

using Json = nlohmann::json;
using DomBuilder = nlohmann::detail::json_sax_dom_parser<Json>;

// The library's own DOM builder (the one json::parse uses), with a depth count in front: the parse
// stops at the first array or object past the limit, before anything deeper is built.
class DepthLimitedBuilder {
public:
  DepthLimitedBuilder(Json& result, int max_depth)
      : builder_(result, /*allow_exceptions=*/false), max_depth_(max_depth) {}

  bool null() { return builder_.null(); }
  bool boolean(bool value) { return builder_.boolean(value); }
  bool number_integer(Json::number_integer_t value) { return builder_.number_integer(value); }
  bool number_unsigned(Json::number_unsigned_t value) { return builder_.number_unsigned(value); }
  bool number_float(Json::number_float_t value, const Json::string_t& text) {
    return builder_.number_float(value, text);
  }
  bool string(Json::string_t& value) { return builder_.string(value); }
  bool binary(Json::binary_t& value) { return builder_.binary(value); }
  bool start_object(std::size_t size) { return enter() && builder_.start_object(size); }
  bool key(Json::string_t& value) { return builder_.key(value); }
  bool end_object() {
    --depth_;
    return builder_.end_object();
  }
  bool start_array(std::size_t size) { return enter() && builder_.start_array(size); }
  bool end_array() {
    --depth_;
    return builder_.end_array();
  }
  bool parse_error(std::size_t position, const std::string& last_token,
                   const nlohmann::detail::exception& error) {
    error_position_ = position;
    // nlohmann's message quotes the input near the error ("last read: '...'"): leave that out, the
    // input may be a secret-bearing response or megabytes long.
    error_text_ = error.what();
    if (const auto quoted = error_text_.find("; last read:"); quoted != std::string::npos) {
      error_text_.erase(quoted);
    }
    static_cast<void>(last_token);
    return false;
  }

  [[nodiscard]] bool too_deep() const { return too_deep_; }
  [[nodiscard]] std::size_t error_position() const { return error_position_; }
  [[nodiscard]] const std::string& error_text() const { return error_text_; }

private:
  bool enter() {
    if (++depth_ > max_depth_) {
      too_deep_ = true;
      return false;
    }
    return true;
  }

  DomBuilder builder_;
  int max_depth_;
  int depth_ = 0;
  bool too_deep_ = false;
  std::size_t error_position_ = 0;
  std::string error_text_;
};

} // namespace

Result<nlohmann::json> parse_untrusted_json(std::string_view text, std::string_view what,
                                            int max_depth) {
  Json result;
  DepthLimitedBuilder builder(result, max_depth);
  const bool parsed = Json::sax_parse(text.begin(), text.end(), &builder,
                                      nlohmann::detail::input_format_t::json, /*strict=*/true);
  if (builder.too_deep()) {
    return fail(ErrorCategory::protocol,
                std::string(what) + " is JSON nested deeper than " + std::to_string(max_depth) +
                    " levels, more than leadsync accepts; it was refused unread");
  }
  if (!parsed) {
    return fail(
        ErrorCategory::protocol,
        std::string(what) + " is not valid JSON (" +
            (builder.error_text().empty() ? std::string("syntax error") : builder.error_text()) +
            ")");
  }
  return result;
}

bool json_depth_within(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
    case '"':
      in_string = true;
      break;
    case '[':
    case '{':
      if (++depth > max_depth) {
        return false;
      }
      break;
    case ']':
    case '}':
      depth = depth > 0 ? depth - 1 : 0;
      break;
    default:
      break;
    }
  }
  return true;
}

} // namespace leadsync
