/**
 * The shrinker family (seeds/003): every rule's valid and invalid cases, run whole-workspace and
 * demand-driven (registerRuleTests), plus the registry's reading of each form and the code actions.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { checkFiles, registerRuleTests, RuleCase, tempWorkspace } from '../helpers';
import { Engine } from '../../server/src/engine/engine';

/** What a 6.7+ tree's include/linux/shrinker.h declares (written here, not copied). */
export const SHRINKER_H = `struct shrink_control { unsigned long gfp_mask; unsigned long nr_to_scan; };
struct shrinker {
	unsigned long (*count_objects)(struct shrinker *, struct shrink_control *sc);
	unsigned long (*scan_objects)(struct shrinker *, struct shrink_control *sc);
	long batch;
	int seeks;
	unsigned flags;
	void *private_data;
};
#define SHRINK_STOP (~0UL)
#define DEFAULT_SEEKS 2
struct shrinker *shrinker_alloc(unsigned int flags, const char *fmt, ...);
void shrinker_register(struct shrinker *shrinker);
void shrinker_free(struct shrinker *shrinker);
`;
/** The 6.1 header: the caller owns the struct shrinker. */
export const OLD_SHRINKER_H = `struct shrink_control { unsigned long gfp_mask; unsigned long nr_to_scan; };
struct shrinker {
	unsigned long (*count_objects)(struct shrinker *, struct shrink_control *sc);
	unsigned long (*scan_objects)(struct shrinker *, struct shrink_control *sc);
	int seeks;
};
#define SHRINK_STOP (~0UL)
#define DEFAULT_SEEKS 2
int register_shrinker(struct shrinker *shrinker, const char *fmt, ...);
void unregister_shrinker(struct shrinker *shrinker);
`;

const POOL = `#include "shrinker.h"
struct pool {
	struct mutex lock;
	struct shrinker *shrinker;
	long nr;
	void *buf;
};
`;

/** A pool whose shrinker is set up with shrinker_alloc(); `scan` is the scan_objects body. */
function newApiPool(scan: string, extra = ''): string {
	return `${POOL}
static unsigned long pool_count(struct shrinker *s, struct shrink_control *sc)
{
	struct pool *p = s->private_data;

	return p->nr;
}
static unsigned long pool_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct pool *p = s->private_data;
${scan}
	return 0;
}
${extra}
int pool_init(struct pool *p)
{
	p->shrinker = shrinker_alloc(0, "pool");
	if (!p->shrinker)
		return -ENOMEM;
	p->shrinker->count_objects = pool_count;
	p->shrinker->scan_objects = pool_scan;
	p->shrinker->private_data = p;
	shrinker_register(p->shrinker);
	return 0;
}
void pool_destroy(struct pool *p)
{
	shrinker_free(p->shrinker);
	kfree(p);
}
`;
}

const GROW_UNDER_LOCK = `
void pool_grow(struct pool *p)
{
	mutex_lock(&p->lock);
	p->buf = kmalloc(4096, GFP_KERNEL);
	mutex_unlock(&p->lock);
}`;

