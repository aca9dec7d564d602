// Run the mocha suite (out/test/e2e/suite/index.js) INSIDE code-server's
// extension host: the web equivalent of --extensionDevelopmentPath /
// --extensionTestsPath. The workbench reads both from the ?payload= query
// and reports the result through window.codeAutomationExit(code) (the
// mechanism @vscode/test-web uses). Adapted from
// /work/shared/tools/vscode-e2e/run-exthost-tests.js.
//   CS_URL=... WS=... [EXT_DIR=repo] [EXTHOST_RESULTS=file] node test/e2e/run-exthost-tests.js
'use strict';
const { chromium } = require('playwright-core');
const fs = require('fs');
const os = require('os');
const path = require('path');
const util = require('util');

const url = process.env.CS_URL || 'http://127.0.0.1:18093';
const ws = process.env.WS || '/tmp/slabcheck-e2e/run/ws-ext';
const extDir = path.resolve(process.env.EXT_DIR || path.join(__dirname, '..', '..'));
const testsPath = process.env.TESTS_PATH || path.join(extDir, 'out', 'test', 'e2e', 'suite', 'index');
const chromePath = process.env.CHROMIUM || '/usr/bin/chromium';
const resultsFile = process.env.EXTHOST_RESULTS;
const timeoutMs = Number(process.env.EXTHOST_TIMEOUT_MS || 240000);

(async () => {
  const authority = new URL(url).host;
  const payload = [
    ['extensionDevelopmentPath', `vscode-remote://${authority}${extDir}`],
    ['extensionTestsPath', `vscode-remote://${authority}${testsPath}`],
  ];
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-profile-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: chromePath, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = ctx.pages()[0] || (await ctx.newPage());
  let done;
  const exited = new Promise((r) => (done = r));
  let parsed;
  await page.exposeFunction('codeAutomationExit', (code) => done(code));
  // Extension-host console output is forwarded to the page console as
  // console.log('%c INFO', 'color: ...', fmt, ...args): re-format it.
  page.on('console', async (m) => {
    let line;
    try {
      let a = await Promise.all(m.args().map((x) => x.jsonValue()));
      if (typeof a[0] === 'string' && a[0].startsWith('%c')) a = a.slice(2);
      if (!a.length) return;
      line = util.format(...a);
    } catch {
      line = m.text();
    }
    const r = /SLABCHECK_E2E_RESULT (\{[^}]*\})/.exec(line);
    if (r) parsed = JSON.parse(r[1]);
    if (/slabcheck|SLABCHECK|ok |FAIL|Error|error/.test(line)) console.log('[exthost]', line);
  });
  await page.goto(`${url}/?folder=${encodeURIComponent(ws)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
  const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), timeoutMs))]);
  console.log('extension host tests exit code:', code);
  await ctx.close();
  fs.rmSync(profile, { recursive: true, force: true });
  let result = parsed;
  if (resultsFile && fs.existsSync(resultsFile)) {
    try {
      result = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
    } catch {
      /* keep the console result */
    }
  }
  if (!result) result = { passed: 0, failed: 1 };
  if (code !== 0 && result.failed === 0) result.failed = 1; // crashed or timed out
  if (resultsFile) fs.writeFileSync(resultsFile, JSON.stringify(result));
  console.log(`exthost: ${result.passed} passed, ${result.failed} failed`);
  process.exit(code === 0 ? 0 : 1);
})();
