#pragma once
// CSV fixtures for tests that import files: a private temporary directory to write them in, and
// text in other encodings, made with glibc iconv (the same converter a user's `iconv` command or
// an Excel export would be checked against).

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iconv.h>
#include <stdexcept>
#include <string>
#include <string_view>

namespace leadsync::test {

class TempDir {
public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "leadsync-csv-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  // Writes `bytes` to a file in the directory and returns its path.
  std::string write(const std::string& name, std::string_view bytes) const {
    const auto file_path = path_ / name;
    std::ofstream out(file_path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      throw std::runtime_error("cannot write " + file_path.string());
    }
    return file_path.string();
  }

  const std::filesystem::path& path() const { return path_; }

private:
  std::filesystem::path path_;
};

// `text` converted from the iconv encoding `from` to `to`; throws if it cannot be represented
// there.
inline std::string convert(std::string_view text, const char* from, const char* to) {
  iconv_t descriptor = iconv_open(to, from);
  if (descriptor == reinterpret_cast<iconv_t>(-1)) {
    throw std::runtime_error(std::string("iconv cannot convert to ") + to);
  }
  std::string output(text.size() * 4 + 8, '\0');
  char* in = const_cast<char*>(text.data());
  std::size_t in_left = text.size();
  char* out = output.data();
  std::size_t out_left = output.size();
  const std::size_t result = iconv(descriptor, &in, &in_left, &out, &out_left);
  iconv_close(descriptor);
  if (result == static_cast<std::size_t>(-1)) {
    throw std::runtime_error(std::string("text not convertible from ") + from + " to " + to);
  }
  output.resize(output.size() - out_left);
  return output;
}

// UTF-8 text in the iconv encoding `to`.
inline std::string encode(std::string_view utf8, const char* to) {
  return convert(utf8, "UTF-8", to);
}

// Bytes as "0xE9 0x2C", for test messages.
inline std::string hex(std::string_view bytes) {
  static constexpr std::string_view digits = "0123456789ABCDEF";
  std::string text;
  for (const char byte : bytes) {
    const auto value = static_cast<unsigned char>(byte);
    text += (text.empty() ? "0x" : " 0x") + std::string(1, digits[value >> 4]) + digits[value & 15];
  }
  return text;
}

} // namespace leadsync::test
