/**
 * The simulator report grammar (syntaxes/slabcheck-report.tmLanguage.json),
 * scopeName text.slabcheck.report. The sample report is written for this test.
 */
import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Doc, scopesOf, tokenizeReport, tokenOf } from './tmHelpers';

const REPORT = `slabcheck simulator report (model v1)
cache: foo_cache (object 192 bytes, align 64, flags SLAB_HWCACHE_ALIGN|SLAB_PANIC)
lock: kmem_cache_node.list_lock

WARNING: possible circular locking dependency detected: pcpu_alloc_mutex -> &n->list_lock -> pcpu_alloc_mutex
WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected: foo_lock -> pcpu_lock (foo_lock is taken in hardirq context)
WARNING: inconsistent lock state: kmem_cache_node.list_lock {HARDIRQ-ON-W} -> {IN-HARDIRQ-W} usage
BUG: sleeping function called from invalid context: pcpu_alloc_mutex (a sleeping lock) taken under a spinlock

======================================================
WARNING: possible circular locking dependency detected
------------------------------------------------------
sim-worker/3 is trying to acquire lock:
 (pcpu_alloc_mutex){+.+.}-{4:4}, at: pcpu_alloc_noprof+0x1a0/0x890 (mm/percpu.c:1780)

but task is already holding lock:
 #0: ffff888003a1b2c0 (&n->list_lock){-.-.}-{3:3}, at: __slab_free (mm/slub.c:4310)

which lock already depends on the new lock.

the existing dependency chain (in reverse order) is:

-> #1 (kmem_cache_node.list_lock){-.-.}-{3:3}:
       foo_dtor (drivers/foo/foo.c:88)
       discard_slab+0x40/0x100

-> #0 (pcpu_alloc_mutex){+.+.}-{4:4}:
       mutex_lock (kernel/locking/mutex.c:286)

other info that might help us debug this:
 (fs_reclaim) was taken by the allocation in foo_ctor

 Possible unsafe locking scenario:

       CPU0                    CPU1
       ----                    ----
  lock(&n->list_lock);
                               lock(pcpu_alloc_mutex);
                               lock(&n->list_lock);
  lock(pcpu_alloc_mutex);

 *** DEADLOCK ***

Timeline:
    12345 ns  CPU3  lock(pcpu_lock)
    12410 ns  CPU3  unlock(pcpu_lock)
    13.5 us   CPU1  trylock(&mm->lock)
    14.0 us   CPU1  alloc(percpu, GFP_KERNEL) (fs_reclaim)
    15000 ns  CPU2  spins on kmem_cache_node.list_lock
    15200 ns  CPU0  sleeps on pcpu_alloc_mutex
    15300 ns  CPU0  trylock failed &mm->lock
    15400 ns  CPU1  enter reclaim
    15500 ns  CPU1  unlock pcpu_lock

Throughput:
  cache        threads   ops/s      p50      p99      slowpath
  ----------   -------   --------   ------   ------   --------
  foo_cache    1         2345678    210 ns   1.2 us   3.4%
  foo_cache    8         8123456    250 ns   4.8 us   12.5%

total: 10469134 ops/s over 2.0 s, ctor 3.2 ms
worst hold: 12 ms. version 1.2.3
`;

let doc: Doc;

before(async () => {
  doc = await tokenizeReport(REPORT);
});

function has(lineNeedle: string, needle: string, scope: string, occurrence = 0): void {
  const line = doc.line(lineNeedle);
  const scopes = scopesOf(line, needle, occurrence);
  assert.ok(scopes.includes(scope), `${needle} in "${line.text}" has ${scopes.join(' ')}, want ${scope}`);
}

function exact(lineNeedle: string, needle: string, scope: string, occurrence = 0): void {
  const line = doc.line(lineNeedle);
  const tok = tokenOf(line, needle, occurrence);
  assert.equal(tok.text, needle, `token boundaries of ${needle} in "${line.text}"`);
  assert.ok(tok.scopes.includes(scope), `${needle} in "${line.text}" has ${tok.scopes.join(' ')}, want ${scope}`);
}

const LOCK_CLASS = 'entity.name.type.lock-class.slabcheck-report';

