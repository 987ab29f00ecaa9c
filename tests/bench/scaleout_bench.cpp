// Scale-out push throughput (issue 16): one `leadsync push` against three at once, each signed in
// as its own application user, all on one PostgreSQL store. Dataverse's service-protection limits
// are per user, so three users may write three times as fast.
//
// Generates deterministic leads (60,000 by default), imports them once into a database of a
// throwaway PostgreSQL server (tests/support/postgres_server.hpp), and copies that database for
// each phase (CREATE DATABASE ... TEMPLATE), so both phases start from the same outbox. The
// Dataverse emulator runs profile dataverse with three client ids, a short window, 50 ms base
// latency and 2 ms per record (as push_bench).
//   phase 1: one `leadsync push` (user A) pushes all N;
//   phase 2: after an emulator reset, three `leadsync push` processes started at once (users A, B,
//            C) share the outbox (claims with SKIP LOCKED).
// Prints seconds and records/s of each, the ratio (target >= 2.7), phase 2 against the emulator's
// combined_ceiling_records_per_second of the three users (target >= 0.9) and phase 1 against the
// one-user ceiling, and checks that the CRM holds exactly N leads after each phase. Per process
// and per user it prints what explains a missed target: CPU seconds (of the pushes, the emulator,
// PostgreSQL and the rest of the machine), outbox entries claimed, requests, HTTP 429s.
//
//   scaleout_bench [--leads N] [--window-s W] [--latency-ms L] [--per-record-ms R] [--keep DIR]
//
// --latency-ms and --per-record-ms (50 and 2) set the emulator's modelled latency: a slower CRM
// lowers the ceiling, which shows whether a missed target is the CRM's limits or this machine's
// CPU.
// --keep DIR leaves the leads, the configs and the push outputs in DIR. The PostgreSQL server is
// started with tests/support/postgres_server.sh in a folder of this build (not the one of a ctest
// run) and stopped at the end, its databases with it.

#include "bench_support.hpp"
#include "leadsync_test_paths.hpp"
#include "support/emulator_process.hpp"
#include "support/postgres_server.hpp"
#include "support/raw_http.hpp"

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;
using leadsync::bench::ChildRun;
using leadsync::bench::digits;
using leadsync::bench::run_child;
using leadsync::bench::with_commas;
using leadsync::testing::EmulatorProcess;
using leadsync::testing::PostgresServer;
using leadsync::testing::RawConnection;
using Json = nlohmann::json;

constexpr int batch_size = 1000; // the most one bulk request may carry, as push_bench
constexpr int users = 3;
// Entra application ids are GUIDs (config validation insists); A, B and C.
constexpr std::array<const char*, users> client_ids = {"5ca1eb00-0000-4000-8000-00000000000a",
                                                       "5ca1eb00-0000-4000-8000-00000000000b",
                                                       "5ca1eb00-0000-4000-8000-00000000000c"};
constexpr const char* secret_env = "LEADSYNC_SCALEOUT_BENCH_SECRET";
constexpr const char* static_token = "scaleout-bench-token";
constexpr const char* tenant = "7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1a00"; // the emulator's

// Thrown when the benchmark cannot go on; main() reports it after the children have stopped.
struct BenchFailure {
  std::string message;
};

[[noreturn]] void give_up(const std::string& message) {
  throw BenchFailure{message};
}

// ---- the leads ------------------------------------------------------------------------------

struct Name {
  std::string_view first;
  std::string_view last;
  std::string_view title;
  std::string_view company;
  std::string_view tld;
  std::string_view country_code; // E.164 prefix
};

constexpr std::array<Name, 4> names = {{
    {"Anna", "Ivanova", "Head of Procurement", "Severstal Trade", "ru", "+7"},
    {"José", "Martínez", "IT Director", "Ibérica Foods", "es", "+34"},
    {"Chloé", "Dubois", "Responsable achats", "Lumière Distribution", "fr", "+33"},
    {"John", "O'Brien", "VP Operations", "Atlantic Freight", "com", "+1"},
}};

