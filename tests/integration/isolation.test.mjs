// SPDX-License-Identifier: AGPL-3.0-or-later
// The isolation matrix: every route of src/api/routes.c that names an object,
// called with the credentials of one workspace (its secret key and its
// admin's session) on an object of another, answers 404 for every method and
// changes nothing; lists never show the other workspace's rows. Both
// directions, on both drivers. Uploads (tus) are asked as tus-js-client
// would: with Tus-Resumable, and for the streaming routes with Upload-Offset
// and an application/offset+octet-stream body. Public routes with an id
// answer the same for the other workspace's id as for one that does not exist.
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
  'tickets.deflection': { solved: true },
  'kb.update': { title: 'hijacked', status: 'draft' },
};

const TUS = { 'tus-resumable': '1.0.0' };

/** A workspace with a bit of everything: tickets, customers, agents, keys, messages, a session, an upload. */
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
  const art = await api(srv, 'POST', '/api/v1/kb/articles', {
    key, body: { title: `Article of ${tag}`, body: `How to export in ${tag}`, tags: [tag] },
  });
  assert.equal(art.status, 201, JSON.stringify(art.body));
  // An upload half done (100 of 1000 bytes), so a PATCH that got through would move it.
  const up = await api(srv, 'POST', '/api/v1/uploads', {
    key, headers: { ...TUS, 'upload-length': '1000', 'upload-metadata': `filename ${Buffer.from(`${tag}.webm`).toString('base64')}` },
  });
  assert.equal(up.status, 201, JSON.stringify(up.body));
  const media = up.headers.get('location').split('/').pop();
  const first = await api(srv, 'PATCH', `/api/v1/uploads/${media}`, {
    key, raw: Buffer.alloc(100, 7), headers: { ...TUS, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
  });
  assert.equal(first.status, 204, JSON.stringify(first.body));
  return {
    w, key, session,
    ids: { tickets: t.id, customers: t.customer_id, agents: agent.body.id, keys: k.body.id, uploads: media, media, kb: art.body.id },
    allIds: [t.id, t2.id, t.customer_id, t2.customer_id, agent.body.id, w.admin.id, k.body.id, w.workspace.id, media, art.body.id],
    key2: k.body.key,
  };
}

/** What the workspace of @Y holds, its upload included (as GET and HEAD show it). */
async function everything(srv, Y) {
  const id = Y.ids.uploads;
  const up = await api(srv, 'GET', `/api/v1/uploads/${id}`, { key: Y.key });
  assert.equal(up.status, 200, JSON.stringify(up.body));
  const head = await api(srv, 'HEAD', `/api/v1/uploads/${id}`, { key: Y.key });
  assert.equal(head.status, 200);
  const tus = Object.fromEntries(['upload-offset', 'upload-length', 'upload-metadata', 'upload-expires'].map((h) => [h, head.headers.get(h)]));
  return { ...(await snapshot(srv, Y.key)), upload: up.body, tus, media: (await api(srv, 'GET', `/api/v1/media/${id}`, { key: Y.key })).body };
}

