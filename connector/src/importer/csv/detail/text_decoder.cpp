#include "csv/detail/text_decoder.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <utility>

namespace leadsync::importer::detail {
namespace {

// iconv_open reports failure as (iconv_t)-1.
const iconv_t invalid_descriptor =
    reinterpret_cast<iconv_t>(-1); // NOLINT(performance-no-int-to-ptr)
const std::size_t iconv_failed = static_cast<std::size_t>(-1);
constexpr std::string_view replacement_character = "\xEF\xBF\xBD";

bool is_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

std::string hex_bytes(std::string_view bytes) {
  std::string hex;
  for (const char byte : bytes.substr(0, 4)) {
    char digits[8];
    std::snprintf(digits, sizeof digits, "0x%02X", static_cast<unsigned char>(byte));
    if (!hex.empty()) {
      hex += ' ';
    }
    hex += digits;
  }
  return bytes.size() > 4 ? hex + " ..." : hex;
}

} // namespace

Result<TextDecoder> TextDecoder::open(const std::string& encoding) {
  const iconv_t descriptor = iconv_open("UTF-8", encoding.c_str());
  if (descriptor == invalid_descriptor) {
    return fail(ErrorCategory::invalid_argument,
                "iconv cannot convert from the encoding \"" + encoding + "\"");
  }
  const bool utf16 = encoding == "UTF-16LE" || encoding == "UTF-16BE";
  TextDecoder decoder(descriptor, utf16 ? 2 : 1);
  std::string printable_ascii = "\t\n\r";
  for (char c = ' '; c < 0x7F; ++c) {
    printable_ascii += c;
  }
  std::string decoded;
  decoder.ascii_compatible_ =
      !decoder.decode(printable_ascii, decoded).has_value() && decoded == printable_ascii;
  return decoder;
}

TextDecoder::TextDecoder(iconv_t descriptor, std::size_t unit_width)
    : descriptor_(descriptor), unit_width_(unit_width) {}

TextDecoder::TextDecoder(TextDecoder&& other) noexcept
    : descriptor_(std::exchange(other.descriptor_, invalid_descriptor)),
      unit_width_(other.unit_width_), ascii_compatible_(other.ascii_compatible_) {}

TextDecoder& TextDecoder::operator=(TextDecoder&& other) noexcept {
  if (this != &other) {
    close();
    descriptor_ = std::exchange(other.descriptor_, invalid_descriptor);
    unit_width_ = other.unit_width_;
    ascii_compatible_ = other.ascii_compatible_;
  }
  return *this;
}

TextDecoder::~TextDecoder() {
  close();
}

void TextDecoder::close() noexcept {
  if (descriptor_ != invalid_descriptor) {
    iconv_close(descriptor_);
    descriptor_ = invalid_descriptor;
  }
}

std::optional<InvalidBytes> TextDecoder::decode(std::string_view input, std::string& output) {
  if (ascii_compatible_ && is_ascii(input)) {
    output.assign(input);
    return std::nullopt;
  }
  // Three UTF-8 bytes per input byte cover every supported encoding (and U+FFFD per invalid byte).
  output.resize(input.size() * 3 + 4);
  iconv(descriptor_, nullptr, nullptr, nullptr, nullptr);
  // glibc's iconv() takes char** for the input but does not write through it.
  char* in = const_cast<char*>(input.data());
  std::size_t in_left = input.size();
  std::size_t used = 0;
  // The first run of invalid bytes: consecutive invalid sequences extend it.
  const char* run_begin = nullptr;
  const char* run_end = nullptr;
  while (in_left > 0) {
    char* out = output.data() + used;
    std::size_t out_left = output.size() - used;
    const std::size_t converted = iconv(descriptor_, &in, &in_left, &out, &out_left);
    const int conversion_error = errno;
    used = static_cast<std::size_t>(out - output.data());
    if (converted != iconv_failed) {
      break;
    }
    if (conversion_error == E2BIG) {
      output.resize(output.size() * 2);
      continue;
    }
    // EILSEQ: an invalid sequence; EINVAL: a sequence cut short by the end of the input.
    if (run_begin == nullptr) {
      run_begin = in;
      run_end = in;
    }
    if (output.size() - used < replacement_character.size()) {
      output.resize(output.size() * 2);
    }
    output.replace(used, replacement_character.size(), replacement_character);
    used += replacement_character.size();
    const std::size_t skipped =
        conversion_error == EINVAL ? in_left : std::min(unit_width_, in_left);
    if (in == run_end) {
      run_end = in + skipped;
    }
    in += skipped;
    in_left -= skipped;
    iconv(descriptor_, nullptr, nullptr, nullptr, nullptr);
  }
  output.resize(used);
  if (run_begin == nullptr) {
    return std::nullopt;
  }
  return InvalidBytes{static_cast<std::size_t>(run_begin - input.data()),
                      hex_bytes(std::string_view(run_begin, run_end - run_begin))};
}

} // namespace leadsync::importer::detail
