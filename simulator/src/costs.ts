/**
 * Default costs, one table for every machine and every CPU count. Each entry
 * says where its value comes from; "assumed" marks figures with no published
 * source (SIMULATOR-NOTES.md lists the sources). docs/simulator.md explains
 * which of them drive the exec() gain curve.
 *
 * Times are nanoseconds of a ~3 GHz core running alone on its core; SMT
 * sharing is applied on top by the engine (see smtSlowdown).
 */
export interface CostEntry {
  value: number;
  unit: 'ns' | 'count' | 'ratio' | 'bytes';
  /** Where the value comes from. */
  source: string;
  /** True when no published figure backs the value. */
  assumed: boolean;
  /** What the simulator uses it for. */
  use: string;
}

const PERFBOOK = 'perfbook (McKenney), table of operation costs';
const BROUER_SLAB = "Jesper Brouer's slab bulk-allocation measurements";
const BROUER_PAGE = 'Jesper Brouer, page_bench (order-0 alloc+free ~250-270 cycles at ~3 GHz)';
const RFC = 'slab destructor RFC (Harry Yoo, linux-mm, April 2025)';

function c(value: number, unit: CostEntry['unit'], source: string, assumed: boolean, use: string): CostEntry {
  return { value, unit, source, assumed, use };
}

export const COST_TABLE = {
  // --- synchronisation and cache coherence --------------------------------
  lockAcquireNs: c(20, 'ns', `${PERFBOOK}: uncontended acquire+release 15-66 ns`, false,
    'atomic acquire + release of a lock whose line is already local'),
  smtTransferNs: c(10, 'ns', 'assumed: SMT siblings share L1/L2, so below the same-socket range of perfbook', true,
    'cache-line transfer between SMT siblings of one core'),
  sameSocketTransferNs: c(60, 'ns', `${PERFBOOK}: same-socket cache-line transfer 22-100 ns`, false,
    'cache-line transfer between cores of one socket (lock handoff, shared data)'),
  crossSocketTransferNs: c(300, 'ns', `${PERFBOOK}: cross-socket cache-line transfer 150-440 ns`, false,
    'cache-line transfer between sockets (lock handoff, shared data)'),
  mutexWakeupNs: c(4000, 'ns', 'assumed: sleep/wakeup handoff 2-10 us (SIMULATOR-NOTES)', true,
    'time from waking a sleeping mutex waiter until it runs'),
  mutexSpinLimitNs: c(20000, 'ns', 'assumed: optimistic spinning lasts while the owner runs and nothing else wants the CPU; bounded here at ~20 percpu critical sections', true,
    'how long a mutex waiter spins on a running owner before sleeping'),
  smtSlowdown: c(1.5, 'ratio', 'assumed: two busy SMT threads give ~1.33x the throughput of one', true,
    'work on a CPU whose SMT sibling is also running takes this many times longer'),

  // --- SLUB and the page allocator ----------------------------------------
  slubFastPathNs: c(11, 'ns', `${BROUER_SLAB}: fast path alloc+free 10-12 ns`, false,
    'per-CPU alloc+free pair; half is charged to each side'),
  slubListPerObjectNs: c(5, 'ns', 'assumed: moving one object between a per-CPU cache and its slab', true,
    'work under kmem_cache_node.list_lock per object refilled or flushed'),
  slubNewSlabNs: c(200, 'ns', 'assumed: slab struct setup and freelist build', true,
    'setting up a new slab besides the page allocation and the ctor runs'),
  slubSheafCapacity: c(32, 'count', 'assumed: per-CPU object cache capacity (6.18 sheaves are sized per cache)', true,
    'objects a CPU caches before flushing to the node lists'),
  pageAllocFreeNs: c(90, 'ns', BROUER_PAGE, false,
    'order-0 page alloc+free pair; half is charged to each side, multiplied by 2^order'),
  reclaimPassNs: c(5000, 'ns', 'assumed: one direct-reclaim pass over LRU and shrinkers', true,
    'work of a reclaim pass besides freeing slabs and running dtors'),
  reclaimBatchPages: c(32, 'count', 'SWAP_CLUSTER_MAX in mm/vmscan.c', false,
    'pages one reclaim pass frees besides slabs'),

  // --- the percpu allocator -------------------------------------------------
  pcpuAllocPathNs: c(1300, 'ns', 'assumed (SIMULATOR-NOTES): percpu alloc path length ~1.3 us', true,
    'whole alloc_percpu path except the per-CPU clearing; includes pcpuAllocLockedNs'),
  pcpuFreePathNs: c(300, 'ns', 'assumed (SIMULATOR-NOTES): percpu free path length ~0.3 us', true,
    'whole free_percpu path; includes pcpuFreeLockedNs'),
  pcpuAllocLockedNs: c(150, 'ns', 'assumed: area search and area allocation under pcpu_lock (inside pcpu_alloc_mutex)', true,
    'the part of the alloc path under pcpu_lock'),
  pcpuFreeLockedNs: c(60, 'ns', 'assumed: pcpu_free_area and memcg free hook under pcpu_lock', true,
    'the part of the free path under pcpu_lock'),
  pcpuMetadataLines: c(2, 'count', 'assumed: chunk alloc_map/bound_map/md_blocks lines touched per critical section', true,
    'lines of allocator metadata a pcpu_lock holder pulls from the previous holder'),
  pcpuClearPerCpuNs: c(10, 'ns', 'assumed: one line memset per possible CPU (for_each_possible_cpu in pcpu_alloc)', true,
    'clearing the new area on every possible CPU, outside the locks'),
  pcpuPopulateMapNs: c(2000, 'ns', 'assumed: mapping newly populated pages and flushing the vmap area', true,
    'chunk population under pcpu_alloc_mutex besides one page per possible CPU'),
  pcpuChargeNs: c(30, 'ns', `assumed: memcg (un)charge of a retained area, the hot path left by the ${RFC}`, true,
    'per percpu region, on each object alloc and free in ctor/dtor mode'),
  percpuCountersListNs: c(20, 'ns', 'assumed: list_add/list_del of percpu counters on percpu_counters list', true,
    'work under percpu_counters_lock per counter-group init or destroy'),

  // --- the exec() workload ---------------------------------------------------
  execWorkNs: c(78000, 'ns', `calibrated: no absolute exec() rate was published (${RFC}); chosen so that the assumed percpu path (2 x (1.3 + 0.3) us plus hooks) is ~4% of one exec on one CPU`, true,
    'everything an exec() does outside the modelled locks and percpu path'),
  execNextBottleneckNs: c(850, 'ns', 'assumed: page-table/LRU/i_mmap lock hold per exec (the next shared bottleneck once percpu is gone)', true,
    'hold time of the next shared lock each exec takes'),
  execNextBottleneckLines: c(4, 'count', 'assumed: shared lines the next-bottleneck critical section pulls from the previous holder', true,
    'lines transferred from the previous holder of the next-bottleneck lock'),
  workJitter: c(0.1, 'ratio', 'assumed: +-10% spread on long work segments so CPUs do not run in lockstep', true,
    'uniform relative jitter on workload work segments'),
  callNs: c(50, 'ns', 'assumed: an opaque function call in a ctor/dtor step list', true,
    'cost of a call step to a function the simulator knows nothing about'),
} satisfies Record<string, CostEntry>;

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
