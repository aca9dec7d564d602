import { ALLOCATORS } from '../kb/allocators';
import { gfpParam } from '../index/analysis';
import type { Step } from '../index/analysis';
import type { Rule } from './types';

/** Allocators that take no gfp (they use GFP_KERNEL inside) -> the call that takes one. */
const WITH_GFP: Record<string, string> = {
  alloc_percpu: 'alloc_percpu_gfp(type, gfp)',
  __alloc_percpu: '__alloc_percpu_gfp(size, align, gfp)',
  alloc_percpu_noprof: 'pcpu_alloc_noprof(sizeof(type), __alignof__(type), false, gfp)',
  vmalloc: '__vmalloc(size, gfp) (or kvmalloc(size, gfp))',
  vzalloc: '__vmalloc(size, gfp | __GFP_ZERO) (or kvzalloc(size, gfp))',
};

export const ctorIgnoresGfp: Rule = {
  meta: {
    id: 'ctor-ignores-gfp',
    defaultSeverity: 'warning',
    description: 'A constructor given the caller\'s gfp allocates with a reclaim-capable gfp of its own (GFP_KERNEL, alloc_percpu()).',
    semantics: 'dtor-rfc',
    explanation: [
      'Under the destructor RFC a constructor is `int ctor(void *obj, gfp_t gfp)`: it runs inside `kmem_cache_alloc()` with the',
      'caller\'s gfp, because the caller may be in atomic context (a spinlock held, `GFP_ATOMIC`, `GFP_NOWAIT`). Reviewers of the RFC',
      'asked for the gfp to be passed to `->ctor` so that constructors honour the caller\'s context; a constructor that allocates with',
      '`GFP_KERNEL` (or `GFP_NOFS`, `GFP_KERNEL_ACCOUNT`...), or with an API that has no gfp argument and uses `GFP_KERNEL` inside',
      '(`alloc_percpu(type)` is `__alloc_percpu()` -> `pcpu_alloc_noprof(..., GFP_KERNEL)` in mm/percpu.c), throws that away: it may',
      'enter direct reclaim and take `pcpu_alloc_mutex` whatever the caller allowed.',
      '',
      'The allocation is found directly in the ctor or in what it calls (across files, through function-like macros), with the',
      'call chain as evidence; a hard-coded gfp passed down to a helper\'s gfp parameter counts where the helper allocates with it.',
      'A hard-coded `GFP_ATOMIC`/`GFP_NOWAIT` is not reported: it never sleeps, so it is safe in any caller\'s context (it fails',
      'more readily, and `GFP_ATOMIC` draws on reserves, but that is a choice, not a context bug).',
      '',
      '**Fix:** pass the ctor\'s `gfp` down: `kmalloc(size, gfp)`, `alloc_percpu_gfp(type, gfp)` instead of `alloc_percpu(type)`,',
      'and give helpers a `gfp_t` parameter.',
    ].join('\n'),
  },
  check(ctx, cache) {
    if (!cache.ctor) return;
    const fn = cache.ctor.fn;
    const given = gfpParam(fn);
    if (!given) return;
    const givenStep: Step = { file: cache.ctor.file, span: fn.nameAt, note: `${fn.name}() is given the caller's gfp as \`${given.name}\`` };
    const seen = new Set<string>();
    for (const a of ctx.analysis.summary(cache.ctor).allocs) {
      if (a.gfpClass !== 'sleep') continue;
      const at = a.chain[a.chain.length - 1];
      const key = `${at.file}:${at.span.join(',')}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const internal = ALLOCATORS[a.fn]?.gfpArg === -1;
      const what = internal ? `${a.fn}(), which always allocates with GFP_KERNEL` : a.gfpFrom ? `${a.fn}(${a.gfp}), ${a.gfp} being the ${a.gfpBound} that ${a.gfpFrom.note.replace(/ passes .*/, '')} passes down` : `${a.fn}(${a.gfp ?? 'GFP_KERNEL'})`;
      // A constant passed down: by the ctor (pass gfp instead), or by a gfp-less wrapper (call what it wraps).
      const passed = a.gfpFrom ? /^(\w+)\(\) passes .* to (\w+)\(\)$/.exec(a.gfpFrom.note) : null;
      const fix = internal ? (WITH_GFP[a.fn] ? `use ${WITH_GFP[a.fn]}` : `use an allocator that takes a gfp and pass ${given.name}`)
        : passed && passed[1] !== fn.name ? `call ${passed[2]}(..., ${given.name}) instead of ${passed[1]}()`
          : passed ? `pass ${given.name} to ${passed[2]}()` : `pass ${given.name}`;
      const where = a.chain.length > 1 ? ` (through ${a.chain.slice(0, -1).map((s) => /calls (\w+)\(\)/.exec(s.note)?.[1]).filter(Boolean).join('() -> ')}())` : '';
      ctx.report({
        file: at.file, span: at.span,
        related: [givenStep, ...a.chain.slice(0, -1), ...(a.gfpFrom && !a.chain.includes(a.gfpFrom) ? [a.gfpFrom] : [])],
        message: `constructor ${fn.name}() is given gfp \`${given.name}\` but allocates with ${what}${where}: it may sleep whatever the caller allowed; the destructor RFC passes the gfp so constructors honour the caller's context: ${fix}`,
        cache: cache.creation.name,
      });
    }
  },
};
