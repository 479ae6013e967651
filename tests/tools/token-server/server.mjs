#!/usr/bin/env node
// SMART Backend Services authorization server + bearer-protected FHIR proxy for alemwatch
// end-to-end tests.
//
// Client assertions (private_key_jwt) are verified by the independent `jose` package
// (createLocalJWKSet + jwtVerify), never by alemwatch code. Everything is in memory.
// See README.md for the endpoints, the checks, the options and the /$stats document.
//
// Usage: node server.mjs [--port N] [--client ID=JWKS_FILE]... [--secret ID=SECRET_FILE]...
//                        [--scopes "system/Observation.read ..."] [--token-lifetime S]
//                        [--fhir-upstream URL] [--fail-once-with-401-after N] [options]
// Once listening it prints exactly one line to stdout:
//   listening http://127.0.0.1:PORT
// and runs until SIGTERM/SIGINT (exit 0). Diagnostics go to stderr.

import http from 'node:http';
import { readFileSync } from 'node:fs';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const ALGORITHMS = ['RS384', 'ES384'];
const MAX_ASSERTION_LIFETIME_S = 300; // SMART: exp no more than five minutes in the future
const MAX_BODY_BYTES = 64 * 1024 * 1024;
const MAX_LOG_ENTRIES = 1000;
const REALM = 'alemwatch-token-server';
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'content-length', 'host',
]);

// ------------------------------------------------------------------ options
const USAGE = `usage: node server.mjs [--port N] [options]
  --port N                      TCP port (default 0 = pick a free one); binds 127.0.0.1 only
  --client ID=JWKS_FILE         register a private_key_jwt client with its public JWK Set
                                ({"keys":[...]}, as written by 'alemwatch keys generate');
                                repeatable; the file is re-read on every token request
  --secret ID=SECRET_FILE       register a client_secret_basic client (file holds the secret;
                                one trailing newline is ignored); repeatable
  --scopes "S1 S2 ..."          scopes a client may be granted (v1 .read/.write/.* and v2
                                .cruds forms; repeatable, adds). Default: any scope
  --token-lifetime S            access token lifetime in seconds (default 300)
  --clock-tolerance S           leeway for exp/nbf/iat checks of assertions (default 5)
  --fhir-upstream URL           protect this FHIR base: /fhir/... is forwarded to it only with
                                a valid bearer token (loopback http:// URLs only)
  --public-metadata             let GET /fhir/metadata through without a token
  --fail-once-with-401-after N  after N proxied requests, answer the next one with 401 once
                                although its token is valid
  --token-delay-ms N            hold every token response N ms (makes concurrent refreshes
                                visible in max_concurrent_token_requests)
  --log                         one line per request on stderr
  -h, --help                    this text`;

