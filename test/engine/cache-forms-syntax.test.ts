/**
 * Cache creations read from the syntax tree: every spelling of the arguments, preprocessor
 * branches, functions tree-sitter cannot parse, and how each ctor/dtor was read (CtorRef.how).
 * The C here is written for these tests, in kernel style.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { extractFacts } from '../../server/src/facts/extract';
import { parseC } from '../../server/src/parse/parser';
import type { CacheCreation, CtorRef } from '../../server/src/facts/types';
import { brief, checkFiles } from '../helpers';
import { HDR } from '../rules/common';

/** "name/how" for a function, "indirect:how" (with candidates) for the rest, "-" for none. */
function ref(r: CtorRef): string {
  if (r.kind === 'none') return '-';
  if (r.kind === 'function') return `${r.name}/${r.how}`;
  return `indirect:${r.how}${r.candidates ? `[${r.candidates.join(',')}]` : ''}`;
}

function creations(text: string, path = '/x/drivers/foo/foo.c'): Map<string, CacheCreation> {
  const f = extractFacts(path, text);
  const out = new Map<string, CacheCreation>();
  for (const c of f.caches) {
    assert.ok(!out.has(c.name), `creation ${c.name} found twice`);
    out.set(c.name, c);
  }
  return out;
}

function get(m: Map<string, CacheCreation>, name: string): CacheCreation {
  const c = m.get(name);
  assert.ok(c, `no creation ${name}; found ${[...m.keys()].join(', ')}`);
  return c;
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle));

test('parentheses around every argument, the compound literal included', () => {
  const text = `
static void f(void *p) { }
static void g(void *p) { }
void setup(size_t size, slab_flags_t flags)
{
	paren_cachep = kmem_cache_create("paren", (size),
			(&(struct kmem_cache_args){ .ctor = (f), .dtor = g }), (flags));
	plain_cachep = kmem_cache_create("plain", size, &(struct kmem_cache_args){ .ctor = f, .dtor = g }, flags);
}
`;
  const m = creations(text);
  const p = get(m, '"paren"');
  assert.equal(p.form, 'args');
  assert.equal(ref(p.ctor), 'f/direct');
  assert.equal(p.ctor.kind === 'function' && p.ctor.expr, '(f)');
  assert.equal(ref(p.dtor), 'g/direct');
  assert.equal(p.dtor.kind === 'function' && p.dtor.expr, undefined);
  assert.equal(p.size, '(size)');
  assert.equal(p.flags, '(flags)');
  assert.equal(p.assignedTo, 'paren_cachep');
  assert.equal(p.inFunction, 'setup');
  // argsAt is the initialiser's braces, at = the whole call, nameAt = the API identifier.
  const l = lineOf(text, '.ctor = (f)');
  assert.deepEqual(p.argsAt, [l, text.split('\n')[l].indexOf('{'), l, text.split('\n')[l].indexOf('}') + 1]);
  const callLine = lineOf(text, '"paren"');
  const col = text.split('\n')[callLine].indexOf('kmem_cache_create');
  assert.deepEqual(p.nameAt, [callLine, col, callLine, col + 'kmem_cache_create'.length]);
  assert.deepEqual(p.at.slice(0, 2), [callLine, col]);
  assert.equal(p.at[2], l);
  const q = get(m, '"plain"');
  assert.equal(ref(q.ctor), 'f/direct');
  assert.equal(ref(q.dtor), 'g/direct');
});

