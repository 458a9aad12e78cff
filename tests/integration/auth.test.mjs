// SPDX-License-Identifier: AGPL-3.0-or-later
// Credentials and access: sessions with CSRF, secret and publishable keys,
// CORS, rate limits, and the admin-only resources, on both drivers.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, workspace, admin, api, login, createTicket, expectError, drivers, listAll, routes, snapshot,
} from './lib/server.mjs';

const ORIGIN = 'https://app.acme.test';

/** A route's path with {id} filled in from @ids by the resource it names. */
const fill = (r, ids) => r.path.replace('{id}', () => ids[r.path.split('/')[3]]);

for (const driver of drivers()) {
  describe(`auth on ${driver}`, () => {
    let srv, ws, sk;
    before(async () => {
      srv = await startServer({ driver, args: ['--login-rate', '0', '--widget-rate', '5'] });
      ws = workspace(srv, 'Acme', '--origin', ORIGIN, '--admin-email', 'boss@acme.test',
        '--admin-password', 'correct horse 1');
      sk = ws.secret_key;
    });
    after(async () => { await srv.stop(); });

    it('logs in with a session cookie and enforces CSRF on every write', async () => {
      const s = await login(srv, 'BOSS@acme.test', 'correct horse 1');
      assert.match(s.setCookie, /^sd_session=[0-9a-z]{32}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/);
      assert.match(s.csrf, /^[0-9a-z]{32}$/);
      assert.equal(s.agent.role, 'admin');
      assert.equal(s.agent.email, 'boss@acme.test');
      assert.equal(s.agent.password_hash, undefined);
      const me = await api(srv, 'GET', '/api/v1/auth/me', { session: s });
      assert.equal(me.status, 200);
      assert.equal(me.body.kind, 'session');
      assert.equal(me.body.workspace.id, ws.workspace.id);
      assert.equal(me.body.agent.email, 'boss@acme.test');
      // Reads need no token.
      assert.equal((await api(srv, 'GET', '/api/v1/tickets', { cookie: s.cookie })).status, 200);
      // Writes without the token, with a wrong one, or with another session's, are refused and change nothing.
      const other = await login(srv, 'boss@acme.test', 'correct horse 1');
      const t = await createTicket(srv, sk);
      const before = await snapshot(srv, sk);
      const writes = [
        ['POST', '/api/v1/tickets', { subject: 'from the dashboard' }],
        ['PATCH', `/api/v1/tickets/${t.id}`, { status: 'closed' }],
        ['DELETE', `/api/v1/tickets/${t.id}`, undefined],
        ['POST', `/api/v1/tickets/${t.id}/messages`, { text: 'forged' }],
        ['PATCH', '/api/v1/workspace', { name: 'Pwned' }],
        ['POST', '/api/v1/keys', { kind: 'secret', name: 'stolen' }],
        ['POST', '/api/v1/auth/logout', undefined],
      ];
      for (const [method, path, body] of writes) {
        for (const csrf of [undefined, 'x'.repeat(32), '', other.csrf]) {
          const headers = csrf === '' ? { 'x-csrf-token': '' } : {};
          const r = await api(srv, method, path, { cookie: s.cookie, csrf: csrf || undefined, body, headers });
          expectError(r, 403, 'forbidden');
        }
      }
      assert.deepEqual(await snapshot(srv, sk), before);
      const ok = await api(srv, 'POST', '/api/v1/tickets', { session: s, body: { subject: 'from the dashboard' } });
      assert.equal(ok.status, 201);
      const act = await api(srv, 'GET', `/api/v1/tickets/${ok.body.id}/activity`, { session: s });
      assert.equal(act.body.data[0].actor_type, 'agent');
      assert.equal(act.body.data[0].actor_id, s.agent.id);
      // A Bearer key needs no CSRF token.
      assert.equal((await api(srv, 'PATCH', `/api/v1/tickets/${t.id}`, { key: sk, body: { status: 'open' } })).status, 200);
      const out = await api(srv, 'POST', '/api/v1/auth/logout', { session: s });
      assert.equal(out.status, 204);
      assert.match(out.headers.get('set-cookie'), /^sd_session=; Path=\/; HttpOnly; SameSite=Lax; Max-Age=0$/);
      expectError(await api(srv, 'GET', '/api/v1/auth/me', { session: s }), 401, 'unauthorized');
      expectError(await api(srv, 'POST', '/api/v1/auth/logout', { session: s }), 401, 'unauthorized');
      // The other session lives on.
      assert.equal((await api(srv, 'GET', '/api/v1/auth/me', { session: other })).status, 200);
    });

    it('refuses wrong credentials with the same answer', async () => {
      const a = expectError(await api(srv, 'POST', '/api/v1/auth/login', { body: { email: 'boss@acme.test', password: 'wrong password' } }), 401, 'unauthorized');
      const b = expectError(await api(srv, 'POST', '/api/v1/auth/login', { body: { email: 'nobody@acme.test', password: 'wrong password' } }), 401, 'unauthorized');
      assert.equal(a.message, b.message);
      expectError(await api(srv, 'POST', '/api/v1/auth/login', { body: { email: 'boss@acme.test' } }), 422, 'invalid', 'password');
      expectError(await api(srv, 'POST', '/api/v1/auth/login', { body: { email: 'boss', password: 'correct horse 1' } }), 422, 'invalid', 'email');
      const none = await api(srv, 'GET', '/api/v1/tickets');
      expectError(none, 401, 'unauthorized');
      assert.match(none.headers.get('www-authenticate'), /^Bearer /);
      expectError(await api(srv, 'GET', '/api/v1/tickets', { headers: { authorization: 'Basic abc' } }), 401);
      expectError(await api(srv, 'GET', '/api/v1/tickets', { headers: { authorization: 'Bearer' } }), 401);
      expectError(await api(srv, 'GET', '/api/v1/tickets', { key: 'sk_' + 'a'.repeat(32) }), 401);
      expectError(await api(srv, 'GET', '/api/v1/tickets', { key: 'sk_' + 'a'.repeat(200) }), 401);
      expectError(await api(srv, 'GET', '/api/v1/tickets', { key: 'xx_nope' }), 401);
      expectError(await api(srv, 'GET', '/api/v1/tickets', { key: ws.secret_key.replace(/^sk_/, 'pk_') }), 401);
      expectError(await api(srv, 'GET', '/api/v1/tickets', { headers: { cookie: 'sd_session=forged' } }), 401);
      expectError(await api(srv, 'GET', '/api/v1/tickets', { headers: { cookie: `sd_session=${'a'.repeat(500)}` } }), 401);
      // The scheme is case-insensitive.
      assert.equal((await api(srv, 'GET', '/api/v1/tickets', { headers: { authorization: `bearer ${sk}` } })).status, 200);
    });

    it('limits login attempts per address, whatever X-Forwarded-For says', async () => {
      const lim = await startServer({ driver, args: ['--login-rate', '3', '--public-url', 'https://desk.acme.test'] });
      try {
        workspace(lim, 'Lim', '--admin-email', 'lim@acme.test', '--admin-password', 'correct horse 2');
        // Behind https the cookie is Secure.
        const s = await login(lim, 'lim@acme.test', 'correct horse 2');
        assert.match(s.setCookie, /; Secure$/);
        const codes = [];
        for (let i = 0; i < 4; i++) {
          const r = await api(lim, 'POST', '/api/v1/auth/login', {
            body: { email: 'lim@acme.test', password: 'correct horse 2' },
            headers: { 'x-forwarded-for': `203.0.113.${i}` },
          });
          codes.push(r.status);
          if (r.status === 429) {
            expectError(r, 429, 'rate_limited');
            assert.ok(Number(r.headers.get('retry-after')) >= 1);
          }
        }
        assert.deepEqual(codes, [200, 200, 429, 429]);
        // Other routes are not limited.
        assert.equal((await api(lim, 'GET', '/api/v1/auth/me', { session: s })).status, 200);
      } finally {
        await lim.stop();
      }
    });

    it('lets a publishable key create tickets only, from allowed origins', async () => {
      const pk = ws.publishable_key;
      assert.match(pk, /^pk_[0-9a-z]{32}$/);
      const body = { subject: 'Help from the widget', customer: { external_id: 'u-1' }, message: { text: 'broken' }, channel: 'video', context: { page_url: `${ORIGIN}/x` } };
      const ok = await api(srv, 'POST', '/api/v1/tickets', { key: pk, body, headers: { origin: ORIGIN } });
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      assert.equal(ok.headers.get('access-control-allow-origin'), ORIGIN);
      assert.match(ok.headers.get('vary'), /Origin/);
      assert.equal(ok.body.channel, 'video');
      const act = await api(srv, 'GET', `/api/v1/tickets/${ok.body.id}/activity`, { key: sk });
      assert.equal(act.body.data[0].actor_type, 'customer');
      const before = (await listAll(srv, '/api/v1/tickets', { key: sk })).length;
      for (const origin of ['https://evil.test', 'http://app.acme.test', `${ORIGIN}:8443`, 'null', `${ORIGIN}.evil.test`]) {
        const r = await api(srv, 'POST', '/api/v1/tickets', { key: pk, body, headers: { origin } });
        expectError(r, 403, 'forbidden');
        assert.equal(r.headers.get('access-control-allow-origin'), null, origin);
      }
      expectError(await api(srv, 'POST', '/api/v1/tickets', { key: pk, body }), 403, 'forbidden');
      // The widget may not set triage fields; its errors are readable by the page.
      for (const extra of [{ priority: 'urgent' }, { assignee_id: ws.admin.id }, { category: 'bug' }]) {
        const r = await api(srv, 'POST', '/api/v1/tickets', { key: pk, body: { ...body, ...extra }, headers: { origin: ORIGIN } });
        expectError(r, 422, 'invalid', Object.keys(extra)[0]);
        assert.equal(r.headers.get('access-control-allow-origin'), ORIGIN);
      }
      assert.equal((await listAll(srv, '/api/v1/tickets', { key: sk })).length, before);
      // Every other route refuses a publishable key, even from an allowed origin.
      const t = await createTicket(srv, sk);
      const ids = { tickets: t.id, customers: t.customer_id, agents: ws.admin.id, keys: 'key_00000000000000000000000000' };
      for (const r of routes().filter((x) => x.access !== 'PUB' && x.access !== 'WIDGET')) {
        const res = await api(srv, r.method, fill(r, ids), { key: pk, headers: { origin: ORIGIN }, body: r.isJson ? {} : undefined });
        expectError(res, 403, 'forbidden');
      }
      // A revoked publishable key is unknown.
      const k = await api(srv, 'POST', '/api/v1/keys', { key: sk, body: { kind: 'publishable', name: 'old widget' } });
      assert.match(k.body.key, /^pk_/);
      assert.equal((await api(srv, 'DELETE', `/api/v1/keys/${k.body.id}`, { key: sk })).status, 204);
      expectError(await api(srv, 'POST', '/api/v1/tickets', { key: k.body.key, body, headers: { origin: ORIGIN } }), 401, 'unauthorized');
    });

    it('answers CORS preflights for the widget route only', async () => {
      const pre = await fetch(srv.base + '/api/v1/tickets', {
        method: 'OPTIONS',
        headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
      });
      assert.equal(pre.status, 204);
      assert.equal(pre.headers.get('access-control-allow-origin'), ORIGIN);
      assert.match(pre.headers.get('access-control-allow-methods'), /POST/);
      assert.match(pre.headers.get('access-control-allow-headers'), /Authorization/);
      assert.match(pre.headers.get('access-control-allow-headers'), /Content-Type/);
      assert.equal(pre.headers.get('access-control-allow-credentials'), null, 'cookies never cross origins');
      for (const path of ['/api/v1/keys', '/api/v1/auth/login', '/api/v1/tickets/tkt_00000000000000000000000000', '/nowhere']) {
        const r = await fetch(srv.base + path, { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } });
        assert.equal(r.headers.get('access-control-allow-origin'), null, path);
      }
      // Reads with a session never answer CORS headers either.
      const r = await api(srv, 'GET', '/api/v1/tickets', { key: sk, headers: { origin: ORIGIN } });
      assert.equal(r.headers.get('access-control-allow-origin'), null);
    });

    it('rate-limits the widget per key and address', async () => {
      const w = workspace(srv, 'Widget', '--origin', ORIGIN);
      const codes = [];
      for (let i = 0; i < 7; i++) {
        const r = await api(srv, 'POST', '/api/v1/tickets', { key: w.publishable_key, body: { subject: `w${i}` }, headers: { origin: ORIGIN } });
        codes.push(r.status);
        if (r.status === 429) assert.ok(Number(r.headers.get('retry-after')) >= 1);
      }
      assert.deepEqual(codes, [201, 201, 201, 201, 201, 429, 429]);
      // Another key of the same workspace has its own budget; secret keys have none.
      const k2 = admin(srv, 'key', 'create', '--workspace', w.workspace.id, '--kind', 'publishable');
      assert.equal((await api(srv, 'POST', '/api/v1/tickets', { key: k2.key, body: { subject: 'k2' }, headers: { origin: ORIGIN } })).status, 201);
      assert.equal((await api(srv, 'POST', '/api/v1/tickets', { key: w.secret_key, body: { subject: 'sk' } })).status, 201);
    });

    it('creates, lists and revokes keys; a revoked key stops working', async () => {
      const c = await api(srv, 'POST', '/api/v1/keys', { key: sk, body: { kind: 'secret', name: 'ci' } });
      assert.equal(c.status, 201, JSON.stringify(c.body));
      assert.match(c.body.key, /^sk_[0-9a-z]{32}$/);
      assert.match(c.body.id, /^key_[0-9a-z]{26}$/);
      assert.equal(c.body.prefix, c.body.key.slice(0, 11));
      assert.equal(c.body.kind, 'secret');
      assert.equal(c.body.name, 'ci');
      assert.equal(c.body.revoked_at, null);
      assert.equal((await api(srv, 'GET', '/api/v1/tickets', { key: c.body.key })).status, 200);
      const list = await listAll(srv, '/api/v1/keys', { key: sk });
      const row = list.find((k) => k.id === c.body.id);
      assert.ok(row);
      assert.ok(row.last_used_at, 'using a key records when');
      assert.ok(list.every((k) => k.key === undefined && k.key_hash === undefined));
      assert.equal((await api(srv, 'DELETE', `/api/v1/keys/${c.body.id}`, { key: sk })).status, 204);
      expectError(await api(srv, 'GET', '/api/v1/tickets', { key: c.body.key }), 401, 'unauthorized');
      const after = (await listAll(srv, '/api/v1/keys', { key: sk })).find((k) => k.id === c.body.id);
      assert.ok(after.revoked_at);
      expectError(await api(srv, 'DELETE', `/api/v1/keys/${c.body.id}`, { key: sk }), 404, 'not_found');
      expectError(await api(srv, 'POST', '/api/v1/keys', { key: sk, body: { kind: 'root', name: 'x' } }), 422, 'invalid', 'kind');
      expectError(await api(srv, 'POST', '/api/v1/keys', { key: sk, body: { kind: 'secret' } }), 422, 'invalid', 'name');
      expectError(await api(srv, 'POST', '/api/v1/keys', { key: sk, body: { kind: 'secret', name: 'x'.repeat(101) } }), 422, 'invalid', 'name');
      // A key may revoke itself; the next call is refused.
      const self = await api(srv, 'POST', '/api/v1/keys', { key: sk, body: { kind: 'secret', name: 'self' } });
      assert.equal((await api(srv, 'DELETE', `/api/v1/keys/${self.body.id}`, { key: self.body.key })).status, 204);
      expectError(await api(srv, 'GET', '/api/v1/keys', { key: self.body.key }), 401);
    });

    it('applies the agent rules: roles, last admin, self-service, admin-only routes', async () => {
      const boss = await login(srv, 'boss@acme.test', 'correct horse 1');
      const made = await api(srv, 'POST', '/api/v1/agents', { session: boss, body: { email: 'Kim@Acme.test', name: 'Kim' } });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      assert.equal(made.body.role, 'agent');
      assert.equal(made.body.email, 'kim@acme.test');
      assert.match(made.body.password, /^[0-9a-z]{24}$/);
      assert.equal(made.body.password_hash, undefined);
      expectError(await api(srv, 'POST', '/api/v1/agents', { session: boss, body: { email: 'kim@acme.test', name: 'Kim 2' } }), 409, 'conflict');
      expectError(await api(srv, 'POST', '/api/v1/agents', { session: boss, body: { email: 'x@acme.test', name: 'X', password: 'short' } }), 422, 'invalid', 'password');
      expectError(await api(srv, 'POST', '/api/v1/agents', { session: boss, body: { email: 'x@acme.test', name: 'X', role: 'owner' } }), 422, 'invalid', 'role');
      const got = await api(srv, 'GET', `/api/v1/agents/${made.body.id}`, { key: sk });
      assert.equal(got.body.password, undefined);
      const kim = await login(srv, 'kim@acme.test', made.body.password);
      // An agent reads and works tickets, but every admin route is refused and changes nothing.
      const t = await createTicket(srv, sk);
      assert.equal((await api(srv, 'GET', '/api/v1/agents', { session: kim })).status, 200);
      assert.equal((await api(srv, 'PATCH', `/api/v1/tickets/${t.id}`, { session: kim, body: { status: 'open' } })).status, 200);
      const before = await snapshot(srv, sk);
      const ids = { tickets: t.id, customers: t.customer_id, agents: boss.agent.id, keys: before.keys[0].id };
      const adminRoutes = routes().filter((r) => r.access === 'ADMIN');
      assert.ok(adminRoutes.length >= 8);
      const bodies = { 'agents.create': { email: 'x@acme.test', name: 'X' }, 'keys.create': { kind: 'secret', name: 'x' }, 'workspace.update': { name: 'Mine' } };
      for (const r of adminRoutes) {
        const res = await api(srv, r.method, fill(r, ids), { session: kim, body: r.isJson ? bodies[r.name] ?? {} : undefined });
        expectError(res, 403, 'forbidden');
      }
      expectError(await api(srv, 'PATCH', `/api/v1/agents/${boss.agent.id}`, { session: kim, body: { name: 'Mutiny' } }), 403, 'forbidden');
      expectError(await api(srv, 'PATCH', `/api/v1/agents/${kim.agent.id}`, { session: kim, body: { role: 'admin' } }), 403, 'forbidden', 'role');
      assert.deepEqual(await snapshot(srv, sk), before);
      const renamed = await api(srv, 'PATCH', `/api/v1/agents/${kim.agent.id}`, { session: kim, body: { name: 'Kim Lee' } });
      assert.equal(renamed.status, 200);
      assert.equal(renamed.body.name, 'Kim Lee');
      assert.equal(renamed.body.role, 'agent');
      // The last admin can be neither demoted nor removed, by anyone.
      expectError(await api(srv, 'PATCH', `/api/v1/agents/${boss.agent.id}`, { session: boss, body: { role: 'agent' } }), 409, 'conflict', 'role');
      expectError(await api(srv, 'PATCH', `/api/v1/agents/${boss.agent.id}`, { key: sk, body: { role: 'agent' } }), 409, 'conflict', 'role');
      expectError(await api(srv, 'DELETE', `/api/v1/agents/${boss.agent.id}`, { session: boss }), 409, 'conflict');
      expectError(await api(srv, 'DELETE', `/api/v1/agents/${boss.agent.id}`, { key: sk }), 409, 'conflict');
      // With a second admin, the first may step down; nobody removes themselves.
      const promoted = await api(srv, 'PATCH', `/api/v1/agents/${kim.agent.id}`, { session: boss, body: { role: 'admin' } });
      assert.equal(promoted.body.role, 'admin');
      expectError(await api(srv, 'DELETE', `/api/v1/agents/${kim.agent.id}`, { session: kim }), 409, 'conflict', 'id');
      assert.equal((await api(srv, 'PATCH', `/api/v1/agents/${kim.agent.id}`, { key: sk, body: { role: 'agent' } })).status, 200);
      // A new password ends the agent's sessions.
      const pw = await api(srv, 'PATCH', `/api/v1/agents/${kim.agent.id}`, { session: boss, body: { password: 'another long pass' } });
      assert.equal(pw.status, 200);
      expectError(await api(srv, 'GET', '/api/v1/auth/me', { session: kim }), 401);
      expectError(await api(srv, 'POST', '/api/v1/auth/login', { body: { email: 'kim@acme.test', password: made.body.password } }), 401);
      const kim2 = await login(srv, 'kim@acme.test', 'another long pass');
      const list = await listAll(srv, '/api/v1/agents', { key: sk });
      assert.equal(list.length, 2);
      assert.ok(list.every((a) => a.password_hash === undefined && a.password === undefined));
      // Removing an agent ends their sessions and unassigns their tickets.
      await api(srv, 'PATCH', `/api/v1/tickets/${t.id}`, { key: sk, body: { assignee_id: kim.agent.id } });
      assert.equal((await api(srv, 'DELETE', `/api/v1/agents/${kim.agent.id}`, { session: boss })).status, 204);
      expectError(await api(srv, 'GET', '/api/v1/auth/me', { session: kim2 }), 401);
      expectError(await api(srv, 'GET', `/api/v1/agents/${kim.agent.id}`, { key: sk }), 404, 'not_found');
      assert.equal((await api(srv, 'GET', `/api/v1/tickets/${t.id}`, { key: sk })).body.assignee_id, null);
    });

    it('manages customers', async () => {
      const c = await api(srv, 'POST', '/api/v1/customers', { key: sk, body: { external_id: 'c-9', email: 'Zed@x.test', name: 'Zed' } });
      assert.equal(c.status, 201, JSON.stringify(c.body));
      assert.match(c.body.id, /^cus_[0-9a-z]{26}$/);
      assert.equal(c.body.email, 'zed@x.test');
      assert.equal(c.body.plan, null);
      assert.deepEqual((await api(srv, 'GET', `/api/v1/customers/${c.body.id}`, { key: sk })).body, c.body);
      assert.ok((await listAll(srv, '/api/v1/customers', { key: sk })).some((x) => x.id === c.body.id));
      expectError(await api(srv, 'POST', '/api/v1/customers', { key: sk, body: { external_id: 'c-9' } }), 409, 'conflict');
      expectError(await api(srv, 'POST', '/api/v1/customers', { key: sk, body: { email: 'ZED@x.test' } }), 409, 'conflict');
      expectError(await api(srv, 'POST', '/api/v1/customers', { key: sk, body: { name: 'nobody' } }), 422, 'invalid');
      expectError(await api(srv, 'POST', '/api/v1/customers', { key: sk, body: { email: 'not-an-email' } }), 422, 'invalid', 'email');
      const other = await api(srv, 'POST', '/api/v1/customers', { key: sk, body: { email: 'other@x.test' } });
      assert.equal(other.body.external_id, null);
      expectError(await api(srv, 'PATCH', `/api/v1/customers/${other.body.id}`, { key: sk, body: { email: 'zed@x.test' } }), 409, 'conflict');
      const u = await api(srv, 'PATCH', `/api/v1/customers/${c.body.id}`, { key: sk, body: { plan: 'enterprise', external_id: null } });
      assert.equal(u.status, 200);
      assert.equal(u.body.plan, 'enterprise');
      assert.equal(u.body.external_id, null);
      assert.equal(u.body.name, 'Zed');
      expectError(await api(srv, 'PATCH', `/api/v1/customers/${c.body.id}`, { key: sk, body: { email: null } }), 422, 'invalid');
      // Removing a customer keeps their tickets, without a customer.
      const t = await createTicket(srv, sk, { customer: { id: c.body.id } });
      assert.equal(t.customer_id, c.body.id);
      assert.equal((await api(srv, 'DELETE', `/api/v1/customers/${c.body.id}`, { key: sk })).status, 204);
      expectError(await api(srv, 'GET', `/api/v1/customers/${c.body.id}`, { key: sk }), 404, 'not_found');
      expectError(await api(srv, 'DELETE', `/api/v1/customers/${c.body.id}`, { key: sk }), 404, 'not_found');
      assert.equal((await api(srv, 'GET', `/api/v1/tickets/${t.id}`, { key: sk })).body.customer_id, null);
    });

    it('updates the workspace: name and allowed origins', async () => {
      const r = await api(srv, 'PATCH', '/api/v1/workspace', { key: sk, body: { allowed_origins: [ORIGIN, ORIGIN, 'http://localhost:3000'] } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body.allowed_origins, [ORIGIN, 'http://localhost:3000']);
      for (const bad of ['https://x.test/path', 'ftp://x.test', 'https://X.test', '*', 'https://']) {
        expectError(await api(srv, 'PATCH', '/api/v1/workspace', { key: sk, body: { allowed_origins: [ORIGIN, bad] } }), 422, 'invalid', 'allowed_origins[1]');
      }
      expectError(await api(srv, 'PATCH', '/api/v1/workspace', { key: sk, body: { allowed_origins: Array(51).fill(ORIGIN) } }), 422, 'invalid', 'allowed_origins');
      const g = await api(srv, 'GET', '/api/v1/workspace', { key: sk });
      assert.equal(g.body.name, 'Acme');
      assert.deepEqual(g.body.allowed_origins, [ORIGIN, 'http://localhost:3000']);
      // The new origin works for the widget at once.
      const w = await api(srv, 'POST', '/api/v1/tickets', { key: ws.publishable_key, body: { subject: 'local' }, headers: { origin: 'http://localhost:3000' } });
      assert.equal(w.status, 201);
      const n = await api(srv, 'PATCH', '/api/v1/workspace', { key: sk, body: { name: 'Acme Inc' } });
      assert.equal(n.body.name, 'Acme Inc');
      assert.deepEqual(n.body.allowed_origins, [ORIGIN, 'http://localhost:3000']);
    });
  });
}
