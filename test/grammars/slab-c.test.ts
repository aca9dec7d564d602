/**
 * The C injection grammars (syntaxes/slab-c.injection.tmLanguage.json and
 * syntaxes/slab-c-directives.injection.tmLanguage.json) injected into the
 * test-only base C grammar in test/grammars/fixtures/c.tmLanguage.json.
 * All C below is written for these tests.
 */
import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Doc, hasScope, scopesOf, slabScopes, tokenizeC, tokenOf } from './tmHelpers';

const SRC = `#include <linux/slab.h>
#include <linux/spinlock.h>
#include "foo_internal.h"

#define LOCK_IT(x) spin_lock(x)
#define FOO_FREE(p) \\
	kfree(p)

struct foo {
	spinlock_t lock;
	struct mutex m;
	u64 __percpu *stats;
	void *buf;
};

static struct kmem_cache *foo_cachep;
static DEFINE_MUTEX(foo_mutex);
static DECLARE_RWSEM(foo_sem);
static DEFINE_SPINLOCK(other_lock);

static void foo_ctor(void *obj)
{
	struct foo *f = obj;

	spin_lock_init(&f->lock);
	mutex_init(&f->m);
	f->stats = alloc_percpu(u64); /* slabcheck: ignore ctor-allocates -- freed in foo_dtor */
	f->buf = kzalloc(64, GFP_KERNEL);
}

static void foo_dtor(void *obj)
{
	struct foo *f = obj;
	unsigned long flags;

	spin_lock_irqsave(&f->lock, flags);
	if (!spin_trylock(&other_lock))
		goto out;
	spin_unlock(&other_lock);
out:
	spin_unlock_irqrestore(&f->lock, flags);
	raw_spin_lock(&f->raw);
	raw_spin_unlock(&f->raw);
	read_lock(&foo_rwlock);
	read_unlock(&foo_rwlock);
	write_seqlock(&foo_seq);
	write_sequnlock(&foo_seq);
	local_lock_irqsave(&foo_pcp.llock, flags);
	local_unlock_irqrestore(&foo_pcp.llock, flags);
	bit_spin_lock(0, &f->bits);
	__bit_spin_unlock(0, &f->bits);
	mutex_lock(&foo_mutex);
	if (mutex_trylock(&f->m))
		mutex_unlock(&f->m);
	if (mutex_lock_interruptible(&f->m))
		return;
	mutex_unlock(&foo_mutex);
	down_read(&foo_sem);
	up_read(&foo_sem);
	down_write(&foo_sem);
	up_write(&foo_sem);
	if (down_read_trylock(&foo_sem))
		up_read(&foo_sem);
	down(&foo_semaphore);
	up(&foo_semaphore);
	mutex_lock
		(&foo_mutex);
	mutex_unlock(&foo_mutex);
	kfree(f->buf);
	free_percpu(f->stats);
}

static int __init foo_init(void)
{
	struct kmem_cache_args args = { .ctor = foo_ctor, .dtor = foo_dtor };

	foo_cachep = kmem_cache_create("foo_cache",
				       sizeof(struct foo), 0,
				       SLAB_HWCACHE_ALIGN | SLAB_PANIC,
				       foo_ctor);
	bar_cachep = kmem_cache_create
		("bar_cache", sizeof(struct bar), 0, 0, NULL);
	baz_cachep = KMEM_CACHE(foo, SLAB_PANIC);
	qux_cachep = __kmem_cache_create_args("qux_cache", sizeof(struct qux),
					      &args, SLAB_ACCOUNT);
	uc_cachep = kmem_cache_create_usercopy("uc", 64, 0, 0, 0, 64, NULL);
	uc2_cachep = KMEM_CACHE_USERCOPY(uc2, 0, data);
	args.ctor = foo_ctor;
	p = kmem_cache_alloc(foo_cachep, GFP_KERNEL);
	q = kmem_cache_zalloc(foo_cachep, GFP_KERNEL);
	r = kmem_cache_alloc_node(foo_cachep, GFP_KERNEL, NUMA_NO_NODE);
	s = kmem_cache_alloc_lru(foo_cachep, &foo_lru, GFP_KERNEL);
	t = kmem_cache_alloc_noprof(foo_cachep, GFP_KERNEL);
	n = kmem_cache_alloc_bulk(foo_cachep, GFP_KERNEL, 8, objs);
	kmem_cache_free_bulk(foo_cachep, n, objs);
	kmem_cache_free(foo_cachep, p);
	kmem_cache_shrink(foo_cachep);
	kmem_cache_destroy(foo_cachep);
	a = kmalloc(32, GFP_KERNEL);
	b = kmalloc_array(4, 32, GFP_KERNEL);
	c = kcalloc(4, 32, GFP_KERNEL);
	d = kvmalloc(1 << 20, GFP_KERNEL);
	e = vmalloc(1 << 20);
	g = __alloc_percpu(64, 8);
	h = alloc_pages(GFP_KERNEL, 2);
	i = __get_free_pages(GFP_KERNEL, 1);
	err = percpu_counter_init(&foo_counter, 0, GFP_KERNEL);
	percpu_counter_destroy(&foo_counter);
	free_pages(i, 1);
	vfree(e);
	kvfree(d);
	return 0;
}

static void foo_guarded(struct foo *f)
{
	guard(mutex)(&foo_mutex);
	scoped_guard(spinlock_irqsave, &f->lock) {
		f->count++;
	}
	scoped_guard(rwsem_read, &foo_sem)
		f->count--;
	guard(rcu)();
}

static void foo_lookalikes(struct foo *f, size_t size)
{
	/* we must not call spin_lock( here, nor kfree(f) */
	// mutex_lock(&foo_mutex) is taken by the caller
	pr_info("kmalloc(%zu) failed, spin_lock(x)\\n", size);
	my_spin_lock_helper(&f->lock);
	kmem_cache_create_wrapper("x", 8);
	xspin_lock(&f->lock);
	f->ops->kfree(f);
	f->ops.spin_lock(&f->lock);
	spin_lock_helper(&f->lock);
	kmalloc_wrapper(8);
	int kfree_count = 0;
	bool locked = up
		;
	struct kmem_cache_args_wrapper w;
}

static void foo_directives(struct foo *f)
{
	/* slabcheck: ignore dtor-non-leaf-lock */
	// slabcheck: ignore-next-line ctor-allocates
	spin_lock(&f->lock); /* slabcheck: ignore ctor-allocates, dtor-sleeps -- see spin_lock() above */
	/* slabcheck: ignroe ctor-allocates */
	/*
	 * A longer explanation first.
	 * slabcheck: ignore-file dtor-non-leaf-lock
	 */
	/* plain comment that mentions slabcheck but has no directive */
}
`;

