#pragma once
// DataverseClient: the Dataverse Web API operations leadsync needs, over the HTTP pipeline.
// Every call returns a Result whose Error carries category, HTTP status, Dataverse code and
// message, and whether a retry could help (the pipeline has already retried what it could).

#include "leadsync/core/cancel.hpp"
#include "leadsync/core/random.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/http/call_scope.hpp"
#include "leadsync/http/pipeline.hpp"
#include "leadsync/http/policies.hpp"
#include "leadsync/odata/batch.hpp"
#include "leadsync/odata/query.hpp"
#include "leadsync/odata/response.hpp"

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::dataverse {

using Json = nlohmann::json;

struct ClientOptions {
  std::string url; // organization URL, "https://contoso.crm.dynamics.com"
  std::string api_version = "9.2";
  int max_page_size = 5000; // Prefer: odata.maxpagesize for reads (<= 5000)
};

struct WhoAmIResult {
  std::string user_id;
  std::string business_unit_id;
  std::string organization_id;
  int dop_hint = 0; // x-ms-dop-hint; 0 when absent
};

enum class UpsertMode {
  create_or_update, // plain PATCH to a key URL
  update_only,      // If-Match: *  (not_found when missing)
  create_only,      // If-None-Match: *  (already_exists when present)
};

struct QualifyOptions {
  bool create_account = true;
  bool create_contact = true;
  bool create_opportunity = true;
  int status = 3; // lead statuscode after qualification (3 Qualified; -1 = let Dataverse pick)
  std::string currency_id;     // transactioncurrency id for the opportunity (optional)
  std::string customer_entity; // "account" or "contact" for OpportunityCustomerId (optional)
  std::string customer_id;
  std::string source_campaign_id; // optional
};

// A lead's row in msdyn_predictivescore, the table the Dynamics 365 Sales lead-scoring widget reads
// ("Populate predictive scores using custom scoring model"). Option values are the documented ones.
struct PredictiveScore {
  int score = 0;         // msdyn_score (Integer; the widget shows 0..100)
  int grade = 0;         // msdyn_grade: 0 Grade A, 1 Grade B, 2 Grade C, 3 Grade D
  int trend = 1;         // msdyn_scoretrend: 0 Improving, 1 Steady, 2 Declining, 3 Not enough info
  std::string reasons;   // msdyn_scorereasons (memo, 10,000 characters); empty: not sent
  std::string scored_on; // msdyn_scoredon, "2026-11-22T20:00:00Z"; empty: not sent
};

struct CreatedReference {
  std::string entity; // logical name: account, contact, opportunity
  std::string id;
};

struct ChangeBatch {
  std::vector<Json> changed; // new or updated rows
  std::vector<odata::DeletedEntity> deleted;
  std::string delta_link; // keep it: the next call reads only what changed since
};

enum class KeyIndexStatus { missing, pending, in_progress, active, failed };

// A column of a table as its definition (AttributeMetadata) describes it.
struct ColumnDefinition {
  std::string logical_name;
  std::string attribute_type;    // AttributeType: "String", "Memo", "Integer", "Picklist", ...
  std::optional<int> max_length; // MaxLength of String and Memo columns
};

struct WebhookRegistration {
  std::string service_endpoint_id;
  std::string step_id;
};

enum class WebhookAuth { http_header, webhook_key, http_query_string };

// A webhook registered in the organization (a serviceendpoint with contract 8) and its steps.
struct WebhookStep {
  std::string id;
  std::string name;
  int stage = 0; // 10 pre-validation, 20 pre-operation, 40 post-operation
  int mode = 0;  // 0 synchronous, 1 asynchronous
};
struct RegisteredWebhook {
  std::string service_endpoint_id;
  std::string name;
  std::string url;
  int authtype = 0; // 4 WebhookKey, 5 HttpHeader, 6 HttpQueryString
  std::vector<WebhookStep> steps;
};

// Every operation takes the call's scope as its last parameter (defaulted): its cancellation and
// deadline go into each request it sends, so the retry policy's waits, the concurrency limiter, the
// token provider and the transport all end at once when the scope is cancelled (a cancelled
// operation fails with ErrorCategory::cancelled), and its CallStats receive the retry and
// throttling figures of that job alone.
class DataverseClient {
public:
  using Scope = http::CallScope;

  DataverseClient(ClientOptions options, std::shared_ptr<http::Pipeline> pipeline,
                  std::shared_ptr<http::ConcurrencyLimiter> limiter,
                  Random& random = SecureRandom::instance());

  // GET WhoAmI; keeps the x-ms-dop-hint in the concurrency limiter.
  Result<WhoAmIResult> who_am_i(const Scope& scope = {});
  Result<WhoAmIResult> who_am_i(const CancellationToken& cancel);

  Result<std::string> create(const std::string& entity_set, const Json& row,
                             const Scope& scope = {}); // the new id
  Result<Json> create_and_return(const std::string& entity_set, const Json& row,
                                 const std::vector<std::string>& select, const Scope& scope = {});
  // key: from odata::key_by_id / key_by_alternate, e.g. "(leadsync_externalid='x')".
  Result<Json> retrieve(const std::string& entity_set, const std::string& key,
                        const odata::Query& query = {}, const Scope& scope = {});
  // One page; pass the previous page's next_link to continue (empty for the first).
  Result<odata::CollectionPage> retrieve_page(const std::string& entity_set,
                                              const odata::Query& query,
                                              const std::string& next_link = {},
                                              const Scope& scope = {});
  // Every page, following @odata.nextLink; stops between pages when the scope is cancelled.
  Result<std::vector<Json>> retrieve_all(const std::string& entity_set, const odata::Query& query,
                                         const Scope& scope = {});
  Status update(const std::string& entity_set, const std::string& key, const Json& changes,
                const std::string& if_match_etag = {}, const Scope& scope = {});
  Status upsert(const std::string& entity_set, const std::string& key, const Json& row,
                UpsertMode mode = UpsertMode::create_or_update, const Scope& scope = {});
  Status remove(const std::string& entity_set, const std::string& key,
                const std::string& if_match_etag = {}, const Scope& scope = {});

  // Bulk messages (all-or-nothing on standard tables). Every target gets "@odata.type" here.
  Result<std::vector<std::string>> create_multiple(const std::string& entity_set,
                                                   const std::string& logical_name,
                                                   std::vector<Json> targets,
                                                   const Scope& scope = {});
  Status update_multiple(const std::string& entity_set, const std::string& logical_name,
                         std::vector<Json> targets, const Scope& scope = {});
  // Targets identified by primary key or by "@odata.id": "<set>(<alternate key>)" (see
  // alternate_key_id()).
  Status upsert_multiple(const std::string& entity_set, const std::string& logical_name,
                         std::vector<Json> targets, const Scope& scope = {});
  // "leads(leadsync_externalid='x')" for an UpsertMultiple target.
  static Result<std::string> alternate_key_id(const std::string& entity_set,
                                              const std::string& key_column,
                                              const std::string& value);

  Result<std::vector<odata::OperationResult>> batch(const odata::BatchRequest& request,
                                                    const Scope& scope = {});

  // POST leads(<id>)/Microsoft.Dynamics.CRM.QualifyLead.
  Result<std::vector<CreatedReference>>
  qualify_lead(const std::string& lead_id, const QualifyOptions& options, const Scope& scope = {});
  // PATCH statecode 2 + statuscode 4..7 (checked before sending), or back to 0/1.
  Status disqualify_lead(const std::string& lead_id, int status_code, const Scope& scope = {});
  Status reactivate_lead(const std::string& lead_id, const Scope& scope = {});
  // PATCH msdyn_predictivescores(msdyn_entityid='<lead id>',msdyn_entitytype='lead'): creates the
  // lead's score row or updates it (the documented alternate key). Grade and trend outside 0..3,
  // and reasons over 10,000 characters, are refused before sending.
  Status upsert_predictive_score(const std::string& lead_id, const PredictiveScore& score,
                                 const Scope& scope = {});
  // POST Merge (the unbound action) on two leads: the target gets update_content's columns (an
  // empty object sends none) and keeps its other values; the subordinate is deactivated and
  // linked to the target (merged, masterid). Nothing is deleted. Refusals keep Dataverse's status,
  // code and message (404 not_found for a missing lead; 400 validation for a subordinate already
  // merged or closed, or both ids the same).
  Status merge_leads(const std::string& target_id, const std::string& subordinate_id,
                     const Json& update_content = Json::object(),
                     bool perform_parenting_checks = false, const Scope& scope = {});

  // Change tracking. delta_link empty: the initial full read (all pages) with Prefer:
  // odata.track-changes. An expired delta token is an Error for which is_expired_delta_token() is
  // true: read everything again. Stops between pages when the scope is cancelled.
  Result<ChangeBatch> track_changes(const std::string& entity_set,
                                    const std::vector<std::string>& select,
                                    const std::string& delta_link = {}, const Scope& scope = {});
  static bool is_expired_delta_token(const Error& error);

  // Metadata checks through EntityDefinitions.
  Result<bool> column_exists(const std::string& logical_name, const std::string& column,
                             const Scope& scope = {});
  Result<KeyIndexStatus> alternate_key_status(const std::string& logical_name,
                                              const std::string& key_name, const Scope& scope = {});
  // Every column of the table with its AttributeType, and the MaxLength of its String and Memo
  // columns: three requests (the Attributes collection, then its String and Memo casts), whatever
  // the number of columns.
  Result<std::vector<ColumnDefinition>> table_columns(const std::string& logical_name,
                                                      const Scope& scope = {});

  // A serviceendpoint (contract 8, webhook) and a step on Create of lead, asynchronous,
  // post-operation. auth_value: the key for webhook_key (sent as ?code=); for http_header and
  // http_query_string Dataverse's stored form <settings><setting name="k" value="v" /></settings>.
  Result<WebhookRegistration> register_webhook(const std::string& name, const std::string& url,
                                               WebhookAuth auth, const std::string& auth_value,
                                               const Scope& scope = {});
  // Removes the step (when step_id is set) and then the serviceendpoint; rows already gone are
  // fine, so unregistering twice succeeds.
  Status unregister_webhook(const WebhookRegistration& registration, const Scope& scope = {});
  // Every webhook of the organization (GET serviceendpoints?$filter=contract eq 8) with its steps.
  Result<std::vector<RegisteredWebhook>> list_webhooks(const Scope& scope = {});

  std::string service_root() const; // "<url>/api/data/v<version>/"

private:
  http::Request make_request(std::string method, std::string url) const;
  static Status set_json_body(http::Request& request, const Json& body);
  std::string assign_request_id(http::Request& request); // x-ms-client-request-id, kept for errors
  // Any HTTP status is returned as a response; only transport failures are errors. The scope's
  // cancellation, figures and deadline go into the request's CallContext.
  Result<http::Response> send_any_status(http::Request request, bool idempotent,
                                         const Scope& scope);
  // A non-2xx status becomes an Error carrying the client request id.
  Result<http::Response> send(http::Request request, bool idempotent, const Scope& scope);
  Status check_service_link(const std::string& link, std::string_view what) const;
  Result<odata::CollectionPage> read_page(std::string url, std::string prefer, const Scope& scope);
  Result<std::string> first_id(const std::string& entity_set, const std::string& id_column,
                               const odata::Filter& filter, std::string_view what,
                               const Scope& scope);
  Status set_lead_state(const std::string& lead_id, int state_code, int status_code,
                        const Scope& scope);
  ClientOptions options_;
  std::shared_ptr<http::Pipeline> pipeline_;
  std::shared_ptr<http::ConcurrencyLimiter> limiter_;
  Random& random_;
};

} // namespace leadsync::dataverse
