/**
 * The workspace index over loaded facts: function resolution across files,
 * lock classes named like lockdep, function summaries (locks taken with the
 * call chain as evidence, may-sleep, allocations, frees) and the lock graph.
 * Known kernel functions come from the knowledge base and are not read.
 */
import type { GraphView } from '../graph/graph-index';
import type { StepKey } from '../graph/lock-graph';
import * as fs from 'fs';
import * as path from 'path';
import { allocGfpClass, ALLOCATORS, classifyGfp } from '../kb/allocators';
import { KERNEL_FUNCTIONS, KernelFunctionFact, InternalLock, knownLockFacts, OPAQUE_PREFIXES } from '../kb/kernel-functions';
import { IrqMode, LockKind, LOCK_OPS, SLEEPING_KINDS } from '../kb/locks';
import { bindLockRef, structName } from '../facts/lock-ref';
import { argRef, unparen, VAR_PATH } from '../facts/arg-ref';
import type { ArgRef, CacheCreation, CtorRef, FnEvent, FunctionFacts, LockRef, Span } from '../facts/types';
import type { Project } from './project';
import { lockClassName } from './lock-class';
import { trace } from '../engine/trace';

export interface Step {
  file: string;
  span: Span;
  note: string;
}

export interface FnRef {
  file: string;
  fn: FunctionFacts;
}

export interface LockAcq {
  cls: string;
  kind: LockKind;
  irq: IrqMode;
  /** Interrupts are disabled while it is held (by the lock op or an outer irqsave). */
  irqOff: boolean;
  trylock: boolean;
  /** Taken only when the gfp the summarised function was given allows sleeping (pcpu_alloc_mutex under alloc_percpu_gfp(type, gfp)). */
  ifCallerGfpSleeps?: boolean;
  /**
   * The lock is reached through a parameter of the summarised function (LockRef.param): `cls`
   * is its fallback name until a caller's argument binds it (lockdep keys the instance).
   */
  param?: LockRef;
  chain: Step[];
}

/**
 * What an allocation's gfp is in a summary: a reclaim-capable mask ('sleep'), an atomic one,
 * the gfp the summarised function was given ('caller': it honours its caller's context), or
 * not known (a local variable, a parameter nothing was bound to).
 */
export type GfpClass = 'sleep' | 'atomic' | 'unknown' | 'caller';

/**
 * A gfp value bound to a parameter while summarising: the gfp the root of the summary was
 * given (its gfp_t parameter), or a constant written at a call site on the way down.
 */
export type GfpVal = { k: 'root' } | { k: 'const'; text: string; cls: 'sleep' | 'atomic'; from: Step };
/** Parameter index -> bound gfp value. */
export type GfpEnv = readonly (GfpVal | undefined)[];

export interface AllocUse {
  fn: string;
  gfp?: string;
  gfpClass: GfpClass;
  /** Where the constant gfp this allocation uses through a parameter was written (a caller's call). */
  gfpFrom?: Step;
  /** That constant (`GFP_KERNEL`), when `gfp` is a parameter bound to one. */
  gfpBound?: string;
  cache?: string;
  /** The cache's identity (Analysis.cacheIdOf), when it is a global or a struct field class. */
  cacheId?: string;
  /** The cache is this parameter of the summarised function: its callers' argument names it. */
  cacheParam?: number;
  percpu: boolean;
  checked: boolean;
  assignedTo?: string;
  /** The function returns it: checking it is its caller's business. */
  returned?: boolean;
  /** A callee returned it to this function (a wrapper like `return kzalloc(n, gfp)`): this function's to check. */
  handedUp?: boolean;
  chain: Step[];
}

export interface FreeUse {
  fn: string;
  allocator: string;
  cache?: string;
  arg?: string;
  chain: Step[];
}

export interface Summary {
  ref: FnRef;
  acquires: Map<string, LockAcq>;
  maySleep?: Step[];
  /** The first allocation made with the gfp the function was given (it honours its caller), with the chain to it. */
  honoursGfp?: Step[];
  allocs: AllocUse[];
  frees: FreeUse[];
  /** Calls that could not be resolved to a body or a known fact. */
  unresolved: Set<string>;
  /** Some callee, here or below, was not read: what the body says is not all it does. */
  incomplete?: boolean;
  /**
   * Classes this function (or a callee) releases without having taken them: a lock its caller
   * holds (`maybe_create_worker()` drops pool->lock, then allocates). What follows the call is
   * then not under that lock, so the caller's edges from it through this call are not made.
   */
  releasesCallers?: Set<string>;
  /** An analysis bound was hit here or below (which, and in which function): the answer is partial. */
  limit?: { what: string; fn: string; file: string; span: Span };
  /** Files this summary was computed from (callees included). */
  files?: Set<string>;
}

export interface Edge {
  from: string;
  to: string;
  /** An end reached through the function's parameter, bound where it is called (Analysis.edgesOf). */
  fromParam?: LockRef;
  toParam?: LockRef;
  chain: Step[];
  /** The chain's last step, when it can be had without building the whole chain. */
  readonly last?: Step;
  /** The chain's steps keyed (the whole-tree graph's edges: graph/graph-index.ts stores each step once). */
  readonly keyed?: StepKey[];
}

export interface CacheInfo {
  file: string;
  creation: CacheCreation;
  ctor?: FnRef;
  dtor?: FnRef;
  /** Named function whose definition was not found. */
  ctorMissing?: boolean;
  dtorMissing?: boolean;
  /**
   * An indirect ctor/dtor (`info->ctor`, `c ? f : NULL`) with candidate functions: the ones
   * whose definitions were found. The engine checks the cache once per candidate.
   */
  ctorCandidates?: FnRef[];
  dtorCandidates?: FnRef[];
  allocSites: AllocSite[];
}

export interface AllocSite {
  ref: FnRef;
  event: Extract<FnEvent, { k: 'alloc' }>;
  /** Held at the allocation, and for a helper given the cache, held by its callers at the calls. */
  held: { cls: string; kind: LockKind; takenAt?: Step }[];
  irqOff: boolean;
  gfpClass: 'sleep' | 'atomic' | 'unknown';
  /** The gfp as it reaches the allocation: a constant a caller passed to the helper's parameter. */
  gfp?: string;
  /** The allocation is in a helper given the cache as a parameter: the calls that pass it, outermost first. */
  via?: Step[];
}

/** Where objects are given back to a cache (kmem_cache_free(var, obj)), found like AllocSite. */
export interface FreeSite {
  ref: FnRef;
  event: Extract<FnEvent, { k: 'free' }>;
  via?: Step[];
}

/** Where a file sits, for ranking definitions of one name (Analysis.candidateFiles). */
interface Place {
  dir: string;
  arch?: string;
  /** tools/, scripts/, boot code, ACPICA's private copies: never serve kernel code. */
  outside: boolean;
  drivers: boolean;
  c: boolean;
}
const ARCH_DIR = /(?:^|\/)arch\/([^/]+)\//;
const PRIMARY_ARCH = 'x86';
const OUTSIDE_KERNEL = /\/(?:tools|scripts|samples|Documentation|usr)\/|\/boot\/|\/acpica\//;

export const FS_RECLAIM = 'fs_reclaim';
/** Steps kept in an evidence chain. */
export const MAX_CHAIN = 14;
/**
 * Summaries recurse through calls; a call chain deeper than this (a generated cycle of thousands
 * of functions) stops there with a stated limit instead of overflowing the JS stack.
 */
export const MAX_SUMMARY_DEPTH = 400;
const MAX_DEPTH = 10;
/** Calls through which a gfp value is bound to the callee's parameter (deeper callees see an unknown gfp). */
export const MAX_GFP_DEPTH = 4;
/** Calls through which a cache passed as an argument is followed to the helper that allocates from it (as deep as a gfp value). */
export const MAX_CACHE_BIND_DEPTH = 4;
const ROOT: GfpVal = { k: 'root' };
/** Files parsed at most to decide whether one lock class nests another (demand-driven mode). */
const MAX_HOLDER_FILES = 300;