const SPIN = 'keyword.other.lock.spin.slab.c';
const SLEEP = 'keyword.other.lock.sleep.slab.c';
const TRY_SPIN = 'keyword.other.lock.try.spin.slab.c';
const TRY_SLEEP = 'keyword.other.lock.try.sleep.slab.c';
const UNLOCK_SPIN = 'keyword.other.unlock.spin.slab.c';
const UNLOCK_SLEEP = 'keyword.other.unlock.sleep.slab.c';

let doc: Doc;

before(async () => {
  doc = await tokenizeC(SRC);
});

/** Asserts that `needle` on the line containing `lineNeedle` is exactly one token carrying `scope`. */
function expectScope(lineNeedle: string, needle: string, scope: string, occurrence = 0): void {
  const line = doc.line(lineNeedle);
  const tok = tokenOf(line, needle, occurrence);
  assert.equal(tok.text, needle, `token boundaries for ${needle}:\n${JSON.stringify(line.tokens, null, 1)}`);
  assert.ok(tok.scopes.includes(scope), `${needle} on "${line.text.trim()}" has ${tok.scopes.join(' ')}, want ${scope}`);
}

function expectNoSlabScope(lineNeedle: string, needle: string, occurrence = 0): void {
  const line = doc.line(lineNeedle);
  const scopes = scopesOf(line, needle, occurrence);
  assert.ok(
    !scopes.some((s) => /\.slab(check)?\b/.test(s)),
    `${needle} on "${line.text.trim()}" should carry no slabcheck scope, has ${scopes.join(' ')}`,
  );
}

