#!/usr/bin/env node
// Bundle the extension: dist/client.js (the VS Code client), dist/server.js
// (the language server) and dist/worker.js (the engine's worker threads; the
// pool loads it from the server's directory). tree-sitter and tree-sitter-c
// are native modules: left external and shipped in the .vsix node_modules.
'use strict';
const path = require('path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  minify: process.argv.includes('--minify'),
  absWorkingDir: root,
};

async function main() {
  await Promise.all([
    esbuild.build({ ...common, entryPoints: ['client/src/extension.ts'], outfile: 'dist/client.js', external: ['vscode'] }),
    esbuild.build({ ...common, entryPoints: ['server/src/lsp/main.ts'], outfile: 'dist/server.js', external: ['tree-sitter', 'tree-sitter-c'] }),
    esbuild.build({ ...common, entryPoints: ['server/src/engine/worker.ts'], outfile: 'dist/worker.js', external: ['tree-sitter', 'tree-sitter-c'] }),
  ]);
  console.log('built dist/client.js, dist/server.js, dist/worker.js');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
