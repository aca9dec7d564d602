/**
 * exec(): one process per CPU calling exec() in a loop, as in the RFC's
 * benchmark. Each iteration allocates a new mm (and whatever other models
 * were given), does the rest of exec(), passes once through the next shared
 * bottleneck (page-table/LRU/i_mmap locks, modelled as one spinlock), and
 * frees the previous mm.
 *
 * baseline: the ctor's work (two percpu allocations through
 * pcpu_alloc_mutex and pcpu_lock, counter registration) runs on every
 * allocation and the dtor's on every free. ctor/dtor: objects keep their
 * percpu memory; the hot path only charges and uncharges it.
 */
import type { Engine, Workload } from '../engine';
import type { Cpu } from '../cpu';
import { gfpInfo } from '../gfp';
import { Instr, OP, ins } from '../ops';

export const NEXT_BOTTLENECK = 'exec_next_bottleneck';

export function execWorkload(prewarm = true): Workload {
  let prog: Instr[] = [];
  return {
    name: 'exec',
    label: 'exec() iteration',
    setup(e: Engine): void {
      const k = e.costs;
      const nb = e.locks.ensure(NEXT_BOTTLENECK, 'spin', k.execNextBottleneckLines);
      const gfp = gfpInfo('GFP_KERNEL');
      prog = [ins(OP.WORK, k.execWorkNs * 0.3, 1, 'exec: open binary, bprm setup')];
      for (const c of e.caches) prog.push(ins(OP.SLAB_ALLOC, c.id, 0, `mm_alloc: kmem_cache_alloc(${c.name}, GFP_KERNEL)`, { gfp }));
      prog.push(
        ins(OP.WORK, k.execWorkNs * 0.5, 1, 'exec: load ELF, set up mappings'),
        ins(OP.LOCK, nb.id, 0, `exec: ${NEXT_BOTTLENECK} (page-table/LRU stand-in)`),
        ins(OP.WORK, k.execNextBottleneckNs, 0, `exec: under ${NEXT_BOTTLENECK}`),
        ins(OP.UNLOCK, nb.id, 0, `exec: release ${NEXT_BOTTLENECK}`),
        ins(OP.WORK, k.execWorkNs * 0.2, 1, 'exec: start the new image'),
      );
      for (const c of e.caches) prog.push(ins(OP.SLAB_FREE, c.id, 1, `mmput: kmem_cache_free(${c.name}) of the old mm`));
      prog.push(ins(OP.ITER_END, 0, 0, 'exec() done'));
      if (prewarm) for (const c of e.caches) for (const cpu of e.cpus) c.prewarm(cpu, Math.max(1, c.capacity >> 1));
    },
    next(_e: Engine, _c: Cpu): Instr[] {
      return prog;
    },
  };
}
