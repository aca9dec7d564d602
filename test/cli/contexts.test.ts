/** `slabcheck contexts`: entry points by context, text and JSON, --context, --help; `check` counts shrinkers. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempWorkspace } from '../helpers';
import { cases } from '../rules/shrinker.test';

const ROOT = path.join(__dirname, '../../..');
const BIN = path.join(ROOT, 'bin/slabcheck.js');
const cli = (args: string[], cwd = ROOT) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

test('contexts: text, json, --context, --help; check summary counts shrinkers', () => {
  const dir = tempWorkspace({
    ...cases['shrinker-reclaim-deadlock'][0].files,
    'c.c': 'struct kmem_cache *c;\nstatic void c_ctor(void *p)\n{\n}\nvoid c_init(void)\n{\n\tc = kmem_cache_create("c", 8, 0, 0, c_ctor);\n}\n',
  });
  try {
    const t = cli(['contexts', '.', '--no-cache'], dir);
    assert.equal(t.code, 0, t.err);
    assert.match(t.out, /^shrinker-scan: reclaim \(shrinker scan_objects\)$/m);
    assert.match(t.out, /^ {2}pool_scan \(scan_objects of shrinker 'pool', registered at pool\.c:\d+\): pool\.c:\d+$/m);
    assert.match(t.out, /^ {2}c_ctor \(ctor of cache "c", registered at c\.c:7\): c\.c:2$/m);
    assert.match(t.out, /^3 entry points in 3 contexts \(3 resolved\), 1 shrinkers$/m);
    const j = JSON.parse(cli(['contexts', '.', '--no-cache', '--format', 'json'], dir).out);
    assert.deepEqual(j.summary, { entryPoints: 3, resolved: 3, shrinkers: 1 });
    assert.deepEqual(j.shrinkers.map((s: { name: string; api: string; callbacks: { role: string }[] }) => [s.name, s.api, s.callbacks.map((c) => c.role)]), [['pool', 'shrinker_alloc', ['count_objects', 'scan_objects']]]);
    const only = cli(['contexts', '.', '--no-cache', '--context', 'shrinker-count'], dir);
    assert.match(only.out, /^1 entry points in 1 contexts/m);
    assert.equal(cli(['contexts', '.', '--context', 'nope'], dir).code, 2);
    const h = cli(['contexts', '--help']);
    assert.equal(h.code, 0);
    assert.match(h.out, /^usage: slabcheck contexts/);
    const c = cli(['check', '.', '--no-cache'], dir);
    assert.equal(c.code, 1);
    assert.match(c.out, /1 shrinkers \(2 of 2 callbacks resolved\), 1 errors, 0 warnings$/m);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
