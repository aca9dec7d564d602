/**
 * The workspace index over loaded facts: function resolution across files,
 * lock classes named like lockdep, function summaries (locks taken with the
 * call chain as evidence, may-sleep, allocations, frees) and the lock graph.
 * Known kernel functions come from the knowledge base and are not read.
 */
import { allocGfpClass, ALLOCATORS } from '../kb/allocators';
import { KERNEL_FUNCTIONS, KernelFunctionFact, InternalLock, knownLockFacts, OPAQUE_PREFIXES } from '../kb/kernel-functions';
import { IrqMode, LockKind, LOCK_OPS, SLEEPING_KINDS } from '../kb/locks';
import { structName } from '../facts/lock-ref';
import type { CacheCreation, FnEvent, FunctionFacts, LockRef, Span } from '../facts/types';
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
  chain: Step[];
}

export interface AllocUse {
  fn: string;
  gfp?: string;
  gfpClass: 'sleep' | 'atomic' | 'unknown';
  cache?: string;
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
  allocs: AllocUse[];
  frees: FreeUse[];
  /** Calls that could not be resolved to a body or a known fact. */
  unresolved: Set<string>;
  /** Files this summary was computed from (callees included). */
  files?: Set<string>;
}

export interface Edge {
  from: string;
  to: string;
  chain: Step[];
  /** The chain's last step, when it can be had without building the whole chain. */
  readonly last?: Step;
}

export interface CacheInfo {
  file: string;
  creation: CacheCreation;
  ctor?: FnRef;
  dtor?: FnRef;
  /** Named function whose definition was not found. */
  ctorMissing?: boolean;
  dtorMissing?: boolean;
  allocSites: AllocSite[];
}

export interface AllocSite {
  ref: FnRef;
  event: Extract<FnEvent, { k: 'alloc' }>;
  held: { cls: string; kind: LockKind; takenAt?: Step }[];
  irqOff: boolean;
  gfpClass: 'sleep' | 'atomic' | 'unknown';
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
const OUTSIDE_KERNEL = /\/(?:tools|scripts|samples|Documentation|usr)\/|\/boot\/|\/acpica\//;

export const FS_RECLAIM = 'fs_reclaim';
/** Steps kept in an evidence chain. */
export const MAX_CHAIN = 14;
const MAX_DEPTH = 10;
/** Files parsed at most to decide whether one lock class nests another (demand-driven mode). */
const MAX_HOLDER_FILES = 300;

export class Analysis {
  private memo = new Map<string, Summary>();
  private inProgress = new Set<string>();
  private structs = new Map<string, Record<string, string>>();
  private structsBuiltFrom = -1;
  readonly kbFunctions: Record<string, KernelFunctionFact>;
  readonly lockFacts: Map<string, InternalLock & { why?: string }>;

  constructor(public project: Project) {
    this.kbFunctions = { ...KERNEL_FUNCTIONS, ...project.config.functions };
    this.lockFacts = knownLockFacts();
    for (const [name, l] of Object.entries(project.config.locks)) {
      const prev = this.lockFacts.get(name);
      this.lockFacts.set(name, {
        lock: name, kind: l.kind ?? prev?.kind ?? 'spin', irq: prev?.irq ?? 'none',
        leaf: l.leaf === true ? true : undefined, nonLeafBecause: l.leaf === false ? l.why ?? 'declared not a leaf in .slabcheck.json' : undefined,
      });
    }
  }

