// Webhook latency and throughput of `leadsync daemon` (issue 15, "Done when"): a lead created in
// the CRM comes back enriched and scored; how long that takes and how many such events a second
// the daemon sustains.
//
// 1. Latency. The Dataverse emulator (CRM latency C per request; its limits off) fires its webhook
//    at the daemon, whose config is what `leadsync init` writes with only the pdl provider (the
//    feeds emulator, provider latency P per call), every [schedule] job off and push.max_parallel
//    = 4. Creates are paced: create one lead, watch that lead with a GET every --poll-ms until it
//    carries leadsync_externalid, jobtitle and leadsync_totalscore, wait until the daemon has
//    finished with its event, then create the next; so each latency is one event's own. The
//    origin is when the emulator started the webhook POST (its stats: webhooks.deliveries[],
//    started_ms); the end is when the first GET that found the lead complete was sent. Printed:
//    p50, p95 and p99 over --creates N, and the overhead, which is that latency less the
//    configured latencies inside it: the CRM requests an event makes before its write (counted
//    from the daemon's /metrics) times C and the provider calls it makes (counted from the feeds
//    emulator's stats) times P. Target: p95 overhead <= 50 ms.
// 2. Throughput. A second Dataverse emulator with the limits of profile dataverse (and latency
//    C): --burst M creates as fast as --clients threads can, then one paged query of all leads
//    every 200 ms until every lead is back complete. Printed: events per second from the first
//    webhook POST to that moment, how long after the last create that was (when the daemon kept
//    up, the figure is the clients' pace), and the 429s the emulator answered.
//
// The latency CRM runs with profile dataverse and its limits turned off through
// POST /_emulator/limits, as profile fast refuses --latency-ms.
//
//   webhook_bench [--creates N] [--burst M] [--crm-latency-ms C] [--provider-latency-ms P]
//                 [--poll-ms D] [--clients T] [--warmup W] [--log-level LEVEL]
//                 [--only latency|throughput] [--keep]
//
// Every process it starts (emulators, daemons) is stopped when it ends, however it ends; the work
// folder (configs, stores, logs) is under the temporary folder and removed unless --keep.

#include "bench_support.hpp"
#include "support/feeds_fixture.hpp"
#include "support/raw_http.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <poll.h>
#include <sstream>
#include <string>
#include <string_view>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using leadsync::bench::run_child;
using leadsync::bench::with_commas;
using leadsync::testing::emulator_admin;
using leadsync::testing::mix;
using leadsync::testing::PersonFacts;
using leadsync::testing::RawConnection;
using namespace std::chrono_literals;

// The secrets the children read from the environment (bench values, not real ones).
constexpr const char* crm_token = "webhook-bench-crm-token";
constexpr const char* webhook_key = "webhook-bench-key-5b0f3e9a71c24d6e8f10a2b3c4d5e6f7";
constexpr const char* pdl_key = "webhook-bench-pdl-key-0d1e2f3a4b5c6d7e8f90a1b2c3d4e5f6";
constexpr const char* pdl_key_env = "LEADSYNC_PDL_API_KEY";
constexpr const char* api_root = "/api/data/v9.2/";
constexpr const char* complete_columns = "leadsync_externalid,jobtitle,leadsync_totalscore";
constexpr int people_per_company = 25;

struct Options {
  int creates = 1000;
  int burst = 1000;
  int crm_latency_ms = 20;
  int provider_latency_ms = 50;
  double poll_ms = 2.0;
  int clients = 8;
  int warmup = 5;
  std::string log_level = "info";
  std::string only; // "", "latency" or "throughput"
  bool keep = false;
};

[[noreturn]] void die(const std::string& message) {
  std::fflush(stdout);
  std::fprintf(stderr, "webhook_bench: %s\n", message.c_str());
  std::exit(1); // the atexit handler stops the children
}

std::int64_t wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The last `lines` lines of a log file, for an error message.
std::string tail_of(const fs::path& file, int lines = 15) {
  const std::string text = read_text(file);
  auto at = text.size();
  for (int count = 0; count <= lines && at != std::string::npos && at > 0; ++count) {
    at = text.rfind('\n', at - 1);
  }
  return at == std::string::npos || at == 0 ? text : text.substr(at + 1);
}

// ---- the children ------------------------------------------------------------------------------

// Every process this program started and has not reaped yet, so that none outlives it: stopped
// by the atexit handler (a return from main or exit()), killed by the handler of a fatal signal
// (async-signal-safe: atomics and kill only), and each started with PR_SET_PDEATHSIG so that even
// a SIGKILL of this program takes them along.
std::array<std::atomic<pid_t>, 8> children{};

void remember_child(pid_t pid) {
  for (auto& slot : children) {
    pid_t empty = 0;
    if (slot.compare_exchange_strong(empty, pid)) {
      return;
    }
  }
  ::kill(pid, SIGKILL);
  die("too many child processes");
}

void forget_child(pid_t pid) {
  for (auto& slot : children) {
    pid_t expected = pid;
    slot.compare_exchange_strong(expected, 0);
  }
}

// SIGTERM, then SIGKILL after `grace`; reaps it. The exit status as waitpid gives it.
int stop_process(pid_t pid, std::chrono::milliseconds grace) {
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) == pid) {
    forget_child(pid);
    return status;
  }
  ::kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      forget_child(pid);
      return status;
    }
    std::this_thread::sleep_for(10ms);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  forget_child(pid);
  return status;
}

void stop_all_children() {
  for (auto& slot : children) {
    const pid_t pid = slot.load();
    if (pid > 0) {
      stop_process(pid, 5s);
    }
  }
}

extern "C" void on_fatal_signal(int signal) {
  for (auto& slot : children) {
    const pid_t pid = slot.load();
    if (pid > 0) {
      ::kill(pid, SIGKILL);
    }
  }
  ::signal(signal, SIG_DFL);
  ::raise(signal);
}

// A child process that listens on a port it writes to a file: an emulator or the daemon. Its
// stdout and stderr go to `log`. The program ends with what went wrong (and the end of the log)
// when the child exits before it listens or does not listen within 30 s.
class Child {
public:
  Child(std::string name, const std::vector<std::string>& argv, const fs::path& port_file,
        fs::path log)
      : name_(std::move(name)), log_(std::move(log)) {
    std::vector<std::string> args = argv;
    std::vector<char*> pointers;
    for (auto& arg : args) {
      pointers.push_back(arg.data());
    }
    pointers.push_back(nullptr);
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) {
      die("cannot start the " + name_ + ": fork: " + std::strerror(errno));
    }
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) {
        ::_exit(127);
      }
      const int out = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (out < 0 || in < 0) {
        ::_exit(126);
      }
      ::dup2(in, STDIN_FILENO);
      ::dup2(out, STDOUT_FILENO);
      ::dup2(out, STDERR_FILENO);
      ::execv(pointers[0], pointers.data());
      std::fprintf(stderr, "cannot run %s: %s\n", pointers[0], std::strerror(errno));
      ::_exit(127);
    }
    remember_child(pid_);
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      // Only a whole line counts: the daemon writes its port file in place.
      const std::string text = read_text(port_file);
      if (!text.empty() && text.back() == '\n') {
        const int port = std::atoi(text.c_str());
        if (port > 0 && port < 65536) {
          port_ = static_cast<std::uint16_t>(port);
          return;
        }
      }
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        forget_child(pid_);
        pid_ = -1;
        die("the " + name_ + " exited (" + describe(status) + ") before it listened; the end of " +
            log_.string() + ":\n" + tail_of(log_));
      }
      std::this_thread::sleep_for(10ms);
    }
    die("the " + name_ + " did not write its port to " + port_file.string() +
        " within 30 s; the end of " + log_.string() + ":\n" + tail_of(log_));
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() { stop(); }

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const fs::path& log() const { return log_; }
  // Exits the program, with the end of the child's log, when it has ended.
  void check_running() {
    int status = 0;
    if (pid_ > 0 && ::waitpid(pid_, &status, WNOHANG) == pid_) {
      forget_child(pid_);
      pid_ = -1;
      die("the " + name_ + " exited (" + describe(status) + "); the end of " + log_.string() +
          ":\n" + tail_of(log_));
    }
  }
  void stop() {
    if (pid_ > 0) {
      stop_process(pid_, 10s);
      pid_ = -1;
    }
  }

