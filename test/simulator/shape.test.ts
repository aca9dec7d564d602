/**
 * What the exec() model predicts from one cost table (no per-point or
 * per-workload setting): the shape of the gain curve, which lock limits each
 * mode at 192 CPUs, the analytic cross-check, and that the table is one
 * table of sourced costs with nothing calibrated against a published figure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sweep, sensitivity, COST_TABLE, defaultCosts, type SimResult } from '../../simulator/src/index';

let cached: SimResult | undefined;
function defaultSweep(): SimResult {
  cached ??= sweep([], { durationNs: 20e6 });
  return cached;
}

test('the exec gain is positive at 1 and 24 CPUs and larger at 24 (clearing over more possible CPUs, queueing)', () => {
  const rows = defaultSweep().compare!;
  assert.deepEqual(rows.map((r) => [r.machine, r.cpus]), [['up', 1], ['desktop-24', 24], ['server-192', 192]]);
  assert.ok(rows[0].gainPct! > 0.5, `1 CPU: ${rows[0].gainPct!}%`);
  assert.ok(rows[1].gainPct! > rows[0].gainPct!, `24 CPUs (${rows[1].gainPct!}%) above 1 CPU (${rows[0].gainPct!}%)`);
});

test('the 1-CPU gain is the removed percpu path over the measured exec(): no contention, no transfer', () => {
  const r = defaultSweep();
  const base = r.runs.find((x) => x.cpus === 1 && x.mode === 'baseline')!;
  const k = r.costs;
  // Two allocations and two frees through the percpu allocator, plus the counters' list work.
  const removed = 2 * k.pcpuAllocPathNs + 2 * k.pcpuFreePathNs + 2 * (k.percpuCountersListNs + k.lockAcquireNs) - 4 * k.pcpuChargeNs;
  const expected = (removed / (k.execKernelNs - removed)) * 100;
  const got = r.compare![0].gainPct!;
  assert.ok(Math.abs(got - expected) < 0.6, `simulated ${got}% vs path arithmetic ${expected.toFixed(2)}%`);
  assert.ok(base.profile.some((p) => p.bucket === 'percpu allocator' && p.share > 0.01), 'the percpu allocator shows in the profile');
});

test('at 192 CPUs the baseline saturates the percpu locks and the binary\'s i_mmap_rwsem; ctor/dtor leaves only i_mmap_rwsem', () => {
  const r = defaultSweep();
  const base = r.runs.find((x) => x.cpus === 192 && x.mode === 'baseline')!;
  const ctor = r.runs.find((x) => x.cpus === 192 && x.mode === 'ctor-dtor')!;
  const util = (run: typeof base, name: string) => run.locks.find((l) => l.name === name)?.utilization ?? 0;
  assert.ok(util(base, 'pcpu_alloc_mutex') > 0.5, `pcpu_alloc_mutex utilisation ${util(base, 'pcpu_alloc_mutex')}`);
  assert.ok(util(ctor, 'binary i_mmap_rwsem') > 0.5, `i_mmap_rwsem utilisation ${util(ctor, 'binary i_mmap_rwsem')}`);
  assert.equal(ctor.locks.find((l) => l.name === 'pcpu_alloc_mutex'), undefined, 'ctor/dtor mode takes no percpu lock in steady state');
  assert.ok(ctor.memory.some((m) => m.retainedPercpuBytes > 0), 'ctor/dtor mode retains percpu memory');
  const top = ctor.profile[0];
  assert.equal(top.bucket, 'binary i_mmap_rwsem', JSON.stringify(ctor.profile.slice(0, 3)));
});

test('the closed-queueing cross-check agrees with the simulation and bounds it', () => {
  for (const r of defaultSweep().compare!) {
    assert.ok(r.analytic, 'exec sweep rows carry the analytic estimate');
    assert.ok(Math.abs(r.analytic.gainPct - r.gainPct!) <= 6, `${r.machine}: analytic ${r.analytic.gainPct}% vs simulated ${r.gainPct}%`);
    // The bound averages transfers over random CPU pairs; FIFO handoffs inside one socket can beat it a little.
    assert.ok(r.baselinePerSec! <= r.analytic.baseline.boundPerSec * 1.1, `${r.machine} baseline above its bound`);
    assert.ok(r.ctorDtorPerSec! <= r.analytic.ctorDtor.boundPerSec * 1.1, `${r.machine} ctor-dtor above its bound`);
  }
});

test('one cost table: defaults used unchanged, every cost sourced and of a kind, nothing calibrated', () => {
  const r = defaultSweep();
  for (const k of Object.keys(COST_TABLE) as Array<keyof typeof COST_TABLE>) {
    const e = COST_TABLE[k];
    assert.equal(r.costs[k], e.value, k);
    assert.ok(e.source.length > 10, `${k} documents its source`);
    assert.ok(['measured', 'published', 'assumed'].includes(e.kind), `${k}: kind ${e.kind}`);
    assert.equal(e.assumed, e.kind === 'assumed', k);
    assert.doesNotMatch(e.source, /calibrat|chosen so|fitted/i, `${k} is not fitted to a figure`);
  }
  assert.equal((COST_TABLE as Record<string, unknown>).execNextBottleneckNs, undefined, 'the fitted next-bottleneck hold is gone');
});

test('sensitivity keeps the three costs that move a prediction most and flags a sign flip', () => {
  const base = defaultCosts();
  // A made-up prediction: lockAcquireNs - 5 (flips below 5 ns), plus a small dependence on atomicNs.
  const s = sensitivity((c) => [(c.lockAcquireNs! - 5) * 10 + c.atomicNs!, 2 * c.atomicNs!], ['lockAcquireNs', 'atomicNs', 'l2HitNs'], base,
    [(base.lockAcquireNs - 5) * 10 + base.atomicNs, 2 * base.atomicNs]);
  assert.deepEqual(s[0]!.top.map((t) => t.cost), ['lockAcquireNs', 'atomicNs', 'l2HitNs']);
  assert.equal(s[0]!.uncertain, true, 'lockAcquireNs at 50% (3.15 ns) flips it');
  assert.equal(s[1]!.uncertain, false);
  assert.equal(s[1]!.top[0].cost, 'atomicNs');
  assert.equal(s[1]!.top[0].low, base.atomicNs, '2 x (atomicNs / 2)');
});

test('a sweep with sensitivity carries it on each row (tc, short runs)', () => {
  const r = sweep([], { workload: 'tc', durationNs: 2e6, sensitivity: true });
  const row = r.compare![0];
  assert.ok(row.sensitivity, 'the row has a sensitivity');
  assert.equal(row.sensitivity.top.length, 3);
  assert.ok(row.sensitivity.tried >= 10);
  for (const t of row.sensitivity.top) assert.ok(t.cost in COST_TABLE && typeof t.low === 'number' && typeof t.high === 'number');
  const names = row.sensitivity.top.map((t) => t.cost);
  assert.ok(names.includes('tcRequestNs') || names.includes('pcpuAllocPathNs'), names.join(', '));
});