describe('report headers and rules', () => {
  test('WARNING header', () => {
    exact('WARNING: possible', 'WARNING', 'keyword.other.severity.warning.slabcheck-report');
    has('WARNING: possible', 'possible circular locking dependency detected', 'markup.heading.report.slabcheck-report');
    has('WARNING: possible', 'WARNING', 'markup.heading.report.slabcheck-report');
  });

  test('==== and ---- rules', () => {
    has('=====', '=====', 'meta.separator.rule.slabcheck-report');
    has('------', '------', 'meta.separator.rule.slabcheck-report');
  });

  test('section headings', () => {
    exact('Timeline:', 'Timeline', 'markup.heading.section.slabcheck-report');
    exact('Possible unsafe locking scenario:', 'Possible unsafe locking scenario', 'markup.heading.section.slabcheck-report');
  });

  test('*** DEADLOCK ***', () => {
    const line = doc.line('*** DEADLOCK ***');
    assert.ok(scopesOf(line, 'DEADLOCK').includes('invalid.illegal.deadlock.slabcheck-report'));
    assert.ok(scopesOf(line, 'DEADLOCK').includes('keyword.other.deadlock.slabcheck-report'));
    assert.ok(scopesOf(line, '***').includes('invalid.illegal.deadlock.slabcheck-report'));
  });
});

describe('CPU columns and lock classes', () => {
  test('CPU column header and underline', () => {
    const line = doc.line('CPU0                    CPU1');
    exact('CPU0                    CPU1', 'CPU0', 'entity.name.section.cpu.slabcheck-report');
    exact('CPU0                    CPU1', 'CPU1', 'entity.name.section.cpu.slabcheck-report');
    assert.ok(scopesOf(line, 'CPU0').includes('meta.cpu-columns.slabcheck-report'));
    has('----                    ----', '----', 'meta.separator.cpu-columns.slabcheck-report');
  });

  test('lock()/unlock()/trylock() and their lock classes', () => {
    exact('  lock(&n->list_lock);', 'lock', 'keyword.other.lock.acquire.slabcheck-report');
    exact('  lock(&n->list_lock);', '&n->list_lock', LOCK_CLASS);
    exact('lock(pcpu_alloc_mutex);', 'pcpu_alloc_mutex', LOCK_CLASS);
    exact('unlock(pcpu_lock)', 'unlock', 'keyword.other.lock.release.slabcheck-report');
    exact('unlock(pcpu_lock)', 'pcpu_lock', LOCK_CLASS);
    exact('trylock(&mm->lock)', 'trylock', 'keyword.other.lock.try.slabcheck-report');
    exact('trylock(&mm->lock)', '&mm->lock', LOCK_CLASS);
  });

  test('lockdep-style classes in parentheses', () => {
    exact(' (pcpu_alloc_mutex){+.+.}', 'pcpu_alloc_mutex', LOCK_CLASS);
    exact(' (pcpu_alloc_mutex){+.+.}', '{+.+.}', 'constant.other.lock-usage.slabcheck-report');
    exact(' (pcpu_alloc_mutex){+.+.}', '-{4:4}', 'constant.other.lock-wait-type.slabcheck-report');
    exact('-> #1 (kmem_cache_node.list_lock)', 'kmem_cache_node.list_lock', LOCK_CLASS);
    exact('-> #1 (kmem_cache_node.list_lock)', '->', 'keyword.operator.dependency.slabcheck-report');
    exact('#0: ffff888003a1b2c0 (&n->list_lock)', '&n->list_lock', LOCK_CLASS);
    exact('#0: ffff888003a1b2c0 (&n->list_lock)', 'ffff888003a1b2c0', 'constant.numeric.hex.address.slabcheck-report');
    exact(' (fs_reclaim) was taken', 'fs_reclaim', LOCK_CLASS);
    exact('alloc(percpu, GFP_KERNEL) (fs_reclaim)', 'fs_reclaim', LOCK_CLASS);
    exact('lock: kmem_cache_node.list_lock', 'kmem_cache_node.list_lock', LOCK_CLASS);
  });

  test('prose in parentheses is not a lock class', () => {
    const line = doc.line('the existing dependency chain (in reverse order) is:');
    assert.ok(!scopesOf(line, 'in reverse order').includes(LOCK_CLASS));
    const first = doc.line('slabcheck simulator report (model v1)');
    assert.ok(!scopesOf(first, 'model v1').includes(LOCK_CLASS));
  });
});

