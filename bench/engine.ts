/**
 * Engine benchmarks on the Linux tree: wall time and peak RSS of `caches`,
 * `check` (cold = empty content-hash cache, warm = same cache again) and the
 * full `locks` graph, each in a fresh process; plus, in this run, the raw
 * tree-sitter parse time of the files `check` parsed, for the ratio.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { findKernelTree } from './kernel-tree';
import { disposeTree, initParser, parseC, parserInfo } from '../server/src/parse/parser';

const BIN = path.join(__dirname, '../../bin/slabcheck.js');

interface RunResult { wall: number; rssMB: number; code: number | null; stdoutTail: string; stats?: Record<string, number> }

/** The class names (the first line of `locks --format json`) and the number of edge lines, read in chunks. */
export function readLocksJson(file: string): { classes: { name: string; unresolved?: string }[]; edges: number } {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(8 << 20);
  let first = '';
  let lines = 0;
  let inFirst = true;
  for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) {
    let from = 0;
    for (let i = buf.indexOf(10, 0); i >= 0 && i < n; i = buf.indexOf(10, i + 1)) {
      if (inFirst) {
        first += buf.toString('utf8', from, i);
        inFirst = false;
      }
      lines++;
      from = i + 1;
    }
    if (inFirst) first += buf.toString('utf8', 0, n);
  }
  fs.closeSync(fd);
  const classes = (JSON.parse(first.replace(/,"edges":\[$/, '}')) as { classes: { name: string; unresolved?: string }[] }).classes;
  // Lines: the classes line, one per edge, the closing `]}`.
  return { classes, edges: Math.max(0, lines - 2) };
}

function runCli(args: string[], cwd: string): RunResult {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, SLABCHECK_BENCH_STATS: '1' }, maxBuffer: 1 << 30 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const m = /slabcheck-bench: (\{.*\})/.exec(r.stderr ?? '');
  const stats = m ? JSON.parse(m[1]) : undefined;
  const lines = (r.stdout ?? '').trim().split('\n');
  return { wall, rssMB: stats ? stats.maxRssKB / 1024 : NaN, code: r.status, stdoutTail: lines[lines.length - 1] ?? '', stats };
}

const fmt = (r: RunResult) => `${r.wall.toFixed(2)} s wall, ${r.rssMB.toFixed(0)} MB peak RSS`;

