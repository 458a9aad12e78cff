// SPDX-License-Identifier: AGPL-3.0-or-later
// The isolation matrix: every route of src/api/routes.c that names an object,
// called with the credentials of one workspace (its secret key and its
// admin's session) on an object of another, answers 404 for every method and
// changes nothing; lists never show the other workspace's rows. Both
// directions, on both drivers.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, workspace, api, login, createTicket, expectError, drivers, routes, snapshot, listAll,
} from './lib/server.mjs';

/** Bodies that would change the object if the call got through. */
const BODIES = {
  'agents.update': { name: 'hijacked', role: 'agent', password: 'hijacked password' },
  'customers.update': { name: 'hijacked', email: 'hijacked@evil.test', plan: 'free' },
  'tickets.update': { subject: 'hijacked', status: 'closed', priority: 'low', assignee_id: null },
  'messages.create': { text: 'hijacked' },
};

/** A workspace with a bit of everything: tickets, customers, agents, keys, messages, a session. */
async function populate(srv, tag) {
  const w = workspace(srv, `WS ${tag}`, '--admin-email', `admin@${tag}.test`, '--admin-password', `password of ${tag}`);
  const key = w.secret_key;
  const t = await createTicket(srv, key, { subject: `${tag} ticket`, customer: { email: `c@${tag}.test`, name: tag } });
  const t2 = await createTicket(srv, key, { subject: `${tag} second`, customer: { external_id: `${tag}-ext` } });
  assert.equal((await api(srv, 'POST', `/api/v1/tickets/${t.id}/messages`, { key, body: { text: `${tag} reply` } })).status, 201);
  assert.equal((await api(srv, 'POST', `/api/v1/tickets/${t.id}/messages`, { key, body: { text: `${tag} note`, internal: true } })).status, 201);
  const agent = await api(srv, 'POST', '/api/v1/agents', { key, body: { email: `agent@${tag}.test`, name: `${tag} agent`, password: `agent pass ${tag}` } });
  assert.equal(agent.status, 201);
  assert.equal((await api(srv, 'PATCH', `/api/v1/tickets/${t2.id}`, { key, body: { assignee_id: agent.body.id, status: 'open' } })).status, 200);
  const k = await api(srv, 'POST', '/api/v1/keys', { key, body: { kind: 'secret', name: `${tag} second key` } });
  assert.equal(k.status, 201);
  const session = await login(srv, `admin@${tag}.test`, `password of ${tag}`);
  return {
    w, key, session,
    ids: { tickets: t.id, customers: t.customer_id, agents: agent.body.id, keys: k.body.id },
    allIds: [t.id, t2.id, t.customer_id, t2.customer_id, agent.body.id, w.admin.id, k.body.id, w.workspace.id],
    key2: k.body.key,
  };
}

