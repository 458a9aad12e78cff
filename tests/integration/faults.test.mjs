// SPDX-License-Identifier: AGPL-3.0-or-later
// Storage faults: the server's data folder is a 48 MiB tmpfs of its own (a
// private mount namespace, so nothing leaks to the machine), and an upload
// fills it. The upload gets 507 with a message a person understands and
// keeps what was synced; media accepted before stays whole and playable;
// after a termination frees the space, uploads and processing work again.
// Needs root for the mount (as CI and `make test` run here).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, workspace, api, expectError, until, upload } from './lib/server.mjs';


const MiB = 1 << 20;
const dir = mkdtempSync(join(tmpdir(), 'showdesk-faults-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const canMount = (() => {
  try {
    execFileSync('unshare', ['-m', 'sh', '-c', `mount -t tmpfs -o size=1m tmpfs ${dir}`], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
})();
if (!canMount && process.env.CI === 'true') {
  throw new Error('the disk-full tests need to mount a tmpfs (root, or CAP_SYS_ADMIN): run them as root');
}

function ffmpeg(name, seconds) {
  const out = join(dir, name);
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30',
    '-f', 'lavfi', '-i', 'sine', '-t', String(seconds), '-c:v', 'libvpx', '-c:a', 'libopus', out],
  { timeout: 120000 });
  return out;
}


/** One PATCH of @total random bytes sent in 1 MiB pieces; resolves to {status, body}. */
function patch(srv, key, id, offset, total) {
  return new Promise((res, rej) => {
    const req = http.request(`${srv.base}/api/v1/uploads/${id}`, {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${key}`, 'tus-resumable': '1.0.0', 'upload-offset': String(offset),
        'content-type': 'application/offset+octet-stream', 'content-length': String(total),
      },
    }, (r) => {
      let body = '';
      r.on('data', (d) => { body += d; });
      r.on('end', () => res({ status: r.statusCode, body: body ? JSON.parse(body) : null }));
    });
    req.on('error', rej);
    const piece = Buffer.alloc(MiB, 7);
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        sent += MiB;
        if (!req.write(piece)) { req.once('drain', pump); return; }
      }
      req.end();
    };
    pump();
  });
}

describe('a full disk', { skip: canMount ? false : 'cannot mount a tmpfs here (needs root)' }, () => {
  let srv, ws, key;
  before(async () => {
    const data = join(dir, 'data');
    mkdirSync(data);
    // The database lives outside the small disk: here the media fill it.
    srv = await startServer({
      data, db: `sqlite:${join(dir, 'showdesk.db')}`, args: ['--workers', '1'],
      wrap: ['unshare', '-m', 'sh', '-c', 'mount -t tmpfs -o size=48m,mode=0700 tmpfs "$0" && exec "$@"', data],
    });
    ws = workspace(srv, 'Full');
    key = ws.secret_key;
  });
  after(async () => { await srv?.stop(); });

  it('answers 507, keeps what was accepted, and works again once space is freed', async () => {
    const first = await upload(srv, key, ffmpeg('first.webm', 3));
    let m;
    await until(async () => {
      m = (await api(srv, 'GET', `/api/v1/media/${first}`, { key })).body;
      return m.state === 'ready' || m.state === 'failed';
    }, 60000, 'the first recording processed');
    assert.equal(m.state, 'ready', m.failure);

    // 80 MiB into a disk with less than 48 MiB free.
    const c = await api(srv, 'POST', '/api/v1/uploads', {
      key, headers: { 'tus-resumable': '1.0.0', 'upload-length': String(80 * MiB) },
    });
    assert.equal(c.status, 201);
    const big = c.headers.get('location').split('/').pop();
    const r = await patch(srv, key, big, 0, 80 * MiB);
    expectError(r, 507);
    assert.equal(r.body.error.code, "storage_full");
    assert.match(r.body.error.message, /disk is full/);
    assert.match(r.body.error.message, /resume it later/);
    // What was synced before the disk filled is kept, and said so.
    const h = await api(srv, 'HEAD', `/api/v1/uploads/${big}`, { key });
    assert.equal(h.status, 200);
    const kept = Number(h.headers.get('upload-offset'));
    assert.ok(kept >= 8 * MiB && kept < 48 * MiB, `kept ${kept}`);
    assert.match(r.body.error.message, new RegExp(`first ${kept} bytes`));

    // What was accepted before is whole: the first video still plays to its end.
    const v = await fetch(srv.base + m.urls.video);
    assert.equal(v.status, 200);
    const mp4 = join(dir, 'first.mp4');
    writeFileSync(mp4, Buffer.from(await v.arrayBuffer()));
    const dur = Number(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration',
      '-of', 'csv=p=0', mp4], { encoding: 'utf8' }));
    assert.ok(Math.abs(dur - 3) < 0.3, String(dur));

    // A new upload is refused while the disk is full, with the same clear answer.
    const full = await api(srv, 'POST', '/api/v1/uploads', {
      key,
      headers: {
        'tus-resumable': '1.0.0', 'upload-length': String(4 * MiB),
        'content-type': 'application/offset+octet-stream',
      },
      raw: Buffer.alloc(4 * MiB, 1),
    });
    assert.ok(full.status === 507 || full.status === 201, String(full.status));
    if (full.status === 201) await api(srv, 'DELETE', full.headers.get('location'), { key, headers: { 'tus-resumable': '1.0.0' } });

    // Terminating the big upload frees its space; uploads and processing work again.
    const d = await api(srv, 'DELETE', `/api/v1/uploads/${big}`, { key, headers: { 'tus-resumable': '1.0.0' } });
    assert.equal(d.status, 204);
    const again = await upload(srv, key, ffmpeg('again.webm', 2));
    await until(async () => {
      m = (await api(srv, 'GET', `/api/v1/media/${again}`, { key })).body;
      return m.state === 'ready' || m.state === 'failed';
    }, 60000, 'the recording after the fault processed');
    assert.equal(m.state, 'ready', m.failure);
  });
});
