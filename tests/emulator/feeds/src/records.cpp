#include "femu/records.hpp"

#include "femu/text.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <set>

namespace femu {
namespace {

using leadsync::ErrorCategory;
using leadsync::fail;
using nlohmann::json;

// ---- reading planted records ----

leadsync::Result<std::string> string_field(const json& record, const char* name) {
  const auto it = record.find(name);
  if (it == record.end() || it->is_null()) {
    return std::string();
  }
  if (!it->is_string()) {
    return fail(ErrorCategory::invalid_argument, std::string(name) + " must be a string");
  }
  return it->get<std::string>();
}

// A list of strings, or of objects carrying the string under `object_key` (PDL's
// emails[{"address"}], phone_numbers as plain strings).
leadsync::Result<std::vector<std::string>> string_list_field(const json& record, const char* name,
                                                             const char* object_key) {
  std::vector<std::string> values;
  const auto it = record.find(name);
  if (it == record.end() || it->is_null()) {
    return values;
  }
  if (it->is_string()) {
    values.push_back(it->get<std::string>());
    return values;
  }
  if (!it->is_array()) {
    return fail(ErrorCategory::invalid_argument, std::string(name) + " must be an array");
  }
  for (const auto& item : *it) {
    if (item.is_string()) {
      values.push_back(item.get<std::string>());
    } else if (item.is_object() && item.contains(object_key) && item[object_key].is_string()) {
      values.push_back(item[object_key].get<std::string>());
    } else {
      return fail(ErrorCategory::invalid_argument, std::string(name) +
                                                       " items must be strings or objects with \"" +
                                                       object_key + "\"");
    }
  }
  return values;
}

leadsync::Result<std::int64_t> integer_field(const json& record, const char* name) {
  const auto it = record.find(name);
  if (it == record.end() || it->is_null()) {
    return std::int64_t{0};
  }
  if (!it->is_number_integer()) {
    return fail(ErrorCategory::invalid_argument, std::string(name) + " must be an integer");
  }
  return it->get<std::int64_t>();
}

void add_unique(std::vector<std::string>& list, const std::string& value) {
  if (!value.empty() && std::find(list.begin(), list.end(), value) == list.end()) {
    list.push_back(value);
  }
}

std::string lower_email(std::string_view email) {
  std::string lowered(email);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lowered;
}

std::string hex_id(std::uint64_t hash) {
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(hash));
  return buffer;
}

// The lower bound of a PDL size range ("51-200" -> 51, "10001+" -> 10001).
std::int64_t size_lower_bound(std::string_view size) {
  std::int64_t value = 0;
  for (const char c : size) {
    if (c < '0' || c > '9') {
      break;
    }
    value = value * 10 + (c - '0');
  }
  return value;
}

// ---- the synthetic population ----

class Rng { // splitmix64: tiny, seedable, identical on every platform
public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t bound) { return static_cast<std::size_t>(next() % bound); }
  bool chance(double probability) { return unit_fraction(next()) < probability; }
  template <typename T> const T& pick(const std::vector<T>& items) {
    return items[below(items.size())];
  }

private:
  std::uint64_t state_;
};

struct Word { // a name as written and in the ASCII spelling used for e-mails and handles
  std::string native;
  std::string ascii;
};

struct Title {
  std::string title;
  std::string role;
  std::vector<std::string> levels;
};

struct CompanySuffix {
  Word word;
  std::size_t industry; // index into industry_vocabulary()
};

enum class Script { latin, cyrillic, arabic };

struct Culture {
  Script script = Script::latin;
  std::string country; // lower-case English, as PDL writes it
  std::string tld;
  std::string phone_prefix; // country calling code with '+'
  std::vector<std::string> cities;
  std::vector<Word> male_first;
  std::vector<Word> female_first;
  std::vector<Word> last; // male form; Russian women's surnames add "а"
  std::vector<Word> company_roots;
  std::vector<CompanySuffix> company_suffixes;
  std::vector<Title> titles;
  std::vector<std::string> personal_mail_domains;
  int weight = 1; // share of companies
};

