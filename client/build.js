#!/usr/bin/env node
// Bundle the extension: dist/client.js (the VS Code client), dist/server.js
// (the language server), dist/worker.js (the engine's worker threads; the
// pool loads it from the server's directory), dist/sim-worker.js (the
// simulator, run off the extension host's main thread) and dist/media/
// (the webview pages with chart.js bundled in, and their stylesheet: the
// webviews load nothing else). The parser modules (tree-sitter and
// tree-sitter-c: native; web-tree-sitter: read its .wasm next to its own file)
// are left external and shipped in the .vsix node_modules (package-vsix.js).
'use strict';
const fs = require('fs');
const path = require('path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const PARSER_MODULES = ['tree-sitter', 'tree-sitter-c', 'web-tree-sitter'];
const minify = process.argv.includes('--minify');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  minify,
  absWorkingDir: root,
};

/** dist/sim-worker.js (or `outfile`): the simulator and the job runner, for a worker_threads Worker. */
function buildSimWorker(outfile = path.join(root, 'dist', 'sim-worker.js')) {
  return esbuild.build({ ...common, entryPoints: ['client/src/sim-worker.ts'], outfile });
}

/** dist/media/ (or `outdir`): results.js and lockgraph.js (browser IIFEs, chart.js inside) and webview.css. */
async function buildWebviews(outdir = path.join(root, 'dist', 'media')) {
  await esbuild.build({
    bundle: true,
    platform: 'browser',
    target: ['chrome114'],
    format: 'iife',
    sourcemap: false,
    logLevel: 'warning',
    minify: true,
    legalComments: 'eof',
    absWorkingDir: root,
    entryPoints: { results: 'client/media/results.ts', lockgraph: 'client/media/lockgraph.ts' },
    outdir,
  });
  fs.mkdirSync(outdir, { recursive: true });
  fs.copyFileSync(path.join(root, 'client', 'media', 'webview.css'), path.join(outdir, 'webview.css'));
}

async function main() {
  await Promise.all([
    esbuild.build({ ...common, entryPoints: ['client/src/extension.ts'], outfile: 'dist/client.js', external: ['vscode'] }),
    esbuild.build({ ...common, entryPoints: ['server/src/lsp/main.ts'], outfile: 'dist/server.js', external: PARSER_MODULES }),
    esbuild.build({ ...common, entryPoints: ['server/src/engine/worker.ts'], outfile: 'dist/worker.js', external: PARSER_MODULES }),
    buildSimWorker(),
    buildWebviews(),
  ]);
  console.log('built dist/client.js, dist/server.js, dist/worker.js, dist/sim-worker.js, dist/media/');
}

module.exports = { buildSimWorker, buildWebviews };

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
