/**
 * The fast text pre-scan that keeps the analysis demand-driven: one pass over
 * a file's bytes (no parse) says whether it creates caches, allocates from
 * caches, and which functions and structs it defines (kernel style puts a
 * function's opening brace at column 0, so `\n{` finds definitions).
 */
import { LOCK_OPS } from '../kb/locks';
import { definitionSpan, identEnd, isIdentByte } from '../parse/definition-name';
import { NAME_KIND } from '../index/name-table';
import { OPT, REC, WasmScanner } from './prescan-wasm';

export interface Prescan {
  size: number;
  mtimeMs: number;
  /** Why the file is skipped, when it is. */
  skipped?: string;
  hasCreate: boolean;
  hasCacheAlloc: boolean;
  /**
   * Takes a lock somewhere (a lock primitive or guard() appears); undefined when
   * not looked for (only the lock graph needs it: a fifth of the pre-scan's time).
   */
  hasLock?: boolean;
  /** Mentions percpu memory (the ctor/dtor candidate rule only looks where it does). */
  hasPercpu?: boolean;
  /** Mentions an entry-point API (kb/contexts.ts: the word `shrinker`): the context registry reads these files. */
  hasEntry?: boolean;
  /**
   * Mentions an NMI, tracing or hardirq registration, or the nolock allocators (kb/contexts.ts
   * ATOMIC_PATTERNS): contexts/atomic-entries.ts reads these files.
   */
  hasAtomic?: boolean;
  /** Last identifier of the cache argument of kmem_cache_alloc/zalloc/free calls ("mm_cachep"). */
  cacheUses: string[];
  /** Names in EXPORT_SYMBOL*(name): the definition other modules link against. */
  exports?: string[];
  defs: string[];
  structs: string[];
}

export const MAX_FILE_BYTES_DEFAULT = 4 * 1024 * 1024;

export function looksBinary(buf: Buffer): boolean {
  return buf.subarray(0, 8192).indexOf(0) >= 0;
}

// Needles as Buffers: a string needle is re-encoded on every indexOf call.
const KMEM_CACHE_ = Buffer.from('kmem_cache_');
const KMEM_CACHE_MACRO = Buffer.from('KMEM_CACHE');
const BRACE = 123; /* { */

const LOCK_WORD = Buffer.from('lock');
const PERCPU_WORD = Buffer.from('percpu');
const DOWN_WORD = Buffer.from('down');
const GUARD_WORD = Buffer.from('guard(');
/** Every shrinker form says `shrinker` (struct shrinker, shrinker_alloc, register_shrinker). */
const ENTRY_WORD = Buffer.from('shrinker');

/**
 * The atomic-context families' words. Cheap first words gate the specific ones: most files
 * say none of `request_`, `register_`, `_handler`, `BPF_CALL_`, `ftrace_ops`, `_nolock`, `perf_event_create`.
 */
const ATOMIC_GATES: [Buffer, Buffer[]][] = [
  [Buffer.from('request_'), ['request_irq', 'request_threaded_irq', 'request_nmi', 'request_percpu_irq', 'request_percpu_nmi'].map((w) => Buffer.from(w))],
  [Buffer.from('register_'), ['register_nmi_handler', 'register_trace_'].map((w) => Buffer.from(w))],
  [Buffer.from('_handler'), ['pre_handler', 'post_handler'].map((w) => Buffer.from(w))],
  [Buffer.from('BPF_CALL_'), []],
  [Buffer.from('ftrace_ops'), []],
  [Buffer.from('_nolock'), ['kmalloc_nolock', 'kfree_nolock'].map((w) => Buffer.from(w))],
  [Buffer.from('perf_event_create_kernel_counter'), []],
];
export function mentionsAtomic(buf: Buffer): boolean {
  for (const [gate, words] of ATOMIC_GATES) {
    if (buf.indexOf(gate) < 0) continue;
    if (!words.length || words.some((w) => buf.indexOf(w) >= 0)) return true;
  }
  return false;
}

/** Whether an identifier around `at` is a lock primitive followed by '('. */
function identAt(buf: Buffer, at: number): string {
  let s = at;
  let e = at;
  while (s > 0 && isIdentByte(buf[s - 1])) s--;
  while (e < buf.length && isIdentByte(buf[e])) e++;
  let k = e;
  while (k < buf.length && (buf[k] === 32 || buf[k] === 9)) k++;
  return buf[k] === 40 /* ( */ ? buf.toString('latin1', s, e) : '';
}

