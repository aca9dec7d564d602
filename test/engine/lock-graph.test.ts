import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Engine } from '../../server/src/engine/engine';
import { tempWorkspace } from '../helpers';
import * as path from 'path';
import { LiveGraph } from '../../server/src/graph/graph-view';

const FILES = {
  'core/pool.c': `struct pool { spinlock_t lock; struct mutex m; };
static DEFINE_SPINLOCK(stats_lock);
static DEFINE_MUTEX(drain_mutex);

/* A wrapper: its closure is its callee's. */
void stats_bump(void)
{
	spin_lock(&stats_lock);
	spin_unlock(&stats_lock);
}
void stats_wrap(void)
{
	stats_bump();
}

/* Tried first, then taken for real: the real acquisition orders. */
static void drain(void)
{
	if (!mutex_trylock(&drain_mutex)) {
		mutex_lock(&drain_mutex);
	}
	mutex_unlock(&drain_mutex);
}

/* Only ever tried: orders nothing. */
static void try_only(struct pool *p)
{
	if (spin_trylock(&p->lock))
		spin_unlock(&p->lock);
}

/* Mutual recursion terminates. */
void ping(int n);
void pong(int n)
{
	if (n)
		ping(n - 1);
	stats_wrap();
}
void ping(int n)
{
	pong(n);
}

void pool_work(struct pool *p)
{
	mutex_lock(&p->m);
	stats_wrap();
	drain();
	try_only(p);
	ping(3);
	free_percpu(p);
	kmalloc(64, GFP_KERNEL);
	kmalloc(64, GFP_ATOMIC);
	mutex_unlock(&p->m);
}
`,
  'core/other.c': `struct pool;
void stats_wrap(void);
static DEFINE_SPINLOCK(other_lock);
void other(void)
{
	spin_lock(&other_lock);
	stats_wrap();
	kfree(0);
	spin_unlock(&other_lock);
}
`,
};

test('lock graph: closures through wrappers, recursion, files; trylocks order nothing; knowledge-base locks; fs_reclaim', async () => {
  const e = new Engine({ roots: [tempWorkspace(FILES)], jobs: 1 });
  const { graph, classes, leaves } = await e.lockGraph();
  await e.close();
  const edges = [...graph].flatMap(([from, m]) => [...m.keys()].map((to) => `${from} -> ${to}`)).sort();
  assert.deepEqual(edges, [
    'other.c:other_lock -> kmem_cache_node.list_lock',
    'other.c:other_lock -> pool.c:stats_lock',
    'pool.m -> fs_reclaim',
    'pool.m -> kmem_cache_node.list_lock',
    'pool.m -> pcpu_lock',
    'pool.m -> pool.c:drain_mutex',
    'pool.m -> pool.c:stats_lock',
  ]);
  assert.ok(leaves.has('pool.c:stats_lock') && !leaves.has('pcpu_lock') && leaves.has('pool.lock'));
  assert.ok(!leaves.has('kmem_cache_node.list_lock'), 'list_lock is known not to be a leaf');
  assert.ok(classes.has('pool.lock'), 'a class only ever try-locked is still a class');
  // Evidence: from where the outer lock is held, down the calls, to where the inner one is taken.
  const chain = graph.get('other.c:other_lock')!.get('pool.c:stats_lock')!.chain.map((s) => s.note);
  assert.deepEqual(chain, [
    'other() holds other.c:other_lock from here',
    'other() calls stats_wrap()',
    'stats_wrap() calls stats_bump()',
    'stats_bump() takes pool.c:stats_lock (spin_lock)',
  ]);
  const reclaim = graph.get('pool.m')!.get('fs_reclaim')!.chain.map((s) => s.note);
  assert.match(reclaim[reclaim.length - 1], /kmalloc\(GFP_KERNEL\), which may enter reclaim/);
});

test('lock graph: the same edges as the per-function summaries (Analysis.lockGraph)', async () => {
  const e = new Engine({ roots: [tempWorkspace(FILES)], jobs: 1 });
  const { graph } = await e.lockGraph();
  const old = e.analysis.lockGraph();
  await e.close();
  const pairs = (g: Map<string, Map<string, unknown>>) => [...g].flatMap(([f, m]) => [...m.keys()].map((t) => `${f} -> ${t}`)).sort();
  // A first trylock of drain_mutex no longer hides the mutex_lock after it in the summaries.
  assert.deepEqual(pairs(graph), pairs(old));
});

