/**
 * Slab cache creations in every form (see DESIGN.md "Cache creation forms"):
 * legacy 5-argument kmem_cache_create, kmem_cache_create_usercopy (7),
 * kmem_cache_create / __kmem_cache_create_args with a struct kmem_cache_args
 * (compound literal or a variable, with .ctor/.dtor set in its initialiser or
 * assigned later), and KMEM_CACHE*. Arguments are split on the masked text so
 * `offsetof(struct foo, bar)` and strings with commas do not shift them.
 */
import type { SyntaxNode } from '../parse/parser';
import { matchParen } from '../parse/text-scan';
import type { SourceMap } from './extract';
import type { CacheCreation, CtorRef, FileFacts, FunctionFacts } from './types';

const CREATE_RE = /\b(kmem_cache_create_usercopy|kmem_cache_create_rcu|kmem_cache_create|__kmem_cache_create_args|__kmem_cache_create|KMEM_CACHE_USERCOPY|KMEM_CACHE)\s*\(/g;

/** Functions and macros that implement the API itself (include/linux/slab.h, mm/slab_common.c). */
const API_IMPLEMENTATION = new Set([
  'kmem_cache_create_usercopy', '__kmem_cache_create', '__kmem_cache_default_args', '__kmem_cache_create_args',
  'kmem_cache_create', 'kmem_cache_create_rcu', 'do_kmem_cache_create', 'create_cache', 'KMEM_CACHE', 'KMEM_CACHE_USERCOPY',
]);

/** Split the argument list at [open, close] into original-text arguments with offsets. */
export function splitArgsAt(src: SourceMap, open: number, close: number): { text: string; start: number; end: number }[] {
  const m = src.masked;
  const out: { text: string; start: number; end: number }[] = [];
  let depth = 0;
  let start = open + 1;
  const push = (end: number) => {
    let s = start;
    let e = end;
    const t = src.text;
    while (s < e && /\s/.test(t[s])) s++;
    while (e > s && /\s/.test(t[e - 1])) e--;
    out.push({ text: src.text.slice(s, e).replace(/\s+/g, ' '), start: s, end: e });
  };
  for (let i = open + 1; i < close; i++) {
    const c = m.charCodeAt(i);
    if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 41 || c === 93 || c === 125) depth--;
    else if (c === 44 && depth === 0) {
      push(i);
      start = i + 1;
    }
  }
  push(close);
  if (out.length === 1 && out[0].text === '') return [];
  return out;
}

export function findCacheCreations(root: SyntaxNode, src: SourceMap, facts: FileFacts): CacheCreation[] {
  const out: CacheCreation[] = [];
  const m = src.masked;
  currentSrc = src;
  CREATE_RE.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = CREATE_RE.exec(m)) !== null) {
    const api = match[1];
    const start = match.index;
    // A declaration or definition of the API itself: `struct kmem_cache *kmem_cache_create(...)`.
    const before = m.slice(Math.max(0, start - 200), start);
    if (/\*\s*$/.test(before) && /struct\s+kmem_cache\s*\*\s*$/.test(before)) continue;
    const open = start + match[0].length - 1;
    const close = matchParen(m, open);
    if (close < 0) continue;
    const macro = enclosingMacro(root, start);
    if (macro && (API_IMPLEMENTATION.has(macro) || /^(kmem_cache|KMEM_CACHE|__kmem_cache)/.test(macro))) continue;
    const fn = enclosingFunction(facts.functions, src, start);
    if (fn && API_IMPLEMENTATION.has(fn.name)) continue;
    const args = splitArgsAt(src, open, close);
    const c = readCreation(api, args, src, fn, start, close, macro);
    if (!c) continue;
    // Assignment target: `foo_cachep = kmem_cache_create(`; `s->cache = ...`.
    const stmtStart = Math.max(m.lastIndexOf(';', start), m.lastIndexOf('{', start), m.lastIndexOf('}', start)) + 1;
    const lhs = /([A-Za-z_][\w]*(?:(?:->|\.)[A-Za-z_]\w*|\[[^\]]*\])*)\s*=\s*(?:\([^()]*\)\s*)?$/.exec(m.slice(stmtStart, start));
    if (lhs) c.assignedTo = lhs[1];
    out.push(c);
  }
  return out;
}