function takesLocks(buf: Buffer): boolean {
  // Most files that lock say spin_lock/mutex_lock: that search usually ends the scan early.
  for (const w of [LOCK_WORD, DOWN_WORD]) {
    let i = buf.indexOf(w);
    while (i >= 0) {
      const id = identAt(buf, i);
      if (id && LOCK_OPS[id]?.op === 'acquire') return true;
      i = buf.indexOf(w, i + w.length);
    }
  }
  return buf.indexOf(GUARD_WORD) >= 0;
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
  while (k < buf.length && isIdentByte(buf[k])) k++;
  while (k < buf.length && (buf[k] === 32 || buf[k] === 9)) k++;
  if (buf[k] !== 40 /* ( */) return undefined;
  let e = k + 1;
  const stop = Math.min(buf.length, k + 120);
  while (e < stop && buf[e] !== 44 /* , */ && buf[e] !== 41 /* ) */) e++;
  let s = e;
  while (s > k + 1 && !isIdentByte(buf[s - 1])) s--;
  let t = s;
  while (t > k + 1 && isIdentByte(buf[t - 1])) t--;
  return t < s ? buf.toString('latin1', t, s) : undefined;
}

/**
 * Headers this big are generated register maps (drivers/gpu/drm/amd/include/asic_reg: 144 files,
 * a third of the tree's bytes): only #defines, nothing the analysis uses. Their bytes are not scanned.
 */
export const GENERATED_HEADER_BYTES = 512 * 1024;

/**
 * `sink`: names go there instead of the result's defs and structs (left empty).
 * `locks`: look for lock primitives (hasLock).
 */
export function prescanBuffer(buf: Buffer, size: number, mtimeMs: number, maxBytes: number, path = '', sink?: NameSink, locks = true, scanner?: WasmScanner): Prescan {
  const base = { size, mtimeMs, hasCreate: false, hasCacheAlloc: false, hasLock: false as boolean | undefined, cacheUses: [], defs: [], structs: [] };
  if (size > maxBytes) return { ...base, skipped: `file is ${(size / 1048576).toFixed(1)} MB, above the ${(maxBytes / 1048576).toFixed(1)} MB limit (slabcheck.maxFileSize)` };
  if (looksBinary(buf)) return { ...base, skipped: 'binary file (contains NUL bytes)' };
  const header = path.endsWith('.h');
  if (header && size > GENERATED_HEADER_BYTES) return base;
  if (scanner && sink) return scanned(buf, base, scanner, sink, header, !path.endsWith('.c'), locks);
  const t = slabTokens(buf);
  const macros = !path.endsWith('.c');
  const names = sink ? (braceScanInto(buf, sink, macros), { defs: [], structs: [] }) : braceScan(buf, macros);
  return { ...base, hasCreate: t.create, hasCacheAlloc: t.alloc, hasLock: locks ? takesLocks(buf) : undefined, hasPercpu: t.alloc && buf.indexOf(PERCPU_WORD) >= 0, hasEntry: buf.indexOf(ENTRY_WORD) >= 0, hasAtomic: mentionsAtomic(buf), cacheUses: t.uses, exports: header ? [] : exportedNames(buf), ...names };
}

/**
 * prescanBuffer through the WebAssembly scanner: `buf` is its input buffer.
 * Same results in the same order as the JS path below (a test compares them).
 */
function scanned(input: Buffer, base: Prescan, scanner: WasmScanner, sink: NameSink, header: boolean, macros: boolean, locks: boolean): Prescan {
  const r = scanner.scan(input.length, (macros && input.length <= MACRO_SCAN_MAX_BYTES ? OPT.macros : 0) | (header ? 0 : OPT.exports));
  const rec = r.records;
  const buf = r.data;
  const uses = new Set<string>();
  const exports: string[] = [];
  // Macros first, then bodies and structs in file order: the order braceScanInto sinks them.
  const put = (kind: number, i: number) => (sink.hashed ? sink.hashed(kind, buf, rec[i + 1], rec[i + 2], rec[i + 3] >>> 0) : sink.name(kind, buf, rec[i + 1], rec[i + 2]));
  for (let i = 0; i < rec.length; i += 4) if (rec[i] === REC.macro) put(NAME_KIND.defs, i);
  for (let i = 0; i < rec.length; i += 4) {
    const k = rec[i];
    if (k === REC.def) put(NAME_KIND.defs, i);
    else if (k === REC.struct) put(NAME_KIND.structs, i);
    else if (k === REC.use) uses.add(buf.toString('latin1', rec[i + 1], rec[i + 2]));
    else if (k === REC.export) exports.push(buf.toString('latin1', rec[i + 1], rec[i + 2]));
  }
  const alloc = (r.flags & 2) !== 0;
  return { ...base, hasCreate: (r.flags & 1) !== 0, hasCacheAlloc: alloc, hasLock: locks ? takesLocks(buf) : undefined, hasPercpu: alloc && buf.indexOf(PERCPU_WORD) >= 0, hasEntry: buf.indexOf(ENTRY_WORD) >= 0, hasAtomic: mentionsAtomic(buf), cacheUses: [...uses], exports: header ? [] : exports };
}

