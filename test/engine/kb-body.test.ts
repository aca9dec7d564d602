/**
 * The knowledge base serves functions outside the workspace; where the workspace holds the
 * body, the code decides. These trees are written for the tests, modelled on mm/percpu.c and
 * lib/percpu_counter.c.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { checkFiles } from '../helpers';

const DTOR_CALLING = (callee: string, arg: string) => `#include <linux/slab.h>
struct obj { struct percpu_counter rss[4]; void __percpu *stats; };
static void obj_dtor(void *p)
{
	struct obj *o = p;

	${callee}(${arg});
}
static struct kmem_cache *obj_cachep;
void obj_init(void) { obj_cachep = kmem_cache_create("obj", sizeof(struct obj), &(struct kmem_cache_args){ .dtor = obj_dtor }, 0); }
`;

const PERCPU_C = `
static DEFINE_SPINLOCK(pcpu_lock);
struct pcpu_chunk { int free_bytes; };
struct memcg_stock_pcp { local_lock_t stock_lock; };
static DEFINE_PER_CPU(struct memcg_stock_pcp, memcg_stock);
static void refill_stock(void)
{
	unsigned long flags;

	local_lock_irqsave(&memcg_stock.stock_lock, flags);
	local_unlock_irqrestore(&memcg_stock.stock_lock, flags);
}
void free_percpu(void __percpu *ptr)
{
	unsigned long flags;

	spin_lock_irqsave(&pcpu_lock, flags);
	refill_stock();
	spin_unlock_irqrestore(&pcpu_lock, flags);
}
`;

const PERCPU_COUNTER_C = `
struct percpu_counter { raw_spinlock_t lock; s64 count; struct list_head list; s32 __percpu *counters; };
static DEFINE_SPINLOCK(percpu_counters_lock);
static LIST_HEAD(percpu_counters);
void free_percpu(void __percpu *ptr);
void percpu_counter_destroy_many(struct percpu_counter *fbc, u32 nr)
{
	unsigned long flags;
	u32 i;

	spin_lock_irqsave(&percpu_counters_lock, flags);
	for (i = 0; i < nr; i++)
		list_del(&fbc[i].list);
	spin_unlock_irqrestore(&percpu_counters_lock, flags);
	free_percpu(fbc[0].counters);
}
static int counter_cpu_dead(unsigned int cpu)
{
	struct percpu_counter *fbc;

	spin_lock_irq(&percpu_counters_lock);
	list_for_each_entry(fbc, &percpu_counters, list) {
		raw_spin_lock(&fbc->lock);
		fbc->count = 0;
		raw_spin_unlock(&fbc->lock);
	}
	spin_unlock_irq(&percpu_counters_lock);
	return 0;
}
`;

const nonLeaf = (findings: { rule: string; message: string }[]) => findings.filter((f) => f.rule === 'dtor-non-leaf-lock').map((f) => f.message);

test('a knowledge-base function whose body is in the workspace: its body decides (free_percpu nests a lock under pcpu_lock)', async () => {
  const { findings } = await checkFiles({ 'drivers/x/obj.c': DTOR_CALLING('free_percpu', 'o->stats'), 'mm/percpu.c': PERCPU_C });
  const msgs = nonLeaf(findings);
  assert.equal(msgs.length, 1, findings.map((f) => `${f.rule}: ${f.message}`).join('\n'));
  assert.match(msgs[0], /takes pcpu_lock, which is not a leaf lock \(memcg_stock\.stock_lock is taken while it is held; no path back/);
});

test('without the body, the knowledge base answers: free_percpu takes pcpu_lock, and no leaf claim is made for it', async () => {
  const { findings } = await checkFiles({ 'drivers/x/obj.c': DTOR_CALLING('free_percpu', 'o->stats') });
  assert.deepEqual(nonLeaf(findings), []);
  assert.ok(!findings.some((f) => f.rule === 'dtor-irq-unsafe-lock'), 'pcpu_lock is taken irqsave');
});

test('the code\'s file-static lock and the knowledge base\'s are one class: percpu_counters_lock nests percpu_counter.lock', async () => {
  const { findings } = await checkFiles({
    'kernel/obj.c': DTOR_CALLING('percpu_counter_destroy_many', 'o->rss, 4'),
    'lib/percpu_counter.c': PERCPU_COUNTER_C,
  });
  const msgs = nonLeaf(findings);
  assert.ok(msgs.some((m) => /takes percpu_counters_lock, which is not a leaf lock \(percpu_counter\.lock is taken while it is held; no path back/.test(m)), msgs.join('\n'));
  assert.ok(!msgs.some((m) => m.includes('percpu_counter.c:percpu_counters_lock')), 'one class, named as the knowledge base and lockdep name it');
});

test('several definitions of a knowledge-base function (one per allocator or arch): the knowledge base answers', async () => {
  const def = (lock: string) => `static DEFINE_SPINLOCK(${lock});\nvoid free_percpu(void __percpu *p)\n{\n\tunsigned long f;\n\tspin_lock_irqsave(&${lock}, f);\n\tspin_lock(&${lock}_inner);\n\tspin_unlock(&${lock}_inner);\n\tspin_unlock_irqrestore(&${lock}, f);\n}\n`;
  const { findings } = await checkFiles({
    'drivers/x/obj.c': DTOR_CALLING('free_percpu', 'o->stats'),
    'mm/percpu.c': def('a_lock'),
    'mm/percpu-km.c': def('b_lock'),
  });
  assert.deepEqual(nonLeaf(findings), []);
  assert.ok(!findings.some((f) => /a_lock|b_lock/.test(f.message)));
});

test('the lock hover shows what the discussion said beside what the code shows', async () => {
  const { tempWorkspace } = await import('../helpers');
  const { Engine } = await import('../../server/src/engine/engine');
  const { lockCard } = await import('../../server/src/lsp/hover');
  const { UriMap } = await import('../../server/src/lsp/paths');
  const dir = tempWorkspace({ 'drivers/x/obj.c': DTOR_CALLING('free_percpu', 'o->stats'), 'mm/percpu.c': PERCPU_C });
  const engine = new Engine({ roots: [dir], semantics: 'dtor-rfc', jobs: 1 });
  try {
    const caches = await engine.caches();
    const file = `${dir}/mm/percpu.c`;
    const fn = engine.analysis.functionsIn(file).find((f) => f.name === 'free_percpu')!;
    const e = fn.events.find((x) => x.k === 'lock')! as Parameters<typeof lockCard>[3];
    const card = await lockCard({ engine, caches, findings: [], uris: new UriMap() }, file, fn, e, 'spin_lock_irqsave(&pcpu_lock, flags)');
    assert.match(card, /said in the discussion\*\*: Harry Yoo.*seems to be a leaf spinlock/);
    assert.match(card, /\*\*leaf\*\*: no — `memcg_stock.stock_lock` is taken while it is held/);
  } finally {
    await engine.close();
  }
});