function usageError(msg) {
  process.stderr.write(`server.mjs: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

function fatal(msg) {
  process.stderr.write(`server.mjs: ${msg}\n`);
  process.exit(1);
}

function nonNegInt(name, v) {
  if (v === undefined || !/^\d+$/.test(v)) usageError(`${name} needs a non-negative integer, got ${JSON.stringify(v)}`);
  return Number(v);
}

function parseArgs(argv) {
  const o = {
    port: 0,
    host: '127.0.0.1',
    clients: new Map(), // id -> { jwksFile?, secretFile? }
    scopes: null, // null = any scope
    tokenLifetime: 300,
    clockTolerance: 5,
    upstream: null,
    publicMetadata: false,
    failOnceAfter: null,
    tokenDelayMs: 0,
    log: false,
  };
  const client = (id) => {
    if (!o.clients.has(id)) o.clients.set(id, {});
    return o.clients.get(id);
  };
  const idEqFile = (name, v) => {
    const i = v === undefined ? -1 : v.indexOf('=');
    if (i <= 0 || i === v.length - 1) usageError(`${name} needs ID=FILE, got ${JSON.stringify(v)}`);
    return [v.slice(0, i), v.slice(i + 1)];
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    switch (a) {
      case '--port': {
        const p = nonNegInt(a, next());
        if (p > 65535) usageError(`--port out of range: ${p}`);
        o.port = p;
        break;
      }
      case '--host': {
        const h = next();
        if (h !== '127.0.0.1' && h !== 'localhost') usageError(`--host: only 127.0.0.1 is allowed (loopback only), got ${JSON.stringify(h)}`);
        break;
      }
      case '--client': {
        const [id, file] = idEqFile(a, next());
        if (client(id).jwksFile) usageError(`--client ${id} given twice`);
        client(id).jwksFile = file;
        break;
      }
      case '--secret': {
        const [id, file] = idEqFile(a, next());
        if (client(id).secretFile) usageError(`--secret ${id} given twice`);
        client(id).secretFile = file;
        break;
      }
      case '--scopes': {
        const v = next();
        if (v === undefined) usageError('--scopes needs a value');
        const list = v.split(/\s+/).filter(Boolean);
        if (!list.length) usageError('--scopes needs at least one scope');
        o.scopes = [...new Set([...(o.scopes || []), ...list])];
        break;
      }
      case '--token-lifetime':
        o.tokenLifetime = nonNegInt(a, next());
        if (o.tokenLifetime < 1) usageError('--token-lifetime must be at least 1');
        break;
      case '--clock-tolerance':
        o.clockTolerance = nonNegInt(a, next());
        break;
      case '--fhir-upstream': {
        const v = next();
        let u;
        try {
          u = new URL(v);
        } catch {
          usageError(`--fhir-upstream: not a URL: ${JSON.stringify(v)}`);
        }
        if (u.protocol !== 'http:') usageError('--fhir-upstream must be an http:// URL');
        if (!isLoopbackHost(u.hostname)) usageError(`--fhir-upstream must be on this machine (127.0.0.0/8, localhost, [::1]), got ${u.hostname}`);
        if (u.search || u.hash) usageError('--fhir-upstream must not have a query or fragment');
        o.upstream = u;
        break;
      }
      case '--public-metadata':
        o.publicMetadata = true;
        break;
      case '--fail-once-with-401-after':
        o.failOnceAfter = nonNegInt(a, next());
        break;
      case '--token-delay-ms':
        o.tokenDelayMs = nonNegInt(a, next());
        break;
      case '--log':
        o.log = true;
        break;
      case '-h':
      case '--help':
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
        break;
      default:
        usageError(`unknown argument ${JSON.stringify(a)}`);
    }
  }
  if (o.scopes) {
    for (const s of o.scopes) {
      if (/^(patient|user|system)\//.test(s) && !parseSmartScope(s)) usageError(`--scopes: malformed SMART scope ${JSON.stringify(s)}`);
    }
  }
  return o;
}

function isLoopbackHost(h) {
  return h === 'localhost' || h === '[::1]' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

// ------------------------------------------------------------------ client registrations
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

// Reads and checks a JWK Set file. Throws Error with a readable message.
function readJwks(file) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read JWKS file ${file}: ${e.code || e.message}`);
  }
  let jwks;
  try {
    jwks = JSON.parse(text);
  } catch (e) {
    throw new Error(`JWKS file ${file} is not JSON: ${e.message}`);
  }
  if (!jwks || typeof jwks !== 'object' || !Array.isArray(jwks.keys) || jwks.keys.length === 0) {
    throw new Error(`JWKS file ${file} must be an object {"keys": [...]} with at least one key`);
  }
  jwks.keys.forEach((k, i) => {
    if (!k || typeof k !== 'object') throw new Error(`JWKS file ${file}: keys[${i}] is not an object`);
    if (typeof k.kty !== 'string') throw new Error(`JWKS file ${file}: keys[${i}] has no kty`);
    if (typeof k.kid !== 'string' || !k.kid) throw new Error(`JWKS file ${file}: keys[${i}] has no kid (SMART requires one)`);
    const priv = PRIVATE_JWK_MEMBERS.filter((m) => m in k);
    if (priv.length) throw new Error(`JWKS file ${file}: keys[${i}] (kid ${k.kid}) holds private key material (${priv.join(', ')}); register the public JWK Set only`);
  });
  return jwks;
}

