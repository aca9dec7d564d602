/**
 * What the rewrites need of C text: a small tokenizer (comments and strings skipped, each
 * preprocessor line one token), the functions a file defines, the calls in their bodies with
 * their arguments, and a rewrite built from pieces of the original files, which maps every
 * original offset to where it went (so an expected `file:line` follows the code it names).
 */

export type TokKind = 'id' | 'num' | 'str' | 'punct' | 'pp';
export interface Tok { kind: TokKind; text: string; start: number; end: number }

/** Tokens of C text; comments are skipped; a preprocessor line (with its continuations) is one 'pp' token. */
export function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  let lineStart = true;
  while (i < src.length) {
    const c = src[i];
    if (c === '\n') { lineStart = true; i++; continue; }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f') { i++; continue; }
    if (c === '/' && src[i + 1] === '*') { const e = src.indexOf('*/', i + 2); i = e < 0 ? src.length : e + 2; continue; }
    if (c === '/' && src[i + 1] === '/') { while (i < src.length && src[i] !== '\n') i++; continue; }
    const start = i;
    if (c === '#' && lineStart) {
      while (i < src.length && !(src[i] === '\n' && src[i - 1] !== '\\')) i++;
      toks.push({ kind: 'pp', text: src.slice(start, i), start, end: i });
      continue;
    }
    lineStart = false;
    if (/[A-Za-z_]/.test(c)) {
      while (i < src.length && /\w/.test(src[i])) i++;
      toks.push({ kind: 'id', text: src.slice(start, i), start, end: i });
    } else if (/[0-9]/.test(c)) {
      while (i < src.length && /[\w.]/.test(src[i])) i++;
      toks.push({ kind: 'num', text: src.slice(start, i), start, end: i });
    } else if (c === '"' || c === "'") {
      i++;
      while (i < src.length && src[i] !== c) i += src[i] === '\\' ? 2 : 1;
      i++;
      toks.push({ kind: 'str', text: src.slice(start, i), start, end: i });
    } else {
      const two = src.slice(i, i + 2);
      const len = ['->', '==', '!=', '&&', '||', '<=', '>=', '++', '--', '<<', '>>', '|=', '&=', '+=', '-='].includes(two) ? 2 : 1;
      i += len;
      toks.push({ kind: 'punct', text: src.slice(start, i), start, end: i });
    }
  }
  return toks;
}

/** Index of the token closing the bracket opened at toks[open]. */
export function matching(toks: Tok[], open: number): number {
  const o = toks[open].text;
  const cl = o === '(' ? ')' : o === '{' ? '}' : ']';
  let depth = 0;
  for (let k = open; k < toks.length; k++) {
    if (toks[k].text === o) depth++;
    else if (toks[k].text === cl && --depth === 0) return k;
  }
  return toks.length - 1;
}

export interface FnDef {
  name: string;
  /** Offset of the first token of the definition (its return type or `static`). */
  start: number;
  /** Offset just after the closing brace. */
  end: number;
  nameTok: number;
  paramsOpen: number;
  paramsClose: number;
  bodyOpen: number;
  bodyClose: number;
  isStatic: boolean;
  /** Return type as written (without static/inline/__init). */
  returns: string;
}

const NOT_CALLS = new Set(['if', 'while', 'for', 'switch', 'return', 'sizeof', 'typeof', '__typeof__', 'alignof', '_Alignof', 'do', 'defined', '__attribute__']);

/** Top-level function definitions (kernel style: `type name(params) {`). */
export function functions(src: string, toks = tokenize(src)): FnDef[] {
  const out: FnDef[] = [];
  let depth = 0;
  let itemStart = 0;
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k];
    if (t.kind === 'pp') { if (depth === 0) itemStart = k + 1; continue; }
    if (t.text === '{' || t.text === '(' || t.text === '[') {
      if (depth === 0 && t.text === '(' && k > 0 && toks[k - 1].kind === 'id' && !NOT_CALLS.has(toks[k - 1].text)) {
        const close = matching(toks, k);
        if (toks[close + 1]?.text === '{' && k - 1 > itemStart - 1) {
          const bodyClose = matching(toks, close + 1);
          const head = toks.slice(itemStart, k - 1).map((x) => x.text);
          out.push({
            name: toks[k - 1].text, start: toks[itemStart].start, end: toks[bodyClose].end, nameTok: k - 1,
            paramsOpen: k, paramsClose: close, bodyOpen: close + 1, bodyClose,
            isStatic: head.includes('static'),
            returns: head.filter((h) => !['static', 'inline', '__init', '__exit', 'extern'].includes(h)).join(' ').replace(/ \*/g, ' *').replace(/\* /g, '*'),
          });
          k = bodyClose;
          itemStart = k + 1;
          // a definition's `}` is followed by no `;`
          continue;
        }
      }
      depth++;
    } else if (t.text === '}' || t.text === ')' || t.text === ']') {
      depth--;
    } else if (t.text === ';' && depth === 0) {
      itemStart = k + 1;
    }
  }
  return out;
}

export interface Arg { start: number; end: number; text: string }
export interface Call {
  name: string;
  nameTok: number;
  start: number;
  open: number;
  close: number;
  /** Offset just after `)`. */
  end: number;
  args: Arg[];
  fn: FnDef;
}

