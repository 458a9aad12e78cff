// SPDX-License-Identifier: AGPL-3.0-or-later
// The command line as operators and scripts use it: subcommands, --help,
// configuration from flags, environment and file, the admin JSON contract,
// and errors that say what to do, with exit codes 1 (failed) and 2 (usage).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, BIN, startServer, api } from './lib/server.mjs';

function run(args, env = {}) {
  const r = spawnSync(BIN, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('command line', () => {
  let dir;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'showdesk-cli-')); });
  after(() => { rmSync(dir, { recursive: true, force: true }); });

  it('has --help on every subcommand', () => {
    const top = run(['--help']);
    assert.equal(top.code, 0);
    for (const cmd of ['serve', 'worker', 'migrate', 'admin', 'demo', 'version']) {
      assert.match(top.out, new RegExp(`\\n  ${cmd} `));
      const h = run([cmd, '--help']);
      assert.equal(h.code, 0, `${cmd}: ${h.err}`);
      assert.match(h.out, new RegExp(`usage: showdesk ${cmd}`));
    }
    assert.match(run(['serve', '--help']).out, /--max-body\s+SHOWDESK_MAX_BODY\s+1M/);
    assert.equal(run([]).code, 2);
    const bad = run(['frobnicate']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /unknown command 'frobnicate'/);
    assert.match(run(['version']).out, /^showdesk \d+\.\d+\.\d+\n$/);
  });

  it('rejects bad settings with the setting named, before starting', () => {
    const a = run(['serve', '--threads', 'lots', '--data', join(dir, 'x')]);
    assert.equal(a.code, 2);
    assert.match(a.err, /setting 'threads' must be an integer from 0 to 256, got 'lots'/);
    const b = run(['serve', '--lisen', '1'], {});
    assert.equal(b.code, 2);
    assert.match(b.err, /unknown option '--lisen'/);
    const c = run(['serve', '--data', join(dir, 'y')], { SHOWDESK_LISTEN: 'nowhere' });
    assert.equal(c.code, 2);
    assert.match(c.err, /SHOWDESK_LISTEN/);
    const conf = join(dir, 'bad.conf');
    writeFileSync(conf, '# ok\nlisten = 127.0.0.1:0\nmax_body = lots\n');
    const d = run(['serve', '--config', conf]);
    assert.equal(d.code, 2);
    assert.match(d.err, /config file '.*bad\.conf' line 3: setting 'max_body'/);
    const e = run(['migrate', '--db', 'mysql://x']);
    assert.equal(e.code, 1);
    assert.match(e.err, /database URL must be/);
  });

  it('takes its configuration from a file and the environment', async () => {
    const conf = join(dir, 'showdesk.conf');
    writeFileSync(conf, `listen = 127.0.0.1:0\ndata = "${join(dir, 'fromfile')}"\nmax_body = 2k\n`);
    const srv = await startServer({ args: ['--config', conf] });
    try {
      // The flag --data of the harness wins over the file; max_body comes from the file.
      const big = await api(srv, 'POST', '/api/v1/auth/login', { body: { email: 'a@b.test', password: 'x'.repeat(3000) } });
      assert.equal(big.status, 413);
    } finally {
      await srv.stop();
    }
  });

  it('makes the master key once, keeps it, and refuses a malformed one', async () => {
    const srv = await startServer();
    const keyFile = join(srv.data, 'master.key');
    const key = readFileSync(keyFile, 'utf8');
    assert.match(key, /^[A-Za-z0-9_-]{43}\n$/);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    const data = srv.data;
    srv.proc.kill('SIGTERM');
    assert.deepEqual(await srv.exited, { code: 0, signal: null });
    const again = await startServer({ args: ['--data', data] });
    assert.equal(readFileSync(keyFile, 'utf8'), key);
    await again.stop();
    const bad = run(['serve', '--data', join(dir, 'mk'), '--listen', '127.0.0.1:0'], { SHOWDESK_MASTER_KEY: 'too-short' });
    assert.equal(bad.code, 1);
    assert.match(bad.err, /'master_key' must be base64url of 32 bytes/);
    assert.doesNotMatch(bad.err, /too-short/);
  });

  it('fails clearly when the port is taken', async () => {
    const srv = await startServer();
    try {
      const port = new URL(srv.base).port;
      const r = run(['serve', '--data', join(dir, 'z'), '--listen', `127.0.0.1:${port}`]);
      assert.equal(r.code, 1);
      assert.match(r.err, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}`));
    } finally {
      await srv.stop();
    }
  });

  it('administers workspaces, agents and keys with one JSON object per call', () => {
    const data = ['--data', join(dir, 'admin')];
    const ws = JSON.parse(run(['admin', ...data, 'workspace', 'create', '--name', 'Acme', '--origin', 'https://app.acme.test']).out);
    assert.match(ws.workspace.id, /^ws_/);
    assert.deepEqual(ws.workspace.allowed_origins, ['https://app.acme.test']);
    assert.match(ws.secret_key, /^sk_/);
    assert.match(ws.publishable_key, /^pk_/);
    assert.equal(ws.admin.email, 'admin@example.com');
    assert.match(ws.admin.password, /^[0-9a-z]{24}$/);
    const list = JSON.parse(run(['admin', ...data, 'workspace', 'list']).out);
    assert.deepEqual(list.workspaces.map((w) => w.name), ['Acme']);
    const agent = JSON.parse(run(['admin', ...data, 'agent', 'add', '--workspace', ws.workspace.id, '--email', 'Kim@Acme.test', '--role', 'admin', '--password', 'long enough pw']).out);
    assert.equal(agent.agent.email, 'Kim@Acme.test');
    assert.equal(agent.password, undefined);
    const dup = run(['admin', ...data, 'agent', 'add', '--workspace', ws.workspace.id, '--email', 'kim@acme.test']);
    assert.equal(dup.code, 1);
    assert.match(dup.err, /already exists/);
    const key = JSON.parse(run(['admin', ...data, 'key', 'create', '--workspace', ws.workspace.id, '--kind', 'secret', '--name', 'ci']).out);
    assert.match(key.key, /^sk_/);
    let keys = JSON.parse(run(['admin', ...data, 'key', 'list', '--workspace', ws.workspace.id]).out).keys;
    assert.equal(keys.length, 3);
    assert.ok(keys.every((k) => k.key === undefined && k.revoked === false));
    assert.equal(run(['admin', ...data, 'key', 'revoke', '--workspace', ws.workspace.id, '--id', key.id]).code, 0);
    keys = JSON.parse(run(['admin', ...data, 'key', 'list', '--workspace', ws.workspace.id]).out).keys;
    assert.equal(keys.find((k) => k.id === key.id).revoked, true);
    const again = run(['admin', ...data, 'key', 'revoke', '--workspace', ws.workspace.id, '--id', key.id]);
    assert.equal(again.code, 1);
    const nows = run(['admin', ...data, 'key', 'list', '--workspace', 'ws_nope']);
    assert.equal(nows.code, 1);
    assert.match(nows.err, /no workspace 'ws_nope' \(see 'showdesk admin workspace list'\)/);
    const kind = run(['admin', ...data, 'key', 'create', '--workspace', ws.workspace.id, '--kind', 'root']);
    assert.equal(kind.code, 1);
    assert.match(kind.err, /secret or publishable/);
    const missing = run(['admin', ...data, 'workspace', 'create']);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /--name is required/);
    const origin = run(['admin', ...data, 'workspace', 'create', '--name', 'X', '--origin', 'app.acme.test']);
    assert.equal(origin.code, 1);
    assert.equal(JSON.parse(run(['admin', ...data, 'workspace', 'list']).out).workspaces.length, 1);
  });

  it('runs workers alone, beside a server without workers, and stops them on SIGTERM', async () => {
    const srv = await startServer({ args: ['--no-workers'] });
    try {
      const proc = spawn(BIN, ['worker', '--data', srv.data, '--workers', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      const exited = new Promise((res) => proc.on('exit', (code, signal) => res({ code, signal })));
      await new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error('worker did not start')), 20000);
        proc.stdout.on('data', (d) => { out += d; if (out.includes('2 workers running')) { clearTimeout(t); res(); } });
      });
      assert.equal((await api(srv, 'GET', '/healthz')).status, 200);
      proc.kill('SIGTERM');
      assert.deepEqual(await exited, { code: 0, signal: null });
    } finally {
      await srv.stop();
    }
  });

  it('migrates, and makes a demo workspace that can be refreshed', async () => {
    const data = ['--data', join(dir, 'demo')];
    const m = run(['migrate', ...data]);
    assert.equal(m.code, 0, m.err);
    // The newest migration in src/store/sql is the schema version.
    const latest = Math.max(...readdirSync(join(ROOT, 'src/store/sql')).map((f) => parseInt(f, 10)));
    assert.match(m.out, new RegExp(`schema version ${latest}\\b`));
    const first = run(['demo', ...data]);
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /created with sample tickets/);
    const second = run(['demo', ...data]);
    assert.match(second.out, /existing; new credentials issued/);
    const sk1 = first.out.match(/secret key\s+(sk_\S+)/)[1];
    const sk2 = second.out.match(/secret key\s+(sk_\S+)/)[1];
    assert.notEqual(sk1, sk2);
    assert.equal(JSON.parse(run(['admin', ...data, 'workspace', 'list']).out).workspaces.length, 1);
    // Its tickets are triaged and matched, and its help center is filled.
    const srv = await startServer({ data: join(dir, 'demo') });
    try {
      const tickets = (await api(srv, 'GET', '/api/v1/tickets', { key: sk2 })).body.data;
      assert.ok(tickets.length >= 4);
      for (const t of tickets) {
        assert.equal(typeof t.triage.category.value, 'string', t.subject);
        assert.ok(t.title && t.summary, t.subject);
        assert.ok(t.kb_matches.length > 0, t.subject);
      }
      const arts = (await api(srv, 'GET', '/api/v1/kb/articles?limit=100', { key: sk2 })).body;
      assert.equal(arts.data.length, 100);
      assert.ok(arts.next_cursor);
    } finally {
      await srv.stop();
    }
  });
});