std::vector<Title> english_titles() {
  return {{"Chief Executive Officer", "operations", {"cxo"}},
          {"Chief Technology Officer", "engineering", {"cxo"}},
          {"VP Sales", "sales", {"vp"}},
          {"Sales Director", "sales", {"director"}},
          {"Procurement Manager", "operations", {"manager"}},
          {"Senior Software Engineer", "engineering", {"senior"}},
          {"Software Engineer", "engineering", {}},
          {"Marketing Manager", "marketing", {"manager"}},
          {"Accountant", "finance", {}},
          {"Head of IT", "engineering", {"director"}},
          {"HR Manager", "human_resources", {"manager"}},
          {"Account Executive", "sales", {}}};
}

std::vector<Word> latin_roots() {
  return {{"Acme", "acme"},
          {"Blue River", "blue-river"},
          {"Northwind", "northwind"},
          {"Summit", "summit"},
          {"Brightline", "brightline"},
          {"Ironwood", "ironwood"},
          {"Silverlake", "silverlake"},
          {"Redwood", "redwood"},
          {"Cobalt", "cobalt"},
          {"Evergreen", "evergreen"},
          {"Pinnacle", "pinnacle"},
          {"Lumen", "lumen"},
          {"Harbor", "harbor"},
          {"Atlas", "atlas"},
          {"Vertex", "vertex"},
          {"Crescent", "crescent"}};
}

std::vector<CompanySuffix> latin_suffixes() {
  return {
      {{"Analytics", "analytics"}, 1},   {{"Software", "software"}, 0}, {{"Systems", "systems"}, 1},
      {{"Consulting", "consulting"}, 3}, {{"Capital", "capital"}, 2},   {{"Media", "media"}, 4},
      {{"Stores", "stores"}, 5},         {{"Builders", "builders"}, 6}, {{"Health", "health"}, 7},
      {{"Learning", "learning"}, 8},     {{"Telecom", "telecom"}, 9},   {{"Labs", "labs"}, 0}};
}

