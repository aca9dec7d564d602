/**
 * `slabcheck simulate`: parse argv, load models/scenario files, run, print.
 * Exit status: 0 ok, 1 a deadlock, lockdep error or early stop was found,
 * 2 bad usage (the message names the option).
 */
import { readFileSync } from 'node:fs';
import type { CacheModel } from './model';
import { COST_NAMES, SimUsageError, type Costs } from './costs';
import { MACHINE_PROFILES, MAX_CPUS } from './machine';
import { cacheWorkload, normalizeModel, simulate, sweep } from './simulate';
import { formatReport } from './report';
import { validateModels } from './validate-scenario';
import { MAX_SEEDS, type SimOptions, type SweepOptions } from './options';
import type { SimResult } from './result';

export const SIMULATE_USAGE = `usage: slabcheck simulate [options]

Runs the multi-CPU slab allocator simulator.

  --workload NAME                 built-in workload: exec (mm_struct's: exec() in a loop; the default without
                                  --models), lifetime (each CPU allocates, initialises, uses and frees one
                                  object of each cache: the default with --models unless every model is
                                  mm_struct), tc (filter add/delete, tc_action),
                                  shrinker (shrink_slab over many memcgs: shrinker_rwsem vs lockless),
                                  burst, reclaim, deferred-free (kfree_nolock()'s deferred list:
                                  one per cache vs one per CPU, seeds/001)
  --scenario FILE                 run a scenario (JSON, simulator/schema/scenario.schema.json)
  --models FILE                   cache models: a JSON array of CacheModel, or {"caches": [...]}
                                  as printed by 'slabcheck caches --format json' (default: mm_struct)
  --cpus LIST                     CPU counts, e.g. 1,24,192 (each is a run)
  --machine NAME                  ${Object.keys(MACHINE_PROFILES).join(' | ')} (default: smallest that fits)
  --mode baseline|ctor-dtor       run the ctor/dtor work per object (baseline) or in slab ctor/dtor (default)
  --compare                       sweep baseline vs ctor/dtor (default points 1/up, 24/desktop-24, 192/server-192)
  --seed N                        PRNG seed (default 1); the same seed gives the same result
  --seeds N                       with --compare: seeds per point, N, N+1, ... from --seed (default 5);
                                  each gain is their mean with its spread, and "within noise" when
                                  the 95% interval of the mean contains 0 (or it is under 0.5 points)
  --format text|json              output format (default text)
  --duration-ms N                 simulated time per run (exec default 40)
  --max-events N                  event budget per run (default 50000000)
  --max-sim-ms N                  simulated-time budget per run
  --cost NAME=VALUE               override a default cost (repeatable); names: see docs/simulator.md
  --hold-lock NAME                reclaim: the mutex CPU0 holds while allocating (default: the first
                                  sleeping lock a dtor takes, else reclaim_demo.mutex)
  --rounds N                      burst/reclaim: rounds per CPU
  --objects N                     burst: objects per round
  --memcgs N                      shrinker: memcgs walked (default 4000; spreads the lockless refcount
                                  lines, at most 256 distinct; per-memcg data is taken as cold either way)
  --writers N                     shrinker: CPUs that mount/umount (write side) instead of reclaiming (default 0)
  --nolock-share X                deferred-free: share of frees from kfree_nolock(), 0..1 (default 0.1)
  --frees N                       deferred-free: frees per CPU (default 4000)
  --sensitivity                   with --compare: the three costs each gain depends on most (+-50%); slower
  --timeline N                    events kept per CPU for deadlock timelines (default 16)
  -h, --help                      this text

exit status: 0 ok, 1 deadlock / lockdep error / run stopped early, 2 bad usage`;

class UsageError extends Error {}

/** Seeds per point of `simulate --compare` unless --seeds says otherwise. */
export const CLI_COMPARE_SEEDS = 5;

interface Parsed {
  help: boolean;
  compare: boolean;
  format: 'text' | 'json';
  workload?: string;
  scenarioFile?: string;
  modelsFile?: string;
  cpus?: number[];
  machine?: string;
  mode?: 'baseline' | 'ctor-dtor';
  seed?: number;
  seeds?: number;
  durationMs?: number;
  maxEvents?: number;
  maxSimMs?: number;
  costs: Partial<Costs>;
  holdLock?: string;
  rounds?: number;
  objects?: number;
  timeline?: number;
  memcgs?: number;
  writers?: number;
  nolockShare?: number;
  frees?: number;
  sensitivity: boolean;
}

const WITH_VALUE = new Set(['--workload', '--scenario', '--models', '--cpus', '--machine', '--mode', '--seed', '--seeds', '--format', '--duration-ms',
  '--max-events', '--max-sim-ms', '--cost', '--hold-lock', '--rounds', '--objects', '--timeline', '--memcgs', '--writers', '--nolock-share', '--frees']);

