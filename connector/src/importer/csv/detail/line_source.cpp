#include "csv/detail/line_source.hpp"

#include "leadsync/core/error.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <sys/types.h>
#include <unicode/utf8.h>
#include <utility>

namespace leadsync::importer::detail {
namespace {

constexpr std::size_t file_buffer_bytes = std::size_t{64} * 1024;

// A file offset as a hex editor shows it too: "1234 (0x4D2)".
std::string file_offset(std::uint64_t offset) {
  char hex[24];
  std::snprintf(hex, sizeof hex, "0x%llX", static_cast<unsigned long long>(offset));
  return std::to_string(offset) + " (" + hex + ")";
}

// The position and length of the first multi-byte character of `bytes` when all of it is
// well-formed UTF-8; nothing when it is ASCII or not UTF-8.
std::optional<std::pair<std::size_t, std::size_t>> utf8_text(std::string_view bytes) {
  const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
  const auto length = static_cast<std::int32_t>(bytes.size());
  std::optional<std::pair<std::size_t, std::size_t>> first;
  std::int32_t offset = 0;
  while (offset < length) {
    const std::int32_t start = offset;
    UChar32 c = 0;
    U8_NEXT(data, offset, length, c);
    if (c < 0) {
      return std::nullopt;
    }
    if (offset - start > 1 && !first) {
      first.emplace(static_cast<std::size_t>(start), static_cast<std::size_t>(offset - start));
    }
  }
  return first;
}

std::string hex_bytes(std::string_view bytes) {
  std::string hex;
  for (const char byte : bytes) {
    char digits[8];
    std::snprintf(digits, sizeof digits, "0x%02X", static_cast<unsigned char>(byte));
    hex += (hex.empty() ? "" : " ") + std::string(digits);
  }
  return hex;
}

} // namespace

Result<LineSource> LineSource::open(const std::string& path, const EncodingChoice& encoding,
                                    std::size_t max_line_bytes) {
  LEADSYNC_TRY(auto decoder, TextDecoder::open(encoding.name));
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    const bool missing = errno == ENOENT;
    return fail(missing ? ErrorCategory::not_found : ErrorCategory::invalid_argument,
                "cannot open " + path + ": " + system_error_text(errno));
  }
  LineSource source(std::move(file), path, std::move(decoder), encoding, max_line_bytes);
  LEADSYNC_CHECK(source.seek(encoding.bom_length));
  return source;
}

LineSource::LineSource(std::unique_ptr<std::FILE, FileCloser> file, std::string path,
                       TextDecoder decoder, const EncodingChoice& encoding,
                       std::size_t max_line_bytes)
    : file_(std::move(file)), path_(std::move(path)), decoder_(std::move(decoder)),
      encoding_name_(encoding.name), refuse_utf8_lines_(encoding.refuse_utf8_lines),
      big_endian_(encoding.name == "UTF-16BE"), max_line_bytes_(max_line_bytes),
      buffer_(file_buffer_bytes) {}

Status LineSource::seek(std::uint64_t offset) {
  if (fseeko(file_.get(), static_cast<off_t>(offset), SEEK_SET) != 0) {
    return fail(ErrorCategory::storage, "cannot seek to byte " + std::to_string(offset) + " of " +
                                            path_ + ": " + system_error_text(errno));
  }
  begin_ = 0;
  end_ = 0;
  buffer_offset_ = offset;
  at_eof_ = false;
  return ok_status();
}

Status LineSource::refill() {
  std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
  buffer_offset_ += begin_;
  end_ -= begin_;
  begin_ = 0;
  const std::size_t wanted = buffer_.size() - end_;
  const std::size_t got = std::fread(buffer_.data() + end_, 1, wanted, file_.get());
  end_ += got;
  if (got < wanted) {
    if (std::ferror(file_.get()) != 0) {
      return fail(ErrorCategory::storage, "cannot read " + path_ + ": " + system_error_text(errno));
    }
    at_eof_ = true;
  }
  return ok_status();
}

Result<bool> LineSource::unit_available() {
  if (end_ - begin_ < unit_width() && !at_eof_) {
    LEADSYNC_CHECK(refill());
  }
  return end_ - begin_ >= unit_width();
}

char32_t LineSource::unit_at(std::size_t position) const {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(buffer_[i]); };
  if (unit_width() == 1) {
    return byte(position);
  }
  return big_endian_ ? (byte(position) << 8) | byte(position + 1)
                     : byte(position) | (byte(position + 1) << 8);
}

void LineSource::take(std::size_t begin, std::size_t end) {
  const std::size_t length = end - begin;
  std::size_t room = raw_.size() < max_line_bytes_ ? max_line_bytes_ - raw_.size() : 0;
  room -= room % unit_width();
  if (length > room) {
    truncated_ = true;
  }
  raw_.append(buffer_.data() + begin, std::min(length, room));
}

Result<bool> LineSource::next(PhysicalLine& line) {
  LEADSYNC_TRY(const bool has_data, unit_available());
  if (!has_data && begin_ == end_) {
    return false;
  }
  raw_.clear();
  truncated_ = false;
  line.offset = buffer_offset_ + begin_;
  line.terminator = "";
  const std::size_t width = unit_width();
  while (true) {
    LEADSYNC_TRY(const bool whole_unit, unit_available());
    if (!whole_unit) {
      take(begin_, end_); // a code unit cut short by the end of the file: the decoder reports it
      begin_ = end_;
      break;
    }
    std::size_t position = begin_;
    char32_t unit = 0;
    for (; position + width <= end_; position += width) {
      unit = unit_at(position);
      if (unit == '\n' || unit == '\r') {
        break;
      }
    }
    take(begin_, position);
    begin_ = position;
    if (position + width > end_) {
      continue; // no line break in the buffer yet
    }
    begin_ += width;
    if (unit == '\n') {
      line.terminator = "\n";
      break;
    }
    LEADSYNC_TRY(const bool after_cr, unit_available());
    if (after_cr && unit_at(begin_) == '\n') {
      begin_ += width;
      line.terminator = "\r\n";
    } else {
      line.terminator = "\r";
    }
    break;
  }
  line.end_offset = buffer_offset_ + begin_;
  describe_problems(line);
  return true;
}

void LineSource::describe_problems(PhysicalLine& line) {
  line.problem.clear();
  const auto invalid = decoder_.decode(raw_, line.text);
  if (truncated_) {
    line.problem = "the line is longer than " + std::to_string(max_line_bytes_) +
                   " bytes, the limit for one row: is it really a CSV file?";
  } else if (invalid) {
    line.problem = "the bytes " + invalid->hex + " at file offset " +
                   file_offset(line.offset + invalid->position) + " are not valid " +
                   encoding_name_ +
                   ": save the file as CSV UTF-8, or name its encoding with --encoding";
  } else if (const auto utf8 = refuse_utf8_lines_ ? utf8_text(raw_) : std::nullopt) {
    line.problem = "the bytes " +
                   hex_bytes(std::string_view(raw_).substr(utf8->first, utf8->second)) +
                   " at file offset " + file_offset(line.offset + utf8->first) +
                   " are UTF-8 text, but the file was read as " + encoding_name_ +
                   " (guessed from its first bytes), which would garble them: name the encoding "
                   "with --encoding utf-8, or --encoding " +
                   encoding_name_ + " if the file really is in it";
  } else if (line.text.find('\0') != std::string::npos) {
    line.problem = "the row contains a NUL character: if the file is UTF-16 without a byte order "
                   "mark, name it with --encoding utf-16le or --encoding utf-16be";
  }
}

} // namespace leadsync::importer::detail
