// SPDX-License-Identifier: AGPL-3.0-or-later
// Starts the real showdesk binary on a free port with a temporary data folder
// (and optionally a fresh PostgreSQL database), provisions workspaces with
// `showdesk admin`, and talks to it over HTTP as a client would (Redis
// `start_server`, h2o `spawn_h2o`). Every wait has a deadline; nothing sleeps.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import assert from 'node:assert/strict';

const root = process.env.SHOWDESK_SOURCE_ROOT ?? resolve(import.meta.dirname, '../../..');
export const ROOT = root;
export const BIN = process.env.SHOWDESK_BIN ?? join(root, 'build', 'showdesk');

/** How long a server may take to print its "listening on" line, and to exit. */
const START_MS = 30000;
const STOP_MS = 20000;

/**
 * The drivers to run a suite on: SQLite always, PostgreSQL when
 * SHOWDESK_TEST_PG_URL names a server. Without it PostgreSQL cases are skipped
 * locally, but CI (CI=true) must run them, so there it is an error.
 */
export function drivers() {
  const list = ['sqlite'];
  if (process.env.SHOWDESK_TEST_PG_URL) list.push('postgres');
  else if (process.env.CI === 'true') {
    throw new Error('SHOWDESK_TEST_PG_URL is not set, and CI=true needs the PostgreSQL cases ' +
      '(scripts/test.sh starts a server with scripts/pg.sh)');
  }
  return list;
}

/**
 * The environment of the server and admin processes: the test runner's,
 * without any SHOWDESK_* setting (a developer's SHOWDESK_DB or
 * SHOWDESK_CONFIG would point the server elsewhere), with sanitizer options.
 */
function childEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('SHOWDESK_')) env[k] = v;
  }
  return env;
}

/** psql against the test server's maintenance connection. */
function psql(sql) {
  const base = new URL(process.env.SHOWDESK_TEST_PG_URL);
  const env = { ...process.env };
  if (base.password) env.PGPASSWORD = decodeURIComponent(base.password);
  execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', base.hostname, '-p', base.port || '5432',
    '-U', decodeURIComponent(base.username), '-d', base.pathname.slice(1) || 'postgres', '-c', sql],
  { stdio: 'pipe', env, timeout: 30000 });
}

let dbCounter = 0;

/** A fresh database on the test PostgreSQL server, so test files never share rows. */
function freshPgDatabase() {
  const name = `it_${process.pid}_${Date.now()}_${dbCounter++}`;
  psql(`CREATE DATABASE ${name}`);
  const url = new URL(process.env.SHOWDESK_TEST_PG_URL);
  url.pathname = '/' + name;
  return { name, url: url.toString() };
}

/**
 * Runs one SQL query on a server's store, as an operator would with the
 * database's own client (psql, or Python's sqlite3 for the SQLite file), and
 * returns the rows as arrays of strings.
 */