test('lock-graph parse leaves lock-free bodies out and reads the same events from their text', async () => {
  const { extractFacts } = await import('../../server/src/facts/extract');
  const text = `static DEFINE_SPINLOCK(l);
static int helper(struct obj *o)
{
	list_for_each_entry(o, &head, node) {
		if (check(o))
			return fixup(o, kmalloc(8, GFP_KERNEL));
	}
	return 0;
}
void locked(struct obj *o)
{
	spin_lock(&l);
	helper(o);
	spin_unlock(&l);
}
`;
  const full = extractFacts('/x.c', text);
  const quiet = extractFacts('/x.c', text, undefined, { quietBodies: true });
  const sig = (f: typeof full) => f.functions.map((fn) => `${fn.name}: ${fn.events.map((e) => `${e.k} ${e.fn} [${e.held}] ${e.at[0]}`).join(', ')}`);
  assert.deepEqual(sig(quiet), sig(full));
  assert.match(sig(quiet)[0], /call check \[\] 4, alloc kmalloc \[\] 5, call fixup/);
  // What was left out of the parse: helper's body only.
  const { planQuietBodies } = await import('../../server/src/facts/focus-ranges');
  const { maskedSource } = await import('../../server/src/parse/mask');
  const { LOCKISH } = await import('../../server/src/facts/function-reader');
  const plan = planQuietBodies(maskedSource(text), LOCKISH);
  assert.deepEqual([...plan.skippedByEnd.values()].map((b) => b.name), ['helper']);
});

/** Locks reached through parameters: the class is the caller's argument, as lockdep keys the instance. */
const PARAM_FILES = {
  'lib/lockit.c': `static DEFINE_SPINLOCK(inner_lock);
void lock_it(spinlock_t *l)
{
	spin_lock(l);
	spin_lock(&inner_lock);
	spin_unlock(&inner_lock);
	spin_unlock(l);
}
/* Passes its own parameter on: bound one caller further up. */
void pass_on(spinlock_t *l2)
{
	lock_it(l2);
}
/* Nobody passes it a readable lock: its nesting stays, under the parameter's fallback name. */
void orphan(spinlock_t *ol)
{
	spin_lock(ol);
	spin_lock(&inner_lock);
	spin_unlock(&inner_lock);
	spin_unlock(ol);
}
`,
  'drv/user.c': `struct pool { spinlock_t lock; struct mutex m; };
struct bucket { spinlock_t block; };
#define BUCKET_LOCK(b) spin_lock(&(b)->block)
#define BUCKET_UNLOCK(b) spin_unlock(&(b)->block)
void lock_it(spinlock_t *l);
void pass_on(spinlock_t *l2);
void take_bucket(struct bucket *b)
{
	BUCKET_LOCK(b);
	BUCKET_UNLOCK(b);
}
void user(struct pool *p, struct bucket *b)
{
	mutex_lock(&p->m);
	lock_it(&p->lock);
	pass_on(&b->block);
	xa_lock_irq(&p->pages);
	xa_unlock_irq(&p->pages);
	mutex_unlock(&p->m);
}
`,
};

