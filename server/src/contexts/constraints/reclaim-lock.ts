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
  /** Demand-driven: search holders only in these files. */
  scope?: string[];
}

export async function reclaimLockHits(a: Analysis, fn: FnRef, o: ReclaimLockOptions = {}): Promise<ReclaimLockHit[]> {
  const out: ReclaimLockHit[] = [];
  for (const acq of a.summary(fn).acquires.values()) {
    // A trylock never waits (`if (!mutex_trylock(&l)) return SHRINK_STOP;`).
    if (acq.trylock) continue;
    if (o.sleepingOnly && !SLEEPING_KINDS.has(acq.kind)) continue;
    const edges = o.scope && a.project.demandDriven ? await edgesFromIn(a, acq.cls, o.scope) : (await a.edgesFrom(acq.cls)).edges;
    const e = edges.find((x) => x.to === FS_RECLAIM);
    if (e) out.push({ acq, edge: e });
  }
  return out;
}

const memo = new WeakMap<Analysis, Map<string, Edge[]>>();

/** Edges leaving `cls` found in the functions of `files` that name it and take a lock (and their callees). */
export async function edgesFromIn(a: Analysis, cls: string, files: string[]): Promise<Edge[]> {
  let m = memo.get(a);
  if (!m) memo.set(a, (m = new Map()));
  const key = `${cls}\0${files.length}\0${files[0] ?? ''}`;
  const hit = m.get(key);
  if (hit) return hit;
  const words = classWords(cls);
  const cands = files.filter((f) => {
    const text = a.project.overlays.get(f);
    let hay: Buffer | string;
    try {
      hay = text ?? fs.readFileSync(f);
    } catch {
      return false;
    }
    return words.every((w) => hay.indexOf(w) >= 0);
  });
  await a.project.ensureFacts(cands);
  const roots: FnRef[] = [];
  for (const f of cands) for (const fn of a.functionsIn(f)) if (fn.events.some((e) => e.k === 'lock')) roots.push({ file: f, fn });
  await a.prepare(roots, 3, true);
  const edges: Edge[] = [];
  for (const f of cands) for (const fn of a.functionsIn(f)) {
    if (!fn.events.some((e) => e.k === 'lock')) continue;
    for (const e of a.edgesOf({ file: f, fn })) if (e.from === cls) edges.push(e);
  }
  m.set(key, edges);
  return edges;
}

function classWords(cls: string): string[] {
  const colon = cls.lastIndexOf(':');
  const body = colon >= 0 ? cls.slice(colon + 1) : cls;
  const parts = body.split('.');
  return parts.length === 1 ? [parts[0]] : [parts[0], parts[parts.length - 1]];
}