// The cultures are data: each entry spells out its names, titles and domains, so the repeats of
// shape between entries are deliberate.
std::vector<Culture> cultures() {
  const std::vector<Word> english_male = {
      {"James", "james"},     {"Robert", "robert"}, {"Michael", "michael"}, {"David", "david"},
      {"William", "william"}, {"Daniel", "daniel"}, {"Thomas", "thomas"}};
  const std::vector<Word> english_female = {
      {"Mary", "mary"},   {"Patricia", "patricia"}, {"Jennifer", "jennifer"}, {"Linda", "linda"},
      {"Emily", "emily"}, {"Sarah", "sarah"},       {"Olivia", "olivia"}};
  const std::vector<Word> english_last = {
      {"Smith", "smith"},   {"Johnson", "johnson"}, {"Williams", "williams"},
      {"Brown", "brown"},   {"Jones", "jones"},     {"Miller", "miller"},
      {"Davis", "davis"},   {"Wilson", "wilson"},   {"Anderson", "anderson"},
      {"Taylor", "taylor"}, {"Clark", "clark"},     {"Walker", "walker"}};
  const std::vector<std::string> western_mail = {"gmail.com", "outlook.com", "yahoo.com"};

  std::vector<Culture> all;
  all.push_back({Script::latin,
                 "united states",
                 ".com",
                 "+1",
                 {"new york", "san francisco", "chicago", "austin"},
                 english_male,
                 english_female,
                 english_last,
                 latin_roots(),
                 latin_suffixes(),
                 english_titles(),
                 western_mail,
                 5});
  all.push_back({Script::latin,
                 "united kingdom",
                 ".co.uk",
                 "+44",
                 {"london", "manchester", "edinburgh"},
                 english_male,
                 english_female,
                 english_last,
                 latin_roots(),
                 latin_suffixes(),
                 english_titles(),
                 western_mail,
                 2});
  all.push_back(
      {Script::latin,
       "germany",
       ".de",
       "+49",
       {"berlin", "munich", "hamburg"},
       {{"Jürgen", "juergen"}, {"Klaus", "klaus"}, {"Lukas", "lukas"}, {"Stefan", "stefan"}},
       {{"Anna", "anna"}, {"Sabine", "sabine"}, {"Lena", "lena"}, {"Jana", "jana"}},
       {{"Müller", "mueller"},
        {"Schmidt", "schmidt"},
        {"Schneider", "schneider"},
        {"Fischer", "fischer"},
        {"Weber", "weber"},
        {"Wagner", "wagner"}},
       latin_roots(),
       latin_suffixes(),
       english_titles(),
       {"gmx.de", "web.de"},
       1});
  all.push_back({Script::latin,
                 "france",
                 ".fr",
                 "+33",
                 {"paris", "lyon", "toulouse"},
                 {{"Louis", "louis"}, {"Hugo", "hugo"}, {"Noël", "noel"}, {"Mathieu", "mathieu"}},
                 {{"Chloé", "chloe"}, {"Camille", "camille"}, {"Léa", "lea"}, {"Inès", "ines"}},
                 {{"Lefèvre", "lefevre"},
                  {"Dubois", "dubois"},
                  {"Moreau", "moreau"},
                  {"Laurent", "laurent"},
                  {"Girard", "girard"},
                  {"Bernard", "bernard"}},
                 latin_roots(),
                 latin_suffixes(),
                 english_titles(),
                 {"orange.fr", "gmail.com"},
                 1});
  all.push_back({Script::latin,
                 "spain",
                 ".es",
                 "+34",
                 {"madrid", "barcelona", "valencia"},
                 {{"José", "jose"}, {"Javier", "javier"}, {"Pablo", "pablo"}, {"Álvaro", "alvaro"}},
                 {{"María", "maria"}, {"Carmen", "carmen"}, {"Lucía", "lucia"}, {"Elena", "elena"}},
                 {{"García", "garcia"},
                  {"Fernández", "fernandez"},
                  {"López", "lopez"},
                  {"Martínez", "martinez"},
                  {"Sánchez", "sanchez"},
                  {"Romero", "romero"}},
                 latin_roots(),
                 latin_suffixes(),
                 english_titles(),
                 {"gmail.com", "hotmail.es"},
                 1});
  all.push_back({Script::cyrillic,
                 "russia",
                 ".ru",
                 "+7",
                 {"moscow", "saint petersburg", "kazan", "yekaterinburg"},
                 {{"Иван", "ivan"},
                  {"Дмитрий", "dmitry"},
                  {"Сергей", "sergey"},
                  {"Алексей", "alexey"},
                  {"Михаил", "mikhail"},
                  {"Андрей", "andrey"},
                  {"Павел", "pavel"}},
                 {{"Анна", "anna"},
                  {"Ольга", "olga"},
                  {"Елена", "elena"},
                  {"Наталья", "natalya"},
                  {"Мария", "maria"},
                  {"Татьяна", "tatyana"}},
                 {{"Петров", "petrov"},
                  {"Иванов", "ivanov"},
                  {"Смирнов", "smirnov"},
                  {"Кузнецов", "kuznetsov"},
                  {"Попов", "popov"},
                  {"Соколов", "sokolov"},
                  {"Волков", "volkov"},
                  {"Морозов", "morozov"},
                  {"Новиков", "novikov"},
                  {"Лебедев", "lebedev"}},
                 {{"Волга", "volga"},
                  {"Аврора", "avrora"},
                  {"Сибирь", "sibir"},
                  {"Восток", "vostok"},
                  {"Альфа", "alfa"},
                  {"Орбита", "orbita"},
                  {"Меридиан", "meridian"}},
                 {{{"Софт", "soft"}, 0},
                  {{"Консалтинг", "consulting"}, 3},
                  {{"Телеком", "telecom"}, 9},
                  {{"Строй", "stroy"}, 6},
                  {{"Финанс", "finance"}, 2},
                  {{"Медиа", "media"}, 4},
                  {{"Трейд", "trade"}, 5},
                  {{"ИТ", "it"}, 1}},
                 {{"Генеральный директор", "operations", {"cxo"}},
                  {"Директор по продажам", "sales", {"director"}},
                  {"Менеджер по закупкам", "operations", {"manager"}},
                  {"Инженер", "engineering", {}},
                  {"Ведущий программист", "engineering", {"senior"}},
                  {"Бухгалтер", "finance", {}},
                  {"Маркетолог", "marketing", {}}},
                 {"mail.ru", "yandex.ru", "gmail.com"},
                 4});
  const std::vector<Word> arabic_male = {{"محمد", "mohammed"}, {"أحمد", "ahmed"},
                                         {"يوسف", "youssef"},  {"علي", "ali"},
                                         {"عمر", "omar"},      {"خالد", "khaled"}};
  const std::vector<Word> arabic_female = {{"فاطمة", "fatima"},
                                           {"ليلى", "layla"},
                                           {"مريم", "maryam"},
                                           {"نور", "nour"},
                                           {"سارة", "sara"}};
  const std::vector<Word> arabic_last = {{"الحداد", "alhaddad"},    {"الزهراني", "alzahrani"},
                                         {"البلوشي", "albalushi"},  {"المنصوري", "almansouri"},
                                         {"القحطاني", "alqahtani"}, {"العتيبي", "alotaibi"},
                                         {"حسن", "hassan"},         {"إبراهيم", "ibrahim"}};
  const std::vector<Word> arabic_roots = {{"النور", "alnoor"},    {"الخليج", "alkhaleej"},
                                          {"الصحراء", "alsahra"}, {"الأمل", "alamal"},
                                          {"الرواد", "alrowad"},  {"الفجر", "alfajr"}};
  const std::vector<CompanySuffix> arabic_suffixes = {
      {{"للتقنية", "tech"}, 1},           {{"للاستشارات", "consulting"}, 3},
      {{"للتجارة", "trading"}, 5},        {{"للاتصالات", "telecom"}, 9},
      {{"للإنشاءات", "construction"}, 6}, {{"للخدمات المالية", "finance"}, 2}};
  const std::vector<Title> arabic_titles = {{"المدير التنفيذي", "operations", {"cxo"}},
                                            {"مدير المبيعات", "sales", {"manager"}},
                                            {"مهندس", "engineering", {}},
                                            {"محاسب", "finance", {}},
                                            {"مدير التسويق", "marketing", {"manager"}},
                                            {"مديرة المشتريات", "operations", {"manager"}}};
  all.push_back({Script::arabic,
                 "united arab emirates",
                 ".ae",
                 "+971",
                 {"dubai", "abu dhabi"},
                 arabic_male,
                 arabic_female,
                 arabic_last,
                 arabic_roots,
                 arabic_suffixes,
                 arabic_titles,
                 {"gmail.com", "hotmail.com"},
                 2});
  all.push_back({Script::arabic,
                 "saudi arabia",
                 ".sa",
                 "+966",
                 {"riyadh", "jeddah"},
                 arabic_male,
                 arabic_female,
                 arabic_last,
                 arabic_roots,
                 arabic_suffixes,
                 arabic_titles,
                 {"gmail.com", "hotmail.com"},
                 1});
  all.push_back({Script::arabic,
                 "egypt",
                 ".eg",
                 "+20",
                 {"cairo", "alexandria"},
                 arabic_male,
                 arabic_female,
                 arabic_last,
                 arabic_roots,
                 arabic_suffixes,
                 arabic_titles,
                 {"gmail.com", "yahoo.com"},
                 1});
  return all;
}

