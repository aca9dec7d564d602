/**
 * name -> file numbers for the pre-scan's 800k (name, file) pairs on a kernel
 * tree, without 800k strings or map entries on the main thread: the names stay
 * inside the strings the workers sent (one per chunk), and the pairs are rows of
 * typed arrays chained by hash. A Map of the names, or a bucket-sorted text of
 * `name\tfile` lines, cost the cold run 0.6-1.5 s of main-thread time and GC.
 */

/** FNV-1a over UTF-16 units (names are identifiers): the worker and the lookup agree. */
export function nameHash(s: string, start = 0, end = s.length): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The kinds of name the pre-scan indexes. */
export const NAME_KIND = { defs: 0, structs: 1, uses: 2 } as const;

/** Names of a batch of files, packed: `names` holds them back to back, `pairs` a row per (name, file). */
export interface PackedNames {
  names: string;
  /** Rows of PAIR_FIELDS: which table, file number in the batch, start, length, hash. */
  pairs: Int32Array;
}
export const PAIR_FIELDS = 5;

/**
 * Packs names straight from the bytes they were found in (a worker's pre-scan):
 * no string per name, the hash computed while copying. Same hash as nameHash.
 */
export class NamePacker {
  private bytes = Buffer.allocUnsafe(1 << 16);
  private at = 0;
  private pairs = new Int32Array(PAIR_FIELDS * 4096);
  private n = 0;
  /** File number (in the batch) of the names added next. */
  file = 0;

  name(kind: number, buf: Buffer, s: number, e: number): void {
    const out = this.room(e - s);
    let h = 0x811c9dc5;
    let o = this.at;
    for (let i = s; i < e; i++) {
      const c = buf[i];
      out[o++] = c;
      h = Math.imul(h ^ c, 0x01000193);
    }
    this.row(kind, e - s, h >>> 0);
  }

  /** A name whose hash the WebAssembly pre-scan computed: a native copy, no JS step per byte. */
  hashed(kind: number, buf: Buffer, s: number, e: number, hash: number): void {
    const out = this.room(e - s);
    buf.copy(out, this.at, s, e);
    this.row(kind, e - s, hash);
  }

  /** A name already made a string (identifiers: latin1). */
  string(kind: number, name: string): void {
    const out = this.room(name.length);
    let o = this.at;
    for (let i = 0; i < name.length; i++) out[o++] = name.charCodeAt(i);
    this.row(kind, name.length, nameHash(name));
  }

  private room(len: number): Buffer {
    if (this.at + len > this.bytes.length) {
      const b = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.at + len));
      this.bytes.copy(b, 0, 0, this.at);
      this.bytes = b;
    }
    return this.bytes;
  }

  private row(kind: number, len: number, hash: number): void {
    if ((this.n + 1) * PAIR_FIELDS > this.pairs.length) {
      const p = new Int32Array(this.pairs.length * 2);
      p.set(this.pairs);
      this.pairs = p;
    }
    const r = this.n++ * PAIR_FIELDS;
    this.pairs[r] = kind;
    this.pairs[r + 1] = this.file;
    this.pairs[r + 2] = this.at;
    this.pairs[r + 3] = len;
    this.pairs[r + 4] = hash;
    this.at += len;
  }

  finish(): PackedNames {
    return { names: this.bytes.toString('latin1', 0, this.at), pairs: this.pairs.slice(0, this.n * PAIR_FIELDS) };
  }
}

const SEG = 0;
const START = 1;
const LEN = 2;
const FILE = 3;
const HASH = 4;
const KIND = 5;
const ROW = 6;

/**
 * The pairs of every kind (definitions, structs, cache uses: `kind` tells
 * them apart) share one table, so the names a worker sent are kept once.
 */
export class NameTable {
  private segs: string[] = [];
  private rows = new Int32Array(ROW * 1024);
  private next = new Int32Array(1024);
  private head = new Int32Array(1 << 12).fill(-1);
  private mask = (1 << 12) - 1;
  size = 0;

