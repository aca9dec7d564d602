/**
 * The fast text pre-scan that keeps the analysis demand-driven: one pass over
 * a file's bytes (no parse) says whether it creates caches, allocates from
 * caches, and which functions and structs it defines (kernel style puts a
 * function's opening brace at column 0, so `\n{` finds definitions).
 */
export interface Prescan {
  size: number;
  mtimeMs: number;
  /** Why the file is skipped, when it is. */
  skipped?: string;
  hasCreate: boolean;
  hasCacheAlloc: boolean;
  defs: string[];
  structs: string[];
}

export const MAX_FILE_BYTES_DEFAULT = 4 * 1024 * 1024;

export function looksBinary(buf: Buffer): boolean {
  const n = Math.min(buf.length, 8192);
  for (let i = 0; i < n; i++) if (buf[i] === 0) return true;
  return false;
}

const CREATE_TOKENS = ['kmem_cache_create', 'KMEM_CACHE', '__kmem_cache_create'];
const ALLOC_TOKENS = ['kmem_cache_alloc', 'kmem_cache_zalloc'];

export function prescanBuffer(buf: Buffer, size: number, mtimeMs: number, maxBytes: number): Prescan {
  const base = { size, mtimeMs, hasCreate: false, hasCacheAlloc: false, defs: [], structs: [] };
  if (size > maxBytes) return { ...base, skipped: `file is ${(size / 1048576).toFixed(1)} MB, above the ${(maxBytes / 1048576).toFixed(1)} MB limit (slabcheck.maxFileSize)` };
  if (looksBinary(buf)) return { ...base, skipped: 'binary file (contains NUL bytes)' };
  const hasCreate = CREATE_TOKENS.some((t) => buf.indexOf(t) >= 0);
  const hasCacheAlloc = ALLOC_TOKENS.some((t) => buf.indexOf(t) >= 0);
  return { ...base, hasCreate, hasCacheAlloc, defs: definitions(buf), structs: structDefs(buf) };
}

/** Names of functions whose body opens with `{` at the start of a line. */
export function definitions(buf: Buffer): string[] {
  const out: string[] = [];
  let i = buf.indexOf('\n{');
  while (i >= 0) {
    const name = nameBefore(buf, i);
    if (name) out.push(name);
    i = buf.indexOf('\n{', i + 2);
  }
  return out;
}

function isIdent(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** Walk back from the brace to `name(...)` of the declarator. */
function nameBefore(buf: Buffer, brace: number): string | undefined {
  let j = brace - 1;
  const stop = Math.max(0, brace - 2000);
  // Skip whitespace and trailing annotations like __releases(x) by finding the last ')' before the brace.
  while (j > stop && buf[j] !== 41 /* ) */) {
    if (buf[j] === 59 /* ; */ || buf[j] === 125 /* } */ || buf[j] === 61 /* = */) return undefined;
    j--;
  }
  if (j <= stop) return undefined;
  // Match parens back to the '(' of the parameter list; annotations after it are re-tried once.
  for (let attempt = 0; attempt < 3; attempt++) {
    let depth = 0;
    let k = j;
    for (; k > stop; k--) {
      const c = buf[k];
      if (c === 41) depth++;
      else if (c === 40 && --depth === 0) break;
    }
    if (k <= stop) return undefined;
    let e = k - 1;
    while (e > stop && (buf[e] === 32 || buf[e] === 9 || buf[e] === 10)) e--;
    let s = e;
    while (s > stop && isIdent(buf[s - 1])) s--;
    if (s > e) return undefined;
    const name = buf.toString('latin1', s, e + 1);
    if (/^__[a-z_]+$/.test(name) || name === '__attribute__') {
      // `foo(args) __acquires(x)`: step to the ')' before the annotation.
      j = s - 1;
      while (j > stop && buf[j] !== 41) j--;
      continue;
    }
    if (/^(if|for|while|switch|return|sizeof)$/.test(name) || /^[0-9]/.test(name)) return undefined;
    return name;
  }
  return undefined;
}

const STRUCT_RE = /^(?:typedef\s+)?(?:struct|union)\s+([A-Za-z_]\w*)\s*\{/gm;

function structDefs(buf: Buffer): string[] {
  if (buf.indexOf('struct') < 0 && buf.indexOf('union') < 0) return [];
  const text = buf.toString('latin1');
  const out: string[] = [];
  STRUCT_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = STRUCT_RE.exec(text)) !== null) out.push(m[1]);
  return out;
}
