#include "leadsync/http/message.hpp"

#include <gtest/gtest.h>

namespace leadsync::http {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

TEST(ReasonPhrase, KnowsTheStatusesDataverseAndOurServersUse) {
  EXPECT_EQ(reason_phrase(200), "OK");
  EXPECT_EQ(reason_phrase(204), "No Content");
  EXPECT_EQ(reason_phrase(404), "Not Found");
  EXPECT_EQ(reason_phrase(412), "Precondition Failed");
  EXPECT_EQ(reason_phrase(413), "Content Too Large");
  EXPECT_EQ(reason_phrase(429), "Too Many Requests");
  EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reason_phrase(503), "Service Unavailable");
}

TEST(ReasonPhrase, FallsBackToTheClassForUnknownCodes) {
  EXPECT_EQ(reason_phrase(299), "Success");
  EXPECT_EQ(reason_phrase(399), "Redirection");
  EXPECT_EQ(reason_phrase(499), "Client Error");
  EXPECT_EQ(reason_phrase(599), "Server Error");
  EXPECT_EQ(reason_phrase(0), "Unknown");
  EXPECT_EQ(reason_phrase(1000), "Unknown");
}

TEST(HttpDate, FormatsTheRfcExample) {
  // RFC 9110 5.6.7: "Sun, 06 Nov 1994 08:49:37 GMT" is 784111777 seconds after the epoch.
  EXPECT_EQ(http_date(system_clock::time_point{seconds{784111777}}),
            "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST(HttpDate, FormatsALeapDayAndDropsSubSecondParts) {
  const auto leap_day =
      system_clock::time_point{seconds{951782400}} + std::chrono::milliseconds{999};
  EXPECT_EQ(http_date(leap_day), "Tue, 29 Feb 2000 00:00:00 GMT");
}

TEST(Response, JsonSetsStatusBodyAndContentType) {
  const auto response = Response::json(201, R"({"id":1})");
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.body, R"({"id":1})");
  EXPECT_EQ(response.headers.get("content-type"), "application/json; charset=utf-8");
}

TEST(Response, TextSetsPlainTextContentType) {
  const auto response = Response::text(404, "no such lead");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.headers.get("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(response.headers.size(), 1U);
}

} // namespace
} // namespace leadsync::http
