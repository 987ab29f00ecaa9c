#pragma once
// The steps a TOML settings file of leadsync is read with, shared by the config loader
// (core/config) and the lead mapping loader (mapping/lead_mapping): a bounded read of a regular
// file, a toml++ parse whose syntax error becomes a Problem at its line, the line of a key, the
// type of a value in "expected ..., got ..." messages, "did you mean" for a misspelt name, and the
// problems in line order. Includes toml++: for the loaders' sources, not for public headers.

#include "leadsync/core/bounded_read.hpp"
#include "leadsync/core/config.hpp"
#include "leadsync/core/result.hpp"

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <toml++/toml.h>
#include <vector>

namespace leadsync::config {

// The text of `file`: fails (config) with `missing` when there is no such file, else as
// read_regular_file() does (not a regular file, larger than `max_bytes`, unreadable).
Result<std::string> read_toml_file(const std::filesystem::path& file, std::size_t max_bytes,
                                   const std::string& missing, const FileReadPurpose& purpose);

// Parses `text` (named `name` in messages) and hands its root table to `read`; a syntax error
// becomes a problem without a key: "syntax error: <toml++'s description>" at its line. Then sorts
// all of `problems` by line, keeping the order of those on one line: toml++ iterates keys in name
// order, people read problems top to bottom.
void parse_toml(const std::string& text, const std::filesystem::path& name,
                std::vector<Problem>& problems,
                const std::function<void(const toml::table&)>& read);

// The 1-based line of `key`, or of its value when the key has no position.
int line_of(const toml::key& key, const toml::node& node);

// "a string", "an integer", "a floating-point number", "a date-time", ...: what a value is.
std::string_view type_name(toml::node_type type);

// " (did you mean 'x'?)" for the closest of `candidates` within `max_distance` edits, else "".
std::string did_you_mean(std::string_view name, const std::vector<std::string_view>& candidates,
                         std::size_t max_distance);

} // namespace leadsync::config