export async function benchEngine(opts: { locks?: boolean } = {}): Promise<void> {
  const tree = findKernelTree();
  if (!tree) {
    process.stdout.write('engine bench: no Linux tree (apt-get install linux-source-6.12, or set SLABCHECK_LINUX); skipped\n');
    return;
  }
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'slabcheck-bench-'));
  process.stdout.write(`\n== engine on ${tree} (${os.cpus().length} cores) ==\n`);
  const rows: [string, RunResult, string][] = [];
  const cachesCold = runCli(['caches', '.', '--cache-dir', `${cache}/caches`], tree);
  rows.push(['caches cold', cachesCold, '<= 5 s']);
  const cachesWarm = runCli(['caches', '.', '--cache-dir', `${cache}/caches`], tree);
  rows.push(['caches warm', cachesWarm, '']);
  const checkCold = runCli(['check', '.', '--cache-dir', `${cache}/check`, '--format', 'json', '-o', `${cache}/check.json`], tree);
  rows.push(['check cold', checkCold, '<= 20 s']);
  const checkWarm = runCli(['check', '.', '--cache-dir', `${cache}/check`, '--format', 'json', '-o', `${cache}/check2.json`], tree);
  rows.push(['check warm', checkWarm, '<= 3 s']);
  let lockRatio = '';
  if (opts.locks !== false && process.env.SLABCHECK_BENCH_LOCKS !== '0') {
    // The yardstick, in the same run: one ripgrep pass over the same C files for the lock primitives.
    const t0 = process.hrtime.bigint();
    const rg = spawnSync('rg', ['-c', '--no-messages', '-g', '*.[ch]', '-e', 'spin_lock|mutex_lock|down_read|down_write|raw_spin_lock', '.'], { cwd: tree, encoding: 'utf8', maxBuffer: 1 << 30 });
    const rgWall = Number(process.hrtime.bigint() - t0) / 1e9;
    const locks = runCli(['locks', '.', '--cache-dir', `${cache}/locks`, '--format', 'json', '-o', `${cache}/locks.json`], tree);
    rows.push(['locks cold (full graph)', locks, '<= 30x ripgrep']);
    const warm = runCli(['locks', '.', '--cache-dir', `${cache}/locks`, '--format', 'json', '-o', `${cache}/locks2.json`], tree);
    rows.push(['locks warm (full graph)', warm, '<= 5 s, RSS <= 1 GB']);
    rows.push(['locks --class warm', runCli(['locks', '.', '--cache-dir', `${cache}/locks`, '--class', 'pcpu_lock'], tree), '<= 2 s']);
    if (rg.status === 0 || rg.status === 1) lockRatio = `ripgrep pass ${rgWall.toFixed(2)} s; locks cold / ripgrep = ${(locks.wall / rgWall).toFixed(1)}x, warm / ripgrep = ${(warm.wall / rgWall).toFixed(1)}x\n`;
    else lockRatio = 'ripgrep not found: no ratio (apt-get install ripgrep)\n';
  }
  for (const [name, r, target] of rows) {
    process.stdout.write(`${name.padEnd(24)} ${fmt(r)}  exit ${r.code}${target ? `  (target ${target}, RSS <= 1536 MB)` : ''}${r.stats ? `  files scanned ${r.stats.files}, parsed ${r.stats.parsed}, from cache ${r.stats.factsCached}` : ''}\n`);
  }
  process.stdout.write(lockRatio);
  if (fs.existsSync(`${cache}/locks.json`)) {
    // The kernel's graph is over 1 GB of JSON: the classes are its first line, one edge per line after.
    const { classes, edges } = readLocksJson(`${cache}/locks.json`);
    // Classes named by an expression or an unbound parameter (each says why) split one real class into many.
    const unresolved = classes.filter((c) => c.unresolved);
    process.stdout.write(`lock classes: ${classes.length}, edges ${edges}; named by an expression or parameter: ${unresolved.length} (${((100 * unresolved.length) / Math.max(1, classes.length)).toFixed(1)}%, target < 1%)\n`);
  }
  // Raw parse of the same files check parsed, one core, this process.
  const listFile = `${cache}/check-parsed.txt`;
  runCli(['check', '.', '--no-cache', '--format', 'json', '-o', `${cache}/check3.json`, '--list-parsed', listFile], tree);
  if (fs.existsSync(listFile)) {
    const files = fs.readFileSync(listFile, 'utf8').split('\n').filter(Boolean);
    await initParser();
    const t0 = process.hrtime.bigint();
    let bytes = 0;
    for (const f of files) {
      const text = fs.readFileSync(f, 'utf8');
      bytes += text.length;
      disposeTree(parseC(text));
    }
    const parse = Number(process.hrtime.bigint() - t0) / 1e9;
    process.stdout.write(`raw tree-sitter parse (${parserInfo()}) of the ${files.length} files check parsed (${(bytes / 1048576).toFixed(1)} MB), one core: ${parse.toFixed(2)} s; check cold / raw parse = ${(checkCold.wall / parse).toFixed(2)}\n`);
  }
  const all = fs.readFileSync(`${cache}/check.json`, 'utf8');
  const findings = JSON.parse(all).findings.length;
  process.stdout.write(`check findings on the tree: ${findings}\n`);
  // The knowledge base's claims against this tree's code (slabcheck kb verify).
  const kb = runCli(['kb', 'verify', '.', '--cache-dir', `${cache}/check`, '--format', 'json', '-o', `${cache}/kb.json`], tree);
  if (fs.existsSync(`${cache}/kb.json`)) {
    const r = JSON.parse(fs.readFileSync(`${cache}/kb.json`, 'utf8')) as { disagreements: number; functions: { status: string }[] };
    const n = (st: string) => r.functions.filter((f) => f.status === st).length;
    process.stdout.write(`kb verify: ${r.disagreements} disagreements (${n('disagrees')} functions; ${n('unconfirmed')} unconfirmed, ${n('ambiguous')} ambiguous, ${n('header-only')} header-only, ${n('not-in-tree')} not in the tree), ${fmt(kb)}\n`);
  }
  fs.rmSync(cache, { recursive: true, force: true });
}

if (require.main === module) benchEngine().catch((e) => { console.error(e); process.exit(1); });
