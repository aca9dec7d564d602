import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { Engine } from '../../server/src/engine/engine';
import { tempWorkspace } from '../helpers';

const cache = (n: string, body: string) => `
struct ${n} { spinlock_t l; struct mutex m; };
static void ${n}_dtor(void *obj)
{
	struct ${n} *x = obj;
${body}
}
static struct kmem_cache *${n}_cachep;
void ${n}_init(void) { ${n}_cachep = kmem_cache_create("${n}", 64, &(struct kmem_cache_args){ .dtor = ${n}_dtor }, 0); }
`;

test('after an edit only the caches that read the edited file are checked again', async () => {
  const dir = tempWorkspace({
    'a.c': cache('alpha', '\tmutex_lock(&x->m);\n\tmutex_unlock(&x->m);'),
    'b.c': cache('bravo', '\tx->l.x = 0;'),
    'c.c': cache('charlie', '\tx->l.x = 0;'),
  });
  const e = new Engine({ roots: [dir], semantics: 'dtor-rfc', jobs: 1, fullThreshold: 0 });
  const rules = (r: { findings: { rule: string; file: string }[] }) =>
    r.findings.filter((f) => f.rule !== 'ctor-dtor-pairing').map((f) => `${path.basename(f.file)}:${f.rule}`).sort();
  const first = await e.check();
  assert.equal(e.stats.rechecked, 3);
  assert.deepEqual(rules(first), ['a.c:dtor-sleeping-lock']);
  const again = await e.check();
  assert.equal(e.stats.rechecked, 0, 'nothing changed: nothing re-run');
  assert.deepEqual(rules(again), rules(first));
  e.updateDocument(path.join(dir, 'b.c'), cache('bravo', '\tmsleep(1);'));
  const edited = await e.check();
  assert.equal(e.stats.rechecked, 1);
  assert.deepEqual(rules(edited), ['a.c:dtor-sleeping-lock', 'b.c:dtor-may-sleep']);
  e.updateDocument(path.join(dir, 'a.c'), cache('alpha', '\tx->l.x = 1;'));
  assert.deepEqual(rules(await e.check()), ['b.c:dtor-may-sleep']);
  // Closing the buffer goes back to the file on disk.
  e.closeDocument(path.join(dir, 'a.c'));
  assert.deepEqual(rules(await e.check()), ['a.c:dtor-sleeping-lock', 'b.c:dtor-may-sleep']);
  await e.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
