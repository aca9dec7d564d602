import type { Rule } from './types';
import { fromChain } from './types';
import { depthNote, allocatorCalls, atomicSeverity, claim, entryLabel, registeredStep, siteOf } from '../contexts/constraints/atomic';
import { unreadSteps } from './shrinker-common';
import { nolockFix } from './nmi-common';
import { CONTEXTS } from '../kb/contexts';

/** The NMI and tracing contexts' `no-allocator` constraint. */
export const nmiAllocatorCall: Rule = {
  meta: {
    id: 'nmi-allocator-call',
    defaultSeverity: 'error',
    description: 'An NMI handler, or tracing code that may run in NMI, calls the ordinary allocator (kmalloc, kmem_cache_alloc, kfree...), whatever the gfp.',
    semantics: 'any',
    explanation: [
      'An NMI can interrupt any code, including the slab allocator itself with interrupts disabled. `kmalloc()`,',
      '`kmem_cache_alloc()` and their frees take the per-CPU `local_lock` of `kmem_cache_cpu` (with `local_lock_irqsave()`),',
      '`n->list_lock` and memcg\'s `stock_lock` (mm/slub.c, mm/memcontrol.c, 6.12); `GFP_ATOMIC` only means "do not sleep":',
      'it spins on those locks, and the CPU the NMI interrupted may be the one holding them. The page allocator (`zone->lock`),',
      'vmalloc and the percpu allocator are the same. Tracing code (kprobe/ftrace callbacks, tracepoint probes, BPF helpers) is',
      're-entrant the same way: a probe inside the allocator, or a perf-event BPF program, runs with the interrupted code\'s locks held.',
      'That is why `kmalloc_nolock()` exists (seeds/001, the review of "slab: Introduce kmalloc_nolock() and kfree_nolock()").',
      '',
      '**The contract** (commit af92793e52c3, merged for Linux 6.18; not in 6.12):',
      '- `void *kmalloc_nolock(size_t size, gfp_t gfp_flags, int node)` takes only `__GFP_ACCOUNT`, `__GFP_ZERO` and',
      '  `__GFP_NO_OBJ_EXT` (anything else warns), `node` is a hint (`NUMA_NO_NODE`), sizes above `KMALLOC_MAX_CACHE_SIZE` get NULL.',
      '- It never spins: it checks `local_lock_is_locked()` on the bucket\'s per-CPU lock and tries the next bucket when it is held',
      '  (an NMI that hit inside that bucket\'s critical section), and falls back to atomics when memcg\'s stock lock is held.',
      '  It **returns NULL** whenever it cannot get what it needs without waiting, and **always in NMI or hardirq on PREEMPT_RT**.',
      '- `kfree_nolock(objp)` frees only `kmalloc_nolock()` memory: it pushes the object on a lock-free deferred list that the',
      '  next ordinary free drains (the review\'s question: one list per cache, `s->defer_free_objects`, bounces a cache line; see',
      '  `slabcheck simulate --workload deferred-free`). In 6.18 `kmalloc_nolock()` memory must be freed with `kfree_nolock()`',
      '  (kmemleak never saw the allocation); the 7.0 slab pull lifted that, letting `kfree()`/`kfree_rcu()` free it.',
      '',
      '**Fix:** preallocate outside the NMI path, or on 6.18+ use `kmalloc_nolock(size, 0, NUMA_NO_NODE)` with a NULL check and',
      '`kfree_nolock()` (the code action rewrites `kmalloc(size, GFP_ATOMIC)` and the `kfree()` of the same pointer together).',
      'Tracing findings are warnings: whether a callback runs in NMI depends on where it is attached.',
    ].join('\n'),
  },
  check() {},
  checkAtomic(ctx, ep, memo) {
    if (!ep.fn || !CONTEXTS[ep.context.id]?.constraints.includes('no-allocator')) return;
    const calls = allocatorCalls(ctx.analysis, ep.fn);
    for (const c of calls) {
      if (!claim(memo, c.chain, ep.context.id)) continue;
      const loc = fromChain(c.chain);
      const what = 'gfpClass' in c ? `${c.fn}(${c.gfpBound ?? c.gfp ?? 'GFP_KERNEL'})` : `${c.fn}()`;
      const fix = nolockFix(ctx.analysis, c.chain);
      ctx.report({
        ...loc, severity: atomicSeverity(ep, c.chain, ctx.analysis), entry: ep.name,
        related: [...loc.related, registeredStep(ep), ...unreadSteps(ctx.analysis, ep.fn)],
        message: `${entryLabel(ep)} runs in ${ep.context.id === 'nmi' ? 'NMI' : 'tracing (possibly NMI)'} context and calls ${what}${siteOf(c.chain)}: the allocator spins on per-CPU and node locks the interrupted code may hold, whatever the gfp; use kmalloc_nolock()/kfree_nolock() (6.18+) or preallocate${depthNote(ep, c.chain, ctx.analysis)}`,
        ...(fix ? { fixes: [fix] } : {}),
      });
    }
  },
};
