/**
 * The pre-scan cache, split so that a warm run with nothing changed reads
 * only small files: per-file metadata (size, mtime, flags), the inverted
 * name indexes (file numbers, not paths), and - only when something changed
 * and the indexes must be rebuilt - the per-file definition lists.
 */
import * as fs from 'fs';
import type { Prescan } from '../scan/prescan';

const VERSION = 6;
type Row = [size: number, mtimeMs: number, flags: number, uses: string[] | 0, skipped: string | 0, exports: string[] | 0];

const F_CREATE = 1;
const F_ALLOC = 2;
const F_LOCK = 4;
const F_PERCPU = 8;

/** The three name indexes as text (see TextIndex), over the same numbered paths. */
export interface IndexTexts {
  paths: string[];
  defs: string;
  structs: string;
  uses: string;
}

/**
 * name -> file numbers, kept as the text it was saved as: one `name\tn` line
 * per (name, file), grouped in hash buckets whose offsets head the text: parsing 800k keys
 * into an object costs more than the whole warm run should, and sorting them
 * for a binary search cost the cold run 1.6 s.
 */
export class TextIndex {
  private offsets: number[] = [0, 0];
  private body = '';
  constructor(text: string) {
    if (!text.length) return;
    const nl = text.indexOf('\n');
    this.offsets = text.slice(0, nl).split(',').map(Number);
    this.body = text.slice(nl + 1);
  }

  /** The text for per-file name lists (file numbers are list positions). */
  static build(lists: readonly (readonly string[] | undefined)[]): string {
    const b = new TextIndexBuilder();
    lists.forEach((l, file) => b.add(file, l));
    return b.text();
  }

  get(name: string): number[] | undefined {
    const h = hash(name) & (this.offsets.length - 2);
    const end = this.offsets[h + 1];
    const key = `${name}\t`;
    let out: number[] | undefined;
    for (let i = this.offsets[h]; i < end; i = this.body.indexOf('\n', i) + 1) {
      if (!this.body.startsWith(key, i)) continue;
      const f = Number(this.body.slice(i + key.length, this.body.indexOf('\n', i)));
      // Lines are in file order within a bucket; a file listing a name twice counts once.
      if (!out) out = [f];
      else if (out[out.length - 1] !== f) out.push(f);
    }
    return out;
  }

  /** Every name with its files. */
  *entries(): Generator<[string, number[]]> {
    const m = new Map<string, number[]>();
    for (let i = 0; i < this.body.length;) {
      const tab = this.body.indexOf('\t', i);
      const end = this.body.indexOf('\n', tab);
      const name = this.body.slice(i, tab);
      const f = Number(this.body.slice(tab + 1, end));
      const a = m.get(name);
      if (!a) m.set(name, [f]);
      else if (a[a.length - 1] !== f) a.push(f);
      i = end + 1;
    }
    yield* m;
  }
}

/**
 * Builds a TextIndex text a file at a time (so the work can follow the
 * pre-scan's chunks as they arrive): one `name\tfile` line per pair, placed at
 * the end by a counting sort on the bucket. No map of 800k keys and no sort
 * (either cost the cold run more than a second).
 */
export class TextIndexBuilder {
  private lines: string[] = [];
  private hashes: number[] = [];

  add(file: number, names: readonly string[] | undefined): void {
    if (!names) return;
    for (const n of names) {
      this.lines.push(`${n}\t${file}\n`);
      this.hashes.push(hash(n));
    }
  }

  text(): string {
    const pairs = this.lines.length;
    let buckets = 1;
    while (buckets * 8 < pairs) buckets *= 2;
    const mask = buckets - 1;
    const count = new Int32Array(buckets + 1);
    for (let k = 0; k < pairs; k++) count[(this.hashes[k] & mask) + 1]++;
    for (let b = 0; b < buckets; b++) count[b + 1] += count[b];
    const sorted: string[] = new Array(pairs);
    const next = count.slice(0, buckets);
    for (let k = 0; k < pairs; k++) sorted[next[this.hashes[k] & mask]++] = this.lines[k];
    // Offsets are in characters of the body; lines are ASCII identifiers.
    const offsets: number[] = [0];
    let at = 0;
    for (let b = 0, i = 0; b < buckets; b++) {
      for (; i < count[b + 1]; i++) at += sorted[i].length;
      offsets.push(at);
    }
    return `${offsets.join(',')}\n${sorted.join('')}`;
  }
}

