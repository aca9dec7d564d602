#!/usr/bin/env node
'use strict';
// Node 20's test runner takes no globs: list the compiled *.test.js files and run them.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

function walk(dir, out) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name === 'e2e') continue; // the editor suites run in a real VS Code: npm run test:e2e
      walk(p, out);
    } else if (e.name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const root = path.join(__dirname, '..', 'out', 'test');
const filter = process.argv[2];
const files = walk(root, []).filter((f) => !filter || f.includes(filter)).sort();
if (!files.length) {
  console.error(`no test files under ${root}`);
  process.exit(1);
}
// Each test file runs in its own process; the preload loads the parser there (scripts/test-setup.mjs).
const setup = path.join(__dirname, 'test-setup.mjs');
const r = spawnSync(process.execPath, ['--import', setup, '--test', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
