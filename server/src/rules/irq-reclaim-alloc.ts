import type { Rule } from './types';
import { fromChain } from './types';
import { depthNote, atomicSeverity, claim, entryLabel, registeredStep, siteOf } from '../contexts/constraints/atomic';
import { reclaimAllocs } from '../contexts/constraints/reclaim-alloc';
import { unreadSteps } from './shrinker-common';

/** The hardirq context's `no-reclaim-alloc` constraint. */
export const irqReclaimAlloc: Rule = {
  meta: {
    id: 'irq-reclaim-alloc',
    defaultSeverity: 'error',
    description: 'A primary interrupt handler (or what it calls) allocates with a gfp that may enter direct reclaim (GFP_KERNEL...).',
    semantics: 'any',
    explanation: [
      'A hardirq handler runs with interrupts off and must not sleep. `GFP_KERNEL`, `GFP_NOFS`, `GFP_NOIO` (anything with',
      '`__GFP_DIRECT_RECLAIM`, include/linux/gfp_types.h) may enter direct reclaim and sleep there; `vmalloc()` and',
      '`alloc_percpu()` always may. In hardirq context use `GFP_ATOMIC` (may take the reserves) or `GFP_NOWAIT`',
      '(include/linux/gfp_types.h: neither has `__GFP_DIRECT_RECLAIM`), and handle the failure.',
      '',
      '**Fix:** `GFP_ATOMIC`, preallocation at probe time, or allocate in the threaded handler.',
    ].join('\n'),
  },
  check() {},
  checkAtomic(ctx, ep, memo) {
    if (!ep.fn || ep.context.id !== 'hardirq') return;
    for (const al of reclaimAllocs(ctx.analysis, ep.fn)) {
      if (!claim(memo, al.chain, ep.context.id)) continue;
      const loc = fromChain(al.chain);
      ctx.report({
        ...loc, severity: atomicSeverity(ep, al.chain, ctx.analysis), entry: ep.name,
        related: [...loc.related, registeredStep(ep), ...unreadSteps(ctx.analysis, ep.fn)],
        message: `${entryLabel(ep)} runs in hardirq context and allocates with ${al.fn}(${al.gfpBound ?? al.gfp ?? 'GFP_KERNEL'})${siteOf(al.chain)}, which may enter reclaim and sleep${depthNote(ep, al.chain, ctx.analysis)}`,
      });
    }
  },
};
