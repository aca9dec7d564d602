/**
 * The numbers the results page charts, derived from a SimResult: throughput
 * against CPUs for both modes, lock wait per class and run, memory over time
 * of one run. Pure, so the page and the tests compute them the same way.
 */
import type { RunResult, SimResult } from '../../../simulator/src/result';

export interface ThroughputSeries {
  cpus: number[];
  baseline: (number | null)[];
  ctorDtor: (number | null)[];
  /** ctor/dtor over baseline, percent. */
  gainPct: (number | null)[];
}

export function throughputSeries(r: SimResult): ThroughputSeries {
  const cpus = [...new Set(r.runs.map((x) => x.cpus))].sort((a, b) => a - b);
  const pick = (n: number, mode: RunResult['mode']) => r.runs.find((x) => x.cpus === n && x.mode === mode)?.throughputPerSec ?? null;
  const baseline = cpus.map((n) => pick(n, 'baseline'));
  const ctorDtor = cpus.map((n) => pick(n, 'ctor-dtor'));
  const gainPct = cpus.map((n, i) => {
    const row = r.compare?.find((c) => c.cpus === n);
    if (row) return row.gainPct;
    const b = baseline[i];
    const c = ctorDtor[i];
    return b && c !== null ? Math.round((c / b - 1) * 10000) / 100 : null;
  });
  return { cpus, baseline, ctorDtor, gainPct };
}

/** The deferred-free workload's second figure: head-line transfers per free against CPUs, both designs (null elsewhere). */
export interface TransfersSeries {
  cpus: number[];
  baseline: (number | null)[];
  ctorDtor: (number | null)[];
}

export function transfersSeries(r: SimResult): TransfersSeries | null {
  if (!r.runs.some((x) => x.deferredFree)) return null;
  const cpus = [...new Set(r.runs.map((x) => x.cpus))].sort((a, b) => a - b);
  const pick = (n: number, mode: RunResult['mode']) => r.runs.find((x) => x.cpus === n && x.mode === mode)?.deferredFree?.lineTransfersPerFree ?? null;
  return { cpus, baseline: cpus.map((n) => pick(n, 'baseline')), ctorDtor: cpus.map((n) => pick(n, 'ctor-dtor')) };
}

export function runLabel(run: RunResult): string {
  return `${run.cpus} CPU${run.cpus > 1 ? 's' : ''} · ${run.mode}`;
}

export interface LockWaitBreakdown {
  /** One per run, in result order. */
  runs: string[];
  /** One per lock class (the heaviest first, then "other"), milliseconds of waiting summed over CPUs. */
  classes: { name: string; waitMs: number[] }[];
}

/** Total wait (contended acquisitions x mean wait) per lock class and run. */
export function lockWaitBreakdown(r: SimResult, top = 6): LockWaitBreakdown {
  const per = r.runs.map((run) => {
    const m = new Map<string, number>();
    for (const l of run.locks) m.set(l.class, (m.get(l.class) ?? 0) + (l.contended * l.waitNs.mean) / 1e6);
    return m;
  });
  const totals = new Map<string, number>();
  for (const m of per) for (const [k, v] of m) totals.set(k, (totals.get(k) ?? 0) + v);
  const ranked = [...totals].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([k]) => k);
  const keep = ranked.slice(0, top);
  const rest = ranked.slice(top);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  const classes = keep.map((name) => ({ name, waitMs: per.map((m) => round(m.get(name) ?? 0)) }));
  if (rest.length) classes.push({ name: `other (${rest.length})`, waitMs: per.map((m) => round(rest.reduce((s, k) => s + (m.get(k) ?? 0), 0))) });
  return { runs: r.runs.map(runLabel), classes };
}

export interface MemorySeries {
  tMs: number[];
  objects: number[];
  objectsInUse: number[];
  slabs: number[];
  percpuKiB: number[];
  retainedPercpuKiB: number[];
}

export function memorySeries(run: RunResult): MemorySeries {
  const s = run.memory;
  const kib = (b: number) => Math.round((b / 1024) * 10) / 10;
  return {
    tMs: s.map((m) => Math.round(m.tNs / 1000) / 1000),
    objects: s.map((m) => m.objects),
    objectsInUse: s.map((m) => m.objectsInUse),
    slabs: s.map((m) => m.slabs),
    percpuKiB: s.map((m) => kib(m.percpuBytes)),
    retainedPercpuKiB: s.map((m) => kib(m.retainedPercpuBytes)),
  };
}

/** The run the memory chart starts on: the largest CPU count in ctor/dtor mode. */
export function defaultMemoryRun(r: SimResult): number {
  let best = 0;
  r.runs.forEach((run, i) => {
    const b = r.runs[best];
    if (run.cpus > b.cpus || (run.cpus === b.cpus && run.mode === 'ctor-dtor' && b.mode !== 'ctor-dtor')) best = i;
  });
  return best;
}
