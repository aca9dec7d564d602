import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { extractFacts } from '../../server/src/facts/extract';

function fn(text: string, name: string) {
  const f = extractFacts('/x/e.c', text);
  const found = f.functions.find((x) => x.name === name);
  assert.ok(found, `function ${name} found; got ${f.functions.map((x) => x.name).join(',')}`);
  return found!;
}

const kinds = (f: ReturnType<typeof fn>) => f.events.map((e) => `${e.k}:${e.fn}`);

test('calls inside macro-shaped code are seen: list_for_each_entry, guard, scoped_guard, #ifdef, __init', () => {
  const f = fn(`
void __init walk(struct pool *pool) __acquires(pool->lock)
{
	struct item *it;

	guard(mutex)(&pool->mlock);
	list_for_each_entry(it, &pool->items, node) {
		spin_lock(&it->ilock);
		kfree(it->buf);
		spin_unlock(&it->ilock);
	}
	scoped_guard(spinlock_irqsave, &pool->lock) {
		inner_call(pool);
	}
#ifdef CONFIG_FOO
	foo_only(pool);
#else
	bar_only(pool);
#endif
	/* spin_lock(&commented); */
	pr_info("spin_lock(&in_string)");
}`, 'walk');
  assert.deepEqual(kinds(f), ['lock:guard(mutex)', 'lock:spin_lock', 'free:kfree', 'unlock:spin_unlock', 'lock:scoped_guard(spinlock_irqsave)', 'call:inner_call', 'call:foo_only', 'call:bar_only', 'call:pr_info']);
  // kfree runs with the mutex guard and the item lock held.
  const free = f.events.find((e) => e.k === 'free')!;
  assert.deepEqual(free.held.map((h) => f.locks[h].text).sort(), ['it->ilock', 'pool->mlock']);
  const inner = f.events.find((e) => e.fn === 'inner_call')!;
  assert.deepEqual(inner.held.map((h) => f.locks[h].text).sort(), ['pool->lock', 'pool->mlock']);
  assert.equal(inner.irqOff, true);
  // After the scoped_guard block the spinlock is released again.
  const after = f.events.find((e) => e.fn === 'foo_only')!;
  assert.deepEqual(after.held.map((h) => f.locks[h].text), ['pool->mlock']);
});

test('spin_lock_init initialises, it does not acquire; #if 0 is dead code', () => {
  const f = fn(`
static void item_ctor(void *obj)
{
	struct item *it = obj;

	spin_lock_init(&it->ilock);
	mutex_init(&it->m);
#if 0
	spin_lock(&it->ilock);
#endif
}`, 'item_ctor');
  assert.deepEqual(kinds(f), []);
});

test('held locks follow branches: early unlock-and-return does not leak into the rest', () => {
  const f = fn(`
int f(struct pool *p)
{
	spin_lock(&p->lock);
	if (p->dead) {
		spin_unlock(&p->lock);
		return -ENOENT;
	}
	after_check(p);
	spin_unlock(&p->lock);
	return 0;
}`, 'f');
  const e = f.events.find((x) => x.fn === 'after_check')!;
  assert.deepEqual(e.held.map((h) => f.locks[h].text), ['p->lock']);
  assert.deepEqual(f.imbalances, []);
});

test('lock classes: container_of, embedded structs, file statics, globals', async () => {
  const { Engine } = await import('../../server/src/engine/engine');
  const { tempWorkspace } = await import('../helpers');
  const dir = tempWorkspace({
    'h.h': 'struct inner { spinlock_t lock; };\nstruct outer { struct inner in; struct list_head node; };\nextern spinlock_t shared_lock;\n',
    'a.c': `#include "h.h"
static DEFINE_SPINLOCK(private_lock);
void a(struct list_head *n)
{
	struct outer *o = container_of(n, struct outer, node);
	spin_lock(&o->in.lock);
	spin_lock(&private_lock);
	spin_lock(&shared_lock);
}`,
    'b.c': `#include "h.h"
static DEFINE_SPINLOCK(private_lock);
void b(struct inner *i)
{
	spin_lock(&i->lock);
	spin_lock(&private_lock);
}`,
  });
  const engine = new Engine({ roots: [dir], jobs: 1 });
  await engine.load();
  const names = (file: string) => {
    const facts = engine.project.facts.get(`${dir}/${file}`)!;
    const f = facts.functions[0];
    return f.events.filter((e) => e.k === 'lock').map((e) => engine.analysis.classOf(facts.path, f, f.locks[(e as { lock: number }).lock]));
  };
  assert.deepEqual(names('a.c'), ['inner.lock', 'a.c:private_lock', 'shared_lock']);
  assert.deepEqual(names('b.c'), ['inner.lock', 'b.c:private_lock']);
  await engine.close();
});

