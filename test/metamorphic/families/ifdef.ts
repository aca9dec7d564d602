/**
 * A statement placed in an `#ifdef CONFIG_X` branch, and in the `#else` branch of one whose
 * first branch has only a comment; a ctor/dtor designator of kmem_cache_args likewise (the
 * first branch of its #else variant sets `.align` instead). The
 * reader sees every branch (the code exists in some configuration), so nothing changes.
 * Only whole statements at block level that call something and neither lock, unlock nor
 * return (wrapping those would change the control flow the branches describe); and a whole
 * locked region, from a lock statement to its unlock in the same block with nothing between
 * that leaves it (the pairs of the guard family), in either branch.
 */
import type { Family, Variant } from '../family';
import { LOCK_OPS } from '../../../server/src/kb/locks';
import { Edit, editFiles, functions, lineOf, sources, tokenize } from '../text';
import { pairs } from './guard';

const NOT_STATEMENTS = new Set(['if', 'else', 'for', 'while', 'do', 'switch', 'return', 'goto', 'break', 'continue', 'case', 'default',
  'struct', 'union', 'enum', 'static', 'const', 'unsigned', 'int', 'long', 'char', 'void', 'bool', 'u64', 'size_t']);
const CONTROL = /\b(?:return|goto|break|continue|guard|scoped_guard|local_irq_\w+|preempt_\w+)\b/;

interface Site { file: string; start: number; end: number; text: string }

/** Whole-line statements at block level that call something and do not lock, unlock or leave. */
function statements(files: Record<string, string>): Site[] {
  const out: Site[] = [];
  for (const file of sources(files)) {
    const src = files[file];
    const toks = tokenize(src);
    for (const fn of functions(src, toks)) {
      let paren = 0;
      for (let k = fn.bodyOpen + 1; k < fn.bodyClose; k++) {
        const t = toks[k];
        if (t.text === '(') paren++;
        if (t.text === ')') paren--;
        const prev = toks[k - 1].text;
        if (paren !== 0 || t.kind !== 'id' || !/^[;{}]$/.test(prev) || NOT_STATEMENTS.has(t.text) || /_t$/.test(t.text) || toks[k + 1]?.text === ':') continue;
        const line = lineOf(src, t.start);
        if (line.start + line.indent.length !== t.start) continue;
        let j = k;
        let p = 0;
        while (j < fn.bodyClose && !(toks[j].text === ';' && p === 0)) {
          if ('({['.includes(toks[j].text)) p++;
          if (')}]'.includes(toks[j].text)) p--;
          if (toks[j].kind === 'pp') break;
          j++;
        }
        if (toks[j].text !== ';') continue;
        const endLine = lineOf(src, toks[j].end);
        if (src.slice(toks[j].end, endLine.end).trim()) continue;
        const body = toks.slice(k, j);
        if (!body.some((x, i) => x.kind === 'id' && body[i + 1]?.text === '(')) continue;
        if (body.some((x) => x.kind === 'id' && (x.text in LOCK_OPS || CONTROL.test(x.text)))) continue;
        out.push({ file, start: line.start, end: endLine.end + 1, text: src.slice(t.start, toks[j].end) });
      }
    }
  }
  return out;
}

/** `.ctor = f,` / `.dtor = f,` alone on a line. */
function designatorLines(files: Record<string, string>): Site[] {
  const out: Site[] = [];
  for (const file of sources(files)) {
    const src = files[file];
    for (const m of src.matchAll(/^[ \t]*\.(?:ctor|dtor)\s*=\s*[^,\n]+,[ \t]*\n/gm)) out.push({ file, start: m.index!, end: m.index! + m[0].length, text: m[0].trim() });
  }
  return out;
}

function wrap(files: Record<string, string>, s: Site, inElse: boolean, designator: boolean) {
  // The first branch of an #else variant: a comment, or another field (`.align`) for a designator.
  const other = designator ? '\t\t.align = 64,' : '\t/* nothing to do here */';
  const edit: Edit[] = [
    { start: s.start, end: s.start, text: inElse ? `#ifdef CONFIG_MM_OTHER\n${other}\n#else\n` : '#ifdef CONFIG_MM_FEATURE\n' },
    { start: s.end, end: s.end, text: '#endif\n' },
  ];
  return editFiles(files, { [s.file]: edit });
}

export const ifdef: Family = {
  name: 'ifdef',
  variants(fx) {
    const out: Variant[] = [];
    const regions: Site[] = pairs(fx.files).map((p) => ({ file: p.lock.file, start: p.lock.lineStart, end: p.unlock.lineEnd, text: `${p.lock.call.name}(${p.lock.lock}) .. ${p.unlock.call.name}()` }));
    for (const [kind, sites] of [['statement', statements(fx.files)], ['designator', designatorLines(fx.files)], ['locked region', regions]] as const) {
      for (const s of sites) {
        for (const inElse of [false, true]) {
          const r = wrap(fx.files, s, inElse, kind === 'designator');
          if (r) out.push({ label: `${kind} in ${inElse ? '#else' : '#ifdef'}: ${s.text}`, rewritten: r });
        }
      }
    }
    return out;
  },
};