function parse(argv: string[]): Parsed {
  const p: Parsed = { help: false, compare: false, format: 'text', costs: {}, sensitivity: false };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let value: string | undefined;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) { value = a.slice(eq + 1); a = a.slice(0, eq); }
    if (a === '-h' || a === '--help') { p.help = true; continue; }
    if (a === '--compare') { if (value !== undefined) throw new UsageError('--compare: takes no value'); p.compare = true; continue; }
    if (a === '--sensitivity') { if (value !== undefined) throw new UsageError('--sensitivity: takes no value'); p.sensitivity = true; continue; }
    if (!WITH_VALUE.has(a)) throw new UsageError(a.startsWith('-') ? `unknown option ${a} (see --help)` : `unexpected argument ${JSON.stringify(a)} (options start with --)`);
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`${a}: needs a value`);
    }
    switch (a) {
      case '--workload':
        if (!['exec', 'lifetime', 'tc', 'shrinker', 'burst', 'reclaim', 'deferred-free'].includes(value)) throw new UsageError(`--workload: must be exec, lifetime, tc, shrinker, burst, reclaim or deferred-free, got ${JSON.stringify(value)} (use --scenario FILE for scenarios)`);
        p.workload = value;
        break;
      case '--scenario': p.scenarioFile = value; break;
      case '--models': p.modelsFile = value; break;
      case '--cpus': {
        const parts = value.split(',');
        p.cpus = parts.map((s) => {
          const n = Number(s.trim());
          if (!/^\s*\d+\s*$/.test(s) || n < 1 || n > MAX_CPUS) throw new UsageError(`--cpus: must be a comma-separated list of integers between 1 and ${MAX_CPUS}, got ${JSON.stringify(value)}`);
          return n;
        });
        break;
      }
      case '--machine':
        if (!MACHINE_PROFILES[value]) throw new UsageError(`--machine: unknown machine ${JSON.stringify(value)} (known: ${Object.keys(MACHINE_PROFILES).join(', ')})`);
        p.machine = value;
        break;
      case '--mode':
        if (value !== 'baseline' && value !== 'ctor-dtor') throw new UsageError(`--mode: must be baseline or ctor-dtor, got ${JSON.stringify(value)}`);
        p.mode = value;
        break;
      case '--format':
        if (value !== 'text' && value !== 'json') throw new UsageError(`--format: must be text or json, got ${JSON.stringify(value)}`);
        p.format = value;
        break;
      case '--seed': p.seed = intArg(a, value, 0, 2 ** 32 - 1); break;
      case '--seeds': p.seeds = intArg(a, value, 1, MAX_SEEDS); break;
      case '--duration-ms': p.durationMs = numArg(a, value); break;
      case '--max-events': p.maxEvents = intArg(a, value, 1, Number.MAX_SAFE_INTEGER); break;
      case '--max-sim-ms': p.maxSimMs = numArg(a, value); break;
      case '--rounds': p.rounds = intArg(a, value, 1, 10_000_000); break;
      case '--objects': p.objects = intArg(a, value, 1, 10_000_000); break;
      case '--timeline': p.timeline = intArg(a, value, 0, 10_000); break;
      case '--memcgs': p.memcgs = intArg(a, value, 1, 1_000_000); break;
      case '--writers': p.writers = intArg(a, value, 0, MAX_CPUS); break;
      case '--hold-lock': p.holdLock = value; break;
      case '--nolock-share': {
        const n = Number(value);
        if (value.trim() === '' || !(n >= 0 && n <= 1)) throw new UsageError(`--nolock-share: must be a number between 0 and 1, got ${JSON.stringify(value)}`);
        p.nolockShare = n;
        break;
      }
      case '--frees': p.frees = intArg(a, value, 1, 10_000_000); break;
      case '--cost': {
        const m = /^([A-Za-z]+)=(.*)$/.exec(value);
        if (!m) throw new UsageError(`--cost: must be NAME=VALUE, got ${JSON.stringify(value)}`);
        if (!(COST_NAMES as string[]).includes(m[1])) throw new UsageError(`--cost: unknown cost ${m[1]} (known: ${COST_NAMES.join(', ')})`);
        const v = Number(m[2]);
        if (m[2].trim() === '' || !Number.isFinite(v) || v < 0) throw new UsageError(`--cost: ${m[1]} must be a non-negative number, got ${JSON.stringify(m[2])}`);
        (p.costs as Record<string, number>)[m[1]] = v;
        break;
      }
    }
  }
  if (p.scenarioFile && p.workload) throw new UsageError('--workload: cannot be combined with --scenario (the scenario is the workload)');
  if (p.scenarioFile && p.cpus) throw new UsageError('--cpus: cannot be combined with --scenario (the scenario sets cpus)');
  if (p.compare && p.mode) throw new UsageError('--mode: cannot be combined with --compare (it runs both modes)');
  if (p.sensitivity && !p.compare) throw new UsageError('--sensitivity: needs --compare (it is about the gain)');
  if (p.seeds !== undefined && !p.compare) throw new UsageError('--seeds: needs --compare (the spread is of the gain)');
  if ((p.memcgs !== undefined || p.writers !== undefined) && p.workload !== 'shrinker') throw new UsageError('--memcgs/--writers: only for --workload shrinker');
  if ((p.nolockShare !== undefined || p.frees !== undefined) && p.workload !== 'deferred-free') throw new UsageError('--nolock-share/--frees: only for --workload deferred-free');
  return p;
}