export class Analysis {
  private memo = new Map<string, Summary>();
  private pendingMemo = new Map<string, Edge[]>();
  private structs = new Map<string, Record<string, string>>();
  private structsBuiltFrom = -1;
  readonly kbFunctions: Record<string, KernelFunctionFact>;
  /** Knowledge-base locks, and `.slabcheck.json` declarations (`declared`: the user's word wins over code). */
  readonly lockFacts: Map<string, InternalLock & { why?: string; declared?: boolean }>;

  constructor(public project: Project) {
    this.kbFunctions = { ...KERNEL_FUNCTIONS, ...project.config.functions };
    this.lockFacts = knownLockFacts();
    for (const [name, l] of Object.entries(project.config.locks)) {
      const prev = this.lockFacts.get(name);
      this.lockFacts.set(name, {
        lock: name, kind: l.kind ?? prev?.kind ?? 'spin', irq: prev?.irq ?? 'none',
        leaf: l.leaf === true ? true : undefined, nonLeafBecause: l.leaf === false ? l.why ?? 'declared not a leaf in .slabcheck.json' : undefined, declared: true,
      });
    }
  }

  /** Bumped by invalidate(): what was computed from summaries before is stale. */
  generation = 0;

  invalidate(): void {
    this.generation++;
    this.memo.clear();
    this.provisional.clear();
    this.pendingMemo.clear();
    this.siteMemo = new WeakMap();
    this.dirFiles = undefined;
    this.structsBuiltFrom = -1;
  }

  // ---- resolution ----

  functionsIn(file: string): FunctionFacts[] {
    this.touch(file);
    return this.project.facts.get(file)?.functions ?? [];
  }

  // ---- dependency tracking (which files an answer was computed from) ----

  private touchStack: Set<string>[] = [];

  touch(file: string): void {
    for (const s of this.touchStack) s.add(file);
  }

  /** Start recording the files read; `endTouch` stops. Nested recordings all see every file. */
  beginTouch(): Set<string> {
    const s = new Set<string>();
    this.touchStack.push(s);
    return s;
  }

  endTouch(s: Set<string>): void {
    const i = this.touchStack.lastIndexOf(s);
    if (i >= 0) this.touchStack.splice(i, 1);
  }

  /** The definition `name` refers to from `fromFile`; loaded facts only. */
  resolve(name: string, fromFile: string): FnRef | undefined {
    const local = this.functionsIn(fromFile).find((f) => f.name === name);
    if (local) return { file: fromFile, fn: local };
    const cands = this.candidateFiles(name, fromFile);
    const found: FnRef[] = [];
    for (const file of cands) {
      // A header's static inline is visible to every file that includes it.
      const header = file.endsWith('.h');
      const f = this.functionsIn(file).find((x) => x.name === name && (!x.isStatic || header));
      if (f) found.push({ file, fn: f });
    }
    return found[0];
  }

  /**
   * Files that may define `name`, best first. The kernel defines many names
   * more than once (ACPICA's own vsnprintf, tools/, boot code, one per arch):
   * prefer the caller's directory, the caller's arch, the exported definition,
   * then core code over drivers, and never tools/ or boot code for kernel code.
   */
  candidateFiles(name: string, fromFile: string): string[] {
    const from = this.placeOf(fromFile);
    let files = (this.project.defIndex.get(name) ?? []).filter((f) => f !== fromFile);
    // tools/ holds userspace copies of kernel headers (tools/virtio's dma_alloc_coherent): never
    // a definition for kernel code, even when it is the only one.
    if (!from.outside) files = files.filter((f) => !this.placeOf(f).outside);
    if (files.length <= 1) return files;
    const rank = (f: string) => {
      const p = this.placeOf(f);
      if (p.dir === from.dir) return 0;
      if (from.arch && p.arch === from.arch) return 1;
      // Generic code calling arch code (arch_atomic_xchg) gets x86's, as a checker run for one
      // config would, not sparc32's exported spinlock-hashed atomics.
      if (p.arch) return p.arch === PRIMARY_ARCH ? 5.5 : 6;
      if (this.project.prescan.get(f)?.exports?.includes(name)) return 2;
      if (p.drivers) return p.c ? 4 : 5;
      return p.c ? 3 : 3.5;
    };
    // Ranked once per file (the whole-tree lock graph asks this for 200k name/file pairs, and a
    // name like `probe` has hundreds of definitions), then sorted by rank and path.
    const ranked = files.map((f) => ({ f, r: rank(f) }));
    ranked.sort((x, y) => x.r - y.r || (x.f < y.f ? -1 : 1));
    return ranked.map((x) => x.f);
  }

  /** What ranking a definition needs from a path, read once per path. */
  private places = new Map<string, Place>();

  /** tools/, scripts/, samples/, Documentation/, boot code: userspace or copies, not kernel code. */
  outsideKernel(f: string): boolean {
    return this.placeOf(f).outside;
  }

  /** The files defining struct `type` that may serve `fromFile` (kernel code never gets tools/'s). */
  structFiles(type: string, fromFile?: string): string[] {
    const all = this.project.structIndex.get(type) ?? [];
    return fromFile && this.outsideKernel(fromFile) ? all : all.filter((f) => !this.outsideKernel(f));
  }

  private placeOf(f: string): Place {
    let p = this.places.get(f);
    if (!p) {
      // Judged inside the workspace: a checkout under /home/me/tools/linux is still kernel code.
      const root = this.project.opts.roots.map((r) => path.resolve(r)).find((r) => f.startsWith(`${r}/`));
      const rel = root ? f.slice(root.length) : f;
      p = { dir: f.slice(0, f.lastIndexOf('/')), arch: ARCH_DIR.exec(rel)?.[1], outside: OUTSIDE_KERNEL.test(rel), drivers: rel.includes('/drivers/'), c: f.endsWith('.c') };
      this.places.set(f, p);
    }
    return p;
  }

  isKnown(name: string): boolean {
    return !!this.kbFunctions[name] || !!LOCK_OPS[name] || OPAQUE_PREFIXES.test(name);
  }

  /**
   * The body the analysis reads for a call, allocation or free of `name`, when it reads one.
   * A knowledge-base function's body is read when the workspace holds exactly one kernel
   * definition of it (the code decides); with none, or several (SLAB/SLOB/SLUB, one per
   * arch), the knowledge base answers.
   */
  wantsBody(e: FnEvent): boolean {
    return (e.k === 'call' || e.k === 'free') && this.readsBody(e.fn, e.k);
  }

  /**
   * Allocations are never descended into: the gfp decides whether they sleep and the knowledge
   * base names the allocator's locks (its body's locks depend on the gfp and the slab state).
   */
  readsBody(name: string, kind: 'call' | 'free' | 'alloc'): boolean {
    // Upper-case macros are read like any callee (a `POOL_LOCK(p)` wrapper takes its argument's lock), as the whole-tree graph does.
    if (kind === 'alloc' || LOCK_OPS[name] || OPAQUE_PREFIXES.test(name)) return false;
    if (this.kbFunctions[name]) return !this.kbFunctions[name].kbOnly && this.kernelDefinitions(name, '.c') === 1;
    return kind === 'call' || this.kernelDefinitions(name) > 0;
  }

  /**
   * Kernel definitions of a name (`.c` ones only, when asked): a header's static inline stub for
   * the other config (`percpu_counter_destroy_many()` without CONFIG_SMP) does not make the .c one
   * ambiguous, while SLAB/SLOB/SLUB or per-arch .c definitions do.
   */
  private kernelDefinitions(name: string, ext?: string): number {
    return (this.project.defIndex.get(name) ?? []).filter((f) => !this.outsideKernel(f) && (!ext || f.endsWith(ext))).length;
  }

