/**
 * The versioned result of a simulation (JSON). Everything in it is built in
 * a deterministic order, so the same inputs and seed give the same string.
 */
import type { Costs } from './costs';
import type { LockdepFinding } from './lockdep';
import type { TimelineEvent } from './timeline';

/**
 * 2: compare rows carry the seeds run, the spread over them and a verdict;
 * a throughput or gain is null where a run deadlocked, stalled or stopped early.
 */
export const RESULT_VERSION = 2;

export interface StopInfo {
  reason: 'deadlock' | 'stall' | 'event-budget' | 'time-budget' | 'runaway' | 'recursion';
  message: string;
  tNs: number;
}

export interface LockStats {
  /** Instance name (list_lock instances carry the cache and node). */
  name: string;
  class: string;
  kind: string;
  acquisitions: number;
  /** Acquisitions that had to wait. */
  contended: number;
  /** Waits that ended up sleeping (mutexes). */
  sleeps: number;
  /** Wait of contended acquisitions, from request to ownership. */
  waitNs: { p50: number; p95: number; p99: number; max: number; mean: number };
  holdNs: { mean: number; max: number };
  /** Fraction of the run the lock was held. */
  utilization: number;
}

export interface ProfileEntry {
  bucket: string;
  ns: number;
  share: number;
}

export interface MemorySample {
  tNs: number;
  slabs: number;
  /** Object slots in live slabs. */
  objects: number;
  objectsInUse: number;
  /** Percpu memory allocated, over all possible CPUs. */
  percpuBytes: number;
  /** Percpu memory held by constructed objects that are free (ctor/dtor mode). */
  retainedPercpuBytes: number;
  slabPages: number;
}

export interface CacheStats {
  name: string;
  objectSize: number;
  order: number;
  objectsPerSlab: number;
  minPartial: number;
  slabs: number;
  slabsAllocated: number;
  slabsFreed: number;
  objectsInUse: number;
  ctorRuns: number;
  dtorRuns: number;
  dtorRunsInReclaim: number;
  /** Objects constructed before time 0 by the warm start (not simulated). */
  prewarmedObjects: number;
}

export interface WaitEdge {
  cpu: number;
  waitsFor: string;
  heldBy: number;
}

export interface DeadlockReport {
  /** deadlock: a wait cycle; stall: CPUs wait on a lock nobody will release. */
  kind: 'deadlock' | 'stall';
  tNs: number;
  message: string;
  /** Each CPU of the cycle waits for a lock held by the next. */
  cycle: WaitEdge[];
  /** Other CPUs stuck behind the cycle. */
  blocked: WaitEdge[];
  holding: Array<{ cpu: number; locks: string[]; context: string[] }>;
  /** CPUs in column order. */
  cpus: number[];
  /** Last events of those CPUs, merged by time. */
  timeline: TimelineEvent[];
}

export interface RunResult {
  machine: string;
  cpus: number;
  mode: 'baseline' | 'ctor-dtor';
  workload: string;
  simulatedNs: number;
  measuredNs: number;
  events: number;
  iterations: number;
  measuredIterations: number;
  /**
   * Workload iterations (exec() calls, bursts, program runs) per second, after warm-up;
   * null when the run deadlocked or stalled (it has no throughput).
   */
  throughputPerSec: number | null;
  throughputPerCpuPerSec: number | null;
  locks: LockStats[];
  caches: CacheStats[];
  percpu: { allocs: number; frees: number; populations: number; possibleCpus: number; bytesPerCpu: number };
  reclaimPasses: number;
  /**
   * Where CPU time went after warm-up (work, lock acquisition and spinning;
   * sleeping excluded), per bucket the workload names (bucket "other": work
   * nobody labelled), largest first; share of busy time.
   */
  profile: ProfileEntry[];
  /** CPU time after warm-up: busy (work + spinning), slept on locks, busy per measured iteration. */
  cpuTime: { busyNs: number; sleptNs: number; busyNsPerIteration: number };
  memory: MemorySample[];
  lockdep: { classes: number; edges: Array<{ from: string; to: string }>; findings: LockdepFinding[] };
  deadlock: DeadlockReport | null;
  stop: StopInfo | null;
  /** The deferred-free workload: frees, kfree_nolock() share, head-line transfers (workloads/deferred-free.ts). */
  deferredFree?: { frees: number; nolockFrees: number; lineTransfers: number; lineTransfersPerFree: number; drained: number; stallNsPerFree: number };
}

export interface AnalyticEstimate {
  /** Exact mean-value analysis of the closed network. */
  mvaPerSec: number;
  /** min(N / (Z + sum D), 1 / max D). */
  boundPerSec: number;
  bottleneck: string;
  demandsNs: Record<string, number>;
  thinkNs: number;
}

/** How one prediction moves when one cost is halved or raised by half. */
export interface CostSensitivity {
  cost: string;
  kind: string;
  value: number;
  /** The prediction with the cost at 50% and at 150% of its value. */
  low: number;
  high: number;
}

