// Push throughput against the service-protection limits: generates deterministic leads (20,000 by
// default), imports them into a fresh SQLite store with the `leadsync` executable, and pushes them
// with `leadsync push` to the Dataverse emulator (profile dataverse, a short window, 50 ms base
// latency, 2 ms per record). Then, on the same emulator after a reset, the Node.js script in
// tests/bench/node-push creates the same leads (the bodies `leadsync push --dry-run` shows) with
// dynamics-web-api as its documentation shows: sequential $batch requests of 1,000 creates.
// Prints records per second of each as a fraction of the emulator's bulk-write ceiling
// (GET /_emulator/stats: batches of 1,000, the most one request may carry) and their ratio, and
// checks that the CRM holds every lead exactly once after each run.
//
// The window (10 s by default) is short next to Dataverse's 300 s, so that one window's execution
// budget (40,000 ms) is less than the run needs (about 41,000 ms for 20,000 records), and long next
// to one request of 1,000 records (2,050 ms), so that the whole-second Retry-After and the few
// requests in a window do not decide the figure. The ceiling does not depend on the window.
//
//   push_bench [--leads N] [--window-s W] [--batch-size B] [--keep DIR] [--no-node]
//
// --batch-size is leadsync's push.batch_size (default 1000); --keep DIR leaves the leads, the
// store and the Node input in DIR; --no-node skips the Node run. The Node package is installed
// with `npm ci` the first time (a few seconds).

#include "bench_support.hpp"
#include "leadsync_test_paths.hpp"
#include "support/emulator_process.hpp"
#include "support/raw_http.hpp"

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;
using leadsync::bench::ChildRun;
using leadsync::bench::digits;
using leadsync::bench::run_child;
using leadsync::bench::with_commas;
using Json = nlohmann::json;
using leadsync::testing::EmulatorProcess;
using leadsync::testing::RawConnection;

constexpr const char* test_token = "push-bench-token";
constexpr int base_latency_ms = 50;
constexpr int per_record_ms = 2;

// ---- the leads ------------------------------------------------------------------------------

struct Name {
  std::string_view first;
  std::string_view last;
  std::string_view title;
  std::string_view company;
  std::string_view tld;
  std::string_view country_code; // E.164 prefix
};

constexpr std::array<Name, 6> names = {{
    {"Anna", "Ivanova", "Head of Procurement", "Severstal Trade", "ru", "+7"},
    {"Дмитрий", "Соколов", "Финансовый директор", "Уралмаш", "ru", "+7"},
    {"ريم", "الحداد", "مديرة المشتريات", "Gulf Logistics", "ae", "+971"},
    {"José", "Martínez", "IT Director", "Ibérica Foods", "es", "+34"},
    {"Chloé", "Dubois", "Responsable achats", "Lumière Distribution", "fr", "+33"},
    {"John", "O'Brien", "VP Operations", "Atlantic Freight", "com", "+1"},
}};
constexpr std::array<std::string_view, 5> industries = {
    "Wholesale", "Transportation", "Durable Manufacturing", "Financial", "Business Services"};
constexpr std::array<std::string_view, 3> channels = {"web", "trade_show", "partner"};

// Lead `index` in leadsync's JSON form; every lead has its own e-mail, so none merges with another.
Json lead(std::size_t index) {
  const Name& name = names[index % names.size()];
  const auto company_number = std::to_string(index % 997);
  const std::string domain = "bench-" + company_number + "." + std::string(name.tld);
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
        {"industry", industries[index % industries.size()]},
        {"employee_count", 10 + static_cast<int>(index % 5000)}}},
      {"origin", {{"channel", channels[index % channels.size()]}}},
      {"subject", "Push benchmark lead " + std::to_string(index)}};
}

void write_leads(const fs::path& path, std::size_t count) {
  std::ofstream out(path, std::ios::binary);
  for (std::size_t index = 0; index < count; ++index) {
    out << lead(index).dump() << '\n';
  }
}

// Thrown when the benchmark cannot go on; main() reports it after the emulator has been stopped.
struct BenchFailure {
  std::string message;
};