private:
  static std::string describe(int status) {
    return WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                             : "signal " + std::to_string(WTERMSIG(status));
  }

  std::string name_;
  fs::path log_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

// ---- HTTP --------------------------------------------------------------------------------------

struct Answer {
  int status = 0; // 0: no answer
  std::string head;
  std::string body;
  std::string header(std::string_view name) const {
    std::string lower_head;
    for (const char c : head) {
      lower_head.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    const auto at = lower_head.find("\r\n" + std::string(name) + ":");
    if (at == std::string::npos) {
      return {};
    }
    auto start = at + 3 + name.size();
    while (start < head.size() && head[start] == ' ') {
      ++start;
    }
    return head.substr(start, head.find("\r\n", start) - start);
  }
};

// One request on a connection of its own.
Answer http_once(std::uint16_t port, const std::string& method, const std::string& target,
                 const std::string& extra_headers = {}, const std::string& body = {}) {
  RawConnection connection(port);
  std::string request = method + " " + target +
                        " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + extra_headers;
  if (!body.empty()) {
    request +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n" + body;
  Answer answer;
  if (!connection.connected() || !connection.send(request)) {
    return answer;
  }
  const auto response = connection.read_response(60s);
  if (!response) {
    return answer;
  }
  const auto split = response->find("\r\n\r\n");
  answer.status = RawConnection::status_of(*response);
  answer.head = response->substr(0, split + 2);
  answer.body = response->substr(split + 4);
  return answer;
}

std::string crm_headers() {
  return std::string("Accept: application/json\r\nOData-Version: 4.0\r\nAuthorization: Bearer ") +
         crm_token + "\r\n";
}

Json admin_json(std::uint16_t port, const std::string& what, const std::string& method,
                const std::string& path, const std::string& body = {}) {
  auto answer = emulator_admin(port, method, path, body);
  if (!answer) {
    die(what + ": " + method + " " + path + " got no 200 answer");
  }
  return *answer;
}

// Creates a lead "in Dynamics", as a person would (without our key); its leadid.
std::string create_crm_lead(std::uint16_t port, const PersonFacts& person) {
  const Json row = {{"firstname", person.first},
                    {"lastname", person.last},
                    {"emailaddress1", person.email},
                    {"companyname", person.company},
                    {"subject", "Website enquiry"}};
  const auto answer =
      http_once(port, "POST", std::string(api_root) + "leads", crm_headers(), row.dump());
  const std::string entity = answer.header("odata-entityid");
  const auto open = entity.rfind('(');
  if ((answer.status != 204 && answer.status != 201) || open == std::string::npos) {
    die("the CRM emulator refused a lead create: HTTP " + std::to_string(answer.status) + " " +
        answer.body.substr(0, 300));
  }
  return entity.substr(open + 1, entity.size() - open - 2);
}

bool complete(const Json& row) {
  if (!row.is_object()) {
    return false;
  }
  const auto key = row.find("leadsync_externalid");
  const auto title = row.find("jobtitle");
  const auto score = row.find("leadsync_totalscore");
  return key != row.end() && key->is_string() && title != row.end() && title->is_string() &&
         !title->get<std::string>().empty() && score != row.end() && score->is_number();
}

// A TCP connection to 127.0.0.1:port with Nagle off; -1 when it cannot connect.
int connect_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// Watches one CRM lead until it is complete: a GET every `interval` over a ring of keep-alive
// connections. With the CRM's latency C about C / interval GETs are in flight, so the moment the
// row changed is known to within one interval rather than one round trip (the emulator reads the
// row when a request arrives and holds only the answer back).
class LeadWatcher {
public:
  LeadWatcher(std::uint16_t port, std::chrono::microseconds interval)
      : port_(port), interval_(interval) {}
  LeadWatcher(const LeadWatcher&) = delete;
  LeadWatcher& operator=(const LeadWatcher&) = delete;
  ~LeadWatcher() {
    for (auto& slot : slots_) {
      close_slot(slot);
    }
  }

  // When (wall clock, us) the first GET that found the lead complete was sent; nothing when
  // `limit` passed first.
  std::optional<std::int64_t> wait_until_complete(const std::string& lead_id,
                                                  std::chrono::milliseconds limit) {
    ++generation_;
    const std::string request = "GET " + std::string(api_root) + "leads(" + lead_id +
                                ")?$select=" + complete_columns +
                                " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + crm_headers() + "\r\n";
    const auto started = std::chrono::steady_clock::now();
    const auto deadline = started + limit;
    auto next_send = started;
    std::optional<std::int64_t> found;
    std::optional<std::chrono::steady_clock::time_point> found_at;
    for (;;) {
      auto now = std::chrono::steady_clock::now();
      if (found) {
        // Done once every GET sent before the one that found it has answered (an earlier one may
        // have found it too), at most 100 ms on.
        const bool earlier_pending = std::any_of(slots_.begin(), slots_.end(), [&](const Slot& s) {
          return s.busy && s.generation == generation_ && s.sent_us < *found;
        });
        if (!earlier_pending || now - *found_at > 100ms) {
          return found;
        }
      } else if (now >= deadline) {
        return std::nullopt;
      } else if (now >= next_send) {
        send(request);
        next_send += interval_;
        if (next_send < now) {
          next_send = now + interval_;
        }
      }
      std::vector<pollfd> waiting;
      std::vector<std::size_t> which;
      for (std::size_t index = 0; index < slots_.size(); ++index) {
        if (slots_[index].busy) {
          waiting.push_back({slots_[index].fd, POLLIN, 0});
          which.push_back(index);
        }
      }
      now = std::chrono::steady_clock::now();
      const auto wait = found ? std::chrono::nanoseconds(1ms)
                              : std::max(std::chrono::nanoseconds::zero(),
                                         std::chrono::nanoseconds(next_send - now));
      const timespec timeout{.tv_sec = 0,
                             .tv_nsec = static_cast<long>(
                                 std::min<std::int64_t>(wait.count(), std::int64_t{999'999'999}))};
      if (::ppoll(waiting.data(), waiting.size(), &timeout, nullptr) <= 0) {
        continue;
      }
      for (std::size_t index = 0; index < waiting.size(); ++index) {
        if (waiting[index].revents == 0) {
          continue;
        }
        Slot& slot = slots_[which[index]];
        const auto answer = receive(slot);
        if (!answer || slot.generation != generation_) {
          continue;
        }
        if (answer->status != 200) {
          die("GET leads(" + lead_id + ") answered HTTP " + std::to_string(answer->status) + " " +
              answer->body.substr(0, 300));
        }
        if (complete(Json::parse(answer->body, nullptr, false)) &&
            (!found || slot.sent_us < *found)) {
          found = slot.sent_us;
          found_at = std::chrono::steady_clock::now();
        }
      }
    }
  }

  std::int64_t requests() const { return requests_; }

private:
  struct Slot {
    int fd = -1;
    bool busy = false;
    std::uint64_t generation = 0;
    std::int64_t sent_us = 0;
    std::string buffer;
  };

  static void close_slot(Slot& slot) {
    if (slot.fd >= 0) {
      ::close(slot.fd);
    }
    slot = Slot{};
  }

  void send(const std::string& request) {
    auto free = std::find_if(slots_.begin(), slots_.end(), [](const Slot& s) { return !s.busy; });
    if (free == slots_.end()) {
      slots_.emplace_back();
      free = std::prev(slots_.end());
    }
    if (free->fd < 0) {
      free->fd = connect_loopback(port_);
      if (free->fd < 0) {
        die("cannot connect to the CRM emulator on port " + std::to_string(port_) + ": " +
            std::strerror(errno));
      }
    }
    free->generation = generation_;
    free->sent_us = wall_us();
    if (::send(free->fd, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
      close_slot(*free);
      return;
    }
    free->busy = true;
    ++requests_;
  }

  // Reads what is there; a whole answer when one is complete. A closed connection is dropped.
  static std::optional<Answer> receive(Slot& slot) {
    std::array<char, 16384> chunk{};
    const auto got = ::recv(slot.fd, chunk.data(), chunk.size(), MSG_DONTWAIT);
    if (got <= 0) {
      if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
        close_slot(slot);
      }
      return std::nullopt;
    }
    slot.buffer.append(chunk.data(), static_cast<std::size_t>(got));
    const auto split = slot.buffer.find("\r\n\r\n");
    if (split == std::string::npos) {
      return std::nullopt;
    }
    Answer answer;
    answer.head = slot.buffer.substr(0, split + 2);
    const std::string length = answer.header("content-length");
    const std::size_t total = split + 4 + (length.empty() ? 0 : std::stoul(length));
    if (slot.buffer.size() < total) {
      return std::nullopt;
    }
    answer.status = RawConnection::status_of(slot.buffer);
    answer.body = slot.buffer.substr(split + 4, total - split - 4);
    slot.buffer.erase(0, total);
    slot.busy = false;
    if (answer.header("connection") == "close") {
      close_slot(slot);
    }
    return answer;
  }

  std::uint16_t port_;
  std::chrono::microseconds interval_;
  std::vector<Slot> slots_;
  std::uint64_t generation_ = 0;
  std::int64_t requests_ = 0;
};

// ---- figures -----------------------------------------------------------------------------------

// One sample of a Prometheus text scrape: `name{labels} value`.
struct Sample {
  std::string name;
  std::string labels;
  double value = 0;
};

std::vector<Sample> parse_metrics(const std::string& text) {
  std::vector<Sample> samples;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line.front() == '#') {
      continue;
    }
    const auto space = line.rfind(' ');
    const auto brace = line.find('{');
    if (space == std::string::npos) {
      continue;
    }
    Sample sample;
    sample.name = line.substr(0, std::min(brace, space));
    if (brace != std::string::npos && brace < space) {
      sample.labels = line.substr(brace + 1, line.rfind('}') - brace - 1);
    }
    sample.value = std::strtod(line.c_str() + space + 1, nullptr);
    samples.push_back(std::move(sample));
  }
  return samples;
}

