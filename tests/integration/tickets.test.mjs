// SPDX-License-Identifier: AGPL-3.0-or-later
// Tickets, their thread and their activity, over HTTP, on both store drivers.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, workspace, api, login, createTicket, expectError, drivers } from './lib/server.mjs';

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
      const r = await api(srv, 'POST', '/api/v1/tickets', {
        key: sk,
        body: {
          subject: 'Export to CSV fails',
          customer: { email: 'Ana@Example.com', name: 'Ana', plan: 'pro' },
          message: { text: 'The spinner never stops.' },
          context: {
            page_url: 'https://app.example.com/reports', user_agent: 'Mozilla/5.0',
            account_plan: 'pro', console_errors: ['TypeError: x is undefined'],
          },
        },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const t = r.body;
      assert.match(t.id, /^tkt_[0-9a-z]{26}$/);
      assert.equal(r.headers.get('location'), `/api/v1/tickets/${t.id}`);
      assert.equal(t.status, 'new');
      assert.equal(t.channel, 'text');
      assert.equal(t.priority, 'normal');
      assert.equal(t.category, null);
      assert.deepEqual(t.context.console_errors, ['TypeError: x is undefined']);
      assert.match(t.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const g = await api(srv, 'GET', `/api/v1/tickets/${t.id}`, { key: sk });
      assert.equal(g.status, 200);
      assert.deepEqual(g.body, t);
      // The customer was created, with the email lowercased, and is found again.
      const c = await api(srv, 'GET', `/api/v1/customers/${t.customer_id}`, { key: sk });
      assert.equal(c.body.email, 'ana@example.com');
      assert.equal(c.body.plan, 'pro');
      const t2 = await createTicket(srv, sk, { customer: { email: 'ana@example.com' } });
      assert.equal(t2.customer_id, t.customer_id);
      const msgs = await api(srv, 'GET', `/api/v1/tickets/${t.id}/messages`, { key: sk });
      assert.equal(msgs.body.data.length, 1);
      assert.equal(msgs.body.data[0].author_type, 'customer');
      assert.equal(msgs.body.data[0].author_id, t.customer_id);
      assert.equal(msgs.body.data[0].text, 'The spinner never stops.');
    });

    it('lists with filters, sorts and cursor pagination without duplicates', async () => {
      const fresh = workspace(srv, 'Lists');
      const ids = [];
      for (let i = 0; i < 7; i++) {
        const t = await createTicket(srv, fresh.secret_key, {
          subject: `t${i}`, channel: i % 2 ? 'video' : 'text',
          category: i < 3 ? 'bug' : 'billing', urgency: i === 0 ? 'critical' : 'normal',
          ...(i === 1 ? { assignee_id: fresh.admin.id } : {}),
        });
        ids.push(t.id);
      }
      for (const sort of ['-created_at', 'created_at', '-updated_at', 'updated_at']) {
        const seen = [];
        let cursor = null;
        let pages = 0;
        do {
          const q = `/api/v1/tickets?limit=3&sort=${sort}${cursor ? `&cursor=${cursor}` : ''}`;
          const r = await api(srv, 'GET', q, { key: fresh.secret_key });
          assert.equal(r.status, 200, JSON.stringify(r.body));
          seen.push(...r.body.data.map((t) => t.id));
          cursor = r.body.next_cursor;
          pages++;
        } while (cursor && pages < 10);
        assert.equal(pages, 3, sort);
        assert.equal(new Set(seen).size, 7, sort);
        const want = sort.startsWith('-') ? [...ids].reverse() : ids;
        if (sort.endsWith('created_at')) assert.deepEqual(seen, want, sort);
      }
      const count = async (q) => (await api(srv, 'GET', `/api/v1/tickets?limit=100&${q}`, { key: fresh.secret_key })).body.data.length;
      assert.equal(await count('category=bug'), 3);
      assert.equal(await count('channel=video'), 3);
      assert.equal(await count('urgency=critical'), 1);
      assert.equal(await count(`assignee=${fresh.admin.id}`), 1);
      assert.equal(await count('assignee=none'), 6);
      assert.equal(await count('status=new'), 7);
      assert.equal(await count('status=open&category=bug'), 0);
      // A cursor made for one sort is refused for another.
      const r = await api(srv, 'GET', '/api/v1/tickets?limit=2', { key: fresh.secret_key });
      expectError(await api(srv, 'GET', `/api/v1/tickets?sort=created_at&cursor=${r.body.next_cursor}`, { key: fresh.secret_key }), 422, 'invalid', 'cursor');
      expectError(await api(srv, 'GET', '/api/v1/tickets?cursor=garbage!!', { key: fresh.secret_key }), 422, 'invalid', 'cursor');
      expectError(await api(srv, 'GET', '/api/v1/tickets?status=weird', { key: fresh.secret_key }), 422, 'invalid', 'status');
      expectError(await api(srv, 'GET', '/api/v1/tickets?limit=0', { key: fresh.secret_key }), 422, 'invalid', 'limit');
      expectError(await api(srv, 'GET', '/api/v1/tickets?limit=101', { key: fresh.secret_key }), 422, 'invalid', 'limit');
      expectError(await api(srv, 'GET', '/api/v1/tickets?sort=subject', { key: fresh.secret_key }), 422, 'invalid', 'sort');
    });

    it('moves through the status machine and records activity', async () => {
      const t = await createTicket(srv, sk);
      const patch = (body) => api(srv, 'PATCH', `/api/v1/tickets/${t.id}`, { key: sk, body });
      let r = await patch({ status: 'open' });
      assert.equal(r.status, 200);
      assert.equal(r.body.status, 'open');
      r = await patch({ status: 'resolved' });
      assert.ok(r.body.resolved_at);
      r = await patch({ status: 'open' });
      assert.equal(r.body.resolved_at, null);
      expectError(await patch({ status: 'new' }), 409, 'conflict', 'status');
      r = await patch({ status: 'closed' });
      assert.equal(r.body.status, 'closed');
      expectError(await patch({ status: 'open' }), 409, 'conflict', 'status');
      r = await patch({ priority: 'urgent', category: 'bug', assignee_id: agentId, subject: 'New subject' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.assignee_id, agentId);
      assert.equal(r.body.subject, 'New subject');
      r = await patch({ assignee_id: null, category: null });
      assert.equal(r.body.assignee_id, null);
      assert.equal(r.body.category, null);
      expectError(await patch({ assignee_id: 'agt_00000000000000000000000000' }), 422, 'invalid', 'assignee_id');
      const act = await api(srv, 'GET', `/api/v1/tickets/${t.id}/activity?limit=100`, { key: sk });
      const actions = act.body.data.map((a) => a.action);
      assert.equal(actions[0], 'created');
      assert.equal(actions.filter((a) => a === 'status_changed').length, 4);
      assert.equal(actions.filter((a) => a === 'assigned').length, 2);
      assert.ok(actions.includes('updated'));
      const change = act.body.data.find((a) => a.action === 'status_changed');
      assert.deepEqual(change.detail, { from: 'new', to: 'open' });
      assert.equal(change.actor_type, 'api_key');
    });

    it('keeps a thread: public replies, internal notes, first response', async () => {
      const t = await createTicket(srv, sk);
      const s = await login(srv, 'boss@acme.test', 'correct horse 1');
      const note = await api(srv, 'POST', `/api/v1/tickets/${t.id}/messages`, { session: s, body: { text: 'check logs', internal: true } });
      assert.equal(note.status, 201, JSON.stringify(note.body));
      assert.equal(note.body.internal, true);
      let g = await api(srv, 'GET', `/api/v1/tickets/${t.id}`, { key: sk });
      assert.equal(g.body.first_response_at, null);
      assert.equal(g.body.status, 'new');
      const reply = await api(srv, 'POST', `/api/v1/tickets/${t.id}/messages`, { session: s, body: { text: 'Fixed in 2.3' } });
      assert.equal(reply.body.author_type, 'agent');
      assert.equal(reply.body.author_id, s.agent.id);
      g = await api(srv, 'GET', `/api/v1/tickets/${t.id}`, { key: sk });
      assert.ok(g.body.first_response_at);
      assert.equal(g.body.status, 'open');
      await api(srv, 'PATCH', `/api/v1/tickets/${t.id}`, { key: sk, body: { status: 'pending' } });
      const back = await api(srv, 'POST', `/api/v1/tickets/${t.id}/messages`, { key: sk, body: { text: 'still broken', author: 'customer' } });
      assert.equal(back.status, 201);
      assert.equal(back.body.author_id, t.customer_id);
      g = await api(srv, 'GET', `/api/v1/tickets/${t.id}`, { key: sk });
      assert.equal(g.body.status, 'open');
      expectError(await api(srv, 'POST', `/api/v1/tickets/${t.id}/messages`, { key: sk, body: { text: 'x', author: 'customer', internal: true } }), 422, 'invalid', 'internal');
      expectError(await api(srv, 'POST', `/api/v1/tickets/${t.id}/messages`, { session: s, body: { text: 'x', author: 'customer' } }), 422, 'invalid', 'author');
      const list = await api(srv, 'GET', `/api/v1/tickets/${t.id}/messages?limit=2`, { key: sk });
      assert.equal(list.body.data.length, 2);
      assert.ok(list.body.next_cursor);
      const rest = await api(srv, 'GET', `/api/v1/tickets/${t.id}/messages?limit=2&cursor=${list.body.next_cursor}`, { key: sk });
      assert.deepEqual(rest.body.data.map((m) => m.text), ['Fixed in 2.3', 'still broken']);
      await api(srv, 'PATCH', `/api/v1/tickets/${t.id}`, { key: sk, body: { status: 'closed' } });
      expectError(await api(srv, 'POST', `/api/v1/tickets/${t.id}/messages`, { key: sk, body: { text: 'late' } }), 409, 'conflict');
    });

    it('deletes a ticket with its thread', async () => {
      const t = await createTicket(srv, sk);
      const d = await api(srv, 'DELETE', `/api/v1/tickets/${t.id}`, { key: sk });
      assert.equal(d.status, 204);
      expectError(await api(srv, 'GET', `/api/v1/tickets/${t.id}`, { key: sk }), 404, 'not_found');
      expectError(await api(srv, 'GET', `/api/v1/tickets/${t.id}/messages`, { key: sk }), 404, 'not_found');
      expectError(await api(srv, 'DELETE', `/api/v1/tickets/${t.id}`, { key: sk }), 404, 'not_found');
    });
  });
}
