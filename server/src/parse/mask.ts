/**
 * A copy of the source with comments, strings and `#if 0` regions blanked to
 * spaces (newlines kept), so text scans never match inside them and offsets
 * stay the same as in the original.
 */
import type { SyntaxNode } from './parser';

const BLANK_TYPES = new Set(['comment', 'string_literal', 'char_literal', 'system_lib_string', 'raw_string_literal']);

/** Characters that can start something to blank; everything else is skipped natively. */
const SPECIAL = /[/"'\n#]/g;

export function maskedSource(text: string, _root?: SyntaxNode): string {
  // A small lexer over the text: walking tree nodes from JS costs more than the parse itself.
  const n = text.length;
  let out: string[] | undefined;
  let pos = 0;
  const blank = (s: number, e: number) => {
    if (!out) out = [];
    out.push(text.slice(pos, s), spaces(text, s, e));
    pos = e;
  };
  let i = 0;
  let lineStart = true;
  for (;;) {
    SPECIAL.lastIndex = i;
    const m = SPECIAL.exec(text);
    if (!m) break;
    // Anything but blanks between the last stop and here ends "at the start of a line".
    if (lineStart && m.index > i && !/^[ \t]*$/.test(text.slice(i, m.index))) lineStart = false;
    i = m.index;
    const c = text.charCodeAt(i);
    if (c === 47 /* / */) {
      const d = text.charCodeAt(i + 1);
      if (d === 42 /* * */) {
        const e = text.indexOf('*/', i + 2);
        const end = e < 0 ? n : e + 2;
        blank(i, end);
        i = end;
        continue;
      }
      if (d === 47) {
        let e = text.indexOf('\n', i);
        if (e < 0) e = n;
        blank(i, e);
        i = e;
        continue;
      }
      lineStart = false;
      i++;
      continue;
    }
    if (c === 34 /* " */ || c === 39 /* ' */) {
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === 92 /* \ */) j += 2;
        else if (d === c || d === 10) break;
        else j++;
      }
      const end = Math.min(n, j + 1);
      // Keep the quotes so the token is still a string to a scanner; blank the inside.
      if (end - i > 2) blank(i + 1, end - 1);
      i = end;
      lineStart = false;
      continue;
    }
    if (c === 10) {
      lineStart = true;
      i++;
      continue;
    }
    // '#'
    if (lineStart) {
      const dead = /^#\s*if\s+0\b[^\n]*/.exec(text.slice(i, i + 40));
      if (dead) {
        const end = deadIfEnd(text, i + dead[0].length);
        blank(i + dead[0].length, end);
        i = end;
        continue;
      }
    }
    lineStart = false;
    i++;
  }
  if (!out) return text;
  out.push(text.slice(pos));
  return out.join('');
}

/** text[s, e) as spaces, newlines kept. */
function spaces(text: string, s: number, e: number): string {
  let r = '';
  for (let i = s; ;) {
    const nl = text.indexOf('\n', i);
    if (nl < 0 || nl >= e) return r + ' '.repeat(e - i);
    r += ' '.repeat(nl - i) + '\n';
    i = nl + 1;
  }
}

/** Offset of the `#else`/`#elif`/`#endif` that ends an `#if 0` block (nesting counted). */
function deadIfEnd(text: string, from: number): number {
  const re = /^[ \t]*#[ \t]*(if|ifdef|ifndef|else|elif|endif)\b/gm;
  re.lastIndex = from;
  let depth = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const d = m[1];
    if (d.startsWith('if')) depth++;
    else if (d === 'endif') {
      if (depth === 0) return m.index;
      depth--;
    } else if (depth === 0) return m.index;
  }
  return text.length;
}

function isFalse(cond: SyntaxNode | null): boolean {
  return !!cond && /^\(?\s*0\s*\)?$/.test(cond.text);
}

/** Offsets of the start of each line, for offset -> (line, col). */
export function lineStarts(text: string): number[] {
  const starts = [0];
  let i = text.indexOf('\n');
  while (i !== -1) {
    starts.push(i + 1);
    i = text.indexOf('\n', i + 1);
  }
  return starts;
}

export function positionAt(starts: number[], offset: number): [number, number] {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return [lo, offset - starts[lo]];
}
