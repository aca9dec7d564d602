/**
 * The fast text pre-scan that keeps the analysis demand-driven: one pass over
 * a file's bytes (no parse) says whether it creates caches, allocates from
 * caches, and which functions and structs it defines (kernel style puts a
 * function's opening brace at column 0, so `\n{` finds definitions).
 */
import { LOCK_OPS } from '../kb/locks';

export interface Prescan {
  size: number;
  mtimeMs: number;
  /** Why the file is skipped, when it is. */
  skipped?: string;
  hasCreate: boolean;
  hasCacheAlloc: boolean;
  /** Takes a lock somewhere (a lock primitive or guard() appears). */
  hasLock: boolean;
  /** Mentions percpu memory (the ctor/dtor candidate rule only looks where it does). */
  hasPercpu?: boolean;
  /** Last identifier of the cache argument of kmem_cache_alloc/zalloc/free calls ("mm_cachep"). */
  cacheUses: string[];
  /** Names in EXPORT_SYMBOL*(name): the definition other modules link against. */
  exports?: string[];
  defs: string[];
  structs: string[];
}

export const MAX_FILE_BYTES_DEFAULT = 4 * 1024 * 1024;

export function looksBinary(buf: Buffer): boolean {
  const n = Math.min(buf.length, 8192);
  for (let i = 0; i < n; i++) if (buf[i] === 0) return true;
  return false;
}

// Needles as Buffers: a string needle is re-encoded on every indexOf call.
const KMEM_CACHE_ = Buffer.from('kmem_cache_');
const KMEM_CACHE_MACRO = Buffer.from('KMEM_CACHE');
const BRACE = 123; /* { */

const LOCK_WORD = Buffer.from('lock');
const PERCPU_WORD = Buffer.from('percpu');
const DOWN_WORD = Buffer.from('down');
const GUARD_WORD = Buffer.from('guard(');

/** Whether an identifier around `at` is a lock primitive followed by '('. */
function identAt(buf: Buffer, at: number): string {
  let s = at;
  let e = at;
  while (s > 0 && isIdent(buf[s - 1])) s--;
  while (e < buf.length && isIdent(buf[e])) e++;
  let k = e;
  while (k < buf.length && (buf[k] === 32 || buf[k] === 9)) k++;
  return buf[k] === 40 /* ( */ ? buf.toString('latin1', s, e) : '';
}

function takesLocks(buf: Buffer): boolean {
  if (buf.indexOf(GUARD_WORD) >= 0) return true;
  for (const w of [LOCK_WORD, DOWN_WORD]) {
    let i = buf.indexOf(w);
    while (i >= 0) {
      const id = identAt(buf, i);
      if (id && LOCK_OPS[id]?.op === 'acquire') return true;
      i = buf.indexOf(w, i + w.length);
    }
  }
  return false;
}

/** One pass over `kmem_cache_` occurrences: which of create/alloc follow. */
function slabTokens(buf: Buffer): { create: boolean; alloc: boolean; uses: string[] } {
  let create = buf.indexOf(KMEM_CACHE_MACRO) >= 0;
  let alloc = false;
  const uses = new Set<string>();
  let i = buf.indexOf(KMEM_CACHE_);
  while (i >= 0) {
    const j = i + KMEM_CACHE_.length;
    const c = buf[j];
    let use = false;
    if (c === 99 /* c */ && buf.toString('latin1', j, j + 6) === 'create') create = true;
    else if ((c === 97 /* a */ && buf.toString('latin1', j, j + 5) === 'alloc') || (c === 122 /* z */ && buf.toString('latin1', j, j + 6) === 'zalloc')) {
      alloc = true;
      use = true;
    } else if (c === 102 /* f */ && buf.toString('latin1', j, j + 4) === 'free') use = true;
    if (use) {
      const name = cacheArg(buf, j);
      if (name) uses.add(name);
    }
    i = buf.indexOf(KMEM_CACHE_, j);
  }
  return { create, alloc, uses: [...uses] };
}

/** `kmem_cache_alloc_node(s->cache, ...)` -> "cache": the last identifier of the first argument. */
function cacheArg(buf: Buffer, from: number): string | undefined {
  let k = from;
  while (k < buf.length && isIdent(buf[k])) k++;
  while (k < buf.length && (buf[k] === 32 || buf[k] === 9)) k++;
  if (buf[k] !== 40 /* ( */) return undefined;
  let e = k + 1;
  const stop = Math.min(buf.length, k + 120);
  while (e < stop && buf[e] !== 44 /* , */ && buf[e] !== 41 /* ) */) e++;
  let s = e;
  while (s > k + 1 && !isIdent(buf[s - 1])) s--;
  let t = s;
  while (t > k + 1 && isIdent(buf[t - 1])) t--;
  return t < s ? buf.toString('latin1', t, s) : undefined;
}