std::string label_of(const std::string& labels, const std::string& name) {
  const auto at = labels.find(name + "=\"");
  if (at == std::string::npos) {
    return {};
  }
  const auto start = at + name.size() + 2;
  return labels.substr(start, labels.find('"', start) - start);
}

// What the daemon's /metrics says about its CRM requests and webhook events.
struct DaemonFigures {
  double crm_requests = 0;
  double crm_throttled = 0;
  std::map<std::string, double> requests_by_route; // "GET leads" -> requests
  std::map<std::string, double> seconds_by_route;  // their summed duration
  double received = 0;
  double processed = 0; // every outcome
  double lag_seconds = 0;
  double lags = 0;
};

DaemonFigures daemon_figures(std::uint16_t port) {
  const auto answer = http_once(port, "GET", "/metrics");
  if (answer.status != 200) {
    die("the daemon's /metrics answered HTTP " + std::to_string(answer.status));
  }
  DaemonFigures figures;
  for (const auto& sample : parse_metrics(answer.body)) {
    const auto route = [&] {
      return label_of(sample.labels, "method") + " " + label_of(sample.labels, "route");
    };
    if (sample.name == "leadsync_crm_requests_total") {
      figures.crm_requests += sample.value;
      figures.requests_by_route[route()] += sample.value;
    } else if (sample.name == "leadsync_crm_request_duration_seconds_sum") {
      figures.seconds_by_route[route()] += sample.value;
    } else if (sample.name == "leadsync_crm_throttled_total") {
      figures.crm_throttled += sample.value;
    } else if (sample.name == "leadsync_webhook_events_received_total") {
      figures.received += sample.value;
    } else if (sample.name == "leadsync_webhook_events_processed_total") {
      figures.processed += sample.value;
    } else if (sample.name == "leadsync_webhook_lag_seconds_sum") {
      figures.lag_seconds += sample.value;
    } else if (sample.name == "leadsync_webhook_lag_seconds_count") {
      figures.lags += sample.value;
    }
  }
  return figures;
}

// Calls to the People Data Labs endpoints of the feeds emulator, by endpoint.
std::map<std::string, std::int64_t> pdl_calls(std::uint16_t feeds_port) {
  const Json stats = admin_json(feeds_port, "the feeds emulator", "GET", "/_emulator/stats");
  std::map<std::string, std::int64_t> calls;
  const Json endpoints = stats.value("endpoints", Json::object());
  for (auto it = endpoints.begin(); it != endpoints.end(); ++it) {
    if (it.key().starts_with("pdl.")) {
      calls[it.key()] = it.value().value("calls", std::int64_t{0});
    }
  }
  return calls;
}

std::int64_t total_of(const std::map<std::string, std::int64_t>& calls) {
  std::int64_t total = 0;
  for (const auto& [name, count] : calls) {
    total += count;
  }
  return total;
}

struct Delivery {
  std::optional<std::int64_t> started_ms; // when the emulator began the POST
  std::int64_t ms = 0;                    // until the daemon's answer
  int status = 0;
  int attempts = 0;
};

