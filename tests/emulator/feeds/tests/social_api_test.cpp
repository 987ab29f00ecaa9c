// The GitHub-shaped social API over HTTP (enrichment-notes section 4.1).
#include "http_helpers.hpp"

namespace femu::testing {
namespace {

class SocialApi : public EmulatorTest {
protected:
  void SetUp() override { start(); }
};
// The suite names carry "feeds" so `ctest -R feeds` selects them.
using feedsSocialApi = SocialApi;

TEST_F(feedsSocialApi, UserProfileAndRateHeaders) {
  const auto reply = get("/users/dvolkov");
  ASSERT_EQ(reply.status, 200) << reply.body;
  const auto user = reply.json();
  EXPECT_EQ(user["login"], "dvolkov");
  EXPECT_EQ(user["name"], "Dmitry Volkov");
  EXPECT_EQ(user["html_url"], "https://github.com/dvolkov");
  EXPECT_TRUE(user.contains("public_repos"));
  EXPECT_EQ(reply.headers.get("x-ratelimit-resource"), "core");
  EXPECT_EQ(reply.headers.get("x-ratelimit-used"), "1");
  EXPECT_GT(std::stoll(*reply.headers.get("x-ratelimit-reset")), 1'600'000'000);
  const auto missing = get("/users/no-such-login-anywhere");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.json()["message"], "Not Found");
}

TEST_F(feedsSocialApi, SearchByPublicEmail) {
  const auto reply = get("/search/users?q=jsmith%40acme.com+in%3Aemail");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.json()["total_count"], 1);
  EXPECT_EQ(reply.json()["incomplete_results"], false);
  EXPECT_EQ(reply.json()["items"][0]["login"], "johnsmith-dev");
  EXPECT_EQ(reply.headers.get("x-ratelimit-resource"), "search");
  EXPECT_EQ(get("/search/users?q=%40acme.com+in%3Aemail").json()["total_count"], 0)
      << "no search by e-mail domain";
  EXPECT_EQ(get("/search/users?q=in%3Aemail").status, 422);
}

TEST_F(feedsSocialApi, ExhaustedLimitIs403WithRemainingZero) {
  ASSERT_EQ(configure({{"rate_per_min", 2}}).status, 200);
  EXPECT_EQ(get("/users/dvolkov").status, 200);
  EXPECT_EQ(get("/users/dvolkov").status, 200);
  const auto limited = get("/users/dvolkov");
  ASSERT_EQ(limited.status, 403);
  EXPECT_EQ(limited.headers.get("x-ratelimit-remaining"), "0");
  EXPECT_NE(limited.json()["message"].get<std::string>().find("rate limit"), std::string::npos);
  EXPECT_EQ(get("/search/users?q=dvolkov+in%3Alogin").status, 200) << "search has its own limit";
  EXPECT_EQ(stats()["totals"]["credits_spent"], 0) << "the social API is free";
}

TEST_F(feedsSocialApi, TokenRequiredWhenAKeyIsConfigured) {
  emulator_.reset();
  start(small_population(), "gh-token");
  EXPECT_EQ(get("/users/dvolkov").status, 401);
  EXPECT_EQ(get("/users/dvolkov", {{"Authorization", "token wrong"}}).status, 401);
  EXPECT_EQ(get("/users/dvolkov", {{"Authorization", "Bearer gh-token"}}).status, 200);
  EXPECT_EQ(get("/users/dvolkov", {{"Authorization", "token gh-token"}}).status, 200);
}

} // namespace
} // namespace femu::testing
