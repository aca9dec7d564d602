/** `slabcheck kb verify` on a tree written for the test, modelled on mm/percpu.c, lib/percpu_counter.c, mm/vmalloc.c. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { tempWorkspace } from '../helpers';

const BIN = path.join(__dirname, '../../../bin/slabcheck.js');

const TREE = {
  'mm/percpu.c': `
static DEFINE_SPINLOCK(pcpu_lock);
struct stock { local_lock_t stock_lock; };
static DEFINE_PER_CPU(struct stock, memcg_stock);
static void refill(void)
{
	unsigned long flags;

	local_lock_irqsave(&memcg_stock.stock_lock, flags);
	local_unlock_irqrestore(&memcg_stock.stock_lock, flags);
}
void free_percpu(void __percpu *ptr)
{
	unsigned long flags;

	spin_lock_irqsave(&pcpu_lock, flags);
	refill();
	spin_unlock_irqrestore(&pcpu_lock, flags);
}
`,
  'mm/vmalloc.c': `
static int vm_count;
void vfree(const void *addr)
{
	vm_count--;
}
`,
  'lib/percpu_counter.c': `
struct percpu_counter { raw_spinlock_t lock; };
static DEFINE_SPINLOCK(percpu_counters_lock);
static void counter_walk(struct percpu_counter *fbc)
{
	spin_lock_irq(&percpu_counters_lock);
	raw_spin_lock(&fbc->lock);
	raw_spin_unlock(&fbc->lock);
	spin_unlock_irq(&percpu_counters_lock);
}
`,
};

test('kb verify: every knowledge-base claim the tree contradicts, with the code as evidence', () => {
  const dir = tempWorkspace(TREE);
  const r = spawnSync(process.execPath, [BIN, 'kb', 'verify', '--format', 'json', '--no-cache', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  const fn = (n: string) => j.functions.find((f: { name: string }) => f.name === n);
  const fp = fn('free_percpu');
  assert.equal(fp.status, 'disagrees');
  const takes = fp.notes.find((n: { kind: string }) => n.kind === 'code-takes');
  assert.match(takes.text, /memcg_stock\.stock_lock/);
  assert.ok(takes.evidence.some((s: { note: string }) => /refill\(\) takes memcg_stock\.stock_lock/.test(s.note)));
  const vf = fn('vfree');
  assert.equal(vf.status, 'disagrees');
  assert.deepEqual(vf.notes.map((n: { kind: string }) => n.kind), ['code-does-not-sleep']);
  assert.equal(fn('synchronize_rcu').status, 'not-in-tree');
  const lock = (n: string) => j.locks.find((l: { lock: string }) => l.lock === n);
  assert.deepEqual(lock('pcpu_lock').nests.map((x: { cls: string }) => x.cls), ['memcg_stock.stock_lock']);
  assert.equal(lock('percpu_counters_lock').kbSays, 'not a leaf');
  assert.deepEqual(lock('percpu_counters_lock').nests.map((x: { cls: string }) => x.cls), ['percpu_counter.lock']);
  assert.equal(j.disagreements, 2);
  const text = spawnSync(process.execPath, [BIN, 'kb', 'verify', '--no-cache', dir], { encoding: 'utf8' }).stdout;
  assert.match(text, /^free_percpu \(.*mm\/percpu\.c:12\): disagrees$/m);
  assert.match(text, /2 disagreements\n?$/);
  assert.doesNotMatch(text, /list_lock/, 'a lock the tree does not hold is not listed');
});

test('kb: an unknown subcommand is a usage error', () => {
  const r = spawnSync(process.execPath, [BIN, 'kb', 'check'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /kb: the subcommand is 'verify'/);
});
