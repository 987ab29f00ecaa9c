// The admin endpoints under /_emulator/ (stats, reset, rows, faults, clock, client secret,
// limits); see the README next to this file.

#include "emulator_impl.hpp"
#include "emulator_options.hpp"
#include "webhooks.hpp"

#include <chrono>
#include <leadsync/core/json_limits.hpp>
#include <leadsync/core/log.hpp>
#include <leadsync/http/url.hpp>
#include <map>
#include <optional>
#include <string>

namespace dvemu {

using namespace detail;

void Emulator::Impl::serve_admin(const Request& request, Exchange& exchange) {
  const auto target = leadsync::http::split_target(request.url);
  const std::string action = target.path.substr(std::string_view(admin_prefix).size());
  const auto& method = request.method;
  const auto wrong_method = [&](const char* allowed) {
    auto response = admin_error(405, "use " + std::string(allowed) + " on " + target.path);
    response.headers.set("Allow", allowed);
    finish(exchange, std::move(response));
  };
  const auto parse_body = [&]() -> std::optional<Json> {
    if (request.body.empty()) {
      return Json::object();
    }
    auto body = leadsync::parse_untrusted_json(request.body, "the body");
    if (!body.ok()) {
      finish(exchange, admin_error(400, body.error().message + "; send a JSON object"));
      return std::nullopt;
    }
    if (!body->is_object()) {
      finish(exchange, admin_error(400, "the body must be a JSON object"));
      return std::nullopt;
    }
    return std::move(body).value();
  };

  if (action == "stats") {
    if (method != "GET") {
      wrong_method("GET");
      return;
    }
    int batch = default_ceiling_batch;
    auto query = leadsync::http::parse_query(target.query);
    if (query.ok()) {
      for (const auto& [name, value] : query.value()) {
        if (name != "batch") {
          continue;
        }
        char* end = nullptr;
        const long parsed = std::strtol(value.c_str(), &end, 10);
        if (value.empty() || end != value.c_str() + value.size() || parsed < 1 ||
            parsed > 1'000'000) {
          finish(exchange, admin_error(400, "batch must be a whole number from 1 to 1000000"));
          return;
        }
        batch = static_cast<int>(parsed);
      }
    }
    finish(exchange, admin_json(200, stats_json(batch)));
    return;
  }
  if (action == "reset") {
    if (method != "POST") {
      wrong_method("POST");
      return;
    }
    store->reset();
    if (auto seeded = seed_rows(); !seeded.ok()) {
      finish(exchange, admin_error(500, seeded.error().message));
      return;
    }
    counters.reset();
    limiter.reset();
    webhooks->reset_stats();
    tokens.restore_static_token();
    finish(exchange, admin_json(200, Json{{"reset", true}}));
    return;
  }
  if (action.rfind("records/", 0) == 0) {
    if (method != "GET") {
      wrong_method("GET");
      return;
    }
    const auto entity_set = action.substr(std::string_view("records/").size());
    const auto* entity = schema->by_entity_set(entity_set);
    if (entity == nullptr) {
      finish(exchange, admin_error(404, "no table with entity set '" + entity_set + "'"));
      return;
    }
    auto rows = Json::array();
    {
      auto txn = store->begin();
      for (const auto* record : txn.scan(*entity)) {
        rows.push_back(
            {{"id", record->id}, {"version", record->version}, {"attributes", record->attributes}});
      }
    }
    finish(exchange, admin_json(200, rows));
    return;
  }
  if (action == "faults") {
    if (method == "GET") {
      finish(exchange, admin_json(200, faults_json(faults.options())));
      return;
    }
    if (method != "POST") {
      wrong_method("GET, POST");
      return;
    }
    const auto body = parse_body();
    if (!body) {
      return;
    }
    FaultOptions plan;
    plan.seed = options.faults.seed;
    plan.slow_delay = options.faults.slow_delay;
    try {
      for (const auto& [name, value] : body->items()) {
        if (name == "spec") {
          auto parsed = parse_fault_spec(value.get<std::string>(), plan);
          if (!parsed.ok()) {
            finish(exchange, admin_error(400, parsed.error().message));
            return;
          }
          plan = parsed.value();
        } else if (name == "rate_500") {
          plan.rate_500 = value.get<double>();
        } else if (name == "rate_503") {
          plan.rate_503 = value.get<double>();
        } else if (name == "rate_reset") {
          plan.rate_reset = value.get<double>();
        } else if (name == "rate_slow") {
          plan.rate_slow = value.get<double>();
        } else if (name == "rate_revoke") {
          plan.rate_revoke = value.get<double>();
        } else if (name == "slow_delay_ms") {
          plan.slow_delay = milliseconds{value.get<std::int64_t>()};
        } else if (name == "seed") {
          plan.seed = value.get<std::uint64_t>();
        } else {
          finish(exchange,
                 admin_error(400, "unknown field '" + name +
                                      "'; known: rate_500, rate_503, rate_reset, rate_slow, "
                                      "slow_delay_ms, rate_revoke, seed, spec"));
          return;
        }
      }
    } catch (const Json::exception&) {
      finish(exchange, admin_error(400, "rates must be numbers, seed and slow_delay_ms whole "
                                        "numbers, spec a string"));
      return;
    }
    EmulatorOptions check;
    check.faults = plan;
    if (auto valid = validate(check); !valid.ok()) {
      finish(exchange, admin_error(400, valid.error().message));
      return;
    }
    faults.configure(plan);
    finish(exchange, admin_json(200, faults_json(plan)));
    return;
  }
  if (action == "clock") {
    if (method == "GET") {
      finish(exchange, admin_json(200, Json{{"offset_ms", clock.offset().count()},
                                            {"now_ms", unix_ms(clock.now())}}));
      return;
    }
    if (method != "POST") {
      wrong_method("GET, POST");
      return;
    }
    const auto body = parse_body();
    if (!body) {
      return;
    }
    const auto advance = body->find("advance_s");
    if (advance == body->end() || !advance->is_number() || advance->get<double>() < 0) {
      finish(exchange, admin_error(400, "send {\"advance_s\": N} with N >= 0 seconds; the clock "
                                        "only moves forward"));
      return;
    }
    clock.advance(milliseconds{std::llround(advance->get<double>() * 1000)});
    finish(exchange, admin_json(200, Json{{"offset_ms", clock.offset().count()},
                                          {"now_ms", unix_ms(clock.now())}}));
    return;
  }
  if (action == "client-secret") {
    // Rotates the client secret, as an admin does in Entra: tokens already issued stay valid, the
    // next token request must send the new secret.
    if (method != "POST") {
      wrong_method("POST");
      return;
    }
    const auto body = parse_body();
    if (!body) {
      return;
    }
    const auto secret = body->find("client_secret");
    if (secret == body->end() || !secret->is_string() || secret->get<std::string>().empty()) {
      finish(exchange, admin_error(400, "send {\"client_secret\": \"<the new secret>\"}"));
      return;
    }
    leadsync::log::Redactor::instance().add_secret(secret->get<std::string>());
    {
      leadsync::MutexLock lock(secret_mutex);
      options.auth.client_secret = secret->get<std::string>();
    }
    finish(exchange, admin_json(200, Json{{"rotated", true}}));
    return;
  }
  if (action == "limits") {
    if (method == "GET") {
      finish(exchange, admin_json(200, limits_json(limiter.limits())));
      return;
    }
    if (method != "POST") {
      wrong_method("GET, POST");
      return;
    }
    const auto body = parse_body();
    if (!body) {
      return;
    }
    auto limits = limiter.limits();
    try {
      for (const auto& [name, value] : body->items()) {
        if (name == "enabled") {
          limits.enabled = value.get<bool>();
        } else if (name == "window_ms") {
          limits.window = milliseconds{value.get<std::int64_t>()};
        } else if (name == "window_s") {
          limits.window = milliseconds{std::llround(value.get<double>() * 1000)};
        } else if (name == "max_requests") {
          limits.max_requests = value.get<std::int64_t>();
        } else if (name == "max_execution_ms") {
          limits.max_execution_ms = value.get<std::int64_t>();
        } else if (name == "max_concurrency") {
          limits.max_concurrency = value.get<std::int64_t>();
        } else if (name == "dop_hint") {
          limits.dop_hint = value.get<int>();
        } else {
          finish(exchange, admin_error(400, "unknown field '" + name +
                                                "'; known: enabled, window_ms, window_s, "
                                                "max_requests, max_execution_ms, "
                                                "max_concurrency, dop_hint"));
          return;
        }
      }
    } catch (const Json::exception&) {
      finish(exchange, admin_error(400, "enabled must be a boolean and the limits numbers"));
      return;
    }
    EmulatorOptions check;
    check.limits = limits;
    if (auto valid = validate(check); !valid.ok()) {
      finish(exchange, admin_error(400, valid.error().message));
      return;
    }
    limiter.configure(limits);
    finish(exchange, admin_json(200, limits_json(limits)));
    return;
  }
  finish(exchange, admin_error(404, "unknown admin endpoint '" + target.path +
                                        "'; see tests/emulator/dataverse/README.md"));
}

Json Emulator::Impl::stats_json(int batch_size) const {
  Json stats;
  stats["uptime_s"] =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started)
          .count();
  counters.write(stats);
  stats["in_flight"] = limiter.in_flight();
  stats["max_concurrency_seen"] = limiter.max_in_flight_seen();
  stats["rows"] = store ? store->row_counts() : std::map<std::string, std::int64_t>{};
  if (webhooks) {
    webhooks->write_stats(stats);
  }
  const auto limits = limiter.limits();
  stats["limits"] = limits_json(limits);
  stats["latency"] = {{"base_ms", options.latency.base.count()},
                      {"per_record_ms", options.latency.per_record.count()}};
  const auto ceiling = bulk_ceiling(limits, options.latency, batch_size);
  // Dataverse applies the limits per user, so N application users may write N times as fast.
  const auto user_count = static_cast<double>(users.size());
  stats["application_users"] = users.size();
  stats["users"] = users_json(limits);
  stats["ceiling_records_per_second"] = optional_number(ceiling.records_per_second);
  stats["combined_ceiling_records_per_second"] =
      ceiling.records_per_second ? Json(*ceiling.records_per_second * user_count) : Json(nullptr);
  stats["ceiling"] = {{"batch_size", ceiling.batch_size},
                      {"binding_limit", ceiling.binding_limit},
                      {"by_requests", optional_number(ceiling.by_requests)},
                      {"by_execution_time", optional_number(ceiling.by_execution_time)},
                      {"by_concurrency", optional_number(ceiling.by_concurrency)}};
  return stats;
}

Json Emulator::Impl::users_json(const LimitOptions& limits) const {
  auto list = Json::array();
  const auto now = clock.steady_now();
  for (const auto& user : users) {
    const auto figures = limiter.figures(user.user_id, now);
    list.push_back(
        {{"client_id", user.client_id},
         {"user_id", user.user_id},
         {"requests", figures.requests},
         {"throttled", figures.throttled},
         {"in_flight", figures.in_flight},
         // Nothing is left to count down with the limits off (profile fast).
         {"remaining_requests", limits.enabled ? Json(figures.remaining.requests) : Json(nullptr)},
         {"remaining_execution_ms",
          limits.enabled ? Json(figures.remaining.execution_ms) : Json(nullptr)}});
  }
  return list;
}

} // namespace dvemu