describe('slab API calls', () => {
  test('multi-line kmem_cache_create( call: name, and arguments on following lines stay plain', () => {
    expectScope('foo_cachep = kmem_cache_create(', 'kmem_cache_create', 'support.function.slab.create.c');
    const args = doc.line('sizeof(struct foo), 0,');
    assert.deepEqual(slabScopes(args), []);
    // foo_ctor as the last positional argument is not a designator: no scope
    assert.deepEqual(slabScopes(doc.line('foo_ctor);')), []);
  });

  test('kmem_cache_create at end of line with "(" on the next line is accepted (known name)', () => {
    expectScope('bar_cachep = kmem_cache_create', 'kmem_cache_create', 'support.function.slab.create.c');
    assert.deepEqual(slabScopes(doc.line('("bar_cache"')), []);
  });

  test('KMEM_CACHE(foo, SLAB_PANIC) and KMEM_CACHE_USERCOPY', () => {
    expectScope('KMEM_CACHE(foo, SLAB_PANIC)', 'KMEM_CACHE', 'support.function.slab.create.c');
    expectScope('KMEM_CACHE_USERCOPY(uc2', 'KMEM_CACHE_USERCOPY', 'support.function.slab.create.c');
    expectScope('kmem_cache_create_usercopy(', 'kmem_cache_create_usercopy', 'support.function.slab.create.c');
    expectScope('__kmem_cache_create_args(', '__kmem_cache_create_args', 'support.function.slab.create.c');
  });

  test('alloc / free / shrink / destroy variants', () => {
    for (const name of [
      'kmem_cache_alloc',
      'kmem_cache_zalloc',
      'kmem_cache_alloc_node',
      'kmem_cache_alloc_lru',
      'kmem_cache_alloc_noprof',
      'kmem_cache_alloc_bulk',
    ]) {
      expectScope(`${name}(`, name, 'support.function.slab.alloc.c');
    }
    expectScope('kmem_cache_free(foo_cachep, p)', 'kmem_cache_free', 'support.function.slab.free.c');
    expectScope('kmem_cache_free_bulk(', 'kmem_cache_free_bulk', 'support.function.slab.free.c');
    expectScope('kmem_cache_shrink(', 'kmem_cache_shrink', 'support.function.slab.shrink.c');
    expectScope('kmem_cache_destroy(', 'kmem_cache_destroy', 'support.function.slab.destroy.c');
  });

  test('struct kmem_cache_args with .ctor / .dtor designators', () => {
    const line = doc.line('struct kmem_cache_args args = {');
    assert.ok(scopesOf(line, 'struct').includes('storage.type.struct.c'));
    assert.ok(scopesOf(line, 'kmem_cache_args').includes('support.type.slab.c'));
    assert.ok(scopesOf(line, 'ctor').includes('variable.other.member.slab.ctor.c'));
    assert.ok(scopesOf(line, 'dtor').includes('variable.other.member.slab.dtor.c'));
    assert.ok(scopesOf(line, '.', 0).includes('punctuation.separator.dot-access.c'));
    // the values are ordinary identifiers
    assert.deepEqual(scopesOf(line, 'foo_ctor'), ['source.c']);
    expectScope('args.ctor = foo_ctor;', 'ctor', 'variable.other.member.slab.ctor.c');
    expectScope('static struct kmem_cache *foo_cachep', 'kmem_cache', 'support.type.slab.c');
  });
});

