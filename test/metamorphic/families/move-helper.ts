/**
 * A function moved into another file: `mm_moved.c`, declared in a header `mm_moved.h` that
 * both include. The header takes the file's leading type definitions and includes, the
 * moved function's prototype, and extern declarations of the file's locks and cache pointers
 * it uses (those, and the functions it calls, lose their `static`). Every function that
 * another part of its file names (a helper, a ctor/dtor given to kmem_cache_create) is moved,
 * one per variant. Run whole-workspace and demand-driven.
 */
import { Family, isKernelApi, Variant } from '../family';
import { build, copy, edited, Edit, FnDef, functions, lit, Piece, Tok, tokenize } from '../text';

const EXTERN: Record<string, string> = { DEFINE_SPINLOCK: 'spinlock_t', DEFINE_RAW_SPINLOCK: 'raw_spinlock_t', DEFINE_MUTEX: 'struct mutex', DECLARE_RWSEM: 'struct rw_semaphore' };

interface Item { start: number; end: number; toks: Tok[] }

/** Top-level items of a file: a preprocessor line, a function definition, or tokens up to a `;`. */
function items(toks: Tok[], fns: FnDef[]): Item[] {
  const out: Item[] = [];
  let k = 0;
  while (k < toks.length) {
    if (toks[k].kind === 'pp') { out.push({ start: toks[k].start, end: toks[k].end, toks: [toks[k]] }); k++; continue; }
    const fn = fns.find((f) => toks[k].start === f.start);
    if (fn) {
      const j = toks.findIndex((t) => t.end === fn.end);
      out.push({ start: fn.start, end: fn.end, toks: toks.slice(k, j + 1) });
      k = j + 1;
      continue;
    }
    let d = 0;
    let j = k;
    for (; j < toks.length; j++) {
      if ('({['.includes(toks[j].text)) d++;
      if (')}]'.includes(toks[j].text)) d--;
      if (toks[j].text === ';' && d === 0) break;
    }
    out.push({ start: toks[k].start, end: toks[Math.min(j, toks.length - 1)].end, toks: toks.slice(k, j + 1) });
    k = j + 1;
  }
  return out;
}

function isTypeDefinition(it: Item): boolean {
  const t = it.toks;
  if (t[0].kind === 'pp') return true;
  if (t[0].text === 'typedef') return true;
  return ['struct', 'union', 'enum'].includes(t[0].text) && t[1]?.kind === 'id' && t[2]?.text === '{' && t[t.length - 2]?.text === '}';
}

/** The definition with its body's `{` at column 0 (how the definition index finds a function in another file). */
function kernelStyle(file: string, src: string, from: number, brace: number, end: number): Piece[] {
  if (src[brace - 1] === '\n') return [copy(file, from, end)];
  return [copy(file, from, brace), lit('\n'), copy(file, brace, end)];
}

function moveOne(files: Record<string, string>, file: string, fnName: string): ReturnType<typeof build> | null {
  const src = files[file];
  const toks = tokenize(src);
  const fns = functions(src, toks);
  const fn = fns.find((f) => f.name === fnName)!;
  const all = items(toks, fns);
  let pre = 0;
  while (pre < all.length && isTypeDefinition(all[pre])) pre++;
  if (pre === 0 || all.indexOf(all.find((i) => i.start === fn.start)!) < pre) return null;
  const preambleEnd = all[pre - 1].end;
  const body = toks.filter((t) => t.start >= fn.start && t.end <= fn.end && t.kind === 'id');
  const used = new Set(body.map((t) => t.text));
  const edits: Edit[] = [{ start: 0, end: preambleEnd, text: '#include "mm_moved.h"' }];
  const header: Piece[] = [copy(file, 0, preambleEnd), lit('\n')];
  const unstatic = (it: Item) => { if (it.toks[0].text === 'static') edits.push({ start: it.toks[0].start, end: it.toks[1].start, text: '' }); };
  for (const it of all.slice(pre)) {
    if (it.start === fn.start) continue;
    const other = fns.find((f) => f.start === it.start);
    const t = it.toks;
    if (other) {
      if (!used.has(other.name)) continue;
      const from = t[0].text === 'static' ? t[1].start : t[0].start;
      header.push(copy(file, from, toks[other.paramsClose].end), lit(';\n'));
      unstatic(it);
      continue;
    }
    if (t[0].kind === 'pp') {
      const m = /^#\s*define\s+(\w+)/.exec(t[0].text);
      if (m && used.has(m[1])) return null;
      continue;
    }
    // file-scope variables the function uses
    const names = t.filter((x, i) => x.kind === 'id' && (t[i + 1]?.text === ';' || t[i + 1]?.text === ',' || t[i + 1]?.text === '=' || (t[i - 1]?.text === '(' && t[i + 1]?.text === ')')));
    const hit = names.filter((x) => used.has(x.text));
    if (!hit.length) continue;
    if (hit.length !== 1 || t.some((x) => x.text === '=')) return null;
    const name = hit[0].text;
    const s = t[0].text === 'static' ? 1 : 0;
    const def = t[s]?.text;
    if (def && def in EXTERN && t[s + 1]?.text === '(') header.push(lit(`extern ${EXTERN[def]} ${name};\n`));
    else if (def === 'struct' && t[s + 1]?.text === 'kmem_cache') header.push(lit(`extern struct kmem_cache *${name};\n`));
    else return null;
    unstatic(it);
  }
  const from = toks.find((t) => t.start === fn.start)!;
  const fnFrom = from.text === 'static' ? toks[toks.indexOf(from) + 1].start : fn.start;
  header.push(copy(file, fnFrom, toks[fn.paramsClose].end), lit(';\n'));
  let fnEnd = fn.end;
  if (src[fnEnd] === '\n') fnEnd++;
  edits.push({ start: fn.start, end: fnEnd, text: '' });
  return build(files, {
    [file]: edited(file, src, edits),
    'mm_moved.h': header,
    'mm_moved.c': [lit('#include "mm_moved.h"\n\n'), ...kernelStyle(file, src, fnFrom, toks[fn.bodyOpen].start, fn.end), lit('\n')],
  });
}

export const moveHelper: Family = {
  name: 'move-helper',
  demandDriven: true,
  variants(fx) {
    if ('mm_moved.c' in fx.files) return null;
    const out: Variant[] = [];
    for (const file of Object.keys(fx.files).filter((f) => f.endsWith('.c')).sort()) {
      const src = fx.files[file];
      const toks = tokenize(src);
      const fns = functions(src, toks);
      for (const fn of fns) {
        if (isKernelApi(fn.name)) continue;
        const elsewhere = toks.some((t) => t.kind === 'id' && t.text === fn.name && (t.start < fn.start || t.start >= fn.end));
        if (!elsewhere) continue;
        const r = moveOne(fx.files, file, fn.name);
        if (r) out.push({ label: `${fn.name}() from ${file}`, rewritten: r });
      }
    }
    return out;
  },
};
