// SPDX-License-Identifier: AGPL-3.0-or-later
// A recording from upload to playback, over HTTP, on both store drivers:
// tus-js-client uploads real media made by the ffmpeg command line, a worker
// probes and transcodes it, and the signed URLs serve the video with Range,
// the poster, the sprite and its WebVTT track. Bad files end "failed" with a
// reason and never take the worker down.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startServer, workspace, api, createTicket, expectError, drivers, until, upload,
} from './lib/server.mjs';

const dir = mkdtempSync(join(tmpdir(), 'showdesk-media-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** Makes a file with the ffmpeg command line: @args between the inputs and the output. */
function ffmpeg(name, args) {
  const out = join(dir, name);
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...args, out], { timeout: 120000 });
  return out;
}

const SRC = ['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30',
  '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'];

/** Waits until the media leaves uploaded/processing; returns it. */
async function settled(srv, key, id, ms = 90000) {
  let m;
  await until(async () => {
    const r = await api(srv, 'GET', `/api/v1/media/${id}`, { key });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    m = r.body;
    return m.state === 'ready' || m.state === 'failed';
  }, ms, `media ${id} processed`);
  return m;
}

/** The first bytes of a JPEG. */
function isJpeg(buf) {
  return buf.length > 100 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff;
}

// Sealed media on every driver, and plain media (encrypt_media = false,
// served with sendfile) on SQLite.
const modes = [...drivers().map((d) => [d, 'sealed']), ['sqlite', 'plain']];
for (const [driver, mode] of modes) {
  describe(`media on ${driver}, ${mode}`, () => {
    let srv, ws, sk;
    before(async () => {
      srv = await startServer({
        driver, args: ['--workers', '2', ...(mode === 'plain' ? ['--encrypt-media=false'] : [])],
      });
      ws = workspace(srv, 'Media');
      sk = ws.secret_key;
    });
    after(async () => { await srv.stop(); });

    it('turns a WebM without a duration (as MediaRecorder writes) into a playable MP4', async () => {
      // -live 1: no duration and no cues in the header, like Chrome's recordings.
      const webm = ffmpeg('chrome.webm', [...SRC, '-t', '5', '-c:v', 'libvpx', '-b:v', '800k',
        '-c:a', 'libopus', '-f', 'webm', '-live', '1']);
      const probe = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration',
        '-of', 'csv=p=0', webm], { encoding: 'utf8' }).trim();
      assert.equal(probe, 'N/A', 'the fixture must lack a duration');
      const id = await upload(srv, sk, webm, 'video/webm');
      const m = await settled(srv, sk, id);
      assert.equal(m.state, 'ready', m.failure);
      assert.equal(m.progress, 100);
      assert.ok(Math.abs(m.duration_ms - 5000) < 300, `duration ${m.duration_ms}`);
      assert.equal(m.info.source.container, 'webm');
      assert.equal(m.info.source.video_codec, 'vp8');
      assert.equal(m.info.source.audio_codec, 'opus');
      assert.equal(m.info.video.video_codec, 'h264');
      assert.equal(m.info.video.audio_codec, 'aac');
      assert.equal(m.info.video.width, 640);
      assert.equal(m.info.video.height, 360);
      for (const k of ['video', 'poster', 'sprite', 'thumbnails']) assert.match(m.urls[k], /^\/media\/md_/);

      // The MP4 plays from the start: moov before mdat.
      const v = await fetch(srv.base + m.urls.video);
      assert.equal(v.status, 200);
      assert.equal(v.headers.get('content-type'), 'video/mp4');
      assert.equal(v.headers.get('accept-ranges'), 'bytes');
      const mp4 = Buffer.from(await v.arrayBuffer());
      assert.equal(mp4.length, m.size_bytes);
      const moov = mp4.indexOf('moov');
      const mdat = mp4.indexOf('mdat');
      assert.ok(moov > 0 && moov < mdat, `moov at ${moov}, mdat at ${mdat}`);
      const out = join(dir, 'out.mp4');
      writeFileSync(out, mp4);
      const streams = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name',
        '-of', 'csv=p=0', out], { encoding: 'utf8' }).trim().split('\n').sort();
      assert.deepEqual(streams, ['aac', 'h264']);

      const p = await fetch(srv.base + m.urls.poster);
      assert.equal(p.status, 200);
      assert.equal(p.headers.get('content-type'), 'image/jpeg');
      assert.ok(isJpeg(Buffer.from(await p.arrayBuffer())));
      const s = await fetch(srv.base + m.urls.sprite);
      assert.ok(isJpeg(Buffer.from(await s.arrayBuffer())));
      const t = await fetch(srv.base + m.urls.thumbnails);
      assert.equal(t.status, 200);
      assert.match(t.headers.get('content-type'), /^text\/vtt/);
      const vtt = await t.text();
      assert.match(vtt, /^WEBVTT\r?\n/);
      // Every cue points at the signed sprite URL, so a player can fetch it as it is.
      const cues = [...vtt.matchAll(/^(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})\r?\n(.+)$/gm)];
      assert.ok(cues.length >= 2, vtt);
      for (const c of cues) {
        assert.match(c[3], /^\/media\/md_[0-9a-z]+\/sprite\.jpg\?exp=\d+&sig=[A-Za-z0-9_-]+#xywh=\d+,\d+,\d+,\d+$/);
      }
      const sprite = await fetch(srv.base + cues[0][3].split('#')[0]);
      assert.equal(sprite.status, 200);
    });

    it('serves byte ranges of the video: 206, suffix and open ranges, 416, ETag and 304', async () => {
      const mp4src = ffmpeg('safari.mp4', [...SRC, '-t', '3', '-c:v', 'libx264', '-pix_fmt', 'yuv420p',
        '-c:a', 'aac', '-movflags', '+faststart']);
      const id = await upload(srv, sk, mp4src, 'video/mp4');
      const m = await settled(srv, sk, id);
      assert.equal(m.state, 'ready', m.failure);
      assert.equal(m.info.source.container, 'mp4');
      const url = srv.base + m.urls.video;
      const whole = Buffer.from(await (await fetch(url)).arrayBuffer());
      const size = whole.length;
      // Stored as the mode says: a key per sealed object, a marker for plain ones.
      const stored = readdirSync(join(srv.data, 'blobs')).filter((f) => f.startsWith(`${id}-mp4.`));
      assert.ok(stored.includes(`${id}-mp4.${mode === 'plain' ? 'plain' : 'key'}`), stored.join());

      let r = await fetch(url, { headers: { range: 'bytes=100-1099' } });
      assert.equal(r.status, 206);
      assert.equal(r.headers.get('content-range'), `bytes 100-1099/${size}`);
      assert.equal(r.headers.get('content-length'), '1000');
      assert.deepEqual(Buffer.from(await r.arrayBuffer()), whole.subarray(100, 1100));

      r = await fetch(url, { headers: { range: 'bytes=-500' } });
      assert.equal(r.status, 206);
      assert.deepEqual(Buffer.from(await r.arrayBuffer()), whole.subarray(size - 500));

      r = await fetch(url, { headers: { range: `bytes=${size - 10}-` } });
      assert.equal(r.status, 206);
      assert.equal(r.headers.get('content-range'), `bytes ${size - 10}-${size - 1}/${size}`);

      r = await fetch(url, { headers: { range: `bytes=${size}-` } });
      assert.equal(r.status, 416);
      assert.equal(r.headers.get('content-range'), `bytes */${size}`);
      await r.arrayBuffer();

      // A range across a 64 KiB chunk edge of the encrypted object.
      r = await fetch(url, { headers: { range: 'bytes=65530-65545' } });
      assert.deepEqual(Buffer.from(await r.arrayBuffer()), whole.subarray(65530, 65546));

      r = await fetch(url, { method: 'HEAD' });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-length'), String(size));
      const etag = r.headers.get('etag');
      assert.match(etag, /^"[^"]+"$/);
      assert.ok(r.headers.get('last-modified'));
      r = await fetch(url, { headers: { 'if-none-match': etag } });
      assert.equal(r.status, 304);
      // If-Range with the current ETag keeps the range; with another it is ignored.
      r = await fetch(url, { headers: { range: 'bytes=0-9', 'if-range': etag } });
      assert.equal(r.status, 206);
      await r.arrayBuffer();
      r = await fetch(url, { headers: { range: 'bytes=0-9', 'if-range': '"other"' } });
      assert.equal(r.status, 200);
      await r.arrayBuffer();
    });

    it('refuses tampered, expired and foreign media URLs', async () => {
      const webm = ffmpeg('short.webm', [...SRC, '-t', '2', '-c:v', 'libvpx', '-c:a', 'libopus']);
      const id = await upload(srv, sk, webm, 'video/webm');
      const m = await settled(srv, sk, id);
      assert.equal(m.state, 'ready', m.failure);
      const u = new URL(srv.base + m.urls.video);
      const bad = async (mutate) => {
        const x = new URL(u);
        mutate(x);
        const r = await fetch(x);
        assert.equal(r.status, 403, x.toString());
        expectError({ status: r.status, body: await r.json() }, 403);
      };
      await bad((x) => x.searchParams.set('sig', x.searchParams.get('sig').replace(/^./, (c) => (c === 'A' ? 'B' : 'A'))));
      await bad((x) => x.searchParams.set('exp', String(Number(x.searchParams.get('exp')) + 60)));
      await bad((x) => x.searchParams.set('exp', '1'));
      await bad((x) => x.searchParams.delete('sig'));
      // The signature of the video does not open the poster.
      await bad((x) => { x.pathname = x.pathname.replace('video.mp4', 'poster.jpg'); });
      const r = await fetch(`${srv.base}/media/${id}/nothing.bin?${u.searchParams}`);
      assert.ok(r.status === 404 || r.status === 403, String(r.status));
    });

    it('attaches media to a message, and the thread shows it with its state', async () => {
      const webm = ffmpeg('attach.webm', [...SRC, '-t', '2', '-c:v', 'libvpx', '-c:a', 'libopus']);
      const id = await upload(srv, sk, webm, 'video/webm');
      const t = await createTicket(srv, sk);
      let r = await api(srv, 'POST', `/api/v1/tickets/${t.id}/messages`, {
        key: sk, body: { text: 'Here is what I see', media_ids: [id] },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.attachments.length, 1);
      assert.equal(r.body.attachments[0].id, id);
      // Once attached, it cannot be attached again or terminated.
      r = await api(srv, 'POST', `/api/v1/tickets/${t.id}/messages`, {
        key: sk, body: { text: 'again', media_ids: [id] },
      });
      expectError(r, 409, undefined, 'media_ids[0]');
      r = await api(srv, 'POST', `/api/v1/tickets/${t.id}/messages`, {
        key: sk, body: { text: 'nothing', media_ids: ['md_0000000000000000000000000a'] },
      });
      expectError(r, 422, undefined, 'media_ids[0]');
      await settled(srv, sk, id);
      r = await api(srv, 'GET', `/api/v1/tickets/${t.id}/messages`, { key: sk });
      const msg = r.body.data.find((x) => x.attachments.length === 1);
      assert.equal(msg.attachments[0].state, 'ready');
      assert.match(msg.attachments[0].urls.video, /^\/media\//);
    });

    it('accepts VP9, Matroska H.264 and MP4 with a rotation', async () => {
      const cases = [
        ['vp9.webm', 'video/webm', [...SRC, '-t', '2', '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-c:a', 'libopus'], 'vp9', 640, 360],
        ['h264.mkv', 'video/x-matroska', [...SRC, '-t', '2', '-c:v', 'libx264', '-c:a', 'libopus'], 'h264', 640, 360],
        // A phone held upright: a display matrix of 90 degrees, set by stream copy.
        ['rotated.mp4', 'video/mp4', ['-i', ffmpeg('upright.mp4', [...SRC, '-t', '2', '-c:v', 'libx264', '-c:a', 'aac']),
          '-c', 'copy', '-metadata:s:v:0', 'rotate=90'], 'h264', 360, 640],
      ];
      for (const [name, type, args, codec, w, h] of cases) {
        const file = ffmpeg(name, args);
        const id = await upload(srv, sk, file, type);
        const m = await settled(srv, sk, id);
        assert.equal(m.state, 'ready', `${name}: ${m.failure}`);
        assert.equal(m.info.source.video_codec, codec, name);
        assert.equal(m.info.video.width, w, name);
        assert.equal(m.info.video.height, h, name);
      }
    });

    it('ends bad files in "failed" with a reason, and keeps working', async () => {
      const garbage = join(dir, 'garbage.webm');
      writeFileSync(garbage, Buffer.from(Array.from({ length: 50000 }, (_, i) => (i * 7919) % 251)));
      const text = join(dir, 'notes.mp4');
      writeFileSync(text, 'This is not a video at all, just text that claims to be an MP4.\n'.repeat(50));
      const silent = ffmpeg('silent.webm', [SRC[0], SRC[1], SRC[2], SRC[3], '-t', '2', '-c:v', 'libvpx']);
      const full = ffmpeg('full.webm', [...SRC, '-t', '4', '-c:v', 'libvpx', '-c:a', 'libopus']);
      const truncated = join(dir, 'truncated.mp4');
      const mp4 = readFileSync(ffmpeg('whole.mp4', [...SRC, '-t', '3', '-c:v', 'libx264', '-c:a', 'aac']));
      // Without -movflags faststart the moov atom is at the end: cut it off.
      writeFileSync(truncated, mp4.subarray(0, Math.floor(mp4.length * 0.6)));
      const cases = [
        [garbage, 'video/webm', /not a video|no media|corrupt|not recogni|format/i],
        [text, 'video/mp4', /not a video|no media|corrupt|not recogni|format/i],
        [silent, 'video/webm', /no sound/i],
        [truncated, 'video/mp4', /truncated|corrupt|not a video|no media|moov/i],
      ];
      for (const [file, type, why] of cases) {
        const id = await upload(srv, sk, file, type);
        const m = await settled(srv, sk, id);
        assert.equal(m.state, 'failed', `${file} should fail`);
        assert.match(m.failure, why, file);
        assert.equal(m.urls, null);
      }
      // Over the workspace's duration limit.
      let r = await api(srv, 'PATCH', '/api/v1/workspace', { key: sk, body: { media: { max_duration_s: 2 } } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const id = await upload(srv, sk, full, 'video/webm');
      const m = await settled(srv, sk, id);
      assert.equal(m.state, 'failed');
      assert.match(m.failure, /lasts 4 s; this workspace takes recordings of up to 2 s/);
      r = await api(srv, 'PATCH', '/api/v1/workspace', { key: sk, body: { media: { max_duration_s: 180 } } });
      assert.equal(r.status, 200);
      // The worker is still there: a good file after the bad ones is processed.
      const ok = await settled(srv, sk, await upload(srv, sk, full, 'video/webm'));
      assert.equal(ok.state, 'ready', ok.failure);
    });
  });
}
