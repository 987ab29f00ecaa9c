#pragma once
// The error the emulated Web API answers with: HTTP status plus the Dataverse error body
// {"error":{"code":"0x80044331","message":"..."}} (dataverse-notes section 9).

#include <string>

namespace dvemu {

struct ServiceError {
  int status = 400;
  std::string code; // hex code like "0x80044331"; may be "" where the docs show an empty code
  std::string message;
  std::string body() const; // the JSON error document
};

// Codes used across the emulator (dataverse-notes section 9 and the pages cited there).
namespace codes {
inline constexpr const char* validation = "0x80044331";            // e.g. string too long
inline constexpr const char* duplicate_record = "0x80040333";      // duplicate detection
inline constexpr const char* invalid_state_status = "0x80048408";  // bad statecode/statuscode pair
inline constexpr const char* expired_version_stamp = "0x80044352"; // change tracking token too old
inline constexpr const char* requests_limit = "0x80072322";        // service protection: requests
inline constexpr const char* execution_time_limit =
    "0x80072321";                                              // service protection: execution time
inline constexpr const char* concurrency_limit = "0x80072326"; // service protection: concurrency
} // namespace codes

} // namespace dvemu