function inferAlg(jwk) {
  if (jwk.alg) return jwk.alg;
  if (jwk.kty === 'RSA') return 'RS384';
  if (jwk.kty === 'EC' && jwk.crv === 'P-384') return 'ES384';
  return null;
}

async function checkRegistrations(opts) {
  for (const [id, c] of opts.clients) {
    if (c.jwksFile) {
      let jwks;
      try {
        jwks = readJwks(c.jwksFile);
        createLocalJWKSet(jwks);
      } catch (e) {
        fatal(`--client ${id}: ${e.message}`);
      }
      const kids = new Set();
      for (const k of jwks.keys) {
        if (kids.has(k.kid)) process.stderr.write(`server.mjs: warning: --client ${id}: kid ${k.kid} appears more than once; assertions naming it will be refused\n`);
        kids.add(k.kid);
        const alg = inferAlg(k);
        if (!ALGORITHMS.includes(alg)) {
          process.stderr.write(`server.mjs: warning: --client ${id}: key ${k.kid} (kty ${k.kty}${k.crv ? ` ${k.crv}` : ''}${k.alg ? ` alg ${k.alg}` : ''}) cannot sign RS384/ES384 assertions\n`);
          continue;
        }
        try {
          await importJWK(k, alg);
        } catch (e) {
          fatal(`--client ${id}: key ${k.kid} is not a usable ${alg} public key: ${e.message}`);
        }
      }
    }
    if (c.secretFile) {
      try {
        readSecret(c.secretFile);
      } catch (e) {
        fatal(`--secret ${id}: ${e.message}`);
      }
    }
  }
}