/** Calls in function bodies (`name(` where name is not a keyword), with their arguments split at top-level commas. */
export function calls(src: string, toks = tokenize(src), fns = functions(src, toks)): Call[] {
  const out: Call[] = [];
  for (const fn of fns) {
    for (let k = fn.bodyOpen + 1; k < fn.bodyClose; k++) {
      const t = toks[k];
      if (t.kind !== 'id' || NOT_CALLS.has(t.text) || toks[k + 1]?.text !== '(') continue;
      if (toks[k - 1]?.text === '.' || toks[k - 1]?.text === '->') continue;
      const open = k + 1;
      const close = matching(toks, open);
      const args: Arg[] = [];
      let depth = 0;
      let first = open + 1;
      for (let j = open + 1; j <= close; j++) {
        const x = toks[j].text;
        if (x === '(' || x === '{' || x === '[') depth++;
        else if ((x === ')' || x === '}' || x === ']') && j !== close) depth--;
        if ((x === ',' && depth === 0) || j === close) {
          if (j > first) args.push({ start: toks[first].start, end: toks[j - 1].end, text: src.slice(toks[first].start, toks[j - 1].end) });
          first = j + 1;
        }
      }
      out.push({ name: t.text, nameTok: k, start: t.start, open: toks[open].start, close: toks[close].start, end: toks[close].end, args, fn });
    }
  }
  return out;
}

/** Start offset of the line holding `offset`, and its indentation. */
export function lineOf(src: string, offset: number): { start: number; end: number; indent: string; text: string } {
  const start = src.lastIndexOf('\n', offset - 1) + 1;
  let end = src.indexOf('\n', offset);
  if (end < 0) end = src.length;
  const text = src.slice(start, end);
  return { start, end, indent: /^\s*/.exec(text)![0], text };
}

export function offsetAt(src: string, line: number, col: number): number {
  let o = 0;
  for (let l = 0; l < line; l++) o = src.indexOf('\n', o) + 1;
  return o + col;
}

export function lineAt(src: string, offset: number): number {
  let n = 0;
  for (let i = src.indexOf('\n'); i >= 0 && i < offset; i = src.indexOf('\n', i + 1)) n++;
  return n;
}

// ---- rewrites from pieces of the original files ----

export interface Loc { file: string; offset: number }
/** A piece of a rewritten file: a copy of an original range, or new text (replacing an original range, if any). */
export type Piece = { copy: Loc & { end: number } } | { text: string; replaces?: Loc & { end: number } };
/** Replace [start, end) of the original with text, or with pieces (copies of other original ranges: a move). */
export interface Edit { start: number; end: number; text: string; pieces?: Piece[] }

export function copy(file: string, offset: number, end: number): Piece {
  return { copy: { file, offset, end } };
}
export function lit(text: string, replaces?: Loc & { end: number }): Piece {
  return { text, replaces };
}

/** The pieces of `file` with the edits (non-overlapping ranges of the original) applied. */
export function edited(file: string, src: string, edits: Edit[]): Piece[] {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  const out: Piece[] = [];
  let at = 0;
  for (const e of sorted) {
    if (e.start < at) throw new Error(`overlapping edits in ${file} at ${e.start}`);
    if (e.start > at) out.push(copy(file, at, e.start));
    if (e.pieces) out.push(lit('', { file, offset: e.start, end: e.end }), ...e.pieces);
    else out.push(lit(e.text, { file, offset: e.start, end: e.end }));
    at = e.end;
  }
  if (at < src.length) out.push(copy(file, at, src.length));
  return out;
}

export interface Rewritten {
  files: Record<string, string>;
  /** Where an original offset went (a copied range first, else the text that replaced it); null when deleted outright. */
  map(loc: Loc): Loc | null;
}

/** Builds a rewritten workspace: files not given keep their text. */
export function build(orig: Record<string, string>, changed: Record<string, Piece[] | null>): Rewritten {
  const layout: { file: string; piece: Piece; at: number }[] = [];
  const files: Record<string, string> = {};
  for (const name of new Set([...Object.keys(orig), ...Object.keys(changed)])) {
    if (changed[name] === null) continue; // removed
    const pieces = changed[name] ?? [copy(name, 0, orig[name].length)];
    let text = '';
    for (const p of pieces) {
      layout.push({ file: name, piece: p, at: text.length });
      text += 'copy' in p ? orig[p.copy.file].slice(p.copy.offset, p.copy.end) : p.text;
    }
    files[name] = text;
  }
  return {
    files,
    map(loc) {
      for (const l of layout) {
        const p = l.piece;
        if ('copy' in p && p.copy.file === loc.file && loc.offset >= p.copy.offset && loc.offset < p.copy.end) return { file: l.file, offset: l.at + loc.offset - p.copy.offset };
      }
      for (const l of layout) {
        const p = l.piece;
        if (!('copy' in p) && p.replaces && p.replaces.file === loc.file && loc.offset >= p.replaces.offset && loc.offset < Math.max(p.replaces.end, p.replaces.offset + 1)) {
          return { file: l.file, offset: l.at + Math.min(loc.offset - p.replaces.offset, Math.max(0, p.text.length - 1)) };
        }
      }
      return null;
    },
  };
}

/** A rewrite of edits in some files. */
export function editFiles(orig: Record<string, string>, edits: Record<string, Edit[]>): Rewritten | null {
  const changed: Record<string, Piece[]> = {};
  let any = false;
  for (const [f, es] of Object.entries(edits)) {
    if (!es.length) continue;
    changed[f] = edited(f, orig[f], es);
    any = true;
  }
  return any ? build(orig, changed) : null;
}

/** The .c and .h files of a workspace, in a stable order. */
export function sources(files: Record<string, string>): string[] {
  return Object.keys(files).filter((f) => /\.[ch]$/.test(f)).sort();
}

/** r2 applied to r1's output: files of r2, locations mapped through both. */
export function compose(r1: Rewritten, r2: Rewritten | null): Rewritten | null {
  if (!r2) return null;
  return { files: r2.files, map: (loc) => { const m = r1.map(loc); return m && r2.map(m); } };
}
