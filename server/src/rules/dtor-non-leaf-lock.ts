import type { Rule } from './types';
import { fromChain } from './types';
import { Analysis, Edge, FS_RECLAIM, Step } from '../index/analysis';

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
      'The 6.12 source disagrees: `free_percpu()` calls `pcpu_memcg_free_hook()` -> `obj_cgroup_uncharge()` -> `refill_obj_stock()`',
      'under `pcpu_lock`, which takes `memcg_stock.stock_lock` (mm/percpu.c, mm/memcontrol.c). slabcheck reads the code where the',
      'workspace holds it, and takes no leaf claim from the discussion.',
      '',
      'The evidence shows the dtor\'s path to the lock and one place where the lock nests another.',
      '',
      'It is an **error** when the chain leads back to the destructor, as lockdep would report a cycle: a class nested under',
      'the lock is held while allocating with a gfp that may enter reclaim (reclaim frees slabs and runs destructors:',
      '`fs_reclaim`). Without such a path it is a **warning** with the nesting evidence;',
      '`"rules": { "dtor-non-leaf-lock": "error" }` in `.slabcheck.json` makes every non-leaf lock an error.',
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
      if (a.cls === SLAB_LIST_LOCK) continue;
      const { edges, known } = await ctx.analysis.edgesFrom(a.cls);
      if (known?.leaf) continue;
      // Prefer evidence in the user's code over knowledge-base locks.
      const nonReclaim = edges.filter((e) => e.to !== FS_RECLAIM).sort((x, y) => Number(ctx.analysis.lockFacts.has(x.to)) - Number(ctx.analysis.lockFacts.has(y.to)));
      // The code's evidence first; the knowledge base's reason when the code holding the lock is not here.
      if (!nonReclaim.length && known?.nonLeafBecause) {
        const loc = fromChain(a.chain);
        ctx.report({ ...loc, severity: 'warning', message: `destructor ${cache.dtor.fn.name}() takes ${a.cls}, which is not a leaf lock: ${known.nonLeafBecause}`, cache: cache.creation.name });
        continue;
      }
      if (!nonReclaim.length) continue;
      const loc = fromChain(a.chain);
      const cycle = await cycleBack(ctx.analysis, nonReclaim);
      const nested = [...new Set(nonReclaim.map((e) => e.to))];
      const e = cycle?.first ?? nonReclaim[0];
      const evidence = [...e.chain.map((s, i) => (i === 0 ? { ...s, note: `${a.cls} is not a leaf: ${s.note}` } : s)), ...(cycle?.then ?? [])];
      const list = `${nested.slice(0, 3).join(', ')}${nested.length > 3 ? ` and ${nested.length - 3} more` : ''}`;
      ctx.report({
        ...loc,
        severity: cycle ? 'error' : 'warning',
        related: [...loc.related, ...evidence],
        message: cycle
          ? `destructor ${cache.dtor.fn.name}() takes ${a.cls}, which is not a leaf lock, and the chain leads back to the destructor: ${a.cls} -> ${e.to} -> ${cycle.via} -> ${cache.dtor.fn.name}() -> ${a.cls} (${cycle.why})`
          : `destructor ${cache.dtor.fn.name}() takes ${a.cls}, which is not a leaf lock (${list} ${nested.length > 1 ? 'are' : 'is'} taken while it is held; no path back to the destructor through reclaim found)`,
        cache: cache.creation.name,
      });
    }
  },
};

const SLAB_LIST_LOCK = 'kmem_cache_node.list_lock';

/**
 * Whether a class nested under the dtor's lock leads back to the destructor, as lockdep closes
 * the cycle through `fs_reclaim`: the nested class is held while allocating with a gfp that may
 * enter reclaim, and a destructor may run in reclaim. Looked for one level down, where the
 * evidence stays readable. (Freeing into this very cache under the nested class would close it
 * too; that needs the cache's identity at the free, which is not matched here.)
 */
async function cycleBack(a: Analysis, nested: Edge[]): Promise<{ first: Edge; via: string; why: string; then: Step[] } | undefined> {
  for (const e of nested.slice(0, 8)) {
    const { edges } = await a.edgesFrom(e.to);
    const back = edges.find((x) => x.to === FS_RECLAIM);
    if (back) return { first: e, via: 'fs_reclaim', why: `${e.to} is held while allocating with a gfp that may enter reclaim, and a destructor may run in reclaim`, then: back.chain };
  }
  return undefined;
}
