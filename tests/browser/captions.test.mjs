// SPDX-License-Identifier: AGPL-3.0-or-later
// Captions in a real browser: Chromium's fake microphone plays real recorded
// speech (../shared/data/speech), the page records it with MediaRecorder and
// uploads it with tus-js-client, the server transcodes and transcribes it,
// and the player shows the transcript as a <track kind="captions">.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT, startServer, workspace, until, api } from '../integration/lib/server.mjs';
import { launch, openPage } from './lib.mjs';

const DATA = resolve(process.env.SPEECH_DATA ?? join(ROOT, '..', 'shared', 'data', 'speech'));
const WAV = join(DATA, 'jfk_0001.wav');
assert.ok(existsSync(WAV), `the speech test data is missing: expected ${WAV} (set SPEECH_DATA to its folder)`);

describe('captions in Chromium', () => {
  let srv, ws, browser, page;
  before(async () => {
    srv = await startServer({ args: ['--workers', '2'] });
    ws = workspace(srv, 'Captions');
    browser = await launch([`--use-file-for-fake-audio-capture=${WAV}`]);
    page = await openPage(browser, srv);
  });
  after(async () => {
    await browser?.close();
    await srv?.stop();
  });

  it('records speech, and the player shows its captions track', async () => {
    // The fake microphone plays the 11 s clip from its start when capture begins.
    const url = await page.evaluate(async (key) => {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 }, audio: true });
      const rec = new MediaRecorder(stream, { mimeType: 'video/webm;codecs=vp8,opus' });
      const parts = [];
      rec.ondataavailable = (e) => { if (e.data.size > 0) parts.push(e.data); };
      const stopped = new Promise((res) => { rec.onstop = res; });
      rec.start(1000);
      await new Promise((res) => setTimeout(res, 12000));
      rec.stop();
      await stopped;
      stream.getTracks().forEach((t) => t.stop());
      const blob = new Blob(parts, { type: 'video/webm' });
      return new Promise((res, rej) => {
        // eslint-disable-next-line no-undef
        const up = new tus.Upload(blob, {
          endpoint: '/api/v1/uploads',
          headers: { authorization: `Bearer ${key}` },
          metadata: { filename: 'question.webm', filetype: 'video/webm' },
          retryDelays: [],
          onError: rej,
          onSuccess: () => res(up.url),
        });
        up.start();
      });
    }, ws.secret_key);
    const id = url.split('/').pop();
    let m;
    await until(async () => {
      m = (await api(srv, 'GET', `/api/v1/media/${id}`, { key: ws.secret_key })).body;
      return m.state === 'failed' || ['ready', 'failed'].includes(m.transcript.state);
    }, 180000, 'the recording transcribed');
    assert.equal(m.state, 'ready', m.failure);
    assert.equal(m.transcript.state, 'ready', m.transcript.failure);
    assert.ok(m.urls.captions, 'a captions URL');

    const shown = await page.evaluate(async (urls) => {
      const v = document.createElement('video');
      v.muted = true;
      v.src = urls.video;
      const track = document.createElement('track');
      track.kind = 'captions';
      track.label = 'English';
      track.srclang = 'en';
      track.src = urls.captions;
      track.default = true;
      v.appendChild(track);
      document.body.appendChild(v);
      await new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error('the captions track did not load')), 20000);
        track.addEventListener('load', () => { clearTimeout(t); res(); }, { once: true });
        track.addEventListener('error', () => { clearTimeout(t); rej(new Error('the captions track failed to load')); }, { once: true });
      });
      const cues = [...track.track.cues];
      // Seek into the first cue: it becomes the active one, shown over the video.
      const first = cues[0];
      await new Promise((res) => { v.addEventListener('seeked', res, { once: true }); v.currentTime = (first.startTime + first.endTime) / 2; });
      await new Promise((res) => setTimeout(res, 200));
      const active = [...track.track.activeCues].map((c) => c.text);
      return { mode: track.track.mode, n: cues.length, text: cues.map((c) => c.text).join(' '), active, first: first.text };
    }, m.urls);
    assert.equal(shown.mode, 'showing');
    assert.ok(shown.n >= 1, JSON.stringify(shown));
    assert.match(shown.text, /country/, shown.text);
    assert.deepEqual(shown.active, [shown.first]);
  });
});