// Lead `index` in leadsync's JSON form; every lead has its own e-mail, so none merges with another.
Json lead(std::size_t index) {
  const Name& name = names[index % names.size()];
  const auto company_number = std::to_string(index % 997);
  const std::string domain = "scale-" + company_number + "." + std::string(name.tld);
  const std::string phone = std::string(name.country_code) + "9" + digits(index, 9);
  return {
      {"person",
       {{"first_name", name.first},
        {"last_name", name.last},
        {"job_title", name.title},
        {"emails", {"lead" + std::to_string(index) + "@" + domain}},
        {"phones", {{{"kind", "business"}, {"raw", phone}, {"e164", phone}, {"valid", true}}}}}},
      {"company",
       {{"name", std::string(name.company) + " " + company_number},
        {"domain", domain},
        {"employee_count", 10 + static_cast<int>(index % 5000)}}},
      {"subject", "Scale-out benchmark lead " + std::to_string(index)}};
}

// ---- child processes ------------------------------------------------------------------------

// The throwaway PostgreSQL server in LEADSYNC_TEST_PG_DIR (this build's, for the benchmark),
// started through postgres_server.sh and stopped when the benchmark ends, when it started it. Its
// output goes to a log file, not to a pipe: the server outlives the script and would hold the
// pipe open.
class PostgresProcess {
public:
  explicit PostgresProcess(const fs::path& log) {
    if (fs::exists(fs::path(LEADSYNC_TEST_PG_DIR) / ".s.PGSQL.5432")) {
      return; // running already: used as it is, stopped by whoever started it
    }
    started_ = script("start", log) == 0;
    if (!started_) {
      give_up("postgres_server.sh start failed; see " + log.string());
    }
  }
  PostgresProcess(const PostgresProcess&) = delete;
  PostgresProcess& operator=(const PostgresProcess&) = delete;
  ~PostgresProcess() {
    if (started_) {
      (void)script("stop", "/dev/null");
    }
  }

private:
  static int script(const std::string& action, const fs::path& log) {
    const std::string command = std::string(LEADSYNC_SOURCE_DIR) +
                                "/tests/support/postgres_server.sh " + action + " " +
                                LEADSYNC_TEST_PG_DIR + " </dev/null >" + log.string() + " 2>&1";
    return std::system(command.c_str());
  }
  bool started_ = false;
};

// Starts `argv` in `dir` with stdout to the file `out` (stderr passes through).
pid_t spawn(const std::vector<std::string>& argv, const fs::path& dir, const fs::path& out) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ::dup2(fd, STDOUT_FILENO) < 0 || ::chdir(dir.c_str()) != 0) {
      std::_Exit(127);
    }
    std::vector<char*> args;
    for (const auto& arg : argv) {
      args.push_back(const_cast<char*>(arg.c_str()));
    }
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    std::_Exit(127);
  }
  if (pid < 0) {
    give_up(std::string("fork failed: ") + std::strerror(errno));
  }
  return pid;
}

// Waits for each of `pids`, in the order they end, each measured from `started`; a child's
// standard output is read from its file in `outs`.
std::vector<ChildRun> wait_all(const std::vector<pid_t>& pids,
                               std::chrono::steady_clock::time_point started,
                               const std::vector<fs::path>& outs) {
  std::vector<ChildRun> runs(pids.size());
  std::size_t left = pids.size();
  while (left > 0) {
    int status = 0;
    rusage usage{};
    const pid_t pid = ::wait4(-1, &status, 0, &usage);
    if (pid < 0) {
      give_up(std::string("wait4 failed: ") + std::strerror(errno));
    }
    for (std::size_t index = 0; index < pids.size(); ++index) {
      if (pids[index] != pid) {
        continue;
      }
      ChildRun& run = runs[index];
      run.seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      run.max_rss_kib = usage.ru_maxrss;
      run.cpu_seconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                        static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
      std::ifstream in(outs[index]);
      std::stringstream text;
      text << in.rdbuf();
      run.out = text.str();
      --left;
    }
  }
  return runs;
}

// ---- where the CPU went ---------------------------------------------------------------------

// CPU seconds from /proc (Linux), to tell a benchmark bound by the CRM's limits from one starved of
// CPU: the whole machine's busy time, the emulator's, and the PostgreSQL server's (the postmaster
// with the backends it has reaped, plus those alive).
struct CpuSample {
  double machine_busy = 0;
  double emulator = 0;
  double postgres = 0;
};

double clock_tick() {
  static const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return ticks;
}

