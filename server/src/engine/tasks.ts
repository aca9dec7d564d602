/** The jobs a worker (or the main thread, for small inputs) runs over a list of files. */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as v8 from 'v8';
import { join as pathJoin } from 'path';
import { extractFacts } from '../facts/extract';
import type { DeclaredPrimitive } from '../kb/locks';
import { FACTS_VERSION, FileFacts } from '../facts/types';
import { GENERATED_HEADER_BYTES, Prescan, prescanBuffer } from '../scan/prescan';
import { WasmScanner } from '../scan/prescan-wasm';
import { noteParses } from './native-memory';
import { readSource } from './read-source';
import { GraphFile, toGraphFile } from '../graph/graph-facts';
import { NAME_KIND, NamePacker, PackedNames } from '../index/name-table';

export type Task =
  | { kind: 'prescan'; files: string[]; maxBytes: number; locks?: boolean }
  | { kind: 'facts'; files: string[]; maxBytes: number; cacheDir?: string; focus?: 'creations'; want?: string[]; primitives?: Record<string, DeclaredPrimitive> }
  | { kind: 'graph'; files: string[]; maxBytes: number; cacheDir?: string; primitives?: Record<string, DeclaredPrimitive> };

export type PrescanOut = { path: string; prescan?: Prescan; problem?: string };
/**
 * A pre-scan chunk as a worker sends it: the per-file results without their
 * name lists, which travel packed (one string, one Int32Array) because cloning
 * 800k small strings and indexing them cost the main thread more than the scan.
 * A chunk lost with its worker comes back as plain PrescanOut problems instead.
 */
export type PrescanBatch = { outs: PrescanOut[]; packed: PackedNames };
/** The per-file results of pre-scan chunks, in chunk order. */
export function prescanOuts(results: (PrescanBatch | PrescanOut)[]): PrescanOut[] {
  return results.flatMap((r) => ('outs' in r ? r.outs : [r]));
}
export type FactsOut = { path: string; facts?: FileFacts; problem?: string; fromCache?: boolean };
export type GraphOut = { path: string; graph?: GraphFile; problem?: string; fromCache?: boolean };

/**
 * Facts in the compact form the whole-tree lock graph reads (graph/graph-facts.ts),
 * parsed with lock-free bodies left out. The compact form is what is cached (v8
 * serialisation of typed arrays): writing full facts as JSON cost a fifth of the
 * lock graph's parse time.
 */
export function runGraph(files: string[], maxBytes: number, cacheDir?: string, primitives?: Record<string, DeclaredPrimitive>): GraphOut[] {
  const out: GraphOut[] = [];
  const pk = primitivesKey(primitives);
  for (const path of files) {
    const r = readSource(path, maxBytes);
    if (!r.ok) {
      out.push({ path, problem: r.message });
      continue;
    }
    const file = cacheDir ? cachePath(cacheDir, contentHash(r.buf, pk), 'graph', 'bin') : undefined;
    if (file) {
      try {
        const graph = v8.deserialize(fs.readFileSync(file)) as GraphFile;
        graph.path = path;
        out.push({ path, graph, fromCache: true });
        continue;
      } catch {
        /* not cached yet */
      }
    }
    try {
      noteParses(1);
      const graph = toGraphFile(extractFacts(path, r.text, undefined, { quietBodies: true, lockPrimitives: primitives }));
      out.push({ path, graph });
      if (file) writeCache(file, () => v8.serialize(graph), false);
    } catch (e) {
      out.push({ path, problem: `could not be analysed: ${(e as Error).message}` });
    }
  }
  return out;
}

/**
 * Cache entries are written when the thread has nothing else to do: encoding and
 * writing the facts of 500 files cost the cold `caches` run 0.7 s of worker time
 * while the main thread waited on those same workers. `flushCacheWrites`
 * writes them (a few at a time between tasks, all before the thread exits).
 */
const pendingWrites: { file: string; data: () => string | Buffer }[] = [];

const MAX_PENDING = 1024;

/** `defer`: false when the thread is never idle before the end (the whole-tree lock graph). */
function writeCache(file: string, data: () => string | Buffer, defer = true): void {
  pendingWrites.push({ file, data });
  if (!defer || pendingWrites.length > MAX_PENDING) flushCacheWrites(pendingWrites.length - (defer ? MAX_PENDING : 0));
}