for (const driver of drivers()) {
  describe(`isolation on ${driver}`, () => {
    let srv, A, B;
    before(async () => {
      srv = await startServer({ driver });
      A = await populate(srv, 'a');
      B = await populate(srv, 'b');
    });
    after(async () => { await srv.stop(); });

    for (const [from, to] of [['A', 'B'], ['B', 'A']]) {
      it(`answers 404 to ${from} for every route with an id of ${to}, and changes nothing`, async () => {
        const X = from === 'A' ? A : B;
        const Y = from === 'A' ? B : A;
        const withId = routes().filter((r) => r.path.includes('{id}'));
        assert.ok(withId.length >= 12, `only ${withId.length} routes with an id`);
        const before = await snapshot(srv, Y.key);
        let calls = 0;
        for (const r of withId) {
          const kind = r.path.split('/')[3];
          const id = Y.ids[kind];
          assert.ok(id, `no object of the other workspace for ${r.path}`);
          const path = r.path.replace('{id}', id);
          const body = r.isJson ? (BODIES[r.name] ?? {}) : undefined;
          for (const cred of [{ key: X.key }, { session: X.session }]) {
            const res = await api(srv, r.method, path, { ...cred, body });
            expectError(res, 404, 'not_found');
            // The answer is the one for an id that does not exist at all.
            const none = await api(srv, r.method, r.path.replace('{id}', id.replace(/_.*/, '_00000000000000000000000000')), { ...cred, body });
            assert.equal(none.status, 404, `${r.method} ${r.path}`);
            assert.equal(none.body.error.code, res.body.error.code);
            calls++;
          }
        }
        assert.equal(calls, withId.length * 2);
        assert.deepEqual(await snapshot(srv, Y.key), before);
        // Y's keys and sessions still work.
        assert.equal((await api(srv, 'GET', '/api/v1/tickets', { key: Y.key2 })).status, 200);
        assert.equal((await api(srv, 'GET', '/api/v1/auth/me', { session: Y.session })).status, 200);
      });

      it(`never lists rows of ${to} to ${from}`, async () => {
        const X = from === 'A' ? A : B;
        const Y = from === 'A' ? B : A;
        for (const cred of [{ key: X.key }, { session: X.session }]) {
          const seen = [];
          for (const list of ['tickets', 'customers', 'agents', 'keys']) {
            seen.push(...await listAll(srv, `/api/v1/${list}`, cred));
          }
          for (const t of await listAll(srv, '/api/v1/tickets', cred)) {
            seen.push(...await listAll(srv, `/api/v1/tickets/${t.id}/messages`, cred));
            seen.push(...await listAll(srv, `/api/v1/tickets/${t.id}/activity`, cred));
          }
          const text = JSON.stringify(seen);
          for (const id of Y.allIds) assert.ok(!text.includes(id), `a list shows ${id} of the other workspace`);
          assert.ok(!text.includes(`@${to.toLowerCase()}.test`), 'a list shows an email of the other workspace');
          // Filters naming the other workspace's objects find nothing.
          assert.equal((await listAll(srv, `/api/v1/tickets?customer=${Y.ids.customers}`, cred)).length, 0);
          assert.equal((await listAll(srv, `/api/v1/tickets?assignee=${Y.ids.agents}`, cred)).length, 0);
          const ws = await api(srv, 'GET', '/api/v1/workspace', cred);
          assert.equal(ws.body.id, X.w.workspace.id);
          const me = await api(srv, 'GET', '/api/v1/auth/me', cred);
          assert.equal(me.body.workspace.id, X.w.workspace.id);
        }
      });

      it(`refuses references to ${to}'s objects inside ${from}'s bodies`, async () => {
        const X = from === 'A' ? A : B;
        const Y = from === 'A' ? B : A;
        const before = await snapshot(srv, Y.key);
        const mine = await createTicket(srv, X.key, { customer: { email: `new@${from.toLowerCase()}.test` } });
        expectError(await api(srv, 'POST', '/api/v1/tickets', { key: X.key, body: { subject: 'x', customer: { id: Y.ids.customers } } }), 422, 'invalid', 'customer.id');
        expectError(await api(srv, 'POST', '/api/v1/tickets', { key: X.key, body: { subject: 'x', assignee_id: Y.ids.agents } }), 422, 'invalid', 'assignee_id');
        expectError(await api(srv, 'PATCH', `/api/v1/tickets/${mine.id}`, { key: X.key, body: { assignee_id: Y.ids.agents } }), 422, 'invalid', 'assignee_id');
        expectError(await api(srv, 'POST', `/api/v1/tickets/${mine.id}/messages`, { key: X.key, body: { text: 'x', author: 'agent', author_id: Y.ids.agents } }), 422, 'invalid', 'author_id');
        // The same email in two workspaces is two customers.
        const same = await createTicket(srv, X.key, { customer: { email: `c@${to.toLowerCase()}.test` } });
        assert.notEqual(same.customer_id, Y.ids.customers);
        // Y's admin password does not open X, whatever workspace_id says.
        expectError(await api(srv, 'POST', '/api/v1/auth/login', {
          body: { email: `admin@${to.toLowerCase()}.test`, password: `password of ${to.toLowerCase()}`, workspace_id: X.w.workspace.id },
        }), 401);
        assert.deepEqual(await snapshot(srv, Y.key), before);
      });
    }
  });
}
