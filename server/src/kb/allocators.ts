/**
 * Allocation and free functions as data: which argument is the gfp mask and
 * which the cache, and which allocator they belong to. Sources:
 * include/linux/slab.h, gfp.h, percpu.h, percpu_counter.h, vmalloc.h,
 * mempool.h (6.12). `gfpArg` is a 0-based argument index; -1 = the allocator
 * always behaves like GFP_KERNEL (it sleeps), e.g. alloc_percpu().
 */
export interface AllocatorFact {
  allocator: 'slab' | 'kmalloc' | 'page' | 'vmalloc' | 'percpu' | 'percpu_counter' | 'mempool' | 'other';
  gfpArg?: number;
  /** Index of the kmem_cache argument, for cache allocations. */
  cacheArg?: number;
  percpu?: boolean;
  /** Never spins on a lock: kmalloc_nolock(), usable from NMI and re-entrant code. */
  nolock?: boolean;
  source: string;
}

export interface FreeFact {
  allocator: AllocatorFact['allocator'];
  cacheArg?: number;
  percpu?: boolean;
  nolock?: boolean;
  source: string;
}

const SLAB_H = 'include/linux/slab.h';
/**
 * Not in 6.12: commit af92793e52c3 "slab: Introduce kmalloc_nolock() and kfree_nolock()" (Alexei
 * Starovoitov; seeds/001 is the review of its May 2025 version), merged through the slab tree for
 * Linux 6.18: include/linux/slab.h kmalloc_nolock(size, gfp_flags, node), kfree_nolock(objp);
 * mm/slub.c kmalloc_nolock_noprof(), kfree_nolock().
 */
const NOLOCK_SRC = 'include/linux/slab.h, mm/slub.c kmalloc_nolock_noprof()/kfree_nolock() (Linux 6.18, commit af92793e52c3; review: seeds/001)';
/**
 * Since 6.10 (memory allocation profiling) the allocators are `alloc_hooks()` macros over
 * `*_noprof` functions (include/linux/alloc_tag.h; kmalloc_noprof, alloc_percpu_noprof,
 * __alloc_percpu_gfp_noprof...): the same facts under both names.
 */
export function withNoprof<T>(table: Record<string, T>): Readonly<Record<string, T>> {
  const out: Record<string, T> = { ...table };
  for (const [name, fact] of Object.entries(table)) if (!name.endsWith('_noprof') && !out[`${name}_noprof`]) out[`${name}_noprof`] = fact;
  return out;
}