const EXPORT_WORD = Buffer.from('EXPORT_SYMBOL');

function exportedNames(buf: Buffer): string[] {
  const out: string[] = [];
  let i = buf.indexOf(EXPORT_WORD);
  while (i >= 0) {
    let k = i + EXPORT_WORD.length;
    while (k < buf.length && isIdentByte(buf[k])) k++; // _GPL, _NS...
    if (buf[k] === 40 /* ( */) {
      let s = k + 1;
      while (s < buf.length && (buf[s] === 32 || buf[s] === 9)) s++;
      let e = s;
      while (e < buf.length && isIdentByte(buf[e])) e++;
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
  return braceScan(buf).defs;
}

/** Where the pre-scan puts the names it finds: string lists, or packed bytes (the workers). */
export interface NameSink {
  /** kind: NAME_KIND.defs or NAME_KIND.structs; the name is buf[s, e). */
  name(kind: number, buf: Buffer, s: number, e: number): void;
  /** The same, with the name's hash (nameHash) already computed. */
  hashed?(kind: number, buf: Buffer, s: number, e: number, hash: number): void;
}

export function braceScan(buf: Buffer, macros = true): { defs: string[]; structs: string[] } {
  const defs: string[] = [];
  const structs: string[] = [];
  braceScanInto(buf, { name: (k, b, s, e) => (k === NAME_KIND.defs ? defs : structs).push(b.toString('latin1', s, e)) }, macros);
  return { defs, structs };
}

/**
 * One pass over the `{` bytes (memchr) finds both function bodies (a `{` at the
 * start of a line, named by the declarator before it) and struct definitions
 * (`struct name {` or `typedef struct name {` at the start of a line, brace on
 * the same or a later line): a separate search for "struct " cost a fifth of
 * the pre-scan. Function-like macros come from a `#define ` pass (`macros`:
 * a .c file's macros are not visible to other files, so it has none to index).
 */
export function braceScanInto(buf: Buffer, sink: NameSink, macros = true): void {
  // Generated register headers hold millions of object-like #defines and no wrappers worth reading.
  let d = !macros || buf.length > MACRO_SCAN_MAX_BYTES ? -1 : buf.indexOf(DEFINE_WORD);
  while (d >= 0) {
    const s = d + DEFINE_WORD.length;
    const e = identEnd(buf, s);
    if (buf[e] === 40 /* ( */ && e > s) sink.name(NAME_KIND.defs, buf, s, e);
    d = buf.indexOf(DEFINE_WORD, e);
  }
  let i = buf.indexOf(BRACE);
  while (i >= 0) {
    if (i > 0 && buf[i - 1] === 10) {
      const s = definitionSpan(buf, i - 1);
      if (s >= 0) sink.name(NAME_KIND.defs, buf, s, identEnd(buf, s));
    }
    structBefore(buf, i, sink);
    i = buf.indexOf(BRACE, i + 1);
  }
}

/** `struct name` (at a line start, or after `typedef ` at one) right before the brace at `i`. */
function structBefore(buf: Buffer, i: number, sink: NameSink): void {
  let e = i - 1;
  while (e >= 0 && (buf[e] === 32 || buf[e] === 9 || buf[e] === 10)) e--;
  let s = e;
  while (s >= 0 && isIdentByte(buf[s])) s--;
  s++; // first byte of the name
  if (s > e || s < 7 || buf[s - 1] !== 32 || buf[s - 7] !== 115 /* s */ || buf.compare(STRUCT_WORD, 0, 7, s - 7, s) !== 0) return;
  const kw = s - 7;
  const atLineStart = (k: number) => k === 0 || buf[k - 1] === 10;
  if (!atLineStart(kw) && !(kw >= 8 && atLineStart(kw - 8) && buf.compare(TYPEDEF_WORD, 0, 8, kw - 8, kw) === 0)) return;
  sink.name(NAME_KIND.structs, buf, s, e + 1);
}

const STRUCT_WORD = Buffer.from('struct ');
const TYPEDEF_WORD = Buffer.from('typedef ');
