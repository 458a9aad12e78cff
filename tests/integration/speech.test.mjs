// SPDX-License-Identifier: AGPL-3.0-or-later
// What was said, from upload to search, over HTTP on both store drivers: a
// recording with real speech (../shared/data/speech) is uploaded with
// tus-js-client, processed, transcribed by the embedded engine; the
// transcript has timed words, the captions track is served next to the video,
// and search finds the ticket by a spoken phrase with the time to seek to.
// Silence gives an empty transcript with a reason, not a failure.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  ROOT, startServer, workspace, api, createTicket, drivers, until, upload,
} from './lib/server.mjs';

const DATA = resolve(process.env.SPEECH_DATA ?? join(ROOT, '..', 'shared', 'data', 'speech'));
assert.ok(existsSync(join(DATA, 'jfk_0001.wav')),
  `the speech test data is missing: expected ${DATA}/jfk_0001.wav (set SPEECH_DATA to its folder)`);

const dir = mkdtempSync(join(tmpdir(), 'showdesk-speech-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** A screen-recording-like WebM (VP8 + Opus) whose sound is @wav, after @lead s of silence. */
function recording(name, wav, lead = 0) {
  const out = join(dir, name);
  const audio = lead > 0
    ? ['-f', 'lavfi', '-t', String(lead), '-i', 'anullsrc=r=16000:cl=mono', '-i', wav,
      '-filter_complex', '[1:a][2:a]concat=n=2:v=0:a=1[a]', '-map', '0:v', '-map', '[a]']
    : ['-i', wav, '-map', '0:v', '-map', '1:a'];
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=15',
    ...audio, '-shortest', '-c:v', 'libvpx', '-b:v', '300k', '-c:a', 'libopus', out], { timeout: 120000 });
  return out;
}

/** Waits until the media and its transcript have settled; returns the media. */
async function transcribed(srv, key, id) {
  let m;
  await until(async () => {
    m = (await api(srv, 'GET', `/api/v1/media/${id}`, { key })).body;
    return m.state === 'failed' || ['ready', 'failed'].includes(m.transcript?.state);
  }, 180000, `media ${id} transcribed`);
  assert.equal(m.state, 'ready', m.failure);
  return m;
}

