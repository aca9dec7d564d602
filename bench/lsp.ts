/**
 * Language-server benchmarks (figures printed, never asserted):
 *  1. edit -> diagnostics latency in a generated 5,000-line kernel-style file:
 *     p50/p95 over 200 edits, measured in the server from the moment the
 *     (debounced) change is analysed to publishDiagnostics, so the debounce is
 *     excluded (`slabcheck/timing`); the client-side round trip is shown too;
 *  2. time to first diagnostics after opening a file in an indexed tree
 *     (/work/linux/linux-source-6.12 when present, else a generated tree);
 *  3. the server's RSS after each.
 * Run: node out/bench/lsp.js   (or from the lead's bench runner: benchLsp()).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fileUri, LspClient } from '../test/lsp/rpc-client';
import { generateKernelFile } from './lsp-fixture';
import type { TimingParams } from '../server/src/lsp/workspace';

/** What the server reports after each analysis (slabcheck/timing). */
type Timing = TimingParams;

const LINUX = '/work/linux/linux-source-6.12';

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

const f1 = (n: number) => n.toFixed(1);
const mb = (n: number) => `${(n / 1048576).toFixed(0)} MB`;

async function editLatency(edits = 200, lines = 5000): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slabcheck-bench-lsp-'));
  try {
    const file = path.join(dir, 'bench.c');
    const text = generateKernelFile(lines);
    fs.writeFileSync(file, text);
    fs.writeFileSync(path.join(dir, '.slabcheck.json'), JSON.stringify({ semantics: 'dtor-rfc' }));
    const c = new LspClient({ env: { XDG_CACHE_HOME: path.join(dir, '.cache') }, settings: { debounceMs: 0 } });
    await c.initialize(dir, { timing: true });
    await c.waitReady(120000);
    const uri = fileUri(file);
    c.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version: 1, text } });
    const first = await c.waitFor<{ uri: string; version?: number; diagnostics: unknown[] }>('textDocument/publishDiagnostics', (p) => p.uri === uri && p.version === 1, 60000, true);
    const marker = text.split('\n').findIndex((l) => l.includes('bench edit marker'));
    const col = text.split('\n')[marker].indexOf('marker') + 6;
    const server: Timing[] = [];
    const roundTrip: number[] = [];
    for (let i = 0; i < edits; i++) {
      const v = i + 2;
      // Alternate: type a character into the comment, delete it again.
      const change = i % 2 === 0
        ? { range: { start: { line: marker, character: col }, end: { line: marker, character: col } }, text: 'x' }
        : { range: { start: { line: marker, character: col }, end: { line: marker, character: col + 1 } }, text: '' };
      const t0 = performance.now();
      const timing = c.waitFor<Timing>('slabcheck/timing', (t) => t.uri === uri && t.version === v, 60000);
      const diag = c.waitFor('textDocument/publishDiagnostics', (p: { uri: string; version?: number }) => p.uri === uri && p.version === v, 60000);
      c.notify('textDocument/didChange', { textDocument: { uri, version: v }, contentChanges: [change] });
      server.push(await timing);
      await diag;
      roundTrip.push(performance.now() - t0);
    }
    const stats = await c.request('slabcheck/stats');
    const lat = server.map((t) => t.latencyMs);
    console.log(`lsp: ${lines}-line file, ${first.diagnostics.length} diagnostics, ${edits} edits (debounce excluded, measured in the server):`);
    console.log(`  edit -> publishDiagnostics  p50 ${f1(pct(lat, 50))} ms  p95 ${f1(pct(lat, 95))} ms  max ${f1(Math.max(...lat))} ms`);
    console.log(`    parse (incremental ${server.filter((t) => t.incremental).length}/${edits})  p50 ${f1(pct(server.map((t) => t.parseMs), 50))} ms; facts + index update p50 ${f1(pct(server.map((t) => t.extractMs), 50))} ms; rules p50 ${f1(pct(server.map((t) => t.checkMs), 50))} ms`);
    console.log(`  client round trip didChange -> publishDiagnostics  p50 ${f1(pct(roundTrip, 50))} ms  p95 ${f1(pct(roundTrip, 95))} ms`);
    console.log(`  server RSS ${mb(stats.rss)} (heap ${mb(stats.heapUsed)})`);
    await c.shutdown();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A tree of `n` generated files for when the kernel sources are not here. */
function generatedTree(n: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slabcheck-bench-tree-'));
  for (let i = 0; i < n; i++) {
    const sub = path.join(dir, `drivers/d${Math.floor(i / 100)}`);
    fs.mkdirSync(sub, { recursive: true });
    fs.writeFileSync(path.join(sub, `f${i}.c`), generateKernelFile(i % 10 === 0 ? 600 : 200, `m${i}`));
  }
  return dir;
}

async function openInIndexedTree(): Promise<void> {
  const linux = fs.existsSync(path.join(LINUX, 'kernel/fork.c'));
  const root = linux ? LINUX : generatedTree(3000);
  try {
    // The user's fact cache (~/.cache/slabcheck) is used as an editor would: a second run is warm.
    const c = new LspClient({ settings: {} });
    const t0 = performance.now();
    await c.initialize(root, {});
    const st = await c.waitReady(15 * 60000);
    const indexMs = performance.now() - t0;
    const s0 = await c.request('slabcheck/stats');
    console.log(`lsp: indexed ${linux ? 'linux-source-6.12' : 'a generated tree'} (${s0.files} files, ${s0.demandDriven ? 'on demand' : 'fully parsed'}) in ${(indexMs / 1000).toFixed(1)} s: ${st.findings} findings, ${s0.caches} caches, ${s0.facts} files parsed; RSS ${mb(s0.rss)}`);
    const picks = linux
      ? ['kernel/fork.c', 'fs/inode.c', 'drivers/net/tun.c']
      : ['drivers/d0/f0.c', 'drivers/d5/f517.c', 'drivers/d29/f2999.c'];
    for (const rel of picks) {
      const f = path.join(root, rel);
      if (!fs.existsSync(f)) continue;
      const uri = fileUri(f);
      const text = fs.readFileSync(f, 'utf8');
      const t = performance.now();
      c.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version: 1, text } });
      const d = await c.waitFor<{ uri: string; version?: number; diagnostics: unknown[] }>('textDocument/publishDiagnostics', (p) => p.uri === uri && p.version === 1, 120000);
      console.log(`  open ${rel} (${text.split('\n').length} lines) -> first diagnostics in ${f1(performance.now() - t)} ms (${d.diagnostics.length} diagnostics)`);
    }
    const s1 = await c.request('slabcheck/stats');
    console.log(`  server RSS ${mb(s1.rss)} (heap ${mb(s1.heapUsed)})`);
    await c.shutdown();
  } finally {
    if (!linux) fs.rmSync(root, { recursive: true, force: true });
  }
}

export async function benchLsp(): Promise<void> {
  await editLatency();
  await openInIndexedTree();
}

if (require.main === module) {
  benchLsp().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
