// Conformance: the feeds emulator driven by the official peopledatalabs JS SDK (nobody here wrote
// it). Each scenario asserts what the notes (/work/shared/enrichment-notes.md section 1) say PDL
// answers and what the SDK makes of it.
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const PDLJS = require("peopledatalabs");
const { startEmulator } = require("./emulator");

// The SDK refuses keys that are not 64 characters long (notes 1.2).
const API_KEY = "c".repeat(64);
let emulator;
let client;

async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("expected the SDK to reject, it resolved");
}

before(async () => {
  emulator = await startEmulator(["--api-key-env", "FEEDS_CONFORMANCE_KEY"], { FEEDS_CONFORMANCE_KEY: API_KEY });
  // basePath replaces host and version (notes 1.5).
  client = new PDLJS({ apiKey: API_KEY, basePath: `${emulator.url}/v5` });
  await emulator.admin("POST", "records", {
    people: [
      {
        full_name: "Grace Hopper",
        first_name: "Grace",
        last_name: "Hopper",
        emails: [{ address: "grace.hopper@navy-labs.com" }],
        work_email: "grace.hopper@navy-labs.com",
        mobile_phone: "+12025550143",
        job_title: "Rear Admiral",
        job_title_levels: ["cxo"],
        job_company_name: "Navy Labs",
        job_company_website: "navy-labs.com",
        linkedin_url: "linkedin.com/in/grace-hopper-navy",
        location_country: "united states",
      },
    ],
    companies: [
      {
        name: "Navy Labs",
        website: "navy-labs.com",
        size: "201-500",
        employee_count: 320,
        industry: "computer software",
        inferred_revenue: "$25M-$50M",
        location: { locality: "arlington", country: "united states" },
      },
    ],
  });
});

after(async () => {
  await emulator?.stop();
});

test("person enrich by e-mail resolves with data, likelihood and rate-limit info", async () => {
  const response = await client.person.enrichment({ email: "grace.hopper@navy-labs.com" });
  assert.equal(response.status, 200);
  assert.ok(response.likelihood >= 9 && response.likelihood <= 10, `likelihood ${response.likelihood}`);
  assert.equal(response.data.full_name, "grace hopper"); // lower case unless titlecase (notes 1.3)
  assert.equal(response.data.work_email, "grace.hopper@navy-labs.com");
  assert.equal(response.data.job_company_website, "navy-labs.com");
  assert.equal(response.rateLimit.callCreditsSpent, 1);
  assert.equal(response.rateLimit.callCreditsType, "enrich");
  assert.equal(typeof response.rateLimit.rateLimitRemaining.minute, "number");
});

test("person enrich by profile array and by name + company, titlecased", async () => {
  const byProfile = await client.person.enrichment({ profile: ["https://www.linkedin.com/in/grace-hopper-navy/"] });
  assert.equal(byProfile.data.linkedin_url, "linkedin.com/in/grace-hopper-navy");
  const byName = await client.person.enrichment({
    first_name: "Grace",
    last_name: "Hopper",
    company: "Navy Labs",
    titlecase: true,
  });
  assert.equal(byName.data.full_name, "Grace Hopper");
  assert.ok(byName.likelihood >= 5 && byName.likelihood <= 8, `likelihood ${byName.likelihood}`);
});

test("person enrich of a seeded sample-list person with repeated e-mail keys", async () => {
  const response = await client.person.enrichment({
    email: ["nobody@nowhere.example", "ivan.petrov@romashka.ru"],
  });
  assert.equal(response.data.first_name, "иван");
  assert.equal(response.data.job_company_website, "romashka.ru");
});

test("company enrich answers the company flat, next to status and likelihood", async () => {
  const response = await client.company.enrichment({ website: "https://navy-labs.com" });
  assert.equal(response.status, 200);
  assert.equal(response.website, "navy-labs.com");
  assert.equal(response.employee_count, 320);
  assert.equal(response.industry, "computer software");
  assert.equal(response.data, undefined);
  assert.equal(response.rateLimit.callCreditsType, "enrich_company");
});

