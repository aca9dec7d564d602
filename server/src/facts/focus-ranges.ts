/**
 * What a focused ("creations") extraction parses. Listing caches needs the
 * file's top level (globals, structs, lock definitions, kmem_cache_args
 * variables) and only the bodies of the functions that create caches and of
 * the ctors/dtors they name. Skipping the other bodies (tree-sitter's included
 * ranges) parses the kernel's 417 creation files about 3x faster. Bodies are
 * found as kernel style writes them: a `{` at column 0 closed by its match.
 */
import { asBytes, definitionBefore } from '../parse/definition-name';
import { matchParen } from '../parse/text-scan';
import { blankAnnotations } from '../parse/attributes';

export interface FocusPlan {
  /** [start, end) offsets to parse, sorted and disjoint. */
  ranges: [number, number][];
  /**
   * Functions left out whole, header included (`start` is where tree-sitter's node would
   * begin, `end` just past the `}`): their stubs are read from the text. The headers of the
   * bodies a focused read skips were a third of what it parsed.
   */
  cut: { start: number; end: number; name: string; nameStart: number }[];
  /** Offsets of the `{` of bodies left out: their functions are stubs. */
  skipped: Set<number>;
  /** The same bodies by the offset just past their `}` (where their function node ends). */
  skippedByEnd: Map<number, { name: string; nameStart: number }>;
}

