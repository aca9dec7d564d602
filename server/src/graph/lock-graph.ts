/**
 * The whole-workspace lock graph over compact facts (graph-facts.ts).
 *
 * Each function's closure, the lock classes it or anything it calls may take
 * (trylocks excluded: they never wait), is a sorted Int32Array of class ids,
 * shared when a function adds nothing to its only callee. An edge A -> B keeps
 * where it was seen (function, event, held lock); its evidence chain is
 * rebuilt on demand by walking down callees whose closure holds B. Summaries
 * with a materialised chain per (function, class) took 14 GB on the kernel
 * once `__foo` functions resolved; this takes a few hundred MB.
 *
 * Same semantics as Analysis.edgesOf: class names come from Analysis-style
 * naming (struct.field through embedded structs, globals by symbol, file
 * statics per file), knowledge-base functions contribute their internal locks
 * (an atomic allocation does not take a mutex), sleeping allocations reach the
 * fs_reclaim pseudo-lock, opaque infrastructure is not descended into.
 */
import type { KernelFunctionFact } from '../kb/kernel-functions';
import { OPAQUE_PREFIXES } from '../kb/kernel-functions';
import { LOCK_OPS } from '../kb/locks';
import { bindLockRef, structName } from '../facts/lock-ref';
import type { LockRef, Span } from '../facts/types';
import { Edge, FS_RECLAIM, MAX_CHAIN, Step } from '../index/analysis';
import { lockClassName } from '../index/lock-class';
import {
  E_GFP_ATOMIC, E_GFP_SLEEP, E_IRQ_OFF, E_TRYLOCK, EV_ALLOC, EV_CALL, EV_FIELDS, EV_FREE, EV_LOCK, F_STATIC, FN_FIELDS, GraphFile,
} from './graph-facts';

const EMPTY = new Int32Array(0);

export interface GraphHost {
  /** Files that may define `name`, best first (Analysis.candidateFiles). */
  candidateFiles(name: string, fromFile: string): string[];
  kbFunctions: Record<string, KernelFunctionFact>;
  /** Whether a call or free of `name` is followed into its body (Analysis.readsBody). */
  readsBody(name: string, kind: 'call' | 'free' | 'alloc'): boolean;
}

/** The event kinds whose target's body may be read. */
function bodyKind(kind: number): 'call' | 'free' | 'alloc' | undefined {
  return kind === EV_CALL ? 'call' : kind === EV_FREE ? 'free' : kind === EV_ALLOC ? 'alloc' : undefined;
}

/**
 * A step of evidence: the event and what kind of note it gets, written only when
 * shown (noteOf). Plain numbers, no closure: the text listing walks 200k chains.
 */
/** One evidence step, named by two numbers (the same step in many chains has the same key), built when asked. */
export interface StepKey {
  hi: number;
  lo: number;
  make: () => Step;
}

interface StepAt {
  fn: number;
  e: number;
  k: StepKind;
  /** The held lock's reference (HOLDS), or the class the chain reaches (the others). */
  x: number;
}

const enum StepKind {
  HOLDS,
  TAKES,
  KB_TAKES,
  ALLOC_RECLAIM,
  CALLS,
}

interface EdgeAt {
  fn: number;
  ev: number;
  /** The held lock's reference in `fn`; -1 when the edge was made inside the callee (`inner`). */
  held: number;
  /** An edge made in the function called at `ev`, about a lock the call passes it, and its target there. */
  inner?: EdgeAt;
  innerTo?: number;
}

/**
 * A lock reached through a parameter (`void f(spinlock_t *l) { spin_lock(l); }`): a
 * placeholder class, bound at each call to the class of the caller's argument, as lockdep
 * keys the instance. `fallback` is its name where no caller binds it (`file.c:f:l`).
 */
interface ParamLock {
  fn: number;
  ref: LockRef;
  fallback: number;
}

/** How deep the shortest-evidence search follows calls (a bound on the JS stack, far past MAX_CHAIN). */
const MAX_NEAR_DEPTH = 256;

export class LockGraph {
  private files: GraphFile[] = [];
  private fileIdx = new Map<string, number>();
  /** Per file: function name -> global function ids (a name may be defined twice under #ifdef). */
  private local: Map<string, number[]>[] = [];
  /** Per file: event index -> offset of its first lock-argument triple in `largs`. */
  private largsAt: Map<number, number>[] = [];
  private fnFile: number[] = [];
  private fnLocal: number[] = [];
  private structs = new Map<string, Record<string, string>>();
  private classIds = new Map<string, number>();
  private classNames: string[] = [];
  private refClass = new Map<number, number>();
  private resolved = new Map<string, Map<number, number>>();
  private closures: (Int32Array | undefined)[] = [];
  /** The placeholders among a closure's classes (usually none). */
  private closurePh: (Int32Array | undefined)[] = [];
  private params = new Map<number, ParamLock>();
  private isPh: boolean[] = [];
  private bound = new Map<string, number>();
  private pending: ({ from: number; to: number; at: EdgeAt }[] | undefined)[] = [];
  private inProgress = new Set<number>();
  private fsReclaim: number;

  constructor(private host: GraphHost) {
    this.fsReclaim = this.classId(FS_RECLAIM);
  }

