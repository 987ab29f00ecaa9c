#pragma once
// A pipeline of small policies in front of a Transport, in the fixed order
// request id -> user agent -> retry -> bearer token -> throttle -> redacting log -> transport.
// Each policy is a class with one send() that may act before and after calling the next one.

#include "leadsync/http/transport.hpp"

#include <functional>
#include <memory>
#include <vector>

namespace leadsync::http {

using NextPolicy = std::function<Result<Response>(Request&, CallContext&)>;

class Policy {
public:
  virtual ~Policy() = default;
  virtual Result<Response> send(Request& request, CallContext& context, const NextPolicy& next) = 0;
};

class Pipeline {
public:
  Pipeline(std::vector<std::shared_ptr<Policy>> policies, std::shared_ptr<Transport> transport);
  // Thread-safe: policies must be safe for concurrent calls.
  Result<Response> send(Request request, CallContext context = {}) const;

private:
  Result<Response> send_from(std::size_t index, Request& request, CallContext& context) const;
  std::vector<std::shared_ptr<Policy>> policies_;
  std::shared_ptr<Transport> transport_;
};

} // namespace leadsync::http
