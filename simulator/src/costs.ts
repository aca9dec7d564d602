/**
 * Default costs, one table for every machine, CPU count and workload. Each
 * entry says where its value comes from and of which kind it is:
 *   measured  - a micro-benchmark run on the development VM (bench/micro/, the
 *               command is in docs/simulator.md), or a perf share of one;
 *   published - a citable measurement or figure, or read from the kernel source;
 *   assumed   - no source: a guess, named as one wherever it is used.
 * No entry is set per workload or chosen to land a published figure;
 * docs/simulator.md shows each prediction's sensitivity to them.
 *
 * Times are nanoseconds of a core running alone on its core; SMT sharing is
 * applied on top by the engine (see smtSlowdown).
 */
export type CostKind = 'measured' | 'published' | 'assumed';

export interface CostEntry {
  value: number;
  unit: 'ns' | 'count' | 'ratio' | 'bytes';
  /** Where the value comes from. */
  source: string;
  kind: CostKind;
  /** True when no source backs the value (kind === 'assumed'). */
  assumed: boolean;
  /** What the simulator uses it for. */
  use: string;
}

const PERFBOOK = 'perfbook (McKenney), table of operation costs';
const BROUER_SLAB = "Jesper Brouer's slab bulk-allocation measurements";
const BROUER_PAGE = 'Jesper Brouer, page_bench (order-0 alloc+free ~250-270 cycles at ~3 GHz)';
const RFC = 'slab destructor RFC (Harry Yoo, linux-mm, April 2025)';
const MICRO = 'bench/micro/costs.c on the development VM';
const PROFILE = 'bench/micro/exec-profile.sh (perf, no-libc exec loop; share x measured exec time)';

function c(value: number, unit: CostEntry['unit'], kind: CostKind, source: string, use: string): CostEntry {
  return { value, unit, source, kind, assumed: kind === 'assumed', use };
}

