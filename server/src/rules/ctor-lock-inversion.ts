import type { Rule } from './types';
import { fromChain } from './types';

export const ctorLockInversion: Rule = {
  meta: {
    id: 'ctor-lock-inversion',
    defaultSeverity: 'error',
    description: 'A constructor takes a lock that a caller of kmem_cache_alloc() on the cache holds, or one ordered before it.',
    semantics: 'any',
    explanation: [
      'A constructor runs inside `kmem_cache_alloc()` with the caller\'s locks held. If the ctor takes a lock L that the',
      'allocating caller already holds, it self-deadlocks on the first slab growth. If the ctor takes L while the caller',
      'holds H, and elsewhere L is held while H is taken, the two orders form an ABBA deadlock.',
      '',
      'Harry Yoo in the destructor RFC thread: "you shouldn\'t allocate mm_struct while holding pcpu_lock, or allocate a pgd while holding pgd_lock."',
      '',
      '**Fix:** allocate before taking the lock, or keep the lock out of the constructor.',
    ].join('\n'),
  },
  async check(ctx, cache) {
    if (!cache.ctor) return;
    const acquires = [...ctx.analysis.summary(cache.ctor).acquires.values()].filter((a) => !a.trylock);
    if (!acquires.length) return;
    for (const site of await ctx.analysis.allocSites(cache)) {
      for (const h of site.held) {
        for (const a of acquires) {
          // Honouring an atomic caller's gfp, the ctor does not take it (pcpu_alloc_mutex).
          if (a.ifCallerGfpSleeps && site.gfpClass === 'atomic') continue;
          const siteStep = { file: site.ref.file, span: site.event.at, note: `${site.ref.fn.name}() allocates from ${site.via ? `its parameter ${site.event.cache}, which is ${cache.creation.assignedTo},` : cache.creation.assignedTo} while holding ${h.cls}` };
          const loc = fromChain(a.chain);
          if (a.cls === h.cls) {
            ctx.report({ ...loc, related: [...(site.via ?? []), siteStep, ...(h.takenAt ? [h.takenAt] : []), ...loc.related], message: `constructor ${cache.ctor.fn.name}() takes ${a.cls}, which ${site.ref.fn.name}() already holds when it allocates from this cache: self-deadlock on slab growth`, cache: cache.creation.name });
            continue;
          }
          const { edges } = await ctx.analysis.edgesFrom(a.cls);
          const inv = edges.find((e) => e.to === h.cls);
          if (!inv) continue;
          ctx.report({ ...loc, related: [...(site.via ?? []), siteStep, ...loc.related, ...inv.chain], message: `lock inversion: constructor ${cache.ctor.fn.name}() takes ${a.cls} under ${h.cls} (held by ${site.ref.fn.name}()), but elsewhere ${h.cls} is taken under ${a.cls}`, cache: cache.creation.name });
        }
      }
    }
  },
};
