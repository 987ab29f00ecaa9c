// The Node.js peer of `leadsync import` for tests/bench/import_bench.cpp: the same work on the same
// file with the usual npm packages. Streams the CSV (csv-parse), checks the e-mails (Email, and
// Email 2 when the list has it), normalizes the phones (Phone, and Mobile when the list has it) to
// E.164 with full validation (libphonenumber-js/max, region from the country column), rejects rows
// without a last name or company or without a valid contact, de-duplicates by the Email column (a
// Map), and inserts the leads into SQLite (better-sqlite3) in transactions of 1,000 rows.
// Prints one JSON line: {"rows":..,"created":..,"duplicates":..,"rejected":..,"seconds":..}.
//
//   node import.js LIST.csv OUT.db

'use strict';

const fs = require('node:fs');
const { randomUUID } = require('node:crypto');
const { parse } = require('csv-parse');
const { parsePhoneNumberFromString } = require('libphonenumber-js/max');
const Database = require('better-sqlite3');

const [listPath, databasePath] = process.argv.slice(2);
if (!listPath || !databasePath) {
  console.error('usage: node import.js LIST.csv OUT.db');
  process.exit(2);
}

const regions = new Map([
  ['usa', 'US'], ['united states', 'US'], ['сша', 'US'], ['الولايات المتحدة', 'US'],
  ['russia', 'RU'], ['россия', 'RU'], ['روسيا', 'RU'],
  ['united arab emirates', 'AE'], ['uae', 'AE'], ['оаэ', 'AE'], ['الإمارات', 'AE'],
  ['saudi arabia', 'SA'], ['السعودية', 'SA'],
  ['united kingdom', 'GB'], ['uk', 'GB'], ['germany', 'DE'], ['deutschland', 'DE'],
  ['france', 'FR'], ['spain', 'ES'], ['españa', 'ES'],
]);
const emailPattern = /^[^\s@"(),:;<>[\]\\]+@([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

const db = new Database(databasePath);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec(`CREATE TABLE IF NOT EXISTS leads (
  id TEXT PRIMARY KEY, first_name TEXT, last_name TEXT, email TEXT, phone TEXT, company TEXT,
  doc TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS leads_by_email ON leads (email);
  CREATE INDEX IF NOT EXISTS leads_by_phone ON leads (phone);`);
const insert = db.prepare(
  'INSERT INTO leads (id, first_name, last_name, email, phone, company, doc) VALUES (?, ?, ?, ?, ?, ?, ?)');
const insertAll = db.transaction((rows) => {
  for (const row of rows) insert.run(row);
});

const byEmail = new Map();
const counts = { rows: 0, created: 0, duplicates: 0, rejected: 0 };
let pending = [];
const started = process.hrtime.bigint();

function clean(value) {
  return (value || '').replace(/\s+/g, ' ').trim();
}

// The e-mail with its domain in lower case when it is valid, else ''.
function checkedEmail(value) {
  let email = clean(value);
  if (!email) return '';
  const at = email.lastIndexOf('@');
  if (at > 0) email = email.slice(0, at) + email.slice(at).toLowerCase();
  return emailPattern.test(email) ? email : '';
}

// The phone in E.164 when it is a valid number, else ''.
function checkedPhone(value, region) {
  const text = clean(value);
  if (!text) return '';
  const phone = parsePhoneNumberFromString(text, region);
  return phone && phone.isValid() ? phone.number : '';
}

function handle(record) {
  counts.rows += 1;
  const first = clean(record['First Name']);
  const last = clean(record['Last Name']);
  const company = clean(record['Company']);
  const validEmail = checkedEmail(record['Email']);
  // The colleagues' list (import_bench --mode company) has a second e-mail and a mobile column.
  const validEmail2 = checkedEmail(record['Email 2']);
  const region = regions.get(clean(record['Country']).toLowerCase()) || 'US';
  const e164 = checkedPhone(record['Phone'], region);
  const mobile = checkedPhone(record['Mobile'], region);
  if ((!last && !company) || (!validEmail && !validEmail2 && !e164 && !mobile)) {
    counts.rejected += 1;
    return;
  }
  const key = validEmail.toLowerCase();
  if (key && byEmail.has(key)) {
    counts.duplicates += 1;
    return;
  }
  const id = randomUUID();
  if (key) byEmail.set(key, id);
  const doc = JSON.stringify({
    person: { first_name: first, last_name: last,
              emails: [validEmail, validEmail2].filter((value) => value),
              phones: [e164 ? { raw: clean(record['Phone']), e164 } : null,
                       mobile ? { raw: clean(record['Mobile']), e164: mobile } : null]
                .filter((value) => value),
              job_title: clean(record['Job Title']) },
    company: { name: company, website: clean(record['Website']), city: clean(record['City']) },
    origin: { channel: 'purchased_list' },
  });
  pending.push([id, first, last, validEmail, e164, company, doc]);
  counts.created += 1;
  if (pending.length >= 1000) {
    insertAll(pending);
    pending = [];
  }
}

fs.createReadStream(listPath)
  .pipe(parse({ columns: true, bom: true, relax_column_count: true, skip_empty_lines: true }))
  .on('data', handle)
  .on('error', (error) => {
    console.error(`error: ${error.message}`);
    process.exit(1);
  })
  .on('end', () => {
    if (pending.length > 0) insertAll(pending);
    db.close();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    console.log(JSON.stringify({ ...counts, seconds }));
  });
