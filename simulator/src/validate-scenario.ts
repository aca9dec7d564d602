/**
 * Scenario validation without a schema library. It enforces the structure
 * of simulator/schema/scenario.schema.json (types, ranges, enums, required
 * and unknown properties) and then the rules a schema cannot express:
 * references (unknown lock, cache, CPU), lock balance of step lists that
 * must end balanced, and step lists that cannot terminate (call cycles, a
 * ctor allocating from its own cache, a loop that never advances time).
 * Every error starts with the path of the field it is about.
 */
import { checkCosts, describe } from './costs';
import { MACHINE_PROFILES, MAX_CPUS, machineThreads } from './machine';
import { LOCK_KINDS } from './scenario-types';

export interface ValidationResult {
  ok: boolean;
  errors: string[];
}

type Obj = Record<string, unknown>;

const TOP_KEYS = ['$schema', 'version', 'name', 'description', 'seed', 'machine', 'cpus', 'mode', 'durationNs', 'maxEvents',
  'maxSimNs', 'costs', 'memory', 'locks', 'caches', 'functions', 'programs'];
export const SCENARIO_TOP_KEYS = TOP_KEYS;
export const STEP_KINDS = ['lock', 'unlock', 'alloc', 'free', 'call', 'work', 'reclaim'] as const;
const STEP_KEYS: Record<string, string[]> = {
  lock: ['kind', 'lock', 'lockKind', 'irq', 'trylock', 'at'],
  unlock: ['kind', 'lock', 'at'],
  alloc: ['kind', 'allocator', 'gfp', 'percpu', 'bytes', 'cache', 'at'],
  free: ['kind', 'allocator', 'percpu', 'cache', 'at'],
  call: ['kind', 'fn', 'at'],
  work: ['kind', 'ns'],
  reclaim: ['kind'],
};
const IRQ_MODES = ['none', 'irq', 'irqsave', 'bh'];

class Checker {
  readonly errors: string[] = [];

  err(path: string, msg: string): void {
    this.errors.push(`${path}: ${msg}`);
  }

  isObj(v: unknown): v is Obj {
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  }

  obj(path: string, v: unknown): v is Obj {
    if (this.isObj(v)) return true;
    this.err(path, `must be an object, got ${describe(v)}`);
    return false;
  }

  keys(path: string, o: Obj, allowed: string[]): void {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) this.err(join(path, k), `unknown property (allowed: ${allowed.join(', ')})`);
  }

  str(path: string, v: unknown, required: boolean): v is string {
    if (v === undefined) { if (required) this.err(path, 'is required'); return false; }
    if (typeof v === 'string' && v.length > 0) return true;
    this.err(path, `must be a non-empty string, got ${describe(v)}`);
    return false;
  }

  int(path: string, v: unknown, min: number, max: number, required: boolean): v is number {
    if (v === undefined) { if (required) this.err(path, `is required (an integer between ${min} and ${max})`); return false; }
    if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return true;
    this.err(path, `must be an integer between ${min} and ${max}, got ${describe(v)}`);
    return false;
  }

  num(path: string, v: unknown, min: number, exclusive: boolean, required: boolean): v is number {
    if (v === undefined) { if (required) this.err(path, 'is required'); return false; }
    if (typeof v === 'number' && Number.isFinite(v) && (exclusive ? v > min : v >= min)) return true;
    if (typeof v === 'number' && v < min) this.err(path, `must not be negative, got ${v}`);
    else this.err(path, `must be a number ${exclusive ? '>' : '>='} ${min}, got ${describe(v)}`);
    return false;
  }

  bool(path: string, v: unknown): void {
    if (v !== undefined && typeof v !== 'boolean') this.err(path, `must be true or false, got ${describe(v)}`);
  }

  oneOf(path: string, v: unknown, values: readonly string[], required: boolean): void {
    if (v === undefined) { if (required) this.err(path, `is required (one of ${values.join(', ')})`); return; }
    if (typeof v !== 'string' || !values.includes(v)) this.err(path, `must be one of ${values.join(', ')}, got ${describe(v)}`);
  }
}

function join(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
}

interface StepList { path: string; steps: Obj[]; owner: string; kind: 'program' | 'ctor' | 'dtor' | 'function'; cache?: string; loop?: boolean }

