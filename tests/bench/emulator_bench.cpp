// Emulator throughput on loopback, profile `fast`: keep-alive connections sending small requests as
// fast as the server answers them. Prints requests per second per request kind. The emulator must
// stay far above any client benchmark's rate (target: at least 5,000 small requests per second on
// this 2-core machine).
//
//   emulator_bench [--seconds N] [--connections N] [--emulator PATH]

#include "support/emulator_process.hpp"
#include "support/raw_http.hpp"

#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using leadsync::testing::EmulatorProcess;
using leadsync::testing::RawConnection;

struct Figures {
  long requests = 0;
  long failures = 0;
  double seconds = 0;
};

Figures hammer(std::uint16_t port, const std::string& request, int connections, double seconds) {
  std::atomic<long> ok{0};
  std::atomic<long> failed{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < connections; ++i) {
    workers.emplace_back([&] {
      RawConnection connection(port);
      while (!stop.load(std::memory_order_relaxed)) {
        if (!connection.send(request)) {
          failed++;
          return;
        }
        const auto response = connection.read_response(std::chrono::seconds(5));
        if (!response || RawConnection::status_of(*response) >= 400) {
          failed++;
          return;
        }
        ok++;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& worker : workers) {
    worker.join();
  }
  const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
  return {ok.load(), failed.load(), elapsed.count()};
}

std::string create_lead(std::uint16_t port) {
  RawConnection connection(port);
  const std::string body =
      R"({"lastname":"Bench","firstname":"Small","emailaddress1":"bench@example.com"})";
  connection.send("POST /api/data/v9.2/leads HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  "Authorization: Bearer bench-token\r\nContent-Type: application/json\r\n"
                  "Content-Length: " +
                  std::to_string(body.size()) + "\r\n\r\n" + body);
  const auto response = connection.read_response(std::chrono::seconds(5));
  if (!response) {
    return {};
  }
  const auto at = response->find("leads(");
  return at == std::string::npos ? std::string() : response->substr(at + 6, 36);
}

} // namespace

int main(int argc, char** argv) {
  double seconds = 5;
  int connections = 8;
  std::string emulator = DATAVERSE_EMULATOR;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--seconds") == 0) {
      seconds = std::stod(argv[i + 1]);
    } else if (std::strcmp(argv[i], "--connections") == 0) {
      connections = std::stoi(argv[i + 1]);
    } else if (std::strcmp(argv[i], "--emulator") == 0) {
      emulator = argv[i + 1];
    }
  }
  EmulatorProcess process(emulator, {"--profile", "fast", "--static-token", "bench-token"});
  if (process.port() == 0) {
    std::fprintf(stderr, "the emulator did not start (%s)\n", emulator.c_str());
    return 1;
  }
  const std::string lead_id = create_lead(process.port());
  if (lead_id.empty()) {
    std::fprintf(stderr, "could not create the lead to read back\n");
    return 1;
  }
  const std::string auth = "Authorization: Bearer bench-token\r\nAccept: application/json\r\n\r\n";
  const struct {
    const char* name;
    std::string request;
  } kinds[] = {
      {"GET WhoAmI", "GET /api/data/v9.2/WhoAmI HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth},
      {"GET leads(id)?$select=lastname", "GET /api/data/v9.2/leads(" + lead_id +
                                             ")?$select=lastname HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                                             auth},
  };
  std::printf(
      "dataverse-emulator, profile fast, %d keep-alive connections, %.0f s per kind, %u cores\n",
      connections, seconds, std::thread::hardware_concurrency());
  bool all_above = true;
  for (const auto& kind : kinds) {
    const auto figures = hammer(process.port(), kind.request, connections, seconds);
    const double rate = static_cast<double>(figures.requests) / figures.seconds;
    all_above = all_above && rate >= 5000 && figures.failures == 0;
    std::printf("  %-34s %9.0f requests/s  (%ld requests, %ld failures)\n", kind.name, rate,
                figures.requests, figures.failures);
  }
  std::printf("target >= 5000 requests/s: %s\n", all_above ? "met" : "NOT met");
  return 0;
}
