// SPDX-License-Identifier: AGPL-3.0-or-later
// The isolation matrix: every route that names an object, called with the
// credentials of workspace A on an object of workspace B, answers 404 and
// changes nothing; lists never show B's rows. On both drivers.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, workspace, api, login, createTicket, expectError, drivers, ROOT } from './lib/server.mjs';

/** (method, pattern) of every route in src/api/routes.c. */
function routes() {
  const src = readFileSync(join(ROOT, 'src/api/routes.c'), 'utf8');
  return [...src.matchAll(/\{"(GET|POST|PATCH|PUT|DELETE)", "([^"]+)"/g)].map((m) => ({ method: m[1], path: m[2] }));
}

const BODIES = {
  '/api/v1/agents/{id}': { name: 'hijacked' },
  '/api/v1/customers/{id}': { name: 'hijacked' },
  '/api/v1/tickets/{id}': { subject: 'hijacked', status: 'closed' },
  '/api/v1/tickets/{id}/messages': { text: 'hijacked' },
};

for (const driver of drivers()) {
  describe(`isolation on ${driver}`, () => {
    let srv, A, B, objB, sessionA;
    before(async () => {
      srv = await startServer({ driver });
      A = workspace(srv, 'A', '--admin-email', 'a@a.test', '--admin-password', 'password for a');
      B = workspace(srv, 'B', '--admin-email', 'b@b.test', '--admin-password', 'password for b');
      sessionA = await login(srv, 'a@a.test', 'password for a');
      const t = await createTicket(srv, B.secret_key, { customer: { email: 'cb@b.test' } });
      await api(srv, 'POST', `/api/v1/tickets/${t.id}/messages`, { key: B.secret_key, body: { text: 'b only' } });
      const agent = await api(srv, 'POST', '/api/v1/agents', { key: B.secret_key, body: { email: 'agent@b.test', name: 'B agent' } });
      const key = await api(srv, 'POST', '/api/v1/keys', { key: B.secret_key, body: { kind: 'secret', name: 'b2' } });
      objB = { tickets: t.id, customers: t.customer_id, agents: agent.body.id, keys: key.body.id, bKey2: key.body.key };
      await createTicket(srv, A.secret_key, { subject: 'a ticket' });
    });
    after(async () => { await srv.stop(); });

    it('answers 404 for every route with an id of another workspace, and changes nothing', async () => {
      const withId = routes().filter((r) => r.path.includes('{id}'));
      assert.ok(withId.length >= 12, `only ${withId.length} routes with an id`);
      const before = {};
      for (const [kind, id] of Object.entries(objB)) {
        if (kind === 'bKey2' || kind === 'keys') continue;
        before[kind] = (await api(srv, 'GET', `/api/v1/${kind}/${id}`, { key: B.secret_key })).body;
      }
      let calls = 0;
      for (const r of withId) {
        const kind = r.path.split('/')[3];
        const id = objB[kind];
        assert.ok(id, `no object of workspace B for ${r.path}`);
        const path = r.path.replace('{id}', id);
        const body = ['POST', 'PATCH', 'PUT'].includes(r.method) ? (BODIES[r.path] ?? {}) : undefined;
        for (const cred of [{ key: A.secret_key }, { session: sessionA }]) {
          const res = await api(srv, r.method, path, { ...cred, body });
          expectError(res, 404, 'not_found');
          calls++;
        }
      }
      assert.ok(calls >= 24);
      // B's objects are exactly as they were, and B's second key still works.
      for (const [kind, was] of Object.entries(before)) {
        const now = await api(srv, 'GET', `/api/v1/${kind}/${objB[kind]}`, { key: B.secret_key });
        assert.equal(now.status, 200);
        assert.deepEqual(now.body, was, kind);
      }
      const msgs = await api(srv, 'GET', `/api/v1/tickets/${objB.tickets}/messages`, { key: B.secret_key });
      assert.deepEqual(msgs.body.data.map((m) => m.text), ['The spinner never stops', 'b only']);
      assert.equal((await api(srv, 'GET', '/api/v1/tickets', { key: objB.bKey2 })).status, 200);
    });

    it('never lists rows of another workspace', async () => {
      for (const list of ['tickets', 'customers', 'agents', 'keys']) {
        const r = await api(srv, 'GET', `/api/v1/${list}?limit=100`, { key: A.secret_key });
        assert.equal(r.status, 200, list);
        const ids = JSON.stringify(r.body.data);
        for (const id of Object.values(objB)) assert.ok(!ids.includes(id), `${list} shows ${id}`);
      }
      const t = await api(srv, 'GET', `/api/v1/tickets?customer=${objB.customers}`, { key: A.secret_key });
      assert.equal(t.body.data.length, 0);
      const ws = await api(srv, 'GET', '/api/v1/workspace', { key: A.secret_key });
      assert.equal(ws.body.id, A.workspace.id);
    });

    it('refuses references to another workspace inside bodies', async () => {
      expectError(await api(srv, 'POST', '/api/v1/tickets', { key: A.secret_key, body: { subject: 'x', customer: { id: objB.customers } } }), 422, 'invalid', 'customer.id');
      expectError(await api(srv, 'POST', '/api/v1/tickets', { key: A.secret_key, body: { subject: 'x', assignee_id: objB.agents } }), 422, 'invalid', 'assignee_id');
      const mine = await createTicket(srv, A.secret_key);
      expectError(await api(srv, 'PATCH', `/api/v1/tickets/${mine.id}`, { key: A.secret_key, body: { assignee_id: objB.agents } }), 422, 'invalid', 'assignee_id');
      expectError(await api(srv, 'POST', `/api/v1/tickets/${mine.id}/messages`, { key: A.secret_key, body: { text: 'x', author: 'agent', author_id: objB.agents } }), 422, 'invalid', 'author_id');
      expectError(await api(srv, 'POST', '/api/v1/auth/login', { body: { email: 'a@a.test', password: 'password for a', workspace_id: B.workspace.id } }), 401);
    });
  });
}
