/**
 * simulate() and sweep(): turn options and cache models into engine runs
 * and assemble the versioned result.
 */
import type { CacheModel } from './model';
import { COST_TABLE, SimUsageError, resolveCosts, type CostName, type Costs } from './costs';
import { MACHINE_PROFILES, machineForCpus, resolveMachine, type MachineSpec } from './machine';
import { Engine, type Workload } from './engine';
import { mmStructModel, tcActionModel } from './default-models';
import { tcWorkload } from './workloads/tc';
import { SHRINKER_MODES, shrinkerWorkload } from './workloads/shrinker';
import { execWorkload } from './workloads/exec';
import { lifetimeWorkload } from './workloads/lifetime';
import { burstWorkload } from './workloads/burst';
import { reclaimWorkload } from './workloads/reclaim';
import { scenarioWorkload } from './workloads/scenario';
import { DEFERRED_FREE_MODES, DEFAULT_NOLOCK_SHARE, runDeferredFree } from './workloads/deferred-free';
import { validateModels, validateScenario } from './validate-scenario';
import { scenarioCacheToModel, type Scenario } from './scenario-types';
import { checkOptions, type Mode, type SimOptions, type SweepOptions, type SweepPoint } from './options';
import { NOISE_FLOOR_PCT, RESULT_VERSION, type CacheAssumptions, type CompareRow, type RunResult, type SeedStats, type Sensitivity, type SimResult, type Verdict } from './result';
import type { LockdepFinding } from './lockdep';
import { publishedGain } from './published';
import { analyticExec } from './analytic';
import { formatReport } from './report';

export const DEFAULT_SEED = 1;
export const DEFAULT_EXEC_DURATION_NS = 40_000_000;
/** An object lifetime is ~1-2 us: 4 ms gives thousands of iterations per CPU. */
export const DEFAULT_LIFETIME_DURATION_NS = 4_000_000;

interface Prepared {
  models: CacheModel[];
  /** No models were given: the built-in mm_struct runs (the published figures apply). */
  builtin: boolean;
  costs: Costs;
  scenario?: Scenario;
  workloadName: string;
}

function prepare(models: CacheModel[], o: SimOptions): Prepared {
  checkOptions(o);
  if (!Array.isArray(models)) throw new SimUsageError([`models: must be an array of cache models, got ${typeof models}`]);
  const mv = validateModels(models);
  if (!mv.ok) throw new SimUsageError(mv.errors.map((e) => `models: ${e}`));
  let scenario: Scenario | undefined;
  let workloadName = o.workload ?? (o.scenario !== undefined ? 'scenario' : 'exec');
  if (o.scenario !== undefined || workloadName === 'scenario') {
    if (o.scenario === undefined) throw new SimUsageError(['scenario: workload "scenario" needs a scenario document']);
    const v = validateScenario(o.scenario);
    if (!v.ok) throw new SimUsageError(v.errors);
    scenario = o.scenario as Scenario;
    workloadName = 'scenario';
  }
  const costs = resolveCosts({ ...(scenario?.costs ?? {}), ...(o.costs ?? {}) });
  let all = models.map(normalizeModel);
  const builtin = !scenario && all.length === 0;
  if (scenario) all = all.concat((scenario.caches ?? []).map(scenarioCacheToModel));
  else if (builtin && workloadName === 'tc') all = [tcActionModel()];
  else if (builtin && workloadName !== 'shrinker' && workloadName !== 'deferred-free') all = [mmStructModel(costs)];
  const names = new Set<string>();
  for (const m of all) {
    if (names.has(m.name)) throw new SimUsageError([`models: two caches named ${JSON.stringify(m.name)}`]);
    names.add(m.name);
  }
  return { models: all, builtin, costs, scenario, workloadName };
}

function makeWorkload(p: Prepared, o: SimOptions): Workload {
  switch (p.workloadName) {
    case 'burst': return burstWorkload(o.burstObjects, o.rounds ?? 4);
    case 'reclaim': return reclaimWorkload(o.holdLock, o.rounds ?? 50);
    case 'scenario': return scenarioWorkload(p.scenario!);
    case 'tc': return tcWorkload(o.prewarm ?? true);
    case 'shrinker': return shrinkerWorkload(o.memcgs, o.writers ?? 0);
    case 'lifetime': return lifetimeWorkload(o.prewarm ?? true);
    default: return execWorkload(o.prewarm ?? true);
  }
}

