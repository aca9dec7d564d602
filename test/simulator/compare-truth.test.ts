/**
 * Compare rows never say what is false (issue 17 section 7): a point where a
 * run deadlocked has no throughput and no gain, only who waits on whom; a
 * gain is the mean over seeds with its spread, and "within noise" when the
 * seeds do not establish it; a cache that is not mm_struct runs its own
 * objects' lifetime, so two caches with different models get different
 * figures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  sweep, formatReport, demoDtorModel, mmStructModel, defaultCosts, seedStats, gainVerdict, cacheWorkload, simulateCommand, NOISE_FLOOR_PCT,
  type CacheModel,
} from '../../simulator/src/index';
import { captureOutput } from './helpers';
import * as os from 'node:os';
import * as path from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';

const L = 'reclaim_demo.mutex';

test('a deadlocked point has no throughput and no gain: the row says who waits on whom', () => {
  const r = sweep([demoDtorModel(L, 'mutex')], { workload: 'reclaim', cpus: [2, 4], holdLock: L, seeds: 3 });
  assert.equal(r.ok, false);
  for (const row of r.compare!) {
    assert.equal(row.verdict, 'deadlock', `${row.cpus} CPUs`);
    assert.equal(row.gainPct, null, 'no gain for a deadlocked point');
    assert.ok(row.baselinePerSec === null || row.ctorDtorPerSec === null, 'the deadlocked mode has no throughput');
    const d = row.deadlock!;
    assert.equal(d.kind, 'deadlock');
    assert.ok(d.cycle.length >= 1 && d.cycle.every((w) => w.waitsFor === L), JSON.stringify(d.cycle));
    assert.ok(d.holding.some((h) => h.locks.includes(L) && h.locks.includes('fs_reclaim')), JSON.stringify(d.holding));
    assert.deepEqual(row.seeds, [1, 2, 3]);
    assert.ok(d.seeds.length >= 1);
    assert.equal(row.spread, undefined, 'no spread of a gain that does not exist');
  }
  // The deadlocked run itself has no throughput either.
  for (const run of r.runs.filter((x) => x.deadlock)) assert.equal(run.throughputPerSec, null);
  // JSON says null, never a number.
  const j = JSON.parse(JSON.stringify(r));
  assert.equal(j.version, 2);
  assert.equal(j.compare[0].gainPct, null);
  // The text report shows the deadlock, not a gain, and no "+NN%" on those rows.
  const text = formatReport(r);
  const tableRows = text.split('\n').filter((l) => /^desktop-24 +[24] /.test(l));
  assert.equal(tableRows.length, 2, text);
  for (const l of tableRows) {
    assert.match(l, /deadlocked/);
    assert.match(l, /DEADLOCK in ctor-dtor/);
    assert.doesNotMatch(l, /[+-]\d+\.\d\d%/, l);
  }
  assert.match(text, /points with no throughput/);
  assert.match(text, new RegExp(`CPU0 waits for ${L.replace('.', '\\.')} held by CPU0`));
});

test('the CLI and its JSON show the deadlock instead of a gain (exit 1)', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slabcheck-truth-'));
  try {
    const f = path.join(dir, 'm.json');
    writeFileSync(f, JSON.stringify([demoDtorModel(L, 'mutex')]));
    const t = await captureOutput(() => simulateCommand(['--models', f, '--workload', 'reclaim', '--compare', '--cpus', '2', '--hold-lock', L, '--seeds', '2']));
    assert.equal(t.code, 1);
    assert.match(t.out, /DEADLOCK in ctor-dtor \(2\/2 seeds\)/);
    assert.doesNotMatch(t.out.split('\n').find((l) => /^desktop-24 +2 /.test(l))!, /%/);
    const j = await captureOutput(() => simulateCommand(['--models', f, '--workload', 'reclaim', '--compare', '--cpus', '2', '--hold-lock', L, '--seeds', '2', '--format', 'json']));
    const row = JSON.parse(j.out).compare[0];
    assert.equal(row.gainPct, null);
    assert.equal(row.ctorDtorPerSec, null);
    assert.equal(row.verdict, 'deadlock');
    assert.equal(row.deadlock.cycle[0].waitsFor, L);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('gains are a mean over seeds with their spread; within noise when the seeds do not establish them', () => {
  const r = sweep([], { workload: 'exec', points: [{ machine: 'up', cpus: 1 }, { machine: 'server-192', cpus: 192 }], durationNs: 6e6, seeds: 5 });
  const [one, big] = r.compare!;
  for (const row of r.compare!) {
    assert.deepEqual(row.seeds, [1, 2, 3, 4, 5]);
    assert.equal(row.gainPctBySeed.length, 5);
    const s = row.spread!.gainPct;
    assert.ok(s.min <= row.gainPct! + 0.011 && row.gainPct! <= s.max + 0.011, JSON.stringify(s));
    assert.ok(s.ci95[0] <= s.mean && s.mean <= s.ci95[1]);
    assert.equal(runsOf(r, row.cpus), 2, 'runs[] keeps the first seed only');
  }
  assert.equal(one.verdict, 'better', `1 CPU: ${JSON.stringify(one.spread)}`);
  // At 192 CPUs both modes sit on the same convoying rwsem: the seeds disagree in sign or the gain is tiny.
  assert.equal(big.verdict, 'within-noise', `192 CPUs: ${JSON.stringify(big.spread)}`);
  const text = formatReport(r);
  assert.match(text, /mean of 5 seeds \(1-5\)/);
  assert.match(text, /server-192 +192 .*within noise/);
  assert.match(text, /up +1 .*\+-\d\.\d\d \([+-]\d/);
  // One seed: the spread is unknown and said so.
  const single = sweep([], { workload: 'exec', points: [{ machine: 'up', cpus: 1 }], durationNs: 2e6 });
  assert.equal(single.compare![0].verdict, 'one-seed');
  assert.match(formatReport(single), /1 seed: spread unknown/);
});

function runsOf(r: ReturnType<typeof sweep>, cpus: number): number {
  return r.runs.filter((x) => x.cpus === cpus).length;
}

test('the verdict arithmetic: Student t interval of the mean, and a floor', () => {
  const s = seedStats([1, 2, 3]);
  assert.equal(s.mean, 2);
  assert.equal(s.stdev, 1);
  // t(2) = 4.303: half-width 4.303 / sqrt(3) = 2.48.
  assert.deepEqual(s.ci95, [-0.48, 4.48]);
  assert.equal(gainVerdict([1, 2, 3]), 'within-noise', 'the interval contains 0');
  assert.equal(gainVerdict([5.1, 5.2, 5.0, 5.15, 5.12]), 'better');
  assert.equal(gainVerdict([-3, -3.1, -2.9]), 'worse');
  assert.equal(gainVerdict([NOISE_FLOOR_PCT / 2, NOISE_FLOOR_PCT / 2]), 'within-noise', 'below the floor');
  assert.equal(gainVerdict([+5.15, -2.03]), 'within-noise', 'the sign changes between seeds');
  assert.equal(gainVerdict([7]), 'one-seed');
  assert.equal(gainVerdict([1.2, 1.25, 1.3], 2), 'within-noise', 'under what counting whole iterations resolves');
  // Counted workloads carry that resolution; looping ones measure completion to completion and do not.
  const burst = sweep([demoDtorModel('demo_leaf', 'spin', 'irqsave')], { workload: 'burst', cpus: [2], rounds: 2, seeds: 2 }).compare![0];
  assert.ok(burst.resolutionPct! > 0, JSON.stringify(burst));
  const exec = sweep([], { workload: 'exec', cpus: [1], durationNs: 1e6, seeds: 2 }).compare![0];
  assert.equal(exec.resolutionPct, undefined);
});

test('the workload comes from the cache: mm_struct runs exec(), another cache its own objects', () => {
  const mm = mmStructModel(defaultCosts());
  assert.equal(cacheWorkload(mm), 'exec');
  const toy = (name: string, bytes: number, regions: number, lock?: string): CacheModel => ({
    version: 1, name, objectSize: { bytes }, align: 8, flags: [], at: { file: '<t>', startLine: 0, startCol: 0, endLine: 0, endCol: 0 },
    ctor: { name: `${name}_ctor`, summary: '', maySleep: true, steps: Array.from({ length: regions }, () => ({ kind: 'alloc' as const, allocator: 'alloc_percpu', gfp: 'GFP_KERNEL', percpu: true, bytes: 16 })) },
    dtor: {
      name: `${name}_dtor`, summary: '', maySleep: false,
      steps: [
        ...(lock ? [{ kind: 'lock' as const, lock, lockKind: 'spin', irq: 'irqsave' as const }, { kind: 'work' as const, ns: 200 }, { kind: 'unlock' as const, lock }] : []),
        ...Array.from({ length: regions }, () => ({ kind: 'free' as const, allocator: 'free_percpu', percpu: true })),
      ],
    },
  });
  assert.equal(cacheWorkload(toy('widget', 40, 1)), 'lifetime');
  const opts = { cpus: [1, 8], durationNs: 1e6 };
  const a = sweep([toy('widget', 40, 1)], { ...opts, workload: 'lifetime' });
  const b = sweep([toy('big', 2048, 2, 'big_list_lock')], { ...opts, workload: 'lifetime' });
  assert.equal(a.workload, 'lifetime');
  for (let i = 0; i < 2; i++) {
    assert.notEqual(a.compare![i].ctorDtorPerSec, b.compare![i].ctorDtorPerSec, 'different object sizes: different ctor/dtor throughput');
    assert.notEqual(a.compare![i].baselinePerSec, b.compare![i].baselinePerSec, 'different ctor/dtor steps: different baseline');
  }
  // The dtor's lock is taken on the free path in baseline: lockdep and the lock table see it.
  const bb = b.runs.find((x) => x.mode === 'baseline' && x.cpus === 8)!;
  assert.ok(bb.locks.some((l) => l.class === 'big_list_lock' && l.acquisitions > 0));
  // More work per object in the ctor/dtor: a larger gain at 1 CPU.
  assert.ok(b.compare![0].gainPct! > a.compare![0].gainPct!, `${b.compare![0].gainPct} vs ${a.compare![0].gainPct}`);
  assert.match(a.assumptions[0].notes.join('\n'), /objectUseNs = 1000 ns \(assumed/);
});
