// The import checkpoint as JSON, and the name that ties it to a file's content.

#include "leadsync/importer/import_checkpoint.hpp"

#include "leadsync/core/error.hpp"
#include "leadsync/model/json.hpp"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>
#include <openssl/evp.h>

namespace leadsync::importer {
namespace {

constexpr int checkpoint_format = 1;
constexpr std::size_t fingerprint_bytes = std::size_t{1} << 20;

std::string_view to_string(ImportCheckpoint::State state) {
  return state == ImportCheckpoint::State::finished ? "finished" : "running";
}

nlohmann::ordered_json counts_to_json(const ImportCounts& counts) {
  return {{"rows_read", counts.rows_read},
          {"new_leads", counts.new_leads},
          {"merged_in_file", counts.merged_in_file},
          {"merged_with_stored", counts.merged_with_stored},
          {"unchanged", counts.unchanged},
          {"empty_rows", counts.empty_rows},
          {"possible_duplicates", counts.possible_duplicates},
          {"suspicious_clusters", counts.suspicious_clusters},
          {"rejected_by_reason", counts.rejected_by_reason},
          {"with_notes", counts.with_notes}};
}

nlohmann::ordered_json settings_to_json(const ImportSettings& settings) {
  auto overrides = nlohmann::ordered_json::array();
  for (const auto& entry : settings.overrides) {
    overrides.push_back({{"header", entry.header}, {"field", entry.field}});
  }
  nlohmann::ordered_json list = {{"vendor", settings.list.vendor},
                                 {"list_id", settings.list.list_id},
                                 {"exclusive", settings.list.exclusive}};
  if (settings.list.acquired_on) {
    list["acquired_on"] = model::format_date(*settings.list.acquired_on);
  }
  return {{"encoding", settings.encoding},
          {"delimiter", std::string(1, settings.delimiter)},
          {"map", overrides},
          {"region", settings.default_region},
          {"list", list}};
}

model::TimePoint time_at(const nlohmann::json& document, const char* key) {
  auto time = model::parse_time(document.at(key).get<std::string>());
  if (!time.ok()) {
    throw std::invalid_argument(time.error().message);
  }
  return time.value();
}

// Reads the checkpoint's JSON; nlohmann throws on a missing key or a wrong type, which
// import_checkpoint_from_json turns into one error.
ImportCheckpoint checkpoint_from_document(const nlohmann::json& document) {
  if (document.at("format").get<int>() != checkpoint_format) {
    throw std::invalid_argument("format " + document.at("format").dump() + " is not " +
                                std::to_string(checkpoint_format));
  }
  ImportCheckpoint checkpoint;
  const auto state = document.at("state").get<std::string>();
  if (state != "running" && state != "finished") {
    throw std::invalid_argument("state '" + state + "' is neither running nor finished");
  }
  checkpoint.state =
      state == "finished" ? ImportCheckpoint::State::finished : ImportCheckpoint::State::running;
  checkpoint.file = document.at("file").get<std::string>();
  checkpoint.file_size = document.at("file_size").get<std::uint64_t>();

  const auto& settings = document.at("settings");
  checkpoint.settings.encoding = settings.at("encoding").get<std::string>();
  const auto delimiter = settings.at("delimiter").get<std::string>();
  if (delimiter.size() != 1) {
    throw std::invalid_argument("the delimiter '" + delimiter + "' is not one character");
  }
  checkpoint.settings.delimiter = delimiter[0];
  for (const auto& entry : settings.at("map")) {
    checkpoint.settings.overrides.push_back(
        {entry.at("header").get<std::string>(), entry.at("field").get<std::string>()});
  }
  checkpoint.settings.default_region = settings.at("region").get<std::string>();
  const auto& list = settings.at("list");
  checkpoint.settings.list.vendor = list.at("vendor").get<std::string>();
  checkpoint.settings.list.list_id = list.at("list_id").get<std::string>();
  checkpoint.settings.list.exclusive = list.at("exclusive").get<bool>();
  if (list.contains("acquired_on")) {
    auto date = model::parse_date(list.at("acquired_on").get<std::string>());
    if (!date.ok()) {
      throw std::invalid_argument(date.error().message);
    }
    checkpoint.settings.list.acquired_on = date.value();
  }

  const auto& resume = document.at("resume");
  checkpoint.resume.offset = resume.at("offset").get<std::uint64_t>();
  checkpoint.resume.index = resume.at("index").get<std::int64_t>();
  checkpoint.resume.line = resume.at("line").get<std::int64_t>();

  const auto& counts = document.at("counts");
  checkpoint.counts.rows_read = counts.at("rows_read").get<std::int64_t>();
  checkpoint.counts.new_leads = counts.at("new_leads").get<std::int64_t>();
  checkpoint.counts.merged_in_file = counts.at("merged_in_file").get<std::int64_t>();
  checkpoint.counts.merged_with_stored = counts.at("merged_with_stored").get<std::int64_t>();
  checkpoint.counts.unchanged = counts.at("unchanged").get<std::int64_t>();
  checkpoint.counts.empty_rows = counts.at("empty_rows").get<std::int64_t>();
  // Checkpoints of earlier versions have no review-queue counts.
  checkpoint.counts.possible_duplicates = counts.value("possible_duplicates", std::int64_t{0});
  checkpoint.counts.suspicious_clusters = counts.value("suspicious_clusters", std::int64_t{0});
  checkpoint.counts.rejected_by_reason =
      counts.at("rejected_by_reason").get<std::map<std::string, std::int64_t>>();
  checkpoint.counts.with_notes = counts.value("with_notes", std::int64_t{0});

  checkpoint.errors_file = document.at("errors_file").get<std::string>();
  checkpoint.errors_bytes = document.at("errors_bytes").get<std::uint64_t>();
  checkpoint.run_id = document.at("run_id").get<std::int64_t>();
  checkpoint.started_at = time_at(document, "started_at");
  // Added later: a checkpoint an older version wrote has none of these.
  checkpoint.notes_file = document.value("notes_file", std::string());
  checkpoint.notes_bytes = document.value("notes_bytes", std::uint64_t{0});
  checkpoint.owner = document.value("owner", std::string());
  checkpoint.owner_start = document.value("owner_start", std::string());
  if (document.contains("owner_since")) {
    checkpoint.owner_since = time_at(document, "owner_since");
  }
  if (document.contains("updated_at")) {
    checkpoint.updated_at = time_at(document, "updated_at");
  }
  return checkpoint;
}

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

struct DigestFreer {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

} // namespace

std::int64_t ImportCounts::rejected() const {
  return std::accumulate(rejected_by_reason.begin(), rejected_by_reason.end(), std::int64_t{0},
                         [](std::int64_t sum, const auto& entry) { return sum + entry.second; });
}

bool ImportCounts::balanced() const {
  return rows_read == new_leads + merged() + unchanged + rejected() + empty_rows;
}

std::map<std::string, std::int64_t> ImportCounts::run_counts() const {
  return {{"read", rows_read},
          {"created", new_leads},
          {"merged", merged()},
          {"unchanged", unchanged},
          {"rejected", rejected()},
          {"empty", empty_rows},
          {"possible_duplicates", possible_duplicates},
          {"suspicious_clusters", suspicious_clusters},
          {"with_notes", with_notes}};
}

std::string to_json_text(const ImportCheckpoint& checkpoint) {
  // State, file and position first: `leadsync status` shows the start of each checkpoint.
  const nlohmann::ordered_json document = {
      {"state", to_string(checkpoint.state)},
      {"file", checkpoint.file},
      {"resume",
       {{"line", checkpoint.resume.line},
        {"index", checkpoint.resume.index},
        {"offset", checkpoint.resume.offset}}},
      {"format", checkpoint_format},
      {"file_size", checkpoint.file_size},
      {"counts", counts_to_json(checkpoint.counts)},
      {"settings", settings_to_json(checkpoint.settings)},
      {"errors_file", checkpoint.errors_file},
      {"errors_bytes", checkpoint.errors_bytes},
      {"run_id", checkpoint.run_id},
      {"started_at", model::format_time(checkpoint.started_at)},
      {"notes_file", checkpoint.notes_file},
      {"notes_bytes", checkpoint.notes_bytes},
      {"owner", checkpoint.owner},
      {"owner_start", checkpoint.owner_start},
      {"owner_since", model::format_time(checkpoint.owner_since)},
      {"updated_at", model::format_time(checkpoint.updated_at)}};
  // Replacing ill-formed UTF-8 (a path in a legacy code page) keeps dump() from throwing.
  return document.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

Result<ImportCheckpoint> import_checkpoint_from_json(std::string_view text) {
  const auto document = nlohmann::json::parse(text, nullptr, false);
  if (!document.is_object()) {
    return fail(ErrorCategory::invalid_argument, "the import checkpoint is not a JSON object");
  }
  try {
    return checkpoint_from_document(document);
  } catch (const std::exception& problem) {
    return fail(ErrorCategory::invalid_argument,
                std::string("the import checkpoint cannot be read: ") + problem.what());
  }
}

Result<std::string> import_checkpoint_name(const std::string& path) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    return fail(ErrorCategory::invalid_argument,
                "cannot open " + path + ": " + system_error_text(errno));
  }
  std::unique_ptr<EVP_MD_CTX, DigestFreer> digest(EVP_MD_CTX_new());
  if (!digest || EVP_DigestInit_ex(digest.get(), EVP_sha256(), nullptr) != 1) {
    return fail(ErrorCategory::internal, "OpenSSL cannot compute SHA-256");
  }
  std::array<char, std::size_t{64} * 1024> buffer{};
  std::size_t hashed = 0;
  while (hashed < fingerprint_bytes) {
    const auto got = std::fread(buffer.data(), 1,
                                std::min(buffer.size(), fingerprint_bytes - hashed), file.get());
    if (got == 0) {
      break;
    }
    EVP_DigestUpdate(digest.get(), buffer.data(), got);
    hashed += got;
  }
  if (std::ferror(file.get()) != 0) {
    return fail(ErrorCategory::invalid_argument,
                "cannot read " + path + ": " + system_error_text(errno));
  }
  if (std::fseek(file.get(), 0, SEEK_END) != 0) {
    return fail(ErrorCategory::invalid_argument,
                "cannot find the size of " + path + ": " + system_error_text(errno));
  }
  const auto size = std::ftell(file.get());
  std::array<unsigned char, EVP_MAX_MD_SIZE> hash{};
  unsigned int hash_length = 0;
  EVP_DigestFinal_ex(digest.get(), hash.data(), &hash_length);
  std::string name = "import:";
  static constexpr char hex[] = "0123456789abcdef";
  for (unsigned int i = 0; i < hash_length; ++i) {
    name += hex[hash[i] >> 4U];
    name += hex[hash[i] & 0xFU];
  }
  return name + ":" + std::to_string(size);
}

} // namespace leadsync::importer