function defaultCpus(p: Prepared): number[] {
  if (p.scenario) return [p.scenario.cpus];
  if (p.workloadName === 'tc') return [TC_POINT.cpus];
  if (p.workloadName === 'shrinker') return [SHRINKER_POINT.cpus];
  return p.workloadName === 'exec' || p.workloadName === 'lifetime' ? [1, 24, 192] : [4];
}

/** One run of one workload, CPU count and mode. */
function runOnce(p: Prepared, o: SimOptions, machine: MachineSpec, ncpus: number, mode: Mode): RunResult {
  // Its own coherence model of the deferred-list heads (the engine's lines have no shared reads).
  if (p.workloadName === 'deferred-free') return runDeferredFree(machine, ncpus, p.costs, mode, { nolockShare: o.nolockShare, freesPerCpu: o.freesPerCpu, seed: o.seed });
  const sc = p.scenario;
  const isExec = LOOPING.has(p.workloadName);
  const duration = o.durationNs ?? sc?.durationNs ?? (p.workloadName === 'lifetime' ? DEFAULT_LIFETIME_DURATION_NS : isExec ? DEFAULT_EXEC_DURATION_NS : Infinity);
  const maxSim = o.maxSimNs ?? sc?.maxSimNs ?? Math.max(isFinite(duration) ? duration : 0, 10_000_000_000);
  const engine = new Engine({
    machine, ncpus, costs: p.costs, seed: o.seed ?? sc?.seed ?? DEFAULT_SEED, mode,
    durationNs: duration,
    warmupNs: o.warmupNs ?? (isExec && isFinite(duration) ? duration * 0.2 : 0),
    maxEvents: o.maxEvents ?? sc?.maxEvents ?? 50_000_000,
    maxSimNs: maxSim,
    timelineDepth: o.timelineDepth ?? 16,
    sampleEveryNs: isFinite(duration) ? duration / Math.max(1, o.samples ?? 20) : (o.samples === 0 ? 0 : 50_000),
    models: p.models,
    workload: makeWorkload(p, o),
    pressure: sc?.memory?.pressure ?? false,
    pressureFromNs: sc?.memory?.pressureFromNs ?? -1,
    functions: sc?.functions ?? {},
    locks: sc?.locks ?? [],
  });
  return engine.runToEnd();
}

/** Workloads whose CPUs loop until the duration ends (warm-up, throughput window). */
const LOOPING = new Set(['exec', 'tc', 'shrinker', 'lifetime']);

/**
 * Where the published tc and shrinker figures were measured, as far as the
 * sources say: 10 parallel tc processes (tc-testing flower.json concurrency
 * tests) on the RFC's 2-socket server (assumed: the cover letter does not say
 * which machine); 24 CPUs for the shrinker test (seeds/003: stress-ng reports
 * 1440 s of CPU time in 60 s; one socket with SMT assumed).
 */
export const TC_POINT: SweepPoint = { machine: 'server-192', cpus: 10 };
export const SHRINKER_POINT: SweepPoint = { machine: 'desktop-24', cpus: 24 };

function machineFor(o: { machine?: string | MachineSpec }, sc: Scenario | undefined, n: number, workload?: string): MachineSpec {
  const given = resolveMachine(o.machine, 'machine') ?? resolveMachine(sc?.machine, 'scenario.machine');
  if (given) return given;
  if (workload === 'tc' && n <= 192) return MACHINE_PROFILES['server-192'];
  return machineForCpus(n);
}