export const COST_TABLE = {
  // --- synchronisation and cache coherence --------------------------------
  lockAcquireNs: c(6.3, 'ns', 'measured', `${MICRO}: spin_acq_rel_ns (xchg acquire + release store, uncontended); perfbook gives 15-66 ns on older parts`,
    'atomic acquire + release of a lock whose line is already local'),
  atomicNs: c(4.8, 'ns', 'measured', `${MICRO}: atomic_rmw_local_ns (lock xadd on a local line)`,
    'one atomic read-modify-write on a line (refcounts, rwsem count, lockref), besides moving the line'),
  smtTransferNs: c(4.5, 'ns', 'measured', `${MICRO}: l2_hit_ns; SMT siblings share L1/L2, so a line moves between them at about an L2 hit`,
    'cache-line transfer between SMT siblings of one core'),
  sameSocketTransferNs: c(64, 'ns', 'measured', `${MICRO}: line_transfer_ns, half a ping-pong round trip between the two vCPUs (best run; 64-400 ns with the VM's other load); perfbook: 22-100 ns`,
    'cache-line transfer between cores of one socket (lock handoff, shared data)'),
  crossSocketTransferNs: c(300, 'ns', 'published', `${PERFBOOK}: cross-socket cache-line transfer 150-440 ns (about the middle of the range; this VM has one socket)`,
    'cache-line transfer between sockets (lock handoff, shared data)'),
  l2HitNs: c(4.5, 'ns', 'measured', `${MICRO}: l2_hit_ns (dependent loads, 256 KiB working set)`,
    'a read of a line in the local L2 (tree walks, per-CPU areas the CPU reuses)'),
  dramMissNs: c(221, 'ns', 'measured', `${MICRO}: dram_miss_ns (dependent loads, 512 MiB working set, TLB misses included)`,
    'a read that misses every cache (per-memcg data a shrinker walk touches once per pass)'),
  mutexWakeupNs: c(4000, 'ns', 'assumed', 'assumed: sleep/wakeup handoff 2-10 us (SIMULATOR-NOTES)',
    'time from waking a sleeping mutex waiter until it runs'),
  mutexSpinLimitNs: c(20000, 'ns', 'assumed', 'assumed: optimistic spinning lasts while the owner runs and nothing else wants the CPU; bounded here',
    'how long a mutex waiter spins on a running owner before sleeping'),
  smtSlowdown: c(1.5, 'ratio', 'assumed', 'assumed: two busy SMT threads give ~1.33x the throughput of one',
    'work on a CPU whose SMT sibling is also running takes this many times longer'),

  // --- SLUB and the page allocator ----------------------------------------
  slubFastPathNs: c(11, 'ns', 'published', `${BROUER_SLAB}: fast path alloc+free 10-12 ns`,
    'per-CPU alloc+free pair; half is charged to each side'),
  slubListPerObjectNs: c(5, 'ns', 'assumed', 'assumed: moving one object between a per-CPU cache and its slab',
    'work under kmem_cache_node.list_lock per object refilled or flushed'),
  slubNewSlabNs: c(200, 'ns', 'assumed', 'assumed: slab struct setup and freelist build',
    'setting up a new slab besides the page allocation and the ctor runs'),
  slubSheafCapacity: c(32, 'count', 'assumed', 'assumed: per-CPU object cache capacity (6.18 sheaves are sized per cache)',
    'objects a CPU caches before flushing to the node lists'),
  pageAllocFreeNs: c(90, 'ns', 'published', BROUER_PAGE,
    'order-0 page alloc+free pair; half is charged to each side, multiplied by 2^order'),
  reclaimPassNs: c(5000, 'ns', 'assumed', 'assumed: one direct-reclaim pass over LRU and shrinkers',
    'work of a reclaim pass besides freeing slabs and running dtors'),
  reclaimBatchPages: c(32, 'count', 'published', 'SWAP_CLUSTER_MAX in mm/vmscan.c',
    'pages one reclaim pass frees besides slabs'),

  // --- the percpu allocator -------------------------------------------------
  pcpuAllocPathNs: c(183, 'ns', 'measured', `${PROFILE}: pcpu_alloc_noprof 1.45% of a 25.2 us exec(), two allocations (2 possible CPUs)`,
    'whole alloc_percpu path except the per-CPU clearing beyond the measuring VM\'s 2 possible CPUs; includes pcpuAllocLockedNs'),
  pcpuFreePathNs: c(101, 'ns', 'measured', `${PROFILE}: free_percpu 0.80% of a 25.2 us exec(), two frees`,
    'whole free_percpu path; includes pcpuFreeLockedNs'),
  pcpuAllocLockedNs: c(90, 'ns', 'assumed', 'assumed: half of the measured alloc path runs under pcpu_lock (area search, pcpu_alloc_area; inlined, so perf cannot split it)',
    'the part of the alloc path under pcpu_lock (inside pcpu_alloc_mutex)'),
  pcpuFreeLockedNs: c(50, 'ns', 'assumed', 'assumed: half of the measured free path runs under pcpu_lock (pcpu_free_area)',
    'the part of the free path under pcpu_lock'),
  pcpuMetadataLines: c(2, 'count', 'assumed', 'assumed: chunk alloc_map/bound_map/md_blocks lines touched per critical section',
    'lines of allocator metadata a pcpu_lock holder pulls from the previous holder'),
  pcpuClearPerCpuNs: c(4.5, 'ns', 'measured', `${MICRO}: l2_hit_ns; mm/percpu.c pcpu_alloc clears the area with a memset per possible CPU; assumed: the area is reused at the same offset, so its lines stay cache-resident`,
    'clearing the new area on every possible CPU, outside the locks'),
  pcpuPopulateMapNs: c(2000, 'ns', 'assumed', 'assumed: mapping newly populated pages and flushing the vmap area',
    'chunk population under pcpu_alloc_mutex besides one page per possible CPU'),
  pcpuChargeNs: c(30, 'ns', 'assumed', `assumed: memcg (un)charge of a retained area, the hot path left by the ${RFC}`,
    'per percpu region, on each object alloc and free in ctor/dtor mode'),
  percpuCountersListNs: c(30, 'ns', 'measured', `${PROFILE}: __percpu_counter_init_many beyond its pcpu_alloc_noprof, 0.12% of exec()`,
    'work under percpu_counters_lock per counter-group init or destroy'),

  // --- exec(): fs/exec.c, kernel/fork.c, mm/ -----------------------------------
  execKernelNs: c(25200, 'ns', 'measured', 'bench/micro/exec-loop-nolibc.c: mean exec()+exit of a static no-libc binary re-executing itself, 1 CPU (the modelled parts are subtracted, the rest is spread over the path)',
    'one exec() of the benchmark binary, everything included, on one CPU'),
  execFileVmas: c(4, 'count', 'measured', 'readelf -l of the benchmark binary: 4 PT_LOAD segments, each a file-backed VMA (fs/binfmt_elf.c elf_load -> vm_mmap -> vma_link_file)',
    'i_mmap_rwsem write acquisitions per exec() at mmap (one more at exit: unlink_file_vma_batch)'),
  execFilePages: c(4, 'count', 'measured', 'readelf -l of the benchmark binary: each segment fits one page',
    'page-cache folios of the binary mapped per exec(): mapcount+refcount atomics at map and unmap'),
  pgdCloneNs: c(11.2, 'ns', 'measured', `${MICRO}: copy_2k_ns; arch/x86/mm/pgtable.c pgd_ctor clones the 256 kernel pgd entries (2 KiB) under pgd_lock`,
    'work under pgd_lock in pgd_alloc besides the list add'),
  pgdListLines: c(2, 'count', 'published', 'arch/x86/mm/pgtable.c pgd_list_add/pgd_list_del: list_add/list_del on pgd_list writes the head and the neighbouring page->lru',
    'lines a pgd_lock holder pulls from the previous holder besides the lock'),
  immapLines: c(2, 'count', 'assumed', 'assumed: vma_interval_tree_insert/remove rewrites the parent and the rebalanced node last written by the previous holder (the rest of the path is read-shared)',
    'lines an i_mmap_rwsem holder pulls from the previous holder besides the lock'),

  // --- tc filter insertion and removal (net/sched) ---------------------------
  tcRequestNs: c(3400, 'ns', 'measured', 'proxy: system time per request of `ip -b` adding/deleting 50k /32 routes in a fresh netns on the development VM (this kernel has no flower or gact built in); an rtnetlink request with its allocations',
    'kernel work of one tc filter add or delete request outside the modelled locks and percpu allocations'),
  tcFlowerLockedNs: c(150, 'ns', 'assumed', 'assumed: idr_alloc_u32 of the handle and list add/del under tp->lock (net/sched/cls_flower.c fl_change/__fl_delete)',
    'hold of the flower tcf_proto tp->lock per filter add or delete'),
  tcIdrLockedNs: c(100, 'ns', 'assumed', 'assumed: idr_alloc_u32/idr_replace/idr_remove under idrinfo->lock (net/sched/act_api.c tcf_idr_check_alloc, tcf_idr_insert_many, tcf_idr_release)',
    'hold of the action kind\'s idrinfo->lock mutex per acquisition'),
  tcChainLockedNs: c(100, 'ns', 'assumed', 'assumed: tcf_chain_tp_find under chain->filter_chain_lock (net/sched/cls_api.c tc_new_tfilter/tc_del_tfilter)',
    'hold of chain->filter_chain_lock per request'),

  // --- shrink_slab (mm/shrinker.c; before the lockless series, mm/vmscan.c) ---
  shrinkerColdLines: c(3, 'count', 'assumed', 'assumed from mm/shrinker.c shrink_slab_memcg: the memcg\'s shrinker_info (map), its nr_deferred and the list_lru_memcg count of the one set bit, each cold once per pass over thousands of memcgs',
    'cache misses (dramMissNs) per memcg a reclaim pass visits'),
  shrinkerMapWords: c(63, 'count', 'published', 'seeds/003 script: 4001 tmpfs mounts, one memcg-aware shrinker each, so shrinker_nr_max ~ 4000 bits = 63 words scanned by find_next_bit per memcg',
    'bitmap words find_next_bit scans per memcg (l2HitNs each)'),
  shrinkerRegisterNs: c(2000, 'ns', 'assumed', 'assumed: shrinker_register/shrinker_free work under the write side (idr_alloc, expanding every memcg\'s shrinker_info is not modelled)',
    'hold of the write side of shrinker_rwsem per mount or umount'),

  // --- kfree_nolock()'s deferred list (seeds/001) -------------------------------
  kfreeSlowPathShare: c(0.8, 'ratio', 'assumed', 'assumed from seeds/001 (Vlastimil Babka on do_slab_free(): "this unlikely() is actually a lie. It\'s actually unlikely that the free will happen on the same cpu and with the same slab still being c->slab"): the share of kfree() calls that take the slab != c->slab branch, where the posted patch calls free_deferred_objects()',
    'kfree() calls that look at the deferred list (the rest free to the CPU slab and never touch it)'),

  workJitter: c(0.1, 'ratio', 'assumed', 'assumed: +-10% spread on long work segments so CPUs do not run in lockstep',
    'uniform relative jitter on workload work segments'),
  callNs: c(50, 'ns', 'assumed', 'assumed: an opaque function call in a ctor/dtor step list',
    'cost of a call step to a function the simulator knows nothing about'),
  objectUseNs: c(1000, 'ns', 'assumed', 'assumed: what the code using a cache does with an object between kmem_cache_alloc() and kmem_cache_free() (not read from the code)',
    'lifetime workload: the caller\'s own work on each object'),
} satisfies Record<string, CostEntry>;

