/**
 * The creation's `struct kmem_cache_args` written each way: a local variable's initialiser
 * (as cacheWith() writes it), a compound literal `&(struct kmem_cache_args){ ... }`, a local
 * set field by field, a file-scope variable; the legacy five-argument form moved into args
 * (literal and variable), and a literal moved back into a variable. The initialiser's
 * designators are moved, not retyped, so findings on them follow.
 */
import type { Family, Variant } from '../family';
import { calls, compose, copy, Edit, editFiles, functions, lineOf, lit, matching, Piece, Rewritten, sources, tokenize } from '../text';

interface ArgsVar { file: string; name: string; declStart: number; declEnd: number; innerStart: number; innerEnd: number; fnStart: number }

/** `kmem_cache_create(name, size, &NAME, flags)` whose NAME is a local `struct kmem_cache_args NAME = { ... };` */
function argsVars(files: Record<string, string>) {
  const out: { v: ArgsVar; argStart: number; argEnd: number }[] = [];
  for (const file of sources(files)) {
    const src = files[file];
    const toks = tokenize(src);
    const fns = functions(src, toks);
    for (const c of calls(src, toks, fns)) {
      if (c.name !== 'kmem_cache_create' || c.args.length !== 4) continue;
      const m = /^&\s*(\w+)$/.exec(c.args[2].text);
      if (!m) continue;
      for (let k = c.fn.bodyOpen; k < c.nameTok; k++) {
        if (toks[k].text === 'kmem_cache_args' && toks[k - 1].text === 'struct' && toks[k + 1].text === m[1] && toks[k + 2].text === '=' && toks[k + 3].text === '{') {
          const close = matching(toks, k + 3);
          if (toks[close + 1]?.text !== ';') continue;
          const line = lineOf(src, toks[k - 1].start);
          const endLine = lineOf(src, toks[close + 1].end);
          if (line.text.trim().indexOf('struct') !== 0) continue;
          out.push({
            v: { file, name: m[1], declStart: line.start, declEnd: endLine.end + 1, innerStart: toks[k + 3].end, innerEnd: toks[close].start, fnStart: c.fn.start },
            argStart: c.args[2].start, argEnd: c.args[2].end,
          });
        }
      }
    }
  }
  return out;
}

/** The designators `.f = v` of an initialiser's inside, as [start, end) ranges. */
function designators(src: string, a: number, b: number): [number, number][] {
  const toks = tokenize(src.slice(a, b));
  const out: [number, number][] = [];
  let depth = 0;
  let first = -1;
  for (let k = 0; k <= toks.length; k++) {
    const t = toks[k];
    if (t && t.kind === 'pp') return [];
    if (t && '({['.includes(t.text)) depth++;
    if (t && ')}]'.includes(t.text)) depth--;
    if (!t || (t.text === ',' && depth === 0)) {
      if (first >= 0) out.push([a + toks[first].start, a + toks[k - 1].end]);
      first = -1;
    } else if (first < 0) first = k;
  }
  return out.every(([s]) => src[s] === '.') ? out : [];
}

function varToLiteral(files: Record<string, string>): Rewritten | null {
  const edits: Record<string, Edit[]> = {};
  for (const { v, argStart, argEnd } of argsVars(files)) {
    (edits[v.file] ??= []).push(
      { start: v.declStart, end: v.declEnd, text: '' },
      { start: argStart, end: argEnd, text: '', pieces: [lit('&(struct kmem_cache_args){'), copy(v.file, v.innerStart, v.innerEnd), lit('}')] },
    );
  }
  return editFiles(files, edits);
}

function varToFields(files: Record<string, string>): Rewritten | null {
  const edits: Record<string, Edit[]> = {};
  for (const { v } of argsVars(files)) {
    const src = files[v.file];
    const ds = designators(src, v.innerStart, v.innerEnd);
    if (!ds.length) continue;
    const indent = lineOf(src, v.declStart).indent;
    const pieces: Piece[] = [lit(`${indent}struct kmem_cache_args ${v.name} = {};\n\n`)];
    for (const [s, e] of ds) pieces.push(lit(`${indent}${v.name}`), copy(v.file, s, e), lit(';\n'));
    (edits[v.file] ??= []).push({ start: v.declStart, end: v.declEnd, text: '', pieces });
  }
  return editFiles(files, edits);
}

