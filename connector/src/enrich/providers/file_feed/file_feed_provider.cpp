// The file_feed provider: aggregator bulk feeds (JSON Lines or CSV files of PDL-style person
// records) dropped into a folder, indexed into the store by prepare() (feed_index.hpp) and looked
// up there.
//
// Lookups:
//  - person and social: by e-mail, then by profile URL (LinkedIn, X/Twitter from the handle, GitHub
//    from the login), then by phone; the first key with a record wins, and of several records the
//    newest (the store lists it last). The answer is pdl_person_fields(record), confidence 1.0.
//    Without consent (query.personal_allowed false) the answer is no_match, and nothing is looked
//    up.
//  - company: by the company domain; the answer is the employer fields of the newest record at
//    that domain (feed_record.hpp company_fields), confidence 0.7: the record is about a person
//    who worked there as the feed last saw it, not about the company itself.
//  raw_confidence is the same number (feeds carry no score of their own); credits are 0 (the feed
//  is paid for elsewhere, lookups are free).
//
// Lookup keys name every identifier the lookup would try and end in "|index:<12 hex>", a
// fingerprint of the indexed files: a cached answer (misses too) stops being used as soon as the
// feed changes, and stays valid while it does not.

#include "leadsync/core/mutex.hpp"
#include "leadsync/enrich/providers/builtin.hpp"
#include "leadsync/enrich/providers/pdl_record.hpp"
#include "leadsync/store/store.hpp"
#include "providers/detail/answers.hpp"
#include "providers/file_feed/feed_index.hpp"
#include "providers/file_feed/feed_record.hpp"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <optional>

namespace leadsync::enrich::providers {
namespace {

namespace fs = std::filesystem;
using file_feed::FeedIndexer;

constexpr double key_confidence = 1.0;    // an e-mail, profile URL or phone of the person
constexpr double domain_confidence = 0.7; // the employer's domain, for company fields
constexpr std::size_t records_per_key = 50;

Error config_error(const std::string& provider, const std::string& message) {
  return Error::make(ErrorCategory::config, "enrich.provider '" + provider + "': " + message);
}

std::string sha256_hex(const std::string& text, std::size_t hex_digits) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> hash{};
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), hash.data(), &length, EVP_sha256(), nullptr);
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length && out.size() < hex_digits; ++i) {
    out.push_back(digits[hash[i] >> 4U]);
    out.push_back(digits[hash[i] & 0x0FU]);
  }
  return out;
}

class FileFeedProvider final : public Provider {
public:
  FileFeedProvider(const config::EnrichProviderOptions& options, std::vector<FieldGroup> groups,
                   store::Store& store, const Clock& clock, fs::path folder)
      : name_(options.name), groups_(std::move(groups)), store_(store),
        indexer_(store, clock,
                 file_feed::IndexSettings{.provider = options.name,
                                          .folder = std::move(folder),
                                          .display_folder = options.folder,
                                          .chunk_records = 1000,
                                          .chunk_bytes = std::size_t{8} << 20,
                                          .max_record_bytes = std::size_t{1} << 20,
                                          .max_notices_per_file = 20}) {}

  const std::string& name() const override { return name_; }
  std::string_view kind() const override { return "file_feed"; }

  Capabilities capabilities() const override {
    return Capabilities{.groups = groups_, .max_batch = 1, .bills_misses = false};
  }

  std::string lookup_key(const Query& query, FieldGroup group) const override {
    if (!serves(group)) {
      return {};
    }
    std::string key;
    for (const store::FeedKey& feed_key : keys_for(query, group)) {
      key += "|" + std::string(store::to_string(feed_key.kind)) + ":" + feed_key.value;
    }
    if (key.empty()) {
      return {};
    }
    return std::string(to_string(group)) + key + "|index:" + index_fingerprint();
  }

  Result<Answer> lookup(const Query& query, FieldGroup group,
                        const http::CallContext& context) override {
    (void)context;
    if (!serves(group)) {
      return no_match();
    }
    for (const store::FeedKey& key : keys_for(query, group)) {
      LEADSYNC_TRY(const auto records, store_.find_feed_records(name_, key, records_per_key));
      // Newest last: the newest record that still parses.
      for (auto it = records.rbegin(); it != records.rend(); ++it) {
        const nlohmann::json record = nlohmann::json::parse(it->record, nullptr, false);
        if (!record.is_object()) {
          continue;
        }
        if (group == FieldGroup::company) {
          return matched(file_feed::company_fields(record), domain_confidence);
        }
        return matched(pdl_person_fields(record), key_confidence);
      }
    }
    return no_match();
  }