  invalidate(): void {
    this.memo.clear();
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
      const f = this.functionsIn(file).find((x) => x.name === name && !x.isStatic);
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
    const files = (this.project.defIndex.get(name) ?? []).filter((f) => f !== fromFile);
    if (files.length <= 1) return files;
    const from = this.placeOf(fromFile);
    const rank = (f: string) => {
      const p = this.placeOf(f);
      if (p.dir === from.dir) return 0;
      if (p.outside && !from.outside) return 9;
      if (from.arch && p.arch === from.arch) return 1;
      if (this.project.prescan.get(f)?.exports?.includes(name)) return 2;
      if (p.arch) return 6;
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

  private placeOf(f: string): Place {
    let p = this.places.get(f);
    if (!p) {
      p = { dir: f.slice(0, f.lastIndexOf('/')), arch: ARCH_DIR.exec(f)?.[1], outside: OUTSIDE_KERNEL.test(f), drivers: f.includes('/drivers/'), c: f.endsWith('.c') };
      this.places.set(f, p);
    }
    return p;
  }

  isKnown(name: string): boolean {
    return !!this.kbFunctions[name] || !!LOCK_OPS[name] || OPAQUE_PREFIXES.test(name);
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
          if (e.k !== 'call' || this.isKnown(e.fn) || /^[A-Z0-9_]+$/.test(e.fn)) continue;
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
          if (e.k !== 'call') continue;
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
          if (e.k !== 'call' || (underLockOnly && e.held.length === 0)) continue;
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
        for (const fn of this.functionsIn(file)) for (const l of fn.locks) if (l.fields.length > 1 && l.baseType) types.add(l.baseType);
      }
      this.buildStructs();
      for (const t of [...types]) {
        const fields = this.structs.get(t);
        if (fields) for (const ft of Object.values(fields)) { const s = structName(ft); if (s) types.add(s); }
      }
      const need = [...types].filter((t) => !this.structs.has(t)).flatMap((t) => (this.project.structIndex.get(t) ?? []).slice(0, 2));
      const before = this.project.facts.size;
      // Struct definitions are top-level: the headers' function bodies are not parsed.
      await this.project.ensureFacts(need, 'creations', []);
      if (this.project.facts.size === before) break;
    }
    this.structsBuiltFrom = -1;
  }

