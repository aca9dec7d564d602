import type { Rule } from './types';

export const lockImbalance: Rule = {
  meta: {
    id: 'lock-imbalance',
    defaultSeverity: 'error',
    description: 'A lock is taken and not released on some path of a constructor or destructor (or released without being held).',
    semantics: 'any',
    explanation: [
      'Constructors and destructors run inside the slab allocator, once per object of a slab. A lock left held on an error path',
      'returns into `kmem_cache_alloc()` or `__free_slab()` with the lock held: the next object\'s ctor/dtor deadlocks on it,',
      'or the caller runs atomic for good. Releasing a lock not held corrupts it.',
      '',
      'Paths are followed through if/else, early returns, goto-unwinding, loops and switch; `guard()`/`scoped_guard()` release automatically.',
      '',
      '**Fix:** release the lock on every path (the goto-unwind pattern or `guard()`).',
    ].join('\n'),
  },
  check(ctx, cache) {
    for (const [ref, role] of [[cache.ctor, 'constructor'], [cache.dtor, 'destructor']] as const) {
      if (!ref) continue;
      for (const im of ref.fn.imbalances) {
        const cls = ctx.analysis.classOf(ref.file, ref.fn, ref.fn.locks[im.lock]);
        if (im.kind === 'leak') {
          ctx.report({ file: ref.file, span: im.at, related: im.takenAt ? [{ file: ref.file, span: im.takenAt, note: `${cls} taken here` }] : [], message: `${role} ${ref.fn.name}() returns with ${cls} still held on this path`, cache: cache.creation.name });
        } else {
          ctx.report({ file: ref.file, span: im.at, related: [], message: `${role} ${ref.fn.name}() releases ${cls}, which is not held on any path here`, cache: cache.creation.name });
        }
      }
    }
  },
};
