import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { brief, checkFiles } from '../helpers';

const DTOR = (directive: string, fnDirective = '') => `
struct w { spinlock_t l; struct mutex m; };
${fnDirective}
static void w_dtor(void *obj)
{
	struct w *x = obj;
	${directive}
	spin_lock(&x->l);
	spin_unlock(&x->l);
	mutex_lock(&x->m); /* slabcheck: ignore-line dtor-sleeping-lock -- reviewed: test only */
	mutex_unlock(&x->m);
}
static struct kmem_cache *w_cachep;
void init(void) { w_cachep = kmem_cache_create("w", 64, &(struct kmem_cache_args){ .dtor = w_dtor }, 0); }
`;

test('ignore comments: next line, same line, function, file; other rules still reported', async () => {
  const base = await checkFiles({ 'a.c': DTOR('') });
  assert.deepEqual(brief(base.findings, base.dir).filter((x) => /dtor-(irq|sleeping)/.test(x)), ['dtor-irq-unsafe-lock@a.c:8']);
  const next = await checkFiles({ 'a.c': DTOR('/* slabcheck: ignore dtor-irq-unsafe-lock */') });
  assert.deepEqual(brief(next.findings, next.dir).filter((x) => /dtor-(irq|sleeping)/.test(x)), []);
  const other = await checkFiles({ 'a.c': DTOR('/* slabcheck: ignore dtor-non-leaf-lock */') });
  assert.deepEqual(brief(other.findings, other.dir).filter((x) => /dtor-(irq|sleeping)/.test(x)), ['dtor-irq-unsafe-lock@a.c:8']);
  const fn = await checkFiles({ 'a.c': DTOR('', '/* slabcheck: ignore-function */') });
  assert.deepEqual(brief(fn.findings, fn.dir).filter((x) => /a\.c:(8|10)$/.test(x)), []);
  const file = await checkFiles({ 'a.c': `// slabcheck: ignore-file dtor-irq-unsafe-lock\n${DTOR('')}` });
  assert.deepEqual(brief(file.findings, file.dir).filter((x) => /dtor-irq/.test(x)), []);
});
