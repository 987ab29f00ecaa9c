#pragma once
// Logging through spdlog to stderr, as text or one JSON object per line. Every message passes the
// redactor first: registered secrets, bearer tokens, client secrets/passwords in query strings or
// JSON are always masked; e-mail addresses and phone numbers are masked unless PII redaction is
// turned off for debugging.

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <spdlog/spdlog.h>
#include <string>
#include <string_view>

namespace leadsync::config { // config.hpp
enum class LogLevel;
enum class LogFormat;
struct LogOptions;
} // namespace leadsync::config

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
// The logger's options from the [log] settings (parsed by config::parse_log_level and
// parse_log_format, whether from leadsync.toml or --log-level / --log-format).
spdlog::level::level_enum level_of(config::LogLevel level);
Format format_of(config::LogFormat format);
Options options_from(const config::LogOptions& options);

// The logger every component uses: leadsync::log::get()->info("pushed {} leads", n);
std::shared_ptr<spdlog::logger> get();

// The job the calling thread runs, put on every line that thread logs while the scope lives:
// "job" and "run" keys in JSON, "[job#run]" before the message in text. The daemon opens one per
// job it runs; the run recorder adds the run id once the run is in the history. Scopes nest (the
// inner one wins until it ends).
class JobScope {
public:
  explicit JobScope(std::string job);
  ~JobScope();
  JobScope(const JobScope&) = delete;
  JobScope& operator=(const JobScope&) = delete;
  // Sets the run id of the calling thread's innermost scope; nothing when it has none.
  static void set_run(std::int64_t run);

private:
  std::string previous_job_;
  std::int64_t previous_run_ = 0;
};

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
