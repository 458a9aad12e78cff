// SPDX-License-Identifier: AGPL-3.0-or-later
// The HTTP layer as raw clients see it (h2o t/40bad-request.t): malformed
// requests on a socket, health and metrics, request ids, keep-alive and
// pipelining, body limits, and graceful shutdown. On both drivers: the
// readiness probe, the pool metrics and the shutdown path depend on them.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, workspace, api, createTicket, expectError, drivers, until } from './lib/server.mjs';

/**
 * Sends @data (a string or a list of chunks) on a fresh socket and resolves
 * with everything received, once the server closes the connection or @ms
 * passed (then the socket is dropped and `timedOut` is set).
 */
function raw(srv, data, ms = 3000) {
  const { hostname, port } = new URL(srv.base);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(port), hostname);
    let out = '';
    const done = (extra) => { clearTimeout(timer); resolve({ out, closed: !extra?.timedOut, ...extra }); };
    const timer = setTimeout(() => { sock.destroy(); done({ timedOut: true }); }, ms);
    sock.on('data', (d) => { out += d.toString('latin1'); });
    sock.on('error', (e) => {
      if (['ECONNRESET', 'EPIPE'].includes(e.code)) done({ reset: true });
      else { clearTimeout(timer); reject(e); }
    });
    sock.on('close', () => done());
    for (const chunk of Array.isArray(data) ? data : [data]) sock.write(chunk);
  });
}

const statusOf = (text) => Number((text.match(/^HTTP\/1\.[01] (\d{3})/) ?? [])[1] ?? 0);
const statusesOf = (text) => [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));

