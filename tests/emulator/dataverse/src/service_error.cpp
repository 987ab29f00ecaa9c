#include "dvemu/service_error.hpp"

#include <nlohmann/json.hpp>

namespace dvemu {

std::string ServiceError::body() const {
  return nlohmann::json{{"error", {{"code", code}, {"message", message}}}}.dump();
}

} // namespace dvemu
