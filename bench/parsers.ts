/**
 * The two parser backends side by side on the same files, each in a fresh process
 * (SLABCHECK_PARSER): parse only, then parse plus facts extraction (the tree walks),
 * MB/s on one core, and the resident size before and after (wasm trees are freed
 * explicitly; a leak shows here as RSS growing with the file count).
 *   node out/bench/parsers.js [files or dirs...]   (default: the kernel tree's fs/*.c)
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { findKernelTree } from './kernel-tree';
import { extractFacts } from '../server/src/facts/extract';
import { disposeTree, initParser, liveTrees, parseC, parserInfo } from '../server/src/parse/parser';

function listFiles(args: string[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    const st = fs.statSync(a);
    if (st.isDirectory()) for (const f of fs.readdirSync(a).sort()) { if (/\.[ch]$/.test(f)) out.push(path.join(a, f)); }
    else out.push(a);
  }
  return out;
}

/** In the child: one backend, figures as one JSON line. */
async function measure(files: string[]): Promise<void> {
  await initParser();
  const texts = files.map((f) => fs.readFileSync(f, 'utf8'));
  const mb = texts.reduce((n, t) => n + Buffer.byteLength(t), 0) / 1048576;
  const rss0 = process.memoryUsage.rss();
  let peak = rss0;
  let t0 = performance.now();
  for (const t of texts) {
    disposeTree(parseC(t));
    peak = Math.max(peak, process.memoryUsage.rss());
  }
  const parseS = (performance.now() - t0) / 1000;
  const rss1 = process.memoryUsage.rss();
  t0 = performance.now();
  let fns = 0;
  for (let i = 0; i < texts.length; i++) {
    fns += extractFacts(files[i], texts[i]).functions.length;
    peak = Math.max(peak, process.memoryUsage.rss());
  }
  const extractS = (performance.now() - t0) / 1000;
  const rss2 = process.memoryUsage.rss();
  process.stdout.write(`${JSON.stringify({ parser: parserInfo(), files: files.length, mb, parseS, extractS, fns, rss0, rss1, rss2, peak, liveTrees: liveTrees() })}\n`);
}

export async function benchParsers(args: string[] = []): Promise<void> {
  let files = listFiles(args);
  if (!files.length) {
    const linux = findKernelTree();
    if (!linux) {
      process.stdout.write('parsers: no kernel tree (SLABCHECK_LINUX): skipped\n');
      return;
    }
    files = listFiles([path.join(linux, 'fs')]).filter((f) => f.endsWith('.c'));
  }
  const list = path.join(fs.mkdtempSync('/tmp/slabcheck-parsers-'), 'files.txt');
  fs.writeFileSync(list, files.join('\n'));
  const M = (b: number) => `${(b / 1048576).toFixed(0)} MB`;
  for (const backend of ['native', 'wasm']) {
    const r = spawnSync(process.execPath, [__filename, '--child', list], { env: { ...process.env, SLABCHECK_PARSER: backend }, encoding: 'utf8' });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    if (r.status !== 0 || !line.startsWith('{')) {
      process.stdout.write(`parsers ${backend}: not run (${(r.stderr || r.stdout).trim().split('\n').pop()})\n`);
      continue;
    }
    const x = JSON.parse(line) as { parser: string; files: number; mb: number; parseS: number; extractS: number; fns: number; rss0: number; rss1: number; rss2: number; peak: number; liveTrees: number };
    process.stdout.write(`parsers ${x.parser}: ${x.files} files, ${x.mb.toFixed(1)} MB; parse ${x.parseS.toFixed(2)} s (${(x.mb / x.parseS).toFixed(1)} MB/s), parse + facts ${x.extractS.toFixed(2)} s (${(x.mb / x.extractS).toFixed(1)} MB/s, ${x.fns} functions); RSS ${M(x.rss0)} -> ${M(x.rss1)} after parsing -> ${M(x.rss2)} after facts, peak ${M(x.peak)}; trees not freed: ${x.liveTrees}\n`);
  }
  fs.rmSync(path.dirname(list), { recursive: true, force: true });
}

if (require.main === module) {
  const a = process.argv.slice(2);
  if (a[0] === '--child') measure(fs.readFileSync(a[1], 'utf8').split('\n').filter(Boolean)).catch((e) => { console.error(e); process.exit(1); });
  else benchParsers(a).catch((e) => { console.error(e); process.exit(1); });
}
