// CSV import throughput and de-duplication quality. One run generates two deterministic dirty lead
// lists of the same number of rows (1,000,000 by default), one after the other, and for each:
// imports it with the `leadsync` executable into a fresh SQLite store (rows per second, peak RSS,
// CPU per row and cores busy, from getrusage of the child), runs the cleaning-only pass over it in
// this process (the cleaning ceiling, below), imports it with the Node.js pipeline in
// tests/bench/node-import (csv-parse, libphonenumber-js, better-sqlite3), checks the import's
// merges against the generator's truth, and prints the ratios against the targets of issue 17:
// leadsync >= 0.8 of the cleaning ceiling, >= 2x the Node pipeline, peak RSS <= 150 MB. A summary
// table of both lists ends the run.
//
//   import_bench [--rows N] [--mode both|default|company] [--people-per-company [N]] [--keep DIR]
//                [--no-node]
//
// --mode runs one list only; --people-per-company N sets the colleagues' company size (20 by
// default) and, without --mode, runs that list only (as before --mode existed). --keep DIR writes
// the lists and the stores into DIR/default and DIR/company and leaves them there (for profiling);
// --no-node skips the Node pipeline. The Node packages are installed with `npm ci` the first time
// (better-sqlite3 compiles from source, about two minutes).
//
// The cleaning ceiling: importer::CsvImport over the same file with the same options as the CLI,
// as a dry run with PipelineTuning::clean_only (read, decode, map and clean every row on the
// normalizer threads; nothing de-duplicated or written), timed with getrusage(RUSAGE_SELF). The
// cores of the machine over its CPU per row is the most rows per second an import that does at
// least that work can reach here. The benchmark also times leadsync's phone validation
// (libphonenumber) alone on one core, over the list's phone column.
//
// The default list: Latin, Cyrillic and Arabic names, phones written every way, ~10% duplicates,
// ~2% bad rows.
//
// The colleagues' list (mode company): companies of N people on average (a few have 5 to 15 times
// as many), names common within a company ("John Smith", "Anna Ivanova", "Mohammed Ali" several
// times at one company), feminine forms, each person with their own work e-mail and/or mobile (some
// also a direct line), the company's switchboard and its sales@ and info@ mailboxes on many rows,
// and ~12% rows that repeat an earlier person written differently (e-mail in other case, phone in
// another format or digit system, name in other case or spacing, only the mobile, a phone added).
//
// For both lists the generator knows the person behind every row and the identifiers only that
// person has. After the import the benchmark reads the store (store::open_sqlite_store), maps every
// lead to the people whose identifiers it holds and prints true merges, false merges (leads holding
// two or more people: the target is 0, with examples and the rule that merged them), missed
// duplicates (people split over several leads) and the precision of the review queue.

#include "bench_support.hpp"
#include "leadsync/importer/csv_import.hpp"
#include "leadsync/importer/normalize.hpp"
#include "leadsync/model/json.hpp"
#include "leadsync/store/sqlite_store.hpp"
#include "leadsync/store/store.hpp"
#include "leadsync_test_paths.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>
#include <utility>
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
  std::string phone_e164; // the number `phone` writes, without its extension
  std::string company;
  std::string website;
  std::string city;
  std::string country;
  std::string title;
};

std::string with_digits(std::string_view ascii, const std::array<std::string_view, 10>& digits) {
  std::string text;
  for (const char c : ascii) {
    if (c >= '0' && c <= '9') {
      text += digits[static_cast<std::size_t>(c - '0')];
    } else {
      text += c;
    }
  }
  return text;
}

// ASCII digits as Arabic-Indic digits (U+0660..U+0669), as lists from the Emirates write them.
std::string arabic_indic(std::string_view ascii) {
  static constexpr std::array<std::string_view, 10> arabic = {"٠", "١", "٢", "٣", "٤",
                                                              "٥", "٦", "٧", "٨", "٩"};
  return with_digits(ascii, arabic);
}

// ASCII digits as Eastern Arabic-Indic digits (U+06F0..U+06F9).
std::string eastern_arabic_indic(std::string_view ascii) {
  static constexpr std::array<std::string_view, 10> eastern = {"۰", "۱", "۲", "۳", "۴",
                                                               "۵", "۶", "۷", "۸", "۹"};
  return with_digits(ascii, eastern);
}

std::string upper_ascii(std::string text) {
  for (auto& c : text) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return text;
}

std::string lower_ascii(std::string text) {
  for (auto& c : text) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return text;
}

// Upper case for ASCII, Latin-1 letters (é -> É) and the Russian alphabet (UTF-8); other letters
// stay as they are.
std::string upper_latin_and_cyrillic(std::string_view text) {
  std::string upper;
  upper.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const auto next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0U;
    if (c == 0xD0 && next >= 0xB0 && next <= 0xBF) { // а..п -> А..П
      upper += static_cast<char>(0xD0);
      upper += static_cast<char>(next - 0x20);
      ++i;
    } else if (c == 0xD1 && next >= 0x80 && next <= 0x8F) { // р..я -> Р..Я
      upper += static_cast<char>(0xD0);
      upper += static_cast<char>(next + 0x20);
      ++i;
    } else if (c == 0xC3 && next >= 0xA0 && next <= 0xBE && next != 0xB7) { // à..þ -> À..Þ
      upper += static_cast<char>(0xC3);
      upper += static_cast<char>(next - 0x20);
      ++i;
    } else if (c == 0xD1 && next == 0x91) { // ё -> Ё
      upper += static_cast<char>(0xD0);
      upper += static_cast<char>(0x81);
      ++i;
    } else {
      upper += c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : static_cast<char>(c);
    }
  }
  return upper;
}

std::string russian_mobile_code(std::uint64_t id) {
  return std::array<std::string, 4>{"916", "925", "903", "985"}[id % 4];
}
std::string gulf_mobile_code(std::uint64_t id, bool emirates) {
  return emirates ? std::array<std::string, 3>{"50", "52", "55"}[id % 3]
                  : std::array<std::string, 3>{"50", "53", "55"}[id % 3];
}
std::string us_area_code(std::uint64_t id) {
  return std::array<std::string, 4>{"212", "415", "646", "312"}[id % 4];
}

// The phone of person `id` in one of the ways lists write it; `style` picks the way.
std::string phone_of(std::uint64_t id, int script, std::size_t style) {
  const auto subscriber = digits(id % 10'000'000, 7);
  const auto a = subscriber.substr(0, 3);
  const auto b = subscriber.substr(3, 2);
  const auto c = subscriber.substr(5, 2);
  const auto d = subscriber.substr(3, 4);
  if (script == 1) { // Russia: mobile 9xx
    const std::string code = russian_mobile_code(id);
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
    const std::string code = gulf_mobile_code(id, emirates);
    switch (style % 3) {
    case 0:
      return (emirates ? "+971 " : "+966 ") + code + " " + a + " " + d;
    case 1:
      return arabic_indic("0" + code + " " + a + " " + d);
    default:
      return "0" + code + "-" + a + "-" + d;
    }
  }
  const std::string area = us_area_code(id);
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

// The number phone_of writes for person `id`, in E.164 (an extension is not part of it).
std::string phone_e164_of(std::uint64_t id, int script) {
  const auto subscriber = digits(id % 10'000'000, 7);
  if (script == 1) {
    return "+7" + russian_mobile_code(id) + subscriber;
  }
  if (script == 2) {
    const bool emirates = id % 2 == 0;
    return (emirates ? "+971" : "+966") + gulf_mobile_code(id, emirates) + subscriber;
  }
  return "+1" + us_area_code(id) + std::to_string(2 + id % 8) + subscriber.substr(1, 2) +
         subscriber.substr(3, 4);
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
  p.phone_e164 = phone_e164_of(id, script);
  p.title = draw.pick(titles);
  return p;
}

// ---- the truth behind a list -------------------------------------------------------------------

constexpr std::uint32_t no_person = std::numeric_limits<std::uint32_t>::max();

// The keys identifiers are known by, as a lead holds them: "e:" and the lower-cased e-mail, "p:"
// and the E.164 number.
std::string email_key(std::string_view email) {
  return "e:" + lower_ascii(std::string(email));
}
std::string phone_key(std::string_view e164) {
  return "p:" + std::string(e164);
}

// What the generator knows about its list: the person behind every row, the identifiers only one
// person has (personal e-mails, mobiles, direct lines: a lead holding one holds a row of that
// person) and those colleagues share (switchboards, role mailboxes: they say nothing about who a
// lead is).
class Truth {
public:
  // The identifiers of a row the de-duplication merges on (dedupe.hpp: STRONG identifiers).
  static constexpr std::uint8_t shows_personal_email = 1;
  static constexpr std::uint8_t shows_mobile = 2;

  void add_personal(const std::string& key, std::uint32_t person) {
    personal_.emplace_back(hash(key), person);
  }
  void add_shared(const std::string& key) { shared_.push_back(hash(key)); }
  // Sorts the identifiers: call it once they are all added, before the lookups.
  void seal() {
    std::sort(personal_.begin(), personal_.end());
    std::sort(shared_.begin(), shared_.end());
  }
  // The one person the identifier belongs to; no_person when it is shared or unknown.
  std::uint32_t person_of(const std::string& key) const {
    const auto key_hash = hash(key);
    const auto found = std::lower_bound(personal_.begin(), personal_.end(),
                                        std::pair<std::uint64_t, std::uint32_t>{key_hash, 0});
    return found != personal_.end() && found->first == key_hash ? found->second : no_person;
  }
  bool is_shared(const std::string& key) const {
    return std::binary_search(shared_.begin(), shared_.end(), hash(key));
  }

  // The list's next row: its person (no_person: a row the import must reject) and which of the
  // person's strong identifiers it shows (shows_personal_email | shows_mobile).
  void add_row(std::uint32_t person, std::uint8_t strong_identifiers) {
    person_of_row_.push_back(person);
    if (person == no_person) {
      return;
    }
    if (person >= people_.size()) {
      people_.resize(person + std::size_t{1});
    }
    auto& seen = people_[person];
    if (!seen.listed) {
      seen.listed = true;
      ++people_listed_;
    } else {
      ++repeat_rows_;
      if ((seen.strong_identifiers & strong_identifiers) == 0) {
        // Nothing an import may merge on joins this row to the person's earlier rows.
        seen.unlinked_repeat = true;
        ++unlinked_repeat_rows_;
      }
    }
    seen.strong_identifiers |= strong_identifiers;
  }

  // The person of the row on CSV line `line` (the header is line 1); no_person when unknown.
  std::uint32_t person_of_line(std::size_t line) const {
    return line >= 2 && line - 2 < person_of_row_.size() ? person_of_row_[line - 2] : no_person;
  }
  // The CSV lines of the rows of `people` (sorted), in file order.
  std::vector<std::pair<std::size_t, std::uint32_t>>
  lines_of(const std::vector<std::uint32_t>& people) const {
    std::vector<std::pair<std::size_t, std::uint32_t>> lines;
    for (std::size_t row = 0; row < person_of_row_.size(); ++row) {
      if (std::binary_search(people.begin(), people.end(), person_of_row_[row])) {
        lines.emplace_back(row + 2, person_of_row_[row]);
      }
    }
    return lines;
  }
  bool has_unlinked_repeat(std::uint32_t person) const {
    return person < people_.size() && people_[person].unlinked_repeat;
  }
  // People with a row the import accepts: the leads a perfect import makes.
  std::size_t people_listed() const { return people_listed_; }
  // Accepted rows of a person listed before: the rows a perfect import merges.
  std::size_t repeat_rows() const { return repeat_rows_; }
  // Repeat rows that share no personal e-mail and no mobile with the person's earlier rows.
  std::size_t unlinked_repeat_rows() const { return unlinked_repeat_rows_; }

private:
  struct Seen {
    bool listed = false;
    bool unlinked_repeat = false;
    std::uint8_t strong_identifiers = 0;
  };
  static std::uint64_t hash(const std::string& key) { return std::hash<std::string>{}(key); }

  std::vector<std::pair<std::uint64_t, std::uint32_t>> personal_; // key hash, person
  std::vector<std::uint64_t> shared_;                             // key hashes
  std::vector<std::uint32_t> person_of_row_;
  std::vector<Seen> people_;
  std::size_t people_listed_ = 0;
  std::size_t repeat_rows_ = 0;
  std::size_t unlinked_repeat_rows_ = 0;
};

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

// One CSV record, its cells quoted where they need it (without the line end).
std::string csv_line(const std::vector<std::string>& cells) {
  std::string line;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) {
      line += ',';
    }
    line += csv_cell(cells[i]);
  }
  return line;
}

