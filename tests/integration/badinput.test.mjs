// SPDX-License-Identifier: AGPL-3.0-or-later
// Bad input gets a clear 4xx and changes nothing, on both drivers.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, workspace, api, createTicket, expectError, drivers } from './lib/server.mjs';

for (const driver of drivers()) {
  describe(`bad input on ${driver}`, () => {
    let srv, sk, ticket;
    const count = async () => (await api(srv, 'GET', '/api/v1/tickets?limit=100', { key: sk })).body.data.length;
    before(async () => {
      srv = await startServer({ driver, args: ['--max-body', '4k'] });
      sk = workspace(srv, 'Bad').secret_key;
      ticket = await createTicket(srv, sk);
    });
    after(async () => { await srv.stop(); });

    it('rejects malformed JSON, wrong types and unknown fields', async () => {
      const n = await count();
      const post = (o) => api(srv, 'POST', '/api/v1/tickets', { key: sk, ...o });
      expectError(await post({ raw: '{"subject": ' }), 400, 'bad_request');
      expectError(await post({ raw: '' }), 400, 'bad_request');
      expectError(await post({ raw: '[]' }), 400, 'bad_request');
      expectError(await post({ raw: '{"subject":"a","subject":"b"}' }), 400, 'bad_request');
      expectError(await post({ body: { subject: 42 } }), 422, 'invalid', 'subject');
      expectError(await post({ body: { subject: ['x'] } }), 422, 'invalid', 'subject');
      expectError(await post({ body: {} }), 422, 'invalid', 'subject');
      expectError(await post({ body: { subject: '' } }), 422, 'invalid', 'subject');
      expectError(await post({ body: { subject: 'x'.repeat(201) } }), 422, 'invalid', 'subject');
      expectError(await post({ body: { subject: 'ok', sneaky: true } }), 422, 'invalid', 'sneaky');
      expectError(await post({ body: { subject: 'ok', customer: { email: 'a@b.test', admin: true } } }), 422, 'invalid', 'customer.admin');
      expectError(await post({ body: { subject: 'ok', customer: { email: 'nope' } } }), 422, 'invalid', 'customer.email');
      expectError(await post({ body: { subject: 'ok', message: {} } }), 422, 'invalid', 'message.text');
      expectError(await post({ body: { subject: 'ok', context: { console_errors: 'one' } } }), 422, 'invalid', 'context.console_errors');
      expectError(await post({ body: { subject: 'ok', context: { console_errors: [1] } } }), 422, 'invalid', 'context.console_errors[0]');
      expectError(await post({ body: { subject: 'ok', channel: 'fax' } }), 422, 'invalid', 'channel');
      expectError(await post({ body: { subject: 'line\nbreak' } }), 422, 'invalid', 'subject');
      expectError(await post({ body: { subject: 'bell\u0007' } }), 422, 'invalid', 'subject');
      expectError(await post({ raw: '{"subject":"nul\\u0000"}' }), 400, 'bad_request');
      assert.equal(await count(), n);
    });

    it('rejects invalid UTF-8, wrong content types and oversized bodies', async () => {
      const n = await count();
      const bad = Buffer.concat([Buffer.from('{"subject":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
      expectError(await api(srv, 'POST', '/api/v1/tickets', { key: sk, raw: bad }), 400, 'bad_request');
      const overlong = Buffer.concat([Buffer.from('{"subject":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]);
      expectError(await api(srv, 'POST', '/api/v1/tickets', { key: sk, raw: overlong }), 400, 'bad_request');
      expectError(await api(srv, 'POST', '/api/v1/tickets', { key: sk, raw: '{"subject":"x"}', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported');
      expectError(await api(srv, 'POST', '/api/v1/tickets', { key: sk, raw: '{"subject":"x"}', headers: { 'content-type': 'application/jsonx' } }), 415, 'unsupported');
      const ok = await api(srv, 'POST', '/api/v1/tickets', { key: sk, raw: '{"subject":"x"}', headers: { 'content-type': 'application/json; charset=utf-8' } });
      assert.equal(ok.status, 201);
      await api(srv, 'DELETE', `/api/v1/tickets/${ok.body.id}`, { key: sk });
      const big = { subject: 'x', message: { text: 'y'.repeat(5000) } };
      expectError(await api(srv, 'POST', '/api/v1/tickets', { key: sk, body: big }), 413, 'too_large');
      assert.equal(await count(), n);
    });

    it('stores SQL metacharacters verbatim and keeps working', async () => {
      const nasty = ["'; DROP TABLE tickets; --", '" OR 1=1 --', "Robert'); DELETE FROM agents;--", '%_\\'];
      for (const s of nasty) {
        const t = await createTicket(srv, sk, { subject: s, message: { text: s }, customer: { email: 'sql@x.test', name: s } });
        const g = await api(srv, 'GET', `/api/v1/tickets/${t.id}`, { key: sk });
        assert.equal(g.body.subject, s);
        const m = await api(srv, 'GET', `/api/v1/tickets/${t.id}/messages`, { key: sk });
        assert.equal(m.body.data[0].text, s);
      }
      for (const q of ["status=new' OR '1'='1", "category=bug'--", 'assignee=%27%20OR%201%3D1', "customer=' OR 1=1"]) {
        const r = await api(srv, 'GET', `/api/v1/tickets?${q}`, { key: sk });
        assert.ok([200, 422].includes(r.status), `${q}: ${r.status}`);
        if (r.status === 200) assert.equal(r.body.data.length, 0, q);
      }
      expectError(await api(srv, 'GET', "/api/v1/tickets/tkt_1' OR '1'='1", { key: sk }), 404, 'not_found');
      assert.equal((await api(srv, 'GET', `/api/v1/tickets/${ticket.id}`, { key: sk })).status, 200);
      const unicode = 'Ünïcödé ✓ 日本語 🎥';
      const t = await createTicket(srv, sk, { subject: unicode });
      assert.equal((await api(srv, 'GET', `/api/v1/tickets/${t.id}`, { key: sk })).body.subject, unicode);
    });

    it('answers unknown routes and methods in JSON', async () => {
      expectError(await api(srv, 'GET', '/api/v1/nothing', { key: sk }), 404, 'not_found');
      expectError(await api(srv, 'GET', '/api/v1/tickets/', { key: sk }), 404, 'not_found');
      const r = await api(srv, 'PUT', '/api/v1/tickets', { key: sk, body: {} });
      expectError(r, 405);
      assert.equal(r.headers.get('allow'), 'GET, POST');
      expectError(await api(srv, 'PATCH', `/api/v1/tickets/${ticket.id}`, { key: sk, body: { status: 'limbo' } }), 422, 'invalid', 'status');
      expectError(await api(srv, 'PATCH', `/api/v1/tickets/${ticket.id}`, { key: sk, body: { id: 'tkt_x' } }), 422, 'invalid', 'id');
      const g = await api(srv, 'GET', `/api/v1/tickets/${ticket.id}`, { key: sk });
      assert.equal(g.body.status, 'new');
    });
  });
}
