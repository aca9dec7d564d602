/**
 * The pre-scan cache, split so that a warm run with nothing changed reads
 * only small files: per-file metadata (size, mtime, flags), the inverted
 * name indexes (file numbers, not paths), and - only when something changed
 * and the indexes must be rebuilt - the per-file definition lists.
 */
import * as fs from 'fs';
import type { Prescan } from '../scan/prescan';

const VERSION = 5;
type Row = [size: number, mtimeMs: number, flags: number, uses: string[] | 0, skipped: string | 0, exports: string[] | 0];

const F_CREATE = 1;
const F_ALLOC = 2;
const F_LOCK = 4;
const F_PERCPU = 8;

export interface CachedIndexes {
  paths: string[];
  defs: SortedTextIndex;
  structs: SortedTextIndex;
  uses: SortedTextIndex;
}

/**
 * name -> file numbers, kept as the sorted text `name\tn,n,n` lines it was
 * saved as and binary-searched: parsing 800k keys into an object costs more
 * than the whole warm run should.
 */
export class SortedTextIndex {
  private starts: number[] = [];
  constructor(private text: string) {
    if (!text.length) return;
    let i = 0;
    while (i < text.length) {
      this.starts.push(i);
      const n = text.indexOf('\n', i);
      if (n < 0) break;
      i = n + 1;
    }
  }

  static write(m: Map<string, string[]>, num: Map<string, number>): string {
    const keys = [...m.keys()].filter((k) => !/[\t\n]/.test(k)).sort(cmp);
    return keys.map((k) => `${k}\t${m.get(k)!.map((p) => num.get(p)!).join(',')}`).join('\n');
  }

  get(name: string): number[] | undefined {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.starts[mid];
      const tab = this.text.indexOf('\t', s);
      const key = this.text.slice(s, tab);
      const c = cmp(key, name);
      if (c === 0) {
        const end = this.text.indexOf('\n', tab);
        return this.text.slice(tab + 1, end < 0 ? undefined : end).split(',').map(Number);
      }
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  *entries(): Generator<[string, number[]]> {
    for (const s of this.starts) {
      const tab = this.text.indexOf('\t', s);
      const end = this.text.indexOf('\n', tab);
      yield [this.text.slice(s, tab), this.text.slice(tab + 1, end < 0 ? undefined : end).split(',').map(Number)];
    }
  }
}

/** Code-unit order, the same at write and at search. */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
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

  loadIndexes(): CachedIndexes | undefined {
    try {
      const text = fs.readFileSync(`${this.base}.index.txt`, 'latin1');
      const [head, defs, structs, uses] = text.split('\f');
      const h = JSON.parse(head) as { version: number; paths: string[] };
      if (h.version !== VERSION || uses === undefined) return undefined;
      return { paths: h.paths, defs: new SortedTextIndex(defs), structs: new SortedTextIndex(structs), uses: new SortedTextIndex(uses) };
    } catch {
      return undefined;
    }
  }

  /** Restore defs/structs of unchanged files (needed to rebuild the indexes). */
  loadDefs(into: Map<string, Prescan>): void {
    const d = readJson<{ paths: string[]; defs: string[][]; structs: string[][] }>(`${this.base}.defs.json`);
    if (!d) return;
    d.paths.forEach((p, i) => {
      const e = into.get(p);
      if (e) {
        e.defs = d.defs[i];
        e.structs = d.structs[i];
      }
    });
  }

  save(prescan: Map<string, Prescan>, idx: { defs: Map<string, string[]>; structs: Map<string, string[]>; uses: Map<string, string[]> }): void {
    const paths = [...prescan.keys()];
    const num = new Map(paths.map((p, i) => [p, i]));
    const rows: Row[] = paths.map((p) => {
      const s = prescan.get(p)!;
      const flags = (s.hasCreate ? F_CREATE : 0) | (s.hasCacheAlloc ? F_ALLOC : 0) | (s.hasLock ? F_LOCK : 0) | (s.hasPercpu ? F_PERCPU : 0);
      return [s.size, s.mtimeMs, flags, s.cacheUses?.length ? s.cacheUses : 0, s.skipped ?? 0, s.exports?.length ? s.exports : 0];
    });
    writeJson(`${this.base}.meta.json`, { version: VERSION, paths, rows });
    writeJson(`${this.base}.defs.json`, { version: VERSION, paths, defs: paths.map((p) => prescan.get(p)!.defs), structs: paths.map((p) => prescan.get(p)!.structs) });
    try {
      // Names are C identifiers (latin1-safe); sections separated by form feeds.
      const text = [JSON.stringify({ version: VERSION, paths }), SortedTextIndex.write(idx.defs, num), SortedTextIndex.write(idx.structs, num), SortedTextIndex.write(idx.uses, num)].join('\f');
      fs.writeFileSync(`${this.base}.index.txt`, text, 'latin1');
    } catch {
      /* optional */
    }
  }
}
