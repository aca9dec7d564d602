/** Same seed, same bytes; another seed, another run. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate, sweep, demoDtorModel } from '../../simulator/src/index';

test('same seed gives an identical JSON result', () => {
  const a = JSON.stringify(sweep([], { seed: 7, durationNs: 5e6 }));
  const b = JSON.stringify(sweep([], { seed: 7, durationNs: 5e6 }));
  assert.equal(a, b);
  const c = JSON.stringify(simulate([demoDtorModel('reclaim_demo.mutex', 'mutex')], { workload: 'reclaim', cpus: 3, seed: 3 }));
  const d = JSON.stringify(simulate([demoDtorModel('reclaim_demo.mutex', 'mutex')], { workload: 'reclaim', cpus: 3, seed: 3 }));
  assert.equal(c, d);
});

test('a different seed gives a different run', () => {
  const a = JSON.stringify(simulate([], { cpus: 24, seed: 1, durationNs: 5e6 }));
  const b = JSON.stringify(simulate([], { cpus: 24, seed: 2, durationNs: 5e6 }));
  assert.notEqual(a, b);
});

test('the result is versioned and plain JSON', () => {
  const r = simulate([], { cpus: 1, durationNs: 2e6 });
  assert.equal(r.version, 2);
  assert.equal(r.tool, 'slabcheck-simulator');
  assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
});
