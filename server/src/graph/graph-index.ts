/**
 * The whole-tree lock graph as computed, stored for the next question (`graph-index-*.bin`).
 * Computing it reads 16k files and walks every closure; asking about one class should not. One
 * file: one JSON record per class (its first acquisition sites, its out-edges as lists of step
 * numbers, its in-edges), then a JSON header (classes with their leaf answer, acquisition counts
 * and where their record is; the file, note and step tables), then the header's length. Each
 * evidence step is kept once (on the kernel 559k edges have 7.1M steps, mostly the same few paths
 * through kfree()). Records are written as they are made: the writer holds one at a time. A query
 * reads the header and the records it needs; the full listing streams them all.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Span } from '../facts/types';
import type { Step } from '../index/analysis';
import type { StepKey } from './lock-graph';

export const INDEX_VERSION = 2;

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

/** What the writer reads: the view, and each class's out-edges with their steps keyed when it can. */
export interface IndexSource extends GraphView {
  outKeyed(cls: string): { cls: string; keyed?: () => StepKey[]; chain: () => Step[] }[];
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
  /** STEP numbers per step: file, span (4), note. */
  steps: number[];
  classes: HeaderClass[];
}

/** A record: first sites [fn, file, line, op], out-edges [to, step numbers], in-edges (class indexes). */
interface Rec {
  s: [string, number, number, string][];
  o: [number, number[]][];
  i: number[];
}

const STEP = 6;

/** Write the graph to `file` (through a temporary file: a reader never sees half of one). */
export function writeGraphIndex(file: string, stamp: string, root: string, src: IndexSource): void {
  const names = src.classNames();
  const idx = new Map(names.map((n, i) => [n, i]));
  const files: string[] = [];
  const fileIdx = new Map<string, number>();
  const notes: string[] = [];
  const noteIdx = new Map<string, number>();
  const steps: number[] = [];
  const byKey = new Map<number, Map<number, number>>();
  const byText = new Map<string, number>();
  const intern = (m: Map<string, number>, arr: string[], x: string) => {
    let i = m.get(x);
    if (i === undefined) m.set(x, (i = arr.push(x) - 1));
    return i;
  };
  const relFile = (f: string) => intern(fileIdx, files, path.relative(root, f) || f);
  const addStep = (st: Step) => {
    steps.push(relFile(st.file), st.span[0], st.span[1], st.span[2], st.span[3], intern(noteIdx, notes, st.note));
    return steps.length / STEP - 1;
  };
  const stepIds = (e: ReturnType<IndexSource['outKeyed']>[number]): number[] => {
    if (!e.keyed) {
      return e.chain().map((st) => {
        const k = `${st.file}\0${st.span.join(',')}\0${st.note}`;
        let i = byText.get(k);
        if (i === undefined) byText.set(k, (i = addStep(st)));
        return i;
      });
    }
    return e.keyed().map((k) => {
      let m = byKey.get(k.hi);
      if (!m) byKey.set(k.hi, (m = new Map()));
      let i = m.get(k.lo);
      if (i === undefined) m.set(k.lo, (i = addStep(k.make())));
      return i;
    });
  };
  // In-edges first (names only, no chain built), so each record is complete when it is written.
  const ins: number[][] = names.map(() => []);
  names.forEach((n, i) => {
    for (const e of src.outKeyed(n)) {
      const t = idx.get(e.cls);
      if (t !== undefined && t !== i) ins[t].push(i);
    }
  });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    const classes: HeaderClass[] = [];
    let off = 0;
    names.forEach((n, i) => {
      const s = src.sites(n);
      const rec: Rec = { s: s.first.map((x) => [x.fn, relFile(x.file), x.line, x.op]), o: [], i: ins[i] };
      for (const e of src.outKeyed(n)) {
        const t = idx.get(e.cls);
        if (t !== undefined && t !== i) rec.o.push([t, stepIds(e)]);
      }
      const body = Buffer.from(JSON.stringify(rec));
      fs.writeSync(fd, body);
      const u = src.unresolved(n);
      classes.push({ n, l: src.isLeaf(n) ? 1 : 0, ...(u ? { u } : {}), k: s.kinds, c: s.count, t: s.trylocks, off, len: body.length });
      off += body.length;
    });
    const header = Buffer.from(JSON.stringify({ version: INDEX_VERSION, stamp, root, files, notes, steps, classes } satisfies Header));
    fs.writeSync(fd, header);
    const len = Buffer.alloc(8);
    len.writeUInt32LE(header.length, 0);
    len.writeUInt32LE(off, 4);
    fs.writeSync(fd, len);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** A stored graph: the header in memory, records read from the file when asked. */
export class StoredGraph implements GraphView {
  private byName: Map<string, number>;
  private recs = new Map<number, Rec>();

  private constructor(private fd: number | undefined, private h: Header) {
    this.byName = new Map(h.classes.map((c, i) => [c.n, i]));
  }

  /**
   * The stored graph at `file` if it was computed for `stamp`, else undefined. The file stays
   * open until close(): a graph stored again later replaces the file by a rename, and the records
   * read after that still come from the file this header belongs to.
   */
  static open(file: string, stamp: string): StoredGraph | undefined {
    let fd: number | undefined;
    try {
      fd = fs.openSync(file, 'r');
      const size = fs.fstatSync(fd).size;
      const tail = Buffer.alloc(8);
      if (size < 8 || fs.readSync(fd, tail, 0, 8, size - 8) !== 8) return undefined;
      const n = tail.readUInt32LE(0);
      const bodies = tail.readUInt32LE(4);
      if (bodies + n + 8 !== size) return undefined;
      const buf = Buffer.alloc(n);
      if (fs.readSync(fd, buf, 0, n, bodies) !== n) return undefined;
      const h = JSON.parse(buf.toString('utf8')) as Header;
      if (h.version !== INDEX_VERSION || h.stamp !== stamp) return undefined;
      const g = new StoredGraph(fd, h);
      fd = undefined;
      return g;
    } catch {
      return undefined;
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }

  /** The file's stamp: what open() checked it against. */
  get stamp(): string {
    return this.h.stamp;
  }

  close(): void {
    if (this.fd === undefined) return;
    fs.closeSync(this.fd);
    this.fd = undefined;
    this.recs.clear();
  }

  private rec(i: number): Rec {
    let r = this.recs.get(i);
    if (r) return r;
    if (this.fd === undefined) throw new Error('the stored lock graph was closed');
    const c = this.h.classes[i];
    const buf = Buffer.alloc(c.len);
    fs.readSync(this.fd, buf, 0, c.len, c.off);
    r = JSON.parse(buf.toString('utf8')) as Rec;
    // A query reads a few records; a listing reads each once in order and keeps none.
    if (this.recs.size < 256) this.recs.set(i, r);
    return r;
  }

  private abs(f: number): string {
    return path.resolve(this.h.root, this.h.files[f]);
  }

  private chain(ids: number[]): Step[] {
    const st = this.h.steps;
    return ids.map((i) => {
      const k = i * STEP;
      return { file: this.abs(st[k]), span: [st[k + 1], st[k + 2], st[k + 3], st[k + 4]] as Span, note: this.h.notes[st[k + 5]] };
    });
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
        yield { from, to: this.h.classes[t].n, chain: () => this.chain(flat), last: () => this.chain(flat.slice(-1))[0] };
      }
    }
  }
}
