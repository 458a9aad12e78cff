// SPDX-License-Identifier: AGPL-3.0-or-later
// Starts the real showdesk binary on a free port with a temporary data folder
// (and optionally a fresh PostgreSQL database), provisions workspaces with
// `showdesk admin`, and talks to it over HTTP as a client would.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import assert from 'node:assert/strict';

const root = process.env.SHOWDESK_SOURCE_ROOT ?? resolve(import.meta.dirname, '../../..');
export const BIN = process.env.SHOWDESK_BIN ?? join(root, 'build', 'showdesk');
export const ROOT = root;

/** The drivers to run a suite on: SQLite always, PostgreSQL when a server is given. */
export function drivers() {
  const list = ['sqlite'];
  if (process.env.SHOWDESK_TEST_PG_URL) list.push('postgres');
  else if (process.env.CI === 'true') throw new Error('SHOWDESK_TEST_PG_URL is not set in CI');
  return list;
}

let dbCounter = 0;

/** A fresh database on the test PostgreSQL server; returns its URL. */
function freshPgDatabase() {
  const base = new URL(process.env.SHOWDESK_TEST_PG_URL);
  const name = `it_${process.pid}_${Date.now()}_${dbCounter++}`;
  execFileSync('psql', ['-q', '-h', base.hostname, '-p', base.port, '-U', base.username,
    '-d', base.pathname.slice(1), '-c', `CREATE DATABASE ${name}`], { stdio: 'pipe' });
  base.pathname = '/' + name;
  return base.toString();
}

/** Runs `showdesk admin …` against the server's store and parses its JSON. */
export function admin(srv, ...args) {
  const out = execFileSync(BIN, ['admin', '--data', srv.data, ...(srv.db ? ['--db', srv.db] : []),
    ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(out);
}

/**
 * Starts a server. @opts.driver is 'sqlite' or 'postgres'; @opts.args adds
 * flags. Resolves when it prints its "listening on" line.
 */
export async function startServer(opts = {}) {
  const data = mkdtempSync(join(tmpdir(), 'showdesk-it-'));
  const db = opts.driver === 'postgres' ? freshPgDatabase() : null;
  const args = ['serve', '--listen', '127.0.0.1:0', '--data', data, ...(db ? ['--db', db] : []),
    '--log-level', 'warn', ...(opts.args ?? [])];
  const proc = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; if (stderr.length > 1e6) stderr = stderr.slice(-5e5); });
  const exited = new Promise((res) => proc.on('exit', (code, signal) => res({ code, signal })));
  const base = await new Promise((res, rej) => {
    let out = '';
    const timer = setTimeout(() => rej(new Error(`server did not start in 30 s: ${stderr}`)), 30000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); res(m[1]); }
    });
    exited.then(({ code }) => { clearTimeout(timer); rej(new Error(`server exited ${code}: ${stderr}`)); });
  });
  const srv = {
    base, data, db, proc, exited,
    get stderr() { return stderr; },
    async stop() {
      proc.kill('SIGTERM');
      const { code, signal } = await exited;
      rmSync(data, { recursive: true, force: true });
      assert.equal(signal, null, `server died of ${signal}: ${stderr}`);
      assert.equal(code, 0, `server exit code ${code}: ${stderr}`);
    },
  };
  return srv;
}

/** A workspace with its keys and admin, made with `showdesk admin`. */
export function workspace(srv, name, ...extra) {
  return admin(srv, 'workspace', 'create', '--name', name, ...extra);
}

/**
 * One API call. @o.key: a Bearer key; @o.session: {cookie, csrf}; @o.body:
 * JSON; @o.raw: a Buffer or string sent as is; @o.headers: more headers.
 * Resolves to {status, headers, body (parsed JSON or text)}.
 */
export async function api(srv, method, path, o = {}) {
  const headers = { ...(o.headers ?? {}) };
  if (o.key) headers.authorization = `Bearer ${o.key}`;
  if (o.session) {
    headers.cookie = o.session.cookie;
    if (o.session.csrf && method !== 'GET') headers['x-csrf-token'] = o.session.csrf;
  }
  let body;
  if (o.body !== undefined) {
    body = JSON.stringify(o.body);
    headers['content-type'] ??= 'application/json';
  } else if (o.raw !== undefined) {
    body = o.raw;
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(srv.base + path, { method, headers, body });
  const text = await res.text();
  let parsed = text;
  if ((res.headers.get('content-type') ?? '').startsWith('application/json')) parsed = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: parsed };
}

/** Logs in and returns {cookie, csrf, agent}. */
export async function login(srv, email, password, extra = {}) {
  const r = await api(srv, 'POST', '/api/v1/auth/login', { body: { email, password, ...extra } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const setCookie = r.headers.get('set-cookie');
  return { cookie: setCookie.split(';')[0], csrf: r.body.csrf_token, agent: r.body.agent, setCookie };
}

/** A ticket made through the API with a secret key. */
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

/** Asserts the JSON error shape and returns the error object. */
export function expectError(r, status, code, field) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(typeof r.body, 'object', `error body is not JSON: ${r.body}`);
  assert.ok(r.body.error, JSON.stringify(r.body));
  assert.equal(typeof r.body.error.message, 'string');
  assert.ok(r.body.error.message.length > 0);
  if (code) assert.equal(r.body.error.code, code, JSON.stringify(r.body));
  if (field) assert.equal(r.body.error.field, field, JSON.stringify(r.body));
  return r.body.error;
}
