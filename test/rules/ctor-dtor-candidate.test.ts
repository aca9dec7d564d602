import { registerRuleTests, RuleCase } from '../helpers';

const SESSION = (withFree: boolean, viaHelper = false) => `
struct sess { int __percpu *hits; struct percpu_counter nr; };
static struct kmem_cache *sess_cachep;
static int sess_setup(struct sess *s)
{
	s->hits = alloc_percpu(int);
	return s->hits ? 0 : -ENOMEM;
}
struct sess *sess_new(void)
{
	struct sess *s = kmem_cache_alloc(sess_cachep, GFP_KERNEL);

	if (!s)
		return NULL;
${viaHelper ? '\tif (sess_setup(s)) {' : '\ts->hits = alloc_percpu(int);\n\tif (!s->hits) {'}
		kmem_cache_free(sess_cachep, s);
		return NULL;
	}
	return s;
}
void sess_put(struct sess *s)
{
${withFree ? '\tfree_percpu(s->hits);\n' : ''}	kmem_cache_free(sess_cachep, s);
}
void __init sess_init(void)
{
	sess_cachep = KMEM_CACHE(sess, SLAB_PANIC);
}
`;

export const cases: Record<string, RuleCase[]> = {
  'ctor-dtor-candidate': [
    { name: 'percpu alloc after kmem_cache_alloc, free_percpu before kmem_cache_free', semantics: 'mainline', files: { 'a.c': SESSION(true) }, expect: ['ctor-dtor-candidate@a.c:29'] },
    { name: 'through a setup helper', semantics: 'mainline', files: { 'a.c': SESSION(true, true) }, expect: ['ctor-dtor-candidate@a.c:28'] },
    {
      name: 'through a setup helper defined in another file',
      semantics: 'mainline',
      files: {
        'a.c': SESSION(true, true).replace(/static int sess_setup[^]*?\n}\n/, 'int sess_setup(struct sess *s);\n'),
        'b.c': `struct sess { int __percpu *hits; struct percpu_counter nr; };
int sess_setup(struct sess *s)
{
	s->hits = alloc_percpu(int);
	return s->hits ? 0 : -ENOMEM;
}
`,
      },
      expect: ['ctor-dtor-candidate@a.c:24'],
    },
    {
      name: 'allocated through two helpers given the cache',
      semantics: 'mainline',
      files: {
        'a.c': SESSION(true).replace('kmem_cache_alloc(sess_cachep, GFP_KERNEL)', 'sess_obj_alloc(sess_cachep, GFP_KERNEL)').replace('static int sess_setup', `static void *__sess_obj_alloc(struct kmem_cache *cachep, gfp_t flags)
{
	return kmem_cache_alloc(cachep, flags);
}
static void *sess_obj_alloc(struct kmem_cache *c, gfp_t gfp)
{
	return __sess_obj_alloc(c, gfp);
}
static int sess_setup`),
      },
      expect: ['ctor-dtor-candidate@a.c:37'],
    },
    { name: 'no percpu release on the free path: not the pattern', semantics: 'mainline', files: { 'a.c': SESSION(false) }, expect: [] },
    {
      // ext4_mb_mark_diskspace_used()'s shape: a percpu allocation three calls down is not memory the object owns.
      name: 'a percpu allocation deep in what the setup calls: not the pattern',
      semantics: 'mainline',
      files: {
        'a.c': SESSION(true, true)
          .replace('\ts->hits = alloc_percpu(int);\n\treturn s->hits ? 0 : -ENOMEM;', '\treturn deep_1(s);')
          .replace('static int sess_setup', 'int deep_3(struct sess *s) { s->hits = alloc_percpu(int); return 0; }\nint deep_2(struct sess *s) { return deep_3(s); }\nint deep_1(struct sess *s) { return deep_2(s); }\nstatic int sess_setup'),
      },
      expect: [],
    },
  ],
};

registerRuleTests(cases, module);