test('lock graph: a lock taken through a parameter is the class of the argument passed, in both graphs', async () => {
  const e = new Engine({ roots: [tempWorkspace(PARAM_FILES)], jobs: 1 });
  const { graph, classes } = await e.lockGraph();
  const old = e.analysis.lockGraph();
  const pairs = (g: Map<string, Map<string, unknown>>) => [...g].flatMap(([f, m]) => [...m.keys()].map((t) => `${f} -> ${t}`)).sort();
  assert.deepEqual(pairs(graph), [
    'lockit.c:orphan:ol -> lockit.c:inner_lock',
    'pool.lock -> lockit.c:inner_lock',
    'pool.m -> bucket.block',
    'pool.m -> lockit.c:inner_lock',
    'pool.m -> pool.lock',
    'pool.m -> xarray.xa_lock',
    'bucket.block -> lockit.c:inner_lock',
  ].sort());
  assert.deepEqual(pairs(old), pairs(graph));
  assert.ok(!classes.has('lockit.c:lock_it:l') && !classes.has('lockit.c:pass_on:l2'), 'bound parameters are not classes of their own');
  assert.ok(classes.has('lockit.c:orphan:ol'), 'an unbound parameter lock is kept under its fallback name');
  // Evidence through the binding call, down to the acquisition of the parameter.
  const chain = graph.get('pool.m')!.get('bucket.block')!.chain.map((s) => s.note);
  assert.deepEqual(chain, [
    'user() holds pool.m from here',
    'user() calls pass_on()',
    'pass_on() calls lock_it()',
    'lock_it() takes l, the lock its caller passed (spin_lock)',
  ]);
  const inner = graph.get('bucket.block')!.get('lockit.c:inner_lock')!.chain.map((s) => s.note);
  assert.equal(inner[0], 'user() calls pass_on()');
  // The summaries (what the rules read) name the class the same way.
  const user = e.analysis.functionsIn([...e.project.facts.keys()].find((f) => f.endsWith('user.c'))!).find((f) => f.name === 'user')!;
  const s = e.analysis.summary({ file: [...e.project.facts.keys()].find((f) => f.endsWith('user.c'))!, fn: user });
  assert.deepEqual([...s.acquires.keys()].sort(), ['bucket.block', 'lockit.c:inner_lock', 'pool.lock', 'pool.m', 'xarray.xa_lock']);
  const tb = e.analysis.functionsIn([...e.project.facts.keys()].find((f) => f.endsWith('user.c'))!).find((f) => f.name === 'take_bucket')!;
  assert.deepEqual([...e.analysis.summary({ file: [...e.project.facts.keys()].find((f) => f.endsWith('user.c'))!, fn: tb }).acquires.keys()], ['bucket.block'], 'a macro argument bound by the macro\'s caller');
  await e.close();
});

test('lock classes through local lock pointers, accessor functions and cast/container_of accessor macros', async () => {
  const files = {
    'include/dev.h': `struct dev { spinlock_t lock; void *priv; };
struct dev_priv { spinlock_t plock; struct dev d; };
#define DEV_PRIV(d) ((struct dev_priv *)(d)->priv)
#define to_priv(x) container_of(x, struct dev_priv, d)
spinlock_t *dev_lockptr(struct dev *d);
`,
    'drv/dev.c': `#include "dev.h"
static DEFINE_SPINLOCK(leaf_lock);
void user(struct dev *d)
{
	spinlock_t *l = &d->lock;
	spinlock_t *ptl = dev_lockptr(d);

	spin_lock(l);
	spin_lock(&leaf_lock);
	spin_unlock(&leaf_lock);
	spin_unlock(l);
	spin_lock(ptl);
	spin_lock(&DEV_PRIV(d)->plock);
	spin_unlock(&DEV_PRIV(d)->plock);
	spin_unlock(ptl);
	spin_lock(&to_priv(d)->plock);
	spin_lock(&leaf_lock);
	spin_unlock(&leaf_lock);
	spin_unlock(&to_priv(d)->plock);
}
/* Declared, then set once: an alias too. */
void set_once(struct dev_priv *p)
{
	spinlock_t *l;

	l = &p->plock;
	spin_lock(l);
	spin_unlock(l);
}
/* Reassigned: not an alias, its class stays a name of this function. */
void moving(struct dev *a, struct dev *b)
{
	spinlock_t *l = &a->lock;

	if (b)
		l = &b->lock;
	spin_lock(l);
	spin_lock(&leaf_lock);
	spin_unlock(&leaf_lock);
	spin_unlock(l);
}
`,
  };
  for (const fullThreshold of [undefined, 0]) {
    const e = new Engine({ roots: [tempWorkspace(files)], jobs: 1, fullThreshold });
    const { graph, classes } = await e.lockGraph();
    await e.close();
    assert.ok(!classes.has('dev.c:set_once:l'), 'a lock pointer set once is its value');
    const pairs = [...graph].flatMap(([f, m]) => [...m.keys()].map((t) => `${f} -> ${t}`)).sort();
    assert.deepEqual(pairs, [
      'dev.c:moving:l -> dev.c:leaf_lock',
      'dev.lock -> dev.c:leaf_lock',
      'dev_lockptr() -> dev_priv.plock',
      'dev_priv.plock -> dev.c:leaf_lock',
    ], `fullThreshold ${fullThreshold}`);
  }
});

