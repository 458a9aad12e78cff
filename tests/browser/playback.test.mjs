// SPDX-License-Identifier: AGPL-3.0-or-later
// The whole path in a real browser: headless Chromium records its fake camera
// and microphone with MediaRecorder (WebM without a duration, as customers'
// browsers write it), tus-js-client uploads the recording from the page, the
// server transcodes it, and the result plays in a <video> element, seeks to
// the middle, and shows its poster and thumbnail track.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, workspace, until, api } from '../integration/lib/server.mjs';
import { launch, openPage } from './lib.mjs';

describe('recording to playback in Chromium', () => {
  let srv, ws, browser, page;
  before(async () => {
    srv = await startServer({ args: ['--workers', '2'] });
    ws = workspace(srv, 'Browser');
    browser = await launch();
    page = await openPage(browser, srv);
  });
  after(async () => {
    await browser?.close();
    await srv?.stop();
  });

  it('records, uploads with tus-js-client, and plays the transcoded video with seeking', async () => {
    const result = await page.evaluate(async (key) => {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: true });
      const type = 'video/webm;codecs=vp8,opus';
      if (!MediaRecorder.isTypeSupported(type)) throw new Error(`${type} is not supported`);
      const rec = new MediaRecorder(stream, { mimeType: type });
      const parts = [];
      rec.ondataavailable = (e) => { if (e.data.size > 0) parts.push(e.data); };
      const stopped = new Promise((res) => { rec.onstop = res; });
      rec.start(500);
      await new Promise((res) => setTimeout(res, 4000));
      rec.stop();
      await stopped;
      stream.getTracks().forEach((t) => t.stop());
      const blob = new Blob(parts, { type: 'video/webm' });
      const url = await new Promise((res, rej) => {
        // eslint-disable-next-line no-undef
        const up = new tus.Upload(blob, {
          endpoint: '/api/v1/uploads',
          headers: { authorization: `Bearer ${key}` },
          metadata: { filename: 'recording.webm', filetype: 'video/webm' },
          chunkSize: 100 * 1024,
          retryDelays: [],
          onError: rej,
          onSuccess: () => res(up.url),
        });
        up.start();
      });
      return { url, size: blob.size };
    }, ws.secret_key);
    assert.ok(result.size > 10000, `recording of ${result.size} bytes`);
    const id = result.url.split('/').pop();
    assert.match(id, /^md_[0-9a-z]{26}$/);

    let m;
    await until(async () => {
      m = (await api(srv, 'GET', `/api/v1/media/${id}`, { key: ws.secret_key })).body;
      return m.state === 'ready' || m.state === 'failed';
    }, 120000, 'the recording processed');
    assert.equal(m.state, 'ready', m.failure);
    assert.equal(m.info.source.container, 'webm');
    assert.equal(m.info.source.video_codec, 'vp8');
    assert.equal(m.info.source.audio_codec, 'opus');
    assert.ok(m.duration_ms > 3000 && m.duration_ms < 6000, `duration ${m.duration_ms}`);

    const played = await page.evaluate(async (urls) => {
      const wait = (el, ev, ms = 20000) => new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error(`no ${ev} in ${ms} ms`)), ms);
        el.addEventListener(ev, () => { clearTimeout(t); res(); }, { once: true });
        el.addEventListener('error', () => { clearTimeout(t); rej(new Error(`media error ${el.error?.code} ${el.error?.message}`)); }, { once: true });
      });
      const poster = new Image();
      poster.src = urls.poster;
      await Promise.race([poster.decode(), new Promise((res, rej) => setTimeout(() => rej(new Error('poster did not load')), 20000))]);
      const v = document.createElement('video');
      v.muted = true;
      v.preload = 'auto';
      v.poster = urls.poster;
      v.src = urls.video;
      const track = document.createElement('track');
      track.kind = 'metadata';
      track.src = urls.thumbnails;
      track.default = true;
      v.appendChild(track);
      document.body.appendChild(v);
      await wait(v, 'loadedmetadata');
      const duration = v.duration;
      const size = [v.videoWidth, v.videoHeight];
      await Promise.race([v.play(), new Promise((res, rej) => setTimeout(() => rej(new Error('play() did not start')), 20000))]);
      const t0 = v.currentTime;
      await new Promise((res) => setTimeout(res, 700));
      const advanced = v.currentTime > t0;
      v.pause();
      const mid = duration / 2;
      const seeked = wait(v, 'seeked');
      v.currentTime = mid;
      await seeked;
      const at = v.currentTime;
      // The frame at the seek point is decoded and shown.
      await new Promise((res) => setTimeout(res, 300));
      const c = document.createElement('canvas');
      c.width = 64;
      c.height = 48;
      c.getContext('2d').drawImage(v, 0, 0, 64, 48);
      const px = c.getContext('2d').getImageData(0, 0, 64, 48).data;
      let lit = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i] + px[i + 1] + px[i + 2] > 30) lit++;
      const cues = track.track.cues ? track.track.cues.length : 0;
      return { duration, size, advanced, mid, at, lit, poster: [poster.naturalWidth, poster.naturalHeight], cues };
    }, m.urls);
    assert.ok(Math.abs(played.duration * 1000 - m.duration_ms) < 300, JSON.stringify(played));
    assert.deepEqual(played.size, [m.info.video.width, m.info.video.height]);
    assert.ok(played.advanced, 'playback advances');
    assert.ok(Math.abs(played.at - played.mid) < 0.5, `seeked to ${played.at} of ${played.mid}`);
    assert.ok(played.lit > 100, `the frame at the seek point is shown (${played.lit} lit pixels)`);
    assert.ok(played.poster[0] > 0 && played.poster[1] > 0, 'the poster shows');
    assert.ok(played.cues >= 3, `thumbnail cues: ${played.cues}`);
  });
});