for (const driver of drivers()) {
  describe(`http on ${driver}`, () => {
    let srv, sk;
    before(async () => {
      srv = await startServer({ driver, args: ['--max-body', '64k'] });
      sk = workspace(srv, 'Http').secret_key;
    });
    after(async () => { await srv.stop(); });

    it('serves health, readiness and Prometheus metrics', async () => {
      const h = await api(srv, 'GET', '/healthz');
      assert.equal(h.status, 200);
      assert.equal(h.body.status, 'ok');
      assert.match(h.body.version, /^\d+\.\d+\.\d+/);
      assert.equal(h.headers.get('cache-control'), 'no-store');
      assert.equal(h.headers.get('x-content-type-options'), 'nosniff');
      const r = await api(srv, 'GET', '/readyz');
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { status: 'ready', database: driver });
      await createTicket(srv, sk);
      await api(srv, 'GET', '/api/v1/nowhere');
      await api(srv, 'GET', '/api/v1/tickets');
      const m = await api(srv, 'GET', '/metrics');
      assert.equal(m.status, 200);
      assert.match(m.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
      assert.match(m.body, /# TYPE showdesk_http_requests_total counter\n/);
      assert.match(m.body, /showdesk_http_requests_total\{route="tickets.create",status="201"\} 1\n/);
      assert.match(m.body, /showdesk_http_requests_total\{route="tickets.list",status="401"\} 1\n/);
      assert.match(m.body, /showdesk_http_requests_total\{route="unmatched",status="404"\} 1\n/);
      assert.match(m.body, /showdesk_http_requests_total\{route="healthz",status="200"\} 1\n/);
      assert.match(m.body, /showdesk_http_request_duration_seconds_bucket\{route="healthz",le="\+Inf"\} 1\n/);
      assert.match(m.body, /showdesk_http_request_duration_seconds_count\{route="tickets.create"\} 1\n/);
      assert.match(m.body, new RegExp(`showdesk_db_pool_connections\\{driver="${driver}"\\} [1-9]\\d*\\n`));
      assert.match(m.body, /showdesk_db_pool_in_use \d+\n/);
      assert.match(m.body, /showdesk_http_requests_in_flight 1\n/, 'the /metrics request itself');
      // Every sample line is well formed.
      for (const line of m.body.split('\n').filter((l) => l && !l.startsWith('#'))) {
        assert.match(line, /^[a-z_]+(\{[a-z_]+="[^"\n]*"(,[a-z_]+="[^"\n]*")*\})? -?[0-9.e+-]+$/, line);
      }
    });

    it('echoes a safe X-Request-Id and makes a unique one otherwise', async () => {
      const a = await api(srv, 'GET', '/healthz', { headers: { 'x-request-id': 'abc-123_X' } });
      assert.equal(a.headers.get('x-request-id'), 'abc-123_X');
      const e = await api(srv, 'GET', '/api/v1/tickets', { headers: { 'x-request-id': 'err-1' } });
      assert.equal(e.status, 401);
      assert.equal(e.headers.get('x-request-id'), 'err-1', 'errors carry the id too');
      const made = new Set();
      for (const bad of ['bad id<script>', 'x'.repeat(200), 'a\tb', '']) {
        const b = await api(srv, 'GET', '/healthz', { headers: { 'x-request-id': bad } });
        assert.match(b.headers.get('x-request-id'), /^[0-9a-f]{16,}$/, JSON.stringify(bad));
        made.add(b.headers.get('x-request-id'));
      }
      assert.equal(made.size, 4);
    });

    it('survives malformed requests and keeps serving', async () => {
      const cases = [
        'GARBAGE\r\n\r\n',
        'GET\r\n\r\n',
        'GET / HTTP/9.9\r\nHost: x\r\n\r\n',
        'GET /healthz FTP/1.1\r\nHost: x\r\n\r\n',
        'G\u00e9T /healthz HTTP/1.1\r\nHost: x\r\n\r\n',
        `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
        `GET /healthz HTTP/1.1\r\nHost: x\r\n${'X-Many: y\r\n'.repeat(4000)}\r\n`,
        `GET /${'a'.repeat(70000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
        'GET /healthz HTTP/1.1\r\nHost: x\r\nNo-Colon-Here\r\n\r\n',
        'POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n',
        'POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n',
        'POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Length: 12abc\r\n\r\n',
        'POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{"a"',
        'POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
        'POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n',
        '\x00\x01\x02\x03\r\n\r\n',
        '\r\n\r\n\r\n',
      ];
      // All at once: the server must not serialise on a bad client.
      const results = await Promise.all(cases.map((c) => raw(srv, c)));
      results.forEach(({ out }, i) => {
        const st = statusOf(out);
        assert.ok(st === 0 || (st >= 400 && st < 600), `${JSON.stringify(cases[i].slice(0, 40))} → ${out.slice(0, 80)}`);
      });
      assert.equal((await api(srv, 'GET', '/healthz')).status, 200);
      assert.equal((await api(srv, 'GET', '/api/v1/tickets', { key: sk })).status, 200);
      assert.equal((await api(srv, 'GET', '/readyz')).status, 200);
    });

    it('answers HTTP/1.0, keep-alive and pipelined requests in order', async () => {
      const one = await raw(srv, 'GET /healthz HTTP/1.0\r\n\r\n');
      assert.equal(statusOf(one.out), 200);
      assert.ok(one.closed, 'HTTP/1.0 without keep-alive closes');
      const auth = `Authorization: Bearer ${sk}\r\n`;
      const body = '{"subject":"pipelined"}';
      const piped = await raw(srv, [
        'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n',
        `POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
        'GET /nope HTTP/1.1\r\nHost: x\r\n\r\n',
        `GET /api/v1/tickets?limit=1 HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`,
      ].join(''));
      assert.deepEqual(statusesOf(piped.out), [200, 201, 404, 200]);
      assert.ok(piped.closed);
      assert.match(piped.out, /"subject":"pipelined"/);
    });

    it('answers HEAD like GET, without the body', async () => {
      const { out } = await raw(srv, 'HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      assert.equal(statusOf(out), 200, out);
      assert.match(out, /content-type: application\/json/i);
      assert.equal(out.split('\r\n\r\n')[1], '', 'a HEAD answer has no body');
    });

    it('answers a body over the limit with 413 before reading it', async () => {
      const { out } = await raw(srv, 'POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n{');
      assert.equal(statusOf(out), 413);
      assert.match(out, /"too_large"/);
      const cont = await raw(srv, `POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${sk}\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\nExpect: 100-continue\r\n\r\n`);
      assert.equal(statusOf(cont.out), 413, 'no 100 Continue for a body that will be refused');
      assert.doesNotMatch(cont.out, /100 Continue/);
    });

    it('takes a chunked body within the limit', async () => {
      const { out } = await raw(srv, `POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${sk}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\n{"sub\r\n9\r\nject":"x"\r\n1\r\n}\r\n0\r\n\r\n`);
      assert.equal(statusOf(out), 201, out);
    });

    it('answers a chunked body over the limit with 413',
      async () => {
        const chunk = 'a'.repeat(16 * 1024);
        let body = '';
        for (let i = 0; i < 6; i++) body += `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
        const { out } = await raw(srv, `POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${sk}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${body}0\r\n\r\n`);
        assert.equal(statusOf(out), 413, JSON.stringify(out.slice(0, 200)));
      });

    it('refuses a request with two different Content-Length values',
      async () => {
        const { out } = await raw(srv, `POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${sk}\r\nContent-Type: application/json\r\nContent-Length: 15\r\nContent-Length: 3\r\n\r\n{"subject":"x"}`);
        assert.equal(statusOf(out), 400, JSON.stringify(out.slice(0, 200)));
      });

    it('closes the connection after a request with both Content-Length and Transfer-Encoding',
      async () => {
        const { out } = await raw(srv, `POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${sk}\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n`);
        assert.equal(statusesOf(out).length, 1, JSON.stringify(out));
      });
  });

  describe(`graceful shutdown on ${driver}`, () => {
    it('finishes a request in flight on SIGTERM, then exits 0', async () => {
      const srv = await startServer({ driver, args: ['--log-level', 'info'] });
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
      await until(async () => /showdesk_http_requests_in_flight 2\n/.test((await api(srv, 'GET', '/metrics')).body), 10000, 'request in flight');
      srv.proc.kill('SIGTERM');
      await until(() => srv.stderr.includes('event=serve.stopping'), 10000, 'serve.stopping logged');
      // New connections are refused at once while it finishes the old one (a fresh
      // socket: fetch could reuse a kept-alive connection of the /metrics polls above).
      await assert.rejects(raw(srv, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', 5000), { code: 'ECONNREFUSED' });
      sock.write(body.slice(5));
      await closed;
      assert.equal(statusOf(out), 201, out);
      const { code, signal } = await srv.exited;
      assert.equal(signal, null);
      assert.equal(code, 0, srv.stderr);
      assert.match(srv.stderr, /event=serve.stopped/);
      assert.doesNotMatch(srv.stderr, /grace period over/);
      await srv.stop();
    });

    it('does not wait for idle keep-alive connections', async () => {
      const srv = await startServer({ driver });
      const { hostname, port } = new URL(srv.base);
      const sock = net.connect(Number(port), hostname);
      let out = '';
      sock.on('data', (d) => { out += d; });
      const closed = new Promise((res) => sock.on('close', res));
      sock.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      await until(() => statusOf(out) === 200, 10000, 'first answer');
      const t0 = Date.now();
      srv.proc.kill('SIGTERM');
      const { code } = await srv.exited;
      assert.equal(code, 0, srv.stderr);
      assert.ok(Date.now() - t0 < 5000, `exit took ${Date.now() - t0} ms with an idle connection open`);
      await closed;
      await srv.stop();
    });
  });
}

// The error shape is the same for errors that come from the HTTP layer itself.
describe('http errors are JSON', () => {
  let srv;
  before(async () => { srv = await startServer({ args: ['--max-body', '1k'] }); });
  after(async () => { await srv.stop(); });
  it('answers 404, 405 and 413 in the error shape', async () => {
    expectError(await api(srv, 'GET', '/nope'), 404, 'not_found');
    const r = await api(srv, 'DELETE', '/healthz');
    expectError(r, 405);
    assert.equal(r.headers.get('allow'), 'GET');
    expectError(await api(srv, 'POST', '/api/v1/auth/login', { body: { email: 'x'.repeat(2000) } }), 413, 'too_large');
  });
});