[[noreturn]] void give_up(const std::string& message) {
  throw BenchFailure{message};
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
  const auto body = response->find("\r\n\r\n");
  auto parsed = Json::parse(response->substr(body + 4), nullptr, false);
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

// `leadsync init` in `dir`, pointed at the emulator, with push.batch_size = batch_size.
fs::path write_config(const fs::path& dir, const std::string& crm_url, int batch_size) {
  if (run_child({LEADSYNC_EXE, "init", dir.string()}, dir.parent_path()).exit_code != 0) {
    give_up("leadsync init failed");
  }
  auto path = dir / "leadsync.toml";
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string config = text.str();
  replace_line(config, "url = \"http://127.0.0.1:8765\"", "url = \"" + crm_url + "\"");
  replace_line(config, "batch_size = 200", "batch_size = " + std::to_string(batch_size));
  std::ofstream(path, std::ios::trunc) << config;
  return path;
}

// The bodies `leadsync push --dry-run` would send, one per line, as creates: the alternate key
// that addresses each target becomes its leadsync_externalid column.
std::size_t write_node_records(const std::string& dry_run, const fs::path& path) {
  std::ofstream out(path, std::ios::binary);
  std::size_t records = 0;
  std::istringstream lines(dry_run);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.starts_with("{\"Targets\"")) {
      continue;
    }
    Json body = Json::parse(line);
    for (auto& target : body.at("Targets")) {
      const auto address = target.at("@odata.id").get<std::string>(); // leads(key='id')
      const auto open = address.find("='");
      const auto close = address.rfind("')");
      if (open == std::string::npos || close == std::string::npos || close < open) {
        give_up("unexpected target address in the dry run: " + address);
      }
      const auto key = address.substr(address.find('(') + 1, open - address.find('(') - 1);
      target[key] = address.substr(open + 2, close - open - 2);
      target.erase("@odata.id");
      target.erase("@odata.type");
      out << target.dump() << '\n';
      ++records;
    }
  }
  return records;
}

// ---- one run --------------------------------------------------------------------------------

struct Figures {
  std::string name;
  std::size_t records = 0;
  double seconds = 0;
  std::int64_t throttled = 0;
  std::int64_t requests = 0;
  std::int64_t max_in_flight = 0;
  double rate() const { return static_cast<double>(records) / seconds; }
};

// Reads what the run left in the emulator; fails when the CRM does not hold each lead exactly once.
Figures figures_of(const std::string& name, const ChildRun& run, std::uint16_t port,
                   std::size_t expected) {
  const Json after = stats(port);
  const auto leads = after.at("rows").at("leads").get<std::size_t>();
  if (leads != expected) {
    give_up(name + ": the CRM holds " + std::to_string(leads) + " leads, expected " +
            std::to_string(expected));
  }
  Figures figures;
  figures.name = name;
  figures.records = leads;
  figures.seconds = run.seconds;
  figures.throttled = after.at("throttled").get<std::int64_t>();
  figures.requests = after.at("requests_total").get<std::int64_t>();
  figures.max_in_flight = after.at("max_concurrency_seen").get<std::int64_t>();
  return figures;
}

std::optional<Figures> run_node(const fs::path& records, std::size_t expected,
                                const EmulatorProcess& emulator) {
  const fs::path node_dir = fs::path(LEADSYNC_SOURCE_DIR) / "tests/bench/node-push";
  if (!fs::exists(node_dir / "node_modules/dynamics-web-api/package.json")) {
    std::printf("  installing the Node package (npm ci)...\n");
    std::fflush(stdout);
    const auto install =
        run_child({"npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"}, node_dir);
    if (install.exit_code != 0) {
      std::printf("  npm ci failed (exit %d): the dynamics-web-api run is skipped\n",
                  install.exit_code);
      return std::nullopt;
    }
  }
  const auto run = run_child(
      {"node", (node_dir / "push.js").string(), emulator.url(), test_token, records.string()},
      node_dir);
  if (run.exit_code != 0) {
    std::printf("  node push.js failed (exit %d): %s\n", run.exit_code, run.out.c_str());
    return std::nullopt;
  }
  return figures_of("dynamics-web-api", run, emulator.port(), expected);
}

void print_row(const Figures& row, double ceiling) {
  std::printf("  %-17s %8s %8.2f %10s %9.1f%% %8lld %8lld %13lld\n", row.name.c_str(),
              with_commas(static_cast<double>(row.records)).c_str(), row.seconds,
              with_commas(row.rate()).c_str(), 100.0 * row.rate() / ceiling,
              static_cast<long long>(row.requests), static_cast<long long>(row.throttled),
              static_cast<long long>(row.max_in_flight));
}

} // namespace