for (const driver of drivers()) {
  describe(`speech on ${driver}`, () => {
    let srv, sk;
    before(async () => {
      srv = await startServer({ driver, args: ['--workers', '2'] });
      sk = workspace(srv, 'Speech').secret_key;
    });
    after(async () => { await srv.stop(); });

    it('transcribes a recording with timed words, serves captions, and finds it by what was said', async () => {
      // 3 s of silence, then "and so my fellow americans ask not what your country can do for you…".
      const file = recording('jfk.webm', join(DATA, 'jfk_0001.wav'), 3);
      const id = await upload(srv, sk, file, 'video/webm');
      const m = await transcribed(srv, sk, id);
      assert.equal(m.transcript.state, 'ready', m.transcript.failure);
      assert.equal(m.transcript.progress, 100);

      const t = (await api(srv, 'GET', `/api/v1/media/${id}/transcript`, { key: sk })).body;
      assert.equal(t.engine, 'pocketsphinx');
      assert.ok(t.segments.length >= 1);
      const words = t.segments.flatMap((s) => s.words);
      const said = words.map((w) => w.w);
      for (const k of ['country', 'fellow']) {
        assert.ok(said.includes(k), `"${k}" not heard in: ${said.join(' ')}`);
      }
      // Times are true to the recording: nothing is said in the 3 s of silence.
      assert.ok(words[0].s >= 2700, `first word at ${words[0].s} ms, inside the leading silence`);
      for (const w of words) {
        assert.ok(w.s <= w.e && w.e <= t.duration_ms + 100, JSON.stringify(w));
        assert.ok(w.c >= 0 && w.c <= 1);
      }
      for (const s of t.segments) {
        assert.equal(s.text, s.words.map((w) => w.w).join(' '));
      }

      // The captions track, by its signed URL.
      assert.match(m.urls.captions, /^\/media\/md_\w+\/captions\.vtt\?exp=\d+&sig=/);
      const vtt = await fetch(srv.base + m.urls.captions);
      assert.equal(vtt.status, 200);
      assert.match(vtt.headers.get('content-type'), /^text\/vtt/);
      const text = await vtt.text();
      assert.match(text, /^WEBVTT\n\n/);
      assert.match(text, /\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}/);
      assert.match(text, /country/);

      // Attached to a ticket, the recording is found by a spoken phrase.
      const tk = await createTicket(srv, sk, { subject: 'Video question' });
      const r = await api(srv, 'POST', `/api/v1/tickets/${tk.id}/messages`,
        { key: sk, body: { text: 'see the recording', media_ids: [id] } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const s = (await api(srv, 'GET', '/api/v1/search?q=country', { key: sk })).body;
      const hit = s.data.find((h) => h.kind === 'transcript');
      assert.ok(hit, JSON.stringify(s));
      assert.equal(hit.ticket_id, tk.id);
      assert.equal(hit.media_id, id);
      assert.equal(hit.message_id, r.body.id);
      assert.ok(hit.start_ms >= 2700 && hit.start_ms < t.duration_ms, `start_ms ${hit.start_ms}`);
      assert.ok(hit.end_ms > hit.start_ms);
      assert.match(hit.snippet, /<mark>country<\/mark>/i);
      // Text search still works beside it, and another workspace finds nothing.
      const sub = (await api(srv, 'GET', '/api/v1/search?q=question', { key: sk })).body;
      assert.deepEqual(sub.data.map((h) => h.kind), ['subject']);
      const other = workspace(srv, 'Other').secret_key;
      const none = (await api(srv, 'GET', '/api/v1/search?q=country', { key: other })).body;
      assert.deepEqual(none.data, []);
    });

    it('analyses a video ticket again once its transcript is in: summary and triage from what was said', async () => {
      // Attached to the customer's message before it is transcribed: the
      // transcript, when it lands, runs the ticket's analysis again.
      const file = recording('lj.webm', join(DATA, 'lj_0005.wav'));
      const id = await upload(srv, sk, file, 'video/webm');
      const tk = await createTicket(srv, sk, { subject: 'Recording', message: { text: 'see my recording' } });
      const r = await api(srv, 'POST', `/api/v1/tickets/${tk.id}/messages`,
        { key: sk, body: { text: 'here it is', author: 'customer', media_ids: [id] } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      await transcribed(srv, sk, id);
      let g;
      await until(async () => {
        g = (await api(srv, 'GET', `/api/v1/tickets/${tk.id}`, { key: sk })).body;
        return /printing|invention|metal/i.test(`${g.title} ${g.summary}`);
      }, 60000, 'the analysis with the transcript');
      assert.ok(g.triaged_at >= tk.triaged_at);
      for (const k of ['category', 'urgency', 'product_area', 'sentiment']) assert.equal(typeof g.triage[k].value, 'string');
    });

    it('gives silence an empty transcript with a reason, and keeps working', async () => {
      const silent = join(dir, 'silence.wav');
      execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-t', '4', '-i', 'anullsrc=r=16000:cl=mono', silent]);
      const id = await upload(srv, sk, recording('silent.webm', silent), 'video/webm');
      const m = await transcribed(srv, sk, id);
      assert.equal(m.transcript.state, 'ready', m.transcript.failure);
      const t = (await api(srv, 'GET', `/api/v1/media/${id}/transcript`, { key: sk })).body;
      assert.deepEqual(t.segments, []);
      assert.match(t.reason, /speech/);
      const vtt = await (await fetch(srv.base + m.urls.captions)).text();
      assert.equal(vtt.trim(), 'WEBVTT');
    });
  });
}
