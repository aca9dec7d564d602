import { registerRuleTests, RuleCase } from '../helpers';
import { cacheWith, HDR } from './common';

export const cases: Record<string, RuleCase[]> = {
  'ctor-allocates': [
    {
      name: 'mainline: any allocation in a ctor is a warning',
      semantics: 'mainline',
      files: {
        'a.c': `${HDR}
static void item_ctor(void *obj)
{
	struct item *it = obj;

	it->buf = kmalloc(64, GFP_KERNEL);
}
static struct kmem_cache *item_cachep;
void init(void)
{
	item_cachep = kmem_cache_create("item", sizeof(struct item), 0, 0, item_ctor);
}`,
      },
      expect: ['ctor-allocates@a.c:20'],
    },
    {
      name: 'allocating from its own cache is an error in any semantics',
      semantics: 'mainline',
      files: {
        'a.c': `${HDR}
static struct kmem_cache *item_cachep;
static void item_ctor(void *obj)
{
	struct item *it = obj;

	it->buf = kmem_cache_alloc(item_cachep, GFP_KERNEL);
}
void init(void)
{
	item_cachep = kmem_cache_create("item", sizeof(struct item), 0, 0, item_ctor);
}`,
      },
      expect: ['ctor-allocates@a.c:21'],
    },
    {
      name: 'dtor-rfc: unchecked allocation is reported',
      files: {
        'a.c': `${HDR}
static int item_ctor(void *obj)
{
	struct item *it = obj;

	it->counts = alloc_percpu(int);
	return 0;
}
${cacheWith('item_ctor', null)}`,
      },
      expect: ['ctor-allocates@a.c:20'],
    },
    {
      name: 'dtor-rfc: checked allocation whose failure is returned is fine',
      files: {
        'a.c': `${HDR}
static int item_ctor(void *obj)
{
	struct item *it = obj;

	it->counts = alloc_percpu(int);
	if (!it->counts)
		return -ENOMEM;
	return 0;
}
static void item_dtor(void *obj)
{
	struct item *it = obj;

	free_percpu(it->counts);
}
${cacheWith('item_ctor', 'item_dtor')}`,
      },
      expect: [],
    },
    {
      name: 'dtor-rfc: a check written as NULL == p, or as the condition of the returned value, is a check',
      files: {
        'a.c': `${HDR}
static int item_ctor(void *obj)
{
	struct item *it = obj;

	it->buf = kzalloc(64, GFP_KERNEL);
	if (NULL == it->buf)
		return -ENOMEM;
	it->counts = alloc_percpu(int);
	return it->counts ? 0 : -ENOMEM;
}
${cacheWith('item_ctor', null)}`,
      },
      expect: [],
    },
    {
      name: 'dtor-rfc: an allocation a wrapper in another file returns is the ctor\'s to check',
      files: {
        'hdr.h': `${HDR}\nvoid *item_buf_alloc(size_t size, gfp_t gfp);\n`,
        'a.c': `#include "hdr.h"
static int item_ctor(void *obj)
{
	struct item *it = obj;

	it->buf = item_buf_alloc(64, GFP_KERNEL);
	return 0;
}
static int thing_ctor(void *obj)
{
	struct item *it = obj;

	it->buf = item_buf_alloc(64, GFP_KERNEL);
	if (unlikely(!it->buf))
		return -ENOMEM;
	return 0;
}
${cacheWith('item_ctor', null)}
${cacheWith('thing_ctor', null, 'thing_cachep').replace('item_cache_init', 'thing_cache_init')}`,
        'b.c': `#include "hdr.h"
void *item_buf_alloc(size_t size, gfp_t gfp)
{
	return kzalloc(size, gfp);
}`,
      },
      expect: ['ctor-allocates@a.c:6'],
    },
    {
      name: 'mainline: an allocation returned by a wrapper is still the ctor\'s',
      semantics: 'mainline',
      files: {
        'a.c': `${HDR}
static void *item_buf_alloc(size_t size)
{
	void *p = kmalloc(size, GFP_KERNEL);

	return p;
}
static void item_ctor(void *obj)
{
	struct item *it = obj;

	it->buf = item_buf_alloc(64);
}
static struct kmem_cache *item_cachep;
void init(void)
{
	item_cachep = kmem_cache_create("item", sizeof(struct item), 0, 0, item_ctor);
}`,
      },
      expect: ['ctor-allocates@a.c:26'],
    },
  ],

  'ctor-may-sleep-in-atomic': [
    {
      name: 'sleeping ctor, GFP_ATOMIC caller and a caller under a spinlock',
      files: {
        'a.c': `${HDR}
static int item_ctor(void *obj)
{
	struct item *it = obj;

	it->counts = alloc_percpu(int);
	if (!it->counts)
		return -ENOMEM;
	return 0;
}
${cacheWith('item_ctor', null)}
struct item *item_get_atomic(void)
{
	return kmem_cache_alloc(item_cachep, GFP_ATOMIC);
}
struct item *item_get_locked(struct pool *p)
{
	struct item *it;

	spin_lock(&p->lock);
	it = kmem_cache_alloc(item_cachep, GFP_KERNEL);
	spin_unlock(&p->lock);
	return it;
}`,
      },
      expect: ['ctor-may-sleep-in-atomic@a.c:20', 'ctor-may-sleep-in-atomic@a.c:20'],
    },
    {
      name: 'the cache and the gfp of the atomic caller written in parentheses',
      files: {
        'a.c': `${HDR}
static int item_ctor(void *obj)
{
	struct item *it = obj;

	it->counts = alloc_percpu(int);
	return it->counts ? 0 : -ENOMEM;
}
${cacheWith('item_ctor', null)}
struct item *item_get_atomic(void)
{
	return kmem_cache_alloc((item_cachep), (GFP_ATOMIC));
}`,
      },
      expect: ['ctor-may-sleep-in-atomic@a.c:20'],
    },
    {
      name: 'sleeping ctor, GFP_KERNEL callers without locks',
      files: {
        'a.c': `${HDR}
static int item_ctor(void *obj)
{
	struct item *it = obj;

	it->counts = alloc_percpu(int);
	return it->counts ? 0 : -ENOMEM;
}
${cacheWith('item_ctor', null)}
struct item *item_get(void)
{
	return kmem_cache_alloc(item_cachep, GFP_KERNEL);
}`,
      },
      expect: [],
    },
  ],

  'ctor-lock-inversion': [
    {
      name: 'the caller holds the lock the ctor takes',
      files: {
        'a.c': `${HDR}
static DEFINE_SPINLOCK(registry_lock);
static int item_ctor(void *obj)
{
	spin_lock(&registry_lock);
	spin_unlock(&registry_lock);
	return 0;
}
${cacheWith('item_ctor', null)}
struct item *item_get(void)
{
	struct item *it;

	spin_lock(&registry_lock);
	it = kmem_cache_alloc(item_cachep, GFP_ATOMIC);
	spin_unlock(&registry_lock);
	return it;
}`,
      },
      expect: ['ctor-lock-inversion@a.c:19'],
    },
    {
      name: 'ABBA: caller holds A while the ctor takes B; elsewhere B is held while taking A',
      files: {
        'a.c': `${HDR}
static DEFINE_SPINLOCK(lock_a);
static DEFINE_SPINLOCK(lock_b);
static int item_ctor(void *obj)
{
	spin_lock(&lock_b);
	spin_unlock(&lock_b);
	return 0;
}
${cacheWith('item_ctor', null)}
struct item *item_get(void)
{
	struct item *it;

	spin_lock(&lock_a);
	it = kmem_cache_alloc(item_cachep, GFP_ATOMIC);
	spin_unlock(&lock_a);
	return it;
}
void other_path(void)
{
	spin_lock(&lock_b);
	spin_lock(&lock_a);
	spin_unlock(&lock_a);
	spin_unlock(&lock_b);
}`,
      },
      expect: ['ctor-lock-inversion@a.c:20'],
    },
    {
      name: 'allocation before taking the lock',
      files: {
        'a.c': `${HDR}
static DEFINE_SPINLOCK(registry_lock);
static int item_ctor(void *obj)
{
	spin_lock(&registry_lock);
	spin_unlock(&registry_lock);
	return 0;
}
${cacheWith('item_ctor', null)}
struct item *item_get(void)
{
	struct item *it = kmem_cache_alloc(item_cachep, GFP_KERNEL);

	spin_lock(&registry_lock);
	spin_unlock(&registry_lock);
	return it;
}`,
      },
      expect: [],
    },
  ],

  'ctor-dtor-pairing': [
    {
      name: 'percpu counter initialised but never destroyed',
      files: {
        'a.c': `${HDR}
struct stat_obj { struct percpu_counter nr; void *p; };
static int item_ctor(void *obj)
{
	struct stat_obj *s = obj;

	if (percpu_counter_init(&s->nr, 0, GFP_KERNEL))
		return -ENOMEM;
	s->p = alloc_percpu(long);
	if (!s->p)
		return -ENOMEM;
	return 0;
}
static void item_dtor(void *obj)
{
	struct stat_obj *s = obj;

	free_percpu(s->p);
}
${cacheWith('item_ctor', 'item_dtor')}`,
      },
      expect: ['ctor-dtor-pairing@a.c:21'],
    },
    {
      name: 'a dtor without a ctor; and a ctor that acquires with no dtor',
      files: {
        'a.c': `${HDR}
static void item_dtor(void *obj)
{
	struct item *it = obj;
	it->buf = NULL;
}
${cacheWith(null, 'item_dtor')}`,
        'b.c': `${HDR}
static int thing_ctor(void *obj)
{
	struct item *it = obj;

	it->counts = alloc_percpu(int);
	return it->counts ? 0 : -ENOMEM;
}
${cacheWith('thing_ctor', null, 'thing_cachep')}`,
      },
      expect: ['ctor-dtor-pairing@a.c:29', 'ctor-dtor-pairing@b.c:20'],
    },
    {
      name: 'every acquisition released',
      files: {
        'a.c': `${HDR}
static int item_ctor(void *obj)
{
	struct item *it = obj;

	it->counts = alloc_percpu(int);
	if (!it->counts)
		return -ENOMEM;
	it->buf = kzalloc(64, GFP_KERNEL);
	if (!it->buf) {
		free_percpu(it->counts);
		return -ENOMEM;
	}
	return 0;
}
static void item_dtor(void *obj)
{
	struct item *it = obj;

	kfree(it->buf);
	free_percpu(it->counts);
}
${cacheWith('item_ctor', 'item_dtor')}`,
      },
      expect: [],
    },
  ],
};

registerRuleTests(cases, module);