struct ListFigures {
  std::size_t rows = 0;
  std::size_t duplicates = 0;
  std::size_t bad = 0;
};

// The default list. Every person has an e-mail and a phone of their own; `truth` learns them and
// the person of every row.
ListFigures write_list(const fs::path& path, std::size_t rows, Truth& truth) {
  std::ofstream out(path, std::ios::binary);
  out << "First Name,Last Name,Email,Phone,Company,Job Title,Website,City,Country,Notes\r\n";
  ListFigures figures;
  std::uint64_t people = 0;
  for (std::size_t row = 0; row < rows; ++row) {
    Draw draw(0xC0FFEE + row);
    std::vector<std::string> cells;
    const auto kind = draw.below(100);
    Person p;
    std::uint64_t id = 0;
    if (kind < 10 && people > 100) { // a person from earlier in the list, written differently
      id = draw.below(people);
      p = person(id);
      p.email = upper_ascii(p.email);
      p.title = "Senior " + p.title;
      ++figures.duplicates;
    } else {
      id = people++;
      p = person(id);
      truth.add_personal(email_key(p.email), static_cast<std::uint32_t>(id));
      truth.add_personal(phone_key(p.phone_e164), static_cast<std::uint32_t>(id));
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
    truth.add_row(kind >= 98 ? no_person : static_cast<std::uint32_t>(id),
                  Truth::shows_personal_email);
    cells = {p.first, p.last,    p.email, p.phone,   p.company,
             p.title, p.website, p.city,  p.country, notes};
    out << csv_line(cells) << broken_tail << "\r\n";
  }
  figures.rows = rows;
  return figures;
}

// A person of the default list, for the false-merge examples.
std::string describe_person(std::uint32_t id) {
  const auto p = person(id);
  return "#" + std::to_string(id) + " " + p.first + " " + p.last + " <" + p.email + "> " +
         p.phone_e164 + " at " + p.company;
}

// ---- a list of colleagues (--mode company) ---------------------------------------------------

enum class Market : std::uint8_t { us, russia, emirates, saudi };

struct MarketFacts {
  std::string_view country_code; // E.164
  std::string_view region;       // what libphonenumber gets from the row's country
  std::array<std::string_view, 2> country_names;
  std::string_view city;
};
constexpr std::array<MarketFacts, 4> market_facts = {{
    {"1", "US", {"USA", "United States"}, "New York"},
    {"7", "RU", {"Россия", "Russia"}, "Москва"},
    {"971", "AE", {"الإمارات", "UAE"}, "دبي"},
    {"966", "SA", {"السعودية", "Saudi Arabia"}, "الرياض"},
}};
const MarketFacts& facts(Market market) {
  return market_facts[static_cast<std::size_t>(market)];
}

// A name as its owner writes it, and in Latin letters (for the e-mail address and transliterated
// rows).
struct NameForm {
  std::string_view written;
  std::string_view latin;
};
// A Russian surname's masculine and feminine forms (Ivanov, Ivanova: two people).
struct Surname {
  NameForm masculine;
  NameForm feminine;
};

constexpr std::array<NameForm, 10> us_men = {{{"John", "John"},
                                              {"James", "James"},
                                              {"Michael", "Michael"},
                                              {"David", "David"},
                                              {"Robert", "Robert"},
                                              {"William", "William"},
                                              {"José", "Jose"},
                                              {"Daniel", "Daniel"},
                                              {"Christopher", "Christopher"},
                                              {"Thomas", "Thomas"}}};
constexpr std::array<NameForm, 10> us_women = {{{"Mary", "Mary"},
                                                {"Jennifer", "Jennifer"},
                                                {"Linda", "Linda"},
                                                {"Patricia", "Patricia"},
                                                {"Elizabeth", "Elizabeth"},
                                                {"Susan", "Susan"},
                                                {"Sarah", "Sarah"},
                                                {"María", "Maria"},
                                                {"Jessica", "Jessica"},
                                                {"Chloé", "Chloe"}}};
constexpr std::array<NameForm, 16> us_surnames = {{{"Smith", "Smith"},
                                                   {"Johnson", "Johnson"},
                                                   {"Williams", "Williams"},
                                                   {"Brown", "Brown"},
                                                   {"Jones", "Jones"},
                                                   {"García", "Garcia"},
                                                   {"Miller", "Miller"},
                                                   {"Davis", "Davis"},
                                                   {"Rodriguez", "Rodriguez"},
                                                   {"Martínez", "Martinez"},
                                                   {"Wilson", "Wilson"},
                                                   {"Anderson", "Anderson"},
                                                   {"Taylor", "Taylor"},
                                                   {"O'Brien", "OBrien"},
                                                   {"Nguyen", "Nguyen"},
                                                   {"Lee", "Lee"}}};
constexpr std::array<NameForm, 10> russian_men = {{{"Иван", "Ivan"},
                                                   {"Сергей", "Sergey"},
                                                   {"Алексей", "Alexey"},
                                                   {"Дмитрий", "Dmitry"},
                                                   {"Андрей", "Andrey"},
                                                   {"Михаил", "Mikhail"},
                                                   {"Александр", "Alexander"},
                                                   {"Евгений", "Evgeny"},
                                                   {"Николай", "Nikolay"},
                                                   {"Павел", "Pavel"}}};
constexpr std::array<NameForm, 10> russian_women = {{{"Анна", "Anna"},
                                                     {"Мария", "Maria"},
                                                     {"Елена", "Elena"},
                                                     {"Ольга", "Olga"},
                                                     {"Татьяна", "Tatyana"},
                                                     {"Наталья", "Natalya"},
                                                     {"Александра", "Alexandra"},
                                                     {"Евгения", "Evgenia"},
                                                     {"Ирина", "Irina"},
                                                     {"Юлия", "Yulia"}}};
constexpr std::array<Surname, 12> russian_surnames = {{
    {{"Иванов", "Ivanov"}, {"Иванова", "Ivanova"}},
    {{"Смирнов", "Smirnov"}, {"Смирнова", "Smirnova"}},
    {{"Кузнецов", "Kuznetsov"}, {"Кузнецова", "Kuznetsova"}},
    {{"Попов", "Popov"}, {"Попова", "Popova"}},
    {{"Петров", "Petrov"}, {"Петрова", "Petrova"}},
    {{"Соколов", "Sokolov"}, {"Соколова", "Sokolova"}},
    {{"Волков", "Volkov"}, {"Волкова", "Volkova"}},
    {{"Козлов", "Kozlov"}, {"Козлова", "Kozlova"}},
    {{"Морозов", "Morozov"}, {"Морозова", "Morozova"}},
    {{"Новиков", "Novikov"}, {"Новикова", "Novikova"}},
    {{"Фёдоров", "Fedorov"}, {"Фёдорова", "Fedorova"}},
    {{"Лебедев", "Lebedev"}, {"Лебедева", "Lebedeva"}},
}};
constexpr std::array<NameForm, 10> arab_men = {{{"محمد", "Mohammed"},
                                                {"أحمد", "Ahmed"},
                                                {"علي", "Ali"},
                                                {"عمر", "Omar"},
                                                {"خالد", "Khalid"},
                                                {"يوسف", "Yousef"},
                                                {"عبدالله", "Abdullah"},
                                                {"حسن", "Hassan"},
                                                {"إبراهيم", "Ibrahim"},
                                                {"سلمان", "Salman"}}};
constexpr std::array<NameForm, 10> arab_women = {{{"فاطمة", "Fatima"},
                                                  {"عائشة", "Aisha"},
                                                  {"مريم", "Maryam"},
                                                  {"نورة", "Noura"},
                                                  {"سارة", "Sara"},
                                                  {"ليلى", "Layla"},
                                                  {"هدى", "Huda"},
                                                  {"ريم", "Reem"},
                                                  {"منى", "Mona"},
                                                  {"أمل", "Amal"}}};
constexpr std::array<NameForm, 10> arab_surnames = {{{"علي", "Ali"},
                                                     {"الحداد", "Al Haddad"},
                                                     {"العتيبي", "Al Otaibi"},
                                                     {"الشمري", "Al Shammari"},
                                                     {"القحطاني", "Al Qahtani"},
                                                     {"المنصوري", "Al Mansouri"},
                                                     {"الكعبي", "Al Kaabi"},
                                                     {"النعيمي", "Al Nuaimi"},
                                                     {"الزهراني", "Al Zahrani"},
                                                     {"حسن", "Hassan"}}};
// Colleagues from South Asia at Gulf companies, written in Latin letters.
constexpr std::array<NameForm, 6> expat_first = {{{"Rahul", "Rahul"},
                                                  {"Amit", "Amit"},
                                                  {"Ravi", "Ravi"},
                                                  {"Priya", "Priya"},
                                                  {"Anjali", "Anjali"},
                                                  {"Deepa", "Deepa"}}};
constexpr std::array<NameForm, 5> expat_surnames = {{{"Sharma", "Sharma"},
                                                     {"Patel", "Patel"},
                                                     {"Nair", "Nair"},
                                                     {"Singh", "Singh"},
                                                     {"Menon", "Menon"}}};

// The long tail: surnames put together from parts, so that most of them are rare in the whole list
// (a name seen three times is common for the de-duplication, dedupe.hpp), as real surnames are.
constexpr std::array<std::string_view, 24> latin_surname_starts = {
    "Ash", "Brad", "Cal", "Dal",  "El",    "Fair", "Gold", "Hart", "Ken", "Lang", "Mar", "Nor",
    "Ost", "Pem",  "Rad", "Stan", "Thorn", "Wal",  "Whit", "Wil",  "Bur", "Cor",  "Dun", "Fen"};
constexpr std::array<std::string_view, 7> latin_surname_middles = {"",   "er", "ing", "en",
                                                                   "ow", "el", "am"};
constexpr std::array<std::string_view, 24> latin_surname_ends = {
    "brook", "by",   "combe", "croft",  "dale",  "don",  "field", "ford",
    "gate",  "ham",  "hurst", "ington", "land",  "ley",  "man",   "more",
    "ridge", "shaw", "stead", "ton",    "ville", "well", "wick",  "worth"};
constexpr std::array<NameForm, 20> russian_surname_starts = {
    {{"Бел", "Bel"}, {"Гор", "Gor"},  {"Дуб", "Dub"},  {"Жар", "Zhar"}, {"Зим", "Zim"},
     {"Кар", "Kar"}, {"Лес", "Les"},  {"Мал", "Mal"},  {"Нов", "Nov"},  {"Оз", "Oz"},
     {"Пан", "Pan"}, {"Рад", "Rad"},  {"Сав", "Sav"},  {"Тар", "Tar"},  {"Ус", "Us"},
     {"Фил", "Fil"}, {"Хол", "Khol"}, {"Чер", "Cher"}, {"Шар", "Shar"}, {"Яр", "Yar"}}};
constexpr std::array<NameForm, 6> russian_surname_middles = {
    {{"", ""}, {"ан", "an"}, {"ен", "en"}, {"ик", "ik"}, {"ут", "ut"}, {"ош", "osh"}}};
constexpr std::array<Surname, 3> russian_surname_ends = {{{{"ов", "ov"}, {"ова", "ova"}},
                                                          {{"ин", "in"}, {"ина", "ina"}},
                                                          {{"ский", "sky"}, {"ская", "skaya"}}}};
// Gulf surnames of the long tail: the father's and the grandfather's name and the family.
constexpr std::array<NameForm, 10> gulf_families = {{{"المري", "Al Marri"},
                                                     {"الهاجري", "Al Hajri"},
                                                     {"الرميثي", "Al Rumaithi"},
                                                     {"السويدي", "Al Suwaidi"},
                                                     {"الفلاسي", "Al Falasi"},
                                                     {"الظاهري", "Al Dhaheri"},
                                                     {"المهيري", "Al Muhairi"},
                                                     {"الشامسي", "Al Shamsi"},
                                                     {"البلوشي", "Al Balushi"},
                                                     {"الحربي", "Al Harbi"}}};

// Job titles as each market's lists write them.
constexpr std::array<std::array<std::string_view, 6>, 4> market_titles = {{
    {"CEO", "CTO", "Head of Sales", "Procurement Manager", "IT Director", "Marketing Lead"},
    {"Генеральный директор", "Директор по закупкам", "Менеджер", "Главный бухгалтер", "IT Director",
     "Head of Sales"},
    {"مدير المبيعات", "مهندس", "مدير تقنية المعلومات", "CEO", "Procurement Manager", "IT Director"},
    {"مدير المبيعات", "مهندس", "مدير المشتريات", "CEO", "Procurement Manager", "IT Director"},
}};

// The share of a company's people who have its market's most common name ("John Smith", "Anna
// Ivanova" or "Sergey Ivanov", "Mohammed Ali"), in percent: several at a company of a few hundred.
constexpr unsigned common_name_percent = 4;
// The share of the others whose surname comes from the long tail, in percent.
constexpr unsigned rare_surname_percent = 40;
// The share of people given the exact name of an earlier colleague (a namesake: father and son,
// cousins), in percent.
constexpr unsigned namesake_percent = 2;

struct PersonName {
  std::string first;
  std::string last;
  std::string mailbox; // the e-mail local part the name gives: "anna.ivanova"
};

// The mailbox a name gives: Latin letters and digits of first and last name, lower-cased.
std::string mailbox_of(std::string_view first_latin, std::string_view last_latin) {
  std::string mailbox;
  const auto append = [&](std::string_view part) {
    for (const char c : part) {
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        mailbox += c;
      } else if (c >= 'A' && c <= 'Z') {
        mailbox += static_cast<char>(c - 'A' + 'a');
      }
    }
  };
  append(first_latin);
  mailbox += '.';
  append(last_latin);
  return mailbox;
}

