import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { extractFacts } from '../../server/src/facts/extract';

const forms = `
#include <linux/slab.h>
struct foo { int a; char name[16]; };
static struct kmem_cache *a_cachep, *b_cachep, *c_cachep, *d_cachep, *e_cachep, *f_cachep, *g_cachep;

static void foo_ctor(void *p) { }
static void foo_dtor(void *p) { }

/* kmem_cache_create("commented", 8, 0, 0, foo_ctor); */
static const char *s = "kmem_cache_create(\\"in a string\\", 8, 0, 0, foo_ctor)";

#if 0
static void dead(void) { a_cachep = kmem_cache_create("dead", 8, 0, 0, foo_ctor); }
#endif

void create_all(void (*ctor)(void *))
{
	struct kmem_cache_args args = {
		.align = 64,
		.ctor = foo_ctor,
	};
	struct kmem_cache_args later = { };

	a_cachep = kmem_cache_create("legacy", sizeof(struct foo), 0,
				     SLAB_HWCACHE_ALIGN | SLAB_PANIC,
				     foo_ctor);
	b_cachep = kmem_cache_create_usercopy("usercopy", sizeof(struct foo), 0, SLAB_ACCOUNT,
				offsetof(struct foo, name),
				sizeof_field(struct foo, name), foo_ctor);
	c_cachep = kmem_cache_create("args_var", sizeof(struct foo), &args, 0);
	d_cachep = kmem_cache_create("args_literal", sizeof(struct foo),
				     &(struct kmem_cache_args){ .ctor = foo_ctor, .dtor = foo_dtor }, 0);
	later.dtor = foo_dtor;
	e_cachep = __kmem_cache_create_args("args_assigned", sizeof(struct foo), &later, 0);
	f_cachep = KMEM_CACHE(foo, SLAB_PANIC);
	g_cachep = kmem_cache_create("param", 32, 0, 0, ctor);
}
`;

test('every creation form is recognised, comments/strings/#if 0 are not', () => {
  const f = extractFacts('/x/forms.c', forms);
  const byName = new Map(f.caches.map((c) => [c.name, c]));
  assert.deepEqual([...byName.keys()].sort(), ['"args_assigned"', '"args_literal"', '"args_var"', '"legacy"', '"param"', '"usercopy"', 'foo'].sort());
  assert.equal(byName.get('"legacy"')!.form, 'legacy5');
  assert.deepEqual(byName.get('"legacy"')!.ctor, { kind: 'function', name: 'foo_ctor', how: 'direct', at: byName.get('"legacy"')!.ctor.kind === 'function' ? (byName.get('"legacy"')!.ctor as { at: [number, number, number, number] }).at : [0, 0, 0, 0] });
  assert.equal(byName.get('"legacy"')!.flags, 'SLAB_HWCACHE_ALIGN | SLAB_PANIC');
  assert.equal(byName.get('"legacy"')!.assignedTo, 'a_cachep');
  // offsetof(struct foo, name) must not shift the 7 arguments.
  const uc = byName.get('"usercopy"')!;
  assert.equal(uc.form, 'usercopy7');
  assert.equal(uc.ctor.kind === 'function' && uc.ctor.name, 'foo_ctor');
  const av = byName.get('"args_var"')!;
  assert.equal(av.ctor.kind === 'function' && av.ctor.name, 'foo_ctor');
  assert.equal(av.align, '64');
  const al = byName.get('"args_literal"')!;
  assert.equal(al.ctor.kind === 'function' && al.ctor.name, 'foo_ctor');
  assert.equal(al.dtor.kind === 'function' && al.dtor.name, 'foo_dtor');
  const aa = byName.get('"args_assigned"')!;
  assert.equal(aa.dtor.kind === 'function' && aa.dtor.name, 'foo_dtor');
  assert.equal(aa.ctor.kind, 'none');
  assert.equal(byName.get('foo')!.form, 'macro');
  assert.equal(byName.get('foo')!.ctor.kind, 'none');
  const p = byName.get('"param"')!;
  assert.equal(p.ctor.kind, 'indirect');
  assert.match(p.ctor.kind === 'indirect' ? p.ctor.why : '', /parameter 'ctor' of create_all/);
  // Spans: the legacy call starts on its line (0-based 26).
  assert.equal(byName.get('"legacy"')!.at[0], forms.split('\n').findIndex((l) => l.includes('"legacy"')));
});

test('table and expression ctors are reported as indirect', () => {
  const f = extractFacts('/x/t.c', `
struct info { const char *name; void (*ctor)(void *); struct kmem_cache **cache; };
static struct info infos[] = { { "x", x_ctor, &x_cachep } };
static struct info named[] = { { .name = "w", .ctor = w_ctor, .cache = &w_cachep }, { .name = "v", .ctor = NULL } };
void init(void)
{
	struct info *info;
	int i;
	for (i = 0; i < 1; i++) {
		info = &infos[i];
		*(info->cache) = kmem_cache_create(info->name, 64, 0, 0, info->ctor);
	}
	y_cachep = kmem_cache_create("y", 64, 0, 0, want ? y_ctor : NULL);
	z_cachep = kmem_cache_create("z", 64, 0, 0, NULL);
}`);
  const kinds = f.caches.map((c) => `${c.name}:${c.ctor.kind}:${c.ctor.kind === 'indirect' ? c.ctor.why : ''}`);
  assert.deepEqual(kinds, ['info->name:indirect:a structure field', '"y":indirect:a conditional expression', '"z":none:']);
  const cands = f.caches.map((c) => (c.ctor.kind === 'indirect' ? c.ctor.candidates ?? [] : []));
  assert.deepEqual(cands, [['w_ctor'], ['y_ctor'], []]);
});
