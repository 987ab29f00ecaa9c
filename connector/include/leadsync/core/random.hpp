#pragma once
// Randomness as an injected dependency: jitter, sampling and ids ask a Random; tests seed it.

#include "leadsync/core/mutex.hpp"

#include <cstdint>
#include <random>
#include <span>

namespace leadsync {

class Random {
public:
  virtual ~Random() = default;
  virtual void fill(std::span<std::uint8_t> bytes) = 0;
  std::uint64_t next_u64();
  double next_unit(); // uniform in [0, 1)
};

// Cryptographically strong bytes from OpenSSL's RAND_bytes. Thread-safe.
class SecureRandom final : public Random {
public:
  void fill(std::span<std::uint8_t> bytes) override;
  static SecureRandom& instance();
};

// Deterministic bytes for tests and reproducible benchmarks. Thread-safe.
class SeededRandom final : public Random {
public:
  explicit SeededRandom(std::uint64_t seed) : engine_(seed) {}
  void fill(std::span<std::uint8_t> bytes) override;

private:
  Mutex mutex_;
  std::mt19937_64 engine_ GUARDED_BY(mutex_);
};

} // namespace leadsync
