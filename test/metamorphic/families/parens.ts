/** Parentheses around call arguments: `kmem_cache_alloc((c), (GFP_ATOMIC))`, once and twice. */
import type { Family, Variant } from '../family';
import { calls, Edit, editFiles, sources } from '../text';

/** Macros whose arguments are not all expressions (a type, a member name, a guard class). */
const NOT_EXPRESSIONS = new Set(['list_for_each_entry', 'list_for_each_entry_safe', 'guard', 'scoped_guard', 'KMEM_CACHE', 'container_of', 'offsetof']);
/** An argument that is a type: `int`, `struct item`, `u64`. */
export const TYPE_ARG = /^(?:(?:struct|union|enum)\s+\w+|(?:unsigned\s+)?(?:int|long|char|short|void|bool|u8|u16|u32|u64|s32|s64|size_t|\w+_t))(?:\s*\*)*$/;

export const parens: Family = {
  name: 'parens',
  variants(fx) {
    const out: Variant[] = [];
    for (const [label, open, close] of [['single', '(', ')'], ['double', '((', '))']] as const) {
      const edits: Record<string, Edit[]> = {};
      for (const file of sources(fx.files)) {
        edits[file] = [];
        for (const c of calls(fx.files[file])) {
          if (NOT_EXPRESSIONS.has(c.name)) continue;
          for (const a of c.args) {
            if (TYPE_ARG.test(a.text)) continue;
            edits[file].push({ start: a.start, end: a.start, text: open }, { start: a.end, end: a.end, text: close });
          }
        }
      }
      const r = editFiles(fx.files, edits);
      if (r) out.push({ label, rewritten: r });
    }
    return out;
  },
};
