#pragma once
// The access tokens the token endpoint issued, and those revoked.

#include "emulator_support.hpp"
#include "leadsync/core/mutex.hpp"

#include <map>
#include <set>
#include <string>
#include <utility>

namespace dvemu::detail {

enum class TokenState { valid, unknown, expired, revoked };

class TokenRegistry {
public:
  explicit TokenRegistry(std::string static_token) : static_token_(std::move(static_token)) {}

  void issue(const std::string& token, const std::string& user, WallTime expires, WallTime now);

  std::pair<TokenState, std::string> check(const std::string& token, const std::string& static_user,
                                           WallTime now) const;

  void revoke(const std::string& token);

  // Un-revokes the static token (issued tokens that were revoked stay revoked).
  void restore_static_token();

private:
  struct Issued {
    std::string user;
    WallTime expires;
  };
  mutable leadsync::Mutex mutex_;
  std::string static_token_ GUARDED_BY(mutex_);
  std::map<std::string, Issued> tokens_ GUARDED_BY(mutex_);
  std::set<std::string> revoked_ GUARDED_BY(mutex_);
};

} // namespace dvemu::detail
