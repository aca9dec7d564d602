/**
 * An argument expression (or a cache expression) -> ArgRef: the text, the
 * parameter of the enclosing function it passes on when written bare, and for
 * a variable path (`x`, `x->f.g`) whether it starts from a local variable or
 * a parameter and that variable's struct type. The index names caches with it
 * (a field class `pool.cache`, a global, a parameter bound at a call) and
 * follows gfp values through parameters, across files.
 */
import type { ArgRef } from './types';
import type { TypeScope } from './lock-ref';
import { structName } from './lock-ref';
import { matchParen } from '../parse/text-scan';

/** Longer arguments are cut (their text is kept for evidence only). */
export const MAX_ARG_TEXT = 80;

/** `x`, `x[i]`, `x->f`, `x.f[2]->g`: a first name and its field path. */
export const VAR_PATH = /^([A-Za-z_]\w*)((?:\s*\[[^\]]*\])*)((?:\s*(?:->|\.)\s*[A-Za-z_]\w*(?:\s*\[[^\]]*\])*)*)$/;

/** Outer parentheses removed: `((gfp))` -> `gfp`. */
export function unparen(text: string): string {
  let s = text.trim();
  for (let i = 0; i < 4 && s.startsWith('(') && matchParen(s, 0) === s.length - 1; i++) s = s.slice(1, -1).trim();
  return s;
}

/**
 * `scope` tells locals and parameters from file-scope names (undefined: only parameters are
 * known, as in a macro body, whose names are its parameters or the includer's).
 */
export function argRef(text: string, params: readonly { name: string }[], scope?: TypeScope): ArgRef {
  let t = text.replace(/\s+/g, ' ').trim();
  if (t.length > MAX_ARG_TEXT) t = `${t.slice(0, MAX_ARG_TEXT - 3)}...`;
  const r: ArgRef = { t };
  const m = VAR_PATH.exec(unparen(text));
  if (!m) return r;
  const base = m[1];
  const bare = !m[2] && !m[3];
  // The scope first: it reads a lazily read parameter list into `params`.
  const d = scope ? scope(base) : undefined;
  const pi = params.findIndex((p) => p.name === base);
  if (pi >= 0 && bare) {
    r.p = pi;
    return r;
  }
  if (d?.local || pi >= 0) {
    r.local = true;
    if (m[3] && d) {
      const s = structName(d.type);
      if (s) r.type = s;
    }
  }
  return r;
}

/**
 * Local declarations read from a body's masked text in one pass: `struct foo *x`, `foo_t x`,
 * `const struct foo *x = ...`, the first declarator of each. Cheaper than walking the tree's
 * declarations (which cost the extraction a fifth more when every call's arguments asked);
 * it over-reads (`return x;` declares x of type "return"), which only makes a name local
 * (never matched as a cache), never a global.
 */
const DECL = /(?:^|[;{}(,]|\n)\s*(?:(?:const|volatile|static|register|unsigned|signed|__maybe_unused)\s+)*((?:struct|union|enum)\s+[A-Za-z_]\w*|[A-Za-z_]\w*)\b(?:\s+__[a-z]\w*)*(\s*(?:\*\s*(?:const\s+|__[a-z]\w*\s+)?)+|\s+)([A-Za-z_]\w*)\s*(?=[=;,[)]|__[a-z])/g;
/** `static DEFINE_SPINLOCK(lock);`, `DEFINE_MUTEX(m)` inside a body. */
const DEFINE = /\bDEFINE_[A-Z0-9_]+\s*\(\s*([A-Za-z_]\w*)/g;

/** `statics` (when given) receives the function-scope static objects (not pointers). */
export function textLocals(body: string, statics?: Set<string>): Map<string, string> {
  const out = new Map<string, string>();
  DECL.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = DECL.exec(body)) !== null) {
    const star = m[2].includes('*');
    if (!out.has(m[3])) {
      out.set(m[3], m[1] + (star ? ' *' : ''));
      if (statics && !star && /\bstatic\s/.test(m[0])) statics.add(m[3]);
    }
    // More declarators of the same type: `struct foo *a, *b = f(x, y), c[2];`.
    let i = m.index + m[0].length;
    for (let guard = 0; guard < 16; guard++) {
      let depth = 0;
      for (; i < body.length; i++) {
        const c = body[i];
        if (c === '(' || c === '[' || c === '{') depth++;
        else if (c === ')' || c === ']' || c === '}') { if (--depth < 0) break; }
        else if (depth === 0 && (c === ',' || c === ';')) break;
      }
      if (body[i] !== ',') break;
      const d = /^,\s*((?:\*\s*(?:const\s+)?)*)([A-Za-z_]\w*)\s*(?=[=;,[])/.exec(body.slice(i, i + 120));
      if (!d) break;
      if (!out.has(d[2])) out.set(d[2], m[1] + (d[1] ? ' *' : ''));
      i += d[0].length;
    }
    // The next declaration may start right after this one (`a; struct b *c`).
    DECL.lastIndex = Math.max(m.index + m[0].length, i);
  }
  DEFINE.lastIndex = 0;
  while ((m = DEFINE.exec(body)) !== null) {
    if (out.has(m[1])) continue;
    out.set(m[1], '');
    if (statics && /\bstatic\s+$/.test(body.slice(Math.max(0, m.index - 20), m.index))) statics.add(m[1]);
  }
  return out;
}
