import { SLEEPING_KINDS } from '../kb/locks';
import type { Rule } from './types';
import { fromChain } from './types';

export const dtorMaySleep: Rule = {
  meta: {
    id: 'dtor-may-sleep',
    defaultSeverity: 'error',
    description: 'A slab destructor calls something that may sleep.',
    semantics: 'dtor-rfc',
    explanation: [
      'The destructor runs in `__free_slab()` for every object of a slab being released, in the context of whoever freed',
      'the last object, shrank the cache, or ran the RCU callback of a `SLAB_TYPESAFE_BY_RCU` cache. That context may be',
      'atomic (a spinlock held, interrupts disabled, softirq) or direct reclaim. Anything that may sleep there',
      '(`GFP_KERNEL` allocations, `vfree()`, `synchronize_rcu()`, `msleep()`, `might_sleep()` paths) is a bug.',
      '',
      'Pedro Falcato in the destructor RFC thread: "->dtor() needs to be super careful calling things, avoiding _any_ sort of direct reclaim possibilities."',
      '',
      '**Fix:** move the sleeping work out of the destructor, or defer it to a workqueue.',
    ].join('\n'),
  },
  check(ctx, cache) {
    if (!cache.dtor) return;
    const s = ctx.analysis.summary(cache.dtor);
    if (!s.maySleep) return;
    // A sleeping lock is reported by dtor-sleeping-lock already.
    if ([...s.acquires.values()].some((a) => SLEEPING_KINDS.has(a.kind) && !a.trylock) && /sleeping lock/.test(s.maySleep[s.maySleep.length - 1].note)) return;
    ctx.report({ ...fromChain(s.maySleep), message: `destructor ${cache.dtor.fn.name}() may sleep: ${s.maySleep[s.maySleep.length - 1].note}`, cache: cache.creation.name });
  },
};
