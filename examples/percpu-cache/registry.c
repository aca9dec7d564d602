// The widget registry: a list of live widgets under reg_lock.
#include <linux/slab.h>
#include "widget.h"

struct widget_registry widget_reg;
DEFINE_SPINLOCK(widget_stats_lock);

void widget_unlink(struct widget *w)
{
	spin_lock(&widget_reg.reg_lock);
	list_del_init(&w->node);
	widget_reg.count--;
	spin_unlock(&widget_reg.reg_lock);
}

void widget_registry_add(struct widget *w)
{
	struct widget_registry *reg = &widget_reg;
	void *note;

	spin_lock(&reg->reg_lock);
	/* Allocating with GFP_KERNEL under reg_lock may enter reclaim. */
	note = kmalloc(64, GFP_KERNEL);
	list_add(&w->node, &reg->widgets);
	reg->count++;
	spin_lock(&widget_stats_lock);
	spin_unlock(&widget_stats_lock);
	spin_unlock(&reg->reg_lock);
	kfree(note);
}
