import type { Rule } from './types';
import { fromChain } from './types';

/** Which release undoes which acquisition. include/linux/percpu.h, percpu_counter.h, slab.h. */
const RELEASES: Record<string, string[]> = {
  alloc_percpu: ['free_percpu'], alloc_percpu_gfp: ['free_percpu'], __alloc_percpu: ['free_percpu'], __alloc_percpu_gfp: ['free_percpu'],
  alloc_percpu_noprof: ['free_percpu'], pcpu_alloc_noprof: ['free_percpu'],
  percpu_counter_init: ['percpu_counter_destroy'], percpu_counter_init_many: ['percpu_counter_destroy_many', 'percpu_counter_destroy'],
  kmalloc: ['kfree', 'kvfree'], kzalloc: ['kfree', 'kvfree'], kcalloc: ['kfree', 'kvfree'], kmalloc_array: ['kfree', 'kvfree'],
  kvmalloc: ['kvfree'], kvzalloc: ['kvfree'], vmalloc: ['vfree', 'kvfree'], vzalloc: ['vfree', 'kvfree'],
  alloc_pages: ['__free_pages', 'free_pages'], alloc_page: ['__free_page', '__free_pages'], __get_free_pages: ['free_pages'], __get_free_page: ['free_page', 'free_pages'],
  kmem_cache_alloc: ['kmem_cache_free'], kmem_cache_zalloc: ['kmem_cache_free'],
};

export const ctorDtorPairing: Rule = {
  meta: {
    id: 'ctor-dtor-pairing',
    defaultSeverity: 'warning',
    description: 'What the constructor acquires must be released by the destructor.',
    semantics: 'dtor-rfc',
    explanation: [
      'Under the destructor RFC, a constructor may acquire resources (percpu memory, percpu counters, buffers) that stay with the object',
      'across its free/alloc cycles; the destructor releases them when the slab page is freed. A resource acquired with no matching',
      'release leaks once per object each time a slab is freed; a destructor without a constructor releases what nobody acquired.',
      '',
      'The mm_struct conversion in the RFC pairs `mm_alloc_cid()`/percpu counters in the ctor with their destruction in the dtor.',
      '',
      '**Fix:** release each acquisition in the destructor, in reverse order ("Generate dtor from ctor" writes one).',
    ].join('\n'),
  },
  check(ctx, cache) {
    const at = { file: cache.file, span: cache.creation.at };
    if (cache.dtor && !cache.ctor && cache.creation.ctor.kind === 'none') {
      ctx.report({ ...at, related: [{ file: cache.dtor.file, span: cache.dtor.fn.nameAt, note: `destructor ${cache.dtor.fn.name}() defined here` }], message: `cache ${cache.creation.name} has a destructor but no constructor: the dtor releases what nothing acquired`, cache: cache.creation.name });
      return;
    }
    if (!cache.ctor) return;
    const allocs = ctx.analysis.summary(cache.ctor).allocs;
    if (!allocs.length) return;
    if (!cache.dtor) {
      if (cache.creation.dtor.kind !== 'none') return;
      const a = allocs[0];
      ctx.report({ ...fromChain(a.chain), related: [{ file: cache.file, span: cache.creation.at, note: `cache ${cache.creation.name} is created here without a .dtor` }, ...a.chain.slice(1)], message: `constructor ${cache.ctor.fn.name}() acquires ${a.fn}() but the cache has no destructor to release it`, cache: cache.creation.name });
      return;
    }
    const frees = ctx.analysis.summary(cache.dtor).frees.map((f) => f.fn);
    const used = new Set<number>();
    for (const a of allocs) {
      const want = RELEASES[a.fn];
      if (!want) continue;
      const i = frees.findIndex((f, idx) => !used.has(idx) && want.includes(f));
      if (i >= 0) {
        used.add(i);
        continue;
      }
      ctx.report({ ...fromChain(a.chain), related: [...a.chain.slice(1), { file: cache.dtor.file, span: cache.dtor.fn.nameAt, note: `destructor ${cache.dtor.fn.name}() has no ${want.join('/')}()` }], message: `constructor ${cache.ctor.fn.name}() acquires ${a.fn}() that destructor ${cache.dtor.fn.name}() never releases (${want.join('/')})`, cache: cache.creation.name });
    }
  },
};
