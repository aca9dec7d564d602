import type { Rule } from './types';
import { nolockFunctions } from '../contexts/atomic-entries';
import { ALLOCATORS } from '../kb/allocators';
import type { FnEvent } from '../facts/types';

/** kfree_nolock() frees only what kmalloc_nolock() allocated (the 6.18 contract). */
export const nmiKfreeNolockMismatch: Rule = {
  meta: {
    id: 'nmi-kfree-nolock-mismatch',
    defaultSeverity: 'error',
    description: 'kfree_nolock() frees memory that visibly came from another allocator (kmalloc, kmem_cache_alloc, vmalloc, alloc_percpu...).',
    semantics: 'any',
    explanation: [
      'The contract of `kfree_nolock()` (Linux 6.18, commit af92793e52c3; v4 of the series "emphasized that kfree_nolock()',
      'shouldn\'t be used on kmalloc()-ed objects"): it frees only objects allocated by `kmalloc_nolock()`. It skips the free',
      'hooks that take locks (kmemleak, debug objects) because `kmalloc_nolock()` skipped the matching allocation hooks; an',
      'object from `kmalloc()` or `kmem_cache_alloc()` had those hooks run and leaks its kmemleak record (or worse, with',
      'debugging on). Memory from vmalloc, the page allocator or the percpu allocator is not slab memory at all.',
      'The reverse (`kfree()` of `kmalloc_nolock()` memory) was also not allowed in 6.18; the 7.0 slab pull lifted that one.',
      '',
      'slabcheck reports what it can see: a pointer assigned from another allocator in the same function and given to',
      '`kfree_nolock()` there.',
      '',
      '**Fix:** allocate with `kmalloc_nolock()`, or free with the allocator\'s own free (`kfree()`, `kmem_cache_free()`, `vfree()`),',
      'deferred out of NMI with irq_work when needed.',
    ].join('\n'),
  },
  check() {},
  async checkWorkspace(ctx) {
    const a = ctx.analysis;
    const norm = (x: string | undefined) => x?.replace(/\s+/g, '').replace(/^\((.*)\)$/, '$1').replace(/^\(\w+\s*\*\)/, '');
    for (const ref of await nolockFunctions(a, 'kfree_nolock')) {
      const evs = ref.fn.events;
      for (let i = 0; i < evs.length; i++) {
        const fr = evs[i];
        if (fr.k !== 'free' || fr.fn !== 'kfree_nolock' || !fr.arg) continue;
        // The last assignment of the pointer before the free.
        const src = evs.slice(0, i).reverse().find((e): e is Extract<FnEvent, { k: 'alloc' }> => e.k === 'alloc' && !!e.assignedTo && norm(e.assignedTo) === norm(fr.arg));
        if (!src || ALLOCATORS[src.fn]?.nolock) continue;
        ctx.report({
          file: ref.file, span: fr.at,
          related: [{ file: ref.file, span: src.at, note: `${norm(fr.arg)} comes from ${src.fn}() here (${ALLOCATORS[src.fn]?.allocator ?? 'another'} allocator)` }],
          message: `kfree_nolock(${norm(fr.arg)}) in ${ref.fn.name}() frees memory from ${src.fn}(): kfree_nolock() frees only kmalloc_nolock() memory`,
        });
      }
    }
  },
};
