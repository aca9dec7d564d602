/**
 * The whole-tree lock graph as computed, stored for the next question (`graph-index-*.bin`).
 * Computing it reads 16k files and walks every closure; asking about one class should not. One
 * file: a length-prefixed JSON header (classes with their leaf answer, acquisition counts and
 * where their record is; the file and note tables) and one JSON record per class (its first
 * acquisition sites, its out-edges with their evidence chain, its in-edges). A query reads the
 * header and the records it needs; the full listing streams them all.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Span } from '../facts/types';
import type { Step } from '../index/analysis';

export const INDEX_VERSION = 1;

export interface Site {
  fn: string;
  file: string;
  line: number;
  op: string;
}

/** What a lock query and the listings read: the live graph and the stored one answer alike. */
export interface GraphView {
  classNames(): string[];
  has(cls: string): boolean;
  isLeaf(cls: string): boolean;
  /** Why the class is named by an expression or an unbound parameter (undefined: it is named). */
  unresolved(cls: string): string | undefined;
  sites(cls: string): { count: number; trylocks: number; kinds: string[]; first: Site[] };
  /** Edges from the class, each with one evidence chain. */
  nests(cls: string): { cls: string; evidence: Step[] }[];
  /** Classes it is taken under, at most `limit`, each with one chain. */
  under(cls: string, limit: number): { cls: string; evidence: Step[] }[];
  /** Every edge; `last` alone is cheaper where the whole chain is not printed. */
  edges(): Iterable<{ from: string; to: string; chain: () => Step[]; last: () => Step }>;
}

interface HeaderClass {
  n: string;
  l: 0 | 1;
  u?: string;
  k: string[];
  c: number;
  t: number;
  off: number;
  len: number;
}

interface Header {
  version: number;
  stamp: string;
  root: string;
  files: string[];
  notes: string[];
  classes: HeaderClass[];
}

/** A record: first sites [fn, file, line, op], out-edges [to, flat chain], in-edges (class indexes). */
interface Rec {
  s: [string, number, number, string][];
  o: [number, number[]][];
  i: number[];
}

const STEP = 6;

/** Write the view to `file` (through a temporary file: a reader never sees half of one). */
export function writeGraphIndex(file: string, stamp: string, root: string, view: GraphView): void {
  const names = view.classNames();
  const idx = new Map(names.map((n, i) => [n, i]));
  const files: string[] = [];
  const fileIdx = new Map<string, number>();
  const notes: string[] = [];
  const noteIdx = new Map<string, number>();
  const intern = (m: Map<string, number>, arr: string[], s: string) => {
    let i = m.get(s);
    if (i === undefined) m.set(s, (i = arr.push(s) - 1));
    return i;
  };
  const relFile = (f: string) => intern(fileIdx, files, path.relative(root, f) || f);
  const flat = (chain: Step[]) => {
    const out: number[] = [];
    for (const st of chain) out.push(relFile(st.file), st.span[0], st.span[1], st.span[2], st.span[3], intern(noteIdx, notes, st.note));
    return out;
  };
  const ins: number[][] = names.map(() => []);
  const recs: Rec[] = names.map(() => ({ s: [], o: [], i: [] }));
  for (const e of view.edges()) {
    const f = idx.get(e.from);
    const t = idx.get(e.to);
    if (f === undefined || t === undefined) continue;
    recs[f].o.push([t, flat(e.chain())]);
    ins[t].push(f);
  }
  const classes: HeaderClass[] = [];
  const bodies: Buffer[] = [];
  let off = 0;
  names.forEach((n, i) => {
    const s = view.sites(n);
    recs[i].s = s.first.map((x) => [x.fn, relFile(x.file), x.line, x.op]);
    recs[i].i = ins[i];
    const body = Buffer.from(JSON.stringify(recs[i]));
    bodies.push(body);
    const u = view.unresolved(n);
    classes.push({ n, l: view.isLeaf(n) ? 1 : 0, ...(u ? { u } : {}), k: s.kinds, c: s.count, t: s.trylocks, off, len: body.length });
    off += body.length;
  });
  const header = Buffer.from(JSON.stringify({ version: INDEX_VERSION, stamp, root, files, notes, classes } satisfies Header));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, len);
    fs.writeSync(fd, header);
    for (const b of bodies) fs.writeSync(fd, b);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** A stored graph: the header in memory, records read from the file when asked. */