std::map<std::string, Delivery> deliveries_of(const Json& stats) {
  std::map<std::string, Delivery> deliveries;
  const Json webhooks = stats.value("webhooks", Json::object());
  for (const auto& row : webhooks.value("deliveries", Json::array())) {
    Delivery delivery;
    if (row.contains("started_ms") && row["started_ms"].is_number()) {
      delivery.started_ms = row["started_ms"].get<std::int64_t>();
    }
    delivery.ms = row.value("ms", std::int64_t{0});
    delivery.status = row.value("status", 0);
    delivery.attempts = row.value("attempts", 0);
    deliveries[row.value("id", std::string())] = delivery;
  }
  return deliveries;
}

struct Spread {
  double p50 = 0;
  double p95 = 0;
  double p99 = 0;
  double mean = 0;
  double max = 0;
};

// Nearest-rank percentiles.
Spread spread_of(std::vector<double> values) {
  Spread spread;
  if (values.empty()) {
    return spread;
  }
  std::sort(values.begin(), values.end());
  const auto rank = [&](double q) {
    const auto at = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
    return values[std::clamp<std::size_t>(at, 1, values.size()) - 1];
  };
  spread.p50 = rank(0.50);
  spread.p95 = rank(0.95);
  spread.p99 = rank(0.99);
  double sum = 0;
  for (const double value : values) {
    sum += value;
  }
  spread.mean = sum / static_cast<double>(values.size());
  spread.max = values.back();
  return spread;
}

// " 12.3": a value for a list of figures.
std::string fixed(double value, int decimals = 1) {
  std::array<char, 64> text{};
  std::snprintf(text.data(), text.size(), " %.*f", decimals, value);
  return text.data();
}

void print_spread(const char* what, const Spread& spread) {
  std::printf("  %-44s %8.1f %8.1f %8.1f %8.1f %8.1f\n", what, spread.p50, spread.p95, spread.p99,
              spread.mean, spread.max);
}

// ---- the people --------------------------------------------------------------------------------

// A region's people: given and family names as written and as their mailboxes spell them
// ("Written/mailbox", ';'-separated), their job titles and their employers' names.
struct Region {
  std::string_view tld;
  std::string_view given;
  std::string_view family;
  std::string_view titles;
  std::string_view firms;
};

constexpr std::array<Region, 7> regions = {{
    {"com", "James/james;Mary/mary;John/john;Patricia/patricia;Robert/robert;Jennifer/jennifer",
     "Smith/smith;Johnson/johnson;Williams/williams;Brown/brown;Jones/jones",
     "vp of sales;procurement manager;it director;software engineer",
     "Summit Logistics;Harbor Analytics;Pinecrest Foods"},
    {"pl", "Łukasz/lukasz;Małgorzata/malgorzata;Paweł/pawel;Zofia/zofia;Grzegorz/grzegorz",
     "Nowak/nowak;Wiśniewska/wisniewska;Wójcik/wojcik;Kamiński/kaminski;Dąbrowska/dabrowska",
     "dyrektor sprzedaży;kierownik zakupów;inżynier oprogramowania",
     "Żegluga Bałtycka;Łódzkie Zakłady Włókiennicze;Śląska Energetyka"},
    {"cz", "Jiří/jiri;Tomáš/tomas;Kateřina/katerina;Lucie/lucie;Petr/petr",
     "Novák/novak;Dvořáková/dvorakova;Černý/cerny;Procházka/prochazka;Kučerová/kucerova",
     "obchodní ředitel;vedoucí nákupu;vývojář softwaru",
     "Strojírny Brno;Pražská Logistika;Český Textil"},
    {"pt", "João/joao;Conceição/conceicao;Gonçalo/goncalo;Inês/ines;António/antonio",
     "Gonçalves/goncalves;Araújo/araujo;Magalhães/magalhaes;Simões/simoes;Conceição/conceicao",
     "diretor comercial;gestora de compras;engenheiro de software",
     "Transportes Açores;Indústrias Guimarães;Têxtil do Minho"},
    {"ru",
     "Александр/aleksandr;Елена/elena;Сергей/sergey;Наталья/natalya;Дмитрий/dmitry;Ольга/olga",
     "Иванов/ivanov;Смирнова/smirnova;Кузнецов/kuznetsov;Попова/popova;Васильев/vasilyev",
     "коммерческий директор;начальник отдела закупок;ведущий программист",
     "Северсталь Трейд;Уралхиммаш;Волга Логистик"},
    {"ua", "Олександр/oleksandr;Оксана/oksana;Андрій/andriy;Ірина/iryna;Богдан/bohdan",
     "Шевченко/shevchenko;Коваленко/kovalenko;Бондаренко/bondarenko;Ткаченко/tkachenko",
     "директор з продажу;менеджер із закупівель;інженер-програміст",
     "Дніпро Агро;Київ Софт;Карпати Деревообробка"},
    {"sa", "محمد/mohammed;فاطمة/fatima;عبدالله/abdullah;نورة/noura;خالد/khaled",
     "العتيبي/alotaibi;القحطاني/alqahtani;الغامدي/alghamdi;الزهراني/alzahrani;الدوسري/aldosari",
     "مدير المبيعات;مسؤول المشتريات;مهندس برمجيات",
     "الراجحي للتجارة;نجد للخدمات اللوجستية;البحر الأحمر للشحن"},
}};
constexpr std::array<std::string_view, 5> seniorities = {"cxo", "vp", "director", "manager",
                                                         "senior"};

std::vector<std::string_view> split(std::string_view list) {
  std::vector<std::string_view> items;
  while (!list.empty()) {
    const auto end = std::min(list.find(';'), list.size());
    items.push_back(list.substr(0, end));
    list.remove_prefix(std::min(end + 1, list.size()));
  }
  return items;
}

// "Written/mailbox" -> the part before or after the slash.
std::string written(std::string_view item) {
  return std::string(item.substr(0, item.find('/')));
}
std::string mailbox(std::string_view item) {
  return std::string(item.substr(item.find('/') + 1));
}

// Person `index` of `count`: works at company index % companies (about people_per_company
// people each, so namesakes at one company are common), in that company's region; the e-mail
// holds the index, so every person's is their own.
PersonFacts person(int index, int count) {
  const int companies = std::max(1, count / people_per_company);
  const int company = index % companies;
  const Region& region = regions[static_cast<std::size_t>(company) % regions.size()];
  const auto given = split(region.given);
  const auto family = split(region.family);
  const auto titles = split(region.titles);
  const auto firms = split(region.firms);
  const std::uint64_t h = mix(static_cast<std::uint64_t>(index) + 0x5eedULL);
  const auto first = given[h % given.size()];
  const auto last = family[(h >> 12) % family.size()];
  const std::string domain =
      "hook-" + std::to_string(company) + "." + std::string(region.tld) + ".example";
  return PersonFacts{
      .first = written(first),
      .last = written(last),
      .email = mailbox(first) + "." + mailbox(last) + "." + std::to_string(index) + "@" + domain,
      .title = std::string(titles[(h >> 24) % titles.size()]),
      .level = std::string(seniorities[(h >> 36) % seniorities.size()]),
      .company =
          std::string(firms[static_cast<std::size_t>(company / static_cast<int>(regions.size())) %
                            firms.size()]) +
          " " + std::to_string(company),
      .domain = domain};
}