/** Possible CPUs of the VM the percpu path was measured on (its clearing is inside pcpuAllocPathNs). */
export const MEASURED_POSSIBLE_CPUS = 2;

export type CostName = keyof typeof COST_TABLE;
export type Costs = { [K in CostName]: number };

export const COST_NAMES: CostName[] = Object.keys(COST_TABLE) as CostName[];

export function defaultCosts(): Costs {
  const out = {} as Costs;
  for (const k of COST_NAMES) out[k] = COST_TABLE[k].value;
  return out;
}

/** Problems with cost overrides, each naming the field (prefix + key). */
export function checkCosts(overrides: unknown, prefix = 'costs'): string[] {
  const errors: string[] = [];
  if (overrides === undefined) return errors;
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) {
    return [`${prefix}: must be an object of cost name -> number, got ${describe(overrides)}`];
  }
  for (const key of Object.keys(overrides).sort()) {
    const v = (overrides as Record<string, unknown>)[key];
    if (!(key in COST_TABLE)) {
      errors.push(`${prefix}.${key}: unknown cost (known: ${COST_NAMES.join(', ')})`);
    } else if (typeof v !== 'number' || !Number.isFinite(v)) {
      errors.push(`${prefix}.${key}: must be a finite number, got ${describe(v)}`);
    } else if (v < 0) {
      errors.push(`${prefix}.${key}: must not be negative, got ${v}`);
    }
  }
  return errors;
}

/** Defaults with overrides applied; throws with the field names on bad input. */
export function resolveCosts(overrides?: Partial<Costs>): Costs {
  const errors = checkCosts(overrides);
  if (errors.length) throw new SimUsageError(errors);
  return { ...defaultCosts(), ...(overrides ?? {}) };
}

/** Thrown for bad options or scenarios; `errors` name the field and the problem. */
export class SimUsageError extends Error {
  constructor(readonly errors: string[]) {
    super(errors.join('\n'));
    this.name = 'SimUsageError';
  }
}

export function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
}
