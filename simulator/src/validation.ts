/**
 * Validation against every published figure at once: the exec() gains and
 * the tc system-time reduction of the destructor RFC (seeds/004), the
 * pcpu_alloc_mutex wait the RFC's perf lock output shows, and the shares of
 * the shrink_slab profiles of the lockless shrinker series (seeds/003). One
 * cost table, no per-figure setting; `npm run bench` prints the table,
 * docs/simulator.md holds the same table (a test compares them).
 */
import type { Costs, CostName } from './costs';
import { sweep, sensitivity, TC_POINT, SHRINKER_POINT, WORKLOAD_COSTS } from './simulate';
import type { CompareRow, RunResult, Sensitivity, SimResult } from './result';
import { PUBLISHED_SOURCE } from './published';

export const SHRINKER_SOURCE = '[PATCH v3 00/49] use refcount+RCU method to implement lockless slab shrink, Message-ID 20230727080502.77895-1-zhengqi.arch@bytedance.com';

/** Seed 003's perf top shares, renormalised to busy time (pv_native_safe_halt is idle: 13.64% before, 20.42% after). */
const IDLE_BEFORE = 13.64;
const IDLE_AFTER = 20.42;
const busyShare = (pct: number, idle: number) => Math.round((pct / (100 - idle)) * 1000) / 10;

export interface PublishedFigure {
  id: string;
  figure: string;
  source: string;
  published: number;
  unit: '%' | 'us';
  workload: 'exec' | 'tc' | 'shrinker';
  /** The simulated value from the workload's sweep. */
  simulated(r: SimResult): number;
}

function row(r: SimResult, cpus: number): CompareRow {
  const c = r.compare!.find((x) => x.cpus === cpus);
  if (!c) throw new Error(`no sweep row for ${cpus} CPUs`);
  return c;
}

function run(r: SimResult, mode: 'baseline' | 'ctor-dtor'): RunResult {
  return r.runs.find((x) => x.mode === mode)!;
}

function share(r: SimResult, mode: 'baseline' | 'ctor-dtor', buckets: string[]): number {
  const p = run(r, mode).profile;
  let s = 0;
  for (const b of buckets) s += p.find((x) => x.bucket === b)?.share ?? 0;
  return Math.round(s * 1000) / 10;
}

export const PUBLISHED_FIGURES: PublishedFigure[] = [
  { id: 'exec-1', figure: 'exec() throughput gain, 1 CPU', source: 'seeds/004 (RFC cover letter)', published: 4, unit: '%', workload: 'exec', simulated: (r) => row(r, 1).gainPct ?? NaN },
  { id: 'exec-24', figure: 'exec() throughput gain, 24 threads (desktop)', source: 'seeds/004 (RFC cover letter)', published: 4.56, unit: '%', workload: 'exec', simulated: (r) => row(r, 24).gainPct ?? NaN },
  { id: 'exec-192', figure: 'exec() throughput gain, 192 CPUs (2 sockets)', source: 'seeds/004 (RFC cover letter)', published: 33, unit: '%', workload: 'exec', simulated: (r) => row(r, 192).gainPct ?? NaN },
  { id: 'tc-sys', figure: 'tc filter add/delete: system time reduction', source: 'seeds/004 (RFC cover letter)', published: 26, unit: '%', workload: 'tc', simulated: (r) => row(r, TC_POINT.cpus).busyReductionPct },
  {
    id: 'tc-wait', figure: 'tc: pcpu_alloc_mutex mean wait, before', source: 'RFC patch 4 perf lock (SIMULATOR-NOTES)', published: 7.1, unit: 'us', workload: 'tc',
    simulated: (r) => Math.round((run(r, 'baseline').locks.find((l) => l.name === 'pcpu_alloc_mutex')?.waitNs.mean ?? 0) / 100) / 10,
  },
  { id: 'shr-trylock', figure: 'shrink_slab profile, before: down_read_trylock share of busy time', source: `seeds/003: 40.44% of samples, ${IDLE_BEFORE}% idle`, published: busyShare(40.44, IDLE_BEFORE), unit: '%', workload: 'shrinker', simulated: (r) => share(r, 'baseline', ['down_read_trylock']) },
  { id: 'shr-upread', figure: 'shrink_slab profile, before: up_read share of busy time', source: `seeds/003: 17.59% of samples, ${IDLE_BEFORE}% idle`, published: busyShare(17.59, IDLE_BEFORE), unit: '%', workload: 'shrinker', simulated: (r) => share(r, 'baseline', ['up_read']) },
  { id: 'shr-walk', figure: 'shrink_slab profile, after: shrink_slab share of busy time', source: `seeds/003: 60.17% of samples, ${IDLE_AFTER}% idle`, published: busyShare(60.17, IDLE_AFTER), unit: '%', workload: 'shrinker', simulated: (r) => share(r, 'ctor-dtor', ['shrink_slab']) },
  {
    id: 'shr-lock', figure: 'shrink_slab profile, after: RCU + shrinker refcount share', source: `seeds/003: __rcu_read_unlock 2.00 + __rcu_read_lock 0.98 + shrinker_put 0.55% of samples, ${IDLE_AFTER}% idle`,
    published: busyShare(2.0 + 0.98 + 0.55, IDLE_AFTER), unit: '%', workload: 'shrinker', simulated: (r) => share(r, 'ctor-dtor', ['rcu_read_lock/unlock', 'shrinker_try_get/put']),
  },
];