/** Validate a parsed scenario document. */
export function validateScenario(doc: unknown): ValidationResult {
  const c = new Checker();
  if (!c.obj('scenario', doc)) return { ok: false, errors: c.errors };
  const s = doc;
  c.keys('', s, TOP_KEYS);
  if (s.version !== 1) c.err('version', `must be 1, got ${describe(s.version)}`);
  if (s.name !== undefined) c.str('name', s.name, false);
  if (s.description !== undefined && typeof s.description !== 'string') c.err('description', `must be a string, got ${describe(s.description)}`);
  c.int('seed', s.seed, 0, 2 ** 32 - 1, false);
  const cpusOk = c.int('cpus', s.cpus, 1, MAX_CPUS, true);
  const ncpus = cpusOk ? (s.cpus as number) : MAX_CPUS;
  checkMachine(c, s.machine, cpusOk ? ncpus : undefined);
  c.oneOf('mode', s.mode, ['baseline', 'ctor-dtor'], false);
  c.num('durationNs', s.durationNs, 0, true, false);
  c.int('maxEvents', s.maxEvents, 1, Number.MAX_SAFE_INTEGER, false);
  c.num('maxSimNs', s.maxSimNs, 0, true, false);
  c.errors.push(...checkCosts(s.costs, 'costs'));
  if (s.memory !== undefined && c.obj('memory', s.memory)) {
    c.keys('memory', s.memory, ['pressure', 'pressureFromNs']);
    c.bool('memory.pressure', s.memory.pressure);
    c.num('memory.pressureFromNs', s.memory.pressureFromNs, 0, false, false);
  }

  // Locks declared up front.
  const declared = new Map<string, string>();
  if (s.locks !== undefined) {
    if (!Array.isArray(s.locks)) c.err('locks', `must be an array of {name, kind}, got ${describe(s.locks)}`);
    else s.locks.forEach((l, i) => {
      const p = join('locks', i);
      if (!c.obj(p, l)) return;
      c.keys(p, l, ['name', 'kind']);
      const okName = c.str(join(p, 'name'), l.name, true);
      c.oneOf(join(p, 'kind'), l.kind, LOCK_KINDS, true);
      if (okName) {
        if (declared.has(l.name as string)) c.err(join(p, 'name'), `lock ${JSON.stringify(l.name)} is declared twice`);
        declared.set(l.name as string, String(l.kind));
      }
    });
  }

  // Caches.
  const lists: StepList[] = [];
  const cacheNames = new Set<string>();
  if (s.caches !== undefined) {
    if (!Array.isArray(s.caches)) c.err('caches', `must be an array, got ${describe(s.caches)}`);
    else s.caches.forEach((k, i) => {
      const p = join('caches', i);
      if (!c.obj(p, k)) return;
      c.keys(p, k, ['name', 'objectSize', 'align', 'flags', 'ctor', 'dtor']);
      if (c.str(join(p, 'name'), k.name, true)) {
        if (cacheNames.has(k.name as string)) c.err(join(p, 'name'), `cache ${JSON.stringify(k.name)} is defined twice`);
        cacheNames.add(k.name as string);
      }
      c.int(join(p, 'objectSize'), k.objectSize, 1, 4 * 1024 * 1024, true);
      if (c.int(join(p, 'align'), k.align, 1, 4096, false) && ((k.align as number) & ((k.align as number) - 1)) !== 0) {
        c.err(join(p, 'align'), `must be a power of two, got ${k.align}`);
      }
      if (k.flags !== undefined && (!Array.isArray(k.flags) || k.flags.some((f) => typeof f !== 'string'))) {
        c.err(join(p, 'flags'), `must be an array of strings, got ${describe(k.flags)}`);
      }
      for (const which of ['ctor', 'dtor'] as const) {
        const fp = join(p, which);
        const f = k[which];
        if (f === undefined) continue;
        if (!c.obj(fp, f)) continue;
        c.keys(fp, f, ['name', 'steps']);
        c.str(join(fp, 'name'), f.name, true);
        const steps = stepArray(c, join(fp, 'steps'), f.steps);
        if (steps) lists.push({ path: join(fp, 'steps'), steps, owner: `${which} of ${String(k.name)}`, kind: which, cache: String(k.name) });
      }
    });
  }

  // Functions.
  const fnNames = new Set<string>();
  if (s.functions !== undefined) {
    if (!c.isObj(s.functions)) c.err('functions', `must be an object of name -> steps, got ${describe(s.functions)}`);
    else for (const name of Object.keys(s.functions).sort()) {
      fnNames.add(name);
      const steps = stepArray(c, join('functions', name), s.functions[name]);
      if (steps) lists.push({ path: join('functions', name), steps, owner: `function ${name}`, kind: 'function' });
    }
  }

  // Programs.
  let anyLoop = false;
  if (!Array.isArray(s.programs) || s.programs.length === 0) {
    c.err('programs', s.programs === undefined ? 'is required (a non-empty array of programs)' : `must be a non-empty array of programs, got ${describe(s.programs)}`);
  } else s.programs.forEach((pr, i) => {
    const p = join('programs', i);
    if (!c.obj(p, pr)) return;
    c.keys(p, pr, ['cpus', 'context', 'startNs', 'iterations', 'loop', 'steps']);
    checkProgramCpus(c, join(p, 'cpus'), pr.cpus, ncpus);
    c.oneOf(join(p, 'context'), pr.context, ['process', 'softirq', 'hardirq'], false);
    c.num(join(p, 'startNs'), pr.startNs, 0, false, false);
    c.int(join(p, 'iterations'), pr.iterations, 1, 1_000_000_000, false);
    c.bool(join(p, 'loop'), pr.loop);
    if (pr.loop === true && pr.iterations !== undefined) c.err(join(p, 'iterations'), 'cannot be combined with loop: true');
    if (pr.loop === true) anyLoop = true;
    const steps = stepArray(c, join(p, 'steps'), pr.steps);
    if (steps) lists.push({ path: join(p, 'steps'), steps, owner: `programs[${i}]`, kind: 'program', loop: pr.loop === true });
  });
  if (anyLoop && s.durationNs === undefined) c.err('durationNs', 'is required when a program loops (loop: true), or the run could only end at the time budget');

  // Steps, then the cross-references between them.
  const lockNames = new Set<string>(declared.keys());
  const lockKinds = new Map<string, { kind: string; path: string }>();
  for (const [n, k] of declared) lockKinds.set(n, { kind: k, path: 'locks' });
  for (const l of lists) l.steps.forEach((st, j) => checkStep(c, join(l.path, j), st, lockNames, lockKinds));
  for (const l of lists) l.steps.forEach((st, j) => {
    const p = join(l.path, j);
    if (st.kind === 'unlock' && typeof st.lock === 'string' && !lockNames.has(st.lock)) {
      c.err(join(p, 'lock'), `unknown lock ${JSON.stringify(st.lock)}: not declared in locks and never taken by a lock step`);
    }
    if ((st.kind === 'alloc' || st.kind === 'free') && typeof st.cache === 'string' && !cacheNames.has(st.cache)) {
      c.err(join(p, 'cache'), `unknown cache ${JSON.stringify(st.cache)} (defined: ${[...cacheNames].join(', ') || 'none'})`);
    }
  });
  const fnSteps = new Map<string, Obj[]>();
  for (const l of lists) if (l.kind === 'function') fnSteps.set(l.path.slice('functions.'.length), l.steps);
  const cyclic = checkCallCycles(c, fnSteps);
  for (const l of lists) {
    if (l.kind === 'ctor') checkSelfAlloc(c, l, fnSteps, cyclic);
    if (l.kind === 'program' && l.loop && !advancesTime(l.steps, fnSteps, cyclic, new Set())) {
      c.err(l.path, 'loops forever without advancing simulated time: add a work step with ns > 0');
    }
    if (l.kind === 'ctor' || l.kind === 'dtor' || (l.kind === 'program' && l.loop)) checkBalance(c, l, fnSteps, cyclic);
  }
  return { ok: c.errors.length === 0, errors: c.errors };
}

