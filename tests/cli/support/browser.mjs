// Runs one browser scenario for the tests (see browser.rs): headless Chromium driven by
// playwright-core, every console error and uncaught page error collected, every request to a
// host the test did not allow refused and recorded, screenshots kept.
//
// Usage: node browser.mjs CONFIG.json
// CONFIG: { playwright, chromium, scenario, screenshots, offline, allow }
//   playwright: the folder of the installed playwright-core package
//   chromium: the browser binary
//   scenario: an ES module whose default export is `async (page, t) => result`; `t.shot(name)`
//     saves a screenshot of the page, `t.errors` is the list of errors so far
//   screenshots: the folder screenshots go to (one named `failure.png` when the scenario throws)
//   offline: no network at all (file: and data: URLs still load)
//   allow: hosts (`127.0.0.1:PORT`) requests may go to; anything else is refused
// Prints one JSON object on stdout: { result, failure, errors, blocked }.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const require = createRequire(path.join(cfg.playwright, 'package.json'));
const { chromium } = require(cfg.playwright);

const errors = [];
const blocked = [];
let result = null;
let failure = null;

fs.mkdirSync(cfg.screenshots, { recursive: true });
const browser = await chromium.launch({
  executablePath: cfg.chromium,
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
try {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    offline: !!cfg.offline,
  });
  const allow = new Set(cfg.allow || []);
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    const local = url.protocol === 'file:' || url.protocol === 'data:' || url.protocol === 'blob:';
    if (local || (!cfg.offline && allow.has(url.host))) {
      return route.continue();
    }
    blocked.push(url.href);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      errors.push(`console: ${msg.text()}`);
    }
  });
  page.on('pageerror', (err) => errors.push(`page: ${err.stack || err}`));
  const t = {
    errors,
    shot: (name) => page.screenshot({ path: path.join(cfg.screenshots, `${name}.png`), fullPage: true }),
  };
  const scenario = await import(pathToFileURL(cfg.scenario).href);
  try {
    result = await scenario.default(page, t);
  } catch (err) {
    failure = String((err && err.stack) || err);
    try {
      await t.shot('failure');
    } catch {
      // The page may be gone; the failure says why.
    }
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify({ result, failure, errors, blocked }));
