import { SPINNING_KINDS } from '../kb/locks';
import type { Rule } from './types';
import { fromChain } from './types';

export const ctorMaySleepInAtomic: Rule = {
  meta: {
    id: 'ctor-may-sleep-in-atomic',
    defaultSeverity: 'error',
    description: 'A constructor may sleep, but some caller allocates from the cache in atomic context.',
    semantics: 'any',
    explanation: [
      'Constructors run in `allocate_slab()` -> `setup_object()`, inside `kmem_cache_alloc()`, with the caller\'s locks held,',
      'its interrupt state and its gfp. A constructor that may sleep (a `GFP_KERNEL` allocation, `alloc_percpu()` taking',
      '`pcpu_alloc_mutex`, a mutex) is a "sleeping function called from invalid context" bug when any caller allocates',
      'with `GFP_ATOMIC`/`GFP_NOWAIT`, under a spinlock, or with interrupts disabled.',
      '',
      'This is why reviewers of the destructor RFC asked for the caller\'s gfp to be passed to `->ctor`. Under the RFC an allocation',
      'made with the gfp the ctor is given (directly, through helpers in other files, through macros) honours the caller: it sleeps',
      'only when the caller allowed it, so it does not make the ctor "may sleep" (`ctor-ignores-gfp` reports the hard-coded ones).',
      '',
      '**Fix:** pass the gfp down (RFC semantics) and honour it, or make the constructor non-sleeping.',
    ].join('\n'),
  },
  async check(ctx, cache) {
    if (!cache.ctor) return;
    const s = ctx.analysis.summary(cache.ctor);
    if (!s.maySleep) return;
    for (const site of await ctx.analysis.allocSites(cache)) {
      const spin = site.held.find((h) => SPINNING_KINDS.has(h.kind));
      const why = site.gfpClass === 'atomic' ? `with ${site.gfp ?? site.event.gfp}` : spin ? `while holding spinlock ${spin.cls}` : site.irqOff ? 'with interrupts disabled' : undefined;
      if (!why) continue;
      const related = [
        ...(site.via ?? []),
        { file: site.ref.file, span: site.event.at, note: `${site.ref.fn.name}() allocates from ${site.via ? `its parameter ${site.event.cache}, which is ${cache.creation.assignedTo},` : cache.creation.assignedTo} ${why}` },
        ...(spin?.takenAt ? [spin.takenAt] : []),
        ...s.maySleep,
      ];
      const loc = fromChain(s.maySleep);
      ctx.report({ file: loc.file, span: loc.span, related, message: `constructor ${cache.ctor.fn.name}() may sleep, but ${site.ref.fn.name}() allocates from this cache ${why}`, cache: cache.creation.name });
    }
  },
};