  /**
   * Load the facts needed to summarise `roots`: callees, transitively, up to
   * a depth, plus the struct definitions that lock class names go through.
   */
  async prepare(roots: FnRef[], depth = MAX_DEPTH, firstLevelUnderLockOnly = false): Promise<void> {
    if (!this.project.demandDriven) return;
    let frontier = roots;
    const seen = new Set<string>(roots.map(keyOf));
    for (let d = 0; d < depth && frontier.length; d++) {
      const wanted = new Map<string, string>();
      const underLockOnly = firstLevelUnderLockOnly && d === 0;
      for (const r of frontier) {
        for (const e of r.fn.events) {
          if (!this.wantsBody(e)) continue;
          if (underLockOnly && e.held.length === 0) continue;
          if (this.functionsIn(r.file).some((f) => f.name === e.fn)) continue;
          if (!wanted.has(e.fn)) wanted.set(e.fn, r.file);
        }
      }
      const files = new Set<string>();
      for (const [name, from] of wanted) {
        const c = this.candidateFiles(name, from);
        for (const f of c.slice(0, 2)) files.add(f);
      }
      // Only the functions wanted (and their same-file callees) are parsed: most of a callee's
      // file is never read (mm/slub.c for one helper).
      await this.project.ensureFacts([...files], 'creations', [...wanted.keys()]);
      trace(`callee level ${d}: ${wanted.size} names, ${files.size} files`);
      // Callees still read as stubs (found in a file read for other functions, a same-file
      // callee the text plan missed): read them by name.
      const upgrade = new Set<string>();
      const names = new Set<string>();
      for (const r of frontier) {
        for (const e of r.fn.events) {
          if (!this.wantsBody(e)) continue;
          const callee = this.resolve(e.fn, r.file);
          if (callee?.fn.stub) {
            upgrade.add(callee.file);
            names.add(callee.fn.name);
          }
        }
      }
      if (upgrade.size) {
        await this.project.ensureFacts([...upgrade], 'creations', [...names]);
        frontier = frontier.map((r) => this.functionsIn(r.file).find((f) => f.name === r.fn.name && !f.stub) ? { file: r.file, fn: this.functionsIn(r.file).find((f) => f.name === r.fn.name)! } : r);
      }
      const next: FnRef[] = [];
      for (const r of frontier) {
        for (const e of r.fn.events) {
          if (!this.wantsBody(e) || (underLockOnly && e.held.length === 0)) continue;
          const callee = this.resolve(e.fn, r.file);
          if (callee && !seen.has(keyOf(callee))) {
            seen.add(keyOf(callee));
            next.push(callee);
          }
        }
      }
      frontier = next;
    }
    await this.prepareStructs([...seen].map((k) => k.slice(0, k.lastIndexOf('#'))));
    trace('struct headers read');
    this.invalidate();
  }

  /** Load the headers that define struct types used in multi-field lock paths. */
  async prepareStructs(files: string[]): Promise<void> {
    for (let round = 0; round < 3; round++) {
      const types = new Set<string>();
      for (const file of new Set(files)) {
        for (const fn of this.functionsIn(file)) {
          for (const l of fn.locks) if (l.fields.length > 1 && l.baseType) types.add(l.baseType);
          // A lock passed to a helper is named through the same struct path.
          for (const e of fn.events) if (e.k === 'call') for (const a of e.lockArgs ?? []) if (a.ref.fields.length > 1 && a.ref.baseType) types.add(a.ref.baseType);
        }
      }
      this.buildStructs();
      for (const t of [...types]) {
        const fields = this.structs.get(t);
        if (fields) for (const ft of Object.values(fields)) { const s = structName(ft); if (s) types.add(s); }
      }
      const need = [...types].filter((t) => !this.structs.has(t)).flatMap((t) => this.structFiles(t).slice(0, 2));
      const before = this.project.facts.size;
      // Struct definitions are top-level: the headers' function bodies are not parsed.
      await this.project.ensureFacts(need, 'creations', []);
      if (this.project.facts.size === before) break;
    }
    this.structsBuiltFrom = -1;
  }

  /** The fields of struct `type` among the loaded facts (kernel definitions first). */
  structFields(type: string): Record<string, string> | undefined {
    this.buildStructs();
    return this.structs.get(type);
  }

  /** Load the headers that define these struct types and the struct types of their fields, `depth` levels. */
  async prepareStructTypes(types: string[], depth = 3): Promise<void> {
    let want = new Set(types);
    for (let round = 0; round <= depth && want.size; round++) {
      this.buildStructs();
      const need = [...want].filter((t) => !this.structs.has(t)).flatMap((t) => this.structFiles(t).slice(0, 2));
      if (need.length) await this.project.ensureFacts(need, 'creations', []);
      this.structsBuiltFrom = -1;
      this.buildStructs();
      const next = new Set<string>();
      for (const t of want) for (const ft of Object.values(this.structs.get(t) ?? {})) { const s = structName(ft); if (s && !ft.endsWith('*') && !this.structs.has(s)) next.add(s); }
      want = next;
    }
  }

  private buildStructs(): void {
    if (this.structsBuiltFrom === this.project.facts.size) return;
    this.structs.clear();
    // Kernel definitions first: a struct copied into tools/ must not name kernel lock classes.
    const facts = [...this.project.facts.values()];
    const ordered = [...facts.filter((f) => !this.outsideKernel(f.path)), ...facts.filter((f) => this.outsideKernel(f.path))];
    for (const f of ordered) for (const s of f.structs) if (!this.structs.has(s.name)) this.structs.set(s.name, s.fields);
    this.structsBuiltFrom = this.project.facts.size;
  }

  // ---- lock classes ----

  classOf(file: string, fn: FunctionFacts, ref: LockRef): string {
    this.touch(file);
    return lockClassName(ref, {
      file,
      fnName: fn.name,
      global: (sym) => this.project.facts.get(file)?.globals[sym],
      returnsOf: (name) => this.resolve(name, file)?.fn.returns,
      fields: (type) => {
        this.buildStructs();
        return this.structs.get(type);
      },
    });
  }

  // ---- summaries ----

  /** What the memoised summaries hold (SLABCHECK_TRACE): their count, lock acquisitions, allocations and file-set entries. */
  summaryStats(): string {
    let acq = 0, allocs = 0, files = 0, steps = 0;
    for (const s of this.memo.values()) {
      acq += s.acquires.size; allocs += s.allocs.length; files += s.files?.size ?? 0;
      for (const a of s.acquires.values()) steps += a.chain.length;
    }
    return `${this.memo.size} summaries, ${acq} acquisitions (${steps} chain steps), ${allocs} allocations, ${files} file-set entries`;
  }

  /**
   * What `ref` does, through its callees. Its own gfp_t parameters are bound to "the gfp it
   * was given": an allocation with that gfp (directly, or in a callee it is passed to)
   * honours the caller and counts as neither sleeping nor atomic (`honoursGfp` records it).
   */
  summary(ref: FnRef): Summary {
    return this.summaryIn(ref, rootEnv(ref.fn), 0);
  }

  /**
   * The summary of `ref` with its parameters bound to `env`, `depth` calls below the root.
   * Recursion: a function met again while its summary is being computed contributes nothing
   * yet; every summary that depended on one is provisional and recomputed until nothing grows
   * once the outermost summary is done (settle), so what a cycle's members do does not depend
   * on which of them was asked first (as the whole-tree graph's closures).
   */
  private summaryIn(ref: FnRef, env: GfpEnv, depth: number): Summary {
    const key = `${keyOf(ref)}|${envKey(env)}`;
    const m = this.memo.get(key);
    if (m) {
      for (const f of m.files ?? []) this.touch(f);
      // A provisional member of a cycle still being summarised: this caller depends on that cycle's head.
      const p = this.provisional.get(key);
      if (p) this.low = Math.min(this.low, p.low);
      return m;
    }
    const s: Summary = { ref, acquires: new Map(), allocs: [], frees: [], unresolved: new Set() };
    const at = this.stack.get(key);
    if (at !== undefined) {
      this.low = Math.min(this.low, at);
      return s;
    }
    if (this.stack.size >= MAX_SUMMARY_DEPTH) {
      // Not memoised: from a shallower start the same function is read in full.
      s.limit = { what: `call chain deeper than ${MAX_SUMMARY_DEPTH} functions`, fn: ref.fn.name, file: ref.file, span: ref.fn.nameAt };
      s.incomplete = true;
      return s;
    }
    // Tarjan's lowlink over the summaries being computed: a summary that met a function above
    // it on the stack is provisional until that function (the cycle's head) is done.
    const mine = this.stack.size;
    this.stack.set(key, mine);
    const outer = this.low;
    this.low = Infinity;
    this.fillSummary(ref, s, env, depth);
    const low = this.low;
    this.stack.delete(key);
    this.memo.set(key, s);
    if (low < mine) this.provisional.set(key, { ref, env, depth, low });
    else if (this.provisional.size) this.settle(mine);
    this.low = Math.min(outer, low);
    return this.memo.get(key) ?? s;
  }

