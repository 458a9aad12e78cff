// SPDX-License-Identifier: AGPL-3.0-or-later
// make bench (bench/run.sh): the reference tus server for the uploads entry,
// @tus/server with @tus/file-store, as their README sets them up, on a plain
// Node http server.
//
//   node bench/tus-server.mjs PORT DIR
//
// Listens on 127.0.0.1:PORT, takes uploads at /files and writes them to DIR.
// Prints "tus-server: listening on http://127.0.0.1:PORT" when ready; stops
// on SIGTERM.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');
const require = createRequire(join(root, 'web', 'package.json'));
const load = (name) => import(pathToFileURL(require.resolve(name)).href);
const { Server } = await load('@tus/server');
const { FileStore } = await load('@tus/file-store');

const [port, dir] = process.argv.slice(2);
if (!port || !dir) {
  console.error('usage: node bench/tus-server.mjs PORT DIR');
  process.exit(2);
}
const tus = new Server({ path: '/files', datastore: new FileStore({ directory: dir }) });
const http = createServer((req, res) => tus.handle(req, res));
http.listen(Number(port), '127.0.0.1', () => {
  console.log(`tus-server: listening on http://127.0.0.1:${port}`);
});
process.on('SIGTERM', () => http.close(() => process.exit(0)));