// A surname in its own script and in Latin letters.
struct SurnameForms {
  std::string written;
  std::string latin;
};

SurnameForms rare_surname(Market market, bool woman, Draw& draw) {
  SurnameForms surname;
  switch (market) {
  case Market::us:
    surname.written = std::string(draw.pick(latin_surname_starts)) +
                      std::string(draw.pick(latin_surname_middles)) +
                      std::string(draw.pick(latin_surname_ends));
    surname.latin = surname.written;
    break;
  case Market::russia: {
    const auto& start = draw.pick(russian_surname_starts);
    const auto& middle = draw.pick(russian_surname_middles);
    const auto& end = draw.pick(russian_surname_ends);
    const auto& ending = woman ? end.feminine : end.masculine;
    surname.written =
        std::string(start.written) + std::string(middle.written) + std::string(ending.written);
    surname.latin =
        std::string(start.latin) + std::string(middle.latin) + std::string(ending.latin);
    break;
  }
  default: {
    const auto& father = draw.pick(arab_men);
    const auto& grandfather = draw.pick(arab_men);
    const auto& family = draw.chance(50) ? draw.pick(gulf_families) : draw.pick(arab_surnames);
    surname.written = std::string(father.written) + " " + std::string(grandfather.written) + " " +
                      std::string(family.written);
    surname.latin = std::string(father.latin) + " " + std::string(grandfather.latin) + " " +
                    std::string(family.latin);
    break;
  }
  }
  return surname;
}

SurnameForms forms_of(const NameForm& name) {
  return {std::string(name.written), std::string(name.latin)};
}

PersonName choose_name(Market market, Draw& draw) {
  const bool woman = draw.chance(45);
  const bool common = draw.chance(common_name_percent);
  const bool rare = !common && draw.chance(rare_surname_percent);
  NameForm first;
  SurnameForms last;
  bool transliterated = false; // written in Latin letters instead of the own script
  switch (market) {
  case Market::us: {
    first = common ? us_men[0] : woman ? draw.pick(us_women) : draw.pick(us_men);
    last = common ? forms_of(us_surnames[0])
           : rare ? rare_surname(market, woman, draw)
                  : forms_of(draw.pick(us_surnames));
    break;
  }
  case Market::russia: {
    transliterated = draw.chance(20);
    first = common ? (woman ? russian_women[0] : russian_men[1])
                   : (woman ? draw.pick(russian_women) : draw.pick(russian_men));
    if (rare) {
      last = rare_surname(market, woman, draw);
    } else {
      const auto& surname = common ? russian_surnames[0] : draw.pick(russian_surnames);
      last = forms_of(woman ? surname.feminine : surname.masculine);
    }
    break;
  }
  default: { // the Gulf
    const auto script = draw.below(100);
    if (common) {
      first = arab_men[0];
      last = forms_of(arab_surnames[0]);
      transliterated = script >= 60;
    } else if (script >= 85) {
      first = draw.pick(expat_first);
      last = forms_of(draw.pick(expat_surnames));
    } else {
      first = woman ? draw.pick(arab_women) : draw.pick(arab_men);
      last = rare ? rare_surname(market, woman, draw) : forms_of(draw.pick(arab_surnames));
      transliterated = script >= 60;
    }
    break;
  }
  }
  PersonName name;
  name.first = std::string(transliterated ? first.latin : first.written);
  name.last = transliterated ? last.latin : last.written;
  name.mailbox = mailbox_of(first.latin, last.latin);
  return name;
}

struct CompanyStem {
  std::string_view written;
  std::string_view latin;
};
constexpr std::array<CompanyStem, 6> us_company_stems = {{{"Globex", "globex"},
                                                          {"Initech", "initech"},
                                                          {"Acme", "acme"},
                                                          {"Vandelay", "vandelay"},
                                                          {"Hooli", "hooli"},
                                                          {"Stark", "stark"}}};
constexpr std::array<std::string_view, 4> us_company_trades = {"Systems", "Logistics", "Foods",
                                                               "Trading"};
constexpr std::array<CompanyStem, 5> russian_company_stems = {{{"Вектор", "vektor"},
                                                               {"Ромашка", "romashka"},
                                                               {"Альфа-Строй", "alfastroy"},
                                                               {"Сибирь", "sibir"},
                                                               {"Прогресс", "progress"}}};
constexpr std::array<CompanyStem, 4> gulf_company_stems = {
    {{"النور", "alnoor"}, {"الخليج", "alkhaleej"}, {"الفجر", "alfajr"}, {"الواحة", "alwaha"}}};

// Numbers are national significant numbers (E.164 without the country code), unique by
// construction: a person's mobile and direct line come from the person's number, a switchboard
// from the company's. Each kind has area or operator codes of its own, so they never meet.
constexpr std::size_t max_colleagues = 5'000'000;
constexpr std::size_t max_companies = 1'000'000;

std::string mobile_number(Market market, std::uint32_t person) {
  switch (market) {
  case Market::us: // the Mobile column makes a US number a mobile (dedupe.hpp: MOBILE)
    return std::string(std::array<std::string_view, 3>{"917", "347", "929"}[person % 3]) +
           digits(2'000'000 + person, 7);
  case Market::russia:
    return std::string(std::array<std::string_view, 6>{"916", "925", "903", "985", "926",
                                                       "977"}[person % 6]) +
           digits(person, 7);
  case Market::emirates:
    return std::string(std::array<std::string_view, 5>{"50", "52", "55", "56", "58"}[person % 5]) +
           digits(person, 7);
  case Market::saudi:
    return std::string(std::array<std::string_view, 5>{"50", "53", "54", "55", "56"}[person % 5]) +
           digits(person, 7);
  }
  return {};
}

