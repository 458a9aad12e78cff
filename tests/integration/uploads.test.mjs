// SPDX-License-Identifier: AGPL-3.0-or-later
// tus 1.0 resumable uploads (/api/v1/uploads) against the real server, on
// both store drivers: tus-js-client (the client the widget uses) uploads real
// WebM made by the ffmpeg command line, in chunks and in one request, and
// resumes an upload cut by a kill -9 of the server; raw requests make what a
// well-behaved client never sends: bad offsets, lengths, checksums, content
// types and metadata, bodies past Upload-Length, concurrent writers, expired
// uploads, another workspace's ids, and the CORS rules of publishable keys.
// Every error answer is the JSON error shape.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ROOT, startServer, workspace, api, expectError, drivers, until,
} from './lib/server.mjs';

const require = createRequire(join(ROOT, 'web', 'package.json'));
const tus = require('tus-js-client');

const MiB = 1024 * 1024;
const TUS = { 'tus-resumable': '1.0.0' };
const OCTETS = 'application/offset+octet-stream';
const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$/;

const dir = mkdtempSync(join(tmpdir(), 'showdesk-uploads-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** A 4 s VP8/Opus WebM made by the ffmpeg command line (about 1.5 MB), as a Buffer. */
function makeWebm() {
  const out = join(dir, 'clip.webm');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30',
    '-f', 'lavfi', '-i', 'sine=frequency=440', '-t', '4', '-c:v', 'libvpx', '-b:v', '3M', '-c:a', 'libopus', out],
  { timeout: 120000 });
  return readFileSync(out);
}

const b64 = (s) => Buffer.from(s).toString('base64');
const sha1 = (buf) => createHash('sha1').update(buf).digest('base64');
const idOf = (location) => location.split('/').pop();

/** POST /api/v1/uploads; @headers are added to Tus-Resumable and the key. */
function create(srv, key, headers = {}, raw = undefined) {
  return api(srv, 'POST', '/api/v1/uploads', { key, headers: { ...TUS, ...headers }, raw });
}

/** Creates an upload of @length bytes and returns its id (asserts 201). */
async function created(srv, key, length, headers = {}) {
  const r = await create(srv, key, { 'upload-length': String(length), ...headers });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.match(r.headers.get('location'), /^\/api\/v1\/uploads\/md_\w+$/);
  return idOf(r.headers.get('location'));
}

/** PATCH of @body at @offset, with Tus-Resumable and the octet-stream type unless @headers say otherwise. */
function patch(srv, key, id, offset, body, headers = {}) {
  return api(srv, 'PATCH', `/api/v1/uploads/${id}`, {
    key, raw: body,
    headers: { ...TUS, 'content-type': OCTETS, 'upload-offset': String(offset), ...headers },
  });
}

/** The upload as GET shows it: {status, headers, body}. */
const state = (srv, key, id) => api(srv, 'GET', `/api/v1/uploads/${id}`, { key });
const head = (srv, key, id) => api(srv, 'HEAD', `/api/v1/uploads/${id}`, { key });

/** Asserts an upload's offset, by HEAD (the header) and GET (the JSON). */
async function expectOffset(srv, key, id, offset) {
  const h = await head(srv, key, id);
  assert.equal(h.status, 200);
  assert.equal(h.headers.get('upload-offset'), String(offset));
  const g = await state(srv, key, id);
  assert.equal(g.status, 200, JSON.stringify(g.body));
  assert.equal(g.body.upload_offset, offset);
  return g.body;
}

/**
 * A request written piece by piece with node:http, for what fetch cannot
 * do: a slow body, a chunked one, a body cut off. Each piece waits for the
 * socket to take the last one. @o.after(sent, req) runs after each piece and
 * may return 'stop' to stop writing (the request is then left open, to be
 * cut with req.destroy(error) or by the server's end). Resolves
 * to {status, headers, body, sent} once the answer is in, or {error, sent}
 * when the connection failed first.
 */
function stream(srv, method, path, headers, pieces, o = {}) {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port: srv.port, method, path, headers });
    let sent = 0;
    let settled = false;
    const done = (v) => {
      if (!settled) {
        settled = true;
        resolve({ ...v, sent });
      }
    };
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', (error) => done({ error }));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        const isJson = (res.headers['content-type'] ?? '').startsWith('application/json');
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) h.set(k, Array.isArray(v) ? v.join(', ') : v);
        done({ status: res.statusCode, headers: h, body: isJson && text !== '' ? JSON.parse(text) : text });
      });
    });
    req.on('error', (error) => done({ error }));
    (async () => {
      for (const p of pieces) {
        if (settled || req.destroyed) return;
        const more = req.write(p);
        sent += p.length;
        if (!more) {
          await new Promise((res) => {
            const go = () => {
              req.off('drain', go);
              req.off('close', go);
              res();
            };
            req.on('drain', go);
            req.on('close', go);
          });
        }
        if (o.after && (await o.after(sent, req)) === 'stop') return;
        if (o.pauseMs) await new Promise((res) => setTimeout(res, o.pauseMs));
      }
      if (!settled && !req.destroyed) req.end();
    })().catch((error) => {
      // A failing check in @o.after: end the request and hand its error on.
      req.destroy(error);
      done({ error });
    });
  });
}

