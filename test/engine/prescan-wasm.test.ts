import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { NAME_KIND, nameHash } from '../../server/src/index/name-table';
import { Prescan, prescanBuffer } from '../../server/src/scan/prescan';
import { WasmScanner } from '../../server/src/scan/prescan-wasm';

/** The pre-scan of `text` as `path`, by the JS reference and by the WebAssembly scanner. */
function both(text: Buffer | string, path: string, scanner: WasmScanner): { js: [Prescan, string[]]; wasm: [Prescan, string[]] } {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  const run = (buf: Buffer, s?: WasmScanner): [Prescan, string[]] => {
    const names: string[] = [];
    const p = prescanBuffer(buf, buf.length, 0, 1 << 24, path, { name: (k, b, st, e) => names.push(`${k === NAME_KIND.defs ? 'def' : 'struct'} ${b.toString('latin1', st, e)}`) }, true, s);
    return [p, names];
  };
  const js = run(bytes);
  const into = scanner.input(bytes.length);
  bytes.copy(into);
  return { js, wasm: run(into, scanner) };
}

const SAMPLE = `#define WRAP(x) do_wrap(x)
#define PLAIN 1
struct foo {
	int a;
};
typedef struct bar {
	int b;
} bar_t;
static int __sq_remap(struct sq_map *map, int prot)
{
	return kmem_cache_alloc(map->objs, GFP_KERNEL) != NULL;
}

void take_it(struct obj *o) __acquires(&o->lock)
{
	spin_lock(&o->lock);
}

static void
__attribute__((noinline)) split_line(void)
{
	c = KMEM_CACHE(foo, 0);
	kmem_cache_free(foo_cachep, p);
	x = kmem_cache_zalloc( s->cache , GFP_KERNEL);
}
EXPORT_SYMBOL_GPL(take_it);
EXPORT_SYMBOL( split_line );
int percpu_thing;
static int init(void)
{
	if (x) {
		y();
	}
	foo_cachep = kmem_cache_create("foo", 8, 0, 0, foo_ctor);
}
`;

test('wasm pre-scan: the same names, flags and uses as the JS reference on a sample, as .c and as .h', () => {
  const scanner = WasmScanner.create();
  assert.ok(scanner, 'WebAssembly SIMD is available on Node 20');
  for (const p of ['a.c', 'a.h']) {
    const r = both(SAMPLE, p, scanner);
    assert.deepEqual(r.wasm, r.js, p);
  }
  const r = both(SAMPLE, 'a.c', scanner);
  assert.deepEqual(r.wasm[1], ['struct foo', 'struct bar', 'def __sq_remap', 'def take_it', 'def split_line', 'def init']);
  assert.deepEqual(r.wasm[0].exports, ['take_it', 'split_line']);
  assert.deepEqual(r.wasm[0].cacheUses, ['objs', 'foo_cachep', 'cache']);
  assert.equal(r.wasm[0].hasCreate, true);
  assert.equal(r.wasm[0].hasPercpu, true);
  // A header's function-like macros are names; a .c file's are not (no other file sees them).
  assert.ok(both(SAMPLE, 'a.h', scanner).wasm[1].includes('def WRAP'));
  assert.ok(!r.wasm[1].includes('def WRAP'));
});

/** A deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  '{', '}', '(', ')', '\n', '\n{', ' ', '\t', ';', '=', ',', 'struct ', 'typedef ', 'foo', '_bar9', '9x', 'if', 'sizeof', 'return',
  '__attribute__((x))', '__attribute((y))', '__acquires(l)', 'kmem_cache_', 'kmem_cache_create', 'kmem_cache_alloc(', 'kmem_cache_zalloc(',
  'kmem_cache_free (', 'KMEM_CACHE', 'KMEM_CACH', 'EXPORT_SYMBOL', 'EXPORT_SYMBOL_GPL(', 'EXPORT_SYMBO', '#define ', '#define F(', '#defin',
  'percpu', 's->c', 'void f(int a)\n{\n', 'struct s {', 'typedef struct t {', '\nstruct u\n{', 'x, y)', 'lock', 'spin_lock(', 'guard(',
];

test('wasm pre-scan: the name hashes it computes are nameHash of the names (what the name table looks up)', () => {
  const scanner = WasmScanner.create()!;
  for (const p of ['a.c', 'a.h']) {
    const into = scanner.input(SAMPLE.length);
    into.write(SAMPLE, 'latin1');
    const seen: string[] = [];
    prescanBuffer(into, SAMPLE.length, 0, 1 << 24, p, {
      name: () => assert.fail('the scanner passes hashes'),
      hashed: (_k, b, s, e, h) => {
        const name = b.toString('latin1', s, e);
        assert.equal(h, nameHash(name), name);
        seen.push(name);
      },
    }, false, scanner);
    assert.ok(seen.includes('__sq_remap') && seen.includes('bar'), seen.join());
  }
});

test('wasm pre-scan: the same results as the JS reference on 3000 generated files (needles at every edge, truncated anywhere)', () => {
  const scanner = WasmScanner.create()!;
  const next = rng(20261122);
  for (let n = 0; n < 3000; n++) {
    let s = '';
    const len = Math.floor(next() * 120);
    for (let i = 0; i < len; i++) s += PIECES[Math.floor(next() * PIECES.length)];
    s = s.slice(0, Math.floor(next() * (s.length + 1)));
    const p = next() < 0.5 ? 'g.c' : 'g.h';
    const r = both(s, p, scanner);
    assert.deepEqual(r.wasm, r.js, `${p}: ${JSON.stringify(s)}`);
  }
});

test('wasm pre-scan: a file with more names than the first record area is scanned again with room', () => {
  const scanner = WasmScanner.create()!;
  const s = 'struct a {\n'.repeat(70000) + 'int f(void)\n{\n}\n';
  const r = both(s, 'big.c', scanner);
  assert.equal(r.wasm[1].length, 70001);
  assert.deepEqual(r.wasm, r.js);
  // And a small file after it still scans right (the record area moved back).
  const small = both(SAMPLE, 'a.c', scanner);
  assert.deepEqual(small.wasm, small.js);
});

test('wasm pre-scan: the committed module is what server/asm/prescan-scan.ts compiles to', () => {
  const root = path.join(__dirname, '..', '..', '..');
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-wasm.mjs'), '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr + r.stdout);
});
