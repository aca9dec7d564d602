/**
 * reclaim: memory pressure while another lock is held.
 *
 * CPU0 first fills and empties each cache so that empty slabs sit on the
 * partial lists, then turns memory pressure on and repeatedly takes the
 * hold lock (a mutex, see pickHoldLock) and allocates with GFP_KERNEL under it. Under
 * pressure that allocation enters direct reclaim, whose slab shrinker frees
 * the empty slabs and runs their dtors, still inside CPU0's critical
 * section. A dtor that takes `holdLock` deadlocks right there; lockdep sees
 * holdLock -> fs_reclaim -> holdLock. The other CPUs contend for holdLock
 * and use the caches until CPU0 is done.
 */
import type { Engine, Workload } from '../engine';
import type { Cpu } from '../cpu';
import { gfpInfo } from '../gfp';
import { Instr, OP, ins } from '../ops';
import { LK_MUTEX } from '../locks';

export const DEFAULT_HOLD_LOCK = 'reclaim_demo.mutex';

/**
 * The lock CPU0 holds: the given one, else the first sleeping lock a dtor
 * takes (the what-if the dtor-reclaim-deadlock rule asks about: what if some
 * code holds it while allocating?), else a neutral demo mutex.
 */
export function pickHoldLock(e: Engine, holdLock: string | undefined): string {
  if (holdLock) return holdLock;
  for (const c of e.caches) {
    for (const s of c.model.dtor?.steps ?? []) {
      if (s.kind !== 'lock') continue;
      const l = e.locks.get(s.lock);
      if (l && l.kind === LK_MUTEX) return s.lock;
    }
  }
  return DEFAULT_HOLD_LOCK;
}

export function reclaimWorkload(holdLockOption: string | undefined, rounds: number): Workload {
  let cpu0: Instr[] = [];
  let others: Instr[] = [];
  // The other CPUs keep going for as long as CPU0 works.
  let cpu0Done = false;
  return {
    name: 'reclaim',
    label: 'reclaim workload',
    setup(e: Engine): void {
      const holdLock = pickHoldLock(e, holdLockOption);
      const L = e.locks.get(holdLock) ?? e.locks.ensure(holdLock, 'mutex', 1);
      const gfp = gfpInfo('GFP_KERNEL');
      const loop: Instr[] = [
        ins(OP.LOCK, L.id, 0, `mutex_lock(&${holdLock})`),
        ins(OP.WORK, 300, 1, `under ${holdLock}`),
        ins(OP.ALLOC, 0, 0, `kmalloc(GFP_KERNEL) while holding ${holdLock}`, { gfp }),
        ins(OP.WORK, 300, 1, `under ${holdLock}`),
        ins(OP.UNLOCK, L.id, 0, `mutex_unlock(&${holdLock})`),
        ins(OP.WORK, 2_000, 1, 'between rounds'),
        ins(OP.ITER_END, 0, 0, 'round done'),
      ];
      cpu0 = [];
      for (const c of e.caches) {
        const n = c.objsPerSlab * 3 + c.capacity;
        cpu0.push(
          ins(OP.PUSH, n, 0, `fill ${c.name} (${n} objects)`, { sub: [ins(OP.SLAB_ALLOC, c.id, 0, `kmem_cache_alloc(${c.name}, GFP_KERNEL)`, { gfp }), ins(OP.WORK, 50, 0, 'use')] }),
          ins(OP.PUSH, n, 0, `empty ${c.name}`, { sub: [ins(OP.SLAB_FREE, c.id, 0, `kmem_cache_free(${c.name})`), ins(OP.WORK, 50, 0, 'between frees')] }),
        );
      }
      cpu0.push(ins(OP.PRESSURE, 1, 0, 'memory pressure begins'), ins(OP.PUSH, rounds, 0, `${rounds} rounds holding ${holdLock}`, { sub: loop }));
      others = [
        ins(OP.WORK, 1_000, 1, 'other work'),
        ins(OP.LOCK, L.id, 0, `mutex_lock(&${holdLock})`),
        ins(OP.WORK, 300, 1, `under ${holdLock}`),
        ins(OP.UNLOCK, L.id, 0, `mutex_unlock(&${holdLock})`),
      ];
      for (const c of e.caches) {
        others.push(
          ins(OP.SLAB_ALLOC, c.id, 0, `kmem_cache_alloc(${c.name}, GFP_KERNEL)`, { gfp }),
          ins(OP.WORK, 200, 1, 'use'),
          ins(OP.SLAB_FREE, c.id, 0, `kmem_cache_free(${c.name})`),
        );
      }
      others.push(ins(OP.ITER_END, 0, 0, 'round done'));
    },
    next(_e: Engine, c: Cpu): Instr[] | null {
      if (c.id === 0) {
        if (c.program >= 1) { cpu0Done = true; return null; }
        c.program++;
        return cpu0;
      }
      return cpu0Done ? null : others;
    },
  };
}