  private stack = new Map<string, number>();
  private low = Infinity;
  /** Summaries that met a function still on the stack (`low`: its depth there). */
  private provisional = new Map<string, { ref: FnRef; env: GfpEnv; depth: number; low: number }>();

  private fillSummary(ref: FnRef, s: Summary, env: GfpEnv, depth: number): void {
    const files = this.beginTouch();
    files.add(ref.file);
    try {
      this.computeSummary(ref, s, env, depth);
    } finally {
      this.endTouch(files);
    }
    s.files = files;
    this.touch(ref.file);
  }

  /**
   * A cycle's head (at stack depth `head`) is done and complete; recompute the members below it
   * until none grows (each is a union over its callees', the head's final one among them).
   */
  private settle(head: number): void {
    const sig = (x: Summary | undefined) => x ? `${x.acquires.size}|${x.allocs.length}|${x.frees.length}|${!!x.maySleep}|${x.unresolved.size}|${!!x.incomplete}|${x.releasesCallers?.size ?? 0}|${!!x.honoursGfp}` : '';
    const members = () => [...this.provisional].filter(([, p]) => p.low >= head);
    const todo = members();
    for (const [key] of todo) this.provisional.delete(key);
    for (let round = 0, changed = true; changed && round < 10; round++) {
      changed = false;
      for (const [key, p] of todo) {
        const s: Summary = { ref: p.ref, acquires: new Map(), allocs: [], frees: [], unresolved: new Set() };
        const saved = this.low;
        this.low = Infinity;
        this.fillSummary(p.ref, s, p.env, p.depth);
        this.low = saved;
        if (sig(s) !== sig(this.memo.get(key))) changed = true;
        this.memo.set(key, s);
      }
    }
  }

  private computeSummary(ref: FnRef, s: Summary, env: GfpEnv, depth: number): void {
    const { file, fn } = ref;
    const step = (at: Span, note: string): Step => ({ file, span: at, note });
    for (const imb of fn.imbalances) {
      if (imb.kind === 'unheld') (s.releasesCallers ??= new Set()).add(this.classOf(file, fn, fn.locks[imb.lock]));
    }
    for (const e of fn.events) {
      if (e.k === 'lock') {
        const cls = this.classOf(file, fn, fn.locks[e.lock]);
        const chain = [step(e.at, `${fn.name}() takes ${cls} (${e.fn})`)];
        // The first acquisition is the evidence, unless it was a trylock and this one waits.
        if (!s.acquires.has(cls) || (s.acquires.get(cls)!.trylock && !e.trylock)) {
          const r = fn.locks[e.lock];
          s.acquires.set(cls, { cls, kind: e.kind, irq: e.irq, irqOff: e.irqOff || e.irq === 'irq' || e.irq === 'irqsave', trylock: !!e.trylock, ...(r.param !== undefined ? { param: r } : {}), chain });
        }
        if (SLEEPING_KINDS.has(e.kind) && !e.trylock && !s.maySleep) s.maySleep = [step(e.at, `${fn.name}() takes sleeping lock ${cls} (${e.fn})`)];
      } else if (e.k === 'alloc') {
        const fact = ALLOCATORS[e.fn];
        const g = fact?.gfpArg === -1 ? { cls: 'sleep' as const } : gfpValue(e.gfp ?? 'GFP_KERNEL', fn, env);
        const shown = e.gfp === undefined ? (fact?.gfpArg === -1 ? 'always GFP_KERNEL' : '') : g.from ? `${e.gfp} = ${g.text}` : e.gfp;
        const chain = [step(e.at, `${fn.name}() allocates with ${e.fn}(${shown})${g.cls === 'caller' ? ', the gfp its caller gave' : ''}`)];
        const cacheId = this.cacheIdOf(file, fn, e.cacheRef);
        s.allocs.push({
          fn: e.fn, gfp: e.gfp, gfpClass: g.cls, gfpFrom: g.from, gfpBound: g.from ? g.text : undefined, cache: e.cache, cacheId: typeof cacheId === 'string' ? cacheId : undefined, cacheParam: typeof cacheId === 'object' ? cacheId.param : undefined,
          percpu: !!fact?.percpu, checked: e.checked, assignedTo: e.assignedTo, returned: e.returned, chain,
        });
        if (g.cls === 'sleep' && !s.maySleep) {
          s.maySleep = [step(e.at, `${fn.name}() calls ${e.fn}(${e.gfp === undefined ? 'GFP_KERNEL' : shown}), which may sleep`)];
        }
        if (g.cls === 'caller' && !s.honoursGfp) s.honoursGfp = chain;
        // The gfp decides whether an allocator sleeps; its body (when read) says which locks it takes.
        this.mergeCallee(s, e, chain[0], { gfp: g.cls, effectsOnly: true, sleepFromBody: false }, env, depth);
      } else if (e.k === 'free') {
        const chain = [step(e.at, `${fn.name}() frees with ${e.fn}()`)];
        s.frees.push({ fn: e.fn, allocator: e.fn, cache: e.cache, arg: e.arg, chain });
        this.mergeCallee(s, e, chain[0], { gfp: 'unknown', effectsOnly: true, sleepFromBody: true }, env, depth);
      } else if (e.k === 'call') {
        if (OPAQUE_PREFIXES.test(e.fn) && !this.kbFunctions[e.fn]) continue;
        this.mergeCallee(s, e, step(e.at, `${fn.name}() calls ${e.fn}()`), { gfp: 'unknown', effectsOnly: false, sleepFromBody: true }, env, depth, fn);
      }
    }
  }

  /**
   * What a call (or an allocator's or free's own body) adds: the body's summary when the
   * analysis reads it (a call's gfp arguments bound to the callee's parameters), the knowledge
   * base's facts when it does not, and both when the body could not be read to the end (a
   * knowledge-base claim is dropped only by a complete body).
   * `effectsOnly`: an allocation or a free already recorded itself: not its body's allocations and frees.
   * `sleepFromBody`: false for an allocation, whose gfp, not its body, says whether it sleeps.
   */
  private mergeCallee(
    s: Summary, e: FnEvent, site: Step, o: { gfp: GfpClass; effectsOnly: boolean; sleepFromBody: boolean },
    env: GfpEnv, depth: number, caller?: FunctionFacts,
  ): void {
    const kb = this.kbFunctions[e.fn];
    const callee = this.wantsBody(e) ? this.resolve(e.fn, site.file) : undefined;
    if (!callee) {
      if (kb) this.mergeKnown(s, e.fn, site, e.irqOff, o.gfp);
      else if (e.k === 'call') s.unresolved.add(e.fn);
      return;
    }
    const bound = e.k === 'call' && caller && depth < MAX_GFP_DEPTH ? argsEnv(e, caller, env, site) : [];
    const cs = this.summaryIn(callee, bound, depth + 1);
    if (cs.incomplete || cs.unresolved.size) s.incomplete = true;
    // A caller's lock the callee drops is the caller's caller's too, unless this function took it.
    for (const c of cs.releasesCallers ?? []) {
      if (!caller || !caller.events.some((x) => x.k === 'lock' && this.classOf(site.file, caller, caller.locks[x.lock]) === c)) (s.releasesCallers ??= new Set()).add(c);
    }
    if (cs.limit && !s.limit) s.limit = cs.limit;
    for (const a0 of cs.acquires.values()) {
      // An atomic gfp skips the allocator's sleeping locks (pcpu_alloc() takes pcpu_alloc_mutex only when it may block).
      if (o.gfp === 'atomic' && SLEEPING_KINDS.has(a0.kind)) continue;
      const a = this.bindAcq(a0, e, site.file, caller);
      const cls = a.cls;
      // A waiting acquisition wins over an earlier trylock of the same class (a trylock fast path hides nothing).
      if (!s.acquires.has(cls) || (s.acquires.get(cls)!.trylock && !a.trylock)) s.acquires.set(cls, { ...a, irqOff: a.irqOff || e.irqOff, chain: prefix(site, a.chain) });
    }
    if (o.sleepFromBody && cs.maySleep && !s.maySleep) s.maySleep = prefix(site, cs.maySleep);
    if (!o.effectsOnly) {
      if (cs.honoursGfp && !s.honoursGfp) s.honoursGfp = prefix(site, cs.honoursGfp);
      for (const a of cs.allocs) {
        if (s.allocs.length >= 32) break;
        // An allocation the callee returns is checked (or returned on) where this function uses the call's result.
        const up = !!a.returned && e.k === 'call';
        const call = e as Extract<FnEvent, { k: 'call' }>;
        // A helper allocating from the cache it is given: the cache is what this call passes.
        const passed = a.cacheParam !== undefined && e.k === 'call' && caller ? this.cacheIdOf(site.file, caller, call.args?.[a.cacheParam]) : undefined;
        const cache = a.cacheParam === undefined ? {} : { cacheId: typeof passed === 'string' ? passed : undefined, cacheParam: typeof passed === 'object' ? passed.param : undefined };
        s.allocs.push({ ...a, ...cache, checked: up ? !!call.checked : a.checked, returned: up && !!call.returned, handedUp: up, chain: prefix(site, a.chain) });
      }
      for (const f of cs.frees) if (s.frees.length < 32) s.frees.push({ ...f, chain: prefix(site, f.chain) });
    }
    if (kb && (cs.incomplete || cs.unresolved.size)) this.mergeKnown(s, e.fn, site, e.irqOff, o.gfp);
  }

