// Widget cache: the constructor keeps percpu statistics with the object,
// the destructor releases them when the slab page goes away.
#include <linux/slab.h>
#include "widget.h"

static struct kmem_cache *widget_cachep;

static int widget_ctor(void *obj)
{
	struct widget *w = obj;

	w->stats = alloc_percpu(struct widget_stats);
	if (!w->stats)
		return -ENOMEM;
	spin_lock_init(&w->lock);
	INIT_LIST_HEAD(&w->node);
	return 0;
}

static void widget_dtor(void *obj)
{
	struct widget *w = obj;

	/* Unlinks from the registry: takes widget_reg.reg_lock. */
	widget_unlink(w);
	free_percpu(w->stats);
}

struct widget *widget_alloc(gfp_t gfp)
{
	return kmem_cache_alloc(widget_cachep, gfp);
}

void widget_free(struct widget *w)
{
	kmem_cache_free(widget_cachep, w);
}

static int __init widget_init(void)
{
	struct kmem_cache_args args = {
		.ctor = widget_ctor,
		.dtor = widget_dtor,
	};

	widget_cachep = kmem_cache_create("widget", sizeof(struct widget),
					  &args, SLAB_HWCACHE_ALIGN | SLAB_ACCOUNT);
	if (!widget_cachep)
		return -ENOMEM;
	return 0;
}
