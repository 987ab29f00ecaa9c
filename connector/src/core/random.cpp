#include "leadsync/core/random.hpp"

#include <array>
#include <openssl/rand.h>
#include <stdexcept>

namespace leadsync {

std::uint64_t Random::next_u64() {
  std::array<std::uint8_t, 8> bytes{};
  fill(bytes);
  std::uint64_t value = 0;
  for (auto byte : bytes) {
    value = (value << 8U) | byte;
  }
  return value;
}

double Random::next_unit() {
  // 53 random bits make every double in [0, 1) with the spacing of 2^-53 equally likely.
  return static_cast<double>(next_u64() >> 11U) * 0x1.0p-53;
}

void SecureRandom::fill(std::span<std::uint8_t> bytes) {
  if (bytes.empty()) {
    return;
  }
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // The OS entropy source failing is not something a caller can handle: stop loudly.
    throw std::runtime_error("OpenSSL RAND_bytes failed: no secure randomness available");
  }
}

SecureRandom& SecureRandom::instance() {
  static SecureRandom random;
  return random;
}

void SeededRandom::fill(std::span<std::uint8_t> bytes) {
  MutexLock lock(mutex_);
  for (auto& byte : bytes) {
    byte = static_cast<std::uint8_t>(engine_() & 0xFFU);
  }
}

} // namespace leadsync
