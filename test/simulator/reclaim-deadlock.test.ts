/**
 * The reclaim deadlock: a dtor takes lock L while some code holds L and
 * allocates with GFP_KERNEL. Under memory pressure that allocation enters
 * reclaim, which frees slabs and runs the dtor: L -> fs_reclaim -> L.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate, formatReport, demoDtorModel, mmStructModel, defaultCosts } from '../../simulator/src/index';
import { readRepoJson } from './helpers';

const L = 'reclaim_demo.mutex';

test('a dtor taking the lock held around a GFP_KERNEL allocation deadlocks in reclaim', () => {
  const r = simulate([demoDtorModel(L, 'mutex')], { workload: 'reclaim', cpus: 2, holdLock: L });
  assert.equal(r.ok, false);
  assert.equal(r.deadlocks.length, 1);
  const d = r.deadlocks[0];
  assert.equal(d.kind, 'deadlock');
  assert.deepEqual(d.cycle.map((e) => [e.cpu, e.waitsFor, e.heldBy]), [[0, L, 0]]);
  assert.ok(d.holding[0].locks.includes('fs_reclaim') && d.holding[0].locks.includes(L), `CPU0 holds ${d.holding[0].locks}`);
  assert.ok(d.holding[0].context.some((c) => c.includes('from reclaim')), 'the dtor runs from reclaim');
  // Per-CPU timeline with the interleaving.
  assert.ok(d.timeline.length >= 5);
  for (let i = 1; i < d.timeline.length; i++) assert.ok(d.timeline[i].tNs >= d.timeline[i - 1].tNs, 'timeline is in time order');
  const cpu0 = d.timeline.filter((e) => e.cpu === 0).map((e) => `${e.action} ${e.subject}`);
  assert.ok(cpu0.some((x) => x.startsWith('enter direct reclaim')), cpu0.join('\n'));
  assert.ok(cpu0.some((x) => x.startsWith('runs dtor demo_obj_dtor')), cpu0.join('\n'));
  assert.equal(cpu0[cpu0.length - 1], `spins on ${L}`);
  // Lockdep's view: a cycle through fs_reclaim with evidence for both edges.
  const cyc = r.findings.find((f) => f.kind === 'circular-dependency');
  assert.ok(cyc, 'circular dependency reported');
  assert.ok(cyc.cycle!.includes('fs_reclaim') && cyc.cycle!.includes(L), cyc.cycle!.join(' -> '));
  assert.equal(cyc.cycle![0], cyc.cycle![cyc.cycle!.length - 1]);
  const edges = cyc.chain!.map((e) => `${e.from}->${e.to}`).sort();
  assert.deepEqual(edges, [`fs_reclaim->${L}`, `${L}->fs_reclaim`].sort());
  const allocEdge = cyc.chain!.find((e) => e.from === L)!;
  assert.ok(allocEdge.context.some((c) => c.includes('GFP_KERNEL')), 'the allocation site is the evidence');
  assert.equal(r.runs[0].stop?.reason, 'deadlock');
});

test('the report shows the lockdep splat and the interleaving', () => {
  const r = simulate([demoDtorModel(L, 'mutex')], { workload: 'reclaim', cpus: 2, holdLock: L });
  const text = formatReport(r);
  assert.match(text, /WARNING: possible circular locking dependency detected/);
  assert.match(text, /Possible unsafe locking scenario:/);
  assert.match(text, / +CPU0 +CPU1\n +---- +----/);
  assert.match(text, new RegExp(`lock\\(${L.replace('.', '\\.')}\\);`));
  assert.match(text, /lock\(fs_reclaim\);/);
  assert.match(text, /DEADLOCK: CPUs wait on each other/);
  assert.match(text, /interleaving \(last events per CPU, ns\):\n +time +CPU0/);
  assert.match(text, /\*\*\* DEADLOCK \*\*\*/);
});

test('the same scenario with the dtor taking only a leaf irqsave spinlock runs clean', () => {
  const r = simulate([demoDtorModel('demo_leaf_lock', 'spin', 'irqsave')], { workload: 'reclaim', cpus: 2, holdLock: L });
  assert.equal(r.ok, true, JSON.stringify(r.findings.map((f) => f.message)));
  assert.deepEqual(r.findings, []);
  assert.deepEqual(r.deadlocks, []);
  assert.equal(r.runs[0].stop, null);
  const c = r.runs[0].caches[0];
  assert.ok(c.dtorRunsInReclaim > 0, 'dtors did run from reclaim');
  assert.ok(r.runs[0].reclaimPasses > 0);
  assert.ok(r.runs[0].lockdep.edges.some((e) => e.from === 'fs_reclaim' && e.to === 'demo_leaf_lock'), 'fs_reclaim -> leaf recorded');
  assert.doesNotMatch(formatReport(r), /circular locking dependency/);
});

test('mm_struct as the RFC converts it is reclaim-safe: its dtor takes only leaf irqsave spinlocks', () => {
  const r = simulate([mmStructModel(defaultCosts())], { workload: 'reclaim', cpus: 4 });
  assert.equal(r.ok, true, JSON.stringify(r.findings.map((f) => f.message)));
  assert.ok(r.runs[0].caches[0].dtorRunsInReclaim > 0);
});

test('the shipped scenario files behave the same', () => {
  const bad = simulate([], { scenario: readRepoJson('simulator/scenarios/reclaim-deadlock.json') });
  assert.equal(bad.deadlocks.length, 1);
  assert.ok(bad.findings.some((f) => f.kind === 'circular-dependency' && f.cycle!.includes('fs_reclaim')));
  assert.ok(bad.deadlocks[0].blocked.some((b) => b.cpu === 1 && b.heldBy === 0), 'CPU1 is stuck behind CPU0');
  const good = simulate([], { scenario: readRepoJson('simulator/scenarios/reclaim-leaf-lock.json') });
  assert.equal(good.ok, true, JSON.stringify(good.findings.map((f) => f.message)));
});
