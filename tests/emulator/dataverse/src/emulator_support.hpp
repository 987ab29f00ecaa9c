#pragma once
// What the emulator's parts share (emulator.cpp routes; limiter, faults, token endpoint, webhooks,
// admin endpoints and options each have their own file): the organization's fixed identity, the URL
// prefixes, and small text, time and response helpers.

#include "dvemu/record_store.hpp"
#include "dvemu/service_error.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <leadsync/core/clock.hpp>
#include <leadsync/core/result.hpp>
#include <leadsync/http/headers.hpp>
#include <leadsync/http/message.hpp>
#include <leadsync/http/server.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace dvemu::detail {

using leadsync::ErrorCategory;
using leadsync::fail;
using leadsync::http::iequals;
using leadsync::http::Request;
using leadsync::http::Respond;
using leadsync::http::Response;
using SteadyTime = leadsync::Clock::SteadyTime;
using WallTime = leadsync::Clock::WallTime;
using std::chrono::milliseconds;

// The one organization the emulator serves, with its business unit, application user and tenant.
// Fixed ids, so a state file written by one run matches the next.
struct Identity {
  std::string tenant_id = "7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1a00";
  std::string organization_id = "7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1a01";
  std::string business_unit_id = "7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1a02";
  std::string user_id = "7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1a03";
  std::string organization_name = "leadsync-emulator";
};
// An application user: the client id that signs in and the systemuser its tokens act as.
struct ApplicationUser {
  std::string client_id;
  std::string user_id;
};

inline constexpr const char* data_prefix = "/api/data/v9.2";
inline constexpr const char* admin_prefix = "/_emulator/";
inline constexpr const char* data_content_type = "application/json; odata.metadata=minimal";
inline constexpr int default_ceiling_batch = 1000;

std::string new_guid();

std::string lower(std::string_view text);

std::string trim(std::string_view text);

std::vector<std::string> split(std::string_view text, char separator);

// 1200000 -> "1,200,000"
std::string group_thousands(std::int64_t value);

// Seconds as the limit messages print them: "300", or "2.5" for a window that is not whole seconds.
std::string window_seconds_text(milliseconds window);

std::int64_t unix_ms(WallTime time);

Response admin_json(int status, const Json& body);

Response admin_error(int status, const std::string& message);

Response service_error_response(const ServiceError& error);

} // namespace dvemu::detail
