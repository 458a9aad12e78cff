// SPDX-License-Identifier: AGPL-3.0-or-later
// The "openai" speech engine end to end, over HTTP on both store drivers: a
// fake OpenAI-compatible endpoint (node:http, in this test) answers
// POST /v1/audio/transcriptions with fixed verbose_json; showdesk runs with
// --speech-engine openai and its key in SHOWDESK_SPEECH_KEY. A recording
// (a test pattern and a tone: nothing is recognised, the words are the
// endpoint's) is uploaded, processed and transcribed; the transcript has the
// endpoint's words and times, and search finds it. An endpoint that keeps
// answering 500 fails the transcript after the job's four attempts (backoff
// bounds of 2, 4 and 8 s, so well under a minute); one that answers garbage
// fails it at once, with the reason.
//
// The endpoint tells recordings apart by their length (3, 5 and 7 s), so an
// attempt that comes late still gets its own answer.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, workspace, api, createTicket, drivers, until, upload } from './lib/server.mjs';

const KEY = `sk-it-${randomBytes(12).toString('hex')}`;
const PATH = '/v1/audio/transcriptions';

const dir = mkdtempSync(join(tmpdir(), 'showdesk-speech-openai-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** A WebM (VP8 + Opus) of @seconds: a test pattern and a 440 Hz tone. */
function recording(name, seconds) {
  const out = join(dir, name);
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', String(seconds),
    '-c:v', 'libvpx', '-b:v', '200k', '-c:a', 'libopus', out], { timeout: 120000 });
  return out;
}

/** The parts of a multipart/form-data body: [{name, filename, type, data}]. */
function multipart(contentType, body) {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType ?? '');
  assert.ok(m, `not multipart/form-data: ${contentType}`);
  const delim = Buffer.from(`--${m[1] ?? m[2]}`);
  const parts = [];
  let at = body.indexOf(delim);
  while (at >= 0) {
    const start = at + delim.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delim, start);
    assert.ok(next > 0, 'multipart body without its closing boundary');
    const part = body.subarray(start + 2, next - 2); // CRLF after the boundary and before the next
    const split = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, split).toString();
    parts.push({
      name: /name="([^"]*)"/.exec(head)?.[1],
      filename: /filename="([^"]*)"/.exec(head)?.[1],
      type: /content-type:\s*(\S+)/i.exec(head)?.[1],
      data: part.subarray(split + 4),
    });
    at = next;
  }
  return parts;
}

/** {rate, channels, bits, format, seconds} of a WAV file's fmt and data chunks. */
function wavInfo(buf) {
  assert.equal(buf.subarray(0, 4).toString(), 'RIFF');
  assert.equal(buf.subarray(8, 12).toString(), 'WAVE');
  const info = {};
  for (let at = 12; at + 8 <= buf.length;) {
    const id = buf.subarray(at, at + 4).toString();
    const len = buf.readUInt32LE(at + 4);
    if (id === 'fmt ') {
      Object.assign(info, {
        format: buf.readUInt16LE(at + 8), channels: buf.readUInt16LE(at + 10),
        rate: buf.readUInt32LE(at + 12), bits: buf.readUInt16LE(at + 22),
      });
    } else if (id === 'data') {
      info.seconds = Math.min(len, buf.length - at - 8) / (2 * 16000);
      break;
    }
    at += 8 + len + (len & 1);
  }
  return info;
}

/** The fixed answer: OpenAI's verbose_json with word and segment timestamps. */
function verboseJson(seconds) {
  return {
    task: 'transcribe', language: 'english', duration: seconds,
    text: 'The export button does nothing.',
    words: [
      { word: 'The', start: 0.5, end: 0.7 },
      { word: 'export', start: 0.7, end: 1.1 },
      { word: 'button', start: 1.1, end: 1.5 },
      { word: 'does', start: 1.5, end: 1.8 },
      { word: 'nothing', start: 1.8, end: 2.3 },
    ],
    segments: [{
      id: 0, seek: 0, start: 0.5, end: 2.3, text: ' The export button does nothing.',
      tokens: [440, 10725, 2960, 775, 1825, 13], temperature: 0, avg_logprob: -0.25,
      compression_ratio: 0.9, no_speech_prob: 0.02,
    }],
    usage: { type: 'duration', seconds: Math.ceil(seconds) },
  };
}

