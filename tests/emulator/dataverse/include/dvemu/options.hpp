#pragma once
// Everything the emulator can be told on its command line (see main.cpp --help) and through
// /_emulator/.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace dvemu {

// Service-protection limits per user over a sliding window (dataverse-notes section 8).
struct LimitOptions {
  bool enabled = true;
  std::chrono::milliseconds window{300'000}; // 300 s; --window-s scales it and the two below
  std::int64_t max_requests = 6000;          // per window
  std::int64_t max_execution_ms = 1'200'000; // combined execution time per window
  std::int64_t max_concurrency = 52;         // requests in flight per user (not scaled)
  int dop_hint = 4;                          // x-ms-dop-hint on WhoAmI (and every response)
};

struct LatencyOptions {
  std::chrono::milliseconds base{0};       // per request
  std::chrono::milliseconds per_record{0}; // per record written/returned by bulk and batch work
};

// Seeded fault plan, from --faults "500=0.05,503=0.05,reset=0.02,slow=0.01:2000,revoke=0.001".
struct FaultOptions {
  double rate_500 = 0;
  double rate_503 = 0;
  double rate_reset = 0; // close the connection without answering
  double rate_slow = 0;  // answer after slow_delay
  std::chrono::milliseconds slow_delay{2000};
  double rate_revoke = 0; // revoke the caller's token (next request gets 401)
  std::uint64_t seed = 1;
};

// Behaviours the notes mark UNCONFIRMED or CONFLICT: each is a switch, the default documented in
// README.
struct CompatOptions {
  int duplicate_status = 412; // CONFLICT: 412 (status table) or 500 (DUPAPI example)
  int change_token_days = 7;  // CONFLICT: 7 (current doc), 30 or 90
  bool continue_on_error_past_failed_changeset = false; // UNCONFIRMED: users report it stops
  int qualify_closed_status = 400; // UNCONFIRMED status for QualifyLead on a closed lead
  // Dataverse refuses a $batch body with bare LF line ends: 400 0x80048d19 "Stream was not
  // readable."
  // (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/web-api-client-errors).
  bool batch_requires_crlf = true;
};

// Each client id is an application user of its own (its systemuser, its service-protection budget),
// as Dataverse applies the limits per user (dataverse-notes section 8).
struct AuthOptions {
  bool required = true; // every /api/data request needs Authorization: Bearer
  // The first application user: the seeded systemuser ...1a03, and the user of the static token.
  std::string client_id = "leadsync-emulator-client";
  // Further application users (repeated --client-id), each with a systemuser id derived from its
  // client id (application_user_id()). Distinct, and different from client_id.
  std::vector<std::string> additional_client_ids;
  std::string client_secret; // --client-secret-env, shared by all client ids; empty = any accepted
  std::string static_token;  // a token accepted without the token endpoint (tests, demo)
  std::chrono::seconds token_lifetime{3599}; // expires_in of issued tokens
};

struct EmulatorOptions {
  std::string listen = "127.0.0.1:0";
  std::string port_file;  // written once listening: the port number and a newline
  std::string state_file; // SQLite file to persist records across restarts; empty = in memory
  std::string profile =
      "dataverse"; // "dataverse" (documented limits) | "fast" (no limits, no latency)
  std::string
      organization_url; // base URL used in OData-EntityId and links; default http://<listen>
  LimitOptions limits;
  LatencyOptions latency;
  FaultOptions faults;
  CompatOptions compat;
  AuthOptions auth;
  std::vector<std::string> extra_alternate_keys; // "entity:keyname:col1+col2"
  std::vector<std::string> extra_columns;        // "lead:leadsync_foo:String:100"
  std::size_t threads = 2;
  // A request must arrive whole within this (slowloris guard); a kept-alive connection idle longer
  // is closed.
  std::chrono::milliseconds read_timeout{5000};
  std::chrono::milliseconds idle_timeout{60000};
  bool log_requests = true; // one line per request on stderr
};

} // namespace dvemu