test('kmem_cache_args from a function-like macro of the file, and from one defined elsewhere', () => {
  const text = `
#define ITEM_ARGS(c, d) (&(struct kmem_cache_args){ .ctor = c, .dtor = d })
#define ALIGNED_ARGS(a, c)				\\
	(&(struct kmem_cache_args){			\\
		.align = (a),				\\
		.ctor = &c,				\\
	})
static void item_ctor(void *p) { }
static void item_dtor(void *p) { }
static int __init item_init(void (*fallback)(void *))
{
	item_cachep = kmem_cache_create("item", sizeof(struct item), ITEM_ARGS(item_ctor, item_dtor), 0);
	al_cachep = kmem_cache_create("aligned", sizeof(struct item), ALIGNED_ARGS(64, item_ctor), SLAB_PANIC);
	fb_cachep = kmem_cache_create("fallback", sizeof(struct item), ITEM_ARGS(fallback, NULL), 0);
	ext_cachep = kmem_cache_create("external", sizeof(struct item), FOO_CACHE_ARGS(item_ctor), 0);
	return 0;
}
`;
  const m = creations(text);
  const it = get(m, '"item"');
  assert.equal(ref(it.ctor), 'item_ctor/macro-argument');
  assert.equal(ref(it.dtor), 'item_dtor/macro-argument');
  assert.equal(it.ctor.kind === 'function' && it.ctor.expr, 'ITEM_ARGS(item_ctor, item_dtor)');
  // The ctor's span is the argument the call passed, where the user wrote the name.
  const l = lineOf(text, '"item"');
  assert.equal(it.ctor.kind === 'function' && it.ctor.at[0], l);
  assert.equal(it.argsAt, undefined);
  const al = get(m, '"aligned"');
  assert.equal(ref(al.ctor), 'item_ctor/macro-argument');
  assert.equal(ref(al.dtor), '-');
  assert.equal(al.align, '64');
  const fb = get(m, '"fallback"');
  assert.equal(ref(fb.ctor), 'indirect:parameter');
  assert.match(fb.ctor.kind === 'indirect' ? fb.ctor.why : '', /parameter 'fallback' of item_init\(\), through macro ITEM_ARGS\(\)/);
  assert.equal(ref(fb.dtor), '-');
  // Not defined in this file: reported, never dropped.
  const ext = get(m, '"external"');
  assert.equal(ref(ext.ctor), 'indirect:macro-argument');
  assert.match(ext.ctor.kind === 'indirect' ? ext.ctor.why : '', /FOO_CACHE_ARGS/);
});

test('kmem_cache_args in variables: local and static initialisers, fields set one by one, designators in any order', () => {
  const text = `
static void a_ctor(void *p) { }
static void a_dtor(void *p) { }
static void b_ctor(void *p) { }
static const struct kmem_cache_args glob_args = {
	.dtor = a_dtor,
	.align = 32,
	.ctor = &a_ctor,
};
void make(void)
{
	struct kmem_cache_args rev = { .dtor = &a_dtor, .ctor = (void (*)(void *))a_ctor };
	struct kmem_cache_args fields;
	struct kmem_cache_args shared = { };

	memset(&fields, 0, sizeof(fields));
	fields.ctor = b_ctor;
	fields.dtor = a_dtor;
	g_cachep = kmem_cache_create("global", 64, &glob_args, 0);
	r_cachep = kmem_cache_create("reversed", 64, &rev, 0);
	f_cachep = __kmem_cache_create_args("fields", 64, (&fields), 0);
	shared.ctor = a_ctor;
	s1_cachep = kmem_cache_create("shared1", 64, &shared, 0);
	shared.ctor = b_ctor;
	s2_cachep = kmem_cache_create("shared2", 64, &shared, 0);
}
`;
  const m = creations(text);
  const g = get(m, '"global"');
  assert.equal(ref(g.ctor), 'a_ctor/address-of');
  assert.equal(g.ctor.kind === 'function' && g.ctor.expr, '&a_ctor');
  assert.equal(ref(g.dtor), 'a_dtor/direct');
  assert.equal(g.align, '32');
  const gl = lineOf(text, 'static const struct kmem_cache_args glob_args');
  assert.deepEqual(g.argsAt?.slice(0, 2), [gl, 'static const '.length]);
  assert.equal(g.argsAt?.[2], lineOf(text, '};'));
  const r = get(m, '"reversed"');
  assert.equal(ref(r.ctor), 'a_ctor/direct');
  assert.equal(r.ctor.kind === 'function' && r.ctor.expr, '(void (*)(void *))a_ctor');
  assert.equal(ref(r.dtor), 'a_dtor/address-of');
  const f = get(m, '"fields"');
  assert.equal(f.api, '__kmem_cache_create_args');
  assert.equal(ref(f.ctor), 'b_ctor/direct');
  assert.equal(ref(f.dtor), 'a_dtor/direct');
  assert.equal(f.argsAt, undefined);
  // One variable for two caches: each reads the assignments before it.
  assert.equal(ref(get(m, '"shared1"').ctor), 'a_ctor/direct');
  assert.equal(ref(get(m, '"shared2"').ctor), 'b_ctor/direct');
});