export interface Sensitivity {
  /** The three costs that move the prediction most, largest swing first. */
  top: CostSensitivity[];
  /** The prediction changes sign for some cost within +-50%. */
  uncertain: boolean;
  /** Costs tried. */
  tried: number;
  /** The prediction the moves are compared with (same run length as the moves). */
  central: number;
}

/** What a per-cache result assumed: the object size (evaluated or assumed) and the costs used. */
export interface CacheAssumptions {
  cache: string;
  objectSize: { bytes: number; how: 'evaluated' | 'estimated' | 'assumed'; expr?: string; note?: string };
  percpuRegions: number;
  costs: Array<{ name: string; value: number; kind: string; source: string }>;
  notes: string[];
}

/** Mean, spread and the 95% confidence interval of the mean of one figure over the seeds. */
export interface SeedStats {
  mean: number;
  /** Sample standard deviation (0 with one seed). */
  stdev: number;
  min: number;
  max: number;
  /** Student's t interval of the mean (both ends the mean with one seed). */
  ci95: [number, number];
}

/**
 * What a compare row may be read as:
 * - better / worse: every seed ran to the end and the 95% interval of the mean gain excludes 0
 *   (and the gain is at least NOISE_FLOOR_PCT and the row's resolutionPct);
 * - within-noise: it does not (the seeds disagree, or the gain is smaller than their spread);
 * - one-seed: one seed only, so the spread is unknown;
 * - deadlock: a run of either mode deadlocked or stalled (no throughput, no gain);
 * - stopped: a run stopped early on a budget (no gain).
 */
/**
 * A gain smaller than this (percentage points) is read as none whatever the
 * seeds say: the throughput window's resolution and the model's own
 * approximations are of that order.
 */
export const NOISE_FLOOR_PCT = 0.5;

export type Verdict = 'better' | 'worse' | 'within-noise' | 'one-seed' | 'deadlock' | 'stopped';

/** Who waits on whom in a deadlocked or stalled run of a compare point. */
export interface RowDeadlock {
  mode: 'baseline' | 'ctor-dtor' | 'both';
  kind: 'deadlock' | 'stall';
  /** The seeds whose runs deadlocked or stalled. */
  seeds: number[];
  message: string;
  cycle: WaitEdge[];
  /** The locks each CPU of the cycle holds. */
  holding: Array<{ cpu: number; locks: string[] }>;
}

export interface CompareRow {
  machine: string;
  cpus: number;
  /** Mean over the seeds; null when a run of that mode deadlocked or stalled. */
  baselinePerSec: number | null;
  ctorDtorPerSec: number | null;
  /** Mean over the seeds of (ctorDtor / baseline - 1) * 100; null when a run deadlocked, stalled or stopped early. */
  gainPct: number | null;
  verdict: Verdict;
  /** The seeds run at this point (runs[] holds the first seed's runs). */
  seeds: number[];
  /** Each seed's gain, in seed order (null where that seed's runs did not finish cleanly). */
  gainPctBySeed: (number | null)[];
  /** With two or more clean seeds: the spread of the gain and of both throughputs. */
  spread?: { gainPct: SeedStats; baselinePerSec: SeedStats; ctorDtorPerSec: SeedStats };
  /**
   * Workloads whose throughput counts whole iterations in the window (scenarios,
   * burst, reclaim): the smallest gain the runs can resolve, one iteration per
   * CPU of each mode, in percent. A gain under it is within noise.
   */
  resolutionPct?: number;
  deadlock?: RowDeadlock;
  stopped?: { mode: 'baseline' | 'ctor-dtor' | 'both'; reason: StopInfo['reason']; message: string };
  publishedGainPct?: number;
  /** CPU time (busy, not sleeping) per iteration in each mode, and its reduction (the RFC's "system time"). */
  baselineBusyNsPerIteration: number;
  ctorDtorBusyNsPerIteration: number;
  busyReductionPct: number;
  /** deferred-free: cache-line transfers of the deferred-list heads per free, in each mode. */
  baselineTransfersPerFree?: number;
  ctorDtorTransfersPerFree?: number;
  /** With SweepOptions.sensitivity: what the gain depends on most. */
  sensitivity?: Sensitivity;
  analytic?: { baseline: AnalyticEstimate; ctorDtor: AnalyticEstimate; gainPct: number };
}

export interface SimResult {
  version: typeof RESULT_VERSION;
  tool: 'slabcheck-simulator';
  workload: string;
  seed: number;
  caches: string[];
  costs: Costs;
  runs: RunResult[];
  compare?: CompareRow[];
  /** What the two modes are, when they are not "per-object allocation" and "slab ctor/dtor". */
  modeLabels?: { baseline: string; ctorDtor: string };
  /** Per cache: object size evaluated or assumed, and the costs this workload used. */
  assumptions: CacheAssumptions[];
  /** Lockdep findings of all runs, each once. */
  findings: LockdepFinding[];
  deadlocks: DeadlockReport[];
  /** Runs that stopped early (deadlock, stall, budgets), with the message. */
  stops: StopInfo[];
  /** No deadlock, no stall, no lockdep error, no budget stop. */
  ok: boolean;
}