  /** The loaded files, as added (graph-load.ts packs them for the next run; structs are kept in `structs`). */
  graphFiles(): GraphFile[] {
    const byName = new Map<string, { name: string; fields: Record<string, string> }>();
    for (const [name, fields] of this.structs) byName.set(name, { name, fields });
    // The first file carries every struct definition (add() keeps the first of each name).
    return this.files.map((g, i) => (i === 0 ? { ...g, structs: [...byName.values()] } : g));
  }

  has(p: string): boolean {
    return this.fileIdx.has(p);
  }

  get size(): number {
    return this.files.length;
  }

  add(g: GraphFile): void {
    if (this.fileIdx.has(g.path)) return;
    const fi = this.files.push(g) - 1;
    this.fileIdx.set(g.path, fi);
    const m = new Map<string, number[]>();
    for (let i = 0; i * FN_FIELDS < g.fns.length; i++) {
      const id = this.fnFile.push(fi) - 1;
      this.fnLocal.push(i);
      const n = g.names[g.fns[i * FN_FIELDS]];
      const a = m.get(n);
      if (a) a.push(id);
      else m.set(n, [id]);
    }
    this.local.push(m);
    const at = new Map<number, number>();
    for (let k = (g.largs ?? EMPTY).length - 3; k >= 0; k -= 3) at.set(g.largs[k], k);
    this.largsAt.push(at);
    for (const s of g.structs) if (!this.structs.has(s.name)) this.structs.set(s.name, s.fields);
    // Only the first definition of each struct names classes: the file's own list is not kept (a tenth of the heap on the kernel).
    g.structs = [];
    // New definitions can change what a name resolves to: answers are dropped before the next question.
    this.stale = true;
  }

  private stale = false;

  private fresh(): void {
    if (!this.stale) return;
    this.stale = false;
    this.resolved.clear();
    this.closures = [];
    this.closurePh = [];
    this.provisional.clear();
    this.pending = [];
    this.bound.clear();
    this.boundFns = undefined;
    this.mayBindMemo = [];
    this.refClass.clear();
    this.nearMemo.clear();
    this.fallbackNames = undefined;
  }

  // ---- functions ----

  private f(fn: number): { g: GraphFile; o: number } {
    return { g: this.files[this.fnFile[fn]], o: this.fnLocal[fn] * FN_FIELDS };
  }

  fnName(fn: number): string {
    const { g, o } = this.f(fn);
    return g.names[g.fns[o]];
  }

  fnPath(fn: number): string {
    return this.files[this.fnFile[fn]].path;
  }

  /** All function ids of a file. */
  functionsOf(p: string): number[] {
    const fi = this.fileIdx.get(p);
    if (fi === undefined) return [];
    return [...this.local[fi].values()].flat().sort((a, b) => a - b);
  }

  /** Callee names of a function's calls (with a lock held only, when asked). */
  callees(fn: number, heldOnly: boolean): string[] {
    const { g, o } = this.f(fn);
    const out: string[] = [];
    for (let e = g.fns[o + 3], end = e + g.fns[o + 4]; e < end; e++) {
      const b = e * EV_FIELDS;
      const k = g.events[b];
      if ((k !== EV_CALL && k !== EV_FREE) || (heldOnly && g.events[b + 2] === 0)) continue;
      const name = g.names[g.events[b + 1]];
      if (k === EV_FREE && !this.host.readsBody(name, 'free')) continue;
      out.push(name);
    }
    return out;
  }

  /** Struct types used by multi-field lock references (their definitions name the classes). */
  structTypesNeeded(): string[] {
    const types = new Set<string>();
    for (const g of this.files) {
      for (const l of g.locks) if (l.fields.length > 1 && l.baseType) types.add(l.baseType);
      // A lock passed to a helper is named through the same struct path.
      for (let k = 2; k < g.largs.length; k += 3) {
        const j = g.names[g.largs[k]];
        // Read without parsing (millions on the kernel): two fields or more, and a base type.
        const t = /"fields":\["[^"]*","/.test(j) ? /"baseType":"(\w+)"/.exec(j) : null;
        if (t) types.add(t[1]);
      }
    }
    for (const t of [...types]) {
      const fields = this.structs.get(t);
      if (fields) for (const ft of Object.values(fields)) {
        const s = structName(ft);
        if (s) types.add(s);
      }
    }
    return [...types].filter((t) => !this.structs.has(t));
  }

  /** Accessors that lock paths go through (`unix_sk(s)->lock`) and that no loaded file defines: name -> a file that uses one. */
  accessorsNeeded(): Map<string, string> {
    const out = new Map<string, string>();
    this.files.forEach((g, fi) => {
      for (const l of g.locks) {
        if (!l.baseType?.endsWith('()') || !l.fields.length) continue;
        const name = l.baseType.slice(0, -2);
        if (!out.has(name) && this.resolve(name, fi) < 0) out.set(name, g.path);
      }
    });
    return out;
  }

  /** What a call to `name` from function `fn` resolves to (-1: no loaded definition). */
  resolveCall(fn: number, name: string): number {
    return this.resolve(name, this.fnFile[fn]);
  }

  /** The definition `name` refers to from file `fi`: same file first, then the best loaded candidate. */
  resolve(name: string, fi: number): number {
    this.fresh();
    let m = this.resolved.get(name);
    if (!m) this.resolved.set(name, (m = new Map()));
    const hit = m.get(fi);
    if (hit !== undefined) return hit;
    let out = this.local[fi].get(name)?.[0] ?? -1;
    if (out < 0) {
      for (const file of this.host.candidateFiles(name, this.files[fi].path)) {
        const ci = this.fileIdx.get(file);
        if (ci === undefined) continue;
        const ids = this.local[ci].get(name) ?? [];
        // A header's static inline is visible to every file that includes it (as in Analysis.resolve).
        const header = file.endsWith('.h');
        const pub = ids.find((id) => header || !(this.files[ci].fns[this.fnLocal[id] * FN_FIELDS + 1] & F_STATIC));
        if (pub !== undefined) {
          out = pub;
          break;
        }
      }
    }
    m.set(fi, out);
    return out;
  }

