// SPDX-License-Identifier: AGPL-3.0-or-later
// Credentials and access: sessions with CSRF, secret and publishable keys,
// CORS, rate limits, and the admin-only resources, on both drivers.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, workspace, api, login, expectError, drivers } from './lib/server.mjs';

const ORIGIN = 'https://app.acme.test';

for (const driver of drivers()) {
  describe(`auth on ${driver}`, () => {
    let srv, ws, sk;
    before(async () => {
      srv = await startServer({ driver, args: ['--login-rate', '8', '--widget-rate', '5'] });
      ws = workspace(srv, 'Acme', '--origin', ORIGIN, '--admin-email', 'boss@acme.test',
        '--admin-password', 'correct horse 1');
      sk = ws.secret_key;
    });
    after(async () => { await srv.stop(); });

    it('logs in with a session cookie and enforces CSRF on writes', async () => {
      const s = await login(srv, 'BOSS@acme.test', 'correct horse 1');
      assert.match(s.setCookie, /^sd_session=[0-9a-z]{32}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/);
      assert.equal(s.agent.role, 'admin');
      assert.equal(s.agent.password_hash, undefined);
      const me = await api(srv, 'GET', '/api/v1/auth/me', { session: s });
      assert.equal(me.status, 200);
      assert.equal(me.body.kind, 'session');
      assert.equal(me.body.workspace.id, ws.workspace.id);
      assert.equal(me.body.agent.email, 'boss@acme.test');
      const body = { subject: 'from the dashboard' };
      expectError(await api(srv, 'POST', '/api/v1/tickets', { session: { cookie: s.cookie }, body }), 403, 'forbidden');
      expectError(await api(srv, 'POST', '/api/v1/tickets', { session: { cookie: s.cookie, csrf: 'x'.repeat(32) }, body }), 403, 'forbidden');
      const ok = await api(srv, 'POST', '/api/v1/tickets', { session: s, body });
      assert.equal(ok.status, 201);
      const act = await api(srv, 'GET', `/api/v1/tickets/${ok.body.id}/activity`, { session: s });
      assert.equal(act.body.data[0].actor_type, 'agent');
      assert.equal(act.body.data[0].actor_id, s.agent.id);
      const out = await api(srv, 'POST', '/api/v1/auth/logout', { session: s });
      assert.equal(out.status, 204);
      assert.match(out.headers.get('set-cookie'), /Max-Age=0/);
      expectError(await api(srv, 'GET', '/api/v1/auth/me', { session: s }), 401, 'unauthorized');
    });

    it('refuses wrong credentials with the same answer', async () => {
      const a = expectError(await api(srv, 'POST', '/api/v1/auth/login', { body: { email: 'boss@acme.test', password: 'wrong password' } }), 401, 'unauthorized');
      const b = expectError(await api(srv, 'POST', '/api/v1/auth/login', { body: { email: 'nobody@acme.test', password: 'wrong password' } }), 401, 'unauthorized');
      assert.equal(a.message, b.message);
      expectError(await api(srv, 'GET', '/api/v1/tickets'), 401, 'unauthorized');
      expectError(await api(srv, 'GET', '/api/v1/tickets', { headers: { authorization: 'Basic abc' } }), 401);
      expectError(await api(srv, 'GET', '/api/v1/tickets', { key: 'sk_' + 'a'.repeat(32) }), 401);
      expectError(await api(srv, 'GET', '/api/v1/tickets', { key: 'xx_nope' }), 401);
      expectError(await api(srv, 'GET', '/api/v1/tickets', { headers: { cookie: 'sd_session=forged' } }), 401);
    });

    it('limits login attempts per address', async () => {
      const lim = await startServer({ driver, args: ['--login-rate', '3'] });
      try {
        const codes = [];
        for (let i = 0; i < 5; i++) {
          const r = await api(lim, 'POST', '/api/v1/auth/login', { body: { email: 'x@y.test', password: 'whatever123' } });
          codes.push(r.status);
          if (r.status === 429) assert.ok(Number(r.headers.get('retry-after')) >= 1);
        }
        assert.deepEqual(codes, [401, 401, 401, 429, 429]);
      } finally {
        await lim.stop();
      }
    });

    it('lets a publishable key create tickets only, from allowed origins', async () => {
      const pk = ws.publishable_key;
      const body = { subject: 'Help from the widget', customer: { external_id: 'u-1' }, message: { text: 'broken' }, channel: 'video' };
      const ok = await api(srv, 'POST', '/api/v1/tickets', { key: pk, body, headers: { origin: ORIGIN } });
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      assert.equal(ok.headers.get('access-control-allow-origin'), ORIGIN);
      assert.equal(ok.body.channel, 'video');
      expectError(await api(srv, 'POST', '/api/v1/tickets', { key: pk, body, headers: { origin: 'https://evil.test' } }), 403, 'forbidden');
      expectError(await api(srv, 'POST', '/api/v1/tickets', { key: pk, body }), 403, 'forbidden');
      // The widget may not set triage fields or read anything.
      expectError(await api(srv, 'POST', '/api/v1/tickets', { key: pk, body: { ...body, priority: 'urgent' }, headers: { origin: ORIGIN } }), 422, 'invalid', 'priority');
      expectError(await api(srv, 'GET', '/api/v1/tickets', { key: pk, headers: { origin: ORIGIN } }), 403, 'forbidden');
      expectError(await api(srv, 'GET', `/api/v1/tickets/${ok.body.id}`, { key: pk, headers: { origin: ORIGIN } }), 403, 'forbidden');
      expectError(await api(srv, 'GET', '/api/v1/keys', { key: pk }), 403, 'forbidden');
      const pre = await fetch(srv.base + '/api/v1/tickets', {
        method: 'OPTIONS',
        headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
      });
      assert.equal(pre.status, 204);
      assert.equal(pre.headers.get('access-control-allow-origin'), ORIGIN);
      assert.match(pre.headers.get('access-control-allow-headers'), /Authorization/);
      const pre2 = await fetch(srv.base + '/api/v1/keys', { method: 'OPTIONS', headers: { origin: ORIGIN } });
      assert.equal(pre2.headers.get('access-control-allow-origin'), null);
    });

    it('rate-limits the widget per key and address', async () => {
      const w = workspace(srv, 'Widget', '--origin', ORIGIN);
      const codes = [];
      for (let i = 0; i < 7; i++) {
        const r = await api(srv, 'POST', '/api/v1/tickets', { key: w.publishable_key, body: { subject: `w${i}` }, headers: { origin: ORIGIN } });
        codes.push(r.status);
      }
      assert.deepEqual(codes, [201, 201, 201, 201, 201, 429, 429]);
    });

    it('creates, lists and revokes keys; a revoked key stops working', async () => {
      const c = await api(srv, 'POST', '/api/v1/keys', { key: sk, body: { kind: 'secret', name: 'ci' } });
      assert.equal(c.status, 201, JSON.stringify(c.body));
      assert.match(c.body.key, /^sk_[0-9a-z]{32}$/);
      assert.equal(c.body.prefix, c.body.key.slice(0, 11));
      assert.equal((await api(srv, 'GET', '/api/v1/tickets', { key: c.body.key })).status, 200);
      const list = await api(srv, 'GET', '/api/v1/keys', { key: sk });
      assert.ok(list.body.data.some((k) => k.id === c.body.id));
      assert.ok(list.body.data.every((k) => k.key === undefined && k.key_hash === undefined));
      assert.equal((await api(srv, 'DELETE', `/api/v1/keys/${c.body.id}`, { key: sk })).status, 204);
      expectError(await api(srv, 'GET', '/api/v1/tickets', { key: c.body.key }), 401, 'unauthorized');
      expectError(await api(srv, 'DELETE', `/api/v1/keys/${c.body.id}`, { key: sk }), 404, 'not_found');
      expectError(await api(srv, 'POST', '/api/v1/keys', { key: sk, body: { kind: 'root', name: 'x' } }), 422, 'invalid', 'kind');
    });

    it('applies the agent rules: roles, last admin, self-service', async () => {
      const boss = await login(srv, 'boss@acme.test', 'correct horse 1');
      const made = await api(srv, 'POST', '/api/v1/agents', { session: boss, body: { email: 'Kim@Acme.test', name: 'Kim' } });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      assert.equal(made.body.role, 'agent');
      assert.equal(made.body.email, 'kim@acme.test');
      assert.match(made.body.password, /^[0-9a-z]{24}$/);
      expectError(await api(srv, 'POST', '/api/v1/agents', { session: boss, body: { email: 'kim@acme.test', name: 'Kim 2' } }), 409, 'conflict');
      const kim = await login(srv, 'kim@acme.test', made.body.password);
      expectError(await api(srv, 'POST', '/api/v1/agents', { session: kim, body: { email: 'x@acme.test', name: 'X' } }), 403, 'forbidden');
      expectError(await api(srv, 'PATCH', `/api/v1/agents/${boss.agent.id}`, { session: kim, body: { name: 'Mutiny' } }), 403, 'forbidden');
      expectError(await api(srv, 'PATCH', `/api/v1/agents/${kim.agent.id}`, { session: kim, body: { role: 'admin' } }), 403, 'forbidden');
      const renamed = await api(srv, 'PATCH', `/api/v1/agents/${kim.agent.id}`, { session: kim, body: { name: 'Kim Lee' } });
      assert.equal(renamed.status, 200);
      assert.equal(renamed.body.name, 'Kim Lee');
      expectError(await api(srv, 'PATCH', `/api/v1/agents/${boss.agent.id}`, { session: boss, body: { role: 'agent' } }), 409, 'conflict', 'role');
      expectError(await api(srv, 'DELETE', `/api/v1/agents/${boss.agent.id}`, { session: boss }), 409, 'conflict');
      expectError(await api(srv, 'DELETE', `/api/v1/agents/${boss.agent.id}`, { key: sk }), 409, 'conflict');
      // A new password ends the agent's sessions.
      const pw = await api(srv, 'PATCH', `/api/v1/agents/${kim.agent.id}`, { session: boss, body: { password: 'another long pass' } });
      assert.equal(pw.status, 200);
      expectError(await api(srv, 'GET', '/api/v1/auth/me', { session: kim }), 401);
      await login(srv, 'kim@acme.test', 'another long pass');
      const list = await api(srv, 'GET', '/api/v1/agents', { key: sk });
      assert.equal(list.body.data.length, 2);
      assert.equal((await api(srv, 'DELETE', `/api/v1/agents/${kim.agent.id}`, { session: boss })).status, 204);
    });

    it('manages customers', async () => {
      const c = await api(srv, 'POST', '/api/v1/customers', { key: sk, body: { external_id: 'c-9', email: 'Zed@x.test', name: 'Zed' } });
      assert.equal(c.status, 201, JSON.stringify(c.body));
      assert.equal(c.body.email, 'zed@x.test');
      expectError(await api(srv, 'POST', '/api/v1/customers', { key: sk, body: { external_id: 'c-9' } }), 409, 'conflict');
      expectError(await api(srv, 'POST', '/api/v1/customers', { key: sk, body: { name: 'nobody' } }), 422, 'invalid');
      expectError(await api(srv, 'POST', '/api/v1/customers', { key: sk, body: { email: 'not-an-email' } }), 422, 'invalid', 'email');
      const u = await api(srv, 'PATCH', `/api/v1/customers/${c.body.id}`, { key: sk, body: { plan: 'enterprise', external_id: null } });
      assert.equal(u.body.plan, 'enterprise');
      assert.equal(u.body.external_id, null);
      expectError(await api(srv, 'PATCH', `/api/v1/customers/${c.body.id}`, { key: sk, body: { email: null } }), 422, 'invalid');
      assert.equal((await api(srv, 'DELETE', `/api/v1/customers/${c.body.id}`, { key: sk })).status, 204);
      expectError(await api(srv, 'GET', `/api/v1/customers/${c.body.id}`, { key: sk }), 404);
    });

    it('updates the workspace: name and allowed origins', async () => {
      const r = await api(srv, 'PATCH', '/api/v1/workspace', { key: sk, body: { allowed_origins: [ORIGIN, ORIGIN, 'http://localhost:3000'] } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body.allowed_origins, [ORIGIN, 'http://localhost:3000']);
      expectError(await api(srv, 'PATCH', '/api/v1/workspace', { key: sk, body: { allowed_origins: ['https://x.test/path'] } }), 422, 'invalid', 'allowed_origins[0]');
      const g = await api(srv, 'GET', '/api/v1/workspace', { key: sk });
      assert.equal(g.body.name, 'Acme');
    });
  });
}