/** Write up to `max` pending cache entries; returns whether any are left. */
export function flushCacheWrites(max = Infinity): boolean {
  for (let n = 0; n < max && pendingWrites.length; n++) {
    const w = pendingWrites.shift()!;
    try {
      const dir = w.file.slice(0, w.file.lastIndexOf('/'));
      if (!madeDirs.has(dir)) {
        fs.mkdirSync(dir, { recursive: true });
        madeDirs.add(dir);
      }
      fs.writeFileSync(w.file, w.data());
    } catch {
      /* a cache that cannot be written only costs time */
    }
  }
  return pendingWrites.length > 0;
}

/** One task, whatever its kind (the worker and the pool's inline path). */
export function runTask(t: Task): PrescanBatch[] | FactsOut[] | GraphOut[] {
  if (t.kind === 'prescan') {
    const names = new NamePacker();
    const outs = runPrescan(t.files, t.maxBytes, names, !!t.locks);
    return [{ outs, packed: names.finish() }];
  }
  if (t.kind === 'graph') return runGraph(t.files, t.maxBytes, t.cacheDir, t.primitives);
  return runFacts(t.files, t.maxBytes, t.cacheDir, t.focus, t.want, t.primitives);
}

/** Move the name lists of pre-scan results into one packed form (kinds: NAME_KIND). */
export function packPrescan(outs: PrescanOut[]): PrescanBatch {
  const names = new NamePacker();
  outs.forEach((o, i) => {
    const p = o.prescan;
    if (!p) return;
    names.file = i;
    for (const n of p.defs) names.string(NAME_KIND.defs, n);
    for (const n of p.structs) names.string(NAME_KIND.structs, n);
    for (const n of p.cacheUses) names.string(NAME_KIND.uses, n);
    p.defs = [];
    p.structs = [];
  });
  return { outs, packed: names.finish() };
}

let scratch = Buffer.allocUnsafe(1 << 20);
/** This thread's WebAssembly scanner (null: not available, the JS scan is used). */
let scanner: WasmScanner | null | undefined;