// The fields of /proc/<pid>/stat after the command name: [0] state, [1] ppid, [11] utime,
// [12] stime, [13] cutime, [14] cstime (proc(5)). Empty when the process is gone.
std::vector<std::string> proc_stat(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) {
    return {};
  }
  std::istringstream fields(text.substr(close + 1));
  std::vector<std::string> values;
  for (std::string value; fields >> value;) {
    values.push_back(value);
  }
  return values.size() > 14 ? values : std::vector<std::string>{};
}

double own_seconds(const std::vector<std::string>& stat) {
  return stat.empty() ? 0 : (std::stod(stat[11]) + std::stod(stat[12])) / clock_tick();
}
double reaped_seconds(const std::vector<std::string>& stat) {
  return stat.empty() ? 0 : (std::stod(stat[13]) + std::stod(stat[14])) / clock_tick();
}

CpuSample sample_cpu() {
  CpuSample sample;
  {
    std::ifstream in("/proc/stat");
    std::string cpu;
    double user = 0, nice = 0, system = 0;
    in >> cpu >> user >> nice >> system;
    sample.machine_busy = (user + nice + system) / clock_tick(); // irq and steal left out
  }
  std::string postmaster;
  std::ifstream(fs::path(LEADSYNC_TEST_PG_DIR) / "data/postmaster.pid") >> postmaster;
  const std::string me = std::to_string(::getpid());
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string pid = entry.path().filename().string();
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    const auto stat = proc_stat(pid);
    if (stat.empty()) {
      continue;
    }
    if (pid == postmaster) {
      sample.postgres += own_seconds(stat) + reaped_seconds(stat);
    } else if (!postmaster.empty() && stat[1] == postmaster) {
      sample.postgres += own_seconds(stat);
    } else if (stat[1] == me) {
      sample.emulator += own_seconds(stat); // sampled between pushes: the only child then
    }
  }
  return sample;
}

// ---- the emulator's admin endpoints ---------------------------------------------------------

std::optional<Json> admin_call(std::uint16_t port, const std::string& method,
                               const std::string& path) {
  RawConnection connection(port);
  if (!connection.connected() ||
      !connection.send(method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                       "0\r\nConnection: close\r\n\r\n")) {
    return std::nullopt;
  }
  const auto response = connection.read_response(std::chrono::seconds(10));
  if (!response || RawConnection::status_of(*response) != 200) {
    return std::nullopt;
  }
  auto parsed = Json::parse(response->substr(response->find("\r\n\r\n") + 4), nullptr, false);
  return parsed.is_discarded() ? std::nullopt : std::optional<Json>(std::move(parsed));
}

Json stats(std::uint16_t port) {
  auto answer = admin_call(port, "GET", "/_emulator/stats");
  if (!answer) {
    give_up("GET /_emulator/stats failed");
  }
  return *answer;
}

// ---- setting up leadsync --------------------------------------------------------------------

void replace_line(std::string& text, const std::string& from, const std::string& to) {
  const auto at = text.find("\n" + from + "\n");
  if (at == std::string::npos) {
    give_up("the config `leadsync init` wrote has no line \"" + from + "\"");
  }
  text.replace(at + 1, from.size(), to);
}

// `leadsync init` in `dir` once, then leadsync-<user>.toml per application user: at the emulator
// with client credentials, push.batch_size 1000, the store at "@STORE@" (set per phase).
std::string config_template(const fs::path& dir, const std::string& crm_url) {
  if (run_child({LEADSYNC_EXE, "init", dir.string()}, dir.parent_path()).exit_code != 0) {
    give_up("leadsync init failed");
  }
  std::ifstream in(dir / "leadsync.toml");
  std::stringstream text;
  text << in.rdbuf();
  std::string config = text.str();
  replace_line(config, "url = \"http://127.0.0.1:8765\"", "url = \"" + crm_url + "\"");
  replace_line(config, "token_env = \"LEADSYNC_CRM_TOKEN\"", "");
  replace_line(config, "authority = \"https://login.microsoftonline.com\"",
               "authority = \"" + crm_url + "\"");
  replace_line(config, "batch_size = 200", "batch_size = " + std::to_string(batch_size));
  replace_line(config, "url = \"sqlite://state.db\"", "url = \"@STORE@\"");
  return config;
}

