import type { Rule } from './types';
import { fromChain } from './types';

const SLAB_FREES = new Set(['kmem_cache_free', 'kmem_cache_free_bulk', 'kfree', 'kfree_sensitive', 'kvfree', 'kfree_rcu']);

export const dtorFreesToSlab: Rule = {
  meta: {
    id: 'dtor-frees-to-slab',
    defaultSeverity: 'error',
    description: 'A slab destructor frees into a slab cache (kmem_cache_free/kfree).',
    semantics: 'dtor-rfc',
    explanation: [
      'Freeing an object may take `kmem_cache_node.list_lock`, which is not a leaf lock: SLUB takes other locks while holding it,',
      'and the destructor may itself be running from a path that freed a slab. A dtor may take only leaf spinlocks.',
      '',
      'Harry Yoo in the destructor RFC thread: "slab takes list_lock, and it is not a leaf spinlock because in some path slab can take',
      'other locks while holding it. And thus you can\'t call kmem_cache_free() directly in ->dtor."',
      '',
      '**Fix:** keep such objects alive for the lifetime of the constructed object, or free them from a deferred context',
      '(e.g. `kfree_rcu()` is also a slab free; a workqueue is the safe choice).',
    ].join('\n'),
  },
  check(ctx, cache) {
    if (!cache.dtor) return;
    for (const f of ctx.analysis.summary(cache.dtor).frees) {
      if (!SLAB_FREES.has(f.fn)) continue;
      ctx.report({ ...fromChain(f.chain), message: `destructor ${cache.dtor.fn.name}() frees into the slab allocator with ${f.fn}(), which may take the non-leaf kmem_cache_node.list_lock`, cache: cache.creation.name });
    }
  },
};
