import type { Rule } from './types';
import { fromChain } from './types';
import { FS_RECLAIM } from '../index/analysis';

export const dtorNonLeafLock: Rule = {
  meta: {
    id: 'dtor-non-leaf-lock',
    defaultSeverity: 'error',
    description: 'A slab destructor takes a lock that is not a leaf (other locks are taken while it is held).',
    semantics: 'dtor-rfc',
    explanation: [
      'A *leaf* lock is one under which no other lock is ever taken. A destructor can run from almost anywhere a slab page is freed,',
      'including memory reclaim, so any lock it takes joins lock chains it cannot see. With a leaf lock no cycle can close;',
      'with a non-leaf lock, the code that nests another lock under it can deadlock against the destructor.',
      '',
      'Mateusz Guzik, first reply to the destructor RFC: "for this to be viable one needs to ensure that in the worst case this only ever',
      'takes leaf-locks (i.e., locks which are last in any dependency chain -- no locks are being taken if you hold one)."',
      'Harry Yoo: `pcpu_lock` "seems to be a leaf spinlock (no code path in the kernel takes any other locks while holding the lock)".',
      '',
      'The evidence shows the dtor\'s path to the lock and one place where the lock nests another.',
      '',
      '**Fix:** use a lock that protects only this state and take nothing under it, or defer the work out of the destructor.',
    ].join('\n'),
  },
  async check(ctx, cache) {
    if (!cache.dtor) return;
    for (const a of ctx.analysis.summary(cache.dtor).acquires.values()) {
      // A trylock never waits: the dtor cannot deadlock on it (`if (!spin_trylock(&l)) return;`).
      if (a.trylock) continue;
      // Slab frees and allocations are reported by dtor-frees-to-slab / dtor-allocates, with the reason.
      if (a.cls === 'kmem_cache_node.list_lock') continue;
      const { edges, known } = await ctx.analysis.edgesFrom(a.cls);
      if (known?.leaf) continue;
      // Prefer evidence in the user's code over knowledge-base locks.
      const nonReclaim = edges.filter((e) => e.to !== FS_RECLAIM).sort((x, y) => Number(ctx.analysis.lockFacts.has(x.to)) - Number(ctx.analysis.lockFacts.has(y.to)));
      if (known?.nonLeafBecause) {
        const loc = fromChain(a.chain);
        ctx.report({ ...loc, message: `destructor ${cache.dtor.fn.name}() takes ${a.cls}, which is not a leaf lock: ${known.nonLeafBecause}`, cache: cache.creation.name });
        continue;
      }
      if (!nonReclaim.length) continue;
      const e = nonReclaim[0];
      const loc = fromChain(a.chain);
      ctx.report({
        ...loc,
        related: [...loc.related, ...e.chain.map((s, i) => (i === 0 ? { ...s, note: `${a.cls} is not a leaf: ${s.note}` } : s))],
        message: `destructor ${cache.dtor.fn.name}() takes ${a.cls}, which is not a leaf lock (${e.to} is taken while it is held${nonReclaim.length > 1 ? `, and ${nonReclaim.length - 1} more` : ''})`,
        cache: cache.creation.name,
      });
    }
  },
};
