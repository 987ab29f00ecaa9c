// The Node.js peer of `leadsync push` for tests/bench/push_bench.cpp: the same leads (the Dataverse
// bodies leadsync would send, one JSON object per line) created with dynamics-web-api the way its
// documentation shows a batch operation: startBatch(), one create() per lead, executeBatch(), in
// sequential $batch requests of 1,000 creates. The token is the emulator's static token, handed
// over through onTokenRefresh as the conformance scenarios do.
// Prints one JSON line: {"created":..,"batches":..,"seconds":..}.
//
//   node push.js CRM_URL TOKEN RECORDS.jsonl

"use strict";

const fs = require("node:fs");
const { DynamicsWebApi } = require("dynamics-web-api");

const BATCH_SIZE = 1000; // the most requests one $batch may hold

const [serverUrl, token, recordsPath] = process.argv.slice(2);
if (!serverUrl || !token || !recordsPath) {
  console.error("usage: node push.js CRM_URL TOKEN RECORDS.jsonl");
  process.exit(2);
}

const records = fs
  .readFileSync(recordsPath, "utf8")
  .split("\n")
  .filter((line) => line.trim() !== "")
  .map((line) => JSON.parse(line));

const api = new DynamicsWebApi({
  serverUrl,
  dataApi: { version: "9.2" },
  onTokenRefresh: async () => token,
});

async function main() {
  const started = process.hrtime.bigint();
  let created = 0;
  let batches = 0;
  for (let first = 0; first < records.length; first += BATCH_SIZE) {
    api.startBatch();
    for (const data of records.slice(first, first + BATCH_SIZE)) {
      api.create({ collection: "leads", data });
    }
    const ids = await api.executeBatch();
    created += ids.length;
    batches += 1;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(JSON.stringify({ created, batches, seconds }));
}

main().catch((error) => {
  // A failed $batch rejects with an array of errors, one per failed part.
  const first = Array.isArray(error) ? error[0] : error;
  console.error(`error: ${first && first.message ? first.message : String(first)}`);
  process.exit(1);
});
