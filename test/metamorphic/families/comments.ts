/**
 * Comments and strings that name the API: they must add no finding. Block comments before
 * every line of a body, line comments after them, comments inside argument lists, a
 * pr_debug() naming allocations and locks at the start of each body, and at the top of each
 * file a commented-out creation, a string and an `#if 0` block of code.
 */
import type { Family, Variant } from '../family';
import { calls, Edit, editFiles, functions, lineOf, sources, tokenize } from '../text';

const BLOCK = '/* kmem_cache_create("fake", 64, 0, 0, fake_ctor); spin_lock(&fake_lock); kmalloc(64, GFP_KERNEL) */';
const LINE = '// mutex_lock(&fake_mutex); kmem_cache_alloc(fake_cachep, GFP_KERNEL); kfree(p)';
const DEBUG = 'pr_debug("kmalloc(GFP_KERNEL) spin_lock(&x) kmem_cache_create(\\"y\\", 8, 0, 0, y_ctor) mutex_lock(&m)\\n");';
const TOP = `/*
 * fake_cachep = kmem_cache_create("fake", 64, 0, 0, fake_ctor);
 * static void fake_dtor(void *p) { mutex_lock(&fake_mutex); kfree(p); }
 */
static const char fake_doc[] = "spin_lock(&a->lock); kmalloc(8, GFP_KERNEL); kmem_cache_create(\\"z\\", 8, 0, 0, z_ctor)";
#if 0
static void fake_dtor(void *p)
{
	mutex_lock(&fake_mutex);
	p = kmalloc(8, GFP_KERNEL);
}
static void fake_init(void)
{
	fake_cachep = kmem_cache_create("fake", 64, 0, 0, fake_dtor);
}
#endif
`;

type Where = 'block' | 'line' | 'args' | 'debug' | 'top';

function insert(files: Record<string, string>, where: Where) {
  const edits: Record<string, Edit[]> = {};
  for (const file of sources(files)) {
    const src = files[file];
    const toks = tokenize(src);
    const es: Edit[] = [];
    if (where === 'top') {
      if (file.endsWith('.c')) es.push({ start: 0, end: 0, text: TOP });
    } else if (where === 'args') {
      for (const c of calls(src, toks)) for (const a of c.args) es.push({ start: a.start, end: a.start, text: '/* GFP_KERNEL spin_lock(&l) */ ' });
    } else {
      for (const fn of functions(src, toks)) {
        const open = toks[fn.bodyOpen].end;
        const close = toks[fn.bodyClose].start;
        if (where === 'debug') {
          es.push({ start: open, end: open, text: `\n\t${DEBUG}` });
          continue;
        }
        // every line of the body after the `{` line, up to the line of the `}`
        for (let at = src.indexOf('\n', open) + 1; at > 0 && at <= close; at = src.indexOf('\n', at) + 1) {
          const l = lineOf(src, at);
          if (where === 'block') {
            es.push({ start: at, end: at, text: `${l.indent || '\t'}${BLOCK}\n` });
          } else if (l.end < close && !/^\s*#/.test(l.text) && !/\\$/.test(l.text) && l.text.trim()) {
            es.push({ start: l.end, end: l.end, text: ` ${LINE}` });
          }
          if (l.end >= close) break;
        }
      }
    }
    edits[file] = es;
  }
  return editFiles(files, edits);
}

export const comments: Family = {
  name: 'comments',
  variants(fx) {
    const out: Variant[] = [];
    for (const where of ['block', 'line', 'args', 'debug', 'top'] as Where[]) {
      const r = insert(fx.files, where);
      if (r) out.push({ label: where, rewritten: r });
    }
    return out;
  },
};
