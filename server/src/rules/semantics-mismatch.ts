import type { Rule } from './types';

/**
 * Under mainline semantics no destructor rule runs. A cache that sets `.dtor`
 * is then checked by nothing, which must not look like "no hazard".
 */
export const semanticsMismatch: Rule = {
  meta: {
    id: 'semantics-mismatch',
    defaultSeverity: 'warning',
    description: 'A cache sets .dtor, but the checks run with mainline semantics, where no destructor rule applies.',
    semantics: 'mainline',
    explanation: [
      'Mainline `struct kmem_cache_args` has no destructor (include/linux/slab.h, 6.12); the destructor RFC',
      '(seeds/004, "mm/slab: revive the destructor feature in slab allocator") adds `.dtor` and lets `.ctor` fail.',
      'slabcheck checks destructors only under the RFC semantics, so a `.dtor` checked as mainline gets no',
      'leaf-lock, may-sleep, allocation or reclaim finding at all.',
      '',
      'With no `.slabcheck.json`, setting or `--semantics`, slabcheck reads the tree\'s include/linux/slab.h and uses',
      'the RFC semantics when `struct kmem_cache_args` declares `dtor`.',
      '',
      '**Fix:** set `"semantics": "dtor-rfc"` in `.slabcheck.json` (the quick fix writes it), or `--semantics dtor-rfc`.',
    ].join('\n'),
  },
  check(ctx, cache) {
    const d = cache.creation.dtor;
    if (d.kind === 'none') return;
    const src = ctx.analysis.project.config.semanticsSource ?? 'the default';
    ctx.report({
      file: cache.file,
      span: d.at,
      related: [],
      cache: cache.creation.name,
      message: `cache ${cache.creation.name} sets .dtor, but the checks run with mainline semantics (${src}): no destructor rule ran on it; set "semantics": "dtor-rfc" in .slabcheck.json`,
    });
  },
};
