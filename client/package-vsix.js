#!/usr/bin/env node
// Package the extension as a .vsix: bundle (client/build.js), stage the
// files the extension needs in out/vsix-stage, run `vsce package
// --no-dependencies [--target T]` there, then add the parser modules the
// bundled server loads at run time:
// - every VSIX: web-tree-sitter and tree-sitter-c.wasm (the parser that needs no
//   native code, parse/parser.ts falls back to it);
// - a platform VSIX (--target linux-x64, darwin-arm64, ...): also native tree-sitter
//   and tree-sitter-c with that platform's N-API prebuilds only, node-gyp-build
//   that picks them, and the binding `npm ci` compiled here when T is this machine.
// No --target: one universal VSIX with the wasm parser only.
//   usage: node client/package-vsix.js [--target T | --all-targets] [--out FILE] [--no-build]
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
// vsce's targets but `web` (the language server needs Node); where tree-sitter has no
// prebuild (alpine is musl, linux-armhf) the platform VSIX has the wasm parser only.
const TARGETS = ['linux-x64', 'linux-arm64', 'linux-armhf', 'darwin-x64', 'darwin-arm64', 'win32-x64', 'win32-arm64', 'alpine-x64', 'alpine-arm64'];
const stage = path.join(root, 'out', 'vsix-stage');
const defaultName = (target) => path.join(root, 'out', `${pkg.name}-${target ? `${target}-` : ''}${pkg.version}.vsix`);

function copy(rel, to = rel) {
  const src = path.join(root, rel);
  const dst = path.join(stage, to);
  fs.mkdirSync(path.dirname(dst), { recursive: true });
  fs.cpSync(src, dst, { recursive: true });
}

/** Files of a runtime node module to ship (relative to the module dir). */
function moduleFiles(name, keep) {
  const dir = path.join(root, 'node_modules', name);
  const out = [];
  const walk = (rel) => {
    const abs = path.join(dir, rel);
    const st = fs.statSync(abs);
    if (st.isDirectory()) {
      for (const e of fs.readdirSync(abs)) walk(rel ? `${rel}/${e}` : e);
    } else if (keep(rel)) out.push({ abs, rel: `node_modules/${name}/${rel}` });
  };
  walk('');
  return out;
}

function resolveFrom(mod, from) {
  return require(require.resolve(mod, { paths: [from, root] }));
}