/** The fake endpoint: answers by the recording's length, keeps every request. */
async function fakeEndpoint() {
  const requests = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const send = (status, answer) => {
        const text = typeof answer === 'string' ? answer : JSON.stringify(answer);
        res.writeHead(status, { 'content-type': 'application/json' }).end(text);
      };
      if (req.method !== 'POST' || req.url !== PATH) {
        send(404, { error: { message: `Invalid URL (${req.method} ${req.url})`, type: 'invalid_request_error' } });
        return;
      }
      const parts = multipart(req.headers['content-type'], body);
      const file = parts.find((p) => p.name === 'file');
      const wav = file ? wavInfo(file.data) : null;
      const seconds = wav ? Math.round(wav.seconds) : 0;
      requests.push({ auth: req.headers.authorization, parts, file, wav, seconds });
      if (seconds === 3) send(200, verboseJson(wav.seconds));
      else if (seconds === 5) send(500, { error: { message: 'The server had an error while processing your request.', type: 'server_error' } });
      else if (seconds === 7) send(200, '<html><body>Welcome to nginx!</body></html>');
      else send(400, { error: { message: `unexpected recording of ${wav?.seconds} s`, type: 'invalid_request_error' } });
    });
  });
  await new Promise((res) => server.listen(0, '127.0.0.1', res));
  return { server, requests, url: `http://127.0.0.1:${server.address().port}${PATH}` };
}

/** Waits until the media is ready and its transcript has settled; returns the media. */
async function settled(srv, key, id, ms = 90000) {
  let m;
  await until(async () => {
    m = (await api(srv, 'GET', `/api/v1/media/${id}`, { key })).body;
    return m.state === 'failed' || ['ready', 'failed'].includes(m.transcript?.state);
  }, ms, `media ${id} transcribed`);
  assert.equal(m.state, 'ready', m.failure);
  return m;
}

