// CSV import throughput: generates a deterministic dirty lead list (1,000,000 rows by default:
// Latin, Cyrillic and Arabic names, phones written every way, ~10% duplicates, ~2% bad rows),
// imports it with the `leadsync` executable into a fresh SQLite store, and then with the Node.js
// pipeline in tests/bench/node-import (csv-parse, libphonenumber-js, better-sqlite3) on the same
// file. Prints rows per second and peak RSS of each (getrusage of the child) and the ratio.
//
//   import_bench [--rows N] [--keep DIR] [--no-node]
//
// --keep DIR writes the list and the stores into DIR and leaves them there (for profiling);
// --no-node skips the Node pipeline. It also times leadsync's phone validation (libphonenumber)
// alone on one core, over the list's phone column, and prints the ceiling that puts on the import.
// The Node packages are installed with `npm ci` the first time (better-sqlite3 compiles from
// source, about two minutes).

#include "bench_support.hpp"
#include "leadsync/importer/normalize.hpp"

#include <array>
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
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;
using leadsync::bench::ChildRun;
using leadsync::bench::digits;
using leadsync::bench::run_child;
using leadsync::bench::with_commas;

// ---- the list --------------------------------------------------------------------------------

std::uint64_t mix(std::uint64_t value) { // splitmix64
  value += 0x9E3779B97F4A7C15ULL;
  value = (value ^ (value >> 30U)) * 0xBF58476D1CE4E5B9ULL;
  value = (value ^ (value >> 27U)) * 0x94D049BB133111EBULL;
  return value ^ (value >> 31U);
}

// Deterministic draws for one row or person.
class Draw {
public:
  explicit Draw(std::uint64_t seed) : state_(mix(seed)) {}
  std::uint64_t next() { return state_ = mix(state_); }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
  bool chance(unsigned percent) { return below(100) < percent; }
  template <typename T, std::size_t N> const T& pick(const std::array<T, N>& items) {
    return items[below(N)];
  }

private:
  std::uint64_t state_;
};

constexpr std::array<std::string_view, 24> latin_first = {
    "James", "Mary",  "John",  "Patricia", "Robert",   "Jennifer", "Michael", "Linda",
    "David", "Elena", "José",  "María",    "François", "Zoë",      "Jürgen",  "Søren",
    "Ana",   "Luis",  "Chloé", "Noël",     "Renée",    "Peter",    "Susan",   "Thomas"};
constexpr std::array<std::string_view, 24> latin_last = {
    "Smith",    "Johnson", "Williams", "Brown",   "Jones",    "García",  "Miller",   "Davis",
    "Müller",   "Schmidt", "Dubois",   "Lefèvre", "Martínez", "López",   "Gonzalez", "Wilson",
    "Anderson", "Thomas",  "Taylor",   "Moore",   "O'Brien",  "MacLeod", "Núñez",    "Jackson"};
constexpr std::array<std::string_view, 20> cyrillic_first = {
    "Иван",  "Мария",    "Сергей",  "Анна",    "Алексей", "Елена",  "Дмитрий",
    "Ольга", "Андрей",   "Татьяна", "Николай", "Наталья", "Михаил", "Ирина",
    "Павел", "Светлана", "Артём",   "Юлия",    "Фёдор",   "Ксения"};
constexpr std::array<std::string_view, 20> cyrillic_last = {
    "Иванов",   "Смирнов", "Кузнецов", "Попов",   "Васильев", "Петров",   "Соколов",
    "Михайлов", "Новиков", "Фёдоров",  "Морозов", "Волков",   "Алексеев", "Лебедев",
    "Семёнов",  "Егоров",  "Павлов",   "Козлов",  "Степанов", "Николаев"};
constexpr std::array<std::string_view, 20> arabic_first = {
    "محمد", "أحمد", "فاطمة",   "علي",  "عائشة",   "عمر", "خالد",  "مريم", "يوسف", "نورة",
    "حسن",  "سارة", "إبراهيم", "ليلى", "عبدالله", "هدى", "سلمان", "ريم",  "طارق", "منى"};