export const cases: Record<string, RuleCase[]> = {
  'shrinker-reclaim-deadlock': [
    {
      name: 'scan_objects waits for a mutex held across a GFP_KERNEL allocation',
      files: { 'shrinker.h': SHRINKER_H, 'pool.c': newApiPool('\tmutex_lock(&p->lock);\n\tp->nr = 0;\n\tmutex_unlock(&p->lock);', GROW_UNDER_LOCK) },
      expect: ['shrinker-reclaim-deadlock@pool.c:18'],
    },
    {
      name: 'through a helper in another file, the allocation in a third',
      files: {
        'shrinker.h': SHRINKER_H,
        'pool.c': `${POOL}\nvoid pool_trim(struct pool *p);\n${newApiPool('\tpool_trim(p);').slice(POOL.length)}`,
        'trim.c': `${POOL}\nvoid pool_trim(struct pool *p)\n{\n\tmutex_lock(&p->lock);\n\tp->nr = 0;\n\tmutex_unlock(&p->lock);\n}\n`,
        'grow.c': `${POOL}${GROW_UNDER_LOCK}\n`,
      },
      expect: ['shrinker-reclaim-deadlock@pool.c:20'],
    },
    {
      name: 'valid: the callback takes the lock with mutex_trylock and returns SHRINK_STOP',
      files: { 'shrinker.h': SHRINKER_H, 'pool.c': newApiPool('\tif (!mutex_trylock(&p->lock))\n\t\treturn SHRINK_STOP;\n\tp->nr = 0;\n\tmutex_unlock(&p->lock);', GROW_UNDER_LOCK) },
      expect: [],
    },
    {
      name: 'valid: the allocation under the lock cannot enter reclaim (GFP_NOWAIT)',
      files: { 'shrinker.h': SHRINKER_H, 'pool.c': newApiPool('\tmutex_lock(&p->lock);\n\tp->nr = 0;\n\tmutex_unlock(&p->lock);', GROW_UNDER_LOCK.replace('GFP_KERNEL', 'GFP_NOWAIT')) },
      expect: [],
    },
  ],
  'shrinker-reclaim-alloc': [
    {
      name: 'scan_objects allocates with GFP_KERNEL',
      files: { 'shrinker.h': SHRINKER_H, 'pool.c': newApiPool('\tp->buf = kmalloc(64, GFP_KERNEL);') },
      expect: ['shrinker-reclaim-alloc@pool.c:18'],
    },
    {
      name: 'count_objects allocates in a callee defined in another file (old API, designated initialiser)',
      files: {
        'shrinker.h': OLD_SHRINKER_H,
        'cache.c': `#include "shrinker.h"
void *cache_stats(void);
static unsigned long cache_count(struct shrinker *s, struct shrink_control *sc)
{
	return cache_stats() != 0;
}
static unsigned long cache_scan(struct shrinker *s, struct shrink_control *sc)
{
	return 0;
}
static struct shrinker cache_shrinker = {
	.count_objects = cache_count,
	.scan_objects = cache_scan,
	.seeks = DEFAULT_SEEKS,
};
int cache_init(void)
{
	return register_shrinker(&cache_shrinker, "cache");
}
`,
        'stats.c': `void *cache_stats(void)
{
	return kzalloc(128, GFP_KERNEL);
}
`,
      },
      expect: ['shrinker-reclaim-alloc@cache.c:5'],
    },
    {
      name: 'valid: allocates with the reclaimer\'s sc->gfp_mask or GFP_NOWAIT',
      files: { 'shrinker.h': SHRINKER_H, 'pool.c': newApiPool('\tp->buf = kmalloc(64, sc->gfp_mask);\n\tp->buf = kmalloc(64, GFP_NOWAIT);') },
      expect: [],
    },
  ],
  'shrinker-unbounded-wait': [
    {
      name: 'scan_objects calls synchronize_rcu() through a helper',
      files: { 'shrinker.h': SHRINKER_H, 'pool.c': newApiPool('\tpool_sync(p);', 'static void pool_sync(struct pool *p)\n{\n\tsynchronize_rcu();\n}') },
      expect: ['shrinker-unbounded-wait@pool.c:18'],
    },
    {
      name: 'valid: bounded wait',
      files: { 'shrinker.h': SHRINKER_H, 'pool.c': newApiPool('\tmsleep(1);\n\twait_event_timeout(q, p->nr == 0, 10);') },
      expect: [],
    },
  ],
  'shrinker-removed-api': [
    {
      name: 'register_shrinker()/unregister_shrinker() on a tree with shrinker_alloc()',
      files: {
        'shrinker.h': SHRINKER_H,
        'mod.c': `#include "shrinker.h"
static unsigned long m_count(struct shrinker *s, struct shrink_control *sc)
{
	return 1;
}
static unsigned long m_scan(struct shrinker *s, struct shrink_control *sc)
{
	return 0;
}
static struct shrinker m_shrinker = {
	.count_objects = m_count,
	.scan_objects = m_scan,
	.seeks = DEFAULT_SEEKS,
};
static int __init m_init(void)
{
	return register_shrinker(&m_shrinker, "m");
}
static void __exit m_exit(void)
{
	unregister_shrinker(&m_shrinker);
}
module_exit(m_exit);
`,
      },
      expect: ['shrinker-removed-api@mod.c:17', 'shrinker-removed-api@mod.c:21'],
    },
    {
      name: 'a global shrinker defined in one file and registered in another',
      files: {
        'shrinker.h': SHRINKER_H,
        'quota.c': `#include "shrinker.h"
static unsigned long q_count(struct shrinker *s, struct shrink_control *sc)
{
	return 1;
}
static unsigned long q_scan(struct shrinker *s, struct shrink_control *sc)
{
	return 0;
}
struct shrinker q_shrinker = {
	.count_objects = q_count,
	.scan_objects = q_scan,
};
`,
        'main.c': `#include "shrinker.h"
extern struct shrinker q_shrinker;
int q_init(void)
{
	return register_shrinker(&q_shrinker, "q");
}
`,
      },
      expect: ['shrinker-removed-api@main.c:5'],
    },
    {
      name: 'valid: the old API on a tree without shrinker_alloc() (6.1)',
      files: {
        'shrinker.h': OLD_SHRINKER_H,
        'mod.c': `#include "shrinker.h"
static unsigned long m_count(struct shrinker *s, struct shrink_control *sc)
{
	return 1;
}
static unsigned long m_scan(struct shrinker *s, struct shrink_control *sc)
{
	return 0;
}
static struct shrinker m_shrinker = {
	.count_objects = m_count,
	.scan_objects = m_scan,
};
int m_init(void)
{
	return register_shrinker(&m_shrinker, "m");
}
`,
      },
      expect: [],
    },
  ],
  'shrinker-lifetime': [
    {
      name: 'the object behind private_data is freed before shrinker_free()',
      files: { 'shrinker.h': SHRINKER_H, 'pool.c': newApiPool('').replace('\tshrinker_free(p->shrinker);\n\tkfree(p);', '\tkfree(p);\n\tshrinker_free(p->shrinker);') },
      expect: ['shrinker-lifetime@pool.c:35'],
    },
    {
      name: 'a module registers a shrinker and its exit never frees it',
      files: {
        'shrinker.h': SHRINKER_H,
        'mod.c': `#include "shrinker.h"
static struct shrinker *m_shrinker;
static unsigned long m_count(struct shrinker *s, struct shrink_control *sc)
{
	return 1;
}
static unsigned long m_scan(struct shrinker *s, struct shrink_control *sc)
{
	return 0;
}
static int __init m_init(void)
{
	m_shrinker = shrinker_alloc(0, "m");
	if (!m_shrinker)
		return -ENOMEM;
	m_shrinker->count_objects = m_count;
	m_shrinker->scan_objects = m_scan;
	shrinker_register(m_shrinker);
	return 0;
}
static void __exit m_exit(void)
{
}
module_init(m_init);
module_exit(m_exit);
`,
      },
      expect: ['shrinker-lifetime@mod.c:18'],
    },
    {
      name: 'the object is freed through a helper before shrinker_free()',
      files: {
        'shrinker.h': SHRINKER_H,
        'pool.c': newApiPool('').replace('\tshrinker_free(p->shrinker);\n\tkfree(p);', '\tpool_release(p);\n\tshrinker_free(p->shrinker);'),
        'release.c': 'void pool_release(void *obj)\n{\n\tkfree(obj);\n}\n',
      },
      expect: ['shrinker-lifetime@pool.c:35'],
    },
    {
      name: 'valid: shrinker_free() first, then the object',
      files: { 'shrinker.h': SHRINKER_H, 'pool.c': newApiPool('') },
      expect: [],
    },
  ],
  'shrinker-unresolved-callback': [
    {
      name: 'a callback with no definition, and one that is an expression',
      files: {
        'shrinker.h': SHRINKER_H,
        'a.c': `#include "shrinker.h"
unsigned long ext_count(struct shrinker *s, struct shrink_control *sc);
struct ops { unsigned long (*scan)(struct shrinker *, struct shrink_control *); };
int a_init(struct ops *ops)
{
	struct shrinker *s = shrinker_alloc(0, "a");

	if (!s)
		return -ENOMEM;
	s->count_objects = ext_count;
	s->scan_objects = ops->scan;
	shrinker_register(s);
	return 0;
}
`,
      },
      expect: ['shrinker-unresolved-callback@a.c:10', 'shrinker-unresolved-callback@a.c:11'],
    },
    {
      name: 'a registered shrinker whose callbacks are set elsewhere',
      files: { 'shrinker.h': SHRINKER_H, 'b.c': `#include "shrinker.h"\nvoid setup(struct shrinker *s);\nint b_init(void)\n{\n\tstruct shrinker *s = shrinker_alloc(0, "b");\n\n\tsetup(s);\n\tshrinker_register(s);\n\treturn 0;\n}\n` },
      expect: ['shrinker-unresolved-callback@b.c:8'],
    },
    {
      name: 'callbacks that are parameters of the helper that sets them up',
      files: {
        'shrinker.h': SHRINKER_H,
        'c.c': `#include "shrinker.h"
typedef unsigned long (*cb_t)(struct shrinker *, struct shrink_control *);
int c_init(struct shrinker **out, cb_t count, cb_t scan)
{
	struct shrinker *s = shrinker_alloc(0, "c");

	if (!s)
		return -ENOMEM;
	s->count_objects = count;
	s->scan_objects = scan;
	shrinker_register(s);
	*out = s;
	return 0;
}
`,
      },
      expect: ['shrinker-unresolved-callback@c.c:9', 'shrinker-unresolved-callback@c.c:10'],
    },
    {
      name: 'valid: a shrinker with count_objects only (it does the work and returns 0)',
      files: { 'shrinker.h': SHRINKER_H, 'x.c': `#include "shrinker.h"
static unsigned long x_count(struct shrinker *s, struct shrink_control *sc)
{
	return 0;
}
int x_init(void)
{
	struct shrinker *s = shrinker_alloc(0, "x");

	if (!s)
		return -ENOMEM;
	s->count_objects = x_count;
	shrinker_register(s);
	return 0;
}
` },
      expect: [],
    },
    {
      name: 'valid: a helper sets the shrinker up and returns it; its result is registered',
      files: {
        'shrinker.h': SHRINKER_H,
        'z.c': `#include "shrinker.h"
static struct shrinker *z_shrinker;
static unsigned long z_count(struct shrinker *s, struct shrink_control *sc)
{
	return 0;
}
static unsigned long z_scan(struct shrinker *s, struct shrink_control *sc)
{
	return 0;
}
static struct shrinker *z_alloc_shrinker(void)
{
	struct shrinker *shrinker = shrinker_alloc(0, "z");

	if (!shrinker)
		return NULL;
	shrinker->count_objects = z_count;
	shrinker->scan_objects = z_scan;
	return shrinker;
}
int z_init(void)
{
	z_shrinker = z_alloc_shrinker();
	if (!z_shrinker)
		return -ENOMEM;
	shrinker_register(z_shrinker);
	return 0;
}
`,
      },
      expect: [],
    },
    {
      name: 'valid: both callbacks resolved',
      files: { 'shrinker.h': SHRINKER_H, 'pool.c': newApiPool('') },
      expect: [],
    },
  ],
};

