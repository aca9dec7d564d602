/**
 * Step lists as scenarios write them: the ModelStep kinds of model.ts plus
 * two scenario-only additions, an optional `cache` on alloc/free (allocate
 * from / free to a simulated slab cache) and a `reclaim` step (direct
 * reclaim, as if the allocation had hit the low watermark).
 */
import type { CacheModel, ModelStep } from './model';
import type { MachineSpec } from './machine';
import type { Costs } from './costs';

export type ScenarioStep =
  | ModelStep
  | { kind: 'alloc'; allocator: string; gfp?: string; percpu?: boolean; bytes?: number; cache?: string }
  | { kind: 'free'; allocator: string; percpu?: boolean; cache?: string }
  | { kind: 'reclaim' };

export interface ScenarioProgram {
  /** CPUs running this program: one index, a list, or "all". */
  cpus: number | number[] | 'all';
  context?: 'process' | 'softirq' | 'hardirq';
  startNs?: number;
  /** Times to run the steps (default 1), unless `loop`. */
  iterations?: number;
  /** Run until the scenario's duration ends. */
  loop?: boolean;
  steps: ScenarioStep[];
}

export interface ScenarioCache {
  name: string;
  objectSize: number;
  align?: number;
  flags?: string[];
  ctor?: { name: string; steps: ScenarioStep[] };
  dtor?: { name: string; steps: ScenarioStep[] };
}

export interface Scenario {
  version: 1;
  name?: string;
  description?: string;
  seed?: number;
  machine?: string | MachineSpec;
  cpus: number;
  mode?: 'baseline' | 'ctor-dtor';
  durationNs?: number;
  maxEvents?: number;
  maxSimNs?: number;
  costs?: Partial<Costs>;
  memory?: { pressure?: boolean; pressureFromNs?: number };
  locks?: Array<{ name: string; kind: string }>;
  caches?: ScenarioCache[];
  functions?: Record<string, ScenarioStep[]>;
  programs: ScenarioProgram[];
}

export const LOCK_KINDS = ['spin', 'raw_spin', 'rwlock', 'mutex', 'rwsem', 'semaphore', 'local_lock', 'seqlock', 'bit_spin', 'rcu', 'line'] as const;

/** A scenario cache as a CacheModel (the simulator runs both the same way). */
export function scenarioCacheToModel(c: ScenarioCache): CacheModel {
  const at = { file: '<scenario>', startLine: 0, startCol: 0, endLine: 0, endCol: 0 };
  const cd = (x: { name: string; steps: ScenarioStep[] } | undefined) =>
    x ? { name: x.name, steps: x.steps as ModelStep[], summary: '', maySleep: false } : undefined;
  return {
    version: 1, name: c.name, objectSize: { bytes: c.objectSize }, align: c.align ?? 8,
    flags: c.flags ?? [], ctor: cd(c.ctor), dtor: cd(c.dtor), at,
  };
}