// Employee counts spread like a real market: many small companies, few large ones.
std::int64_t random_employee_count(Rng& rng) {
  static const std::array<std::pair<std::int64_t, std::int64_t>, 7> bands = {
      {{2, 10}, {11, 50}, {51, 200}, {201, 500}, {501, 1000}, {1001, 5000}, {5001, 20000}}};
  static const std::array<int, 7> weights = {20, 30, 25, 12, 7, 4, 2};
  auto roll = static_cast<int>(rng.below(100));
  std::size_t band = 0;
  while (roll >= weights[band]) {
    roll -= weights[band];
    ++band;
  }
  const auto [low, high] = bands[band];
  return low + static_cast<std::int64_t>(rng.below(static_cast<std::size_t>(high - low + 1)));
}

// PDL's inferred_revenue ranges, roughly $100k per employee.
std::string revenue_range(std::int64_t employees) {
  const std::int64_t dollars = employees * 100'000;
  if (dollars < 1'000'000) {
    return "$0-$1M";
  }
  if (dollars < 10'000'000) {
    return "$1M-$10M";
  }
  if (dollars < 25'000'000) {
    return "$10M-$25M";
  }
  if (dollars < 50'000'000) {
    return "$25M-$50M";
  }
  if (dollars < 100'000'000) {
    return "$50M-$100M";
  }
  if (dollars < 250'000'000) {
    return "$100M-$250M";
  }
  if (dollars < 500'000'000) {
    return "$250M-$500M";
  }
  if (dollars < 1'000'000'000) {
    return "$500M-$1B";
  }
  return "$1B-$10B";
}

