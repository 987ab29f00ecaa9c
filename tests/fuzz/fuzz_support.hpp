#pragma once
// Helpers shared by the libFuzzer targets: a scratch folder per process, splitting an input into a
// first line and the rest, and a Transport that answers every request with one scripted response
// and keeps nothing (a fuzzer runs millions of iterations: nothing may grow).

#include "leadsync/http/message.hpp"
#include "leadsync/http/transport.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>
#include <utility>

namespace leadsync::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size}; // NOLINT(*-reinterpret-cast)
}

// A folder of this process under the temp folder, created on first use (libFuzzer's -jobs runs
// several processes, each gets its own).
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    auto path =
        std::filesystem::temp_directory_path() / ("leadsync-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path);
    return path;
  }();
  return dir;
}

inline void write_file(const std::filesystem::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
}

// The text up to the first LF (without it) and everything after it; no LF: all is `rest`.
struct Split {
  std::string_view first_line;
  std::string_view rest;
};
inline Split split_first_line(std::string_view text) {
  const auto end = text.find('\n');
  if (end == std::string_view::npos) {
    return {.first_line = {}, .rest = text};
  }
  return {.first_line = text.substr(0, end), .rest = text.substr(end + 1)};
}

// The statuses a provider answer gets, picked by one byte of the input.
inline int pick_status(std::uint8_t selector) {
  static constexpr int statuses[] = {200, 200, 200, 200, 202, 400, 401, 402,
                                     403, 404, 422, 429, 500, 502, 503, 204};
  return statuses[selector % (sizeof statuses / sizeof statuses[0])];
}

// Answers every request with `response`; the provider under test parses it.
class ScriptTransport final : public http::Transport {
public:
  Result<http::Response> send(const http::Request& request,
                              const http::CallContext& context) override {
    (void)request;
    (void)context;
    return response;
  }
  http::Response response;
};

// A provider answer from fuzz input: byte 0 picks the status, byte 1 is returned as `variant`, the
// first line of the rest is the value of every rate-limit and Retry-After header (these are
// parsed too), and the whole rest is the body.
struct ProviderInput {
  http::Response response;
  std::uint8_t variant = 0;
};
inline ProviderInput provider_input(std::string_view text) {
  ProviderInput input;
  if (text.size() >= 2) {
    input.response.status = pick_status(static_cast<std::uint8_t>(text[0]));
    input.variant = static_cast<std::uint8_t>(text[1]);
    text.remove_prefix(2);
  }
  const std::string header_value(split_first_line(text).first_line.substr(0, 128));
  for (const char* name : {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset",
                           "retry-after", "x-call-credits-spent"}) {
    input.response.headers.add(name, header_value);
  }
  input.response.headers.add("Content-Type", "application/json");
  input.response.body = std::string(text);
  return input;
}

} // namespace leadsync::fuzz
