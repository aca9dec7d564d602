/**
 * The ctor/dtor conversion of a `ctor-dtor-candidate` cache, and its predicted
 * gain. One function, conversionFigures(), gives the figures the code lens's
 * title and the finding's hover show, so the two always agree: the simulated
 * prediction (mean over seeds, spread, "within noise" when the seeds do not
 * establish it, no gain when a run deadlocked) and, for mm_struct only, the
 * RFC's published measurement, labelled as a measurement of mm_struct.
 */
import type { CacheModel, CtorDtorModel, ModelStep, SourceRange } from '../../../simulator/src/model';
import type { CompareRow, SeedStats, Verdict } from '../../../simulator/src/result';
import { cacheWorkload, sweep } from '../../../simulator/src/simulate';
import { publishedGain } from '../../../simulator/src/published';
import { COST_TABLE } from '../../../simulator/src/costs';
import type { Analysis } from '../index/analysis';
import type { Span } from '../facts/types';
import type { Finding } from '../rules/types';

export const CANDIDATE_RULE = 'ctor-dtor-candidate';

/** The ctor-dtor-candidate finding of a cache (matched by the creation's position). */
export function candidateFinding(findings: Finding[], model: CacheModel): Finding | undefined {
  return findings.find((f) => f.rule === CANDIDATE_RULE && f.file === model.at.file && f.span[0] === model.at.startLine && f.span[1] === model.at.startCol);
}

/** The last `calls X()` in an evidence note (the percpu function itself, past any helper). */
function lastCall(note: string, fallback: string): string {
  const calls = [...note.matchAll(/calls ([A-Za-z_]\w*)\(\)/g)].map((m) => m[1]);
  return calls.length ? calls[calls.length - 1] : fallback;
}

function rangeOf(file: string, s: Span): SourceRange {
  return { file, startLine: s[0], startCol: s[1], endLine: s[2], endCol: s[3] };
}

/** Events of the allocation path around the site the rule found, and which of them the rule looks at. */
const WINDOW = 12;
const MAX_HELPER_DEPTH = 2;

/**
 * Every percpu allocation (or free) the object's path makes right after its
 * kmem_cache_alloc() (right before its kmem_cache_free()): directly, or in a
 * helper it calls, MAX_HELPER_DEPTH deep, as the candidate rule reads it. For
 * mm_struct that is mm_init()'s mm_alloc_cid() and percpu_counter_init_many(),
 * two regions, where the finding's note names only the first it met.
 */
function percpuAround(analysis: Analysis, at: Finding['related'][number], kind: 'alloc' | 'free'): ModelStep[] {
  const fn = analysis.functionsIn(at.file).find((f) => f.events.some((e) => e.at[0] === at.span[0] && e.at[1] === at.span[1]));
  if (!fn) return [];
  const idx = fn.events.findIndex((e) => e.at[0] === at.span[0] && e.at[1] === at.span[1]);
  const evs = kind === 'alloc' ? fn.events.slice(idx + 1, idx + 1 + WINDOW) : fn.events.slice(Math.max(0, idx - WINDOW), idx);
  const out: ModelStep[] = [];
  for (const e of evs) {
    const here = rangeOf(at.file, e.at);
    if (kind === 'alloc' && e.k === 'alloc' && /percpu/.test(e.fn)) out.push({ kind: 'alloc', allocator: e.fn, gfp: e.gfp ?? 'GFP_KERNEL', percpu: true, at: here });
    else if (kind === 'free' && e.k === 'free' && /percpu/.test(e.fn)) out.push({ kind: 'free', allocator: e.fn, percpu: true, at: here });
    else if (e.k === 'call') {
      const callee = analysis.resolve(e.fn, at.file);
      if (!callee) continue;
      const s = analysis.summary(callee);
      if (kind === 'alloc') {
        for (const a of s.allocs) if (a.percpu && a.chain.length <= MAX_HELPER_DEPTH) out.push({ kind: 'alloc', allocator: a.fn, gfp: a.gfpBound ?? (a.gfp && /^GFP_|^__GFP/.test(a.gfp) ? a.gfp : 'GFP_KERNEL'), percpu: true, at: here });
      } else {
        for (const f of s.frees) if (/percpu/.test(f.fn) && f.chain.length <= MAX_HELPER_DEPTH) out.push({ kind: 'free', allocator: f.fn, percpu: true, at: here });
      }
    }
  }
  return out;
}