export class StoredGraph implements GraphView {
  private byName: Map<string, number>;
  private recs = new Map<number, Rec>();

  private constructor(private file: string, private h: Header, private base: number) {
    this.byName = new Map(h.classes.map((c, i) => [c.n, i]));
  }

  /** The stored graph at `file` if it was computed for `stamp`, else undefined. */
  static open(file: string, stamp: string): StoredGraph | undefined {
    let fd: number | undefined;
    try {
      fd = fs.openSync(file, 'r');
      const len = Buffer.alloc(4);
      if (fs.readSync(fd, len, 0, 4, 0) !== 4) return undefined;
      const n = len.readUInt32LE();
      const buf = Buffer.alloc(n);
      if (fs.readSync(fd, buf, 0, n, 4) !== n) return undefined;
      const h = JSON.parse(buf.toString('utf8')) as Header;
      if (h.version !== INDEX_VERSION || h.stamp !== stamp) return undefined;
      return new StoredGraph(file, h, 4 + n);
    } catch {
      return undefined;
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }

  private rec(i: number): Rec {
    let r = this.recs.get(i);
    if (r) return r;
    const c = this.h.classes[i];
    const buf = Buffer.alloc(c.len);
    const fd = fs.openSync(this.file, 'r');
    try {
      fs.readSync(fd, buf, 0, c.len, this.base + c.off);
    } finally {
      fs.closeSync(fd);
    }
    r = JSON.parse(buf.toString('utf8')) as Rec;
    // A query reads a few records; a listing reads each once in order and keeps none.
    if (this.recs.size < 256) this.recs.set(i, r);
    return r;
  }

  private abs(f: number): string {
    return path.resolve(this.h.root, this.h.files[f]);
  }

  private chain(flat: number[], upTo = flat.length): Step[] {
    const out: Step[] = [];
    for (let k = 0; k + STEP <= upTo; k += STEP) {
      out.push({ file: this.abs(flat[k]), span: [flat[k + 1], flat[k + 2], flat[k + 3], flat[k + 4]] as Span, note: this.h.notes[flat[k + 5]] });
    }
    return out;
  }

  classNames(): string[] {
    return this.h.classes.map((c) => c.n);
  }

  has(cls: string): boolean {
    return this.byName.has(cls);
  }

  isLeaf(cls: string): boolean {
    const i = this.byName.get(cls);
    return i !== undefined && this.h.classes[i].l === 1;
  }

  unresolved(cls: string): string | undefined {
    const i = this.byName.get(cls);
    return i === undefined ? undefined : this.h.classes[i].u;
  }

  sites(cls: string): { count: number; trylocks: number; kinds: string[]; first: Site[] } {
    const i = this.byName.get(cls);
    if (i === undefined) return { count: 0, trylocks: 0, kinds: [], first: [] };
    const c = this.h.classes[i];
    return { count: c.c, trylocks: c.t, kinds: c.k, first: this.rec(i).s.map(([fn, f, line, op]) => ({ fn, file: this.abs(f), line, op })) };
  }

  nests(cls: string): { cls: string; evidence: Step[] }[] {
    const i = this.byName.get(cls);
    if (i === undefined) return [];
    return this.rec(i).o.map(([t, flat]) => ({ cls: this.h.classes[t].n, evidence: this.chain(flat) }));
  }

  under(cls: string, limit: number): { cls: string; evidence: Step[] }[] {
    const i = this.byName.get(cls);
    if (i === undefined) return [];
    const out: { cls: string; evidence: Step[] }[] = [];
    for (const f of this.rec(i).i) {
      if (out.length >= limit) break;
      const e = this.rec(f).o.find(([t]) => t === i);
      if (e) out.push({ cls: this.h.classes[f].n, evidence: this.chain(e[1]) });
    }
    return out;
  }

  *edges(): Iterable<{ from: string; to: string; chain: () => Step[]; last: () => Step }> {
    for (let i = 0; i < this.h.classes.length; i++) {
      const from = this.h.classes[i].n;
      for (const [t, flat] of this.rec(i).o) {
        yield { from, to: this.h.classes[t].n, chain: () => this.chain(flat), last: () => this.chain(flat.slice(flat.length - STEP))[0] };
      }
    }
  }
}
