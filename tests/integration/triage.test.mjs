// SPDX-License-Identifier: AGPL-3.0-or-later
// Triage, summaries and the knowledge base through the real server, on both
// drivers: new tickets come out classified, summarised and matched; a
// confident match is offered and the customer's answer deflects the ticket or
// sends it to the queue; help articles are found as soon as they change, on
// every server; agents' changes become corrections, the accuracy metric and a
// retrained model; a customer's later message is analysed again. Then the
// language commands (triage, eval, kb import, train) on the same code.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BIN, ROOT, startServer, workspace, api, login, listAll, until, drivers, expectError,
} from './lib/server.mjs';

const ARTICLES = [
  { title: 'Export a report to CSV', body: 'Open the report, press **Export** and choose *CSV*. The file downloads at once.', tags: ['export', 'csv'], product_area: 'reports' },
  { title: 'Reset your password', body: 'On the sign-in page press **Forgot password** and follow the link in the email.', tags: ['password', 'login'], product_area: 'account' },
  { title: 'Connect Slack', body: 'Go to **Integrations**, pick Slack and allow access to a channel.', tags: ['slack'], product_area: 'integrations' },
];

for (const driver of drivers()) {
  describe(`triage and knowledge base on ${driver}`, () => {
    let srv, ws, sk, pk, session, articles;
    const origin = 'https://app.triage.test';
    before(async () => {
      srv = await startServer({ driver, args: ['--login-rate', '0'] });
      ws = workspace(srv, 'Triage', '--origin', origin, '--admin-email', 'admin@triage.test', '--admin-password', 'password of triage');
      sk = ws.secret_key;
      pk = (await api(srv, 'POST', '/api/v1/keys', { key: sk, body: { kind: 'publishable', name: 'widget' } })).body.key;
      session = await login(srv, 'admin@triage.test', 'password of triage');
      articles = [];
      for (const a of ARTICLES) {
        const r = await api(srv, 'POST', '/api/v1/kb/articles', { key: sk, body: a });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        articles.push(r.body);
      }
    });
    after(async () => { await srv.stop(); });

    const widget = (body) => api(srv, 'POST', '/api/v1/tickets', { key: pk, headers: { origin }, body });

    it('classifies, summarises and matches a new ticket, with the environment from its context', async () => {
      const r = await widget({
        subject: 'Export',
        customer: { email: 'ana@triage.test', plan: 'pro' },
        message: { text: 'um hi so when I click export on the report to get a csv nothing downloads at all, I tried three times and there is an error in the console' },
        context: {
          page_url: 'https://app.triage.test/reports/export?token=secret',
          user_agent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
          console_errors: ['TypeError: rows is undefined', 'Failed to load resource: 500'],
        },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const t = r.body;
      assert.equal(t.environment, 'Chrome 120 on Windows, /reports/export, 2 console errors');
      assert.ok(t.title.length > 0 && !t.title.startsWith('Um'), t.title);
      assert.ok(!/\bum\b/i.test(t.summary), t.summary);
      assert.equal(t.triage.category.value, 'bug');
      assert.equal(t.triage.product_area.value, 'reports');
      // A bug with console errors is at least medium.
      assert.ok(['medium', 'high', 'critical'].includes(t.triage.urgency.value), t.triage.urgency.value);
      assert.equal(t.kb_matches[0].article_id, articles[0].id);
      assert.ok(t.kb_matches.length <= 3);
      for (let i = 1; i < t.kb_matches.length; i++) assert.ok(t.kb_matches[i].confidence <= t.kb_matches[0].confidence);
      assert.ok(t.triaged_at);
      // The ticket as read back is the same, without the offer field.
      const g = await api(srv, 'GET', `/api/v1/tickets/${t.id}`, { key: sk });
      delete t.kb_article;
      assert.deepEqual(g.body, t);
    });

    it('offers a confident match first: "this solved it" deflects, "no" sends it to the queue', async () => {
      await api(srv, 'PATCH', '/api/v1/workspace', { key: sk, body: { triage: { kb_threshold: 0.0 } } });
      const ask = { subject: 'CSV', customer: { email: 'ben@triage.test' }, message: { text: 'how do I export a report as a csv file' } };
      const a = (await widget(ask)).body;
      assert.equal(a.deflection, 'offered');
      assert.equal(a.status, 'new');
      assert.equal(a.kb_article.id, articles[0].id);
      assert.match(a.kb_article.body_html, /<strong>Export<\/strong>/);
      assert.ok(a.kb_article.confidence > 0);
      const yes = await api(srv, 'POST', `/api/v1/tickets/${a.id}/deflection`, { key: pk, headers: { origin }, body: { solved: true } });
      assert.equal(yes.status, 200, JSON.stringify(yes.body));
      assert.equal(yes.body.status, 'resolved');
      assert.equal(yes.body.deflection, 'deflected');
      assert.ok(yes.body.resolved_at);
      expectError(await api(srv, 'POST', `/api/v1/tickets/${a.id}/deflection`, { key: pk, headers: { origin }, body: { solved: false } }), 409, 'conflict', 'deflection');
      const acts = await listAll(srv, `/api/v1/tickets/${a.id}/activity`, { key: sk });
      assert.equal(acts.at(-1).action, 'deflected');
      assert.equal(acts.at(-1).detail.article_id, articles[0].id);

      const b = (await widget({ ...ask, customer: { email: 'cy@triage.test' } })).body;
      const no = await api(srv, 'POST', `/api/v1/tickets/${b.id}/deflection`, { key: pk, headers: { origin }, body: { solved: false } });
      assert.equal(no.body.status, 'new');
      assert.equal(no.body.deflection, 'declined');
      assert.equal(no.body.kb_matches[0].article_id, articles[0].id, 'the match stays attached for the agent');

      // An agent's own ticket is never offered an article; a high threshold
      // offers nothing but still attaches the matches.
      const c = await api(srv, 'POST', '/api/v1/tickets', { session, body: ask });
      assert.equal(c.body.deflection, null);
      assert.equal(c.body.kb_article, null);
      await api(srv, 'PATCH', '/api/v1/workspace', { key: sk, body: { triage: { kb_threshold: 1 } } });
      const d = (await widget(ask)).body;
      assert.equal(d.deflection, null);
      assert.equal(d.kb_matches[0].article_id, articles[0].id);
      // A ticket never offered cannot be answered.
      expectError(await api(srv, 'POST', `/api/v1/tickets/${d.id}/deflection`, { key: sk, body: { solved: true } }), 409, 'conflict');
    });

    it('finds articles as they are edited, unpublished and deleted, and renders their Markdown inert', async () => {
      const search = async (q) => (await api(srv, 'GET', `/api/v1/kb/search?q=${encodeURIComponent(q)}`, { key: pk, headers: { origin } })).body.data;
      assert.equal((await search('forgot my password'))[0].article_id, articles[1].id);
      const r = await api(srv, 'PATCH', `/api/v1/kb/articles/${articles[2].id}`, { key: sk, body: { title: 'Connect Microsoft Teams', body: 'Pick **Teams** under Integrations.', tags: ['teams'] } });
      assert.equal(r.status, 200);
      assert.equal((await search('microsoft teams'))[0].article_id, articles[2].id);
      assert.equal((await search('slack')).length, 0);
      await api(srv, 'PATCH', `/api/v1/kb/articles/${articles[1].id}`, { key: sk, body: { status: 'draft' } });
      assert.equal((await search('forgot my password')).length, 0);
      expectError(await api(srv, 'GET', `/api/v1/kb/articles/${articles[1].id}`, { key: pk, headers: { origin } }), 404, 'not_found');
      assert.equal((await api(srv, 'GET', `/api/v1/kb/articles/${articles[1].id}`, { key: sk })).status, 200);
      await api(srv, 'PATCH', `/api/v1/kb/articles/${articles[1].id}`, { key: sk, body: { status: 'published' } });
      assert.equal((await search('forgot my password'))[0].article_id, articles[1].id);

      const evil = await api(srv, 'POST', '/api/v1/kb/articles', {
        key: sk,
        body: { title: 'Evil', body: '<script>alert(1)</script> [click](javascript:alert(1)) <img src=x onerror=alert(1)> ![x](data:text/html,hi)' },
      });
      assert.equal(evil.status, 201);
      const html = evil.body.body_html;
      assert.ok(!/<script|<img|javascript:|onerror=|data:/i.test(html.replace(/&lt;[^&]*&gt;/g, '').replace(/&[a-z]+;/g, '')), html);
      assert.match(html, /&lt;script&gt;/);
      const del = await api(srv, 'DELETE', `/api/v1/kb/articles/${evil.body.id}`, { key: sk });
      assert.equal(del.status, 204);
      assert.equal((await search('evil alert')).length, 0);
      assert.equal((await listAll(srv, '/api/v1/kb/articles', { key: sk })).length, 3);
    });

    it('keeps agents\' changes as corrections: accuracy per field, and a retrained model in use', async () => {
      const t = (await widget({ subject: 'Invoice', customer: { email: 'dee@triage.test', plan: 'free' }, message: { text: 'I was charged twice for my subscription this month, please refund one of the charges' } })).body;
      assert.equal(t.triage.category.value, 'billing');
      let acc = (await api(srv, 'GET', '/api/v1/triage/accuracy', { key: sk })).body;
      const before = acc.fields.category;
      assert.ok(before.tickets >= 1 && before.agreed === before.tickets, JSON.stringify(before));
      assert.equal(acc.model, 'default');
      // The agent disagrees on the category and the sentiment.
      const p = await api(srv, 'PATCH', `/api/v1/tickets/${t.id}`, { session, body: { category: 'account_access', sentiment: 'frustrated' } });
      assert.equal(p.status, 200);
      acc = (await api(srv, 'GET', '/api/v1/triage/accuracy', { key: sk })).body;
      assert.equal(acc.fields.category.tickets, before.tickets);
      assert.equal(acc.fields.category.agreed, before.agreed - 1);
      assert.ok(acc.fields.category.accuracy < 1);
      // Retraining takes the correction in; the next ticket uses the new model.
      const job = await api(srv, 'POST', '/api/v1/triage/train', { session });
      assert.equal(job.status, 202);
      await until(async () => {
        acc = (await api(srv, 'GET', '/api/v1/triage/accuracy', { key: sk })).body;
        return typeof acc.model === 'object';
      }, 120000, 'the retrained model');
      assert.ok(acc.model.corrections >= 1, JSON.stringify(acc.model));
      const next = (await widget({ subject: 'Hello', customer: { email: 'eve@triage.test' }, message: { text: 'the dashboard looks odd' } })).body;
      assert.equal(next.triage.model, acc.model.id);
      // An agent's choice is never overwritten by a later analysis.
      const again = await api(srv, 'POST', `/api/v1/tickets/${t.id}/messages`, { key: sk, body: { text: 'also my card was charged a third time today', author: 'customer' } });
      assert.equal(again.status, 201);
      await until(async () => {
        const g = (await api(srv, 'GET', `/api/v1/tickets/${t.id}`, { key: sk })).body;
        return g.triaged_at !== t.triaged_at;
      }, 30000, 'the analysis after the customer\'s message');
      const g = (await api(srv, 'GET', `/api/v1/tickets/${t.id}`, { key: sk })).body;
      assert.equal(g.category, 'account_access');
      assert.match(g.summary + g.title, /charge/i);
    });

    it('answers bad text with defined results: empty-ish, huge, junk, other languages, shouting', async () => {
      const texts = ['x', '...', 'y'.repeat(20000), '§±¶ \ufffd\ufffd \u{1F600} ∰ {}[]<>$%^&*;;'.repeat(200),
        'Здравствуйте, я не могу войти в свой аккаунт уже два дня', '無法登入我的帳戶', 'WHY IS EVERYTHING BROKEN AGAIN I AM SO DONE'];
      for (const text of texts) {
        const r = await widget({ subject: 'x', customer: { email: 'junk@triage.test' }, message: { text } });
        assert.equal(r.status, 201, JSON.stringify(r.body).slice(0, 200));
        for (const k of ['category', 'urgency', 'product_area', 'sentiment']) {
          assert.equal(typeof r.body.triage[k].value, 'string');
          assert.ok(r.body.triage[k].confidence >= 0 && r.body.triage[k].confidence <= 1);
        }
        assert.equal(typeof r.body.summary, 'string');
      }
      // Control characters are refused before anything is stored.
      expectError(await widget({ subject: 'x', message: { text: 'a\u0001b' } }), 422, 'invalid', 'message.text');
    });
  });
}

// An OpenAI-compatible chat endpoint stands in for a summary model (node:http
// in this test): it answers by the ticket's words, so each case is its own.
describe('summaries by a chat endpoint', () => {
  let chat, srv, ws;
  const seen = [];
  before(async () => {
    chat = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => {
        const j = JSON.parse(body);
        seen.push({ auth: req.headers.authorization, model: j.model, path: req.url });
        const said = j.messages.at(-1).content;
        const reply = (content) => res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content } }] }));
        res.setHeader('content-type', 'application/json');
        if (/refund/.test(said)) {
          reply('```json\n{"title": "Refund for a double charge", "summary": "The customer was charged twice this month. They want one charge refunded. This third sentence goes."}\n```');
        } else if (/garbage/.test(said)) {
          reply('I am sorry, I cannot do that.');
        } else {
          res.statusCode = 500;
          res.end('{}');
        }
      });
    });
    await new Promise((ok) => chat.listen(0, '127.0.0.1', ok));
    srv = await startServer({
      args: ['--summary-url', `http://127.0.0.1:${chat.address().port}/v1/chat/completions`, '--summary-model', 'tiny'],
      env: { SHOWDESK_SUMMARY_KEY: 'sk-test-summary' },
    });
    ws = workspace(srv, 'Summaries');
  });
  after(async () => {
    await srv.stop();
    chat.close();
  });

  const ticket = async (text) => (await api(srv, 'POST', '/api/v1/tickets', {
    key: ws.secret_key, body: { subject: 'Help', customer: { email: 'a@sum.test' }, message: { text } },
  })).body;
  const settled = async (t) => {
    let g;
    await until(async () => {
      g = (await api(srv, 'GET', `/api/v1/tickets/${t.id}`, { key: ws.secret_key })).body;
      return g.triaged_at !== t.triaged_at;
    }, 30000, 'the job\'s analysis');
    return g;
  };

  it('answers at once with the extractive summary, then the endpoint\'s, checked and cut to two sentences', async () => {
    const t = await ticket('hi so um I was charged twice this month for the pro plan, please refund one of the charges');
    assert.equal(t.triage.summary_by, 'extractive');
    const g = await settled(t);
    assert.equal(g.triage.summary_by, 'llm');
    assert.equal(g.title, 'Refund for a double charge');
    assert.equal(g.summary, 'The customer was charged twice this month. They want one charge refunded.');
    assert.equal(g.triage.category.value, t.triage.category.value);
    assert.deepEqual(seen.at(-1), { auth: 'Bearer sk-test-summary', model: 'tiny', path: '/v1/chat/completions' });
  });

  it('keeps the extractive summary when the endpoint fails or answers garbage', async () => {
    for (const text of ['this is garbage in, my export is empty', 'the export button does nothing at all']) {
      const t = await ticket(text);
      const g = await settled(t);
      assert.equal(g.triage.summary_by, 'extractive');
      assert.equal(g.summary, t.summary);
    }
  });
});