/** @buf cut into pieces of @size bytes. */
function pieces(buf, size) {
  const out = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

/** Uploads @buf with tus-js-client; resolves to {id, upload}. */
function tusUpload(endpointOrUrl, key, buf, extra = {}) {
  return new Promise((resolve, reject) => {
    const up = new tus.Upload(buf, {
      endpoint: endpointOrUrl,
      headers: { authorization: `Bearer ${key}` },
      retryDelays: [],
      onError: reject,
      onSuccess: () => resolve({ id: idOf(up.url), upload: up }),
      ...extra,
    });
    up.start();
  });
}

for (const driver of drivers()) {
  describe(`tus uploads on ${driver}`, () => {
    let srv, ws, sk, webm;
    before(async () => {
      webm = makeWebm();
      assert.ok(webm.length > 300 * 1024, `the test clip is only ${webm.length} bytes`);
      srv = await startServer({ driver });
      ws = workspace(srv, 'Uploads', '--origin', 'https://app.uploads.test');
      sk = ws.secret_key;
    });
    after(async () => { await srv.stop(); });

    it('announces tus 1.0 and its extensions on OPTIONS', async () => {
      for (const path of ['/api/v1/uploads', '/api/v1/uploads/md_00000000000000000000000000000000']) {
        const r = await api(srv, 'OPTIONS', path);
        assert.ok(r.status === 204 || r.status === 200, `${path}: ${r.status}`);
        assert.equal(r.headers.get('tus-resumable'), '1.0.0');
        assert.equal(r.headers.get('tus-version'), '1.0.0');
        const ext = r.headers.get('tus-extension').split(',').map((s) => s.trim());
        for (const e of ['creation', 'creation-with-upload', 'termination', 'checksum', 'expiration']) {
          assert.ok(ext.includes(e), `Tus-Extension lacks ${e}: ${ext}`);
        }
        assert.deepEqual(r.headers.get('tus-checksum-algorithm').split(',').map((s) => s.trim()), ['sha1']);
      }
    });

    for (const [how, chunkSize] of [['in 256 KiB chunks', 256 * 1024], ['in one request', Infinity]]) {
      it(`takes a real WebM from tus-js-client ${how}`, async () => {
        let patches = 0;
        const { id } = await tusUpload(`${srv.base}/api/v1/uploads`, sk, webm, {
          chunkSize,
          metadata: { filename: 'clip.webm', filetype: 'video/webm' },
          onAfterResponse: (req) => { if (req.getMethod() === 'PATCH') patches++; },
        });
        const want = chunkSize === Infinity ? 1 : Math.ceil(webm.length / chunkSize);
        assert.equal(patches, want, 'PATCH requests');
        const h = await head(srv, sk, id);
        assert.equal(h.status, 200);
        assert.equal(h.body, '');
        assert.equal(h.headers.get('tus-resumable'), '1.0.0');
        assert.equal(h.headers.get('upload-offset'), String(webm.length));
        assert.equal(h.headers.get('upload-length'), String(webm.length));
        assert.equal(h.headers.get('cache-control'), 'no-store', 'tus 1.0: HEAD must not be cached');
        const g = await state(srv, sk, id);
        assert.equal(g.status, 200);
        assert.equal(g.headers.get('tus-resumable'), '1.0.0');
        assert.equal(g.headers.get('upload-offset'), String(webm.length));
        assert.equal(g.body.id, id);
        assert.ok(['uploaded', 'processing', 'ready', 'failed'].includes(g.body.state), g.body.state);
        assert.equal(g.body.upload_length, webm.length);
        assert.equal(g.body.upload_offset, webm.length);
        assert.equal(g.body.filename, 'clip.webm');
        assert.equal(g.body.content_type, 'video/webm');
        assert.equal(g.body.upload_expires_at, null, 'a complete upload does not expire');
        // The media API shows the same object.
        const m = await api(srv, 'GET', `/api/v1/media/${id}`, { key: sk });
        assert.equal(m.status, 200);
        assert.equal(m.body.id, id);
        // A complete upload takes no more bytes.
        expectError(await patch(srv, sk, id, webm.length, Buffer.from('x')), 409, 'conflict');
      });
    }

    it('takes the first bytes with the creation request (creation-with-upload)', async () => {
      const data = randomBytes(3000);
      const r = await create(srv, sk, {
        'upload-length': '3000', 'content-type': OCTETS,
        'upload-metadata': `filename ${b64('part.bin')}`,
      }, data.subarray(0, 1000));
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body, '');
      assert.equal(r.headers.get('tus-resumable'), '1.0.0');
      assert.equal(r.headers.get('upload-offset'), '1000');
      assert.match(r.headers.get('upload-expires'), IMF_FIXDATE);
      assert.ok(Date.parse(r.headers.get('upload-expires')) > Date.now());
      const id = idOf(r.headers.get('location'));
      const g = await expectOffset(srv, sk, id, 1000);
      assert.equal(g.state, 'uploading');
      assert.equal(g.filename, 'part.bin');
      assert.equal(g.content_type, null);
      const h = await head(srv, sk, id);
      assert.equal(h.headers.get('upload-metadata'), `filename ${b64('part.bin')}`);
      const p = await patch(srv, sk, id, 1000, data.subarray(1000));
      assert.equal(p.status, 204, JSON.stringify(p.body));
      assert.equal(p.headers.get('upload-offset'), '3000');
      assert.notEqual((await expectOffset(srv, sk, id, 3000)).state, 'uploading');

      // The whole file in the creation request.
      const whole = await create(srv, sk, { 'upload-length': '500', 'content-type': OCTETS }, randomBytes(500));
      assert.equal(whole.status, 201);
      assert.equal(whole.headers.get('upload-offset'), '500');
      assert.notEqual((await expectOffset(srv, sk, idOf(whole.headers.get('location')), 500)).state, 'uploading');

      // tus-js-client does the same with uploadDataDuringCreation.
      let posts = 0;
      const { id: id3 } = await tusUpload(`${srv.base}/api/v1/uploads`, sk, webm, {
        uploadDataDuringCreation: true,
        metadata: { filename: 'clip.webm', filetype: 'video/webm' },
        onAfterResponse: (req, res) => {
          if (req.getMethod() === 'POST') {
            posts++;
            assert.equal(res.getStatus(), 201);
            assert.equal(res.getHeader('Upload-Offset'), String(webm.length));
          }
        },
      });
      assert.equal(posts, 1);
      await expectOffset(srv, sk, id3, webm.length);
    });

    it('keeps what was synced when the server is killed mid-PATCH, and tus-js-client resumes', async () => {
      const LENGTH = 24 * MiB;
      const data = randomBytes(LENGTH);
      const first = await startServer({ driver, keepData: true });
      let second;
      try {
        const w = workspace(first, 'Crash');
        const key = w.secret_key;
        const id = await created(first, key, LENGTH, { 'upload-metadata': `filename ${b64('big.webm')},filetype ${b64('video/webm')}` });
        let headOffset = 0;
        const res = await stream(first, 'PATCH', `/api/v1/uploads/${id}`, {
          authorization: `Bearer ${key}`, ...TUS, 'content-type': OCTETS,
          'upload-offset': '0', 'content-length': String(LENGTH),
        }, pieces(data, MiB), {
          pauseMs: 10,
          after: async (sent) => {
            if (sent < 17 * MiB) return undefined;
            // The server syncs every 8 MiB: wait until a sync is visible, then crash it.
            await until(async () => {
              const h = await head(first, key, id);
              headOffset = Number(h.headers.get('upload-offset'));
              return headOffset >= 8 * MiB;
            }, 20000, 'an offset of 8 MiB or more during the PATCH');
            await first.kill9();
            return 'stop';
          },
        });
        assert.ok(res.error || res.status === undefined, `the PATCH was answered: ${res.status}`);
        const sent = res.sent;
        assert.ok(sent >= 17 * MiB && sent < LENGTH, `sent ${sent}`);

        second = await startServer({ driver, data: first.data, db: first.db });
        assert.notEqual(second.port, 0);
        const h = await head(second, key, id);
        assert.equal(h.status, 200);
        const offset = Number(h.headers.get('upload-offset'));
        assert.ok(offset >= 8 * MiB, `only ${offset} bytes kept after the crash`);
        assert.ok(offset >= headOffset, `the offset went back from ${headOffset} to ${offset}`);
        assert.ok(offset <= sent, `offset ${offset} is past the ${sent} bytes sent`);
        assert.equal(h.headers.get('upload-length'), String(LENGTH));
        assert.equal((await state(second, key, id)).body.state, 'uploading');

        let resumedAt = null;
        await tusUpload(`${second.base}/api/v1/uploads`, key, data, {
          uploadUrl: `${second.base}/api/v1/uploads/${id}`,
          chunkSize: 4 * MiB,
          onAfterResponse: (req, r) => {
            if (req.getMethod() === 'HEAD') resumedAt = Number(r.getHeader('Upload-Offset'));
          },
        });
        assert.equal(resumedAt, offset, 'tus-js-client resumed from the offset HEAD gave');
        const done = await expectOffset(second, key, id, LENGTH);
        assert.notEqual(done.state, 'uploading');
        assert.equal(done.filename, 'big.webm');
        // TODO: compare the stored original byte for byte with `data` once
        // originals can be downloaded through the API (they are sealed on disk).
        await second.stop();
        second = null;
      } finally {
        if (second) await second.stop();
        if (!first.proc.killed) await first.stop();
        first.cleanup();
      }
    });

    it('takes more slow uploads at once than it has database connections', async () => {
      // Three connections, eight bodies trickling in together: a PATCH holds a
      // connection only while it reads or moves the row, not while bytes arrive.
      const small = await startServer({ driver, args: ['--db-pool', '3', '--threads', '2'] });
      try {
        const k = workspace(small, 'Pool').secret_key;
        const body = randomBytes(MiB);
        const ids = [];
        for (let i = 0; i < 8; i++) ids.push(await created(small, k, MiB));
        const results = await Promise.all(ids.map((id) => stream(small, 'PATCH', `/api/v1/uploads/${id}`,
          { authorization: `Bearer ${k}`, ...TUS, 'upload-offset': '0', 'content-type': OCTETS, 'content-length': String(MiB) },
          pieces(body, 64 * 1024), { pauseMs: 40 })));
        assert.deepEqual(results.map((r) => r.status), Array(8).fill(204), JSON.stringify(results.map((r) => r.body)));
        for (const id of ids) await expectOffset(small, k, id, MiB);
      } finally {
        await small.stop();
      }
    });

    it('is busy while a PATCH runs, and keeps the bytes of a PATCH whose client went away', async () => {
      const LENGTH = 12 * MiB;
      const id = await created(srv, sk, LENGTH);
      const body = randomBytes(LENGTH);
      let during = null;
      const res = await stream(srv, 'PATCH', `/api/v1/uploads/${id}`, {
        authorization: `Bearer ${sk}`, ...TUS, 'content-type': OCTETS, 'upload-offset': '0',
        'content-length': String(LENGTH),
      }, pieces(body, MiB), {
        after: async (sent, req) => {
          if (sent < 9 * MiB) return undefined;
          // The sync at 8 MiB shows the PATCH is under way.
          await until(async () => Number((await head(srv, sk, id)).headers.get('upload-offset')) >= 8 * MiB,
            20000, 'the sync at 8 MiB');
          during = { head: await head(srv, sk, id) };
          during.del = await api(srv, 'DELETE', `/api/v1/uploads/${id}`, { key: sk, headers: TUS });
          // A second writer at the right offset: refused because the upload is busy.
          during.second = await patch(srv, sk, id, during.head.headers.get('upload-offset'), randomBytes(1000));
          // The client goes away with 9 MiB sent.
          req.destroy(new Error('cut by the test'));
          return 'stop';
        },
      });
      assert.equal(res.error?.message, 'cut by the test', `the PATCH was answered ${res.status}`);
      expectError(during.del, 409, 'conflict');
      expectError(during.second, 409, 'conflict');
      // Syncs fall on the first read past each 8 MiB, not on 8 MiB itself.
      const synced = Number(during.head.headers.get('upload-offset'));
      assert.ok(synced >= 8 * MiB && synced <= 9 * MiB, `offset ${synced} during the PATCH`);
      // The server keeps every byte it read before the connection ended.
      let offset = 0;
      await until(async () => {
        offset = Number((await head(srv, sk, id)).headers.get('upload-offset'));
        return offset === res.sent;
      }, 10000, `the ${res.sent} bytes of the cut PATCH kept (offset ${offset})`);
      const rest = await patch(srv, sk, id, offset, body.subarray(offset));
      assert.equal(rest.status, 204, JSON.stringify(rest.body));
      assert.notEqual((await expectOffset(srv, sk, id, LENGTH)).state, 'uploading');
    });

    it('checks Upload-Checksum (sha1): a match counts, a mismatch keeps nothing (460)', async () => {
      const data = randomBytes(64 * 1024);
      const id = await created(srv, sk, data.length);
      const half = data.subarray(0, 32 * 1024);
      const rest = data.subarray(32 * 1024);
      const ok = await patch(srv, sk, id, 0, half, { 'upload-checksum': `sha1 ${sha1(half)}` });
      assert.equal(ok.status, 204, JSON.stringify(ok.body));
      assert.equal(ok.headers.get('upload-offset'), String(half.length));

      const bad = await patch(srv, sk, id, half.length, rest, { 'upload-checksum': `sha1 ${sha1(half)}` });
      expectError(bad, 460, 'invalid', 'Upload-Checksum');
      assert.equal(bad.headers.get('tus-resumable'), '1.0.0');
      await expectOffset(srv, sk, id, half.length);

      // A malformed digest and an algorithm the server does not have.
      expectError(await patch(srv, sk, id, half.length, rest, { 'upload-checksum': 'sha1 not-base64!' }), 400, 'bad_request', 'Upload-Checksum');
      expectError(await patch(srv, sk, id, half.length, rest, { 'upload-checksum': `sha1 ${Buffer.alloc(16).toString('base64')}` }), 400, 'bad_request', 'Upload-Checksum');
      expectError(await patch(srv, sk, id, half.length, rest, { 'upload-checksum': 'sha1' }), 400, 'bad_request', 'Upload-Checksum');
      expectError(await patch(srv, sk, id, half.length, rest, {
        'upload-checksum': `md5 ${createHash('md5').update(rest).digest('base64')}`,
      }), 400, 'unsupported', 'Upload-Checksum');
      await expectOffset(srv, sk, id, half.length);

      // The same bytes again from the old offset, with the right digest.
      const good = await patch(srv, sk, id, half.length, rest, { 'upload-checksum': `sha1 ${sha1(rest)}` });
      assert.equal(good.status, 204, JSON.stringify(good.body));
      assert.equal(good.headers.get('upload-offset'), String(data.length));
      assert.notEqual((await expectOffset(srv, sk, id, data.length)).state, 'uploading');
    });

    it('refuses PATCHes that do not follow the protocol, and keeps the offset', async () => {
      const id = await created(srv, sk, 1000);
      assert.equal((await patch(srv, sk, id, 0, randomBytes(100))).status, 204);

      const wrong = await patch(srv, sk, id, 50, randomBytes(10));
      expectError(wrong, 409, 'conflict', 'Upload-Offset');
      assert.equal(wrong.headers.get('upload-offset'), '100');
      expectError(await patch(srv, sk, id, 200, randomBytes(10)), 409, 'conflict', 'Upload-Offset');

      const noTus = await api(srv, 'PATCH', `/api/v1/uploads/${id}`, {
        key: sk, raw: randomBytes(10), headers: { 'content-type': OCTETS, 'upload-offset': '100' },
      });
      expectError(noTus, 412, 'invalid', 'Tus-Resumable');
      assert.equal(noTus.headers.get('tus-version'), '1.0.0');
      expectError(await patch(srv, sk, id, 100, randomBytes(10), { 'tus-resumable': '0.2.2' }), 412, 'invalid', 'Tus-Resumable');

      expectError(await patch(srv, sk, id, 100, randomBytes(10), { 'content-type': 'application/octet-stream' }), 415, 'unsupported', 'Content-Type');
      expectError(await patch(srv, sk, id, 100, '{}', { 'content-type': 'application/json' }), 415, 'unsupported', 'Content-Type');
      // (fetch trims spaces around a header's value, as HTTP does.)
      for (const bad of ['-1', 'abc', '1.5', '+100', '1 00', '0x64', '']) {
        expectError(await patch(srv, sk, id, bad, randomBytes(10)), 400, 'bad_request', 'Upload-Offset');
      }
      expectError(await api(srv, 'PATCH', `/api/v1/uploads/${id}`, {
        key: sk, raw: randomBytes(10), headers: { ...TUS, 'content-type': OCTETS },
      }), 400, 'bad_request', 'Upload-Offset');

      // A body past Upload-Length, announced by Content-Length: refused before a byte is read.
      const long = await patch(srv, sk, id, 100, randomBytes(901));
      expectError(long, 413, 'too_large', 'Content-Length');
      await expectOffset(srv, sk, id, 100);

      // The same, chunked: found out while it streams; nothing of it stays.
      const chunked = await stream(srv, 'PATCH', `/api/v1/uploads/${id}`, {
        authorization: `Bearer ${sk}`, ...TUS, 'content-type': OCTETS, 'upload-offset': '100',
      }, pieces(randomBytes(1500), 300));
      assert.equal(chunked.error, undefined, String(chunked.error));
      expectError(chunked, 413, 'too_large');
      await expectOffset(srv, sk, id, 100);

      // The upload still takes the right bytes after all that.
      const fine = await patch(srv, sk, id, 100, randomBytes(900));
      assert.equal(fine.status, 204, JSON.stringify(fine.body));
      assert.notEqual((await expectOffset(srv, sk, id, 1000)).state, 'uploading');

      // Unknown ids, malformed ids.
      expectError(await patch(srv, sk, 'md_00000000000000000000000000000000', 0, randomBytes(10)), 404, 'not_found');
      const h = await head(srv, sk, 'md_00000000000000000000000000000000');
      assert.equal(h.status, 404);
      assert.equal(h.headers.get('tus-resumable'), '1.0.0');
      expectError(await state(srv, sk, 'md_00000000000000000000000000000000'), 404, 'not_found');
      expectError(await state(srv, sk, 'tkt_0000'), 404, 'not_found');
    });

    it('takes bytes only as application/offset+octet-stream, not a type that merely starts so', async () => {
      const id = await created(srv, sk, 10);
      expectError(await patch(srv, sk, id, 0, 'abcde', { 'content-type': `${OCTETS}XYZ` }), 415, 'unsupported', 'Content-Type');
      await expectOffset(srv, sk, id, 0);
      // Parameters after ';' are fine.
      assert.equal((await patch(srv, sk, id, 0, 'abcde', { 'content-type': `${OCTETS}; x=1` })).status, 204);
    });

    it('refuses creations it cannot take: size, type, length, metadata', async () => {
      const w = workspace(srv, 'Small uploads');
      const key = w.secret_key;
      const set = await api(srv, 'PATCH', '/api/v1/workspace', { key, body: { media: { max_bytes: 1000 } } });
      assert.equal(set.status, 200, JSON.stringify(set.body));
      assert.equal(set.body.media.max_bytes, 1000);
      assert.equal((await api(srv, 'GET', '/api/v1/workspace', { key })).body.media.max_bytes, 1000);

      const big = await create(srv, key, { 'upload-length': '1001' });
      expectError(big, 413, 'too_large', 'Upload-Length');
      assert.equal(big.headers.get('tus-max-size'), '1000');
      assert.equal((await create(srv, key, { 'upload-length': '1000' })).status, 201);

      const type = (t) => ({ 'upload-length': '10', 'upload-metadata': `filename ${b64('a.txt')},filetype ${b64(t)}` });
      expectError(await create(srv, key, type('text/plain')), 415, 'unsupported', 'Upload-Metadata');
      expectError(await create(srv, key, type('application/x-msdownload')), 415, 'unsupported', 'Upload-Metadata');
      assert.equal((await create(srv, key, type('video/webm'))).status, 201);
      assert.equal((await create(srv, key, type('video/webm;codecs=vp8,opus'))).status, 201);

      expectError(await create(srv, key, { 'upload-length': '0' }), 422, 'invalid', 'Upload-Length');
      expectError(await create(srv, key, {}), 400, 'bad_request', 'Upload-Length');
      for (const bad of ['-5', 'ten', '1e3', '9007199254740993']) {
        expectError(await create(srv, key, { 'upload-length': bad }), 400, 'bad_request', 'Upload-Length');
      }
      expectError(await create(srv, key, { 'upload-defer-length': '1' }), 400, 'bad_request', 'Upload-Defer-Length');
      for (const meta of ['filename !!!notbase64', 'filename YQ', `filename ${b64('a')},filename ${b64('b')}`,
        `,filename ${b64('a')}`, `filename ${b64('a')},,filetype ${b64('video/webm')}`, `filename ${b64('a')} extra`]) {
        expectError(await create(srv, key, { 'upload-length': '10', 'upload-metadata': meta }), 400, 'bad_request', 'Upload-Metadata');
      }
      // A key without a value is allowed (tus 1.0).
      assert.equal((await create(srv, key, { 'upload-length': '10', 'upload-metadata': `is_confidential,filename ${b64('a.webm')}` })).status, 201);
      expectError(await create(srv, key, { 'upload-length': '10', 'upload-metadata': `filename ${b64('x'.repeat(300))}` }), 400, 'bad_request', 'Upload-Metadata');

      const noTus = await api(srv, 'POST', '/api/v1/uploads', { key, headers: { 'upload-length': '10' } });
      expectError(noTus, 412, 'invalid', 'Tus-Resumable');
      assert.equal(noTus.headers.get('tus-version'), '1.0.0');
      // A creation-with-upload body past its own Upload-Length.
      expectError(await create(srv, key, { 'upload-length': '10', 'content-type': OCTETS }, randomBytes(11)), 413, 'too_large');
      expectError(await api(srv, 'POST', '/api/v1/uploads', { headers: { ...TUS, 'upload-length': '10' } }), 401, 'unauthorized');
    });

    it('terminates an upload: DELETE, then it is gone', async () => {
      const id = await created(srv, sk, 1000);
      assert.equal((await patch(srv, sk, id, 0, randomBytes(10))).status, 204);
      expectError(await api(srv, 'DELETE', `/api/v1/uploads/${id}`, { key: sk }), 412, 'invalid', 'Tus-Resumable');
      await expectOffset(srv, sk, id, 10);
      const d = await api(srv, 'DELETE', `/api/v1/uploads/${id}`, { key: sk, headers: TUS });
      assert.equal(d.status, 204, JSON.stringify(d.body));
      assert.equal(d.body, '');
      assert.equal(d.headers.get('tus-resumable'), '1.0.0');
      assert.equal((await head(srv, sk, id)).status, 404);
      expectError(await state(srv, sk, id), 404, 'not_found');
      expectError(await patch(srv, sk, id, 10, randomBytes(10)), 404, 'not_found');
      expectError(await api(srv, 'DELETE', `/api/v1/uploads/${id}`, { key: sk, headers: TUS }), 404, 'not_found');
      expectError(await api(srv, 'GET', `/api/v1/media/${id}`, { key: sk }), 404, 'not_found');
    });

    it('lets one of two concurrent PATCHes at the same offset through, and answers the other 409', async () => {
      const id = await created(srv, sk, 8 * MiB);
      const bodies = [randomBytes(2 * MiB), randomBytes(3 * MiB)];
      const send = (body) => stream(srv, 'PATCH', `/api/v1/uploads/${id}`, {
        authorization: `Bearer ${sk}`, ...TUS, 'content-type': OCTETS, 'upload-offset': '0',
        'content-length': String(body.length),
      }, pieces(body, 128 * 1024), { pauseMs: 5 });
      const answers = await Promise.all(bodies.map(send));
      for (const a of answers) assert.equal(a.error, undefined, String(a.error));
      const statuses = answers.map((a) => a.status);
      assert.deepEqual([...statuses].sort(), [204, 409], JSON.stringify(statuses));
      const winner = statuses.indexOf(204);
      expectError(answers[1 - winner], 409, 'conflict');
      assert.equal(answers[winner].headers.get('upload-offset'), String(bodies[winner].length));
      await expectOffset(srv, sk, id, bodies[winner].length);
      // The upload goes on from there.
      const next = await patch(srv, sk, id, bodies[winner].length, randomBytes(1000));
      assert.equal(next.status, 204);
      assert.equal(next.headers.get('upload-offset'), String(bodies[winner].length + 1000));
    });

    it("answers 404 to another workspace's key on an upload, and changes nothing", async () => {
      const other = workspace(srv, 'Other');
      const ok = other.secret_key;
      const id = await created(srv, sk, 1000, { 'upload-metadata': `filename ${b64('mine.webm')}` });
      assert.equal((await patch(srv, sk, id, 0, randomBytes(100))).status, 204);
      const before = (await state(srv, sk, id)).body;
      expectError(await state(srv, ok, id), 404, 'not_found');
      const h = await head(srv, ok, id);
      assert.equal(h.status, 404);
      assert.equal(h.headers.get('upload-offset'), null);
      expectError(await patch(srv, ok, id, 100, randomBytes(100)), 404, 'not_found');
      expectError(await patch(srv, ok, id, 0, randomBytes(100)), 404, 'not_found');
      expectError(await api(srv, 'DELETE', `/api/v1/uploads/${id}`, { key: ok, headers: TUS }), 404, 'not_found');
      expectError(await api(srv, 'GET', `/api/v1/media/${id}`, { key: ok }), 404, 'not_found');
      assert.deepEqual((await state(srv, sk, id)).body, before);
      // The owner carries on.
      assert.equal((await patch(srv, sk, id, 100, randomBytes(900))).status, 204);
    });

    it('expires an upload without progress: 410, and Upload-Expires in the past', async () => {
      const w = workspace(srv, 'Expiring');
      const key = w.secret_key;
      const set = await api(srv, 'PATCH', '/api/v1/workspace', { key, body: { media: { upload_expiry_s: 1 } } });
      assert.equal(set.status, 200, JSON.stringify(set.body));
      assert.equal(set.body.media.upload_expiry_s, 1);
      assert.equal(set.body.media.max_bytes, 500000000, 'the other media settings stay');
      const id = await created(srv, key, 1000);
      const g = await state(srv, key, id);
      const expires = Date.parse(g.body.upload_expires_at);
      assert.ok(expires - Date.now() <= 1000, g.body.upload_expires_at);
      await until(() => Date.now() > expires + 100, 5000, 'the expiry');
      expectError(await patch(srv, key, id, 0, randomBytes(10)), 410, 'not_found');
      const h = await head(srv, key, id);
      assert.equal(h.status, 200);
      const header = h.headers.get('upload-expires');
      assert.match(header, IMF_FIXDATE);
      assert.equal(new Date(Date.parse(header)).toUTCString(), header, 'not an IMF-fixdate');
      assert.ok(Date.parse(header) < Date.now(), `Upload-Expires ${header} is not in the past`);
      assert.equal(h.headers.get('upload-offset'), '0');
    });

    it('takes uploads from a publishable key on an allowed origin, with CORS', async () => {
      const origin = 'https://app.uploads.test';
      const pk = ws.publishable_key;
      const c = await create(srv, pk, { origin, 'upload-length': '20', 'upload-metadata': `filetype ${b64('video/webm')}` });
      assert.equal(c.status, 201, JSON.stringify(c.body));
      assert.equal(c.headers.get('access-control-allow-origin'), origin);
      const expose = (r) => r.headers.get('access-control-expose-headers').split(',').map((s) => s.trim().toLowerCase());
      for (const h of ['location', 'upload-offset', 'upload-length', 'upload-expires', 'tus-resumable']) {
        assert.ok(expose(c).includes(h), `Access-Control-Expose-Headers lacks ${h}`);
      }
      const id = idOf(c.headers.get('location'));
      const p = await patch(srv, pk, id, 0, randomBytes(10), { origin });
      assert.equal(p.status, 204, JSON.stringify(p.body));
      assert.equal(p.headers.get('access-control-allow-origin'), origin);
      assert.ok(expose(p).includes('upload-offset'));
      const h = await head(srv, pk, id);
      assert.equal(h.status, 403, 'a publishable key without Origin');
      const h2 = await api(srv, 'HEAD', `/api/v1/uploads/${id}`, { key: pk, headers: { origin } });
      assert.equal(h2.status, 200);
      assert.equal(h2.headers.get('upload-offset'), '10');
      assert.ok(expose(h2).includes('upload-offset'));

      // tus-js-client, sending the page's Origin as a browser would.
      const { id: id2 } = await tusUpload(`${srv.base}/api/v1/uploads`, pk, webm, {
        headers: { authorization: `Bearer ${pk}`, origin },
        chunkSize: 512 * 1024,
        metadata: { filename: 'widget.webm', filetype: 'video/webm' },
      });
      await expectOffset(srv, sk, id2, webm.length);

      // The preflight a browser sends before a PATCH.
      for (const path of [`/api/v1/uploads/${id}`, '/api/v1/uploads']) {
        const pre = await api(srv, 'OPTIONS', path, {
          headers: { origin, 'access-control-request-method': path.endsWith('uploads') ? 'POST' : 'PATCH',
            'access-control-request-headers': 'authorization, tus-resumable, upload-offset, content-type' },
        });
        assert.equal(pre.status, 204);
        assert.equal(pre.headers.get('access-control-allow-origin'), origin);
        const methods = pre.headers.get('access-control-allow-methods').split(',').map((s) => s.trim());
        for (const m of path.endsWith('uploads') ? ['POST'] : ['PATCH', 'HEAD', 'DELETE', 'GET']) {
          assert.ok(methods.includes(m), `${path}: Access-Control-Allow-Methods lacks ${m}: ${methods}`);
        }
        const allowed = pre.headers.get('access-control-allow-headers').split(',').map((s) => s.trim().toLowerCase());
        for (const x of ['authorization', 'content-type', 'tus-resumable', 'upload-length', 'upload-metadata', 'upload-offset', 'upload-checksum']) {
          assert.ok(allowed.includes(x), `${path}: Access-Control-Allow-Headers lacks ${x}`);
        }
      }

      // Not from an allowed origin, or not from a browser: refused.
      expectError(await create(srv, pk, { origin: 'https://evil.test', 'upload-length': '20' }), 403, 'forbidden');
      expectError(await create(srv, pk, { 'upload-length': '20' }), 403, 'forbidden');
      expectError(await patch(srv, pk, id, 10, randomBytes(10), { origin: 'https://evil.test' }), 403, 'forbidden');
      expectError(await patch(srv, pk, id, 10, randomBytes(10)), 403, 'forbidden');
      expectError(await api(srv, 'DELETE', `/api/v1/uploads/${id}`, { key: pk, headers: { ...TUS, origin: 'https://evil.test' } }), 403, 'forbidden');
      await expectOffset(srv, sk, id, 10);
      // The publishable key may terminate its page's upload.
      assert.equal((await api(srv, 'DELETE', `/api/v1/uploads/${id}`, { key: pk, headers: { ...TUS, origin } })).status, 204);
    });
  });
}
