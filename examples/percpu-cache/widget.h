/* An example subsystem written for slabcheck: widgets carry percpu counters. */
#ifndef WIDGET_H
#define WIDGET_H

#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/list.h>

struct widget_stats {
	u64 hits;
	u64 misses;
};

struct widget {
	struct list_head node;
	struct widget_stats __percpu *stats;
	unsigned long flags;
	spinlock_t lock;
};

struct widget_registry {
	spinlock_t reg_lock;
	struct list_head widgets;
	unsigned int count;
};

extern struct widget_registry widget_reg;
extern spinlock_t widget_stats_lock;

void widget_registry_add(struct widget *w);
void widget_unlink(struct widget *w);

#endif