  // ---- lock classes ----

  private classId(name: string): number {
    let id = this.classIds.get(name);
    if (id === undefined) {
      id = this.classNames.push(name) - 1;
      this.classIds.set(name, id);
    }
    return id;
  }

  className(id: number): string {
    const ph = this.isPh[id] ? this.params.get(id) : undefined;
    return ph ? this.classNames[ph.fallback] : this.classNames[id];
  }

  private placeholder(fn: number, key: string, ref: LockRef): number {
    const id = this.classId(`\u0001${fn}:${key}`);
    if (!this.isPh[id]) {
      const { g } = this.f(fn);
      this.isPh[id] = true;
      this.params.set(id, { fn, ref, fallback: this.classId(this.nameClass(fn, g, ref)) });
    }
    return id;
  }

  /**
   * A callee's placeholder seen from the call at event `e` of `fn`: the class of the argument
   * passed for it, a placeholder of `fn` when `fn` passes on its own parameter, or the
   * callee's fallback name when the call passes nothing readable.
   */
  private bindAt(fn: number, e: number, ph: number): number {
    const key = `${fn}:${e}:${ph}`;
    const hit = this.bound.get(key);
    if (hit !== undefined) return hit;
    const info = this.params.get(ph)!;
    const { g } = this.f(fn);
    let out = info.fallback;
    const la = g.largs;
    const first = this.largsAt[this.fnFile[fn]].get(e);
    for (let k = first ?? la.length; k < la.length && la[k] === e; k += 3) {
      if (la[k + 1] !== info.ref.param) continue;
      const ref = bindLockRef(info.ref, JSON.parse(g.names[la[k + 2]]) as LockRef);
      out = ref.param !== undefined ? this.placeholder(fn, `${e}:${ph}`, ref) : this.classId(this.nameClass(fn, g, ref));
      break;
    }
    this.bound.set(key, out);
    return out;
  }

  /** Class of lock reference `idx` of a function (see Analysis.classOf). */
  classOfRef(fn: number, idx: number): number {
    this.fresh();
    const { g, o } = this.f(fn);
    const key = this.fnFile[fn] * 0x100000 + g.fns[o + 5] + idx;
    const hit = this.refClass.get(key);
    if (hit !== undefined) return hit;
    const ref = g.locks[g.fns[o + 5] + idx];
    const id = ref.param !== undefined ? this.placeholder(fn, `r${idx}`, ref) : this.classId(this.nameClass(fn, g, ref));
    this.refClass.set(key, id);
    return id;
  }

  private nameClass(fn: number, g: GraphFile, ref: LockRef): string {
    return lockClassName(ref, {
      file: g.path,
      fnName: this.fnName(fn),
      global: (sym) => g.globals[sym],
      returnsOf: (name) => {
        const callee = this.resolve(name, this.fnFile[fn]);
        if (callee < 0) return undefined;
        const c = this.f(callee);
        const r = c.g.fns[c.o + 2];
        return r >= 0 ? c.g.names[r] : '';
      },
      fields: (type) => this.structs.get(type),
    });
  }

  // ---- closures ----

  /** Classes a call to this event's target may take, as the event itself contributes them. */
  private eventTargets(fn: number, g: GraphFile, b: number, out: (cls: number, callee: number) => void): void {
    const kind = g.events[b];
    const flags = g.events[b + 4];
    if (kind === EV_LOCK) {
      if (!(flags & E_TRYLOCK)) out(this.classOfRef(fn, g.events[b + 3]), -1);
      return;
    }
    const name = g.names[g.events[b + 1]];
    const kb = this.host.kbFunctions[name];
    if (kb) {
      for (const l of kb.locks ?? []) {
        if (kind === EV_ALLOC && flags & E_GFP_ATOMIC && l.kind === 'mutex') continue;
        out(this.classId(l.lock), -1);
      }
    }
    // Both the knowledge base and the body, as Analysis.edgesOf.
    if (this.followsBody(kind, name)) {
      const callee = this.resolve(name, this.fnFile[fn]);
      if (callee >= 0) {
        const ph = this.closurePh[callee] ?? (this.closure(callee), this.closurePh[callee]);
        if (!ph?.length) for (const c of this.closure(callee)) out(c, callee);
        else for (const c of this.closure(callee)) out(this.isPh[c] ? this.bindAt(fn, b / EV_FIELDS, c) : c, callee);
      }
    }
    if (kind === EV_ALLOC && flags & E_GFP_SLEEP) out(this.fsReclaim, -1);
  }