export const ALLOCATORS: Readonly<Record<string, AllocatorFact>> = withNoprof({
  kmem_cache_alloc: { allocator: 'slab', cacheArg: 0, gfpArg: 1, source: SLAB_H },
  kmem_cache_alloc_noprof: { allocator: 'slab', cacheArg: 0, gfpArg: 1, source: SLAB_H },
  kmem_cache_zalloc: { allocator: 'slab', cacheArg: 0, gfpArg: 1, source: SLAB_H },
  kmem_cache_alloc_node: { allocator: 'slab', cacheArg: 0, gfpArg: 1, source: SLAB_H },
  kmem_cache_alloc_node_noprof: { allocator: 'slab', cacheArg: 0, gfpArg: 1, source: SLAB_H },
  kmem_cache_alloc_lru: { allocator: 'slab', cacheArg: 0, gfpArg: 2, source: SLAB_H },
  kmem_cache_alloc_lru_noprof: { allocator: 'slab', cacheArg: 0, gfpArg: 2, source: SLAB_H },
  kmem_cache_alloc_bulk: { allocator: 'slab', cacheArg: 0, gfpArg: 1, source: SLAB_H },
  kmalloc: { allocator: 'kmalloc', gfpArg: 1, source: SLAB_H },
  kzalloc: { allocator: 'kmalloc', gfpArg: 1, source: SLAB_H },
  kmalloc_node: { allocator: 'kmalloc', gfpArg: 1, source: SLAB_H },
  kzalloc_node: { allocator: 'kmalloc', gfpArg: 1, source: SLAB_H },
  kmalloc_array: { allocator: 'kmalloc', gfpArg: 2, source: SLAB_H },
  kcalloc: { allocator: 'kmalloc', gfpArg: 2, source: SLAB_H },
  kmalloc_array_node: { allocator: 'kmalloc', gfpArg: 2, source: SLAB_H },
  kcalloc_node: { allocator: 'kmalloc', gfpArg: 2, source: SLAB_H },
  krealloc: { allocator: 'kmalloc', gfpArg: 2, source: SLAB_H },
  krealloc_array: { allocator: 'kmalloc', gfpArg: 3, source: SLAB_H },
  kmemdup: { allocator: 'kmalloc', gfpArg: 2, source: 'include/linux/string.h' },
  kstrdup: { allocator: 'kmalloc', gfpArg: 1, source: 'include/linux/string.h' },
  kstrndup: { allocator: 'kmalloc', gfpArg: 2, source: 'include/linux/string.h' },
  kasprintf: { allocator: 'kmalloc', gfpArg: 0, source: 'include/linux/sprintf.h' },
  kvmalloc: { allocator: 'vmalloc', gfpArg: 1, source: SLAB_H },
  kvzalloc: { allocator: 'vmalloc', gfpArg: 1, source: SLAB_H },
  kvmalloc_node: { allocator: 'vmalloc', gfpArg: 1, source: SLAB_H },
  kvcalloc: { allocator: 'vmalloc', gfpArg: 2, source: SLAB_H },
  kvmalloc_array: { allocator: 'vmalloc', gfpArg: 2, source: SLAB_H },
  vmalloc: { allocator: 'vmalloc', gfpArg: -1, source: 'include/linux/vmalloc.h' },
  vzalloc: { allocator: 'vmalloc', gfpArg: -1, source: 'include/linux/vmalloc.h' },
  __vmalloc: { allocator: 'vmalloc', gfpArg: 1, source: 'include/linux/vmalloc.h' },
  alloc_pages: { allocator: 'page', gfpArg: 0, source: 'include/linux/gfp.h' },
  alloc_page: { allocator: 'page', gfpArg: 0, source: 'include/linux/gfp.h' },
  alloc_pages_node: { allocator: 'page', gfpArg: 1, source: 'include/linux/gfp.h' },
  __alloc_pages: { allocator: 'page', gfpArg: 0, source: 'include/linux/gfp.h' },
  folio_alloc: { allocator: 'page', gfpArg: 0, source: 'include/linux/gfp.h' },
  __get_free_pages: { allocator: 'page', gfpArg: 0, source: 'include/linux/gfp.h' },
  __get_free_page: { allocator: 'page', gfpArg: 0, source: 'include/linux/gfp.h' },
  get_zeroed_page: { allocator: 'page', gfpArg: 0, source: 'include/linux/gfp.h' },
  alloc_percpu: { allocator: 'percpu', gfpArg: -1, percpu: true, source: 'include/linux/percpu.h' },
  alloc_percpu_gfp: { allocator: 'percpu', gfpArg: 1, percpu: true, source: 'include/linux/percpu.h' },
  __alloc_percpu: { allocator: 'percpu', gfpArg: -1, percpu: true, source: 'include/linux/percpu.h' },
  __alloc_percpu_gfp: { allocator: 'percpu', gfpArg: 2, percpu: true, source: 'include/linux/percpu.h' },
  // 6.12: alloc_percpu(type) is __alloc_percpu() -> pcpu_alloc_noprof(size, align, false, GFP_KERNEL).
  alloc_percpu_noprof: { allocator: 'percpu', gfpArg: -1, percpu: true, source: 'include/linux/percpu.h (6.12): pcpu_alloc_noprof(..., GFP_KERNEL)' },
  pcpu_alloc_noprof: { allocator: 'percpu', gfpArg: 3, percpu: true, source: 'include/linux/percpu.h (6.12)' },
  percpu_counter_init: { allocator: 'percpu_counter', gfpArg: 2, percpu: true, source: 'include/linux/percpu_counter.h' },
  percpu_counter_init_many: { allocator: 'percpu_counter', gfpArg: 2, percpu: true, source: 'include/linux/percpu_counter.h' },
  mempool_alloc: { allocator: 'mempool', gfpArg: 1, source: 'include/linux/mempool.h' },
  // kmalloc_nolock(size, gfp_flags, node): may fail (NULL) whenever the per-CPU lock it needs is held.
  kmalloc_nolock: { allocator: 'kmalloc', gfpArg: 1, nolock: true, source: NOLOCK_SRC },
  // mm/percpu.c (6.12): what every percpu allocation ends in.
  pcpu_alloc: { allocator: 'percpu', gfpArg: 3, percpu: true, source: 'mm/percpu.c: pcpu_alloc_noprof(size, align, reserved, gfp)' },
});