constexpr std::array<std::string_view, 20> arabic_last = {
    "الحداد",  "العتيبي", "الشمري",  "القحطاني", "الدوسري", "المطيري",  "الزهراني",
    "الغامدي", "الحربي",  "السبيعي", "العنزي",   "البلوشي", "المنصوري", "الكعبي",
    "النعيمي", "الشامسي", "الظاهري", "المهيري",  "السويدي", "الفلاسي"};
constexpr std::array<std::string_view, 16> transliterated = {
    "ivan", "maria", "sergey", "anna", "alex",  "elena", "omar",  "fatima",
    "ali",  "yusuf", "john",   "mary", "david", "linda", "peter", "susan"};
constexpr std::array<std::string_view, 10> titles = {
    "CEO",      "CTO",           "Head of Sales",       "Директор по закупкам",
    "Менеджер", "مدير المبيعات", "Procurement Manager", "IT Director",
    "مهندس",    "Marketing Lead"};
constexpr std::array<std::string_view, 5> free_mail = {"gmail.com", "mail.ru", "yandex.ru",
                                                       "hotmail.com", "outlook.com"};

constexpr std::size_t companies = 200'000;

struct Person {
  std::string first;
  std::string last;
  std::string email;
  std::string phone;
  std::string company;
  std::string website;
  std::string city;
  std::string country;
  std::string title;
};

std::string arabic_indic(std::string_view ascii) {
  static constexpr std::array<std::string_view, 10> eastern = {"٠", "١", "٢", "٣", "٤",
                                                               "٥", "٦", "٧", "٨", "٩"};
  std::string text;
  for (const char c : ascii) {
    if (c >= '0' && c <= '9') {
      text += eastern[static_cast<std::size_t>(c - '0')];
    } else {
      text += c;
    }
  }
  return text;
}

std::string upper_ascii(std::string text) {
  for (auto& c : text) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return text;
}

// The phone of person `id` in one of the ways lists write it; `style` picks the way.
std::string phone_of(std::uint64_t id, int script, std::size_t style) {
  const auto subscriber = digits(id % 10'000'000, 7);
  const auto a = subscriber.substr(0, 3);
  const auto b = subscriber.substr(3, 2);
  const auto c = subscriber.substr(5, 2);
  const auto d = subscriber.substr(3, 4);
  if (script == 1) { // Russia: mobile 9xx
    const std::string code = std::array<std::string, 4>{"916", "925", "903", "985"}[id % 4];
    switch (style % 4) {
    case 0:
      return "+7 (" + code + ") " + a + "-" + b + "-" + c;
    case 1:
      return "8 " + code + " " + a + " " + b + " " + c;
    case 2:
      return "8-" + code + "-" + subscriber;
    default:
      return "+7" + code + subscriber;
    }
  }
  if (script == 2) { // Emirates or Saudi Arabia: mobile 5x
    const bool emirates = id % 2 == 0;
    const std::string code = emirates ? std::array<std::string, 3>{"50", "52", "55"}[id % 3]
                                      : std::array<std::string, 3>{"50", "53", "55"}[id % 3];
    switch (style % 3) {
    case 0:
      return (emirates ? "+971 " : "+966 ") + code + " " + a + " " + d;
    case 1:
      return arabic_indic("0" + code + " " + a + " " + d);
    default:
      return "0" + code + "-" + a + "-" + d;
    }
  }
  const std::string area = std::array<std::string, 4>{"212", "415", "646", "312"}[id % 4];
  const std::string exchange = std::to_string(2 + id % 8) + a.substr(1);
  switch (style % 4) {
  case 0:
    return "(" + area + ") " + exchange + "-" + d;
  case 1:
    return "+1 " + area + " " + exchange + " " + d;
  case 2:
    return area + "." + exchange + "." + d;
  default:
    return "1-" + area + "-" + exchange + "-" + d + " ext. " + std::to_string(10 + id % 90);
  }
}