/** `names`: where definition, struct and cache-use names go (packed for the main thread) instead of the results. */
export function runPrescan(files: string[], maxBytes: number, names?: NamePacker, locks = true): PrescanOut[] {
  const out: PrescanOut[] = [];
  for (const path of files) {
    if (names) names.file = out.length;
    // One open + fstat + read into a reused buffer: a path stat and readFileSync cost two lookups
    // and an allocation per file, a fifth of the pre-scan on the kernel. O_NONBLOCK: a FIFO never blocks.
    let fd: number;
    try {
      fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      out.push({ path, problem: code === 'ENOENT' ? 'file vanished during the run' : code === 'EACCES' ? 'permission denied' : `cannot open: ${code}` });
      continue;
    }
    try {
      const st = fs.fstatSync(fd);
      // Oversized files, and generated headers whose bytes are not scanned, are not read at all.
      if (!st.isFile() || st.size > maxBytes || (path.endsWith('.h') && st.size > GENERATED_HEADER_BYTES)) {
        out.push(st.isFile() ? { path, prescan: prescanBuffer(Buffer.alloc(0), st.size, st.mtimeMs, maxBytes, '', undefined, locks) } : { path, problem: 'not a regular file' });
        continue;
      }
      // With packed names the file is read straight into the WebAssembly scanner's memory.
      if (names && scanner === undefined) scanner = WasmScanner.create() ?? null;
      const wasm = names ? scanner ?? undefined : undefined;
      let into: Buffer;
      if (wasm) into = wasm.input(st.size);
      else {
        if (scratch.length < st.size) scratch = Buffer.allocUnsafe(st.size);
        into = scratch;
      }
      let off = 0;
      while (off < st.size) {
        const n = fs.readSync(fd, into, off, st.size - off, off);
        if (n === 0) break;
        off += n;
      }
      const prescan = prescanBuffer(into.subarray(0, off), st.size, st.mtimeMs, maxBytes, path, names, locks, wasm);
      if (names) for (const u of prescan.cacheUses) names.string(NAME_KIND.uses, u);
      out.push({ path, prescan });
    } catch (e) {
      out.push({ path, problem: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
    } finally {
      fs.closeSync(fd);
    }
  }
  return out;
}

/**
 * Cached facts are valid only for the code that produced them: the key hashes
 * the extractor's own compiled modules (facts/, parse/, kb/, scan/, graph/graph-facts), so any
 * change to them invalidates every cache entry without a version to remember.
 */
export const ENGINE_CACHE_KEY = ((): string => {
  const h = crypto.createHash('sha1').update(`v${FACTS_VERSION}`);
  let found = 0;
  for (const dir of ['facts', 'parse', 'kb', 'scan']) {
    const d = pathJoin(__dirname, '..', dir);
    let names: string[] = [];
    try {
      names = fs.readdirSync(d).filter((n) => n.endsWith('.js')).sort();
    } catch {
      /* bundled: __dirname layout differs; the version alone keys the cache */
    }
    for (const n of names) h.update(n).update(fs.readFileSync(pathJoin(d, n)));
    found += names.length;
  }
  // The lock graph caches the compact form graph-facts.ts makes.
  try {
    h.update(fs.readFileSync(pathJoin(__dirname, '..', 'graph', 'graph-facts.js')));
  } catch {
    /* bundled: see below */
  }
  // Bundled (the extension's dist/): the bundle itself is the code.
  if (!found) {
    try {
      h.update(fs.readFileSync(__filename));
    } catch {
      /* keep the version key */
    }
  }
  return `slabcheck-facts-${h.digest('hex').slice(0, 16)}`;
})();

/**
 * Declared lock primitives change the facts of the files that call them: they are part of
 * every facts key ('' when there are none, so a workspace without them keeps its caches).
 */
export function primitivesKey(p: Record<string, DeclaredPrimitive> | undefined): string {
  if (!p || !Object.keys(p).length) return '';
  return crypto.createHash('sha1').update(JSON.stringify(Object.keys(p).sort().map((k) => [k, p[k]]))).digest('hex').slice(0, 16);
}

export function contentHash(buf: Buffer, primitives = ''): string {
  return crypto.createHash('sha1').update(ENGINE_CACHE_KEY).update(primitives).update(buf).digest('hex');
}

/**
 * One flat directory: creating a file or a directory costs ~0.5 ms of system time on this
 * machine's ext4, and the 256 hash-prefix directories of a cold kernel run cost 0.1 s.
 */
function cachePath(cacheDir: string, hash: string, kind?: string, ext = 'json'): string {
  return `${cacheDir}/facts/${hash}${kind ? `.${kind}` : ''}.${ext}`;
}

/** Cache directories this thread has made (a recursive mkdir per file cost ~0.2 s on the kernel). */
const madeDirs = new Set<string>();

/**
 * Facts of files, from the content-hash cache when there. `focus`: 'creations'
 * reads only what listing caches needs; those facts are kept by the project
 * (index/focus-pack.ts), not here.
 */
export function runFacts(files: string[], maxBytes: number, cacheDir?: string, focus?: 'creations', want?: string[], primitives?: Record<string, DeclaredPrimitive>): FactsOut[] {
  const out: FactsOut[] = [];
  const pk = primitivesKey(primitives);
  for (const path of files) {
    const r = readSource(path, maxBytes);
    if (!r.ok) {
      out.push({ path, problem: r.message });
      continue;
    }
    // Focused facts come from the project's pack before a worker is asked (so a warm run sees
    // what the cold run saw); here only full facts are cached (never partial: nothing to read
    // again for more functions), and serve focused requests too.
    const file = cacheDir ? cachePath(cacheDir, contentHash(r.buf, pk)) : undefined;
    if (file) {
      try {
        const facts = JSON.parse(fs.readFileSync(file, 'utf8')) as FileFacts;
        facts.path = path;
        out.push({ path, facts, fromCache: true });
        continue;
      } catch {
        /* not cached yet */
      }
    }
    try {
      noteParses(1);
      const facts = extractFacts(path, r.text, undefined, { focus, want, lockPrimitives: primitives });
      out.push({ path, facts });
      // Focused facts are kept by the project in one file (index/focus-pack.ts), not one per source file.
      if (file && !focus) writeCache(file, () => JSON.stringify(facts));
    } catch (e) {
      out.push({ path, problem: `could not be analysed: ${(e as Error).message}` });
    }
  }
  return out;
}
