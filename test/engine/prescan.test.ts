import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { definitions, prescanBuffer } from '../../server/src/scan/prescan';
import { planFocus } from '../../server/src/facts/focus-ranges';
import { maskedSource } from '../../server/src/parse/mask';

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
    return !plan.skipped.has(open);
  };
  assert.equal(kept('foo_ctor'), true);
  assert.equal(kept('foo_init'), true);
  assert.equal(kept('unrelated'), false);
  assert.deepEqual([...plan.skippedByEnd.values()].map((v) => v.name), ['unrelated']);
  // What is parsed: everything but the skipped body's inside.
  const parsed = plan.ranges.map(([s, e]) => text.slice(s, e)).join('');
  assert.ok(!parsed.includes('lots_of_work'));
  assert.ok(parsed.includes('kmem_cache_create') && parsed.includes('init(p)'));
});
