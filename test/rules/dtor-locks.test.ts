import * as assert from 'node:assert/strict';
import { checkFiles, fileTests, registerRuleTests, RuleCase } from '../helpers';
import { cacheWith, HDR } from './common';

const test = fileTests(module);

export const cases: Record<string, RuleCase[]> = {
  'dtor-non-leaf-lock': [
    {
      name: 'through a helper that takes the lock it is passed (the class is the argument, pool.lock)',
      files: {
        'hdr.h': HDR,
        'lib.c': `#include "hdr.h"
void lock_and_count(spinlock_t *l, int *n)
{
	unsigned long flags;

	spin_lock_irqsave(l, flags);
	(*n)++;
	spin_unlock_irqrestore(l, flags);
}`,
        'a.c': `#include "hdr.h"
void lock_and_count(spinlock_t *l, int *n);
static DEFINE_SPINLOCK(other_lock);
static int count;
static void item_dtor(void *obj)
{
	struct item *it = obj;

	lock_and_count(&it->owner->lock, &count);
}
void pool_drain(struct pool *p)
{
	spin_lock(&p->lock);
	spin_lock(&other_lock);
	spin_unlock(&other_lock);
	spin_unlock(&p->lock);
}
${cacheWith(null, 'item_dtor')}`,
      },
      expect: ['dtor-non-leaf-lock@a.c:9'],
    },
    {
      name: 'dtor takes a lock that nests another elsewhere',
      files: {
        'a.c': `${HDR}
static DEFINE_SPINLOCK(other_lock);
static void item_dtor(void *obj)
{
	struct item *it = obj;
	unsigned long flags;

	spin_lock_irqsave(&it->owner->lock, flags);
	list_del(&it->buf);
	spin_unlock_irqrestore(&it->owner->lock, flags);
}
void pool_drain(struct pool *p)
{
	spin_lock(&p->lock);
	spin_lock(&other_lock);
	spin_unlock(&other_lock);
	spin_unlock(&p->lock);
}
${cacheWith(null, 'item_dtor')}`,
      },
      expect: ['dtor-non-leaf-lock@a.c:22'],
    },
    {
      name: 'through a helper in another file, nesting in a third file',
      files: {
        'hdr.h': HDR,
        'a.c': `#include "hdr.h"
void item_release(struct item *it);
static void item_dtor(void *obj)
{
	item_release(obj);
}
${cacheWith(null, 'item_dtor')}`,
        'b.c': `#include "hdr.h"
void item_release(struct item *it)
{
	unsigned long flags;
	struct pool *p = it->owner;

	spin_lock_irqsave(&p->lock, flags);
	spin_unlock_irqrestore(&p->lock, flags);
}`,
        'c.c': `#include "hdr.h"
void pool_walk(struct pool *pool)
{
	struct item *it;

	spin_lock(&pool->lock);
	list_for_each_entry(it, &pool->items, node) {
		spin_lock(&it->ilock);
		spin_unlock(&it->ilock);
	}
	spin_unlock(&pool->lock);
}`,
      },
      expect: ['dtor-non-leaf-lock@a.c:5'],
    },
    {
      name: 'a leaf spinlock with irqs off is fine, and so is free_percpu (pcpu_lock is a leaf)',
      files: {
        'a.c': `${HDR}
static void item_dtor(void *obj)
{
	struct item *it = obj;
	unsigned long flags;

	spin_lock_irqsave(&it->ilock, flags);
	it->buf = NULL;
	spin_unlock_irqrestore(&it->ilock, flags);
	free_percpu(it->counts);
}
${cacheWith(null, 'item_dtor')}`,
      },
      expect: [],
    },
    {
      name: 'a trylock under the lock orders nothing',
      files: {
        'a.c': `${HDR}
static DEFINE_SPINLOCK(side_lock);
static void item_dtor(void *obj)
{
	struct item *it = obj;
	unsigned long flags;

	spin_lock_irqsave(&it->ilock, flags);
	spin_unlock_irqrestore(&it->ilock, flags);
}
void opportunistic(struct item *it)
{
	spin_lock(&it->ilock);
	if (spin_trylock(&side_lock))
		spin_unlock(&side_lock);
	spin_unlock(&it->ilock);
}
${cacheWith(null, 'item_dtor')}`,
      },
      expect: [],
    },
    {
      name: 'a dtor that only trylocks the non-leaf lock, bailing out when it is contended, never waits on it',
      files: {
        'a.c': `${HDR}
static DEFINE_SPINLOCK(other_lock);
static void item_dtor(void *obj)
{
	struct item *it = obj;
	unsigned long flags;

	if (!spin_trylock_irqsave(&it->owner->lock, flags))
		return;
	list_del(&it->buf);
	spin_unlock_irqrestore(&it->owner->lock, flags);
}
void pool_drain(struct pool *p)
{
	spin_lock(&p->lock);
	spin_lock(&other_lock);
	spin_unlock(&other_lock);
	spin_unlock(&p->lock);
}
${cacheWith(null, 'item_dtor')}`,
      },
      expect: [],
    },
    {
      name: 'a trylock first, then the same lock taken waiting: reported where it waits',
      files: {
        'a.c': `${HDR}
static DEFINE_SPINLOCK(other_lock);
static void item_dtor(void *obj)
{
	struct item *it = obj;
	unsigned long flags;

	if (spin_trylock_irqsave(&it->owner->lock, flags)) {
		list_del(&it->buf);
		spin_unlock_irqrestore(&it->owner->lock, flags);
		return;
	}
	spin_lock_irqsave(&it->owner->lock, flags);
	list_del(&it->buf);
	spin_unlock_irqrestore(&it->owner->lock, flags);
}
void pool_drain(struct pool *p)
{
	spin_lock(&p->lock);
	spin_lock(&other_lock);
	spin_unlock(&other_lock);
	spin_unlock(&p->lock);
}
${cacheWith(null, 'item_dtor')}`,
      },
      expect: ['dtor-non-leaf-lock@a.c:27'],
    },
    {
      name: 'mainline semantics: no destructor rules',
      semantics: 'mainline',
      files: {
        'a.c': `${HDR}
static DEFINE_SPINLOCK(other_lock);
static void item_dtor(void *obj)
{
	struct item *it = obj;
	spin_lock(&it->owner->lock);
	spin_unlock(&it->owner->lock);
}
void pool_drain(struct pool *p)
{
	spin_lock(&p->lock);
	spin_lock(&other_lock);
	spin_unlock(&other_lock);
	spin_unlock(&p->lock);
}
${cacheWith(null, 'item_dtor')}`,
      },
      expect: [],
    },
  ],

  'dtor-sleeping-lock': [
    {
      name: 'mutex in the dtor and an rwsem through a helper',
      files: {
        'a.c': `${HDR}
static DECLARE_RWSEM(table_sem);
static void table_remove(struct item *it)
{
	down_write(&table_sem);
	up_write(&table_sem);
}
static void item_dtor(void *obj)
{
	struct item *it = obj;

	mutex_lock(&it->owner->mlock);
	mutex_unlock(&it->owner->mlock);
	table_remove(it);
}
${cacheWith(null, 'item_dtor')}`,
      },
      expect: ['dtor-sleeping-lock@a.c:26', 'dtor-sleeping-lock@a.c:28'],
    },
    {
      name: 'an rwsem taken for reading in the dtor sleeps too',
      files: {
        'a.c': `${HDR}
static DECLARE_RWSEM(table_sem);
static void item_dtor(void *obj)
{
	struct item *it = obj;

	down_read(&table_sem);
	it->buf = NULL;
	up_read(&table_sem);
}
${cacheWith(null, 'item_dtor')}`,
      },
      expect: ['dtor-sleeping-lock@a.c:21'],
    },
    {
      name: 'the dtor set in the #else branch of an #ifdef inside kmem_cache_args (the first branch sets another field)',
      files: {
        'a.c': `${HDR}
static void item_dtor(void *obj)
{
	struct item *it = obj;

	mutex_lock(&it->owner->mlock);
	mutex_unlock(&it->owner->mlock);
}
static struct kmem_cache *item_cachep;
static int __init item_cache_init(void)
{
	struct kmem_cache_args args = {
#ifdef CONFIG_ITEM_ALIGNED
		.align = 64,
#else
		.dtor = item_dtor,
#endif
	};

	item_cachep = kmem_cache_create("item", sizeof(struct item), &args, 0);
	return item_cachep ? 0 : -ENOMEM;
}`,
      },
      expect: ['dtor-sleeping-lock@a.c:20'],
    },
    {
      name: 'mutex_trylock does not sleep; guard(spinlock_irqsave) is a spinlock',
      files: {
        'a.c': `${HDR}
static void item_dtor(void *obj)
{
	struct item *it = obj;

	if (mutex_trylock(&it->owner->mlock))
		mutex_unlock(&it->owner->mlock);
	guard(spinlock_irqsave)(&it->ilock);
	it->buf = NULL;
}
${cacheWith(null, 'item_dtor')}`,
      },
      expect: [],
    },
  ],

  'dtor-irq-unsafe-lock': [
    {
      name: 'spin_lock and spin_lock_bh leave hard interrupts on',
      files: {
        'a.c': `${HDR}
static void item_dtor(void *obj)
{
	struct item *it = obj;

	spin_lock(&it->ilock);
	spin_unlock(&it->ilock);
	spin_lock_bh(&it->owner->lock);
	spin_unlock_bh(&it->owner->lock);
}
${cacheWith(null, 'item_dtor')}`,
      },
      expect: ['dtor-irq-unsafe-lock@a.c:20', 'dtor-irq-unsafe-lock@a.c:22'],
    },
    {
      name: 'irqsave, local_irq_save and scoped_guard(spinlock_irqsave) are safe',
      files: {
        'a.c': `${HDR}
static void item_dtor(void *obj)
{
	struct item *it = obj;
	unsigned long flags;

	spin_lock_irqsave(&it->ilock, flags);
	spin_unlock_irqrestore(&it->ilock, flags);
	local_irq_save(flags);
	spin_lock(&it->owner->lock);
	spin_unlock(&it->owner->lock);
	local_irq_restore(flags);
	scoped_guard(spinlock_irqsave, &it->ilock) {
		it->buf = NULL;
	}
}
${cacheWith(null, 'item_dtor')}`,
      },
      expect: [],
    },
  ],

  'dtor-reclaim-deadlock': [
    {
      name: 'GFP_KERNEL allocation under the lock the dtor takes',
      files: {
        'a.c': `${HDR}
static void item_dtor(void *obj)
{
	struct item *it = obj;
	unsigned long flags;

	spin_lock_irqsave(&it->owner->lock, flags);
	spin_unlock_irqrestore(&it->owner->lock, flags);
}
int pool_grow(struct pool *p)
{
	void *buf;

	spin_lock(&p->lock);
	buf = kzalloc(4096, GFP_KERNEL);
	spin_unlock(&p->lock);
	return buf ? 0 : -ENOMEM;
}
${cacheWith(null, 'item_dtor')}`,
      },
      expect: ['dtor-reclaim-deadlock@a.c:21'],
    },
    {
      name: 'GFP_KERNEL passed under the lock to a helper in another file that allocates with its gfp parameter',
      files: {
        'hdr.h': `${HDR}\nvoid *pool_buf_alloc(size_t size, gfp_t gfp);\n`,
        'a.c': `#include "hdr.h"
static void item_dtor(void *obj)
{
	struct item *it = obj;
	unsigned long flags;

	spin_lock_irqsave(&it->owner->lock, flags);
	spin_unlock_irqrestore(&it->owner->lock, flags);
}
int pool_grow(struct pool *p)
{
	void *buf;

	spin_lock(&p->lock);
	buf = pool_buf_alloc(4096, GFP_KERNEL);
	spin_unlock(&p->lock);
	return buf ? 0 : -ENOMEM;
}
${cacheWith(null, 'item_dtor')}`,
        'b.c': `#include "hdr.h"
void *pool_buf_alloc(size_t size, gfp_t gfp)
{
	return kzalloc(size, gfp);
}`,
      },
      expect: ['dtor-reclaim-deadlock@a.c:7'],
    },
    {
      name: 'the dtor trylocks the lock and bails out: it never waits for the allocator holding it',
      files: {
        'a.c': `${HDR}
static void item_dtor(void *obj)
{
	struct item *it = obj;
	unsigned long flags;

	if (!spin_trylock_irqsave(&it->owner->lock, flags))
		return;
	spin_unlock_irqrestore(&it->owner->lock, flags);
}
int pool_grow(struct pool *p)
{
	void *buf;

	spin_lock(&p->lock);
	buf = kzalloc(4096, GFP_KERNEL);
	spin_unlock(&p->lock);
	return buf ? 0 : -ENOMEM;
}
${cacheWith(null, 'item_dtor')}`,
      },
      expect: [],
    },
    {
      name: 'GFP_NOWAIT under the lock, or GFP_KERNEL after unlocking, is fine',
      files: {
        'a.c': `${HDR}
static void item_dtor(void *obj)
{
	struct item *it = obj;
	unsigned long flags;

	spin_lock_irqsave(&it->owner->lock, flags);
	spin_unlock_irqrestore(&it->owner->lock, flags);
}
int pool_grow(struct pool *p)
{
	void *a, *b;

	spin_lock(&p->lock);
	a = kzalloc(64, GFP_NOWAIT);
	spin_unlock(&p->lock);
	b = kzalloc(4096, GFP_KERNEL);
	return a && b ? 0 : -ENOMEM;
}
${cacheWith(null, 'item_dtor')}`,
      },
      expect: [],
    },
  ],
};

