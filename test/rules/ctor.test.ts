import { checkFiles, fileTests, registerRuleTests, RuleCase, runRuleCases } from '../helpers';
import { cacheWith, HDR } from './common';

const test = fileTests(module);

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
      name: 'mainline: a cache created through a function-like macro of the file, the ctor given at its call',
      semantics: 'mainline',
      files: {
        'a.c': `${HDR}
#define item_cache_create(name, ctor) kmem_cache_create(name, sizeof(struct item), 0, 0, ctor)
static void item_ctor(void *obj)
{
	struct item *it = obj;

	it->buf = kmalloc(64, GFP_KERNEL);
}
static struct kmem_cache *item_cachep;
void init(void)
{
	item_cachep = item_cache_create("item", item_ctor);
}`,
      },
      expect: ['ctor-allocates@a.c:21'],
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
      name: 'allocating from its own cache through a helper in another file that is given the cache is an error too',
      semantics: 'mainline',
      files: {
        'hdr.h': `${HDR}\nvoid *item_obj_alloc(struct kmem_cache *c, gfp_t gfp);\n`,
        'a.c': `#include "hdr.h"
static struct kmem_cache *item_cachep;
static void item_ctor(void *obj)
{
	struct item *it = obj;

	it->buf = item_obj_alloc(item_cachep, GFP_KERNEL);
}
void init(void)
{
	item_cachep = kmem_cache_create("item", sizeof(struct item), 0, 0, item_ctor);
}`,
        'b.c': `#include "hdr.h"
void *item_obj_alloc(struct kmem_cache *c, gfp_t gfp)
{
	return kmem_cache_alloc(c, gfp);
}`,
      },
      expect: ['ctor-allocates@a.c:7'],
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
      name: 'dtor-rfc: the value of a function-like macro of the file is the ctor\'s to check (unchecked, then checked)',
      files: {
        'a.c': `${HDR}
#define item_counts_alloc(type) alloc_percpu(type)
static int item_ctor(void *obj)
{
	struct item *it = obj;

	it->counts = item_counts_alloc(int);
	return 0;
}
static int thing_ctor(void *obj)
{
	struct item *it = obj;

	it->counts = item_counts_alloc(int);
	return it->counts ? 0 : -ENOMEM;
}
${cacheWith('item_ctor', null)}
${cacheWith('thing_ctor', null, 'thing_cachep').replace('item_cache_init', 'thing_cache_init')}`,
      },
      expect: ['ctor-allocates@a.c:21'],
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
      name: 'a ctor honouring the caller\'s gfp takes pcpu_alloc_mutex only when that gfp may sleep',
      files: {
        'a.c': `${HDR}
static int item_ctor(void *obj, gfp_t gfp)
{
	struct item *it = obj;

	it->counts = alloc_percpu_gfp(int, gfp);
	return it->counts ? 0 : -ENOMEM;
}
${cacheWith('item_ctor', null)}
extern struct mutex pcpu_alloc_mutex;
struct item *item_get_atomic(void)
{
	struct item *it;

	mutex_lock(&pcpu_alloc_mutex);
	it = kmem_cache_alloc(item_cachep, GFP_ATOMIC);
	mutex_unlock(&pcpu_alloc_mutex);
	return it;
}
struct item *item_get_kernel(void)
{
	struct item *it;

	mutex_lock(&pcpu_alloc_mutex);
	it = kmem_cache_alloc(item_cachep, GFP_KERNEL);
	mutex_unlock(&pcpu_alloc_mutex);
	return it;
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

/** Shared by the gfp cases: a header with the helper's prototype and a netdev-style stats macro pair. */
const GFP_HDR = `${HDR}
struct item_stats { u64 packets; };
int item_init_stats(struct item *it, gfp_t flags);
#define __item_alloc_pcpu_stats(type, gfp)				\\
({									\\
	typeof(type) __percpu *pcpu_stats = alloc_percpu_gfp(type, gfp);\\
	pcpu_stats;							\\
})
#define item_alloc_pcpu_stats(type) __item_alloc_pcpu_stats(type, GFP_KERNEL)
`;

/** A cache whose ctor `ctor` is allocated from with GFP_ATOMIC (an atomic caller). */
function atomicCacheWith(ctor: string): string {
  return `${cacheWith(ctor, null)}
struct item *item_get_atomic(void)
{
	return kmem_cache_alloc(item_cachep, GFP_ATOMIC);
}`;
}

/** The ctor's gfp flows through parameters (runRuleCases runs each case as written and demand-driven). */
export const gfpFlowCases: RuleCase[] = [
  {
    name: 'the ctor passes its gfp to a helper in another file, which passes it to one that allocates with it: honours the caller',
    files: {
      'item.h': GFP_HDR,
      'a.c': `#include "item.h"
static int item_ctor(void *o, gfp_t gfp)
{
	return item_init_stats(o, gfp);
}
${atomicCacheWith('item_ctor')}`,
      'b.c': `#include "item.h"
static int item_stats_alloc(struct item *it, gfp_t g)
{
	it->counts = alloc_percpu_gfp(int, g);
	return it->counts ? 0 : -ENOMEM;
}
int item_init_stats(struct item *it, gfp_t flags)
{
	return item_stats_alloc(it, flags | __GFP_ZERO);
}`,
    },
    expect: [],
  },
  {
    name: 'the ctor passes its gfp through a function-like macro (netdev_alloc_pcpu_stats style)',
    files: {
      'item.h': GFP_HDR,
      'a.c': `#include "item.h"
static int item_ctor(void *o, gfp_t gfp)
{
	struct item *it = o;

	it->counts = __item_alloc_pcpu_stats(int, gfp);
	return it->counts ? 0 : -ENOMEM;
}
${atomicCacheWith('item_ctor')}`,
    },
    expect: [],
  },
  {
    name: 'the ctor passes a hard-coded GFP_KERNEL to the same helpers: the helper\'s allocation may sleep',
    files: {
      'item.h': GFP_HDR,
      'a.c': `#include "item.h"
static int item_ctor(void *o, gfp_t gfp)
{
	return item_init_stats(o, GFP_KERNEL);
}
${atomicCacheWith('item_ctor')}`,
      'b.c': `#include "item.h"
int item_init_stats(struct item *it, gfp_t flags)
{
	it->counts = alloc_percpu_gfp(int, flags);
	return it->counts ? 0 : -ENOMEM;
}`,
    },
    expect: ['ctor-may-sleep-in-atomic@a.c:4'],
  },
];

test('ctor-may-sleep-in-atomic: the ctor\'s gfp flows through parameters', () => runRuleCases('ctor-may-sleep-in-atomic', gfpFlowCases));

const cache = (ctor: string) => cacheWith(ctor, null);
export const ignoresGfpCases: RuleCase[] = [
  {
    name: 'valid: passes gfp directly',
    files: {
      'a.c': `${HDR}
static int item_ctor(void *obj, gfp_t gfp)
{
	struct item *it = obj;

	it->buf = kmalloc(64, gfp);
	if (!it->buf)
		return -ENOMEM;
	it->counts = alloc_percpu_gfp(int, gfp);
	return it->counts ? 0 : -ENOMEM;
}
${cache('item_ctor')}`,
    },
    expect: [],
  },
  {
    name: 'valid: through one helper, and through two helpers in another file',
    files: {
      'item.h': GFP_HDR,
      'a.c': `#include "item.h"
static int item_buf_alloc(struct item *it, gfp_t flags)
{
	it->buf = kzalloc(64, flags);
	return it->buf ? 0 : -ENOMEM;
}
static int item_ctor(void *obj, gfp_t gfp)
{
	if (item_buf_alloc(obj, gfp))
		return -ENOMEM;
	return item_init_stats(obj, gfp);
}
${cache('item_ctor')}`,
      'b.c': `#include "item.h"
static int item_stats_alloc(struct item *it, gfp_t g)
{
	it->counts = alloc_percpu_gfp(int, g);
	return it->counts ? 0 : -ENOMEM;
}
int item_init_stats(struct item *it, gfp_t flags)
{
	return item_stats_alloc(it, flags);
}`,
    },
    expect: [],
  },
  {
    name: 'valid: through a function-like macro',
    files: {
      'item.h': GFP_HDR,
      'a.c': `#include "item.h"
static int item_ctor(void *obj, gfp_t gfp)
{
	struct item *it = obj;

	it->counts = __item_alloc_pcpu_stats(int, gfp);
	return it->counts ? 0 : -ENOMEM;
}
${cache('item_ctor')}`,
    },
    expect: [],
  },
  {
    name: 'valid: a hard-coded GFP_ATOMIC never sleeps, whatever the caller allowed (not reported)',
    files: {
      'a.c': `${HDR}
static int item_ctor(void *obj, gfp_t gfp)
{
	struct item *it = obj;

	it->buf = kmalloc(64, GFP_ATOMIC | __GFP_NOWARN);
	return it->buf ? 0 : -ENOMEM;
}
${cache('item_ctor')}`,
    },
    expect: [],
  },
  {
    name: 'valid: mainline semantics (a ctor has no gfp there)',
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
    expect: [],
  },
  {
    name: 'invalid: GFP_KERNEL hard-coded, and alloc_percpu() (GFP_KERNEL inside)',
    files: {
      'a.c': `${HDR}
static int item_ctor(void *obj, gfp_t gfp)
{
	struct item *it = obj;

	it->buf = kmalloc(64, GFP_KERNEL);
	if (!it->buf)
		return -ENOMEM;
	it->counts = alloc_percpu(int);
	return it->counts ? 0 : -ENOMEM;
}
${cache('item_ctor')}`,
    },
    expect: ['ctor-ignores-gfp@a.c:20', 'ctor-ignores-gfp@a.c:23'],
  },
  {
    name: 'invalid: in a helper in another file; and GFP_NOFS passed down to a helper that honours its own gfp',
    files: {
      'item.h': GFP_HDR,
      'a.c': `#include "item.h"
int item_buf_init(struct item *it);
static int item_ctor(void *obj, gfp_t gfp)
{
	if (item_buf_init(obj))
		return -ENOMEM;
	return item_init_stats(obj, GFP_NOFS);
}
${cache('item_ctor')}`,
      'b.c': `#include "item.h"
int item_buf_init(struct item *it)
{
	it->buf = kmalloc(64, GFP_KERNEL_ACCOUNT);
	return it->buf ? 0 : -ENOMEM;
}
int item_init_stats(struct item *it, gfp_t flags)
{
	it->counts = alloc_percpu_gfp(int, flags);
	return it->counts ? 0 : -ENOMEM;
}`,
    },
    expect: ['ctor-ignores-gfp@b.c:4', 'ctor-ignores-gfp@b.c:9'],
  },
  {
    name: 'invalid: the gfp-less macro of a netdev-style pair (it passes GFP_KERNEL)',
    files: {
      'item.h': GFP_HDR,
      'a.c': `#include "item.h"
static int item_ctor(void *obj, gfp_t gfp)
{
	struct item *it = obj;

	it->counts = item_alloc_pcpu_stats(int);
	return it->counts ? 0 : -ENOMEM;
}
${cache('item_ctor')}`,
    },
    expect: ['ctor-ignores-gfp@item.h:20'],
  },
];

test('ctor-ignores-gfp', () => runRuleCases('ctor-ignores-gfp', ignoresGfpCases));

const ACT_H = `${HDR}
struct act {
	struct kmem_cache *cachep;
	spinlock_t lock;
};
struct bucket { int n; };
struct hinfo {
	struct kmem_cache *bucket_cachep;
};
struct bucket *bucket_create(struct kmem_cache *cachep, int n);
`;
const ACT_C = `#include "act.h"
static void act_ctor(void *obj)
{
	struct act *a = obj;

	spin_lock_init(&a->lock);
	msleep(1);
}
int act_init(struct act *act)
{
	act->cachep = kmem_cache_create("act", 64, 0, 0, act_ctor);
	return act->cachep ? 0 : -ENOMEM;
}`;
const BUCKET_C = `#include "act.h"
struct bucket *bucket_create(struct kmem_cache *cachep, int n)
{
	struct bucket *b = kmem_cache_alloc(cachep, GFP_ATOMIC);

	if (b)
		b->n = n;
	return b;
}
void bucket_use(struct hinfo *h)
{
	bucket_create(h->bucket_cachep, 1);
}`;
/** Cache identity: by what the pointer is, not by its name. */
export const cacheIdentityCases: RuleCase[] = [
  {
    name: 'a field struct act.cachep vs a parameter named cachep of another function (GFP_ATOMIC): no finding',
    semantics: 'mainline',
    files: { 'act.h': ACT_H, 'a.c': ACT_C, 'b.c': BUCKET_C },
    expect: [],
  },
  {
    name: 'the cache passed as a parameter to a helper that allocates with GFP_ATOMIC: found through the binding',
    semantics: 'mainline',
    files: {
      'act.h': ACT_H, 'a.c': ACT_C, 'b.c': BUCKET_C,
      'c.c': `#include "act.h"
void act_fill(struct act *x)
{
	bucket_create(x->cachep, 2);
}`,
    },
    expect: ['ctor-may-sleep-in-atomic@a.c:7'],
  },
  {
    name: 'the cache passed down through three helpers to the one that allocates with GFP_ATOMIC',
    semantics: 'mainline',
    files: {
      'act.h': ACT_H, 'a.c': ACT_C,
      'c.c': `#include "act.h"
static void *fill_c(struct kmem_cache *c)
{
	return kmem_cache_alloc(c, GFP_ATOMIC);
}
static void *fill_b(struct kmem_cache *c)
{
	return fill_c(c);
}
static void *fill_a(struct kmem_cache *c)
{
	return fill_b(c);
}
void act_fill(struct act *x)
{
	fill_a(x->cachep);
}`,
    },
    expect: ['ctor-may-sleep-in-atomic@a.c:7'],
  },
  {
    name: 'the helper allocates with its gfp parameter, and the caller passes GFP_NOWAIT; another caller holds a spinlock',
    semantics: 'mainline',
    files: {
      'act.h': ACT_H, 'a.c': ACT_C,
      'b.c': `#include "act.h"
static struct bucket *bucket_alloc(struct kmem_cache *c, gfp_t gfp)
{
	return kmem_cache_alloc(c, gfp);
}
struct bucket *bucket_nowait(struct act *a)
{
	return bucket_alloc(a->cachep, GFP_NOWAIT);
}
struct bucket *bucket_locked(struct act *a)
{
	struct bucket *b;

	spin_lock(&a->lock);
	b = bucket_alloc(a->cachep, GFP_KERNEL);
	spin_unlock(&a->lock);
	return b;
}`,
    },
    expect: ['ctor-may-sleep-in-atomic@a.c:7', 'ctor-may-sleep-in-atomic@a.c:7'],
  },
  {
    name: 'the helper given the cache is a header\'s static inline (alloc_inode_sb shape)',
    semantics: 'mainline',
    files: {
      'act.h': `${ACT_H}
static inline void *act_alloc_sb(struct act *owner, struct kmem_cache *cache, gfp_t gfp)
{
	return kmem_cache_alloc(cache, gfp);
}
`,
      'a.c': ACT_C,
      'c.c': `#include "act.h"
void *act_obj_atomic(struct act *x)
{
	return act_alloc_sb(x, x->cachep, GFP_ATOMIC);
}`,
    },
    expect: ['ctor-may-sleep-in-atomic@a.c:7'],
  },
  {
    name: 'a struct field class: struct pool.cache allocated under a spinlock in another function, through another variable',
    semantics: 'mainline',
    files: {
      'pool.h': `${HDR}
struct pool2 {
	spinlock_t lock;
	struct kmem_cache *cache;
};
struct other {
	spinlock_t lock;
	struct kmem_cache *cache;
};
`,
      'a.c': `#include "pool.h"
static void obj_ctor(void *obj)
{
	msleep(1);
}
int pool2_init(struct pool2 *p)
{
	p->cache = kmem_cache_create("pool2", 64, 0, 0, obj_ctor);
	return p->cache ? 0 : -ENOMEM;
}`,
      'b.c': `#include "pool.h"
void *pool2_get(struct pool2 *pl)
{
	void *x;

	spin_lock(&pl->lock);
	x = kmem_cache_alloc(pl->cache, GFP_KERNEL);
	spin_unlock(&pl->lock);
	return x;
}
void *other_get(struct other *o)
{
	void *x;

	spin_lock(&o->lock);
	x = kmem_cache_alloc(o->cache, GFP_KERNEL);
	spin_unlock(&o->lock);
	return x;
}`,
    },
    expect: ['ctor-may-sleep-in-atomic@a.c:4'],
  },
];

test('cache identity: by what the pointer is, not by its name', () => runRuleCases('ctor-may-sleep-in-atomic', cacheIdentityCases));

/** The cases run by the tests above, for the metamorphic harness. */
export const flowCases: Record<string, RuleCase[]> = {
  'ctor-may-sleep-in-atomic': [...gfpFlowCases, ...cacheIdentityCases],
  'ctor-ignores-gfp': ignoresGfpCases,
};

test('ctor-ignores-gfp names the fix and the chain', async () => {
  const assert: typeof import('node:assert/strict') = (await import('node:assert/strict')).default;
  const { findings } = await checkFiles({
    'item.h': GFP_HDR,
    'a.c': `#include "item.h"
static int item_ctor(void *obj, gfp_t gfp)
{
	struct item *it = obj;

	it->counts = item_alloc_pcpu_stats(int);
	if (!it->counts)
		return -ENOMEM;
	it->buf = alloc_percpu(long);
	return it->buf ? 0 : -ENOMEM;
}
${cacheWith('item_ctor', null)}`,
  });
  const got = findings.filter((f) => f.rule === 'ctor-ignores-gfp');
  assert.equal(got.length, 2);
  const wrapper = got.find((f) => f.file.endsWith('item.h'))!;
  assert.match(wrapper.message, /call __item_alloc_pcpu_stats\(\.\.\., gfp\) instead of item_alloc_pcpu_stats\(\)/);
  assert.deepEqual(wrapper.related.map((s) => s.note), [
    'item_ctor() is given the caller\'s gfp as `gfp`',
    'item_ctor() calls item_alloc_pcpu_stats()',
    'item_alloc_pcpu_stats() calls __item_alloc_pcpu_stats()',
    'item_alloc_pcpu_stats() passes GFP_KERNEL to __item_alloc_pcpu_stats()',
  ]);
  const direct = got.find((f) => f.file.endsWith('a.c'))!;
  assert.match(direct.message, /alloc_percpu\(\), which always allocates with GFP_KERNEL.*use alloc_percpu_gfp\(type, gfp\)/);
});

test('ctor-allocates: its own cache through a helper given the cache is an error', async () => {
  const assert: typeof import('node:assert/strict') = (await import('node:assert/strict')).default;
  const c = cases['ctor-allocates'].find((x) => x.name.startsWith('allocating from its own cache through a helper'))!;
  for (const fullThreshold of [undefined, 0]) {
    const { findings } = await checkFiles(c.files, 'mainline', { fullThreshold });
    assert.deepEqual(findings.filter((f) => f.rule === 'ctor-allocates').map((f) => f.severity), ['error']);
  }
});