fs::path write_config(const fs::path& dir, const std::string& text, int user,
                      const std::string& store_url) {
  std::string config = text;
  replace_line(config, "mode = \"static_token\"",
               std::string("mode = \"client_credentials\"\ntenant = \"") + tenant +
                   "\"\nclient_id = \"" + client_ids[static_cast<std::size_t>(user)] +
                   "\"\nclient_secret_env = \"" + secret_env + "\"");
  config.replace(config.find("@STORE@"), 7, store_url);
  auto path = dir / ("leadsync-" + std::string(1, static_cast<char>('a' + user)) + ".toml");
  std::ofstream(path, std::ios::trunc) << config;
  return path;
}

// ---- one phase ------------------------------------------------------------------------------

struct Phase {
  std::string name;
  std::size_t records = 0;
  double seconds = 0;
  std::vector<ChildRun> pushes;
  Json stats;                                  // the emulator's, after the phase
  std::map<std::string, std::int64_t> claimed; // outbox entries claimed, per process (runs)
  CpuSample cpu;                               // used during the phase
  double rate() const { return static_cast<double>(records) / seconds; }
};

// The pushes' records: outbox entries claimed per process ("host:pid") in the phase's database.
std::map<std::string, std::int64_t> claims_by_process(const PostgresServer& server,
                                                      const std::string& database) {
  std::map<std::string, std::int64_t> claimed;
  std::istringstream rows(
      server.psql(database, "SELECT owner, counts FROM runs WHERE kind = 'push'"));
  std::string line;
  while (std::getline(rows, line)) {
    const auto bar = line.find('|');
    const auto counts = Json::parse(line.substr(bar + 1), nullptr, false);
    claimed[line.substr(0, bar)] += counts.is_object() ? counts.value("claimed", 0) : 0;
  }
  return claimed;
}

// Runs `leadsync push` with each config at once; the phase ends when the last one exits.
Phase run_phase(const std::string& name, const std::vector<fs::path>& configs, const fs::path& work,
                std::uint16_t emulator_port, const PostgresServer& server,
                const std::string& database, std::size_t expected) {
  std::printf("%s: %zu push process(es)...\n", name.c_str(), configs.size());
  std::fflush(stdout);
  Phase phase;
  phase.name = name;
  std::vector<pid_t> pids;
  std::vector<fs::path> outs;
  const CpuSample before = sample_cpu();
  const auto started = std::chrono::steady_clock::now();
  for (std::size_t index = 0; index < configs.size(); ++index) {
    outs.push_back(
        work / ("push-" + std::to_string(configs.size()) + "-" + std::to_string(index) + ".txt"));
    pids.push_back(
        spawn({LEADSYNC_EXE, "-c", configs[index].string(), "--log-level", "warn", "push"}, work,
              outs.back()));
  }
  phase.pushes = wait_all(pids, started, outs);
  phase.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const CpuSample after = sample_cpu();
  phase.cpu = {.machine_busy = after.machine_busy - before.machine_busy,
               .emulator = after.emulator - before.emulator,
               .postgres = after.postgres - before.postgres};
  for (std::size_t index = 0; index < configs.size(); ++index) {
    if (phase.pushes[index].exit_code != 0) {
      give_up(name + ": leadsync push " + std::to_string(index) + " failed (exit " +
              std::to_string(phase.pushes[index].exit_code) + "): " + phase.pushes[index].out);
    }
  }
  phase.stats = stats(emulator_port);
  phase.records = phase.stats.at("rows").at("leads").get<std::size_t>();
  if (phase.records != expected) {
    give_up(name + ": the CRM holds " + std::to_string(phase.records) + " leads, expected " +
            std::to_string(expected));
  }
  const auto left = server.psql(database, "SELECT count(*) FROM outbox");
  if (left != "0") {
    give_up(name + ": " + left + " changes are still in the outbox");
  }
  phase.claimed = claims_by_process(server, database);
  return phase;
}

void print_phase(const Phase& phase, double ceiling) {
  std::printf("  %-26s %8s %8.2f %10s %9.1f%%\n", phase.name.c_str(),
              with_commas(static_cast<double>(phase.records)).c_str(), phase.seconds,
              with_commas(phase.rate()).c_str(), 100.0 * phase.rate() / ceiling);
}