function checkMachine(c: Checker, m: unknown, ncpus: number | undefined): void {
  if (m === undefined) return;
  let threads: number | undefined;
  if (typeof m === 'string') {
    const p = MACHINE_PROFILES[m];
    if (!p) { c.err('machine', `unknown machine ${JSON.stringify(m)} (known: ${Object.keys(MACHINE_PROFILES).join(', ')})`); return; }
    threads = machineThreads(p);
  } else if (c.obj('machine', m)) {
    c.keys('machine', m, ['name', 'sockets', 'coresPerSocket', 'threadsPerCore']);
    if (m.name !== undefined) c.str('machine.name', m.name, false);
    const a = c.int('machine.sockets', m.sockets, 1, MAX_CPUS, true);
    const b = c.int('machine.coresPerSocket', m.coresPerSocket, 1, MAX_CPUS, true);
    const d = c.int('machine.threadsPerCore', m.threadsPerCore, 1, 8, true);
    if (a && b && d) {
      threads = (m.sockets as number) * (m.coresPerSocket as number) * (m.threadsPerCore as number);
      if (threads > MAX_CPUS) c.err('machine', `has ${threads} threads, at most ${MAX_CPUS} are supported`);
    }
  }
  if (threads !== undefined && ncpus !== undefined && ncpus > threads) c.err('cpus', `${ncpus} CPUs do not fit machine with ${threads} threads`);
}