export const VALIDATION_SEED = 1;
export const VALIDATION_DURATION_NS = 20e6;
/** Percentage points (or, for times, percent of the published value) within which a figure counts as met. */
export const VALIDATION_TOLERANCE = 5;

export interface ValidationRow {
  id: string;
  figure: string;
  source: string;
  simulated: number;
  published: number;
  unit: '%' | 'us';
  /** simulated - published (pp for %, us for times). */
  difference: number;
  within: boolean;
  sensitivity?: Sensitivity;
}

export interface ValidationOptions {
  seed?: number;
  durationNs?: number;
  costs?: Partial<Costs>;
  /** Also compute each figure's three most influential costs (+-50%); tens of seconds. */
  sensitivity?: boolean;
}

function sweeps(o: ValidationOptions, costs?: Partial<Costs>): Record<'exec' | 'tc' | 'shrinker', SimResult> {
  const base = { seed: o.seed ?? VALIDATION_SEED, durationNs: o.durationNs ?? VALIDATION_DURATION_NS, costs: costs ?? o.costs };
  return {
    exec: sweep([], { ...base, workload: 'exec' }),
    tc: sweep([], { ...base, workload: 'tc', points: [TC_POINT] }),
    shrinker: sweep([], { ...base, workload: 'shrinker', points: [SHRINKER_POINT] }),
  };
}

function within(f: PublishedFigure, sim: number): boolean {
  const d = Math.abs(sim - f.published);
  return f.unit === '%' ? d <= VALIDATION_TOLERANCE : d <= (VALIDATION_TOLERANCE / 100) * f.published;
}

/** Every published figure against the simulation, from one run per workload. */
export function validate(o: ValidationOptions = {}): ValidationRow[] {
  const r = sweeps(o);
  const rows: ValidationRow[] = PUBLISHED_FIGURES.map((f) => {
    const sim = f.simulated(r[f.workload]);
    return {
      id: f.id, figure: f.figure, source: f.source, simulated: sim, published: f.published, unit: f.unit,
      difference: Math.round((sim - f.published) * 100) / 100, within: within(f, sim),
    };
  });
  if (o.sensitivity) {
    const costs = r.exec.costs;
    for (const w of ['exec', 'tc', 'shrinker'] as const) {
      const figs = PUBLISHED_FIGURES.filter((f) => f.workload === w);
      // Shorter runs; the central value they are compared with comes from the same length.
      const short = { ...o, durationNs: Math.min(o.durationNs ?? VALIDATION_DURATION_NS, 10e6) };
      const at = (c?: Partial<Costs>) => { const s = sweeps(short, c); return figs.map((f) => f.simulated(s[w])); };
      const sens = sensitivity(at, WORKLOAD_COSTS[w] as CostName[], costs, at(costs));
      figs.forEach((f, i) => { rows.find((x) => x.id === f.id)!.sensitivity = sens[i]; });
    }
  }
  return rows;
}

const fmt = (v: number, unit: string) => `${Math.round(v * 100) / 100}${unit === 'us' ? ' us' : '%'}`;

/** The validation table as docs/simulator.md holds it (Markdown). */
export function validationMarkdown(rows: ValidationRow[]): string {
  const out = ['| figure | source | simulated | published | difference | within 5 |', '|---|---|---|---|---|---|'];
  for (const r of rows) {
    const d = r.unit === '%' ? `${r.difference > 0 ? '+' : ''}${r.difference} pp` : `${r.difference > 0 ? '+' : ''}${r.difference} us`;
    out.push(`| ${r.figure} | ${r.source} | ${fmt(r.simulated, r.unit)} | ${fmt(r.published, r.unit)} | ${d} | ${r.within ? 'yes' : 'no'} |`);
  }
  return out.join('\n') + '\n';
}

/** Each figure's three most influential costs (docs/simulator.md, "Sensitivity"). */
export function sensitivityMarkdown(rows: ValidationRow[]): string {
  const out = ['| figure | simulated (10 ms runs) | cost (kind): at 50% / at 150% | uncertain |', '|---|---|---|---|'];
  for (const r of rows) {
    if (!r.sensitivity) continue;
    const top = r.sensitivity.top.map((t) => `\`${t.cost}\` (${t.kind}): ${fmt(t.low, r.unit)} / ${fmt(t.high, r.unit)}`).join('; ');
    out.push(`| ${r.figure} | ${fmt(r.sensitivity.central, r.unit)} | ${top} | ${r.sensitivity.uncertain ? 'yes: flips sign' : 'no'} |`);
  }
  return out.join('\n') + '\n';
}

export { PUBLISHED_SOURCE };