  Result<std::vector<std::string>> prepare(const http::CallContext& context) override {
    const MutexLock lock(prepare_mutex_);
    auto notices = indexer_.run(context.cancel);
    // Whatever happened, the index may have changed.
    const MutexLock fingerprint_lock(fingerprint_mutex_);
    fingerprint_.reset();
    return notices;
  }

private:
  bool serves(FieldGroup group) const {
    return std::find(groups_.begin(), groups_.end(), group) != groups_.end();
  }

  // The keys a lookup tries, in order.
  static std::vector<store::FeedKey> keys_for(const Query& query, FieldGroup group) {
    using store::FeedKeyKind;
    std::vector<store::FeedKey> keys;
    const auto add = [&](FeedKeyKind kind, std::string value) {
      if (!value.empty()) {
        keys.push_back(store::FeedKey{.kind = kind, .value = std::move(value)});
      }
    };
    if (group == FieldGroup::company) {
      add(FeedKeyKind::domain, file_feed::normalize_domain(query.domain));
      return keys;
    }
    if (!query.personal_allowed) {
      return keys;
    }
    add(FeedKeyKind::email, file_feed::normalize_email(query.email));
    add(FeedKeyKind::profile, file_feed::normalize_profile(query.linkedin_url));
    if (!query.x_handle.empty()) {
      add(FeedKeyKind::profile, file_feed::normalize_profile("twitter.com/" + query.x_handle));
    }
    if (!query.github_login.empty()) {
      add(FeedKeyKind::profile, file_feed::normalize_profile("github.com/" + query.github_login));
    }
    add(FeedKeyKind::phone, file_feed::normalize_phone(query.phone));
    return keys;
  }

  // 12 hex digits of a hash over the indexed files' states; "-" when the store cannot say.
  std::string index_fingerprint() const {
    const MutexLock lock(fingerprint_mutex_);
    if (!fingerprint_) {
      const auto files = store_.list_feed_files(name_);
      if (!files.ok()) {
        return "-"; // not remembered: asked again next time
      }
      std::vector<std::string> lines;
      for (const auto& file : files.value()) {
        lines.push_back(file.path + "\t" + std::to_string(file.size) + "\t" + file.digest + "\t" +
                        std::to_string(file.records));
      }
      std::sort(lines.begin(), lines.end());
      std::string text;
      for (const auto& line : lines) {
        text += line + "\n";
      }
      fingerprint_ = sha256_hex(text, 12);
    }
    return *fingerprint_;
  }

  static Answer no_match() { return support::empty_answer(Outcome::no_match); }

  // file_feed bills nothing; its confidence is already 0..1.
  static Answer matched(std::vector<FoundField> fields, double confidence) {
    return support::matched_answer(std::move(fields), confidence, confidence, 0);
  }

  std::string name_;
  std::vector<FieldGroup> groups_;
  store::Store& store_;
  Mutex prepare_mutex_; // one indexing at a time
  FeedIndexer indexer_ GUARDED_BY(prepare_mutex_);
  mutable Mutex fingerprint_mutex_;
  mutable std::optional<std::string> fingerprint_ GUARDED_BY(fingerprint_mutex_);
};

} // namespace

Result<std::unique_ptr<Provider>> make_file_feed(const config::EnrichProviderOptions& options,
                                                 const ProviderEnvironment& environment) {
  if (options.folder.empty()) {
    return config_error(options.name, "kind file_feed needs 'folder', the folder feed files are "
                                      "dropped into");
  }
  if (environment.store == nullptr) {
    return config_error(options.name, "kind file_feed keeps its index in the store, and none is "
                                      "open");
  }
  std::vector<FieldGroup> groups;
  for (const std::string& text : options.groups) {
    const auto group = parse_field_group(text);
    if (!group) {
      return config_error(options.name,
                          "groups: unknown group '" + text + "'; use person, company or social");
    }
    if (std::find(groups.begin(), groups.end(), *group) == groups.end()) {
      groups.push_back(*group);
    }
  }
  if (groups.empty()) {
    groups = {FieldGroup::person, FieldGroup::company, FieldGroup::social};
  }
  fs::path folder = options.folder;
  if (folder.is_relative()) {
    folder = environment.base_dir / folder;
  }
  std::error_code error;
  fs::path absolute = fs::absolute(folder, error);
  if (!error) {
    folder = std::move(absolute);
  }
  folder = folder.lexically_normal();
  if (folder.has_filename() == false && folder.has_parent_path()) {
    folder = folder.parent_path(); // "feeds/" -> "feeds"
  }
  const Clock& clock = environment.clock != nullptr ? *environment.clock : SystemClock::instance();
  return std::unique_ptr<Provider>(std::make_unique<FileFeedProvider>(
      options, std::move(groups), *environment.store, clock, std::move(folder)));
}

} // namespace leadsync::enrich::providers
