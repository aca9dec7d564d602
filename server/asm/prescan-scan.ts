// AssemblyScript: the pre-scan's byte search in one SIMD pass (compiled by
// scripts/build-wasm.js into server/src/scan/prescan-wasm.generated.ts).
//
// It finds what server/src/scan/prescan.ts finds with five Buffer.indexOf passes
// and a JS step per `{` (2.7M of them on a kernel tree): `{` (function bodies at
// column 0, `struct name {` definitions), `kmem_cache_`, `KMEM_CACHE`,
// `EXPORT_SYMBOL` and `#define `. Each 16-byte block is compared against the
// first byte and one later byte of every needle at once; only blocks with a
// candidate leave the vector loop. prescan.ts stays the reference: a test runs
// both over the same inputs and requires the same names in the same order.
//
// Memory (laid out by the caller): zeros before `data`, the file at
// [data, data+len), at least 64 zero bytes after it, records at `out`.
// A record is four i32: kind, start, end (offsets in the file), and for names
// the FNV-1a hash of their bytes (index/name-table.ts nameHash), so the caller
// copies names without a JS step per byte.

/** Record kinds (the caller maps them to NAME_KIND). */
const MACRO: i32 = 0; // function-like #define name
const DEF: i32 = 1; // function name before a column-0 `{`
const STRUCT: i32 = 2; // struct name before `{`
const USE: i32 = 3; // last identifier of a kmem_cache_alloc/zalloc/free call's first argument
const EXPORT: i32 = 4; // name in EXPORT_SYMBOL*(name)

/** Options. */
const OPT_MACROS: i32 = 1;
const OPT_EXPORTS: i32 = 2;

let flagBits: i32 = 0;

/** After scan: bit 0 creates caches (kmem_cache_create*, KMEM_CACHE*), bit 1 allocates from a cache. */
export function flags(): i32 {
  return flagBits;
}

/** Where the caller may start its layout (past this module's own data). */
export function heapBase(): usize {
  return __heap_base;
}

let D: usize = 0; // data start
let N: i32 = 0; // data length
let OUT: usize = 0;
let CAP: i32 = 0;
let count: i32 = 0;

@inline function at(i: i32): i32 {
  return <i32>load<u8>(D + <usize>i);
}

@inline function isIdent(c: i32): bool {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95;
}

@inline function isBlank(c: i32): bool {
  return c == 32 || c == 9;
}

function emit(kind: i32, s: i32, e: i32): void {
  if (count < CAP) {
    const p = OUT + <usize>count * 16;
    store<i32>(p, kind);
    store<i32>(p, s, 4);
    store<i32>(p, e, 8);
    let h: u32 = 0x811c9dc5;
    if (kind <= STRUCT) for (let i = s; i < e; i++) h = (h ^ <u32>at(i)) * 0x01000193;
    store<u32>(p, h, 12);
  }
  count++;
}

function identEnd(s: i32): i32 {
  let e = s;
  while (e < N && isIdent(at(e))) e++;
  return e;
}

function eq2(s: i32, a: i32, b: i32): bool {
  return at(s) == a && at(s + 1) == b;
}

/** src[s, e) is one of if, for, while, switch, return, sizeof. */
function isKeyword(s: i32, e: i32): bool {
  const n = e - s;
  if (n == 2) return eq2(s, 105, 102); // if
  if (n == 3) return at(s) == 102 && at(s + 1) == 111 && at(s + 2) == 114; // for
  if (n == 5) return at(s) == 119 && at(s + 1) == 104 && at(s + 2) == 105 && at(s + 3) == 108 && at(s + 4) == 101; // while
  if (n == 6) {
    const c = at(s);
    if (c == 115 && at(s + 1) == 119) return at(s + 2) == 105 && at(s + 3) == 116 && at(s + 4) == 99 && at(s + 5) == 104; // switch
    if (c == 114) return at(s + 1) == 101 && at(s + 2) == 116 && at(s + 3) == 117 && at(s + 4) == 114 && at(s + 5) == 110; // return
    if (c == 115 && at(s + 1) == 105) return at(s + 2) == 122 && at(s + 3) == 101 && at(s + 4) == 111 && at(s + 5) == 102; // sizeof
  }
  return false;
}

/** The '(' matching the ')' at `close`, walking back no further than `stop` (then `stop`). */
function openBefore(close: i32, stop: i32): i32 {
  let depth = 0;
  let k = close;
  for (; k > stop; k--) {
    const c = at(k);
    if (c == 41) depth++;
    else if (c == 40) {
      depth--;
      if (depth == 0) break;
    }
  }
  return k;
}

