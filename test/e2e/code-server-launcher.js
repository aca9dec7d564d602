#!/usr/bin/env node
// The "VS Code executable" that @vscode/test-electron's runTests() starts here
// (vscodeExecutablePath): this machine cannot download VS Code, so the suite runs
// in code-server's extension host instead. runTests() passes the usual arguments
// (--extensionDevelopmentPath=, --extensionTestsPath=, the workspace folder, and
// profile/sandbox flags that code-server, already started by scripts/e2e.sh with
// its own profile, does not need); they go to run-exthost-tests.js, which opens the
// workbench with both paths in its payload. Exits with the suite's result.
'use strict';
const { spawnSync } = require('child_process');
const path = require('path');

const args = process.argv.slice(2);
const opt = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const dev = opt('extensionDevelopmentPath');
const tests = opt('extensionTestsPath');
const ws = args.find((a) => !a.startsWith('-'));
if (!dev || !tests || !ws) {
  console.error(`code-server-launcher: need --extensionDevelopmentPath=, --extensionTestsPath= and a workspace folder; got ${args.join(' ')}`);
  process.exit(2);
}
const r = spawnSync(process.execPath, [path.join(__dirname, 'run-exthost-tests.js')], {
  stdio: 'inherit',
  env: { ...process.env, EXT_DIR: dev, TESTS_PATH: tests, WS: ws },
});
process.exit(r.status ?? 1);
