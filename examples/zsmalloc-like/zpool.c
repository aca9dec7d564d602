// SPDX-License-Identifier: GPL-2.0
/*
 * A zsmalloc-like allocator, written for slabcheck's tests (not kernel code): a pool rwlock,
 * per-class spinlocks, and a page lock of its own built on an atomic, with the rules of
 * linux-mm's zspage lock discussion: writers only trylock and never sleep, readers may sleep.
 */
#include <linux/spinlock.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

struct zclass {
	spinlock_t lock;
	int index;
};

struct zpage {
	atomic_t lock;
	struct zclass *class;
	int inuse;
	void *data;
};

struct zpool {
	rwlock_t lock;
	struct zclass *classes[16];
	struct zpage *deferred;
	struct work_struct free_work;
};

/* The page lock: -1 is a writer, n > 0 is n readers. Its own bodies hold nothing. */
void zpage_read_lock(struct zpage *z)
{
	int old = atomic_read(&z->lock);

	while (old < 0 || !atomic_try_cmpxchg(&z->lock, &old, old + 1)) {
		cpu_relax();
		old = atomic_read(&z->lock);
	}
}

void zpage_read_unlock(struct zpage *z)
{
	atomic_dec(&z->lock);
}

int zpage_write_trylock(struct zpage *z)
{
	int zero = 0;

	preempt_disable();
	if (atomic_try_cmpxchg(&z->lock, &zero, -1))
		return 1;
	preempt_enable();
	return 0;
}

void zpage_write_unlock(struct zpage *z)
{
	atomic_set(&z->lock, 0);
	preempt_enable();
}

/* Map: the reader takes the page lock under the pool lock, and keeps it after. */
void *zp_map(struct zpool *pool, struct zpage *z)
{
	read_lock(&pool->lock);
	zpage_read_lock(z);
	read_unlock(&pool->lock);
	return z->data;
}

void zp_unmap(struct zpool *pool, struct zpage *z)
{
	zpage_read_unlock(z);
}

/* A reader that sleeps while it holds the page lock: allowed for readers. */
int zp_copy_out(struct zpool *pool, struct zpage *z, size_t len)
{
	void *buf;

	read_lock(&pool->lock);
	zpage_read_lock(z);
	read_unlock(&pool->lock);
	buf = kmalloc(len, GFP_KERNEL);
	if (buf)
		memcpy(buf, z->data, len);
	zpage_read_unlock(z);
	kfree(buf);
	return buf ? 0 : -ENOMEM;
}

/* Compaction: pool and class locks held, the page trylocked, bail out when contended. */
static int zp_compact_one(struct zpool *pool, struct zclass *class, struct zpage *z)
{
	write_lock(&pool->lock);
	spin_lock(&class->lock);
	if (!zpage_write_trylock(z)) {
		spin_unlock(&class->lock);
		write_unlock(&pool->lock);
		return -EAGAIN;
	}
	z->inuse = 0;
	zpage_write_unlock(z);
	spin_unlock(&class->lock);
	write_unlock(&pool->lock);
	return 0;
}

int zp_compact(struct zpool *pool, struct zpage *z)
{
	return zp_compact_one(pool, pool->classes[0], z);
}

/* Migration must not wait for the page: trylock under the class lock, -EAGAIN otherwise. */
int zp_migrate(struct zpool *pool, struct zpage *z, void *newdata)
{
	int ret = -EAGAIN;

	write_lock(&pool->lock);
	spin_lock(&z->class->lock);
	if (zpage_write_trylock(z)) {
		z->data = newdata;
		zpage_write_unlock(z);
		ret = 0;
	}
	spin_unlock(&z->class->lock);
	write_unlock(&pool->lock);
	return ret;
}

/* Freeing reads the page under the class lock its only caller holds. */
static void zp_drain(struct zpage *z)
{
	zpage_read_lock(z);
	z->inuse = 0;
	zpage_read_unlock(z);
}

void zp_free(struct zpool *pool, struct zclass *class, struct zpage *z)
{
	spin_lock(&class->lock);
	zp_drain(z);
	spin_unlock(&class->lock);
}

/* Deferred free: the page lock with nothing held (the reviewer's question). */
static void zp_async_free(struct work_struct *work)
{
	struct zpool *pool = container_of(work, struct zpool, free_work);
	struct zpage *z = pool->deferred;

	zpage_read_lock(z);
	z->inuse = 0;
	zpage_read_unlock(z);
}

void zp_init(struct zpool *pool)
{
	rwlock_init(&pool->lock);
	INIT_WORK(&pool->free_work, zp_async_free);
}