std::string random_digits(Rng& rng, int count) {
  std::string digits;
  for (int i = 0; i < count; ++i) {
    digits += static_cast<char>('0' + rng.below(10));
  }
  return digits;
}

// "james.smith@domain"; a number is added when the address is taken.
std::string unique_email(std::set<std::string>& taken, const std::string& local,
                         const std::string& domain) {
  std::string email = local + "@" + domain;
  for (int n = 2; taken.count(email) > 0; ++n) {
    email = local + std::to_string(n) + "@" + domain;
  }
  taken.insert(email);
  return email;
}

} // namespace

leadsync::Result<Person> person_from_pdl_json(const json& record) {
  if (!record.is_object()) {
    return fail(ErrorCategory::invalid_argument, "a person must be a JSON object");
  }
  Person person;
  LEADSYNC_TRY(person.id, string_field(record, "id"));
  LEADSYNC_TRY(person.full_name, string_field(record, "full_name"));
  LEADSYNC_TRY(person.first_name, string_field(record, "first_name"));
  LEADSYNC_TRY(person.last_name, string_field(record, "last_name"));
  LEADSYNC_TRY(const auto listed_emails, string_list_field(record, "emails", "address"));
  LEADSYNC_TRY(const auto work_email, string_field(record, "work_email"));
  LEADSYNC_TRY(const auto personal_emails, string_list_field(record, "personal_emails", "address"));
  LEADSYNC_TRY(person.mobile_phone, string_field(record, "mobile_phone"));
  LEADSYNC_TRY(person.phone_numbers, string_list_field(record, "phone_numbers", "number"));
  LEADSYNC_TRY(person.job_title, string_field(record, "job_title"));
  LEADSYNC_TRY(person.job_title_role, string_field(record, "job_title_role"));
  LEADSYNC_TRY(person.job_title_levels, string_list_field(record, "job_title_levels", "level"));
  LEADSYNC_TRY(person.job_company_name, string_field(record, "job_company_name"));
  LEADSYNC_TRY(const auto company_website, string_field(record, "job_company_website"));
  LEADSYNC_TRY(person.job_company_size, string_field(record, "job_company_size"));
  LEADSYNC_TRY(person.job_company_industry, string_field(record, "job_company_industry"));
  LEADSYNC_TRY(person.linkedin_url, string_field(record, "linkedin_url"));
  LEADSYNC_TRY(person.twitter_url, string_field(record, "twitter_url"));
  LEADSYNC_TRY(person.github_url, string_field(record, "github_url"));
  LEADSYNC_TRY(person.location_name, string_field(record, "location_name"));
  LEADSYNC_TRY(person.location_locality, string_field(record, "location_locality"));
  LEADSYNC_TRY(person.location_country, string_field(record, "location_country"));
  LEADSYNC_TRY(person.bio, string_field(record, "bio"));

  person.work_email = lower_email(work_email);
  add_unique(person.emails, person.work_email);
  for (const auto& email : listed_emails) {
    add_unique(person.emails, lower_email(email));
  }
  for (const auto& email : personal_emails) {
    person.personal_emails.push_back(lower_email(email));
    add_unique(person.emails, lower_email(email));
  }
  person.job_company_website = normalize_domain(company_website);
  add_unique(person.phone_numbers, person.mobile_phone);
  if (person.full_name.empty()) {
    person.full_name = person.first_name +
                       (person.first_name.empty() || person.last_name.empty() ? "" : " ") +
                       person.last_name;
  }
  if (person.first_name.empty() && person.last_name.empty() && !person.full_name.empty()) {
    const auto space = person.full_name.find(' ');
    person.first_name = person.full_name.substr(0, space);
    person.last_name = space == std::string::npos ? "" : person.full_name.substr(space + 1);
  }
  if (person.full_name.empty() && person.emails.empty()) {
    return fail(ErrorCategory::invalid_argument,
                "a person needs a full_name (or first_name/last_name) or an e-mail address");
  }
  if (person.location_name.empty()) {
    person.location_name =
        person.location_locality +
        (person.location_locality.empty() || person.location_country.empty() ? "" : ", ") +
        person.location_country;
  }
  const std::string identity =
      person.full_name + "|" + (person.emails.empty() ? std::string() : person.emails.front());
  if (person.id.empty()) {
    person.id = hex_id(stable_hash(identity, 0x9e0917));
  }
  // A planted GitHub user shows its first e-mail publicly, so /search/users finds it (README).
  person.github_email_public = !person.github_url.empty() && !person.emails.empty();
  const auto facts = stable_hash(identity, 0x617);
  person.github_public_repos = static_cast<int>(facts % 90);
  person.github_followers = static_cast<int>((facts >> 8) % 400);
  person.github_following = static_cast<int>((facts >> 20) % 120);
  return person;
}

