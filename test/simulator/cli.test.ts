/** simulateCommand: exit codes and output for good and bad argv. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as os from 'node:os';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { simulateCommand, mmStructModel, defaultCosts, demoDtorModel } from '../../simulator/src/index';
import { REPO, captureOutput } from './helpers';

const run = (argv: string[]) => captureOutput(() => simulateCommand(argv));

test('exec compare prints the throughput table and exits 0', async () => {
  const r = await run(['--compare', '--cpus', '1,24', '--duration-ms', '5']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /== exec throughput, baseline vs ctor\/dtor/);
  assert.match(r.out, /desktop-24 +24 /);
  assert.match(r.out, /result: ok/);
  assert.equal(r.err, '');
});

test('--format json prints the versioned result', async () => {
  const r = await run(['--cpus', '4', '--machine', 'desktop-24', '--duration-ms', '2', '--format', 'json', '--seed', '9']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.version, 2);
  assert.equal(j.seed, 9);
  assert.equal(j.runs[0].cpus, 4);
  assert.equal(j.runs[0].machine, 'desktop-24');
});

test('bad usage exits 2 with a message naming the option', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--cpus', '0'], /--cpus: must be a comma-separated list of integers between 1 and 1024, got "0"/],
    [['--cpus', '1,x'], /--cpus: must be/],
    [['--workload', 'fork'], /--workload: must be exec, lifetime, tc, shrinker, burst, reclaim or deferred-free, got "fork"/],
    [['--sensitivity'], /--sensitivity: needs --compare/],
    [['--memcgs', '10'], /--memcgs\/--writers: only for --workload shrinker/],
    [['--machine', 'cray'], /--machine: unknown machine "cray"/],
    [['--format', 'xml'], /--format: must be text or json/],
    [['--seed', '-3'], /--seed: must be an integer/],
    [['--cost', 'lockAcquireNs=-1'], /--cost: lockAcquireNs must be a non-negative number/],
    [['--cost', 'bogus=1'], /--cost: unknown cost bogus/],
    [['--frobnicate'], /unknown option --frobnicate/],
    [['--cpus'], /--cpus: needs a value/],
    [['--cpus', '300', '--machine', 'server-192'], /cpus: 300 exceeds the 192 threads of machine server-192/],
    [['--models', '/nonexistent/models.json'], /--models: cannot read \/nonexistent\/models.json: ENOENT/],
    [['--compare', '--mode', 'baseline'], /--mode: cannot be combined with --compare/],
  ];
  for (const [argv, re] of cases) {
    const r = await run(argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: exit ${r.code}\n${r.out}\n${r.err}`);
    assert.match(r.err, re, argv.join(' '));
    assert.equal(r.out, '', argv.join(' '));
  }
});

test('a deadlocking scenario exits 1 and prints the splat and the interleaving', async () => {
  const r = await run(['--scenario', path.join(REPO, 'simulator/scenarios/reclaim-deadlock.json')]);
  assert.equal(r.code, 1);
  assert.match(r.out, /possible circular locking dependency detected/);
  assert.match(r.out, /interleaving/);
  assert.match(r.err, /deadlock found/);
});

test('the leaf-lock scenario exits 0', async () => {
  const r = await run(['--scenario', path.join(REPO, 'simulator/scenarios/reclaim-leaf-lock.json')]);
  assert.equal(r.code, 0, r.out + r.err);
});

test('--models accepts both a CacheModel array and {caches: [...]}; bad models exit 2', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slabcheck-sim-'));
  try {
    const arr = path.join(dir, 'a.json');
    const obj = path.join(dir, 'b.json');
    const bad = path.join(dir, 'c.json');
    const broken = path.join(dir, 'd.json');
    writeFileSync(arr, JSON.stringify([mmStructModel(defaultCosts())]));
    writeFileSync(obj, JSON.stringify({ caches: [demoDtorModel('reclaim_demo.mutex', 'mutex')] }));
    writeFileSync(bad, JSON.stringify({ caches: [{ name: 'x', objectSize: { bytes: 'big' } }] }));
    writeFileSync(broken, '{ not json');
    const a = await run(['--models', arr, '--cpus', '2', '--duration-ms', '1']);
    assert.equal(a.code, 0, a.err);
    assert.match(a.out, /cache mm_struct/);
    const b = await run(['--models', obj, '--workload', 'reclaim', '--cpus', '2']);
    assert.equal(b.code, 1, 'demo dtor takes the held mutex: deadlock');
    assert.match(b.out, /fs_reclaim/);
    const c = await run(['--models', bad]);
    assert.equal(c.code, 2);
    assert.match(c.err, /--models: caches\[0\]\.objectSize\.bytes: must be a number > 0, got "big"/);
    const d = await run(['--models', broken]);
    assert.equal(d.code, 2);
    assert.match(d.err, /--models: .*d\.json is not valid JSON/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an invalid scenario exits 2 naming the field', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slabcheck-sim-'));
  try {
    const f = path.join(dir, 's.json');
    writeFileSync(f, JSON.stringify({ version: 1, cpus: 0, programs: [] }));
    const r = await run(['--scenario', f]);
    assert.equal(r.code, 2);
    assert.match(r.err, /cpus: must be an integer between 1 and 1024, got 0/);
    assert.match(r.err, /programs: must be a non-empty array/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--help prints usage and exits 0; a budget stop exits 1 with the message', async () => {
  const h = await run(['--help']);
  assert.equal(h.code, 0);
  assert.match(h.out, /usage: slabcheck simulate/);
  const b = await run(['--cpus', '24', '--max-events', '500']);
  assert.equal(b.code, 1);
  assert.match(b.err, /event budget exhausted: 500 events/);
});