Person person(std::uint64_t id) {
  Draw draw(id * 7919 + 17);
  Person p;
  const int script = static_cast<int>(draw.below(10) < 4 ? 0 : draw.below(2) + 1);
  const auto company = static_cast<std::uint64_t>(draw.below(companies));
  const auto local = std::string(draw.pick(transliterated)) + "." +
                     std::string(draw.pick(transliterated)) + std::to_string(id);
  std::string domain;
  switch (script) {
  case 0:
    p.first = draw.pick(latin_first);
    p.last = draw.pick(latin_last);
    p.company = "Acme Trading " + std::to_string(company);
    if (draw.chance(20)) {
      p.company += ", Inc.";
    }
    domain = "acme" + std::to_string(company) + ".com";
    p.city = draw.chance(50) ? "New York" : "Chicago";
    p.country = draw.chance(70) ? "USA" : "United States";
    break;
  case 1:
    p.first = draw.pick(cyrillic_first);
    p.last = draw.pick(cyrillic_last);
    p.company = "ООО «Ромашка " + std::to_string(company) + "»";
    domain = "romashka" + std::to_string(company) + ".ru";
    p.city = "Москва";
    p.country = draw.chance(50) ? "Россия" : "Russia";
    break;
  default:
    p.first = draw.pick(arabic_first);
    p.last = draw.pick(arabic_last);
    p.company = "شركة النور " + std::to_string(company);
    domain = "alnoor" + std::to_string(company) + (id % 2 == 0 ? ".ae" : ".sa");
    p.city = id % 2 == 0 ? "دبي" : "الرياض";
    p.country = id % 2 == 0 ? "الإمارات" : "السعودية";
    break;
  }
  p.website = draw.chance(60) ? "www." + domain : "";
  p.email = local + "@" + (draw.chance(70) ? domain : std::string(draw.pick(free_mail)));
  p.phone = phone_of(id, script, draw.below(12));
  p.title = draw.pick(titles);
  return p;
}

std::string csv_cell(std::string_view value) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) {
    return std::string(value);
  }
  std::string quoted = "\"";
  for (const char c : value) {
    quoted += c;
    if (c == '"') {
      quoted += '"';
    }
  }
  return quoted + "\"";
}

struct ListFigures {
  std::size_t rows = 0;
  std::size_t duplicates = 0;
  std::size_t bad = 0;
};

ListFigures write_list(const fs::path& path, std::size_t rows) {
  std::ofstream out(path, std::ios::binary);
  out << "First Name,Last Name,Email,Phone,Company,Job Title,Website,City,Country,Notes\r\n";
  ListFigures figures;
  std::uint64_t people = 0;
  for (std::size_t row = 0; row < rows; ++row) {
    Draw draw(0xC0FFEE + row);
    std::vector<std::string> cells;
    const auto kind = draw.below(100);
    Person p;
    if (kind < 10 && people > 100) { // a person from earlier in the list, written differently
      p = person(draw.below(people));
      p.email = upper_ascii(p.email);
      p.title = "Senior " + p.title;
      ++figures.duplicates;
    } else {
      p = person(people++);
    }
    if (draw.chance(8)) {
      p.first = upper_ascii(p.first);
      p.last = upper_ascii(p.last);
    } else if (draw.chance(5)) {
      p.first = "  " + p.first + " ";
    }
    std::string notes = draw.chance(5) ? "met at GITEX, hall " + std::to_string(draw.below(9)) : "";
    std::string broken_tail;
    if (kind >= 98) { // a row that cannot become a lead
      ++figures.bad;
      switch (draw.below(4)) {
      case 0: // no last name, no company
        p.last.clear();
        p.company.clear();
        break;
      case 1: // no valid contact
        p.email = "no-email@";
        p.phone = "555-0100";
        break;
      case 2: // an unquoted comma: one field too many
        broken_tail = ",extra";
        break;
      default: // a planted formula, and no contact
        notes = "=HYPERLINK(\"http://example.com\",\"click\")";
        p.email.clear();
        p.phone = "12";
        break;
      }
    }
    cells = {p.first, p.last,    p.email, p.phone,   p.company,
             p.title, p.website, p.city,  p.country, notes};
    std::string line;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) {
        line += ',';
      }
      line += csv_cell(cells[i]);
    }
    out << line << broken_tail << "\r\n";
  }
  figures.rows = rows;
  return figures;
}

