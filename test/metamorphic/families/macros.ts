/**
 * Calls made through a function-like macro of the same file, defined just before the
 * function that uses it (`#define mm_alloc0(a0, a1) kmem_cache_alloc(a0, a1)`; lowercase, kernel style for a function wrapper: ALL-CAPS names are never descended into): the
 * allocations, the frees, and the cache creations, one variant each. Locks are not wrapped
 * (a helper returning with a lock held is a known limit). Findings stay at the call, except
 * ctor-ignores-gfp's, reported at the allocation: the macro's line.
 */
import type { Expected, Family, Variant } from '../family';
import { ALLOCATORS, FREES } from '../../../server/src/kb/allocators';
import { calls, Edit, editFiles, lineAt, sources } from '../text';

const KINDS: [string, string, (name: string) => boolean][] = [
  ['allocations', 'mm_alloc', (n) => n in ALLOCATORS],
  ['frees', 'mm_free', (n) => n in FREES],
  ['creations', 'mm_create', (n) => n === 'kmem_cache_create'],
];

export const macros: Family = {
  name: 'macros',
  variants(fx) {
    const out: Variant[] = [];
    for (const [label, prefix, wanted] of KINDS) {
      const edits: Record<string, Edit[]> = {};
      const sites: { file: string; offset: number; define: number }[] = [];
      let n = 0;
      for (const file of sources(fx.files).filter((f) => f.endsWith('.c'))) {
        const src = fx.files[file];
        const es: Edit[] = [];
        const defined = new Map<number, string>();
        for (const c of calls(src)) {
          if (!wanted(c.name) || !c.args.length || src[c.fn.start - 1] !== undefined && src[c.fn.start - 1] !== '\n') continue;
          const name = `${prefix}${n++}`;
          const params = c.args.map((_, i) => `a${i}`).join(', ');
          defined.set(c.fn.start, (defined.get(c.fn.start) ?? '') + `#define ${name}(${params}) ${c.name}(${params})\n`);
          es.push({ start: c.start, end: c.start + c.name.length, text: name });
          sites.push({ file, offset: c.start, define: c.fn.start });
        }
        for (const [at, text] of defined) es.push({ start: at, end: at, text });
        edits[file] = es;
      }
      const r = editFiles(fx.files, edits);
      if (!r) continue;
      // ctor-ignores-gfp reports the allocation itself: now in the macro's body.
      const moved = new Map<string, Expected>();
      for (const s of sites) {
        const call = r.map(s)!;
        const def = r.map({ file: s.file, offset: s.define })!;
        const macroLine = lineAt(r.files[def.file], def.offset) - 1 - sites.filter((o) => o.file === s.file && o.define === s.define && o.offset > s.offset).length;
        moved.set(`${call.file}:${lineAt(r.files[call.file], call.offset)}`, { rule: 'ctor-ignores-gfp', file: call.file, line: macroLine, severity: '' });
      }
      const adjust = (mapped: Expected[]) => mapped.map((e) => {
        const m = e.rule === 'ctor-ignores-gfp' ? moved.get(`${e.file}:${e.line}`) : undefined;
        return m ? { ...e, line: m.line } : e;
      });
      out.push({ label, rewritten: r, adjust });
    }
    return out;
  },
};
