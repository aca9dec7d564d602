import { registerRuleTests, RuleCase } from '../helpers';
import { cacheWith, HDR } from './common';

export const cases: Record<string, RuleCase[]> = {
  'dtor-allocates': [
    {
      name: 'any allocation, even GFP_ATOMIC',
      files: {
        'a.c': `${HDR}
static void item_dtor(void *obj)
{
	struct item *it = obj;
	void *log = kmalloc(32, GFP_ATOMIC);

	kfree(log);
}
${cacheWith(null, 'item_dtor')}`,
      },
      expect: ['dtor-allocates@a.c:19'],
    },
    {
      name: 'releasing only',
      files: { 'a.c': `${HDR}\nstatic void item_dtor(void *obj)\n{\n\tstruct item *it = obj;\n\tfree_percpu(it->counts);\n}\n${cacheWith(null, 'item_dtor')}` },
      expect: [],
    },
  ],

  'dtor-may-sleep': [
    {
      name: 'vfree and synchronize_rcu through a helper',
      files: {
        'a.c': `${HDR}
static void wait_readers(void)
{
	synchronize_rcu();
}
static void item_dtor(void *obj)
{
	struct item *it = obj;

	wait_readers();
}
${cacheWith(null, 'item_dtor')}`,
      },
      expect: ['dtor-may-sleep@a.c:24'],
    },
    {
      name: 'plain stores and free_percpu do not sleep',
      files: { 'a.c': `${HDR}\nstatic void item_dtor(void *obj)\n{\n\tstruct item *it = obj;\n\tit->buf = NULL;\n\tfree_percpu(it->counts);\n}\n${cacheWith(null, 'item_dtor')}` },
      expect: [],
    },
  ],

  'dtor-frees-to-slab': [
    {
      name: 'kfree in the dtor, kmem_cache_free in a helper',
      files: {
        'a.c': `${HDR}
static struct kmem_cache *buf_cachep;
static void drop_buf(struct item *it)
{
	kmem_cache_free(buf_cachep, it->buf);
}
static void item_dtor(void *obj)
{
	struct item *it = obj;

	kfree(it->buf);
	drop_buf(it);
}
${cacheWith(null, 'item_dtor')}`,
      },
      expect: ['dtor-frees-to-slab@a.c:25', 'dtor-frees-to-slab@a.c:26'],
    },
    {
      name: 'free_percpu and percpu_counter_destroy are not slab frees',
      files: { 'a.c': `${HDR}\nstatic void item_dtor(void *obj)\n{\n\tstruct item *it = obj;\n\tfree_percpu(it->counts);\n}\n${cacheWith(null, 'item_dtor')}` },
      expect: [],
    },
  ],
};

registerRuleTests(cases, module);
