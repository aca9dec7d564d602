/** The burst workload: slabs grow and shrink, ctors and dtors run, memory is sampled over time. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate, formatReport } from '../../simulator/src/index';

test('burst grows slabs (ctor on every object) and releases them past min_partial (dtor on every object)', () => {
  const r = simulate([], { workload: 'burst', cpus: 4, rounds: 3 });
  assert.equal(r.ok, true, JSON.stringify(r.findings.map((f) => f.message)));
  const run = r.runs[0];
  const c = run.caches[0];
  assert.equal(c.name, 'mm_struct');
  assert.ok(c.slabsAllocated > c.minPartial && c.slabsFreed > 0, JSON.stringify(c));
  assert.equal(c.ctorRuns, c.slabsAllocated * c.objectsPerSlab, 'the ctor runs on every object of every new slab');
  assert.equal(c.dtorRuns, c.slabsFreed * c.objectsPerSlab, 'the dtor runs on every object of every freed slab');
  assert.equal(c.objectsInUse, 0);
  assert.equal(run.iterations, 12);
  const peak = Math.max(...run.memory.map((m) => m.slabs));
  const last = run.memory[run.memory.length - 1];
  assert.ok(peak > last.slabs, `slabs peak ${peak}, end ${last.slabs}`);
  assert.ok(last.retainedPercpuBytes > 0 && last.retainedPercpuBytes === last.percpuBytes, 'free constructed objects keep their percpu memory');
  // Each constructed object holds two percpu regions: 48 bytes on each of 24 possible CPUs.
  assert.equal(last.retainedPercpuBytes, last.objects * 48 * 24);
  assert.match(formatReport(r), /memory over time:/);
});

test('burst in baseline mode does the percpu work per object and constructs nothing', () => {
  const r = simulate([], { workload: 'burst', cpus: 2, rounds: 2, burstObjects: 100, mode: 'baseline' });
  const run = r.runs[0];
  assert.equal(run.caches[0].ctorRuns, 0);
  assert.equal(run.caches[0].dtorRuns, 0);
  assert.equal(run.percpu.allocs, 2 * 2 * 100 * 2, 'two regions per allocation');
  assert.equal(run.percpu.frees, run.percpu.allocs);
  assert.ok(run.memory.every((m) => m.retainedPercpuBytes === 0));
});

test('exec results carry the lock table with wait percentiles', () => {
  const r = simulate([], { cpus: 24, mode: 'baseline', durationNs: 5e6 });
  const l = r.runs[0].locks.find((x) => x.name === 'pcpu_lock')!;
  assert.ok(l.acquisitions > 1000 && l.contended > 0);
  assert.ok(l.waitNs.p50 <= l.waitNs.p95 && l.waitNs.p95 <= l.waitNs.p99 && l.waitNs.p99 <= l.waitNs.max);
  assert.ok(l.holdNs.mean > 0 && l.utilization > 0 && l.utilization < 1);
  assert.equal(r.runs[0].throughputPerCpuPerSec, Math.round((r.runs[0].throughputPerSec! / 24) * 10) / 10);
});

test('simulateCache: one model in, one combined report out (the editor command)', async () => {
  const { simulateCache, mmStructModel, defaultCosts, demoDtorModel } = await import('../../simulator/src/index');
  const good = simulateCache(mmStructModel(defaultCosts()));
  assert.equal(good.ok, true);
  assert.equal(good.results.length, 3);
  assert.match(good.report, /exec-style sweep/);
  assert.match(good.report, /server-192 +192/);
  const bad = simulateCache(demoDtorModel('reclaim_demo.mutex', 'mutex'));
  assert.equal(bad.ok, false);
  assert.match(bad.report, /possible circular locking dependency detected/);
});