/** Whether the ')' at `close` ends `__attribute__((...))` (mirrors definition-name.ts afterAttribute). */
function afterAttribute(close: i32, stop: i32): bool {
  const k = openBefore(close, stop);
  let e = k - 1;
  while (e > stop && isBlank(at(e))) e--;
  let s = e;
  while (s > stop && isIdent(at(s - 1))) s--;
  const n = e + 1 - s;
  if (s < 0 || (n != 11 && n != 13)) return false;
  // __attribute
  if (!(at(s) == 95 && at(s + 1) == 95 && at(s + 2) == 97 && at(s + 3) == 116 && at(s + 4) == 116 && at(s + 5) == 114 &&
    at(s + 6) == 105 && at(s + 7) == 98 && at(s + 8) == 117 && at(s + 9) == 116 && at(s + 10) == 101)) return false;
  return n == 11 || (at(s + 11) == 95 && at(s + 12) == 95);
}

/** Mirrors definition-name.ts definitionSpan: where the name of the body opening at `brace` starts, or -1. */
function definitionSpan(brace: i32): i32 {
  let j = brace - 1;
  const stop = brace - 2000 > 0 ? brace - 2000 : 0;
  while (j > stop && at(j) != 41) {
    const c = at(j);
    if (c == 59 || c == 125 || c == 61) return -1;
    j--;
  }
  if (j <= stop) return -1;
  for (let attempt = 0; attempt < 3; attempt++) {
    const k = openBefore(j, stop);
    if (k <= stop) return -1;
    let e = k - 1;
    while (e > stop && (isBlank(at(e)) || at(e) == 10)) e--;
    let s = e;
    while (s > stop && isIdent(at(s - 1))) s--;
    if (s > e) return -1;
    let b = s - 1;
    while (b > stop && (isBlank(at(b)) || at(b) == 10)) b--;
    if (b >= 0 && at(b) == 41 && !afterAttribute(b, stop)) {
      j = b;
      continue;
    }
    if (at(s) >= 48 && at(s) <= 57) return -1;
    if (isKeyword(s, e + 1)) return -1;
    return s;
  }
  return -1;
}

@inline function atLineStart(k: i32): bool {
  return k == 0 || at(k - 1) == 10;
}

/** `struct name` (at a line start, or after `typedef ` at one) right before the brace at `i`. */
function structBefore(i: i32): void {
  let e = i - 1;
  while (e >= 0 && (isBlank(at(e)) || at(e) == 10)) e--;
  let s = e;
  while (s >= 0 && isIdent(at(s))) s--;
  s++;
  if (s > e || s < 7 || at(s - 1) != 32) return;
  const kw = s - 7;
  // struct
  if (!(at(kw) == 115 && at(kw + 1) == 116 && at(kw + 2) == 114 && at(kw + 3) == 117 && at(kw + 4) == 99 && at(kw + 5) == 116)) return;
  if (!atLineStart(kw)) {
    if (kw < 8 || !atLineStart(kw - 8)) return;
    const t = kw - 8; // typedef + space
    if (!(at(t) == 116 && at(t + 1) == 121 && at(t + 2) == 112 && at(t + 3) == 101 && at(t + 4) == 100 && at(t + 5) == 101 &&
      at(t + 6) == 102 && at(t + 7) == 32)) return;
  }
  emit(STRUCT, s, e + 1);
}

/** `kmem_cache_alloc_node(s->cache, ...)`: the last identifier of the first argument (mirrors prescan.ts cacheArg). */
function cacheArg(from: i32): void {
  let k = from;
  while (k < N && isIdent(at(k))) k++;
  while (k < N && isBlank(at(k))) k++;
  if (k >= N || at(k) != 40) return;
  let e = k + 1;
  const stop = k + 120 < N ? k + 120 : N;
  while (e < stop && at(e) != 44 && at(e) != 41) e++;
  let s = e;
  while (s > k + 1 && !isIdent(at(s - 1))) s--;
  let t = s;
  while (t > k + 1 && isIdent(at(t - 1))) t--;
  if (t < s) emit(USE, t, s);
}

function isKmemCache(q: i32): bool {
  // kmem_cache_
  return at(q + 1) == 109 && at(q + 2) == 101 && at(q + 3) == 109 && at(q + 4) == 95 && at(q + 5) == 99 && at(q + 6) == 97 &&
    at(q + 7) == 99 && at(q + 8) == 104 && at(q + 9) == 101 && at(q + 10) == 95;
}

function isKMEMCACHE(q: i32): bool {
  // KMEM_CACHE
  return at(q + 1) == 77 && at(q + 2) == 69 && at(q + 3) == 77 && at(q + 4) == 95 && at(q + 5) == 67 && at(q + 6) == 65 &&
    at(q + 7) == 67 && at(q + 8) == 72 && at(q + 9) == 69;
}