/**
 * The conversion the candidate rule proposes, as a cache model: the percpu
 * allocations made right after kmem_cache_alloc() become the ctor and the
 * percpu frees made right before kmem_cache_free() the dtor. With the analysis,
 * every region the path sets up (read as the rule reads it); without it, the
 * one the finding's evidence names. The simulator's baseline mode then runs
 * them on every object lifetime (the code as it is) and its ctor/dtor mode
 * keeps them with the object.
 */
export function conversionModel(model: CacheModel, finding: Finding, analysis?: Analysis): CacheModel {
  const [allocSide, freeSide] = finding.related;
  const allocNote = allocSide?.note ?? '';
  const freeNote = (freeSide?.note ?? '').split(', then frees')[0];
  const allocFn = lastCall(allocNote.split(', then ').slice(1).join(', then ') || allocNote, 'alloc_percpu');
  const freeFn = lastCall(freeNote, 'free_percpu');
  const at = (st: typeof allocSide | undefined): SourceRange | undefined => (st ? rangeOf(st.file, st.span) : undefined);
  const base = (model.variable ?? model.name).replace(/_?cachep?$/, '') || model.name;
  let allocSteps: ModelStep[] = [];
  let freeSteps: ModelStep[] = [];
  if (analysis && allocSide && freeSide) {
    try {
      allocSteps = percpuAround(analysis, allocSide, 'alloc');
      freeSteps = percpuAround(analysis, freeSide, 'free');
    } catch {
      allocSteps = [];
      freeSteps = [];
    }
  }
  if (!allocSteps.length) allocSteps = [{ kind: 'alloc', allocator: allocFn, gfp: 'GFP_KERNEL', percpu: true, at: at(allocSide) }];
  if (!freeSteps.length) freeSteps = [{ kind: 'free', allocator: freeFn, percpu: true, at: at(freeSide) }];
  const names = (steps: ModelStep[]) => [...new Set(steps.map((s) => ('allocator' in s ? s.allocator : '')))].map((n) => `${n}()`).join(', ');
  const ctor: CtorDtorModel = {
    name: `${base}_ctor`, at: at(allocSide), steps: allocSteps, maySleep: true,
    summary: `proposed: ${names(allocSteps)} moved from the allocation path into a ctor (${allocSteps.length} percpu region${allocSteps.length === 1 ? '' : 's'})`,
  };
  const dtor: CtorDtorModel = {
    name: `${base}_dtor`, at: at(freeSide), steps: freeSteps, maySleep: false,
    summary: `proposed: ${names(freeSteps)} moved from the free path into a dtor`,
  };
  return { ...model, ctor, dtor };
}

export interface Prediction {
  cpus: number;
  machine: string;
  workload: string;
  /** Mean over the seeds; null when a run deadlocked, stalled or stopped. */
  gainPct: number | null;
  verdict: Verdict;
  seeds: number[];
  spread?: SeedStats;
  /** What stopped a run, when one did. */
  problem?: string;
  baselinePerSec: number | null;
  ctorDtorPerSec: number | null;
  ms: number;
}

/** Where the prediction is made, and how: 3 seeds, short runs (the lens resolves in well under a second). */
export const PREDICT_POINT = { machine: 'server-192', cpus: 192 } as const;
export const PREDICT_SEEDS = 3;
export const PREDICT_DURATION_NS: Record<string, number> = { exec: 10_000_000, lifetime: 1_000_000 };
const predictions = new Map<string, Prediction>();
const MAX_PREDICTIONS = 256;

/**
 * Baseline vs ctor/dtor of the cache's own workload (exec() for mm_struct, its
 * objects' lifetime for any other cache) on the 192-CPU server profile,
 * PREDICT_SEEDS seeds; memoised per cache model (position included).
 */