describe('one-line findings', () => {
  test('circular dependency: every class of the cycle', () => {
    const line = doc.line('detected: pcpu_alloc_mutex -> &n->list_lock');
    assert.ok(scopesOf(line, 'WARNING').includes('keyword.other.severity.warning.slabcheck-report'));
    assert.equal(tokenOf(line, 'pcpu_alloc_mutex', 0).text, 'pcpu_alloc_mutex');
    assert.ok(scopesOf(line, 'pcpu_alloc_mutex', 0).includes(LOCK_CLASS));
    assert.ok(scopesOf(line, '&n->list_lock').includes(LOCK_CLASS));
    assert.ok(scopesOf(line, 'pcpu_alloc_mutex', 1).includes(LOCK_CLASS));
    assert.ok(scopesOf(line, 'pcpu_alloc_mutex', 1).includes('markup.heading.report.slabcheck-report'));
  });

  test('IRQ inversion: classes yes, HARDIRQ-safe / -unsafe no', () => {
    const line = doc.line('HARDIRQ-safe -> HARDIRQ-unsafe');
    assert.ok(!scopesOf(line, 'safe').includes(LOCK_CLASS));
    assert.ok(!scopesOf(line, 'HARDIRQ', 1).includes(LOCK_CLASS));
    exact('HARDIRQ-safe -> HARDIRQ-unsafe', 'foo_lock', LOCK_CLASS);
    exact('HARDIRQ-safe -> HARDIRQ-unsafe', 'pcpu_lock', LOCK_CLASS);
  });

  test('inconsistent lock state and sleeping in atomic context', () => {
    exact('inconsistent lock state', 'kmem_cache_node.list_lock', LOCK_CLASS);
    exact('inconsistent lock state', '{HARDIRQ-ON-W}', 'constant.other.lock-usage.slabcheck-report');
    exact('BUG: sleeping function', 'BUG', 'keyword.other.severity.bug.slabcheck-report');
    exact('BUG: sleeping function', 'pcpu_alloc_mutex', LOCK_CLASS);
  });
});

