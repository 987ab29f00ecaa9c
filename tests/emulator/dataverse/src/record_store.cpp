#include "dvemu/record_store.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>
#include <leadsync/core/uuid.hpp>
#include <optional>
#include <set>
#include <sqlite3.h>
#include <stdexcept>
#include <unordered_map>
#include <utility>

namespace dvemu {
namespace {

constexpr std::int64_t first_version = 1'000'000;
constexpr char key_separator = '\x1f';

std::uint32_t fold_code_point(std::uint32_t cp) {
  if (cp >= 'A' && cp <= 'Z') {
    return cp + 0x20;
  }
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) { // Latin-1 capitals (not the multiplication sign)
    return cp + 0x20;
  }
  if (cp >= 0x100 && cp <= 0x17F) { // Latin Extended-A: pairs, capital first
    if (cp == 0x130) {
      return 'i';
    }
    if (cp == 0x131 || cp == 0x138 || cp == 0x149 || cp == 0x17F) {
      return cp;
    }
    if (cp == 0x178) {
      return 0xFF;
    }
    const bool odd_capital = (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E);
    const bool capital = odd_capital ? cp % 2 == 1 : cp % 2 == 0;
    return capital ? cp + 1 : cp;
  }
  if (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2) { // Greek capitals
    return cp + 0x20;
  }
  if (cp >= 0x410 && cp <= 0x42F) { // Cyrillic А..Я
    return cp + 0x20;
  }
  if (cp >= 0x400 && cp <= 0x40F) { // Cyrillic Ѐ..Џ
    return cp + 0x50;
  }
  return cp;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string lower_ascii(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// One value of a key, in the form two equal values share: strings folded, lookups by id, numbers in
// their shortest form (so 5 and 5.0 match).
std::string key_part(const Json& value) {
  if (value.is_string()) {
    return fold_case(value.get<std::string>());
  }
  if (value.is_object()) {
    auto id = value.find("id");
    return id != value.end() && id->is_string() ? lower_ascii(id->get<std::string>())
                                                : value.dump();
  }
  if (value.is_number()) {
    char buffer[64];
    auto result = std::to_chars(buffer, buffer + sizeof buffer, value.get<double>());
    return std::string(buffer, result.ptr);
  }
  return value.dump();
}

// The index text of a row for a key, or nullopt when a key column is empty (such rows are not
// indexed, as Dataverse's key indexes leave out rows with null key values). `changes`, when given,
// override the row's attributes (a null change clears the column).
std::optional<std::string> key_text(const AlternateKeyDef& key, const Json& attributes,
                                    const Json* changes = nullptr) {
  std::string text;
  for (const auto& column : key.columns) {
    const Json* value = nullptr;
    if (changes != nullptr && changes->contains(column)) {
      value = &(*changes)[column];
    } else if (auto it = attributes.find(column); it != attributes.end()) {
      value = &*it;
    }
    if (value == nullptr || value->is_null()) {
      return std::nullopt;
    }
    text += key_part(*value);
    text += key_separator;
  }
  return text;
}

struct Table {
  std::map<std::int64_t, StoredRecord> rows_by_seq; // creation order
  std::unordered_map<std::string, std::int64_t> seq_by_id;
  std::int64_t next_seq = 1;
  std::unordered_map<std::string, std::int64_t> tombstones; // id -> org version at deletion
  std::map<std::string, std::unordered_map<std::string, std::string>>
      key_index; // key -> text -> id

  const StoredRecord* find(const std::string& id) const {
    auto it = seq_by_id.find(id);
    return it == seq_by_id.end() ? nullptr : &rows_by_seq.at(it->second);
  }

  void index_add(const EntityDef& entity, const StoredRecord& row) {
    for (const auto& key : entity.alternate_keys) {
      if (auto text = key_text(key, row.attributes)) {
        key_index[key.name][*text] = row.id;
      }
    }
  }

  void index_remove(const EntityDef& entity, const StoredRecord& row) {
    for (const auto& key : entity.alternate_keys) {
      if (auto text = key_text(key, row.attributes)) {
        auto& index = key_index[key.name];
        auto it = index.find(*text);
        if (it != index.end() && it->second == row.id) {
          index.erase(it);
        }
      }
    }
  }

  void put(const EntityDef& entity, std::int64_t seq, StoredRecord row) {
    seq_by_id[row.id] = seq;
    next_seq = std::max(next_seq, seq + 1);
    auto& stored = rows_by_seq.insert_or_assign(seq, std::move(row)).first->second;
    index_add(entity, stored);
  }

  void remove(const EntityDef& entity, const std::string& id) {
    auto it = seq_by_id.find(id);
    if (it == seq_by_id.end()) {
      return;
    }
    auto row = rows_by_seq.find(it->second);
    index_remove(entity, row->second);
    rows_by_seq.erase(row);
    seq_by_id.erase(it);
  }
};

// A row as it was before the transaction first touched it.
struct Snapshot {
  const EntityDef* entity = nullptr;
  std::optional<std::pair<std::int64_t, StoredRecord>> row; // creation sequence and row
  std::optional<std::int64_t> tombstone;
};

using RowKey = std::pair<std::string, std::string>; // entity logical name, id

void apply_changes(Json& attributes, const Json& changes, const std::string& primary_id) {
  for (const auto& [name, value] : changes.items()) {
    if (name == primary_id) {
      continue;
    }
    if (value.is_null()) {
      attributes.erase(name);
    } else {
      attributes[name] = value;
    }
  }
}

// Columns Dataverse computes: fullname of tables that have first and last name ("First Last").
void compute_columns(const EntityDef& entity, Json& attributes) {
  const ColumnDef* fullname = entity.column("fullname");
  if (fullname == nullptr || fullname->valid_for_update || entity.column("firstname") == nullptr ||
      entity.column("lastname") == nullptr) {
    return;
  }
  std::string name;
  for (const char* part : {"firstname", "lastname"}) {
    auto it = attributes.find(part);
    if (it != attributes.end() && it->is_string() && !it->get<std::string>().empty()) {
      if (!name.empty()) {
        name += ' ';
      }
      name += it->get<std::string>();
    }
  }
  if (name.empty()) {
    attributes.erase("fullname");
  } else {
    attributes["fullname"] = name;
  }
}

// --- SQLite
// --------------------------------------------------------------------------------------------

class Statement {
public:
  Statement(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &statement_, nullptr); }
  ~Statement() { sqlite3_finalize(statement_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  bool ok() const { return statement_ != nullptr; }
  void bind(int index, const std::string& text) {
    sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()),
                      SQLITE_TRANSIENT);
  }
  void bind(int index, std::int64_t value) { sqlite3_bind_int64(statement_, index, value); }
  int step() { return sqlite3_step(statement_); }
  bool run() {
    const int rc = sqlite3_step(statement_);
    sqlite3_reset(statement_);
    return rc == SQLITE_DONE;
  }
  std::string text(int column) const {
    const auto* data = sqlite3_column_text(statement_, column);
    return data == nullptr
               ? std::string()
               : std::string(reinterpret_cast<const char*>(data),
                             static_cast<std::size_t>(sqlite3_column_bytes(statement_, column)));
  }
  std::int64_t integer(int column) const { return sqlite3_column_int64(statement_, column); }

private:
  sqlite3_stmt* statement_ = nullptr;
};

bool exec(sqlite3* db, const char* sql) {
  return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
}

} // namespace

std::string fold_case(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  std::size_t i = 0;
  while (i < utf8.size()) {
    const auto lead = static_cast<unsigned char>(utf8[i]);
    const std::size_t length = lead < 0x80    ? 1
                               : lead >= 0xF0 ? 4
                               : lead >= 0xE0 ? 3
                               : lead >= 0xC0 ? 2
                                              : 0;
    if (length == 1) {
      out += static_cast<char>(fold_code_point(lead));
      ++i;
      continue;
    }
    bool valid = length != 0 && i + length <= utf8.size();
    std::uint32_t cp = valid ? lead & (0xFFU >> (length + 1)) : 0;
    for (std::size_t k = 1; valid && k < length; ++k) {
      const auto next = static_cast<unsigned char>(utf8[i + k]);
      valid = (next & 0xC0) == 0x80;
      cp = (cp << 6) | (next & 0x3FU);
    }
    if (!valid) { // not UTF-8: keep the byte as it is
      out += utf8[i];
      ++i;
      continue;
    }
    append_utf8(out, fold_code_point(cp));
    i += length;
  }
  return out;
}

std::string to_rfc3339(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

struct RecordStore::State {
  std::map<std::string, Table> tables; // by entity logical name
  std::int64_t version = first_version;
  sqlite3* db = nullptr;

  ~State() {
    if (db != nullptr) {
      sqlite3_close(db);
    }
  }

  const Table* table(const EntityDef& entity) const {
    auto it = tables.find(entity.logical_name);
    return it == tables.end() ? nullptr : &it->second;
  }

  // Writes the current state of the given rows to the state file in one SQLite transaction; the
  // error text on failure.
  std::optional<std::string> persist(const std::set<RowKey>& keys) {
    if (!exec(db, "BEGIN IMMEDIATE")) {
      return std::string(sqlite3_errmsg(db));
    }
    Statement upsert_row(db, "INSERT OR REPLACE INTO rows(entity, id, version, seq, doc) "
                             "VALUES(?, ?, ?, ?, ?)");
    Statement delete_row(db, "DELETE FROM rows WHERE entity = ? AND id = ?");
    Statement upsert_tombstone(db, "INSERT OR REPLACE INTO tombstones(entity, id, version) "
                                   "VALUES(?, ?, ?)");
    Statement delete_tombstone(db, "DELETE FROM tombstones WHERE entity = ? AND id = ?");
    Statement set_version(db, "INSERT OR REPLACE INTO meta(name, value) VALUES('version', ?)");
    bool ok = upsert_row.ok() && delete_row.ok() && upsert_tombstone.ok() &&
              delete_tombstone.ok() && set_version.ok();
    for (auto it = keys.begin(); ok && it != keys.end(); ++it) {
      const auto& [entity, id] = *it;
      const Table& rows = tables[entity];
      if (auto seq = rows.seq_by_id.find(id); seq != rows.seq_by_id.end()) {
        const StoredRecord& row = rows.rows_by_seq.at(seq->second);
        upsert_row.bind(1, entity);
        upsert_row.bind(2, id);
        upsert_row.bind(3, row.version);
        upsert_row.bind(4, seq->second);
        upsert_row.bind(5, row.attributes.dump());
        ok = upsert_row.run();
      } else {
        delete_row.bind(1, entity);
        delete_row.bind(2, id);
        ok = delete_row.run();
      }
      if (auto tombstone = rows.tombstones.find(id); ok && tombstone != rows.tombstones.end()) {
        upsert_tombstone.bind(1, entity);
        upsert_tombstone.bind(2, id);
        upsert_tombstone.bind(3, tombstone->second);
        ok = upsert_tombstone.run();
      } else if (ok) {
        delete_tombstone.bind(1, entity);
        delete_tombstone.bind(2, id);
        ok = delete_tombstone.run();
      }
    }
    if (ok) {
      set_version.bind(1, version);
      ok = set_version.run();
    }
    if (ok && exec(db, "COMMIT")) {
      return std::nullopt;
    }
    std::string error = sqlite3_errmsg(db);
    exec(db, "ROLLBACK");
    return error;
  }

  std::set<RowKey> all_keys() const {
    std::set<RowKey> keys;
    for (const auto& [entity, rows] : tables) {
      for (const auto& [id, seq] : rows.seq_by_id) {
        keys.emplace(entity, id);
      }
      for (const auto& [id, version] : rows.tombstones) {
        keys.emplace(entity, id);
      }
    }
    return keys;
  }
};

struct RecordStore::Txn::Impl {
  explicit Impl(RecordStore& owner)
      : store(owner), lock(owner.mutex_), start_version(owner.state_->version) {}

  RecordStore& store;
  std::unique_lock<leadsync::Mutex> lock;
  std::int64_t start_version;
  std::map<RowKey, Snapshot> snapshots;
  bool committed = false;

  State& state() {
    // `lock` holds it, a way the analysis cannot follow (std::unique_lock is not annotated).
    store.mutex_.assert_held();
    return *store.state_;
  }

  // Records the row's prior state the first time the transaction touches it.
  void remember(const EntityDef& entity, const std::string& id) {
    RowKey key{entity.logical_name, id};
    if (snapshots.count(key) != 0) {
      return;
    }
    Snapshot snapshot;
    snapshot.entity = &entity;
    Table& table = state().tables[entity.logical_name];
    if (auto seq = table.seq_by_id.find(id); seq != table.seq_by_id.end()) {
      snapshot.row.emplace(seq->second, table.rows_by_seq.at(seq->second));
    }
    if (auto tombstone = table.tombstones.find(id); tombstone != table.tombstones.end()) {
      snapshot.tombstone = tombstone->second;
    }
    snapshots.emplace(std::move(key), std::move(snapshot));
  }

  void rollback() {
    // Two passes, so that no key index entry of a restored row is removed by a later row's removal.
    for (const auto& [key, snapshot] : snapshots) {
      state().tables[key.first].remove(*snapshot.entity, key.second);
    }
    for (const auto& [key, snapshot] : snapshots) {
      Table& table = state().tables[key.first];
      if (snapshot.row) {
        table.put(*snapshot.entity, snapshot.row->first, snapshot.row->second);
      }
      if (snapshot.tombstone) {
        table.tombstones[key.second] = *snapshot.tombstone;
      } else {
        table.tombstones.erase(key.second);
      }
    }
    state().version = start_version;
    snapshots.clear();
  }
};

RecordStore::RecordStore(const Schema& schema, leadsync::Clock& clock, leadsync::Random& random)
    : schema_(schema), clock_(clock), random_(random), state_(std::make_unique<State>()) {}

RecordStore::~RecordStore() = default;

RecordStore::Txn::Txn(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RecordStore::Txn::Txn(Txn&&) noexcept = default;

RecordStore::Txn::~Txn() {
  if (impl_ && !impl_->committed) {
    impl_->rollback();
  }
}

RecordStore::Txn RecordStore::begin() {
  return Txn(std::make_unique<Txn::Impl>(*this));
}

const StoredRecord* RecordStore::Txn::find(const EntityDef& entity, const std::string& id) const {
  const Table* table = impl_->state().table(entity);
  return table == nullptr ? nullptr : table->find(lower_ascii(id));
}

const StoredRecord*
RecordStore::Txn::find_by_key(const EntityDef& entity,
                              const std::vector<std::pair<std::string, Json>>& key) const {
  const Table* table = impl_->state().table(entity);
  if (table == nullptr || key.empty()) {
    return nullptr;
  }
  Json values = Json::object();
  std::vector<std::string> columns;
  for (const auto& [column, value] : key) {
    values[column] = value;
    columns.push_back(column);
  }
  std::sort(columns.begin(), columns.end());
  for (const auto& definition : entity.alternate_keys) {
    auto defined = definition.columns;
    std::sort(defined.begin(), defined.end());
    if (defined != columns) {
      continue;
    }
    auto text = key_text(definition, values);
    auto index = table->key_index.find(definition.name);
    if (!text || index == table->key_index.end()) {
      return nullptr;
    }
    auto hit = index->second.find(*text);
    return hit == index->second.end() ? nullptr : table->find(hit->second);
  }
  // Not a defined key: compare every row.
  // Not a structured binding: the lambda captures the row (clang 14 cannot capture a binding).
  for (const auto& entry : table->rows_by_seq) {
    const auto& row = entry.second;
    const bool match = std::all_of(key.begin(), key.end(), [&](const auto& part) {
      auto it = row.attributes.find(part.first);
      return it != row.attributes.end() && !it->is_null() && key_part(*it) == key_part(part.second);
    });
    if (match) {
      return &row;
    }
  }
  return nullptr;
}

std::vector<const StoredRecord*> RecordStore::Txn::scan(const EntityDef& entity) const {
  std::vector<const StoredRecord*> rows;
  if (const Table* table = impl_->state().table(entity)) {
    rows.reserve(table->rows_by_seq.size());
    for (const auto& [seq, row] : table->rows_by_seq) {
      rows.push_back(&row);
    }
  }
  return rows;
}

const AlternateKeyDef* RecordStore::Txn::key_conflict(const EntityDef& entity,
                                                      const std::string& id,
                                                      const Json& changes) const {
  const Table* table = impl_->state().table(entity);
  if (table == nullptr) {
    return nullptr;
  }
  const std::string row_id = lower_ascii(id);
  const StoredRecord* existing = table->find(row_id);
  static const Json no_attributes = Json::object();
  const Json& attributes = existing != nullptr ? existing->attributes : no_attributes;
  const Json* overrides = changes.is_object() ? &changes : nullptr;
  for (const auto& key : entity.alternate_keys) {
    auto text = key_text(key, attributes, overrides);
    auto index = table->key_index.find(key.name);
    if (!text || index == table->key_index.end()) {
      continue;
    }
    auto hit = index->second.find(*text);
    if (hit != index->second.end() && hit->second != row_id) {
      return &key;
    }
  }
  return nullptr;
}

const StoredRecord& RecordStore::Txn::insert(const EntityDef& entity, Json attributes) {
  State& state = impl_->state();
  if (!attributes.is_object()) {
    attributes = Json::object();
  }
  std::string id;
  if (auto given = attributes.find(entity.primary_id);
      given != attributes.end() && given->is_string()) {
    id = lower_ascii(given->get<std::string>());
  } else {
    id = leadsync::Uuid::generate_v4(impl_->store.random_).to_string();
  }
  Table& table = state.tables[entity.logical_name];
  if (table.find(id) != nullptr) {
    throw std::logic_error("insert: " + entity.logical_name + " " + id + " already exists");
  }
  if (const AlternateKeyDef* key = key_conflict(entity, id, attributes)) {
    throw std::logic_error("insert: " + entity.logical_name + " violates alternate key " +
                           key->name + "; check key_conflict() first");
  }
  impl_->remember(entity, id);

  StoredRecord row;
  row.id = id;
  row.version = ++state.version;
  for (auto it = attributes.begin(); it != attributes.end();) {
    it = it->is_null() ? attributes.erase(it) : std::next(it);
  }
  row.attributes = std::move(attributes);
  row.attributes[entity.primary_id] = id;
  const std::string now = to_rfc3339(impl_->store.clock_.now());
  row.attributes["createdon"] = now;
  row.attributes["modifiedon"] = now;
  row.attributes["versionnumber"] = row.version;
  if (const ColumnDef* state_column = entity.column("statecode");
      state_column != nullptr && !state_column->options.empty() &&
      !row.attributes.contains("statecode")) {
    row.attributes["statecode"] = state_column->options.front().value;
  }
  if (row.attributes.contains("statecode") && !row.attributes.contains("statuscode")) {
    if (auto status = entity.default_status(row.attributes["statecode"].get<int>())) {
      row.attributes["statuscode"] = *status;
    }
  }
  for (const auto& [name, column] : entity.columns) {
    if (column.boolean_default && !row.attributes.contains(name)) {
      row.attributes[name] = *column.boolean_default;
    }
  }
  compute_columns(entity, row.attributes);

  table.tombstones.erase(id);
  const std::int64_t seq = table.next_seq;
  table.put(entity, seq, std::move(row));
  return *table.find(id);
}

const StoredRecord& RecordStore::Txn::update(const EntityDef& entity, const std::string& id,
                                             const Json& changes) {
  State& state = impl_->state();
  const std::string row_id = lower_ascii(id);
  Table& table = state.tables[entity.logical_name];
  auto seq = table.seq_by_id.find(row_id);
  if (seq == table.seq_by_id.end()) {
    throw std::logic_error("update: " + entity.logical_name + " " + row_id + " does not exist");
  }
  if (const AlternateKeyDef* key = key_conflict(entity, row_id, changes)) {
    throw std::logic_error("update: " + entity.logical_name + " violates alternate key " +
                           key->name + "; check key_conflict() first");
  }
  impl_->remember(entity, row_id);
  StoredRecord& row = table.rows_by_seq.at(seq->second);
  table.index_remove(entity, row);
  apply_changes(row.attributes, changes, entity.primary_id);
  row.version = ++state.version;
  row.attributes["modifiedon"] = to_rfc3339(impl_->store.clock_.now());
  row.attributes["versionnumber"] = row.version;
  compute_columns(entity, row.attributes);
  table.index_add(entity, row);
  return row;
}

void RecordStore::Txn::erase(const EntityDef& entity, const std::string& id) {
  State& state = impl_->state();
  const std::string row_id = lower_ascii(id);
  Table& table = state.tables[entity.logical_name];
  if (table.find(row_id) == nullptr) {
    return;
  }
  impl_->remember(entity, row_id);
  table.remove(entity, row_id);
  table.tombstones[row_id] = ++state.version;
}

Changes RecordStore::Txn::changes_since(const EntityDef& entity, std::int64_t version) const {
  Changes changes;
  const Table* table = impl_->state().table(entity);
  if (table == nullptr) {
    return changes;
  }
  for (const auto& [seq, row] : table->rows_by_seq) {
    if (row.version > version) {
      changes.changed.push_back(&row);
    }
  }
  std::sort(changes.changed.begin(), changes.changed.end(),
            [](const StoredRecord* a, const StoredRecord* b) { return a->version < b->version; });
  for (const auto& [id, deleted_at] : table->tombstones) {
    if (deleted_at > version) {
      changes.deleted.push_back(DeletedRecord{id, deleted_at});
    }
  }
  std::sort(changes.deleted.begin(), changes.deleted.end(),
            [](const DeletedRecord& a, const DeletedRecord& b) { return a.version < b.version; });
  return changes;
}

std::int64_t RecordStore::Txn::current_version() const {
  return impl_->state().version;
}

void RecordStore::Txn::commit() {
  State& state = impl_->state();
  if (state.db != nullptr && !impl_->snapshots.empty()) {
    std::set<RowKey> keys;
    for (const auto& [key, snapshot] : impl_->snapshots) {
      keys.insert(key);
    }
    if (auto error = state.persist(keys)) {
      impl_->rollback();
      throw std::runtime_error("the emulator could not write its state file, so the request was "
                               "not applied: " +
                               *error);
    }
  }
  impl_->snapshots.clear();
  impl_->committed = true;
}

leadsync::Status RecordStore::attach_state_file(const std::string& path) {
  leadsync::MutexLock lock(mutex_);
  if (state_->db != nullptr) {
    return leadsync::fail(leadsync::ErrorCategory::invalid_argument,
                          "a state file is already attached; start a new emulator to use " + path);
  }
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    std::string error = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return leadsync::fail(leadsync::ErrorCategory::storage,
                          "cannot open state file " + path + ": " + error +
                              " (check that its directory exists and is writable)");
  }
  auto fail_with = [&](const std::string& what) -> leadsync::Status {
    std::string error = what + " in state file " + path + ": " + sqlite3_errmsg(db) +
                        " (remove the file to start from an empty emulator)";
    sqlite3_close(db);
    return leadsync::fail(leadsync::ErrorCategory::storage, error);
  };
  if (!exec(db, "PRAGMA journal_mode=WAL") || !exec(db, "PRAGMA synchronous=NORMAL") ||
      !exec(db, "CREATE TABLE IF NOT EXISTS rows(entity TEXT NOT NULL, id TEXT NOT NULL, "
                "version INTEGER NOT NULL, seq INTEGER NOT NULL, doc TEXT NOT NULL, "
                "PRIMARY KEY(entity, id))") ||
      !exec(db, "CREATE TABLE IF NOT EXISTS tombstones(entity TEXT NOT NULL, id TEXT NOT NULL, "
                "version INTEGER NOT NULL, PRIMARY KEY(entity, id))") ||
      !exec(db, "CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value INTEGER NOT NULL)")) {
    return fail_with("cannot create tables");
  }

  std::optional<std::int64_t> saved_version;
  {
    Statement read_version(db, "SELECT value FROM meta WHERE name = 'version'");
    if (!read_version.ok()) {
      return fail_with("cannot read the version");
    }
    if (read_version.step() == SQLITE_ROW) {
      saved_version = read_version.integer(0);
    }
  }
  state_->db = db;
  if (!saved_version) { // a new file: it receives what is in memory
    if (auto error = state_->persist(state_->all_keys())) {
      state_->db = nullptr;
      return fail_with("cannot write the rows (" + *error + ")");
    }
    return leadsync::ok_status();
  }

  std::map<std::string, Table> tables;
  {
    Statement rows(db, "SELECT entity, id, version, seq, doc FROM rows ORDER BY seq");
    if (!rows.ok()) {
      state_->db = nullptr;
      return fail_with("cannot read the rows");
    }
    while (rows.step() == SQLITE_ROW) {
      const EntityDef* entity = schema_.by_logical_name(rows.text(0));
      if (entity == nullptr) { // a table this emulator no longer serves
        continue;
      }
      StoredRecord row;
      row.id = rows.text(1);
      row.version = rows.integer(2);
      row.attributes = Json::parse(rows.text(4), nullptr, false);
      if (row.attributes.is_discarded() || !row.attributes.is_object()) {
        state_->db = nullptr;
        return fail_with("corrupt row " + entity->logical_name + " " + row.id);
      }
      tables[entity->logical_name].put(*entity, rows.integer(3), std::move(row));
    }
    Statement tombstones(db, "SELECT entity, id, version FROM tombstones");
    if (!tombstones.ok()) {
      state_->db = nullptr;
      return fail_with("cannot read the deleted rows");
    }
    while (tombstones.step() == SQLITE_ROW) {
      tables[tombstones.text(0)].tombstones[tombstones.text(1)] = tombstones.integer(2);
    }
  }
  state_->tables = std::move(tables);
  state_->version = std::max(state_->version, *saved_version);
  return leadsync::ok_status();
}

void RecordStore::reset() {
  leadsync::MutexLock lock(mutex_);
  const std::set<RowKey> keys = state_->all_keys();
  state_->tables.clear();
  if (state_->db != nullptr) {
    if (auto error = state_->persist(keys)) {
      throw std::runtime_error("the emulator could not clear its state file: " + *error);
    }
  }
}

std::map<std::string, std::int64_t> RecordStore::row_counts() {
  leadsync::MutexLock lock(mutex_);
  std::map<std::string, std::int64_t> counts;
  for (const auto& entity : schema_.entities()) {
    const Table* table = state_->table(entity);
    counts[entity.entity_set] =
        table == nullptr ? 0 : static_cast<std::int64_t>(table->rows_by_seq.size());
  }
  return counts;
}

} // namespace dvemu