// ---- the phone ceiling ------------------------------------------------------------------------

// Microseconds per number of leadsync::importer::normalize_phone, as the import calls it, on one
// thread over the phones of the list's first `rows` people.
double phone_microseconds(std::size_t rows) {
  std::vector<std::pair<std::string, std::string>> phones; // with the region the import takes
  phones.reserve(rows);
  for (std::uint64_t id = 0; id < rows; ++id) {
    const auto p = person(id);
    phones.emplace_back(p.phone, leadsync::importer::region_for_country(p.country).value_or("US"));
  }
  std::size_t valid = 0;
  const auto started = std::chrono::steady_clock::now();
  for (const auto& [phone, region] : phones) {
    valid += leadsync::importer::normalize_phone(phone, region).phone.valid ? 1 : 0;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (valid == 0) {
    std::fprintf(stderr, "no phone of the list is valid: the measurement is wrong\n");
    std::exit(1);
  }
  return seconds * 1e6 / static_cast<double>(phones.size());
}

// ---- running the importers ------------------------------------------------------------------

std::optional<ChildRun> run_node(const fs::path& list, const fs::path& work) {
  const fs::path node_dir = fs::path(LEADSYNC_SOURCE_DIR) / "tests/bench/node-import";
  if (!fs::exists(node_dir / "node_modules/better-sqlite3/build/Release/better_sqlite3.node")) {
    std::printf("  installing the Node packages (npm ci; better-sqlite3 compiles, ~2 min)...\n");
    std::fflush(stdout);
    const auto install = run_child(
        {"npm", "ci", "--no-audit", "--no-fund", "--loglevel=error", "--build-from-source"},
        node_dir);
    if (install.exit_code != 0) {
      std::printf("  npm ci failed (exit %d): Node pipeline skipped\n", install.exit_code);
      return std::nullopt;
    }
  }
  auto run = run_child(
      {"node", (node_dir / "import.js").string(), list.string(), (work / "node.db").string()},
      work);
  if (run.exit_code != 0) {
    std::printf("  node import.js failed (exit %d): %s\n", run.exit_code, run.out.c_str());
    return std::nullopt;
  }
  return run;
}

} // namespace