function readSecret(file) {
  let s;
  try {
    s = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read secret file ${file}: ${e.code || e.message}`);
  }
  s = s.replace(/\r?\n$/, '');
  if (!s) throw new Error(`secret file ${file} is empty`);
  return s;
}

// ------------------------------------------------------------------ scopes
// SMART scope: (patient|user|system)/(Type|*).(read|write|*|cruds-subset)[?query]
function parseSmartScope(s) {
  const m = /^(patient|user|system)\/([A-Za-z][A-Za-z0-9]*|\*)\.([a-z*]+)(\?.+)?$/.exec(s);
  if (!m) return null;
  const p = m[3];
  let perms;
  if (p === 'read') perms = 'rs';
  else if (p === 'write') perms = 'cud';
  else if (p === '*') perms = 'cruds';
  else if (/^c?r?u?d?s?$/.test(p)) perms = p;
  else return null;
  return { context: m[1], type: m[2], perms: new Set(perms), query: m[4] || '' };
}

// Does the allowed scope `a` cover the requested scope `r`? v1 and v2 forms are compared by
// the permissions they stand for (read = rs, write = cud, * = cruds).
function scopeCovers(a, r) {
  if (a === r) return true;
  const pa = parseSmartScope(a);
  const pr = parseSmartScope(r);
  if (!pa || !pr) return false;
  return (
    pa.context === pr.context &&
    (pa.type === '*' || pa.type === pr.type) &&
    [...pr.perms].every((p) => pa.perms.has(p)) &&
    (pa.query === '' || pa.query === pr.query)
  );
}

// ------------------------------------------------------------------ state
const opts = parseArgs(process.argv.slice(2));
let origin = ''; // http://127.0.0.1:PORT, set once listening
let tokenUrl = '';
let proxyBase = '';

const tokens = new Map(); // access token -> { client_id, scope, expiresAt }
const seenJti = new Map(); // `${iss}\0${jti}` -> ms after which the entry may be forgotten
let inflightTokenRequests = 0;

const stats = {
  token_requests: 0,
  tokens_issued: 0,
  rejected: [],
  issued: [],
  proxied: 0,
  proxy_unauthorized: 0,
  max_concurrent_token_requests: 0,
  fail_once: opts.failOnceAfter === null
    ? null
    : { after: opts.failOnceAfter, fired: false, fired_at: null, token_requests_after: 0, tokens_issued_after: 0, proxied_after: 0 },
};

function pushCapped(list, item) {
  list.push(item);
  if (list.length > MAX_LOG_ENTRIES) list.shift();
}

function log(line) {
  if (opts.log) process.stderr.write(`${new Date().toISOString()} ${line}\n`);
}

// ------------------------------------------------------------------ HTTP helpers
function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    Pragma: 'no-cache',
    ...headers,
  });
  res.end(text);
}

function operationOutcome(code, text) {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, details: { text } }] };
}

function sendOutcome(res, status, code, text, headers = {}) {
  const body = JSON.stringify(operationOutcome(code, text), null, 2);
  res.writeHead(status, {
    'Content-Type': 'application/fhir+json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(Object.assign(new Error('request body too large'), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------ SMART configuration
function smartConfiguration() {
  return {
    token_endpoint: tokenUrl,
    token_endpoint_auth_methods_supported: ['private_key_jwt', 'client_secret_basic'],
    token_endpoint_auth_signing_alg_values_supported: [...ALGORITHMS],
    grant_types_supported: ['client_credentials'],
    scopes_supported: opts.scopes ? [...opts.scopes] : ['system/*.cruds', 'system/*.*'],
    capabilities: ['client-confidential-asymmetric', 'client-confidential-symmetric', 'permission-v1', 'permission-v2'],
  };
}

// ------------------------------------------------------------------ token endpoint
class OAuthError extends Error {
  constructor(status, error, description, headers = {}) {
    super(description);
    this.status = status;
    this.error = error;
    this.headers = headers;
  }
}
const invalidClient = (d, headers) => new OAuthError(401, 'invalid_client', d, headers);
const BASIC_CHALLENGE = { 'WWW-Authenticate': `Basic realm="${REALM}"` };

function formDecode(s) {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

// client_secret_basic (RFC 6749 2.3.1): Basic base64(urlencode(id) ":" urlencode(secret)).
function authenticateBasic(header, formClientId, ctx) {
  const m = /^Basic[ ]+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!m) throw invalidClient('malformed Basic credentials', BASIC_CHALLENGE);
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) throw invalidClient('malformed Basic credentials (no ":" between client id and secret)', BASIC_CHALLENGE);
  const rawId = decoded.slice(0, i);
  let id = formDecode(rawId);
  if (!opts.clients.has(id) && opts.clients.has(rawId)) id = rawId;
  const secret = formDecode(decoded.slice(i + 1));
  ctx.clientId = id;
  if (formClientId !== undefined && formClientId !== id) {
    throw invalidClient(`client_id ${formClientId} does not match the Basic credentials' client ${id}`, BASIC_CHALLENGE);
  }
  const c = opts.clients.get(id);
  if (!c) throw invalidClient(`unknown client ${id}`, BASIC_CHALLENGE);
  if (!c.secretFile) throw invalidClient(`client ${id} is not registered for client_secret_basic`, BASIC_CHALLENGE);
  let expected;
  try {
    expected = readSecret(c.secretFile);
  } catch (e) {
    throw invalidClient(`client ${id}: ${e.message}`, BASIC_CHALLENGE);
  }
  // RFC 6749 wants id and secret form-urlencoded inside Basic; clients that send them raw are
  // accepted too (a raw secret containing '+' or '%' would otherwise be mangled).
  const h = (s) => createHash('sha256').update(s, 'utf8').digest();
  const rawSecret = decoded.slice(i + 1);
  if (!timingSafeEqual(h(secret), h(expected)) && !timingSafeEqual(h(rawSecret), h(expected))) {
    throw invalidClient('client secret does not match', BASIC_CHALLENGE);
  }
  return id;
}

