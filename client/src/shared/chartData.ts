/**
 * The numbers the results page charts, derived from a SimResult: throughput
 * against CPUs for both modes, lock wait per class and run, memory over time
 * of one run. Pure, so the page and the tests compute them the same way.
 */
import type { RunResult, SimResult, Verdict } from '../../../simulator/src/result';

export interface ThroughputSeries {
  cpus: number[];
  /** Mean over the seeds (the compare rows); null where that mode deadlocked or stalled. */
  baseline: (number | null)[];
  ctorDtor: (number | null)[];
  /** ctor/dtor over baseline, percent, mean over the seeds; null where a run deadlocked, stalled or stopped. */
  gainPct: (number | null)[];
  /** The seeds' lowest and highest gain (the mean itself with one seed). */
  gainMin: (number | null)[];
  gainMax: (number | null)[];
  /** What each point may be read as (compare row verdicts; 'one-seed' without rows). */
  verdict: Verdict[];
}

export function throughputSeries(r: SimResult): ThroughputSeries {
  const cpus = [...new Set(r.runs.map((x) => x.cpus))].sort((a, b) => a - b);
  const pick = (n: number, mode: RunResult['mode']) => r.runs.find((x) => x.cpus === n && x.mode === mode)?.throughputPerSec ?? null;
  const row = (n: number) => r.compare?.find((c) => c.cpus === n);
  const baseline = cpus.map((n) => { const c = row(n); return c ? c.baselinePerSec : pick(n, 'baseline'); });
  const ctorDtor = cpus.map((n) => { const c = row(n); return c ? c.ctorDtorPerSec : pick(n, 'ctor-dtor'); });
  const gainPct = cpus.map((n, i) => {
    const c = row(n);
    if (c) return c.gainPct;
    const b = baseline[i];
    const d = ctorDtor[i];
    return b && d !== null ? Math.round((d / b - 1) * 10000) / 100 : null;
  });
  const gainMin = cpus.map((n, i) => row(n)?.spread?.gainPct.min ?? gainPct[i]);
  const gainMax = cpus.map((n, i) => row(n)?.spread?.gainPct.max ?? gainPct[i]);
  const verdict = cpus.map((n) => row(n)?.verdict ?? 'one-seed');
  return { cpus, baseline, ctorDtor, gainPct, gainMin, gainMax, verdict };
}

/** The modes under the names the result gives them ("baseline (per-object allocation)" and "ctor/dtor" by default). */
export function modeNames(r: SimResult): { baseline: string; ctorDtor: string } {
  return r.modeLabels ?? { baseline: 'baseline (per-object allocation)', ctorDtor: 'ctor/dtor' };
}

/**
 * The name a legend or axis shows for a lock class or a shared line: the
 * kernel's name, and for the exec() path's per-binary stations what they are
 * ("binary folio 2" is the page cache folio of the exec'd binary's third page).
 */
export function displayName(name: string): string {
  const folio = /^binary folio (\d+)$/.exec(name);
  if (folio) return `folio ${folio[1]} of the binary (map/ref counts)`;
  const m: Record<string, string> = {
    'binary i_mmap_rwsem': "i_mmap_rwsem of the binary's mapping",
    'binary dentry d_lockref': "d_lockref of the binary's dentry",
    'binary inode i_writecount': "i_writecount of the binary's inode",
  };
  return m[name] ?? name;
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

/** "24 CPUs · ctor/dtor": a run under the mode names of its result (never the internal "ctor-dtor"). */
export function runLabel(run: RunResult, r?: SimResult): string {
  const names = r ? modeNames(r) : { baseline: 'baseline', ctorDtor: 'ctor/dtor' };
  const mode = run.mode === 'baseline' ? (r?.modeLabels ? names.baseline : 'baseline') : r?.modeLabels ? names.ctorDtor : 'ctor/dtor';
  return `${run.cpus} CPU${run.cpus > 1 ? 's' : ''} · ${mode}`;
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
  const classes = keep.map((name) => ({ name: displayName(name), waitMs: per.map((m) => round(m.get(name) ?? 0)) }));
  if (rest.length) classes.push({ name: `other (${rest.length})`, waitMs: per.map((m) => round(rest.reduce((s, k) => s + (m.get(k) ?? 0), 0))) });
  return { runs: r.runs.map((run) => runLabel(run, r)), classes };
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
