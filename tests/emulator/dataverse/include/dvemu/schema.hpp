#pragma once
// The tables the emulator serves, with the lead's columns, types, lengths, option sets, required
// levels, read-only columns, lookups and alternate keys as dataverse-notes section 1 gives them;
// $metadata (CSDL).

#include "dvemu/options.hpp"

#include <leadsync/core/result.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dvemu {

enum class ColumnType {
  string,           // Edm.String with max_length
  memo,             // Edm.String, long text with max_length
  integer,          // Edm.Int32 with min/max
  big_int,          // Edm.Int64
  money,            // Edm.Decimal with min/max
  decimal,          // Edm.Decimal
  double_,          // Edm.Double with min/max
  boolean,          // Edm.Boolean
  date_time,        // Edm.DateTimeOffset, "2026-11-22T20:00:00Z"
  date_only,        // Edm.Date, "2026-11-22"
  picklist,         // Edm.Int32 restricted to options
  state,            // statecode
  status,           // statuscode (each value belongs to one statecode)
  lookup,           // Edm.Guid reference to one of targets; appears as _<name>_value in results
  uniqueidentifier, // Edm.Guid (primary keys)
};

enum class RequiredLevel { none, recommended, application_required, system_required };

struct OptionValue {
  int value = 0;
  std::string label;
  int state = -1; // for statuscode: the statecode it belongs to; -1 otherwise
  bool default_for_state = false;
};

struct ColumnDef {
  std::string name; // logical name
  ColumnType type = ColumnType::string;
  int max_length = 0; // string/memo
  std::optional<double> min;
  std::optional<double> max;
  std::vector<OptionValue> options; // picklist/state/status
  RequiredLevel required = RequiredLevel::none;
  bool valid_for_create = true;
  bool valid_for_update = true;
  bool valid_for_read = true;       // false for e.g. serviceendpoint.authvalue
  std::vector<std::string> targets; // lookup: target entity logical names
  // Single-valued navigation properties of a lookup: one per target, e.g. parentaccountid ->
  // {"account": "parentaccountid"}; customerid ->
  // {"account":"customerid_account","contact":"customerid_contact"}.
  std::map<std::string, std::string> navigation;
  // Two-option columns: the value a create stores when the body leaves the column out.
  std::optional<bool> boolean_default;

  const OptionValue* option(int value) const; // picklist/state/status option, or nullptr
};

struct AlternateKeyDef {
  std::string name;                 // schema name, e.g. "leadsync_externalid"
  std::vector<std::string> columns; // key columns in order
  std::string status = "Active";    // Pending | In Progress | Active | Failed
};

struct EntityDef {
  std::string logical_name; // "lead"
  std::string entity_set;   // "leads"
  std::string primary_id;   // "leadid"
  std::string primary_name; // "fullname"
  std::map<std::string, ColumnDef> columns;
  std::vector<AlternateKeyDef> alternate_keys;
  bool change_tracking = true;
  bool duplicate_detection = false; // a published e-mail rule exists (leads, contacts, accounts)
  std::string duplicate_column;     // column the default rule compares ("emailaddress1")
  const ColumnDef* column(const std::string& name) const;
  // The statuscode a row gets when only its statecode is given; nullopt when the table has no such
  // state.
  std::optional<int> default_status(int state) const;
  // The lookup column that a navigation property belongs to, and the target it names.
  const ColumnDef* column_for_navigation(const std::string& navigation, std::string& target) const;
};

class Schema {
public:
  // All tables the emulator serves, with lead custom columns (leadsync_*) and the default alternate
  // key leadsync_externalid, plus options.extra_columns / extra_alternate_keys. Throws
  // std::invalid_argument (with validate()'s message) when the extra columns or keys are malformed.
  static Schema dataverse(const EmulatorOptions& options);
  // Checks options.extra_columns ("entity:column:Type[:arg]") and options.extra_alternate_keys
  // ("entity:keyname:col1+col2") without building anything; the error says which entry to fix and
  // how.
  static leadsync::Status validate(const EmulatorOptions& options);

  const EntityDef* by_entity_set(const std::string& entity_set) const;
  const EntityDef* by_logical_name(const std::string& logical_name) const;
  const std::vector<EntityDef>& entities() const { return entities_; }

  // CSDL XML for GET $metadata: EntityTypes with Key, properties with Edm types and MaxLength,
  // navigation properties, alternate keys (Org.OData.Core.V1.AlternateKeys annotation), the
  // EntitySets, the actions/functions served (WhoAmI, QualifyLead, CreateMultiple, UpdateMultiple,
  // UpsertMultiple).
  std::string csdl(const std::string& service_root) const;

private:
  std::vector<EntityDef> entities_;
};

// Escapes & < > " ' for XML text and attribute values ($metadata, paging cookies).
std::string xml_escape(std::string_view text);

} // namespace dvemu
