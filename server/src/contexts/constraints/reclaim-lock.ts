/**
 * Constraint `no-reclaim-lock`: the function waits for a lock L (a waiting acquisition, not a
 * trylock) while some code allocates with a reclaim-capable gfp under L (L -> fs_reclaim). The
 * context runs in reclaim (fs_reclaim -> L): the cycle is a deadlock, and the allocation under L
 * is the evidence. Shared by `dtor-reclaim-deadlock` and `shrinker-reclaim-deadlock`.
 *
 * `scope`: the files searched for holders of L in a demand-driven run (a kernel tree), when the
 * caller wants fewer than Analysis.edgesFrom's (which searches every file naming L).
 */
import * as fs from 'fs';
import { FS_RECLAIM } from '../../index/analysis';
import type { Analysis, Edge, FnRef, LockAcq } from '../../index/analysis';
import { SLEEPING_KINDS } from '../../kb/locks';

export interface ReclaimLockHit {
  acq: LockAcq;
  edge: Edge;
}

export interface ReclaimLockOptions {
  /** Only sleeping locks (mutex, rwsem, semaphore): a spinlock held across a GFP_KERNEL allocation is a bug of its own. */
  sleepingOnly?: boolean;
  /** Demand-driven: search holders of the acquired lock only in these files. */
  scope?: (acq: LockAcq) => string[];
  /**
   * Only allocations that take lockdep's fs_reclaim: a gfp with __GFP_FS (mm/page_alloc.c
   * fs_reclaim_acquire(): `if (gfp_mask & __GFP_FS) __fs_reclaim_acquire()`). GFP_NOFS/GFP_NOIO
   * enter reclaim with a gfp the shrinkers see (`sc->gfp_mask`) and back off on.
   */
  fsOnly?: boolean;
  /**
   * Functions that run only in this context (the callback itself): an edge made while they hold
   * the lock is made in reclaim, under PF_MEMALLOC, where no allocation takes fs_reclaim.
   */
  onlyInContext?: Set<string>;
}

/** The gfp an edge's allocation step shows, and whether it has __GFP_FS. */
export function edgeTakesFsReclaim(e: Edge): boolean {
  const last = e.chain[e.chain.length - 1]?.note ?? '';
  // A chain cut at MAX_CHAIN steps no longer shows its allocation: the evidence is missing, not reported.
  if (!/allocates with|takes fs_reclaim|may enter reclaim/.test(last)) return false;
  return !/GFP_NO(?:FS|IO)|GFP_ATOMIC|GFP_NOWAIT/.test(last);
}

export async function reclaimLockHits(a: Analysis, fn: FnRef, o: ReclaimLockOptions = {}): Promise<ReclaimLockHit[]> {
  const acqs = [...a.summary(fn).acquires.values()].filter((acq) => !acq.trylock && (!o.sleepingOnly || SLEEPING_KINDS.has(acq.kind)));
  // A trylock never waits (`if (!mutex_trylock(&l)) return SHRINK_STOP;`).
  if (o.scope && a.project.demandDriven && acqs.length) {
    // One read of every holder file for all the classes: each prepare() drops the summaries.
    const scopes = acqs.map((acq) => o.scope!(acq));
    await readHolders(a, acqs.map((acq) => acq.cls), [...new Set(scopes.flat())]);
  }
  const out: ReclaimLockHit[] = [];
  for (let i = 0; i < acqs.length; i++) {
    const acq = acqs[i];
    const edges = o.scope && a.project.demandDriven ? edgesIn(a, acq.cls, o.scope(acq)) : (await a.edgesFrom(acq.cls)).edges;
    const e = edges.find((x) => x.to === FS_RECLAIM && (!o.fsOnly || edgeTakesFsReclaim(x)) && !(o.onlyInContext && heldIn(x, o.onlyInContext)));
    if (e) out.push({ acq, edge: e });
  }
  return out;
}

/** The edge starts where `fns` holds the lock ("f() holds L from here"). */
function heldIn(e: Edge, fns: Set<string>): boolean {
  const m = /^(\w+)\(\) (?:holds|takes) /.exec(e.chain[0]?.note ?? '');
  return !!m && fns.has(`${e.chain[0].file}#${m[1]}`);
}