/** The costs each workload reads (what its sensitivity is computed over). */
export const WORKLOAD_COSTS: Record<string, CostName[]> = {
  exec: ['lockAcquireNs', 'atomicNs', 'smtTransferNs', 'sameSocketTransferNs', 'crossSocketTransferNs', 'l2HitNs', 'mutexWakeupNs',
    'mutexSpinLimitNs', 'smtSlowdown', 'slubFastPathNs', 'pcpuAllocPathNs', 'pcpuFreePathNs', 'pcpuAllocLockedNs', 'pcpuFreeLockedNs',
    'pcpuMetadataLines', 'pcpuClearPerCpuNs', 'pcpuChargeNs', 'percpuCountersListNs', 'execKernelNs', 'execFileVmas', 'execFilePages',
    'pgdCloneNs', 'pgdListLines', 'immapLines'],
  tc: ['lockAcquireNs', 'smtTransferNs', 'sameSocketTransferNs', 'crossSocketTransferNs', 'mutexWakeupNs', 'mutexSpinLimitNs', 'slubFastPathNs',
    'pcpuAllocPathNs', 'pcpuFreePathNs', 'pcpuAllocLockedNs', 'pcpuFreeLockedNs', 'pcpuMetadataLines', 'pcpuClearPerCpuNs', 'pcpuChargeNs',
    'tcRequestNs', 'tcFlowerLockedNs', 'tcIdrLockedNs', 'tcChainLockedNs'],
  shrinker: ['lockAcquireNs', 'atomicNs', 'smtTransferNs', 'sameSocketTransferNs', 'l2HitNs', 'dramMissNs', 'smtSlowdown',
    'shrinkerColdLines', 'shrinkerMapWords', 'shrinkerRegisterNs', 'mutexWakeupNs'],
  lifetime: ['lockAcquireNs', 'atomicNs', 'smtTransferNs', 'sameSocketTransferNs', 'crossSocketTransferNs', 'l2HitNs', 'mutexWakeupNs',
    'mutexSpinLimitNs', 'smtSlowdown', 'slubFastPathNs', 'slubListPerObjectNs', 'pcpuAllocPathNs', 'pcpuFreePathNs', 'pcpuAllocLockedNs',
    'pcpuFreeLockedNs', 'pcpuMetadataLines', 'pcpuClearPerCpuNs', 'pcpuChargeNs', 'callNs', 'objectUseNs'],
  'deferred-free': ['atomicNs', 'smtTransferNs', 'sameSocketTransferNs', 'crossSocketTransferNs', 'l2HitNs', 'smtSlowdown', 'slubFastPathNs', 'kfreeSlowPathShare'],
};

function usedCosts(workload: string): CostName[] {
  return WORKLOAD_COSTS[workload] ?? (['lockAcquireNs', 'sameSocketTransferNs', 'crossSocketTransferNs', 'slubFastPathNs', 'slubListPerObjectNs',
    'slubNewSlabNs', 'pageAllocFreeNs', 'pcpuAllocPathNs', 'pcpuFreePathNs', 'reclaimPassNs', 'callNs'] as CostName[]);
}

function assumptionsFor(p: Prepared): CacheAssumptions[] {
  const costs = usedCosts(p.workloadName).map((name) => ({ name, value: p.costs[name], kind: COST_TABLE[name].kind, source: COST_TABLE[name].source }));
  const notes: string[] = [];
  if (p.workloadName === 'exec') notes.push('exec(): the kernel path measured on the development VM (no-libc binary, 4 segments) is assumed to cost the same on every machine profile');
  if (p.workloadName === 'lifetime') {
    notes.push(`lifetime: every CPU allocates one object of each cache, initialises it (one line per 64 B of its object size), uses it for objectUseNs = ${p.costs.objectUseNs} ns (assumed: what the caller does is not read from the code) and frees it`);
  }
  if (p.workloadName === 'tc') notes.push(`tc: ${TC_POINT.cpus} tc processes on ${String(TC_POINT.machine)} (the machine is assumed), each adding and deleting a flower filter with a gact action`);
  if (p.workloadName === 'shrinker') notes.push(`shrinker: ${SHRINKER_POINT.cpus} reclaiming CPUs on ${String(SHRINKER_POINT.machine)} (assumed from the stress-ng CPU time), no cache model`);
  if (p.workloadName === 'deferred-free') notes.push(`deferred-free: every CPU frees in a loop, ${DEFAULT_NOLOCK_SHARE * 100}% of frees from kfree_nolock() unless --nolock-share says otherwise (assumed); a coherence model of the list heads only, no cache model`);
  if (p.costs !== undefined) {
    const changed = (Object.keys(COST_TABLE) as CostName[]).filter((k) => p.costs[k] !== COST_TABLE[k].value);
    if (changed.length) notes.push(`costs changed from the defaults: ${changed.map((k) => `${k}=${p.costs[k]}`).join(', ')}`);
  }
  const list: CacheAssumptions[] = p.models.map((m) => ({
    cache: m.name,
    objectSize: { bytes: m.objectSize.bytes, how: m.objectSize.assumed ? 'assumed' : m.objectSize.estimated ? 'estimated' : 'evaluated', expr: m.objectSize.expr, ...(m.objectSize.note ? { note: m.objectSize.note } : {}) },
    percpuRegions: (m.ctor?.steps ?? []).filter((s) => s.kind === 'alloc' && s.percpu).length,
    costs, notes,
  }));
  if (!list.length) list.push({ cache: '(none)', objectSize: { bytes: 0, how: 'assumed' }, percpuRegions: 0, costs, notes });
  return list;
}

