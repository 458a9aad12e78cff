// SPDX-License-Identifier: AGPL-3.0-or-later
// Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven
// by playwright-core, with a fake camera, microphone and screen (see
// FIELD-NOTES: Browsers in tests).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT } from '../integration/lib/server.mjs';

const require = createRequire(join(ROOT, 'web', 'package.json'));
const { chromium } = require('playwright-core');

export const TUS_JS = join(ROOT, 'web', 'node_modules', 'tus-js-client', 'dist', 'tus.min.js');

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
];

/** Launches Chromium with @extra flags beside CHROMIUM_ARGS; close it with browser.close(). */
export async function launch(extra = []) {
  return chromium.launch({
    executablePath: process.env.SHOWDESK_CHROMIUM ?? '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, ...extra],
    timeout: 60000,
  });
}

/**
 * A page of @browser on @srv's own origin (so that its requests are
 * same-origin), with tus-js-client loaded and the page's errors printed.
 */
export async function openPage(browser, srv) {
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error') console.log('page:', m.text()); });
  const r = await page.goto(`${srv.base}/healthz`);
  if (r.status() !== 200) throw new Error(`${srv.base}/healthz answered ${r.status()}`);
  await page.addScriptTag({ path: TUS_JS });
  return page;
}
