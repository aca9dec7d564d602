/**
 * The deferred-free experiment (seeds/001): kfree_nolock()'s deferred list, one per cache
 * (baseline) vs one per CPU (ctor-dtor). What the model must show, not its exact figures.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { simulate, sweep } from '../../simulator/src/simulate';
import { simulateCommand } from '../../simulator/src/cli';
import { COST_TABLE } from '../../simulator/src/costs';
import { captureOutput } from './helpers';

const at = (cpus: number, mode: 'baseline' | 'ctor-dtor', o: { nolockShare?: number; machine?: string } = {}) =>
  simulate([], { workload: 'deferred-free', mode, cpus, freesPerCpu: 1000, ...o }).runs[0];

test('one CPU: both designs are the same, and the line never moves', () => {
  const b = at(1, 'baseline');
  const c = at(1, 'ctor-dtor');
  assert.equal(b.deferredFree!.lineTransfers, 0);
  assert.equal(c.deferredFree!.lineTransfers, 0);
  assert.equal(b.throughputPerSec, c.throughputPerSec);
  assert.ok(b.deferredFree!.nolockFrees > 50 && b.deferredFree!.nolockFrees < 150, 'about 10% of 1000 frees');
});

test('many CPUs: the per-cache head bounces, per-CPU heads stay local', () => {
  for (const [n, machine] of [[24, 'desktop-24'], [192, 'server-192']] as const) {
    const b = at(n, 'baseline', { machine });
    const c = at(n, 'ctor-dtor', { machine });
    assert.ok(b.deferredFree!.lineTransfersPerFree > 0.3, `${n}: per-cache ${b.deferredFree!.lineTransfersPerFree}`);
    assert.equal(c.deferredFree!.lineTransfers, 0, `${n}: per-CPU lists never leave their CPU`);
    assert.ok(c.throughputPerSec! > 5 * b.throughputPerSec!, `${n}: ${c.throughputPerSec!} vs ${b.throughputPerSec!}`);
    // Per-CPU lists scale: per-CPU throughput within the SMT slowdown of the one-CPU figure.
    assert.ok(c.throughputPerCpuPerSec! > at(1, 'ctor-dtor').throughputPerCpuPerSec! / COST_TABLE.smtSlowdown.value - 1);
  }
  // Cross-socket transfers make the shared head worse on two sockets than on one.
  assert.ok(at(192, 'baseline', { machine: 'server-192' }).throughputPerSec! < at(24, 'baseline', { machine: 'desktop-24' }).throughputPerSec!);
});

test('no kfree_nolock(): the list is only read, so both designs scale', () => {
  const b = at(24, 'baseline', { nolockShare: 0, machine: 'desktop-24' });
  const c = at(24, 'ctor-dtor', { nolockShare: 0, machine: 'desktop-24' });
  // A line nobody writes is shared by every reader: each CPU fetches it once (cold), then it stays.
  assert.ok(b.deferredFree!.lineTransfers <= 23, String(b.deferredFree!.lineTransfers));
  assert.ok(b.throughputPerSec! > 0.95 * c.throughputPerSec!, `${b.throughputPerSec!} vs ${c.throughputPerSec!}`);
});

test('deterministic, and the transfers cost what the topology says', () => {
  assert.deepEqual(at(24, 'baseline', { machine: 'desktop-24' }), at(24, 'baseline', { machine: 'desktop-24' }));
  const cheap = simulate([], { workload: 'deferred-free', mode: 'baseline', cpus: 24, machine: 'desktop-24', freesPerCpu: 1000, costs: { sameSocketTransferNs: 20 } }).runs[0];
  assert.ok(cheap.throughputPerSec! > at(24, 'baseline', { machine: 'desktop-24' }).throughputPerSec!);
  assert.equal(COST_TABLE.kfreeSlowPathShare.kind, 'assumed');
});

test('--compare: throughput and a line-transfers table for 1/24/192 CPUs', async () => {
  const r = sweep([], { workload: 'deferred-free', freesPerCpu: 500 });
  assert.deepEqual(r.compare!.map((c) => c.cpus), [1, 24, 192]);
  assert.ok(r.compare!.every((c) => c.baselineTransfersPerFree !== undefined && c.ctorDtorTransfersPerFree === 0));
  const s = await captureOutput(() => simulateCommand(['--workload', 'deferred-free', '--compare', '--frees', '300']));
  assert.equal(s.code, 0, s.err);
  assert.match(s.out, /baseline = one deferred list per cache/);
  assert.match(s.out, /== deferred-list head: cache-line transfers per free/);
  assert.match(s.out, /server-192\s+192\s+0\.\d+\s+0\n/);
  const bad = await captureOutput(() => simulateCommand(['--workload', 'exec', '--nolock-share', '0.5']));
  assert.equal(bad.code, 2);
});
