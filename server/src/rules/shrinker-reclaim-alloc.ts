import type { Rule } from './types';
import { fromChain } from './types';
import { reclaimAllocs } from '../contexts/constraints/reclaim-alloc';
import { callbackLabel, registeredStep, resolvedCallbacks, unreadSteps } from './shrinker-common';

/** The shrinker contexts' `no-reclaim-alloc` constraint. */
export const shrinkerReclaimAlloc: Rule = {
  meta: {
    id: 'shrinker-reclaim-alloc',
    defaultSeverity: 'warning',
    description: 'A shrinker callback (or what it calls) allocates with a gfp that may enter reclaim.',
    semantics: 'any',
    explanation: [
      'Shrinker callbacks run inside memory reclaim: direct reclaim of any task that allocates with a reclaim-capable gfp',
      '(mm/page_alloc.c `__perform_reclaim()`), kswapd, and memcg reclaim; `sc->gfp_mask` says what the reclaiming task allows.',
      'All three set `PF_MEMALLOC` (`memalloc_noreclaim_save()`, kswapd\'s task flags), so an allocation made here does not enter',
      'reclaim again: it is served from the emergency reserves kept for reclaim to make progress, and fails when they are gone.',
      'A callback that allocates with `GFP_KERNEL` to free memory competes with the reclaim it is part of.',
      '',
      'The lockless-shrink series (seeds/003) made the shrinker walk RCU + refcount based so callbacks can be run without',
      '`shrinker_rwsem`; it did not make allocating in them safe.',
      '',
      '**Fix:** allocate before registering (preallocate), use `sc->gfp_mask` or `GFP_NOWAIT`, or skip the work and return `SHRINK_STOP`.',
    ].join('\n'),
  },
  check() {},
  checkShrinker(ctx, s) {
    for (const c of resolvedCallbacks(s)) {
      const allocs = reclaimAllocs(ctx.analysis, c.fn);
      if (!allocs.length) continue;
      const al = allocs[0];
      const loc = fromChain(al.chain);
      const gfp = al.gfpBound ?? al.gfp ?? 'GFP_KERNEL';
      ctx.report({
        ...loc,
        related: [...loc.related, registeredStep(s, c), ...unreadSteps(ctx.analysis, c.fn)],
        message: `${callbackLabel(s, c)} runs in reclaim and allocates with ${al.fn}(${gfp}), which may enter reclaim${allocs.length > 1 ? ` (${allocs.length} such allocations)` : ''}`,
      });
    }
  },
};