export function sql(srv, query) {
  let out;
  if (srv.db && !srv.db.startsWith('sqlite:')) {
    const u = new URL(srv.db);
    const env = { ...process.env };
    if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
    out = execFileSync('psql', ['-X', '-q', '-A', '-t', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-h', u.hostname,
      '-p', u.port || '5432', '-U', decodeURIComponent(u.username), '-d', u.pathname.slice(1), '-c', query],
    { encoding: 'utf8', env, timeout: 30000 });
  } else {
    const py = 'import sqlite3,sys\nc=sqlite3.connect(sys.argv[1],timeout=30)\n' +
      'for r in c.execute(sys.argv[2]): print("\\t".join("" if v is None else str(v) for v in r))';
    const file = srv.db ? srv.db.slice('sqlite:'.length) : join(srv.data, 'showdesk.db');
    out = execFileSync('python3', ['-c', py, file, query],
      { encoding: 'utf8', timeout: 30000 });
  }
  return out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

/** Runs `showdesk admin …` against the server's store and parses its JSON. */
export function admin(srv, ...args) {
  const out = execFileSync(BIN, ['admin', '--data', srv.data, ...(srv.db ? ['--db', srv.db] : []),
    ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: childEnv(), timeout: 30000 });
  return JSON.parse(out);
}

/**
 * Starts a server. @opts.driver is 'sqlite' (default) or 'postgres';
 * @opts.args adds flags. Resolves when it prints its "listening on" line.
 * To restart on the state of an earlier server (after srv.kill9()), pass
 * @opts.data (its data folder) and, for PostgreSQL, @opts.db (its database
 * URL): a server never deletes a folder or drops a database it did not
 * create. @opts.keepData keeps even its own folder and database at stop().
 * @opts.wrap runs the server through a command (argv before the binary's
 * path) that must exec it, e.g. to give it a small file system of its own.
 * @opts.env adds environment variables (SHOWDESK_* ones included: secrets
 * such as SHOWDESK_SPEECH_KEY are set by environment).
 */
export async function startServer(opts = {}) {
  const ownsData = opts.data === undefined;
  const data = ownsData ? mkdtempSync(join(tmpdir(), 'showdesk-it-')) : opts.data;
  const pg = opts.driver === 'postgres' && opts.db === undefined ? freshPgDatabase() : null;
  const db = pg ? pg.url : (opts.db ?? null);
  const keep = opts.keepData === true;
  const args = ['serve', '--listen', '127.0.0.1:0', '--data', data, ...(db ? ['--db', db] : []),
    '--log-level', 'warn', ...(opts.args ?? [])];
  const argv = [...(opts.wrap ?? []), BIN, ...args];
  const proc = spawn(argv[0], argv.slice(1),
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...childEnv(), ...(opts.env ?? {}) } });
  let stderr = '';
  proc.stderr.on('data', (d) => {
    stderr += d;
    if (stderr.length > 1e6) stderr = stderr.slice(-5e5);
  });
  const exited = new Promise((res) => proc.on('exit', (code, signal) => res({ code, signal })));
  let out = '';
  const base = await new Promise((res, rej) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      rej(new Error(`server did not start in ${START_MS} ms: ${stderr}`));
    }, START_MS);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/showdesk: listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); res(m[1]); }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      rej(new Error(`server exited (${code ?? signal}) before listening: ${stderr}`));
    });
  });
  let stopped = false;
  const srv = {
    base, data, db, proc, exited,
    port: Number(new URL(base).port),
    get stderr() { return stderr; },
    get stdout() { return out; },
    /** SIGTERM, then the exit code must be 0 within STOP_MS. */
    async stop() {
      if (stopped) return;
      stopped = true;
      proc.kill('SIGTERM');
      let timer;
      const late = new Promise((res) => { timer = setTimeout(() => res(null), STOP_MS); });
      const result = await Promise.race([exited, late]);
      clearTimeout(timer);
      if (result === null) proc.kill('SIGKILL');
      if (ownsData && !keep) rmSync(data, { recursive: true, force: true });
      assert.ok(result !== null, `server did not exit within ${STOP_MS} ms of SIGTERM: ${stderr}`);
      assert.equal(result.signal, null, `server died of ${result.signal}: ${stderr}`);
      assert.equal(result.code, 0, `server exit code ${result.code}: ${stderr}`);
      // Only a clean run drops its database; a failed one stays for a look.
      if (pg && !keep) psql(`DROP DATABASE IF EXISTS ${pg.name} WITH (FORCE)`);
    },
    /**
     * SIGKILL, as a crash or the OOM killer would; resolves once the process
     * is gone. The data folder and the database stay for a restart
     * (startServer({data: srv.data, db: srv.db})), and are removed when
     * that server, or srv.cleanup(), is done with them.
     */
    async kill9() {
      if (stopped) return;
      stopped = true;
      proc.kill('SIGKILL');
      const result = await exited;
      assert.equal(result.signal, 'SIGKILL', `server exited (${result.code}) before the kill: ${stderr}`);
    },
    /** Removes what this server created (its folder, its database) after kill9(). */
    cleanup() {
      if (ownsData) rmSync(data, { recursive: true, force: true });
      if (pg) psql(`DROP DATABASE IF EXISTS ${pg.name} WITH (FORCE)`);
    },
  };
  return srv;
}

/** A workspace with its keys and admin, made with `showdesk admin workspace create`. */
export function workspace(srv, name, ...extra) {
  return admin(srv, 'workspace', 'create', '--name', name, ...extra);
}

/**
 * One API call with fetch. Options:
 *   key: a Bearer key (sk_… or pk_…);
 *   session: {cookie, csrf} from login(), or cookie/csrf given apart;
 *   body: a value sent as JSON; raw or rawBody: a Buffer or string sent as is
 *   (both default to Content-Type application/json); headers: more headers.
 * Resolves to {status, headers, body}: parsed JSON when the answer is JSON,
 * else its text.
 */