function assemble(p: Prepared, o: SimOptions, runs: RunResult[], compare?: CompareRow[], later: RunResult[] = []): SimResult {
  const findings: LockdepFinding[] = [];
  const seen = new Set<string>();
  for (const r of runs.concat(later)) {
    for (const f of r.lockdep.findings) {
      const key = `${f.kind}|${f.message}`;
      if (!seen.has(key)) { seen.add(key); findings.push(f); }
    }
  }
  const deadlocks = runs.concat(later).map((r) => r.deadlock).filter((d): d is NonNullable<typeof d> => d !== null);
  const stops = runs.concat(later).map((r) => r.stop).filter((s): s is NonNullable<typeof s> => s !== null);
  const result: SimResult = {
    version: RESULT_VERSION,
    tool: 'slabcheck-simulator',
    workload: p.workloadName,
    seed: o.seed ?? p.scenario?.seed ?? DEFAULT_SEED,
    caches: p.models.map((m) => m.name),
    costs: p.costs,
    runs,
    findings,
    deadlocks,
    stops,
    ok: deadlocks.length === 0 && stops.length === 0 && !findings.some((f) => f.severity === 'error'),
    assumptions: assumptionsFor(p),
  };
  if (p.workloadName === 'shrinker') result.modeLabels = { baseline: SHRINKER_MODES.baseline, ctorDtor: SHRINKER_MODES['ctor-dtor'] };
  if (p.workloadName === 'deferred-free') result.modeLabels = { baseline: DEFERRED_FREE_MODES.baseline, ctorDtor: DEFERRED_FREE_MODES['ctor-dtor'] };
  if (compare) result.compare = compare;
  return result;
}

/** Run `models` under the options' workload for each requested CPU count, in one mode. */
export function simulate(models: CacheModel[], options: SimOptions = {}): SimResult {
  const p = prepare(models, options);
  const counts = options.cpus === undefined ? defaultCpus(p) : Array.isArray(options.cpus) ? options.cpus : [options.cpus];
  const mode = options.mode ?? p.scenario?.mode ?? 'ctor-dtor';
  const runs = counts.map((n) => runOnce(p, options, machineFor(options, p.scenario, n, p.workloadName), n, mode));
  return assemble(p, options, runs);
}

/**
 * The workload a cache is compared on: mm_struct is allocated by every exec()
 * and fork(), and exec() is what the RFC measured it on; any other cache runs
 * the lifetime of its own objects (its object size, its ctor's and dtor's
 * steps), never a path borrowed from mm_struct.
 */
export function cacheWorkload(model: Pick<CacheModel, 'name' | 'variable'>): 'exec' | 'lifetime' {
  return model.name === 'mm_struct' || model.variable === 'mm_cachep' ? 'exec' : 'lifetime';
}

export const DEFAULT_SWEEP: SweepPoint[] = [
  { machine: 'up', cpus: 1 },
  { machine: 'desktop-24', cpus: 24 },
  { machine: 'server-192', cpus: 192 },
];

/**
 * Baseline versus ctor/dtor at each point (default: the three published
 * machines), with the gain, the published figure where there is one, and
 * the closed-queueing estimate for the exec workload.
 */
