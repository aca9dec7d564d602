/**
 * Locks with rules of their own (issue 16): primitives and rules declared in `.slabcheck.json`
 * (each case carries its own), the lock-rule-* checks, and the held-under inference on a
 * zsmalloc-like allocator written for these tests (examples/zsmalloc-like).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { brief, fileTests, registerRuleTests, RuleCase, tempWorkspace } from '../helpers';
import { CONFIG_KEYS, ConfigError, loadConfigFile, validateConfig } from '../../server/src/config/config';
import { Engine } from '../../server/src/engine/engine';
import { queryHeldUnder } from '../../server/src/engine/lock-query';
import { primitivesKey } from '../../server/src/engine/tasks';
import { extractFacts } from '../../server/src/facts/extract';
import { RULE_IDS } from '../../server/src/rules/index';

const test = fileTests(module);

const PRIMS = {
  zpage_read_lock: { class: 'zpage.lock', op: 'lock', mode: 'read' },
  zpage_read_unlock: { class: 'zpage.lock', op: 'unlock', mode: 'read' },
  zpage_write_lock: { class: 'zpage.lock', op: 'lock', mode: 'write' },
  zpage_write_trylock: { class: 'zpage.lock', op: 'trylock', mode: 'write' },
  zpage_write_unlock: { class: 'zpage.lock', op: 'unlock', mode: 'write' },
};

const cfg = (rules: Record<string, unknown>) => JSON.stringify({ lockPrimitives: PRIMS, lockRules: { 'zpage.lock': rules } }, null, 2);

const HDR = `#include <linux/spinlock.h>
struct zclass { spinlock_t lock; };
struct zpage { atomic_t lock; struct zclass *class; void *data; };
struct zpool { rwlock_t lock; struct mutex mlock; };
void zpage_read_lock(struct zpage *z);
void zpage_read_unlock(struct zpage *z);
void zpage_write_lock(struct zpage *z);
int zpage_write_trylock(struct zpage *z);
void zpage_write_unlock(struct zpage *z);
`;

const WRITE = { trylockOnly: true, holderMaySleep: false, atomicOnly: true };

export const LOCK_RULE_CASES: Record<string, RuleCase[]> = {
  'lock-rule-trylock-only': [
    {
      name: 'valid: the writer trylocks and bails out',
      files: {
        '.slabcheck.json': cfg({ write: WRITE }), 'z.h': HDR,
        'z.c': `#include "z.h"
int migrate(struct zpage *z)
{
	spin_lock(&z->class->lock);
	if (!zpage_write_trylock(z)) {
		spin_unlock(&z->class->lock);
		return -EAGAIN;
	}
	zpage_write_unlock(z);
	spin_unlock(&z->class->lock);
	return 0;
}
`,
      },
      expect: [],
    },
    {
      name: 'invalid: a waiting write acquisition, directly and in a helper',
      files: {
        '.slabcheck.json': cfg({ write: WRITE }), 'z.h': HDR,
        'z.c': `#include "z.h"
static void grab(struct zpage *z)
{
	zpage_write_lock(z);
}
void migrate(struct zpage *z)
{
	spin_lock(&z->class->lock);
	zpage_write_lock(z);
	zpage_write_unlock(z);
	grab(z);
	zpage_write_unlock(z);
	spin_unlock(&z->class->lock);
}
`,
      },
      expect: ['lock-rule-trylock-only@z.c:4', 'lock-rule-trylock-only@z.c:9'],
    },
  ],
  'lock-rule-holder-sleeps': [
    {
      name: 'valid: a reader sleeps (readers may), a writer allocates GFP_ATOMIC',
      files: {
        '.slabcheck.json': cfg({ write: WRITE, read: { holderMaySleep: true } }), 'z.h': HDR,
        'z.c': `#include "z.h"
int copy_out(struct zpage *z, size_t n)
{
	void *buf;

	zpage_read_lock(z);
	buf = kmalloc(n, GFP_KERNEL);
	zpage_read_unlock(z);
	kfree(buf);
	return 0;
}
int fill(struct zpage *z)
{
	spin_lock(&z->class->lock);
	if (zpage_write_trylock(z)) {
		z->data = kmalloc(8, GFP_ATOMIC);
		zpage_write_unlock(z);
	}
	spin_unlock(&z->class->lock);
	msleep(1);
	return 0;
}
`,
      },
      expect: [],
    },
    {
      name: 'invalid: the writer calls a helper that may sleep, and takes a mutex',
      files: {
        '.slabcheck.json': cfg({ write: WRITE }), 'z.h': HDR,
        'z.c': `#include "z.h"
static void *slow_alloc(size_t n)
{
	return kmalloc(n, GFP_KERNEL);
}
int fill(struct zpool *pool, struct zpage *z)
{
	spin_lock(&z->class->lock);
	if (!zpage_write_trylock(z)) {
		spin_unlock(&z->class->lock);
		return -EAGAIN;
	}
	z->data = slow_alloc(64);
	zpage_write_unlock(z);
	spin_unlock(&z->class->lock);
	return 0;
}
void flush(struct zpool *pool, struct zpage *z)
{
	spin_lock(&z->class->lock);
	if (zpage_write_trylock(z)) {
		mutex_lock(&pool->mlock);
		mutex_unlock(&pool->mlock);
		zpage_write_unlock(z);
	}
	spin_unlock(&z->class->lock);
}
`,
      },
      expect: ['lock-rule-holder-sleeps@z.c:13', 'lock-rule-holder-sleeps@z.c:22'],
    },
  ],
  'lock-rule-must-hold': [
    {
      name: 'valid: under the pool lock, or in a helper whose every caller holds the class lock',
      files: {
        '.slabcheck.json': cfg({ read: { mustHoldOneOf: ['zpool.lock', 'zclass.lock'] } }), 'z.h': HDR,
        'z.c': `#include "z.h"
void *map(struct zpool *pool, struct zpage *z)
{
	read_lock(&pool->lock);
	zpage_read_lock(z);
	read_unlock(&pool->lock);
	return z->data;
}
static void drain(struct zpage *z)
{
	zpage_read_lock(z);
	zpage_read_unlock(z);
}
void release(struct zclass *class, struct zpage *z)
{
	spin_lock(&class->lock);
	drain(z);
	spin_unlock(&class->lock);
}
`,
      },
      expect: [],
    },
    {
      name: 'invalid: a deferred free with nothing held, a helper one of whose callers holds nothing',
      files: {
        '.slabcheck.json': cfg({ read: { mustHoldOneOf: ['zpool.lock', 'zclass.lock'] } }), 'z.h': HDR,
        'z.c': `#include "z.h"
static void drain(struct zpage *z)
{
	zpage_read_lock(z);
	zpage_read_unlock(z);
}
void release(struct zclass *class, struct zpage *z)
{
	spin_lock(&class->lock);
	drain(z);
	spin_unlock(&class->lock);
}
void release_unlocked(struct zpage *z)
{
	drain(z);
}
static void async_free(struct work_struct *w)
{
	struct zpage *z = w->data;

	zpage_read_lock(z);
	zpage_read_unlock(z);
}
`,
      },
      expect: ['lock-rule-must-hold@z.c:4', 'lock-rule-must-hold@z.c:21'],
    },
  ],
  'lock-rule-trylock-ignored': [
    {
      name: 'valid: tested in the condition, or assigned and tested',
      files: {
        '.slabcheck.json': cfg({ write: WRITE }), 'z.h': HDR,
        'z.c': `#include "z.h"
int a(struct zpage *z)
{
	spin_lock(&z->class->lock);
	if (!zpage_write_trylock(z)) {
		spin_unlock(&z->class->lock);
		return -EAGAIN;
	}
	zpage_write_unlock(z);
	spin_unlock(&z->class->lock);
	return 0;
}
int b(struct zpage *z)
{
	int locked;

	spin_lock(&z->class->lock);
	locked = zpage_write_trylock(z);
	if (locked)
		zpage_write_unlock(z);
	spin_unlock(&z->class->lock);
	return locked;
}
`,
      },
      expect: [],
    },
    {
      name: 'invalid: the trylock called as a statement',
      files: {
        '.slabcheck.json': cfg({ write: WRITE }), 'z.h': HDR,
        'z.c': `#include "z.h"
void a(struct zpage *z)
{
	spin_lock(&z->class->lock);
	zpage_write_trylock(z);
	z->data = 0;
	zpage_write_unlock(z);
	spin_unlock(&z->class->lock);
}
`,
      },
      expect: ['lock-rule-trylock-ignored@z.c:5'],
    },
  ],
  'lock-rule-atomic-only': [
    {
      name: 'valid: under a spinlock, with preemption disabled, or in a helper every caller calls under a spinlock',
      files: {
        '.slabcheck.json': cfg({ write: { atomicOnly: true } }), 'z.h': HDR,
        'z.c': `#include "z.h"
int a(struct zpage *z)
{
	int ok;

	spin_lock(&z->class->lock);
	ok = zpage_write_trylock(z);
	if (ok)
		zpage_write_unlock(z);
	spin_unlock(&z->class->lock);
	return ok;
}
int b(struct zpage *z)
{
	int ok;

	preempt_disable();
	ok = zpage_write_trylock(z);
	if (ok)
		zpage_write_unlock(z);
	preempt_enable();
	return ok;
}
static int try(struct zpage *z)
{
	if (!zpage_write_trylock(z))
		return 0;
	zpage_write_unlock(z);
	return 1;
}
int c(struct zclass *class, struct zpage *z)
{
	int ok;

	spin_lock(&class->lock);
	ok = try(z);
	spin_unlock(&class->lock);
	return ok;
}
`,
      },
      expect: [],
    },
    {
      name: 'invalid: preemptible, nothing held',
      files: {
        '.slabcheck.json': cfg({ write: { atomicOnly: true } }), 'z.h': HDR,
        'z.c': `#include "z.h"
int a(struct zpool *pool, struct zpage *z)
{
	int ok;

	mutex_lock(&pool->mlock);
	ok = zpage_write_trylock(z);
	if (ok)
		zpage_write_unlock(z);
	mutex_unlock(&pool->mlock);
	return ok;
}
`,
      },
      expect: ['lock-rule-atomic-only@z.c:7'],
    },
  ],
  'lock-rule-held-under-outlier': [
    {
      name: 'valid: a class always under a lock, and one never under one (no rule to break)',
      files: {
        'z.h': HDR,
        'z.c': `#include "z.h"
struct obj { spinlock_t lock; struct zclass *class; };
void a(struct obj *o) { spin_lock(&o->class->lock); spin_lock(&o->lock); spin_unlock(&o->lock); spin_unlock(&o->class->lock); }
void b(struct obj *o) { spin_lock(&o->class->lock); spin_lock(&o->lock); spin_unlock(&o->lock); spin_unlock(&o->class->lock); }
void c(struct obj *o) { spin_lock(&o->class->lock); spin_lock(&o->lock); spin_unlock(&o->lock); spin_unlock(&o->class->lock); }
`,
      },
      expect: [],
    },
    {
      name: 'invalid: the zsmalloc-like allocator (examples/zsmalloc-like): the deferred free takes the page lock under nothing',
      files: fixtureFiles(),
      expect: ['lock-rule-held-under-outlier@zpool.c:153'],
    },
  ],
};

function fixtureFiles(): Record<string, string> {
  const dir = path.join(__dirname, '..', '..', '..', 'examples', 'zsmalloc-like');
  return Object.fromEntries(['.slabcheck.json', 'zpool.c'].map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
}

registerRuleTests(LOCK_RULE_CASES, module);

test('config: lockPrimitives and lockRules are validated, the field named', () => {
  const ok = validateConfig({ lockPrimitives: PRIMS, lockRules: { 'zpage.lock': { write: WRITE, read: { mustHoldOneOf: ['a.b'] } } } }, '/x/.slabcheck.json');
  assert.equal(ok.lockPrimitives.zpage_write_trylock.op, 'trylock');
  assert.equal(ok.lockRules['zpage.lock'].write?.trylockOnly, true);
  const bad = (raw: unknown, field: string, msg?: RegExp) => assert.throws(() => validateConfig(raw, '/x/.slabcheck.json'), (e: unknown) => e instanceof ConfigError && e.field === field && (!msg || msg.test(e.message)));
  bad({ lockRules: { 'zpage.lock': { write: { trylockOnly: 'yes' } } } }, 'lockRules."zpage.lock".write.trylockOnly', /expected boolean/);
  bad({ lockRules: { 'zpage.lock': { writer: {} } } }, 'lockRules."zpage.lock".writer');
  bad({ lockRules: { 'zpage.lock': { read: { mustHoldOneOf: [] } } } }, 'lockRules."zpage.lock".read.mustHoldOneOf');
  bad({ lockRules: { 'zpage.lock': { read: { sleeps: true } } } }, 'lockRules."zpage.lock".read.sleeps');
  bad({ lockPrimitives: { f: { class: 'x', op: 'grab', mode: 'read' } } }, 'lockPrimitives.f.op');
  bad({ lockPrimitives: { f: { class: 'x', op: 'lock', mode: 'shared' } } }, 'lockPrimitives.f.mode');
  bad({ lockPrimitives: { f: { op: 'lock', mode: 'read' } } }, 'lockPrimitives.f.class');
  bad({ lockPrimitives: { 'not a name': { class: 'x', op: 'lock', mode: 'read' } } }, 'lockPrimitives."not a name"');
  bad({ lockPrimitives: { f: { class: 'x', op: 'lock', mode: 'read', kind: 'futex' } } }, 'lockPrimitives.f.kind');
});

test('the CLI rejects a bad lockRules entry with the field named (exit 2)', () => {
  const dir = tempWorkspace({ '.slabcheck.json': JSON.stringify({ lockRules: { 'zpage.lock': { write: { trylockOnly: 1 } } } }), 'a.c': 'int x;\n' });
  const { spawnSync } = require('child_process') as typeof import('child_process');
  const r = spawnSync(process.execPath, [path.join(__dirname, '..', '..', '..', 'bin', 'slabcheck.js'), 'check', dir], { encoding: 'utf8', env: { ...process.env } });
  fs.rmSync(dir, { recursive: true, force: true });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /lockRules\."zpage\.lock"\.write\.trylockOnly: expected boolean/);
});

test('schema: every key config.ts accepts is in the schema, every rule id has a severity, and the example validates', () => {
  const schema = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'schemas', 'slabcheck.schema.json'), 'utf8'));
  assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
  assert.deepEqual(Object.keys(schema.properties).sort(), [...CONFIG_KEYS].sort());
  assert.deepEqual(Object.keys(schema.properties.rules.properties).sort(), [...RULE_IDS].sort());
  const rule = schema.properties.lockRules.additionalProperties.properties.write;
  assert.deepEqual(Object.keys(rule.properties).sort(), ['atomicOnly', 'holderMaySleep', 'mustHoldOneOf', 'trylockOnly', 'why']);
  assert.deepEqual(Object.keys(schema.properties.lockRules.additionalProperties.properties).sort(), ['exclusive', 'read', 'write']);
  const prim = schema.properties.lockPrimitives.additionalProperties;
  assert.deepEqual(prim.properties.op.enum, ['lock', 'trylock', 'unlock']);
  assert.deepEqual(prim.properties.mode.enum, ['read', 'write', 'exclusive']);
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));
  assert.ok(pkg.contributes.jsonValidation.some((j: { fileMatch: string; url: string }) => j.fileMatch === '.slabcheck.json' && j.url === './schemas/slabcheck.schema.json'));
  // The shipped example validates against the schema (a small draft-07 subset validator) and config.ts.
  const example = JSON.parse(fixtureFiles()['.slabcheck.json']);
  assert.deepEqual(validate(schema, example, schema), []);
  assert.ok(validateConfig(example, '/x/.slabcheck.json'));
  assert.notDeepEqual(validate(schema, { lockRules: { 'zpage.lock': { write: { trylockOnly: 'yes' } } } }, schema), []);
  assert.notDeepEqual(validate(schema, { lockPrimitives: { f: { class: 'x', op: 'lock' } } }, schema), []);
});

/** The draft-07 keywords the schema uses: type, enum, properties, additionalProperties, required, items, minItems, minLength, pattern, propertyNames. */
function validate(s: Record<string, any>, v: unknown, root: Record<string, any>, at = '$'): string[] { // eslint-disable-line @typescript-eslint/no-explicit-any
  const errs: string[] = [];
  const type = (x: unknown) => (Array.isArray(x) ? 'array' : x === null ? 'null' : Number.isInteger(x) ? 'integer' : typeof x);
  if (s.type && !(s.type === type(v) || (s.type === 'number' && type(v) === 'integer'))) return [`${at}: expected ${s.type}`];
  if (s.enum && !s.enum.includes(v)) errs.push(`${at}: not one of ${s.enum.join(', ')}`);
  if (typeof v === 'string' && s.minLength && v.length < s.minLength) errs.push(`${at}: too short`);
  if (typeof v === 'string' && s.pattern && !new RegExp(s.pattern).test(v)) errs.push(`${at}: pattern`);
  if (Array.isArray(v)) {
    if (s.minItems && v.length < s.minItems) errs.push(`${at}: too few items`);
    if (s.items) v.forEach((x, i) => errs.push(...validate(s.items, x, root, `${at}[${i}]`)));
  }
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    for (const r of s.required ?? []) if (!(r in o)) errs.push(`${at}: ${r} required`);
    for (const [k, x] of Object.entries(o)) {
      if (s.propertyNames?.pattern && !new RegExp(s.propertyNames.pattern).test(k)) errs.push(`${at}.${k}: bad name`);
      if (s.properties?.[k]) errs.push(...validate(s.properties[k], x, root, `${at}.${k}`));
      else if (s.additionalProperties === false) errs.push(`${at}.${k}: not allowed`);
      else if (typeof s.additionalProperties === 'object') errs.push(...validate(s.additionalProperties, x, root, `${at}.${k}`));
    }
  }
  return errs;
}