test('a lock in a file static of an unnamed struct type is named by the variable, in its file', async () => {
  const e = new Engine({ roots: [tempWorkspace({ 'drv/anon.c': `static struct {
	spinlock_t lock;
	int n;
} mb0_transfer;
static DEFINE_SPINLOCK(leaf_lock);
void anon_user(void)
{
	spin_lock(&mb0_transfer.lock);
	spin_lock(&leaf_lock);
	spin_unlock(&leaf_lock);
	spin_unlock(&mb0_transfer.lock);
}
void other_user(void)
{
	spin_lock(&mb0_transfer.lock);
	spin_unlock(&mb0_transfer.lock);
}
` })], jobs: 1 });
  const { graph, classes } = await e.lockGraph();
  await e.close();
  assert.deepEqual([...graph.get('anon.c:mb0_transfer.lock')!.keys()], ['anon.c:leaf_lock']);
  assert.ok(!classes.has('anon.c:other_user:mb0_transfer.lock'), 'one class for every function that takes it');
});

test('lock references through ACCESS_PRIVATE(), parenthesised arguments and xa_lock() name struct fields', async () => {
  const { lockRef } = await import('../../server/src/facts/lock-ref');
  const scope = (n: string) => (n === 'rnp' ? { type: 'struct rcu_node *', local: true, param: 0 } : undefined);
  assert.deepEqual([lockRef('&ACCESS_PRIVATE(rnp, lock)', scope).baseType, lockRef('&ACCESS_PRIVATE(rnp, lock)', scope).fields], ['rcu_node', ['lock']]);
  assert.deepEqual([lockRef('&(rnp)->lock', scope).baseType, lockRef('&(rnp)->lock', scope).param], ['rcu_node', undefined], 'a typed parameter names the class itself');
  const untyped = (n: string) => (n === 'p' ? { type: '', local: true, param: 1 } : undefined);
  assert.equal(lockRef('&(p)->lock', untyped).param, 1, 'a macro argument is bound by the caller');
});

test('a local lock pointer passed to a helper that locks its parameter is what the pointer was set to', async () => {
  const e = new Engine({ roots: [tempWorkspace({ 'k/rstat.c': `static DEFINE_SPINLOCK(leaf3);
raw_spinlock_t some_lock;
static void take(raw_spinlock_t *l)
{
	raw_spin_lock(l);
	spin_lock(&leaf3);
	spin_unlock(&leaf3);
	raw_spin_unlock(l);
}
void updated(int cpu)
{
	raw_spinlock_t *cpu_lock = per_cpu_ptr(&some_lock, cpu);

	take(cpu_lock);
}
` })], jobs: 1 });
  const { graph, classes } = await e.lockGraph();
  await e.close();
  assert.deepEqual([...graph.get('some_lock')?.keys() ?? []], ['rstat.c:leaf3']);
  assert.ok(!classes.has('rstat.c:updated:cpu_lock'));
});

test('closures through recursion do not depend on where the walk starts (a cycle is settled)', async () => {
  const e = new Engine({ roots: [tempWorkspace({ 'k/rec.c': `static DEFINE_SPINLOCK(L);
static DEFINE_SPINLOCK(M1);
static DEFINE_SPINLOCK(M2);
void b(int n);
void c(void)
{
	spin_lock(&L);
	spin_unlock(&L);
}
void a(int n)
{
	b(n);
}
void b(int n)
{
	if (n)
		a(n - 1);
	c();
}
/* Walks b first: a is met inside b's cycle. */
void user1(void)
{
	spin_lock(&M1);
	b(1);
	spin_unlock(&M1);
}
/* a's closure must still hold L, through b. */
void user2(void)
{
	spin_lock(&M2);
	a(1);
	spin_unlock(&M2);
}
` })], jobs: 1 });
  const { graph } = await e.lockGraph();
  assert.deepEqual([...graph.get('rec.c:M1')!.keys()], ['rec.c:L']);
  assert.deepEqual([...graph.get('rec.c:M2')?.keys() ?? []], ['rec.c:L']);
  // The summaries (what the rules read) settle the same way: b asked first, then a.
  e.analysis.invalidate();
  const file = [...e.project.facts.keys()].find((f) => f.endsWith('rec.c'))!;
  const fn = (n: string) => ({ file, fn: e.analysis.functionsIn(file).find((f) => f.name === n)! });
  assert.deepEqual([...e.analysis.summary(fn('b')).acquires.keys()], ['rec.c:L']);
  assert.deepEqual([...e.analysis.summary(fn('a')).acquires.keys()], ['rec.c:L'], 'a takes L through b');
  await e.close();
});