  /**
   * A callee's lock reached through its parameter, seen from the call `e` in `caller`: the class
   * of the argument passed (still a parameter of `caller` when it passes its own on). Unbound
   * (nothing readable passed) it keeps the callee's fallback name.
   */
  private bindRef(p: LockRef, e: FnEvent, file: string, caller: FunctionFacts | undefined): { cls: string; param?: LockRef } | undefined {
    if (!caller || e.k !== 'call') return undefined;
    const arg = e.lockArgs?.find((x) => x.i === p.param);
    if (!arg) return undefined;
    const ref = bindLockRef(p, arg.ref);
    return { cls: this.classOf(file, caller, ref), ...(ref.param !== undefined ? { param: ref } : {}) };
  }

  private bindAcq(a: LockAcq, e: FnEvent, file: string, caller: FunctionFacts | undefined): LockAcq {
    if (!a.param) return a;
    const b = this.bindRef(a.param, e, file, caller);
    if (!b) return { ...a, param: undefined };
    const out: LockAcq = { ...a, cls: b.cls };
    if (b.param) out.param = b.param;
    else delete out.param;
    return out;
  }

  /** Effects of a knowledge-base function called at `site`, with the gfp it was called with. */
  private mergeKnown(s: Summary, name: string, site: Step, irqOff: boolean, gfp: GfpClass): void {
    const kb = this.kbFunctions[name];
    if (!kb) return;
    for (const l of kb.locks ?? []) {
      // An atomic percpu allocation does not take pcpu_alloc_mutex.
      if (gfp === 'atomic' && l.kind === 'mutex') continue;
      if (s.acquires.has(l.lock)) continue;
      s.acquires.set(l.lock, {
        cls: l.lock, kind: l.kind, irq: l.irq, irqOff: irqOff || l.irq === 'irq' || l.irq === 'irqsave', trylock: false,
        ...(gfp === 'caller' && l.kind === 'mutex' ? { ifCallerGfpSleeps: true } : {}),
        chain: [site, { file: site.file, span: site.span, note: `${name}() ${l.maybe ? 'may take' : 'takes'} ${l.lock} (${kb.source})` }],
      });
    }
    if (kb.maySleep && !s.maySleep) s.maySleep = [site, { file: site.file, span: site.span, note: `${name}() may sleep (${kb.source})` }];
    // With the caller's gfp the sleeping lock is taken only when that gfp allows blocking
    // (mm/percpu.c, 6.12: pcpu_alloc() takes pcpu_alloc_mutex when gfpflags_allow_blocking(gfp)).
    if (!kb.maySleep && gfp !== 'atomic' && gfp !== 'caller' && (kb.locks ?? []).some((l) => SLEEPING_KINDS.has(l.kind)) && !s.maySleep) {
      s.maySleep = [site, { file: site.file, span: site.span, note: `${name}() takes a sleeping lock (${kb.source})` }];
    }
  }

  // ---- lock graph ----

  /** Where the lock held at event index `upto` was taken, for evidence. */
  private takenStep(ref: FnRef, lockIdx: number, upto: number): Step | undefined {
    for (let i = upto - 1; i >= 0; i--) {
      const e = ref.fn.events[i];
      if (e.k === 'lock' && e.lock === lockIdx) return { file: ref.file, span: e.at, note: `${ref.fn.name}() holds ${this.classOf(ref.file, ref.fn, ref.fn.locks[lockIdx])} from here` };
    }
    return undefined;
  }

  /**
   * Edges A -> B created inside one function (directly or through what it calls while holding
   * A), and those its callees make about a lock it passes them, bound to its argument. Edges
   * with an end at one of its own parameters are not here: its callers bind them (pendingOf).
   */
  edgesOf(ref: FnRef): Edge[] {
    return this.edgesIn(ref).filter((e) => !e.fromParam && !e.toParam);
  }

  /** A function's edges with an end at one of its parameters' locks (fallback names; memoised, recursion sees none). */
  pendingOf(ref: FnRef): Edge[] {
    const key = keyOf(ref);
    const hit = this.pendingMemo.get(key);
    if (hit) return hit;
    this.pendingMemo.set(key, []);
    const out = this.edgesIn(ref).filter((e) => e.fromParam || e.toParam);
    this.pendingMemo.set(key, out);
    return out;
  }

  private edgesIn(ref: FnRef): Edge[] {
    const out: Edge[] = [];
    const { file, fn } = ref;
    fn.events.forEach((e, i) => {
      const here: Step = { file, span: e.at, note: '' };
      // What a callee does under a lock this call passes it.
      if (e.k === 'call' && e.lockArgs && this.wantsBody(e)) {
        const callee = this.resolve(e.fn, file);
        if (callee) {
          for (const p of this.pendingOf(callee)) {
            // Nothing readable passed for that parameter: the callee's fallback name (as the whole-tree graph does).
            const from = p.fromParam ? this.bindRef(p.fromParam, e, file, fn) ?? { cls: p.from } : undefined;
            const to = p.toParam ? this.bindRef(p.toParam, e, file, fn) ?? { cls: p.to } : undefined;
            const edge: Edge = { from: from?.cls ?? p.from, to: to?.cls ?? p.to, chain: prefix({ ...here, note: `${fn.name}() calls ${e.fn}()` }, p.chain).slice(0, MAX_CHAIN) };
            if (from?.param) edge.fromParam = from.param;
            if (to?.param) edge.toParam = to.param;
            if (edge.from !== edge.to) out.push(edge);
          }
        }
      }
      if (!e.held.length) return;
      const targets: { cls: string; param?: LockRef; chain: Step[] }[] = [];
      let dropped: Set<string> | undefined;
      if (e.k === 'lock') {
        if (e.trylock) return; // a trylock never waits, so it orders nothing
        const cls = this.classOf(file, fn, fn.locks[e.lock]);
        const r = fn.locks[e.lock];
        targets.push({ cls, ...(r.param !== undefined ? { param: r } : {}), chain: [{ ...here, note: `${fn.name}() takes ${r.param !== undefined ? `${r.text}, the lock its caller passed` : cls} (${e.fn})` }] });
      } else if (e.k === 'call' || e.k === 'alloc' || e.k === 'free') {
        const kb = this.kbFunctions[e.fn];
        const atomic = e.k === 'alloc' && allocGfpClass(e.fn, e.gfp) === 'atomic';
        if (kb) {
          for (const l of kb.locks ?? []) {
            if (atomic && l.kind === 'mutex') continue;
            targets.push({ cls: l.lock, chain: [{ ...here, note: `${fn.name}() calls ${e.fn}(), which ${l.maybe ? 'may take' : 'takes'} ${l.lock} (${kb.source})` }] });
          }
        }
        // Edges take both: what the knowledge base says and what the body shows (the whole-tree graph does the same).
        if (this.wantsBody(e)) {
          const callee = this.resolve(e.fn, file);
          if (callee) {
            dropped = this.summary(callee).releasesCallers;
            for (const a0 of this.summary(callee).acquires.values()) {
              if (a0.trylock) continue;
              const a = this.bindAcq(a0, e, file, fn);
              targets.push({ cls: a.cls, ...(a.param ? { param: a.param } : {}), chain: prefix({ ...here, note: `${fn.name}() calls ${e.fn}()` }, a.chain) });
            }
            // With the gfp this call passes bound: a helper allocating with its gfp parameter, given GFP_KERNEL, may reclaim.
            const bound = e.k === 'call' && e.args?.length ? this.summaryIn(callee, argsEnv(e, fn, rootEnv(fn), here), 1) : this.summary(callee);
            for (const al of bound.allocs) {
              if (al.gfpClass === 'sleep') targets.push({ cls: FS_RECLAIM, chain: prefix({ ...here, note: `${fn.name}() calls ${e.fn}()` }, al.chain) });
            }
          }
        }
        if (e.k === 'alloc') {
          if (allocGfpClass(e.fn, e.gfp) === 'sleep') targets.push({ cls: FS_RECLAIM, chain: [{ ...here, note: `${fn.name}() allocates with ${e.fn}(${e.gfp ?? 'GFP_KERNEL'}), which may enter reclaim (fs_reclaim)` }] });
        }
      }
      for (const h of new Set(e.held)) {
        const from = this.classOf(file, fn, fn.locks[h]);
        const fromRef = fn.locks[h];
        // The callee releases it before doing what it does: nothing of it is under `from`.
        if (dropped?.has(from)) continue;
        const taken = this.takenStep(ref, h, i);
        for (const t of targets) {
          if (t.cls === from) continue;
          const edge: Edge = { from, to: t.cls, chain: (taken ? [taken, ...t.chain] : t.chain).slice(0, MAX_CHAIN) };
          if (fromRef.param !== undefined) edge.fromParam = fromRef;
          if (t.param) edge.toParam = t.param;
          out.push(edge);
        }
      }
    });
    return out;
  }

