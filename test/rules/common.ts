/** Kernel-style declarations shared by the rule fixtures (written for these tests). */
export const HDR = `
#include <linux/slab.h>
struct pool {
	spinlock_t lock;
	struct list_head items;
	void __percpu *stats;
	struct mutex mlock;
};
struct item {
	struct pool *owner;
	void *buf;
	int __percpu *counts;
	spinlock_t ilock;
};
`;

/** A cache with the given ctor/dtor names, created through kmem_cache_args. */
export function cacheWith(ctor: string | null, dtor: string | null, variable = 'item_cachep'): string {
  return `
static struct kmem_cache *${variable};
static int __init item_cache_init(void)
{
	struct kmem_cache_args args = {
${ctor ? `		.ctor = ${ctor},\n` : ''}${dtor ? `		.dtor = ${dtor},\n` : ''}	};

	${variable} = kmem_cache_create("item", sizeof(struct item), &args, SLAB_HWCACHE_ALIGN);
	return ${variable} ? 0 : -ENOMEM;
}
`;
}