function readCreation(
  api: string, args: { text: string; start: number; end: number }[], src: SourceMap, fn: FunctionFacts | undefined,
  start: number, close: number, macro: string | undefined,
): CacheCreation | undefined {
  const at = src.span(start, close + 1);
  const nameAt = src.span(start, start + api.length);
  const base = { api, at, nameAt, inFunction: fn?.name ?? (macro ? `#define ${macro}` : undefined) };
  const none: CtorRef = { kind: 'none' };
  const ctorOf = (a: { text: string; start: number; end: number } | undefined): CtorRef =>
    a ? classifyFn(a.text, src.span(a.start, a.end), fn, macro) : none;
  if (api === 'KMEM_CACHE' || api === 'KMEM_CACHE_USERCOPY') {
    if (args.length < 2) return undefined;
    return { ...base, form: 'macro', name: args[0].text, size: `sizeof(struct ${args[0].text})`, flags: args[1].text, ctor: none, dtor: none };
  }
  if (api === 'kmem_cache_create_usercopy') {
    if (args.length !== 7) return undefined;
    return { ...base, form: 'usercopy7', name: args[0].text, size: args[1].text, align: args[2].text, flags: args[3].text, ctor: ctorOf(args[6]), dtor: none };
  }
  if (api === 'kmem_cache_create_rcu') {
    if (args.length !== 4) return undefined;
    return { ...base, form: 'args', name: args[0].text, size: args[1].text, flags: args[3].text, ctor: none, dtor: none };
  }
  if ((api === 'kmem_cache_create' || api === '__kmem_cache_create') && args.length === 5) {
    return { ...base, form: 'legacy5', name: args[0].text, size: args[1].text, align: args[2].text, flags: args[3].text, ctor: ctorOf(args[4]), dtor: none };
  }
  if ((api === 'kmem_cache_create' || api === '__kmem_cache_create_args') && args.length === 4) {
    const c: CacheCreation = { ...base, form: 'args', name: args[0].text, size: args[1].text, flags: args[3].text, ctor: none, dtor: none };
    readArgs(c, args[2], src, fn, macro);
    return c;
  }
  return undefined;
}