for (const driver of drivers()) {
  describe(`openai speech engine on ${driver}`, () => {
    let srv, sk, ep;
    before(async () => {
      ep = await fakeEndpoint();
      srv = await startServer({
        driver,
        args: ['--workers', '2', '--speech-engine', 'openai', '--speech-url', ep.url,
          '--speech-model', 'whisper-1'],
        env: { SHOWDESK_SPEECH_KEY: KEY },
      });
      sk = workspace(srv, 'Speech').secret_key;
    });
    after(async () => {
      await srv?.stop();
      await new Promise((res) => ep.server.close(res));
    });

    it('sends the sound and the key, and keeps the words and times the endpoint answers', async () => {
      const id = await upload(srv, sk, recording('three.webm', 3), 'video/webm');
      const m = await settled(srv, sk, id);
      assert.equal(m.transcript.state, 'ready', m.transcript.failure);
      assert.equal(m.transcript.progress, 100);

      // What the endpoint got: the key, the documented fields, a 16 kHz mono WAV.
      const got = ep.requests.filter((r) => r.seconds === 3);
      assert.equal(got.length, 1);
      const [r] = got;
      assert.equal(r.auth, `Bearer ${KEY}`);
      const field = (name) => r.parts.filter((p) => p.name === name).map((p) => p.data.toString());
      assert.deepEqual(field('model'), ['whisper-1']);
      assert.deepEqual(field('response_format'), ['verbose_json']);
      assert.deepEqual(field('timestamp_granularities[]'), ['word', 'segment']);
      assert.equal(r.file.filename, 'audio.wav');
      assert.equal(r.file.type, 'audio/wav');
      assert.deepEqual({ ...r.wav, seconds: undefined },
        { format: 1, channels: 1, rate: 16000, bits: 16, seconds: undefined });
      assert.ok(Math.abs(r.wav.seconds - 3) < 0.2, `${r.wav.seconds} s of sound`);

      // The transcript: the endpoint's words, lowercased, at its times.
      const t = (await api(srv, 'GET', `/api/v1/media/${id}/transcript`, { key: sk })).body;
      assert.equal(t.engine, 'openai');
      assert.equal(t.model, 'whisper-1');
      assert.equal(t.language, 'en');
      assert.equal(t.reason ?? null, null);
      assert.equal(t.segments.length, 1);
      const [s] = t.segments;
      assert.equal(s.text, 'the export button does nothing');
      assert.equal(s.start_ms, 500);
      assert.equal(s.end_ms, 2300);
      assert.deepEqual(s.words.map((w) => [w.w, w.s, w.e]), [
        ['the', 500, 700], ['export', 700, 1100], ['button', 1100, 1500], ['does', 1500, 1800],
        ['nothing', 1800, 2300],
      ]);
      for (const w of s.words) assert.ok(Math.abs(w.c - Math.exp(-0.25)) < 0.002, JSON.stringify(w));

      // Captions and search come from it as from the embedded engine.
      const vtt = await (await fetch(srv.base + m.urls.captions)).text();
      assert.match(vtt, /00:00:00\.500 --> 00:00:02\.300\nthe export button does nothing/);
      const tk = await createTicket(srv, sk, { subject: 'Video question' });
      const msg = await api(srv, 'POST', `/api/v1/tickets/${tk.id}/messages`,
        { key: sk, body: { text: 'see the recording', media_ids: [id] } });
      assert.equal(msg.status, 201, JSON.stringify(msg.body));
      const found = (await api(srv, 'GET', '/api/v1/search?q=export', { key: sk })).body;
      const hit = found.data.find((h) => h.kind === 'transcript');
      assert.ok(hit, JSON.stringify(found));
      assert.equal(hit.media_id, id);
      assert.equal(hit.ticket_id, tk.id);
      assert.equal(hit.start_ms, 500);
      assert.match(hit.snippet, /<mark>export<\/mark>/);

      // The key shows in no answer and no log.
      assert.ok(!JSON.stringify(m).includes(KEY));
      assert.ok(!srv.stderr.includes(KEY), 'the key is in the server log');
    });

    it('retries an endpoint that answers 500, then fails the transcript with the last error', async () => {
      const id = await upload(srv, sk, recording('five.webm', 5), 'video/webm');
      // While attempts remain the transcript is not failed.
      await until(() => ep.requests.some((r) => r.seconds === 5), 60000, 'the first attempt');
      const early = (await api(srv, 'GET', `/api/v1/media/${id}`, { key: sk })).body;
      if (ep.requests.filter((r) => r.seconds === 5).length < 4) {
        assert.ok(['pending', 'processing'].includes(early.transcript.state), JSON.stringify(early.transcript));
      }
      const m = await settled(srv, sk, id, 60000);
      assert.equal(m.transcript.state, 'failed');
      assert.equal(ep.requests.filter((r) => r.seconds === 5).length, 4);
      assert.match(m.transcript.failure, /failed 4 times/);
      assert.match(m.transcript.failure, /HTTP 500/);
      assert.ok(m.transcript.failure.includes(ep.url), m.transcript.failure);
      assert.ok(!m.transcript.failure.includes(KEY));
      const t = await api(srv, 'GET', `/api/v1/media/${id}/transcript`, { key: sk });
      assert.equal(t.status, 404, JSON.stringify(t.body));
    });

    it('fails the transcript at once when the endpoint answers something that is not verbose_json', async () => {
      const id = await upload(srv, sk, recording('seven.webm', 7), 'video/webm');
      const m = await settled(srv, sk, id);
      assert.equal(m.transcript.state, 'failed');
      assert.match(m.transcript.failure, /not verbose_json/);
      assert.match(m.transcript.failure, /Welcome to nginx/);
      assert.equal(ep.requests.filter((r) => r.seconds === 7).length, 1);
    });
  });
}