async function addToVsix(file, extra) {
  const vsceDir = path.dirname(require.resolve('@vscode/vsce/package.json', { paths: [root] }));
  const yauzl = resolveFrom('yauzl', vsceDir);
  const yazl = resolveFrom('yazl', vsceDir);
  const entries = await new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      const list = [];
      zip.on('entry', (e) => {
        if (/\/$/.test(e.fileName)) return zip.readEntry();
        zip.openReadStream(e, (err2, s) => {
          if (err2) return reject(err2);
          const chunks = [];
          s.on('data', (c) => chunks.push(c));
          s.on('end', () => {
            list.push({ name: e.fileName, data: Buffer.concat(chunks) });
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(list));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
  const zip = new yazl.ZipFile();
  for (const e of entries) {
    let data = e.data;
    if (e.name === '[Content_Types].xml') {
      let xml = data.toString('utf8');
      for (const ext of ['.node', '.js', '.json', '.md', '.txt']) {
        if (!xml.includes(`Extension="${ext}"`)) xml = xml.replace('</Types>', `<Default Extension="${ext}" ContentType="application/octet-stream"/></Types>`);
      }
      data = Buffer.from(xml, 'utf8');
    }
    zip.addBuffer(data, e.name);
  }
  for (const f of extra) zip.addFile(f.abs, `extension/${f.rel}`);
  await new Promise((resolve, reject) => {
    const tmp = `${file}.tmp`;
    const ws = fs.createWriteStream(tmp);
    zip.outputStream.pipe(ws).on('close', () => {
      fs.renameSync(tmp, file);
      resolve();
    }).on('error', reject);
    zip.end();
  });
}

/** The runtime files of the parser backends for `target` (undefined: universal, wasm only). */
function parserFiles(target) {
  const files = [
    ...moduleFiles('web-tree-sitter', (r) => r === 'package.json' || r === 'LICENSE' || r === 'tree-sitter.cjs' || r === 'tree-sitter.wasm'),
    ...moduleFiles('tree-sitter-c', (r) => r === 'package.json' || r === 'LICENSE' || r === 'tree-sitter-c.wasm'),
  ];
  const prebuild = target && fs.existsSync(path.join(root, 'node_modules', 'tree-sitter', 'prebuilds', target)) ? target : undefined;
  if (!prebuild) return files;
  // The binding compiled by `npm ci` is for this machine's platform and libstdc++: only in this
  // platform's VSIX, where node-gyp-build prefers it (the linux-x64 prebuild needs GLIBCXX_3.4.31,
  // newer than Debian 12's); on a system where it does not load, the server uses the wasm parser.
  // node-gyp-build takes build/Release whenever it exists, so the prebuild is left out then.
  const built = (name) => target === `${process.platform}-${process.arch}` && fs.existsSync(path.join(root, 'node_modules', name, 'build', 'Release'));
  const own = (name) => (built(name) ? (r) => /^build\/Release\/[^/]+\.node$/.test(r) : (r) => r.startsWith(`prebuilds/${target}/`));
  const native = fs.existsSync(path.join(root, 'node_modules', 'tree-sitter', 'package.json'))
    ? moduleFiles('tree-sitter', (r) => r === 'package.json' || r === 'index.js' || r === 'LICENSE' || own('tree-sitter')(r))
    : [];
  if (!native.length) {
    console.warn(`packaging ${target}: native tree-sitter is not installed here (no C++ toolchain at npm ci?): the VSIX gets the wasm parser only`);
    return files;
  }
  return [
    ...files,
    ...native,
    ...moduleFiles('tree-sitter-c', (r) => r === 'bindings/node/index.js' || r === 'src/node-types.json' || own('tree-sitter-c')(r)),
    ...moduleFiles('node-gyp-build', (r) => /^(package\.json|index\.js|node-gyp-build\.js|bin\.js|optional\.js|build-test\.js|LICENSE)$/.test(r)),
  ];
}

async function main() {
  const all = process.argv.includes('--all-targets');
  const target = arg('--target');
  if (target && !TARGETS.includes(target)) throw new Error(`--target ${target}: one of ${TARGETS.join(', ')}`);
  if (all && arg('--out')) throw new Error('--all-targets writes out/<name>-<target>-<version>.vsix: no --out');
  if (!process.argv.includes('--no-build')) {
    execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'client')], { stdio: 'inherit' });
    execFileSync(process.execPath, [path.join(__dirname, 'build.js')], { stdio: 'inherit' });
  }
  fs.rmSync(stage, { recursive: true, force: true });
  fs.mkdirSync(stage, { recursive: true });
  copy('package.json');
  // The staged manifest is already built: vsce must not run the repo's prepublish step there.
  const staged = JSON.parse(fs.readFileSync(path.join(stage, 'package.json'), 'utf8'));
  delete staged.scripts?.['vscode:prepublish'];
  fs.writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(staged, null, 2)}\n`);
  copy('client/README.md', 'README.md');
  for (const f of ['client.js', 'server.js', 'worker.js', 'sim-worker.js']) copy(`dist/${f}`);
  // The webview pages (chart.js bundled in) and their stylesheet: the only local resource root of the webviews.
  for (const f of ['results.js', 'lockgraph.js', 'webview.css']) copy(`dist/media/${f}`);
  // contributes.jsonValidation points at it (*.slabscenario.json).
  copy('simulator/schema/scenario.schema.json');
  // contributes.jsonValidation points at it (.slabcheck.json).
  copy('schemas/slabcheck.schema.json');
  copy('syntaxes');
  fs.rmSync(path.join(stage, 'syntaxes', 'README.md'), { force: true });
  copy('client/snippets/c.json');
  // Everything staged ships (vsce warns when a package has neither this file nor `files`).
  fs.writeFileSync(path.join(stage, '.vscodeignore'), '');
  fs.writeFileSync(path.join(stage, 'LICENSE'), `MIT License\n\nCopyright (c) slabcheck authors\n\nPermission is hereby granted, free of charge, to any person obtaining a copy of this software and associated documentation files (the "Software"), to deal in the Software without restriction, including without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to the following conditions:\n\nThe above copyright notice and this permission notice shall be included in all copies or substantial portions of the Software.\n\nTHE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.\n`);
  const vsceBin = path.join(path.dirname(require.resolve('@vscode/vsce/package.json', { paths: [root] })), 'vsce');
  for (const t of all ? [undefined, ...TARGETS] : [target]) {
    const vsix = path.resolve(arg('--out') ?? defaultName(t));
    fs.mkdirSync(path.dirname(vsix), { recursive: true });
    fs.rmSync(vsix, { force: true });
    // --target records the platform in the manifest (the Marketplace serves each platform its VSIX).
    execFileSync(process.execPath, [vsceBin, 'package', '--no-dependencies', ...(t ? ['--target', t] : []), '--out', vsix], { cwd: stage, stdio: 'inherit' });
    const extra = parserFiles(t);
    await addToVsix(vsix, extra);
    const nodes = extra.filter((f) => f.rel.endsWith('.node')).length;
    console.log(`packaged ${path.relative(process.cwd(), vsix) || vsix} (${(fs.statSync(vsix).size / 1048576).toFixed(1)} MB; parser files added: ${extra.length}, of them native binaries: ${nodes}${t ? '' : ', universal: wasm parser only'})`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
