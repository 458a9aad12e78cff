// SPDX-License-Identifier: AGPL-3.0-or-later
// The HTTP layer as raw clients see it: malformed requests on a socket,
// health and metrics, request ids, keep-alive, and graceful shutdown.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, workspace, api, createTicket } from './lib/server.mjs';

/** Sends @data on a fresh socket; resolves with all bytes until close or @ms. */
function raw(srv, data, ms = 3000) {
  const { hostname, port } = new URL(srv.base);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(port), hostname);
    let out = '';
    const timer = setTimeout(() => { sock.destroy(); resolve(out); }, ms);
    sock.on('data', (d) => { out += d; });
    sock.on('error', (e) => { if (e.code === 'ECONNRESET') { clearTimeout(timer); resolve(out); } else reject(e); });
    sock.on('close', () => { clearTimeout(timer); resolve(out); });
    sock.write(data);
  });
}

/** Polls @cond every 20 ms until it holds, for at most 10 s. */
async function until(cond) {
  const deadline = Date.now() + 10000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in 10 s');
    await new Promise((res) => setTimeout(res, 20));
  }
}

const statusOf = (text) => Number((text.match(/^HTTP\/1\.[01] (\d{3})/) ?? [])[1] ?? 0);

describe('http', () => {
  let srv, sk;
  before(async () => {
    srv = await startServer();
    sk = workspace(srv, 'Http').secret_key;
  });
  after(async () => { await srv.stop(); });

  it('serves health, readiness and Prometheus metrics', async () => {
    const h = await api(srv, 'GET', '/healthz');
    assert.equal(h.status, 200);
    assert.equal(h.body.status, 'ok');
    const r = await api(srv, 'GET', '/readyz');
    assert.equal(r.status, 200);
    assert.equal(r.body.database, 'sqlite');
    await createTicket(srv, sk);
    await api(srv, 'GET', '/api/v1/nowhere');
    const m = await api(srv, 'GET', '/metrics');
    assert.equal(m.status, 200);
    assert.match(m.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
    assert.match(m.body, /showdesk_http_requests_total\{route="tickets.create",status="201"\} 1\n/);
    assert.match(m.body, /showdesk_http_requests_total\{route="unmatched",status="404"\} 1\n/);
    assert.match(m.body, /showdesk_http_request_duration_seconds_bucket\{route="healthz",le="\+Inf"\} 1\n/);
    assert.match(m.body, /showdesk_db_pool_connections\{driver="sqlite"\} \d+\n/);
    assert.match(m.body, /showdesk_db_pool_in_use \d+\n/);
  });

  it('echoes a safe X-Request-Id and makes one otherwise', async () => {
    const a = await api(srv, 'GET', '/healthz', { headers: { 'x-request-id': 'abc-123_X' } });
    assert.equal(a.headers.get('x-request-id'), 'abc-123_X');
    const b = await api(srv, 'GET', '/healthz', { headers: { 'x-request-id': 'bad id<script>' } });
    assert.match(b.headers.get('x-request-id'), /^[0-9a-f]{16,}$/);
  });

  it('survives malformed requests and keeps serving', async () => {
    const cases = [
      'GARBAGE\r\n\r\n',
      'GET\r\n\r\n',
      'GET / HTTP/9.9\r\nHost: x\r\n\r\n',
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
      'POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n',
      'POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n',
      'POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      '\x00\x01\x02\x03\r\n\r\n',
    ];
    for (const c of cases) {
      const out = await raw(srv, c);
      const st = statusOf(out);
      assert.ok(st === 0 || (st >= 400 && st < 600), `${JSON.stringify(c.slice(0, 40))} → ${out.slice(0, 80)}`);
    }
    assert.equal((await api(srv, 'GET', '/healthz')).status, 200);
  });

  it('answers HTTP/1.0 and pipelined requests in order', async () => {
    const one = await raw(srv, 'GET /healthz HTTP/1.0\r\n\r\n');
    assert.equal(statusOf(one), 200);
    const two = await raw(srv, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const statuses = [...two.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
    assert.deepEqual(statuses, [200, 404]);
  });

  it('answers a body over the limit with 413 before reading it', async () => {
    const out = await raw(srv, 'POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n{');
    assert.equal(statusOf(out), 413);
    assert.match(out, /"too_large"/);
  });
});

describe('graceful shutdown', () => {
  it('finishes a request in flight on SIGTERM, then exits 0', async () => {
    const srv = await startServer({ args: ['--log-level', 'info'] });
    const sk = workspace(srv, 'Stop').secret_key;
    const { hostname, port } = new URL(srv.base);
    const body = JSON.stringify({ subject: 'sent during shutdown' });
    const sock = net.connect(Number(port), hostname);
    let out = '';
    sock.on('data', (d) => { out += d; });
    const closed = new Promise((res) => sock.on('close', res));
    await new Promise((res) => sock.on('connect', res));
    sock.write(`POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${sk}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.slice(0, 5)}`);
    // The half-sent request counts as in flight, beside the /metrics request itself.
    await until(async () => /showdesk_http_requests_in_flight 2\n/.test((await api(srv, 'GET', '/metrics')).body));
    srv.proc.kill('SIGTERM');
    await until(() => srv.stderr.includes('event=serve.stopping'));
    sock.write(body.slice(5));
    await closed;
    assert.equal(statusOf(out), 201, out);
    const { code, signal } = await srv.exited;
    assert.equal(signal, null);
    assert.equal(code, 0, srv.stderr);
    // New connections are refused once it stopped.
    await assert.rejects(fetch(srv.base + '/healthz'));
  });
});