  /**
   * Sorted class ids this function or its callees may take (trylocks excluded). Recursion: a
   * function met again while its closure is being computed contributes nothing yet; every
   * closure that depended on one is provisional and recomputed until nothing grows once the
   * outermost computation ends (settle), so the answer does not depend on where the walk began.
   */
  closure(fn: number): Int32Array {
    this.fresh();
    const hit = this.closures[fn];
    if (hit) {
      if (this.provisional.has(fn)) this.sawCycle = true;
      return hit;
    }
    if (this.inProgress.has(fn)) {
      this.sawCycle = true;
      return EMPTY;
    }
    this.inProgress.add(fn);
    const outer = this.sawCycle;
    this.sawCycle = false;
    const out = this.computeClosure(fn, true);
    if (this.sawCycle) this.provisional.add(fn);
    this.sawCycle ||= outer;
    this.inProgress.delete(fn);
    if (this.inProgress.size === 0 && this.provisional.size) this.settle();
    return this.closures[fn] ?? out;
  }

  private provisional = new Set<number>();
  private sawCycle = false;

  private computeClosure(fn: number, share: boolean): Int32Array {
    const { g, o } = this.f(fn);
    const set = new Set<number>();
    let direct = false;
    const via = new Set<number>();
    for (let e = g.fns[o + 3], end = e + g.fns[o + 4]; e < end; e++) {
      this.eventTargets(fn, g, e * EV_FIELDS, (c, callee) => {
        set.add(c);
        if (callee >= 0) via.add(callee);
        else direct = true;
      });
    }
    // A wrapper whose classes all come from one callee shares that callee's array (final ones only).
    const single = !direct && via.size === 1 ? [...via][0] : -1;
    const only = share && single >= 0 && !this.provisional.has(single) ? this.closures[single] : undefined;
    const sorted = [...set].sort((a, b) => a - b);
    const out = only && only.length === set.size && sorted.every((c, i) => only[i] === c) ? only : Int32Array.from(sorted);
    this.closures[fn] = out;
    const ph = sorted.filter((c) => this.isPh[c]);
    this.closurePh[fn] = ph.length ? Int32Array.from(ph) : EMPTY;
    return out;
  }

  /** Recompute the provisional closures until none grows (closures only grow: a union of callees'). */
  private settle(): void {
    this.inProgress.add(-1); // nested closure() calls do not settle again
    for (let round = 0, changed = true; changed && round < 100; round++) {
      changed = false;
      for (const fn of [...this.provisional]) {
        const before = this.closures[fn]?.length ?? 0;
        if (this.computeClosure(fn, false).length !== before) changed = true;
      }
    }
    this.inProgress.delete(-1);
    this.provisional.clear();
    this.sawCycle = false;
  }

