#!/usr/bin/env node
// Benchmark data for server.mjs (used by bench.sh). Deterministic: the same
// arguments always give byte-identical bundles (no randomness, no clock).
//
//   node bench-data.mjs gen DIR [--patients N] [--obs N] [--mas N]
//       writes DIR/bundle-NNNN.json: one transaction Bundle per patient with
//       PUT Patient/bench-NNNN, N Observations (monitored and unmonitored LOINC
//       codes in turn, one a day) and N MedicationAdministrations (alemtuzumab).
//   node bench-data.mjs load BASE DIR [--from I] [--to J]
//       POSTs DIR/bundle-*.json (files I..J-1 in name order) to BASE over one
//       keep-alive connection, one at a time; any non-200 answer or failed
//       entry exits 1. Prints the elapsed seconds on stdout.
//   node bench-data.mjs codes
//       prints the comma-separated, URL-encoded code list alemwatch uses for
//       Observation searches (every analyte LOINC code of analytes.json).

import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const LOINC = 'http://loinc.org';

// Codes alemwatch monitors (first LOINC code of some analytes), plus codes it
// does not ask for, so that code= filters really filter.
const MONITORED = [
  ['777-3', 'Platelets [#/volume] in Blood by Automated count', '10*3/uL', 150, 450],
  ['718-7', 'Hemoglobin [Mass/volume] in Blood', 'g/dL', 12, 16],
  ['6690-2', 'Leukocytes [#/volume] in Blood by Automated count', '10*3/uL', 3.5, 10.5],
  ['751-8', 'Neutrophils [#/volume] in Blood by Automated count', '10*3/uL', 1.5, 8],
  ['731-0', 'Lymphocytes [#/volume] in Blood by Automated count', '10*3/uL', 1, 4.8],
  ['2160-0', 'Creatinine [Mass/volume] in Serum or Plasma', 'mg/dL', 0.4, 1.2],
  ['3016-3', 'Thyrotropin [Units/volume] in Serum or Plasma', 'm[IU]/L', 0.4, 4],
  ['5804-0', 'Protein [Mass/volume] in Urine by Test strip', 'mg/dL', 0, 30],
];
const OTHER = [
  ['2345-7', 'Glucose [Mass/volume] in Serum or Plasma', 'mg/dL', 70, 110],
  ['2951-2', 'Sodium [Moles/volume] in Serum or Plasma', 'mmol/L', 135, 145],
  ['2823-3', 'Potassium [Moles/volume] in Serum or Plasma', 'mmol/L', 3.5, 5.1],
  ['1742-6', 'Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma', 'U/L', 7, 56],
];
const CODES = [...MONITORED, ...OTHER];

const pad = (n, w = 4) => String(n).padStart(w, '0');

// Deterministic UUID-shaped fullUrls.
let uuidSeq = 0;
function uuid() {
  const h = (++uuidSeq).toString(16).padStart(12, '0');
  return `urn:uuid:00000000-0000-4000-8000-${h}`;
}

const DAY = 86400000;
const T0 = Date.UTC(2015, 0, 1, 8, 30);

