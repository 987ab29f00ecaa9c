#pragma once
// Test doubles for the Dataverse client's unit tests: the support library's RecordingTransport,
// RecordingSleeper and URL-logging transport under short names, and the wire form of a request.

#include "leadsync/core/clock.hpp"
#include "leadsync/http/transport.hpp"
#include "support/recording_transport.hpp"
#include "support/sleepers.hpp"
#include "support/url_logging_transport.hpp"

#include <chrono>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace leadsync::dataverse::fakes {

using test::make_response;
using test::RecordingSleeper;
using test::RecordingTransport;

using test::log_url;
using test::UrlLoggingTransport;

// The request as it would go on the wire, without the x-ms-client-request-id (random per call):
// "METHOD URL", one "Name: value" line per header in order, then a blank line and the body.
inline std::string wire(const http::Request& request) {
  std::string text = request.method + " " + request.url + "\n";
  for (const auto& [name, value] : request.headers) {
    if (name != "x-ms-client-request-id") {
      text += name + ": " + value + "\n";
    }
  }
  if (!request.body.empty()) {
    text += "\n" + request.body;
  }
  return text;
}

} // namespace leadsync::dataverse::fakes