/** FNV-1a over UTF-16 units: the same at write and at lookup. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function readJson<T>(file: string): T | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as T & { version?: number };
    return v.version === VERSION ? v : undefined;
  } catch {
    return undefined;
  }
}

function writeJson(file: string, v: unknown): void {
  try {
    fs.mkdirSync(file.slice(0, file.lastIndexOf('/')), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(v));
  } catch {
    /* a cache that cannot be written only costs time */
  }
}

export class PrescanCache {
  constructor(private base: string) {}

  /** Metadata of every cached file; defs/structs are empty until `loadDefs`. */
  loadMeta(): Map<string, Prescan> {
    const m = readJson<{ paths: string[]; rows: Row[] }>(`${this.base}.meta.json`);
    const out = new Map<string, Prescan>();
    if (!m) return out;
    m.paths.forEach((p, i) => {
      const [size, mtimeMs, flags, uses, skipped, exports] = m.rows[i];
      out.set(p, {
        size, mtimeMs, hasCreate: !!(flags & F_CREATE), hasCacheAlloc: !!(flags & F_ALLOC), hasLock: !!(flags & F_LOCK), hasPercpu: !!(flags & F_PERCPU),
        cacheUses: uses || [], exports: exports || [], defs: [], structs: [], ...(skipped ? { skipped } : {}),
      });
    });
    return out;
  }

  loadIndexes(): IndexTexts | undefined {
    try {
      const text = fs.readFileSync(`${this.base}.index.txt`, 'latin1');
      const [head, defs, structs, uses] = text.split('\f');
      const h = JSON.parse(head) as { version: number; paths: string[] };
      if (h.version !== VERSION || uses === undefined) return undefined;
      return { paths: h.paths, defs, structs, uses };
    } catch {
      return undefined;
    }
  }

  /**
   * Restore the definition and struct lists of files whose cached entry is in
   * use (something else changed and the indexes are rebuilt): the cached
   * indexes, inverted.
   */
  loadDefs(into: Map<string, Prescan>, fromCache: (p: string) => boolean): void {
    const idx = this.loadIndexes();
    if (!idx) return;
    const target = idx.paths.map((p) => (fromCache(p) ? into.get(p) : undefined));
    for (const [name, files] of new TextIndex(idx.defs).entries()) for (const f of files) target[f]?.defs.push(name);
    for (const [name, files] of new TextIndex(idx.structs).entries()) for (const f of files) target[f]?.structs.push(name);
  }

  save(prescan: Map<string, Prescan>, idx: IndexTexts): void {
    const paths = idx.paths;
    const rows: Row[] = paths.map((p) => {
      const s = prescan.get(p)!;
      const flags = (s.hasCreate ? F_CREATE : 0) | (s.hasCacheAlloc ? F_ALLOC : 0) | (s.hasLock ? F_LOCK : 0) | (s.hasPercpu ? F_PERCPU : 0);
      return [s.size, s.mtimeMs, flags, s.cacheUses?.length ? s.cacheUses : 0, s.skipped ?? 0, s.exports?.length ? s.exports : 0];
    });
    writeJson(`${this.base}.meta.json`, { version: VERSION, paths, rows });
    try {
      // Names are C identifiers (latin1-safe); sections separated by form feeds.
      const text = [JSON.stringify({ version: VERSION, paths }), idx.defs, idx.structs, idx.uses].join('\f');
      fs.writeFileSync(`${this.base}.index.txt`, text, 'latin1');
    } catch {
      /* optional */
    }
  }
}
