import type { Rule } from './types';
import { fromChain } from './types';

export const dtorAllocates: Rule = {
  meta: {
    id: 'dtor-allocates',
    defaultSeverity: 'error',
    description: 'A slab destructor allocates memory.',
    semantics: 'dtor-rfc',
    explanation: [
      'A destructor runs while memory is being given back, often because memory is short (the shrinker, direct reclaim).',
      'Allocating there can recurse into reclaim, into the slab allocator that is freeing this very slab, or fail.',
      '',
      'Harry Yoo in the destructor RFC thread: "Destructors should not allocate any memory and thus no need for \'Get Free Page\' flags." ',
      'The RFC deliberately gives `->dtor` no gfp argument.',
      '',
      '**Fix:** allocate in the constructor (which may fail under the RFC semantics) and only release in the destructor.',
    ].join('\n'),
  },
  check(ctx, cache) {
    if (!cache.dtor) return;
    for (const a of ctx.analysis.summary(cache.dtor).allocs) {
      ctx.report({ ...fromChain(a.chain), message: `destructor ${cache.dtor.fn.name}() allocates with ${a.fn}(${a.gfp ?? ''}); destructors run while memory is being freed and must not allocate`, cache: cache.creation.name });
    }
  },
};