registerRuleTests(cases, module);

test('dtor-non-leaf-lock: an error when the nesting leads back to the destructor through reclaim, else a warning', async () => {
  const base = (underOther: string) => ({
    'a.c': `${HDR}
static DEFINE_SPINLOCK(other_lock);
static void item_dtor(void *obj)
{
	struct item *it = obj;
	unsigned long flags;

	spin_lock_irqsave(&it->owner->lock, flags);
	spin_unlock_irqrestore(&it->owner->lock, flags);
}
void pool_drain(struct pool *p)
{
	spin_lock(&p->lock);
	spin_lock(&other_lock);
	spin_unlock(&other_lock);
	spin_unlock(&p->lock);
}
void other_work(struct item *it)
{
	mutex_lock(&it->owner->mlock);
	spin_lock(&other_lock);
	${underOther}
	spin_unlock(&other_lock);
	mutex_unlock(&it->owner->mlock);
}
${cacheWith(null, 'item_dtor')}`,
  });
  const sev = async (underOther: string) => {
    const { findings } = await checkFiles(base(underOther));
    return findings.filter((f) => f.rule === 'dtor-non-leaf-lock').map((f) => `${f.severity}: ${f.message}`);
  };
  const plain = await sev('it->buf = NULL;');
  assert.equal(plain.length, 1);
  assert.match(plain[0], /^warning: .*takes pool\.lock, which is not a leaf lock \(a\.c:other_lock is taken while it is held; no path back to the destructor through reclaim found\)/);
  const reclaim = await sev('it->buf = kmalloc(64, GFP_KERNEL);');
  assert.equal(reclaim.length, 1);
  assert.match(reclaim[0], /^error: .*pool\.lock -> a\.c:other_lock -> fs_reclaim -> item_dtor\(\) -> pool\.lock/);
  // Freeing into a kmalloc cache runs no destructor of this cache.
  const free = await sev('kfree(it->buf);');
  assert.match(free[0], /^warning: /);
});