registerRuleTests(cases, module);

if (require.main === module) {
  test('registry: every form, names, callbacks resolved across files', async () => {
    const dir = tempWorkspace({
      'shrinker.h': SHRINKER_H,
      'pool.c': newApiPool(''),
      'emb.c': `#include "shrinker.h"
struct sb { struct shrinker s_shrink; long n; };
unsigned long sb_count(struct shrinker *s, struct shrink_control *sc);
unsigned long sb_scan(struct shrinker *s, struct shrink_control *sc);
int sb_init(struct sb *sb)
{
	sb->s_shrink.count_objects = sb_count;
	sb->s_shrink.scan_objects = sb_scan;
	return register_shrinker(&sb->s_shrink, "sb-%s", "x");
}
`,
      'emb_cb.c': `#include "shrinker.h"
unsigned long sb_count(struct shrinker *s, struct shrink_control *sc)
{
	return 0;
}
unsigned long sb_scan(struct shrinker *s, struct shrink_control *sc)
{
	return 0;
}
`,
    });
    for (const fullThreshold of [undefined, 0]) {
      const e = new Engine({ roots: [dir], jobs: 1, fullThreshold });
      const ss = await e.shrinkers();
      const eps = await e.entryPoints();
      await e.close();
      const brief = ss.map((s) => `${path.basename(s.file)} ${s.target} '${s.name}' ${s.api} ${s.callbacks.map((c) => `${c.role}=${c.fn ? `${c.fn.fn.name}@${path.basename(c.fn.file)}` : 'unresolved'}`).join(' ')}`).sort();
      assert.deepEqual(brief, [
        "emb.c sb->s_shrink 'sb-%s' register_shrinker count_objects=sb_count@emb_cb.c scan_objects=sb_scan@emb_cb.c",
        "pool.c p->shrinker 'pool' shrinker_alloc count_objects=pool_count@pool.c scan_objects=pool_scan@pool.c",
      ], `mode ${fullThreshold}`);
      assert.deepEqual(eps.filter((x) => x.family === 'shrinker').map((x) => `${x.context.id}:${x.name}`).sort(), ['shrinker-count:pool_count', 'shrinker-count:sb_count', 'shrinker-scan:pool_scan', 'shrinker-scan:sb_scan']);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('an edit that turns the acquisition into a trylock clears the finding (editor, both modes)', async () => {
    const pool = newApiPool('\tmutex_lock(&p->lock);\n\tp->nr = 0;\n\tmutex_unlock(&p->lock);', GROW_UNDER_LOCK);
    const dir = tempWorkspace({ 'shrinker.h': SHRINKER_H, 'pool.c': pool });
    for (const fullThreshold of [undefined, 0]) {
      const e = new Engine({ roots: [dir], jobs: 1, fullThreshold, semantics: 'mainline' });
      const n = async () => (await e.check()).findings.filter((f) => f.rule === 'shrinker-reclaim-deadlock').length;
      assert.equal(await n(), 1);
      e.updateDocument(path.join(dir, 'pool.c'), pool.replace('\tmutex_lock(&p->lock);\n\tp->nr = 0;', '\tif (!mutex_trylock(&p->lock))\n\t\treturn SHRINK_STOP;\n\tp->nr = 0;'));
      assert.equal(await n(), 0);
      e.updateDocument(path.join(dir, 'pool.c'), pool);
      assert.equal(await n(), 1);
      await e.close();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('trylock code action on a direct waiting acquisition', async () => {
    const { findings, dir } = await checkFiles({ 'shrinker.h': SHRINKER_H, 'pool.c': newApiPool('\tmutex_lock(&p->lock);\n\tp->nr = 0;\n\tmutex_unlock(&p->lock);', GROW_UNDER_LOCK) }, 'mainline');
    const f = findings.find((x) => x.rule === 'shrinker-reclaim-deadlock')!;
    assert.ok(f, 'finding');
    assert.match(f.message, /scan_objects callback pool_scan\(\) of shrinker 'pool' waits for pool\.lock/);
    assert.ok(f.related.some((r) => /allocates with kmalloc\(GFP_KERNEL\)/.test(r.note)), f.related.map((r) => r.note).join('\n'));
    assert.equal(f.fixes?.[0].edits[0].newText, '\tif (!mutex_trylock(&p->lock))\n\t\treturn SHRINK_STOP;');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('old-API code action on an embedded shrinker: a pointer from shrinker_alloc(), private_data for container_of()', async () => {
    const files = {
      'shrinker.h': SHRINKER_H,
      'foo.c': `#include "shrinker.h"
struct foo {
	long nr;
	struct shrinker shrinker;
};
static unsigned long foo_count(struct shrinker *s, struct shrink_control *sc)
{
	struct foo *f = container_of(s, struct foo, shrinker);

	return f->nr;
}
static unsigned long foo_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct foo *f = container_of(s, struct foo, shrinker);

	f->nr = 0;
	return 0;
}
int foo_init(struct foo *f)
{
	f->shrinker.count_objects = foo_count;
	f->shrinker.scan_objects = foo_scan;
	f->shrinker.seeks = DEFAULT_SEEKS;
	return register_shrinker(&f->shrinker, "foo");
}
void foo_exit(struct foo *f)
{
	unregister_shrinker(&f->shrinker);
}
`,
    };
    const { findings, dir } = await checkFiles(files, 'mainline');
    const f = findings.find((x) => x.rule === 'shrinker-removed-api')!;
    const fix = f?.fixes?.[0];
    assert.ok(fix, findings.map((x) => x.message).join('\n'));
    const text = files['foo.c'];
    const lines = text.split('\n');
    const off = (l: number, col: number) => lines.slice(0, l).reduce((n, s) => n + s.length + 1, 0) + col;
    let out = text;
    for (const e of [...fix.edits].sort((a, b) => off(b.span[0], b.span[1]) - off(a.span[0], a.span[1]))) out = out.slice(0, off(e.span[0], e.span[1])) + e.newText + out.slice(off(e.span[2], e.span[3]));
    assert.match(out, /struct shrinker \*shrinker;/);
    assert.match(out, /f->shrinker = shrinker_alloc\(0, "foo"\);\n\tif \(!f->shrinker\)\n\t\treturn -ENOMEM;\n\tf->shrinker->count_objects = foo_count;/);
    assert.match(out, /f->shrinker->private_data = f;\n\tshrinker_register\(f->shrinker\);\n\treturn 0;/);
    assert.match(out, /struct foo \*f = s->private_data;/);
    assert.doesNotMatch(out, /container_of|register_shrinker\(&|unregister_shrinker/);
    const again = await checkFiles({ ...files, 'foo.c': out }, 'mainline');
    assert.deepEqual(again.findings.filter((x) => x.rule.startsWith('shrinker-')).map((x) => `${x.rule} ${x.message}`), []);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(again.dir, { recursive: true, force: true });
  });

  test('old-API code action rewrites to shrinker_alloc/shrinker_register/shrinker_free', async () => {
    const c = cases['shrinker-removed-api'][0];
    const { findings, dir } = await checkFiles(c.files, 'mainline');
    const f = findings.find((x) => x.rule === 'shrinker-removed-api')!;
    const fix = f.fixes?.[0];
    assert.ok(fix, 'a fix');
    const text = c.files['mod.c'];
    const lines = text.split('\n');
    const off = (l: number, col: number) => lines.slice(0, l).reduce((n, s) => n + s.length + 1, 0) + col;
    let out = text;
    for (const e of [...fix.edits].sort((a, b) => off(b.span[0], b.span[1]) - off(a.span[0], a.span[1]))) {
      out = out.slice(0, off(e.span[0], e.span[1])) + e.newText + out.slice(off(e.span[2], e.span[3]));
    }
    assert.match(out, /static struct shrinker \*m_shrinker;/);
    assert.match(out, /m_shrinker = shrinker_alloc\(0, "m"\);\n\tif \(!m_shrinker\)\n\t\treturn -ENOMEM;\n\tm_shrinker->count_objects = m_count;\n\tm_shrinker->scan_objects = m_scan;\n\tm_shrinker->seeks = DEFAULT_SEEKS;\n\tshrinker_register\(m_shrinker\);\n\treturn 0;/);
    assert.match(out, /shrinker_free\(m_shrinker\);/);
    assert.doesNotMatch(out, /register_shrinker\(&|unregister_shrinker/);
    // The rewritten file is a clean new-API shrinker.
    const again = await checkFiles({ ...c.files, 'mod.c': out }, 'mainline');
    assert.deepEqual(again.findings.filter((x) => x.rule.startsWith('shrinker-')).map((x) => x.rule), []);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(again.dir, { recursive: true, force: true });
  });
}