const CREATES = /\bkmem_cache_create|\bKMEM_CACHE|\b__kmem_cache_create_args\b/;
const CREATE_CALL = /\b(?:kmem_cache_create\w*|KMEM_CACHE\w*|__kmem_cache_create\w*)\s*\(/g;
const ARGS_FIELD = /\.\s*(?:ctor|dtor)\s*=\s*&?\s*([A-Za-z_]\w*)/g;
const IDENT = /[A-Za-z_]\w*/g;

/**
 * Plan the parse of `masked` (comments and strings blanked). Kept: bodies that
 * create caches, the functions named in the creating calls' arguments (the
 * ctor, the dtor) or by a `.ctor =`/`.dtor =` anywhere, and `want`; then, the
 * same-file functions those kept functions name, transitively (a ctor's helpers:
 * the summary reads them next). A creating function's other callees are not
 * kept: a module init that creates a cache calls dozens of setup functions,
 * which tripled the bytes parsed.
 */
export function planFocus(masked: string, want: Iterable<string> = []): FocusPlan {
  const bodies = bodiesOf(masked);
  const keepNames = new Set(want);
  for (const m of masked.matchAll(ARGS_FIELD)) keepNames.add(m[1]);
  const keep = new Set<number>();
  // A function-like macro of the file that creates a cache: its invocations create caches too.
  const creators: string[] = [];
  for (const m of masked.matchAll(/^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)\((?:[^\n]*\\\r?\n)*[^\n]*/gm)) if (CREATES.test(m[0])) creators.push(m[1]);
  const creates = creators.length ? new RegExp(`${CREATES.source}|\\b(?:${creators.join('|')})\\s*\\(`) : CREATES;
  const createCall = creators.length ? new RegExp(`\\b(?:kmem_cache_create\\w*|KMEM_CACHE\\w*|__kmem_cache_create\\w*|${creators.join('|')})\\s*\\(`, 'g') : CREATE_CALL;
  for (const b of bodies) {
    const body = masked.slice(b.open, b.close);
    if (!creates.test(body)) continue;
    keep.add(b.open);
    for (const m of body.matchAll(createCall)) {
      const open = m.index + m[0].length - 1;
      const close = matchParen(body, open);
      for (const id of body.slice(open, close < 0 ? body.length : close).matchAll(IDENT)) keepNames.add(id[0]);
    }
  }
  const byName = new Map<string, Body[]>();
  for (const b of bodies) byName.set(b.name, [...(byName.get(b.name) ?? []), b]);
  const work = [...keepNames];
  while (work.length) {
    for (const b of byName.get(work.pop()!) ?? []) {
      if (keep.has(b.open)) continue;
      keep.add(b.open);
      for (const id of masked.slice(b.open, b.close).matchAll(IDENT)) {
        if (keepNames.has(id[0]) || !byName.has(id[0])) continue;
        keepNames.add(id[0]);
        work.push(id[0]);
      }
    }
  }
  return skipBodies(masked, bodies, (b) => keep.has(b.open), true);
}

/**
 * For the lock graph: skip the bodies with no lock, guard or IRQ primitive in
 * their text. Their events are calls in order with nothing held, which the
 * function reader takes from the masked text without a tree (as it already
 * does for such bodies), so the parse covers only the bodies that lock.
 */
export function planQuietBodies(masked: string, loud: RegExp): FocusPlan {
  return skipBodies(masked, bodiesOf(masked), (b) => loud.test(masked.slice(b.open, b.close)));
}

interface Body {
  name: string;
  nameStart: number;
  open: number;
  close: number;
}

/** Column-0 bodies with the function name before them (bodies with no name are not listed: always parsed). */
function bodiesOf(masked: string): Body[] {
  const bodies: Body[] = [];
  const src = asBytes(masked);
  let i = masked.startsWith('{') ? 0 : masked.indexOf('\n{');
  while (i >= 0) {
    const open = masked.charCodeAt(i) === 123 ? i : i + 1;
    const close = matchParen(masked, open);
    if (close < 0) break; // unbalanced to the end: leave the rest to the parser
    const d = definitionBefore(src, open);
    if (d) bodies.push({ name: d.name, nameStart: d.start, open, close });
    i = masked.indexOf('\n{', close);
  }
  return bodies;
}

function skipBodies(masked: string, bodies: Body[], keep: (b: Body) => boolean, cutHeaders = false): FocusPlan {
  const ranges: [number, number][] = [];
  const skipped = new Set<number>();
  const skippedByEnd = new Map<number, { name: string; nameStart: number }>();
  const cut: FocusPlan['cut'] = [];
  let start = 0;
  for (const b of bodies) {
    if (keep(b)) continue;
    const h = cutHeaders ? headerStart(masked, b.nameStart, start) : -1;
    if (h >= 0) {
      if (h > start) ranges.push([start, h]);
      start = b.close + 1;
      cut.push({ start: h, end: b.close + 1, name: b.name, nameStart: b.nameStart });
      continue;
    }
    // Parse `{` and `}` so the function still has an (empty) body.
    ranges.push([start, b.open + 1]);
    start = b.close;
    skipped.add(b.open);
    skippedByEnd.set(b.close + 1, { name: b.name, nameStart: b.nameStart });
  }
  if (masked.length > start || !ranges.length) ranges.push([start, masked.length]);
  return { ranges, skipped, skippedByEnd, cut };
}

/**
 * Where the function whose name starts at `nameStart` begins, as tree-sitter would
 * start its node: after the last `;`, `{`, `}` or preprocessor line before the name,
 * past blanks and the annotations the parser never sees (attributes.ts). -1 when the
 * header holds anything but words and `*` (an `__attribute__((...))`, a macro call, an
 * initializer...): such a function is parsed as before, its body left out.
 */
function headerStart(masked: string, nameStart: number, notBefore: number): number {
  let i = nameStart - 1;
  while (i >= 0) {
    const c = masked.charCodeAt(i);
    if (c === 59 /* ; */ || c === 123 /* { */ || c === 125 /* } */) break;
    i--;
  }
  // (The `}` of a function cut just before is the one at notBefore - 1.)
  let s = Math.max(i + 1, notBefore);
  // A preprocessor line between (an #ifdef around the function): start after it.
  for (let k = s; k < nameStart; ) {
    let nl = masked.indexOf('\n', k);
    if (nl < 0 || nl >= nameStart) break;
    if (/^[ \t]*#/.test(masked.slice(k, nl))) {
      while (nl > 0 && masked.charCodeAt(nl - 1) === 92 /* \ */) {
        const next = masked.indexOf('\n', nl + 1);
        if (next < 0 || next >= nameStart) return -1;
        nl = next;
      }
      s = nl + 1;
    }
    k = nl + 1;
  }
  const head = blankAnnotations(masked.slice(s, nameStart));
  if (!plainReturnType(head)) return -1;
  return s + head.search(/\S/);
}

const QUALIFIERS = new Set(['static', 'inline', 'extern', 'const', 'volatile', 'register', '__inline', '__inline__']);
const PRIMITIVES = new Set(['void', 'char', 'short', 'int', 'long', 'float', 'double', 'signed', 'unsigned', '_Bool', 'bool']);

/**
 * Whether a header is what tree-sitter reads as a plain function's specifiers: qualifiers
 * and exactly one type (`struct x`, primitive words, or one typedef name), then `*`s. An
 * unknown word before the type (INDIRECT_CALLABLE_SCOPE) or no type at all
 * (SYSCALL_DEFINE3(...)) makes it parse otherwise, so such functions keep their header.
 */
function plainReturnType(head: string): boolean {
  const words = head.replace(/\*/g, ' ').split(/\s+/).filter(Boolean);
  let types = 0;
  let primitive = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (!/^[A-Za-z_]\w*$/.test(w)) return false;
    if (QUALIFIERS.has(w)) continue;
    if (w === 'struct' || w === 'union' || w === 'enum') {
      if (types || !words[i + 1] || QUALIFIERS.has(words[i + 1])) return false;
      types++;
      i++;
    } else if (PRIMITIVES.has(w)) {
      if (types && !primitive) return false;
      if (!types) types++;
      primitive = true;
    } else {
      if (types) return false;
      types++;
    }
  }
  return types === 1 && !/\*\s*[A-Za-z_]/.test(head.replace(/\b(?:const|volatile)\b/g, ''));
}