test("bulk enrich answers every item in order with its metadata and bills the matches", async () => {
  const before = await emulator.admin("GET", "stats");
  const response = await client.person.bulk.enrichment({
    requests: [
      { params: { email: ["grace.hopper@navy-labs.com"] }, metadata: { row: 1 } },
      { params: { email: ["no.such.person@nowhere.example"] }, metadata: { row: 2 } },
      { params: { phone: "+1 202 555 0143" }, metadata: { row: 3 } },
    ],
  });
  assert.equal(response.items.length, 3);
  assert.deepEqual(response.items.map((item) => item.metadata.row), [1, 2, 3]);
  assert.deepEqual(response.items.map((item) => item.status), [200, 404, 200]);
  assert.equal(response.items[0].data.full_name, "grace hopper");
  assert.equal(response.items[1].error.type, "not_found");
  assert.equal(response.rateLimit.callCreditsSpent, 2);
  const afterStats = await emulator.admin("GET", "stats");
  assert.equal(afterStats.totals.credits_spent - before.totals.credits_spent, 2);
});

test("a miss is a 404 rejection (not a resolved empty answer) and is free", async () => {
  const before = await emulator.admin("GET", "stats");
  const error = await rejection(client.person.enrichment({ email: "nobody.at.all@nowhere.example" }));
  assert.equal(error.status, 404);
  assert.equal(error.message, "No records were found matching your request");
  const afterStats = await emulator.admin("GET", "stats");
  assert.equal(afterStats.totals.credits_spent, before.totals.credits_spent);
});

test("min_likelihood above the match's likelihood turns it into a 404", async () => {
  const error = await rejection(
    client.person.enrichment({ name: "Grace Hopper", company: "Navy Labs", min_likelihood: 9 }),
  );
  assert.equal(error.status, 404);
});

test("a wrong key of the right length is refused with 401", async () => {
  const wrong = new PDLJS({ apiKey: "w".repeat(64), basePath: `${emulator.url}/v5` });
  const error = await rejection(wrong.person.enrichment({ email: "grace.hopper@navy-labs.com" }));
  assert.equal(error.status, 401);
  assert.equal(error.message, "Request contained a missing or invalid key");
});

test("over the per-minute limit the SDK gets 429 with rateLimit info", async () => {
  await emulator.admin("POST", "reset"); // also drops the planted records: use a sample-list person
  await emulator.admin("POST", "config", { rate_per_min: 2 });
  try {
    await client.person.enrichment({ email: "john.smith@acme.com" });
    const second = await client.person.enrichment({ email: "john.smith@acme.com" });
    assert.equal(second.rateLimit.rateLimitRemaining.minute, 0);
    const error = await rejection(client.person.enrichment({ email: "john.smith@acme.com" }));
    assert.equal(error.status, 429);
    assert.equal(error.message, "An error occurred due to requests hitting the API too quick");
    assert.equal(error.rateLimit.rateLimitRemaining.minute, 0);
    assert.equal(error.rateLimit.rateLimitLimit.minute, 2);
    assert.ok(!Number.isNaN(Date.parse(error.rateLimit.rateLimitReset)), error.rateLimit.rateLimitReset);
  } finally {
    await emulator.admin("POST", "config", { rate_per_min: 0 });
  }
});

test("with the credits spent, a match is refused with 402", async () => {
  await emulator.admin("POST", "reset");
  await emulator.admin("POST", "config", { credits: 1 });
  try {
    const first = await client.person.enrichment({ email: "john.smith@acme.com" });
    assert.equal(first.rateLimit.totalLimitRemaining, 0);
    const error = await rejection(client.person.enrichment({ email: "john.smith@acme.com" }));
    assert.equal(error.status, 402);
  } finally {
    await emulator.admin("POST", "config", { credits: 0 });
  }
});