int run_bench(int argc, char** argv) {
  std::size_t lead_count = 20'000;
  int window_s = 10;
  int batch_size = 1000;
  std::string keep;
  bool node = true;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--leads" && i + 1 < argc) {
      lead_count = std::stoul(argv[++i]);
    } else if (arg == "--window-s" && i + 1 < argc) {
      window_s = std::stoi(argv[++i]);
    } else if (arg == "--batch-size" && i + 1 < argc) {
      batch_size = std::stoi(argv[++i]);
    } else if (arg == "--keep" && i + 1 < argc) {
      keep = argv[++i];
    } else if (arg == "--no-node") {
      node = false;
    } else {
      std::fprintf(stderr, "usage: push_bench [--leads N] [--window-s W] [--batch-size B] "
                           "[--keep DIR] [--no-node]\n");
      return 2;
    }
  }
  const fs::path work = leadsync::bench::work_folder(keep, "leadsync-push-bench");

  EmulatorProcess emulator(DATAVERSE_EMULATOR,
                           {"--profile", "dataverse", "--window-s", std::to_string(window_s),
                            "--latency-ms", std::to_string(base_latency_ms), "--per-record-ms",
                            std::to_string(per_record_ms), "--static-token", test_token});
  if (emulator.port() == 0) {
    give_up(std::string("the emulator did not start: ") + DATAVERSE_EMULATOR);
  }
  ::setenv("LEADSYNC_CRM_TOKEN", test_token, 1);

  const auto leads = work / "leads.jsonl";
  write_leads(leads, lead_count);
  const auto config = write_config(work / "leadsync", emulator.url(), batch_size);
  const auto imported =
      run_child({LEADSYNC_EXE, "-c", config.string(), "import", leads.string(), "--json"}, work);
  if (imported.exit_code != 0) {
    give_up("leadsync import failed (exit " + std::to_string(imported.exit_code) + ")");
  }
  const auto node_records = work / "node-records.jsonl";
  const auto dry_run = run_child({LEADSYNC_EXE, "-c", config.string(), "push", "--dry-run",
                                  "--limit", std::to_string(lead_count)},
                                 work);
  if (dry_run.exit_code != 0 || write_node_records(dry_run.out, node_records) != lead_count) {
    give_up("leadsync push --dry-run did not show one body per lead (exit " +
            std::to_string(dry_run.exit_code) + ")");
  }

  const Json before = stats(emulator.port());
  const double ceiling = before.at("ceiling_records_per_second").get<double>();
  const auto& limits = before.at("limits");
  std::printf("%s leads; emulator: profile dataverse, window %d s (%s requests, %s ms of "
              "execution per window), latency %d ms + %d ms per record, x-ms-dop-hint %d\n",
              with_commas(static_cast<double>(lead_count)).c_str(), window_s,
              with_commas(limits.at("max_requests").get<double>()).c_str(),
              with_commas(limits.at("max_execution_ms").get<double>()).c_str(), base_latency_ms,
              per_record_ms, limits.at("dop_hint").get<int>());
  std::printf("ceiling: %s records/s for requests of %d records (bound by %s)\n",
              with_commas(ceiling).c_str(), before.at("ceiling").at("batch_size").get<int>(),
              before.at("ceiling").at("binding_limit").get<std::string>().c_str());
  std::printf("leadsync: push.mode bulk, push.batch_size %d, push.max_parallel auto\n", batch_size);
  std::fflush(stdout);

  const auto pushed = run_child({LEADSYNC_EXE, "-c", config.string(), "push"}, work);
  if (pushed.exit_code != 0) {
    give_up("leadsync push failed (exit " + std::to_string(pushed.exit_code) + "): " + pushed.out);
  }
  const Figures ours = figures_of("leadsync push", pushed, emulator.port(), lead_count);

  std::optional<Figures> theirs;
  if (node) {
    if (!admin_call(emulator.port(), "POST", "/_emulator/reset")) {
      give_up("POST /_emulator/reset failed");
    }
    theirs = run_node(node_records, lead_count, emulator);
  }

  std::printf("\n  %-17s %8s %8s %10s %10s %8s %8s %13s\n", "", "records", "seconds", "records/s",
              "% ceiling", "requests", "HTTP 429", "max in flight");
  print_row(ours, ceiling);
  if (theirs) {
    print_row(*theirs, ceiling);
    std::printf("\nratio: leadsync push is %.2fx dynamics-web-api\n", ours.rate() / theirs->rate());
  }
  const bool ceiling_met = ours.rate() >= 0.9 * ceiling;
  const bool ratio_met = theirs && ours.rate() >= 3 * theirs->rate();
  std::printf("targets: >= 90%% of the ceiling (%s), >= 3x dynamics-web-api (%s)\n",
              ceiling_met ? "met" : "NOT met",
              theirs ? (ratio_met ? "met" : "NOT met") : "not measured");
  if (keep.empty()) {
    fs::remove_all(work);
  }
  return 0;
}

int main(int argc, char** argv) {
  try {
    return run_bench(argc, argv);
  } catch (const BenchFailure& failure) {
    std::fprintf(stderr, "push_bench: %s\n", failure.message.c_str());
    return 1;
  }
}
