// The words of config's enum-like settings, parsed and printed in one place (config.hpp).

#include "leadsync/core/config.hpp"
#include "leadsync/core/text.hpp"

#include <utility>

namespace leadsync::config {
namespace {

template <class Enum> using Word = std::pair<Enum, std::string_view>;

// In the order the messages list them.
constexpr Word<AuthMode> auth_modes[] = {{AuthMode::client_credentials, "client_credentials"},
                                         {AuthMode::static_token, "static_token"},
                                         {AuthMode::none, "none"}};
constexpr Word<PushMode> push_modes[] = {
    {PushMode::bulk, "bulk"}, {PushMode::batch, "batch"}, {PushMode::single, "single"}};
constexpr Word<UnmappedColumns> unmapped_columns[] = {{UnmappedColumns::description, "description"},
                                                      {UnmappedColumns::custom, "custom"},
                                                      {UnmappedColumns::drop, "drop"}};
constexpr Word<LogLevel> log_levels[] = {{LogLevel::trace, "trace"}, {LogLevel::debug, "debug"},
                                         {LogLevel::info, "info"},   {LogLevel::warn, "warn"},
                                         {LogLevel::error, "error"}, {LogLevel::off, "off"}};
constexpr Word<LogFormat> log_formats[] = {{LogFormat::text, "text"}, {LogFormat::json, "json"}};
constexpr Word<WebhookAuth> webhook_auths[] = {{WebhookAuth::key, "key"},
                                               {WebhookAuth::header, "header"}};

template <class Enum, std::size_t count>
std::string_view word_of(const Word<Enum> (&words)[count], Enum value) {
  for (const auto& [known, word] : words) {
    if (known == value) {
      return word;
    }
  }
  return "unknown"; // only a value cast from outside the enum gets here
}

// Exact and case-sensitive, as the file has always been read.
template <class Enum, std::size_t count>
Result<Enum> parse_word(const Word<Enum> (&words)[count], std::string_view text) {
  std::string allowed;
  for (const auto& [value, word] : words) {
    if (text == word) {
      return value;
    }
    allowed += (allowed.empty() ? "" : ", ") + std::string(word);
  }
  return fail(ErrorCategory::config,
              "must be one of " + allowed + " (got " + text::quoted_excerpt(text) + ")");
}

} // namespace

std::string_view to_string(AuthMode mode) {
  return word_of(auth_modes, mode);
}
std::string_view to_string(PushMode mode) {
  return word_of(push_modes, mode);
}
std::string_view to_string(UnmappedColumns handling) {
  return word_of(unmapped_columns, handling);
}
std::string_view to_string(LogLevel level) {
  return word_of(log_levels, level);
}
std::string_view to_string(LogFormat format) {
  return word_of(log_formats, format);
}
std::string_view to_string(WebhookAuth auth) {
  return word_of(webhook_auths, auth);
}

Result<AuthMode> parse_auth_mode(std::string_view text) {
  return parse_word(auth_modes, text);
}
Result<PushMode> parse_push_mode(std::string_view text) {
  return parse_word(push_modes, text);
}
Result<UnmappedColumns> parse_unmapped_columns(std::string_view text) {
  return parse_word(unmapped_columns, text);
}
Result<LogLevel> parse_log_level(std::string_view text) {
  return parse_word(log_levels, text);
}
Result<LogFormat> parse_log_format(std::string_view text) {
  return parse_word(log_formats, text);
}
Result<WebhookAuth> parse_webhook_auth(std::string_view text) {
  return parse_word(webhook_auths, text);
}

} // namespace leadsync::config
