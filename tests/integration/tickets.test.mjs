// SPDX-License-Identifier: AGPL-3.0-or-later
// Tickets, their thread and their activity, over HTTP, on both store drivers.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, workspace, api, login, createTicket, expectError, drivers, listAll, until,
} from './lib/server.mjs';

for (const driver of drivers()) {
  describe(`tickets on ${driver}`, () => {
    let srv, ws, sk, agentId;
    before(async () => {
      srv = await startServer({ driver });
      ws = workspace(srv, 'Acme', '--admin-email', 'boss@acme.test', '--admin-password', 'correct horse 1');
      sk = ws.secret_key;
      agentId = ws.admin.id;
    });
    after(async () => { await srv.stop(); });

    it('creates a ticket with the documented contract and reads it back', async () => {
      const context = {
        page_url: 'https://app.example.com/reports?tab=2', user_agent: 'Mozilla/5.0 (X11; Linux x86_64)',
        account_plan: 'pro', console_errors: ['TypeError: x is undefined', 'at render (app.js:10:3)'],
      };
      const r = await api(srv, 'POST', '/api/v1/tickets', {
        key: sk,
        body: {
          subject: 'Export to CSV fails',
          customer: { email: 'Ana@Example.com', name: 'Ana', plan: 'pro' },
          message: { text: 'The spinner never stops.\nSecond line.' },
          context,
        },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const t = r.body;
      assert.match(t.id, /^tkt_[0-9a-z]{26}$/);
      assert.equal(r.headers.get('location'), `/api/v1/tickets/${t.id}`);
      assert.equal(t.subject, 'Export to CSV fails');
      assert.equal(t.status, 'new');
      assert.equal(t.channel, 'text');
      assert.equal(t.priority, 'normal');
      for (const k of ['assignee_id', 'first_response_at', 'resolved_at']) assert.equal(t[k], null, k);
      // Triage ran: each field has the models' value and confidence, and is
      // set on the ticket unless it is left for review.
      for (const k of ['category', 'urgency', 'product_area', 'sentiment']) {
        const v = t.triage[k];
        assert.equal(typeof v.value, 'string', k);
        assert.ok(v.confidence > 0 && v.confidence <= 1, k);
        assert.equal(t[k], v.review ? null : v.value, k);
      }
      assert.equal(t.triage.model, 'default');
      assert.equal(typeof t.title, 'string');
      assert.equal(typeof t.summary, 'string');
      assert.deepEqual(t.kb_matches, []);
      assert.equal(t.deflection, null);
      assert.equal(t.kb_article, null);
      delete t.kb_article;
      assert.deepEqual(t.context, context);
      assert.match(t.customer_id, /^cus_[0-9a-z]{26}$/);
      assert.match(t.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(t.updated_at, t.created_at);
      const g = await api(srv, 'GET', `/api/v1/tickets/${t.id}`, { key: sk });
      assert.equal(g.status, 200);
      assert.deepEqual(g.body, t);
      // The customer was created, with the email lowercased, and is found again.
      const c = await api(srv, 'GET', `/api/v1/customers/${t.customer_id}`, { key: sk });
      assert.equal(c.body.email, 'ana@example.com');
      assert.equal(c.body.name, 'Ana');
      assert.equal(c.body.plan, 'pro');
      const t2 = await createTicket(srv, sk, { customer: { email: 'ANA@example.com' } });
      assert.equal(t2.customer_id, t.customer_id);
      const msgs = await api(srv, 'GET', `/api/v1/tickets/${t.id}/messages`, { key: sk });
      assert.equal(msgs.body.data.length, 1);
      const m = msgs.body.data[0];
      assert.equal(m.ticket_id, t.id);
      assert.equal(m.author_type, 'customer');
      assert.equal(m.author_id, t.customer_id);
      assert.equal(m.text, 'The spinner never stops.\nSecond line.');
      assert.equal(m.internal, false);
      // A ticket needs no customer and no message.
      const bare = await createTicket(srv, sk, { customer: undefined, message: undefined, subject: 'bare' });
      assert.equal(bare.customer_id, null);
      assert.deepEqual(bare.context, {});
      assert.equal((await api(srv, 'GET', `/api/v1/tickets/${bare.id}/messages`, { key: sk })).body.data.length, 0);
    });

    it('lists with filters, sorts and cursor pagination without duplicates', async () => {
      const fresh = workspace(srv, 'Lists');
      const key = fresh.secret_key;
      const tickets = [];
      for (let i = 0; i < 7; i++) {
        tickets.push(await createTicket(srv, key, {
          subject: `t${i}`, channel: i % 2 ? 'video' : 'text',
          category: i < 3 ? 'bug' : 'billing', urgency: i === 0 ? 'critical' : 'medium',
          customer: { email: i < 2 ? 'one@x.test' : 'two@x.test' },
          ...(i === 1 ? { assignee_id: fresh.admin.id } : {}),
        }));
      }
      const ids = tickets.map((t) => t.id);
      const walk = async (query) => {
        const seen = [];
        let cursor = null;
        let pages = 0;
        do {
          const q = `/api/v1/tickets?limit=3&${query}${cursor ? `&cursor=${cursor}` : ''}`;
          const r = await api(srv, 'GET', q, { key });
          assert.equal(r.status, 200, JSON.stringify(r.body));
          assert.ok(r.body.data.length <= 3);
          seen.push(...r.body.data.map((t) => t.id));
          cursor = r.body.next_cursor;
          pages++;
        } while (cursor && pages < 10);
        return { seen, pages };
      };
      for (const sort of ['-created_at', 'created_at', '-updated_at', 'updated_at']) {
        const { seen, pages } = await walk(`sort=${sort}`);
        assert.equal(pages, 3, sort);
        assert.equal(new Set(seen).size, 7, sort);
        assert.deepEqual(seen, sort.startsWith('-') ? [...ids].reverse() : ids, sort);
      }
      // The default order is newest first.
      assert.deepEqual((await walk('')).seen, [...ids].reverse());
      // Filters combine with pagination.
      const text = await walk('channel=text&sort=created_at');
      assert.deepEqual(text.seen, [ids[0], ids[2], ids[4], ids[6]]);
      assert.equal(text.pages, 2);
      const count = async (q) => (await listAll(srv, `/api/v1/tickets?${q}`, { key })).length;
      assert.equal(await count('category=bug'), 3);
      assert.equal(await count('category=billing'), 4);
      assert.equal(await count('channel=video'), 3);
      assert.equal(await count('urgency=critical'), 1);
      assert.equal(await count(`assignee=${fresh.admin.id}`), 1);
      assert.equal(await count('assignee=none'), 6);
      assert.equal(await count(`customer=${tickets[0].customer_id}`), 2);
      assert.equal(await count(`customer=${tickets[6].customer_id}&category=bug`), 1);
      assert.equal(await count('status=new'), 7);
      assert.equal(await count('status=open&category=bug'), 0);
      // An update moves a ticket to the top of -updated_at (once the clock has moved on).
      await until(() => Date.now() > Date.parse(tickets[6].updated_at) + 1, 1000, 'clock tick');
      const p = await api(srv, 'PATCH', `/api/v1/tickets/${ids[0]}`, { key, body: { status: 'open' } });
      assert.equal(p.status, 200);
      assert.ok(p.body.updated_at > tickets[6].updated_at);
      const top = await api(srv, 'GET', '/api/v1/tickets?sort=-updated_at&limit=1', { key });
      assert.equal(top.body.data[0].id, ids[0]);
      assert.equal(await count('status=open'), 1);
      assert.equal(await count('status=new'), 6);
      // A cursor made for one sort is refused for another; bad arguments name themselves.
      const r = await api(srv, 'GET', '/api/v1/tickets?limit=2', { key });
      expectError(await api(srv, 'GET', `/api/v1/tickets?sort=created_at&cursor=${r.body.next_cursor}`, { key }), 422, 'invalid', 'cursor');
      expectError(await api(srv, 'GET', '/api/v1/tickets?cursor=garbage!!', { key }), 422, 'invalid', 'cursor');
      expectError(await api(srv, 'GET', '/api/v1/tickets?status=weird', { key }), 422, 'invalid', 'status');
      expectError(await api(srv, 'GET', '/api/v1/tickets?category=Bug', { key }), 422, 'invalid', 'category');
      expectError(await api(srv, 'GET', '/api/v1/tickets?urgency=meh', { key }), 422, 'invalid', 'urgency');
      expectError(await api(srv, 'GET', '/api/v1/tickets?channel=fax', { key }), 422, 'invalid', 'channel');
      expectError(await api(srv, 'GET', '/api/v1/tickets?limit=0', { key }), 422, 'invalid', 'limit');
      expectError(await api(srv, 'GET', '/api/v1/tickets?limit=101', { key }), 422, 'invalid', 'limit');
      expectError(await api(srv, 'GET', '/api/v1/tickets?limit=2x', { key }), 422, 'invalid', 'limit');
      expectError(await api(srv, 'GET', '/api/v1/tickets?sort=subject', { key }), 422, 'invalid', 'sort');
      expectError(await api(srv, 'GET', `/api/v1/tickets?assignee=${'a'.repeat(101)}`, { key }), 422, 'invalid', 'assignee');
    });

    it('moves through the status machine and records activity', async () => {
      const t = await createTicket(srv, sk);
      const patch = (body) => api(srv, 'PATCH', `/api/v1/tickets/${t.id}`, { key: sk, body });
      let r = await patch({ status: 'open' });
      assert.equal(r.status, 200);
      assert.equal(r.body.status, 'open');
      r = await patch({ status: 'pending' });
      assert.equal(r.body.status, 'pending');
      r = await patch({ status: 'resolved' });
      assert.ok(r.body.resolved_at);
      r = await patch({ status: 'resolved' });
      assert.equal(r.status, 200, 'the same status again is no move');
      r = await patch({ status: 'open' });
      assert.equal(r.body.resolved_at, null);
      expectError(await patch({ status: 'new' }), 409, 'conflict', 'status');
      r = await patch({ status: 'closed' });
      assert.equal(r.body.status, 'closed');
      for (const s of ['open', 'new', 'pending', 'resolved']) {
        expectError(await patch({ status: s }), 409, 'conflict', 'status');
      }
      assert.equal((await api(srv, 'GET', `/api/v1/tickets/${t.id}`, { key: sk })).body.status, 'closed');
      r = await patch({ priority: 'urgent', category: 'bug', urgency: 'high', sentiment: 'frustrated',
        product_area: 'exports', assignee_id: agentId, subject: 'New subject' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.assignee_id, agentId);
      assert.equal(r.body.subject, 'New subject');
      assert.equal(r.body.product_area, 'exports');
      r = await patch({ assignee_id: null, category: null, product_area: null });
      assert.equal(r.body.assignee_id, null);
      assert.equal(r.body.category, null);
      assert.equal(r.body.product_area, null);
      assert.equal(r.body.priority, 'urgent', 'fields left out stay');
      expectError(await patch({ assignee_id: 'agt_00000000000000000000000000' }), 422, 'invalid', 'assignee_id');
      expectError(await patch({ priority: null }), 422, 'invalid', 'priority');
      expectError(await patch({ subject: null }), 422, 'invalid', 'subject');
      const act = await listAll(srv, `/api/v1/tickets/${t.id}/activity`, { key: sk });
      const actions = act.map((a) => a.action);
      assert.equal(actions[0], 'created');
      assert.deepEqual(act[0].detail, { channel: 'text', status: 'new' });
      assert.equal(actions.filter((a) => a === 'status_changed').length, 5);
      assert.deepEqual(act.filter((a) => a.action === 'status_changed').map((a) => [a.detail.from, a.detail.to]),
        [['new', 'open'], ['open', 'pending'], ['pending', 'resolved'], ['resolved', 'open'], ['open', 'closed']]);
      assert.deepEqual(act.filter((a) => a.action === 'assigned').map((a) => a.detail),
        [{ from: null, to: agentId }, { from: agentId, to: null }]);
      const updates = act.filter((a) => a.action === 'updated');
      assert.equal(updates.length, 2);
      assert.deepEqual(updates[0].detail.subject, { from: 'Export fails', to: 'New subject' });
      assert.deepEqual(updates[1].detail.category, { from: 'bug', to: null });
      for (const a of act) {
        assert.equal(a.ticket_id, t.id);
        assert.equal(a.actor_type, 'api_key');
        assert.match(a.actor_id, /^key_/);
      }
    });

    it('keeps a thread: public replies, internal notes, first response, reopening', async () => {
      const t = await createTicket(srv, sk);
      const s = await login(srv, 'boss@acme.test', 'correct horse 1');
      const post = (auth, body) => api(srv, 'POST', `/api/v1/tickets/${t.id}/messages`, { ...auth, body });
      const get = async () => (await api(srv, 'GET', `/api/v1/tickets/${t.id}`, { key: sk })).body;
      const note = await post({ session: s }, { text: 'check logs', internal: true });
      assert.equal(note.status, 201, JSON.stringify(note.body));
      assert.equal(note.body.internal, true);
      assert.deepEqual(note.body.attachments, []);
      const sys = await post({ key: sk }, { text: 'Auto-acknowledged', author: 'system' });
      assert.equal(sys.status, 201);
      assert.equal(sys.body.author_type, 'system');
      let g = await get();
      assert.equal(g.first_response_at, null, 'internal notes and system messages are no response');
      assert.equal(g.status, 'new');
      const reply = await post({ session: s }, { text: 'Fixed in 2.3' });
      assert.equal(reply.body.author_type, 'agent');
      assert.equal(reply.body.author_id, s.agent.id);
      g = await get();
      assert.equal(g.first_response_at, reply.body.created_at);
      assert.equal(g.status, 'open');
      const again = await post({ key: sk }, { text: 'One more thing', author_id: agentId });
      assert.equal(again.body.author_id, agentId);
      assert.equal((await get()).first_response_at, reply.body.created_at, 'only the first reply counts');
      // A customer writing back reopens a pending or resolved ticket.
      for (const waiting of ['pending', 'resolved']) {
        assert.equal((await api(srv, 'PATCH', `/api/v1/tickets/${t.id}`, { key: sk, body: { status: waiting } })).status, 200);
        const back = await post({ key: sk }, { text: `still broken (${waiting})`, author: 'customer' });
        assert.equal(back.status, 201);
        assert.equal(back.body.author_id, t.customer_id);
        g = await get();
        assert.equal(g.status, 'open', waiting);
        assert.equal(g.resolved_at, null);
      }
      expectError(await post({ key: sk }, { text: 'x', author: 'customer', internal: true }), 422, 'invalid', 'internal');
      expectError(await post({ key: sk }, { text: 'x', author: 'customer', author_id: agentId }), 422, 'invalid', 'author_id');
      expectError(await post({ key: sk }, { text: 'x', author_id: 'agt_00000000000000000000000000' }), 422, 'invalid', 'author_id');
      expectError(await post({ session: s }, { text: 'x', author: 'customer' }), 422, 'invalid', 'author');
      expectError(await post({ key: sk }, { text: '' }), 422, 'invalid', 'text');
      expectError(await post({ key: sk }, { text: 'x'.repeat(20001) }), 422, 'invalid', 'text');
      // Pages of the thread, oldest first, without duplicates.
      const all = await listAll(srv, `/api/v1/tickets/${t.id}/messages`, { key: sk });
      assert.deepEqual(all.map((m) => m.text), ['The spinner never stops', 'check logs', 'Auto-acknowledged',
        'Fixed in 2.3', 'One more thing', 'still broken (pending)', 'still broken (resolved)']);
      const seen = [];
      let cursor = null;
      for (let i = 0; i < 10; i++) {
        const r = await api(srv, 'GET', `/api/v1/tickets/${t.id}/messages?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { key: sk });
        seen.push(...r.body.data.map((m) => m.id));
        cursor = r.body.next_cursor;
        if (!cursor) break;
      }
      assert.deepEqual(seen, all.map((m) => m.id));
      // Closed tickets take internal notes only.
      await api(srv, 'PATCH', `/api/v1/tickets/${t.id}`, { key: sk, body: { status: 'closed' } });
      expectError(await post({ key: sk }, { text: 'late' }), 409, 'conflict');
      assert.equal((await post({ session: s }, { text: 'post-mortem', internal: true })).status, 201);
      const act = await listAll(srv, `/api/v1/tickets/${t.id}/activity`, { key: sk });
      assert.equal(act.filter((a) => a.action === 'message_added').length, 7);
    });

    it('pages the activity log without duplicates', async () => {
      const t = await createTicket(srv, sk);
      for (const p of ['low', 'high', 'urgent', 'normal', 'low']) {
        assert.equal((await api(srv, 'PATCH', `/api/v1/tickets/${t.id}`, { key: sk, body: { priority: p } })).status, 200);
      }
      const all = await listAll(srv, `/api/v1/tickets/${t.id}/activity`, { key: sk });
      assert.equal(all.length, 6);
      const first = await api(srv, 'GET', `/api/v1/tickets/${t.id}/activity?limit=4`, { key: sk });
      assert.equal(first.body.data.length, 4);
      const rest = await api(srv, 'GET', `/api/v1/tickets/${t.id}/activity?limit=4&cursor=${first.body.next_cursor}`, { key: sk });
      assert.equal(rest.body.next_cursor, null);
      assert.deepEqual([...first.body.data, ...rest.body.data].map((a) => a.id), all.map((a) => a.id));
      expectError(await api(srv, 'GET', `/api/v1/tickets/${t.id}/activity?cursor=nope`, { key: sk }), 422, 'invalid', 'cursor');
    });

    it('deletes a ticket with its thread', async () => {
      const t = await createTicket(srv, sk);
      const d = await api(srv, 'DELETE', `/api/v1/tickets/${t.id}`, { key: sk });
      assert.equal(d.status, 204);
      assert.equal(d.body, '');
      expectError(await api(srv, 'GET', `/api/v1/tickets/${t.id}`, { key: sk }), 404, 'not_found');
      expectError(await api(srv, 'GET', `/api/v1/tickets/${t.id}/messages`, { key: sk }), 404, 'not_found');
      expectError(await api(srv, 'GET', `/api/v1/tickets/${t.id}/activity`, { key: sk }), 404, 'not_found');
      expectError(await api(srv, 'POST', `/api/v1/tickets/${t.id}/messages`, { key: sk, body: { text: 'x' } }), 404, 'not_found');
      expectError(await api(srv, 'PATCH', `/api/v1/tickets/${t.id}`, { key: sk, body: { status: 'open' } }), 404, 'not_found');
      expectError(await api(srv, 'DELETE', `/api/v1/tickets/${t.id}`, { key: sk }), 404, 'not_found');
      const ids = (await listAll(srv, '/api/v1/tickets', { key: sk })).map((x) => x.id);
      assert.ok(!ids.includes(t.id));
      // The customer stays.
      assert.equal((await api(srv, 'GET', `/api/v1/customers/${t.customer_id}`, { key: sk })).status, 200);
    });

    it('creates tickets concurrently, one customer for one new email',
      async () => {
        const n = 12;
        const rs = await Promise.all(Array.from({ length: n }, (_, i) => api(srv, 'POST', '/api/v1/tickets', {
          key: sk, body: { subject: `burst ${i}`, customer: { email: 'burst@x.test' }, message: { text: 'x' } },
        })));
        assert.deepEqual(rs.map((r) => r.status), Array(n).fill(201), JSON.stringify(rs.find((r) => r.status !== 201)?.body));
        assert.equal(new Set(rs.map((r) => r.body.customer_id)).size, 1);
      });

    it('creates tickets concurrently for distinct customers', async () => {
      const fresh = workspace(srv, 'Burst');
      const n = 16;
      const rs = await Promise.all(Array.from({ length: n }, (_, i) => api(srv, 'POST', '/api/v1/tickets', {
        key: fresh.secret_key, body: { subject: `burst ${i}`, customer: { email: `b${i}@x.test` }, message: { text: 'x' } },
      })));
      assert.deepEqual(rs.map((r) => r.status), Array(n).fill(201));
      assert.equal((await listAll(srv, '/api/v1/tickets', { key: fresh.secret_key })).length, n);
      assert.equal((await listAll(srv, '/api/v1/customers', { key: fresh.secret_key })).length, n);
    });

    it('finds a known customer by email when the ticket also brings a new external_id',
      async () => {
        const first = await createTicket(srv, sk, { customer: { email: 'known@x.test' } });
        const r = await api(srv, 'POST', '/api/v1/tickets', {
          key: sk, body: { subject: 'again', customer: { external_id: 'u-42', email: 'known@x.test' } },
        });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        assert.equal(r.body.customer_id, first.customer_id);
        // The external id is remembered: the client's id alone now finds the customer.
        const byExt = await api(srv, 'POST', '/api/v1/tickets', {
          key: sk, body: { subject: 'third', customer: { external_id: 'u-42' } },
        });
        assert.equal(byExt.body.customer_id, first.customer_id);
        const c = await api(srv, 'GET', `/api/v1/customers/${first.customer_id}`, { key: sk });
        assert.equal(c.body.external_id, 'u-42');
      });

    it('writes nothing for a PATCH that changes nothing', async () => {
      const t = await createTicket(srv, sk);
      const same = await api(srv, 'PATCH', `/api/v1/tickets/${t.id}`, { key: sk, body: { subject: t.subject, status: 'new' } });
      assert.equal(same.status, 200);
      assert.equal(same.body.updated_at, t.updated_at);
      const empty = await api(srv, 'PATCH', `/api/v1/tickets/${t.id}`, { key: sk, body: {} });
      assert.equal(empty.body.updated_at, t.updated_at);
      const act = await api(srv, 'GET', `/api/v1/tickets/${t.id}/activity`, { key: sk });
      assert.deepEqual(act.body.data.map((a) => a.action), ['created']);
    });
  });
}
