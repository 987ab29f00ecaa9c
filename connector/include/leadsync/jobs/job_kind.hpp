#pragma once
// The kinds of job the CLI and the daemon run (design section 2, issue 15 "One job layer"), by the
// names the run history and the [schedule] table use.

#include "leadsync/core/config.hpp"

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace leadsync::jobs {

enum class JobKind { pull, push, enrich, qualify, import };

inline constexpr std::array<JobKind, 5> all_job_kinds = {
    JobKind::pull, JobKind::push, JobKind::enrich, JobKind::qualify, JobKind::import};

// "pull", "push", "enrich", "qualify", "import": also the kind of the job's runs in the history.
std::string_view to_string(JobKind kind) noexcept;
// The name to_string() gives, exactly; nullopt for anything else.
std::optional<JobKind> parse_job_kind(std::string_view text) noexcept;

// The [schedule] expression of a kind ("*/5 * * * *", "@every 30s"); empty when the kind is off.
// import is never on a schedule: the daemon imports what appears in schedule.import_watch.
const std::string& schedule_expression(const config::ScheduleOptions& schedule, JobKind kind);

} // namespace leadsync::jobs
