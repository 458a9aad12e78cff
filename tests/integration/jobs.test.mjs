// SPDX-License-Identifier: AGPL-3.0-or-later
// Durable jobs across process deaths, on both store drivers: `showdesk serve
// --no-workers` takes the upload, a separate `showdesk worker` transcodes
// it and is killed with SIGKILL in the middle; after the lease expires
// another worker takes the job, and it completes exactly once.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BIN, startServer, workspace, api, drivers, until, sql, upload,
} from './lib/server.mjs';

const dir = mkdtempSync(join(tmpdir(), 'showdesk-jobs-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** A 20 s 1280x720 VP8 + Opus recording: a transcode that lasts a few seconds. */
const video = join(dir, 'long.webm');
execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30',
  '-f', 'lavfi', '-i', 'sine=frequency=300', '-t', '20', '-c:v', 'libvpx', '-deadline', 'realtime',
  '-cpu-used', '8', '-b:v', '2M', '-c:a', 'libopus', video], { timeout: 180000 });

function env() {
  const e = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SHOWDESK_')) e[k] = v;
  return e;
}

/** Starts `showdesk worker` on @srv's store with a short lease. */
function startWorker(srv) {
  const proc = spawn(BIN, ['worker', '--data', srv.data, ...(srv.db ? ['--db', srv.db] : []),
    '--workers', '1', '--job-lease', '3', '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'], env: env() });
  let log = '';
  proc.stderr.on('data', (d) => { log += d; });
  proc.stdout.on('data', () => {});
  const exited = new Promise((res) => proc.on('exit', (code, signal) => res({ code, signal })));
  return { proc, exited, get log() { return log; } };
}


for (const driver of drivers()) {
  describe(`durable jobs on ${driver}`, () => {
    let srv, ws;
    before(async () => {
      srv = await startServer({ driver, args: ['--no-workers'] });
      ws = workspace(srv, 'Jobs');
    });
    after(async () => { await srv.stop(); });

    it('finishes a transcode exactly once after its worker is killed mid-way', async () => {
      const id = await upload(srv, ws.secret_key, video);
      const media = async () => (await api(srv, 'GET', `/api/v1/media/${id}`, { key: ws.secret_key })).body;
      assert.equal((await media()).state, 'uploaded', 'no worker runs in the server');

      const w1 = startWorker(srv);
      // In the transcode: past the probe (10) and before the end (80).
      await until(async () => {
        const m = await media();
        assert.notEqual(m.state, 'ready', 'the transcode ended before the worker could be killed');
        return m.state === 'processing' && m.progress >= 15;
      }, 120000, 'the transcode under way');
      w1.proc.kill('SIGKILL');
      const dead = await w1.exited;
      assert.equal(dead.signal, 'SIGKILL');
      const cut = await media();
      assert.equal(cut.state, 'processing');
      const [[state1, attempts1]] = sql(srv, `SELECT state, attempts FROM jobs WHERE kind = 'media.process'`);
      assert.deepEqual([state1, attempts1], ['running', '1']);

      const w2 = startWorker(srv);
      try {
        await until(async () => (await media()).state === 'ready', 180000, 'the job retried and done');
        // Then its speech, by the next job (the sound is a tone: an empty transcript).
        await until(async () => ['ready', 'failed'].includes((await media()).transcript.state), 180000, 'the transcript');
      } finally {
        w2.proc.kill('SIGTERM');
        await w2.exited;
      }
      const m = await media();
      assert.equal(m.progress, 100);
      assert.ok(Math.abs(m.duration_ms - 20000) < 300, String(m.duration_ms));
      // One job, done on its second attempt, after the first lease ran out.
      const jobs = sql(srv, `SELECT state, attempts, last_error FROM jobs WHERE kind = 'media.process'`);
      assert.equal(jobs.length, 1);
      assert.equal(jobs[0][0], 'done');
      assert.equal(jobs[0][1], '2');
      // It ran to the end once: one "media.ready" in all the workers' logs.
      const ready = (w1.log + w2.log).match(/event=media\.ready /g) ?? [];
      assert.equal(ready.length, 1, w2.log);
      // One set of results, no original (not kept by default), and no scratch files left.
      const blobs = readdirSync(join(srv.data, 'blobs')).filter((f) => f.startsWith(id)).sort();
      const kinds = [...new Set(blobs.map((f) => f.slice(id.length + 1).split('.')[0]))].sort();
      assert.deepEqual(kinds, ['captions', 'mp4', 'pcm', 'poster', 'sprite', 'vtt']);
      assert.deepEqual(readdirSync(join(srv.data, 'work')), []);
      const v = await fetch(srv.base + m.urls.video, { headers: { range: 'bytes=0-1023' } });
      assert.equal(v.status, 206);
      await v.arrayBuffer();
    });
  });
}
