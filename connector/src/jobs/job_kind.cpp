#include "leadsync/jobs/job_kind.hpp"

namespace leadsync::jobs {

std::string_view to_string(JobKind kind) noexcept {
  switch (kind) {
  case JobKind::pull:
    return "pull";
  case JobKind::push:
    return "push";
  case JobKind::enrich:
    return "enrich";
  case JobKind::qualify:
    return "qualify";
  case JobKind::import:
    return "import";
  }
  return "unknown";
}

std::optional<JobKind> parse_job_kind(std::string_view text) noexcept {
  for (const JobKind kind : all_job_kinds) {
    if (to_string(kind) == text) {
      return kind;
    }
  }
  return std::nullopt;
}

const std::string& schedule_expression(const config::ScheduleOptions& schedule, JobKind kind) {
  static const std::string off;
  switch (kind) {
  case JobKind::pull:
    return schedule.pull;
  case JobKind::push:
    return schedule.push;
  case JobKind::enrich:
    return schedule.enrich;
  case JobKind::qualify:
    return schedule.qualify;
  case JobKind::import:
    break;
  }
  return off;
}

} // namespace leadsync::jobs