// ---- the daemon and its CRM --------------------------------------------------------------------

void replace_once(std::string& text, const std::string& from, const std::string& to,
                  const fs::path& file) {
  const auto at = text.find(from);
  if (at == std::string::npos || text.find(from, at + 1) != std::string::npos) {
    die("the config `leadsync init` wrote has changed shape (looked for '" + from +
        "' once): " + file.string());
  }
  text.replace(at, from.size(), to);
}

// The config `leadsync init` wrote, at these emulators: only the pdl provider, every scheduled
// job off (the webhook alone), push.max_parallel = 4.
void write_config(const fs::path& config, const std::string& crm_url, const std::string& pdl_url) {
  const std::string provider = "\n[[enrich.provider]]\nname = \"pdl\"\nkind = \"pdl\"\nurl = \"" +
                               pdl_url + "\"\napi_key_env = \"" + pdl_key_env +
                               "\"\nrate_limit_per_min = 0\ndaily_quota = 0\n"
                               "credit_budget_per_run = 0\ncredit_budget_per_day = 0\n"
                               "groups = [\"person\"]\n\n";
  auto text =
      leadsync::testing::with_enrich_providers(read_text(config), provider, "wanted_fields = []");
  if (!text) {
    die("the config `leadsync init` wrote has changed shape (its [[enrich.provider]] tables): " +
        config.string());
  }
  replace_once(*text, "url = \"http://127.0.0.1:8765\"", "url = \"" + crm_url + "\"", config);
  replace_once(*text, "max_parallel = \"auto\"", "max_parallel = 4", config);
  replace_once(*text, "\npull = \"*/5 * * * *\"", "\npull = \"\"", config);
  replace_once(*text, "\npush = \"* * * * *\"", "\npush = \"\"", config);
  replace_once(*text, "\nenrich = \"@every 30s\"", "\nenrich = \"\"", config);
  replace_once(*text, "\nqualify = \"0 * * * *\"", "\nqualify = \"\"", config);
  std::ofstream(config, std::ios::binary | std::ios::trunc) << *text;
}

// One measured set-up: a CRM emulator, `leadsync init` in `dir`, the daemon on a port of its own
// with the webhook registered at it.
struct Stage {
  fs::path dir;
  std::unique_ptr<Child> crm;
  std::unique_ptr<Child> daemon;
};

Stage start_stage(const fs::path& dir, const std::string& label,
                  const std::vector<std::string>& crm_flags, const Options& options,
                  const Child& feeds) {
  Stage stage;
  stage.dir = dir;
  fs::create_directories(dir);
  std::vector<std::string> crm_argv = {
      DATAVERSE_EMULATOR,          "--listen", "127.0.0.1:0",        "--port-file",
      (dir / "crm.port").string(), "--quiet",  "--static-token-env", "LEADSYNC_CRM_TOKEN"};
  crm_argv.insert(crm_argv.end(), crm_flags.begin(), crm_flags.end());
  stage.crm = std::make_unique<Child>("CRM emulator (" + label + ")", crm_argv, dir / "crm.port",
                                      dir / "crm.log");

  const std::string leadsync = LEADSYNC_EXE;
  const auto init = run_child({leadsync, "init", dir.string()}, dir);
  if (init.exit_code != 0) {
    die("leadsync init " + dir.string() + " failed (exit " + std::to_string(init.exit_code) +
        "): " + init.out);
  }
  const fs::path config = dir / "leadsync.toml";
  write_config(config, stage.crm->url(), feeds.url());

  stage.daemon = std::make_unique<Child>(
      "daemon (" + label + ")",
      std::vector<std::string>{leadsync, "-c", config.string(), "--log-level", options.log_level,
                               "--log-format", "json", "daemon", "--listen", "127.0.0.1:0",
                               "--port-file", (dir / "daemon.port").string()},
      dir / "daemon.port", dir / "daemon.log");
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (http_once(stage.daemon->port(), "GET", "/readyz").status != 200) {
    stage.daemon->check_running();
    if (std::chrono::steady_clock::now() > deadline) {
      die("the daemon (" + label + ") did not become ready within 30 s; the end of " +
          stage.daemon->log().string() + ":\n" + tail_of(stage.daemon->log()));
    }
    std::this_thread::sleep_for(20ms);
  }
  const auto registered =
      run_child({leadsync, "-c", config.string(), "webhook", "register", "--url",
                 stage.daemon->url() + "/webhooks/dataverse", "--auth", "key"},
                dir);
  if (registered.exit_code != 0) {
    die("leadsync webhook register failed (exit " + std::to_string(registered.exit_code) +
        "): " + registered.out);
  }
  return stage;
}

std::string route_breakdown(const DaemonFigures& before, const DaemonFigures& after,
                            double events) {
  std::string text;
  for (const auto& [route, count] : after.requests_by_route) {
    const auto earlier = before.requests_by_route.find(route);
    const double requests =
        count - (earlier == before.requests_by_route.end() ? 0 : earlier->second);
    if (requests <= 0) {
      continue;
    }
    const auto seconds_after = after.seconds_by_route.find(route);
    const auto seconds_before = before.seconds_by_route.find(route);
    const double seconds =
        (seconds_after == after.seconds_by_route.end() ? 0 : seconds_after->second) -
        (seconds_before == before.seconds_by_route.end() ? 0 : seconds_before->second);
    char line[200];
    std::snprintf(line, sizeof line, "\n      %-40s %6.2f per event, %6.1f ms each", route.c_str(),
                  requests / events, 1000.0 * seconds / requests);
    text += line;
  }
  return text;
}

// ---- 1. latency --------------------------------------------------------------------------------

struct PacedEvent {
  std::string id;
  std::int64_t created_us = 0;  // the create was sent
  std::int64_t answered_us = 0; // the create was answered
  std::optional<std::int64_t> complete_us;
  std::int64_t settled_us = 0; // the daemon had counted the event processed
};