export function sweep(models: CacheModel[], options: SweepOptions = {}): SimResult {
  const p = prepare(models, options);
  let points: SweepPoint[];
  if (options.points) points = options.points;
  else if (options.cpus !== undefined) {
    const list = Array.isArray(options.cpus) ? options.cpus : [options.cpus];
    points = list.map((n) => ({ machine: options.machine, cpus: n }));
  } else if (p.scenario) points = [{ machine: p.scenario.machine, cpus: p.scenario.cpus }];
  else if (p.workloadName === 'tc') points = [TC_POINT];
  else if (p.workloadName === 'shrinker') points = [SHRINKER_POINT];
  else points = DEFAULT_SWEEP;
  const seeds = seedList(options, p);
  const runs: RunResult[] = [];
  const later: RunResult[] = [];
  const compare: CompareRow[] = [];
  for (const pt of points) {
    const machine = resolveMachine(pt.machine, 'machine') ?? machineFor(options, p.scenario, pt.cpus, p.workloadName);
    const pairs = seeds.map((seed) => {
      const o = { ...options, seed };
      return { seed, base: runOnce(p, o, machine, pt.cpus, 'baseline'), ctor: runOnce(p, o, machine, pt.cpus, 'ctor-dtor') };
    });
    runs.push(pairs[0].base, pairs[0].ctor);
    // A deadlock or stop that only a later seed met is reported too (its first occurrence).
    const firstBad = (x: Pair) => !!(x.base.deadlock || x.ctor.deadlock || x.base.stop || x.ctor.stop);
    if (!firstBad(pairs[0])) {
      const x = pairs.slice(1).find(firstBad);
      if (x) later.push(...[x.base, x.ctor].filter((r) => r.deadlock || r.stop));
    }
    const row = compareRow(machine.name, pt.cpus, pairs, !LOOPING.has(p.workloadName) && p.workloadName !== 'deferred-free');
    const [base, ctor] = [pairs[0].base, pairs[0].ctor];
    if (base.deferredFree && ctor.deferredFree) {
      row.baselineTransfersPerFree = base.deferredFree.lineTransfersPerFree;
      row.ctorDtorTransfersPerFree = ctor.deferredFree.lineTransfersPerFree;
    }
    // The published figures are for mm_struct as the RFC converts it.
    const pub = p.workloadName === 'exec' && p.builtin ? publishedGain(machine.name, pt.cpus) : undefined;
    if (pub !== undefined) row.publishedGainPct = pub;
    if (p.workloadName === 'exec') {
      const a = analyticExec(p.models, p.costs, machine, pt.cpus);
      row.analytic = a;
    }
    compare.push(row);
  }
  if (options.sensitivity) {
    const at = (costs: Partial<Costs>) => sweep(models, { ...options, seeds: 1, sensitivity: false, costs, points, durationNs: Math.min(options.durationNs ?? 10e6, 10e6) }).compare!.map((r) => r.gainPct);
    const sens = sensitivity(at, usedCosts(p.workloadName), p.costs, at(p.costs));
    compare.forEach((r, i) => { if (sens[i]) r.sensitivity = sens[i]!; });
  }
  return assemble(p, options, runs, compare, later);
}

/** The seeds a sweep runs: `seeds` consecutive seeds from the given one (default 1 seed). */
function seedList(o: SweepOptions, p: Prepared): number[] {
  const first = o.seed ?? p.scenario?.seed ?? DEFAULT_SEED;
  const n = o.seeds ?? 1;
  return Array.from({ length: n }, (_, i) => (first + i) >>> 0);
}

/** Two-sided 95% Student's t quantiles by degrees of freedom (1..30; 1.96 beyond). */
const T95 = [NaN, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** Mean, sample standard deviation, range and 95% interval of the mean of a non-empty list. */
export function seedStats(xs: number[], digits = 2): SeedStats {
  const n = xs.length;
  const mean = xs.reduce((a, x) => a + x, 0) / n;
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1)) : 0;
  const half = n > 1 ? (T95[n - 1] ?? 1.96) * (sd / Math.sqrt(n)) : 0;
  const r = (x: number) => roundTo(x, digits);
  return { mean: r(mean), stdev: r(sd), min: r(Math.min(...xs)), max: r(Math.max(...xs)), ci95: [r(mean - half), r(mean + half)] };
}

