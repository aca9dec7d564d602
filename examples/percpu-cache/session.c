// Sessions: a destructor that does too much.
#include <linux/slab.h>
#include <linux/mutex.h>

struct session {
	struct mutex mlock;
	void *buf;
	int id;
};

static struct kmem_cache *session_cachep;
static DEFINE_MUTEX(session_table_mutex);

static void session_dtor(void *obj)
{
	struct session *s = obj;

	mutex_lock(&session_table_mutex);
	kfree(s->buf);
	mutex_unlock(&session_table_mutex);
}

static void session_ctor_v1(void *obj)
{
	struct session *s = obj;

	s->buf = kmalloc(128, GFP_KERNEL);
	s->id = 0;
}

static int __init session_init(void)
{
	session_cachep = kmem_cache_create("session", sizeof(struct session),
		&(struct kmem_cache_args){
			.ctor = session_ctor_v1,
			.dtor = session_dtor,
		}, 0);
	return session_cachep ? 0 : -ENOMEM;
}
