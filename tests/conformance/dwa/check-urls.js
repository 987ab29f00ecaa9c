// Validates, with the third-party @odata/parser, every Web API URL leadsync's Dataverse client produced
// in its tests (one per line in the file given as argument). Prints a count and exits 1 on any failure.
"use strict";
const fs = require("node:fs");
const { parseLink } = require("./links");

const file = process.argv[2];
const urls = [...new Set(fs.readFileSync(file, "utf8").split("\n").filter((line) => line.trim() !== ""))];
let failures = 0;
for (const url of urls) {
  try {
    parseLink(url);
  } catch (error) {
    failures++;
    console.error(`@odata/parser rejected ${url}: ${error.message}`);
  }
}
console.log(`${urls.length - failures} passed, ${failures} failed`);
if (urls.length === 0) {
  console.error("no URLs were collected: the client tests did not run");
  process.exit(1);
}
process.exit(failures === 0 ? 0 : 1);