describe('locks', () => {
  test('spinning, sleeping, trylock and release scopes are all different', () => {
    const scopes = new Set([SPIN, SLEEP, TRY_SPIN, TRY_SLEEP, UNLOCK_SPIN, UNLOCK_SLEEP]);
    assert.equal(scopes.size, 6);
    expectScope('spin_lock_irqsave(&f->lock, flags)', 'spin_lock_irqsave', SPIN);
    expectScope('spin_trylock(&other_lock)', 'spin_trylock', TRY_SPIN);
    expectScope('spin_unlock(&other_lock)', 'spin_unlock', UNLOCK_SPIN);
    expectScope('spin_unlock_irqrestore(', 'spin_unlock_irqrestore', UNLOCK_SPIN);
    expectScope('mutex_lock(&foo_mutex)', 'mutex_lock', SLEEP);
    expectScope('mutex_trylock(&f->m)', 'mutex_trylock', TRY_SLEEP);
    expectScope('mutex_unlock(&f->m)', 'mutex_unlock', UNLOCK_SLEEP);
    expectScope('mutex_lock_interruptible(', 'mutex_lock_interruptible', SLEEP);
    // the same line never mixes them up
    assert.ok(!scopesOf(doc.line('mutex_lock(&foo_mutex)'), 'mutex_lock').includes(SPIN));
    assert.ok(!scopesOf(doc.line('spin_trylock(&other_lock)'), 'spin_trylock').includes(SPIN));
  });

  test('other spinning locks: raw spinlock, rwlock, seqlock, local_lock, bit spinlock', () => {
    expectScope('raw_spin_lock(&f->raw)', 'raw_spin_lock', SPIN);
    expectScope('raw_spin_unlock(&f->raw)', 'raw_spin_unlock', UNLOCK_SPIN);
    expectScope('read_lock(&foo_rwlock)', 'read_lock', SPIN);
    expectScope('read_unlock(&foo_rwlock)', 'read_unlock', UNLOCK_SPIN);
    expectScope('write_seqlock(&foo_seq)', 'write_seqlock', SPIN);
    expectScope('write_sequnlock(&foo_seq)', 'write_sequnlock', UNLOCK_SPIN);
    expectScope('local_lock_irqsave(', 'local_lock_irqsave', SPIN);
    expectScope('local_unlock_irqrestore(', 'local_unlock_irqrestore', UNLOCK_SPIN);
    expectScope('bit_spin_lock(0', 'bit_spin_lock', SPIN);
    expectScope('__bit_spin_unlock(0', '__bit_spin_unlock', UNLOCK_SPIN);
  });

  test('rw semaphores and counting semaphores', () => {
    expectScope('down_read(&foo_sem)', 'down_read', SLEEP);
    expectScope('up_read(&foo_sem)', 'up_read', UNLOCK_SLEEP);
    expectScope('down_write(&foo_sem)', 'down_write', SLEEP);
    expectScope('up_write(&foo_sem)', 'up_write', UNLOCK_SLEEP);
    expectScope('down_read_trylock(&foo_sem)', 'down_read_trylock', TRY_SLEEP);
    expectScope('down(&foo_semaphore)', 'down', SLEEP);
    expectScope('up(&foo_semaphore)', 'up', UNLOCK_SLEEP);
  });

  test('a lock call split across lines: mutex_lock at end of line', () => {
    const lines = doc.lines.filter((l) => l.text.trim() === 'mutex_lock');
    assert.equal(lines.length, 1);
    assert.ok(scopesOf(lines[0], 'mutex_lock').includes(SLEEP));
  });

  test('guard(mutex)(&m); scopes the guard keyword and the class', () => {
    const line = doc.line('guard(mutex)(&foo_mutex);');
    assert.ok(scopesOf(line, 'guard').includes('keyword.other.guard.slab.c'));
    assert.ok(scopesOf(line, 'mutex').includes('entity.name.type.guard.sleep.slab.c'));
    assert.deepEqual(scopesOf(line, 'foo_mutex'), ['source.c']);
  });

  test('scoped_guard(spinlock_irqsave, &l) {', () => {
    const line = doc.line('scoped_guard(spinlock_irqsave, &f->lock) {');
    assert.equal(tokenOf(line, 'scoped_guard').text, 'scoped_guard');
    assert.ok(scopesOf(line, 'scoped_guard').includes('keyword.other.guard.slab.c'));
    assert.equal(tokenOf(line, 'spinlock_irqsave').text, 'spinlock_irqsave');
    assert.ok(scopesOf(line, 'spinlock_irqsave').includes('entity.name.type.guard.spin.slab.c'));
    expectScope('scoped_guard(rwsem_read', 'rwsem_read', 'entity.name.type.guard.sleep.slab.c');
    expectScope('guard(rcu)();', 'rcu', 'entity.name.type.guard.other.slab.c');
  });
});