function describeJoseError(e, clientId, header) {
  switch (e && e.code) {
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'signature verification failed';
    case 'ERR_JWT_EXPIRED':
      return `assertion expired (exp ${e.payload && e.payload.exp} is in the past)`;
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return `no key in client ${clientId}'s JWKS matches kid "${header.kid}" and alg ${header.alg}`;
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return `more than one key in client ${clientId}'s JWKS matches kid "${header.kid}"`;
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return `alg ${header.alg} not allowed (use RS384 or ES384)`;
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (e.reason === 'missing') return `${e.claim} claim missing`;
      switch (e.claim) {
        case 'aud':
          return `aud must be ${tokenUrl}`;
        case 'iss':
        case 'sub':
          return `${e.claim} must be the client_id ${clientId}`;
        case 'typ':
          return 'typ header must be JWT';
        case 'nbf':
          return 'assertion not yet valid (nbf is in the future)';
        default:
          return `${e.claim} claim invalid: ${e.message}`;
      }
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return `malformed assertion: ${e.message}`;
    default:
      return `assertion verification failed: ${e && e.message}`;
  }
}

// private_key_jwt (SMART client-confidential-asymmetric). Returns the client id.
async function authenticateAssertion(assertion, formClientId, ctx) {
  let header;
  let claims;
  try {
    header = decodeProtectedHeader(assertion);
    claims = decodeJwt(assertion);
  } catch (e) {
    throw invalidClient(`client_assertion is not a signed JWT: ${e.message}`);
  }
  const iss = claims.iss;
  if (typeof iss !== 'string' || !iss) throw invalidClient('iss claim missing');
  ctx.clientId = iss;
  if (formClientId !== undefined && formClientId !== iss) {
    throw invalidClient(`client_id ${formClientId} does not match the assertion's iss ${iss}`);
  }
  if (claims.sub !== iss) throw invalidClient(`sub must equal iss (the client_id ${iss})`);
  const c = opts.clients.get(iss);
  if (!c) throw invalidClient(`unknown client ${iss}`);
  if (!c.jwksFile) throw invalidClient(`client ${iss} is not registered for private_key_jwt`);
  if (!ALGORITHMS.includes(header.alg)) throw invalidClient(`alg ${header.alg} not allowed (use RS384 or ES384)`);
  if (typeof header.kid !== 'string' || !header.kid) throw invalidClient('kid header missing');

  let keySet;
  try {
    keySet = createLocalJWKSet(readJwks(c.jwksFile));
  } catch (e) {
    throw invalidClient(`client ${iss}: ${e.message}`);
  }
  const tol = opts.clockTolerance;
  let payload;
  try {
    ({ payload } = await jwtVerify(assertion, keySet, {
      algorithms: ALGORITHMS,
      issuer: iss,
      subject: iss,
      audience: tokenUrl,
      typ: 'JWT',
      clockTolerance: tol,
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'jti'],
    }));
  } catch (e) {
    throw invalidClient(describeJoseError(e, iss, header));
  }

  // Checks jose does not make (or makes more leniently).
  if (payload.aud !== tokenUrl) throw invalidClient(`aud must be ${tokenUrl}`); // a single string, exactly
  const now = Math.floor(Date.now() / 1000);
  if (payload.exp - now > MAX_ASSERTION_LIFETIME_S + tol) {
    throw invalidClient(`exp is more than ${MAX_ASSERTION_LIFETIME_S} s in the future (${payload.exp - now} s)`);
  }
  if (payload.iat !== undefined) {
    if (typeof payload.iat !== 'number') throw invalidClient('iat claim must be a number');
    if (payload.iat > now + tol) throw invalidClient('iat is in the future');
    if (payload.exp - payload.iat > MAX_ASSERTION_LIFETIME_S) {
      throw invalidClient(`exp is more than ${MAX_ASSERTION_LIFETIME_S} s after iat (${payload.exp - payload.iat} s)`);
    }
  }
  if (typeof payload.jti !== 'string' || !payload.jti) throw invalidClient('jti must be a non-empty string');
  const key = `${iss}\0${payload.jti}`;
  const nowMs = Date.now();
  for (const [k, until] of seenJti) if (until < nowMs) seenJti.delete(k);
  if (seenJti.has(key)) throw invalidClient('jti already used');
  // Remembered until the assertion could no longer pass the exp check anyway.
  seenJti.set(key, (payload.exp + tol + 1) * 1000);
  return iss;
}

