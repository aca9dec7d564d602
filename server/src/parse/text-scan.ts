/** Small scanners over masked C text (comments and strings already blanked). */

/** Index of the parenthesis that closes the one at `open`, or -1. */
export function matchParen(text: string, open: number, limit = text.length): number {
  let depth = 0;
  for (let i = open; i < limit; i++) {
    const c = text.charCodeAt(i);
    if (c === 40 /* ( */ || c === 91 /* [ */ || c === 123 /* { */) depth++;
    else if (c === 41 || c === 93 || c === 125) {
      depth--;
      if (depth === 0) return i;
      if (depth < 0) return -1;
    }
  }
  return -1;
}

/** Split the text between parentheses at top-level commas; arguments trimmed. */
export function splitArgs(inner: string): string[] {
  const args: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner.charCodeAt(i);
    if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 41 || c === 93 || c === 125) depth--;
    else if (c === 44 /* , */ && depth === 0) {
      args.push(inner.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = inner.slice(start).trim();
  if (last.length || args.length) args.push(last);
  return args;
}

/** Words that look like calls but are not. */
export const NOT_CALLS = new Set([
  'if', 'while', 'for', 'switch', 'return', 'sizeof', 'typeof', '__typeof__', '__typeof', 'alignof',
  '_Alignof', '__alignof__', '_Generic', '__attribute__', '__attribute', 'defined', 'do', 'else',
  'case', 'goto', '__builtin_expect', 'asm', '__asm__', '__asm', 'volatile', '__volatile__',
  '_Static_assert', 'static_assert', 'BUILD_BUG_ON', 'offsetof', 'container_of', 'likely', 'unlikely',
  'WARN_ON', 'WARN_ON_ONCE', 'BUG_ON', 'READ_ONCE', 'WRITE_ONCE', 'ARRAY_SIZE', 'min', 'max', 'min_t', 'max_t',
]);

export interface CallMatch {
  name: string;
  start: number;
  /** Offset of '('. */
  open: number;
  /** Offset of the matching ')'. */
  close: number;
}

const CALL_RE = /\b([A-Za-z_][A-Za-z0-9_]*)\s*\(/g;

/** Calls in [from, to) ordered by where they complete (inner calls first). */
export function scanCalls(masked: string, from: number, to: number): CallMatch[] {
  const out: CallMatch[] = [];
  CALL_RE.lastIndex = from;
  let m: RegExpExecArray | null;
  while ((m = CALL_RE.exec(masked)) !== null) {
    if (m.index >= to) break;
    const name = m[1];
    if (NOT_CALLS.has(name) || name.includes('for_each')) continue;
    const open = m.index + m[0].length - 1;
    const close = matchParen(masked, open, to);
    if (close < 0) continue;
    out.push({ name, start: m.index, open, close });
  }
  out.sort((a, b) => a.close - b.close || a.start - b.start);
  return out;
}
