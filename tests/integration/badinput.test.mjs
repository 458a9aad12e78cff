// SPDX-License-Identifier: AGPL-3.0-or-later
// Bad input gets a clear 4xx in the JSON error shape and changes nothing, on
// both drivers. The per-route cases are driven by the route table of
// src/api/routes.c, so a new route is covered the day it is added.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, workspace, api, createTicket, expectError, drivers, routes, snapshot, listAll,
} from './lib/server.mjs';

const MAX_BODY = 4096;
const INVALID_UTF8 = Buffer.concat([Buffer.from('{"subject":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);

for (const driver of drivers()) {
  describe(`bad input on ${driver}`, () => {
    let srv, ws, sk, ticket, ids;
    const fill = (r) => r.path.replace('{id}', () => ids[r.path.split('/')[3]]);
    before(async () => {
      srv = await startServer({ driver, args: ['--max-body', '4k', '--login-rate', '0'] });
      ws = workspace(srv, 'Bad', '--admin-email', 'admin@bad.test', '--admin-password', 'password of bad');
      sk = ws.secret_key;
      ticket = await createTicket(srv, sk);
      const agent = await api(srv, 'POST', '/api/v1/agents', { key: sk, body: { email: 'agent@bad.test', name: 'Agent' } });
      const key = await api(srv, 'POST', '/api/v1/keys', { key: sk, body: { kind: 'secret', name: 'spare' } });
      const art = await api(srv, 'POST', '/api/v1/kb/articles', { key: sk, body: { title: 'Export', body: 'Press **Export**.' } });
      ids = { tickets: ticket.id, customers: ticket.customer_id, agents: agent.body.id, keys: key.body.id, kb: art.body.id };
    });
    after(async () => { await srv.stop(); });

    it('answers every JSON route alike: malformed 400, unknown field 422, wrong type 415, too big 413', async () => {
      const before = await snapshot(srv, sk);
      const jsonRoutes = routes().filter((r) => r.isJson);
      assert.ok(jsonRoutes.length >= 9);
      for (const r of jsonRoutes) {
        const path = fill(r);
        const call = (o) => api(srv, r.method, path, { key: sk, ...o });
        const what = `${r.method} ${r.path}`;
        for (const raw of ['{"a": ', '', '[]', '[1]', '"text"', '42', 'null', '{"a":1,"a":2}', '{"a":1}x', '{\'a\':1}', '\ufeff{}', INVALID_UTF8]) {
          const res = await call({ raw });
          assert.equal(res.status, 400, `${what} ${JSON.stringify(String(raw))}: ${JSON.stringify(res.body)}`);
          expectError(res, 400, 'bad_request');
        }
        expectError(await call({ body: { unknown_field_xyz: 1 } }), 422, 'invalid', 'unknown_field_xyz');
        for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', 'json']) {
          expectError(await call({ raw: '{}', headers: { 'content-type': type } }), 415, 'unsupported');
        }
        const big = { padding: 'x'.repeat(MAX_BODY) };
        expectError(await call({ body: big }), 413, 'too_large');
      }
      assert.deepEqual(await snapshot(srv, sk), before);
    });

    it('names the field at fault: wrong types, bounds, unknown and nested fields', async () => {
      const before = await snapshot(srv, sk);
      const T = '/api/v1/tickets';
      const cases = [
        ['POST', T, { subject: 42 }, 'subject'],
        ['POST', T, { subject: ['x'] }, 'subject'],
        ['POST', T, { subject: null }, 'subject'],
        ['POST', T, {}, 'subject'],
        ['POST', T, { subject: '' }, 'subject'],
        ['POST', T, { subject: 'x'.repeat(201) }, 'subject'],
        ['POST', T, { subject: 'ok', sneaky: true }, 'sneaky'],
        ['POST', T, { subject: 'ok', customer: 'ana@x.test' }, 'customer'],
        ['POST', T, { subject: 'ok', customer: { email: 'a@b.test', admin: true } }, 'customer.admin'],
        ['POST', T, { subject: 'ok', customer: { email: 'nope' } }, 'customer.email'],
        ['POST', T, { subject: 'ok', customer: { email: 5 } }, 'customer.email'],
        ['POST', T, { subject: 'ok', customer: { name: 'no key' } }, 'customer'],
        ['POST', T, { subject: 'ok', customer: { id: 'cus_00000000000000000000000000' } }, 'customer.id'],
        ['POST', T, { subject: 'ok', message: {} }, 'message.text'],
        ['POST', T, { subject: 'ok', message: { text: 'x', internal: true } }, 'message.internal'],
        ['POST', T, { subject: 'ok', context: { console_errors: 'one' } }, 'context.console_errors'],
        ['POST', T, { subject: 'ok', context: { console_errors: [1] } }, 'context.console_errors[0]'],
        ['POST', T, { subject: 'ok', context: { console_errors: Array(51).fill('e') } }, 'context.console_errors'],
        ['POST', T, { subject: 'ok', context: { page_url: 'x'.repeat(2049) } }, 'context.page_url'],
        ['POST', T, { subject: 'ok', context: { page_url: 'https://x.test/\nInjected: 1' } }, 'context.page_url'],
        ['POST', T, { subject: 'ok', channel: 'fax' }, 'channel'],
        ['POST', T, { subject: 'ok', priority: 'URGENT' }, 'priority'],
        ['POST', T, { subject: 'ok', assignee_id: 'agt_nope' }, 'assignee_id'],
        ['PATCH', `${T}/${ticket.id}`, { status: 'limbo' }, 'status'],
        ['PATCH', `${T}/${ticket.id}`, { status: 1 }, 'status'],
        ['PATCH', `${T}/${ticket.id}`, { id: 'tkt_x' }, 'id'],
        ['PATCH', `${T}/${ticket.id}`, { created_at: '2020-01-01T00:00:00.000Z' }, 'created_at'],
        ['PATCH', `${T}/${ticket.id}`, { product_area: '' }, 'product_area'],
        ['POST', `${T}/${ticket.id}/messages`, { text: 'x', internal: 'yes' }, 'internal'],
        ['POST', `${T}/${ticket.id}/messages`, { text: 'x', author: 'admin' }, 'author'],
        ['POST', `${T}/${ticket.id}/messages`, { text: 7 }, 'text'],
        ['POST', '/api/v1/customers', { email: 5 }, 'email'],
        ['POST', '/api/v1/customers', { email: 'a@b.test', plan: 7 }, 'plan'],
        ['PATCH', `/api/v1/customers/${ids.customers}`, { name: null }, 'name'],
        ['POST', '/api/v1/agents', { email: 'x@bad.test', name: 1 }, 'name'],
        ['POST', '/api/v1/agents', { email: 'x@bad.test' }, 'name'],
        ['PATCH', `/api/v1/agents/${ids.agents}`, { role: 'root' }, 'role'],
        ['PATCH', `/api/v1/agents/${ids.agents}`, { password: 'x'.repeat(201) }, 'password'],
        ['PATCH', `/api/v1/agents/${ids.agents}`, { email: 'new@bad.test' }, 'email'],
        ['POST', '/api/v1/keys', { kind: 1, name: 'x' }, 'kind'],
        ['PATCH', '/api/v1/workspace', { allowed_origins: 'https://x.test' }, 'allowed_origins'],
        ['PATCH', '/api/v1/workspace', { allowed_origins: [''] }, 'allowed_origins[0]'],
        ['PATCH', '/api/v1/workspace', { name: '' }, 'name'],
        ['PATCH', '/api/v1/workspace', { id: 'ws_x' }, 'id'],
        ['POST', `${T}/${ticket.id}/deflection`, {}, 'solved'],
        ['POST', `${T}/${ticket.id}/deflection`, { solved: 'yes' }, 'solved'],
        ['POST', '/api/v1/kb/articles', { body: 'x' }, 'title'],
        ['POST', '/api/v1/kb/articles', { title: 'x', body: '' }, 'body'],
        ['POST', '/api/v1/kb/articles', { title: 'x', body: 'y', tags: 'z' }, 'tags'],
        ['POST', '/api/v1/kb/articles', { title: 'x', body: 'y', status: 'live' }, 'status'],
        ['POST', '/api/v1/kb/articles', { title: 'x', body: 'y', media_id: 'md_00000000000000000000000000' }, 'media_id'],
        ['PATCH', `/api/v1/kb/articles/${ids.kb}`, { title: '' }, 'title'],
        ['PATCH', '/api/v1/workspace', { triage: { kb_threshold: 1.5 } }, 'triage.kb_threshold'],
        ['PATCH', '/api/v1/workspace', { triage: { thresholds: { category: -0.1 } } }, 'triage.thresholds.category'],
        ['PATCH', '/api/v1/workspace', { triage: { product_areas: ['only one'] } }, 'triage.product_areas'],
        ['PATCH', '/api/v1/workspace', { triage: { retrain_hours: -1 } }, 'triage.retrain_hours'],
        ['POST', '/api/v1/auth/login', { email: 1, password: 'x' }, 'email'],
        ['POST', '/api/v1/auth/login', { email: 'admin@bad.test', password: 'password of bad', remember: true }, 'remember'],
      ];
      for (const [method, path, body, field] of cases) {
        const r = await api(srv, method, path, { key: sk, body });
        assert.equal(r.status, 422, `${method} ${path} ${JSON.stringify(body).slice(0, 80)}: ${JSON.stringify(r.body)}`);
        expectError(r, 422, 'invalid', field);
      }
      assert.deepEqual(await snapshot(srv, sk), before);
    });

    it('requires credentials on every route but the public ones', async () => {
      const before = await snapshot(srv, sk);
      for (const r of routes().filter((x) => x.access !== 'PUB')) {
        const body = r.isJson ? {} : undefined;
        for (const headers of [{}, { authorization: 'Bearer ' }, { authorization: sk }, { cookie: 'sd_session=' }]) {
          const res = await api(srv, r.method, fill(r), { body, headers });
          expectError(res, 401, 'unauthorized');
        }
      }
      assert.deepEqual(await snapshot(srv, sk), before);
    });

    it('answers unknown routes with 404 and wrong methods with 405 and the Allow of the route table', async () => {
      for (const path of ['/api/v1/nothing', '/api/v1/tickets/', '/api/v2/tickets', '/API/v1/tickets', '/api/v1/tickets//messages',
        `/api/v1/tickets/${ticket.id}/nothing`, `/api/v1/tickets/${ticket.id}/messages/x`, '/healthz/', '/../etc/passwd', '/api/v1/tickets%2F']) {
        const r = await api(srv, 'GET', path, { key: sk });
        expectError(r, 404, 'not_found');
      }
      const byPath = new Map();
      for (const r of routes()) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r.method]);
      let checked = 0;
      for (const [pattern, methods] of byPath) {
        const path = pattern.replace('{id}', () => ids[pattern.split('/')[3]]);
        for (const m of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((x) => !methods.includes(x))) {
          const r = await api(srv, m, path, { key: sk, body: ['GET', 'HEAD'].includes(m) ? undefined : {} });
          expectError(r, 405);
          assert.deepEqual(r.headers.get('allow').split(', ').sort(), [...methods].sort(), `${m} ${pattern}`);
          checked++;
        }
      }
      assert.ok(checked >= 30, `${checked} method checks`);
      assert.equal((await api(srv, 'GET', `/api/v1/tickets/${ticket.id}`, { key: sk })).body.status, 'new');
    });

    it('stores SQL metacharacters verbatim and keeps working', async () => {
      const nasty = ["'; DROP TABLE tickets; --", '" OR 1=1 --', "Robert'); DELETE FROM agents;--", '%_\\', "' UNION SELECT key_hash FROM api_keys --", '$1 $$ ?'];
      for (const [i, s] of nasty.entries()) {
        const t = await createTicket(srv, sk, { subject: s, message: { text: s }, customer: { external_id: s, name: s, plan: s }, context: { page_url: s, console_errors: [s] } });
        const g = await api(srv, 'GET', `/api/v1/tickets/${t.id}`, { key: sk });
        assert.equal(g.body.subject, s);
        assert.deepEqual(g.body.context.console_errors, [s]);
        const m = await api(srv, 'GET', `/api/v1/tickets/${t.id}/messages`, { key: sk });
        assert.equal(m.body.data[0].text, s);
        const c = await api(srv, 'GET', `/api/v1/customers/${t.customer_id}`, { key: sk });
        assert.equal(c.body.external_id, s);
        assert.equal(c.body.name, s);
        // The same external_id finds the same customer.
        assert.equal((await createTicket(srv, sk, { customer: { external_id: s } })).customer_id, t.customer_id);
        const a = await api(srv, 'POST', '/api/v1/agents', { key: sk, body: { email: `sql${i}@bad.test`, name: s } });
        assert.equal(a.status, 201);
        assert.equal(a.body.name, s);
      }
      for (const q of ["status=new' OR '1'='1", "category=bug'--", "assignee=' OR 1=1 --", "customer=' OR 1=1",
        'customer=%27%20OR%20%271%27%3D%271', 'sort=created_at;DROP TABLE tickets', "cursor=' OR 1=1", 'limit=1;DELETE', 'status=new&status=open']) {
        const r = await api(srv, 'GET', `/api/v1/tickets?${q}`, { key: sk });
        assert.ok([200, 422].includes(r.status), `${q}: ${r.status} ${JSON.stringify(r.body)}`);
        if (r.status === 200) assert.ok(r.body.data.every((t) => t.status === 'new'), q);
        if (r.status === 200 && !q.startsWith('status=new&')) assert.equal(r.body.data.length, 0, q);
      }
      expectError(await api(srv, 'GET', "/api/v1/tickets/tkt_1' OR '1'='1", { key: sk }), 404, 'not_found');
      expectError(await api(srv, 'POST', '/api/v1/auth/login', { body: { email: "x'OR'1'='1@x.test", password: "' OR '1'='1" } }), 401);
      // Everything is still there and works.
      assert.equal((await api(srv, 'GET', `/api/v1/tickets/${ticket.id}`, { key: sk })).status, 200);
      assert.equal((await listAll(srv, '/api/v1/agents', { key: sk })).length, 2 + nasty.length);
      assert.equal((await listAll(srv, '/api/v1/tickets', { key: sk })).length, 1 + 2 * nasty.length);
      const unicode = 'Ünïcödé ✓ 日本語 🎥 \u200b';
      const t = await createTicket(srv, sk, { subject: unicode });
      assert.equal((await api(srv, 'GET', `/api/v1/tickets/${t.id}`, { key: sk })).body.subject, unicode);
      assert.equal((await api(srv, 'POST', '/api/v1/tickets', { key: sk, body: { subject: '🎥'.repeat(200) } })).status, 201, '200 characters, 800 bytes');
    });

    it('rejects control characters in one-line fields and keeps them in texts', async () => {
      const before = await snapshot(srv, sk);
      for (const s of ['line\nbreak', 'carriage\rreturn', 'bell\u0007', 'esc\u001b[31m', 'del\u007f', 'nul\u0000']) {
        const r = await api(srv, 'POST', '/api/v1/tickets', { key: sk, body: { subject: s } });
        if (s.includes('\u0000')) expectError(r, 400, 'bad_request');
        else expectError(r, 422, 'invalid', 'subject');
        expectError(await api(srv, 'POST', '/api/v1/customers', { key: sk, body: { email: 'cc@bad.test', name: s } }), s.includes('\u0000') ? 400 : 422);
      }
      expectError(await api(srv, 'POST', `/api/v1/tickets/${ticket.id}/messages`, { key: sk, body: { text: 'esc\u001b[2J' } }), 422, 'invalid', 'text');
      assert.deepEqual(await snapshot(srv, sk), before);
      const ok = await api(srv, 'POST', `/api/v1/tickets/${ticket.id}/messages`, { key: sk, body: { text: 'line one\r\nline two\ttabbed', internal: true } });
      assert.equal(ok.status, 201);
      assert.equal(ok.body.text, 'line one\r\nline two\ttabbed');
    });

    it('rejects C1 control characters in one-line fields',
      async () => {
        for (const s of ['next\u0085line', 'csi\u009b31m']) {
          expectError(await api(srv, 'POST', '/api/v1/tickets', { key: sk, body: { subject: s } }), 422, 'invalid', 'subject');
        }
      });

    it('rejects invalid UTF-8, wrong content types and oversized bodies on ticket creation', async () => {
      const before = await snapshot(srv, sk);
      const post = (o) => api(srv, 'POST', '/api/v1/tickets', { key: sk, ...o });
      for (const bytes of [[0xc3, 0x28], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xff], [0xe2, 0x82]]) {
        const raw = Buffer.concat([Buffer.from('{"subject":"'), Buffer.from(bytes), Buffer.from('"}')]);
        expectError(await post({ raw }), 400, 'bad_request');
      }
      expectError(await post({ raw: '{"subject":"\\ud800"}' }), 400, 'bad_request');
      expectError(await post({ raw: '{"subject":"x"}', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported');
      expectError(await post({ body: { subject: 'x', message: { text: 'y'.repeat(MAX_BODY) } } }), 413, 'too_large');
      expectError(await post({ raw: '[' .repeat(3000) }), 400, 'bad_request');
      expectError(await post({ raw: '{"subject":1e999999}' }), 400, 'bad_request');
      const manyKeys = `{${Array.from({ length: 400 }, (_, i) => `"k${i}":1`).join(',')}}`;
      expectError(await post({ raw: manyKeys }), 422, 'invalid');
      assert.deepEqual(await snapshot(srv, sk), before);
      const ok = await post({ raw: '{"subject":"x"}', headers: { 'content-type': 'Application/JSON; charset=utf-8' } });
      assert.equal(ok.status, 201);
      assert.equal((await api(srv, 'DELETE', `/api/v1/tickets/${ok.body.id}`, { key: sk })).status, 204);
    });

    it('rejects query filters that are not UTF-8 cleanly',
      async () => {
        for (const q of ['customer=%C3%28', 'assignee=%FF', 'customer=%ED%A0%80']) {
          const r = await api(srv, 'GET', `/api/v1/tickets?${q}`, { key: sk });
          assert.ok(r.status === 422 || (r.status === 200 && r.body.data.length === 0), `${q}: ${r.status} ${JSON.stringify(r.body)}`);
        }
      });
  });
}
