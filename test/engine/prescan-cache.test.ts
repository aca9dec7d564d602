import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as v8 from 'v8';
import { NamePacker, NameTable } from '../../server/src/index/name-table';

/** A worker's packed batch from name lists (lists[kind][file]). */
function packNames(lists: (string[] | undefined)[][]) {
  const p = new NamePacker();
  lists.forEach((perFile, kind) => perFile.forEach((names, file) => {
    p.file = file;
    for (const n of names ?? []) p.string(kind, n);
  }));
  return p.finish();
}
import { Engine } from '../../server/src/engine/engine';
import { tempWorkspace } from '../helpers';

test('name table: exact lookups by kind, absent names, a file counted once per name', () => {
  // Two worker batches: file numbers in a batch map to table numbers (file 1 of the second batch had no pre-scan).
  const t = new NameTable();
  t.addPacked(packNames([[['a_fn', '_under', 'a_fn'], ['b_fn', 'a_fn', 'Zed']], [['Zed'], []]]), [0, 1]);
  t.addPacked(packNames([[undefined, undefined, ['Zed', 'a_fn']], [[], [], ['a_fn']]]), [5, -1, 3]);
  assert.deepEqual(t.get('a_fn', 0), [0, 1, 3]);
  assert.deepEqual(t.get('b_fn', 0), [1]);
  assert.deepEqual(t.get('_under', 0), [0]);
  assert.deepEqual(t.get('Zed', 0), [1, 3]);
  assert.deepEqual(t.get('Zed', 1), [0]);
  assert.deepEqual(t.get('a_fn', 1), [3]);
  assert.equal(t.get('a_f', 0), undefined);
  assert.equal(t.get('b_fn', 1), undefined);
  assert.deepEqual([...t.entries(0).keys()].sort(), ['Zed', '_under', 'a_fn', 'b_fn']);
  assert.deepEqual(t.entries(0).get('a_fn'), [0, 1, 3]);
  assert.equal(new NameTable().get('a_fn', 0), undefined);
});

test('name table: many names over rehashes all found, and survive the cache form', () => {
  const names = Array.from({ length: 50000 }, (_, i) => `fn_${i}`);
  const t = new NameTable();
  t.addPacked(packNames([[names.slice(0, 25000), names.slice(20000)]]), [0, 1]);
  const back = NameTable.fromPlain(v8.deserialize(v8.serialize(t.toPlain())));
  for (const idx of [t, back]) {
    for (const [i, n] of names.entries()) assert.deepEqual(idx.get(n, 0), i < 20000 ? [0] : i < 25000 ? [0, 1] : [1], n);
    assert.equal(idx.get('fn_50000', 0), undefined);
  }
  const pairs: string[] = [];
  back.forEach(0, (f, n) => pairs.push(`${f}:${n}`));
  assert.equal(pairs.length, 55000);
  assert.equal(pairs[0], '0:fn_0');
});

test('warm runs reuse the pre-scan cache and notice changed files (demand-driven mode)', async () => {
  const helper = (body: string) => `void item_release(struct item *it)\n{\n${body}\n}\n`;
  const dir = tempWorkspace({
    'a.c': `void item_release(struct item *it);
static void item_dtor(void *obj)
{
	item_release(obj);
}
static struct kmem_cache *item_cachep;
void init(void) { item_cachep = kmem_cache_create("item", 64, &(struct kmem_cache_args){ .dtor = item_dtor }, 0); }
`,
    'b.c': helper('\tit->x = 0;'),
  });
  const cacheDir = fs.mkdtempSync('/tmp/slabcheck-pc-');
  const run = async () => {
    const e = new Engine({ roots: [dir], semantics: 'dtor-rfc', jobs: 1, fullThreshold: 0, cacheDir });
    const r = await e.check();
    await e.close();
    return { rules: r.findings.map((f) => f.rule).filter((x) => x !== 'ctor-dtor-pairing'), stats: e.project.stats };
  };
  const cold = await run();
  assert.deepEqual(cold.rules, []);
  assert.equal(cold.stats.prescanned, 2);
  const warm = await run();
  assert.equal(warm.stats.prescanned, 0);
  assert.equal(warm.stats.prescanCached, 2);
  // The helper now sleeps: the changed file is scanned again and the finding appears.
  fs.writeFileSync(path.join(dir, 'b.c'), helper('\tmsleep(10);\n\tit->x = 0;'));
  const later = Date.now() / 1000 + 5;
  fs.utimesSync(path.join(dir, 'b.c'), later, later);
  const changed = await run();
  assert.equal(changed.stats.prescanned, 1);
  assert.deepEqual(changed.rules, ['dtor-may-sleep']);
});