bool run_latency(const Options& options, const fs::path& work, const Child& feeds) {
  std::printf("\n1. Latency: webhook POST -> CRM lead enriched and scored, %d paced creates "
              "(after %d warm-up creates, not counted)\n",
              options.creates, options.warmup);
  std::printf("   CRM: dataverse-emulator --profile dataverse --latency-ms %d, its limits then "
              "turned off (POST /_emulator/limits {\"enabled\":false}): --profile fast refuses "
              "--latency-ms\n",
              options.crm_latency_ms);
  std::fflush(stdout);
  Stage stage = start_stage(
      work / "latency", "latency",
      {"--profile", "dataverse", "--latency-ms", std::to_string(options.crm_latency_ms)}, options,
      feeds);
  const auto limits = admin_json(stage.crm->port(), "the CRM emulator", "POST", "/_emulator/limits",
                                 R"({"enabled":false})");
  if (limits.value("enabled", true)) {
    die("the CRM emulator kept its limits on: " + limits.dump());
  }
  std::printf("   daemon: %s (work folder %s)\n", stage.daemon->url().c_str(), stage.dir.c_str());
  std::fflush(stdout);

  const auto watch_interval = std::chrono::microseconds(std::llround(options.poll_ms * 1000));
  LeadWatcher watcher(stage.crm->port(), watch_interval);
  double processed_so_far = 0;
  int missed_in_a_row = 0;
  // One paced event: create, watch until complete, wait until the daemon is done with it.
  const auto paced = [&](const PersonFacts& facts) {
    PacedEvent event;
    event.created_us = wall_us();
    event.id = create_crm_lead(stage.crm->port(), facts);
    event.answered_us = wall_us();
    event.complete_us = watcher.wait_until_complete(event.id, 30s);
    if (!event.complete_us) {
      stage.daemon->check_running();
      if (++missed_in_a_row == 3) {
        die("three leads in a row did not come back complete within 30 s; the end of " +
            stage.daemon->log().string() + ":\n" + tail_of(stage.daemon->log()));
      }
    } else {
      missed_in_a_row = 0;
    }
    // The next create waits until the daemon has counted this event processed, so that no event
    // waits for the tail of the one before it (the write's answer, the run's bookkeeping).
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      const double processed = daemon_figures(stage.daemon->port()).processed;
      if (processed >= processed_so_far + 1) {
        processed_so_far = processed;
        break;
      }
      std::this_thread::sleep_for(2ms);
    }
    event.settled_us = wall_us();
    return event;
  };

  std::vector<PacedEvent> warmups;
  for (int index = 0; index < options.warmup; ++index) {
    warmups.push_back(paced(person(index, options.warmup + options.creates)));
  }
  const DaemonFigures before = daemon_figures(stage.daemon->port());
  const auto calls_before = pdl_calls(feeds.port());
  const auto watch_requests_before = watcher.requests();
  const auto started = std::chrono::steady_clock::now();
  // The emulator keeps the newest 2,000 deliveries: they are collected every 500 events.
  std::map<std::string, Delivery> deliveries;
  const auto collect_deliveries = [&] {
    deliveries.merge(deliveries_of(
        admin_json(stage.crm->port(), "the CRM emulator", "GET", "/_emulator/stats")));
  };
  std::vector<PacedEvent> events;
  for (int index = 0; index < options.creates; ++index) {
    events.push_back(paced(person(options.warmup + index, options.warmup + options.creates)));
    if ((index + 1) % 500 == 0) {
      collect_deliveries();
    }
    if ((index + 1) % 250 == 0 && index + 1 < options.creates) {
      std::printf("   ... %d of %d\n", index + 1, options.creates);
      std::fflush(stdout);
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const DaemonFigures after = daemon_figures(stage.daemon->port());
  const auto calls_after = pdl_calls(feeds.port());
  collect_deliveries();

  // Latencies from the start of each webhook POST (or, for an emulator that does not report
  // started_ms, from the create's answer: later than the POST's start, so shorter).
  bool from_create_answer = false;
  int incomplete = 0;
  int undelivered = 0;
  int retried = 0;
  std::vector<double> latencies;
  std::vector<double> answered;
  std::vector<double> settle;
  const auto latency_of = [&](const PacedEvent& event) -> std::optional<double> {
    if (!event.complete_us) {
      return std::nullopt;
    }
    const auto delivery = deliveries.find(event.id);
    if (delivery == deliveries.end()) {
      return std::nullopt;
    }
    std::int64_t origin_us = event.answered_us;
    if (delivery->second.started_ms) {
      origin_us = *delivery->second.started_ms * 1000;
    } else {
      from_create_answer = true;
    }
    return static_cast<double>(*event.complete_us - origin_us) / 1000.0;
  };
  for (const auto& event : events) {
    const auto delivery = deliveries.find(event.id);
    if (delivery == deliveries.end() || delivery->second.status < 200 ||
        delivery->second.status >= 300) {
      ++undelivered;
    } else {
      answered.push_back(static_cast<double>(delivery->second.ms));
      retried += delivery->second.attempts > 1 ? 1 : 0;
    }
    if (!event.complete_us) {
      ++incomplete;
      continue;
    }
    if (const auto latency = latency_of(event)) {
      latencies.push_back(*latency);
    }
    settle.push_back(static_cast<double>(event.settled_us - *event.complete_us) / 1000.0);
  }
  std::string warmup_text;
  for (const auto& event : warmups) {
    const auto latency = latency_of(event);
    warmup_text += latency ? fixed(*latency) : std::string(" -");
  }

  const double measured = std::max(1, options.creates);
  const double crm_per_event = (after.crm_requests - before.crm_requests) / measured;
  const double calls_per_event =
      static_cast<double>(total_of(calls_after) - total_of(calls_before)) / measured;
  // The write is the path's last CRM request, and the emulator commits it when it arrives and
  // holds back only its answer: the lead is complete (and the watcher sees it) before the write's
  // own latency has passed. So the latency measured holds the CRM requests before the write.
  const double crm_inside = std::max(0.0, crm_per_event - 1.0);
  const double configured =
      crm_inside * options.crm_latency_ms + calls_per_event * options.provider_latency_ms;
  std::vector<double> overheads;
  for (const double latency : latencies) {
    overheads.push_back(latency - configured);
  }
  std::string calls_text;
  for (const auto& [endpoint, count] : calls_after) {
    const auto earlier = calls_before.find(endpoint);
    const auto delta = count - (earlier == calls_before.end() ? 0 : earlier->second);
    if (delta > 0) {
      calls_text += " " + endpoint + fixed(static_cast<double>(delta) / measured, 2);
    }
  }

  std::printf("   %d creates in %.1f s; the watcher sent %s GETs (one every %.1f ms while "
              "waiting)\n",
              options.creates, seconds,
              with_commas(static_cast<double>(watcher.requests() - watch_requests_before)).c_str(),
              options.poll_ms);
  std::printf("   warm-up latencies (ms):%s\n", warmup_text.c_str());
  std::printf("   path per event (the daemon's /metrics, the feeds emulator's stats):\n");
  std::printf("     CRM requests      %6.2f per event%s\n", crm_per_event,
              route_breakdown(before, after, measured).c_str());
  std::printf("     provider calls    %6.2f per event:%s\n", calls_per_event, calls_text.c_str());
  std::printf("     configured latency inside the measured time: %.2f CRM requests before the "
              "write x %d ms + %.2f provider calls x %d ms = %.1f ms\n",
              crm_inside, options.crm_latency_ms, calls_per_event, options.provider_latency_ms,
              configured);
  std::printf("       (the write's own %d ms is not inside: the emulator commits a write when it "
              "arrives and delays only its answer)\n",
              options.crm_latency_ms);
  if (from_create_answer) {
    std::printf("   origin: the create's answer (this emulator reports no started_ms), which "
                "comes after the webhook POST began: latencies read short\n");
  } else {
    std::printf("   origin: the emulator's webhooks.deliveries[].started_ms (1 ms resolution)\n");
  }
  std::printf("\n  %-44s %8s %8s %8s %8s %8s\n", "ms", "p50", "p95", "p99", "mean", "max");
  const Spread latency = spread_of(latencies);
  const Spread overhead = spread_of(overheads);
  print_spread("latency, webhook POST -> lead complete", latency);
  print_spread("overhead (latency - configured)", overhead);
  print_spread("webhook POST answered by the daemon", spread_of(answered));
  print_spread("lead complete -> daemon done with the event", spread_of(settle));
  const double lags = after.lags - before.lags;
  std::printf("  %-44s %8s %8s %8s %8.1f\n", "daemon's lag, receipt -> CRM updated (metric)", "",
              "", "", lags > 0 ? 1000.0 * (after.lag_seconds - before.lag_seconds) / lags : 0.0);
  std::printf("\n  %zu of %d events measured; %d not complete within 30 s, %d webhook POSTs not "
              "answered 2xx, %d retried\n",
              latencies.size(), options.creates, incomplete, undelivered, retried);
  const bool pass = !latencies.empty() && overhead.p95 <= 50.0;
  std::printf("  p95 overhead %.1f ms, target <= 50 ms: %s\n", overhead.p95,
              pass ? "PASS" : "MISS");
  std::fflush(stdout);
  stage.daemon->stop();
  stage.crm->stop();
  return incomplete == 0 && undelivered == 0 && !latencies.empty();
}

// ---- 2. throughput -----------------------------------------------------------------------------

// Every lead row in the CRM, one paged query: how many there are and how many are complete.
std::pair<int, int> count_leads(std::uint16_t port) {
  int rows = 0;
  int done = 0;
  std::string target = std::string(api_root) + "leads?$select=leadid," + complete_columns;
  for (;;) {
    const auto answer = http_once(port, "GET", target, crm_headers());
    if (answer.status != 200) {
      die("GET leads answered HTTP " + std::to_string(answer.status) + " " +
          answer.body.substr(0, 300));
    }
    const Json page = Json::parse(answer.body, nullptr, false);
    for (const auto& row : page.value("value", Json::array())) {
      ++rows;
      done += complete(row) ? 1 : 0;
    }
    const std::string next = page.value("@odata.nextLink", std::string());
    const auto path = next.find(api_root);
    if (next.empty() || path == std::string::npos) {
      return {rows, done};
    }
    target = next.substr(path);
  }
}

std::int64_t throttled_of(const Json& stats) {
  return stats.value("throttled", std::int64_t{0});
}

std::int64_t requests_of(const Json& stats) {
  return stats.value("requests_total", std::int64_t{0});
}

bool run_throughput(const Options& options, const fs::path& work, const Child& feeds,
                    int first_person, int people) {
  std::printf("\n2. Throughput: %d creates in a burst from %d client threads, CRM limits of "
              "profile dataverse\n",
              options.burst, options.clients);
  std::printf("   CRM: dataverse-emulator --profile dataverse --latency-ms %d (the bench's "
              "creates and polls count against the same CRM user as the daemon)\n",
              options.crm_latency_ms);
  std::fflush(stdout);
  Stage stage = start_stage(
      work / "throughput", "throughput",
      {"--profile", "dataverse", "--latency-ms", std::to_string(options.crm_latency_ms)}, options,
      feeds);
  const Json limits = admin_json(stage.crm->port(), "the CRM emulator", "GET", "/_emulator/limits");
  std::printf("   limits: %s\n   daemon: %s (work folder %s)\n", limits.dump().c_str(),
              stage.daemon->url().c_str(), stage.dir.c_str());
  std::fflush(stdout);
  const DaemonFigures before = daemon_figures(stage.daemon->port());
  const Json stats_before =
      admin_json(stage.crm->port(), "the CRM emulator", "GET", "/_emulator/stats");
  const auto calls_before = pdl_calls(feeds.port());

  // The monitor: every 200 ms, the first webhook POST's start until it is known, then one paged
  // query of all leads; done when every lead is back complete.
  std::atomic<bool> creating{true};
  std::atomic<std::int64_t> first_post_ms{0};
  std::int64_t all_done_us = 0;
  int last_rows = 0;
  int last_done = 0;
  const std::uint16_t crm_port = stage.crm->port();
  std::thread monitor([&] {
    const auto deadline = std::chrono::steady_clock::now() + 240s;
    auto next = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() < deadline) {
      if (first_post_ms == 0) {
        const auto answer = emulator_admin(crm_port, "GET", "/_emulator/stats");
        if (answer) {
          std::int64_t first = 0;
          for (const auto& [id, delivery] : deliveries_of(*answer)) {
            if (delivery.started_ms && (first == 0 || *delivery.started_ms < first)) {
              first = *delivery.started_ms;
            }
          }
          first_post_ms = first;
        }
      }
      const auto sent = wall_us();
      const auto [rows, done] = count_leads(crm_port);
      last_rows = rows;
      last_done = done;
      if (!creating && rows >= options.burst && done >= options.burst) {
        all_done_us = sent;
        return;
      }
      next += 200ms;
      std::this_thread::sleep_until(next);
    }
  });

  const std::int64_t creates_started_us = wall_us();
  std::atomic<int> next_index{0};
  std::vector<std::thread> clients;
  for (int client = 0; client < options.clients; ++client) {
    clients.emplace_back([&] {
      for (int index = next_index++; index < options.burst; index = next_index++) {
        (void)create_crm_lead(crm_port, person(first_person + index, people));
      }
    });
  }
  for (auto& client : clients) {
    client.join();
  }
  const std::int64_t creates_done_us = wall_us();
  creating = false;
  monitor.join();

  const DaemonFigures after = daemon_figures(stage.daemon->port());
  const Json stats = admin_json(stage.crm->port(), "the CRM emulator", "GET", "/_emulator/stats");
  const auto calls_after = pdl_calls(feeds.port());
  const auto deliveries = deliveries_of(stats);
  int not_ok = 0;
  int retried = 0;
  for (const auto& [id, delivery] : deliveries) {
    not_ok += delivery.status < 200 || delivery.status >= 300 ? 1 : 0;
    retried += delivery.attempts > 1 ? 1 : 0;
  }
  const double burst = options.burst;
  const double create_seconds = static_cast<double>(creates_done_us - creates_started_us) / 1e6;
  std::printf("   creates: %d in %.2f s (%s/s)\n", options.burst, create_seconds,
              with_commas(burst / create_seconds).c_str());
  std::printf("   CRM requests by the daemon: %.2f per event%s\n",
              (after.crm_requests - before.crm_requests) / burst,
              route_breakdown(before, after, burst).c_str());
  std::printf("   provider calls: %.2f per event\n",
              static_cast<double>(total_of(calls_after) - total_of(calls_before)) / burst);
  std::printf("   webhook POSTs: %zu recorded, %d not answered 2xx, %d retried; the daemon "
              "counted %.0f received, %.0f processed\n",
              deliveries.size(), not_ok, retried, after.received - before.received,
              after.processed - before.processed);
  std::printf(
      "   CRM requests from everyone (creates, polls, daemon): %s, of %s allowed per "
      "window\n",
      with_commas(static_cast<double>(requests_of(stats) - requests_of(stats_before))).c_str(),
      with_commas(limits.value("max_requests", 0.0)).c_str());
  const bool finished = all_done_us != 0 && first_post_ms != 0;
  std::printf("\n  %-52s %12s\n", "figure", "value");
  if (finished) {
    const double seconds = static_cast<double>(all_done_us - first_post_ms.load() * 1000) / 1e6;
    const double drain = static_cast<double>(all_done_us - creates_done_us) / 1e6;
    std::printf("  %-52s %12.2f\n", "first webhook POST -> every lead complete (s)", seconds);
    std::printf("  %-52s %12.2f\n", "last create answered -> every lead complete (s)", drain);
    std::printf("  %-52s %12.1f\n", "sustained webhook events per second", burst / seconds);
    // Polled every 200 ms: a drain within about two polls means the daemon kept up with the
    // creates, and the figure is the clients' pace, not the daemon's.
    if (drain < 0.5) {
      std::printf("  (the daemon kept up with the creates, so this is the clients' pace: more "
                  "--clients push harder)\n");
    }
  } else {
    std::printf("  %-52s %12s   (%d of %d leads complete, %d rows, after 240 s)\n",
                "sustained webhook events per second", "-", last_done, options.burst, last_rows);
  }
  std::printf("  %-52s %12lld\n", "429s answered by the CRM emulator",
              static_cast<long long>(throttled_of(stats) - throttled_of(stats_before)));
  std::printf("  %-52s %12.0f\n", "429s the daemon saw (leadsync_crm_throttled_total)",
              after.crm_throttled - before.crm_throttled);
  std::printf("  %-52s %12d\n", "CRM lead rows (expected the burst)", last_rows);
  std::fflush(stdout);
  stage.daemon->stop();
  stage.crm->stop();
  return finished && not_ok == 0 && last_rows == options.burst;
}

