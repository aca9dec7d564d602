/**
 * Built-in cache models used when the caller passes none: mm_struct as the
 * destructor RFC converts it (patch 7: the ctor sets up the mm_cid area and
 * the rss_stat percpu counters, the dtor destroys them), and two small
 * caches for the reclaim demonstration (a dtor taking a non-leaf lock, and
 * one taking only a leaf irqsave spinlock).
 */
import type { CacheModel } from './model';
import type { Costs } from './costs';

const AT = { file: '<built-in>', startLine: 0, startCol: 0, endLine: 0, endCol: 0 };

export function mmStructModel(costs: Costs): CacheModel {
  return {
    version: 1,
    name: 'mm_struct',
    variable: 'mm_cachep',
    // sizeof(struct mm_struct) + cpumask; 23 objects per order-3 slab like a distro kernel.
    objectSize: { bytes: 1408, expr: 'sizeof(struct mm_struct) + cpumask_size()', assumed: true },
    align: 64,
    flags: ['SLAB_HWCACHE_ALIGN', 'SLAB_PANIC', 'SLAB_ACCOUNT'],
    ctor: {
      name: 'mm_struct_ctor',
      summary: 'allocates 2 percpu regions (mm_cid, rss_stat; GFP_KERNEL), adds counters under percpu_counters_lock',
      maySleep: true,
      steps: [
        { kind: 'alloc', allocator: 'alloc_percpu', gfp: 'GFP_KERNEL', percpu: true, bytes: 16 },
        { kind: 'alloc', allocator: 'percpu_counter_init_many', gfp: 'GFP_KERNEL_ACCOUNT', percpu: true, bytes: 32 },
        { kind: 'lock', lock: 'percpu_counters_lock', lockKind: 'spin', irq: 'irqsave' },
        { kind: 'work', ns: costs.percpuCountersListNs },
        { kind: 'unlock', lock: 'percpu_counters_lock' },
      ],
    },
    dtor: {
      name: 'mm_struct_dtor',
      summary: 'removes counters under percpu_counters_lock, frees 2 percpu regions (pcpu_lock, a leaf)',
      maySleep: false,
      steps: [
        { kind: 'lock', lock: 'percpu_counters_lock', lockKind: 'spin', irq: 'irqsave' },
        { kind: 'work', ns: costs.percpuCountersListNs },
        { kind: 'unlock', lock: 'percpu_counters_lock' },
        { kind: 'free', allocator: 'free_percpu', percpu: true },
        { kind: 'free', allocator: 'free_percpu', percpu: true },
      ],
    },
    at: AT,
  };
}

/**
 * The tc action object as the RFC's patch 4 converts net/sched/act_api.c:
 * the ctor allocates the three percpu regions tcf_idr_create allocates today
 * (cpu_bstats and cpu_bstats_hw through netdev_alloc_pcpu_stats, cpu_qstats
 * through alloc_percpu, all GFP_KERNEL), the dtor frees them as free_tcf does.
 */
export function tcActionModel(): CacheModel {
  return {
    version: 1,
    name: 'tc_action',
    variable: 'tcf_action_cachep',
    // struct tcf_gact: struct tc_action plus the gact fields; not evaluated here.
    objectSize: { bytes: 256, expr: 'sizeof(struct tcf_gact)', assumed: true },
    align: 64,
    flags: ['SLAB_HWCACHE_ALIGN', 'SLAB_ACCOUNT'],
    ctor: {
      name: 'tcf_action_ctor',
      summary: 'allocates 3 percpu regions (cpu_bstats, cpu_bstats_hw, cpu_qstats; GFP_KERNEL)',
      maySleep: true,
      steps: [
        { kind: 'alloc', allocator: 'netdev_alloc_pcpu_stats', gfp: 'GFP_KERNEL', percpu: true, bytes: 16 },
        { kind: 'alloc', allocator: 'netdev_alloc_pcpu_stats', gfp: 'GFP_KERNEL', percpu: true, bytes: 16 },
        { kind: 'alloc', allocator: 'alloc_percpu', gfp: 'GFP_KERNEL', percpu: true, bytes: 20 },
      ],
    },
    dtor: {
      name: 'tcf_action_dtor',
      summary: 'frees the 3 percpu regions (pcpu_lock, a leaf)',
      maySleep: false,
      steps: [
        { kind: 'free', allocator: 'free_percpu', percpu: true },
        { kind: 'free', allocator: 'free_percpu', percpu: true },
        { kind: 'free', allocator: 'free_percpu', percpu: true },
      ],
    },
    at: AT,
  };
}

/**
 * A cache whose dtor takes `lock`. With a mutex that some code holds while
 * allocating with GFP_KERNEL this is the reclaim deadlock the
 * dtor-reclaim-deadlock rule describes; with a leaf irqsave spinlock it is safe.
 */
export function demoDtorModel(lock: string, lockKind: string, irq: 'none' | 'irqsave' = 'none'): CacheModel {
  return {
    version: 1,
    name: 'demo_obj',
    objectSize: { bytes: 256 },
    align: 8,
    flags: [],
    ctor: {
      name: 'demo_obj_ctor', summary: 'allocates a percpu counter', maySleep: true,
      steps: [{ kind: 'alloc', allocator: 'alloc_percpu', gfp: 'GFP_KERNEL', percpu: true, bytes: 8 }],
    },
    dtor: {
      name: 'demo_obj_dtor', summary: `takes ${lock}, frees the percpu counter`, maySleep: lockKind === 'mutex',
      steps: [
        { kind: 'lock', lock, lockKind, irq },
        { kind: 'work', ns: 100 },
        { kind: 'unlock', lock },
        { kind: 'free', allocator: 'free_percpu', percpu: true },
      ],
    },
    at: AT,
  };
}
