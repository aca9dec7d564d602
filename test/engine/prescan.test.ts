import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { definitions, prescanBuffer } from '../../server/src/scan/prescan';
import { planFocus } from '../../server/src/facts/focus-ranges';
import { maskedSource } from '../../server/src/parse/mask';
import { extractFacts } from '../../server/src/facts/extract';

const SRC = `static DEFINE_SPINLOCK(map_lock);

static int __sq_remap(struct sq_map *map, int prot)
{
	spin_lock_irq(&map_lock);
	map->prot = prot;
	spin_unlock_irq(&map_lock);
	return 0;
}

void take_it(struct obj *o) __acquires(&o->lock)
{
	spin_lock(&o->lock);
}

static void
__attribute__((noinline)) split_line(void)
{
}

static const struct ops my_ops =
{
	.open = take_it,
};
`;

test('pre-scan definitions: __-prefixed functions are definitions, trailing annotations are not', () => {
  assert.deepEqual(definitions(Buffer.from(SRC)), ['__sq_remap', 'take_it', 'split_line']);
});

test('pre-scan flags: locks, cache creation and allocation, binary files', () => {
  const p = prescanBuffer(Buffer.from(SRC), SRC.length, 0, 1 << 20, 'x.c');
  assert.equal(p.hasLock, true);
  assert.equal(p.hasCreate, false);
  const c = 'void f(void)\n{\n\tc = KMEM_CACHE(foo, 0);\n\tx = kmem_cache_alloc(c->objs, GFP_KERNEL);\n}\n';
  const q = prescanBuffer(Buffer.from(c), c.length, 0, 1 << 20, 'y.c');
  assert.equal(q.hasCreate, true);
  assert.equal(q.hasLock, false);
  assert.deepEqual(q.cacheUses, ['objs']);
  const bin = Buffer.from('abc\0def');
  assert.match(prescanBuffer(bin, bin.length, 0, 1 << 20, 'z.c').skipped ?? '', /binary/);
});

test('focused parse plan: keeps creating functions and the ctor they name, skips the rest', () => {
  const text = `static void foo_ctor(void *p)
{
	init(p);
}

static void unrelated(void)
{
	lots_of_work();
}

static int __init foo_init(void)
{
	foo_cachep = kmem_cache_create("foo", 64, 0, 0, foo_ctor);
	return 0;
}
`;
  const plan = planFocus(maskedSource(text));
  const kept = (name: string) => {
    const at = text.indexOf(`${name}(`);
    const open = text.indexOf('{', at);
    return !plan.skipped.has(open) && !plan.cut.some((c) => c.start <= open && open < c.end);
  };
  assert.equal(kept('foo_ctor'), true);
  assert.equal(kept('foo_init'), true);
  assert.equal(kept('unrelated'), false);
  // A plain header is left out with its body (its stub comes from the text).
  assert.deepEqual(plan.cut.map((c) => [c.name, text.slice(c.start, c.end).split('\n')[0]]), [['unrelated', 'static void unrelated(void)']]);
  const parsed = plan.ranges.map(([s, e]) => text.slice(s, e)).join('');
  assert.ok(!parsed.includes('lots_of_work') && !parsed.includes('unrelated'));
  assert.ok(parsed.includes('kmem_cache_create') && parsed.includes('init(p)'));
});

test('focused parse plan: a header tree-sitter reads otherwise keeps its header; stubs are the same either way', () => {
  const text = `struct rt { int n; };
static struct kmem_cache *c;
INDIRECT_CALLABLE_SCOPE struct rt *lookup_a(int x)
{
	return 0;
}

SYSCALL_DEFINE2(frob, int, a, int, b)
{
	return 0;
}

static inline unsigned long
plain_b(const struct rt *r)
{
	return r->n;
}

int __init make(void)
{
	c = kmem_cache_create("rt", sizeof(struct rt), 0, 0, NULL);
	return 0;
}
`;
  const plan = planFocus(maskedSource(text));
  assert.deepEqual(plan.cut.map((c) => c.name), ['plain_b']);
  assert.deepEqual([...plan.skippedByEnd.values()].map((v) => v.name), ['lookup_a', 'SYSCALL_DEFINE2']);
  const facts = extractFacts('rt.c', text, undefined, { focus: 'creations' });
  const stub = facts.functions.find((f) => f.name === 'plain_b')!;
  assert.equal(stub.stub, true);
  assert.equal(stub.isStatic, true);
  assert.equal(stub.returns, 'unsigned long');
  assert.deepEqual(stub.at, [12, 0, 16, 1]);
  // In file order among the functions the parse found.
  assert.deepEqual(facts.functions.map((f) => f.name), ['lookup_a', 'plain_b', 'make']);
  // Asked for by name, it is read in full like any kept function.
  const full = extractFacts('rt.c', text, undefined, { focus: 'creations', want: ['plain_b'] }).functions.find((f) => f.name === 'plain_b')!;
  assert.equal(full.stub, undefined);
  assert.deepEqual(full.params, [{ name: 'r', type: 'struct rt *' }]);
  // The span read from the text is the one tree-sitter gives the parsed function.
  assert.deepEqual(full.at, stub.at);
});
