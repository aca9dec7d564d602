import type { Rule } from './types';
import { fromChain } from './types';
import { reclaimLockHits } from '../contexts/constraints/reclaim-lock';

export const dtorReclaimDeadlock: Rule = {
  meta: {
    id: 'dtor-reclaim-deadlock',
    defaultSeverity: 'error',
    description: 'A destructor takes a lock under which some code allocates with a gfp that may enter reclaim.',
    semantics: 'dtor-rfc',
    explanation: [
      'Lockdep models memory reclaim with the `fs_reclaim` pseudo-lock: an allocation that may enter direct reclaim "takes" it,',
      'and reclaim "holds" it while it runs shrinkers, frees slabs, and therefore runs destructors.',
      'If code allocates with `GFP_KERNEL` while holding lock L (L -> fs_reclaim), and a destructor takes L (fs_reclaim -> L),',
      'the cycle is a real deadlock: the allocation enters reclaim, reclaim frees a slab of this cache, the dtor waits for L, held by the allocator.',
      '',
      'Pedro Falcato in the destructor RFC thread: "a normal, possibly-unrelated GFP_KERNEL allocation can also run into all of these issues by',
      'purely starting up shrinkers on direct reclaim". The evidence names the allocation that closes the cycle.',
      '',
      '**Fix:** make the lock a leaf (never allocate with a reclaim-capable gfp under it: use GFP_NOWAIT/GFP_ATOMIC, or allocate before locking).',
    ].join('\n'),
  },
  // The slab-dtor context's `no-reclaim-lock` constraint (contexts/constraints/reclaim-lock.ts), with this rule's message.
  async check(ctx, cache) {
    if (!cache.dtor) return;
    for (const { acq: a, edge: e } of await reclaimLockHits(ctx.analysis, cache.dtor)) {
      const loc = fromChain(a.chain);
      ctx.report({
        ...loc,
        related: [...loc.related, ...e.chain],
        message: `reclaim deadlock: destructor ${cache.dtor.fn.name}() takes ${a.cls}, and ${a.cls} is held while allocating with a gfp that may enter reclaim (${a.cls} -> fs_reclaim -> dtor -> ${a.cls})`,
        cache: cache.creation.name,
      });
    }
  },
};