/**
 * Headers this big are generated register maps (drivers/gpu/drm/amd/include/asic_reg: 144 files,
 * a third of the tree's bytes): only #defines, nothing the analysis uses. Their bytes are not scanned.
 */
export const GENERATED_HEADER_BYTES = 512 * 1024;

export function prescanBuffer(buf: Buffer, size: number, mtimeMs: number, maxBytes: number, path = ''): Prescan {
  const base = { size, mtimeMs, hasCreate: false, hasCacheAlloc: false, hasLock: false, cacheUses: [], defs: [], structs: [] };
  if (size > maxBytes) return { ...base, skipped: `file is ${(size / 1048576).toFixed(1)} MB, above the ${(maxBytes / 1048576).toFixed(1)} MB limit (slabcheck.maxFileSize)` };
  if (looksBinary(buf)) return { ...base, skipped: 'binary file (contains NUL bytes)' };
  const header = path.endsWith('.h');
  if (header && size > GENERATED_HEADER_BYTES) return base;
  const t = slabTokens(buf);
  return { ...base, hasCreate: t.create, hasCacheAlloc: t.alloc, hasLock: takesLocks(buf), hasPercpu: t.alloc && buf.indexOf(PERCPU_WORD) >= 0, cacheUses: t.uses, exports: header ? [] : exportedNames(buf), defs: definitions(buf), structs: structDefs(buf) };
}

const EXPORT_WORD = Buffer.from('EXPORT_SYMBOL');

function exportedNames(buf: Buffer): string[] {
  const out: string[] = [];
  let i = buf.indexOf(EXPORT_WORD);
  while (i >= 0) {
    let k = i + EXPORT_WORD.length;
    while (k < buf.length && isIdent(buf[k])) k++; // _GPL, _NS...
    if (buf[k] === 40 /* ( */) {
      let s = k + 1;
      while (s < buf.length && (buf[s] === 32 || buf[s] === 9)) s++;
      let e = s;
      while (e < buf.length && isIdent(buf[e])) e++;
      if (e > s) out.push(buf.toString('latin1', s, e));
    }
    i = buf.indexOf(EXPORT_WORD, k);
  }
  return out;
}

const DEFINE_WORD = Buffer.from('#define ');
const MACRO_SCAN_MAX_BYTES = 256 * 1024;

/** Names of functions whose body opens with `{` at the start of a line, and of function-like macros. */
export function definitions(buf: Buffer): string[] {
  const out: string[] = [];
  // Generated register headers hold millions of object-like #defines and no wrappers worth reading.
  let d = buf.length > MACRO_SCAN_MAX_BYTES ? -1 : buf.indexOf(DEFINE_WORD);
  while (d >= 0) {
    const s = d + DEFINE_WORD.length;
    let e = s;
    while (e < buf.length && isIdent(buf[e])) e++;
    if (buf[e] === 40 /* ( */ && e > s) out.push(buf.toString('latin1', s, e));
    d = buf.indexOf(DEFINE_WORD, e);
  }
  // Search the rarer '{' (memchr) and check the byte before it: searching "\n{" tests every newline.
  let i = buf.indexOf(BRACE);
  while (i >= 0) {
    if (i > 0 && buf[i - 1] === 10) {
      const name = nameBefore(buf, i - 1);
      if (name) out.push(name);
    }
    i = buf.indexOf(BRACE, i + 1);
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

const STRUCT_WORD = Buffer.from('struct ');

/** `struct name {` at the start of a line (and `typedef struct name {`), found on the bytes. */
function structDefs(buf: Buffer): string[] {
  const out: string[] = [];
  let i = buf.indexOf(STRUCT_WORD);
  while (i >= 0) {
    // At the start of a line, or after "typedef " at the start of a line.
    const lineStart = i === 0 || buf[i - 1] === 10 || (i >= 9 && buf[i - 9] === 10 && buf.toString('latin1', i - 8, i) === 'typedef ');
    const s = i + STRUCT_WORD.length;
    let e = s;
    while (e < buf.length && isIdent(buf[e])) e++;
    if (lineStart && e > s) {
      let k = e;
      while (k < buf.length && (buf[k] === 32 || buf[k] === 9 || buf[k] === 10)) k++;
      if (buf[k] === 123) out.push(buf.toString('latin1', s, e));
    }
    i = buf.indexOf(STRUCT_WORD, e);
  }
  return out;
}
