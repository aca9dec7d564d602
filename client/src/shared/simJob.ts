/**
 * A simulation job as the extension asks for it, and how it runs: one
 * simulator sweep (baseline vs ctor/dtor) per CPU count so the progress
 * notification can advance point by point, merged into one versioned
 * SimResult exactly as sweep() assembles it. Runs inside the simulation
 * worker (sim-worker.ts) and, in tests, inline.
 */
import type { CacheModel } from '../../../simulator/src/model';
import type { CompareRow, RunResult, SimResult } from '../../../simulator/src/result';
import type { LockdepFinding } from '../../../simulator/src/lockdep';
import { formatReport } from '../../../simulator/src/report';
import { sweep } from '../../../simulator/src/simulate';
import { validateScenario } from '../../../simulator/src/validate-scenario';

export type JobWorkload = 'lifetime' | 'exec' | 'burst' | 'reclaim';
export const JOB_WORKLOADS: readonly JobWorkload[] = ['lifetime', 'exec', 'burst', 'reclaim'];
/** Seeds per point unless the job says otherwise: each gain is their mean, with its spread. */
export const DEFAULT_JOB_SEEDS = 5;
export const MAX_JOB_SEEDS = 64;
export const MAX_JOB_CPUS = 1024;

export interface SimJob {
  models: CacheModel[];
  workload: JobWorkload;
  /** CPU counts, each a baseline and a ctor/dtor run. */
  cpus: number[];
  /** Simulated time of each exec run (default 20 ms; lifetime: the simulator's 4 ms; burst and reclaim run to completion). */
  durationNs?: number;
  seed?: number;
  /** Seeds per point (default DEFAULT_JOB_SEEDS): seed, seed + 1, ... */
  seeds?: number;
  /** Run this scenario document instead (its own cpus, both modes). */
  scenario?: unknown;
}

export interface JobProgress {
  done: number;
  total: number;
  label: string;
}

export interface JobOutput {
  result: SimResult;
  report: string;
  elapsedMs: number;
}

export const DEFAULT_EXEC_NS = 20_000_000;

/** Problems with a job, as messages naming the field ([] when fine). */
export function checkJob(job: SimJob): string[] {
  const errors: string[] = [];
  if (!job || typeof job !== 'object') return ['job: must be an object'];
  if (job.scenario !== undefined) {
    const v = validateScenario(job.scenario);
    if (!v.ok) errors.push(...v.errors.map((e) => `scenario: ${e}`));
    return errors;
  }
  if (!Array.isArray(job.models) || job.models.length === 0) errors.push('models: at least one cache model');
  if (!JOB_WORKLOADS.includes(job.workload)) errors.push(`workload: one of ${JOB_WORKLOADS.join(', ')}`);
  if (!Array.isArray(job.cpus) || job.cpus.length === 0 || job.cpus.some((n) => !Number.isInteger(n) || n < 1 || n > MAX_JOB_CPUS)) {
    errors.push(`cpus: a non-empty list of integers between 1 and ${MAX_JOB_CPUS}`);
  }
  if (job.durationNs !== undefined && !(typeof job.durationNs === 'number' && job.durationNs > 0 && Number.isFinite(job.durationNs))) errors.push('durationNs: a number > 0');
  if (job.seeds !== undefined && !(Number.isInteger(job.seeds) && job.seeds >= 1 && job.seeds <= MAX_JOB_SEEDS)) errors.push(`seeds: an integer between 1 and ${MAX_JOB_SEEDS}`);
  return errors;
}

/** Merge per-point sweeps into one result, the way sweep() assembles its own. */
export function mergeResults(parts: SimResult[]): SimResult {
  if (parts.length === 1) return parts[0];
  const runs: RunResult[] = [];
  const compare: CompareRow[] = [];
  const findings: LockdepFinding[] = [];
  const seen = new Set<string>();
  for (const p of parts) {
    runs.push(...p.runs);
    compare.push(...(p.compare ?? []));
    for (const f of p.findings) {
      const key = `${f.kind}|${f.message}`;
      if (!seen.has(key)) {
        seen.add(key);
        findings.push(f);
      }
    }
  }
  const deadlocks = parts.flatMap((p) => p.deadlocks);
  const stops = parts.flatMap((p) => p.stops);
  return {
    ...parts[0],
    runs,
    compare,
    findings,
    deadlocks,
    stops,
    ok: parts.every((p) => p.ok),
  };
}

/** Run a job synchronously; `progress` is called before each point. */
export function runJob(job: SimJob, progress: (p: JobProgress) => void = () => undefined): JobOutput {
  const errors = checkJob(job);
  if (errors.length) throw new Error(errors.join('; '));
  const t0 = Date.now();
  let result: SimResult;
  if (job.scenario !== undefined) {
    progress({ done: 0, total: 1, label: 'scenario, baseline and ctor/dtor' });
    result = sweep([], { scenario: job.scenario, seed: job.seed, seeds: job.seeds ?? DEFAULT_JOB_SEEDS });
  } else {
    const counts = [...new Set(job.cpus)].sort((a, b) => a - b);
    const parts: SimResult[] = [];
    const seeds = job.seeds ?? DEFAULT_JOB_SEEDS;
    counts.forEach((n, i) => {
      progress({ done: i, total: counts.length, label: `${job.workload} on ${n} CPU${n > 1 ? 's' : ''}, baseline and ctor/dtor, ${seeds} seed${seeds > 1 ? 's' : ''}` });
      parts.push(sweep(job.models, {
        workload: job.workload,
        cpus: [n],
        seed: job.seed,
        seeds,
        durationNs: job.workload === 'exec' ? job.durationNs ?? DEFAULT_EXEC_NS : job.durationNs,
      }));
    });
    result = mergeResults(parts);
  }
  const report = formatReport(result);
  return { result, report, elapsedMs: Date.now() - t0 };
}
