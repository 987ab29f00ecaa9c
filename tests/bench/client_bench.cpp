// The Dataverse client's own overhead per request: DataverseClient (pipeline + cpprestsdk
// transport) against the emulator's `fast` profile (no limits, no latency) running as a separate
// process, so the CPU counted here is the client's alone. Prints requests per second and client CPU
// microseconds per request, next to a raw keep-alive socket client doing the same requests (the
// floor: what the loopback and emulator allow).
//
//   client_bench [--seconds N] [--threads N] [--emulator PATH]

#include "leadsync/core/config.hpp"
#include "leadsync/core/log.hpp"
#include "leadsync/dataverse/connect.hpp"
#include "leadsync/odata/query.hpp"
#include "support/emulator_process.hpp"
#include "support/raw_http.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <sys/resource.h>
#include <thread>
#include <vector>

namespace {

using leadsync::testing::EmulatorProcess;
using leadsync::testing::RawConnection;

double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

struct Figures {
  long requests = 0;
  long failures = 0;
  double seconds = 0;
  double cpu = 0;
};

// Runs `call` from `threads` threads for `seconds`; each call is one request.
Figures run(int threads, double seconds, const std::function<bool()>& call) {
  std::atomic<long> ok{0};
  std::atomic<long> failed{0};
  std::atomic<bool> stop{false};
  const double cpu_before = cpu_seconds();
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int i = 0; i < threads; ++i) {
    workers.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        (call() ? ok : failed)++;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& worker : workers) {
    worker.join();
  }
  return {ok.load(), failed.load(),
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
          cpu_seconds() - cpu_before};
}

void print(const char* name, const Figures& figures) {
  const double rate = static_cast<double>(figures.requests) / figures.seconds;
  const double cpu_us =
      figures.requests > 0 ? figures.cpu * 1e6 / static_cast<double>(figures.requests) : 0;
  std::printf("  %-44s %8.0f requests/s  %7.1f us client CPU/request  (%ld ok, %ld failed)\n", name,
              rate, cpu_us, figures.requests, figures.failures);
}

} // namespace

int main(int argc, char** argv) {
  double seconds = 5;
  int threads = 4;
  std::string emulator = DATAVERSE_EMULATOR;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--seconds") == 0) {
      seconds = std::stod(argv[i + 1]);
    } else if (std::strcmp(argv[i], "--threads") == 0) {
      threads = std::stoi(argv[i + 1]);
    } else if (std::strcmp(argv[i], "--emulator") == 0) {
      emulator = argv[i + 1];
    }
  }
  leadsync::log::init({.level = spdlog::level::warn});
  EmulatorProcess process(emulator,
                          {"--profile", "fast", "--static-token", "bench-token", "--threads", "2"});
  if (process.port() == 0) {
    std::fprintf(stderr, "the emulator did not start (%s)\n", emulator.c_str());
    return 1;
  }
  ::setenv("LEADSYNC_BENCH_TOKEN", "bench-token", 1);
  leadsync::config::Config config;
  config.crm.url = process.url();
  config.crm.auth.mode = leadsync::config::AuthMode::static_token;
  config.crm.auth.token.env = "LEADSYNC_BENCH_TOKEN";
  config.push.max_parallel = threads;
  auto connection = leadsync::dataverse::connect(config);
  if (!connection.ok()) {
    std::fprintf(stderr, "connect: %s\n", connection.error().describe().c_str());
    return 1;
  }
  auto& client = *connection->client;
  const auto lead_id = client.create("leads", {{"lastname", "Bench"}, {"firstname", "Small"}});
  if (!lead_id.ok()) {
    std::fprintf(stderr, "create: %s\n", lead_id.error().describe().c_str());
    return 1;
  }
  const auto key = leadsync::odata::key_by_id(lead_id.value()).value();
  leadsync::odata::Query select_lastname;
  select_lastname.select = {"lastname"};

  std::printf("DataverseClient vs raw sockets, emulator profile fast (separate process), %d "
              "threads, %.0f s "
              "each, %u cores\n",
              threads, seconds, std::thread::hardware_concurrency());
  const auto who = run(threads, seconds, [&] { return client.who_am_i().ok(); });
  print("DataverseClient who_am_i", who);
  const auto get =
      run(threads, seconds, [&] { return client.retrieve("leads", key, select_lastname).ok(); });
  print("DataverseClient retrieve leads(id)?$select", get);
  std::atomic<int> counter{0};
  const auto upsert = run(threads, seconds, [&] {
    const std::string id = "bench-" + std::to_string(counter++ % 1000);
    const auto alternate = leadsync::odata::key_by_alternate({{"leadsync_externalid", id}}).value();
    return client.upsert("leads", alternate, {{"lastname", "Upsert"}}).ok();
  });
  print("DataverseClient upsert by alternate key", upsert);

  const std::string raw_request =
      "GET /api/data/v9.2/leads(" + lead_id.value() +
      ")?$select=lastname HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Authorization: Bearer bench-token\r\nAccept: application/json\r\n\r\n";
  thread_local std::unique_ptr<RawConnection> connection_of_thread;
  const auto raw = run(threads, seconds, [&] {
    if (!connection_of_thread) {
      connection_of_thread = std::make_unique<RawConnection>(process.port());
    }
    if (!connection_of_thread->send(raw_request)) {
      return false;
    }
    const auto response = connection_of_thread->read_response(std::chrono::seconds(5));
    return response && RawConnection::status_of(*response) == 200;
  });
  print("raw socket GET leads(id)?$select (floor)", raw);
  const double get_rate = static_cast<double>(get.requests) / get.seconds;
  const double raw_rate = static_cast<double>(raw.requests) / raw.seconds;
  std::printf("client throughput on retrieve = %.0f%% of the raw socket floor\n",
              raw_rate > 0 ? 100.0 * get_rate / raw_rate : 0.0);
  return 0;
}