std::string direct_line(Market market, std::uint32_t person) {
  switch (market) {
  case Market::us:
    return "646" + digits(2'000'000 + person, 7);
  case Market::russia:
    return "499" + digits(2'000'000 + person, 7);
  case Market::emirates: // Dubai: 4 and seven digits, the first 2 to 8
    return "4" + digits(3'000'000 + person, 7);
  case Market::saudi:
    return "11" + digits(3'000'000 + person, 7);
  }
  return {};
}

std::string switchboard_number(Market market, std::uint32_t company) {
  switch (market) {
  case Market::us:
    return "212" + digits(2'000'000 + company, 7);
  case Market::russia:
    return "495" + digits(1'000'000 + company, 7);
  case Market::emirates:
    return "4" + digits(2'000'000 + company, 7);
  case Market::saudi:
    return "11" + digits(2'000'000 + company, 7);
  }
  return {};
}

std::string e164(Market market, std::string_view national_number) {
  return "+" + std::string(facts(market).country_code) + std::string(national_number);
}

// A national significant number as lists write it; `style` picks the way: national or
// international, trunk prefix 8 or 0, spaces, dashes, dots or parentheses, Arabic-Indic digits.
std::string written_phone(Market market, const std::string& number, std::size_t style) {
  switch (market) {
  case Market::us: {
    const auto area = number.substr(0, 3);
    const auto exchange = number.substr(3, 3);
    const auto line = number.substr(6, 4);
    switch (style % 4) {
    case 0:
      return "(" + area + ") " + exchange + "-" + line;
    case 1:
      return "+1 " + area + " " + exchange + " " + line;
    case 2:
      return area + "." + exchange + "." + line;
    default:
      return "1-" + area + "-" + exchange + "-" + line;
    }
  }
  case Market::russia: {
    const auto code = number.substr(0, 3);
    const auto a = number.substr(3, 3);
    const auto b = number.substr(6, 2);
    const auto c = number.substr(8, 2);
    switch (style % 5) {
    case 0:
      return "+7 (" + code + ") " + a + "-" + b + "-" + c;
    case 1:
      return "8 " + code + " " + a + " " + b + " " + c;
    case 2:
      return "8-" + code + "-" + a + b + c;
    case 3:
      return "+7" + number;
    default:
      return "8 (" + code + ") " + a + "-" + b + "-" + c;
    }
  }
  case Market::emirates:
  case Market::saudi: {
    const auto prefix = number.substr(0, number.size() - 7);
    const auto a = number.substr(prefix.size(), 3);
    const auto d = number.substr(prefix.size() + 3);
    const std::string code(facts(market).country_code);
    const bool emirates = market == Market::emirates;
    auto national = "0" + prefix + " " + a + " " + d;
    switch (style % 5) {
    case 0:
      return "+" + code + " " + prefix + " " + a + " " + d;
    case 1:
      return national;
    case 2:
      return emirates ? arabic_indic(national) : eastern_arabic_indic(national);
    case 3:
      return emirates ? "00" + code + " " + prefix + " " + a + d : arabic_indic("0" + number);
    default:
      return "+" + code + "-" + prefix + "-" + a + d;
    }
  }
  }
  return number;
}

struct Company {
  Market market = Market::us;
  std::string name;
  std::string other_name; // how some rows write it
  std::string domain;
  std::string switchboard; // national significant number
};

struct Colleague {
  std::uint32_t company = 0;
  std::string first;
  std::string last;
  std::string email;       // personal: at the company, or at a free-mail provider; may be empty
  std::string mobile;      // national significant number; may be empty
  std::string direct_line; // national significant number; may be empty (a fixed line)
  std::uint8_t title = 0;
};

struct Colleagues {
  std::vector<Company> companies;
  std::vector<Colleague> people;
  std::size_t largest_company = 0;
  std::size_t sharing_their_name = 0; // people with the exact name of a colleague
  std::size_t namesakes = 0;          // people given the name of an earlier colleague on purpose
};

Company make_company(std::uint32_t number, Draw& draw) {
  Company company;
  const auto market_draw = draw.below(100);
  company.market = market_draw < 35   ? Market::us
                   : market_draw < 70 ? Market::russia
                   : market_draw < 85 ? Market::emirates
                                      : Market::saudi;
  const auto suffix = std::to_string(number);
  switch (company.market) {
  case Market::us: {
    const auto& stem = draw.pick(us_company_stems);
    company.name =
        std::string(stem.written) + " " + std::string(draw.pick(us_company_trades)) + " " + suffix;
    company.other_name = company.name + ", Inc.";
    company.domain = std::string(stem.latin) + suffix + ".com";
    break;
  }
  case Market::russia: {
    const auto& stem = draw.pick(russian_company_stems);
    company.name = "ООО «" + std::string(stem.written) + " " + suffix + "»";
    company.other_name = std::string(stem.written) + " " + suffix;
    company.domain = std::string(stem.latin) + suffix + ".ru";
    break;
  }
  default: {
    const auto& stem = draw.pick(gulf_company_stems);
    company.name = "شركة " + std::string(stem.written) + " " + suffix;
    company.other_name = std::string(stem.written) + " " + suffix;
    company.domain =
        std::string(stem.latin) + suffix + (company.market == Market::emirates ? ".ae" : ".com.sa");
    break;
  }
  }
  company.switchboard = switchboard_number(company.market, number);
  return company;
}