test('a declared primitive is a lock operation: trylock in a condition, held through a call, cache key', () => {
  const text = `struct zpage { int lock; };
int f(struct zpage *z)
{
	if (!zpage_write_trylock(z))
		return -EAGAIN;
	helper(z);
	zpage_write_unlock(z);
	return 0;
}
`;
  const plain = extractFacts('/w/z.c', text);
  assert.ok(plain.functions[0].events.every((e) => e.k === 'call'), 'without declarations these are calls');
  const facts = extractFacts('/w/z.c', text, undefined, { lockPrimitives: validateConfig({ lockPrimitives: PRIMS }, '/x').lockPrimitives });
  const ev = facts.functions[0].events;
  assert.deepEqual(ev.map((e) => e.k), ['lock', 'call', 'unlock']);
  assert.equal(ev[0].k === 'lock' && ev[0].trylock, true);
  assert.deepEqual(ev[1].held, [0], 'held after a negated trylock that returns');
  assert.deepEqual(facts.functions[0].imbalances, [], 'the unlock matches the trylock (one lock per object)');
  assert.equal(facts.functions[0].locks[0].declared, 'zpage.lock');
  assert.equal(primitivesKey({}), '');
  assert.notEqual(primitivesKey(validateConfig({ lockPrimitives: PRIMS }, '/x').lockPrimitives), '');
});

