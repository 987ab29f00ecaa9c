#pragma once
// The cpprestsdk adapter behind Transport. Declared here without any cpprestsdk type: the
// implementation (src/http/cpprest_transport.cpp) is the only file that includes cpprestsdk
// headers.

#include "leadsync/http/transport.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace leadsync::http {

// See TransportOptions::max_response_bytes.
inline constexpr std::size_t default_max_response_bytes = std::size_t{64} << 20;

struct TransportOptions {
  std::chrono::milliseconds timeout{
      120'000};                      // per request, unless the request's deadline is sooner
  std::string ca_file;               // extra CA bundle (PEM) for TLS verification
  bool insecure_skip_verify = false; // only when the config says so; logged as a warning each start
  // The largest response body accepted (issue 18): a Dataverse page of 5,000 records with all
  // columns is a few MB. A larger body (by Content-Length or as it arrives, chunked or not) is
  // refused with a protocol error, not retryable, naming the limit and the URL's host and path;
  // reading stops at the limit, so an endless response cannot grow memory.
  std::size_t max_response_bytes = default_max_response_bytes;
};

std::unique_ptr<Transport> make_cpprest_transport(const TransportOptions& options);

} // namespace leadsync::http