/**
 * What a gain over seeds may be read as (rows whose runs all finished
 * cleanly): within noise when the 95% interval of the mean contains 0, when
 * it is under NOISE_FLOOR_PCT, or under `resolutionPct` (what counting whole
 * iterations in the window can resolve).
 */
export function gainVerdict(gains: number[], resolutionPct = 0): Verdict {
  const s = seedStats(gains);
  if (Math.abs(s.mean) < Math.max(NOISE_FLOOR_PCT, resolutionPct)) return gains.length === 1 ? 'one-seed' : 'within-noise';
  if (gains.length === 1) return 'one-seed';
  if (s.ci95[0] <= 0 && s.ci95[1] >= 0) return 'within-noise';
  return s.mean > 0 ? 'better' : 'worse';
}

type Pair = { seed: number; base: RunResult; ctor: RunResult };

/**
 * One compare row from the runs of every seed at one point. `counted`: the
 * workload's throughput counts whole iterations in the window (scenarios,
 * burst, reclaim), so a gain within one iteration per CPU of each run is
 * below what the run can resolve.
 */
function compareRow(machine: string, cpus: number, pairs: Pair[], counted: boolean): CompareRow {
  const clean = (r: RunResult) => !r.deadlock && !r.stop;
  const gainOf = (x: Pair) => (clean(x.base) && clean(x.ctor) && x.base.throughputPerSec! > 0 ? round2((x.ctor.throughputPerSec! / x.base.throughputPerSec! - 1) * 100) : null);
  const gains = pairs.map(gainOf);
  const seeds = pairs.map((x) => x.seed);
  const locked = pairs.filter((x) => x.base.deadlock || x.ctor.deadlock);
  const stopped = pairs.filter((x) => !x.base.deadlock && !x.ctor.deadlock && (x.base.stop || x.ctor.stop));
  const mean1 = (xs: number[]) => round1(xs.reduce((a, x) => a + x, 0) / xs.length);
  const perSec = (mode: 'base' | 'ctor') => {
    const rs = pairs.map((x) => x[mode]);
    return rs.some((r) => r.deadlock) ? null : mean1(rs.map((r) => r.throughputPerSec!));
  };
  const busy = (mode: 'base' | 'ctor') => mean1(pairs.map((x) => x[mode].cpuTime.busyNsPerIteration));
  const bBusy = busy('base');
  const cBusy = busy('ctor');
  const row: CompareRow = {
    machine, cpus,
    baselinePerSec: perSec('base'), ctorDtorPerSec: perSec('ctor'),
    gainPct: null, verdict: 'one-seed', seeds, gainPctBySeed: gains,
    baselineBusyNsPerIteration: bBusy,
    ctorDtorBusyNsPerIteration: cBusy,
    busyReductionPct: bBusy > 0 ? round2((1 - cBusy / bBusy) * 100) : 0,
  };
  const modeOf = (xs: Pair[], has: (r: RunResult) => unknown) => {
    const b = xs.some((x) => has(x.base));
    const c = xs.some((x) => has(x.ctor));
    return b && c ? 'both' as const : b ? 'baseline' as const : 'ctor-dtor' as const;
  };
  if (locked.length) {
    const first = locked[0].ctor.deadlock ?? locked[0].base.deadlock!;
    const cycle = new Set(first.cycle.map((w) => w.cpu));
    row.verdict = 'deadlock';
    row.deadlock = {
      mode: modeOf(locked, (r) => r.deadlock), kind: first.kind, seeds: locked.map((x) => x.seed), message: first.message,
      cycle: first.cycle, holding: first.holding.filter((h) => cycle.has(h.cpu) || !cycle.size).map((h) => ({ cpu: h.cpu, locks: h.locks })),
    };
    return row;
  }
  if (stopped.length) {
    const st = (stopped[0].ctor.stop ?? stopped[0].base.stop)!;
    row.verdict = 'stopped';
    row.stopped = { mode: modeOf(stopped, (r) => r.stop), reason: st.reason, message: st.message };
    return row;
  }
  const g = gains as number[];
  row.gainPct = g.length === 1 ? g[0] : round2(g.reduce((a, x) => a + x, 0) / g.length);
  if (counted) {
    const fewest = (mode: 'base' | 'ctor') => Math.max(1, Math.min(...pairs.map((x) => x[mode].measuredIterations)));
    row.resolutionPct = round2(100 * cpus * (1 / fewest('base') + 1 / fewest('ctor')));
  }
  row.verdict = gainVerdict(g, row.resolutionPct ?? 0);
  if (g.length > 1) {
    row.spread = {
      gainPct: seedStats(g),
      baselinePerSec: seedStats(pairs.map((x) => x.base.throughputPerSec!), 1),
      ctorDtorPerSec: seedStats(pairs.map((x) => x.ctor.throughputPerSec!), 1),
    };
  }
  return row;
}