describe('locations, functions, timelines, numbers', () => {
  test('file:line locations', () => {
    exact('(mm/slub.c:4310)', 'mm/slub.c', 'entity.name.filename.slabcheck-report');
    exact('(mm/slub.c:4310)', '4310', 'constant.numeric.line.slabcheck-report');
    has('(mm/slub.c:4310)', '4310', 'meta.location.slabcheck-report');
    exact('foo_dtor (drivers/foo/foo.c:88)', 'drivers/foo/foo.c', 'entity.name.filename.slabcheck-report');
  });

  test('functions in frames and at: clauses', () => {
    exact('foo_dtor (drivers/foo/foo.c:88)', 'foo_dtor', 'entity.name.function.slabcheck-report');
    exact('discard_slab+0x40/0x100', 'discard_slab', 'entity.name.function.slabcheck-report');
    exact('discard_slab+0x40/0x100', '0x40', 'constant.numeric.hex.slabcheck-report');
    exact('at: __slab_free', '__slab_free', 'entity.name.function.slabcheck-report');
    exact('at: pcpu_alloc_noprof+0x1a0', 'pcpu_alloc_noprof', 'entity.name.function.slabcheck-report');
  });

  test('timeline entries', () => {
    const line = doc.line('12345 ns  CPU3  lock(pcpu_lock)');
    exact('12345 ns  CPU3  lock(pcpu_lock)', '12345', 'constant.numeric.timestamp.slabcheck-report');
    exact('12345 ns  CPU3  lock(pcpu_lock)', 'ns', 'keyword.other.unit.slabcheck-report');
    exact('12345 ns  CPU3  lock(pcpu_lock)', 'CPU3', 'constant.other.cpu.slabcheck-report');
    exact('12345 ns  CPU3  lock(pcpu_lock)', 'pcpu_lock', LOCK_CLASS);
    assert.ok(scopesOf(line, 'lock').includes('meta.timeline.entry.slabcheck-report'));
    exact('13.5 us   CPU1', '13.5', 'constant.numeric.timestamp.slabcheck-report');
    exact('13.5 us   CPU1', 'us', 'keyword.other.unit.slabcheck-report');
    exact('alloc(percpu, GFP_KERNEL)', 'alloc', 'keyword.other.event.slabcheck-report');
    exact('alloc(percpu, GFP_KERNEL)', 'GFP_KERNEL', 'constant.language.gfp.slabcheck-report');
  });

  test('simulator timeline actions', () => {
    exact('spins on kmem_cache_node.list_lock', 'spins on', 'keyword.other.lock.wait.slabcheck-report');
    exact('spins on kmem_cache_node.list_lock', 'kmem_cache_node.list_lock', LOCK_CLASS);
    exact('sleeps on pcpu_alloc_mutex', 'sleeps on', 'keyword.other.lock.wait.slabcheck-report');
    exact('trylock failed &mm->lock', 'trylock failed', 'keyword.other.lock.try.slabcheck-report');
    exact('trylock failed &mm->lock', '&mm->lock', LOCK_CLASS);
    exact('CPU1  enter reclaim', 'enter reclaim', 'keyword.other.event.slabcheck-report');
    exact('CPU1  unlock pcpu_lock', 'unlock', 'keyword.other.lock.release.slabcheck-report');
    exact('CPU1  unlock pcpu_lock', 'pcpu_lock', LOCK_CLASS);
    // outside timeline entries, prose words are left alone
    const prose = doc.line('which lock already depends on the new lock.');
    assert.ok(!scopesOf(prose, 'lock already').some((x) => x.startsWith('keyword.')));
  });

  test('numbers with units: ns, us, ms, %, ops/s, bytes', () => {
    exact('foo_cache    1         2345678', '210', 'constant.numeric.slabcheck-report');
    exact('foo_cache    1         2345678', 'ns', 'keyword.other.unit.slabcheck-report');
    exact('foo_cache    1         2345678', '1.2', 'constant.numeric.slabcheck-report');
    exact('foo_cache    1         2345678', 'us', 'keyword.other.unit.slabcheck-report');
    exact('foo_cache    1         2345678', '3.4', 'constant.numeric.slabcheck-report');
    exact('foo_cache    1         2345678', '%', 'keyword.other.unit.slabcheck-report');
    exact('total: 10469134 ops/s', '10469134', 'constant.numeric.slabcheck-report');
    exact('total: 10469134 ops/s', 'ops/s', 'keyword.other.unit.slabcheck-report');
    exact('total: 10469134 ops/s', '3.2', 'constant.numeric.slabcheck-report');
    exact('total: 10469134 ops/s', 'ms', 'keyword.other.unit.slabcheck-report');
    exact('worst hold: 12 ms.', '12', 'constant.numeric.slabcheck-report');
    exact('worst hold: 12 ms.', 'ms', 'keyword.other.unit.slabcheck-report');
    assert.ok(!scopesOf(doc.line('version 1.2.3'), '1.2.3').includes('constant.numeric.slabcheck-report'));
    exact('cache: foo_cache (object 192 bytes', '192', 'constant.numeric.slabcheck-report');
    exact('cache: foo_cache (object 192 bytes', 'bytes', 'keyword.other.unit.slabcheck-report');
    exact('cache: foo_cache (object 192 bytes', 'SLAB_PANIC', 'constant.language.slab-flag.slabcheck-report');
    exact('cache: foo_cache (object 192 bytes', 'cache', 'entity.other.attribute-name.slabcheck-report');
  });

  test('throughput table', () => {
    const header = doc.line('cache        threads   ops/s');
    assert.ok(scopesOf(header, 'ops/s').includes('markup.heading.table.slabcheck-report'));
    assert.ok(scopesOf(header, 'ops/s').includes('meta.table.throughput.slabcheck-report'));
    has('----------   -------', '-------', 'meta.separator.table.slabcheck-report');
    const row = doc.line('foo_cache    8         8123456');
    assert.ok(scopesOf(row, 'foo_cache').includes('entity.name.label.row.slabcheck-report'));
    assert.ok(scopesOf(row, '8123456').includes('constant.numeric.slabcheck-report'));
    assert.ok(scopesOf(row, '8123456').includes('meta.table.throughput.slabcheck-report'));
    assert.ok(scopesOf(row, '12.5').includes('constant.numeric.slabcheck-report'));
    // the table ends at the blank line
    const total = doc.line('total: 10469134 ops/s');
    assert.ok(!scopesOf(total, 'total').includes('meta.table.throughput.slabcheck-report'));
  });

  test('task names like sim-worker/3 and prose are not numbers', () => {
    const line = doc.line('sim-worker/3 is trying');
    assert.ok(!scopesOf(line, '3').includes('constant.numeric.slabcheck-report'));
  });
});
