// Conformance: the Dataverse emulator driven by dynamics-web-api v2, a widely used client nobody here wrote.
// Each scenario asserts what a real Dataverse org answers (../../../../shared/dataverse-notes.md), and every
// @odata.nextLink / @odata.deltaLink seen is parsed with @odata/parser at the end.
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { DynamicsWebApi } = require("dynamics-web-api");
const { startEmulator } = require("./emulator");
const { parseLink } = require("./links");

const TOKEN = "conformance-token";
const CLIENT_ID = "11111111-2222-3333-4444-555555555555";
const links = [];
let emulator;
let api;

function client(url, options = {}) {
  return new DynamicsWebApi({
    serverUrl: url,
    dataApi: { version: "9.2" },
    onTokenRefresh: async () => options.token ?? TOKEN,
    ...options.config,
  });
}

function collectLinks(response) {
  for (const key of ["oDataNextLink", "@odata.nextLink", "oDataDeltaLink", "@odata.deltaLink"]) {
    if (response && response[key]) links.push(response[key]);
  }
  return response;
}

async function expectError(promise, status, codePattern) {
  let error;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  assert.ok(error, `expected HTTP ${status}, the call succeeded`);
  // For a failed $batch, dynamics-web-api throws an array with one error per failed part.
  if (Array.isArray(error)) {
    assert.equal(error.length, 1, "one failed part");
    error = error[0];
  }
  assert.equal(error.status, status, `status of ${JSON.stringify(error.message)}`);
  if (codePattern) assert.match(String(error.code ?? error.error?.code ?? ""), codePattern, error.message);
  return error;
}

const uniq = (() => {
  let n = 0;
  return (prefix) => `${prefix}${process.pid}-${++n}`;
})();

before(async () => {
  emulator = await startEmulator([
    "--profile", "fast", "--static-token", TOKEN,
    "--client-id", CLIENT_ID, "--client-secret-env", "DWA_CLIENT_SECRET",
  ]);
  api = client(emulator.url);
});

after(async () => {
  await emulator?.stop();
});

test("01 create returns the new id", async () => {
  const id = await api.create({ collection: "leads", data: { lastname: "Ivanova", subject: "ERP" } });
  assert.match(id, /^[0-9a-f-]{36}$/);
});

test("02 create with return=representation returns the row and its etag", async () => {
  const lead = await api.create({
    collection: "leads",
    data: { firstname: "Anna", lastname: "Petrova", emailaddress1: "anna@example.ru" },
    returnRepresentation: true,
    select: ["firstname", "lastname", "fullname"],
  });
  assert.equal(lead.firstname, "Anna");
  assert.equal(lead.fullname, "Anna Petrova");
  assert.match(lead["@odata.etag"], /^W\/"\d+"$/);
  assert.match(lead.leadid, /^[0-9a-f-]{36}$/);
});

test("03 retrieve by id with $select", async () => {
  const id = await api.create({ collection: "leads", data: { lastname: "Sokolov", jobtitle: "CFO" } });
  const lead = await api.retrieve({ collection: "leads", key: id, select: ["lastname", "jobtitle"] });
  assert.equal(lead.leadid, id);
  assert.equal(lead.jobtitle, "CFO");
  assert.equal(lead.firstname, undefined, "unselected columns are not returned");
});

test("04 retrieve with $expand of a single-valued lookup", async () => {
  const accountId = await api.create({ collection: "accounts", data: { name: "Contoso" } });
  const id = await api.create({
    collection: "leads",
    data: { lastname: "Doe", "parentaccountid@odata.bind": `/accounts(${accountId})` },
  });
  const lead = await api.retrieve({
    collection: "leads", key: id, select: ["lastname", "_parentaccountid_value"],
    expand: [{ property: "parentaccountid", select: ["name"] }],
  });
  assert.equal(lead._parentaccountid_value, accountId);
  assert.equal(lead.parentaccountid.name, "Contoso");
});

test("05 retrieveMultiple with filter, select and orderBy", async () => {
  const tag = uniq("filt");
  for (const [last, employees] of [["B", 10], ["A", 30], ["C", 20]]) {
    await api.create({ collection: "leads", data: { lastname: `${tag}-${last}`, numberofemployees: employees } });
  }
  const result = await api.retrieveMultiple({
    collection: "leads",
    select: ["lastname", "numberofemployees"],
    filter: `startswith(lastname,'${tag}') and numberofemployees ge 20`,
    orderBy: ["numberofemployees desc"],
  });
  assert.deepEqual(result.value.map((l) => l.lastname), [`${tag}-A`, `${tag}-C`]);
});

