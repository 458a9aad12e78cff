// SPDX-License-Identifier: AGPL-3.0-or-later
// docs/openapi.yaml is valid OpenAPI 3.1 under Redocly's recommended rules,
// and true to the server:
//  - it describes exactly the routes of src/api/routes.c (both directions);
//  - each request schema has the fields and bounds of the handler's schema
//    table (the C arrays of struct sd_json_field), read from the source;
//  - each operation lists the error statuses its access level implies, and
//    the error codes are those of src/base/err.c;
//  - the answers of a running server, for every route, have a documented
//    status and match the documented schema, with no undocumented field,
//    and carry the headers documented as required (tus routes included:
//    their bodies are bytes, application/offset+octet-stream).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, routes, startServer, workspace, api, until } from './lib/server.mjs';

const REDOCLY = join(ROOT, 'web', 'node_modules', '.bin', 'redocly');
const REDOCLY_ENV = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };

function redocly(...args) {
  assert.ok(existsSync(REDOCLY), `${REDOCLY} is missing: run 'npm ci' in web/ (scripts/deps.sh test does)`);
  // A lint error makes redocly exit non-zero and execFileSync throw with its report.
  return execFileSync(REDOCLY, args, { cwd: join(ROOT, 'docs'), env: REDOCLY_ENV, encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'], timeout: 120000 });
}

/** docs/openapi.yaml with every $ref resolved, as a plain object. */
function loadDoc() {
  const dir = mkdtempSync(join(tmpdir(), 'showdesk-openapi-'));
  try {
    redocly('bundle', 'openapi.yaml', '--dereferenced', '--ext', 'json', '-o', join(dir, 'openapi.json'));
    return JSON.parse(readFileSync(join(dir, 'openapi.json'), 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/* ---- the C schema tables -------------------------------------------------- */

/** @text without comments, with backslash-continued lines joined. */
const cleanC = (text) => text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\\\n/g, ' ');

/** Object-like and function-like #defines of @text: name → {params, body}. */
function macros(text) {
  const out = new Map();
  for (const m of text.matchAll(/^#define\s+(\w+)(\(([^)]*)\))?[ \t]+(.*)$/gm)) {
    out.set(m[1], { params: m[3] ? m[3].split(',').map((p) => p.trim()) : null, body: m[4] });
  }
  return out;
}

/** The body of `NAME[] = { … };` or `NAME = { … }` with nested braces. */
function braceBody(text, start) {
  const open = text.indexOf('{', start);
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    if (text[i] === '}' && --depth === 0) return text.slice(open + 1, i);
  }
  throw new Error('unbalanced braces');
}

/**
 * The value of a constant C expression of a schema table: a number, or
 * products and shifts of numbers (`24 * 3600`, `INT64_C(1) << 40`).
 */
function cNumber(v) {
  const e = v.replace(/U?INT64_C\(([^)]*)\)/g, '$1').replace(/(\d+)(?:[uU]?[lL]{0,2})\b/g, '$1').trim();
  assert.match(e, /^[\d\s*()<]+$/, `cannot read the C constant ${v}`);
  // A shift as a product: JavaScript's << works on 32 bits.
  const js = e.replace(/(\d+)\s*<<\s*(\d+)/g, '($1 * 2 ** $2)');
  return Function(`"use strict"; return (${js});`)();
}

/** NULL-terminated string arrays (`const char *const x[] = {"a", …, NULL}`) of @text. */
function stringArrays(text) {
  const out = new Map();
  for (const m of text.matchAll(/const char \*const (\w+)\[\]\s*=\s*\{([^}]*)\}/g)) {
    out.set(m[1], [...m[2].matchAll(/"([^"]*)"/g)].map((s) => s[1]));
  }
  return out;
}

/**
 * The schema table @array of src/api/@file as a list of fields:
 * {name, type, required, nullable, line, min, max, maxItems, oneOf, sub}.
 */
function cTable(file, array) {
  const text = cleanC(readFileSync(join(ROOT, 'src/api', file), 'utf8'));
  const defs = macros(text);
  const sets = new Map([...stringArrays(cleanC(readFileSync(join(ROOT, 'src/domain/ticket.c'), 'utf8'))),
    ...stringArrays(text)]);
  const schemas = new Map([...text.matchAll(/sd_json_schema (\w+) = SD_JSON_SCHEMA\((\w+)\)/g)].map((m) => [m[1], m[2]]));
  const parse = (name) => {
    const at = text.search(new RegExp(`sd_json_field ${name}\\[\\]\\s*=`));
    assert.ok(at >= 0, `no table ${name} in src/api/${file}`);
    let body = braceBody(text, at);
    // Expand the table macros (TRIAGE_FIELDS, CUSTOMER_FIELDS(true), …).
    for (let pass = 0; pass < 4; pass++) {
      body = body.replace(/\b([A-Z][A-Z0-9_]+)\b(\(([^()]*)\))?/g, (all, id, _call, args) => {
        const d = defs.get(id);
        if (!d) return all;
        if (!d.params) return d.body;
        const vals = (args ?? '').split(',').map((a) => a.trim());
        return d.params.reduce((b, p, i) => b.replace(new RegExp(`\\b${p}\\b`, 'g'), vals[i]), d.body);
      });
    }
    const fields = [];
    for (const m of body.matchAll(/\{\s*"(\w+)",\s*(SD_JSON_\w+)\s*((?:,\s*\.\w+\s*=\s*[^,{}]+?\s*)*),?\s*\}/g)) {
      const f = { name: m[1], type: m[2], required: false, nullable: false, line: false, min: 0, max: 0, maxItems: 0, oneOf: null, sub: null };
      for (const a of m[3].matchAll(/\.(\w+)\s*=\s*([^,]+)/g)) {
        const key = a[1];
        let v = a[2].trim();
        if (/^\((true|false)\)$/.test(v)) v = v.slice(1, -1);
        const bool = v === 'true' ? true : v === 'false' ? false : v === '!(true)' ? false : v === '!(false)' ? true : undefined;
        if (key === 'is_required') f.required = bool;
        else if (key === 'is_nullable') f.nullable = bool;
        else if (key === 'is_line') f.line = bool;
        else if (key === 'min' || key === 'max' || key === 'max_items') f[key === 'max_items' ? 'maxItems' : key] = cNumber(v);
        else if (key === 'lo' || key === 'hi') f[key] = cNumber(v);
        else if (key === 'one_of') {
          assert.ok(sets.has(v), `unknown value set ${v}`);
          f.oneOf = sets.get(v);
        } else if (key === 'sub') {
          v = v.replace(/^&/, '');
          assert.ok(schemas.has(v), `unknown schema ${v}`);
          f.sub = parse(schemas.get(v));
        } else assert.fail(`unknown field attribute .${key} in ${file}`);
        assert.ok(!['is_required', 'is_nullable', 'is_line'].includes(key) || bool !== undefined, `${key} = ${v}`);
      }
      fields.push(f);
    }
    const entries = (body.match(/\{\s*"/g) ?? []).length;
    for (const f of fields) {
      for (const k of ['min', 'max', 'maxItems', 'lo', 'hi']) {
        if (k in f) assert.ok(Number.isFinite(f[k]), `${name}.${f.name}: .${k} is not a number`);
      }
    }
    assert.equal(fields.length, entries, `could not read every entry of ${name} in ${file}`);
    return fields;
  };
  return parse(array);
}

/** The table behind each JSON route: every JSON route must be here. */
const TABLES = {
  'auth.login': ['sessions.c', 'login_fields'],
  'workspace.update': ['workspace.c', 'update_fields'],
  'agents.create': ['agents.c', 'create_fields'],
  'agents.update': ['agents.c', 'update_fields'],
  'customers.create': ['customers.c', 'create_fields'],
  'customers.update': ['customers.c', 'update_fields'],
  'keys.create': ['keys.c', 'create_fields'],
  'tickets.create': ['tickets.c', 'create_fields'],
  'tickets.update': ['tickets.c', 'update_fields'],
  'messages.create': ['messages.c', 'create_fields'],
  'tickets.deflection': ['tickets.c', 'deflection_fields'],
  'kb.create': ['kb.c', 'create_fields'],
  'kb.update': ['kb.c', 'update_fields'],
};

/** Splits an OpenAPI schema into its non-null part and whether null is allowed. */
function nonNull(s) {
  const alts = s.oneOf ?? s.anyOf;
  if (alts) {
    const rest = alts.filter((a) => a.type !== 'null');
    assert.equal(rest.length, 1, 'a oneOf other than [X, null]');
    return { s: rest[0], nullable: rest.length < alts.length };
  }
  if (Array.isArray(s.type)) {
    const types = s.type.filter((t) => t !== 'null');
    return { s: { ...s, type: types.length === 1 ? types[0] : types }, nullable: types.length < s.type.length };
  }
  return { s, nullable: false };
}

/** Pushes to @out every way the OpenAPI object schema @doc differs from the C table @fields. */
function compareSchema(where, doc, fields, out) {
  const eq = (a, b, what) => { if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${what}: documented ${JSON.stringify(a)}, server ${JSON.stringify(b)}`); };
  eq(doc.type, 'object', `${where}: type`);
  eq(doc.additionalProperties, false, `${where}: additionalProperties (the server refuses unknown fields)`);
  eq(Object.keys(doc.properties ?? {}).sort(), fields.map((f) => f.name).sort(), `${where}: fields`);
  eq([...(doc.required ?? [])].sort(), fields.filter((f) => f.required).map((f) => f.name).sort(), `${where}: required`);
  for (const f of fields) {
    const at = `${where}.${f.name}`;
    if (!doc.properties?.[f.name]) continue;
    const { s, nullable } = nonNull(doc.properties[f.name]);
    eq(nullable, f.nullable, `${at}: nullable`);
    const str = (sch, what) => {
      eq(sch?.type, 'string', `${what}: type`);
      if (f.oneOf) {
        eq(sch?.enum, f.oneOf, `${what}: enum`);
        return;
      }
      eq(sch?.maxLength, f.max || 10000, `${what}: maxLength`);
      eq(sch?.minLength ?? 0, f.min, `${what}: minLength`);
    };
    switch (f.type) {
      case 'SD_JSON_STR': str(s, at); break;
      case 'SD_JSON_BOOL': eq(s.type, 'boolean', `${at}: type`); break;
      case 'SD_JSON_FRAC':
        eq(s.type, 'number', `${at}: type`);
        eq(s.minimum, 0, `${at}: minimum`);
        eq(s.maximum, 1, `${at}: maximum`);
        break;
      case 'SD_JSON_INT':
        eq(s.type, 'integer', `${at}: type`);
        eq(s.minimum, f.lo, `${at}: minimum`);
        eq(s.maximum, f.hi, `${at}: maximum`);
        break;
      case 'SD_JSON_OBJ':
        if (f.sub) compareSchema(at, s, f.sub, out);
        else eq(s.type, 'object', `${at}: type`);
        break;
      case 'SD_JSON_STR_ARR':
        eq(s.type, 'array', `${at}: type`);
        eq(s.maxItems, f.maxItems || 100, `${at}: maxItems`);
        str(s.items, `${at}[]`);
        break;
      default: out.push(`${at}: unknown type ${f.type}`);
    }
  }
  return out;
}

/* ---- a small JSON Schema validator for the answers -------------------------- */

const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const typeOf = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);

/**
 * Errors of @v against @s (JSON Schema 2020-12, the keywords the document
 * uses). Objects whose schema names properties are closed: a field the
 * document does not name is an error, so nothing leaks undocumented.
 */
function validate(v, s, path = '$', errors = []) {
  if (s === undefined || s === true || Object.keys(s).length === 0) return errors;
  const fail = (msg) => errors.push(`${path}: ${msg}`);
  if (s.allOf) s.allOf.forEach((sub) => validate(v, { ...sub, _open: true }, path, errors));
  if (s.oneOf) {
    const ok = s.oneOf.filter((sub) => validate(v, sub, path, []).length === 0).length;
    if (ok !== 1) fail(`matches ${ok} of oneOf`);
  }
  if (s.anyOf && !s.anyOf.some((sub) => validate(v, sub, path, []).length === 0)) fail('matches no anyOf');
  if (s.type) {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    const t = typeOf(v);
    if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) {
      fail(`is ${t}, want ${types.join('|')}`);
      return errors;
    }
  }
  if ('const' in s && v !== s.const) fail(`is ${JSON.stringify(v)}, want ${JSON.stringify(s.const)}`);
  if (s.enum && !s.enum.includes(v)) fail(`${JSON.stringify(v)} is not one of ${s.enum.join(', ')}`);
  if (typeof v === 'string') {
    if (s.minLength !== undefined && [...v].length < s.minLength) fail('too short');
    if (s.maxLength !== undefined && [...v].length > s.maxLength) fail('too long');
    if (s.format === 'date-time' && !TIME.test(v)) fail(`${v} is not a date-time`);
  }
  if (Array.isArray(v)) {
    if (s.maxItems !== undefined && v.length > s.maxItems) fail('too many items');
    if (s.items) v.forEach((x, i) => validate(x, s.items, `${path}[${i}]`, errors));
  }
  if (typeOf(v) === 'object') {
    for (const r of s.required ?? []) if (!(r in v)) fail(`lacks ${r}`);
    for (const [k, sub] of Object.entries(s.properties ?? {})) if (k in v) validate(v[k], sub, `${path}.${k}`, errors);
    if (!s._open) {
      const named = new Set([...Object.keys(s.properties ?? {}), ...(s.allOf ?? []).flatMap((a) => Object.keys(a.properties ?? {}))]);
      const closed = s.additionalProperties === false || (named.size > 0 && s.additionalProperties === undefined);
      for (const k of Object.keys(v)) if (closed && !named.has(k)) fail(`has undocumented field ${k}`);
    }
    if (typeof s.additionalProperties === 'object') {
      for (const [k, x] of Object.entries(v)) if (!(k in (s.properties ?? {}))) validate(x, s.additionalProperties, `${path}.${k}`, errors);
    }
  }
  return errors;
}

/* ---- the tests -------------------------------------------------------------- */

const METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete', 'options'];
const OCTETS = 'application/offset+octet-stream';

describe('docs/openapi.yaml', () => {
  let doc;
  before(() => { doc = loadDoc(); });

  it('lints clean under the recommended rules, without a warning', () => {
    // Run in docs/, so docs/redocly.yaml applies; exits non-zero on errors.
    const report = JSON.parse(redocly('lint', 'openapi.yaml', '--format', 'json'));
    const problems = report.problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location?.[0]?.pointer}`);
    assert.deepEqual(problems, []);
    assert.deepEqual(report.totals, { errors: 0, warnings: 0, ignored: 0 });
  });

  it('describes exactly the served routes, in both directions', () => {
    const served = new Set(routes().map((r) => `${r.method} ${r.path}`));
    // The server answers HEAD wherever it answers GET; a documented HEAD needs a GET.
    for (const r of routes().filter((x) => x.method === 'GET')) {
      if (doc.paths[r.path]?.head) served.add(`HEAD ${r.path}`);
    }
    const documented = new Set();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const m of METHODS) if (item[m]) documented.add(`${m.toUpperCase()} ${path}`);
    }
    assert.deepEqual([...served].filter((r) => !documented.has(r)), [], 'served but not in docs/openapi.yaml');
    assert.deepEqual([...documented].filter((r) => !served.has(r)), [], 'in docs/openapi.yaml but not served');
  });

  it('has the request schema of each handler: fields, required, nullable, bounds, value sets', () => {
    const diffs = [];
    for (const r of routes().filter((x) => x.isJson)) {
      assert.ok(TABLES[r.name], `route ${r.name} takes JSON: add its schema table to TABLES`);
      const [file, table] = TABLES[r.name];
      const op = doc.paths[r.path][r.method.toLowerCase()];
      assert.ok(op.requestBody?.required, `${r.name}: requestBody must be required`);
      const schema = op.requestBody.content['application/json'].schema;
      compareSchema(r.name, schema, cTable(file, table), diffs);
    }
    assert.deepEqual(diffs, [], 'docs/openapi.yaml differs from the schema tables of src/api/');
    for (const r of routes().filter((x) => !x.isJson && !x.isStream)) {
      assert.equal(doc.paths[r.path][r.method.toLowerCase()].requestBody, undefined, `${r.name} takes no body`);
    }
    // Streaming routes take tus bytes, and nothing else.
    const streams = routes().filter((x) => x.isStream);
    assert.ok(streams.length >= 2);
    for (const r of streams) {
      const body = doc.paths[r.path][r.method.toLowerCase()].requestBody;
      assert.ok(body, `${r.name} takes bytes`);
      assert.deepEqual(Object.keys(body.content), [OCTETS], `${r.name}: body types`);
      assert.equal(body.required, r.method === 'PATCH', `${r.name}: required body (creation may come without)`);
    }
    // The widget's subset of ticket fields is named in the operation.
    const widget = cTable('tickets.c', 'widget_create_fields').map((f) => f.name);
    const all = cTable('tickets.c', 'create_fields').map((f) => f.name);
    assert.ok(widget.every((f) => all.includes(f)));
    const desc = doc.paths['/api/v1/tickets'].post.description;
    for (const f of widget) assert.match(desc, new RegExp(`\`${f}\``), `widget field ${f} not named`);
  });

  it('lists the statuses each route can answer, and the error codes of err.c', () => {
    const lacking = [];
    for (const r of routes()) {
      const op = doc.paths[r.path][r.method.toLowerCase()];
      const have = Object.keys(op.responses);
      const want = [];
      if (r.access !== 'PUB') want.push('401', '403');
      // OPTIONS answers the same for any id.
      if (r.path.includes('{id}') && r.method !== 'OPTIONS') want.push('404');
      if (r.isJson) want.push('400', '413', '415', '422');
      // tus: framing and version errors, checksums, storage.
      if (r.isStream) want.push('400', '412', '413', '415', '460', '507');
      if (r.path.startsWith('/api/v1/uploads') && !['GET', 'OPTIONS'].includes(r.method)) want.push('412');
      if (r.name === 'uploads.patch') want.push('409', '410');
      if (r.access === 'WIDGET' || r.name === 'auth.login') want.push('429');
      if ((op.parameters ?? []).some((p) => p.name === 'limit' || p.name === 'cursor')) want.push('422');
      for (const s of want) if (!have.includes(s)) lacking.push(`${r.method} ${r.path}: ${s}`);
      assert.ok(have.some((s) => /^2\d\d$/.test(s)), `${r.method} ${r.path} lists no success`);
      const isPublic = r.access === 'PUB';
      const security = op.security ?? doc.security;
      if (isPublic && r.name !== 'auth.login') assert.deepEqual(op.security, [], `${r.name} needs no credentials`);
      if (!isPublic) assert.ok(security.length > 0, `${r.name} needs credentials`);
      if (r.access === 'WIDGET') assert.ok(security.some((x) => 'publishableKey' in x), `${r.name} takes a publishable key`);
      if (r.access !== 'WIDGET') assert.ok(!security.some((x) => 'publishableKey' in x), `${r.name} refuses publishable keys`);
      // A session writes only with its CSRF token, and reads without it.
      for (const req of security.filter((x) => 'session' in x)) {
        assert.equal('csrfToken' in req, r.method !== 'GET', `${r.name}: session ${r.method === 'GET' ? 'without' : 'with'} csrfToken`);
      }
    }
    assert.deepEqual(lacking, [], 'statuses the server can answer but docs/openapi.yaml does not list');
    // HEAD is GET without the body: the same statuses and security.
    for (const [path, item] of Object.entries(doc.paths)) {
      if (!item.head) continue;
      assert.deepEqual(Object.keys(item.head.responses).sort(), Object.keys(item.get.responses).sort(), `HEAD ${path}: statuses`);
      assert.deepEqual(item.head.security, item.get.security, `HEAD ${path}: security`);
      for (const [status, res] of Object.entries(item.head.responses)) {
        assert.equal(res.content, undefined, `HEAD ${path} → ${status} has no body`);
      }
    }
    const err = readFileSync(join(ROOT, 'src/base/err.c'), 'utf8');
    const codes = [...err.matchAll(/\[SD_E_\w+\] = "(\w+)"/g)].map((m) => m[1]).sort();
    assert.ok(codes.length >= 10);
    const documented = doc.components.schemas.Error.properties.error.properties.code.enum;
    assert.deepEqual([...documented].sort(), codes);
  });
});

describe('answers of a running server match docs/openapi.yaml', () => {
  let srv, doc, ws, sk;
  const seen = new Set();
  const answered = new Set();
  before(async () => {
    doc = loadDoc();
    srv = await startServer({ args: ['--login-rate', '0', '--max-body', '16k'] });
    ws = workspace(srv, 'Docs', '--origin', 'https://app.docs.test', '--admin-email', 'admin@docs.test', '--admin-password', 'password of docs');
    sk = ws.secret_key;
  });
  after(async () => { await srv.stop(); });

  /**
   * Calls the route and checks the answer against the document; returns the
   * answer. @o.path, when given, is the path asked (a signed URL), else
   * @pattern with @id and @o.query.
   */
  async function call(method, pattern, id, o = {}) {
    const path = o.path ?? pattern.replace('{id}', id ?? '') + (o.query ?? '');
    const res = await api(srv, method, path, { key: sk, ...o });
    const op = doc.paths[pattern]?.[method.toLowerCase()];
    assert.ok(op, `${method} ${pattern} is not documented`);
    const what = `${method} ${pattern} → ${res.status}`;
    const documented = op.responses[String(res.status)];
    assert.ok(documented, `${what} is not a documented status: ${JSON.stringify(res.body)}`);
    const content = documented.content ?? {};
    if (method === 'HEAD') {
      // HEAD has the headers of GET and no body.
      assert.equal(res.body, '', what);
    } else if (res.status === 204 || (res.body === '' && res.headers.get('content-type') === null)) {
      assert.equal(res.body, '', what);
      assert.deepEqual(Object.keys(content), [], `${what}: documented with a body`);
    } else {
      const type = (res.headers.get('content-type') ?? '').split(';')[0];
      assert.ok(content[type], `${what}: content type ${type} is not documented`);
      if (type === 'application/json') {
        const errors = validate(res.body, content[type].schema);
        assert.deepEqual(errors, [], `${what}: ${JSON.stringify(res.body).slice(0, 300)}`);
      }
    }
    for (const [h, spec] of Object.entries(documented.headers ?? {})) {
      const v = res.headers.get(h);
      if (spec.required) assert.ok(v !== null, `${what}: documented header ${h} is missing`);
      if (v === null || !spec.schema) continue;
      // Header values as their schema says: integers, constants.
      const value = spec.schema.type === 'integer' && /^\d+$/.test(v) ? Number(v) : v;
      assert.deepEqual(validate(value, spec.schema), [], `${what}: header ${h}: ${v}`);
    }
    if (res.status < 300) seen.add(`${method} ${pattern}`);
    answered.add(`${method} ${pattern} ${res.status}`);
    return res;
  }

  /** The tus routes with byte bodies, and a media from upload to its signed files. */
  async function tusAndMedia() {
    const TUS = { 'tus-resumable': '1.0.0' };
    const bytes = (offset, extra = {}) => ({ headers: { ...TUS, 'content-type': OCTETS, 'upload-offset': String(offset), ...extra } });
    const origin = 'https://app.docs.test';
    const pk = (await call('POST', '/api/v1/keys', null, { body: { kind: 'publishable', name: 'uploads' } })).body.key;

    await call('OPTIONS', '/api/v1/uploads');
    await call('OPTIONS', '/api/v1/uploads', null, { key: undefined, headers: { origin, 'access-control-request-method': 'POST' } });
    const c = await call('POST', '/api/v1/uploads', null, { headers: { ...TUS, 'upload-length': '1000', 'upload-metadata': `filename ${Buffer.from('a.webm').toString('base64')}` } });
    const id = c.headers.get('location').split('/').pop();
    await call('POST', '/api/v1/uploads', null, { raw: Buffer.alloc(100, 1), headers: { ...TUS, 'upload-length': '1000', 'content-type': OCTETS } });
    await call('POST', '/api/v1/uploads', null, { key: pk, headers: { ...TUS, origin, 'upload-length': '10' } });
    await call('POST', '/api/v1/uploads', null, { key: pk, headers: { ...TUS, origin: 'https://evil.test', 'upload-length': '10' } });
    await call('POST', '/api/v1/uploads', null, { key: undefined, headers: { ...TUS, 'upload-length': '10' } });
    await call('POST', '/api/v1/uploads', null, { headers: { 'upload-length': '10' } });
    await call('POST', '/api/v1/uploads', null, { headers: TUS });
    await call('POST', '/api/v1/uploads', null, { headers: { ...TUS, 'upload-length': '0' } });
    await call('POST', '/api/v1/uploads', null, { headers: { ...TUS, 'upload-length': '900000000000' } });
    await call('POST', '/api/v1/uploads', null, { headers: { ...TUS, 'upload-length': '10', 'upload-metadata': `filetype ${Buffer.from('text/plain').toString('base64')}` } });

    await call('OPTIONS', '/api/v1/uploads/{id}', id);
    await call('OPTIONS', '/api/v1/uploads/{id}', id, { key: undefined, headers: { origin, 'access-control-request-method': 'PATCH' } });
    await call('PATCH', '/api/v1/uploads/{id}', id, { raw: Buffer.alloc(100, 2), ...bytes(0) });
    await call('PATCH', '/api/v1/uploads/{id}', id, { raw: Buffer.alloc(100, 2), ...bytes(0) });
    await call('PATCH', '/api/v1/uploads/{id}', id, { raw: Buffer.alloc(100, 2), ...bytes(100, { 'tus-resumable': '0.2.0' }) });
    await call('PATCH', '/api/v1/uploads/{id}', id, { raw: Buffer.alloc(100, 2), headers: { ...TUS, 'upload-offset': '100', 'content-type': 'application/octet-stream' } });
    await call('PATCH', '/api/v1/uploads/{id}', id, { raw: Buffer.alloc(100, 2), ...bytes('x') });
    await call('PATCH', '/api/v1/uploads/{id}', id, { raw: Buffer.alloc(1000, 2), ...bytes(100) });
    await call('PATCH', '/api/v1/uploads/{id}', id, { raw: Buffer.alloc(100, 2), ...bytes(100, { 'upload-checksum': `sha1 ${Buffer.alloc(20).toString('base64')}` }) });
    await call('PATCH', '/api/v1/uploads/{id}', 'md_00000000000000000000000000', { raw: Buffer.alloc(100, 2), ...bytes(0) });
    await call('GET', '/api/v1/uploads/{id}', id);
    await call('HEAD', '/api/v1/uploads/{id}', id);
    await call('GET', '/api/v1/uploads/{id}', 'md_00000000000000000000000000');
    await call('HEAD', '/api/v1/uploads/{id}', 'md_00000000000000000000000000');
    await call('GET', '/api/v1/media/{id}', id);
    await call('GET', '/api/v1/media/{id}', 'md_00000000000000000000000000');
    await call('DELETE', '/api/v1/uploads/{id}', id);
    await call('DELETE', '/api/v1/uploads/{id}', id, { headers: TUS });
    await call('DELETE', '/api/v1/uploads/{id}', id, { headers: TUS });

    // An upload that expires (410) in a workspace of its own.
    const other = workspace(srv, 'Docs expiry');
    await call('PATCH', '/api/v1/workspace', null, { key: other.secret_key, body: { media: { upload_expiry_s: 1, max_bytes: 1000000, types: ['video/*'] } } });
    await call('PATCH', '/api/v1/workspace', null, { key: other.secret_key, body: { media: { upload_expiry_s: 0 } } });
    const e = await call('POST', '/api/v1/uploads', null, { key: other.secret_key, headers: { ...TUS, 'upload-length': '10' } });
    const eid = e.headers.get('location').split('/').pop();
    const expires = Date.parse(e.headers.get('upload-expires'));
    await until(() => Date.now() > expires + 1000, 5000, 'the expiry');
    await call('PATCH', '/api/v1/uploads/{id}', eid, { key: other.secret_key, raw: Buffer.alloc(10), ...bytes(0) });

    // A real recording, processed until ready: its media, its signed files, a message that carries it.
    const clip = join(mkdtempSync(join(tmpdir(), 'showdesk-openapi-')), 'clip.webm');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15', '-f', 'lavfi', '-i', 'sine=frequency=440',
      '-t', '1', '-c:v', 'libvpx', '-c:a', 'libopus', clip], { timeout: 120000 });
    const data = readFileSync(clip);
    rmSync(join(clip, '..'), { recursive: true, force: true });
    const r = await call('POST', '/api/v1/uploads', null, {
      raw: data, headers: { ...TUS, 'content-type': OCTETS, 'upload-length': String(data.length), 'upload-metadata': `filetype ${Buffer.from('video/webm').toString('base64')}` },
    });
    const mid = r.headers.get('location').split('/').pop();
    let media;
    await until(async () => {
      media = (await api(srv, 'GET', `/api/v1/media/${mid}`, { key: sk })).body;
      return media.state === 'ready' || media.state === 'failed';
    }, 90000, 'the media processed');
    assert.equal(media.state, 'ready', media.failure);
    await call('GET', '/api/v1/media/{id}', mid);
    await call('GET', '/api/v1/uploads/{id}', mid);
    // The transcript: a tone is no speech, so it is ready and empty, with its reason.
    await until(async () => {
      media = (await api(srv, 'GET', `/api/v1/media/${mid}`, { key: sk })).body;
      return media.transcript.state === 'ready' || media.transcript.state === 'failed';
    }, 90000, 'the transcript');
    assert.equal(media.transcript.state, 'ready', media.transcript.failure);
    const tr = await call('GET', '/api/v1/media/{id}/transcript', mid);
    assert.equal(tr.status, 200);
    await call('GET', '/api/v1/media/{id}/transcript', 'md_00000000000000000000000000');
    await call('GET', '/media/{id}/{file}', null, { key: undefined, path: media.urls.captions });
    const file = '/media/{id}/{file}';
    const v = await call('GET', file, null, { key: undefined, path: media.urls.video });
    await call('GET', file, null, { key: undefined, path: media.urls.video, headers: { range: 'bytes=0-99' } });
    await call('GET', file, null, { key: undefined, path: media.urls.video, headers: { range: 'bytes=99999999-' } });
    await call('GET', file, null, { key: undefined, path: media.urls.video, headers: { 'if-none-match': v.headers.get('etag') } });
    await call('GET', file, null, { key: undefined, path: media.urls.poster });
    await call('GET', file, null, { key: undefined, path: media.urls.thumbnails });
    await call('GET', file, null, { key: undefined, path: media.urls.video.replace(/sig=[^&]+/, 'sig=AAAA') });
    const t = await call('POST', '/api/v1/tickets', null, { body: { subject: 'With a video', customer: { email: 'v@docs.test' } } });
    await call('POST', '/api/v1/tickets/{id}/messages', t.body.id, { body: { text: 'see the video', media_ids: [mid] } });
    await call('POST', '/api/v1/tickets/{id}/messages', t.body.id, { body: { text: 'again', media_ids: [mid] } });
    await call('GET', '/api/v1/tickets/{id}/messages', t.body.id);
    await call('GET', '/api/v1/search', null, { query: '?q=video&limit=5' });
    await call('GET', '/api/v1/search', null, { query: '?q=' });
    await call('GET', '/api/v1/search', null, { query: '?q=video', key: pk });
    await call('DELETE', '/api/v1/uploads/{id}', mid, { headers: TUS });

    // Each documented answer of the tus and media routes was met.
    const want = {
      'POST /api/v1/uploads': [201, 400, 401, 403, 412, 413, 415, 422],
      'PATCH /api/v1/uploads/{id}': [204, 400, 404, 409, 410, 412, 413, 415, 460],
      'GET /api/v1/uploads/{id}': [200, 404],
      'HEAD /api/v1/uploads/{id}': [200, 404],
      'DELETE /api/v1/uploads/{id}': [204, 404, 409, 412],
      'GET /api/v1/media/{id}': [200, 404],
      'GET /api/v1/media/{id}/transcript': [200, 404],
      'GET /api/v1/search': [200, 403, 422],
      'GET /media/{id}/{file}': [200, 206, 304, 403, 416],
      'POST /api/v1/tickets/{id}/messages': [201, 409],
    };
    const unmet = Object.entries(want).flatMap(([r, list]) => list.map((st) => `${r} ${st}`)).filter((x) => !answered.has(x));
    assert.deepEqual(unmet, [], 'answers not met');
  }

  it('on every route, for success and for errors', async () => {
    await call('GET', '/healthz');
    await call('GET', '/readyz');
    await call('GET', '/metrics');
    const s = await call('POST', '/api/v1/auth/login', null, { key: undefined, body: { email: 'admin@docs.test', password: 'password of docs' } });
    const session = { cookie: s.headers.get('set-cookie').split(';')[0], csrf: s.body.csrf_token };
    await call('POST', '/api/v1/auth/login', null, { key: undefined, body: { email: 'admin@docs.test', password: 'wrong password' } });
    await call('GET', '/api/v1/auth/me', null, { key: undefined, session });
    await call('GET', '/api/v1/auth/me');
    await call('GET', '/api/v1/workspace');
    await call('PATCH', '/api/v1/workspace', null, { body: { name: 'Docs Inc', allowed_origins: ['https://app.docs.test'] } });
    await call('PATCH', '/api/v1/workspace', null, { body: { allowed_origins: ['nope'] } });

    const agent = await call('POST', '/api/v1/agents', null, { body: { email: 'kim@docs.test', name: 'Kim' } });
    await call('POST', '/api/v1/agents', null, { body: { email: 'kim@docs.test', name: 'Kim' } });
    await call('GET', '/api/v1/agents');
    await call('GET', '/api/v1/agents/{id}', agent.body.id);
    await call('PATCH', '/api/v1/agents/{id}', agent.body.id, { body: { name: 'Kim Lee' } });
    await call('PATCH', '/api/v1/agents/{id}', ws.admin.id, { body: { role: 'agent' } });

    const cus = await call('POST', '/api/v1/customers', null, { body: { email: 'c@docs.test', name: 'C', external_id: 'c-1', plan: 'pro' } });
    await call('GET', '/api/v1/customers');
    await call('GET', '/api/v1/customers/{id}', cus.body.id);
    await call('PATCH', '/api/v1/customers/{id}', cus.body.id, { body: { plan: null } });

    const key = await call('POST', '/api/v1/keys', null, { body: { kind: 'publishable', name: 'widget' } });
    await call('GET', '/api/v1/keys');

    const t = await call('POST', '/api/v1/tickets', null, {
      body: { subject: 'Docs', customer: { id: cus.body.id }, message: { text: 'hello' }, context: { page_url: 'https://app.docs.test/', console_errors: ['e'] }, category: 'bug' },
    });
    await call('POST', '/api/v1/tickets', null, { key: key.body.key, headers: { origin: 'https://app.docs.test' }, body: { subject: 'Widget', customer: { email: 'w@docs.test' } } });
    await call('POST', '/api/v1/tickets', null, { key: key.body.key, headers: { origin: 'https://evil.test' }, body: { subject: 'Widget' } });
    await call('GET', '/api/v1/tickets', null, { key: key.body.key, headers: { origin: 'https://app.docs.test' } });
    await call('POST', '/api/v1/tickets', null, { raw: '{' });
    await call('POST', '/api/v1/tickets', null, { raw: '{}', headers: { 'content-type': 'text/plain' } });
    await call('POST', '/api/v1/tickets', null, { body: { subject: 'x', message: { text: 'y'.repeat(20000) } } });
    await call('GET', '/api/v1/tickets');
    await call('GET', '/api/v1/tickets', null, { key: undefined });
    await call('GET', '/api/v1/tickets', null, { query: '?status=nope' });
    await call('GET', '/api/v1/tickets', null, { query: '?limit=1&sort=created_at&status=closed&category=bug' });
    await call('GET', '/api/v1/tickets/{id}', t.body.id);
    await call('PATCH', '/api/v1/tickets/{id}', t.body.id, { body: { status: 'closed', assignee_id: agent.body.id } });
    await call('PATCH', '/api/v1/tickets/{id}', t.body.id, { body: { status: 'open' } });
    await call('POST', '/api/v1/tickets/{id}/messages', t.body.id, { body: { text: 'note', internal: true } });
    await call('POST', '/api/v1/tickets/{id}/messages', t.body.id, { body: { text: 'public' } });
    await call('GET', '/api/v1/tickets/{id}/messages', t.body.id);
    await call('GET', '/api/v1/tickets/{id}/activity', t.body.id);
    await call('GET', '/api/v1/tickets/{id}', 'tkt_00000000000000000000000000');

    // Help articles, their search, an offered article and the customer's answer.
    const art = await call('POST', '/api/v1/kb/articles', null, {
      body: { title: 'Export a report to CSV', body: 'Open the report and press **Export**, then *CSV*.', tags: ['export', 'csv'], product_area: 'reports' },
    });
    await call('POST', '/api/v1/kb/articles', null, { body: { title: 'Draft', body: 'x', status: 'draft', external_id: 'd-1' } });
    await call('POST', '/api/v1/kb/articles', null, { body: { title: 'Again', body: 'x', external_id: 'd-1' } });
    await call('GET', '/api/v1/kb/articles');
    await call('GET', '/api/v1/kb/articles', null, { query: '?status=draft&limit=1' });
    await call('GET', '/api/v1/kb/articles/{id}', art.body.id);
    await call('PATCH', '/api/v1/kb/articles/{id}', art.body.id, { body: { tags: ['export', 'csv', 'reports'] } });
    await call('GET', '/api/v1/kb/search', null, { query: '?q=how%20do%20I%20export%20a%20report%20to%20csv&limit=3' });
    await call('GET', '/api/v1/kb/search', null, { query: '?q=' });
    await call('PATCH', '/api/v1/workspace', null, { body: { triage: { kb_threshold: 0, retrain_hours: 0, thresholds: { category: 0.5 } } } });
    const offered = await call('POST', '/api/v1/tickets', null, {
      body: { subject: 'Export', customer: { email: 'x@docs.test' }, message: { text: 'how do I export my report to csv' } },
    });
    assert.equal(offered.body.deflection, 'offered');
    assert.equal(offered.body.kb_article.id, art.body.id);
    await call('POST', '/api/v1/tickets/{id}/deflection', offered.body.id, { body: { solved: true } });
    await call('POST', '/api/v1/tickets/{id}/deflection', offered.body.id, { body: { solved: false } });
    await call('POST', '/api/v1/tickets/{id}/deflection', 'tkt_00000000000000000000000000', { body: { solved: false } });
    await call('GET', '/api/v1/triage/accuracy');
    await call('GET', '/api/v1/triage/accuracy', null, { query: '?since=x' });
    await call('POST', '/api/v1/triage/train');
    await call('DELETE', '/api/v1/kb/articles/{id}', art.body.id);
    await call('DELETE', '/api/v1/kb/articles/{id}', art.body.id);

    await call('POST', '/api/v1/auth/logout', null, { key: undefined, session: { cookie: session.cookie } });
    await call('POST', '/api/v1/auth/logout', null, { key: undefined, session });
    await call('DELETE', '/api/v1/keys/{id}', key.body.id);
    await call('DELETE', '/api/v1/keys/{id}', key.body.id);
    await call('DELETE', '/api/v1/tickets/{id}', t.body.id);
    await call('DELETE', '/api/v1/customers/{id}', cus.body.id);
    await call('DELETE', '/api/v1/agents/{id}', agent.body.id);
    await call('DELETE', '/api/v1/agents/{id}', ws.admin.id);

    await tusAndMedia();

    const missing = routes().map((r) => `${r.method} ${r.path}`).filter((r) => !seen.has(r));
    assert.deepEqual(missing, [], 'routes without a successful call in this test');
  });
});
