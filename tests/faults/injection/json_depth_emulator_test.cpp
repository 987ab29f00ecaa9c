// Fault suite, injection: JSON nested 100,000 deep sent to the Dataverse emulator (issue 18).
#include "support/emulator_process.hpp"
#include "support/raw_http.hpp"
#include "support/web_api.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <string>

namespace leadsync::testing {
namespace {

using ::testing::HasSubstr;

constexpr const char* token = "json-depth-test-token";
constexpr int hostile_depth = 100'000;

std::string deep_arrays(int depth) {
  return std::string(static_cast<std::size_t>(depth), '[') +
         std::string(static_cast<std::size_t>(depth), ']');
}

// {"subject": [[[...]]]}: a known column whose value nests 100,000 deep, the shape that
// overflowed the emulator's stack before the fix.
std::string deep_lead(int depth) {
  return R"({"lastname":"Deep","subject":)" + deep_arrays(depth) + "}";
}

class JsonDepthEmulatorTest : public ::testing::Test {
protected:
  void SetUp() override { ASSERT_NE(emulator.port(), 0) << "the emulator did not start"; }

  std::size_t lead_count() {
    const auto [status, body] = web_api(emulator.port(), token, "GET", "leads?$select=leadid");
    EXPECT_EQ(status, 200);
    return body.is_object() && body.contains("value") ? body["value"].size() : 0;
  }

  // The emulator still answers: one ordinary create succeeds.
  void expect_still_serving() {
    EXPECT_TRUE(emulator.running()) << "the emulator died";
    const auto [status, body] =
        web_api(emulator.port(), token, "POST", "leads", R"({"lastname":"After"})");
    EXPECT_EQ(status, 204) << body.dump();
  }

  EmulatorProcess emulator{DATAVERSE_EMULATOR, {"--profile", "fast", "--static-token", token}};
};

// Promise: an authenticated POST of JSON nested 100,000 deep gets 400 with an OData error that
// says the JSON nests too deep; no row is written and the emulator answers the next request.
TEST_F(JsonDepthEmulatorTest, ADeepCreateBodyGets400AndTheEmulatorStaysUp) {
  const std::size_t before = lead_count();

  const auto [status, body] =
      web_api(emulator.port(), token, "POST", "leads", deep_lead(hostile_depth));

  EXPECT_EQ(status, 400);
  ASSERT_TRUE(body.is_object()) << "an OData error body";
  EXPECT_THAT(body["error"]["message"].get<std::string>(), HasSubstr("nested deeper than 64"));
  EXPECT_EQ(lead_count(), before) << "nothing was written";
  expect_still_serving();
  EXPECT_EQ(lead_count(), before + 1);
}

// Promise: the same through UpsertMultiple and a bare deep array: 400, no crash, no row.
TEST_F(JsonDepthEmulatorTest, ADeepActionBodyGets400AndTheEmulatorStaysUp) {
  const std::size_t before = lead_count();
  const std::string targets =
      R"({"Targets":[{"@odata.type":"Microsoft.Dynamics.CRM.lead","lastname":"Deep",)"
      R"("subject":)" +
      deep_arrays(hostile_depth) + "}]}";

  const auto upsert = web_api(emulator.port(), token, "POST",
                              "leads/Microsoft.Dynamics.CRM.UpsertMultiple", targets);
  const auto bare = web_api(emulator.port(), token, "POST", "leads", deep_arrays(hostile_depth));

  EXPECT_EQ(upsert.first, 400);
  EXPECT_EQ(bare.first, 400);
  EXPECT_EQ(lead_count(), before);
  expect_still_serving();
}

// Promise: a $batch whose part nests 100,000 deep: that part fails with 400 inside the batch
// response, no row is written and the emulator answers the next request.
TEST_F(JsonDepthEmulatorTest, ADeepBatchPartFailsAndTheEmulatorStaysUp) {
  const std::size_t before = lead_count();
  const std::string part_body = deep_lead(hostile_depth);
  const std::string batch = "--batch_deep\r\n"
                            "Content-Type: application/http\r\n"
                            "Content-Transfer-Encoding: binary\r\n\r\n"
                            "POST /api/data/v9.2/leads HTTP/1.1\r\n"
                            "Content-Type: application/json\r\n\r\n" +
                            part_body + "\r\n--batch_deep--\r\n";
  RawConnection connection(emulator.port());
  ASSERT_TRUE(connection.connected());
  ASSERT_TRUE(connection.send("POST /api/data/v9.2/$batch HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              "Connection: close\r\nAuthorization: Bearer " +
                              std::string(token) +
                              "\r\nContent-Type: multipart/mixed; boundary=batch_deep\r\n"
                              "Content-Length: " +
                              std::to_string(batch.size()) + "\r\n\r\n" + batch));
  const auto response = connection.read_response(std::chrono::seconds(30));

  ASSERT_TRUE(response.has_value()) << "no answer: the emulator crashed or hung";
  // As Dataverse does, a batch that stops at a failed request answers 400 with that request's
  // response (400 and an OData error) as its part.
  EXPECT_EQ(RawConnection::status_of(*response), 400);
  EXPECT_THAT(*response, HasSubstr("multipart/mixed"));
  EXPECT_THAT(*response, HasSubstr("\r\nHTTP/1.1 400 Bad Request\r\n"));
  EXPECT_THAT(*response, HasSubstr("nested deeper than 64"));
  EXPECT_EQ(lead_count(), before);
  expect_still_serving();
}

// Promise: the emulator's own HTTP limits hold: a header block over 64 KiB gets 431 and the
// connection is closed; the emulator answers the next request.
TEST_F(JsonDepthEmulatorTest, AnOversizedHeaderBlockGets431AndTheConnectionCloses) {
  RawConnection connection(emulator.port());
  ASSERT_TRUE(connection.connected());
  ASSERT_TRUE(connection.send("GET /api/data/v9.2/WhoAmI HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              "X-Filler: " +
                              std::string(70 * 1024, 'a') + "\r\n\r\n"));
  const auto response = connection.read_response(std::chrono::seconds(30));

  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(RawConnection::status_of(*response), 431);
  EXPECT_TRUE(connection.closed_by_peer(std::chrono::seconds(5)));
  expect_still_serving();
}

} // namespace
} // namespace leadsync::testing
