// Conformance: the feeds emulator driven by the official clearbit Node client (nobody here wrote
// it), with only its host redirected: the client has no base-URL option, so the test overrides
// client.endpoint on the instance (enrichment-notes 2.1). Error types are what the client maps to
// QueuedError and NotFoundError (notes 2.2).
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const Clearbit = require("clearbit");
const { startEmulator } = require("./emulator");

const API_KEY = "sk_conformance_key";
let emulator;
let clearbit;

async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("expected the client to reject, it resolved");
}

function client(key) {
  const instance = new Clearbit.Client({ key });
  // The original builds https://{api}.clearbit.com/v{version}; keep the version, change the host.
  instance.endpoint = (options) => `${emulator.url}/v${options.version || "1"}`;
  return instance;
}

before(async () => {
  emulator = await startEmulator(["--api-key-env", "FEEDS_CONFORMANCE_KEY", "--queued-ready-s", "1"], {
    FEEDS_CONFORMANCE_KEY: API_KEY,
  });
  clearbit = client(API_KEY);
  await emulator.admin("POST", "records", {
    people: [
      {
        full_name: "Ada Lovelace",
        first_name: "Ada",
        last_name: "Lovelace",
        work_email: "ada@analytical-engines.co.uk",
        job_title: "Head of Research",
        job_title_levels: ["director"],
        job_company_name: "Analytical Engines",
        job_company_website: "analytical-engines.co.uk",
        linkedin_url: "linkedin.com/in/ada-lovelace",
        twitter_url: "twitter.com/ada_l",
        github_url: "github.com/ada-lovelace",
        location_name: "london, united kingdom",
        location_country: "united kingdom",
        bio: "First programmer.",
      },
    ],
    companies: [
      {
        name: "Analytical Engines",
        website: "analytical-engines.co.uk",
        employee_count: 120,
        industry: "computer software",
        inferred_revenue: "$10M-$25M",
        location: { locality: "london", country: "united kingdom" },
      },
    ],
  });
});

after(async () => {
  await emulator?.stop();
});

test("Enrichment.find answers person and company in Clearbit's camelCase shapes", async () => {
  const result = await clearbit.Enrichment.find({ email: "ada@analytical-engines.co.uk" });
  assert.equal(result.person.name.fullName, "Ada Lovelace");
  assert.equal(result.person.name.givenName, "Ada");
  assert.equal(result.person.employment.domain, "analytical-engines.co.uk");
  assert.equal(result.person.employment.seniority, "director");
  assert.equal(result.person.linkedin.handle, "in/ada-lovelace");
  assert.equal(result.person.twitter.handle, "ada_l");
  assert.equal(result.person.github.handle, "ada-lovelace");
  assert.equal(result.person.geo.countryCode, "GB");
  assert.equal(result.company.domain, "analytical-engines.co.uk");
  assert.equal(result.company.metrics.employees, 120);
  assert.equal(result.company.metrics.employeesRange, "51-250");
  assert.equal(result.company.metrics.estimatedAnnualRevenue, "$10M-$50M");
  assert.equal(result.company.category.industry, "Internet Software & Services");
});

test("Person.find and Company.find hit their own routes", async () => {
  const person = await clearbit.Person.find({ email: "ada@analytical-engines.co.uk" });
  assert.equal(person.email, "ada@analytical-engines.co.uk");
  const company = await clearbit.Company.find({ domain: "analytical-engines.co.uk" });
  assert.equal(company.name, "Analytical Engines");
  assert.equal(company.geo.city, "London");
});

test("an unknown person is a NotFoundError", async () => {
  const error = await rejection(clearbit.Person.find({ email: "nobody@nowhere-at-all.example" }));
  assert.ok(error instanceof clearbit.Person.NotFoundError, `got ${error.name}: ${error.message}`);
});

test("a queued first lookup is a QueuedError (free), then answers once ready (billed)", async () => {
  await emulator.admin("POST", "config", { queued_share: 1 });
  try {
    const before = await emulator.admin("GET", "stats");
    const queued = await rejection(clearbit.Company.find({ domain: "acme.com" }));
    assert.ok(queued instanceof clearbit.Company.QueuedError, `got ${queued.name}: ${queued.message}`);
    const afterQueued = await emulator.admin("GET", "stats");
    assert.equal(afterQueued.totals.credits_spent, before.totals.credits_spent);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // --queued-ready-s 1
    const ready = await clearbit.Company.find({ domain: "acme.com" });
    assert.equal(ready.domain, "acme.com");
    const afterReady = await emulator.admin("GET", "stats");
    assert.equal(afterReady.totals.credits_spent, before.totals.credits_spent + 1);
  } finally {
    await emulator.admin("POST", "config", { queued_share: 0 });
  }
});

test("a wrong key is a 401 ClearbitError", async () => {
  try {
    const error = await rejection(client("sk_wrong").Person.find({ email: "ada@analytical-engines.co.uk" }));
    assert.equal(error.statusCode, 401);
    assert.equal(error.type, "invalid_api_key");
  } finally {
    // The client binds its resource classes (Person, Company, ...) module-wide to the newest
    // Client instance, so the good client must be made again.
    clearbit = client(API_KEY);
  }
});

test("an address that is not one is a 422 invalid_email", async () => {
  const error = await rejection(clearbit.Person.find({ email: "not-an-email" }));
  assert.equal(error.statusCode, 422);
  assert.equal(error.type, "invalid_email");
});