/** The request options that make @r (a route of routes()) reach its handler's lookup of the id. */
function shaped(r) {
  if (r.isStream) {
    // A tus PATCH at the upload's real offset, with a body.
    return { raw: Buffer.alloc(100, 9), headers: { ...TUS, 'upload-offset': '100', 'content-type': 'application/offset+octet-stream' } };
  }
  const o = { body: r.isJson ? (BODIES[r.name] ?? {}) : undefined };
  if (r.path.startsWith('/api/v1/uploads/')) o.headers = TUS;
  return o;
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
        // Public routes take no credentials, so they have no workspace to
        // keep apart (see the test below); the others all must answer 404.
        const withId = routes().filter((r) => r.path.includes('{id}') && r.access !== 'PUB');
        assert.ok(withId.length >= 17, `only ${withId.length} routes with an id`);
        for (const name of ['uploads.head', 'uploads.patch', 'uploads.delete', 'media.get']) {
          assert.ok(withId.some((r) => r.name === name), `${name} is not in the matrix`);
        }
        const before = await everything(srv, Y);
        let calls = 0;
        for (const r of withId) {
          const kind = r.path.split('/')[3];
          const id = Y.ids[kind];
          assert.ok(id, `no object of the other workspace for ${r.path}`);
          const path = r.path.replace('{id}', id);
          const none = id.replace(/_.*/, '_00000000000000000000000000');
          for (const cred of [{ key: X.key }, { session: X.session }]) {
            const res = await api(srv, r.method, path, { ...cred, ...shaped(r) });
            expectError(res, 404, 'not_found');
            // The answer is the one for an id that does not exist at all.
            const other = await api(srv, r.method, r.path.replace('{id}', none), { ...cred, ...shaped(r) });
            assert.equal(other.status, 404, `${r.method} ${r.path}`);
            assert.equal(other.body.error.code, res.body.error.code);
            calls++;
          }
          if (r.method === 'GET') {
            // HEAD answers like GET: 404, and no header of the object.
            const h = await api(srv, 'HEAD', path, { key: X.key });
            assert.equal(h.status, 404, `HEAD ${r.path}`);
            assert.equal(h.headers.get('upload-offset'), null);
            assert.equal(h.headers.get('upload-length'), null);
          }
        }
        assert.equal(calls, withId.length * 2);
        assert.deepEqual(await everything(srv, Y), before);
        // The same tus PATCH from Y itself goes through: the 404s were not a malformed request.
        const patch = withId.find((r) => r.isStream);
        const own = await api(srv, patch.method, patch.path.replace('{id}', Y.ids.uploads), { key: Y.key, ...shaped(patch) });
        assert.equal(own.status, 204, JSON.stringify(own.body));
        assert.equal(own.headers.get('upload-offset'), '200');
        // Y's keys and sessions still work.
        assert.equal((await api(srv, 'GET', '/api/v1/tickets', { key: Y.key2 })).status, 200);
        assert.equal((await api(srv, 'GET', '/api/v1/auth/me', { session: Y.session })).status, 200);
      });

      it(`answers public routes with an id of ${to} as for an id that does not exist`, async () => {
        const Y = from === 'A' ? B : A;
        const X = from === 'A' ? A : B;
        const pub = routes().filter((r) => r.path.includes('{id}') && r.access === 'PUB');
        assert.ok(pub.length >= 2, pub.map((r) => r.name).join());
        const before = await everything(srv, Y);
        for (const r of pub) {
          const kind = r.path.split('/')[1] === 'media' ? 'media' : r.path.split('/')[3];
          const id = Y.ids[kind];
          assert.ok(id, `no object of the other workspace for ${r.path}`);
          const fill = (i) => r.path.replace('{id}', i).replace('{file}', 'video.mp4');
          for (const cred of [{}, { key: X.key }]) {
            const o = { ...cred, headers: { origin: 'https://x.test', 'access-control-request-method': 'PATCH' } };
            const res = await api(srv, r.method, fill(id), o);
            const none = await api(srv, r.method, fill(id.replace(/_.*/, '_00000000000000000000000000')), o);
            assert.equal(res.status, none.status, `${r.method} ${r.path}`);
            assert.deepEqual(res.body, none.body, `${r.method} ${r.path}`);
            for (const h of ['upload-offset', 'upload-length', 'upload-metadata', 'upload-expires']) {
              assert.equal(res.headers.get(h), null, `${r.method} ${r.path} shows ${h}`);
            }
          }
        }
        assert.deepEqual(await everything(srv, Y), before);
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
        const before = await everything(srv, Y);
        const mine = await createTicket(srv, X.key, { customer: { email: `new@${from.toLowerCase()}.test` } });
        expectError(await api(srv, 'POST', '/api/v1/tickets', { key: X.key, body: { subject: 'x', customer: { id: Y.ids.customers } } }), 422, 'invalid', 'customer.id');
        expectError(await api(srv, 'POST', '/api/v1/tickets', { key: X.key, body: { subject: 'x', assignee_id: Y.ids.agents } }), 422, 'invalid', 'assignee_id');
        expectError(await api(srv, 'PATCH', `/api/v1/tickets/${mine.id}`, { key: X.key, body: { assignee_id: Y.ids.agents } }), 422, 'invalid', 'assignee_id');
        expectError(await api(srv, 'POST', `/api/v1/tickets/${mine.id}/messages`, { key: X.key, body: { text: 'x', author: 'agent', author_id: Y.ids.agents } }), 422, 'invalid', 'author_id');
        // Y's upload cannot be attached to X's message.
        expectError(await api(srv, 'POST', `/api/v1/tickets/${mine.id}/messages`, { key: X.key, body: { text: 'x', media_ids: [Y.ids.media] } }), 422, 'invalid', 'media_ids[0]');
        // The same email in two workspaces is two customers.
        const same = await createTicket(srv, X.key, { customer: { email: `c@${to.toLowerCase()}.test` } });
        assert.notEqual(same.customer_id, Y.ids.customers);
        // Y's admin password does not open X, whatever workspace_id says.
        expectError(await api(srv, 'POST', '/api/v1/auth/login', {
          body: { email: `admin@${to.toLowerCase()}.test`, password: `password of ${to.toLowerCase()}`, workspace_id: X.w.workspace.id },
        }), 401);
        assert.deepEqual(await everything(srv, Y), before);
      });
    }
  });
}
