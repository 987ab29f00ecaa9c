#pragma once
// HTTP header fields as an ordered list of name/value pairs. Names compare case-insensitively (RFC
// 9110); order and duplicates are kept, because some fields (Set-Cookie, Prefer) may legitimately
// repeat.

#include "leadsync/core/result.hpp"
#include "leadsync/core/text.hpp"

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace leadsync::http {

// ASCII case-insensitive comparison, as HTTP field names and tokens need (the one in core/text,
// named here for the many HTTP callers).
using text::iequals;

// True for the bytes a header field value may not hold: CR, LF, NUL and the other C0 controls
// except HT, and DEL (RFC 9110 section 5.5: a value is VCHAR, SP, HT and obs-text). A CR LF in a
// value would end the field and start one of the sender's choosing (header injection, issue 18).
bool is_forbidden_in_header_value(char c) noexcept;

class Headers;

// Checks every field of an outgoing request: each name a non-empty RFC 9110 token, each value free
// of the characters above. Error invalid_argument, not retryable, naming the field (never its
// value, which may be a token) and saying where such a value comes from. Every request leadsync
// sends passes here: the client Pipeline checks before its transport, the enrichment Sender and
// the token request before theirs.
Status check_header_fields(const Headers& headers);

class Headers {
public:
  using Field = std::pair<std::string, std::string>;
  using const_iterator = std::vector<Field>::const_iterator;

  Headers() = default;
  Headers(std::initializer_list<Field> fields);

  // The value of the first field with this name.
  std::optional<std::string> get(std::string_view name) const;
  // Every value of fields with this name, in order.
  std::vector<std::string> get_all(std::string_view name) const;
  bool has(std::string_view name) const;

  // Replaces every field with this name by one field (at the position of the first, else at the
  // end).
  void set(std::string name, std::string value);
  // Appends a field, keeping existing ones with the same name.
  void add(std::string name, std::string value);
  // Removes every field with this name; returns how many were removed.
  std::size_t remove(std::string_view name);

  std::size_t size() const noexcept { return fields_.size(); }
  bool empty() const noexcept { return fields_.empty(); }
  const_iterator begin() const noexcept { return fields_.begin(); }
  const_iterator end() const noexcept { return fields_.end(); }

  friend bool operator==(const Headers&, const Headers&) = default;

private:
  std::vector<Field> fields_;
};

} // namespace leadsync::http
