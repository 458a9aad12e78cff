// SPDX-License-Identifier: AGPL-3.0-or-later
// docs/openapi.yaml is valid OpenAPI 3.1 (Redocly's recommended rules), and
// describes exactly the routes that src/api/routes.c serves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib/server.mjs';

test('the OpenAPI description lints clean', () => {
  const bin = join(ROOT, 'web', 'node_modules', '.bin', 'redocly');
  // A lint error makes redocly exit non-zero, and execFileSync throw with its report.
  execFileSync(bin, ['lint', 'openapi.yaml'], {
    cwd: join(ROOT, 'docs'),
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  });
});

test('every served route is documented, and every documented path is served', () => {
  const src = readFileSync(join(ROOT, 'src/api/routes.c'), 'utf8');
  const served = new Set([...src.matchAll(/\{"(GET|POST|PATCH|PUT|DELETE)", "([^"]+)"/g)]
    .map((m) => `${m[1]} ${m[2]}`));
  assert.ok(served.size >= 25, `only ${served.size} routes parsed from routes.c`);
  const yaml = readFileSync(join(ROOT, 'docs/openapi.yaml'), 'utf8');
  const documented = new Set();
  let path = null;
  const inPaths = yaml.slice(yaml.indexOf('\npaths:\n'), yaml.indexOf('\ncomponents:\n'));
  for (const line of inPaths.split('\n')) {
    const p = line.match(/^ {2}(\/\S*):\s*$/);
    if (p) { path = p[1]; continue; }
    const m = line.match(/^ {4}(get|post|patch|put|delete):\s*$/);
    if (m && path) documented.add(`${m[1].toUpperCase()} ${path}`);
  }
  const missing = [...served].filter((r) => !documented.has(r));
  const extra = [...documented].filter((r) => !served.has(r));
  assert.deepEqual(missing, [], 'served but not in docs/openapi.yaml');
  assert.deepEqual(extra, [], 'in docs/openapi.yaml but not served');
});