  /** A string later pairs point into; returns its number. */
  addSegment(s: string): number {
    return this.segs.push(s) - 1;
  }

  add(seg: number, start: number, len: number, file: number, hash: number, kind: number): void {
    if (this.size === this.next.length) this.grow();
    const k = this.size++;
    const r = k * ROW;
    this.rows[r + SEG] = seg;
    this.rows[r + START] = start;
    this.rows[r + LEN] = len;
    this.rows[r + FILE] = file;
    this.rows[r + HASH] = hash;
    this.rows[r + KIND] = kind;
    this.link(k);
    // Chains stay short: at most two pairs per bucket on average.
    if (this.size > 2 * (this.mask + 1)) this.rehash((this.mask + 1) * 4);
  }

  /** A worker's packed batch; `files` maps its file numbers to this table's. */
  addPacked(p: PackedNames, files: ArrayLike<number>): void {
    const seg = this.addSegment(p.names);
    const q = p.pairs;
    for (let i = 0; i < q.length; i += PAIR_FIELDS) this.add(seg, q[i + 2], q[i + 3], files[q[i + 1]], q[i + 4], q[i]);
  }

  private link(k: number): void {
    const b = this.rows[k * ROW + HASH] & this.mask;
    this.next[k] = this.head[b];
    this.head[b] = k;
  }

  private grow(): void {
    const rows = new Int32Array(this.rows.length * 2);
    rows.set(this.rows);
    this.rows = rows;
    const next = new Int32Array(this.next.length * 2);
    next.set(this.next);
    this.next = next;
  }

  private rehash(buckets: number): void {
    this.head = new Int32Array(buckets).fill(-1);
    this.mask = buckets - 1;
    for (let k = 0; k < this.size; k++) this.link(k);
  }

  /** File numbers with `name` of this kind, ascending, each once. */
  get(name: string, kind: number): number[] | undefined {
    const h = nameHash(name) | 0;
    let out: number[] | undefined;
    for (let k = this.head[h & this.mask]; k >= 0; k = this.next[k]) {
      const r = k * ROW;
      if (this.rows[r + HASH] !== h || this.rows[r + LEN] !== name.length || this.rows[r + KIND] !== kind) continue;
      if (!this.segs[this.rows[r + SEG]].startsWith(name, this.rows[r + START])) continue;
      (out ??= []).push(this.rows[r + FILE]);
    }
    if (!out) return undefined;
    if (out.length > 1) out = [...new Set(out.sort((a, b) => a - b))];
    return out;
  }

  /** Every (file, name) pair of a kind, in the order added. */
  forEach(kind: number, f: (file: number, name: string) => void): void {
    for (let k = 0; k < this.size; k++) {
      const r = k * ROW;
      if (this.rows[r + KIND] !== kind) continue;
      const s = this.rows[r + START];
      f(this.rows[r + FILE], this.segs[this.rows[r + SEG]].slice(s, s + this.rows[r + LEN]));
    }
  }

  /** Every name of a kind with its files. */
  entries(kind: number): Map<string, number[]> {
    const m = new Map<string, number[]>();
    this.forEach(kind, (file, name) => {
      const a = m.get(name);
      if (!a) m.set(name, [file]);
      else if (!a.includes(file)) a.push(file);
    });
    for (const a of m.values()) a.sort((x, y) => x - y);
    return m;
  }

  /** The form kept in the cache (v8-serialisable): the segments and the rows, as they are. */
  toPlain(): { segs: string[]; rows: Int32Array } {
    return { segs: this.segs, rows: this.rows.subarray(0, this.size * ROW) };
  }

  static fromPlain(p: { segs: string[]; rows: Int32Array }): NameTable {
    const t = new NameTable();
    t.segs = p.segs;
    t.size = p.rows.length / ROW;
    t.rows = new Int32Array(Math.max(1024, t.size) * ROW);
    t.rows.set(p.rows);
    t.next = new Int32Array(Math.max(1024, t.size));
    let buckets = 1 << 12;
    while (buckets * 2 < t.size) buckets *= 2;
    t.rehash(buckets);
    return t;
  }
}
