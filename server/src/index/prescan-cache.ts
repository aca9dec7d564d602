/**
 * The pre-scan cache, split so that a warm run with nothing changed reads
 * only small files: per-file metadata (size, mtime, flags), the inverted
 * name indexes (file numbers, not paths), and - only when something changed
 * and the indexes must be rebuilt - the per-file definition lists.
 */
import * as fs from 'fs';
import * as v8 from 'v8';
import type { Prescan } from '../scan/prescan';
import { NAME_KIND, NameTable } from './name-table';

const VERSION = 9;
type Row = [size: number, mtimeMs: number, flags: number, uses: string[] | 0, skipped: string | 0, exports: string[] | 0];

const F_CREATE = 1;
const F_ALLOC = 2;
const F_LOCK = 4;
const F_PERCPU = 8;
const F_ENTRY = 32;
const F_ATOMIC = 64;
/** hasLock was looked for. */
const F_LOCK_KNOWN = 16;

/** The pre-scan's name table over numbered paths (kinds: NAME_KIND). */
export interface PrescanIndex {
  paths: string[];
  table: NameTable;
}

function readJson<T>(file: string): T | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as T & { version?: number };
    return v.version === VERSION ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Written by the thread pool (30 MB on a kernel tree): the analysis goes on meanwhile. */
export async function writeCacheFile(file: string, data: string | Uint8Array): Promise<void> {
  try {
    await fs.promises.mkdir(file.slice(0, file.lastIndexOf('/')), { recursive: true });
    await fs.promises.writeFile(file, data);
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
        size, mtimeMs, hasCreate: !!(flags & F_CREATE), hasCacheAlloc: !!(flags & F_ALLOC), hasLock: flags & F_LOCK_KNOWN ? !!(flags & F_LOCK) : undefined, hasPercpu: !!(flags & F_PERCPU), hasEntry: !!(flags & F_ENTRY), hasAtomic: !!(flags & F_ATOMIC),
        cacheUses: uses || [], exports: exports || [], defs: [], structs: [], ...(skipped ? { skipped } : {}),
      });
    });
    return out;
  }

  loadIndex(): PrescanIndex | undefined {
    try {
      const v = v8.deserialize(fs.readFileSync(`${this.base}.index.bin`)) as { version: number; paths: string[]; table: Parameters<typeof NameTable.fromPlain>[0] };
      if (v.version !== VERSION) return undefined;
      return { paths: v.paths, table: NameTable.fromPlain(v.table) };
    } catch {
      return undefined;
    }
  }

  /**
   * Restore the definition and struct lists of files whose cached entry is in
   * use (something else changed and the index is rebuilt): the cached index, inverted.
   */
  loadDefs(into: Map<string, Prescan>, fromCache: (p: string) => boolean): void {
    const idx = this.loadIndex();
    if (!idx) return;
    const target = idx.paths.map((p) => (fromCache(p) ? into.get(p) : undefined));
    idx.table.forEach(NAME_KIND.defs, (f, name) => target[f]?.defs.push(name));
    idx.table.forEach(NAME_KIND.structs, (f, name) => target[f]?.structs.push(name));
  }

  save(prescan: Map<string, Prescan>, idx: PrescanIndex): Promise<void> {
    const paths = idx.paths;
    const rows: Row[] = paths.map((p) => {
      const s = prescan.get(p)!;
      const flags = (s.hasCreate ? F_CREATE : 0) | (s.hasCacheAlloc ? F_ALLOC : 0) | (s.hasLock ? F_LOCK : 0) | (s.hasLock !== undefined ? F_LOCK_KNOWN : 0) | (s.hasPercpu ? F_PERCPU : 0) | (s.hasEntry ? F_ENTRY : 0) | (s.hasAtomic ? F_ATOMIC : 0);
      return [s.size, s.mtimeMs, flags, s.cacheUses?.length ? s.cacheUses : 0, s.skipped ?? 0, s.exports?.length ? s.exports : 0];
    });
    return Promise.all([
      writeCacheFile(`${this.base}.meta.json`, JSON.stringify({ version: VERSION, paths, rows })),
      writeCacheFile(`${this.base}.index.bin`, v8.serialize({ version: VERSION, paths, table: idx.table.toPlain() })),
    ]).then(() => undefined);
  }
}