function checkProgramCpus(c: Checker, path: string, v: unknown, ncpus: number): void {
  if (v === 'all') return;
  if (v === undefined) { c.err(path, 'is required (a CPU index, a list of them, or "all")'); return; }
  const list = Array.isArray(v) ? v : [v];
  if (Array.isArray(v) && v.length === 0) c.err(path, 'must list at least one CPU');
  list.forEach((x, i) => c.int(Array.isArray(v) ? join(path, i) : path, x, 0, ncpus - 1, true));
}

function stepArray(c: Checker, path: string, v: unknown): Obj[] | null {
  if (!Array.isArray(v)) { c.err(path, v === undefined ? 'is required (an array of steps)' : `must be an array of steps, got ${describe(v)}`); return null; }
  return v.map((x, i) => { if (!c.isObj(x)) { c.err(join(path, i), `must be a step object, got ${describe(x)}`); return { kind: '__bad' }; } return x; });
}

function checkStep(c: Checker, p: string, st: Obj, lockNames: Set<string>, kinds: Map<string, { kind: string; path: string }>, strict = true): void {
  if (st.kind === '__bad') return;
  if (typeof st.kind !== 'string' || !(STEP_KINDS as readonly string[]).includes(st.kind)) {
    c.err(join(p, 'kind'), `must be one of ${STEP_KINDS.join(', ')}, got ${describe(st.kind)}`);
    return;
  }
  if (strict) c.keys(p, st, STEP_KEYS[st.kind]);
  if (st.at !== undefined && !c.isObj(st.at)) c.err(join(p, 'at'), `must be a source range object, got ${describe(st.at)}`);
  switch (st.kind) {
    case 'lock':
      if (c.str(join(p, 'lock'), st.lock, true)) lockNames.add(st.lock as string);
      c.oneOf(join(p, 'lockKind'), st.lockKind, LOCK_KINDS, false);
      c.oneOf(join(p, 'irq'), st.irq, IRQ_MODES, false);
      c.bool(join(p, 'trylock'), st.trylock);
      if (typeof st.lock === 'string' && typeof st.lockKind === 'string') {
        const prev = kinds.get(st.lock);
        if (prev && prev.kind !== st.lockKind) c.err(join(p, 'lockKind'), `${JSON.stringify(st.lockKind)} conflicts with kind ${JSON.stringify(prev.kind)} given at ${prev.path}`);
        else if (!prev) kinds.set(st.lock, { kind: st.lockKind, path: join(p, 'lockKind') });
      }
      break;
    case 'unlock':
      c.str(join(p, 'lock'), st.lock, true);
      break;
    case 'alloc':
      c.str(join(p, 'allocator'), st.allocator, true);
      if (st.gfp !== undefined) c.str(join(p, 'gfp'), st.gfp, false);
      c.bool(join(p, 'percpu'), st.percpu);
      c.int(join(p, 'bytes'), st.bytes, 0, 1 << 30, false);
      if (st.cache !== undefined) c.str(join(p, 'cache'), st.cache, false);
      break;
    case 'free':
      c.str(join(p, 'allocator'), st.allocator, true);
      c.bool(join(p, 'percpu'), st.percpu);
      if (st.cache !== undefined) c.str(join(p, 'cache'), st.cache, false);
      break;
    case 'call':
      c.str(join(p, 'fn'), st.fn, true);
      break;
    case 'work':
      c.num(join(p, 'ns'), st.ns, 0, false, true);
      break;
  }
}

/** Functions on a call cycle; each cycle is reported once. */
function checkCallCycles(c: Checker, fns: Map<string, Obj[]>): Set<string> {
  const state = new Map<string, number>(); // 1 visiting, 2 done
  const cyclic = new Set<string>();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 1);
    stack.push(f);
    for (const st of fns.get(f) ?? []) {
      if (st.kind !== 'call' || typeof st.fn !== 'string' || !fns.has(st.fn)) continue;
      const g = st.fn;
      if (state.get(g) === 1) {
        const cyc = stack.slice(stack.indexOf(g));
        for (const x of cyc) cyclic.add(x);
        c.err(join('functions', g), `call cycle ${[...cyc, g].join(' -> ')}: these steps call themselves and cannot terminate`);
      } else if (!state.has(g)) visit(g);
    }
    stack.pop();
    state.set(f, 2);
  };
  for (const f of [...fns.keys()].sort()) if (!state.has(f)) visit(f);
  return cyclic;
}