int main(int argc, char** argv) {
  std::size_t rows = 1'000'000;
  std::string keep;
  bool node = true;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--rows" && i + 1 < argc) {
      rows = std::stoul(argv[++i]);
    } else if (arg == "--keep" && i + 1 < argc) {
      keep = argv[++i];
    } else if (arg == "--no-node") {
      node = false;
    } else {
      std::fprintf(stderr, "usage: import_bench [--rows N] [--keep DIR] [--no-node]\n");
      return 2;
    }
  }
  const fs::path work = leadsync::bench::work_folder(keep, "leadsync-import-bench");

  const auto list = work / "list.csv";
  const auto figures = write_list(list, rows);
  std::printf("list: %s rows (%s duplicates of earlier people, %s bad rows), %.1f MB, %s\n",
              with_commas(static_cast<double>(figures.rows)).c_str(),
              with_commas(static_cast<double>(figures.duplicates)).c_str(),
              with_commas(static_cast<double>(figures.bad)).c_str(),
              static_cast<double>(fs::file_size(list)) / 1e6, list.c_str());
  std::fflush(stdout);

  const auto store_dir = work / "leadsync";
  const auto init = run_child({LEADSYNC_EXE, "init", store_dir.string()}, work);
  if (init.exit_code != 0) {
    std::fprintf(stderr, "leadsync init failed\n");
    return 1;
  }
  const auto config = (store_dir / "leadsync.toml").string();
  const std::vector<std::string> command = {LEADSYNC_EXE,
                                            "-c",
                                            config,
                                            "import",
                                            list.string(),
                                            "--vendor",
                                            "Bench Data",
                                            "--list",
                                            "bench",
                                            "--acquired",
                                            "2026-11-01",
                                            "--errors",
                                            (work / "rejected.csv").string(),
                                            "--no-progress",
                                            "--json"};
  std::printf("leadsync: %s", LEADSYNC_EXE);
  for (std::size_t i = 1; i < command.size(); ++i) {
    std::printf(" %s", command[i].c_str());
  }
  std::printf("\n");
  std::fflush(stdout);
  const auto ours = run_child(command, work);
  if (ours.exit_code > 1) {
    std::fprintf(stderr, "leadsync import failed (exit %d)\n", ours.exit_code);
    return 1;
  }
  const auto summary = nlohmann::json::parse(ours.out, nullptr, false);
  if (!summary.is_object()) {
    std::fprintf(stderr, "leadsync import printed no JSON summary\n");
    return 1;
  }
  const double our_rate = summary.at("rows_read").get<double>() / ours.seconds;
  std::printf("  rows read %s: new %s, merged %s, unchanged %s, rejected %s\n",
              with_commas(summary.at("rows_read").get<double>()).c_str(),
              with_commas(summary.at("new_leads").get<double>()).c_str(),
              with_commas(summary.at("merged").get<double>()).c_str(),
              with_commas(summary.at("unchanged").get<double>()).c_str(),
              with_commas(summary.at("rejected").at("total").get<double>()).c_str());
  std::printf("  leadsync import: %.1f s, %s rows/s (process start to exit), peak RSS %.1f MB\n",
              ours.seconds, with_commas(our_rate).c_str(),
              static_cast<double>(ours.max_rss_kib) / 1024.0);
  const auto cores = std::max(1U, std::thread::hardware_concurrency());
  const double cpu_per_row = ours.cpu_seconds * 1e6 / static_cast<double>(rows);
  std::printf("  leadsync used %.1f s of CPU: %.1f us per row over all threads, %.2f of %u cores "
              "busy\n",
              ours.cpu_seconds, cpu_per_row, ours.cpu_seconds / ours.seconds, cores);
  std::fflush(stdout);
  const double phone_us = phone_microseconds(std::min<std::size_t>(rows, 100'000));
  std::printf("  phone validation alone (normalize_phone, one thread): %.1f us per number; %u "
              "cores validating nothing else reach %s rows/s\n",
              phone_us, cores, with_commas(cores * 1e6 / phone_us).c_str());
  std::fflush(stdout);

  if (node) {
    if (const auto theirs = run_node(list, work)) {
      const auto counts = nlohmann::json::parse(theirs->out, nullptr, false);
      const double their_rate = static_cast<double>(rows) / theirs->seconds;
      std::printf("  node import.js:  %.1f s, %s rows/s, peak RSS %.1f MB (created %s, duplicates "
                  "%s, rejected %s)\n",
                  theirs->seconds, with_commas(their_rate).c_str(),
                  static_cast<double>(theirs->max_rss_kib) / 1024.0,
                  with_commas(counts.value("created", 0.0)).c_str(),
                  with_commas(counts.value("duplicates", 0.0)).c_str(),
                  with_commas(counts.value("rejected", 0.0)).c_str());
      std::printf("  ratio: leadsync is %.2fx the Node pipeline\n", our_rate / their_rate);
    }
  }
  std::printf("targets: >= 50,000 rows/s, >= 3x Node, peak RSS < 150 MB\n");
  if (keep.empty()) {
    fs::remove_all(work);
  }
  return 0;
}