test("06 retrieveMultiple with $count", async () => {
  const tag = uniq("count");
  for (let i = 0; i < 3; i++) await api.create({ collection: "leads", data: { lastname: tag } });
  const result = await api.retrieveMultiple({
    collection: "leads", select: ["lastname"], filter: `lastname eq '${tag}'`, count: true,
  });
  assert.equal(result.oDataCount, 3);
  assert.equal(result.value.length, 3);
});

test("07 retrieveAll follows @odata.nextLink across pages", async () => {
  const tag = uniq("page");
  for (let i = 0; i < 12; i++) await api.create({ collection: "leads", data: { lastname: `${tag}-${i}` } });
  const first = collectLinks(await api.retrieveMultiple({
    collection: "leads", select: ["lastname"], filter: `startswith(lastname,'${tag}')`, maxPageSize: 5,
  }));
  assert.equal(first.value.length, 5);
  assert.ok(first.oDataNextLink, "a nextLink when more rows exist");
  const all = await api.retrieveAll({
    collection: "leads", select: ["lastname"], filter: `startswith(lastname,'${tag}')`, maxPageSize: 5,
  });
  const names = all.value.map((l) => l.lastname);
  assert.equal(names.length, 12);
  assert.equal(new Set(names).size, 12, "no row twice");
  // The pages themselves, to collect every nextLink.
  let page = first;
  while (page.oDataNextLink) {
    page = collectLinks(await api.retrieveMultiple({ collection: "leads", maxPageSize: 5 }, page.oDataNextLink));
  }
});

test("08 update changes the row", async () => {
  const id = await api.create({ collection: "leads", data: { lastname: "Khalil" } });
  await api.update({ collection: "leads", key: id, data: { jobtitle: "CTO" } });
  const lead = await api.retrieve({ collection: "leads", key: id, select: ["jobtitle"] });
  assert.equal(lead.jobtitle, "CTO");
});

