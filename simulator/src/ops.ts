/**
 * The instruction set a simulated CPU executes. Workloads, ctor/dtor step
 * lists and allocator paths are all compiled to arrays of these; the engine
 * interprets them with a per-CPU frame stack. Numbers rather than strings in
 * the hot fields, and const enums (inlined as literals), keep the
 * interpreter's switch cheap.
 */
import type { GfpInfo } from './gfp';

export const enum OP {
  /** n = ns of work (scaled by SMT), m = 1 to apply workJitter, 2 for wall time (no SMT scaling). */
  WORK = 0,
  /** n = lock id, m = irq mode (IRQ_*), t = trylock. */
  LOCK = 1,
  /** n = lock id. */
  UNLOCK = 2,
  /** Lockdep-only acquire+release of class n (fs_reclaim, list_lock in kfree). */
  MIGHT_LOCK = 3,
  /** Sleeping call: check atomic context, then n ns during which the CPU sleeps. */
  SLEEP = 4,
  /** kmalloc-like allocation: gfp; n = 1 for page allocators. */
  ALLOC = 5,
  /** kfree-like free; n = 1 for page allocators. */
  FREE = 6,
  /** alloc_percpu: n = bytes, gfp. */
  PCPU_ALLOC = 7,
  /** free_percpu. */
  PCPU_FREE = 8,
  /** kmem_cache_alloc: n = cache id, gfp; the object joins the CPU's queue. */
  SLAB_ALLOC = 9,
  /** kmem_cache_free of the CPU's oldest object of cache n while more than m are held. */
  SLAB_FREE = 10,
  /** Run `sub` n times as a nested frame. */
  PUSH = 11,
  /** One workload iteration completed. */
  ITER_END = 12,
  /** Direct reclaim pass (as if an allocation hit the low watermark). */
  RECLAIM = 13,
  /** Workload control: n = 1 turns memory pressure on, 0 off. */
  PRESSURE = 14,
  // --- internal steps of allocator paths ---
  SLUB_REFILL_LOCKED = 20,
  SLUB_ALLOC_RETRY = 21,
  SLUB_NEW_SLAB = 22,
  SLUB_FLUSH_LOCKED = 23,
  SLUB_FREE_FINISH = 24,
  SLUB_DISCARD = 25,
  SLUB_SHRINK_LOCKED = 26,
  RECLAIM_EXIT = 27,
  PCPU_AREA_ALLOC = 28,
  PCPU_AREA_FREE = 29,
  PCPU_POPULATED = 30,
  PAGE_ALLOC = 31,
  SLUB_SHRINK_ALL = 32,
  SLUB_NEW_SLAB_DONE = 33,
  /** Workload flag n := m (a writer holds the write side of an rwsem the workload models). */
  SET_FLAG = 34,
  /** Skip the next m instructions of this frame when flag n is set (a failed down_read_trylock). */
  SKIP_IF_FLAG = 35,
}

export const IRQ_NONE = 0;
export const IRQ_IRQ = 1;
export const IRQ_SAVE = 2;
export const IRQ_BH = 3;

export function irqMode(s: string | undefined): number {
  switch (s) {
    case 'irq': return IRQ_IRQ;
    case 'irqsave': return IRQ_SAVE;
    case 'bh': return IRQ_BH;
    default: return IRQ_NONE;
  }
}

export interface Instr {
  op: number;
  n: number;
  m: number;
  t?: boolean;
  gfp?: GfpInfo;
  sub?: Instr[];
  /** For timelines and lockdep evidence: "ctor mm_struct_ctor: alloc_percpu(GFP_KERNEL)". */
  label: string;
  /** The label interned in the timeline's string table (-1 until first use). */
  sid: number;
  /** Profile bucket (Engine.profBucket) its CPU time is charged to; -1: "other". */
  prof: number;
}

export function ins(op: number, n: number, m: number, label: string, extra?: Partial<Instr>): Instr {
  return { op, n, m, label, sid: -1, t: extra?.t ?? false, gfp: extra?.gfp, sub: extra?.sub, prof: extra?.prof ?? -1 };
}

/** Frame flags: what context a frame runs in. */
export const FRAME_RECLAIM = 1;
export const FRAME_SOFTIRQ = 2;
export const FRAME_CTOR = 4;
export const FRAME_DTOR = 8;