function isExport(q: i32): bool {
  // EXPORT_SYMBOL
  return at(q + 1) == 88 && at(q + 2) == 80 && at(q + 3) == 79 && at(q + 4) == 82 && at(q + 5) == 84 && at(q + 6) == 95 &&
    at(q + 7) == 83 && at(q + 8) == 89 && at(q + 9) == 77 && at(q + 10) == 66 && at(q + 11) == 79 && at(q + 12) == 76;
}

function isDefine(q: i32): bool {
  // #define + space
  return at(q + 1) == 100 && at(q + 2) == 101 && at(q + 3) == 102 && at(q + 4) == 105 && at(q + 5) == 110 && at(q + 6) == 101 &&
    at(q + 7) == 32;
}

/** After `kmem_cache_` (at j): create, alloc/zalloc (a use), free (a use). */
function slabToken(j: i32): void {
  const c = at(j);
  if (c == 99) {
    if (at(j + 1) == 114 && at(j + 2) == 101 && at(j + 3) == 97 && at(j + 4) == 116 && at(j + 5) == 101) flagBits |= 1; // create
  } else if (c == 97) {
    if (at(j + 1) == 108 && at(j + 2) == 108 && at(j + 3) == 111 && at(j + 4) == 99) { // alloc
      flagBits |= 2;
      cacheArg(j);
    }
  } else if (c == 122) {
    if (at(j + 1) == 97 && at(j + 2) == 108 && at(j + 3) == 108 && at(j + 4) == 111 && at(j + 5) == 99) { // zalloc
      flagBits |= 2;
      cacheArg(j);
    }
  } else if (c == 102) {
    if (at(j + 1) == 114 && at(j + 2) == 101 && at(j + 3) == 101) cacheArg(j); // free
  }
}

/**
 * Scan the file at [data, data+len). Returns the number of records, which
 * may exceed `cap` (then only `cap` were written: the caller retries with room).
 */
export function scan(data: usize, len: i32, out: usize, cap: i32, opts: i32): i32 {
  D = data;
  N = len;
  OUT = out;
  CAP = cap;
  count = 0;
  flagBits = 0;
  const macros = (opts & OPT_MACROS) != 0;
  const exports = (opts & OPT_EXPORTS) != 0;
  // Matches the reference skips: each search resumes after what the last match consumed.
  let defineNext = 0;
  let exportNext = 0;
  const brace = i8x16.splat(123);
  const lk = i8x16.splat(107); // k ... _ (10)
  const us = i8x16.splat(95);
  const uk = i8x16.splat(75); // K ... E (9)
  const ue = i8x16.splat(69); // E ... L (12)
  const ul = i8x16.splat(76);
  const hash = i8x16.splat(35); // # ... ' ' (7)
  const sp = i8x16.splat(32);
  for (let p: i32 = 0; p < len; p += 16) {
    const a = D + <usize>p;
    const v0 = v128.load(a);
    let m = i8x16.eq(v0, brace);
    m = v128.or(m, v128.and(i8x16.eq(v0, lk), i8x16.eq(v128.load(a + 10), us)));
    m = v128.or(m, v128.and(i8x16.eq(v0, uk), i8x16.eq(v128.load(a + 9), ue)));
    m = v128.or(m, v128.and(i8x16.eq(v0, ue), i8x16.eq(v128.load(a + 12), ul)));
    m = v128.or(m, v128.and(i8x16.eq(v0, hash), i8x16.eq(v128.load(a + 7), sp)));
    let bits = i8x16.bitmask(m);
    while (bits != 0) {
      const q = p + <i32>ctz(bits);
      bits &= bits - 1;
      if (q >= len) break;
      const c = at(q);
      if (c == 123) {
        if (q > 0 && at(q - 1) == 10) {
          const s = definitionSpan(q - 1);
          if (s >= 0) emit(DEF, s, identEnd(s));
        }
        structBefore(q);
      } else if (c == 107) {
        if (isKmemCache(q)) slabToken(q + 11);
      } else if (c == 75) {
        if (isKMEMCACHE(q)) flagBits |= 1;
      } else if (c == 69) {
        if (exports && q >= exportNext && isExport(q)) {
          let k = q + 13;
          while (k < len && isIdent(at(k))) k++;
          if (k < len && at(k) == 40) {
            let s = k + 1;
            while (s < len && isBlank(at(s))) s++;
            const e = identEnd(s);
            if (e > s) emit(EXPORT, s, e);
          }
          exportNext = k;
        }
      } else if (c == 35) {
        if (macros && q >= defineNext && isDefine(q)) {
          const s = q + 8;
          const e = identEnd(s);
          if (e < len && at(e) == 40 && e > s) emit(MACRO, s, e);
          defineNext = e;
        }
      }
    }
  }
  return count;
}