function intArg(name: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < min || n > max) throw new UsageError(`${name}: must be an integer between ${min} and ${max}, got ${JSON.stringify(v)}`);
  return n;
}

function numArg(name: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`${name}: must be a number > 0, got ${JSON.stringify(v)}`);
  return n;
}

function readJson(option: string, file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${option}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${option}: ${file} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Accepts a CacheModel array or the engine's {caches: CacheModel[]} output. */
export function loadModels(json: unknown, option = '--models'): CacheModel[] {
  const list = Array.isArray(json) ? json
    : typeof json === 'object' && json !== null && Array.isArray((json as { caches?: unknown }).caches) ? (json as { caches: unknown[] }).caches
      : null;
  if (!list) throw new UsageError(`${option}: must hold a JSON array of cache models or an object with a "caches" array`);
  const v = validateModels(list);
  if (!v.ok) throw new UsageError(v.errors.map((e) => `${option}: ${e}`).join('\n'));
  return (list as CacheModel[]).map(normalizeModel);
}

export async function simulateCommand(argv: string[]): Promise<number> {
  let p: Parsed;
  try {
    p = parse(argv);
  } catch (e) {
    return usage(e);
  }
  if (p.help) {
    process.stdout.write(SIMULATE_USAGE + '\n');
    return 0;
  }
  let result: SimResult;
  try {
    const models = p.modelsFile ? loadModels(readJson('--models', p.modelsFile)) : [];
    const scenario = p.scenarioFile ? readJson('--scenario', p.scenarioFile) : undefined;
    // The models' own workload unless one is named: mm_struct's is exec(), any other cache's its objects' lifetime.
    const workload = scenario !== undefined ? 'scenario' : p.workload ?? (models.length && !models.every((m) => cacheWorkload(m) === 'exec') ? 'lifetime' : undefined);
    const opts: SimOptions & SweepOptions = {
      workload: workload as SimOptions['workload'],
      scenario,
      machine: p.machine,
      cpus: p.cpus,
      seed: p.seed,
      durationNs: p.durationMs === undefined ? undefined : p.durationMs * 1e6,
      maxEvents: p.maxEvents,
      maxSimNs: p.maxSimMs === undefined ? undefined : p.maxSimMs * 1e6,
      costs: Object.keys(p.costs).length ? p.costs : undefined,
      holdLock: p.holdLock,
      rounds: p.rounds,
      burstObjects: p.objects,
      timelineDepth: p.timeline,
      memcgs: p.memcgs,
      writers: p.writers,
      nolockShare: p.nolockShare,
      freesPerCpu: p.frees,
      sensitivity: p.sensitivity || undefined,
      seeds: p.compare ? p.seeds ?? CLI_COMPARE_SEEDS : undefined,
    };
    if (scenario !== undefined) opts.machine = p.machine;
    result = p.compare ? sweep(models, opts) : simulate(models, { ...opts, mode: p.mode });
  } catch (e) {
    if (e instanceof UsageError) return usage(e);
    if (e instanceof SimUsageError) {
      const prefix = p.scenarioFile ? `--scenario ${p.scenarioFile}: ` : '';
      return usage(new UsageError(e.errors.map((x) => prefix + x).join('\n')));
    }
    throw e;
  }
  process.stdout.write(p.format === 'json' ? JSON.stringify(result, null, 2) + '\n' : formatReport(result));
  if (!result.ok) {
    const why = result.deadlocks.length ? 'deadlock found' : result.findings.some((f) => f.severity === 'error') ? 'lockdep errors found' : 'run stopped early';
    process.stderr.write(`slabcheck simulate: ${why}${result.stops.length ? `: ${result.stops[0].message}` : ''}\n`);
    return 1;
  }
  return 0;
}

function usage(e: unknown): number {
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(msg.split('\n').map((l) => `slabcheck simulate: ${l}`).join('\n') + '\nrun with --help for usage\n');
  return 2;
}
