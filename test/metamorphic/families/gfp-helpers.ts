/**
 * An allocation made through one or two helpers defined in another file (`mm_gfp.c`,
 * declared in `mm_gfp.h`), the gfp (and cache) passed down as parameters:
 * `kmalloc(64, GFP_KERNEL)` -> `mm_h0_a(64, GFP_KERNEL)`, where `mm_h0_a(size, gfp)` calls
 * `mm_h0_b(size, gfp)`, which calls `kmalloc(size, flags)` (helper names that do not contain
 * the allocator's: the pre-scan must not see an allocation where there is a call).
 * Every allocation of the forms below in the case is rewritten. Run whole-workspace and demand-driven.
 * Findings stay where they were (the ctor/dtor's call), except ctor-ignores-gfp's, which is
 * reported at the allocation that ignores the gfp (as for its own cases' helpers): it moves
 * to the allocator call in mm_gfp.c.
 */
import type { Expected, Family, Variant } from '../family';
import { build, calls, edited, Edit, lineAt, lit, Piece, sources } from '../text';

/** allocator -> parameter list and argument names of its helpers. */
const FORMS: Record<string, { params: string; args: string }> = {
  kmalloc: { params: 'size_t size, gfp_t %', args: 'size, %' },
  kzalloc: { params: 'size_t size, gfp_t %', args: 'size, %' },
  kcalloc: { params: 'size_t n, size_t size, gfp_t %', args: 'n, size, %' },
  kmalloc_array: { params: 'size_t n, size_t size, gfp_t %', args: 'n, size, %' },
  kmem_cache_alloc: { params: 'struct kmem_cache *cachep, gfp_t %', args: 'cachep, %' },
  kmem_cache_zalloc: { params: 'struct kmem_cache *cachep, gfp_t %', args: 'cachep, %' },
};

const helper = (name: string) => `mm_h${Object.keys(FORMS).indexOf(name)}`;

export const gfpHelpers: Family = {
  name: 'gfp-helpers',
  demandDriven: true,
  variants(fx) {
    if ('mm_gfp.c' in fx.files) return null;
    const out: Variant[] = [];
    for (const depth of [1, 2]) {
      const changed: Record<string, Piece[]> = {};
      const used = new Set<string>();
      const sites: { file: string; offset: number; name: string }[] = [];
      for (const file of sources(fx.files)) {
        const src = fx.files[file];
        const es: Edit[] = [];
        for (const c of calls(src)) {
          if (!(c.name in FORMS) || !file.endsWith('.c')) continue;
          es.push({ start: c.start, end: c.start + c.name.length, text: `${helper(c.name)}_${depth === 2 ? 'a' : 'b'}` });
          used.add(c.name);
          sites.push({ file, offset: c.start, name: c.name });
        }
        if (!es.length) continue;
        es.push({ start: 0, end: 0, text: '#include "mm_gfp.h"\n' });
        changed[file] = edited(file, src, es);
      }
      if (!used.size) return null;
      let h = '#include <linux/slab.h>\nstruct kmem_cache;\n';
      let c = '#include "mm_gfp.h"\n';
      for (const name of used) {
        const f = FORMS[name];
        const h0 = helper(name);
        h += `void *${h0}_a(${f.params.replace('%', 'gfp')});\nvoid *${h0}_b(${f.params.replace('%', 'flags')});\n`;
        c += `\nvoid *${h0}_b(${f.params.replace('%', 'flags')})\n{\n\treturn ${name}(${f.args.replace('%', 'flags')});\n}\n`;
        c += `\nvoid *${h0}_a(${f.params.replace('%', 'gfp')})\n{\n\treturn ${h0}_b(${f.args.replace('%', 'gfp')});\n}\n`;
      }
      changed['mm_gfp.h'] = [lit(h)];
      changed['mm_gfp.c'] = [lit(c)];
      const r = build(fx.files, changed);
      const at = new Map<string, number>();
      for (const s of sites) {
        const m = r.map(s)!;
        at.set(`${m.file}:${lineAt(r.files[m.file], m.offset)}`, lineAt(r.files['mm_gfp.c'], r.files['mm_gfp.c'].indexOf(`\treturn ${s.name}(`)));
      }
      const adjust = (mapped: Expected[]) => mapped.map((e) => {
        const line = e.rule === 'ctor-ignores-gfp' ? at.get(`${e.file}:${e.line}`) : undefined;
        return line === undefined ? e : { ...e, file: 'mm_gfp.c', line };
      });
      out.push({ label: depth === 2 ? 'two helpers' : 'one helper', rewritten: r, adjust });
    }
    return out;
  },
};