function checkSelfAlloc(c: Checker, l: StepList, fns: Map<string, Obj[]>, cyclic: Set<string>): void {
  const walk = (steps: Obj[], path: string, seen: Set<string>) => {
    steps.forEach((st, j) => {
      if (st.kind === 'alloc' && st.cache === l.cache) {
        c.err(join(join(path, j), 'cache'), `the ctor of ${JSON.stringify(l.cache)} allocates from its own cache: every new slab would need another new slab, so it cannot terminate`);
      }
      if (st.kind === 'call' && typeof st.fn === 'string' && fns.has(st.fn) && !cyclic.has(st.fn) && !seen.has(st.fn)) {
        walk(fns.get(st.fn)!, join('functions', st.fn), new Set([...seen, st.fn]));
      }
    });
  };
  walk(l.steps, l.path, new Set());
}

function advancesTime(steps: Obj[], fns: Map<string, Obj[]>, cyclic: Set<string>, seen: Set<string>): boolean {
  for (const st of steps) {
    if (st.kind === 'work' && typeof st.ns === 'number' && st.ns > 0) return true;
    if (st.kind === 'call' && typeof st.fn === 'string' && fns.has(st.fn) && !cyclic.has(st.fn) && !seen.has(st.fn)) {
      if (advancesTime(fns.get(st.fn)!, fns, cyclic, new Set([...seen, st.fn]))) return true;
    }
  }
  return false;
}

/** Step lists that must end with nothing held: ctors, dtors and looping programs. */
function checkBalance(c: Checker, l: StepList, fns: Map<string, Obj[]>, cyclic: Set<string>): void {
  const held: string[] = [];
  const walk = (steps: Obj[], path: string, depth: number) => {
    steps.forEach((st, j) => {
      if (st.kind === 'lock' && typeof st.lock === 'string') held.push(st.lock);
      else if (st.kind === 'unlock' && typeof st.lock === 'string') {
        const i = held.lastIndexOf(st.lock);
        if (i < 0) c.err(join(join(path, j), 'lock'), `unlock of ${JSON.stringify(st.lock)}, which is not held at this point of ${l.owner}`);
        else held.splice(i, 1);
      } else if (st.kind === 'call' && typeof st.fn === 'string' && fns.has(st.fn) && !cyclic.has(st.fn) && depth < 32) {
        walk(fns.get(st.fn)!, join('functions', st.fn), depth + 1);
      }
    });
  };
  walk(l.steps, l.path, 0);
  if (held.length) c.err(l.path, `${l.owner} ends with ${held.map((h) => JSON.stringify(h)).join(', ')} still held`);
}

/**
 * Cache models given with --models (the analysis engine's output). Unknown
 * properties are allowed, since the engine may add optional fields; types
 * and required fields are checked like scenario steps.
 */
export function validateModels(models: unknown[]): ValidationResult {
  const c = new Checker();
  const lists: Array<{ path: string; steps: Obj[] }> = [];
  const names = new Set<string>();
  models.forEach((m, i) => {
    const path = `caches[${i}]`;
    if (!c.obj(path, m)) return;
    if (m.version !== undefined && m.version !== 1) c.err(join(path, 'version'), `must be 1, got ${describe(m.version)}`);
    if (c.str(join(path, 'name'), m.name, true)) {
      if (names.has(m.name as string)) c.err(join(path, 'name'), `cache ${JSON.stringify(m.name)} appears twice`);
      names.add(m.name as string);
    }
    if (c.obj(join(path, 'objectSize'), m.objectSize)) c.num(join(path, 'objectSize.bytes'), m.objectSize.bytes, 0, true, true);
    if (m.align !== undefined) c.int(join(path, 'align'), m.align, 1, 4096, false);
    if (m.flags !== undefined && (!Array.isArray(m.flags) || m.flags.some((f) => typeof f !== 'string'))) {
      c.err(join(path, 'flags'), `must be an array of strings, got ${describe(m.flags)}`);
    }
    for (const which of ['ctor', 'dtor'] as const) {
      const f = m[which];
      if (f === undefined || f === null) continue;
      const fp = join(path, which);
      if (!c.obj(fp, f)) continue;
      c.str(join(fp, 'name'), f.name, true);
      const steps = stepArray(c, join(fp, 'steps'), f.steps);
      if (steps) lists.push({ path: join(fp, 'steps'), steps });
    }
  });
  // An unlock without a lock step is legal in extracted code (a helper that
  // releases its caller's lock, __releases()); the run reports it as a bad
  // unlock balance if it happens, so it is not refused here.
  const lockNames = new Set<string>();
  const kinds = new Map<string, { kind: string; path: string }>();
  for (const l of lists) l.steps.forEach((st, j) => checkStep(c, join(l.path, j), st, lockNames, kinds, false));
  return { ok: c.errors.length === 0, errors: c.errors };
}
