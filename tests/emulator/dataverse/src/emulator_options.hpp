#pragma once
// The emulator's options checked, the listen address parsed, the port file written, and the limits
// and faults as the admin endpoints show them.

#include "dvemu/options.hpp"
#include "dvemu/record_store.hpp"

#include <cstdint>
#include <leadsync/core/result.hpp>
#include <optional>
#include <string>

namespace dvemu::detail {

struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;
};

leadsync::Result<ListenAddress> parse_listen(const std::string& listen);

leadsync::Status validate(const EmulatorOptions& options);

leadsync::Status write_port_file(const std::string& path, std::uint16_t port);

Json limits_json(const LimitOptions& limits);

Json faults_json(const FaultOptions& faults);

Json optional_number(const std::optional<double>& value);

} // namespace dvemu::detail
