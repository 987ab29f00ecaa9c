// The emulator under hostile HTTP: malformed requests get a 4xx or a prompt close, and the emulator
// keeps serving everyone else. Runs the real dataverse-emulator executable.

#include "support/emulator_process.hpp"
#include "support/raw_http.hpp"

#include <gtest/gtest.h>
#include <memory>
#include <string>
#include <vector>

namespace {

using leadsync::testing::EmulatorProcess;
using leadsync::testing::RawConnection;
using namespace std::chrono_literals;

const std::string who_am_i =
    "GET /api/data/v9.2/WhoAmI HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    "Authorization: Bearer hostile-test-token\r\nAccept: application/json\r\n\r\n";

class EmulatorHostileHttpTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    shared_emulator = std::make_unique<EmulatorProcess>(
        DATAVERSE_EMULATOR,
        std::vector<std::string>{"--profile", "fast", "--static-token", "hostile-test-token"});
  }
  static void TearDownTestSuite() { shared_emulator.reset(); }

  void SetUp() override { ASSERT_NE(shared_emulator->port(), 0) << "the emulator did not start"; }

  // After every hostile exchange, a well-formed request on a fresh connection must still succeed.
  static void expect_still_serving() {
    RawConnection connection(shared_emulator->port());
    ASSERT_TRUE(connection.connected());
    ASSERT_TRUE(connection.send(who_am_i));
    const auto response = connection.read_response(5s);
    ASSERT_TRUE(response.has_value()) << "no answer to a good request after a hostile one";
    EXPECT_EQ(RawConnection::status_of(*response), 200) << *response;
  }

  // Sends the bytes; the emulator must answer with `status` or close the connection within `wait`.
  static void expect_refused(const std::string& bytes, int status,
                             std::chrono::milliseconds wait = 3s) {
    RawConnection connection(shared_emulator->port());
    ASSERT_TRUE(connection.connected());
    connection.send(bytes);
    const auto response = connection.read_response(wait);
    if (response) {
      EXPECT_EQ(RawConnection::status_of(*response), status) << *response;
      EXPECT_TRUE(connection.closed_by_peer(wait)) << "the connection stayed open after a 4xx";
    } else {
      EXPECT_TRUE(connection.closed_by_peer(100ms)) << "neither answered nor closed";
    }
    expect_still_serving();
  }

  static std::unique_ptr<EmulatorProcess> shared_emulator;
};

std::unique_ptr<EmulatorProcess> EmulatorHostileHttpTest::shared_emulator;

TEST_F(EmulatorHostileHttpTest, AnswersAGoodRequest) {
  expect_still_serving();
}

TEST_F(EmulatorHostileHttpTest, NegativeContentLengthIsABadRequest) {
  expect_refused("POST /api/data/v9.2/leads HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{}",
                 400);
}

TEST_F(EmulatorHostileHttpTest, NonNumericContentLengthIsABadRequest) {
  expect_refused("POST /api/data/v9.2/leads HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}",
                 400);
}

TEST_F(EmulatorHostileHttpTest, OversizedHeadersAreRefused) {
  expect_refused("GET /api/data/v9.2/WhoAmI HTTP/1.1\r\nHost: x\r\nX-Big: " +
                     std::string(std::size_t{200} * 1024, 'a') + "\r\n\r\n",
                 431);
}

TEST_F(EmulatorHostileHttpTest, GarbageIsABadRequest) {
  // A TLS ClientHello's first bytes, then text: the literal's own length, NULs included.
  static constexpr char garbage[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n";
  expect_refused(std::string(garbage, sizeof(garbage) - 1), 400);
}

TEST_F(EmulatorHostileHttpTest, BadChunkSizeIsABadRequest) {
  expect_refused(
      "POST /api/data/v9.2/leads HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "zz\r\nhello\r\n0\r\n\r\n",
      400);
}

TEST_F(EmulatorHostileHttpTest, TruncatedBodyIsClosedAfterTheReadTimeout) {
  // The emulator's read timeout is 5 s: the connection must be closed soon after, not held forever.
  RawConnection connection(shared_emulator->port());
  ASSERT_TRUE(
      connection.send("POST /api/data/v9.2/leads HTTP/1.1\r\nHost: x\r\n"
                      "Authorization: Bearer hostile-test-token\r\n"
                      "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"la"));
  expect_still_serving(); // others are served while this one waits
  EXPECT_TRUE(connection.closed_by_peer(10s));
}

TEST_F(EmulatorHostileHttpTest, IncompleteRequestLineIsClosedAfterTheReadTimeout) {
  RawConnection connection(shared_emulator->port());
  ASSERT_TRUE(connection.send("GET /api/data/v9.2/Who"));
  EXPECT_TRUE(connection.closed_by_peer(10s));
  expect_still_serving();
}

TEST_F(EmulatorHostileHttpTest, AbandonedConnectionsDoNotStopService) {
  std::vector<std::unique_ptr<RawConnection>> abandoned;
  for (int i = 0; i < 200; ++i) {
    abandoned.push_back(std::make_unique<RawConnection>(shared_emulator->port()));
    abandoned.back()->send("GET /api/data/v9.2/WhoAmI HTTP/1.1\r\nHost: x\r\n");
  }
  expect_still_serving();
  abandoned.clear(); // the client side goes away mid-request
  expect_still_serving();
}

TEST_F(EmulatorHostileHttpTest, KeepAliveServesManyRequestsOnOneConnection) {
  RawConnection connection(shared_emulator->port());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(connection.send(who_am_i));
    const auto response = connection.read_response(5s);
    ASSERT_TRUE(response.has_value()) << "request " << i;
    EXPECT_EQ(RawConnection::status_of(*response), 200);
  }
}

} // namespace