leadsync::Result<Company> company_from_pdl_json(const json& record) {
  if (!record.is_object()) {
    return fail(ErrorCategory::invalid_argument, "a company must be a JSON object");
  }
  Company company;
  LEADSYNC_TRY(company.id, string_field(record, "id"));
  LEADSYNC_TRY(company.name, string_field(record, "name"));
  LEADSYNC_TRY(const auto website, string_field(record, "website"));
  LEADSYNC_TRY(company.size, string_field(record, "size"));
  LEADSYNC_TRY(company.employee_count, integer_field(record, "employee_count"));
  LEADSYNC_TRY(company.industry, string_field(record, "industry"));
  LEADSYNC_TRY(company.inferred_revenue, string_field(record, "inferred_revenue"));
  LEADSYNC_TRY(const auto founded, integer_field(record, "founded"));
  LEADSYNC_TRY(company.linkedin_url, string_field(record, "linkedin_url"));
  LEADSYNC_TRY(company.twitter_url, string_field(record, "twitter_url"));
  if (const auto location = record.find("location");
      location != record.end() && !location->is_null()) {
    if (!location->is_object()) {
      return fail(ErrorCategory::invalid_argument,
                  "location must be an object like {\"locality\":..., \"country\":...}");
    }
    LEADSYNC_TRY(company.locality, string_field(*location, "locality"));
    LEADSYNC_TRY(company.country, string_field(*location, "country"));
  }
  company.website = normalize_domain(website);
  company.founded = static_cast<int>(founded);
  if (company.name.empty() && company.website.empty()) {
    return fail(ErrorCategory::invalid_argument, "a company needs a name or a website");
  }
  if (company.size.empty() && company.employee_count > 0) {
    company.size = pdl_size_range(company.employee_count);
  }
  if (company.employee_count == 0) {
    company.employee_count = size_lower_bound(company.size);
  }
  if (company.id.empty()) {
    company.id = hex_id(stable_hash(company.name + "|" + company.website, 0xc0));
  }
  return company;
}

void Directory::add(Person person) {
  const std::size_t index = people_.size();
  for (const auto& email : person.emails) {
    person_by_email_[lower_email(email)] = index;
  }
  for (const auto& phone : person.phone_numbers) {
    if (const auto digits = phone_digits(phone); !digits.empty()) {
      person_by_phone_[digits] = index;
    }
  }
  for (const auto* url : {&person.linkedin_url, &person.twitter_url, &person.github_url}) {
    if (!url->empty()) {
      person_by_profile_[normalize_profile_url(*url)] = index;
    }
  }
  if (const auto login = github_login(person); !login.empty()) {
    person_by_github_[lower_email(login)] = index;
  }
  std::set<std::string> names = {normalize_name(person.full_name),
                                 normalize_name(person.first_name + " " + person.last_name)};
  for (const auto& name : names) {
    if (!name.empty()) {
      people_by_name_.emplace(name, index);
    }
  }
  people_.push_back(std::move(person));
}

void Directory::add(Company company) {
  const std::size_t index = companies_.size();
  if (!company.website.empty()) {
    company_by_domain_[company.website] = index;
  }
  if (const auto name = normalize_company_name(company.name); !name.empty()) {
    company_by_name_[name] = index;
  }
  companies_.push_back(std::move(company));
}

void Directory::clear() {
  *this = Directory();
}

namespace {
template <typename Map>
const Person* find_person(const std::vector<Person>& people, const Map& index,
                          const std::string& key) {
  const auto it = index.find(key);
  return it == index.end() ? nullptr : &people[it->second];
}
} // namespace

const Person* Directory::person_by_email(std::string_view email) const {
  return find_person(people_, person_by_email_, lower_email(email));
}

const Person* Directory::person_by_phone(std::string_view phone) const {
  const auto digits = phone_digits(phone);
  return digits.empty() ? nullptr : find_person(people_, person_by_phone_, digits);
}