test('every API form and argument count', () => {
  const text = `
struct foo { int a; struct { char buf[16]; } inner; };
static void foo_ctor(void *p) { }
void forms(void)
{
	a = kmem_cache_create("legacy", sizeof(struct foo), 0, SLAB_PANIC, foo_ctor);
	b = kmem_cache_create_usercopy("usercopy", sizeof(struct foo), 0, SLAB_ACCOUNT,
			offsetof(struct foo, inner.buf),
			sizeof_field(struct foo, inner.buf), &foo_ctor);
	c = kmem_cache_create_rcu("rcu", sizeof(struct foo), offsetof(struct foo, a), SLAB_PANIC);
	d = kmem_cache_create("args_null", sizeof(struct foo), NULL, SLAB_PANIC);
	e = __kmem_cache_create_args("internal", sizeof(struct foo), &(struct kmem_cache_args){ .ctor = foo_ctor }, 0);
	f = KMEM_CACHE(foo, SLAB_PANIC | SLAB_ACCOUNT);
	g = KMEM_CACHE_USERCOPY(bar, 0, inner);
	h = kmem_cache_create("three", 8, 0);
}
`;
  const m = creations(text);
  assert.deepEqual([...m.keys()], ['"legacy"', '"usercopy"', '"rcu"', '"args_null"', '"internal"', 'foo', 'bar']);
  const byForm = [...m.values()].map((c) => `${c.api}:${c.form}:${ref(c.ctor)}`);
  assert.deepEqual(byForm, [
    'kmem_cache_create:legacy5:foo_ctor/direct',
    'kmem_cache_create_usercopy:usercopy7:foo_ctor/address-of',
    'kmem_cache_create_rcu:args:-',
    'kmem_cache_create:args:-',
    '__kmem_cache_create_args:args:foo_ctor/direct',
    'KMEM_CACHE:macro:-',
    'KMEM_CACHE_USERCOPY:macro:-',
  ]);
  assert.equal(get(m, '"usercopy"').flags, 'SLAB_ACCOUNT');
  assert.equal(get(m, 'foo').size, 'sizeof(struct foo)');
  assert.equal(get(m, 'foo').flags, 'SLAB_PANIC | SLAB_ACCOUNT');
});