describe('allocations and frees', () => {
  test('allocation calls', () => {
    expectScope('f->buf = kzalloc(', 'kzalloc', 'support.function.memory.alloc.kmalloc.slab.c');
    expectScope('a = kmalloc(32', 'kmalloc', 'support.function.memory.alloc.kmalloc.slab.c');
    expectScope('kmalloc_array(4', 'kmalloc_array', 'support.function.memory.alloc.kmalloc.slab.c');
    expectScope('kcalloc(4', 'kcalloc', 'support.function.memory.alloc.kmalloc.slab.c');
    expectScope('kvmalloc(1', 'kvmalloc', 'support.function.memory.alloc.vmalloc.slab.c');
    expectScope('e = vmalloc(', 'vmalloc', 'support.function.memory.alloc.vmalloc.slab.c');
    expectScope('f->stats = alloc_percpu(u64)', 'alloc_percpu', 'support.function.memory.alloc.percpu.slab.c');
    expectScope('__alloc_percpu(64', '__alloc_percpu', 'support.function.memory.alloc.percpu.slab.c');
    expectScope('percpu_counter_init(', 'percpu_counter_init', 'support.function.memory.alloc.percpu.slab.c');
    expectScope('alloc_pages(GFP_KERNEL', 'alloc_pages', 'support.function.memory.alloc.pages.slab.c');
    expectScope('__get_free_pages(', '__get_free_pages', 'support.function.memory.alloc.pages.slab.c');
  });

  test('frees', () => {
    expectScope('kfree(f->buf)', 'kfree', 'support.function.memory.free.kmalloc.slab.c');
    expectScope('free_percpu(f->stats)', 'free_percpu', 'support.function.memory.free.percpu.slab.c');
    expectScope('percpu_counter_destroy(', 'percpu_counter_destroy', 'support.function.memory.free.percpu.slab.c');
    expectScope('free_pages(i, 1)', 'free_pages', 'support.function.memory.free.pages.slab.c');
    expectScope('vfree(e)', 'vfree', 'support.function.memory.free.vmalloc.slab.c');
    expectScope('kvfree(d)', 'kvfree', 'support.function.memory.free.vmalloc.slab.c');
  });
});

describe('preprocessor', () => {
  test('#define LOCK_IT(x) spin_lock(x) scopes the call inside the macro body', () => {
    const line = doc.line('#define LOCK_IT(x) spin_lock(x)');
    assert.ok(scopesOf(line, 'spin_lock').includes(SPIN));
    assert.ok(scopesOf(line, 'spin_lock').includes('meta.preprocessor.c'));
    assert.deepEqual(scopesOf(line, 'LOCK_IT'), ['source.c', 'meta.preprocessor.c']);
  });

  test('continuation line of a multi-line macro', () => {
    const line = doc.line('\tkfree(p)');
    assert.ok(scopesOf(line, 'kfree').includes('meta.preprocessor.c'));
    assert.ok(scopesOf(line, 'kfree').includes('support.function.memory.free.kmalloc.slab.c'));
  });

  test('#include <linux/slab.h> / "..." are strings, not calls', () => {
    assert.deepEqual(slabScopes(doc.line('#include <linux/slab.h>')), []);
    assert.deepEqual(slabScopes(doc.line('#include <linux/spinlock.h>')), []);
  });
});

