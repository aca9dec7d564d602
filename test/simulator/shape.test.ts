/**
 * The validation the simulator exists for: with one set of default costs,
 * the exec() gain of the ctor/dtor pair grows with the CPU count and lands
 * within 5 percentage points of each published figure (seeds/004).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sweep, PUBLISHED_EXEC_GAINS, GAIN_TOLERANCE_PP, COST_TABLE, type SimResult } from '../../simulator/src/index';

let cached: SimResult | undefined;
function defaultSweep(): SimResult {
  cached ??= sweep([], {});
  return cached;
}

test('exec gains grow with the CPU count', () => {
  const rows = defaultSweep().compare!;
  assert.deepEqual(rows.map((r) => [r.machine, r.cpus]), [['up', 1], ['desktop-24', 24], ['server-192', 192]]);
  for (let i = 1; i < rows.length; i++) {
    assert.ok(rows[i].gainPct > rows[i - 1].gainPct, `gain at ${rows[i].cpus} CPUs (${rows[i].gainPct}%) should exceed gain at ${rows[i - 1].cpus} (${rows[i - 1].gainPct}%)`);
  }
});

test('each exec gain is within 5 pp of the published figure', () => {
  const rows = defaultSweep().compare!;
  assert.equal(GAIN_TOLERANCE_PP, 5);
  for (const p of PUBLISHED_EXEC_GAINS) {
    const r = rows.find((x) => x.machine === p.machine && x.cpus === p.cpus);
    assert.ok(r, `no sweep row for ${p.machine}/${p.cpus}`);
    assert.equal(r.publishedGainPct, p.gainPct);
    assert.ok(Math.abs(r.gainPct - p.gainPct) <= GAIN_TOLERANCE_PP,
      `${p.machine} (${p.cpus} CPUs): simulated ${r.gainPct}% vs published ${p.gainPct}%`);
  }
});

test('the closed-queueing cross-check agrees with the simulation', () => {
  for (const r of defaultSweep().compare!) {
    assert.ok(r.analytic, 'exec sweep rows carry the analytic estimate');
    assert.ok(Math.abs(r.analytic.gainPct - r.gainPct) <= 6, `${r.machine}: analytic ${r.analytic.gainPct}% vs simulated ${r.gainPct}%`);
    // The analytic bound is an upper bound on throughput in both modes.
    assert.ok(r.baselinePerSec <= r.analytic.baseline.boundPerSec * 1.02, `${r.machine} baseline above its bound`);
    assert.ok(r.ctorDtorPerSec <= r.analytic.ctorDtor.boundPerSec * 1.02, `${r.machine} ctor-dtor above its bound`);
  }
});

test('the 192-CPU baseline is limited by the percpu locks and ctor/dtor by the next bottleneck', () => {
  const r = defaultSweep();
  const base = r.runs.find((x) => x.cpus === 192 && x.mode === 'baseline')!;
  const ctor = r.runs.find((x) => x.cpus === 192 && x.mode === 'ctor-dtor')!;
  const util = (run: typeof base, name: string) => run.locks.find((l) => l.name === name)?.utilization ?? 0;
  assert.ok(util(base, 'pcpu_alloc_mutex') > 0.8, `pcpu_alloc_mutex utilisation ${util(base, 'pcpu_alloc_mutex')}`);
  assert.ok(util(base, 'pcpu_lock') > 0.6, `pcpu_lock utilisation ${util(base, 'pcpu_lock')}`);
  assert.ok(util(base, 'exec_next_bottleneck') < util(ctor, 'exec_next_bottleneck'), 'the next bottleneck is busier once percpu is gone');
  assert.ok(util(ctor, 'exec_next_bottleneck') > 0.8, `next bottleneck utilisation ${util(ctor, 'exec_next_bottleneck')}`);
  assert.equal(ctor.locks.find((l) => l.name === 'pcpu_alloc_mutex'), undefined, 'ctor/dtor mode takes no percpu lock in steady state');
  assert.ok(ctor.memory.some((m) => m.retainedPercpuBytes > 0), 'ctor/dtor mode retains percpu memory');
});

test('one cost table for every point: the defaults are used unchanged', () => {
  const r = defaultSweep();
  for (const k of Object.keys(COST_TABLE) as Array<keyof typeof COST_TABLE>) assert.equal(r.costs[k], COST_TABLE[k].value, k);
  for (const k of Object.keys(COST_TABLE) as Array<keyof typeof COST_TABLE>) {
    assert.ok(COST_TABLE[k].source.length > 10, `${k} documents its source`);
  }
});

test('the gain is bounded: a slower cross-socket link raises it, a faster one lowers it', () => {
  const at = (v: number) => sweep([], { costs: { crossSocketTransferNs: v }, points: [{ machine: 'server-192', cpus: 192 }], durationNs: 20e6 }).compare![0].gainPct;
  const lo = at(150);
  const hi = at(440);
  assert.ok(lo < defaultSweep().compare![2].gainPct && defaultSweep().compare![2].gainPct < hi, `150 ns: ${lo}%, 440 ns: ${hi}%`);
});