test('name index: one file replaced or removed without a rebuild', async () => {
  const { NameIndex } = await import('../../server/src/index/project');
  const idx = new NameIndex(new Map([['f', ['/a.c', '/b.c']], ['g', ['/b.c']]]));
  idx.replaceFile('/b.c', ['g', 'h']);
  assert.deepEqual(idx.get('f'), ['/a.c']);
  assert.deepEqual(idx.get('g'), ['/b.c']);
  assert.deepEqual(idx.get('h'), ['/b.c']);
  idx.replaceFile('/b.c', ['f']);
  assert.deepEqual(idx.get('f'), ['/a.c', '/b.c']);
  assert.equal(idx.get('h'), undefined);
  idx.replaceFile('/a.c', []);
  assert.deepEqual(idx.get('f'), ['/b.c']);
  assert.deepEqual([...idx.map().keys()].sort(), ['f']);
});

test('function facts are reused across edits and equal a fresh extraction', async () => {
  const { extractFacts } = await import('../../server/src/facts/extract');
  const body = (n: number) => `static void f${n}(struct pool *p)\n{\n\tspin_lock(&p->lock);\n\tg${n}(p);\n\tspin_unlock(&p->lock);\n}\n`;
  let text = Array.from({ length: 30 }, (_, i) => body(i)).join('\n');
  let prev = extractFacts('/x.c', text);
  for (const at of [3, 50, 120]) {
    const lines = text.split('\n');
    lines.splice(at, 0, '\tnew_call(p);');
    text = lines.join('\n');
    const next = extractFacts('/x.c', text, undefined, { previous: prev });
    assert.deepEqual(next.functions, extractFacts('/x.c', text).functions);
    prev = next;
  }
});

test('lock primitives are looked for only when the lock graph asks, then filled in', async () => {
  const dir = tempWorkspace({
    'a.c': 'static DEFINE_SPINLOCK(a_lock);\nstatic DEFINE_SPINLOCK(b_lock);\nvoid f(void)\n{\n\tspin_lock(&a_lock);\n\tspin_lock(&b_lock);\n\tspin_unlock(&b_lock);\n\tspin_unlock(&a_lock);\n}\n',
    'b.c': 'void g(void)\n{\n\tf();\n}\n',
  });
  const cacheDir = fs.mkdtempSync('/tmp/slabcheck-pc-');
  const e = new Engine({ roots: [dir], jobs: 1, fullThreshold: 0, cacheDir });
  await e.check();
  const flag = (f: string) => e.project.prescan.get(path.join(dir, f))?.hasLock;
  assert.equal(flag('a.c'), undefined);
  const g = await e.lockGraph();
  await e.close();
  assert.equal(flag('a.c'), true);
  assert.equal(flag('b.c'), false);
  const edges = [...g.graph].flatMap(([from, m]) => [...m.keys()].map((to) => `${from} -> ${to}`));
  assert.equal(edges.length, 1, edges.join(', '));
  assert.match(edges[0], /a_lock -> .*b_lock/);
  // The flags were saved: a later lock graph reads them from the cache.
  const again = new Engine({ roots: [dir], jobs: 1, fullThreshold: 0, cacheDir });
  await again.lockGraph();
  await again.close();
  assert.equal(again.project.stats.prescanned, 0);
});
