/**
 * simulate() and sweep(): turn options and cache models into engine runs
 * and assemble the versioned result.
 */
import type { CacheModel } from './model';
import { SimUsageError, resolveCosts, type Costs } from './costs';
import { MACHINE_PROFILES, machineForCpus, resolveMachine, type MachineSpec } from './machine';
import { Engine, type Workload } from './engine';
import { mmStructModel } from './default-models';
import { execWorkload } from './workloads/exec';
import { burstWorkload } from './workloads/burst';
import { reclaimWorkload } from './workloads/reclaim';
import { scenarioWorkload } from './workloads/scenario';
import { validateModels, validateScenario } from './validate-scenario';
import { scenarioCacheToModel, type Scenario } from './scenario-types';
import { checkOptions, type Mode, type SimOptions, type SweepOptions, type SweepPoint } from './options';
import { RESULT_VERSION, type CompareRow, type RunResult, type SimResult } from './result';
import type { LockdepFinding } from './lockdep';
import { publishedGain } from './published';
import { analyticExec } from './analytic';
import { formatReport } from './report';

export const DEFAULT_SEED = 1;
export const DEFAULT_EXEC_DURATION_NS = 40_000_000;

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
  else if (builtin) all = [mmStructModel(costs)];
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
    default: return execWorkload(o.prewarm ?? true);
  }
}

function defaultCpus(p: Prepared): number[] {
  if (p.scenario) return [p.scenario.cpus];
  return p.workloadName === 'exec' ? [1, 24, 192] : [4];
}

/** One run of one workload, CPU count and mode. */
function runOnce(p: Prepared, o: SimOptions, machine: MachineSpec, ncpus: number, mode: Mode): RunResult {
  const sc = p.scenario;
  const isExec = p.workloadName === 'exec';
  const duration = o.durationNs ?? sc?.durationNs ?? (isExec ? DEFAULT_EXEC_DURATION_NS : Infinity);
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

function machineFor(o: { machine?: string | MachineSpec }, sc: Scenario | undefined, n: number): MachineSpec {
  return resolveMachine(o.machine, 'machine') ?? resolveMachine(sc?.machine, 'scenario.machine') ?? machineForCpus(n);
}

function assemble(p: Prepared, o: SimOptions, runs: RunResult[], compare?: CompareRow[]): SimResult {
  const findings: LockdepFinding[] = [];
  const seen = new Set<string>();
  for (const r of runs) {
    for (const f of r.lockdep.findings) {
      const key = `${f.kind}|${f.message}`;
      if (!seen.has(key)) { seen.add(key); findings.push(f); }
    }
  }
  const deadlocks = runs.map((r) => r.deadlock).filter((d): d is NonNullable<typeof d> => d !== null);
  const stops = runs.map((r) => r.stop).filter((s): s is NonNullable<typeof s> => s !== null);
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
  };
  if (compare) result.compare = compare;
  return result;
}

/** Run `models` under the options' workload for each requested CPU count, in one mode. */
export function simulate(models: CacheModel[], options: SimOptions = {}): SimResult {
  const p = prepare(models, options);
  const counts = options.cpus === undefined ? defaultCpus(p) : Array.isArray(options.cpus) ? options.cpus : [options.cpus];
  const mode = options.mode ?? p.scenario?.mode ?? 'ctor-dtor';
  const runs = counts.map((n) => runOnce(p, options, machineFor(options, p.scenario, n), n, mode));
  return assemble(p, options, runs);
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
  else points = DEFAULT_SWEEP;
  const runs: RunResult[] = [];
  const compare: CompareRow[] = [];
  for (const pt of points) {
    const machine = resolveMachine(pt.machine, 'machine') ?? machineFor(options, p.scenario, pt.cpus);
    const base = runOnce(p, options, machine, pt.cpus, 'baseline');
    const ctor = runOnce(p, options, machine, pt.cpus, 'ctor-dtor');
    runs.push(base, ctor);
    const row: CompareRow = {
      machine: machine.name, cpus: pt.cpus,
      baselinePerSec: base.throughputPerSec, ctorDtorPerSec: ctor.throughputPerSec,
      gainPct: base.throughputPerSec > 0 ? round2((ctor.throughputPerSec / base.throughputPerSec - 1) * 100) : 0,
    };
    // The published figures are for mm_struct as the RFC converts it.
    const pub = p.workloadName === 'exec' && p.builtin ? publishedGain(machine.name, pt.cpus) : undefined;
    if (pub !== undefined) row.publishedGainPct = pub;
    if (p.workloadName === 'exec') {
      const a = analyticExec(p.models, p.costs, machine, pt.cpus);
      row.analytic = a;
    }
    compare.push(row);
  }
  return assemble(p, options, runs, compare);
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

export { MACHINE_PROFILES };