const Person* Directory::person_by_profile(std::string_view url) const {
  return find_person(people_, person_by_profile_, normalize_profile_url(url));
}

const Person* Directory::person_by_github_login(std::string_view login) const {
  return find_person(people_, person_by_github_, lower_email(login));
}

std::vector<const Person*> Directory::people_by_name(std::string_view full_name,
                                                     std::string_view company) const {
  std::vector<const Person*> found;
  const auto name = normalize_name(full_name);
  const auto company_name = normalize_company_name(company);
  const auto company_domain = normalize_domain(company);
  const auto [first, last] = people_by_name_.equal_range(name);
  for (auto it = first; it != last; ++it) {
    const Person& person = people_[it->second];
    const bool at_company =
        company.empty() ||
        (!company_name.empty() &&
         normalize_company_name(person.job_company_name) == company_name) ||
        (!company_domain.empty() && person.job_company_website == company_domain);
    if (at_company && std::find(found.begin(), found.end(), &person) == found.end()) {
      found.push_back(&person);
    }
  }
  return found;
}

const Company* Directory::company_by_domain(std::string_view website) const {
  const auto it = company_by_domain_.find(normalize_domain(website));
  return it == company_by_domain_.end() ? nullptr : &companies_[it->second];
}

const Company* Directory::company_by_name(std::string_view name) const {
  const auto it = company_by_name_.find(normalize_company_name(name));
  return it == company_by_name_.end() ? nullptr : &companies_[it->second];
}

std::string github_login(const Person& person) {
  return person.github_url.empty() ? std::string() : profile_handle(person.github_url);
}

std::string country_code(std::string_view country) {
  static const std::map<std::string, std::string, std::less<>> codes = {
      {"united states", "US"}, {"usa", "US"},          {"united kingdom", "GB"},
      {"germany", "DE"},       {"france", "FR"},       {"spain", "ES"},
      {"russia", "RU"},        {"россия", "RU"},       {"united arab emirates", "AE"},
      {"الإمارات", "AE"},      {"saudi arabia", "SA"}, {"السعودية", "SA"},
      {"egypt", "EG"},         {"china", "CN"},        {"azerbaijan", "AZ"}};
  const auto it = codes.find(utf8_lower(country));
  return it == codes.end() ? std::string() : it->second;
}

std::string pdl_size_range(std::int64_t employees) {
  if (employees <= 10) {
    return "1-10";
  }
  if (employees <= 50) {
    return "11-50";
  }
  if (employees <= 200) {
    return "51-200";
  }
  if (employees <= 500) {
    return "201-500";
  }
  if (employees <= 1000) {
    return "501-1000";
  }
  if (employees <= 5000) {
    return "1001-5000";
  }
  if (employees <= 10000) {
    return "5001-10000";
  }
  return "10001+";
}

