/**
 * Which files the whole-tree lock graph reads (demand-driven mode): every
 * file that takes a lock, then what those files call while holding one, then
 * those callees' callees (breadth first, bounded depth), then the headers
 * that define the struct types multi-field lock paths go through.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as v8 from 'v8';
import type { Analysis } from '../index/analysis';
import type { Project } from '../index/project';
import { GraphFile, toGraphFile } from '../graph/graph-facts';
import type { LockGraph } from '../graph/lock-graph';
import type { GraphOut } from './tasks';
import { trace } from './trace';

const CALL_DEPTH = 4;

/**
 * The files a whole-tree graph read, in one file (`graph-pack-*.bin`, v8 serialisation): a warm
 * run reads it instead of asking the workers for 16k cached files and walking the callee levels
 * again. Keyed by the extractor's code and by every discovered file's path, size and mtime: any
 * change on disk falls back to the per-file caches. Editor buffers (overlays) never use it.
 */
function packPath(p: Project): string | undefined {
  const base = p.workspaceCacheFile('graph-pack');
  return base && `${base}.bin`;
}

/** Every discovered file's path, size and mtime: any change on disk gives another stamp. */
export function treeStamp(p: Project): string {
  const h = crypto.createHash('sha1');
  for (const f of p.files) {
    const s = p.prescan.get(f);
    h.update(`${f}\0${s?.size ?? -1}\0${s?.mtimeMs ?? -1}\n`);
  }
  return h.digest('hex');
}

export async function loadGraphFacts(p: Project, lg: LockGraph, a: Analysis): Promise<void> {
  const pack = p.overlays.size ? undefined : packPath(p);
  const stamp = pack ? treeStamp(p) : '';
  if (pack) {
    try {
      const data = v8.deserialize(fs.readFileSync(pack)) as { stamp: string; graphs: GraphFile[] };
      if (data.stamp === stamp) {
        for (const g of data.graphs) lg.add(g);
        p.stats.factsCached += data.graphs.length;
        trace(`lock graph: ${data.graphs.length} files from the pack`);
        return;
      }
    } catch {
      /* no pack, or an unreadable one: read the files */
    }
  }
  await readGraphFacts(p, lg, a);
  if (pack) {
    try {
      fs.mkdirSync(path.dirname(pack), { recursive: true });
      const tmp = `${pack}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, v8.serialize({ stamp, graphs: lg.graphFiles() }));
      fs.renameSync(tmp, pack);
      trace('lock graph: pack saved');
      prunePacks(path.dirname(pack), 'graph-pack');
    } catch {
      /* a read-only cache: next time reads the files again */
    }
  }
}

/** Packs are hundreds of MB on a kernel and each code version writes its own: keep the newest few. */
const KEEP_PACKS = 3;
export function prunePacks(dir: string, kind: string): void {
  const re = new RegExp(`^${kind}-[0-9a-f]+\\.bin$`);
  const packs = fs.readdirSync(dir).filter((n) => re.test(n))
    .map((n) => ({ n, t: fs.statSync(path.join(dir, n)).mtimeMs })).sort((a, b) => b.t - a.t);
  for (const p of packs.slice(KEEP_PACKS)) fs.rmSync(path.join(dir, p.n), { force: true });
}

async function readGraphFacts(p: Project, lg: LockGraph, a: Analysis): Promise<void> {
  const ingest = async (files: Iterable<string>) => {
    // Userspace copies (tools/, scripts/...) are not kernel code: their locks are not kernel classes.
    const need = [...new Set(files)].filter((f) => !lg.has(f) && !a.outsideKernel(f));
    // An editor buffer is read from its text, not from disk.
    for (const f of need.filter((x) => p.overlays.has(x))) {
      await p.ensureFacts([f]);
      const facts = p.facts.get(f);
      if (facts) lg.add(toGraphFile(facts));
    }
    const onDisk = need.filter((x) => !p.overlays.has(x));
    if (!onDisk.length) return;
    const out = await p.pool.map<GraphOut>('graph', onDisk, {
      maxBytes: p.config.maxFileSize, cacheDir: p.opts.cacheDir, chunkSize: 8, primitives: p.config.lockPrimitives,
      onChunk: (done, total) => p.opts.onProgress?.('parse', done, total),
    });
    for (const r of out) {
      if (r.graph) {
        lg.add(r.graph);
        if (r.fromCache) p.stats.factsCached++;
        else p.stats.parsed++;
      } else if (r.problem) p.problems.push({ path: r.path, message: r.problem });
    }
  };
  const lockFiles = p.files.filter((f) => p.prescan.get(f)?.hasLock);
  await ingest(lockFiles);
  trace(`lock graph: ${lockFiles.length} files that lock read`);
  let frontier = lockFiles.flatMap((f) => lg.functionsOf(f));
  const seen = new Set(frontier);
  for (let d = 0; d < CALL_DEPTH && frontier.length; d++) {
    // First level: only what is called while a lock is held (callees' own locks matter there).
    const heldOnly = d === 0;
    const wanted = new Map<string, string>();
    for (const fn of frontier) {
      for (const name of lg.callees(fn, heldOnly)) {
        // Upper-case macros are followed where loaded but not loaded for (WARN_ON() and kin would pull in thousands of headers).
        if (!a.readsBody(name, 'call') || /^[A-Z0-9_]+$/.test(name) || wanted.has(name) || lg.resolveCall(fn, name) >= 0) continue;
        wanted.set(name, lg.fnPath(fn));
      }
    }
    const files: string[] = [];
    for (const [name, from] of wanted) files.push(...a.candidateFiles(name, from).slice(0, 2));
    await ingest(files);
    trace(`lock graph: callee level ${d}: ${wanted.size} names, ${new Set(files).size} files`);
    const next: number[] = [];
    for (const fn of frontier) {
      for (const name of lg.callees(fn, heldOnly)) {
        const c = lg.resolveCall(fn, name);
        if (c >= 0 && !seen.has(c)) {
          seen.add(c);
          next.push(c);
        }
      }
    }
    frontier = next;
  }
  // The accessors lock paths go through (`HFS_SB(sb)->bitmap_lock`: a cast macro in a header) name their classes.
  const accessors = [...lg.accessorsNeeded()].flatMap(([name, from]) => a.candidateFiles(name, from).slice(0, 2));
  await ingest(accessors);
  trace(`lock graph: accessors: ${new Set(accessors).size} files`);
  for (let round = 0; round < 3; round++) {
    const need = lg.structTypesNeeded().flatMap((t) => a.structFiles(t).slice(0, 2));
    const before = lg.size;
    await ingest(need);
    trace(`lock graph: struct round ${round}: ${new Set(need).size} files`);
    if (lg.size === before) break;
  }
}
