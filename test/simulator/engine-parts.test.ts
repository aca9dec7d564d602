/** Building blocks: event queue order, histogram percentiles, PRNG, topology, lock handoff. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventQueue } from '../../simulator/src/event-queue';
import { Histogram } from '../../simulator/src/histogram';
import { Rng } from '../../simulator/src/rng';
import { Topology, MACHINE_PROFILES } from '../../simulator/src/machine';
import { defaultCosts } from '../../simulator/src/costs';
import { gfpInfo } from '../../simulator/src/gfp';
import { simulate } from '../../simulator/src/index';

test('event queue pops in (time, insertion) order and reschedules in place', () => {
  const q = new EventQueue(8);
  q.set(3, 50); q.set(1, 10); q.set(2, 10); q.set(0, 70); q.set(4, 30);
  q.set(0, 5); // moved earlier
  q.setFifo(5, 20); q.setFifo(6, 30);
  q.remove(4);
  const order: number[] = [];
  while (q.size > 0) order.push(q.pop());
  assert.deepEqual(order, [0, 1, 2, 5, 6, 3]);
  q.setFifo(7, 100);
  q.set(7, 1); // replacing a timeout with a run event
  assert.equal(q.size, 1);
  assert.equal(q.pop(), 7);
});

test('histogram percentiles are within 2% and max is exact', () => {
  const h = new Histogram();
  for (let i = 1; i <= 10000; i++) h.add(i * 10);
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) / b < 0.02, `${a} vs ${b}`);
  close(h.quantile(0.5), 50000);
  close(h.quantile(0.95), 95000);
  close(h.quantile(0.99), 99000);
  assert.equal(h.max, 100000);
  assert.equal(h.count, 10000);
});

test('the PRNG is deterministic per seed and roughly uniform', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const c = new Rng(43);
  const xs = Array.from({ length: 1000 }, () => a.float());
  assert.deepEqual(xs, Array.from({ length: 1000 }, () => b.float()));
  assert.notDeepEqual(xs.slice(0, 10), Array.from({ length: 10 }, () => c.float()));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.05, String(mean));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
});

test('topology: transfers by distance, SMT sharing only when both siblings run', () => {
  const k = defaultCosts();
  const server = new Topology(MACHINE_PROFILES['server-192'], 192, k);
  assert.equal(server.transfer(0, 0), 0);
  assert.equal(server.transfer(0, 96), k.smtTransferNs, 'CPU96 is the SMT sibling of CPU0');
  assert.equal(server.transfer(0, 1), k.sameSocketTransferNs);
  assert.equal(server.transfer(0, 48), k.crossSocketTransferNs, 'CPU48 is the first core of socket 1');
  assert.equal(server.workScale[0], k.smtSlowdown);
  assert.equal(server.possibleCpus, 192);
  const half = new Topology(MACHINE_PROFILES['server-192'], 96, k);
  assert.equal(half.workScale[0], 1, 'no sibling running');
  const up = new Topology(MACHINE_PROFILES.up, 1, k);
  assert.equal(up.meanTransfer(), 0);
});

test('gfp masks: who may reclaim and who takes fs_reclaim', () => {
  assert.deepEqual([gfpInfo('GFP_KERNEL').mayReclaim, gfpInfo('GFP_KERNEL').takesFsReclaim], [true, true]);
  assert.deepEqual([gfpInfo('GFP_ATOMIC').mayReclaim, gfpInfo('GFP_NOWAIT').mayReclaim], [false, false]);
  assert.deepEqual([gfpInfo('GFP_NOFS').mayReclaim, gfpInfo('GFP_NOFS').takesFsReclaim], [true, false]);
  assert.equal(gfpInfo('GFP_KERNEL | __GFP_ZERO').takesFsReclaim, true);
  assert.equal(gfpInfo('MY_GFP_FLAGS').assumed, true);
});

test('a contended spinlock is handed over in FIFO order with a transfer cost', () => {
  const r = simulate([], { scenario: {
    version: 1, cpus: 3, machine: 'desktop-24',
    programs: [
      { cpus: 0, steps: [{ kind: 'lock', lock: 'x' }, { kind: 'work', ns: 1000 }, { kind: 'unlock', lock: 'x' }] },
      { cpus: 1, steps: [{ kind: 'work', ns: 100 }, { kind: 'lock', lock: 'x' }, { kind: 'work', ns: 1000 }, { kind: 'unlock', lock: 'x' }] },
      { cpus: 2, steps: [{ kind: 'work', ns: 200 }, { kind: 'lock', lock: 'x' }, { kind: 'work', ns: 1000 }, { kind: 'unlock', lock: 'x' }] },
    ],
  }, timelineDepth: 8 });
  const x = r.runs[0].locks.find((l) => l.name === 'x')!;
  assert.equal(x.acquisitions, 3);
  assert.equal(x.contended, 2);
  // CPU1 waits from 100 until CPU0 releases at 20 + 1000 (acquire cost 20), plus a transfer.
  assert.ok(x.waitNs.max > 1500 && x.waitNs.max < 2500, JSON.stringify(x.waitNs));
  assert.ok(r.runs[0].simulatedNs > 3000);
});

test('mutex waiters sleep after the spin limit and pay the wakeup latency', () => {
  const r = simulate([], { scenario: {
    version: 1, cpus: 2, machine: 'desktop-24', costs: { mutexSpinLimitNs: 1000, mutexWakeupNs: 5000 },
    programs: [
      { cpus: 0, steps: [{ kind: 'lock', lock: 'm', lockKind: 'mutex' }, { kind: 'work', ns: 10000 }, { kind: 'unlock', lock: 'm' }] },
      { cpus: 1, steps: [{ kind: 'work', ns: 100 }, { kind: 'lock', lock: 'm', lockKind: 'mutex' }, { kind: 'unlock', lock: 'm' }] },
    ],
  } });
  const m = r.runs[0].locks.find((l) => l.name === 'm')!;
  assert.equal(m.sleeps, 1);
  assert.ok(m.waitNs.max >= 10000 - 100 + 5000, JSON.stringify(m.waitNs));
});