void generate_population(Directory& directory, std::uint64_t seed, std::size_t people) {
  for (const auto& record : sample_list_records().at("companies")) {
    directory.add(company_from_pdl_json(record).value());
  }
  for (const auto& record : sample_list_records().at("people")) {
    Person person = person_from_pdl_json(record).value();
    // The lists give the company; its size and industry come from the company record.
    if (const Company* company = directory.company_by_domain(person.job_company_website)) {
      person.job_company_size = company->size;
      person.job_company_industry = company->industry;
    }
    directory.add(std::move(person));
  }

  Rng rng(seed);
  const auto all_cultures = cultures();
  std::vector<std::size_t> culture_by_weight;
  for (std::size_t i = 0; i < all_cultures.size(); ++i) {
    culture_by_weight.insert(culture_by_weight.end(),
                             static_cast<std::size_t>(all_cultures[i].weight), i);
  }
  std::set<std::string> taken_domains;
  for (const auto& company : directory.companies()) {
    taken_domains.insert(company.website);
  }
  std::set<std::string> taken_emails;
  for (const auto& person : directory.people()) {
    taken_emails.insert(person.emails.begin(), person.emails.end());
  }

  struct GeneratedCompany {
    std::size_t culture;
    Company company;
  };
  std::vector<GeneratedCompany> companies;
  const std::size_t company_count = std::max<std::size_t>(1, people / 8);
  for (std::size_t i = 0; i < company_count && people > 0; ++i) {
    const std::size_t culture_index = rng.pick(culture_by_weight);
    const Culture& culture = all_cultures[culture_index];
    const Word& root = rng.pick(culture.company_roots);
    const CompanySuffix& suffix = rng.pick(culture.company_suffixes);
    Company company;
    company.name = culture.script == Script::arabic
                       ? "شركة " + root.native + " " + suffix.word.native
                       : root.native + " " + suffix.word.native;
    std::string domain = root.ascii + "-" + suffix.word.ascii + culture.tld;
    for (int n = 2; taken_domains.count(domain) > 0; ++n) {
      domain = root.ascii + "-" + suffix.word.ascii + std::to_string(n) + culture.tld;
      company.name =
          culture.script == Script::arabic
              ? "شركة " + root.native + " " + suffix.word.native + " " + std::to_string(n)
              : root.native + " " + suffix.word.native + " " + std::to_string(n);
    }
    taken_domains.insert(domain);
    company.website = domain;
    company.id = hex_id(stable_hash(domain, seed));
    company.employee_count = random_employee_count(rng);
    company.size = pdl_size_range(company.employee_count);
    company.industry = industry_vocabulary()[suffix.industry];
    company.inferred_revenue = revenue_range(company.employee_count);
    company.locality = rng.pick(culture.cities);
    company.country = culture.country;
    company.founded = 1960 + static_cast<int>(rng.below(63));
    const std::string slug = domain.substr(0, domain.find('.'));
    company.linkedin_url = "linkedin.com/company/" + slug;
    company.twitter_url = rng.chance(0.5) ? "twitter.com/" + slug : "";
    companies.push_back({culture_index, company});
    directory.add(std::move(company));
  }

  for (std::size_t i = 0; i < people; ++i) {
    const GeneratedCompany& employer = companies[rng.below(companies.size())];
    // One in ten works abroad: a Cyrillic or Arabic name at a Western company and vice versa.
    const Culture& culture =
        all_cultures[rng.chance(0.1) ? rng.pick(culture_by_weight) : employer.culture];
    const bool female = rng.chance(0.5);
    const Word& first = rng.pick(female ? culture.female_first : culture.male_first);
    Word last = rng.pick(culture.last);
    if (female && culture.script == Script::cyrillic) {
      last.native += "а";
      last.ascii += "a";
    }
    const Title& title = rng.pick(culture.titles);

    Person person;
    person.first_name = first.native;
    person.last_name = last.native;
    person.full_name = first.native + " " + last.native;
    person.work_email =
        unique_email(taken_emails, first.ascii + "." + last.ascii, employer.company.website);
    person.emails.push_back(person.work_email);
    if (rng.chance(0.4)) {
      const auto personal =
          unique_email(taken_emails, first.ascii + last.ascii + random_digits(rng, 2),
                       rng.pick(culture.personal_mail_domains));
      person.personal_emails.push_back(personal);
      person.emails.push_back(personal);
    }
    person.mobile_phone = culture.phone_prefix + random_digits(rng, 9);
    person.phone_numbers.push_back(person.mobile_phone);
    person.job_title = title.title;
    person.job_title_role = title.role;
    person.job_title_levels = title.levels;
    person.job_company_name = employer.company.name;
    person.job_company_website = employer.company.website;
    person.job_company_size = employer.company.size;
    person.job_company_industry = employer.company.industry;
    const std::string tag = random_digits(rng, 4);
    if (rng.chance(0.85)) {
      person.linkedin_url = "linkedin.com/in/" + first.ascii + "-" + last.ascii + "-" + tag;
    }
    if (rng.chance(0.3)) {
      person.twitter_url = "twitter.com/" + first.ascii + last.ascii + tag.substr(0, 2);
    }
    if (rng.chance(title.role == "engineering" ? 0.7 : 0.2)) {
      person.github_url = "github.com/" + first.ascii + "-" + last.ascii + tag;
      person.github_email_public = rng.chance(0.5);
      person.github_public_repos = static_cast<int>(rng.below(120));
      person.github_followers = static_cast<int>(rng.below(800));
      person.github_following = static_cast<int>(rng.below(150));
    }
    person.location_locality = employer.company.locality;
    person.location_country = employer.company.country;
    person.location_name = person.location_locality + ", " + person.location_country;
    person.id = hex_id(stable_hash(person.work_email, seed));
    directory.add(std::move(person));
  }
}

} // namespace femu
