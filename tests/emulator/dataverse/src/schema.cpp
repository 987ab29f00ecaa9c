#include "dvemu/schema.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <utility>

// Column lists, types, lengths and option sets follow /work/shared/dataverse-notes.md section 1
// (lead, from https://learn.microsoft.com/en-us/dynamics365/sales/developer/entities/lead) and the
// entity reference pages of Microsoft Learn for the other tables (account, contact, opportunity,
// serviceendpoint, ...).

namespace dvemu {
namespace {

// Dataverse's default Money range (MoneyAttributeMetadata.MinSupportedValue / MaxSupportedValue).
constexpr double money_min = -922337203685477.0;
constexpr double money_max = 922337203685477.0;
constexpr double int32_min = std::numeric_limits<std::int32_t>::min();
constexpr double int32_max = std::numeric_limits<std::int32_t>::max();
constexpr std::size_t max_alternate_keys = 10; // per table [ALTDEF]
constexpr std::size_t max_key_columns = 16;    // per key [ALTDEF]

ColumnDef text(std::string name, int max_length, RequiredLevel required = RequiredLevel::none) {
  ColumnDef column;
  column.name = std::move(name);
  column.type = ColumnType::string;
  column.max_length = max_length;
  column.required = required;
  return column;
}

ColumnDef memo(std::string name, int max_length) {
  ColumnDef column = text(std::move(name), max_length);
  column.type = ColumnType::memo;
  return column;
}

ColumnDef ranged(std::string name, ColumnType type, double min, double max) {
  ColumnDef column;
  column.name = std::move(name);
  column.type = type;
  column.min = min;
  column.max = max;
  return column;
}

ColumnDef whole(std::string name, double min = int32_min, double max = int32_max) {
  return ranged(std::move(name), ColumnType::integer, min, max);
}

ColumnDef money(std::string name, double min = money_min, double max = money_max) {
  return ranged(std::move(name), ColumnType::money, min, max);
}

ColumnDef of_type(std::string name, ColumnType type) {
  ColumnDef column;
  column.name = std::move(name);
  column.type = type;
  return column;
}

ColumnDef boolean(std::string name, bool default_value = false) {
  ColumnDef column = of_type(std::move(name), ColumnType::boolean);
  column.boolean_default = default_value;
  return column;
}

ColumnDef choice(std::string name, const std::vector<std::pair<int, std::string>>& options) {
  ColumnDef column = of_type(std::move(name), ColumnType::picklist);
  for (const auto& [value, label] : options) {
    column.options.push_back(OptionValue{value, label, -1, false});
  }
  return column;
}

// A lookup; `navigation` maps each target table to its single-valued navigation property ("" = none
// served, e.g. owningteam whose target table the emulator does not have).
ColumnDef lookup(std::string name, const std::map<std::string, std::string>& navigation) {
  ColumnDef column = of_type(std::move(name), ColumnType::lookup);
  for (const auto& [target, property] : navigation) {
    column.targets.push_back(target);
    if (!property.empty()) {
      column.navigation.emplace(target, property);
    }
  }
  return column;
}

// A lookup whose navigation property has the column's own name (the usual case).
ColumnDef lookup_to(const std::string& name, const std::string& target) {
  return lookup(name, {{target, name}});
}

ColumnDef read_only(ColumnDef column) {
  column.valid_for_create = false;
  column.valid_for_update = false;
  return column;
}

ColumnDef create_only(ColumnDef column) {
  column.valid_for_update = false;
  return column;
}

void add(EntityDef& entity, ColumnDef column) {
  std::string name = column.name;
  entity.columns.insert_or_assign(std::move(name), std::move(column));
}

EntityDef make_entity(std::string logical_name, std::string entity_set, std::string primary_name) {
  EntityDef entity;
  entity.logical_name = std::move(logical_name);
  entity.entity_set = std::move(entity_set);
  entity.primary_id = entity.logical_name + "id";
  entity.primary_name = std::move(primary_name);
  ColumnDef id = create_only(of_type(entity.primary_id, ColumnType::uniqueidentifier));
  id.required = RequiredLevel::system_required;
  add(entity, std::move(id));
  add(entity, read_only(of_type("createdon", ColumnType::date_time)));
  add(entity, read_only(of_type("modifiedon", ColumnType::date_time)));
  add(entity, read_only(of_type("versionnumber", ColumnType::big_int)));
  add(entity, read_only(lookup_to("createdby", "systemuser")));
  add(entity, read_only(lookup_to("modifiedby", "systemuser")));
  return entity;
}

// Columns of a UserOwned table: the owner (settable) and the owning principal (computed).
void add_ownership(EntityDef& entity) {
  ColumnDef owner = lookup_to("ownerid", "systemuser");
  owner.required = RequiredLevel::system_required;
  add(entity, std::move(owner));
  add(entity, read_only(lookup_to("owningbusinessunit", "businessunit")));
  add(entity, read_only(lookup_to("owninguser", "systemuser")));
  add(entity, read_only(lookup("owningteam", {{"team", ""}})));
}

struct StatusSpec {
  int value;
  std::string label;
  int state;
  bool is_default;
};

void add_state_status(EntityDef& entity, const std::vector<std::pair<int, std::string>>& states,
                      std::vector<StatusSpec> statuses) {
  ColumnDef state = of_type("statecode", ColumnType::state);
  state.required = RequiredLevel::system_required;
  for (const auto& [value, label] : states) {
    state.options.push_back(OptionValue{value, label, -1, false});
  }
  ColumnDef status = of_type("statuscode", ColumnType::status);
  for (auto& spec : statuses) {
    status.options.push_back(
        OptionValue{spec.value, std::move(spec.label), spec.state, spec.is_default});
  }
  add(entity, std::move(state));
  add(entity, std::move(status));
}

void add_active_inactive(EntityDef& entity) {
  add_state_status(entity, {{0, "Active"}, {1, "Inactive"}},
                   {{1, "Active", 0, true}, {2, "Inactive", 1, true}});
}

void add_currency(EntityDef& entity) {
  add(entity, lookup_to("transactioncurrencyid", "transactioncurrency"));
  add(entity, read_only(ranged("exchangerate", ColumnType::decimal, 0.0000000001, 100000000000.0)));
}

void add_address(EntityDef& entity, const std::string& prefix) {
  for (const char* line : {"line1", "line2", "line3"}) {
    add(entity, text(prefix + line, 250));
  }
  add(entity, text(prefix + "city", 80));
  add(entity, text(prefix + "country", 80));
  add(entity, text(prefix + "stateorprovince", 50));
  add(entity, text(prefix + "county", 50));
  add(entity, text(prefix + "postalcode", 20));
  add(entity, text(prefix + "postofficebox", 20));
  add(entity, text(prefix + "name", 100));
  for (const char* phone : {"telephone1", "telephone2", "telephone3", "fax"}) {
    add(entity, text(prefix + phone, 50));
  }
  add(entity, text(prefix + "upszone", 4));
  add(entity, ranged(prefix + "latitude", ColumnType::double_, -90, 90));
  add(entity, ranged(prefix + "longitude", ColumnType::double_, -180, 180));
  add(entity, whole(prefix + "utcoffset", -1500, 1500));
  add(entity, choice(prefix + "addresstypecode", {{1, "Default Value"}}));
  add(entity, choice(prefix + "shippingmethodcode", {{1, "Default Value"}}));
  add(entity, of_type(prefix + "addressid", ColumnType::uniqueidentifier));
  add(entity, read_only(memo(prefix + "composite", 1000)));
}

std::vector<std::pair<int, std::string>> industry_codes() {
  return {{1, "Accounting"},
          {2, "Agriculture and Non-petrol Natural Resource Extraction"},
          {3, "Broadcasting Printing and Publishing"},
          {4, "Brokers"},
          {5, "Building Supply Retail"},
          {6, "Business Services"},
          {7, "Consulting"},
          {8, "Consumer Services"},
          {9, "Design, Direction and Creative Management"},
          {10, "Distributors, Dispatchers and Processors"},
          {11, "Doctor's Offices and Clinics"},
          {12, "Durable Manufacturing"},
          {13, "Eating and Drinking Places"},
          {14, "Entertainment Retail"},
          {15, "Equipment Rental and Leasing"},
          {16, "Financial"},
          {17, "Food and Tobacco Processing"},
          {18, "Inbound Capital Intensive Processing"},
          {19, "Inbound Repair and Services"},
          {20, "Insurance"},
          {21, "Legal Services"},
          {22, "Non-Durable Merchandise Retail"},
          {23, "Outbound Consumer Service"},
          {24, "Petrochemical Extraction and Distribution"},
          {25, "Service Retail"},
          {26, "SIG Affiliations"},
          {27, "Social Services"},
          {28, "Special Outbound Trade Contractors"},
          {29, "Specialty Realty"},
          {30, "Transportation"},
          {31, "Utility Creation and Distribution"},
          {32, "Vehicle Retail"},
          {33, "Wholesale"}};
}

EntityDef lead_table() {
  EntityDef lead = make_entity("lead", "leads", "fullname");
  add_ownership(lead);
  add_currency(lead);
  lead.duplicate_detection = true;
  lead.duplicate_column = "emailaddress1";

  add(lead, text("firstname", 50, RequiredLevel::recommended));
  add(lead, text("lastname", 50, RequiredLevel::application_required));
  add(lead, text("middlename", 50));
  add(lead, read_only(text("fullname", 160)));
  add(lead, text("companyname", 100, RequiredLevel::recommended));
  add(lead, text("jobtitle", 100));
  add(lead, text("subject", 300, RequiredLevel::application_required));
  add(lead, memo("description", 2000));
  for (const char* email : {"emailaddress1", "emailaddress2", "emailaddress3"}) {
    add(lead, text(email, 100));
  }
  for (const char* phone : {"telephone1", "telephone2", "telephone3", "fax"}) {
    add(lead, text(phone, 50));
  }
  add(lead, text("mobilephone", 20));
  add(lead, text("websiteurl", 200));
  add_address(lead, "address1_");
  add_address(lead, "address2_");

  add(lead, whole("numberofemployees", 0, 1'000'000));
  add(lead, money("revenue", 0, 100'000'000'000'000.0));
  add(lead, money("budgetamount", 0, 1'000'000'000'000.0));
  add(lead, money("estimatedamount", 0, 1'000'000'000'000.0));
  add(lead, ranged("estimatedvalue", ColumnType::double_, 0, 1'000'000'000.0));
  for (const char* base : {"revenue_base", "budgetamount_base", "estimatedamount_base"}) {
    add(lead, read_only(money(base)));
  }
  add(lead, of_type("estimatedclosedate", ColumnType::date_only));

  for (const char* flag : {"donotemail", "donotphone", "donotbulkemail", "donotfax",
                           "donotpostalmail", "donotsendmm", "decisionmaker"}) {
    add(lead, boolean(flag));
  }
  add(lead, boolean("followemail", true));

  add(lead, lookup_to("campaignid", "campaign"));
  add(lead, lookup_to("parentaccountid", "account"));
  add(lead, lookup_to("parentcontactid", "contact"));
  add(lead, lookup_to("qualifyingopportunityid", "opportunity"));
  add(lead,
      lookup("customerid", {{"account", "customerid_account"}, {"contact", "customerid_contact"}}));
  add(lead, read_only(lookup_to("accountid", "account")));
  add(lead, read_only(lookup_to("contactid", "contact")));
  add(lead, read_only(lookup_to("masterid", "lead")));
  add(lead, read_only(boolean("merged"))); // the Merge action sets it on the subordinate

  add(lead, choice("leadsourcecode", {{1, "Advertisement"},
                                      {2, "Employee Referral"},
                                      {3, "External Referral"},
                                      {4, "Partner"},
                                      {5, "Public Relations"},
                                      {6, "Seminar"},
                                      {7, "Trade Show"},
                                      {8, "Web"},
                                      {9, "Word of Mouth"},
                                      {10, "Other"}}));
  add(lead, choice("industrycode", industry_codes()));
  add(lead, choice("leadqualitycode", {{1, "Hot"}, {2, "Warm"}, {3, "Cold"}}));
  add(lead, choice("purchasetimeframe", {{0, "Immediate"},
                                         {1, "This Quarter"},
                                         {2, "Next Quarter"},
                                         {3, "This Year"},
                                         {4, "Unknown"}}));
  add(lead, choice("purchaseprocess", {{0, "Individual"}, {1, "Committee"}, {2, "Unknown"}}));
  add(lead, choice("budgetstatus",
                   {{0, "No Committed Budget"}, {1, "May Buy"}, {2, "Can Buy"}, {3, "Will Buy"}}));
  add(lead,
      choice("need", {{0, "Must have"}, {1, "Should have"}, {2, "Good to have"}, {3, "No need"}}));
  add(lead, choice("preferredcontactmethodcode",
                   {{1, "Any"}, {2, "Email"}, {3, "Phone"}, {4, "Fax"}, {5, "Mail"}}));
  add(lead, choice("salesstage", {{0, "Qualify"}}));
  add(lead, choice("salesstagecode", {{1, "Default Value"}}));
  add(lead, choice("initialcommunication", {{0, "Contacted"}, {1, "Not Contacted"}}));
  add_state_status(lead, {{0, "Open"}, {1, "Qualified"}, {2, "Disqualified"}},
                   {{1, "New", 0, true},
                    {2, "Contacted", 0, false},
                    {3, "Qualified", 1, true},
                    {4, "Lost", 2, true},
                    {5, "Cannot Contact", 2, false},
                    {6, "No Longer Interested", 2, false},
                    {7, "Canceled", 2, false}});

  // Custom columns of the leadsync solution (publisher prefix leadsync_).
  add(lead, text("leadsync_externalid", 100));
  for (const char* score : {"leadsync_fitscore", "leadsync_engagementscore",
                            "leadsync_dataqualityscore", "leadsync_totalscore"}) {
    add(lead, ranged(score, ColumnType::decimal, 0, 100));
  }
  add(lead, text("leadsync_grade", 1));         // "A".."D"
  add(lead, text("leadsync_scorereason", 250)); // total, grade and top reasons, as text
  add(lead, text("leadsync_lifecyclestage", 50));
  add(lead, text("leadsync_listvendor", 100));
  add(lead, text("leadsync_listid", 100));
  add(lead, boolean("leadsync_listexclusive"));
  add(lead, of_type("leadsync_listacquiredon", ColumnType::date_only));
  add(lead, whole("leadsync_listcount", 0, 1000));
  add(lead, text("leadsync_listagebucket", 20));
  add(lead, text("leadsync_enrichmentsource", 200));
  add(lead, text("leadsync_seniority", 50));
  add(lead, text("leadsync_linkedinurl", 200));
  add(lead, text("leadsync_xhandle", 100));
  add(lead, text("leadsync_githuburl", 200));
  add(lead, memo("leadsync_socialbio", 2000));
  add(lead, of_type("leadsync_enrichedon", ColumnType::date_time));
  lead.alternate_keys.push_back(AlternateKeyDef{"leadsync_externalid", {"leadsync_externalid"}});
  return lead;
}

EntityDef contact_table() {
  EntityDef contact = make_entity("contact", "contacts", "fullname");
  add_ownership(contact);
  add_currency(contact);
  contact.duplicate_detection = true;
  contact.duplicate_column = "emailaddress1";
  add(contact, text("firstname", 50, RequiredLevel::recommended));
  add(contact, text("lastname", 50, RequiredLevel::application_required));
  add(contact, read_only(text("fullname", 160)));
  add(contact, text("emailaddress1", 100));
  add(contact, text("telephone1", 50));
  add(contact, text("mobilephone", 50));
  add(contact, text("jobtitle", 100));
  add(contact, lookup("parentcustomerid", {{"account", "parentcustomerid_account"},
                                           {"contact", "parentcustomerid_contact"}}));
  add(contact, lookup_to("originatingleadid", "lead"));
  add_active_inactive(contact);
  return contact;
}

EntityDef account_table() {
  EntityDef account = make_entity("account", "accounts", "name");
  add_ownership(account);
  add_currency(account);
  account.duplicate_detection = true;
  account.duplicate_column = "emailaddress1";
  add(account, text("name", 160, RequiredLevel::application_required));
  add(account, text("emailaddress1", 100));
  add(account, text("telephone1", 50));
  add(account, text("websiteurl", 200));
  add(account, text("accountnumber", 20));
  add(account, whole("numberofemployees", 0, 1'000'000'000));
  add(account, money("revenue", 0, 100'000'000'000'000.0));
  add(account, read_only(money("revenue_base")));
  add(account, choice("industrycode", industry_codes()));
  add(account, lookup_to("primarycontactid", "contact"));
  add(account, lookup_to("originatingleadid", "lead"));
  add_active_inactive(account);
  return account;
}

EntityDef opportunity_table() {
  EntityDef opportunity = make_entity("opportunity", "opportunities", "name");
  add_ownership(opportunity);
  add_currency(opportunity);
  add(opportunity, text("name", 300, RequiredLevel::application_required));
  add(opportunity,
      lookup("customerid", {{"account", "customerid_account"}, {"contact", "customerid_contact"}}));
  add(opportunity, lookup_to("parentaccountid", "account"));
  add(opportunity, lookup_to("parentcontactid", "contact"));
  add(opportunity, create_only(lookup_to("originatingleadid", "lead")));
  add(opportunity, lookup_to("campaignid", "campaign")); // QualifyLead's SourceCampaignId
  add(opportunity, money("estimatedvalue"));
  add(opportunity, read_only(money("estimatedvalue_base")));
  add_state_status(opportunity, {{0, "Open"}, {1, "Won"}, {2, "Lost"}},
                   {{1, "In Progress", 0, true},
                    {2, "On Hold", 0, false},
                    {3, "Won", 1, true},
                    {4, "Canceled", 2, true},
                    {5, "Out-Sold", 2, false}});
  return opportunity;
}

EntityDef campaign_table() {
  EntityDef campaign = make_entity("campaign", "campaigns", "name");
  add_ownership(campaign);
  add_currency(campaign);
  add(campaign, text("name", 128, RequiredLevel::application_required));
  add_state_status(campaign, {{0, "Active"}, {1, "Inactive"}},
                   {{0, "Proposed", 0, true},
                    {1, "Ready To Launch", 0, false},
                    {2, "Launched", 0, false},
                    {3, "Completed", 0, false},
                    {4, "Canceled", 0, false},
                    {5, "Suspended", 0, false},
                    {6, "Inactive", 1, true}});
  return campaign;
}

// Scores written by a custom scoring model, read by the Sales lead-scoring widget ("Populate
// predictive scores using custom scoring model", and the msdyn_predictivescore table reference;
// scoring-dedupe.md A2). Organization-owned. Confirmed: the five columns of the documented create,
// their types and options, msdyn_scorereasons (memo 10,000), msdyn_scoredon and
// msdyn_contributingpredictionids (memo 2,000), and the update through the alternate-key URL
// (msdyn_entityid, msdyn_entitytype). Assumed: the key's schema name, the Active/Inactive state,
// no primary-name column, and the score's range (the column is an Integer; the widget shows
// 0..100).
EntityDef predictivescore_table() {
  EntityDef score = make_entity("msdyn_predictivescore", "msdyn_predictivescores", "");
  add(score, whole("msdyn_score"));
  add(score,
      choice("msdyn_grade", {{0, "Grade A"}, {1, "Grade B"}, {2, "Grade C"}, {3, "Grade D"}}));
  add(score, choice("msdyn_scoretrend",
                    {{0, "Improving"}, {1, "Steady"}, {2, "Declining"}, {3, "Not enough info"}}));
  add(score, memo("msdyn_scorereasons", 10'000));
  add(score, text("msdyn_entityid", 256, RequiredLevel::application_required));
  add(score, text("msdyn_entitytype", 128, RequiredLevel::application_required));
  add(score, of_type("msdyn_scoredon", ColumnType::date_time));
  add(score, memo("msdyn_contributingpredictionids", 2000));
  add_active_inactive(score);
  score.alternate_keys.push_back(
      AlternateKeyDef{"msdyn_entityid_entitytype", {"msdyn_entityid", "msdyn_entitytype"}});
  return score;
}

EntityDef transactioncurrency_table() {
  EntityDef currency = make_entity("transactioncurrency", "transactioncurrencies", "currencyname");
  add(currency, text("currencyname", 100, RequiredLevel::system_required));
  add(currency, text("isocurrencycode", 5, RequiredLevel::system_required));
  add(currency, text("currencysymbol", 10, RequiredLevel::system_required));
  add(currency, ranged("exchangerate", ColumnType::decimal, 0.0000000001, 100000000000.0));
  add(currency, whole("currencyprecision", 0, 4));
  add_active_inactive(currency);
  return currency;
}

EntityDef systemuser_table() {
  EntityDef user = make_entity("systemuser", "systemusers", "fullname");
  add(user, text("firstname", 256));
  add(user, text("lastname", 256));
  add(user, read_only(text("fullname", 200)));
  add(user, text("domainname", 1024, RequiredLevel::system_required));
  add(user, text("internalemailaddress", 100));
  add(user, of_type("applicationid", ColumnType::uniqueidentifier));
  add(user, boolean("isdisabled"));
  add(user, lookup_to("businessunitid", "businessunit"));
  return user;
}

EntityDef businessunit_table() {
  EntityDef unit = make_entity("businessunit", "businessunits", "name");
  add(unit, text("name", 160, RequiredLevel::system_required));
  add(unit, lookup_to("parentbusinessunitid", "businessunit"));
  return unit;
}

EntityDef organization_table() {
  EntityDef organization = make_entity("organization", "organizations", "name");
  add(organization, text("name", 160, RequiredLevel::system_required));
  add(organization, whole("expirechangetrackingindays", 0, 365));
  return organization;
}

// https://learn.microsoft.com/en-us/power-apps/developer/data-platform/reference/entities/serviceendpoint
EntityDef serviceendpoint_table() {
  EntityDef endpoint = make_entity("serviceendpoint", "serviceendpoints", "name");
  add(endpoint, text("name", 256, RequiredLevel::system_required));
  add(endpoint, memo("description", 2000));
  add(endpoint, text("url", 2000));
  add(endpoint, text("namespaceaddress", 255));
  add(endpoint, text("solutionnamespace", 160));
  add(endpoint, text("path", 160));
  ColumnDef authvalue = text("authvalue", 2048);
  authvalue.valid_for_read = false;
  add(endpoint, std::move(authvalue));
  add(endpoint, choice("contract", {{1, "OneWay"},
                                    {2, "Queue"},
                                    {3, "Rest"},
                                    {4, "TwoWay"},
                                    {5, "Topic"},
                                    {6, "Queue_Persistent"},
                                    {7, "EventHub"},
                                    {8, "Webhook"},
                                    {9, "EventGrid"}}));
  add(endpoint, choice("authtype", {{1, "ACS"},
                                    {2, "SASKey"},
                                    {3, "SASToken"},
                                    {4, "WebhookKey"},
                                    {5, "HttpHeader"},
                                    {6, "HttpQueryString"},
                                    {7, "ConnectionString"},
                                    {8, "AccessKey"},
                                    {9, "ManagedIdentity"}}));
  add(endpoint, choice("messageformat", {{1, "BinaryXML"}, {2, "Json"}, {3, "TextXML"}}));
  add(endpoint, choice("namespaceformat", {{1, "Namespace Name"}, {2, "Namespace Address"}}));
  add(endpoint, choice("userclaim", {{1, "None"}, {2, "UserId"}, {3, "UserInfo"}}));
  add(endpoint, choice("connectionmode", {{1, "Normal"}, {2, "Federated"}}));
  return endpoint;
}

EntityDef sdkmessage_table() {
  EntityDef message = make_entity("sdkmessage", "sdkmessages", "name");
  add(message, text("name", 256, RequiredLevel::system_required));
  return message;
}

EntityDef sdkmessagefilter_table() {
  EntityDef filter = make_entity("sdkmessagefilter", "sdkmessagefilters", "");
  add(filter, text("primaryobjecttypecode", 100, RequiredLevel::system_required));
  add(filter, text("secondaryobjecttypecode", 100));
  add(filter, lookup_to("sdkmessageid", "sdkmessage"));
  add(filter, boolean("iscustomprocessingstepallowed", true));
  return filter;
}

EntityDef sdkmessageprocessingstep_table() {
  EntityDef step = make_entity("sdkmessageprocessingstep", "sdkmessageprocessingsteps", "name");
  add(step, text("name", 256));
  add(step, memo("description", 256));
  add(step, memo("configuration", 1'073'741'823));
  add(step, memo("filteringattributes", 100'000));
  add(step,
      choice("stage", {{10, "Pre-validation"}, {20, "Pre-operation"}, {40, "Post-operation"}}));
  add(step, choice("mode", {{0, "Synchronous"}, {1, "Asynchronous"}}));
  add(step, whole("rank", 0, int32_max));
  add(step, choice("supporteddeployment", {{0, "Server Only"},
                                           {1, "Microsoft Dynamics 365 Client for Outlook Only"},
                                           {2, "Both"}}));
  add(step, boolean("asyncautodelete"));
  add(step, lookup("eventhandler", {{"serviceendpoint", "eventhandler_serviceendpoint"}}));
  add(step, lookup_to("sdkmessageid", "sdkmessage"));
  add(step, lookup_to("sdkmessagefilterid", "sdkmessagefilter"));
  add_state_status(step, {{0, "Enabled"}, {1, "Disabled"}},
                   {{1, "Enabled", 0, true}, {2, "Disabled", 1, true}});
  return step;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream stream(text);
  while (std::getline(stream, part, separator)) {
    parts.push_back(part);
  }
  if (!text.empty() && text.back() == separator) {
    parts.emplace_back();
  }
  return parts;
}

bool parse_number(const std::string& text, double& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc{} && ptr == end;
}

bool valid_column_name(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// "lead:leadsync_foo:String:100" -> (entity, column). The message says what to write instead.
leadsync::Result<std::pair<std::string, ColumnDef>> parse_extra_column(const std::string& spec) {
  const auto parts = split(spec, ':');
  const std::string usage = "extra column '" + spec +
                            "' is malformed: write entity:column:Type[:arg], e.g. "
                            "lead:leadsync_foo:String:100 (Type: String or Memo with a maximum "
                            "length; Integer, BigInt, Decimal, Money or Double with an optional "
                            "min..max; Boolean, DateTime, DateOnly)";
  if (parts.size() < 3 || parts.size() > 4 || !valid_column_name(parts[1])) {
    return leadsync::fail(leadsync::ErrorCategory::config, usage);
  }
  const std::string& type = parts[2];
  const std::string arg = parts.size() == 4 ? parts[3] : "";
  ColumnDef column;
  if (type == "String" || type == "Memo") {
    double length = type == "String" ? 100 : 2000;
    if (!arg.empty() && (!parse_number(arg, length) || length < 1 || length > 1'048'576 ||
                         length != std::floor(length))) {
      return leadsync::fail(leadsync::ErrorCategory::config, usage);
    }
    column = type == "String" ? text(parts[1], static_cast<int>(length))
                              : memo(parts[1], static_cast<int>(length));
  } else if (type == "Integer" || type == "BigInt" || type == "Decimal" || type == "Money" ||
             type == "Double") {
    const ColumnType column_type = type == "Integer"   ? ColumnType::integer
                                   : type == "BigInt"  ? ColumnType::big_int
                                   : type == "Decimal" ? ColumnType::decimal
                                   : type == "Money"   ? ColumnType::money
                                                       : ColumnType::double_;
    column = of_type(parts[1], column_type);
    if (type == "Integer") {
      column = whole(parts[1]);
    } else if (type == "Money") {
      column = money(parts[1]);
    }
    if (!arg.empty()) {
      const auto dots = arg.find("..");
      double min = 0;
      double max = 0;
      if (dots == std::string::npos || !parse_number(arg.substr(0, dots), min) ||
          !parse_number(arg.substr(dots + 2), max) || min > max) {
        return leadsync::fail(leadsync::ErrorCategory::config, usage);
      }
      column.min = min;
      column.max = max;
    }
  } else if (type == "Boolean" && arg.empty()) {
    column = boolean(parts[1]);
  } else if (type == "DateTime" && arg.empty()) {
    column = of_type(parts[1], ColumnType::date_time);
  } else if (type == "DateOnly" && arg.empty()) {
    column = of_type(parts[1], ColumnType::date_only);
  } else {
    return leadsync::fail(leadsync::ErrorCategory::config, usage);
  }
  return std::make_pair(parts[0], std::move(column));
}

bool can_be_key_column(const ColumnDef& column) {
  // Allowed key column types [ALTDEF]: Decimal, Whole Number, single-line text, DateTime, Lookup,
  // Choice.
  switch (column.type) {
  case ColumnType::string:
  case ColumnType::integer:
  case ColumnType::decimal:
  case ColumnType::date_time:
  case ColumnType::lookup:
  case ColumnType::picklist:
    return true;
  default:
    return false;
  }
}

EntityDef* find_entity(std::vector<EntityDef>& entities, const std::string& logical_name) {
  auto it = std::find_if(entities.begin(), entities.end(),
                         [&](const EntityDef& e) { return e.logical_name == logical_name; });
  return it == entities.end() ? nullptr : &*it;
}

leadsync::Status apply_extra_alternate_key(std::vector<EntityDef>& entities,
                                           const std::string& spec) {
  const auto parts = split(spec, ':');
  if (parts.size() != 3 || parts[1].empty() || parts[2].empty()) {
    return leadsync::fail(leadsync::ErrorCategory::config,
                          "extra alternate key '" + spec +
                              "' is malformed: write entity:keyname:col1+col2, e.g. "
                              "account:accountnumber:accountnumber");
  }
  EntityDef* entity = find_entity(entities, parts[0]);
  if (entity == nullptr) {
    return leadsync::fail(leadsync::ErrorCategory::config,
                          "extra alternate key '" + spec + "' names table '" + parts[0] +
                              "', which the emulator does not serve");
  }
  AlternateKeyDef key{parts[1], split(parts[2], '+')};
  if (key.columns.size() > max_key_columns) {
    return leadsync::fail(leadsync::ErrorCategory::config,
                          "extra alternate key '" + spec + "' has more than 16 columns");
  }
  for (const auto& column_name : key.columns) {
    const ColumnDef* column = entity->column(column_name);
    if (column == nullptr || !can_be_key_column(*column)) {
      return leadsync::fail(leadsync::ErrorCategory::config,
                            "extra alternate key '" + spec + "': '" + column_name +
                                "' is not a column of " + entity->logical_name +
                                " that can be part of a key (text, whole number, decimal, "
                                "date and time, lookup or choice)");
    }
  }
  auto same = std::find_if(entity->alternate_keys.begin(), entity->alternate_keys.end(),
                           [&](const AlternateKeyDef& k) { return k.name == key.name; });
  if (same != entity->alternate_keys.end()) {
    *same = std::move(key);
    return leadsync::ok_status();
  }
  if (entity->alternate_keys.size() >= max_alternate_keys) {
    return leadsync::fail(leadsync::ErrorCategory::config,
                          "extra alternate key '" + spec + "': " + entity->logical_name +
                              " already has 10 alternate keys, the most Dataverse allows");
  }
  entity->alternate_keys.push_back(std::move(key));
  return leadsync::ok_status();
}

leadsync::Result<std::vector<EntityDef>> build(const EmulatorOptions& options) {
  std::vector<EntityDef> entities;
  entities.push_back(lead_table());
  entities.push_back(contact_table());
  entities.push_back(account_table());
  entities.push_back(opportunity_table());
  entities.push_back(campaign_table());
  entities.push_back(transactioncurrency_table());
  entities.push_back(systemuser_table());
  entities.push_back(businessunit_table());
  entities.push_back(organization_table());
  entities.push_back(serviceendpoint_table());
  entities.push_back(sdkmessage_table());
  entities.push_back(sdkmessagefilter_table());
  entities.push_back(sdkmessageprocessingstep_table());
  entities.push_back(predictivescore_table());

  for (const auto& spec : options.extra_columns) {
    LEADSYNC_TRY(auto parsed, parse_extra_column(spec));
    EntityDef* entity = find_entity(entities, parsed.first);
    if (entity == nullptr) {
      return leadsync::fail(leadsync::ErrorCategory::config,
                            "extra column '" + spec + "' names table '" + parsed.first +
                                "', which the emulator does not serve");
    }
    if (entity->column(parsed.second.name) != nullptr) {
      return leadsync::fail(leadsync::ErrorCategory::config,
                            "extra column '" + spec + "': " + entity->logical_name +
                                " already has a column named " + parsed.second.name);
    }
    add(*entity, std::move(parsed.second));
  }
  for (const auto& spec : options.extra_alternate_keys) {
    LEADSYNC_CHECK(apply_extra_alternate_key(entities, spec));
  }
  return entities;
}

// --- CSDL
// -------------------------------------------------------------------------------------------

std::string attr(const std::string& name, const std::string& value) {
  return " " + name + "=\"" + xml_escape(value) + "\"";
}

std::string edm_type(ColumnType type) {
  switch (type) {
  case ColumnType::string:
  case ColumnType::memo:
    return "Edm.String";
  case ColumnType::integer:
  case ColumnType::picklist:
  case ColumnType::state:
  case ColumnType::status:
    return "Edm.Int32";
  case ColumnType::big_int:
    return "Edm.Int64";
  case ColumnType::money:
  case ColumnType::decimal:
    return "Edm.Decimal";
  case ColumnType::double_:
    return "Edm.Double";
  case ColumnType::boolean:
    return "Edm.Boolean";
  case ColumnType::date_time:
    return "Edm.DateTimeOffset";
  case ColumnType::date_only:
    return "Edm.Date";
  case ColumnType::lookup:
  case ColumnType::uniqueidentifier:
    return "Edm.Guid";
  }
  return "Edm.String";
}

void write_alternate_keys(std::ostringstream& xml, const EntityDef& entity) {
  if (entity.alternate_keys.empty()) {
    return;
  }
  xml << "<Annotation Term=\"Org.OData.Core.V1.AlternateKeys\"><Collection>";
  for (const auto& key : entity.alternate_keys) {
    xml << "<Record Type=\"Org.OData.Core.V1.AlternateKey\"><PropertyValue Property=\"Key\">"
           "<Collection>";
    for (const auto& column_name : key.columns) {
      const ColumnDef* column = entity.column(column_name);
      const std::string path = column != nullptr && column->type == ColumnType::lookup
                                   ? "_" + column_name + "_value"
                                   : column_name;
      xml << "<Record Type=\"Org.OData.Core.V1.PropertyRef\"><PropertyValue Property=\"Alias\""
          << attr("String", path) << "/><PropertyValue Property=\"Name\""
          << attr("PropertyPath", path) << "/></Record>";
    }
    xml << "</Collection></PropertyValue></Record>";
  }
  xml << "</Collection></Annotation>";
}

void write_entity_type(std::ostringstream& xml, const EntityDef& entity, const Schema& schema) {
  xml << "<EntityType" << attr("Name", entity.logical_name)
      << " BaseType=\"mscrm.crmbaseentity\"><Key><PropertyRef" << attr("Name", entity.primary_id)
      << "/></Key>";
  for (const auto& [name, column] : entity.columns) {
    const bool lookup_column = column.type == ColumnType::lookup;
    xml << "<Property" << attr("Name", lookup_column ? "_" + name + "_value" : name)
        << attr("Type", edm_type(column.type));
    if (name == entity.primary_id) {
      xml << " Nullable=\"false\"";
    }
    if ((column.type == ColumnType::string || column.type == ColumnType::memo) &&
        column.max_length > 0) {
      xml << attr("MaxLength", std::to_string(column.max_length));
    }
    if (column.type == ColumnType::money || column.type == ColumnType::decimal) {
      xml << " Scale=\"Variable\"";
    }
    xml << "/>";
  }
  for (const auto& [name, column] : entity.columns) {
    for (const auto& [target, navigation] : column.navigation) {
      const EntityDef* target_entity = schema.by_logical_name(target);
      if (target_entity == nullptr) {
        continue;
      }
      xml << "<NavigationProperty" << attr("Name", navigation) << attr("Type", "mscrm." + target)
          << "><ReferentialConstraint" << attr("Property", "_" + name + "_value")
          << attr("ReferencedProperty", target_entity->primary_id) << "/></NavigationProperty>";
    }
  }
  write_alternate_keys(xml, entity);
  xml << "</EntityType>";
}

void write_entity_set(std::ostringstream& xml, const EntityDef& entity, const Schema& schema) {
  xml << "<EntitySet" << attr("Name", entity.entity_set)
      << attr("EntityType", "Microsoft.Dynamics.CRM." + entity.logical_name) << ">";
  for (const auto& [name, column] : entity.columns) {
    for (const auto& [target, navigation] : column.navigation) {
      if (const EntityDef* target_entity = schema.by_logical_name(target)) {
        xml << "<NavigationPropertyBinding" << attr("Path", navigation)
            << attr("Target", target_entity->entity_set) << "/>";
      }
    }
  }
  if (entity.change_tracking) {
    xml << "<Annotation Term=\"Org.OData.Capabilities.V1.ChangeTracking\"><Record>"
           "<PropertyValue Property=\"Supported\" Bool=\"true\"/></Record></Annotation>";
  }
  xml << "</EntitySet>";
}

// Actions, functions and the types they use: the parameters of QualifyLead follow dataverse-notes
// §2.
void write_operations(std::ostringstream& xml) {
  xml << "<ComplexType Name=\"WhoAmIResponse\">"
         "<Property Name=\"BusinessUnitId\" Type=\"Edm.Guid\" Nullable=\"false\"/>"
         "<Property Name=\"UserId\" Type=\"Edm.Guid\" Nullable=\"false\"/>"
         "<Property Name=\"OrganizationId\" Type=\"Edm.Guid\" Nullable=\"false\"/>"
         "</ComplexType>"
         "<ComplexType Name=\"CreateMultipleResponse\">"
         "<Property Name=\"Ids\" Type=\"Collection(Edm.Guid)\" Nullable=\"false\"/>"
         "</ComplexType>"
         "<Function Name=\"WhoAmI\"><ReturnType Type=\"mscrm.WhoAmIResponse\" "
         "Nullable=\"false\"/></Function>"
         "<Action Name=\"QualifyLead\" IsBound=\"true\">"
         "<Parameter Name=\"entity\" Type=\"mscrm.lead\" Nullable=\"false\"/>"
         "<Parameter Name=\"CreateAccount\" Type=\"Edm.Boolean\" Nullable=\"false\"/>"
         "<Parameter Name=\"CreateContact\" Type=\"Edm.Boolean\" Nullable=\"false\"/>"
         "<Parameter Name=\"CreateOpportunity\" Type=\"Edm.Boolean\" Nullable=\"false\"/>"
         "<Parameter Name=\"OpportunityCurrencyId\" Type=\"mscrm.transactioncurrency\"/>"
         "<Parameter Name=\"OpportunityCustomerId\" Type=\"mscrm.crmbaseentity\"/>"
         "<Parameter Name=\"SourceCampaignId\" Type=\"mscrm.campaign\"/>"
         "<Parameter Name=\"Status\" Type=\"Edm.Int32\" Nullable=\"false\"/>"
         "<Parameter Name=\"ProcessInstanceId\" Type=\"mscrm.crmbaseentity\"/>"
         "<ReturnType Type=\"Collection(mscrm.crmbaseentity)\" Nullable=\"false\"/>"
         "</Action>"
         // Unbound, no return value, as the use-web-api-actions page shows it.
         "<Action Name=\"Merge\">"
         "<Parameter Name=\"Target\" Type=\"mscrm.crmbaseentity\" Nullable=\"false\"/>"
         "<Parameter Name=\"Subordinate\" Type=\"mscrm.crmbaseentity\" Nullable=\"false\"/>"
         "<Parameter Name=\"UpdateContent\" Type=\"mscrm.crmbaseentity\"/>"
         "<Parameter Name=\"PerformParentingChecks\" Type=\"Edm.Boolean\" Nullable=\"false\"/>"
         "</Action>";
  for (const char* name : {"CreateMultiple", "UpdateMultiple", "UpsertMultiple"}) {
    xml << "<Action Name=\"" << name << "\" IsBound=\"true\">"
        << "<Parameter Name=\"entityset\" Type=\"Collection(mscrm.crmbaseentity)\" "
           "Nullable=\"false\"/>"
        << "<Parameter Name=\"Targets\" Type=\"Collection(mscrm.crmbaseentity)\" "
           "Nullable=\"false\"/>";
    if (std::string(name) == "CreateMultiple") {
      xml << "<ReturnType Type=\"mscrm.CreateMultipleResponse\" Nullable=\"false\"/>";
    }
    xml << "</Action>";
  }
}

} // namespace

const OptionValue* ColumnDef::option(int value) const {
  auto it = std::find_if(options.begin(), options.end(),
                         [&](const OptionValue& o) { return o.value == value; });
  return it == options.end() ? nullptr : &*it;
}

const ColumnDef* EntityDef::column(const std::string& name) const {
  auto it = columns.find(name);
  return it == columns.end() ? nullptr : &it->second;
}

std::optional<int> EntityDef::default_status(int state) const {
  const ColumnDef* status = column("statuscode");
  if (status == nullptr) {
    return std::nullopt;
  }
  for (const auto& option : status->options) {
    if (option.state == state && option.default_for_state) {
      return option.value;
    }
  }
  return std::nullopt;
}

const ColumnDef* EntityDef::column_for_navigation(const std::string& navigation,
                                                  std::string& target) const {
  for (const auto& [name, column] : columns) {
    for (const auto& [column_target, property] : column.navigation) {
      if (property == navigation) {
        target = column_target;
        return &column;
      }
    }
  }
  return nullptr;
}

leadsync::Status Schema::validate(const EmulatorOptions& options) {
  auto built = build(options);
  if (!built.ok()) {
    return built.error();
  }
  return leadsync::ok_status();
}

Schema Schema::dataverse(const EmulatorOptions& options) {
  auto built = build(options);
  if (!built.ok()) {
    throw std::invalid_argument(built.error().message);
  }
  Schema schema;
  schema.entities_ = std::move(built).value();
  return schema;
}

const EntityDef* Schema::by_entity_set(const std::string& entity_set) const {
  auto it = std::find_if(entities_.begin(), entities_.end(),
                         [&](const EntityDef& e) { return e.entity_set == entity_set; });
  return it == entities_.end() ? nullptr : &*it;
}

const EntityDef* Schema::by_logical_name(const std::string& logical_name) const {
  auto it = std::find_if(entities_.begin(), entities_.end(),
                         [&](const EntityDef& e) { return e.logical_name == logical_name; });
  return it == entities_.end() ? nullptr : &*it;
}

// Dataverse publishes the same CSDL whichever host name it is reached under, so the document does
// not depend on the service root.
std::string Schema::csdl([[maybe_unused]] const std::string& service_root) const {
  std::ostringstream xml;
  xml << "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
         "<edmx:Edmx Version=\"4.0\" xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\">"
         "<edmx:Reference Uri=\"https://oasis-tcs.github.io/odata-vocabularies/vocabularies/"
         "Org.OData.Core.V1.xml\"><edmx:Include Namespace=\"Org.OData.Core.V1\" Alias=\"Core\"/>"
         "</edmx:Reference>"
         "<edmx:Reference Uri=\"https://oasis-tcs.github.io/odata-vocabularies/vocabularies/"
         "Org.OData.Capabilities.V1.xml\"><edmx:Include Namespace=\"Org.OData.Capabilities.V1\" "
         "Alias=\"Capabilities\"/></edmx:Reference>"
         "<edmx:DataServices>"
         "<Schema Namespace=\"Microsoft.Dynamics.CRM\" Alias=\"mscrm\" "
         "xmlns=\"http://docs.oasis-open.org/odata/ns/edm\">"
         "<EntityType Name=\"crmbaseentity\" Abstract=\"true\"/>";
  for (const auto& entity : entities_) {
    write_entity_type(xml, entity, *this);
  }
  write_operations(xml);
  xml << "<EntityContainer Name=\"System\">";
  for (const auto& entity : entities_) {
    write_entity_set(xml, entity, *this);
  }
  xml << "<FunctionImport Name=\"WhoAmI\" Function=\"Microsoft.Dynamics.CRM.WhoAmI\"/>"
         "<ActionImport Name=\"Merge\" Action=\"Microsoft.Dynamics.CRM.Merge\"/>"
         "</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>";
  return xml.str();
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&apos;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

} // namespace dvemu