export function predictConversion(model: CacheModel): Prediction {
  const key = JSON.stringify(model);
  const hit = predictions.get(key);
  if (hit) return hit;
  const t0 = Date.now();
  const workload = cacheWorkload(model);
  const r = sweep([model], { workload, points: [PREDICT_POINT], durationNs: PREDICT_DURATION_NS[workload], seeds: PREDICT_SEEDS });
  const row: CompareRow = r.compare![0];
  const p: Prediction = {
    cpus: row.cpus, machine: row.machine, workload, gainPct: row.gainPct, verdict: row.verdict, seeds: row.seeds, spread: row.spread?.gainPct,
    problem: row.deadlock?.message ?? row.stopped?.message,
    baselinePerSec: row.baselinePerSec, ctorDtorPerSec: row.ctorDtorPerSec, ms: Date.now() - t0,
  };
  if (predictions.size >= MAX_PREDICTIONS) predictions.delete(predictions.keys().next().value as string);
  predictions.set(key, p);
  return p;
}

export function formatGain(pct: number): string {
  const r = Math.round(pct * 10) / 10;
  return `${r >= 0 ? '+' : '-'}${Math.abs(r).toFixed(1)}%`;
}

/** "+12.3% +-0.4", "+0.4% +-0.3, within noise", "deadlock": what a prediction says, in the lens and the hover alike. */
export function predictionShort(p: Prediction): string {
  if (p.verdict === 'deadlock') return 'a run deadlocks, no gain';
  if (p.verdict === 'stopped' || p.gainPct === null) return 'a run stopped early, no gain';
  const spread = p.spread ? ` +-${p.spread.stdev.toFixed(1)}` : '';
  return `${formatGain(p.gainPct)}${spread}${p.verdict === 'within-noise' ? ', within noise' : ''}`;
}

export interface ConversionFigures {
  prediction: Prediction;
  /** The RFC's published gain at the prediction's point, for mm_struct only (what it was measured on). */
  publishedPct?: number;
  lensTitle: string;
  /** Markdown for the finding's hover: the same figures, with where each comes from. */
  hover: string;
}

/** The figures of a candidate's conversion: the lens and the hover both show these, from here only. */
export function conversionFigures(model: CacheModel, finding: Finding, analysis?: Analysis): ConversionFigures {
  const conv = conversionModel(model, finding, analysis);
  const p = predictConversion(conv);
  const publishedPct = p.workload === 'exec' ? publishedGain(p.machine, p.cpus) : undefined;
  const short = predictionShort(p);
  const pub = publishedPct !== undefined ? `; RFC measured ${formatGain(publishedPct)}` : '';
  const lensTitle = `Simulate ctor/dtor conversion (${short} at ${p.cpus} CPUs predicted${pub})`;
  const regions = conv.ctor!.steps.length;
  const lines = [
    `**Predicted gain of the conversion** (the code lens shows the same figure): ${short} at ${p.cpus} CPUs (${p.machine}),`
      + ` ${p.workload === 'exec' ? 'exec() in a loop, the workload mm_struct is allocated by' : `this cache's own objects allocated, used for ${COST_TABLE.objectUseNs.value / 1000} us (assumed) and freed in a loop`};`
      + ` mean of ${p.seeds.length} seeds${p.spread ? ` (${formatGain(p.spread.min)} to ${formatGain(p.spread.max)})` : ''}; ${regions} percpu region${regions === 1 ? '' : 's'} moved into the ctor.`,
  ];
  if (p.problem) lines.push(`A simulated run did not finish cleanly: ${p.problem}`);
  if (publishedPct !== undefined) {
    lines.push(`The RFC measured ${formatGain(publishedPct)} for mm_struct at ${p.cpus} CPUs (exec() benchmark, 2-socket server).`
      + (p.gainPct === null || Math.abs(p.gainPct - publishedPct) > 5 ? ' The simulation does not reproduce it: docs/simulator.md, "Where the model misses", says why.' : ''));
  }
  lines.push('Use "Simulate ctor/dtor conversion" for the whole curve over CPU counts.');
  return { prediction: p, publishedPct, lensTitle, hover: lines.join('\n\n') };
}