describe('never scoped', () => {
  test('a comment containing spin_lock( and kfree(', () => {
    const line = doc.line('/* we must not call spin_lock( here');
    assert.ok(scopesOf(line, 'spin_lock').includes('comment.block.c'));
    expectNoSlabScope('/* we must not call spin_lock( here', 'spin_lock');
    expectNoSlabScope('/* we must not call spin_lock( here', 'kfree');
    expectNoSlabScope('// mutex_lock(&foo_mutex) is taken', 'mutex_lock');
  });

  test('a string containing kmalloc( and spin_lock(', () => {
    const line = doc.line('pr_info("kmalloc(%zu) failed');
    assert.ok(scopesOf(line, 'kmalloc').includes('string.quoted.double.c'));
    expectNoSlabScope('pr_info("kmalloc(%zu) failed', 'kmalloc');
    expectNoSlabScope('pr_info("kmalloc(%zu) failed', 'spin_lock');
  });

  test('look-alike identifiers', () => {
    for (const [lineNeedle, needle] of [
      ['my_spin_lock_helper(', 'my_spin_lock_helper'],
      ['kmem_cache_create_wrapper(', 'kmem_cache_create_wrapper'],
      ['xspin_lock(', 'xspin_lock'],
      ['spin_lock_helper(', 'spin_lock_helper'],
      ['kmalloc_wrapper(8)', 'kmalloc_wrapper'],
      ['int kfree_count = 0;', 'kfree_count'],
      ['spin_lock_init(&f->lock);', 'spin_lock_init'],
      ['struct kmem_cache_args_wrapper w;', 'kmem_cache_args_wrapper'],
    ]) {
      expectNoSlabScope(lineNeedle, needle);
      assert.deepEqual(slabScopes(doc.line(lineNeedle)), [], lineNeedle);
    }
  });

  test('member calls through function pointers (x->kfree(), x.spin_lock())', () => {
    expectNoSlabScope('f->ops->kfree(f);', 'kfree');
    expectNoSlabScope('f->ops.spin_lock(&f->lock);', 'spin_lock');
  });

  test('short generic names (up) at end of line without "("', () => {
    expectNoSlabScope('bool locked = up', 'up');
  });
});

