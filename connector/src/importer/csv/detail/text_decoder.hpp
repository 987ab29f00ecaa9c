#pragma once
// Conversion of text in a source encoding to UTF-8 with glibc iconv. Each call converts one piece
// of text (one physical line) from the initial shift state, so invalid bytes are attributed to the
// piece they are in.

#include "leadsync/core/result.hpp"

#include <cstddef>
#include <iconv.h>
#include <optional>
#include <string>
#include <string_view>

namespace leadsync::importer::detail {

struct InvalidBytes {
  std::size_t position = 0; // offset of the first invalid byte within the converted input
  std::string hex;          // the first run of invalid bytes (up to four of them), as "0xFF 0xFE"
};

class TextDecoder {
public:
  // `encoding` is an iconv name. Fails when iconv does not know it.
  static Result<TextDecoder> open(const std::string& encoding);

  TextDecoder(TextDecoder&& other) noexcept;
  TextDecoder& operator=(TextDecoder&& other) noexcept;
  TextDecoder(const TextDecoder&) = delete;
  TextDecoder& operator=(const TextDecoder&) = delete;
  ~TextDecoder();

  // Replaces `output` with `input` in UTF-8. Each invalid or incomplete sequence becomes U+FFFD and
  // conversion goes on after it; the first one is returned.
  std::optional<InvalidBytes> decode(std::string_view input, std::string& output);

  // True when the encoding writes the ASCII characters as the same single bytes (UTF-8, the code
  // pages).
  bool ascii_compatible() const noexcept { return ascii_compatible_; }
  // Bytes per code unit: 2 for UTF-16, else 1. Invalid bytes are skipped one unit at a time.
  std::size_t unit_width() const noexcept { return unit_width_; }

private:
  TextDecoder(iconv_t descriptor, std::size_t unit_width);
  void close() noexcept;

  iconv_t descriptor_;
  std::size_t unit_width_;
  bool ascii_compatible_ = false;
};

} // namespace leadsync::importer::detail
