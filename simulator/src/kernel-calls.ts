/**
 * Kernel functions a ctor/dtor step list may call, as data: what the
 * simulator should do for each. Everything else is an opaque call costing
 * callNs. Sources: mm/percpu.c, lib/percpu_counter.c, mm/slub.c,
 * kernel/sched (might_sleep annotations).
 */
export type CallEffect =
  | { kind: 'percpu-alloc'; bytes: number }
  | { kind: 'percpu-free' }
  | { kind: 'slab-free' }
  | { kind: 'sleep'; ns: number }
  | { kind: 'work'; ns: number };

export const KERNEL_CALLS: Record<string, CallEffect> = {
  alloc_percpu: { kind: 'percpu-alloc', bytes: 16 },
  alloc_percpu_gfp: { kind: 'percpu-alloc', bytes: 16 },
  __alloc_percpu: { kind: 'percpu-alloc', bytes: 16 },
  __alloc_percpu_gfp: { kind: 'percpu-alloc', bytes: 16 },
  percpu_counter_init: { kind: 'percpu-alloc', bytes: 8 },
  percpu_counter_init_many: { kind: 'percpu-alloc', bytes: 32 },
  free_percpu: { kind: 'percpu-free' },
  percpu_counter_destroy: { kind: 'percpu-free' },
  percpu_counter_destroy_many: { kind: 'percpu-free' },
  kfree: { kind: 'slab-free' },
  kmem_cache_free: { kind: 'slab-free' },
  kvfree: { kind: 'slab-free' },
  msleep: { kind: 'sleep', ns: 1_000_000 },
  usleep_range: { kind: 'sleep', ns: 50_000 },
  schedule: { kind: 'sleep', ns: 10_000 },
  synchronize_rcu: { kind: 'sleep', ns: 100_000 },
  wait_for_completion: { kind: 'sleep', ns: 10_000 },
  flush_work: { kind: 'sleep', ns: 10_000 },
  cancel_work_sync: { kind: 'sleep', ns: 10_000 },
  might_sleep: { kind: 'sleep', ns: 0 },
  cond_resched: { kind: 'sleep', ns: 0 },
  vfree: { kind: 'sleep', ns: 2_000 },
};

/** Allocator names (alloc steps) that go through the percpu allocator. */
export function isPercpuAllocator(name: string): boolean {
  return /(^|_)alloc_percpu|percpu_counter_init/.test(name);
}

export function isPercpuFree(name: string): boolean {
  return name === 'free_percpu' || /percpu_counter_destroy/.test(name);
}

/** Allocators that hand out whole pages (page allocator cost). */
export function isPageAllocator(name: string): boolean {
  return /alloc_pages|get_free_page|get_zeroed_page|vmalloc|vzalloc|kvmalloc|kvzalloc/.test(name);
}

/**
 * Lines of protected data a holder pulls from the previous holder, for lock
 * classes the simulator knows (the lock line itself is always counted).
 * Unknown locks get 1 (assumed: one line of data beside the lock).
 */
export function knownDataLines(lockClass: string, pcpuMetadataLines: number): number {
  switch (lockClass) {
    case 'pcpu_lock': return pcpuMetadataLines;
    case 'pcpu_alloc_mutex': return 0; // its data moves under pcpu_lock
    case 'percpu_counters_lock': return 1; // the global list head
    case 'kmem_cache_node.list_lock': return 2; // partial list head and slab struct
    default: return 1;
  }
}