  /** The lock graph over every loaded function: one evidence chain per edge. */
  lockGraph(files: Iterable<string> = this.project.facts.keys()): Map<string, Map<string, Edge>> {
    const g = new Map<string, Map<string, Edge>>();
    const add = (e: Edge) => {
      let m = g.get(e.from);
      if (!m) g.set(e.from, (m = new Map()));
      if (!m.has(e.to)) m.set(e.to, e);
    };
    const list = [...files];
    // Functions some call passes a readable lock: their parameter edges are bound there.
    const bound = new Set<string>();
    for (const file of list) for (const fn of this.functionsIn(file)) for (const e of fn.events) {
      if (e.k !== 'call' || !e.lockArgs) continue;
      const callee = this.resolve(e.fn, file);
      if (callee) bound.add(keyOf(callee));
    }
    for (const file of list) {
      for (const fn of this.functionsIn(file)) {
        for (const e of this.edgesOf({ file, fn })) add(e);
        // Never dropped: a function no call binds keeps its nestings under the fallback name (`file.c:f:lock`).
        if (!bound.has(keyOf({ file, fn }))) for (const e of this.pendingOf({ file, fn })) if (e.from !== e.to) add(e);
      }
    }
    return g;
  }

  /** The stored whole-tree lock graph of a big tree, when one matches the files on disk (Engine). */
  wholeGraph?: GraphView;

  /**
   * Edges leaving a class: from the knowledge base when it knows, else from the code that holds
   * it: on big trees the stored whole-tree graph, else a text search for its likeliest holders.
   */
  async edgesFrom(cls: string): Promise<{ edges: Edge[]; known?: InternalLock & { why?: string; declared?: boolean }; searched?: { files: number; of: number }; whole?: boolean }> {
    const known = this.lockFacts.get(cls);
    // A leaf declared in .slabcheck.json is the user's call; the knowledge base's claims yield to the code.
    if (known?.declared && (known.leaf || known.nonLeafBecause)) return { edges: [], known };
    let files: string[];
    let searched: { files: number; of: number } | undefined;
    const whole = this.project.demandDriven ? this.wholeGraph : undefined;
    if (whole?.has(cls)) {
      // The whole tree's graph as stored (on disk); an editor buffer's own edges are read from its text.
      const edges: Edge[] = whole.nests(cls).map((n) => ({ from: cls, to: n.cls, chain: n.evidence }));
      const overlays = [...this.project.overlays.keys()];
      await this.project.ensureFacts(overlays);
      for (const file of overlays) {
        for (const fn of this.functionsIn(file)) {
          if (!fn.events.some((e) => e.k === 'lock')) continue;
          for (const e of this.edgesOf({ file, fn })) if (e.from === cls && !edges.some((x) => x.to === e.to)) edges.push(e);
        }
      }
      return { edges, known, whole: true };
    }
    if (this.project.demandDriven) {
      const words = classWords(cls);
      let cands = await this.project.filesMentioning(words);
      // A common class (inode.i_lock) is mentioned in thousands of files: parse the most
      // likely holders first and say how much was searched, instead of parsing half the tree.
      if (cands.length > MAX_HOLDER_FILES) {
        const last = words[words.length - 1];
        // (hasLock is unknown when the pre-scan did not look: neither first nor last.)
        const score = (f: string) => { const l = this.project.prescan.get(f)?.hasLock; return (l ? 0 : l === undefined ? 1 : 2) + (f.endsWith('.c') ? 0 : 1); };
        cands = [...cands].sort((x, y) => score(x) - score(y) || (x < y ? -1 : 1));
        searched = { files: MAX_HOLDER_FILES, of: cands.length };
        cands = cands.slice(0, MAX_HOLDER_FILES);
        void last;
      }
      await this.project.ensureFacts(cands);
      const roots: FnRef[] = [];
      for (const f of cands) for (const fn of this.functionsIn(f)) if (fn.events.some((e) => e.k === 'lock')) roots.push({ file: f, fn });
      await this.prepare(roots, 3, true);
      files = cands;
    } else files = [...this.project.facts.keys()];
    const edges: Edge[] = [];
    for (const file of files) {
      for (const fn of this.functionsIn(file)) {
        if (!fn.events.some((e) => e.k === 'lock')) continue;
        for (const e of this.edgesOf({ file, fn })) if (e.from === cls) edges.push(e);
      }
    }
    return { edges, known, searched };
  }

  // ---- caches ----

  async caches(): Promise<CacheInfo[]> {
    const p = this.project;
    const createFiles = p.files.filter((f) => p.prescan.get(f)?.hasCreate);
    await p.ensureFacts(createFiles, p.demandDriven ? 'creations' : undefined);
    const out: CacheInfo[] = [];
    const roots: FnRef[] = [];
    const needDefs = new Set<string>();
    const wanted = new Set<string>();
    for (const file of createFiles) {
      for (const c of p.facts.get(file)?.caches ?? []) {
        for (const name of refNames(c.ctor).concat(refNames(c.dtor))) if (!this.functionsIn(file).some((f) => f.name === name)) {
          for (const f of this.candidateFiles(name, file).slice(0, 3)) needDefs.add(f);
          wanted.add(name);
        }
      }
    }
    trace('creation files parsed');
    await p.ensureFacts([...needDefs], p.demandDriven ? 'creations' : undefined, [...wanted]);
    trace(`ctor definition files parsed (${needDefs.size})`);
    // A ctor/dtor defined in another file that was read as a stub: read that file fully.
    const stubbed = new Set<string>();
    for (const file of createFiles) for (const c of p.facts.get(file)?.caches ?? []) {
      for (const name of refNames(c.ctor).concat(refNames(c.dtor))) { const d = this.resolve(name, file); if (d?.fn.stub) stubbed.add(d.file); }
    }
    await p.ensureFacts([...stubbed]);
    trace(`stubbed ctor files parsed (${stubbed.size})`);
    for (const file of createFiles) {
      for (const c of p.facts.get(file)?.caches ?? []) {
        const info: CacheInfo = { file, creation: c, allocSites: [] };
        if (c.ctor.kind === 'function') {
          info.ctor = this.resolve(c.ctor.name, file);
          info.ctorMissing = !info.ctor;
        }
        if (c.dtor.kind === 'function') {
          info.dtor = this.resolve(c.dtor.name, file);
          info.dtorMissing = !info.dtor;
        }
        if (c.ctor.kind === 'indirect' && c.ctor.candidates?.length) info.ctorCandidates = this.resolveAll(c.ctor.candidates, file);
        if (c.dtor.kind === 'indirect' && c.dtor.candidates?.length) info.dtorCandidates = this.resolveAll(c.dtor.candidates, file);
        for (const r of [info.ctor, info.dtor, ...(info.ctorCandidates ?? []), ...(info.dtorCandidates ?? [])]) if (r) roots.push(r);
        out.push(info);
      }
    }
    await this.prepare(roots);
    trace('ctor callees read');
    return out;
  }

