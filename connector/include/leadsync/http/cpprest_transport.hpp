#pragma once
// The cpprestsdk adapter behind Transport. Declared here without any cpprestsdk type: the
// implementation (src/http/cpprest_transport.cpp) is the only file that includes cpprestsdk
// headers.

#include "leadsync/http/transport.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace leadsync::http {

struct TransportOptions {
  std::chrono::milliseconds timeout{
      120'000};                      // per request, unless the request's deadline is sooner
  std::string ca_file;               // extra CA bundle (PEM) for TLS verification
  bool insecure_skip_verify = false; // only when the config says so; logged as a warning each start
};

std::unique_ptr<Transport> make_cpprest_transport(const TransportOptions& options);

} // namespace leadsync::http
