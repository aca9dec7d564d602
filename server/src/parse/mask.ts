/**
 * A copy of the source with comments, strings and `#if 0` regions blanked to
 * spaces (newlines kept), so text scans never match inside them and offsets
 * stay the same as in the original.
 */
import type { SyntaxNode } from './parser';

const BLANK_TYPES = new Set(['comment', 'string_literal', 'char_literal', 'system_lib_string', 'raw_string_literal']);

export function maskedSource(text: string, _root?: SyntaxNode): string {
  // A small lexer over the text: walking tree nodes from JS costs more than the parse itself.
  const n = text.length;
  let out: string[] | undefined;
  let pos = 0;
  const blank = (s: number, e: number) => {
    if (!out) out = [];
    out.push(text.slice(pos, s), text.slice(s, e).replace(/[^\n]/g, ' '));
    pos = e;
  };
  let i = 0;
  let lineStart = true;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 47 /* / */ && text.charCodeAt(i + 1) === 42 /* * */) {
      const e = text.indexOf('*/', i + 2);
      const end = e < 0 ? n : e + 2;
      blank(i, end);
      i = end;
      continue;
    }
    if (c === 47 && text.charCodeAt(i + 1) === 47) {
      let e = text.indexOf('\n', i);
      if (e < 0) e = n;
      blank(i, e);
      i = e;
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
    if (lineStart && c === 35 /* # */) {
      const m = /^#\s*if\s+0\b[^\n]*/.exec(text.slice(i, i + 40));
      if (m) {
        const end = deadIfEnd(text, i + m[0].length);
        blank(i + m[0].length, end);
        i = end;
        continue;
      }
    }
    if (c !== 32 && c !== 9) lineStart = false;
    i++;
  }
  if (!out) return text;
  out.push(text.slice(pos));
  return out.join('');
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