/** Fill ctor/dtor/align from a `struct kmem_cache_args` given as `&var`, a compound literal, or NULL. */
function readArgs(c: CacheCreation, arg: { text: string; start: number; end: number }, src: SourceMap, fn: FunctionFacts | undefined, macro: string | undefined): void {
  const text = arg.text;
  if (/^\(?\s*NULL\s*\)?$|^0$/.test(text)) return;
  let body: { text: string; offset: number } | undefined;
  const lit = /^&?\s*\(\s*(?:const\s+)?struct\s+kmem_cache_args\s*\)\s*\{/.exec(text);
  if (lit) {
    const braceOff = src.masked.indexOf('{', arg.start);
    const end = matchParen(src.masked, braceOff);
    body = { text: src.masked.slice(braceOff, end + 1), offset: braceOff };
    c.argsAt = src.span(braceOff, end + 1);
  } else {
    const v = /^&\s*([A-Za-z_]\w*)$/.exec(text) ?? /^([A-Za-z_]\w*)$/.exec(text);
    if (!v) {
      c.ctor = { kind: 'indirect', expr: text, why: 'kmem_cache_args passed as an expression', at: src.span(arg.start, arg.end) };
      return;
    }
    const name = v[1];
    // Search the enclosing function first, then the file, for the variable's initialiser.
    const m = src.masked;
    const scopeStart = fn ? offsetOf(src, fn.at[0], fn.at[1]) : 0;
    const scopeEnd = fn ? offsetOf(src, fn.at[2], fn.at[3]) : m.length;
    const declRe = new RegExp(`struct\\s+kmem_cache_args\\s+${name}\\s*=\\s*\\{`, 'g');
    let found: RegExpExecArray | null = null;
    declRe.lastIndex = scopeStart;
    const inFn = declRe.exec(m);
    if (inFn && inFn.index < scopeEnd) found = inFn;
    else {
      declRe.lastIndex = 0;
      found = declRe.exec(m);
    }
    if (found) {
      const braceOff = found.index + found[0].length - 1;
      const end = matchParen(m, braceOff);
      body = { text: m.slice(braceOff, end + 1), offset: braceOff };
      c.argsAt = src.span(found.index, end + 1);
    } else if (fn && fn.params.some((p) => p.name === name)) {
      c.ctor = { kind: 'indirect', expr: name, why: `kmem_cache_args come from parameter '${name}' of ${fn.name}()`, at: src.span(arg.start, arg.end) };
      return;
    }
    // Later assignments: `args.ctor = foo_ctor;`
    const asRe = new RegExp(`\\b${name}\\s*(?:\\.|->)\\s*(ctor|dtor|align)\\s*=\\s*([^;]+);`, 'g');
    asRe.lastIndex = scopeStart;
    let a: RegExpExecArray | null;
    let assigned = false;
    while ((a = asRe.exec(m)) !== null && a.index < scopeEnd) {
      assigned = true;
      const valStart = a.index + a[0].indexOf(a[2], a[0].indexOf('='));
      const val = src.text.slice(valStart, valStart + a[2].length).trim();
      setField(c, a[1], val, src.span(valStart, valStart + a[2].length), fn, macro);
    }
    // Neither initialised nor assigned here: a macro or a variable from elsewhere, unread.
    if (!found && !assigned) {
      c.ctor = { kind: 'indirect', expr: name, why: `kmem_cache_args '${name}' is not defined in this file (a macro or a variable from elsewhere)`, how: 'args-expression', at: src.span(arg.start, arg.end) };
      return;
    }
  }
  if (!body) return;
  const re = /\.\s*(ctor|dtor|align)\s*=\s*/g;
  let f: RegExpExecArray | null;
  while ((f = re.exec(body.text)) !== null) {
    const valStart = f.index + f[0].length;
    let depth = 0;
    let i = valStart;
    for (; i < body.text.length; i++) {
      const ch = body.text[i];
      if (ch === '(' || ch === '{' || ch === '[') depth++;
      else if (ch === ')' || ch === ']') depth--;
      else if (ch === '}') {
        if (depth === 0) break;
        depth--;
      } else if (ch === ',' && depth === 0) break;
    }
    const absStart = body.offset + valStart;
    const absEnd = body.offset + i;
    const val = src.text.slice(absStart, absEnd).trim();
    setField(c, f[1], val, src.span(absStart, absEnd), fn, macro);
  }
}

function setField(c: CacheCreation, field: string, val: string, at: [number, number, number, number], fn: FunctionFacts | undefined, macro: string | undefined): void {
  if (field === 'align') c.align = val;
  else if (field === 'ctor') c.ctor = classifyFn(val, at, fn, macro);
  else c.dtor = classifyFn(val, at, fn, macro);
}

function classifyFn(text: string, at: [number, number, number, number], fn: FunctionFacts | undefined, macro: string | undefined): CtorRef {
  const t = text.replace(/\s+/g, '');
  if (t === 'NULL' || t === '0' || t === '(void*)0' || t === '') return { kind: 'none' };
  const id = /^&?\(?([A-Za-z_]\w*)\)?$/.exec(t);
  if (id) {
    const name = id[1];
    if (fn && fn.params.some((p) => p.name === name)) {
      return { kind: 'indirect', expr: name, why: `parameter '${name}' of ${fn.name}()`, at };
    }
    if (macro) return { kind: 'indirect', expr: name, why: `argument of macro ${macro}`, at };
    if (fn && localFnPointer(fn, name)) return { kind: 'indirect', expr: name, why: `local function pointer '${name}' in ${fn.name}()`, at };
    return { kind: 'function', name, at };
  }
  const why = /->|\./.test(t) ? 'a structure field' : /\[/.test(t) ? 'a table entry' : /\?/.test(t) ? 'a conditional expression' : 'an expression';
  const ref: CtorRef = { kind: 'indirect', expr: text, why, at };
  // `info->ctor` over a static table: the functions the file's initialisers put in that field.
  const field = /(?:->|\.)([A-Za-z_]\w*)$/.exec(t)?.[1];
  if (field && currentSrc) {
    const re = new RegExp(`\\.${field}\\s*=\\s*&?([A-Za-z_]\\w*)\\s*[,}]`, 'g');
    const found = new Set<string>();
    let m: RegExpExecArray | null;
    while ((m = re.exec(currentSrc.masked)) !== null) if (m[1] !== 'NULL') found.add(m[1]);
    if (found.size) ref.candidates = [...found];
  }
  if (/\?/.test(t)) {
    const names = t.split(/[?:]/).slice(1).map((x) => x.replace(/[()&\s]/g, '')).filter((x) => /^[A-Za-z_]\w*$/.test(x) && x !== 'NULL');
    if (names.length) ref.candidates = names;
  }
  return ref;
}

/** `void (*ctor)(void *) = pick_ctor();` inside the creating function. */
let currentSrc: SourceMap | undefined;
function localFnPointer(fn: FunctionFacts, name: string): boolean {
  if (!currentSrc) return false;
  const body = currentSrc.masked.slice(offsetOf(currentSrc, fn.at[0], fn.at[1]), offsetOf(currentSrc, fn.at[2], fn.at[3]));
  return new RegExp(`\\(\\s*\\*\\s*${name}\\s*\\)\\s*\\(`).test(body);
}

function offsetOf(src: SourceMap, line: number, col: number): number {
  return (src.starts[line] ?? src.text.length) + col;
}

function enclosingFunction(fns: FunctionFacts[], src: SourceMap, offset: number): FunctionFacts | undefined {
  let best: FunctionFacts | undefined;
  for (const f of fns) {
    const s = offsetOf(src, f.at[0], f.at[1]);
    const e = offsetOf(src, f.at[2], f.at[3]);
    if (s <= offset && offset < e && (!best || s > offsetOf(src, best.at[0], best.at[1]))) best = f;
  }
  return best;
}

function enclosingMacro(root: SyntaxNode, offset: number): string | undefined {
  let n: SyntaxNode | null = root.descendantForIndex(offset);
  while (n) {
    if (n.type === 'preproc_function_def' || n.type === 'preproc_def') return n.childForFieldName('name')?.text;
    n = n.parent;
  }
  return undefined;
}