// What explains the figure: per push process its time, CPU and claims; per user its requests and
// 429s.
void print_details(const Phase& phase) {
  std::printf("  %s:\n", phase.name.c_str());
  for (std::size_t index = 0; index < phase.pushes.size(); ++index) {
    std::printf("    push %zu: %.2f s, %.2f CPU s, peak %ld MiB\n", index,
                phase.pushes[index].seconds, phase.pushes[index].cpu_seconds,
                phase.pushes[index].max_rss_kib / 1024);
  }
  double pushes_cpu = 0;
  for (const auto& push : phase.pushes) {
    pushes_cpu += push.cpu_seconds;
  }
  const double cores = static_cast<double>(std::thread::hardware_concurrency());
  std::printf(
      "    CPU seconds used in the %.1f s (%.0f cores: %.1f available): machine %.1f, of which "
      "pushes %.1f, emulator %.1f, PostgreSQL %.1f, everything else %.1f\n",
      phase.seconds, cores, cores * phase.seconds, phase.cpu.machine_busy, pushes_cpu,
      phase.cpu.emulator, phase.cpu.postgres,
      phase.cpu.machine_busy - pushes_cpu - phase.cpu.emulator - phase.cpu.postgres);
  for (const auto& [process, claimed] : phase.claimed) {
    std::printf("    %s claimed %s outbox entries\n", process.c_str(),
                with_commas(static_cast<double>(claimed)).c_str());
  }
  for (const auto& user : phase.stats.at("users")) {
    if (user.at("requests").get<std::int64_t>() == 0) {
      continue;
    }
    std::printf("    user %-17s %5lld requests, %4lld HTTP 429\n",
                user.at("client_id").get<std::string>().c_str(),
                static_cast<long long>(user.at("requests").get<std::int64_t>()),
                static_cast<long long>(user.at("throttled").get<std::int64_t>()));
  }
  std::printf("    most requests in flight at once (all users): %lld\n",
              static_cast<long long>(phase.stats.at("max_concurrency_seen").get<std::int64_t>()));
}

} // namespace