test('a callee that drops its caller\'s lock before allocating puts no allocation under that lock (maybe_create_worker shape)', async () => {
  const files = (dropFirst: boolean) => ({
    'a.c': `${HDR}
static void item_dtor(void *obj)
{
	struct item *it = obj;
	unsigned long flags;

	spin_lock_irqsave(&it->owner->lock, flags);
	spin_unlock_irqrestore(&it->owner->lock, flags);
}
/* Called with p->lock held; ${dropFirst ? 'drops it to allocate' : 'allocates under it'}. */
static void grow(struct pool *p)
{
${dropFirst ? '\tspin_unlock_irq(&p->lock);\n' : ''}	p->stats = kmalloc(64, GFP_KERNEL);
${dropFirst ? '\tspin_lock_irq(&p->lock);\n' : ''}}
void manage(struct pool *p)
{
	spin_lock_irq(&p->lock);
	grow(p);
	spin_unlock_irq(&p->lock);
}
${cacheWith(null, 'item_dtor')}`,
  });
  const deadlock = async (dropFirst: boolean) => (await checkFiles(files(dropFirst))).findings.filter((f) => f.rule === 'dtor-reclaim-deadlock').length;
  assert.equal(await deadlock(false), 1);
  assert.equal(await deadlock(true), 0);
});
