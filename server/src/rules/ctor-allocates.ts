import type { Rule } from './types';
import { fromChain } from './types';

export const ctorAllocates: Rule = {
  meta: {
    id: 'ctor-allocates',
    defaultSeverity: 'warning',
    description: 'A slab constructor allocates memory (an error when it allocates from its own cache).',
    semantics: 'any',
    explanation: [
      'A constructor runs inside `kmem_cache_alloc()` for every object of a new slab, with the caller\'s locks held and the caller\'s gfp.',
      'Allocating from the *same* cache recurses into slab growth (Harry Yoo: "It\'d be fine as long as ->ctor does not allocate objects from',
      'the same cache (and of course it should not)").',
      '',
      'Under **mainline** semantics the ctor is `void (*)(void *)` and cannot report failure, so any allocation in it can fail silently: a warning.',
      'Under the **destructor RFC** the ctor returns `int` and may fail; an allocation is fine when its result is checked and the failure returned',
      '(reviewers asked for a gfp argument so the ctor can honour the caller\'s context).',
      '',
      '**Fix:** check the allocation and return -ENOMEM (RFC semantics), or move the allocation out of the constructor.',
    ].join('\n'),
  },
  check(ctx, cache) {
    if (!cache.ctor) return;
    const fn = cache.ctor.fn;
    // The same cache by identity (a global, a struct field class), not by a name in common.
    const own = ctx.analysis.cacheIdOfCreation(cache);
    for (const a of ctx.analysis.summary(cache.ctor).allocs) {
      const loc = fromChain(a.chain);
      if (own && a.cacheId === own) {
        ctx.report({ ...loc, severity: 'error', message: `constructor ${fn.name}() allocates from its own cache ${cache.creation.assignedTo}: slab growth recurses into itself`, cache: cache.creation.name });
        continue;
      }
      // A callee that checks its own allocation handles the failure; only the ctor's own
      // allocations (made here, or returned to it by a wrapper), and unchecked ones below it, lose a failure.
      const mine = a.chain.length === 1 || !!a.handedUp;
      if (!mine && a.checked) continue;
      if (ctx.semantics === 'dtor-rfc') {
        if (mine && a.checked && fn.returnsError) continue;
        if (!mine) continue; // callee checks are the callee's business; its failure must reach us as a return value
        ctx.report({ ...loc, message: `constructor ${fn.name}() allocates with ${a.fn}() but ${a.checked ? 'does not return the failure' : 'does not check the result'}; under the destructor RFC a ctor must return an error when it cannot construct`, cache: cache.creation.name });
      } else {
        ctx.report({ ...loc, message: `constructor ${fn.name}() allocates with ${a.fn}(); a mainline ctor cannot fail, so the failure is lost`, cache: cache.creation.name });
      }
    }
  },
};