/** (file, class) pairs looked at, with the facts the file had then: an edit (new facts) looks again. */
const readMemo = new WeakMap<Analysis, Map<string, { facts: unknown; classes: Set<string> }>>();

/**
 * Parse the files of `files` that name one of `classes` and take locks, and read their callees
 * (three levels). Each (file, class) pair is looked at once: every prepare() drops the summaries,
 * so callers ask for everything they will need in one call (the shrinker rule's prepareShrinkers).
 */
export async function readHolders(a: Analysis, classes: string[], files: string[]): Promise<void> {
  let done = readMemo.get(a);
  if (!done) readMemo.set(a, (done = new Map()));
  const cands: string[] = [];
  for (const f of files) {
    const now = a.project.facts.get(f);
    let d = done.get(f);
    if (!d || (d.facts !== undefined && d.facts !== now)) done.set(f, (d = { facts: now, classes: new Set() }));
    const todo = classes.filter((c) => !d!.classes.has(c));
    if (!todo.length) continue;
    for (const c of todo) d.classes.add(c);
    const text = a.project.overlays.get(f);
    let hay: Buffer | string;
    try {
      hay = text ?? fs.readFileSync(f);
    } catch {
      continue;
    }
    let any = false;
    for (const c of todo) if (classWords(c).every((w) => hay.indexOf(w) >= 0)) {
      mentionMemo(a).add(`${f}\0${c}`);
      any = true;
    }
    if (any) cands.push(f);
  }
  if (!cands.length) return;
  await a.project.ensureFacts(cands);
  const roots: FnRef[] = [];
  for (const f of cands) for (const fn of a.functionsIn(f)) if (fn.events.some((e) => e.k === 'lock')) roots.push({ file: f, fn });
  await a.prepare(roots, 3, true);
}

const mentions = new WeakMap<Analysis, Set<string>>();
function mentionMemo(a: Analysis): Set<string> {
  let m = mentions.get(a);
  if (!m) mentions.set(a, (m = new Set()));
  return m;
}
const edgeMemo = new WeakMap<Analysis, { generation: number; byFn: Map<string, Edge[]>; classes: Map<string, Set<string>> }>();

/**
 * Edges leaving `cls` made in the (loaded) functions that take a lock, in the files of `files`
 * that name the class (readHolders looked); each function's edges computed once.
 */
function edgesIn(a: Analysis, cls: string, files: string[]): Edge[] {
  let m = edgeMemo.get(a);
  if (!m || m.generation !== a.generation) edgeMemo.set(a, (m = { generation: a.generation, byFn: new Map(), classes: new Map() }));
  const memo = m.byFn;
  const taken = m.classes;
  const named = mentionMemo(a);
  const edges: Edge[] = [];
  for (const f of files) {
    if (!named.has(`${f}\0${cls}`)) continue;
    for (const fn of a.functionsIn(f)) {
      if (!fn.events.some((e) => e.k === 'lock')) continue;
      const k = `${f}#${fn.name}#${fn.at[0]}`;
      // Only a function that takes `cls` itself makes edges from it (edgesOf: "held" is this function's own locks).
      let mine = taken.get(k);
      if (!mine) taken.set(k, (mine = new Set(fn.events.flatMap((e) => (e.k === 'lock' ? [a.classOf(f, fn, fn.locks[e.lock])] : [])))));
      if (!mine.has(cls)) continue;
      let list = memo.get(k);
      if (!list) memo.set(k, (list = a.edgesOf({ file: f, fn })));
      for (const e of list) if (e.from === cls) edges.push(e);
    }
  }
  return edges;
}

function classWords(cls: string): string[] {
  // (as Analysis.edgesFrom: the struct and the field, or the symbol)
  const colon = cls.lastIndexOf(':');
  const body = colon >= 0 ? cls.slice(colon + 1) : cls;
  const parts = body.split('.');
  return parts.length === 1 ? [parts[0]] : [parts[0], parts[parts.length - 1]];
}