export const FREES: Readonly<Record<string, FreeFact>> = {
  kmem_cache_free: { allocator: 'slab', cacheArg: 0, source: SLAB_H },
  kmem_cache_free_bulk: { allocator: 'slab', cacheArg: 0, source: SLAB_H },
  kfree: { allocator: 'kmalloc', source: SLAB_H },
  kfree_sensitive: { allocator: 'kmalloc', source: SLAB_H },
  kfree_rcu: { allocator: 'kmalloc', source: 'include/linux/rcupdate.h' },
  kvfree: { allocator: 'vmalloc', source: SLAB_H },
  vfree: { allocator: 'vmalloc', source: 'include/linux/vmalloc.h' },
  free_pages: { allocator: 'page', source: 'include/linux/gfp.h' },
  free_page: { allocator: 'page', source: 'include/linux/gfp.h' },
  __free_pages: { allocator: 'page', source: 'include/linux/gfp.h' },
  __free_page: { allocator: 'page', source: 'include/linux/gfp.h' },
  folio_put: { allocator: 'page', source: 'include/linux/mm.h' },
  free_percpu: { allocator: 'percpu', percpu: true, source: 'include/linux/percpu.h' },
  percpu_counter_destroy: { allocator: 'percpu_counter', percpu: true, source: 'include/linux/percpu_counter.h' },
  percpu_counter_destroy_many: { allocator: 'percpu_counter', percpu: true, source: 'include/linux/percpu_counter.h' },
  mempool_free: { allocator: 'mempool', source: 'include/linux/mempool.h' },
  kfree_nolock: { allocator: 'kmalloc', nolock: true, source: NOLOCK_SRC },
};

/** The allocator calls allowed where spinning on a lock is not (NMI, re-entrant tracing code). */
export function isNolockAllocator(fn: string): boolean {
  return !!(ALLOCATORS[fn]?.nolock || FREES[fn]?.nolock);
}

/**
 * gfp masks: may the allocation sleep / enter direct reclaim?
 * include/linux/gfp_types.h: GFP_KERNEL = __GFP_RECLAIM | __GFP_IO | __GFP_FS;
 * GFP_ATOMIC = __GFP_HIGH | __GFP_KSWAPD_RECLAIM (no direct reclaim);
 * GFP_NOWAIT = __GFP_KSWAPD_RECLAIM; GFP_NOIO/GFP_NOFS still direct-reclaim.
 */
export const GFP_MAY_SLEEP = ['GFP_KERNEL', 'GFP_KERNEL_ACCOUNT', 'GFP_NOFS', 'GFP_NOIO', 'GFP_USER',
  'GFP_HIGHUSER', 'GFP_HIGHUSER_MOVABLE', 'GFP_DMA32', '__GFP_DIRECT_RECLAIM', '__GFP_RECLAIM'];
export const GFP_ATOMIC_LIKE = ['GFP_ATOMIC', 'GFP_NOWAIT', '__GFP_ATOMIC', 'GFP_NOWAIT_ACCOUNT'];

/** Classify a gfp expression. 'unknown' when it is a variable or a parameter. */
export function classifyGfp(expr: string | undefined): 'sleep' | 'atomic' | 'unknown' {
  if (expr === undefined) return 'sleep';
  const e = expr.replace(/\s+/g, '');
  if (/~__GFP_DIRECT_RECLAIM|~__GFP_RECLAIM/.test(e)) return 'atomic';
  const ids = e.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? [];
  if (ids.some((id) => GFP_ATOMIC_LIKE.includes(id))) return 'atomic';
  if (ids.some((id) => GFP_MAY_SLEEP.includes(id))) return 'sleep';
  return 'unknown';
}

/** The gfp class of a call to allocator `fn`: allocators without a gfp argument always sleep. */
export function allocGfpClass(fn: string, gfp: string | undefined): 'sleep' | 'atomic' | 'unknown' {
  return ALLOCATORS[fn]?.gfpArg === -1 ? 'sleep' : classifyGfp(gfp ?? 'GFP_KERNEL');
}
