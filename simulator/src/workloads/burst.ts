/**
 * burst: every CPU allocates N objects of each cache, then frees them all,
 * for a few rounds. Slabs grow (ctor on every object of each new slab) and
 * are released again past min_partial (dtor on every object), which the
 * memory samples show over time.
 */
import type { Engine, Workload } from '../engine';
import type { Cpu } from '../cpu';
import { gfpInfo } from '../gfp';
import { Instr, OP, ins } from '../ops';

export function burstWorkload(objects: number | undefined, rounds: number): Workload {
  let prog: Instr[] = [];
  return {
    name: 'burst',
    label: 'burst round',
    setup(e: Engine): void {
      const gfp = gfpInfo('GFP_KERNEL');
      prog = [];
      for (const c of e.caches) {
        const n = objects ?? c.objsPerSlab * 8;
        prog.push(ins(OP.PUSH, n, 0, `allocate ${n} ${c.name}`, { sub: [
          ins(OP.SLAB_ALLOC, c.id, 0, `kmem_cache_alloc(${c.name}, GFP_KERNEL)`, { gfp }),
          ins(OP.WORK, 200, 1, 'use the object'),
        ] }));
      }
      prog.push(ins(OP.WORK, 20_000, 1, 'hold the objects'));
      for (const c of e.caches) {
        const n = objects ?? c.objsPerSlab * 8;
        prog.push(ins(OP.PUSH, n, 0, `free ${n} ${c.name}`, { sub: [
          ins(OP.SLAB_FREE, c.id, 0, `kmem_cache_free(${c.name})`),
          ins(OP.WORK, 100, 1, 'between frees'),
        ] }));
      }
      prog.push(ins(OP.WORK, 20_000, 1, 'idle'), ins(OP.ITER_END, 0, 0, 'burst round done'));
    },
    next(_e: Engine, c: Cpu): Instr[] | null {
      if (c.program >= rounds) return null;
      c.program++;
      return prog;
    },
  };
}
