import type { CacheInfo, FnRef, Step } from '../index/analysis';
import type { Rule, RuleContext } from './types';

/**
 * The pattern that motivated the destructor RFC: objects get percpu memory
 * right after kmem_cache_alloc() and give it back right before
 * kmem_cache_free(), so every object lifetime pays for pcpu_alloc_mutex.
 */
export const ctorDtorCandidate: Rule = {
  meta: {
    id: 'ctor-dtor-candidate',
    defaultSeverity: 'info',
    description: 'A cache whose objects allocate percpu memory after kmem_cache_alloc and free it before kmem_cache_free: a ctor/dtor candidate.',
    semantics: 'any',
    explanation: [
      'Each allocation of percpu memory takes the global `pcpu_alloc_mutex` (and `pcpu_lock`); each free takes `pcpu_lock`.',
      'When every object of a cache allocates percpu memory right after `kmem_cache_alloc()` and frees it right before',
      '`kmem_cache_free()`, those global locks sit on the object\'s hot path. With a slab constructor/destructor pair',
      '(the destructor RFC, Harry Yoo, April 2025) the percpu memory stays with the object while it sits in the slab and is',
      'released only when the slab page is freed. The RFC measured the gain on mm_struct (exec() in a loop); for this cache the',
      'hover and the code lens show one prediction, from the same simulation, with its spread over seeds.',
      '',
      'Use "Simulate ctor/dtor conversion" to see the predicted gain over CPU counts; then move the allocation into a ctor',
      '(which must return -ENOMEM on failure) and the release into a dtor that only takes leaf spinlocks with IRQs disabled.',
    ].join('\n'),
  },
  async check(ctx, cache) {
    const v = cache.creation.assignedTo;
    if (!v || cache.creation.dtor.kind !== 'none') return;
    // On a big tree, only caches allocated in files that mention percpu memory are read
    // (the pattern's percpu calls sit beside the allocation, or in a helper of that file).
    const p = ctx.analysis.project;
    if (p.demandDriven) {
      const uses = p.cacheUseIndex.get(v.split(/->|\./).pop()!) ?? [];
      if (!uses.some((f) => p.prescan.get(f)?.hasPercpu)) return;
    }
    const sites = await ctx.analysis.allocSites(cache);
    let allocHit: { ref: FnRef; idx: number; what: string } | undefined;
    for (const site of sites) {
      const around = [...await throughWrappers(ctx, site.ref, site.ref.fn.events.indexOf(site.event)), ...passingCalls(ctx, site.via)];
      // Their callees (a setup helper in another file) are read before their summaries are asked for.
      await ctx.analysis.prepare(around.map((a) => a.ref), MAX_HELPER_DEPTH + 1);
      for (const at of around) {
        const what = percpuAfter(ctx, at.ref, at.idx, 'alloc');
        if (what) {
          allocHit = { ...at, what };
          break;
        }
      }
      if (allocHit) break;
    }
    if (!allocHit) return;
    const freeHit = await freeSide(ctx, cache);
    if (!freeHit) return;
    const e = allocHit.ref.fn.events[allocHit.idx];
    ctx.report({
      file: cache.file, span: cache.creation.at,
      related: [
        { file: allocHit.ref.file, span: e.at, note: `${allocHit.ref.fn.name}() allocates from ${v}, then ${allocHit.what}` },
        { file: freeHit.ref.file, span: freeHit.at, note: `${freeHit.ref.fn.name}() ${freeHit.what}, then frees the object to ${v}` },
      ],
      message: `cache ${cache.creation.name}: objects get percpu memory after allocation and release it before freeing; a slab ctor/dtor pair would take pcpu_alloc_mutex off this path`,
      cache: cache.creation.name,
    });
  },
};

/**
 * The site itself, or, when it sits in a thin wrapper (a macro like
 * `#define allocate_mm() kmem_cache_alloc(mm_cachep, GFP_KERNEL)` or a
 * one-line function), the places that call the wrapper.
 */