test('the API itself is not a creation; a macro that wraps it is, with its arguments indirect', () => {
  // Modelled on include/linux/slab.h: declarations, a _Generic kmem_cache_create, KMEM_CACHE, an inline wrapper.
  const slabH = `
struct kmem_cache *__kmem_cache_create_args(const char *name, unsigned int object_size,
					    struct kmem_cache_args *args, slab_flags_t flags);
static inline struct kmem_cache *
kmem_cache_create_usercopy(const char *name, unsigned int size, unsigned int align,
			   slab_flags_t flags, unsigned int useroffset, unsigned int usersize,
			   void (*ctor)(void *))
{
	struct kmem_cache_args kmem_args = { .align = align, .ctor = ctor };

	return __kmem_cache_create_args(name, size, &kmem_args, flags);
}
#define kmem_cache_create(__name, __object_size, __args, ...)		\\
	_Generic((__args),						\\
		struct kmem_cache_args *: __kmem_cache_create_args,	\\
		void *: __kmem_cache_default_args,			\\
		default: __kmem_cache_create)(__name, __object_size, __args, __VA_ARGS__)
#define KMEM_CACHE(__struct, __flags)					\\
	__kmem_cache_create_args(#__struct, sizeof(struct __struct),	\\
			&(struct kmem_cache_args) {			\\
				.align	= __alignof__(struct __struct),	\\
			}, (__flags))
EXPORT_SYMBOL(__kmem_cache_create_args);
`;
  assert.deepEqual(extractFacts('/k/include/linux/slab.h', slabH).caches, []);
  const user = `
#define FOO_CACHE(__struct, __ctor)					\\
	kmem_cache_create(#__struct, sizeof(struct __struct), 0,	\\
			  SLAB_PANIC, __ctor)
static int create_cache(struct pool *pool)
{
	pool->cachep = kmem_cache_create("pool", 64, 0, 0, pool_ctor);
	return pool->cachep ? 0 : -ENOMEM;
}
`;
  const m = creations(user, '/k/mm/zspool.c');
  const w = get(m, '#__struct');
  assert.equal(w.inFunction, '#define FOO_CACHE');
  assert.equal(w.size, 'sizeof(struct __struct)');
  assert.equal(ref(w.ctor), 'indirect:macro-argument');
  assert.match(w.ctor.kind === 'indirect' ? w.ctor.why : '', /argument of macro FOO_CACHE/);
  // create_cache() is the API's own only in mm/slab_common.c.
  const p = get(m, '"pool"');
  assert.equal(p.inFunction, 'create_cache');
  assert.equal(ref(p.ctor), 'pool_ctor/direct');
  assert.deepEqual(extractFacts('/k/mm/slab_common.c', user.replace(/#define[^]*?__ctor\)\n/, '')).caches, []);
});

test('ctor values: conditional, parameter, table field, local pointer, selector, args parameter, expressions', () => {
  const text = `
struct info { const char *name; void (*ctor)(void *); struct kmem_cache **cache; };
static struct info infos[] = {
	{ .name = "one", .ctor = one_ctor, .cache = &one_cachep },
	{ .name = "two", .ctor = &two_ctor, .cache = &two_cachep },
	{ .name = "three", .ctor = NULL },
};
static void (*pick_ctor(int kind))(void *);
void table(int want, void (*param_ctor)(void *), struct kmem_cache_args *given, void (**pctor)(void *))
{
	void (*local)(void *) = want ? one_ctor : two_ctor;
	int i;

	if (want > 1)
		local = three_ctor;
	cond_cachep = kmem_cache_create("cond", 8, 0, 0, want ? (one_ctor) : &two_ctor);
	param_cachep = kmem_cache_create("param", 8, 0, 0, param_ctor);
	for (i = 0; i < ARRAY_SIZE(infos); i++) {
		*infos[i].cache = kmem_cache_create(infos[i].name, 8, 0, 0, infos[i].ctor);
		infos[i].cache[0] = kmem_cache_create("byptr", 8, 0, 0, (&infos[i])->ctor);
	}
	local_cachep = kmem_cache_create("local", 8, 0, 0, local);
	sel_cachep = kmem_cache_create("selector", 8, 0, 0, pick_ctor(want));
	given_cachep = kmem_cache_create("given", 8, given, 0);
	expr_cachep = kmem_cache_create("expr", 8, 0, 0, *pctor);
	call_cachep = kmem_cache_create("call", 8, make_args(want), 0);
}
`;
  const m = creations(text);
  assert.equal(ref(get(m, '"cond"').ctor), 'indirect:conditional[one_ctor,two_ctor]');
  assert.equal(ref(get(m, '"param"').ctor), 'indirect:parameter');
  const t = get(m, 'infos[i].name');
  assert.equal(ref(t.ctor), 'indirect:table-field[one_ctor,two_ctor]');
  assert.equal(t.ctor.kind === 'indirect' && t.ctor.why, 'a structure field');
  assert.equal(t.assignedTo, 'infos[i].cache');
  assert.equal(ref(get(m, '"byptr"').ctor), 'indirect:table-field[one_ctor,two_ctor]');
  assert.equal(get(m, '"byptr"').assignedTo, 'infos[i].cache[0]');
  const l = get(m, '"local"');
  assert.equal(ref(l.ctor), 'indirect:local[one_ctor,two_ctor,three_ctor]');
  assert.equal(l.ctor.kind === 'indirect' && l.ctor.why, "local function pointer 'local' in table()");
  const s = get(m, '"selector"');
  assert.equal(ref(s.ctor), 'indirect:selector');
  assert.equal(s.ctor.kind === 'indirect' && s.ctor.why, 'chosen by a call to pick_ctor()');
  const g = get(m, '"given"');
  assert.equal(ref(g.ctor), 'indirect:args-parameter');
  assert.match(g.ctor.kind === 'indirect' ? g.ctor.why : '', /parameter 'given' of table\(\)/);
  assert.equal(ref(g.dtor), '-');
  assert.equal(ref(get(m, '"expr"').ctor), 'indirect:expression');
  const c = get(m, '"call"');
  assert.equal(ref(c.ctor), 'indirect:args-expression');
  assert.equal(c.ctor.kind === 'indirect' && c.ctor.why, 'kmem_cache_args returned by make_args()');
});

test('assignment targets: plain, field, declaration, through a cast and a condition', () => {
  const text = `
void targets(struct state *s)
{
	struct kmem_cache *decl = kmem_cache_create("decl", 8, 0, 0, NULL);

	plain_cachep = kmem_cache_create("plain", 8, 0, 0, NULL);
	s->cache = kmem_cache_create("field", 8, 0, 0, NULL);
	cast_cachep = (struct kmem_cache *)kmem_cache_create("cast", 8, 0, 0, NULL);
	if (!(cond_cachep = kmem_cache_create("cond", 8, 0, 0, NULL)))
		return;
	*s->slot = kmem_cache_create("deref", 8, 0, 0, NULL);
	use(kmem_cache_create("none", 8, 0, 0, NULL));
}
`;
  const m = creations(text);
  const to = (n: string) => get(m, n).assignedTo;
  assert.equal(to('"decl"'), 'decl');
  assert.equal(to('"plain"'), 'plain_cachep');
  assert.equal(to('"field"'), 's->cache');
  assert.equal(to('"cast"'), 'cast_cachep');
  assert.equal(to('"cond"'), 'cond_cachep');
  assert.equal(to('"deref"'), 's->slot');
  assert.equal(to('"none"'), undefined);
});

test('creations in #ifdef and #else branches, and an #ifdef inside the arguments', () => {
  const text = `
static void fast_ctor(void *p) { }
static void slow_ctor(void *p) { }
static void dbg_dtor(void *p) { }
static int __init pool_init(void)
{
#ifdef CONFIG_POOL_FAST
	pool_cachep = kmem_cache_create("pool_fast", sizeof(struct pool), 0,
					SLAB_HWCACHE_ALIGN, fast_ctor);
#else
	pool_cachep = kmem_cache_create("pool_slow", sizeof(struct pool),
					&(struct kmem_cache_args){ .ctor = slow_ctor }, 0);
#endif
	dbg_cachep = kmem_cache_create("dbg", sizeof(struct pool), 0,
#ifdef CONFIG_POOL_DEBUG
				       SLAB_PANIC | SLAB_RED_ZONE,
#else
				       SLAB_PANIC,
#endif
				       slow_ctor);
	{
		struct kmem_cache_args args = {
#ifdef CONFIG_POOL_DEBUG
			.dtor = dbg_dtor,
#endif
			.ctor = fast_ctor,
		};
		x_cachep = kmem_cache_create("ifdef_init", 8, &args, 0);
	}
	return 0;
}
`;
  const m = creations(text);
  const fast = get(m, '"pool_fast"');
  assert.equal(ref(fast.ctor), 'fast_ctor/direct');
  assert.equal(fast.assignedTo, 'pool_cachep');
  assert.equal(fast.inFunction, 'pool_init');
  const slow = get(m, '"pool_slow"');
  assert.equal(ref(slow.ctor), 'slow_ctor/direct');
  assert.equal(slow.form, 'args');
  // The first branch's flags; five arguments whichever branch.
  const dbg = get(m, '"dbg"');
  assert.equal(dbg.form, 'legacy5');
  assert.equal(dbg.flags, 'SLAB_PANIC | SLAB_RED_ZONE');
  assert.equal(ref(dbg.ctor), 'slow_ctor/direct');
  const ii = get(m, '"ifdef_init"');
  assert.equal(ref(ii.ctor), 'fast_ctor/direct');
  assert.equal(ref(ii.dtor), 'dbg_dtor/direct');
});

/** A function tree-sitter cannot parse, and the one after it, swallowed into one ERROR node. */
const broken = `
#include <linux/slab.h>
static struct kmem_cache *foo_cachep;
static LIST_HEAD(foo_list);

static int foo_prepare(struct foo *p)
{
	struct foo *q;

	if (
#ifdef CONFIG_FOO_EXTRA
		!p->extra &&
#endif
	    p->count == 0)
		return 0;
	list_for_each_entry(q, &foo_list, node) {
		q->count++;
	} __acquires(q) BUILD_BUG_ON_ZERO(0) odd_macro(q)
	return 1;
}

static void foo_ctor(void *obj)
{
	struct foo *f = obj;

	f->count = 0;
}

static int __init foo_init(void (*fallback)(void *))
{
	struct kmem_cache_args args = { .ctor = foo_ctor };
	struct foo *p;

	list_for_each_entry(p, &foo_list, node) {
		p->count++;
	}
	foo_cachep = kmem_cache_create("foo", sizeof(struct foo), &args,
				       SLAB_PANIC);
	bar_cachep = kmem_cache_create("bar", sizeof(struct foo), 0, 0, fallback);
	return 0;
}
`;

test('creations inside functions tree-sitter swallowed into an ERROR node', () => {
  // The premise: in the file's own tree the creation sits inside an ERROR.
  const tree = parseC(broken);
  let n = tree.rootNode.descendantForIndex(broken.indexOf('kmem_cache_create'));
  let inError = false;
  for (; n; n = n.parent!) if (n.type === 'ERROR') inError = true;
  assert.ok(inError, 'the fixture no longer puts the creation in an ERROR node');
  for (const focus of [undefined, 'creations' as const]) {
    const f = extractFacts('/x/foo.c', broken, undefined, focus ? { focus } : {});
    const m = new Map(f.caches.map((c) => [c.name, c]));
    assert.deepEqual([...m.keys()], ['"foo"', '"bar"'], `focus ${focus}`);
    const foo = m.get('"foo"')!;
    assert.equal(ref(foo.ctor), 'foo_ctor/direct');
    assert.equal(foo.assignedTo, 'foo_cachep');
    assert.equal(foo.inFunction, 'foo_init');
    assert.ok(foo.argsAt);
    const bar = m.get('"bar"')!;
    assert.equal(ref(bar.ctor), 'indirect:parameter');
    assert.equal(bar.at[0], lineOf(broken, '"bar"'));
  }
});

test('a creation in a body the parse left out is read from its statement alone', () => {
  // quietBodies leaves out bodies with no lock primitive: no tree node exists for this call.
  const text = `
static void foo_ctor(void *obj) { }
static int __init foo_init(void)
{
	foo_cachep = kmem_cache_create("foo", sizeof(struct foo), 0, SLAB_PANIC, &foo_ctor);
	return 0;
}
`;
  const f = extractFacts('/x/foo.c', text, undefined, { quietBodies: true });
  assert.equal(f.caches.length, 1);
  const c = f.caches[0];
  assert.equal(ref(c.ctor), 'foo_ctor/address-of');
  assert.equal(c.assignedTo, 'foo_cachep');
  assert.equal(c.inFunction, 'foo_init');
  assert.deepEqual(c, extractFacts('/x/foo.c', text).caches[0]);
});

test('end to end: the parenthesised compound literal gets the same dtor findings as the plain one', async () => {
  const dtor = `${HDR}
static void item_dtor(void *obj)
{
	struct item *it = obj;

	synchronize_rcu();
	mutex_lock(&it->owner->mlock);
	it->buf = NULL;
	mutex_unlock(&it->owner->mlock);
}
static struct kmem_cache *item_cachep;
static int __init item_cache_init(void)
{
	item_cachep = kmem_cache_create("item", sizeof(struct item),
`;
  const plain = `${dtor}\t\t\t&(struct kmem_cache_args){ .dtor = item_dtor }, SLAB_HWCACHE_ALIGN);\n\treturn 0;\n}\n`;
  const paren = `${dtor}\t\t\t(&(struct kmem_cache_args){ .dtor = (item_dtor) }), (SLAB_HWCACHE_ALIGN));\n\treturn 0;\n}\n`;
  const a = await checkFiles({ 'a.c': plain });
  const b = await checkFiles({ 'a.c': paren });
  const got = brief(b.findings, b.dir);
  assert.deepEqual(got, brief(a.findings, a.dir));
  assert.ok(got.some((x) => x.startsWith('dtor-sleeping-lock@a.c:')), got.join('\n'));
  assert.ok(got.some((x) => x.startsWith('dtor-may-sleep@a.c:')), got.join('\n'));
});