function grantScopes(requested) {
  const list = [...new Set((requested || '').split(' ').filter(Boolean))];
  if (!list.length) throw new OAuthError(400, 'invalid_scope', 'scope is required (e.g. system/Observation.rs)');
  if (opts.scopes) {
    const refused = list.filter((r) => !opts.scopes.some((a) => scopeCovers(a, r)));
    if (refused.length) {
      throw new OAuthError(400, 'invalid_scope', `scope not allowed: ${refused.join(' ')} (allowed: ${opts.scopes.join(' ')})`);
    }
  }
  return list.join(' ');
}

async function tokenRequest(req, res, body, ctx) {
  const ctype = (req.headers['content-type'] || '').toLowerCase();
  if (!ctype.startsWith('application/x-www-form-urlencoded')) {
    throw new OAuthError(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
  }
  const params = new URLSearchParams(body.toString('utf8'));
  const form = {};
  for (const [k, v] of params) {
    if (k in form) throw new OAuthError(400, 'invalid_request', `parameter ${k} given more than once`);
    form[k] = v;
  }
  if (form.client_id) ctx.clientId = form.client_id;
  if (form.grant_type === undefined) throw new OAuthError(400, 'invalid_request', 'grant_type is required');
  if (form.grant_type !== 'client_credentials') {
    throw new OAuthError(400, 'unsupported_grant_type', `grant_type must be client_credentials, got ${form.grant_type}`);
  }
  const auth = req.headers.authorization;
  const hasAssertion = form.client_assertion !== undefined || form.client_assertion_type !== undefined;
  if (auth && hasAssertion) {
    throw new OAuthError(400, 'invalid_request', 'more than one client authentication method (Authorization header and client_assertion)');
  }
  if (form.client_secret !== undefined) {
    throw invalidClient('client_secret_post is not supported; use client_secret_basic or private_key_jwt');
  }
  let clientId;
  let method;
  if (hasAssertion) {
    if (form.client_assertion_type !== ASSERTION_TYPE) {
      throw invalidClient(`client_assertion_type must be ${ASSERTION_TYPE}`);
    }
    if (!form.client_assertion) throw invalidClient('client_assertion missing');
    method = 'private_key_jwt';
    clientId = await authenticateAssertion(form.client_assertion, form.client_id, ctx);
  } else if (auth) {
    if (!/^Basic /i.test(auth)) throw invalidClient('Authorization header must use the Basic scheme', BASIC_CHALLENGE);
    method = 'client_secret_basic';
    clientId = authenticateBasic(auth, form.client_id, ctx);
  } else {
    throw invalidClient('no client authentication (use private_key_jwt or client_secret_basic)');
  }
  const scope = grantScopes(form.scope);

  const accessToken = randomBytes(32).toString('base64url');
  tokens.set(accessToken, { client_id: clientId, scope, expiresAt: Date.now() + opts.tokenLifetime * 1000 });
  for (const [t, info] of tokens) if (info.expiresAt < Date.now() - 60_000) tokens.delete(t);
  stats.tokens_issued++;
  if (stats.fail_once && stats.fail_once.fired) stats.fail_once.tokens_issued_after++;
  pushCapped(stats.issued, { client_id: clientId, auth_method: method, scope, at: new Date().toISOString() });
  log(`token issued to ${clientId} (${method}) scope="${scope}"`);
  sendJson(res, 200, { access_token: accessToken, token_type: 'bearer', expires_in: opts.tokenLifetime, scope });
}

async function handleToken(req, res) {
  if (req.method !== 'POST') {
    sendJson(res, 405, { error: 'invalid_request', error_description: 'the token endpoint accepts POST only' }, { Allow: 'POST' });
    return;
  }
  stats.token_requests++;
  if (stats.fail_once && stats.fail_once.fired) stats.fail_once.token_requests_after++;
  inflightTokenRequests++;
  stats.max_concurrent_token_requests = Math.max(stats.max_concurrent_token_requests, inflightTokenRequests);
  let done = false;
  const finish = () => {
    if (!done) {
      done = true;
      inflightTokenRequests--;
    }
  };
  res.on('close', finish);
  res.on('finish', finish);
  const ctx = { clientId: null };
  try {
    const body = await readBody(req);
    if (opts.tokenDelayMs) await sleep(opts.tokenDelayMs);
    await tokenRequest(req, res, body, ctx);
  } catch (e) {
    if (!(e instanceof OAuthError)) {
      e = new OAuthError(e.status || 500, e.status === 413 ? 'invalid_request' : 'server_error', e.message);
    }
    pushCapped(stats.rejected, { reason: e.message, error: e.error, status: e.status, client_id: ctx.clientId, at: new Date().toISOString() });
    log(`token refused: ${e.status} ${e.error}: ${e.message}`);
    if (!res.headersSent) sendJson(res, e.status, { error: e.error, error_description: e.message }, e.headers);
  }
}

// ------------------------------------------------------------------ protected FHIR proxy
function bearerChallenge(error, description) {
  let v = `Bearer realm="${REALM}"`;
  if (error) v += `, error="${error}", error_description="${description.replace(/"/g, "'")}"`;
  return { 'WWW-Authenticate': v };
}

// null when the request carries a valid token, else [error, description] for the challenge.
function checkBearer(req) {
  const auth = req.headers.authorization;
  if (!auth) return [null, 'access token required (Authorization: Bearer <token>)'];
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(auth);
  if (!m) return ['invalid_request', 'Authorization header must be "Bearer <token>"'];
  const info = tokens.get(m[1]);
  if (!info) return ['invalid_token', 'unknown access token'];
  if (Date.now() >= info.expiresAt) return ['invalid_token', 'access token expired'];
  return null;
}

// All spellings under which the upstream may name its own base in bodies and headers.
function upstreamBases() {
  const u = opts.upstream;
  const path = u.pathname.replace(/\/+$/, '');
  const hosts = new Set([u.host]);
  const port = u.port ? `:${u.port}` : '';
  if (u.hostname === '127.0.0.1' || u.hostname === 'localhost') {
    hosts.add(`127.0.0.1${port}`);
    hosts.add(`localhost${port}`);
  }
  return [...hosts].map((h) => `http://${h}${path}`);
}

function rewrite(text, bases) {
  for (const b of bases) text = text.split(b).join(proxyBase);
  return text;
}

function forward(req, rest, search, body) {
  const u = opts.upstream;
  const path = u.pathname.replace(/\/+$/, '') + rest + search;
  const headers = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (HOP_BY_HOP.has(k) || k === 'authorization' || k === 'accept-encoding') continue;
    headers[k] = v;
  }
  headers.host = u.host;
  if (body.length || !['GET', 'HEAD', 'DELETE'].includes(req.method)) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const up = http.request({ hostname: u.hostname.replace(/^\[|\]$/g, ''), port: u.port || 80, method: req.method, path: path || '/', headers }, (ur) => {
      const chunks = [];
      ur.on('data', (c) => chunks.push(c));
      ur.on('end', () => resolve({ status: ur.statusCode, headers: ur.headers, body: Buffer.concat(chunks) }));
      ur.on('error', reject);
    });
    up.on('error', reject);
    up.end(body);
  });
}