  private buildStructs(): void {
    if (this.structsBuiltFrom === this.project.facts.size) return;
    this.structs.clear();
    for (const f of this.project.facts.values()) for (const s of f.structs) if (!this.structs.has(s.name)) this.structs.set(s.name, s.fields);
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

  summary(ref: FnRef): Summary {
    const key = keyOf(ref);
    const m = this.memo.get(key);
    if (m) {
      for (const f of m.files ?? []) this.touch(f);
      return m;
    }
    const s: Summary = { ref, acquires: new Map(), allocs: [], frees: [], unresolved: new Set() };
    if (this.inProgress.has(key)) return s; // recursion: the partial summary is enough for locks
    this.inProgress.add(key);
    const files = this.beginTouch();
    files.add(ref.file);
    try {
      this.computeSummary(ref, s);
    } finally {
      this.endTouch(files);
    }
    s.files = files;
    this.touch(ref.file);
    this.inProgress.delete(key);
    this.memo.set(key, s);
    return s;
  }

  private computeSummary(ref: FnRef, s: Summary): void {
    const { file, fn } = ref;
    const step = (at: Span, note: string): Step => ({ file, span: at, note });
    for (const e of fn.events) {
      if (e.k === 'lock') {
        const cls = this.classOf(file, fn, fn.locks[e.lock]);
        const chain = [step(e.at, `${fn.name}() takes ${cls} (${e.fn})`)];
        // The first acquisition is the evidence, unless it was a trylock and this one waits.
        if (!s.acquires.has(cls) || (s.acquires.get(cls)!.trylock && !e.trylock)) {
          s.acquires.set(cls, { cls, kind: e.kind, irq: e.irq, irqOff: e.irqOff || e.irq === 'irq' || e.irq === 'irqsave', trylock: !!e.trylock, chain });
        }
        if (SLEEPING_KINDS.has(e.kind) && !e.trylock && !s.maySleep) s.maySleep = [step(e.at, `${fn.name}() takes sleeping lock ${cls} (${e.fn})`)];
      } else if (e.k === 'alloc') {
        const fact = ALLOCATORS[e.fn];
        const gfpClass = allocGfpClass(e.fn, e.gfp);
        const chain = [step(e.at, `${fn.name}() allocates with ${e.fn}(${e.gfp ?? (fact?.gfpArg === -1 ? 'always GFP_KERNEL' : '')})`)];
        s.allocs.push({ fn: e.fn, gfp: e.gfp, gfpClass, cache: e.cache, percpu: !!fact?.percpu, checked: e.checked, assignedTo: e.assignedTo, returned: e.returned, chain });
        if (gfpClass === 'sleep' && !s.maySleep) s.maySleep = [step(e.at, `${fn.name}() calls ${e.fn}(${e.gfp ?? 'GFP_KERNEL'}), which may sleep`)];
        this.mergeKnown(s, e.fn, chain[0], e.irqOff, gfpClass === 'atomic');
      } else if (e.k === 'free') {
        const chain = [step(e.at, `${fn.name}() frees with ${e.fn}()`)];
        s.frees.push({ fn: e.fn, allocator: e.fn, cache: e.cache, arg: e.arg, chain });
        this.mergeKnown(s, e.fn, chain[0], e.irqOff, false);
      } else if (e.k === 'call') {
        const callStep = step(e.at, `${fn.name}() calls ${e.fn}()`);
        if (this.kbFunctions[e.fn]) {
          this.mergeKnown(s, e.fn, callStep, e.irqOff, false);
          continue;
        }
        if (OPAQUE_PREFIXES.test(e.fn)) continue;
        const callee = this.resolve(e.fn, file);
        if (!callee) {
          s.unresolved.add(e.fn);
          continue;
        }
        const cs = this.summary(callee);
        for (const [cls, a] of cs.acquires) {
          if (!s.acquires.has(cls) || (s.acquires.get(cls)!.trylock && !a.trylock)) s.acquires.set(cls, { ...a, irqOff: a.irqOff || e.irqOff, chain: prefix(callStep, a.chain) });
        }
        if (cs.maySleep && !s.maySleep) s.maySleep = prefix(callStep, cs.maySleep);
        for (const a of cs.allocs) {
          if (s.allocs.length >= 32) break;
          // An allocation the callee returns is checked (or returned on) where this function uses the call's result.
          const up = !!a.returned;
          s.allocs.push({ ...a, checked: up ? !!e.checked : a.checked, returned: up && !!e.returned, handedUp: up, chain: prefix(callStep, a.chain) });
        }
        for (const f of cs.frees) if (s.frees.length < 32) s.frees.push({ ...f, chain: prefix(callStep, f.chain) });
      }
    }
  }

  /** Effects of a knowledge-base function called at `site`. */
  private mergeKnown(s: Summary, name: string, site: Step, irqOff: boolean, atomicGfp: boolean): void {
    const kb = this.kbFunctions[name];
    if (!kb) return;
    for (const l of kb.locks ?? []) {
      // An atomic percpu allocation does not take pcpu_alloc_mutex.
      if (atomicGfp && l.kind === 'mutex') continue;
      if (s.acquires.has(l.lock)) continue;
      s.acquires.set(l.lock, {
        cls: l.lock, kind: l.kind, irq: l.irq, irqOff: irqOff || l.irq === 'irq' || l.irq === 'irqsave', trylock: false,
        chain: [site, { file: site.file, span: site.span, note: `${name}() ${l.maybe ? 'may take' : 'takes'} ${l.lock} (${kb.source})` }],
      });
    }
    if (kb.maySleep && !s.maySleep) s.maySleep = [site, { file: site.file, span: site.span, note: `${name}() may sleep (${kb.source})` }];
    if (!kb.maySleep && !atomicGfp && (kb.locks ?? []).some((l) => SLEEPING_KINDS.has(l.kind)) && !s.maySleep) {
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

  /** Edges A -> B created inside one function (directly or through what it calls while holding A). */
  edgesOf(ref: FnRef): Edge[] {
    const out: Edge[] = [];
    const { file, fn } = ref;
    fn.events.forEach((e, i) => {
      if (!e.held.length) return;
      const targets: { cls: string; chain: Step[] }[] = [];
      const here: Step = { file, span: e.at, note: '' };
      if (e.k === 'lock') {
        if (e.trylock) return; // a trylock never waits, so it orders nothing
        const cls = this.classOf(file, fn, fn.locks[e.lock]);
        targets.push({ cls, chain: [{ ...here, note: `${fn.name}() takes ${cls} (${e.fn})` }] });
      } else if (e.k === 'call' || e.k === 'alloc' || e.k === 'free') {
        const kb = this.kbFunctions[e.fn];
        const atomic = e.k === 'alloc' && allocGfpClass(e.fn, e.gfp) === 'atomic';
        if (kb) {
          for (const l of kb.locks ?? []) {
            if (atomic && l.kind === 'mutex') continue;
            targets.push({ cls: l.lock, chain: [{ ...here, note: `${fn.name}() calls ${e.fn}(), which ${l.maybe ? 'may take' : 'takes'} ${l.lock} (${kb.source})` }] });
          }
        } else if (e.k === 'call' && !OPAQUE_PREFIXES.test(e.fn)) {
          const callee = this.resolve(e.fn, file);
          if (callee) {
            for (const a of this.summary(callee).acquires.values()) {
              if (!a.trylock) targets.push({ cls: a.cls, chain: prefix({ ...here, note: `${fn.name}() calls ${e.fn}()` }, a.chain) });
            }
            for (const al of this.summary(callee).allocs) {
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
        const taken = this.takenStep(ref, h, i);
        for (const t of targets) {
          if (t.cls === from) continue;
          out.push({ from, to: t.cls, chain: (taken ? [taken, ...t.chain] : t.chain).slice(0, MAX_CHAIN) });
        }
      }
    });
    return out;
  }

  /** The lock graph over every loaded function: one evidence chain per edge. */
  lockGraph(files: Iterable<string> = this.project.facts.keys()): Map<string, Map<string, Edge>> {
    const g = new Map<string, Map<string, Edge>>();
    for (const file of files) {
      for (const fn of this.functionsIn(file)) {
        for (const e of this.edgesOf({ file, fn })) {
          let m = g.get(e.from);
          if (!m) g.set(e.from, (m = new Map()));
          if (!m.has(e.to)) m.set(e.to, e);
        }
      }
    }
    return g;
  }

  /**
   * Edges leaving a class: from the knowledge base when it knows, else from
   * the code that holds it (on big trees, found by a text search, then parsed).
   */
  async edgesFrom(cls: string): Promise<{ edges: Edge[]; known?: InternalLock & { why?: string }; searched?: { files: number; of: number } }> {
    const known = this.lockFacts.get(cls);
    if (known && (known.leaf || known.nonLeafBecause)) return { edges: [], known };
    let files: string[];
    let searched: { files: number; of: number } | undefined;
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
        for (const r of [c.ctor, c.dtor]) if (r.kind === 'function' && !this.functionsIn(file).some((f) => f.name === r.name)) {
          for (const f of this.candidateFiles(r.name, file).slice(0, 3)) needDefs.add(f);
          wanted.add(r.name);
        }
      }
    }
    trace('creation files parsed');
    await p.ensureFacts([...needDefs], p.demandDriven ? 'creations' : undefined, [...wanted]);
    trace(`ctor definition files parsed (${needDefs.size})`);
    // A ctor/dtor defined in another file that was read as a stub: read that file fully.
    const stubbed = new Set<string>();
    for (const file of createFiles) for (const c of p.facts.get(file)?.caches ?? []) {
      for (const r of [c.ctor, c.dtor]) if (r.kind === 'function') { const d = this.resolve(r.name, file); if (d?.fn.stub) stubbed.add(d.file); }
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
        if (info.ctor) roots.push(info.ctor);
        if (info.dtor) roots.push(info.dtor);
        out.push(info);
      }
    }
    await this.prepare(roots);
    trace('ctor callees read');
    return out;
  }

  /** Where objects of this cache are allocated (kmem_cache_alloc(var, gfp)), with the locks held there. */
  async allocSites(info: CacheInfo): Promise<AllocSite[]> {
    const v = info.creation.assignedTo;
    if (!v) return [];
    const last = v.split(/->|\./).pop()!;
    const p = this.project;
    let files: string[];
    if (p.demandDriven) {
      files = p.cacheUseIndex.get(last) ?? [];
      await p.ensureFacts(files);
    } else files = [...p.facts.keys()];
    const sites: AllocSite[] = [];
    const roots: FnRef[] = [];
    for (const file of files) {
      for (const fn of this.functionsIn(file)) {
        fn.events.forEach((e, i) => {
          if (e.k !== 'alloc' || !e.cache) return;
          const c = e.cache.replace(/\s+/g, '');
          if (c !== v.replace(/\s+/g, '') && c.split(/->|\./).pop() !== last) return;
          // A static cache variable in another file is another cache.
          const g = p.facts.get(info.file)?.globals[v];
          if (g?.isStatic && file !== info.file) return;
          const ref = { file, fn };
          const held = [...new Set(e.held)].map((h) => ({
            cls: this.classOf(file, fn, fn.locks[h]),
            kind: (fn.events.find((x) => x.k === 'lock' && x.lock === h) as { kind: LockKind } | undefined)?.kind ?? 'spin',
            takenAt: this.takenStep(ref, h, i),
          }));
          sites.push({ ref, event: e, held, irqOff: e.irqOff, gfpClass: allocGfpClass(e.fn, e.gfp) });
          roots.push(ref);
        });
      }
    }
    info.allocSites = sites;
    return sites;
  }
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