async function throughWrappers(ctx: RuleContext, ref: FnRef, idx: number): Promise<{ ref: FnRef; idx: number }[]> {
  const out = [{ ref, idx }];
  if (!ref.fn.macro && ref.fn.events.length > 2) return out;
  const a = ctx.analysis;
  // Callers of a wrapper live where the cache is used (and the wrapper's own file).
  const cacheVar = wrapperCache(ref, idx);
  const files = a.project.demandDriven ? [...new Set([ref.file, ...(a.project.cacheUseIndex.get(cacheVar) ?? [])])] : [...a.project.facts.keys()];
  await a.project.ensureFacts(files);
  for (const f of files) {
    for (const fn of a.functionsIn(f)) {
      fn.events.forEach((e, i) => {
        if (e.k === 'call' && e.fn === ref.fn.name && out.length < 16) out.push({ ref: { file: f, fn }, idx: i });
      });
    }
  }
  return out;
}

/**
 * A site in a helper given the cache as an argument (`my_alloc(sess_cachep, gfp)` ->
 * kmem_cache_alloc(c, gfp)): the calls that passed it (the site's `via`), innermost first,
 * where the object's percpu memory is set up around the call.
 */
function passingCalls(ctx: RuleContext, via: Step[] | undefined): { ref: FnRef; idx: number }[] {
  const out: { ref: FnRef; idx: number }[] = [];
  for (const step of [...(via ?? [])].reverse()) {
    for (const fn of ctx.analysis.functionsIn(step.file)) {
      const idx = fn.events.findIndex((e) => e.k === 'call' && e.at[0] === step.span[0] && e.at[1] === step.span[1]);
      if (idx >= 0) {
        out.push({ ref: { file: step.file, fn }, idx });
        break;
      }
    }
  }
  return out;
}

function wrapperCache(ref: FnRef, idx: number): string {
  const e = ref.fn.events[idx];
  const c = e && (e.k === 'alloc' || e.k === 'free') ? e.cache ?? '' : '';
  return c.split(/->|\./).pop()!.replace(/[^\w]/g, '');
}

/** A percpu allocation (or free) among the events after/before `idx`, directly or in a callee. */
const MAX_HELPER_DEPTH = 2;

function percpuAfter(ctx: RuleContext, ref: FnRef, idx: number, kind: 'alloc' | 'free', before = false): string | undefined {
  const evs = ref.fn.events;
  const range = before ? evs.slice(Math.max(0, idx - 12), idx).reverse() : evs.slice(idx + 1, idx + 13);
  for (const e of range) {
    if (kind === 'alloc' && e.k === 'alloc' && /percpu/.test(e.fn)) return `calls ${e.fn}()`;
    if (kind === 'free' && e.k === 'free' && /percpu/.test(e.fn)) return `calls ${e.fn}()`;
    if (e.k === 'call') {
      const callee = ctx.analysis.resolve(e.fn, ref.file);
      if (!callee) continue;
      const s = ctx.analysis.summary(callee);
      // Memory the object owns is allocated by the helper it calls or one level below
      // (percpu_ref_init -> __alloc_percpu_gfp), not deep in reclaim or cgroup paths.
      const hit = kind === 'alloc' ? s.allocs.find((a) => a.percpu && a.chain.length <= MAX_HELPER_DEPTH) : s.frees.find((f) => /percpu/.test(f.fn) && f.chain.length <= MAX_HELPER_DEPTH);
      if (hit) return `calls ${e.fn}(), which calls ${hit.fn}()`;
    }
  }
  return undefined;
}

async function freeSide(ctx: RuleContext, cache: CacheInfo): Promise<{ ref: FnRef; at: [number, number, number, number]; what: string } | undefined> {
  // The cache's own frees (same identity as the creation), its own file first.
  const sites = (await ctx.analysis.freeSites(cache)).filter((s) => s.event.fn === 'kmem_cache_free');
  for (const site of sites) {
    const around = [...await throughWrappers(ctx, site.ref, site.ref.fn.events.indexOf(site.event)), ...passingCalls(ctx, site.via)];
    // Their callees are read before their summaries are asked (a setup helper in another file).
    await ctx.analysis.prepare(around.map((a) => a.ref), MAX_HELPER_DEPTH + 1);
    for (const at of around) {
      const what = percpuAfter(ctx, at.ref, at.idx, 'free', true);
      if (what) return { ref: at.ref, at: at.ref.fn.events[at.idx].at, what };
    }
  }
  return undefined;
}
