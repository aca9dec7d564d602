/**
 * lifetime: the life of one object of each cache, in a loop on every CPU, as
 * the code that uses the cache lives it: kmem_cache_alloc(cache, GFP_KERNEL),
 * the caller initialising the object (a line written per 64 bytes of the
 * cache's object size), the caller's own use of it (`objectUseNs`, assumed:
 * what the code does with the object is not read), kmem_cache_free().
 *
 * It is the workload of a cache that is not mm_struct (whose workload is the
 * exec() path the RFC measured): what differs between two caches is what the
 * cache model says, its object size and the steps of its ctor and dtor (their
 * allocations, percpu regions, locks), not a path borrowed from another cache.
 *
 * baseline: the ctor steps run on every allocation and the dtor steps on every
 * free (the code before the conversion). ctor/dtor: objects keep what their
 * ctor set up; the hot path only charges and uncharges their percpu memory.
 */
import type { Engine, Workload } from '../engine';
import type { Cpu } from '../cpu';
import { gfpInfo } from '../gfp';
import { Instr, OP, ins } from '../ops';

export const LINE_BYTES = 64;

/** The caller's initialisation of an object of `bytes`: one local line write each (an L2 hit, assumed). */
export function initNs(bytes: number, l2HitNs: number): number {
  return Math.ceil(Math.max(1, bytes) / LINE_BYTES) * l2HitNs;
}

export function lifetimeWorkload(prewarm = true): Workload {
  let prog: Instr[] = [];
  return {
    name: 'lifetime',
    label: 'object lifetime',
    looping: true,
    setup(e: Engine): void {
      const k = e.costs;
      const gfp = gfpInfo('GFP_KERNEL');
      prog = [];
      for (const c of e.caches) {
        const slab = e.profBucket(`${c.name}: slab alloc/free (with the ctor/dtor work in baseline)`);
        const use = e.profBucket(`${c.name}: the caller's use of the object`);
        prog.push(ins(OP.SLAB_ALLOC, c.id, 0, `kmem_cache_alloc(${c.name}, GFP_KERNEL)`, { gfp, prof: slab }));
        prog.push(ins(OP.WORK, initNs(c.objSize, k.l2HitNs), 0, `initialise the ${c.objSize}-byte ${c.name} object`, { prof: use }));
        prog.push(ins(OP.WORK, k.objectUseNs, 1, `use the ${c.name} object`, { prof: use }));
        prog.push(ins(OP.SLAB_FREE, c.id, 0, `kmem_cache_free(${c.name})`, { prof: slab }));
      }
      prog.push(ins(OP.ITER_END, 0, 0, 'object lifetime done'));
      if (prewarm) for (const c of e.caches) for (const cpu of e.cpus) c.prewarm(cpu, Math.max(1, c.capacity >> 1));
    },
    next(_e: Engine, _c: Cpu): Instr[] {
      return prog;
    },
  };
}