test('graph packs: only the newest three are kept in the cache directory, other files untouched', async () => {
  const fs = await import('fs');
  const path = await import('path');
  const { prunePacks } = await import('../../server/src/engine/graph-load');
  const dir = tempWorkspace({ 'keep.json': '{}' });
  for (let i = 0; i < 5; i++) {
    const f = path.join(dir, `graph-pack-${i}abc.bin`);
    fs.writeFileSync(f, 'x');
    fs.utimesSync(f, 1000 + i, 1000 + i);
  }
  prunePacks(dir, 'graph-pack');
  assert.deepEqual(fs.readdirSync(dir).sort(), ['graph-pack-2abc.bin', 'graph-pack-3abc.bin', 'graph-pack-4abc.bin', 'keep.json']);
});

test('a function-scope static lock is one class named like a file static, also when passed to a helper', async () => {
  const e = new Engine({ roots: [tempWorkspace({ 'k/flush.c': `static DEFINE_SPINLOCK(inner_lock);
static void take(spinlock_t *l)
{
	spin_lock(l);
	spin_unlock(l);
}
void flush_all(int n)
{
	static DEFINE_SPINLOCK(flush_lock);
	static spinlock_t other_lock;
	spinlock_t *p = &other_lock;

	spin_lock(&flush_lock);
	spin_lock(&inner_lock);
	spin_unlock(&inner_lock);
	take(&other_lock);
	spin_unlock(&flush_lock);
	spin_lock(p);
	spin_unlock(p);
}
` })], jobs: 1 });
  const { graph, classes } = await e.lockGraph();
  await e.close();
  assert.deepEqual([...graph.get('flush.c:flush_lock')?.keys() ?? []].sort(), ['flush.c:inner_lock', 'flush.c:other_lock']);
  assert.ok(!classes.has('flush.c:flush_all:flush_lock') && !classes.has('flush.c:flush_all:other_lock') && !classes.has('flush.c:flush_all:p'), [...classes].join(', '));
});

test('the stored whole-tree graph answers what the computed one does, and a change on disk sets it aside', async () => {
  const { answerLockClass } = await import('../../server/src/engine/lock-query');
  const fs = await import('fs');
  const dir = tempWorkspace({
    'mm/pool.c': `struct pool { spinlock_t lock; };
static DEFINE_SPINLOCK(outer);
static DEFINE_MUTEX(big);
static void inner_take(struct pool *p)
{
	spin_lock(&p->lock);
	spin_unlock(&p->lock);
}
void drain(struct pool *p)
{
	spin_lock(&outer);
	inner_take(p);
	spin_unlock(&outer);
	if (spin_trylock(&p->lock))
		spin_unlock(&p->lock);
}
void slow(void)
{
	mutex_lock(&big);
	spin_lock(&outer);
	spin_unlock(&outer);
	mutex_unlock(&big);
}
`,
    'mm/other.c': `void other(struct pool *p)
{
	spin_lock(&p->lock);
	spin_unlock(&p->lock);
}
`,
  });
  const cacheDir = fs.mkdtempSync('/tmp/slabcheck-gi-');
  const open = () => new Engine({ roots: [dir], jobs: 1, fullThreshold: 0, cacheDir });
  const first = open();
  const v1 = await first.graphView();
  const fresh = new LiveGraph(...(await (async () => { const g = await first.lockGraph(); return [g.graph, g.classes, g.leaves, g.lg] as const; })()));
  const facts = first.analysis.lockFacts;
  assert.equal(v1.constructor.name, 'StoredGraph', 'a demand-driven tree with a cache stores its graph');
  for (const cls of ['pool.c:outer', 'pool.lock', 'pool.c:big', 'nope']) {
    assert.deepEqual(answerLockClass(v1, facts, cls), answerLockClass(fresh, facts, cls), cls);
  }
  const q = answerLockClass(v1, facts, 'pool.c:outer');
  assert.equal(q.leaf, 'no');
  assert.deepEqual(q.nests.map((n) => n.cls), ['pool.lock']);
  assert.deepEqual(q.under.map((n) => n.cls), ['pool.c:big']);
  assert.equal(q.nests[0].evidence.length, 3, 'holds, calls inner_take(), takes: the shortest chain');
  assert.deepEqual([q.sites.count, answerLockClass(v1, facts, 'pool.lock').sites.count, answerLockClass(v1, facts, 'pool.lock').sites.trylocks], [2, 3, 1]);
  // The engine keeps the file open: a graph stored again (renamed over it) leaves the open one reading its own records.
  const { writeGraphIndex } = await import('../../server/src/graph/graph-index');
  const file = fs.readdirSync(cacheDir, { recursive: true }).map(String).find((f) => /graph-index-.*\.bin$/.test(f))!;
  const other = new LiveGraph(new Map(), new Set(), new Set(), (await first.lockGraph()).lg);
  const saved = fs.readFileSync(path.join(cacheDir, file));
  writeGraphIndex(path.join(cacheDir, file) + '.new', (v1 as unknown as { stamp: string }).stamp, dir, other);
  fs.renameSync(path.join(cacheDir, file) + '.new', path.join(cacheDir, file));
  assert.deepEqual(answerLockClass(v1, facts, 'pool.c:outer'), answerLockClass(fresh, facts, 'pool.c:outer'), 'still the records of its own file');
  await first.close();
  assert.throws(() => v1.nests('pool.c:big'), /closed/, 'closed with its engine');
  // The next run stores it again (the replacement above holds no class).
  const again = open();
  assert.equal((await again.graphView()).has('pool.c:outer'), false, 'the replacement was read');
  await again.close();
  fs.writeFileSync(path.join(cacheDir, file), saved);
  // The next run reads the stored graph without computing it.
  const second = open();
  const v2 = await second.graphView();
  assert.equal(v2.constructor.name, 'StoredGraph');
  assert.equal(second.timings.graphMs, 0, 'nothing computed');
  await second.close();
  // Rules and hovers ask what nests under a lock: the stored graph answers, for the whole tree.
  const checker = open();
  await checker.caches();
  const from = await checker.analysis.edgesFrom('pool.c:outer');
  assert.equal(from.whole, true);
  assert.deepEqual(from.edges.map((e) => e.to), ['pool.lock']);
  await checker.close();
  // A file changed on disk: the stored graph is not used.
  fs.appendFileSync(path.join(dir, 'mm/other.c'), `void more(void)\n{\n\tspin_lock(&outer2);\n\tspin_unlock(&outer2);\n}\n`);
  const third = open();
  const v3 = await third.graphView();
  assert.ok(v3.has('outer2'), 'recomputed with the new code');
  assert.ok(third.timings.graphMs >= 0 && third.timings.factsMs > 0);
  await third.close();
});

