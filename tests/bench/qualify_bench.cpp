// qualify_bench: scores --leads N (default 1,000,000) generated leads, 5 behaviour events each,
// with the shipped mappings/scoring.toml on one core. Leads are generated and scored in chunks of
// 10,000, so memory stays flat whatever N is. Prints leads per second (scoring only, generation
// excluded), the ratio to the 200,000 leads/s target, peak RSS and the grade, stage and decision
// distribution.
//   qualify_bench [--leads N] [--rules FILE]

#include "leadsync/qualify/assess.hpp"
#include "leadsync_test_paths.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/resource.h>
#include <vector>

namespace {

using namespace std::chrono_literals;
namespace model = leadsync::model;
namespace qualify = leadsync::qualify;

// xorshift64*: deterministic, fast.
struct Random {
  std::uint64_t state;
  std::uint64_t next() {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 2685821657736338717ULL;
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
  template <typename T, std::size_t N> const T& pick(const std::array<T, N>& items) {
    return items[below(N)];
  }
};

constexpr std::array<const char*, 16> titles = {"Chief Technology Officer",
                                                "VP of Sales",
                                                "Director of Marketing",
                                                "Head of IT",
                                                "Sales Manager",
                                                "Software Engineer",
                                                "Student",
                                                "Founder & CEO",
                                                "Генеральный директор",
                                                "Менеджер по продажам",
                                                "Geschäftsführer",
                                                "Marketing Intern",
                                                "Procurement Specialist",
                                                "Team Lead Platform",
                                                "Directeur Général",
                                                "مدير المبيعات"};
constexpr std::array<const char*, 6> seniorities = {"cxo",     "vp",    "director",
                                                    "manager", "entry", ""};
constexpr std::array<const char*, 8> industries = {
    "Software",  "Banking",       "Retail",    "Consulting",
    "Education", "Manufacturing", "Insurance", "Telecommunications"};
constexpr std::array<const char*, 8> countries = {"US", "DE", "GB", "RU", "FR", "BR", "IN", "SA"};
constexpr std::array<const char*, 8> hosts = {
    "acme.example",    "gmail.com", "globex.example", "yandex.ru",
    "initech.example", "mit.edu",   "outlook.com",    "rival-leads.example"};
constexpr std::array<const char*, 4> first_names = {"Anna", "John", "Мария", "Ahmed"};

void make_lead(Random& random, std::size_t n, model::TimePoint now, model::Lead& lead,
               std::vector<model::BehaviourEvent>& events) {
  lead.person.first_name = random.pick(first_names);
  lead.person.last_name = random.below(10) == 0 ? "" : "Ivanova";
  lead.person.job_title = random.pick(titles);
  lead.person.seniority = random.pick(seniorities);
  lead.person.emails.clear();
  if (random.below(10) != 0) {
    lead.person.emails.push_back("p" + std::to_string(n) + "@" + random.pick(hosts));
  }
  lead.person.phones.resize(random.below(3) == 0 ? 0 : 1);
  for (auto& phone : lead.person.phones) {
    phone.valid = random.below(5) != 0;
  }
  lead.company.name = random.below(8) == 0 ? "" : "Company";
  lead.company.industry = random.pick(industries);
  lead.company.employee_count = static_cast<std::int64_t>(random.below(5000));
  lead.company.annual_revenue = static_cast<double>(random.below(100)) * 1e6;
  lead.company.address.country = random.pick(countries);
  lead.origin.channel = static_cast<model::Channel>(random.below(14));
  lead.origin.campaign = random.below(3) == 0 ? "Spring webinar" : "";
  lead.origin.lists.resize(random.below(4));
  const auto today = std::chrono::floor<std::chrono::days>(now);
  for (auto& list : lead.origin.lists) {
    list.vendor = random.below(2) == 0 ? "ListCo" : "DataVendor";
    list.list_id = std::to_string(random.below(5));
    list.exclusive = random.below(4) == 0;
    list.acquired_on = std::chrono::year_month_day{today - std::chrono::days{random.below(200)}};
  }
  auto& bant = lead.qualification.bant;
  bant = model::Bant{};
  if (random.below(3) == 0) {
    bant.budget_status = static_cast<model::BudgetStatus>(random.below(4));
    bant.decision_maker = random.below(2) == 0;
    bant.need = static_cast<model::Need>(random.below(4));
    bant.purchase_timeframe = static_cast<model::PurchaseTimeframe>(random.below(5));
  }
  lead.enrichment.resize(random.below(3));
  for (auto& provenance : lead.enrichment) {
    provenance.confidence = static_cast<double>(random.below(100)) / 100.0;
  }
  events.resize(5);
  for (auto& event : events) {
    event.kind = static_cast<model::BehaviourKind>(random.below(10));
    event.occurred_at = now - std::chrono::minutes{random.below(60 * 24 * 120)};
    event.weight = 1.0;
  }
}

} // namespace

int main(int argc, char** argv) {
  std::size_t total_leads = 1000000;
  std::string rules_path = std::string(LEADSYNC_SOURCE_DIR) + "/mappings/scoring.toml";
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--leads") == 0 && i + 1 < argc) {
      total_leads = std::strtoull(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "--rules") == 0 && i + 1 < argc) {
      rules_path = argv[++i];
    } else {
      std::fprintf(stderr, "usage: qualify_bench [--leads N] [--rules FILE]\n");
      return 2;
    }
  }
  auto loaded = qualify::load_rules(rules_path);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.error().describe().c_str());
    return 1;
  }
  const qualify::RuleSet& rules = loaded.value();
  const model::TimePoint now = std::chrono::sys_days{std::chrono::year{2026} / 3 / 10} + 12h;

  constexpr std::size_t chunk = 10000;
  std::vector<model::Lead> leads(chunk);
  std::vector<std::vector<model::BehaviourEvent>> events(chunk);
  qualify::Assessment assessment;
  Random random{0x9E3779B97F4A7C15ULL};
  std::array<std::size_t, 4> grades{};
  std::array<std::size_t, 8> stages{};
  std::array<std::size_t, 3> decisions{};
  std::array<std::size_t, 8> reasons{};
  double checksum = 0;
  std::chrono::steady_clock::duration scoring{};

  for (std::size_t done = 0; done < total_leads;) {
    const std::size_t count = std::min(chunk, total_leads - done);
    for (std::size_t i = 0; i < count; ++i) {
      make_lead(random, done + i, now, leads[i], events[i]);
    }
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < count; ++i) {
      qualify::assess_into(rules, leads[i], events[i], now, assessment);
      ++grades[static_cast<std::size_t>(assessment.grade - 'A')];
      ++stages[static_cast<std::size_t>(assessment.stage)];
      ++decisions[static_cast<std::size_t>(assessment.decision.kind)];
      if (assessment.decision.kind == qualify::DecisionKind::disqualify) {
        ++reasons[static_cast<std::size_t>(assessment.decision.status_reason)];
      }
      checksum += assessment.scores.total;
    }
    scoring += std::chrono::steady_clock::now() - start;
    done += count;
  }

  const double seconds = std::chrono::duration<double>(scoring).count();
  const double rate = seconds > 0 ? static_cast<double>(total_leads) / seconds : 0;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("qualify_bench: %zu leads, 5 events each, rules %s, one thread\n", total_leads,
              rules_path.c_str());
  std::printf("  scoring time      %.3f s (generation excluded)\n", seconds);
  std::printf("  leads per second  %.0f\n", rate);
  std::printf("  target ratio      %.2fx of 200,000 leads/s\n", rate / 200000.0);
  std::printf("  peak RSS          %.1f MiB\n", static_cast<double>(usage.ru_maxrss) / 1024.0);
  std::printf("  mean total score  %.2f\n", checksum / static_cast<double>(total_leads));
  const auto share = [&](std::size_t n) {
    return 100.0 * static_cast<double>(n) / static_cast<double>(total_leads);
  };
  std::printf(
      "  grades            A %zu (%.1f%%)  B %zu (%.1f%%)  C %zu (%.1f%%)  D %zu (%.1f%%)\n",
      grades[0], share(grades[0]), grades[1], share(grades[1]), grades[2], share(grades[2]),
      grades[3], share(grades[3]));
  std::printf("  stages            cold %zu  mql %zu  pql %zu  sql %zu\n",
              stages[static_cast<std::size_t>(model::LifecycleStage::cold)],
              stages[static_cast<std::size_t>(model::LifecycleStage::mql)],
              stages[static_cast<std::size_t>(model::LifecycleStage::pql)],
              stages[static_cast<std::size_t>(model::LifecycleStage::sql)]);
  std::printf("  decisions         leave open %zu  qualify %zu  disqualify %zu (lost %zu, cannot "
              "contact %zu, no longer interested %zu, canceled %zu)\n",
              decisions[0], decisions[1], decisions[2], reasons[4], reasons[5], reasons[6],
              reasons[7]);
  return 0;
}