/**
 * For each prediction `figures(costs)[i]`: move each named cost to 50% and
 * 150% of its value (counts stay at least 1), keep the three that move it
 * most, and flag it uncertain when some move flips its sign.
 */
export function sensitivity(figures: (costs: Partial<Costs>) => (number | null)[], names: CostName[], base: Costs, central: (number | null)[]): (Sensitivity | undefined)[] {
  const tries = names.map((name) => {
    const at = (f: number) => {
      let v = base[name] * f;
      if (COST_TABLE[name].unit === 'count') v = Math.max(1, Math.round(v));
      return figures({ ...base, [name]: v });
    };
    return { name, low: at(0.5), high: at(1.5) };
  });
  return central.map((c, i) => {
    // No gain at this point (a run deadlocked or stopped): nothing to be sensitive about.
    if (c === null) return undefined;
    const rows = tries.filter((t) => t.low[i] !== null && t.high[i] !== null)
      .map((t) => ({ cost: t.name, kind: COST_TABLE[t.name].kind, value: base[t.name], low: t.low[i] as number, high: t.high[i] as number }));
    const swing = (r: { low: number; high: number }) => Math.max(Math.abs(r.low - c), Math.abs(r.high - c));
    rows.sort((a, b) => swing(b) - swing(a) || (a.cost < b.cost ? -1 : 1));
    const flips = rows.some((r) => Math.sign(r.low) * Math.sign(c) < 0 || Math.sign(r.high) * Math.sign(c) < 0);
    return { top: rows.slice(0, 3), uncertain: flips, tried: rows.length, central: c };
  });
}

/**
 * One cache as the editor's "simulate this cache" command runs it: the
 * exec-style sweep (what the ctor/dtor pair buys at 1/24/192 CPUs when one
 * object is allocated and freed per iteration), a burst (slab growth and
 * release, ctor and dtor runs) and the reclaim workload (dtors inside
 * reclaim, under a held mutex). One combined report; about 0.2 s.
 */
export function simulateCache(model: CacheModel, options: SimOptions = {}): { ok: boolean; report: string; results: SimResult[] } {
  const base: SimOptions = { seed: options.seed, costs: options.costs, timelineDepth: options.timelineDepth };
  const results = [
    sweep([model], { ...base, durationNs: options.durationNs ?? 10_000_000 }),
    simulate([model], { ...base, workload: 'burst', cpus: 4, rounds: 2 }),
    simulate([model], { ...base, workload: 'reclaim', cpus: 4, holdLock: options.holdLock }),
  ];
  const titles = ['exec-style sweep: baseline vs ctor/dtor', 'burst: slab growth and release', 'reclaim: dtors run inside reclaim under a held mutex'];
  const report = results.map((r, i) => `##### ${titles[i]}\n\n${formatReport(r)}`).join('\n');
  return { ok: results.every((r) => r.ok), report, results };
}

/** Fill the optional parts a hand-written or older model may lack. */
export function normalizeModel(m: CacheModel): CacheModel {
  return {
    ...m,
    version: 1,
    align: m.align ?? 8,
    flags: m.flags ?? [],
    at: m.at ?? { file: '<unknown>', startLine: 0, startCol: 0, endLine: 0, endCol: 0 },
  };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function roundTo(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export { MACHINE_PROFILES };
