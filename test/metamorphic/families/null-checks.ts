/**
 * NULL checks written each way: `!p`, `unlikely(!p)`, `p == NULL`, `NULL == p`,
 * `IS_ERR_OR_NULL(p)` in an if condition, and `if (!p) return -ENOMEM; return 0;` written as
 * `return p ? 0 : -ENOMEM;` (and back). Every check of the case is rewritten to one form.
 */
import type { Family, Variant } from '../family';
import { Edit, editFiles, functions, lineOf, matching, sources, tokenize } from '../text';

const LV = String.raw`[A-Za-z_]\w*(?:(?:->|\.)\w+)*`;
const FORMS: Record<string, RegExp> = {
  '!p': new RegExp(`^!\\s*(${LV})$`),
  'unlikely(!p)': new RegExp(`^unlikely\\s*\\(\\s*!\\s*(${LV})\\s*\\)$`),
  'p == NULL': new RegExp(`^(${LV})\\s*==\\s*NULL$`),
  'NULL == p': new RegExp(`^NULL\\s*==\\s*(${LV})$`),
  'IS_ERR_OR_NULL(p)': new RegExp(`^IS_ERR_OR_NULL\\s*\\(\\s*(${LV})\\s*\\)$`),
};
const write = (form: string, p: string) => form.replace('p', p);

function rewrite(files: Record<string, string>, form: string) {
  const edits: Record<string, Edit[]> = {};
  for (const file of sources(files)) {
    const src = files[file];
    const toks = tokenize(src);
    const es: Edit[] = [];
    for (const fn of functions(src, toks)) {
      for (let k = fn.bodyOpen + 1; k < fn.bodyClose; k++) {
        if (toks[k].text === 'if' && toks[k + 1]?.text === '(') {
          const close = matching(toks, k + 1);
          const a = toks[k + 2].start;
          const b = toks[close - 1].end;
          const cond = src.slice(a, b);
          for (const [name, re] of Object.entries(FORMS)) {
            const m = re.exec(cond);
            if (m && name !== form && form !== 'return p ? 0 : -ENOMEM') es.push({ start: a, end: b, text: write(form, m[1]) });
          }
          // if (!p) return -ENOMEM; return 0;  ->  return p ? 0 : -ENOMEM;
          const tail = src.slice(toks[close].end).match(/^\s*return\s+-ENOMEM\s*;\s*return\s+0\s*;/);
          const m = Object.values(FORMS).map((re) => re.exec(cond)).find(Boolean);
          if (form === 'return p ? 0 : -ENOMEM' && m && tail) {
            es.push({ start: toks[k].start, end: toks[close].end + tail[0].length, text: `return ${m[1]} ? 0 : -ENOMEM;` });
          }
        }
        // return p ? 0 : -ENOMEM;  ->  if (<form>) return -ENOMEM; return 0;
        if (toks[k].text === 'return' && form !== 'return p ? 0 : -ENOMEM') {
          const m = src.slice(toks[k].start).match(new RegExp(`^return\\s+(${LV})\\s*\\?\\s*0\\s*:\\s*-ENOMEM\\s*;`));
          if (m) {
            const indent = lineOf(src, toks[k].start).indent;
            es.push({ start: toks[k].start, end: toks[k].start + m[0].length, text: `if (${write(form, m[1])})\n${indent}\treturn -ENOMEM;\n${indent}return 0;` });
          }
        }
      }
    }
    edits[file] = es;
  }
  return editFiles(files, edits);
}

export const nullChecks: Family = {
  name: 'null-checks',
  variants(fx) {
    const out: Variant[] = [];
    for (const form of [...Object.keys(FORMS), 'return p ? 0 : -ENOMEM']) {
      const r = rewrite(fx.files, form);
      if (r) out.push({ label: form, rewritten: r });
    }
    return out;
  },
};
