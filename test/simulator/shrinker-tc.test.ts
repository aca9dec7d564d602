/**
 * The shrinker workload (seeds/003) and the tc workload (seeds/004): where
 * CPU time goes in each mode, writers making down_read_trylock fail, and the
 * tc path's locks and percpu regions. CLI forms too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sweep, simulate, simulateCommand } from '../../simulator/src/index';
import { captureOutput } from './helpers';

const share = (run: { profile: { bucket: string; share: number }[] }, b: string) => run.profile.find((p) => p.bucket === b)?.share ?? 0;

test('shrinker: the rwsem line dominates before the series, the walk after', () => {
  const r = sweep([], { workload: 'shrinker', durationNs: 4e6 });
  assert.deepEqual(r.modeLabels, { baseline: 'shrinker_rwsem (down_read_trylock)', ctorDtor: 'lockless (refcount + RCU)' });
  const [base, lockless] = r.runs;
  assert.equal(base.mode, 'baseline');
  const lockBefore = share(base, 'down_read_trylock') + share(base, 'up_read');
  const lockAfter = share(lockless, 'rcu_read_lock/unlock') + share(lockless, 'shrinker_try_get/put');
  assert.ok(lockBefore > 0.4, `rwsem share before ${lockBefore}`);
  assert.ok(lockAfter < lockBefore / 3, `lock share after ${lockAfter} vs before ${lockBefore}`);
  assert.ok(share(base, 'down_read_trylock') > share(base, 'up_read'), 'the trylock pulls the line twice, up_read once');
  assert.ok(share(lockless, 'shrink_slab') > share(base, 'shrink_slab'), 'the walk is what is left');
  assert.ok(r.compare![0].ctorDtorPerSec! > r.compare![0].baselinePerSec!, 'more memcgs visited per second without the rwsem');
  const sum = base.profile.reduce((a, p) => a + p.share, 0);
  assert.ok(Math.abs(sum - 1) < 0.01, `shares sum to 1: ${sum}`);
  assert.equal(base.locks.find((l) => l.name.startsWith('shrinker_rwsem'))?.kind, 'line');
});

test('shrinker: the rwsem line moves with its CPU count (fewer CPUs, smaller lock share)', () => {
  const at = (cpus: number) => simulate([], { workload: 'shrinker', mode: 'baseline', cpus, machine: 'desktop-24', durationNs: 3e6 }).runs[0];
  const few = at(2);
  const many = at(24);
  assert.ok(share(few, 'down_read_trylock') < share(many, 'down_read_trylock'), `${share(few, 'down_read_trylock')} vs ${share(many, 'down_read_trylock')}`);
});

test('shrinker: writers holding the write side make readers skip memcgs; the lockless readers never wait for them', () => {
  const withW = simulate([], { workload: 'shrinker', mode: 'baseline', cpus: 8, machine: 'desktop-24', writers: 2, durationNs: 3e6 }).runs[0];
  const noW = simulate([], { workload: 'shrinker', mode: 'baseline', cpus: 8, machine: 'desktop-24', durationNs: 3e6 }).runs[0];
  assert.ok(share(withW, 'shrinker register/unregister') > 0, 'writers ran');
  assert.equal(share(noW, 'shrinker register/unregister'), 0);
  // A skipped memcg costs the trylock only: readers visit memcgs faster per CPU while a writer holds the rwsem.
  const perReader = (run: typeof withW, readers: number) => run.throughputPerSec! / readers;
  assert.ok(perReader(withW, 6) > perReader(noW, 8), `${perReader(withW, 6)} vs ${perReader(noW, 8)}`);
  const lockless = simulate([], { workload: 'shrinker', mode: 'ctor-dtor', cpus: 8, machine: 'desktop-24', writers: 2, durationNs: 3e6 }).runs[0];
  assert.ok(lockless.locks.some((l) => l.name === 'shrinker_mutex'), 'lockless writers take shrinker_mutex');
  assert.equal(share(lockless, 'down_read_trylock'), 0);
});

test('tc: three percpu regions per action, the filter locks, busy time per filter falls with ctor/dtor', () => {
  const r = sweep([], { workload: 'tc', durationNs: 4e6 });
  assert.deepEqual(r.caches, ['tc_action']);
  const row = r.compare![0];
  assert.equal(row.cpus, 10);
  assert.equal(row.machine, 'server-192');
  const [base, ctor] = r.runs;
  const iters = base.iterations;
  assert.ok(Math.abs(base.percpu.allocs / iters - 3) < 0.2, `${base.percpu.allocs} percpu allocations for ${iters} filters`);
  for (const l of ['tcf_chain.filter_chain_lock', 'tcf_idrinfo.lock', 'tcf_proto.lock']) assert.ok(base.locks.some((x) => x.name === l), l);
  assert.ok(!base.locks.some((x) => /rtnl/.test(x.name)), 'the unlocked flower path takes no rtnl_mutex');
  assert.ok(row.busyReductionPct > 0 && row.ctorDtorBusyNsPerIteration < row.baselineBusyNsPerIteration);
  assert.ok(Math.abs(row.busyReductionPct - (1 - ctor.cpuTime.busyNsPerIteration / base.cpuTime.busyNsPerIteration) * 100) < 0.01);
  const a = r.assumptions[0];
  assert.equal(a.cache, 'tc_action');
  assert.equal(a.objectSize.how, 'assumed');
  assert.equal(a.percpuRegions, 3);
  assert.ok(a.costs.some((c) => c.name === 'tcRequestNs' && c.kind === 'measured'));
});

test('assumptions: an evaluated object size says so', () => {
  const m = { version: 1 as const, name: 'x', objectSize: { bytes: 96, expr: 'sizeof(struct x)' }, align: 8, flags: [], at: { file: 'a.c', startLine: 0, startCol: 0, endLine: 0, endCol: 0 } };
  const r = simulate([m], { cpus: 1, durationNs: 1e6 });
  assert.deepEqual(r.assumptions[0].objectSize, { bytes: 96, how: 'evaluated', expr: 'sizeof(struct x)' });
});

test('CLI: --workload shrinker and tc, --writers, --sensitivity', async () => {
  const s = await captureOutput(() => simulateCommand(['--workload', 'shrinker', '--compare', '--duration-ms', '2', '--memcgs', '500', '--writers', '1']));
  assert.equal(s.code, 0, s.err);
  assert.match(s.out, /baseline = shrinker_rwsem \(down_read_trylock\); ctor-dtor = lockless/);
  assert.match(s.out, /CPU time \(after warm-up.*\n +down_read_trylock \d/);
  const t = await captureOutput(() => simulateCommand(['--workload', 'tc', '--compare', '--duration-ms', '1', '--sensitivity', '--format', 'json']));
  assert.equal(t.code, 0, t.err);
  const j = JSON.parse(t.out);
  assert.equal(j.workload, 'tc');
  assert.equal(j.compare[0].sensitivity.top.length, 3);
  assert.equal(typeof j.compare[0].sensitivity.uncertain, 'boolean');
});

test('the shrinker scenario files agree with the built-in workload (same costs, line locks)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { readRepoJson } = require('./helpers') as typeof import('./helpers');
  const rwsem = simulate([], { scenario: readRepoJson('simulator/scenarios/shrinker-rwsem.json') }).runs[0];
  const lockless = simulate([], { scenario: readRepoJson('simulator/scenarios/shrinker-lockless.json') }).runs[0];
  const builtin = simulate([], { workload: 'shrinker', mode: 'baseline', cpus: 24, machine: 'desktop-24', durationNs: 2e6 }).runs[0];
  const line = rwsem.locks.find((l) => l.name === 'shrinker_rwsem.count')!;
  assert.equal(line.kind, 'line');
  assert.ok(line.contended > line.acquisitions * 0.5, 'every CPU queues for the rwsem line');
  assert.ok(Math.abs(rwsem.throughputPerSec! / builtin.throughputPerSec! - 1) < 0.1, `scenario ${rwsem.throughputPerSec!}/s vs built-in ${builtin.throughputPerSec!}/s`);
  assert.ok(lockless.throughputPerSec! > 2 * rwsem.throughputPerSec!, 'without the shared line the walk runs unhindered');
});

test('shrinker and tc runs are deterministic', () => {
  for (const workload of ['shrinker', 'tc'] as const) {
    const a = JSON.stringify(sweep([], { workload, durationNs: 1e6, seed: 5 }));
    const b = JSON.stringify(sweep([], { workload, durationNs: 1e6, seed: 5 }));
    assert.equal(a, b, workload);
  }
});