int int_option(const char* value, const char* name, int lowest) {
  char* end = nullptr;
  const long parsed = std::strtol(value, &end, 10);
  if (end == value || *end != '\0' || parsed < lowest || parsed > 1'000'000) {
    die(std::string(name) + " takes a whole number from " + std::to_string(lowest) +
        " to 1000000 (got '" + value + "')");
  }
  return static_cast<int>(parsed);
}

} // namespace

int main(int argc, char** argv) {
  Options options;
  const std::string usage =
      "usage: webhook_bench [--creates N] [--burst M] [--crm-latency-ms C] "
      "[--provider-latency-ms P] [--poll-ms D] [--clients T] [--warmup W] [--log-level LEVEL] "
      "[--only latency|throughput] [--keep]";
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--creates" && has_value) {
      options.creates = int_option(argv[++i], "--creates", 1);
    } else if (arg == "--burst" && has_value) {
      options.burst = int_option(argv[++i], "--burst", 1);
    } else if (arg == "--crm-latency-ms" && has_value) {
      options.crm_latency_ms = int_option(argv[++i], "--crm-latency-ms", 0);
    } else if (arg == "--provider-latency-ms" && has_value) {
      options.provider_latency_ms = int_option(argv[++i], "--provider-latency-ms", 0);
    } else if (arg == "--poll-ms" && has_value) {
      options.poll_ms = std::strtod(argv[++i], nullptr);
      if (!(options.poll_ms >= 0.1 && options.poll_ms <= 1000)) {
        die("--poll-ms takes milliseconds from 0.1 to 1000");
      }
    } else if (arg == "--clients" && has_value) {
      options.clients = int_option(argv[++i], "--clients", 1);
    } else if (arg == "--warmup" && has_value) {
      options.warmup = int_option(argv[++i], "--warmup", 0);
    } else if (arg == "--log-level" && has_value) {
      options.log_level = argv[++i];
    } else if (arg == "--only" && has_value) {
      options.only = argv[++i];
      if (options.only != "latency" && options.only != "throughput") {
        die("--only takes latency or throughput");
      }
    } else if (arg == "--keep") {
      options.keep = true;
    } else {
      std::fprintf(stderr, "%s\n", usage.c_str());
      return 2;
    }
  }

  std::atexit(stop_all_children);
  for (const int signal : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) {
    std::signal(signal, on_fatal_signal);
  }
  ::unsetenv("LEADSYNC_CONFIG");
  ::setenv("LEADSYNC_CRM_TOKEN", crm_token, 1);
  ::setenv("LEADSYNC_WEBHOOK_KEY", webhook_key, 1);
  ::setenv(pdl_key_env, pdl_key, 1);

  const fs::path work = leadsync::bench::work_folder("", "leadsync-webhook-bench");
  std::printf("webhook_bench: leadsync daemon, Dataverse webhook -> lead enriched (PDL) and "
              "scored in the CRM\n");
  std::printf("  machine: %u cores (nproc); load average at start: %s",
              std::thread::hardware_concurrency(), read_text("/proc/loadavg").c_str());
  std::printf("  options: --creates %d --burst %d --crm-latency-ms %d --provider-latency-ms %d "
              "--poll-ms %.1f --clients %d --warmup %d --log-level %s%s%s\n",
              options.creates, options.burst, options.crm_latency_ms, options.provider_latency_ms,
              options.poll_ms, options.clients, options.warmup, options.log_level.c_str(),
              options.only.empty() ? "" : (" --only " + options.only).c_str(),
              options.keep ? " --keep" : "");
  std::printf("  work folder: %s (%s)\n", work.c_str(),
              options.keep ? "kept" : "removed at the end; --keep keeps it");
  std::fflush(stdout);

  // The provider: the feeds emulator as People Data Labs, one planted record per person.
  const bool latency = options.only != "throughput";
  const bool throughput = options.only != "latency";
  const int paced_people = latency ? options.warmup + options.creates : 0;
  const int people = paced_people + (throughput ? options.burst : 0);
  Child feeds("feeds emulator",
              {FEEDS_EMULATOR, "--listen", "127.0.0.1:0", "--port-file",
               (work / "feeds.port").string(), "--quiet", "--api-key-env", pdl_key_env,
               "--population", "0", "--latency-ms", std::to_string(options.provider_latency_ms),
               "--threads", "2"},
              work / "feeds.port", work / "feeds.log");
  Json batch = Json::array();
  for (int index = 0; index < people; ++index) {
    // The paced and the burst people are generated as two populations of their own size.
    const PersonFacts facts =
        index < paced_people ? person(index, paced_people) : person(index, people);
    batch.push_back(leadsync::testing::emulator_person_record(facts));
    if (batch.size() == 1000 || index + 1 == people) {
      if (!leadsync::testing::plant_records(feeds.port(), "people", batch)) {
        die("the feeds emulator refused the planted people");
      }
      batch = Json::array();
    }
  }
  std::printf("  provider: feeds-emulator as PDL, --latency-ms %d, %s planted people (7 regions: "
              "Latin with diacritics, Cyrillic, Arabic; %d per company)\n",
              options.provider_latency_ms, with_commas(people).c_str(), people_per_company);
  std::printf("  daemon config: `leadsync init`, providers = [pdl] (person group), every "
              "[schedule] job off, push.max_parallel = 4\n");
  std::fflush(stdout);

  bool ok = true;
  if (latency) {
    ok = run_latency(options, work, feeds) && ok;
  }
  if (throughput) {
    ok = run_throughput(options, work, feeds, paced_people, people) && ok;
  }
  feeds.stop();
  if (!options.keep) {
    std::error_code ignored;
    fs::remove_all(work, ignored);
  }
  if (!ok) {
    std::fprintf(stderr, "webhook_bench: some events did not complete; see the figures above%s\n",
                 options.keep ? "" : " (run with --keep to look at the daemon's log)");
  }
  return ok ? 0 : 1;
}
