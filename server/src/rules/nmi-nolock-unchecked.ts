import type { Rule } from './types';
import { fromChain } from './types';
import { nolockFunctions } from '../contexts/atomic-entries';
import { ALLOCATORS } from '../kb/allocators';

/** kmalloc_nolock() fails by design: its result must be tested. */
export const nmiNolockUnchecked: Rule = {
  meta: {
    id: 'nmi-nolock-unchecked',
    defaultSeverity: 'error',
    description: 'The result of kmalloc_nolock() is used without a NULL check.',
    semantics: 'any',
    explanation: [
      '`kmalloc_nolock()` (Linux 6.18, commit af92793e52c3; seeds/001) never waits for a lock, so failing is part of its',
      'contract, not an out-of-memory corner case: it returns NULL when the per-CPU lock of the bucket it needs is held',
      '(an NMI or a probe that interrupted that bucket\'s critical section; it tries one larger bucket first), when memory',
      'would need the page allocator\'s locks, for sizes above `KMALLOC_MAX_CACHE_SIZE`, and **always** when called in NMI or',
      'hardirq context on PREEMPT_RT ("Similar to alloc_pages_nolock() the kmalloc_nolock() returns NULL immediately if',
      'called from hard irq or NMI in PREEMPT_RT"). A caller that dereferences the result without testing it crashes exactly',
      'in the situations the API was made for.',
      '',
      'The result counts as checked when it is tested (`if (!p)`, `p == NULL`, `IS_ERR_OR_NULL(p)`, inside a condition) or',
      'returned to the caller (then the caller\'s use is checked).',
      '',
      '**Fix:** test the result and take the path that works without the memory (drop the event, count it, retry later).',
    ].join('\n'),
  },
  check() {},
  async checkWorkspace(ctx) {
    const a = ctx.analysis;
    for (const ref of await nolockFunctions(a, 'kmalloc_nolock')) {
      for (const al of a.summary(ref).allocs) {
        if (!ALLOCATORS[al.fn]?.nolock || al.checked || al.returned) continue;
        // This function's own allocation, or one a wrapper handed up to it: its caller is the one to test it.
        if (al.chain.length > 1 && !al.handedUp) continue;
        const loc = fromChain(al.chain);
        ctx.report({ ...loc, related: loc.related, message: `${ref.fn.name}() uses the result of ${al.fn}() without a NULL check: it returns NULL whenever the per-CPU lock it needs is held, and always in NMI/hardirq on PREEMPT_RT` });
      }
    }
  },
};
