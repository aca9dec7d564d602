/**
 * The name a column-0 `{` belongs to, read backwards from the brace: kernel
 * style puts a function's opening brace alone at the start of a line, after
 * `name(params)` and perhaps annotations (`__acquires(x)`). Shared by the byte
 * pre-scan and the focused parse (masked text as latin1 bytes): a Buffer
 * indexed directly costs a third of an accessor-based reader.
 */

/** Text as bytes; a masked JS string is converted with latin1 (one byte per UTF-16 unit, same offsets). */
export function asBytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

export function isIdentByte(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** Walk back from the brace to `name(...)` of the declarator: the name and its offset; undefined when it is not a function body. */
export function definitionBefore(src: Buffer, brace: number): { name: string; start: number } | undefined {
  const s = definitionSpan(src, brace);
  return s < 0 ? undefined : { name: src.toString('latin1', s, identEnd(src, s)), start: s };
}

/** End of the identifier starting at `s`. */
export function identEnd(src: Buffer, s: number): number {
  let e = s;
  while (e < src.length && isIdentByte(src[e])) e++;
  return e;
}

const NOT_NAMES = ['if', 'for', 'while', 'switch', 'return', 'sizeof'].map((w) => Buffer.from(w));

/** Whether src[s, e) is a keyword that looks like a call (`if (x) {`). */
function isKeyword(src: Buffer, s: number, e: number): boolean {
  for (const w of NOT_NAMES) if (w.length === e - s && src.compare(w, 0, w.length, s, e) === 0) return true;
  return false;
}

/**
 * Where the name of the function whose body opens at `brace` starts, or -1:
 * bytes only, no string made (the pre-scan reads 800k names on a kernel tree).
 */
export function definitionSpan(src: Buffer, brace: number): number {
  let j = brace - 1;
  const stop = Math.max(0, brace - 2000);
  // Skip whitespace and trailing annotations like __releases(x) by finding the last ')' before the brace.
  while (j > stop && src[j] !== 41 /* ) */) {
    const c = src[j];
    if (c === 59 /* ; */ || c === 125 /* } */ || c === 61 /* = */) return -1;
    j--;
  }
  if (j <= stop) return -1;
  // Match parens back to the '(' of the parameter list; annotations after it are re-tried once.
  for (let attempt = 0; attempt < 3; attempt++) {
    const k = openBefore(src, j, stop);
    if (k <= stop) return -1;
    let e = k - 1;
    while (e > stop && (src[e] === 32 || src[e] === 9 || src[e] === 10)) e--;
    let s = e;
    while (s > stop && isIdentByte(src[s - 1])) s--;
    if (s > e) return -1;
    // `foo(args) __acquires(x)`: a call-shaped word right after a ')' is an annotation
    // of the declarator before it; step to that ')'. (Telling annotations by a `__`
    // prefix lost every `__foo` function and named the ')' before it instead.)
    let b = s - 1;
    while (b > stop && (src[b] === 32 || src[b] === 9 || src[b] === 10)) b--;
    if (src[b] === 41 && !afterAttribute(src, b, stop)) {
      j = b;
      continue;
    }
    if (src[s] >= 48 && src[s] <= 57) return -1;
    if (isKeyword(src, s, e + 1)) return -1;
    return s;
  }
  return -1;
}

/** The '(' matching the ')' at `close`, walking back no further than `stop` (then `stop`). */
function openBefore(src: Buffer, close: number, stop: number): number {
  let depth = 0;
  let k = close;
  for (; k > stop; k--) {
    const c = src[k];
    if (c === 41) depth++;
    else if (c === 40 && --depth === 0) break;
  }
  return k;
}

/** Whether the ')' at `close` ends `__attribute__((...))` (which comes before a name, not after). */
function afterAttribute(src: Buffer, close: number, stop: number): boolean {
  const k = openBefore(src, close, stop);
  let e = k - 1;
  while (e > stop && (src[e] === 32 || src[e] === 9)) e--;
  let s = e;
  while (s > stop && isIdentByte(src[s - 1])) s--;
  return /^__attribute(__)?$/.test(src.toString('latin1', s, e + 1));
}