  private resolveAll(names: string[], file: string): FnRef[] {
    return names.map((n) => this.resolve(n, file)).filter((r): r is FnRef => !!r);
  }

  // ---- cache identity ----

  /**
   * What a cache expression in `fn` of `file` is: a global (`foo_cachep`; a file static as
   * `path:foo_cachep`), a struct field class named like a lock class (`pool.cache` whichever
   * variable reaches it), or the function's parameter (bound by its callers). A local
   * variable, a call, or a field of something of unknown type: undefined (never matched).
   */
  cacheIdOf(file: string, fn: FunctionFacts | undefined, a: ArgRef | undefined): string | { param: number } | undefined {
    if (!a) return undefined;
    if (a.p !== undefined) return { param: a.p };
    if (a.t.endsWith('...')) return undefined;
    const m = VAR_PATH.exec(unparen(a.t));
    if (!m) return undefined;
    const sym = m[1];
    const array = m[2] ? '[]' : '';
    const fields = [...m[3].matchAll(/(?:->|\.)\s*([A-Za-z_]\w*)/g)].map((x) => x[1]);
    this.touch(file);
    const g = a.local ? undefined : this.project.facts.get(file)?.globals[sym];
    if (!fields.length) {
      if (a.local) return undefined;
      return `${g?.isStatic ? `${file}:` : ''}${sym}${array}`;
    }
    const type = a.local ? a.type : g ? structName(g.type) : undefined;
    if (!type) return a.local ? undefined : `${sym}.${fields.join('.')}`;
    return lockClassName({ text: a.t, baseType: type, fields }, {
      file, fnName: fn?.name ?? '', global: () => undefined, returnsOf: () => undefined,
      fields: (t) => {
        this.buildStructs();
        return this.structs.get(t);
      },
    });
  }

  /** The identity of the cache a creation stores into (`assignedTo`), or undefined when it cannot be named. */
  cacheIdOfCreation(info: CacheInfo): string | undefined {
    const c = info.creation;
    if (!c.assignedTo) return undefined;
    const fn = c.inFunction ? this.functionsIn(info.file).find((f) => f.name === c.inFunction) : undefined;
    const id = this.cacheIdOf(info.file, fn, c.assignedRef ?? argRef(c.assignedTo, fn?.params ?? []));
    return typeof id === 'string' ? id : undefined;
  }