test('a lock pointer set once in a lock-free body (left out of the graph parse) is what it was set to', async () => {
  const files = { 'k/rstat.c': `static DEFINE_PER_CPU(raw_spinlock_t, rstat_cpu_lock);
static DEFINE_SPINLOCK(inner);
static unsigned long take(raw_spinlock_t *cpu_lock)
{
	unsigned long flags;

	if (!raw_spin_trylock_irqsave(cpu_lock, flags))
		raw_spin_lock_irqsave(cpu_lock, flags);
	spin_lock(&inner);
	spin_unlock(&inner);
	return flags;
}
static void untake(raw_spinlock_t *cpu_lock, unsigned long flags)
{
	raw_spin_unlock_irqrestore(cpu_lock, flags);
}
void updated(int cpu)
{
	raw_spinlock_t *cpu_lock = per_cpu_ptr(&rstat_cpu_lock, cpu);
	unsigned long flags;

	flags = take(cpu_lock);
	untake(cpu_lock, flags);
}
` };
  for (const fullThreshold of [1500, 0]) {
    const e = new Engine({ roots: [tempWorkspace(files)], jobs: 1, fullThreshold });
    const { graph, classes } = await e.lockGraph();
    await e.close();
    assert.deepEqual([...graph.get('rstat.c:rstat_cpu_lock')?.keys() ?? []], ['rstat.c:inner'], `threshold ${fullThreshold}: ${[...classes].join(', ')}`);
  }
});

test("a lock primitive's own definition (mutex.h's mutex_lock for a config) gives no class of its own", async () => {
  const e = new Engine({ roots: [tempWorkspace({
    'include/linux/mutex.h': `static inline void mutex_lock(struct mutex *lock)
{
	mutex_lock_nested(lock, 0);
}
`,
    'k/user.c': `static DEFINE_MUTEX(user_mutex);
void user(void)
{
	mutex_lock(&user_mutex);
	mutex_unlock(&user_mutex);
}
`,
  })], jobs: 1 });
  const { classes } = await e.lockGraph();
  await e.close();
  assert.deepEqual([...classes].sort(), ['user.c:user_mutex']);
});