describe('slabcheck: directives in comments', () => {
  test('block comment: keyword, directive and rule id scoped, comment scope kept', () => {
    const line = doc.line('/* slabcheck: ignore dtor-non-leaf-lock */');
    const kw = scopesOf(line, 'slabcheck:');
    assert.ok(kw.includes('keyword.other.directive.slabcheck.c'), kw.join(' '));
    assert.ok(kw.includes('comment.block.c'));
    assert.ok(kw.includes('meta.directive.slabcheck.c'));
    assert.equal(tokenOf(line, 'slabcheck:').text, 'slabcheck:');
    assert.ok(scopesOf(line, 'ignore').includes('keyword.control.directive.slabcheck.c'));
    assert.equal(tokenOf(line, 'dtor-non-leaf-lock').text, 'dtor-non-leaf-lock');
    assert.ok(scopesOf(line, 'dtor-non-leaf-lock').includes('constant.other.rule-id.slabcheck.c'));
    assert.ok(scopesOf(line, 'dtor-non-leaf-lock').includes('comment.block.c'));
    // the comment delimiters keep their own scopes
    assert.ok(scopesOf(line, '*/').includes('punctuation.definition.comment.end.c'));
  });

  test('line comment: ignore-next-line', () => {
    const line = doc.line('// slabcheck: ignore-next-line ctor-allocates');
    assert.ok(scopesOf(line, 'slabcheck:').includes('keyword.other.directive.slabcheck.c'));
    assert.ok(scopesOf(line, 'slabcheck:').includes('comment.line.double-slash.c'));
    assert.equal(tokenOf(line, 'ignore-next-line').text, 'ignore-next-line');
    assert.ok(scopesOf(line, 'ignore-next-line').includes('keyword.control.directive.slabcheck.c'));
    assert.ok(scopesOf(line, 'ctor-allocates').includes('constant.other.rule-id.slabcheck.c'));
  });

  test('trailing directive after code, two rule ids, free text stays comment', () => {
    const line = doc.line('spin_lock(&f->lock); /* slabcheck: ignore ctor-allocates, dtor-sleeps');
    assert.ok(scopesOf(line, 'spin_lock', 0).includes(SPIN));
    assert.ok(scopesOf(line, 'ctor-allocates').includes('constant.other.rule-id.slabcheck.c'));
    assert.ok(scopesOf(line, ',').includes('punctuation.separator.comma.slabcheck.c'));
    assert.ok(scopesOf(line, 'dtor-sleeps').includes('constant.other.rule-id.slabcheck.c'));
    // free text after the rule ids, including a call-looking spin_lock(), is plain comment
    const freeText = scopesOf(line, 'see spin_lock() above');
    assert.deepEqual(freeText, ['source.c', 'comment.block.c']);
  });

  test('directive inside a multi-line block comment', () => {
    const line = doc.line('slabcheck: ignore-file dtor-non-leaf-lock');
    assert.ok(scopesOf(line, 'slabcheck:').includes('comment.block.c'));
    assert.ok(scopesOf(line, 'slabcheck:').includes('keyword.other.directive.slabcheck.c'));
    assert.ok(scopesOf(line, 'ignore-file').includes('keyword.control.directive.slabcheck.c'));
    assert.ok(scopesOf(line, 'dtor-non-leaf-lock').includes('constant.other.rule-id.slabcheck.c'));
  });

  test('unknown directive verb is invalid; a mention without colon is plain', () => {
    const line = doc.line('slabcheck: ignroe');
    assert.ok(scopesOf(line, 'ignroe').includes('invalid.illegal.unknown-directive.slabcheck.c'));
    assert.deepEqual(slabScopes(doc.line('plain comment that mentions slabcheck')), []);
  });

  test('the directive after alloc_percpu(u64); on the same line', () => {
    const line = doc.line('alloc_percpu(u64); /* slabcheck:');
    assert.ok(scopesOf(line, 'alloc_percpu').includes('support.function.memory.alloc.percpu.slab.c'));
    assert.ok(scopesOf(line, 'ctor-allocates').includes('constant.other.rule-id.slabcheck.c'));
    assert.deepEqual(scopesOf(line, 'freed in foo_dtor'), ['source.c', 'comment.block.c']);
  });
});

test('documented trade-off: a known name that ends the line is taken as a call', async () => {
  const d = await tokenizeC('#define FOO_FREE_FN kfree\nvoid *(*alloc_fn)(size_t) = kmalloc_wrapper;\n');
  assert.ok(scopesOf(d.lines[0], 'kfree').includes('support.function.memory.free.kmalloc.slab.c'));
  assert.deepEqual(slabScopes(d.lines[1]), []);
});

test('directives are not scoped outside comments', async () => {
  const d = await tokenizeC('const char *s = "slabcheck: ignore ctor-allocates";\nint slabcheck = 1;\n');
  assert.deepEqual(slabScopes(d.lines[0]), []);
  assert.deepEqual(slabScopes(d.lines[1]), []);
  assert.ok(!hasScope(d.lines[0], 'ignore', 'keyword'));
});