  private inClosure(fn: number, cls: number): boolean {
    const c = this.closure(fn);
    let lo = 0;
    let hi = c.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (c[mid] === cls) return true;
      if (c[mid] < cls) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  // ---- edges ----

  /** Every edge A -> B of the loaded functions, with where it was first seen. */
  edges(): Map<number, Map<number, EdgeAt>> {
    const out = new Map<number, Map<number, EdgeAt>>();
    const add = (from: number, to: number, at: EdgeAt) => {
      if (from === to) return;
      let m = out.get(from);
      if (!m) out.set(from, (m = new Map()));
      if (!m.has(to)) m.set(to, at);
    };
    for (let fn = 0; fn < this.fnFile.length; fn++) {
      this.edgesIn(fn, (from, to, at) => {
        if (!this.isPh[from] && !this.isPh[to]) add(from, to, at);
      });
    }
    // A function that locks its parameter and that no loaded call passes a readable lock: its
    // nestings under the parameter's fallback name (`file.c:f:lock`), never dropped.
    const binders = this.binders();
    for (let fn = 0; fn < this.fnFile.length; fn++) {
      if (binders.has(fn) || this.isPrimitive(fn)) continue;
      for (const p of this.pendingOf(fn)) {
        const fb = (c: number) => (this.isPh[c] ? this.params.get(c)!.fallback : c);
        add(fb(p.from), fb(p.to), p.at);
      }
    }
    return out;
  }

  /**
   * The edges made in one function: under the locks it holds, and those of its callees about a
   * lock it passes them (bound to its argument). Ends may be placeholders of its own parameters.
   */
  private edgesIn(fn: number, emit: (from: number, to: number, at: EdgeAt) => void): void {
    const { g, o } = this.f(fn);
    for (let e = g.fns[o + 3], end = e + g.fns[o + 4]; e < end; e++) {
      const b = e * EV_FIELDS;
      const mask = g.events[b + 2];
      if (mask) {
        const targets = new Set<number>();
        this.eventTargets(fn, g, b, (c) => targets.add(c));
        if (targets.size) {
          for (let h = 0; h < 31; h++) {
            if (!(mask & (1 << h))) continue;
            const from = this.classOfRef(fn, h);
            for (const t of targets) emit(from, t, { fn, ev: e, held: h });
          }
        }
      }
      const callee = this.bindingCallee(fn, e);
      if (callee < 0) continue;
      for (const p of this.pendingOf(callee)) {
        const from = this.isPh[p.from] ? this.bindAt(fn, e, p.from) : p.from;
        const to = this.isPh[p.to] ? this.bindAt(fn, e, p.to) : p.to;
        emit(from, to, { fn, ev: e, held: -1, inner: p.at, innerTo: p.to });
      }
    }
  }

  /** A function's edges that end at one of its parameters' placeholders (memoised; recursion sees none). */
  private pendingOf(fn: number): { from: number; to: number; at: EdgeAt }[] {
    this.fresh();
    const hit = this.pending[fn];
    if (hit) return hit;
    this.pending[fn] = [];
    const out: { from: number; to: number; at: EdgeAt }[] = [];
    const seen = new Set<string>();
    this.edgesIn(fn, (from, to, at) => {
      if (from === to || (!this.isPh[from] && !this.isPh[to])) return;
      const k = `${from}>${to}`;
      if (seen.has(k)) return;
      seen.add(k);
      out.push({ from, to, at });
    });
    this.pending[fn] = out;
    return out;
  }

  /** The callee of event `e` of `fn` when the call passes it lock arguments it can bind (-1: none). */
  private bindingCallee(fn: number, e: number): number {
    const { g } = this.f(fn);
    const fi = this.fnFile[fn];
    const b = e * EV_FIELDS;
    if (g.events[b] !== EV_CALL || !this.largsAt[fi].has(e) || !this.followsBody(EV_CALL, g.names[g.events[b + 1]])) return -1;
    const callee = this.resolve(g.names[g.events[b + 1]], fi);
    return callee >= 0 && this.mayBind(callee) ? callee : -1;
  }

  private mayBindMemo: (boolean | undefined)[] = [];

  /**
   * Whether a function's closure can hold a placeholder: it takes a lock through a parameter, or
   * passes a parameter's lock to a callee that can. Far cheaper than the closure, so callers skip
   * binding for the (nearly all) callees that take nothing of their caller's.
   */
  private mayBind(fn: number): boolean {
    const hit = this.mayBindMemo[fn];
    if (hit !== undefined) return hit;
    this.mayBindMemo[fn] = false; // recursion: what the rest of the cycle adds is found from its other members
    const { g, o } = this.f(fn);
    let out = false;
    for (let i = g.fns[o + 5], end = i + g.fns[o + 6]; i < end && !out; i++) if (g.locks[i].param !== undefined) out = true;
    const fi = this.fnFile[fn];
    for (let e = g.fns[o + 3], end = e + g.fns[o + 4]; e < end && !out; e++) {
      const k0 = this.largsAt[fi].get(e);
      if (k0 === undefined) continue;
      let passesParam = false;
      for (let k = k0; k < g.largs.length && g.largs[k] === e; k += 3) if (g.names[g.largs[k + 2]].includes('"param":')) passesParam = true;
      if (!passesParam) continue;
      const callee = this.resolve(g.names[g.events[e * EV_FIELDS + 1]], fi);
      if (callee >= 0 && callee !== fn && this.mayBind(callee)) out = true;
    }
    this.mayBindMemo[fn] = out;
    return out;
  }

  private boundFns?: Set<number>;

  /** Functions some loaded call passes a readable lock argument (their placeholders are bound there). */
  private binders(): Set<number> {
    this.fresh();
    if (this.boundFns) return this.boundFns;
    const out = new Set<number>();
    this.files.forEach((g, fi) => {
      for (const e of this.largsAt[fi].keys()) {
        const callee = this.resolve(g.names[g.events[e * EV_FIELDS + 1]], fi);
        if (callee >= 0) out.add(callee);
      }
    });
    this.boundFns = out;
    return out;
  }

  /** Classes taken anywhere (lock events and knowledge-base functions called). */
  classesTaken(): Set<number> {
    const out = new Set<number>();
    const binders = this.binders();
    for (let fn = 0; fn < this.fnFile.length; fn++) {
      const { g, o } = this.f(fn);
      for (let e = g.fns[o + 3], end = e + g.fns[o + 4]; e < end; e++) {
        const b = e * EV_FIELDS;
        if (g.events[b] === EV_LOCK) {
          const c = this.classOfRef(fn, g.events[b + 3]);
          if (!this.isPh[c]) out.add(c);
          else if (!binders.has(fn) && !this.isPrimitive(fn)) out.add(this.params.get(c)!.fallback);
        } else for (const l of this.host.kbFunctions[g.names[g.events[b + 1]]]?.locks ?? []) out.add(this.classId(l.lock));
        // A lock the call passes to a callee that takes it through its parameter.
        const callee = this.bindingCallee(fn, e);
        if (callee < 0) continue;
        this.closure(callee);
        for (const ph of this.closurePh[callee] ?? EMPTY) {
          const c = this.bindAt(fn, e, ph);
          if (!this.isPh[c]) out.add(c);
        }
      }
    }
    return out;
  }

  /** The graph as Analysis shapes it: class names, edges with their evidence built when read. */
  toEdgeMap(raw = this.edges()): Map<string, Map<string, Edge>> {
    const out = new Map<string, Map<string, Edge>>();
    for (const [from, m] of raw) {
      const em = new Map<string, Edge>();
      for (const [to, at] of m) em.set(this.className(to), this.edge(from, to, at));
      out.set(this.className(from), em);
    }
    return out;
  }

  /** An edge whose chain is rebuilt on each read: 200k kept chains were 500 MB on the kernel. */
  private edge(from: number, to: number, at: EdgeAt): Edge {
    const self = this;
    return {
      from: this.className(from),
      to: this.className(to),
      get chain(): Step[] {
        return self.walk(to, at).map((s) => self.step(s.fn, s.e, self.noteOf(s)));
      },
      // Each step with a key that names it (function and event, kind, class): a stored graph keeps each step once.
      get keyed(): StepKey[] {
        return self.walk(to, at).map((s) => ({ hi: s.fn * 0x100000 + s.e, lo: s.k * 0x1000000 + s.x, make: () => self.step(s.fn, s.e, self.noteOf(s)) }));
      },
      // The text and dot listings print only this: no note is built for the steps before it.
      get last(): Step {
        const w = self.walk(to, at);
        const s = w[w.length - 1];
        return self.step(s.fn, s.e, self.noteOf(s));
      },
    };
  }

  // ---- evidence ----

  private step(fn: number, e: number, note: string): Step {
    const g = this.files[this.fnFile[fn]];
    const b = e * EV_FIELDS;
    return { file: g.path, span: [g.events[b + 5], g.events[b + 6], g.events[b + 7], g.events[b + 8]] as Span, note };
  }

  /** The evidence of an edge as events with their notes still to write (at most MAX_CHAIN). */
  private walk(to: number, at: EdgeAt): StepAt[] {
    if (at.inner) return [{ fn: at.fn, e: at.ev, k: StepKind.CALLS, x: to }, ...this.walk(at.innerTo!, at.inner)].slice(0, MAX_CHAIN);
    const { g, o } = this.f(at.fn);
    const out: StepAt[] = [];
    for (let e = at.ev - 1; e >= g.fns[o + 3]; e--) {
      const b = e * EV_FIELDS;
      if (g.events[b] === EV_LOCK && g.events[b + 3] === at.held) {
        out.push({ fn: at.fn, e, k: StepKind.HOLDS, x: at.held });
        break;
      }
    }
    this.pathTo(at.fn, at.ev, to, new Set(), out);
    return out;
  }

  /** Steps from event `e` of `fn` down to where class `cls` is taken, appended to `out` up to MAX_CHAIN. */
  private pathTo(fn: number, e: number, cls: number, seen: Set<number>, out: StepAt[]): void {
    if (out.length >= MAX_CHAIN) return;
    const g = this.files[this.fnFile[fn]];
    const b = e * EV_FIELDS;
    const callee = g.names[g.events[b + 1]];
    const kind = g.events[b];
    if (kind === EV_LOCK) {
      out.push({ fn, e, k: StepKind.TAKES, x: cls });
      return;
    }
    if (this.kbLock(callee, cls)) {
      out.push({ fn, e, k: StepKind.KB_TAKES, x: cls });
      return;
    }
    if (kind === EV_ALLOC && cls === this.fsReclaim) {
      out.push({ fn, e, k: StepKind.ALLOC_RECLAIM, x: cls });
      return;
    }
    out.push({ fn, e, k: StepKind.CALLS, x: cls });
    const target = this.resolve(callee, this.fnFile[fn]);
    if (target < 0 || seen.has(target) || out.length >= MAX_CHAIN) return;
    seen.add(target);
    const inCallee = this.classInCallee(fn, e, target, cls);
    if (inCallee === undefined) return;
    cls = inCallee;
    // The callee's event that reaches the class in the fewest steps (else its first that reaches it).
    const near = this.nearest(target, cls);
    const x = near ? near.ev : this.firstReaching(target, cls);
    if (x >= 0) this.pathTo(target, x, cls, seen, out);
  }

  /**
   * What class `cls`, reached through call event `e` of `fn`, is inside the callee `target`: the
   * class itself, or the callee's parameter placeholder this call binds to it; undefined if neither.
   */
  private classInCallee(fn: number, e: number, target: number, cls: number): number | undefined {
    if (this.inClosure(target, cls)) return cls;
    return [...(this.closurePh[target] ?? EMPTY)].find((p) => this.bindAt(fn, e, p) === cls);
  }

  private firstReaching(fn: number, cls: number): number {
    const t = this.f(fn);
    for (let y = t.g.fns[t.o + 3], end = y + t.g.fns[t.o + 4]; y < end; y++) if (this.eventReaches(fn, t.g, y * EV_FIELDS, cls)) return y;
    return -1;
  }

  /**
   * The event of `fn` from which class `cls` is reached in the fewest steps, memoised once per
   * (function, class): evidence is the shortest chain, as lockdep prints, not the first found (on
   * the kernel most first-found chains ran to the 14-step cap). A path through a function still
   * being searched (recursion) is skipped, so the answer is a real path, shortest but for such
   * cycles; null when none was found that way (pathTo then takes the first event that reaches).
   */
  private nearest(fn: number, cls: number, depth = 0): { ev: number; d: number } | null {
    const key = fn * 0x100000 + cls;
    const hit = this.nearMemo.get(key);
    // Packed (event * 256 + distance, -1 for none): millions of entries on the kernel, small integers, no objects.
    if (hit !== undefined) return hit < 0 ? null : { ev: Math.floor(hit / 256), d: hit % 256 };
    // Deeper than any chain worth printing: not memoised, the caller falls back.
    if (this.nearBusy.has(key) || depth > MAX_NEAR_DEPTH) return null;
    const { g, o } = this.f(fn);
    const first = g.fns[o + 3];
    const end = first + g.fns[o + 4];
    let best: { ev: number; d: number } | null = null;
    const calls: number[] = [];
    for (let y = first; y < end && !best; y++) {
      const b = y * EV_FIELDS;
      if (!this.eventReaches(fn, g, b, cls)) continue;
      const kind = g.events[b];
      if (kind === EV_LOCK || (kind === EV_ALLOC && cls === this.fsReclaim) || this.kbLock(g.names[g.events[b + 1]], cls)) best = { ev: y, d: 1 };
      else calls.push(y);
    }
    if (!best) {
      this.nearBusy.add(key);
      for (const y of calls) {
        const target = this.resolve(g.names[g.events[y * EV_FIELDS + 1]], this.fnFile[fn]);
        if (target < 0) continue;
        const c = this.classInCallee(fn, y, target, cls);
        if (c === undefined) continue;
        const sub = this.nearest(target, c, depth + 1);
        if (sub && (!best || sub.d + 1 < best.d)) best = { ev: y, d: sub.d + 1 };
        if (best?.d === 2) break;
      }
      this.nearBusy.delete(key);
    }
    this.nearMemo.set(key, best ? best.ev * 256 + Math.min(best.d, 255) : -1);
    return best;
  }

  private nearMemo = new Map<number, number>();
  private nearBusy = new Set<number>();

  /** The knowledge-base entry by which calling `callee` takes class `cls`, if any. */
  private kbLock(callee: string, cls: number): { lock: string; maybe?: boolean } | undefined {
    const kb = this.host.kbFunctions[callee];
    if (!kb?.locks) return undefined;
    const want = this.className(cls);
    return kb.locks.find((x) => x.lock === want);
  }

  /** A step's note, written when the step is shown. */
  private noteOf(s: StepAt): string {
    const g = this.files[this.fnFile[s.fn]];
    const b = s.e * EV_FIELDS;
    const name = this.fnName(s.fn);
    const callee = g.names[g.events[b + 1]];
    switch (s.k) {
      case StepKind.HOLDS:
        return `${name}() holds ${this.className(this.classOfRef(s.fn, s.x))} from here`;
      case StepKind.TAKES: {
        const ph = this.isPh[s.x] ? this.params.get(s.x) : undefined;
        return ph ? `${name}() takes ${ph.ref.text}, the lock its caller passed (${callee})` : `${name}() takes ${this.className(s.x)} (${callee})`;
      }
      case StepKind.KB_TAKES: {
        const l = this.kbLock(callee, s.x)!;
        return `${name}() calls ${callee}(), which ${l.maybe ? 'may take' : 'takes'} ${l.lock} (${this.host.kbFunctions[callee].source})`;
      }
      case StepKind.ALLOC_RECLAIM: {
        const gfp = g.events[b + 3] >= 0 ? g.names[g.events[b + 3]] : 'GFP_KERNEL';
        return `${name}() allocates with ${callee}(${gfp}), which may enter reclaim (fs_reclaim)`;
      }
      default:
        return `${name}() calls ${callee}()`;
    }
  }

  /** Whether this event takes `cls` itself or calls something whose closure holds it. */
  private eventReaches(fn: number, g: GraphFile, b: number, cls: number): boolean {
    const kind = g.events[b];
    const flags = g.events[b + 4];
    if (kind === EV_LOCK) return !(flags & E_TRYLOCK) && this.classOfRef(fn, g.events[b + 3]) === cls;
    if (kind === EV_ALLOC && flags & E_GFP_SLEEP && cls === this.fsReclaim) return true;
    const name = g.names[g.events[b + 1]];
    const kb = this.host.kbFunctions[name];
    if (kb) {
      const want = this.className(cls);
      if ((kb.locks ?? []).some((l) => l.lock === want && !(kind === EV_ALLOC && flags & E_GFP_ATOMIC && l.kind === 'mutex'))) return true;
    }
    if (!this.followsBody(kind, name)) return false;
    const callee = this.resolve(name, this.fnFile[fn]);
    if (callee < 0) return false;
    if (this.inClosure(callee, cls)) return true;
    for (const ph of this.closurePh[callee] ?? EMPTY) if (this.bindAt(fn, b / EV_FIELDS, ph) === cls) return true;
    return false;
  }

  /** A call (not opaque, not a lock primitive) or a free whose body Analysis reads too. */
  private followsBody(kind: number, name: string): boolean {
    const k = bodyKind(kind);
    if (!k || OPAQUE_PREFIXES.test(name) || LOCK_OPS[name]) return false;
    return this.host.kbFunctions[name] || k !== 'call' ? this.host.readsBody(name, k) : true;
  }

  /** Names of the classes some lock primitive takes (one pass; `acquisitions` lists one class's sites). */
  acquiredClasses(): Set<string> {
    const ids = new Set<number>();
    for (let fn = 0; fn < this.fnFile.length; fn++) {
      const { g, o } = this.f(fn);
      for (let e = g.fns[o + 3], end = e + g.fns[o + 4]; e < end; e++) if (g.events[e * EV_FIELDS] === EV_LOCK) ids.add(this.classOfRef(fn, g.events[e * EV_FIELDS + 3]));
    }
    return new Set([...ids].map((c) => this.className(c)));
  }

  /** Where a class is taken by a lock primitive (not through a knowledge-base function), for `locks --class`. */
  acquisitions(cls: string): { fn: string; file: string; span: Span; op: string; trylock: boolean }[] {
    const id = this.classIds.get(cls);
    const out: { fn: string; file: string; span: Span; op: string; trylock: boolean }[] = [];
    if (id === undefined) return out;
    for (let fn = 0; fn < this.fnFile.length; fn++) {
      const { g, o } = this.f(fn);
      for (let e = g.fns[o + 3], end = e + g.fns[o + 4]; e < end; e++) {
        const b = e * EV_FIELDS;
        if (g.events[b] !== EV_LOCK || this.classOfRef(fn, g.events[b + 3]) !== id) continue;
        out.push({ fn: this.fnName(fn), file: g.path, span: [g.events[b + 5], g.events[b + 6], g.events[b + 7], g.events[b + 8]] as Span, op: g.names[g.events[b + 1]], trylock: !!(g.events[b + 4] & E_TRYLOCK) });
      }
    }
    return out;
  }

  /** Every class's acquisitions by a lock primitive in one pass: counts, the ops used, the first `keep` sites. */
  acquisitionsByClass(keep: number): Map<string, { count: number; trylocks: number; ops: Set<string>; first: { fn: string; file: string; line: number; op: string }[] }> {
    const out = new Map<string, { count: number; trylocks: number; ops: Set<string>; first: { fn: string; file: string; line: number; op: string }[] }>();
    for (let fn = 0; fn < this.fnFile.length; fn++) {
      const { g, o } = this.f(fn);
      for (let e = g.fns[o + 3], end = e + g.fns[o + 4]; e < end; e++) {
        const b = e * EV_FIELDS;
        if (g.events[b] !== EV_LOCK) continue;
        const id = this.classOfRef(fn, g.events[b + 3]);
        if (this.isPh[id] && this.isPrimitive(fn)) continue;
        const name = this.className(id);
        let a = out.get(name);
        if (!a) out.set(name, (a = { count: 0, trylocks: 0, ops: new Set(), first: [] }));
        const op = g.names[g.events[b + 1]];
        a.count++;
        if (g.events[b + 4] & E_TRYLOCK) a.trylocks++;
        a.ops.add(op);
        if (a.first.length < keep) a.first.push({ fn: this.fnName(fn), file: g.path, line: g.events[b + 5] + 1, op });
      }
    }
    return out;
  }

  isStatic(fn: number): boolean {
    const { g, o } = this.f(fn);
    return !!(g.fns[o + 1] & F_STATIC);
  }

  /** Number of loaded functions (ids 0..fnCount-1). */
  get fnCount(): number {
    return this.fnFile.length;
  }

  /**
   * A function's lock and call events decoded, for the held-under inference (index/held-under.ts):
   * the operation or callee, the lock references held (must-held), interrupts off, trylock.
   */
  eventsOf(fn: number): { lock: boolean; name: string; ref: number; held: number[]; irqOff: boolean; trylock: boolean; span: Span }[] {
    const { g, o } = this.f(fn);
    const out: { lock: boolean; name: string; ref: number; held: number[]; irqOff: boolean; trylock: boolean; span: Span }[] = [];
    for (let e = g.fns[o + 3], end = e + g.fns[o + 4]; e < end; e++) {
      const b = e * EV_FIELDS;
      const k = g.events[b];
      if (k !== EV_LOCK && k !== EV_CALL) continue;
      const held: number[] = [];
      for (let m = g.events[b + 2], i = 0; m; m >>>= 1, i++) if (m & 1) held.push(i);
      out.push({ lock: k === EV_LOCK, name: g.names[g.events[b + 1]], ref: k === EV_LOCK ? g.events[b + 3] : -1, held, irqOff: !!(g.events[b + 4] & E_IRQ_OFF), trylock: !!(g.events[b + 4] & E_TRYLOCK), span: [g.events[b + 5], g.events[b + 6], g.events[b + 7], g.events[b + 8]] as Span });
    }
    return out;
  }

  /**
   * Why a class is named by an expression (`file.c:f:expr`, the shape nothing else has), or
   * undefined when a struct field, global, static, accessor or the knowledge base names it.
   */
  unresolvedWhy(name: string): string | undefined {
    const m = /^([^:]+):([^:]+):(.+)$/.exec(name);
    if (!m) return undefined;
    if (!this.fallbackNames) this.fallbackNames = new Set([...this.params.values()].map((p) => this.classNames[p.fallback]));
    return this.fallbackNames.has(name)
      ? `\`${m[3]}\` is a lock parameter of ${m[2]}() (${m[1]}) that no call in the tree passes a lock with a class`
      : `\`${m[3]}\` in ${m[2]}() (${m[1]}) is not a struct field, global or static (a local pointer set from a call or more than once, a macro's variable)`;
  }

  private fallbackNames?: Set<string>;

  /**
   * Callee name -> the functions that call it (each once), from one pass over the event arrays;
   * kept until a file is added. For the held-under inference's callers.
   */
  callersByName(): Map<string, number[]> {
    if (this.callersMemo && this.callersMemo.files === this.files.length) return this.callersMemo.map;
    const map = new Map<string, number[]>();
    for (let fn = 0; fn < this.fnFile.length; fn++) {
      const { g, o } = this.f(fn);
      for (let e = g.fns[o + 3], end = e + g.fns[o + 4]; e < end; e++) {
        const b = e * EV_FIELDS;
        if (g.events[b] !== EV_CALL) continue;
        const name = g.names[g.events[b + 1]];
        const l = map.get(name);
        if (!l) map.set(name, [fn]);
        else if (l[l.length - 1] !== fn) l.push(fn);
      }
    }
    this.callersMemo = { files: this.files.length, map };
    return map;
  }

  private callersMemo?: { files: number; map: Map<string, number[]> };

  /**
   * A lock primitive's own definition (`mutex_lock()` in mutex.h for a config, `xa_lock()`): every
   * call to it is read as the primitive, so the lock its parameter names is the caller's class and
   * never one of its own (`mutex.h:mutex_lock:lock` was 25 of the kernel's unresolved classes).
   */
  private isPrimitive(fn: number): boolean {
    return !!LOCK_OPS[this.fnName(fn)];
  }

  /** For tests: whether a function's closure holds a class (by name). */
  reaches(fn: number, cls: string): boolean {
    const id = this.classIds.get(cls);
    return id !== undefined && this.inClosure(fn, id);
  }
}