async function handleFhir(req, res, rest, search) {
  if (!opts.upstream) {
    sendOutcome(res, 404, 'not-found', 'no FHIR upstream configured (start the server with --fhir-upstream URL)');
    return;
  }
  const isPublic = opts.publicMetadata && rest === '/metadata' && (req.method === 'GET' || req.method === 'HEAD');
  if (!isPublic) {
    const bad = checkBearer(req);
    if (bad) {
      stats.proxy_unauthorized++;
      log(`proxy 401: ${bad[1]}`);
      sendOutcome(res, 401, 'login', bad[1], bearerChallenge(bad[0], bad[1]));
      return;
    }
    const fo = stats.fail_once;
    if (fo && !fo.fired && stats.proxied >= fo.after) {
      fo.fired = true;
      fo.fired_at = new Date().toISOString();
      const d = 'access token rejected once on purpose (--fail-once-with-401-after)';
      log(`proxy 401: ${d}`);
      sendOutcome(res, 401, 'login', d, bearerChallenge('invalid_token', d));
      return;
    }
  }
  const body = await readBody(req);
  let up;
  try {
    up = await forward(req, rest, search, body);
  } catch (e) {
    sendOutcome(res, 502, 'transient', `FHIR upstream ${opts.upstream.href} failed: ${e.code || e.message}`);
    return;
  }
  stats.proxied++;
  if (stats.fail_once && stats.fail_once.fired) stats.fail_once.proxied_after++;
  const bases = upstreamBases();
  const headers = {};
  for (const [k, v] of Object.entries(up.headers)) {
    if (HOP_BY_HOP.has(k)) continue;
    headers[k] = (k === 'location' || k === 'content-location') && typeof v === 'string' ? rewrite(v, bases) : v;
  }
  let out = up.body;
  const ct = String(up.headers['content-type'] || '');
  if (out.length && !up.headers['content-encoding'] && /json|xml|text/i.test(ct)) {
    out = Buffer.from(rewrite(out.toString('utf8'), bases), 'utf8');
  }
  if (req.method === 'HEAD') {
    if (up.headers['content-length'] !== undefined) headers['content-length'] = up.headers['content-length'];
  } else {
    headers['content-length'] = String(out.length);
  }
  res.writeHead(up.status, headers);
  res.end(req.method === 'HEAD' ? undefined : out);
}

