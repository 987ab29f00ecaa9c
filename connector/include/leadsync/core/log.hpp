#pragma once
// Logging through spdlog to stderr, as text or one JSON object per line. Every message passes the
// redactor first: registered secrets, bearer tokens, client secrets/passwords in query strings or
// JSON are always masked; e-mail addresses and phone numbers are masked unless PII redaction is
// turned off for debugging.

#include <iosfwd>
#include <memory>
#include <spdlog/spdlog.h>
#include <string>
#include <string_view>

namespace leadsync::log {

enum class Format { text, json };

struct Options {
  spdlog::level::level_enum level = spdlog::level::info;
  Format format = Format::text;
  bool redact_pii = true;
};

// Installs the default logger (idempotent; later calls replace the options).
void init(const Options& options);
// The same, writing to `out` instead of stderr (tests capture log lines this way). `out` must
// outlive the logger, i.e. until the next init().
void init(const Options& options, std::ostream& out);
// Parses "trace|debug|info|warn|error|off" and "text|json"; false when unknown.
bool parse_level(std::string_view text, spdlog::level::level_enum& level);
bool parse_format(std::string_view text, Format& format);

// The logger every component uses: leadsync::log::get()->info("pushed {} leads", n);
std::shared_ptr<spdlog::logger> get();

// Redaction, usable on its own (the CLI and tests use it directly).
class Redactor {
public:
  static Redactor& instance();
  void add_secret(std::string secret); // exact strings to mask wherever they appear (length >= 4)
  void set_redact_pii(bool on);
  bool redact_pii() const;
  std::string redact(std::string_view text) const;

private:
  struct State;
  Redactor();
  std::shared_ptr<State> state_;
};

inline std::string redact(std::string_view text) {
  return Redactor::instance().redact(text);
}

// Partial masks used in human output when redaction is on: "j***@example.com", "+49******456".
std::string mask_email(std::string_view email);
std::string mask_phone(std::string_view phone);

} // namespace leadsync::log
