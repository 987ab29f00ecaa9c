#pragma once
// Reading files that outside parties write (configs, mappings, secrets, feed files, rules) with a
// size limit, refusing what is not a regular file: `/dev/zero`, a FIFO or a folder named where a
// file is expected must give a clear error, not an endless read (issue 18).

#include "leadsync/core/result.hpp"

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace leadsync {

// The documented limits (README "Reliability"). A file larger than its limit is refused whole.
inline constexpr std::size_t config_file_limit = 4u << 20;  // leadsync.toml
inline constexpr std::size_t mapping_file_limit = 4u << 20; // mapping, scoring, provider specs
inline constexpr std::size_t secret_file_limit = 64u << 10; // client secret, token, API key files

// What the file is, for messages ("config file", "client_secret_file") and what the user should
// do when it is refused.
struct FileReadPurpose {
  std::string_view what;
  std::string_view remedy;
};

// Reads `file` whole when it is a regular file of at most `max_bytes` bytes. The checks are made
// on the opened descriptor (fstat), so a file swapped after the check is still caught, and the
// read stops at max_bytes + 1 even if the file grows meanwhile. Errors (category config): missing,
// a folder, not a regular file (device, FIFO, socket), too large (says the size and the limit),
// unreadable (says why).
Result<std::string> read_regular_file(const std::filesystem::path& file, std::size_t max_bytes,
                                      const FileReadPurpose& purpose);

// Status of `file` as a regular file that can be opened for reading (import sources, feed
// files that are streamed rather than read whole): the same refusals without the size limit.
Status check_regular_file(const std::filesystem::path& file, const FileReadPurpose& purpose);

} // namespace leadsync