describe('the language commands', () => {
  let dir, srv, ws;
  const run = (...args) => execFileSync(BIN, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120000 });
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'showdesk-triage-'));
    srv = await startServer({});
    ws = workspace(srv, 'Commands');
  });
  after(async () => {
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('triage prints the fields, the summary and the environment as JSON', () => {
    const out = JSON.parse(run('triage', 'nobody on our team can log in since this morning, the whole company is locked out', '--plan', 'free',
      '--url', 'https://app.x.test/login', '--user-agent', 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0'));
    assert.equal(out.urgency.value, 'critical');
    assert.equal(out.urgency.rule, 'critical_phrase');
    assert.equal(out.category.value, 'account_access');
    assert.equal(out.environment, 'Firefox 121 on Linux, /login');
    assert.ok(out.summary.length > 0);
  });

  it('eval measures triage and KB matching on labelled files, as a table and as JSON', () => {
    const arts = join(dir, 'articles.jsonl');
    const tickets = join(dir, 'tickets.jsonl');
    writeFileSync(arts, ARTICLES.map((a, i) => JSON.stringify({ id: `kb_${i}`, ...a })).join('\n') + '\n');
    const label = { category: 'how_to', urgency: 'low', product_area: 'reports', sentiment: 'neutral' };
    writeFileSync(tickets, [
      { id: 't1', transcript: 'how do I export a report to csv', account_plan: 'free', page_url: 'https://a.test/reports', console_errors: [], label, kb_article: 'kb_0' },
      { id: 't2', transcript: 'I forgot my password and cannot sign in', account_plan: 'pro', page_url: 'https://a.test/login', console_errors: [], label: { ...label, category: 'account_access', product_area: 'account' }, kb_article: 'kb_1' },
      { id: 't3', transcript: 'please add a dark mode', account_plan: 'free', page_url: 'https://a.test/', console_errors: [], label: { ...label, category: 'feature_request', product_area: 'dashboard' }, kb_article: null },
    ].map((t) => JSON.stringify(t)).join('\n') + '\n');
    const j = JSON.parse(run('eval', '--kb', arts, tickets, '--json', '--threshold', '0'));
    assert.equal(j.tickets, 3);
    assert.equal(j.articles, 3);
    assert.equal(j.kb.with_article, 2);
    assert.equal(j.kb.top1, 1);
    assert.ok(j.fields.category.accuracy >= 2 / 3, JSON.stringify(j.fields.category));
    assert.equal(j.fields.category.confusion.length, j.fields.category.labels.length);
    const table = run('eval', '--kb', arts, tickets);
    assert.match(table, /category\s+3\s+/);
    assert.match(table, /top-1 hit rate 1\.000/);
    // A broken line names its file and line.
    writeFileSync(tickets, '{"id": "ok", "transcript": "x"}\nnot json\n');
    assert.throws(() => run('eval', '--kb', arts, tickets), (e) => /tickets\.jsonl:2/.test(e.stderr) && e.status === 1);
    assert.throws(() => run('eval', tickets), (e) => e.status === 2);
  });

  it('kb import creates, then updates by id; train --workspace stores a model', async () => {
    const arts = join(dir, 'import.jsonl');
    writeFileSync(arts, ARTICLES.map((a, i) => JSON.stringify({ id: `imp_${i}`, ...a })).join('\n') + '\n');
    const first = JSON.parse(run('kb', 'import', arts, '--workspace', ws.workspace.id, '--data', srv.data));
    assert.deepEqual([first.created, first.updated], [3, 0]);
    writeFileSync(arts, JSON.stringify({ id: 'imp_0', title: 'Export a report to Excel', body: 'Choose **XLSX**.', tags: [] }) + '\n');
    const second = JSON.parse(run('kb', 'import', arts, '--workspace', ws.workspace.id, '--data', srv.data));
    assert.deepEqual([second.created, second.updated], [0, 1]);
    const list = await listAll(srv, '/api/v1/kb/articles', { key: ws.secret_key });
    assert.equal(list.length, 3);
    assert.ok(list.some((a) => a.title === 'Export a report to Excel' && a.external_id === 'imp_0'));
    const hits = (await api(srv, 'GET', '/api/v1/kb/search?q=excel', { key: ws.secret_key })).body.data;
    assert.equal(hits[0].title, 'Export a report to Excel');
    const trained = JSON.parse(run('train', '--workspace', ws.workspace.id, '--data', srv.data));
    assert.match(trained.model_id, /^tmd_/);
    assert.ok(trained.examples >= 2000);
    const acc = (await api(srv, 'GET', '/api/v1/triage/accuracy', { key: ws.secret_key })).body;
    assert.equal(acc.model.id, trained.model_id);
  });

  it('train writes a model file the server loads', async () => {
    const model = join(dir, 'triage.model');
    run('train', '--out', model);
    const other = await startServer({ args: ['--triage-model', model] });
    try {
      const w = workspace(other, 'Model');
      const r = await api(other, 'POST', '/api/v1/tickets', { key: w.secret_key, body: { subject: 'Refund', message: { text: 'I was charged twice on my card this month, please refund the extra charge on my invoice' } } });
      assert.equal(r.body.triage.category.value, 'billing');
    } finally {
      await other.stop();
    }
    assert.throws(() => run('triage', 'x', '--model', join(ROOT, 'README.md')), (e) => /not a triage model/.test(e.stderr));
  });
});