test('held-under: the zsmalloc-like table, its evidence and outlier; through calls (summaries)', async () => {
  const dir = tempWorkspace(fixtureFiles());
  const e = new Engine({ roots: [dir], jobs: 1, config: loadConfigFile(dir, RULE_IDS).config });
  try {
    const q = await queryHeldUnder(e, 'zpage.lock');
    assert.equal(q.summary, 'zpage.lock: taken under zpool.lock at 4 sites, under zclass.lock at 3 sites, under nothing at 1 (zp_async_free) (6 sites)');
    const drain = q.all.find((s) => s.fn === 'zp_drain')!;
    assert.deepEqual([drain.under, drain.underViaCallers, drain.callers], [[], ['zclass.lock'], 1]);
    assert.deepEqual(q.outliers.map((o) => `${o.fn}:${o.line}`), ['zp_async_free:153']);
    assert.deepEqual(q.all.filter((s) => s.trylock).map((s) => `${s.fn}:${s.mode}`), ['zp_compact_one:write', 'zp_migrate:write']);
    // Through calls: zp_compact() takes the page lock in zp_compact_one(), as a trylock.
    const a = e.analysis;
    const ref = a.resolve('zp_compact', path.join(dir, 'zpool.c'))!;
    const acq = a.summary(ref).acquires.get('zpage.lock');
    assert.equal(acq?.trylock, true);
    assert.equal(acq?.chain.length, 2);
    // The primitives' own bodies are not holder sections: no site there.
    assert.ok(!q.all.some((s) => s.fn.startsWith('zpage_')));
    const r = await e.check();
    assert.deepEqual(brief(r.findings, dir), ['lock-rule-held-under-outlier@zpool.c:153', 'lock-rule-must-hold@zpool.c:153']);
  } finally {
    await e.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('held-under: a helper whose callers disagree is one row per caller, the outlier named through its caller', async () => {
  const files = LOCK_RULE_CASES['lock-rule-must-hold'][1].files;
  const dir = tempWorkspace({ ...files, 'more.c': `#include "z.h"
struct zq { rwlock_t lock; };
void m1(struct zpool *p, struct zpage *z) { read_lock(&p->lock); zpage_read_lock(z); zpage_read_unlock(z); read_unlock(&p->lock); }
void m2(struct zpool *p, struct zpage *z) { read_lock(&p->lock); zpage_read_lock(z); zpage_read_unlock(z); read_unlock(&p->lock); }
void m3(struct zpool *p, struct zpage *z) { read_lock(&p->lock); zpage_read_lock(z); zpage_read_unlock(z); read_unlock(&p->lock); }
void m4(struct zpool *p, struct zpage *z) { read_lock(&p->lock); zpage_read_lock(z); zpage_read_unlock(z); read_unlock(&p->lock); }
void m5(struct zpool *p, struct zpage *z) { read_lock(&p->lock); zpage_read_lock(z); zpage_read_unlock(z); read_unlock(&p->lock); }
` });
  const e = new Engine({ roots: [dir], jobs: 1, config: loadConfigFile(dir, RULE_IDS).config });
  try {
    const q = await queryHeldUnder(e, 'zpage.lock');
    const drain = q.all.filter((s) => s.fn === 'drain').map((s) => `${s.via?.join('<')}:${s.underViaCallers.join(',')}`).sort();
    assert.deepEqual(drain, ['release:zclass.lock', 'release_unlocked:']);
    assert.deepEqual(q.outliers.map((o) => `${o.fn}${o.via ? ` via ${o.via.join(' <- ')}` : ''}`).sort(), ['async_free', 'drain via release_unlocked']);
    const r = await e.check();
    const out = r.findings.filter((f) => f.rule === 'lock-rule-held-under-outlier').map((f) => f.message).sort();
    assert.match(out[1], /^drain\(\) takes zpage\.lock under no lock when called from release_unlocked, where 6 of its 8 sites are under one/);
  } finally {
    await e.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
