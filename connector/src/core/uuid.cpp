#include "leadsync/core/uuid.hpp"

#include "leadsync/core/text.hpp"

namespace leadsync {

Uuid Uuid::generate_v4(Random& random) {
  Uuid uuid;
  random.fill(uuid.bytes_);
  uuid.bytes_[6] = static_cast<std::uint8_t>((uuid.bytes_[6] & 0x0FU) | 0x40U); // version 4
  uuid.bytes_[8] = static_cast<std::uint8_t>((uuid.bytes_[8] & 0x3FU) | 0x80U); // RFC 4122 variant
  return uuid;
}

Uuid Uuid::generate_v7(std::chrono::system_clock::time_point now, Random& random) {
  Uuid uuid;
  random.fill(uuid.bytes_);
  const auto millis = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
  for (std::size_t i = 0; i < 6; ++i) { // 48-bit big-endian timestamp
    uuid.bytes_[i] = static_cast<std::uint8_t>(millis >> (8U * (5U - i)));
  }
  uuid.bytes_[6] = static_cast<std::uint8_t>((uuid.bytes_[6] & 0x0FU) | 0x70U); // version 7
  uuid.bytes_[8] = static_cast<std::uint8_t>((uuid.bytes_[8] & 0x3FU) | 0x80U); // RFC variant
  return uuid;
}

Result<Uuid> Uuid::parse(std::string_view text) {
  if (text.size() == 38 && text.front() == '{' && text.back() == '}') {
    text = text.substr(1, 36);
  }
  if (text.size() != 36) {
    return fail(ErrorCategory::invalid_argument,
                "not a UUID: expected 36 characters like 1b4e28ba-2fa1-4d2b-883f-0016d3cca427");
  }
  Uuid uuid;
  std::size_t byte_index = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') {
        return fail(ErrorCategory::invalid_argument,
                    "not a UUID: hyphen expected at position " + std::to_string(i + 1));
      }
      ++i;
      continue;
    }
    const int high = text::hex_value(text[i]);
    const int low = text::hex_value(text[i + 1]);
    if (high < 0 || low < 0) {
      return fail(ErrorCategory::invalid_argument,
                  "not a UUID: non-hex character at position " + std::to_string(i + 1));
    }
    uuid.bytes_[byte_index++] = static_cast<std::uint8_t>((high << 4) | low);
    i += 2;
  }
  return uuid;
}

std::string Uuid::to_string() const {
  static constexpr char digits[] = "0123456789abcdef";
  std::string text;
  text.reserve(36);
  for (std::size_t i = 0; i < bytes_.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      text.push_back('-');
    }
    text.push_back(digits[bytes_[i] >> 4U]);
    text.push_back(digits[bytes_[i] & 0x0FU]);
  }
  return text;
}

bool Uuid::is_nil() const {
  for (auto byte : bytes_) {
    if (byte != 0) {
      return false;
    }
  }
  return true;
}

} // namespace leadsync
