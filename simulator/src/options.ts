/**
 * SimOptions: what a caller of simulate()/sweep() may set, and the checks
 * that turn bad values into errors naming the option.
 */
import type { Costs } from './costs';
import { SimUsageError, checkCosts, describe } from './costs';
import { MAX_CPUS, type MachineSpec } from './machine';

export type WorkloadName = 'exec' | 'lifetime' | 'tc' | 'shrinker' | 'burst' | 'reclaim' | 'deferred-free' | 'scenario';
export type Mode = 'baseline' | 'ctor-dtor';

export interface SimOptions {
  workload?: WorkloadName;
  /** A scenario document (validated with validateScenario); implies workload "scenario". */
  scenario?: unknown;
  /** A named profile (up, desktop-24, server-192) or a spec; default: the smallest profile that fits. */
  machine?: string | MachineSpec;
  /** CPU counts to run; each count is a separate run. */
  cpus?: number | number[];
  mode?: Mode;
  seed?: number;
  durationNs?: number;
  warmupNs?: number;
  maxEvents?: number;
  maxSimNs?: number;
  costs?: Partial<Costs>;
  /** Events kept per CPU for deadlock timelines. */
  timelineDepth?: number;
  /** Memory samples per run. */
  samples?: number;
  /** exec: start with warm per-CPU caches (default true). */
  prewarm?: boolean;
  /** burst: objects per round per cache (default 8 slabs' worth). */
  burstObjects?: number;
  /** burst/reclaim: rounds per CPU. */
  rounds?: number;
  /** reclaim: the mutex CPU0 holds while allocating (default: the first sleeping lock a dtor takes, else reclaim_demo.mutex). */
  holdLock?: string;
  /** shrinker: memcgs the reclaim walks (default 4000, seeds/003). */
  memcgs?: number;
  /** shrinker: CPUs that mount and umount (write side) instead of reclaiming (default 0). */
  writers?: number;
  /** deferred-free: share of frees that come from kfree_nolock() (default 0.1). */
  nolockShare?: number;
  /** deferred-free: frees per CPU (default 4000). */
  freesPerCpu?: number;
}

export interface SweepPoint {
  machine?: string | MachineSpec;
  cpus: number;
}

export interface SweepOptions extends Omit<SimOptions, 'mode' | 'cpus'> {
  /** Default: 1 CPU on up, 24 on desktop-24, 192 on server-192. */
  points?: SweepPoint[];
  cpus?: number | number[];
  /** Each row gets the three costs its gain depends on most (each moved +-50%); slower. */
  sensitivity?: boolean;
  /**
   * Seeds per point (default 1): `seed`, `seed + 1`, ... Each row then has the
   * mean gain, its spread and a verdict ("within-noise" when the seeds do not
   * establish it); runs[] keeps the first seed's runs.
   */
  seeds?: number;
}

export const MAX_SEEDS = 64;

export const WORKLOADS: WorkloadName[] = ['exec', 'lifetime', 'tc', 'shrinker', 'burst', 'reclaim', 'deferred-free', 'scenario'];

export function checkOptions(o: SimOptions | SweepOptions): void {
  const errors: string[] = [];
  const int = (name: string, v: unknown, min: number, max: number) => {
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      errors.push(`${name}: must be an integer between ${min} and ${max}, got ${describe(v)}`);
    }
  };
  const num = (name: string, v: unknown, min: number, positive = false) => {
    if (v === undefined) return;
    if (typeof v !== 'number' || Number.isNaN(v) || v < min || (positive && v <= 0)) {
      errors.push(`${name}: must be a number ${positive ? '> 0' : `>= ${min}`}, got ${describe(v)}`);
    }
  };
  if (o.workload !== undefined && !WORKLOADS.includes(o.workload)) {
    errors.push(`workload: must be one of ${WORKLOADS.join(', ')}, got ${describe(o.workload)}`);
  }
  const cpus = o.cpus;
  if (cpus !== undefined) {
    const list = Array.isArray(cpus) ? cpus : [cpus];
    if (list.length === 0) errors.push('cpus: must list at least one CPU count');
    list.forEach((n, i) => int(Array.isArray(cpus) ? `cpus[${i}]` : 'cpus', n, 1, MAX_CPUS));
  }
  if ('mode' in o && o.mode !== undefined && o.mode !== 'baseline' && o.mode !== 'ctor-dtor') {
    errors.push(`mode: must be "baseline" or "ctor-dtor", got ${describe(o.mode)}`);
  }
  int('seed', o.seed, 0, 2 ** 32 - 1);
  num('durationNs', o.durationNs, 0, true);
  num('warmupNs', o.warmupNs, 0);
  int('maxEvents', o.maxEvents, 1, Number.MAX_SAFE_INTEGER);
  num('maxSimNs', o.maxSimNs, 0, true);
  int('timelineDepth', o.timelineDepth, 0, 10_000);
  int('samples', o.samples, 0, 100_000);
  int('burstObjects', o.burstObjects, 1, 10_000_000);
  int('rounds', o.rounds, 1, 10_000_000);
  int('memcgs', o.memcgs, 1, 1_000_000);
  int('writers', o.writers, 0, MAX_CPUS);
  int('freesPerCpu', o.freesPerCpu, 1, 10_000_000);
  if (o.nolockShare !== undefined && (typeof o.nolockShare !== 'number' || !(o.nolockShare >= 0 && o.nolockShare <= 1))) errors.push(`nolockShare: must be a number between 0 and 1, got ${describe(o.nolockShare)}`);
  if (o.holdLock !== undefined && (typeof o.holdLock !== 'string' || !o.holdLock)) errors.push(`holdLock: must be a lock name, got ${describe(o.holdLock)}`);
  if (o.prewarm !== undefined && typeof o.prewarm !== 'boolean') errors.push(`prewarm: must be true or false, got ${describe(o.prewarm)}`);
  errors.push(...checkCosts(o.costs));
  if ('seeds' in o) int('seeds', o.seeds, 1, MAX_SEEDS);
  if ('points' in o && o.points !== undefined) {
    if (!Array.isArray(o.points) || o.points.length === 0) errors.push('points: must be a non-empty array of {machine, cpus}');
    else o.points.forEach((p, i) => int(`points[${i}].cpus`, p?.cpus, 1, MAX_CPUS));
  }
  if (errors.length) throw new SimUsageError(errors);
}