test('call events carry their arguments: text, the parameter passed on, a path from a local and its struct type', () => {
  const text = `
struct kmem_cache *global_cachep;
static int helper_user(struct item *it, gfp_t gfp, struct kmem_cache *cachep)
{
	struct hinfo *h = it->owner;
	int n = 0;

	init_stats(it, (gfp), gfp | __GFP_ZERO);
	bucket_create(h->bucket_cachep, global_cachep, n, cachep);
	pr_info("%d", n);
	long_args(a_really_long_argument_name_that_goes_on + another_really_long_argument_name_for_the_cut);
	it->p = kmem_cache_alloc(cachep, gfp);
	kmem_cache_free(h->bucket_cachep, it);
	return 0;
}
#define __stats_alloc(type, gfp) alloc_percpu_gfp(type, gfp)
#define stats_alloc(type) __stats_alloc(type, GFP_KERNEL)
`;
  const f = fn(text, 'helper_user');
  const call = (name: string) => f.events.find((e) => e.fn === name) as Extract<(typeof f.events)[number], { k: 'call' }>;
  assert.deepEqual(call('init_stats').args, [{ t: 'it', p: 0 }, { t: '(gfp)', p: 1 }, { t: 'gfp | __GFP_ZERO' }]);
  assert.deepEqual(call('bucket_create').args, [{ t: 'h->bucket_cachep', local: true, type: 'hinfo' }, { t: 'global_cachep' }, { t: 'n', local: true }, { t: 'cachep', p: 2 }]);
  // Logging calls are never descended into: no arguments kept.
  assert.equal(call('pr_info').args, undefined);
  const cut = call('long_args').args![0].t;
  assert.equal(cut.length, 80);
  assert.ok(cut.endsWith('...'));
  const alloc = f.events.find((e) => e.k === 'alloc')!;
  assert.deepEqual(alloc.k === 'alloc' && alloc.cacheRef, { t: 'cachep', p: 2 });
  const free = f.events.find((e) => e.k === 'free')!;
  assert.deepEqual(free.k === 'free' && free.cacheRef, { t: 'h->bucket_cachep', local: true, type: 'hinfo' });
  // Function-like macros: their parameters are the macro's.
  const all = extractFacts('/x/e.c', text).functions;
  const m = all.find((x) => x.name === 'stats_alloc')!;
  assert.deepEqual((m.events[0] as { args?: unknown }).args, [{ t: 'type', p: 0 }, { t: 'GFP_KERNEL' }]);
  // JSON-serialisable as they are (no undefined members, nothing lost).
  assert.deepEqual(JSON.parse(JSON.stringify(f.events)), f.events);
});

test('a creation records what its assignment target is in the creating function', () => {
  const f = extractFacts('/x/c.c', `
struct kmem_cache *item_cachep;
int pool_init(struct pool *p)
{
	struct hinfo *h = p->h;
	struct kmem_cache *c;

	p->cache = kmem_cache_create("pool", 64, 0, 0, NULL);
	h->bucket_cachep = kmem_cache_create("bucket", 64, 0, 0, NULL);
	item_cachep = kmem_cache_create("item", 64, 0, 0, NULL);
	c = kmem_cache_create("local", 64, 0, 0, NULL);
	return 0;
}`);
  assert.deepEqual(f.caches.map((c) => c.assignedRef), [
    { t: 'p->cache', local: true, type: 'pool' },
    { t: 'h->bucket_cachep', local: true, type: 'hinfo' },
    { t: 'item_cachep' },
    { t: 'c', local: true },
  ]);
});

test('allocation results are checked or returned by the syntax around their uses, not by their spelling', () => {
  const facts = extractFacts('/x/c.c', `
int t1(struct item *it) { it->counts = alloc_percpu(int); return it->counts ? 0 : -ENOMEM; }
int t2(struct item *it) { it->buf = kmalloc(8, GFP_KERNEL); if (NULL == it->buf) return -ENOMEM; return 0; }
int t3(struct item *it) { it->buf = kmalloc(8, GFP_KERNEL); if (unlikely(!it->buf)) return -ENOMEM; return 0; }
int t4(struct item *it) { it->buf = kmalloc(8, GFP_KERNEL); if (IS_ERR_OR_NULL(it->buf)) return -ENOMEM; return 0; }
int t5(struct item *it) { it->buf = kmalloc(8, GFP_KERNEL); if (it->buf) { use(it); } else return -ENOMEM; return 0; }
int t6(struct item *it) { if (!(it->buf = kmalloc(8, GFP_KERNEL))) return -ENOMEM; return 0; }
int t7(struct s *s) { if (percpu_counter_init(&s->nr, 0, GFP_KERNEL)) return -ENOMEM; return 0; }
int t8(struct item *it) { it->buf = kmalloc(8, GFP_KERNEL); if (it->buf != NULL && it->owner) return 0; return -ENOMEM; }
void t9(struct item *it) { it->buf = kmalloc(8, GFP_KERNEL); BUG_ON(!it->buf); }
int u1(struct item *it) { it->buf = kmalloc(8, GFP_KERNEL); use(it->buf); return 0; }
int u2(struct item *it) { if (!it->buf) return 0; it->buf = kmalloc(8, GFP_KERNEL); return 0; }
int u3(struct item *it) { it->buf = kmalloc(8, GFP_KERNEL); it->n = it->buf->len; return 0; }
void *r1(size_t n, gfp_t gfp) { return kzalloc(n, gfp); }
void *r2(size_t n, gfp_t gfp) { void *p = kzalloc(n, gfp); return p; }
void *r3(size_t n, gfp_t gfp) { return (void *)r1(n, gfp); }
int c1(struct item *it) { it->buf = r1(8, GFP_KERNEL); return it->buf ? 0 : -ENOMEM; }
int c2(struct item *it) { it->buf = r1(8, GFP_KERNEL); return 0; }
`);
  const use = (name: string) => {
    const e = facts.functions.find((f) => f.name === name)!.events.find((x) => x.k === 'alloc' || x.k === 'call')!;
    return `${e.checked ? 'checked' : 'unchecked'}${'returned' in e && e.returned ? ' returned' : ''}`;
  };
  for (const n of ['t1', 't2', 't3', 't4', 't5', 't6', 't7', 't8', 't9', 'c1']) assert.equal(use(n), 'checked', n);
  for (const n of ['u1', 'u2', 'u3', 'c2']) assert.equal(use(n), 'unchecked', n);
  for (const n of ['r1', 'r2', 'r3']) assert.equal(use(n), 'checked returned', n);
  assert.ok(facts.functions.find((f) => f.name === 't1')!.returnsError, 'a conditional return of -ENOMEM returns an error');
});