function varToGlobal(files: Record<string, string>): Rewritten | null {
  const edits: Record<string, Edit[]> = {};
  let n = 0;
  for (const { v, argStart, argEnd } of argsVars(files)) {
    const src = files[v.file];
    const indent = lineOf(src, v.declStart).indent;
    // the declaration, dedented one level, moved before the function, under a name of its own in the file
    const name = `${v.name}_g${n++}`;
    const nameAt = src.indexOf(v.name, src.indexOf('kmem_cache_args', v.declStart) + 'kmem_cache_args'.length);
    const pieces: Piece[] = [lit('static ')];
    for (let at = v.declStart; at < v.declEnd;) {
      const l = lineOf(src, at);
      const from = at + (l.text.startsWith(indent) ? indent.length : 0);
      const to = Math.min(l.end + 1, v.declEnd);
      if (nameAt >= from && nameAt < to) pieces.push(copy(v.file, from, nameAt), lit(name), copy(v.file, nameAt + v.name.length, to));
      else pieces.push(copy(v.file, from, to));
      at = l.end + 1;
    }
    (edits[v.file] ??= []).push(
      { start: v.declStart, end: v.declEnd, text: '' },
      { start: v.fnStart, end: v.fnStart, text: '', pieces },
      { start: argStart, end: argEnd, text: `&${name}` },
    );
  }
  return editFiles(files, edits);
}

/** Legacy `kmem_cache_create(name, size, align, flags, ctor)` and `kmem_cache_create(name, size, &(struct kmem_cache_args){...}, flags)` as a local variable, or the legacy form as a literal. */
function toArgs(files: Record<string, string>, as: 'literal' | 'variable'): Rewritten | null {
  const edits: Record<string, Edit[]> = {};
  let n = 0;
  for (const file of sources(files)) {
    const src = files[file];
    const toks = tokenize(src);
    for (const c of calls(src, toks)) {
      if (c.name !== 'kmem_cache_create') continue;
      let inner: Piece[];
      let flags: { start: number; end: number };
      if (c.args.length === 5) {
        const [, , align, fl, ctor] = c.args;
        inner = [lit(align.text === '0' ? ' ' : ` .align = ${align.text}, `), lit('.ctor = '), copy(file, ctor.start, ctor.end), lit(' ')];
        flags = fl;
      } else if (c.args.length === 4 && /^&\s*\(\s*struct\s+kmem_cache_args\s*\)\s*\{[^]*\}$/.test(c.args[2].text) && as === 'variable') {
        const a = c.args[2];
        inner = [copy(file, src.indexOf('{', a.start) + 1, a.end - 1)];
        flags = c.args[3];
      } else continue;
      const es = (edits[file] ??= []);
      const sizeEnd = c.args[1].end;
      if (as === 'literal') {
        es.push({ start: sizeEnd, end: flags.start, text: '', pieces: [lit(', &(struct kmem_cache_args){'), ...inner, lit('}, ')] });
        es.push({ start: flags.end, end: c.args[c.args.length - 1].end, text: '' });
        continue;
      }
      // a variable declared before the statement holding the call (its line must start the statement)
      const line = lineOf(src, c.start);
      const before = src.slice(0, line.start).trimEnd();
      if (!/[;{}]$/.test(before)) continue;
      const name = `mm_args${n++}`;
      es.push({ start: line.start, end: line.start, text: '', pieces: [lit(`${line.indent}struct kmem_cache_args ${name} = {`), ...inner, lit('};\n\n')] });
      es.push({ start: sizeEnd, end: flags.start, text: `, &${name}, ` });
      es.push({ start: flags.end, end: c.args[c.args.length - 1].end, text: '' });
    }
  }
  return editFiles(files, edits);
}

export const cacheArgs: Family = {
  name: 'cache-args',
  variants(fx) {
    const out: Variant[] = [];
    const add = (label: string, r: Rewritten | null) => { if (r) out.push({ label, rewritten: r }); };
    const literal = varToLiteral(fx.files);
    add('variable -> compound literal', literal);
    if (literal) add('variable -> compound literal -> variable', compose(literal, toArgs(literal.files, 'variable')));
    add('variable set field by field', varToFields(fx.files));
    add('file-scope variable', varToGlobal(fx.files));
    add('legacy -> compound literal', toArgs(fx.files, 'literal'));
    add('legacy -> variable', toArgs(fx.files, 'variable'));
    return out;
  },
};
