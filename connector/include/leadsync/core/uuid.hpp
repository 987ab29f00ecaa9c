#pragma once
// RFC 9562 UUIDs: version 4 (random) and version 7 (time-ordered) from a Random (OpenSSL's RNG by
// default), and strict parsing.

#include "leadsync/core/random.hpp"
#include "leadsync/core/result.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace leadsync {

class Uuid {
public:
  Uuid() = default; // the nil UUID
  static Uuid generate_v4(Random& random = SecureRandom::instance());
  // Version 7: the Unix time in milliseconds, then 74 random bits. Ids made later sort later, so
  // B-tree indexes keyed by them grow at one end instead of being written all over.
  static Uuid generate_v7(std::chrono::system_clock::time_point now,
                          Random& random = SecureRandom::instance());
  // Accepts "8-4-4-4-12" hex in either case, optionally inside braces; rejects anything else.
  static Result<Uuid> parse(std::string_view text);
  static bool is_valid(std::string_view text) { return parse(text).ok(); }

  std::string to_string() const; // lower-case, hyphenated
  bool is_nil() const;
  int version() const { return bytes_[6] >> 4; }
  const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }
  friend bool operator==(const Uuid&, const Uuid&) = default;

private:
  std::array<std::uint8_t, 16> bytes_{};
};

} // namespace leadsync
