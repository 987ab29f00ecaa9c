#pragma once
// Run history and checkpoints (named values such as delta links): one role of the Store
// (store/store.hpp).

#include "leadsync/core/result.hpp"
#include "leadsync/store/store_types.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace leadsync::store {

struct RunRecord {
  std::int64_t id = 0;
  std::string kind;   // "import", "push", "pull", "enrich", "qualify"
  std::string status; // "running", "ok", "partial", "failed", "interrupted"
  TimePoint started_at{};
  std::optional<TimePoint> finished_at;
  std::map<std::string, std::int64_t> counts; // e.g. {"read":120,"created":100,"rejected":2}
  std::string message;
  std::string owner; // the process running it, "<host>:<pid>" (begin_run sets it)
};

class RunStore {
public:
  virtual ~RunStore() = default;

  // Checkpoints: named values such as delta links.
  virtual Result<std::optional<std::string>> get_checkpoint(const std::string& name) = 0;
  virtual Status put_checkpoint(const std::string& name, const std::string& value) = 0;
  // Writes `value` under `name` only if the stored value is still `expected` (std::nullopt: there
  // is no checkpoint of that name), reading and writing in one transaction: of two processes that
  // read the same value and both try to replace it, exactly one succeeds. Returns false, having
  // written nothing, when the stored value is another. An import takes its file this way.
  virtual Result<bool> put_checkpoint_if(const std::string& name,
                                         const std::optional<std::string>& expected,
                                         const std::string& value) = 0;
  virtual Result<std::map<std::string, std::string>> list_checkpoints() = 0;

  // Run history.
  virtual Result<RunRecord> begin_run(const std::string& kind) = 0;
  virtual Status finish_run(const RunRecord& run) = 0; // status, counts, message, finished_at
  virtual Result<std::vector<RunRecord>> list_runs(std::size_t limit) = 0; // newest first
};

} // namespace leadsync::store
