#include "leadsync/core/log.hpp"

#include "detail/redaction.hpp"
#include "leadsync/core/config.hpp"
#include "leadsync/core/mutex.hpp"
#include "leadsync/core/text.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/base_sink.h>
#include <vector>

namespace leadsync::log {
namespace {

constexpr std::string_view logger_name = "leadsync";

// Shorter strings would mask ordinary words all over the log.
constexpr std::size_t min_secret_length = 4;

std::string_view level_name(spdlog::level::level_enum level) {
  switch (level) {
  case spdlog::level::trace:
    return "trace";
  case spdlog::level::debug:
    return "debug";
  case spdlog::level::info:
    return "info";
  case spdlog::level::warn:
    return "warn";
  case spdlog::level::err:
    return "error";
  case spdlog::level::critical:
    return "critical";
  case spdlog::level::off:
  case spdlog::level::n_levels:
    break;
  }
  return "off";
}

// "2026-11-22T20:00:00.123Z"
std::string utc_timestamp(spdlog::log_clock::time_point time) {
  using namespace std::chrono;
  const auto day = floor<days>(time);
  const year_month_day date{day};
  const hh_mm_ss time_of_day{floor<milliseconds>(time - day)};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     time_of_day.hours().count(), time_of_day.minutes().count(),
                     time_of_day.seconds().count(), time_of_day.subseconds().count());
}

// The calling thread's job (JobScope); empty outside one.
struct ThreadJob {
  std::string job;
  std::int64_t run = 0;
};
thread_local ThreadJob thread_job;

class RedactingSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
  RedactingSink(Format format, std::ostream& out) : format_(format), out_(out) {}

protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    // The message text is redacted before it is framed: the rules see the text as written, and no
    // mask can break the JSON framing around it.
    const std::string text =
        Redactor::instance().redact(std::string_view(msg.payload.data(), msg.payload.size()));
    const std::string timestamp = utc_timestamp(msg.time);
    const std::string_view level = level_name(msg.level);
    std::string line;
    if (format_ == Format::json) {
      nlohmann::ordered_json object;
      object["ts"] = timestamp;
      object["level"] = level;
      object["logger"] = std::string_view(msg.logger_name.data(), msg.logger_name.size());
      object["msg"] = text;
      if (!thread_job.job.empty()) {
        object["job"] = thread_job.job;
        if (thread_job.run > 0) {
          object["run"] = thread_job.run;
        }
      }
      // Invalid UTF-8 (e.g. from a CSV in another encoding) becomes U+FFFD instead of throwing.
      line = object.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    } else {
      std::string job;
      if (!thread_job.job.empty()) {
        job = thread_job.run > 0 ? fmt::format("[{}#{}] ", thread_job.job, thread_job.run)
                                 : fmt::format("[{}] ", thread_job.job);
      }
      // A lead field holding a newline or an escape sequence must not start a forged line or
      // recolour the terminal: the message's control characters become visible escapes, and the
      // only newline is the line's own (JSON lines get the same from the JSON encoder).
      line =
          fmt::format("{} [{}] {}{}", timestamp, level, job, text::escape_control_characters(text));
    }
    line += '\n';
    out_.write(line.data(), static_cast<std::streamsize>(line.size()));
  }

  void flush_() override { out_.flush(); }

private:
  Format format_;
  std::ostream& out_;
};

struct InstalledLogger {
  Mutex mutex;
  std::shared_ptr<spdlog::logger> logger GUARDED_BY(mutex);
};

InstalledLogger& installed() {
  static InstalledLogger state;
  return state;
}

void install(InstalledLogger& state, const Options& options, std::ostream& out)
    REQUIRES(state.mutex) {
  auto logger = std::make_shared<spdlog::logger>(
      std::string(logger_name), std::make_shared<RedactingSink>(options.format, out));
  logger->set_level(options.level);
  // Every line is flushed, as stderr is unbuffered: nothing is lost when the process dies.
  logger->flush_on(spdlog::level::trace);
  Redactor::instance().set_redact_pii(options.redact_pii);
  state.logger = logger;
  spdlog::set_default_logger(std::move(logger));
}

} // namespace

void init(const Options& options) {
  init(options, std::cerr);
}

void init(const Options& options, std::ostream& out) {
  auto& state = installed();
  MutexLock lock(state.mutex);
  install(state, options, out);
}

std::shared_ptr<spdlog::logger> get() {
  auto& state = installed();
  MutexLock lock(state.mutex);
  if (!state.logger) {
    install(state, Options{}, std::cerr);
  }
  return state.logger;
}

spdlog::level::level_enum level_of(config::LogLevel level) {
  switch (level) {
  case config::LogLevel::trace:
    return spdlog::level::trace;
  case config::LogLevel::debug:
    return spdlog::level::debug;
  case config::LogLevel::info:
    return spdlog::level::info;
  case config::LogLevel::warn:
    return spdlog::level::warn;
  case config::LogLevel::error:
    return spdlog::level::err;
  case config::LogLevel::off:
    break;
  }
  return spdlog::level::off;
}

Format format_of(config::LogFormat format) {
  return format == config::LogFormat::json ? Format::json : Format::text;
}

Options options_from(const config::LogOptions& options) {
  return Options{.level = level_of(options.level),
                 .format = format_of(options.format),
                 .redact_pii = options.redact_pii};
}

struct Redactor::State {
  mutable SharedMutex mutex;
  std::vector<std::string> secrets GUARDED_BY(mutex); // longest first
  std::atomic<bool> redact_pii{true};
};

Redactor::Redactor() : state_(std::make_shared<State>()) {}

Redactor& Redactor::instance() {
  static Redactor redactor;
  return redactor;
}

void Redactor::add_secret(std::string secret) {
  if (secret.size() < min_secret_length) {
    return;
  }
  WriterLock lock(state_->mutex);
  auto& secrets = state_->secrets;
  if (std::find(secrets.begin(), secrets.end(), secret) != secrets.end()) {
    return;
  }
  const auto shorter = std::find_if(secrets.begin(), secrets.end(), [&](const std::string& known) {
    return known.size() < secret.size();
  });
  secrets.insert(shorter, std::move(secret));
}

void Redactor::set_redact_pii(bool on) {
  state_->redact_pii.store(on);
}

bool Redactor::redact_pii() const {
  return state_->redact_pii.load();
}

std::string Redactor::redact(std::string_view text) const {
  std::string result;
  {
    ReaderLock lock(state_->mutex);
    result = detail::mask_secrets(text, state_->secrets);
  }
  result = detail::mask_credentials(result);
  if (redact_pii()) {
    // E-mails first: the digits of an address are then gone before phone numbers are looked for.
    result = detail::mask_phones(detail::mask_emails(result));
  }
  return result;
}

JobScope::JobScope(std::string job)
    : previous_job_(std::move(thread_job.job)), previous_run_(thread_job.run) {
  thread_job.job = std::move(job);
  thread_job.run = 0;
}

JobScope::~JobScope() {
  thread_job.job = std::move(previous_job_);
  thread_job.run = previous_run_;
}

void JobScope::set_run(std::int64_t run) {
  if (!thread_job.job.empty()) {
    thread_job.run = run;
  }
}

} // namespace leadsync::log
