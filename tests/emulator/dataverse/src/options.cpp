#include "dvemu/emulator.hpp"
#include "emulator_options.hpp"
#include "emulator_support.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <set>
#include <unistd.h>

namespace dvemu {
namespace detail {

namespace {

// Further client ids go into their systemuser rows (fullname holds 200 characters); an Entra
// client id has 36.
constexpr std::size_t max_client_id_length = 100;

} // namespace

leadsync::Result<ListenAddress> parse_listen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  const auto bad = [&] {
    return fail(ErrorCategory::invalid_argument,
                "listen address '" + listen +
                    "' is not HOST:PORT; use e.g. 127.0.0.1:0 (port 0 picks a free port)");
  };
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
    return bad();
  }
  const auto port_text = listen.substr(colon + 1);
  if (port_text.size() > 5 ||
      !std::all_of(port_text.begin(), port_text.end(),
                   [](unsigned char c) { return std::isdigit(c) != 0; }) ||
      std::stoul(port_text) > 65535) {
    return bad();
  }
  return ListenAddress{listen.substr(0, colon), static_cast<std::uint16_t>(std::stoul(port_text))};
}

leadsync::Status validate(const EmulatorOptions& options) {
  const auto invalid = [](const std::string& message) {
    return fail(ErrorCategory::invalid_argument, message);
  };
  if (options.profile != "dataverse" && options.profile != "fast") {
    return invalid("unknown profile '" + options.profile + "'; use dataverse or fast");
  }
  const auto& limits = options.limits;
  if (limits.enabled && (limits.window <= milliseconds::zero() || limits.max_requests < 1 ||
                         limits.max_execution_ms < 1 || limits.max_concurrency < 1)) {
    return invalid("service-protection limits must be positive (window, requests, execution time, "
                   "concurrency); to turn them off use the fast profile");
  }
  if (limits.dop_hint < 1) {
    return invalid("the dop hint must be at least 1");
  }
  if (options.latency.base < milliseconds::zero() ||
      options.latency.per_record < milliseconds::zero()) {
    return invalid("latency must not be negative");
  }
  const auto& faults = options.faults;
  const double total =
      faults.rate_500 + faults.rate_503 + faults.rate_reset + faults.rate_slow + faults.rate_revoke;
  for (const double rate : {faults.rate_500, faults.rate_503, faults.rate_reset, faults.rate_slow,
                            faults.rate_revoke}) {
    if (!(rate >= 0 && rate <= 1)) {
      return invalid("fault rates must be between 0 and 1");
    }
  }
  if (total > 1 + 1e-9) {
    return invalid("fault rates add up to more than 1; lower them");
  }
  if (faults.slow_delay < milliseconds::zero()) {
    return invalid("the slow-fault delay must not be negative");
  }
  if (options.compat.duplicate_status != 412 && options.compat.duplicate_status != 500) {
    return invalid("duplicate status must be 412 or 500");
  }
  if (options.compat.change_token_days < 1) {
    return invalid("change-token lifetime must be at least 1 day");
  }
  std::set<std::string> client_ids{options.auth.client_id};
  for (const auto& client_id : options.auth.additional_client_ids) {
    if (client_id.empty() || client_id.size() > max_client_id_length) {
      return invalid(
          fmt::format("a client id must have 1 to {} characters; an Entra client id is a "
                      "GUID such as 1b4e28ba-2fa1-4d2b-883f-0016d3cca427",
                      max_client_id_length));
    }
    if (!client_ids.insert(client_id).second) {
      return invalid("client id '" + client_id +
                     "' is given twice; give each application user its own client id");
    }
  }
  if (options.auth.token_lifetime < std::chrono::seconds{1}) {
    return invalid("token lifetime must be at least 1 second");
  }
  if (options.threads < 1) {
    return invalid("the server needs at least 1 thread");
  }
  return leadsync::ok_status();
}

leadsync::Status write_port_file(const std::string& path, std::uint16_t port) {
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << port << '\n';
    out.close();
    if (!out) {
      return fail(ErrorCategory::invalid_argument,
                  "cannot write the port file '" + temporary +
                      "'; check that its directory exists and is writable");
    }
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::filesystem::remove(temporary, ec);
    return fail(ErrorCategory::invalid_argument,
                "cannot move the port file into place at '" + path + "': " + ec.message());
  }
  return leadsync::ok_status();
}

Json limits_json(const LimitOptions& limits) {
  return {{"enabled", limits.enabled},
          {"window_ms", limits.window.count()},
          {"max_requests", limits.max_requests},
          {"max_execution_ms", limits.max_execution_ms},
          {"max_concurrency", limits.max_concurrency},
          {"dop_hint", limits.dop_hint}};
}

Json faults_json(const FaultOptions& faults) {
  return {{"rate_500", faults.rate_500},
          {"rate_503", faults.rate_503},
          {"rate_reset", faults.rate_reset},
          {"rate_slow", faults.rate_slow},
          {"slow_delay_ms", faults.slow_delay.count()},
          {"rate_revoke", faults.rate_revoke},
          {"seed", faults.seed}};
}

Json optional_number(const std::optional<double>& value) {
  return value ? Json(*value) : Json(nullptr);
}

} // namespace detail

using namespace detail;

LimitOptions scaled_limits(milliseconds window) {
  const LimitOptions documented;
  LimitOptions limits = documented;
  limits.window = window;
  const double scale =
      static_cast<double>(window.count()) / static_cast<double>(documented.window.count());
  limits.max_requests =
      std::max<std::int64_t>(1, std::llround(static_cast<double>(documented.max_requests) * scale));
  limits.max_execution_ms = std::max<std::int64_t>(
      1, std::llround(static_cast<double>(documented.max_execution_ms) * scale));
  return limits;
}

BulkCeiling bulk_ceiling(const LimitOptions& limits, const LatencyOptions& latency,
                         int batch_size) {
  BulkCeiling ceiling;
  ceiling.batch_size = batch_size;
  const double batch = batch_size;
  const double cost_ms = static_cast<double>(latency.base.count()) +
                         batch * static_cast<double>(latency.per_record.count());
  if (limits.enabled) {
    const double window_s = static_cast<double>(limits.window.count()) / 1000.0;
    ceiling.by_requests = batch * static_cast<double>(limits.max_requests) / window_s;
    if (cost_ms > 0) {
      ceiling.by_execution_time =
          static_cast<double>(limits.max_execution_ms) / cost_ms * batch / window_s;
      ceiling.by_concurrency =
          static_cast<double>(limits.max_concurrency) * batch * 1000.0 / cost_ms;
    }
  }
  ceiling.binding_limit = "none";
  const std::array<std::pair<const std::optional<double>*, const char*>, 3> terms{
      {{&ceiling.by_requests, "requests"},
       {&ceiling.by_execution_time, "execution_time"},
       {&ceiling.by_concurrency, "concurrency"}}};
  for (const auto& [term, name] : terms) {
    if (*term && (!ceiling.records_per_second || **term < *ceiling.records_per_second)) {
      ceiling.records_per_second = **term;
      ceiling.binding_limit = name;
    }
  }
  return ceiling;
}

} // namespace dvemu
