// Headless Debian chromium driven by playwright-core, controlled over stdio (never downloads a browser).
//
//   node browser.mjs --user-data-dir DIR [--executable /usr/bin/chromium]
//
// stdin: one JSON command per line, {"id": n, "cmd": ..., ...}:
//   open {url} · click {selector} · text {selector} · eval {expression} (a JS expression string)
//   wait {expression, timeout_ms} (until the expression is truthy) · screenshot {path, full_page}
// stdout: {"id": n, "ok": true, "result": ...} or {"id": n, "ok": false, "error": "..."} per command,
//         plus {"kind": "console"|"pageerror"|"requestfailed", ...} lines from the page.
// The browser closes and the process exits when stdin closes.
import { createRequire } from 'node:module';
import readline from 'node:readline';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

const argv = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

const context = await chromium.launchPersistentContext(arg('user-data-dir'), {
  executablePath: arg('executable', '/usr/bin/chromium'),
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1400, height: 1000 },
});
const page = context.pages()[0] || await context.newPage();
page.on('console', (msg) => emit({ kind: 'console', type: msg.type(), text: msg.text() }));
page.on('pageerror', (err) => emit({ kind: 'pageerror', text: String(err) }));
page.on('requestfailed', (req) => emit({ kind: 'requestfailed', url: req.url(), error: req.failure()?.errorText }));

const commands = {
  open: async (c) => { await page.goto(c.url, { waitUntil: 'load' }); return page.url(); },
  click: async (c) => { await page.click(c.selector, { timeout: 5000 }); return true; },
  text: async (c) => page.textContent(c.selector, { timeout: 5000 }),
  eval: async (c) => page.evaluate(c.expression),
  wait: async (c) => {
    await page.waitForFunction(c.expression, null, { timeout: c.timeout_ms ?? 10000, polling: 100 });
    return page.evaluate(c.expression);
  },
  screenshot: async (c) => { await page.screenshot({ path: c.path, fullPage: c.full_page ?? true }); return c.path; },
};

const rl = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
rl.on('line', (line) => {
  queue = queue.then(async () => {
    let c;
    try {
      c = JSON.parse(line);
      const run = commands[c.cmd];
      if (!run) throw new Error(`unknown command ${c.cmd}`);
      emit({ id: c.id, ok: true, result: (await run(c)) ?? null });
    } catch (err) {
      emit({ id: c && c.id, ok: false, error: String(err && err.message || err) });
    }
  });
});
rl.on('close', () => queue.then(() => context.close()).finally(() => process.exit(0)));
