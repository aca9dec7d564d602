/** Bad scenarios and parameters are refused with errors that name the field; budgets stop runaway runs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate, sweep, validateScenario, SimUsageError, type CacheModel } from '../../simulator/src/index';

function base(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: 1,
    cpus: 2,
    programs: [{ cpus: 0, steps: [{ kind: 'lock', lock: 'a' }, { kind: 'work', ns: 100 }, { kind: 'unlock', lock: 'a' }] }],
    ...extra,
  };
}

function errorsOf(doc: unknown): string[] {
  const v = validateScenario(doc);
  assert.equal(v.ok, false, 'expected the scenario to be rejected');
  return v.errors;
}

function hasError(errors: string[], re: RegExp): void {
  assert.ok(errors.some((e) => re.test(e)), `no error matching ${re}:\n${errors.join('\n')}`);
}

test('a valid scenario passes', () => {
  assert.deepEqual(validateScenario(base()), { ok: true, errors: [] });
});

test('0 CPUs is refused naming cpus', () => {
  assert.ok(errorsOf(base({ cpus: 0 })).includes('cpus: must be an integer between 1 and 1024, got 0'));
  hasError(errorsOf(base({ cpus: 2000 })), /^cpus: must be an integer between 1 and 1024, got 2000$/);
});

test('wrong types name the field and what was given', () => {
  hasError(errorsOf(base({ cpus: 'two' })), /^cpus: must be an integer between 1 and 1024, got "two"$/);
  hasError(errorsOf(base({ programs: [{ cpus: 0, steps: [{ kind: 'work', ns: '5' }] }] })), /^programs\[0\]\.steps\[0\]\.ns: must be a number >= 0, got "5"$/);
  hasError(errorsOf(base({ programs: 'none' })), /^programs: must be a non-empty array of programs, got "none"$/);
  hasError(errorsOf(base({ programs: [{ cpus: 0, steps: [{ kind: 'jump' }] }] })), /^programs\[0\]\.steps\[0\]\.kind: must be one of lock, unlock, alloc, free, call, work, reclaim, got "jump"$/);
  hasError(errorsOf(base({ locks: [{ name: 'a', kind: 'spinny' }] })), /^locks\[0\]\.kind: must be one of spin, .*got "spinny"$/);
  hasError(errorsOf(base({ version: 2 })), /^version: must be 1, got 2$/);
  hasError(errorsOf(base({ colour: 'red' })), /^colour: unknown property/);
  hasError(errorsOf('nope'), /^scenario: must be an object, got "nope"$/);
});

test('negative costs and work are refused', () => {
  hasError(errorsOf(base({ costs: { lockAcquireNs: -5 } })), /^costs\.lockAcquireNs: must not be negative, got -5$/);
  hasError(errorsOf(base({ costs: { warpDriveNs: 1 } })), /^costs\.warpDriveNs: unknown cost/);
  hasError(errorsOf(base({ programs: [{ cpus: 0, steps: [{ kind: 'work', ns: -1 }] }] })), /^programs\[0\]\.steps\[0\]\.ns: must not be negative, got -1$/);
});

test('unknown names: unlock of a lock nobody takes, caches, CPUs', () => {
  hasError(errorsOf(base({ programs: [{ cpus: 0, steps: [{ kind: 'unlock', lock: 'ghost' }] }] })),
    /^programs\[0\]\.steps\[0\]\.lock: unknown lock "ghost": not declared in locks and never taken by a lock step$/);
  hasError(errorsOf(base({ programs: [{ cpus: 0, steps: [{ kind: 'alloc', allocator: 'kmem_cache_alloc', cache: 'nope' }] }] })),
    /^programs\[0\]\.steps\[0\]\.cache: unknown cache "nope"/);
  hasError(errorsOf(base({ programs: [{ cpus: 5, steps: [{ kind: 'work', ns: 1 }] }] })), /^programs\[0\]\.cpus: must be an integer between 0 and 1, got 5$/);
  hasError(errorsOf(base({ cpus: 48, machine: 'desktop-24' })), /^cpus: 48 CPUs do not fit machine with 24 threads$/);
  hasError(errorsOf(base({ machine: 'mainframe' })), /^machine: unknown machine "mainframe"/);
});

test('step lists that cannot terminate are refused', () => {
  hasError(errorsOf(base({
    functions: { f: [{ kind: 'call', fn: 'g' }], g: [{ kind: 'work', ns: 1 }, { kind: 'call', fn: 'f' }] },
    programs: [{ cpus: 0, steps: [{ kind: 'call', fn: 'f' }] }],
  })), /^functions\.f: call cycle f -> g -> f: these steps call themselves and cannot terminate$/);
  hasError(errorsOf(base({
    caches: [{ name: 'c', objectSize: 64, ctor: { name: 'c_ctor', steps: [{ kind: 'alloc', allocator: 'kmem_cache_alloc', cache: 'c', gfp: 'GFP_KERNEL' }] } }],
  })), /^caches\[0\]\.ctor\.steps\[0\]\.cache: the ctor of "c" allocates from its own cache/);
  hasError(errorsOf(base({ durationNs: 1e6, programs: [{ cpus: 0, loop: true, steps: [{ kind: 'lock', lock: 'a' }, { kind: 'unlock', lock: 'a' }] }] })),
    /^programs\[0\]\.steps: loops forever without advancing simulated time/);
  hasError(errorsOf(base({ programs: [{ cpus: 0, loop: true, steps: [{ kind: 'work', ns: 10 }] }] })), /^durationNs: is required when a program loops/);
  hasError(errorsOf(base({ durationNs: 1e6, programs: [{ cpus: 0, loop: true, steps: [{ kind: 'lock', lock: 'a' }, { kind: 'work', ns: 10 }] }] })),
    /^programs\[0\]\.steps: programs\[0\] ends with "a" still held$/);
  hasError(errorsOf(base({ caches: [{ name: 'c', objectSize: 64, dtor: { name: 'd', steps: [{ kind: 'lock', lock: 'a' }, { kind: 'unlock', lock: 'a' }, { kind: 'unlock', lock: 'a' }] } }] })),
    /^caches\[0\]\.dtor\.steps\[2\]\.lock: unlock of "a", which is not held at this point of dtor of c$/);
});

test('simulate() refuses bad options naming the option', () => {
  const refused = (f: () => unknown, re: RegExp) => {
    assert.throws(f, (e: unknown) => {
      assert.ok(e instanceof SimUsageError, String(e));
      assert.ok(e.errors.some((x) => re.test(x)), e.errors.join('\n'));
      return true;
    });
  };
  refused(() => simulate([], { cpus: 0 }), /^cpus: must be an integer between 1 and 1024, got 0$/);
  refused(() => simulate([], { cpus: [1, 0] }), /^cpus\[1\]: must be an integer between 1 and 1024, got 0$/);
  refused(() => simulate([], { costs: { crossSocketTransferNs: -1 } }), /^costs\.crossSocketTransferNs: must not be negative, got -1$/);
  refused(() => simulate([], { seed: -1 }), /^seed: must be an integer/);
  refused(() => simulate([], { workload: 'fork' as never }), /^workload: must be one of/);
  refused(() => simulate([], { cpus: 300, machine: 'server-192' }), /^cpus: 300 exceeds the 192 threads of machine server-192$/);
  refused(() => simulate([], { scenario: base({ cpus: 0 }) }), /^cpus: must be an integer between 1 and 1024, got 0$/);
  refused(() => sweep([], { points: [{ cpus: 0 }] }), /^points\[0\]\.cpus: must be an integer between 1 and 1024, got 0$/);
  const badModel = { name: 'x', objectSize: { bytes: -8 }, ctor: { name: 'c', steps: [{ kind: 'work', ns: 'slow' }] } } as unknown as CacheModel;
  refused(() => simulate([badModel], { cpus: 1 }), /^models: caches\[0\]\.objectSize\.bytes: must not be negative, got -8$/);
  refused(() => simulate([badModel], { cpus: 1 }), /^models: caches\[0\]\.ctor\.steps\[0\]\.ns: must be a number >= 0, got "slow"$/);
});

test('an extracted dtor that unlocks a lock it never took runs and is reported as a bad unlock balance', () => {
  const m = { name: 'x', objectSize: { bytes: 64 }, dtor: { name: 'x_dtor', steps: [{ kind: 'unlock', lock: 'callers_lock' }] } } as unknown as CacheModel;
  const r = simulate([m], { workload: 'burst', cpus: 1, rounds: 1 });
  const f = r.findings.find((x) => x.kind === 'lock-imbalance');
  assert.ok(f, JSON.stringify(r.findings));
  assert.match(f.message, /bad unlock balance detected: unlock of callers_lock, which this CPU does not hold/);
});

test('the event budget stops a runaway run with a clear message', () => {
  const r = simulate([], { scenario: base({ durationNs: 1e12, maxEvents: 1000, programs: [{ cpus: 'all', loop: true, steps: [{ kind: 'lock', lock: 'a' }, { kind: 'work', ns: 10 }, { kind: 'unlock', lock: 'a' }] }] }) });
  assert.equal(r.ok, false);
  assert.equal(r.stops[0].reason, 'event-budget');
  assert.match(r.stops[0].message, /^event budget exhausted: 1000 events processed by \d+ ns of simulated time; raise maxEvents/);
  assert.equal(r.runs[0].events, 1000);
});

test('the simulated-time budget stops a run that would go on too long', () => {
  const r = simulate([], { scenario: base({ maxSimNs: 100_000, programs: [{ cpus: 0, iterations: 1_000_000_000, steps: [{ kind: 'work', ns: 1000 }] }] }) });
  assert.equal(r.stops[0].reason, 'time-budget');
  assert.match(r.stops[0].message, /simulated-time budget of 100000 ns exhausted/);
});

test('operations that never advance time are stopped, not looped on forever', () => {
  const r = simulate([], { scenario: base({
    costs: { lockAcquireNs: 0 },
    programs: [{ cpus: 0, iterations: 1_000_000_000, steps: [{ kind: 'lock', lock: 'a' }, { kind: 'unlock', lock: 'a' }] }],
  }) });
  assert.equal(r.stops[0].reason, 'runaway');
  assert.match(r.stops[0].message, /without simulated time advancing/);
});

test('a ctor that allocates from its own cache stops at the depth limit with an explanation', () => {
  const self: CacheModel = {
    version: 1, name: 'selfish', objectSize: { bytes: 128 }, align: 8, flags: [],
    ctor: { name: 'selfish_ctor', summary: '', maySleep: true, steps: [{ kind: 'alloc', allocator: 'kmem_cache_alloc', gfp: 'GFP_KERNEL', cache: 'selfish' } as never] },
    at: { file: 't.c', startLine: 0, startCol: 0, endLine: 0, endCol: 0 },
  };
  const r = simulate([self], { workload: 'burst', cpus: 1, burstObjects: 4, rounds: 1 });
  assert.equal(r.stops[0].reason, 'recursion');
  assert.match(r.stops[0].message, /ctor that allocates from its own cache/);
});