export async function api(srv, method, path, o = {}) {
  const headers = { ...(o.headers ?? {}) };
  if (o.key) headers.authorization = `Bearer ${o.key}`;
  const cookie = o.session?.cookie ?? o.cookie;
  const csrf = o.session?.csrf ?? o.csrf;
  if (cookie) headers.cookie = cookie;
  if (csrf && method !== 'GET' && method !== 'HEAD') headers['x-csrf-token'] = csrf;
  let body;
  const raw = o.raw ?? o.rawBody;
  if (o.body !== undefined) {
    body = JSON.stringify(o.body);
    headers['content-type'] ??= 'application/json';
  } else if (raw !== undefined) {
    body = raw;
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(srv.base + path, { method, headers, body, signal: AbortSignal.timeout(30000) });
  const text = await res.text();
  let parsed = text;
  if (text !== '' && (res.headers.get('content-type') ?? '').startsWith('application/json')) {
    parsed = JSON.parse(text);
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** Logs in and returns {cookie, csrf, agent, setCookie}. */
export async function login(srv, email, password, extra = {}) {
  const r = await api(srv, 'POST', '/api/v1/auth/login', { body: { email, password, ...extra } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const setCookie = r.headers.get('set-cookie');
  return { cookie: setCookie.split(';')[0], csrf: r.body.csrf_token, agent: r.body.agent, setCookie };
}

/** A ticket made through the API with a secret key; asserts 201. */
export async function createTicket(srv, key, fields = {}) {
  const r = await api(srv, 'POST', '/api/v1/tickets', {
    key,
    body: {
      subject: 'Export fails', customer: { email: 'ana@example.com', name: 'Ana' },
      message: { text: 'The spinner never stops' }, ...fields,
    },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

/** Asserts the JSON error shape {"error":{"code","message","field"?}} and returns the error. */
export function expectError(r, status, code, field) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(typeof r.body, 'object', `error body is not JSON: ${r.body}`);
  assert.ok(r.body.error, JSON.stringify(r.body));
  assert.equal(typeof r.body.error.code, 'string');
  assert.equal(typeof r.body.error.message, 'string');
  assert.ok(r.body.error.message.length > 0);
  for (const k of Object.keys(r.body.error)) assert.ok(['code', 'message', 'field'].includes(k), k);
  if (code) assert.equal(r.body.error.code, code, JSON.stringify(r.body));
  if (field) assert.equal(r.body.error.field, field, JSON.stringify(r.body));
  return r.body.error;
}

/** Every row of a list endpoint, following next_cursor (at most 50 pages). */
export async function listAll(srv, path, auth) {
  const rows = [];
  let cursor = null;
  for (let page = 0; page < 50; page++) {
    const sep = path.includes('?') ? '&' : '?';
    const r = await api(srv, 'GET', `${path}${sep}limit=100${cursor ? `&cursor=${cursor}` : ''}`, auth);
    assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`);
    rows.push(...r.body.data);
    cursor = r.body.next_cursor;
    if (!cursor) return rows;
  }
  throw new Error(`${path}: more than 50 pages`);
}

/**
 * Everything a workspace holds, as its secret key @key reads it: tickets,
 * customers, agents, keys (without last_used_at, which reading itself
 * moves), and every ticket's messages and activity. Two snapshots are equal
 * when nothing changed.
 */
export async function snapshot(srv, key) {
  const auth = { key };
  const tickets = await listAll(srv, '/api/v1/tickets?sort=created_at', auth);
  const threads = {};
  for (const t of tickets) {
    threads[t.id] = {
      messages: await listAll(srv, `/api/v1/tickets/${t.id}/messages`, auth),
      activity: await listAll(srv, `/api/v1/tickets/${t.id}/activity`, auth),
    };
  }
  const keys = (await listAll(srv, '/api/v1/keys', auth)).map((k) => {
    const copy = { ...k };
    delete copy.last_used_at;
    return copy;
  });
  return {
    workspace: (await api(srv, 'GET', '/api/v1/workspace', auth)).body,
    tickets, threads, keys,
    customers: await listAll(srv, '/api/v1/customers', auth),
    agents: await listAll(srv, '/api/v1/agents', auth),
    articles: await listAll(srv, '/api/v1/kb/articles', auth),
  };
}

/**
 * The route table of src/api/routes.c: {method, path, name, access, isJson}.
 * access is PUB, AGENT, ADMIN or WIDGET, as the table spells it.
 */
export function routes() {
  const src = readFileSync(join(ROOT, 'src/api/routes.c'), 'utf8');
  // R(method, path, name, access, flags, fn): a route with a buffered body;
  // S(method, path, name, access, fn): one that streams its body.
  const re = /\b([RS])\(\s*"([A-Z]+)",\s*"([^"]+)",\s*"([^"]+)",\s*(\w+),\s*(\w+)(?:,\s*(\w+))?\s*\)/g;
  const list = [...src.matchAll(re)].map((m) => ({
    method: m[2], path: m[3], name: m[4], access: m[5],
    isJson: m[1] === 'R' && m[6] === 'JSON', fn: m[1] === 'R' ? m[7] : m[6], isStream: m[1] === 'S',
  }));
  assert.ok(list.length >= 25, `only ${list.length} routes parsed from src/api/routes.c`);
  return list;
}

/** Polls @cond (sync or async) every 20 ms until it is true, for at most @ms. */
export async function until(cond, ms = 10000, what = 'condition') {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`${what} not met in ${ms} ms`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

/**
 * Uploads the file at @path with tus-js-client (the standard client, from
 * web/node_modules) as @key; resolves to the media id. @extra adds
 * tus.Upload options (chunkSize, callbacks).
 */
export function upload(srv, key, path, type = 'video/webm', extra = {}) {
  const tus = createRequire(join(root, 'web', 'package.json'))('tus-js-client');
  const buf = readFileSync(path);
  return new Promise((res, rej) => {
    const up = new tus.Upload(buf, {
      endpoint: `${srv.base}/api/v1/uploads`,
      headers: { authorization: `Bearer ${key}` },
      metadata: { filename: path.split('/').pop(), filetype: type },
      chunkSize: 256 * 1024,
      retryDelays: [],
      onError: rej,
      onSuccess: () => res(up.url.split('/').pop()),
      ...extra,
    });
    up.start();
  });
}

