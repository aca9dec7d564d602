import { SLEEPING_KINDS } from '../kb/locks';
import type { Rule } from './types';
import { fromChain } from './types';

export const dtorSleepingLock: Rule = {
  meta: {
    id: 'dtor-sleeping-lock',
    defaultSeverity: 'error',
    description: 'A slab destructor takes a sleeping lock (mutex, rwsem, semaphore).',
    semantics: 'dtor-rfc',
    explanation: [
      'A destructor runs when SLUB frees a slab page (`__free_slab()`), in whatever context freed the last object,',
      'shrank the cache or ran the RCU callback: possibly atomic, possibly with interrupts off, possibly inside direct reclaim.',
      'Sleeping there is a bug, and a sleeping lock held across reclaim is a deadlock waiting to happen.',
      '',
      'From the destructor RFC review (linux-mm, April 2025): "dtors may only take leaf spinlocks that disable IRQs" (Mateusz Guzik);',
      '"Doing fancy things and grabbing locks in dtor is safe as long as you 1) disable interrupts and 2) take only leaf spinlocks" (Harry Yoo).',
      'This is why `free_percpu()` (which takes only `pcpu_lock`) is fine in a dtor but `alloc_percpu()` (which takes `pcpu_alloc_mutex`) is not.',
      '',
      '**Fix:** defer the work (e.g. to a workqueue), or protect the state with a leaf spinlock taken with `spin_lock_irqsave()`.',
    ].join('\n'),
  },
  check(ctx, cache) {
    if (!cache.dtor) return;
    for (const a of ctx.analysis.summary(cache.dtor).acquires.values()) {
      if (!SLEEPING_KINDS.has(a.kind) || a.trylock) continue;
      ctx.report({ ...fromChain(a.chain), message: `destructor ${cache.dtor.fn.name}() takes sleeping lock ${a.cls} (${a.kind}); dtors run while slab pages are freed, possibly in atomic context or reclaim`, cache: cache.creation.name });
    }
  },
};