int run_bench(int argc, char** argv) {
  std::size_t lead_count = 60'000;
  int window_s = 10;
  int base_latency_ms = 50;
  int per_record_ms = 2;
  std::string keep;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--leads" && i + 1 < argc) {
      lead_count = std::stoul(argv[++i]);
    } else if (arg == "--latency-ms" && i + 1 < argc) {
      base_latency_ms = std::stoi(argv[++i]);
    } else if (arg == "--per-record-ms" && i + 1 < argc) {
      per_record_ms = std::stoi(argv[++i]);
    } else if (arg == "--window-s" && i + 1 < argc) {
      window_s = std::stoi(argv[++i]);
    } else if (arg == "--keep" && i + 1 < argc) {
      keep = argv[++i];
    } else {
      std::fprintf(stderr, "usage: scaleout_bench [--leads N] [--window-s W] [--latency-ms L] "
                           "[--per-record-ms R] [--keep DIR]\n");
      return 2;
    }
  }
  const fs::path work = leadsync::bench::work_folder(keep, "leadsync-scaleout-bench");
  // First, while this process has no file open that the server could inherit.
  const PostgresProcess postgres(work / "postgres.log");
  PostgresServer* server = PostgresServer::shared();
  if (server == nullptr) {
    give_up(PostgresServer::why_not());
  }

  ::setenv(secret_env, "scaleout-bench-secret", 1); // the emulator's and the pushes' environment
  std::vector<std::string> emulator_args = {"--profile",           "dataverse",
                                            "--window-s",          std::to_string(window_s),
                                            "--latency-ms",        std::to_string(base_latency_ms),
                                            "--per-record-ms",     std::to_string(per_record_ms),
                                            "--static-token",      static_token,
                                            "--client-secret-env", secret_env};
  for (const char* client_id : client_ids) {
    emulator_args.insert(emulator_args.end(), {"--client-id", client_id});
  }
  EmulatorProcess emulator(DATAVERSE_EMULATOR, emulator_args);
  if (emulator.port() == 0) {
    give_up(std::string("the emulator did not start: ") + DATAVERSE_EMULATOR);
  }

  // The leads, imported once; each phase starts from a copy of that database.
  const auto leads = work / "leads.jsonl";
  {
    std::ofstream out(leads, std::ios::binary);
    for (std::size_t index = 0; index < lead_count; ++index) {
      out << lead(index).dump() << '\n';
    }
  }
  const fs::path config_dir = work / "leadsync";
  const std::string text = config_template(config_dir, emulator.url());
  const std::string template_url = server->fresh_database_url();
  const std::string template_db = template_url.substr(template_url.rfind('/') + 1);
  const auto importer = write_config(config_dir, text, 0, template_url);
  const auto imported =
      run_child({LEADSYNC_EXE, "-c", importer.string(), "import", leads.string(), "--json"}, work);
  if (imported.exit_code != 0) {
    give_up("leadsync import failed (exit " + std::to_string(imported.exit_code) +
            "): " + imported.out);
  }
  if (server->psql(template_db, "SELECT count(*) FROM outbox") != std::to_string(lead_count)) {
    give_up("the import did not leave one outbox entry per lead");
  }
  std::printf("%s leads imported into PostgreSQL in %.1f s\n",
              with_commas(static_cast<double>(lead_count)).c_str(), imported.seconds);
  const auto phase_database = [&](const std::string& suffix) {
    std::string name = template_db + "_" + suffix;
    server->psql("postgres", "CREATE DATABASE " + name + " TEMPLATE " + template_db);
    return name;
  };

  const Json before = stats(emulator.port());
  const double ceiling = before.at("ceiling_records_per_second").get<double>();
  const double combined = before.at("combined_ceiling_records_per_second").get<double>();
  const auto& limits = before.at("limits");
  std::printf("emulator: profile dataverse, %d application users, window %d s (%s requests, %s ms "
              "of execution per window and user), latency %d ms + %d ms per record, "
              "x-ms-dop-hint %d\n",
              before.at("application_users").get<int>(), window_s,
              with_commas(limits.at("max_requests").get<double>()).c_str(),
              with_commas(limits.at("max_execution_ms").get<double>()).c_str(), base_latency_ms,
              per_record_ms, limits.at("dop_hint").get<int>());
  std::printf("ceiling: %s records/s per user, %s records/s for %d users (requests of %d records, "
              "bound by %s)\n",
              with_commas(ceiling).c_str(), with_commas(combined).c_str(), users,
              before.at("ceiling").at("batch_size").get<int>(),
              before.at("ceiling").at("binding_limit").get<std::string>().c_str());
  std::printf("leadsync: push.mode bulk, push.batch_size %d, push.max_parallel auto; "
              "store PostgreSQL\n",
              batch_size);
  std::fflush(stdout);

  const std::string one_db = phase_database("one");
  const Phase one =
      run_phase("1 process, user A", {write_config(config_dir, text, 0, server->url(one_db))}, work,
                emulator.port(), *server, one_db, lead_count);

  if (!admin_call(emulator.port(), "POST", "/_emulator/reset")) {
    give_up("POST /_emulator/reset failed");
  }
  const std::string three_db = phase_database("three");
  std::vector<fs::path> configs;
  for (int user = 0; user < users; ++user) {
    configs.push_back(write_config(config_dir, text, user, server->url(three_db)));
  }
  const Phase three = run_phase("3 processes, users A, B, C", configs, work, emulator.port(),
                                *server, three_db, lead_count);

  std::printf("\n  %-26s %8s %8s %10s %10s\n", "", "records", "seconds", "records/s", "% ceiling");
  print_phase(one, ceiling);
  print_phase(three, combined);
  std::printf("  (phase 1 against the one-user ceiling, phase 2 against the %d-user one)\n\n",
              users);
  print_details(one);
  print_details(three);
  const double ratio = three.rate() / one.rate();
  std::printf("\nratio: 3 processes push %.2fx as fast as 1\n", ratio);
  std::printf("targets: ratio >= 2.7 (%s), 3 processes >= 90%% of the combined ceiling (%s); "
              "1 process at %.1f%% of the one-user ceiling\n",
              ratio >= 2.7 ? "met" : "NOT met", three.rate() >= 0.9 * combined ? "met" : "NOT met",
              100.0 * one.rate() / ceiling);
  if (keep.empty()) {
    fs::remove_all(work);
  }
  return 0;
}

int main(int argc, char** argv) {
  try {
    return run_bench(argc, argv);
  } catch (const BenchFailure& failure) {
    std::fprintf(stderr, "scaleout_bench: %s\n", failure.message.c_str());
    return 1;
  } catch (const std::exception& problem) {
    std::fprintf(stderr, "scaleout_bench: %s\n", problem.what());
    return 1;
  }
}