// ------------------------------------------------------------------ routing
async function handle(req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  const path = url.pathname;
  if (path === '/.well-known/smart-configuration' || path === '/fhir/.well-known/smart-configuration') {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { error: 'method not allowed' }, { Allow: 'GET, HEAD' });
      return;
    }
    sendJson(res, 200, smartConfiguration(), { 'Cache-Control': 'no-cache' });
    return;
  }
  if (path === '/token') {
    await handleToken(req, res);
    return;
  }
  if (path === '/$stats' || path === '/%24stats') {
    sendJson(res, 200, { ...stats, concurrent_token_requests: inflightTokenRequests, active_tokens: countActiveTokens() });
    return;
  }
  if (path === '/fhir' || path.startsWith('/fhir/')) {
    await handleFhir(req, res, path.slice('/fhir'.length), url.search);
    return;
  }
  sendJson(res, 404, { error: 'not found', error_description: `no route for ${req.method} ${path}` });
}

function countActiveTokens() {
  const now = Date.now();
  let n = 0;
  for (const info of tokens.values()) if (now < info.expiresAt) n++;
  return n;
}

// ------------------------------------------------------------------ start
await checkRegistrations(opts);

const server = http.createServer((req, res) => {
  const t0 = Date.now();
  res.on('finish', () => log(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - t0}ms`));
  handle(req, res).catch((e) => {
    process.stderr.write(`server.mjs: ${req.method} ${req.url}: ${e.stack || e}\n`);
    if (!res.headersSent) sendJson(res, e.status || 500, { error: 'server_error', error_description: String(e.message || e) });
    else res.destroy();
  });
});
server.keepAliveTimeout = 5000;
server.on('error', (e) => fatal(`cannot listen: ${e.message}`));
server.listen(opts.port, '127.0.0.1', () => {
  const { port } = server.address();
  origin = `http://127.0.0.1:${port}`;
  tokenUrl = `${origin}/token`;
  proxyBase = `${origin}/fhir`;
  process.stdout.write(`listening ${origin}\n`);
});

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
