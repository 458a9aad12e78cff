// SPDX-License-Identifier: AGPL-3.0-or-later
// make bench (bench/run.sh): COUNT tus uploads of one file at once with
// tus-js-client, as many clients would send them, against any tus 1.0
// server.
//
//   node bench/upload.mjs ENDPOINT FILE COUNT CHUNK_BYTES [AUTHORIZATION]
//
// The file is read once and every upload sends the same bytes. Each upload
// is a POST (creation) then PATCHes of CHUNK_BYTES; retries are off, so any
// failure ends the run with an error. After the last upload finished, a HEAD
// of each checks that the server holds every byte (Upload-Offset = size).
// Prints one line: "SECONDS BYTES ID...", the wall time from the first
// request to the last success, the bytes sent in all, and the upload ids
// (the last part of each upload URL: a media id on showdesk).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const require = createRequire(join(root, 'web', 'package.json'));
const tus = require('tus-js-client');

const [endpoint, file, countArg, chunkArg, authorization] = process.argv.slice(2);
if (!endpoint || !file || !countArg || !chunkArg) {
  console.error('usage: node bench/upload.mjs ENDPOINT FILE COUNT CHUNK_BYTES [AUTHORIZATION]');
  process.exit(2);
}
const count = Number(countArg);
const chunkSize = Number(chunkArg);
const headers = authorization ? { authorization } : {};
const buf = readFileSync(file);

function one(i) {
  return new Promise((res, rej) => {
    const up = new tus.Upload(buf, {
      endpoint,
      headers,
      chunkSize,
      retryDelays: [],
      storeFingerprintForResuming: false,
      metadata: { filename: `bench-${i}.bin`, filetype: 'video/webm' },
      onError: (e) => rej(new Error(`upload ${i}: ${e.message}`)),
      onSuccess: () => res(up.url),
    });
    up.start();
  });
}

const t0 = process.hrtime.bigint();
const urls = await Promise.all(Array.from({ length: count }, (_, i) => one(i)));
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;

for (const url of urls) {
  const r = await fetch(url, { method: 'HEAD', headers: { ...headers, 'tus-resumable': '1.0.0' } });
  const offset = r.headers.get('upload-offset');
  if (r.status !== 200 || offset !== String(buf.length)) {
    console.error(`${url}: HEAD answered ${r.status} with Upload-Offset ${offset}, expected ${buf.length}`);
    process.exit(1);
  }
}
const ids = urls.map((u) => new URL(u).pathname.split('/').pop());
console.log(`${seconds.toFixed(3)} ${buf.length * count} ${ids.join(' ')}`);