  /**
   * Files where a cache may be used: the files whose pre-scan saw it as the first argument of
   * kmem_cache_alloc/free (by last name: a filter, not an identity), and the files of the
   * creation's directory, its own included, that pass it to a call (a helper given the cache,
   * `alloc_inode_sb(sb, ext4_inode_cachep, GFP_NOFS)`). Full facts.
   */
  private async cacheFiles(info: CacheInfo, id: string): Promise<string[]> {
    const p = this.project;
    if (!p.demandDriven) return [info.file, ...[...p.facts.keys()].filter((f) => f !== info.file)];
    const last = info.creation.assignedTo!.split(/->|\./).pop()!.replace(/\[.*$/, '').trim();
    const dir = info.file.slice(0, info.file.lastIndexOf('/'));
    // A caller passing `x->cache` for the class foo.cache names struct foo somewhere (a field
    // named `cache` is in half the files of a directory); a global is named by itself.
    const words = [...new Set([last, ...classWords(id.slice(id.lastIndexOf(':') + 1).replace(/\[\]$/, ''))])];
    // ...and passes it as an argument: `f(x, h->cache)` (not a field read or a declaration).
    const asArg = new RegExp(`[(,]\\s*(?:[A-Za-z_][\\w\\[\\]]*\\s*(?:->|\\.)\\s*)*${last}\\s*[,)]`);
    const uses = p.cacheUseIndex.get(last) ?? [];
    const near: string[] = [];
    for (const f of this.filesIn(dir)) {
      if (uses.includes(f)) continue;
      let text = p.overlays.get(f);
      if (text === undefined) {
        try {
          text = fs.readFileSync(f, 'latin1');
        } catch {
          continue;
        }
      }
      if (words.every((w) => text!.includes(w)) && asArg.test(text)) near.push(f);
    }
    // Its own file first (where a rule wants the nearest site).
    const files = [...new Set([...uses, ...near])].sort((a, b) => (a === info.file ? -1 : b === info.file ? 1 : 0));
    await p.ensureFacts(files);
    return files;
  }

  private dirFiles?: Map<string, string[]>;

  /** The workspace's files in directory `dir` (not below it). */
  private filesIn(dir: string): string[] {
    if (!this.dirFiles) {
      this.dirFiles = new Map();
      for (const f of this.project.files) {
        const d = f.slice(0, f.lastIndexOf('/'));
        const l = this.dirFiles.get(d);
        if (l) l.push(f);
        else this.dirFiles.set(d, [f]);
      }
    }
    return this.dirFiles.get(dir) ?? [];
  }

  private siteMemo = new WeakMap<CacheInfo, Promise<{ allocs: AllocSite[]; frees: FreeSite[] }>>();

  /** Where objects of this cache are allocated (kmem_cache_alloc(var, gfp)), with the locks held there. */
  async allocSites(info: CacheInfo): Promise<AllocSite[]> {
    const sites = (await this.cacheSites(info)).allocs;
    info.allocSites = sites;
    return sites;
  }

  /** Where objects of this cache are freed (kmem_cache_free(var, obj)). */
  async freeSites(info: CacheInfo): Promise<FreeSite[]> {
    return (await this.cacheSites(info)).frees;
  }

  private cacheSites(info: CacheInfo): Promise<{ allocs: AllocSite[]; frees: FreeSite[] }> {
    let r = this.siteMemo.get(info);
    if (!r) {
      r = this.findCacheSites(info);
      this.siteMemo.set(info, r);
    }
    return r;
  }

  /**
   * Allocations and frees whose cache expression is this cache (same identity, not the same
   * name), and those in helpers given the cache as an argument: a call passing the cache binds
   * the callee's parameter, followed MAX_CACHE_BIND_DEPTH calls deep.
   */
  private async findCacheSites(info: CacheInfo): Promise<{ allocs: AllocSite[]; frees: FreeSite[] }> {
    const out = { allocs: [] as AllocSite[], frees: [] as FreeSite[] };
    const id = this.cacheIdOfCreation(info);
    if (!id) return out;
    const files = await this.cacheFiles(info, id);
    const passes: { ref: FnRef; idx: number; arg: number }[] = [];
    for (const file of files) {
      for (const fn of this.functionsIn(file)) {
        const ref = { file, fn };
        fn.events.forEach((e, i) => {
          if (e.k === 'alloc' || e.k === 'free') {
            if (this.cacheIdOf(file, fn, e.cacheRef) === id) this.addSite(out, ref, i, [], [], []);
          } else if (e.k === 'call' && e.args && !this.isKnown(e.fn)) {
            e.args.forEach((a, j) => {
              if (this.cacheIdOf(file, fn, a) === id) passes.push({ ref, idx: i, arg: j });
            });
          }
        });
      }
    }
    for (const p of passes) await this.followCacheParam(out, p.ref, p.idx, p.arg, 1, [], [], []);
    return out;
  }

  /** The call at `idx` of `ref` passes the cache as argument `arg`: the callee's uses of that parameter. */
  private async followCacheParam(
    out: { allocs: AllocSite[]; frees: FreeSite[] }, ref: FnRef, idx: number, arg: number, depth: number,
    via: Step[], outerHeld: AllocSite['held'], outerEnv: GfpEnv, outerIrqOff = false,
  ): Promise<void> {
    const e = ref.fn.events[idx];
    if (e.k !== 'call') return;
    // A helper given the cache is often a header's static inline (6.1's alloc_inode_sb()),
    // which resolve() does not serve to other files.
    const find = () => this.resolve(e.fn, ref.file) ?? this.headerInline(e.fn, ref.file);
    let callee = find();
    if ((!callee || callee.fn.stub) && this.project.demandDriven) {
      await this.project.ensureFacts(this.candidateFiles(e.fn, ref.file).slice(0, 2));
      callee = find();
    }
    if (!callee || callee.fn.stub) return;
    const step: Step = { file: ref.file, span: e.at, note: `${ref.fn.name}() passes ${e.args![arg].t} to ${e.fn}()${e.held.length ? ` holding ${[...new Set(e.held)].map((h) => this.classOf(ref.file, ref.fn, ref.fn.locks[h])).join(', ')}` : ''}` };
    const held = [...outerHeld, ...this.heldAt(ref, idx)];
    const env = argsEnv(e, ref.fn, outerEnv, step);
    const irqOff = outerIrqOff || e.irqOff;
    const c = callee;
    for (let i = 0; i < c.fn.events.length; i++) {
      const x = c.fn.events[i];
      if ((x.k === 'alloc' || x.k === 'free') && x.cacheRef?.p === arg) this.addSite(out, c, i, [...via, step], held, env, irqOff);
      else if (x.k === 'call' && depth < MAX_CACHE_BIND_DEPTH && x.args) {
        for (let k = 0; k < x.args.length; k++) if (x.args[k].p === arg) await this.followCacheParam(out, c, i, k, depth + 1, [...via, step], held, env, irqOff);
      }
    }
  }

  /** A static (inline) definition of `name` in a header `fromFile` may include. */
  private headerInline(name: string, fromFile: string): FnRef | undefined {
    for (const file of this.candidateFiles(name, fromFile)) {
      if (!file.endsWith('.h')) continue;
      const fn = this.functionsIn(file).find((x) => x.name === name);
      if (fn) return { file, fn };
    }
    return undefined;
  }

  /** Locks held at event `idx` of `ref`, with where each was taken. */
  private heldAt(ref: FnRef, idx: number): AllocSite['held'] {
    const { file, fn } = ref;
    return [...new Set(fn.events[idx].held)].map((h) => ({
      cls: this.classOf(file, fn, fn.locks[h]),
      kind: (fn.events.find((x) => x.k === 'lock' && x.lock === h) as { kind: LockKind } | undefined)?.kind ?? 'spin',
      takenAt: this.takenStep(ref, h, idx),
    }));
  }

  private addSite(out: { allocs: AllocSite[]; frees: FreeSite[] }, ref: FnRef, idx: number, via: Step[], outerHeld: AllocSite['held'], env: GfpEnv, outerIrqOff = false): void {
    const e = ref.fn.events[idx];
    if (e.k === 'free') {
      out.frees.push({ ref, event: e, via: via.length ? via : undefined });
      return;
    }
    if (e.k !== 'alloc') return;
    const own = this.heldAt(ref, idx);
    const held = [...outerHeld.filter((h) => !own.some((o) => o.cls === h.cls)), ...own];
    let gfpClass = allocGfpClass(e.fn, e.gfp);
    let gfp: string | undefined;
    if (gfpClass === 'unknown' && e.gfp !== undefined && env.length) {
      const g = gfpValue(e.gfp, ref.fn, env);
      if (g.cls === 'sleep' || g.cls === 'atomic') {
        gfpClass = g.cls;
        gfp = g.text;
      }
    }
    out.allocs.push({ ref, event: e, held, irqOff: e.irqOff || outerIrqOff, gfpClass, gfp, via: via.length ? via : undefined });
  }
}


/** A function's own gfp_t parameters bound to the gfp it is given. */
export function rootEnv(fn: FunctionFacts): GfpEnv {
  let env: (GfpVal | undefined)[] | undefined;
  fn.params.forEach((p, i) => {
    if (/\bgfp_t\b/.test(p.type)) (env ??= [])[i] = ROOT;
  });
  return env ?? [];
}

/** The function's gfp_t parameter (the gfp a dtor-rfc ctor is given), if it has one. */
export function gfpParam(fn: FunctionFacts): { name: string; index: number } | undefined {
  const index = fn.params.findIndex((p) => /\bgfp_t\b/.test(p.type));
  return index >= 0 ? { name: fn.params[index].name, index } : undefined;
}

function envKey(env: GfpEnv): string {
  let k = '';
  for (let i = 0; i < env.length; i++) {
    const v = env[i];
    if (v) k += `${i}${v.k === 'root' ? 'R' : `=${v.text}@${v.from.file}:${v.from.span[0]}:${v.from.span[1]}`};`;
  }
  return k;
}

const IDENT = /[A-Za-z_]\w*/g;

/**
 * A gfp expression in `fn` with its parameters bound by `env`: hard-coded masks classify as
 * written (GFP_KERNEL may sleep, GFP_ATOMIC does not, `gfp & ~__GFP_DIRECT_RECLAIM` does not);
 * otherwise a parameter bound to a constant takes the constant's class, one bound to the root's
 * gfp makes it 'caller' (`gfp`, `gfp | __GFP_ZERO`); anything else is unknown.
 */
export function gfpValue(text: string, fn: FunctionFacts, env: GfpEnv): { cls: GfpClass; text?: string; from?: Step } {
  const direct = classifyGfp(text);
  if (direct !== 'unknown' || !env.length) return { cls: direct };
  let root = false;
  let konst: Extract<GfpVal, { k: 'const' }> | undefined;
  const bound = new Map<string, GfpVal>();
  for (const id of text.match(IDENT) ?? []) {
    const i = fn.params.findIndex((p) => p.name === id);
    const v = i >= 0 ? env[i] : undefined;
    if (!v) continue;
    bound.set(id, v);
    if (v.k === 'root') root = true;
    else konst ??= v;
  }
  if (konst) {
    const substituted = text.replace(IDENT, (id) => {
      const v = bound.get(id);
      return v && v.k === 'const' ? `(${v.text})` : id;
    });
    const c = classifyGfp(substituted);
    if (c !== 'unknown') return { cls: c, text: konst.text, from: konst.from };
  }
  return { cls: root ? 'caller' : 'unknown' };
}

/**
 * The callee's parameters bound from a call's arguments: a parameter of the caller passed on
 * keeps its binding, a gfp expression over bound parameters or constants gets its value (a
 * constant remembers the call that wrote it). Other arguments stay unbound.
 */
export function argsEnv(e: Extract<FnEvent, { k: 'call' }>, fn: FunctionFacts, env: GfpEnv, site: Step): GfpEnv {
  if (!e.args) return [];
  let out: (GfpVal | undefined)[] | undefined;
  e.args.forEach((a, j) => {
    let v: GfpVal | undefined;
    if (a.p !== undefined) v = env[a.p];
    else {
      const g = gfpValue(a.t, fn, env);
      if (g.cls === 'caller') v = ROOT;
      else if (g.from && (g.cls === 'sleep' || g.cls === 'atomic')) v = { k: 'const', text: g.text!, cls: g.cls, from: g.from };
      else if ((g.cls === 'sleep' || g.cls === 'atomic') && /GFP_/.test(a.t)) v = { k: 'const', text: a.t, cls: g.cls, from: { ...site, note: `${fn.name}() passes ${a.t} to ${e.fn}()` } };
    }
    if (v) (out ??= [])[j] = v;
  });
  return out ?? [];
}

/** The function names a ctor/dtor reference may call: its name, or an indirect one's candidates. */
function refNames(r: CtorRef): string[] {
  if (r.kind === 'function') return [r.name];
  if (r.kind === 'indirect') return r.candidates ?? [];
  return [];
}

export function keyOf(r: FnRef): string {
  return `${r.file}#${r.fn.name}`;
}

function prefix(s: Step, chain: Step[]): Step[] {
  return [s, ...chain].slice(0, MAX_CHAIN);
}

/** Words a file must contain to possibly take this class (for targeted search). */
function classWords(cls: string): string[] {
  const colon = cls.lastIndexOf(':');
  const body = colon >= 0 ? cls.slice(colon + 1) : cls;
  const parts = body.split('.');
  if (parts.length === 1) return [parts[0]];
  return [parts[0], parts[parts.length - 1]];
}