function bundleFor(p, nObs, nMas) {
  const pid = `bench-${pad(p)}`;
  const subject = { reference: `Patient/${pid}` };
  const entry = [];
  const put = (resource) =>
    entry.push({ fullUrl: uuid(), resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } });
  put({
    resourceType: 'Patient',
    id: pid,
    identifier: [{ system: 'urn:alemwatch:bench:mrn', value: `MRN${pad(p, 6)}` }],
    name: [{ use: 'official', family: `Bench${pad(p)}`, given: ['Pat'] }],
    gender: p % 2 ? 'female' : 'male',
    birthDate: `19${50 + (p % 50)}-0${1 + (p % 9)}-1${p % 10}`,
  });
  const start = T0 + (p % 365) * DAY;
  for (let k = 0; k < nMas; k++) {
    put({
      resourceType: 'MedicationAdministration',
      id: `${pid}-ma-${k + 1}`,
      status: 'completed',
      medicationCodeableConcept: {
        coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '1594659', display: 'Lemtrada' }],
        text: 'Lemtrada 12 mg/1.2 mL',
      },
      subject,
      effectiveDateTime: new Date(start + (k < 5 ? k : 365 + k - 5) * DAY).toISOString().replace('.000Z', 'Z'),
      dosage: { dose: { value: 12, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' } },
    });
  }
  for (let i = 0; i < nObs; i++) {
    const [code, display, unit, lo, hi] = CODES[i % CODES.length];
    const value = Math.round((lo + ((p * 7 + i * 13) % 100) / 100 * (hi - lo)) * 10) / 10;
    put({
      resourceType: 'Observation',
      id: `${pid}-obs-${i + 1}`,
      status: 'final',
      category: [
        {
          coding: [
            { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory', display: 'Laboratory' },
          ],
        },
      ],
      code: { coding: [{ system: LOINC, code, display }], text: display.split(' [')[0] },
      subject,
      effectiveDateTime: new Date(start + Math.floor(i / 4) * 7 * DAY).toISOString().replace('.000Z', 'Z'),
      valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
    });
  }
  return { resourceType: 'Bundle', type: 'transaction', entry };
}

function argValue(args, name, def) {
  const i = args.indexOf(name);
  if (i < 0) return def;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 0) {
    process.stderr.write(`bench-data.mjs: ${name} needs a non-negative integer\n`);
    process.exit(2);
  }
  return v;
}

function gen(dir, args) {
  const patients = argValue(args, '--patients', 1000);
  const nObs = argValue(args, '--obs', 200);
  const nMas = argValue(args, '--mas', 8);
  mkdirSync(dir, { recursive: true });
  let entries = 0;
  for (let p = 1; p <= patients; p++) {
    const b = bundleFor(p, nObs, nMas);
    entries += b.entry.length;
    writeFileSync(join(dir, `bundle-${pad(p)}.json`), JSON.stringify(b));
  }
  process.stdout.write(`${patients} bundles, ${entries} entries\n`);
}

function post(agent, url, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { 'Content-Type': 'application/fhir+json', 'Content-Length': body.length } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      }
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function load(base, dir, args) {
  const files = readdirSync(dir)
    .filter((f) => /^bundle-\d+\.json$/.test(f))
    .sort();
  const from = argValue(args, '--from', 0);
  const to = argValue(args, '--to', files.length);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const t0 = process.hrtime.bigint();
  for (const f of files.slice(from, to)) {
    const body = readFileSync(join(dir, f));
    const res = await post(agent, base, body);
    let bad = res.status !== 200;
    if (!bad) {
      const out = JSON.parse(res.body);
      bad = out.entry.some((e) => !/^20[01]/.test(e.response.status));
    }
    if (bad) {
      process.stderr.write(`bench-data.mjs: ${f}: HTTP ${res.status} ${res.body.slice(0, 500)}\n`);
      process.exit(1);
    }
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  agent.destroy();
  process.stdout.write(`${secs.toFixed(3)}\n`);
}

function codes() {
  const { analytes } = JSON.parse(readFileSync(join(here, '../../../mappings/data/analytes.json'), 'utf8'));
  const list = analytes.flatMap((a) => a.loinc.map((c) => encodeURIComponent(`${LOINC}|${c}`)));
  process.stdout.write(list.join(',') + '\n');
}

const [cmd, ...rest] = process.argv.slice(2);
if (cmd === 'gen' && rest[0]) gen(rest[0], rest.slice(1));
else if (cmd === 'load' && rest[0] && rest[1]) await load(rest[0], rest[1], rest.slice(2));
else if (cmd === 'codes') codes();
else {
  process.stderr.write('usage: node bench-data.mjs gen DIR [--patients N] [--obs N] [--mas N] | load BASE DIR [--from I] [--to J] | codes\n');
  process.exit(2);
}