// Companies of `per_company` people on average until there are `wanted` people: 80% of them with
// a quarter to one times that, 17% with one to two times, 3% with 5 to 15 times (100 to 300 people
// at 20). Each person has a name (common ones repeat within a company), a personal e-mail (85% at
// the company, named after them and numbered when a colleague has the same name; some at a
// free-mail provider), a mobile (70%; everyone without an e-mail has one) and a direct line (20%).
Colleagues make_colleagues(std::size_t wanted, std::size_t per_company) {
  Colleagues colleagues;
  colleagues.people.reserve(wanted + 15 * per_company);
  while (colleagues.people.size() < wanted) {
    const auto company_number = static_cast<std::uint32_t>(colleagues.companies.size());
    Draw draw(0xC0C0'0000ULL + company_number);
    auto company = make_company(company_number, draw);
    const auto size_draw = draw.below(100);
    const auto between = [&](std::size_t low, std::size_t high) {
      low = std::max<std::size_t>(low, 1);
      return low + draw.below(std::max(high, low) - low + 1);
    };
    const auto size = size_draw < 80   ? between(per_company / 4, per_company)
                      : size_draw < 97 ? between(per_company, 2 * per_company)
                                       : between(5 * per_company, 15 * per_company);
    colleagues.largest_company = std::max(colleagues.largest_company, size);
    std::unordered_map<std::string, std::size_t> mailboxes; // at the company: how many so far
    std::map<std::pair<std::string, std::string>, std::size_t> names; // exact names: how many
    std::vector<PersonName> company_names;
    for (std::size_t i = 0; i < size; ++i) {
      const auto id = static_cast<std::uint32_t>(colleagues.people.size());
      Draw person_draw(0xBADC0DE0ULL + id * 104'729ULL);
      auto name = choose_name(company.market, person_draw);
      if (!company_names.empty() && person_draw.chance(namesake_percent)) {
        name = company_names[person_draw.below(company_names.size())];
        ++colleagues.namesakes;
      }
      company_names.push_back(name);
      Colleague colleague;
      colleague.company = company_number;
      colleague.first = name.first;
      colleague.last = name.last;
      if (person_draw.chance(85)) {
        const auto taken = ++mailboxes[name.mailbox];
        colleague.email =
            name.mailbox + (taken > 1 ? std::to_string(taken) : "") + "@" + company.domain;
      } else if (person_draw.chance(40)) {
        colleague.email = name.mailbox + "." + std::to_string(id) + "@" +
                          std::string(person_draw.pick(free_mail));
      }
      if (person_draw.chance(70) || colleague.email.empty()) {
        colleague.mobile = mobile_number(company.market, id);
      }
      if (person_draw.chance(20)) {
        colleague.direct_line = direct_line(company.market, id);
      }
      colleague.title = static_cast<std::uint8_t>(person_draw.below(market_titles[0].size()));
      ++names[{colleague.first, colleague.last}];
      colleagues.people.push_back(std::move(colleague));
    }
    for (const auto& [name, count] : names) {
      colleagues.sharing_their_name += count > 1 ? count : 0;
    }
    colleagues.companies.push_back(std::move(company));
  }
  return colleagues;
}

// A name as another row writes it: other case or spacing (Arabic has no case: spacing only).
void vary_name(std::string& first, std::string& last, Draw& draw) {
  const auto way = draw.below(100);
  if (way < 25) {
    first = upper_latin_and_cyrillic(first);
    last = upper_latin_and_cyrillic(last);
  } else if (way < 35) {
    first = lower_ascii(first);
    last = lower_ascii(last);
  } else if (way < 50) {
    first = "  " + first + " ";
    last += "  ";
  }
}

// An e-mail as another row writes it: all upper case, or capitals after the dots ("Anna.Ivanova@
// Vektor12.ru").
std::string vary_email(std::string email, Draw& draw) {
  const auto way = draw.below(100);
  if (way < 35) {
    return upper_ascii(email);
  }
  if (way < 55) {
    bool capital = true;
    for (auto& c : email) {
      if (capital && c >= 'a' && c <= 'z') {
        c = static_cast<char>(c - 'a' + 'A');
      }
      capital = c == '.' || c == '@';
    }
  }
  return email;
}

struct ColleagueListFigures {
  ListFigures list;
  std::size_t companies_listed = 0;
  std::size_t rows_with_switchboard = 0;
  std::size_t rows_with_role_mailbox = 0;
  std::size_t rows_with_only_a_mobile = 0;
  std::size_t rows_with_only_a_direct_line = 0;
};

// The list of colleagues: each person's first row comes in a shuffled order (companies mixed), 12%
// of rows repeat a person listed earlier, written differently, and 1% cannot become a lead. `truth`
// learns every personal identifier, the shared ones, and the person of every row.
ColleagueListFigures write_colleague_list(const fs::path& path, std::size_t rows,
                                          const Colleagues& colleagues, Truth& truth) {
  for (std::uint32_t id = 0; id < colleagues.people.size(); ++id) {
    const auto& colleague = colleagues.people[id];
    const auto market = colleagues.companies[colleague.company].market;
    if (!colleague.email.empty()) {
      truth.add_personal(email_key(colleague.email), id);
    }
    if (!colleague.mobile.empty()) {
      truth.add_personal(phone_key(e164(market, colleague.mobile)), id);
    }
    if (!colleague.direct_line.empty()) {
      truth.add_personal(phone_key(e164(market, colleague.direct_line)), id);
    }
  }
  for (const auto& company : colleagues.companies) {
    truth.add_shared(phone_key(e164(company.market, company.switchboard)));
    truth.add_shared(email_key("sales@" + company.domain));
    truth.add_shared(email_key("info@" + company.domain));
  }

  std::vector<std::uint32_t> first_rows(colleagues.people.size());
  std::iota(first_rows.begin(), first_rows.end(), 0U);
  Draw shuffle(0x5EED);
  for (std::size_t i = first_rows.size(); i > 1; --i) {
    std::swap(first_rows[i - 1], first_rows[shuffle.below(i)]);
  }

  std::ofstream out(path, std::ios::binary);
  out << "First Name,Last Name,Email,Email 2,Phone,Mobile,Company,Job Title,Website,City,Country,"
         "Notes\r\n";
  ColleagueListFigures figures;
  std::vector<std::uint32_t> listed;
  std::vector<bool> company_listed(colleagues.companies.size());
  listed.reserve(rows);
  std::size_t next_first_row = 0;
  for (std::size_t row = 0; row < rows; ++row) {
    Draw draw(0xFEED'0000ULL + row);
    const auto kind = draw.below(100);
    if (kind == 99) { // a row that cannot become a lead: no valid contact
      const auto& company = colleagues.companies[draw.below(colleagues.companies.size())];
      const auto name = choose_name(company.market, draw);
      out << csv_line({name.first, name.last, "no-email@", "", "555-0100", "", company.name, "", "",
                       std::string(facts(company.market).city),
                       std::string(facts(company.market).country_names[0]), ""})
          << "\r\n";
      truth.add_row(no_person, 0);
      ++figures.list.bad;
      continue;
    }
    const bool repeat = (kind < 12 && listed.size() > 100) || next_first_row == first_rows.size();
    std::uint32_t id = 0;
    if (repeat) {
      id = listed[draw.below(listed.size())];
      ++figures.list.duplicates;
    } else {
      id = first_rows[next_first_row++];
      listed.push_back(id);
    }
    const auto& colleague = colleagues.people[id];
    const auto& company = colleagues.companies[colleague.company];
    const auto market = company.market;
    if (!company_listed[colleague.company]) {
      company_listed[colleague.company] = true;
      ++figures.companies_listed;
    }

    // Which of the person's identifiers the row shows; at least one of their own.
    bool show_email = !colleague.email.empty() && draw.chance(repeat ? 80 : 90);
    bool show_mobile = !colleague.mobile.empty() && draw.chance(repeat ? 60 : 70);
    bool show_direct_line = !colleague.direct_line.empty() && draw.chance(40);
    const bool only_a_mobile = repeat && !colleague.mobile.empty() && draw.chance(12);
    // No identifier the de-duplication merges on: only the name can join it to the person's lead.
    const bool only_the_direct_line =
        !only_a_mobile && !colleague.direct_line.empty() && draw.chance(15);
    if (only_a_mobile) {
      show_email = false;
      show_direct_line = false;
      show_mobile = true;
      ++figures.rows_with_only_a_mobile;
    } else if (only_the_direct_line) {
      show_email = false;
      show_mobile = false;
      show_direct_line = true;
      ++figures.rows_with_only_a_direct_line;
    }
    if (!show_email && !show_mobile && !show_direct_line) {
      show_email = !colleague.email.empty();
      show_mobile = !show_email;
    }

    std::string first = colleague.first;
    std::string last = colleague.last;
    if (repeat) {
      vary_name(first, last, draw);
    } else if (draw.chance(5)) {
      first = upper_latin_and_cyrillic(first);
      last = upper_latin_and_cyrillic(last);
    }
    std::string email;
    std::string email2;
    if (show_email) {
      email = repeat ? vary_email(colleague.email, draw) : colleague.email;
    }
    if (!only_a_mobile && draw.chance(12)) {
      (show_email ? email2 : email) = (draw.chance(50) ? "sales@" : "info@") + company.domain;
      ++figures.rows_with_role_mailbox;
    }
    std::string phone;
    if (show_direct_line) {
      phone = written_phone(market, colleague.direct_line, draw.below(5));
    } else if (!only_a_mobile && draw.chance(65)) {
      phone = written_phone(market, company.switchboard, draw.below(5));
      ++figures.rows_with_switchboard;
    }
    const auto mobile = show_mobile ? written_phone(market, colleague.mobile, draw.below(5)) : "";
    const auto& titles_here = market_titles[static_cast<std::size_t>(market)];
    // A later row may give a newer title.
    const auto title_index = colleague.title + (repeat && draw.chance(40) ? 1U : 0U);
    const std::string title(titles_here[title_index % titles_here.size()]);
    const auto& company_name = draw.chance(20) ? company.other_name : company.name;
    const auto website = !only_a_mobile && draw.chance(60) ? "www." + company.domain : "";
    const auto country = std::string(facts(market).country_names[draw.below(2)]);
    const auto notes = draw.chance(5) ? "met at GITEX, hall " + std::to_string(draw.below(9)) : "";
    out << csv_line({first, last, email, email2, phone, mobile, company_name, title, website,
                     std::string(facts(market).city), country, notes})
        << "\r\n";
    truth.add_row(id, static_cast<std::uint8_t>((show_email ? Truth::shows_personal_email : 0) |
                                                (show_mobile ? Truth::shows_mobile : 0)));
  }
  figures.list.rows = rows;
  return figures;
}

// A colleague, for the false-merge examples.
std::string describe_colleague(const Colleagues& colleagues, std::uint32_t id) {
  const auto& colleague = colleagues.people[id];
  const auto& company = colleagues.companies[colleague.company];
  std::string text = "#" + std::to_string(id) + " " + colleague.first + " " + colleague.last;
  if (!colleague.email.empty()) {
    text += " <" + colleague.email + ">";
  }
  if (!colleague.mobile.empty()) {
    text += " mobile " + e164(company.market, colleague.mobile);
  }
  if (!colleague.direct_line.empty()) {
    text += " direct " + e164(company.market, colleague.direct_line);
  }
  return text + " at " + company.domain;
}

// The phones of the first `count` colleagues as the list writes them, with the region the import
// takes from the row's country.
std::vector<std::pair<std::string, std::string>> colleague_phones(const Colleagues& colleagues,
                                                                  std::size_t count) {
  std::vector<std::pair<std::string, std::string>> phones;
  for (std::uint32_t id = 0; id < colleagues.people.size() && phones.size() < count; ++id) {
    const auto& colleague = colleagues.people[id];
    const auto& company = colleagues.companies[colleague.company];
    const auto& number = colleague.mobile.empty() ? company.switchboard : colleague.mobile;
    phones.emplace_back(written_phone(company.market, number, id),
                        std::string(facts(company.market).region));
  }
  return phones;
}

// ---- the phone ceiling ------------------------------------------------------------------------

// The phones of the default list's first `count` people, with the region the import takes.
std::vector<std::pair<std::string, std::string>> default_list_phones(std::size_t count) {
  std::vector<std::pair<std::string, std::string>> phones;
  phones.reserve(count);
  for (std::uint64_t id = 0; id < count; ++id) {
    const auto p = person(id);
    phones.emplace_back(p.phone, leadsync::importer::region_for_country(p.country).value_or("US"));
  }
  return phones;
}

// Microseconds per number of leadsync::importer::normalize_phone, as the import calls it, on one
// thread over `phones` (number, region).
double phone_microseconds(const std::vector<std::pair<std::string, std::string>>& phones) {
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

// ---- the import against the truth ---------------------------------------------------------------

std::string share(std::size_t part, std::size_t whole) {
  if (whole == 0) {
    return "n/a";
  }
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), "%.1f%%",
                100.0 * static_cast<double>(part) / static_cast<double>(whole));
  return text.data();
}

std::string count_text(std::size_t value) {
  return with_commas(static_cast<double>(value));
}

// The CSV line a merge record's source names ("list.csv line 1234"); 0 when it names none.
std::size_t line_of_source(std::string_view source) {
  const auto at = source.rfind(" line ");
  if (at == std::string_view::npos) {
    return 0;
  }
  std::size_t line = 0;
  for (const char c : source.substr(at + 6)) {
    if (c < '0' || c > '9') {
      return 0;
    }
    line = line * 10 + static_cast<std::size_t>(c - '0');
  }
  return line;
}

bool share_a_person(const std::vector<std::uint32_t>& a, const std::vector<std::uint32_t>& b) {
  return std::find_first_of(a.begin(), a.end(), b.begin(), b.end()) != a.end();
}

// The text of the given CSV lines of `list` (sorted line numbers; 1 is the header).
std::map<std::size_t, std::string> read_lines(const fs::path& list,
                                              const std::vector<std::size_t>& lines) {
  std::map<std::size_t, std::string> text;
  std::ifstream in(list, std::ios::binary);
  std::string line;
  std::size_t number = 0;
  auto wanted = lines.begin();
  while (wanted != lines.end() && std::getline(in, line)) {
    ++number;
    if (number == *wanted) {
      if (!line.empty() && line.back() == '\r') {
        line.pop_back();
      }
      text.emplace(number, line);
      ++wanted;
    }
  }
  return text;
}

struct FalseMerge {
  std::string lead_id;
  std::vector<std::uint32_t> people;
  std::vector<leadsync::model::MergeRecord> merges;
};

// Up to five false merges: whom the lead holds, the merges recorded on it (rule and row), and the
// rows of its people as the list has them.
void print_false_merges(const std::vector<FalseMerge>& false_merges, const Truth& truth,
                        const fs::path& list,
                        const std::function<std::string(std::uint32_t)>& describe) {
  std::vector<std::vector<std::pair<std::size_t, std::uint32_t>>> rows_of_example;
  std::vector<std::size_t> lines;
  for (const auto& example : false_merges) {
    auto rows = truth.lines_of(example.people);
    if (rows.size() > 12) {
      rows.resize(12);
    }
    for (const auto& row : rows) {
      lines.push_back(row.first);
    }
    rows_of_example.push_back(std::move(rows));
  }
  std::sort(lines.begin(), lines.end());
  lines.erase(std::unique(lines.begin(), lines.end()), lines.end());
  const auto text = read_lines(list, lines);
  for (std::size_t i = 0; i < false_merges.size(); ++i) {
    const auto& example = false_merges[i];
    std::printf("    false merge: lead %s holds\n", example.lead_id.c_str());
    for (const auto person : example.people) {
      std::printf("      %s\n", describe(person).c_str());
    }
    for (const auto& merge : example.merges) {
      const auto person = truth.person_of_line(line_of_source(merge.source));
      const auto whose = person == no_person ? std::string() : " (#" + std::to_string(person) + ")";
      std::printf("      merged by rule '%s' from %s%s\n", merge.rule.c_str(), merge.source.c_str(),
                  whose.c_str());
    }
    for (const auto& [line, person] : rows_of_example[i]) {
      const auto found = text.find(line);
      std::printf("      line %zu (#%u): %s\n", line, person,
                  found == text.end() ? "?" : found->second.c_str());
    }
  }
}

// Reads the store the import of `list` wrote and prints, against `truth`: true merges, false
// merges (with up to five examples, the rules that merged them and the rows), missed duplicates and
// the precision of the review queue. `describe` names a person of the list.
void print_against_truth(const fs::path& database, const fs::path& list, const Truth& truth,
                         const nlohmann::json& summary,
                         const std::function<std::string(std::uint32_t)>& describe) {
  namespace store = leadsync::store;
  store::SqliteOptions options;
  options.path = database;
  auto opened = store::open_sqlite_store(options);
  if (!opened.ok()) {
    std::printf("  cannot open %s to check the merges: %s\n", database.c_str(),
                opened.error().message.c_str());
    return;
  }
  store::Store& leads = *opened.value();
  auto queued = leads.list_duplicate_pairs(store::DuplicateStatus::open,
                                           std::numeric_limits<std::size_t>::max());
  if (!queued.ok()) {
    std::printf("  cannot read the review queue: %s\n", queued.error().message.c_str());
    return;
  }
  const auto& pairs = queued.value();

  // The leads of the queued pairs: whom they hold is kept while the leads are read.
  constexpr auto no_lead = std::numeric_limits<std::uint32_t>::max();
  std::unordered_map<std::string, std::size_t> slot_of_paired_lead;
  for (const auto& pair : pairs) {
    slot_of_paired_lead.try_emplace(pair.lead_a, slot_of_paired_lead.size());
    slot_of_paired_lead.try_emplace(pair.lead_b, slot_of_paired_lead.size());
  }
  std::vector<std::vector<std::uint32_t>> people_of_slot(slot_of_paired_lead.size());
  std::vector<std::uint32_t> lead_of_slot(slot_of_paired_lead.size(), no_lead);

  std::vector<std::uint64_t> person_and_lead; // person << 32 | lead number, for every lead
  std::size_t lead_count = 0;
  std::size_t leads_without_person = 0;
  std::size_t identifiers_unknown = 0;
  std::size_t true_merges = 0;
  std::size_t leads_with_several_people = 0;
  std::size_t people_folded = 0;
  std::size_t rows_merged_into_them = 0;
  std::map<std::string, std::size_t> true_merges_by_rule;  // from the merge records
  std::map<std::string, std::size_t> false_merges_by_rule; // merges into leads of several people
  std::vector<FalseMerge> false_merges;
  store::PageRequest page;
  page.limit = 1000;
  for (;;) {
    auto listed = leads.list_leads({}, page);
    if (!listed.ok()) {
      std::printf("  cannot read the leads: %s\n", listed.error().message.c_str());
      return;
    }
    for (const auto& lead : listed.value().leads) {
      const auto number = static_cast<std::uint32_t>(lead_count++);
      std::vector<std::uint32_t> people;
      const auto attribute = [&](const std::string& key) {
        if (const auto person = truth.person_of(key); person != no_person) {
          people.push_back(person);
        } else if (!truth.is_shared(key)) {
          ++identifiers_unknown;
        }
      };
      for (const auto& email : lead.person.emails) {
        attribute(email_key(email));
      }
      for (const auto& phone : lead.person.phones) {
        if (!phone.e164.empty()) {
          attribute(phone_key(phone.e164));
        }
      }
      std::sort(people.begin(), people.end());
      people.erase(std::unique(people.begin(), people.end()), people.end());
      for (const auto person : people) {
        person_and_lead.push_back(std::uint64_t{person} << 32U | number);
      }
      const auto merges = static_cast<std::size_t>(lead.merge_count);
      if (people.empty()) {
        ++leads_without_person;
      } else if (people.size() == 1) {
        true_merges += merges;
        for (const auto& merge : lead.merges) {
          ++true_merges_by_rule[merge.rule];
        }
      } else {
        ++leads_with_several_people;
        people_folded += people.size() - 1;
        rows_merged_into_them += merges;
        for (const auto& merge : lead.merges) {
          ++false_merges_by_rule[merge.rule];
        }
        if (false_merges.size() < 5) {
          false_merges.push_back({lead.identity.id, people, lead.merges});
        }
      }
      if (const auto slot = slot_of_paired_lead.find(lead.identity.id);
          slot != slot_of_paired_lead.end()) {
        people_of_slot[slot->second] = std::move(people);
        lead_of_slot[slot->second] = number;
      }
    }
    if (listed.value().next.empty()) {
      break;
    }
    page.after = listed.value().next;
  }

  // The review queue: a pair is the same person when its leads hold a person in common.
  std::map<std::string, std::pair<std::size_t, std::size_t>> pairs_by_rule; // same, different
  std::unordered_set<std::uint64_t> paired_leads;
  std::size_t same_person_pairs = 0;
  for (const auto& pair : pairs) {
    const auto slot_a = slot_of_paired_lead.at(pair.lead_a);
    const auto slot_b = slot_of_paired_lead.at(pair.lead_b);
    const bool same = share_a_person(people_of_slot[slot_a], people_of_slot[slot_b]);
    same_person_pairs += same ? 1 : 0;
    auto& by_rule = pairs_by_rule[pair.rule];
    (same ? by_rule.first : by_rule.second) += 1;
    const auto a = lead_of_slot[slot_a];
    const auto b = lead_of_slot[slot_b];
    if (a != no_lead && b != no_lead) {
      paired_leads.insert(std::uint64_t{std::min(a, b)} << 32U | std::max(a, b));
    }
  }

  // Missed duplicates: people whose identifiers are on two or more leads.
  std::sort(person_and_lead.begin(), person_and_lead.end());
  std::size_t people_split = 0;
  std::size_t extra_leads = 0;
  std::size_t split_but_paired = 0;
  std::size_t split_with_unlinked_row = 0;
  for (std::size_t begin = 0; begin < person_and_lead.size();) {
    const auto person = static_cast<std::uint32_t>(person_and_lead[begin] >> 32U);
    auto end = begin + 1;
    while (end < person_and_lead.size() &&
           static_cast<std::uint32_t>(person_and_lead[end] >> 32U) == person) {
      ++end;
    }
    if (end - begin > 1) {
      ++people_split;
      extra_leads += end - begin - 1;
      split_with_unlinked_row += truth.has_unlinked_repeat(person) ? 1 : 0;
      bool paired = false;
      for (auto i = begin; i < end && !paired; ++i) {
        for (auto j = i + 1; j < end && !paired; ++j) {
          paired = paired_leads.contains((person_and_lead[i] & 0xFFFF'FFFFU) << 32U |
                                         (person_and_lead[j] & 0xFFFF'FFFFU));
        }
      }
      split_but_paired += paired ? 1 : 0;
    }
    begin = end;
  }

  const auto unchanged = static_cast<std::size_t>(summary.value("unchanged", 0.0));
  std::printf("  against the generator's truth (%s people listed, %s rows repeat one of them):\n",
              count_text(truth.people_listed()).c_str(), count_text(truth.repeat_rows()).c_str());
  std::printf("    true merges: %s rows merged into a lead holding only their person (%s of the "
              "repeats; %s more changed nothing)\n",
              count_text(true_merges).c_str(), share(true_merges, truth.repeat_rows()).c_str(),
              count_text(unchanged).c_str());
  std::printf("    false merges: %s leads hold two or more people (%s people folded into another's "
              "lead, %s rows merged into them); target 0\n",
              count_text(leads_with_several_people).c_str(), count_text(people_folded).c_str(),
              count_text(rows_merged_into_them).c_str());
  const auto by_rule_text = [](const std::map<std::string, std::size_t>& counts) {
    std::string text;
    for (const auto& [rule, count] : counts) {
      text += (text.empty() ? "" : ", ") + rule + " " + count_text(count);
    }
    return text.empty() ? std::string("none") : text;
  };
  std::printf("    merges by rule (as recorded on the leads): into leads of one person: %s; into "
              "leads of several people: %s\n",
              by_rule_text(true_merges_by_rule).c_str(),
              by_rule_text(false_merges_by_rule).c_str());
  std::printf("    missed duplicates: %s people split over two or more leads (%s extra leads); %s "
              "of them paired in the review queue; %s have a row sharing no e-mail or mobile with "
              "their earlier rows (%s such rows in the list)\n",
              count_text(people_split).c_str(), count_text(extra_leads).c_str(),
              count_text(split_but_paired).c_str(), count_text(split_with_unlinked_row).c_str(),
              count_text(truth.unlinked_repeat_rows()).c_str());
  std::printf(
      "    review queue: %s pairs (import: %s possible duplicates, %s suspicious clusters): "
      "%s the same person, %s different people, precision %s\n",
      count_text(pairs.size()).c_str(),
      count_text(static_cast<std::size_t>(summary.value("possible_duplicates", 0.0))).c_str(),
      count_text(static_cast<std::size_t>(summary.value("suspicious_clusters", 0.0))).c_str(),
      count_text(same_person_pairs).c_str(), count_text(pairs.size() - same_person_pairs).c_str(),
      share(same_person_pairs, pairs.size()).c_str());
  for (const auto& [rule, counts] : pairs_by_rule) {
    std::printf("      %-24s %9s pairs: %s the same person, %s different people\n", rule.c_str(),
                count_text(counts.first + counts.second).c_str(), count_text(counts.first).c_str(),
                count_text(counts.second).c_str());
  }
  std::printf("    leads: %s (a perfect import makes %s); %s hold no identifier of the list's "
              "people; %s identifiers on leads the generator did not make\n",
              count_text(lead_count).c_str(), count_text(truth.people_listed()).c_str(),
              count_text(leads_without_person).c_str(), count_text(identifiers_unknown).c_str());
  print_false_merges(false_merges, truth, list, describe);
}

// ---- running the importers ------------------------------------------------------------------

// The labels every list is imported with, by `leadsync import` and by the cleaning pass alike.
constexpr std::string_view list_vendor = "Bench Data";
constexpr std::string_view list_name = "bench";
constexpr std::string_view list_acquired = "2026-11-01";

struct LeadsyncRun {
  ChildRun child;
  nlohmann::json summary; // what `leadsync import --json` printed
  double rows_read = 0;

  double rows_per_second() const { return rows_read / child.seconds; }
  double peak_rss_mb() const { return static_cast<double>(child.max_rss_kib) / 1024.0; }
  double cpu_us_per_row() const { return child.cpu_seconds * 1e6 / std::max(1.0, rows_read); }
  // Threads of the import at work on average: its CPU time over its wall time.
  double cores_busy() const { return child.cpu_seconds / child.seconds; }
};

// `leadsync init` in work/leadsync, then `leadsync import` of `list` into that store, as a child
// process; prints the command, the counts and the figures. Nothing when it fails (said on stderr).
std::optional<LeadsyncRun> run_leadsync(const fs::path& list, const fs::path& work,
                                        unsigned cores) {
  const auto store_dir = work / "leadsync";
  const auto init = run_child({LEADSYNC_EXE, "init", store_dir.string()}, work);
  if (init.exit_code != 0) {
    std::fprintf(stderr, "leadsync init failed\n");
    return std::nullopt;
  }
  const auto config = (store_dir / "leadsync.toml").string();
  const std::vector<std::string> command = {LEADSYNC_EXE,
                                            "-c",
                                            config,
                                            "import",
                                            list.string(),
                                            "--vendor",
                                            std::string(list_vendor),
                                            "--list",
                                            std::string(list_name),
                                            "--acquired",
                                            std::string(list_acquired),
                                            "--errors",
                                            (work / "rejected.csv").string(),
                                            "--no-progress",
                                            "--json"};
  std::printf("  leadsync: %s", LEADSYNC_EXE);
  for (std::size_t i = 1; i < command.size(); ++i) {
    std::printf(" %s", command[i].c_str());
  }
  std::printf("\n");
  std::fflush(stdout);
  LeadsyncRun run;
  run.child = run_child(command, work);
  if (run.child.exit_code > 1) {
    std::fprintf(stderr, "leadsync import failed (exit %d)\n", run.child.exit_code);
    return std::nullopt;
  }
  run.summary = nlohmann::json::parse(run.child.out, nullptr, false);
  if (!run.summary.is_object()) {
    std::fprintf(stderr, "leadsync import printed no JSON summary\n");
    return std::nullopt;
  }
  const auto& summary = run.summary;
  run.rows_read = summary.at("rows_read").get<double>();
  std::printf("  rows read %s: new %s, merged %s, unchanged %s, rejected %s\n",
              with_commas(run.rows_read).c_str(),
              with_commas(summary.at("new_leads").get<double>()).c_str(),
              with_commas(summary.at("merged").get<double>()).c_str(),
              with_commas(summary.at("unchanged").get<double>()).c_str(),
              with_commas(summary.at("rejected").at("total").get<double>()).c_str());
  std::printf("  leadsync import: %.1f s, %s rows/s (process start to exit), peak RSS %.1f MB\n",
              run.child.seconds, with_commas(run.rows_per_second()).c_str(), run.peak_rss_mb());
  std::printf("  leadsync used %.1f s of CPU: %.1f us per row over all threads; cores busy %.2f of "
              "%u (CPU time / wall time)\n",
              run.child.cpu_seconds, run.cpu_us_per_row(), run.cores_busy(), cores);
  std::fflush(stdout);
  return run;
}

struct NodeRun {
  double seconds = 0;
  double rows_per_second = 0;
  double peak_rss_mb = 0;
};

// The Node.js pipeline of tests/bench/node-import on `list` (installed with `npm ci` the first
// time); prints its figures. Nothing when it cannot run (said on stdout).
std::optional<NodeRun> run_node(const fs::path& list, const fs::path& work, std::size_t rows) {
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
  const auto run = run_child(
      {"node", (node_dir / "import.js").string(), list.string(), (work / "node.db").string()},
      work);
  if (run.exit_code != 0) {
    std::printf("  node import.js failed (exit %d): %s\n", run.exit_code, run.out.c_str());
    return std::nullopt;
  }
  const NodeRun node = {.seconds = run.seconds,
                        .rows_per_second = static_cast<double>(rows) / run.seconds,
                        .peak_rss_mb = static_cast<double>(run.max_rss_kib) / 1024.0};
  const auto counts = nlohmann::json::parse(run.out, nullptr, false);
  std::printf("  node import.js: %.1f s, %s rows/s, peak RSS %.1f MB (created %s, duplicates %s, "
              "rejected %s)\n",
              node.seconds, with_commas(node.rows_per_second).c_str(), node.peak_rss_mb,
              with_commas(counts.value("created", 0.0)).c_str(),
              with_commas(counts.value("duplicates", 0.0)).c_str(),
              with_commas(counts.value("rejected", 0.0)).c_str());
  std::fflush(stdout);
  return node;
}

// ---- the cleaning ceiling -----------------------------------------------------------------------

// A cleaning-only pass over a list, in this process: the CsvImport pipeline reads, decodes, maps
// and cleans every row on its normalizer threads, and de-duplicates and writes nothing
// (PipelineTuning::clean_only). Its CPU per row is the least any import of the list costs, so the
// machine's cores over it bound the rows per second an import can reach here: the ceiling.
struct CleaningPass {
  std::int64_t rows = 0;
  std::int64_t rejected = 0;
  double seconds = 0;     // wall time of the run
  double cpu_seconds = 0; // user + system time of the process over the run, all its threads
  unsigned cores = 1;

  double rows_per_second() const { return static_cast<double>(rows) / seconds; }
  double cpu_us_per_row() const {
    return cpu_seconds * 1e6 / static_cast<double>(std::max<std::int64_t>(1, rows));
  }
  double ceiling_rows_per_second() const { return cores * 1e6 / cpu_us_per_row(); }
};

// Runs the cleaning-only pass over `list` with the dictionary and options `leadsync import` uses
// with the bench's flags and the config `leadsync init` writes (the built-in column dictionary,
// default region US, unmapped columns in the description), a dry run against a fresh in-memory
// store, `cores` normalizer threads (as the CLI: one per hardware thread). Prints its figures;
// nothing when it fails (said on stdout).
std::optional<CleaningPass> run_cleaning_pass(const fs::path& list, unsigned cores,
                                              const LeadsyncRun& import) {
  namespace importer = leadsync::importer;
  namespace store = leadsync::store;
  store::SqliteOptions store_options;
  store_options.path = ":memory:";
  auto opened = store::open_sqlite_store(store_options);
  if (!opened.ok()) {
    std::printf("  cleaning pass: cannot open an in-memory store: %s\n",
                opened.error().describe().c_str());
    return std::nullopt;
  }
  auto dictionary = importer::ColumnDictionary::load_text(importer::builtin_import_columns(),
                                                          "built-in import-columns.toml");
  if (!dictionary.ok()) {
    std::printf("  cleaning pass: the built-in column dictionary does not load: %s\n",
                dictionary.error().describe().c_str());
    return std::nullopt;
  }
  importer::CsvImportOptions options;
  options.path = list.string();
  options.vendor = list_vendor;
  options.list_id = list_name;
  options.acquired_on = leadsync::model::parse_date(list_acquired).value();
  options.dry_run = true; // clean_only is refused without it
  auto prepared = importer::CsvImport::prepare(*opened.value(), dictionary.value(), options);
  if (!prepared.ok()) {
    std::printf("  cleaning pass: cannot prepare %s: %s\n", list.c_str(),
                prepared.error().describe().c_str());
    return std::nullopt;
  }
  importer::PipelineTuning tuning;
  tuning.normalizer_threads = cores;
  tuning.clean_only = true;
  // The other threads of this process are idle meanwhile: the process's CPU time is the pass's.
  const double cpu_before = leadsync::bench::process_cpu_seconds();
  const auto started = std::chrono::steady_clock::now();
  auto report = prepared.value().run(tuning);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double cpu_seconds = leadsync::bench::process_cpu_seconds() - cpu_before;
  if (!report.ok()) {
    std::printf("  cleaning pass failed: %s\n", report.error().describe().c_str());
    return std::nullopt;
  }
  const auto& counts = report.value().counts;
  const CleaningPass pass = {.rows = counts.rows_read,
                             .rejected = counts.rejected(),
                             .seconds = seconds,
                             .cpu_seconds = cpu_seconds,
                             .cores = cores};
  std::printf("  cleaning only (in process, %u normalizer threads, nothing de-duplicated or "
              "written): %.1f s, %s rows/s, %.1f s of CPU: %.1f us per row; rejected %s\n",
              cores, pass.seconds, with_commas(pass.rows_per_second()).c_str(), pass.cpu_seconds,
              pass.cpu_us_per_row(), with_commas(static_cast<double>(pass.rejected)).c_str());
  std::printf("  cleaning ceiling: %u cores / %.1f us per row = %s rows/s\n", cores,
              pass.cpu_us_per_row(), with_commas(pass.ceiling_rows_per_second()).c_str());
  // Every list repeats people, so only a pass that de-duplicates merges rows.
  if (counts.merged() + counts.unchanged > 0) {
    std::printf("  WARNING: the cleaning pass merged rows: this build's importer does not honour "
                "PipelineTuning::clean_only, so a whole dry run was measured and the ceiling is "
                "too low\n");
  }
  const auto import_rejected = import.summary.at("rejected").at("total").get<double>();
  if (static_cast<double>(pass.rows) != import.rows_read ||
      static_cast<double>(pass.rejected) != import_rejected) {
    std::printf("  WARNING: the cleaning pass read %s rows and rejected %s, the import %s and %s: "
                "they did not clean the same rows\n",
                with_commas(static_cast<double>(pass.rows)).c_str(),
                with_commas(static_cast<double>(pass.rejected)).c_str(),
                with_commas(import.rows_read).c_str(), with_commas(import_rejected).c_str());
  }
  std::fflush(stdout);
  return pass;
}

// ---- one list: its imports, its ceilings, its targets -------------------------------------------

// The issue's targets, for each list.
constexpr double target_share_of_ceiling = 0.8; // leadsync rows/s over the cleaning ceiling
constexpr double target_times_node = 2.0;       // leadsync rows/s over the Node pipeline's
constexpr double target_peak_rss_mb = 150.0;    // leadsync import's peak RSS

enum class ListKind : std::uint8_t { default_list, colleagues };

// What one list's run measured: its row of the summary.
struct ListResult {
  std::string name;
  LeadsyncRun leadsync;
  std::optional<CleaningPass> cleaning;
  std::optional<NodeRun> node;

  std::optional<double> share_of_ceiling() const {
    if (!cleaning) {
      return std::nullopt;
    }
    return leadsync.rows_per_second() / cleaning->ceiling_rows_per_second();
  }
  std::optional<double> times_node() const {
    if (!node) {
      return std::nullopt;
    }
    return leadsync.rows_per_second() / node->rows_per_second;
  }
};

const char* verdict(bool met) {
  return met ? "met" : "MISSED";
}

std::string figure(const char* format, double value) {
  std::array<char, 64> text{};
  std::snprintf(text.data(), text.size(), format, value);
  return text.data();
}

// "0.45 (>= 0.8: MISSED)", "2.31x (>= 2.0x: met)" with unit "x"; "n/a (why)" without a ratio.
std::string ratio_against(const std::optional<double>& ratio, double target, const char* unit,
                          const char* missing) {
  if (!ratio) {
    return std::string("n/a (") + missing + ")";
  }
  return figure("%.2f", *ratio) + unit + " (>= " + figure("%.1f", target) + unit + ": " +
         verdict(*ratio >= target) + ")";
}

void print_targets(const ListResult& result) {
  const auto rss = result.leadsync.peak_rss_mb();
  std::printf(
      "  ratios and targets: leadsync / cleaning ceiling %s; leadsync / Node %s; peak RSS "
      "%.1f MB (<= %.0f MB: %s)\n",
      ratio_against(result.share_of_ceiling(), target_share_of_ceiling, "", "no cleaning pass")
          .c_str(),
      ratio_against(result.times_node(), target_times_node, "x", "no Node run").c_str(), rss,
      target_peak_rss_mb, verdict(rss <= target_peak_rss_mb));
  std::fflush(stdout);
}

// Generates the list of `kind` in `work`, imports it with leadsync and (unless !node) Node, runs
// the cleaning pass and the phone ceiling, checks the import against the generator's truth and
// prints it all with the ratios and targets. Nothing when the list or leadsync fails (said on
// stderr).
std::optional<ListResult> run_list(ListKind kind, std::size_t rows, std::size_t people_per_company,
                                   bool node, const fs::path& work) {
  const auto cores = std::max(1U, std::thread::hardware_concurrency());
  ListResult result;
  result.name = kind == ListKind::default_list
                    ? std::string("default list")
                    : std::to_string(people_per_company) + " people per company";
  std::printf("\n== %s ==\n", result.name.c_str());

  const auto list = work / "list.csv";
  Truth truth;
  std::optional<Colleagues> colleagues;
  ListFigures figures;
  std::optional<ColleagueListFigures> colleague_figures;
  if (kind == ListKind::default_list) {
    figures = write_list(list, rows, truth);
  } else {
    // About 87% of the rows are a person's first: enough people for them, and a few to spare.
    colleagues = make_colleagues(rows * 87 / 100 + 1'000, people_per_company);
    if (colleagues->companies.size() > max_companies) {
      std::fprintf(stderr, "import_bench: too many companies; give more people per company\n");
      return std::nullopt;
    }
    colleague_figures = write_colleague_list(list, rows, *colleagues, truth);
    figures = colleague_figures->list;
  }
  truth.seal();
  std::printf("list: %s rows (%s duplicates of earlier people, %s bad rows), %.1f MB, %s\n",
              with_commas(static_cast<double>(figures.rows)).c_str(),
              with_commas(static_cast<double>(figures.duplicates)).c_str(),
              with_commas(static_cast<double>(figures.bad)).c_str(),
              static_cast<double>(fs::file_size(list)) / 1e6, list.c_str());
  if (colleague_figures) {
    std::printf(
        "  colleagues: %s companies listed, %s people (%.1f per company, the largest %s); "
        "%s people share their exact name with a colleague (%s namesakes on purpose); rows "
        "with the switchboard %s, with a sales@ or info@ mailbox %s, with only a direct line %s, "
        "repeats with only a mobile %s\n",
        count_text(colleague_figures->companies_listed).c_str(),
        count_text(truth.people_listed()).c_str(),
        static_cast<double>(truth.people_listed()) /
            static_cast<double>(std::max<std::size_t>(1, colleague_figures->companies_listed)),
        count_text(colleagues->largest_company).c_str(),
        count_text(colleagues->sharing_their_name).c_str(),
        count_text(colleagues->namesakes).c_str(),
        count_text(colleague_figures->rows_with_switchboard).c_str(),
        count_text(colleague_figures->rows_with_role_mailbox).c_str(),
        count_text(colleague_figures->rows_with_only_a_direct_line).c_str(),
        count_text(colleague_figures->rows_with_only_a_mobile).c_str());
  }
  std::fflush(stdout);

  auto leadsync = run_leadsync(list, work, cores);
  if (!leadsync) {
    return std::nullopt;
  }
  result.leadsync = std::move(*leadsync);
  result.cleaning = run_cleaning_pass(list, cores, result.leadsync);
  const auto phone_sample = std::min<std::size_t>(rows, 100'000);
  const double phone_us = phone_microseconds(
      colleagues ? colleague_phones(*colleagues, phone_sample) : default_list_phones(phone_sample));
  std::printf("  phone validation alone (normalize_phone, one thread): %.1f us per number; %u "
              "cores validating nothing else reach %s rows/s\n",
              phone_us, cores, with_commas(cores * 1e6 / phone_us).c_str());
  std::fflush(stdout);
  if (node) {
    result.node = run_node(list, work, rows);
  }

  const auto database = work / "leadsync" / "state.db";
  if (colleagues) {
    print_against_truth(database, list, truth, result.leadsync.summary,
                        [&](std::uint32_t id) { return describe_colleague(*colleagues, id); });
  } else {
    print_against_truth(database, list, truth, result.leadsync.summary, describe_person);
  }
  print_targets(result);
  return result;
}

// ---- the summary --------------------------------------------------------------------------------

// One row per list, as a Markdown table (for the README).
void print_summary(const std::vector<ListResult>& results, std::size_t rows) {
  const auto cores = std::max(1U, std::thread::hardware_concurrency());
  std::printf("\n== summary: %s rows per list, %u cores; targets: >= %.1f of the cleaning "
              "ceiling, >= %.0fx the Node pipeline, peak RSS <= %.0f MB ==\n\n",
              with_commas(static_cast<double>(rows)).c_str(), cores, target_share_of_ceiling,
              target_times_node, target_peak_rss_mb);
  std::printf("| list | leadsync rows/s | peak RSS | CPU per row | cores busy | cleaning ceiling "
              "| leadsync / ceiling | Node rows/s | leadsync / Node |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& result : results) {
    const auto& ours = result.leadsync;
    const auto rss = ours.peak_rss_mb();
    std::string ceiling = "n/a";
    std::string of_ceiling = "n/a";
    if (result.cleaning) {
      ceiling = with_commas(result.cleaning->ceiling_rows_per_second()) + " (" +
                figure("%.1f", result.cleaning->cpu_us_per_row()) + " us per row)";
      const auto share = *result.share_of_ceiling();
      of_ceiling = figure("%.2f ", share) + verdict(share >= target_share_of_ceiling);
    }
    std::string node_rate = "n/a";
    std::string of_node = "n/a";
    if (result.node) {
      node_rate = with_commas(result.node->rows_per_second);
      const auto times = *result.times_node();
      of_node = figure("%.2fx ", times) + verdict(times >= target_times_node);
    }
    std::printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", result.name.c_str(),
                with_commas(ours.rows_per_second()).c_str(),
                (figure("%.0f MB ", rss) + verdict(rss <= target_peak_rss_mb)).c_str(),
                figure("%.1f us", ours.cpu_us_per_row()).c_str(),
                figure("%.2f", ours.cores_busy()).c_str(), ceiling.c_str(), of_ceiling.c_str(),
                node_rate.c_str(), of_node.c_str());
  }
  std::fflush(stdout);
}

// ---- the command line ---------------------------------------------------------------------------

struct BenchOptions {
  std::size_t rows = 1'000'000;
  bool default_list = true;
  bool colleagues = true;
  std::size_t people_per_company = 20;
  std::string keep;
  bool node = true;
};

constexpr const char* usage = "usage: import_bench [--rows N] [--mode both|default|company] "
                              "[--people-per-company [N]] [--keep DIR] [--no-node]\n";

// The options, or exits (2) with the usage.
BenchOptions parse_options(int argc, char** argv) {
  BenchOptions options;
  std::optional<std::string_view> mode;
  bool people_per_company_given = false;
  const auto is_number = [](std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--rows" && i + 1 < argc && is_number(argv[i + 1])) {
      options.rows = std::stoul(argv[++i]);
    } else if (arg == "--mode" && i + 1 < argc) {
      mode = argv[++i];
    } else if (arg == "--people-per-company") {
      people_per_company_given = true;
      if (i + 1 < argc && is_number(argv[i + 1])) {
        options.people_per_company = std::max<std::size_t>(1, std::stoul(argv[++i]));
      }
    } else if (arg == "--keep" && i + 1 < argc) {
      options.keep = argv[++i];
    } else if (arg == "--no-node") {
      options.node = false;
    } else {
      std::fprintf(stderr, "%s", usage);
      std::exit(2);
    }
  }
  // --people-per-company without --mode keeps its old meaning: the colleagues' list only.
  if (!mode && people_per_company_given) {
    mode = "company";
  }
  if (mode && *mode != "both") {
    if (*mode != "default" && *mode != "company") {
      std::fprintf(stderr, "import_bench: --mode is both, default or company\n%s", usage);
      std::exit(2);
    }
    options.default_list = *mode == "default";
    options.colleagues = *mode == "company";
  }
  if (options.colleagues && options.rows > max_colleagues) {
    std::fprintf(stderr,
                 "import_bench: the colleagues' list has at most %s rows; give fewer --rows, or "
                 "--mode default\n",
                 with_commas(static_cast<double>(max_colleagues)).c_str());
    std::exit(2);
  }
  return options;
}

} // namespace

int main(int argc, char** argv) {
  const auto options = parse_options(argc, argv);
  const fs::path work = leadsync::bench::work_folder(options.keep, "leadsync-import-bench");
  std::vector<std::pair<ListKind, std::string>> lists; // each with its folder's name
  if (options.default_list) {
    lists.emplace_back(ListKind::default_list, "default");
  }
  if (options.colleagues) {
    lists.emplace_back(ListKind::colleagues, "company");
  }
  std::vector<ListResult> results;
  for (const auto& [kind, folder] : lists) {
    const auto list_work = work / folder;
    fs::create_directories(list_work);
    auto result = run_list(kind, options.rows, options.people_per_company, options.node, list_work);
    if (!result) {
      std::fprintf(stderr, "import_bench: the work folder %s is left for a look\n", work.c_str());
      return 1;
    }
    results.push_back(std::move(*result));
    if (options.keep.empty()) {
      fs::remove_all(list_work); // the next list's stores need the room
    }
  }
  print_summary(results, options.rows);
  if (options.keep.empty()) {
    fs::remove_all(work);
  }
  return 0;
}