test("09 update with a stale If-Match is refused with 412", async () => {
  const created = await api.create({
    collection: "leads", data: { lastname: "Stale" }, returnRepresentation: true, select: ["lastname"],
  });
  await api.update({ collection: "leads", key: created.leadid, data: { jobtitle: "v2" } });
  // dynamics-web-api turns 412 into `false` unless errors are propagated.
  const quiet = await api.update({
    collection: "leads", key: created.leadid, data: { jobtitle: "v3" }, ifmatch: created["@odata.etag"],
  });
  assert.equal(quiet, false);
  const strict = client(emulator.url, { config: { propagateErrors: true } });
  const error = await expectError(strict.update({
    collection: "leads", key: created.leadid, data: { jobtitle: "v3" }, ifmatch: created["@odata.etag"],
  }), 412);
  assert.match(error.message, /version of the existing record doesn't match/i);
});

test("10 upsert by alternate key whose value holds a quote: create, then update", async () => {
  const externalId = `o'brien-${uniq("k")}`;
  const key = `leadsync_externalid='${externalId.replace(/'/g, "''")}'`;
  await api.upsert({ collection: "leads", key, data: { lastname: "O'Brien" } });
  await api.upsert({ collection: "leads", key, data: { jobtitle: "Buyer" } });
  const found = await api.retrieveMultiple({
    collection: "leads", select: ["lastname", "jobtitle", "leadsync_externalid"],
    filter: `leadsync_externalid eq '${externalId.replace(/'/g, "''")}'`,
  });
  assert.equal(found.value.length, 1, "one row, created then updated");
  assert.equal(found.value[0].lastname, "O'Brien");
  assert.equal(found.value[0].jobtitle, "Buyer");
  assert.equal(found.value[0].leadsync_externalid, externalId, "key value copied from the URL");
});

test("11 upsert with If-None-Match: * on an existing row is refused with 412", async () => {
  const key = `leadsync_externalid='${uniq("inm")}'`;
  await api.upsert({ collection: "leads", key, data: { lastname: "First" } });
  // dynamics-web-api turns this 412 into `null` unless errors are propagated.
  const quiet = await api.upsert({ collection: "leads", key, data: { lastname: "Second" }, ifnonematch: "*" });
  assert.equal(quiet, null);
  const strict = client(emulator.url, { config: { propagateErrors: true } });
  const error = await expectError(
    strict.upsert({ collection: "leads", key, data: { lastname: "Second" }, ifnonematch: "*" }), 412);
  assert.match(error.message, /matching key values already exists/i);
  const row = await api.retrieve({ collection: "leads", key, select: ["lastname"] });
  assert.equal(row.lastname, "First", "the refused create changed nothing");
});

test("12 delete removes the row; retrieving it gives 404", async () => {
  const id = await api.create({ collection: "leads", data: { lastname: "Gone" } });
  await api.deleteRecord({ collection: "leads", key: id });
  const error = await expectError(api.retrieve({ collection: "leads", key: id }), 404);
  assert.match(error.message, /Does Not Exist/);
});

test("13 batch: changeset with a Content-ID reference, and a GET outside it", async () => {
  const tag = uniq("batch");
  api.startBatch();
  api.create({ collection: "accounts", data: { name: tag }, contentId: "1" });
  api.create({ collection: "leads", data: { lastname: tag, "parentaccountid@odata.bind": "$1" } });
  api.retrieveMultiple({ collection: "accounts", select: ["name"], filter: `name eq '${tag}'`, inChangeSet: false });
  const responses = await api.executeBatch();
  assert.equal(responses.length, 3);
  const [accountId, leadId, query] = responses;
  assert.match(accountId, /^[0-9a-f-]{36}$/);
  assert.match(leadId, /^[0-9a-f-]{36}$/);
  assert.equal(query.value.length, 1);
  const lead = await api.retrieve({ collection: "leads", key: leadId, select: ["_parentaccountid_value"] });
  assert.equal(lead._parentaccountid_value, accountId, "$1 resolved to the account created in the changeset");
});

test("14 batch: a failing changeset is rolled back as a whole", async () => {
  const tag = uniq("rollback");
  api.startBatch();
  api.create({ collection: "leads", data: { lastname: tag } });
  api.create({ collection: "leads", data: { lastname: tag, firstname: "x".repeat(51) } });
  await expectError(api.executeBatch(), 400, /0x80044331/);
  const left = await api.retrieveMultiple({ collection: "leads", select: ["lastname"], filter: `lastname eq '${tag}'` });
  assert.equal(left.value.length, 0, "the first create was rolled back");
});

test("15 callAction QualifyLead creates account, contact and opportunity", async () => {
  const id = await api.create({
    collection: "leads",
    data: { firstname: "Omar", lastname: "Nasser", companyname: "NileSoft", subject: "Cloud migration" },
  });
  const result = await api.callAction({
    collection: "leads", key: id, actionName: "Microsoft.Dynamics.CRM.QualifyLead",
    action: { CreateAccount: true, CreateContact: true, CreateOpportunity: true, Status: 3 },
  });
  const types = result.value.map((r) => r["@odata.type"]).sort();
  assert.deepEqual(types, ["#Microsoft.Dynamics.CRM.account", "#Microsoft.Dynamics.CRM.contact",
    "#Microsoft.Dynamics.CRM.opportunity"]);
  const lead = await api.retrieve({
    collection: "leads", key: id, select: ["statecode", "statuscode", "_qualifyingopportunityid_value"],
  });
  assert.equal(lead.statecode, 1);
  assert.equal(lead.statuscode, 3);
  const opportunity = result.value.find((r) => r["@odata.type"].endsWith("opportunity"));
  assert.equal(lead._qualifyingopportunityid_value, opportunity.opportunityid);
  const fromLead = await api.retrieveMultiple({
    collection: "opportunities", select: ["name"], filter: `_originatingleadid_value eq ${id}`,
  });
  assert.equal(fromLead.value.length, 1, "the opportunity points back at the lead");
});

test("16 QualifyLead on a closed lead is refused", async () => {
  const id = await api.create({ collection: "leads", data: { lastname: "Twice", companyname: "Twice Ltd" } });
  const action = { CreateAccount: false, CreateContact: false, CreateOpportunity: false, Status: 3 };
  await api.callAction({ collection: "leads", key: id, actionName: "Microsoft.Dynamics.CRM.QualifyLead", action });
  const error = await expectError(api.callAction({ collection: "leads", key: id, actionName: "Microsoft.Dynamics.CRM.QualifyLead", action }), 400);
  assert.match(error.message, /closed/i);
});

test("17 disqualify with a valid statecode/statuscode pair; an invalid pair is refused", async () => {
  const id = await api.create({ collection: "leads", data: { lastname: "Lost" } });
  await expectError(api.update({ collection: "leads", key: id, data: { statecode: 2, statuscode: 1 } }), 400, /0x80048408/);
  await api.update({ collection: "leads", key: id, data: { statecode: 2, statuscode: 4 } });
  const lead = await api.retrieve({ collection: "leads", key: id, select: ["statecode", "statuscode"] });
  assert.deepEqual([lead.statecode, lead.statuscode], [2, 4]);
});

test("18 callFunction WhoAmI", async () => {
  const me = await api.callFunction("WhoAmI");
  assert.match(me.UserId, /^[0-9a-f-]{36}$/);
  assert.match(me.BusinessUnitId, /^[0-9a-f-]{36}$/);
  assert.match(me.OrganizationId, /^[0-9a-f-]{36}$/);
});

test("19 change tracking: delta returns new, changed and deleted rows", async () => {
  const tracked = await api.create({ collection: "campaigns", data: { name: uniq("ct-keep") } });
  const doomed = await api.create({ collection: "campaigns", data: { name: uniq("ct-doomed") } });
  const initial = collectLinks(await api.retrieveMultiple({ collection: "campaigns", select: ["name"], trackChanges: true }));
  assert.ok(initial.oDataDeltaLink, "a deltaLink on the initial read");
  assert.ok(initial.value.some((c) => c.campaignid === tracked));

  const added = await api.create({ collection: "campaigns", data: { name: uniq("ct-new") } });
  await api.update({ collection: "campaigns", key: tracked, data: { name: "renamed" } });
  await api.deleteRecord({ collection: "campaigns", key: doomed });

  const delta = collectLinks(await api.retrieveMultiple({ collection: "campaigns" }, initial.oDataDeltaLink));
  const changedIds = delta.value.filter((r) => r.campaignid).map((r) => r.campaignid).sort();
  assert.deepEqual(changedIds, [added, tracked].sort());
  const deleted = delta.value.filter((r) => r.reason === "deleted");
  assert.deepEqual(deleted.map((r) => r.id), [doomed]);
  assert.match(deleted[0]["@odata.context"], /\$deletedEntity$/);
  assert.ok(delta.oDataDeltaLink, "each delta response carries a new deltaLink");
});

test("20 duplicate detection only when the request turns it on", async () => {
  const email = `${uniq("dup")}@example.com`;
  await api.create({ collection: "leads", data: { lastname: "One", emailaddress1: email } });
  await api.create({ collection: "leads", data: { lastname: "Two", emailaddress1: email } }); // suppressed by default
  await expectError(api.create({
    collection: "leads", data: { lastname: "Three", emailaddress1: email }, duplicateDetection: true,
  }), 412, /0x80040333/);
});

test("21 a string longer than the column allows is refused with 0x80044331", async () => {
  const error = await expectError(api.create({ collection: "leads", data: { lastname: "y".repeat(51) } }), 400, /0x80044331/);
  assert.match(error.message, /lastname/);
});

test("22 an unknown column is refused", async () => {
  await expectError(api.create({ collection: "leads", data: { lastname: "x", nosuchcolumn: 1 } }), 400);
});

test("23 count", async () => {
  const tag = uniq("cnt");
  for (let i = 0; i < 4; i++) await api.create({ collection: "leads", data: { lastname: tag } });
  assert.equal(await api.count({ collection: "leads", filter: `lastname eq '${tag}'` }), 4);
});

test("24 CreateMultiple through callAction, all-or-nothing", async () => {
  const tag = uniq("bulk");
  const targets = [0, 1, 2].map((i) => ({ "@odata.type": "Microsoft.Dynamics.CRM.lead", lastname: `${tag}-${i}` }));
  const result = await api.callAction({ collection: "leads", actionName: "Microsoft.Dynamics.CRM.CreateMultiple", action: { Targets: targets } });
  assert.equal(result.Ids.length, 3);
  const poisoned = [3, 4].map((i) => ({ "@odata.type": "Microsoft.Dynamics.CRM.lead", lastname: `${tag}-${i}` }));
  poisoned.push({ "@odata.type": "Microsoft.Dynamics.CRM.lead", lastname: "z".repeat(51) });
  await expectError(api.callAction({
    collection: "leads", actionName: "Microsoft.Dynamics.CRM.CreateMultiple", action: { Targets: poisoned },
  }), 400, /0x80044331/);
  const stored = await api.retrieveMultiple({ collection: "leads", select: ["lastname"], filter: `startswith(lastname,'${tag}')` });
  assert.equal(stored.value.length, 3, "the failed request left nothing behind");
});

test("25 $metadata lists the lead entity set and its alternate key", async () => {
  const csdl = await api.retrieveCsdlMetadata();
  assert.match(csdl, /EntitySet Name="leads"/);
  assert.match(csdl, /leadsync_externalid/);
});

test("26 a token from the Entra-style endpoint (client credentials) is accepted", async () => {
  const form = new URLSearchParams({
    client_id: CLIENT_ID, client_secret: "conformance-secret", grant_type: "client_credentials",
    scope: `${emulator.url}/.default`,
  });
  const response = await fetch(`${emulator.url}/contoso.onmicrosoft.com/oauth2/v2.0/token`, { method: "POST", body: form });
  assert.equal(response.status, 200);
  const token = await response.json();
  assert.equal(token.token_type, "Bearer");
  assert.ok(token.expires_in > 0);
  const withIssued = client(emulator.url, { token: token.access_token });
  const me = await withIssued.callFunction("WhoAmI");
  assert.match(me.UserId, /^[0-9a-f-]{36}$/);
});

test("27 a wrong client secret is refused by the token endpoint", async () => {
  const form = new URLSearchParams({
    client_id: CLIENT_ID, client_secret: "wrong", grant_type: "client_credentials", scope: `${emulator.url}/.default`,
  });
  const response = await fetch(`${emulator.url}/contoso.onmicrosoft.com/oauth2/v2.0/token`, { method: "POST", body: form });
  assert.equal(response.status, 401);
  assert.equal((await response.json()).error, "invalid_client");
});

test("28 a bad bearer token gets 401", async () => {
  const stranger = client(emulator.url, { token: "not-a-token" });
  await expectError(stranger.callFunction("WhoAmI"), 401);
});

test("29 a 429 with Retry-After under a tight limit", async () => {
  // A second emulator with the documented limits over a 3 s window: 6000 * 3 / 300 = 60 requests.
  const tight = await startEmulator(["--profile", "dataverse", "--window-s", "3", "--static-token", TOKEN]);
  try {
    const limited = client(tight.url);
    let error;
    for (let i = 0; i < 200 && !error; i++) {
      try {
        await limited.callFunction("WhoAmI");
      } catch (e) {
        error = e;
      }
    }
    assert.ok(error, "the limit was never reached");
    assert.equal(error.status, 429);
    assert.equal(error.code, "0x80072322");
    const retryAfter = error.headers?.["retry-after"] ?? error.headers?.["Retry-After"];
    assert.ok(Number(retryAfter) >= 1, `Retry-After in seconds, got ${retryAfter}`);
  } finally {
    await tight.stop();
  }
});

test("30 callAction Merge (unbound) deactivates the subordinate lead and links it to the target", async () => {
  const target = await api.create({ collection: "leads", data: { firstname: "Lena", lastname: "Berg", jobtitle: "CTO" } });
  const subordinate = await api.create({ collection: "leads", data: { firstname: "L.", lastname: "Berg" } });
  const lead = (id) => ({ "@odata.type": "Microsoft.Dynamics.CRM.lead", leadid: id });
  const merge = {
    Target: lead(target), Subordinate: lead(subordinate), PerformParentingChecks: false,
    UpdateContent: { "@odata.type": "Microsoft.Dynamics.CRM.lead", telephone1: "+46 8 123 456" },
  };
  const result = await api.callAction({ actionName: "Merge", action: merge });
  assert.ok(result === null || result === undefined || Object.keys(result).length === 0, "204: no return value");
  const kept = await api.retrieve({ collection: "leads", key: target, select: ["jobtitle", "telephone1", "statecode"] });
  assert.deepEqual([kept.jobtitle, kept.telephone1, kept.statecode], ["CTO", "+46 8 123 456", 0]);
  const merged = await api.retrieve({
    collection: "leads", key: subordinate, select: ["statecode", "statuscode", "merged", "_masterid_value"],
  });
  assert.deepEqual([merged.statecode, merged.statuscode, merged.merged], [2, 7, true]);
  assert.equal(merged._masterid_value, target);
  const again = await expectError(api.callAction({ actionName: "Merge", action: merge }), 400);
  assert.match(again.message, /already merged/);
  const missing = "dddddddd-dddd-4ddd-8ddd-dddddddddddd";
  await expectError(api.callAction({ actionName: "Merge", action: { ...merge, Subordinate: lead(missing) } }), 404);
});

test("31 every nextLink and deltaLink parses with @odata/parser", () => {
  assert.ok(links.some((l) => l.includes("$skiptoken=")), "a nextLink was seen");
  assert.ok(links.some((l) => l.includes("$deltatoken=")), "a deltaLink was seen");
  for (const link of links) {
    assert.doesNotThrow(() => parseLink(link), `@odata/parser rejected ${link}`);
  }
});

test("32 includeAnnotations FormattedValue labels choices, statecode and statuscode", async () => {
  const id = await api.create({ collection: "leads", data: { lastname: "Sato", leadqualitycode: 2 } });
  const lead = await api.retrieve({
    collection: "leads", key: id, select: ["leadqualitycode", "statecode", "statuscode", "lastname"],
    includeAnnotations: "OData.Community.Display.V1.FormattedValue",
  });
  assert.equal(lead.leadqualitycode, 2);
  assert.equal(lead["leadqualitycode@OData.Community.Display.V1.FormattedValue"], "Warm");
  assert.equal(lead.leadqualitycode_Formatted, "Warm");
  assert.equal(lead.statecode_Formatted, "Open");
  assert.equal(lead.statuscode_Formatted, "New");
  assert.equal(lead.lastname_Formatted, undefined, "text columns get no formatted value");
  const plain = await api.retrieve({ collection: "leads", key: id, select: ["leadqualitycode"] });
  assert.equal(plain.leadqualitycode_Formatted, undefined, "only when asked");
  const all = await api.retrieveMultiple({
    collection: "leads", select: ["statecode", "leadqualitycode"], filter: `leadid eq ${id}`,
    includeAnnotations: "*",
  });
  assert.equal(all.value[0].statecode_Formatted, "Open");
  assert.equal(all.value[0].leadqualitycode_Formatted, "Warm");
});

test("33 msdyn_predictivescore upsert by (msdyn_entityid, msdyn_entitytype): create, then update", async () => {
  const leadId = await api.create({ collection: "leads", data: { lastname: "Scored" } });
  const key = `msdyn_entityid='${leadId}',msdyn_entitytype='lead'`;
  await api.upsert({
    collection: "msdyn_predictivescores", key,
    data: { msdyn_score: 40, msdyn_grade: 2, msdyn_scoretrend: 3, msdyn_scorereasons: "first" },
  });
  await api.upsert({
    collection: "msdyn_predictivescores", key,
    data: { msdyn_score: 81, msdyn_grade: 0, msdyn_scoretrend: 0 },
  });
  const found = await api.retrieveMultiple({
    collection: "msdyn_predictivescores",
    select: ["msdyn_score", "msdyn_grade", "msdyn_scoretrend", "msdyn_scorereasons", "msdyn_entityid", "msdyn_entitytype"],
    filter: `msdyn_entityid eq '${leadId}'`,
    includeAnnotations: "OData.Community.Display.V1.FormattedValue",
  });
  assert.equal(found.value.length, 1, "one row, created then updated");
  const row = found.value[0];
  assert.deepEqual([row.msdyn_score, row.msdyn_grade, row.msdyn_scoretrend], [81, 0, 0]);
  assert.equal(row.msdyn_scorereasons, "first", "columns left out of the update keep their value");
  assert.equal(row.msdyn_entitytype, "lead", "key values copied from the URL");
  assert.equal(row.msdyn_grade_Formatted, "Grade A");
  assert.equal(row.msdyn_scoretrend_Formatted, "Improving");
  const byKey = await api.retrieve({ collection: "msdyn_predictivescores", key, select: ["msdyn_score"] });
  assert.equal(byKey.msdyn_score, 81);
  await expectError(api.upsert({
    collection: "msdyn_predictivescores", key, data: { msdyn_grade: 9 },
  }), 400);
});
