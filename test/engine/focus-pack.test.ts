import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Engine } from '../../server/src/engine/engine';
import { tempWorkspace } from '../helpers';

const CREATE = (ctor: string) => `#include "obj.h"
static struct kmem_cache *obj_cachep;
static void ${ctor}(void *p)
{
	obj_prepare(p);
}
int obj_init(void)
{
	obj_cachep = kmem_cache_create("obj", sizeof(struct obj), 0, 0, ${ctor});
	return obj_cachep ? 0 : -ENOMEM;
}
`;

/** A run on demand (the kernel's path: focused parses), with a cache. */
async function run(dir: string, cacheDir: string, check = false) {
  const engine = new Engine({ roots: [dir], jobs: 2, cacheDir, fullThreshold: 1, semantics: 'dtor-rfc' });
  if (check) await engine.check();
  const caches = await engine.caches();
  const stats = { ...engine.project.stats };
  await engine.close();
  return { caches, stats };
}

test('focused facts pack: a warm run parses nothing, an edited file is read again', async () => {
  const dir = tempWorkspace({
    'obj.c': CREATE('obj_ctor'),
    'obj.h': 'struct obj { int n; };\nvoid obj_prepare(void *p);\n',
    'prep.c': '#include "obj.h"\nvoid obj_prepare(void *p)\n{\n\tmemset(p, 0, 4);\n}\n',
  });
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slabcheck-pack-'));
  const cold = await run(dir, cacheDir);
  assert.equal(cold.caches[0].ctor?.fn.name, 'obj_ctor');
  assert.ok(cold.stats.parsed >= 2, `cold run parsed ${cold.stats.parsed}`);
  assert.ok(fs.readdirSync(cacheDir).some((f) => f.endsWith('.focus.bin')), 'one pack file');
  assert.ok(!fs.existsSync(path.join(cacheDir, 'facts')), 'no file per source file for focused facts');

  const warm = await run(dir, cacheDir);
  assert.equal(warm.stats.parsed, 0);
  assert.ok(warm.stats.factsCached >= 2);
  assert.deepEqual(warm.caches, cold.caches);

  // Same size, new mtime and content: the pack entry no longer applies.
  const file = path.join(dir, 'obj.c');
  fs.writeFileSync(file, CREATE('obj_ktor'));
  const later = new Date(Date.now() + 5000);
  fs.utimesSync(file, later, later);
  const edited = await run(dir, cacheDir);
  assert.equal(edited.caches[0].ctor?.fn.name, 'obj_ktor');
  assert.ok(edited.stats.parsed >= 1);
});

test('focused facts pack: a warm check parses nothing, though the cold one read some files in full', async () => {
  const dir = tempWorkspace({
    // obj_use allocates from the cache: check reads obj.c in full for the allocation sites, after
    // its focused read. The warm run must start from the same focused facts, or it reaches further.
    'obj.c': `${CREATE('obj_ctor')}
void obj_use(struct thing *t)
{
	struct obj *o;
	spin_lock(&t->inner.lock);
	o = kmem_cache_alloc(obj_cachep, GFP_ATOMIC);
	spin_unlock(&t->inner.lock);
}
`,
    'obj.h': '#include "thing.h"\nstruct obj { int n; };\nvoid obj_prepare(void *p);\n',
    'thing.h': 'struct inner { spinlock_t lock; };\nstruct thing { struct inner inner; };\n',
    'prep.c': '#include "obj.h"\nDEFINE_SPINLOCK(obj_lock);\nvoid obj_prepare(void *p)\n{\n\tmemset(p, 0, 4);\n}\n',
  });
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slabcheck-pack-'));
  const cold = await run(dir, cacheDir, true);
  assert.ok(cold.stats.parsed >= 2);
  const warm = await run(dir, cacheDir, true);
  assert.equal(warm.stats.parsed, 0);
  assert.deepEqual(warm.caches, cold.caches);
});
