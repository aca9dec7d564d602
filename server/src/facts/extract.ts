/**
 * C text -> FileFacts. tree-sitter gives the structure (functions, statements,
 * declarations, structs); calls are read from the masked text of each
 * statement, so calls inside macro-shaped code that tree-sitter turns into
 * ERROR nodes (list_for_each_entry bodies, guard(), attributes) are still seen.
 */
import { disposeCursor, disposeTree, parseC, SyntaxNode, Tree, TreeCursor } from '../parse/parser';
import { lineStarts, maskedSource, positionAt } from '../parse/mask';
import { FACTS_VERSION, FileFacts, FunctionFacts, GlobalLock, IgnoreDirective, Span, StructFacts } from './types';
import { LOCK_DEFINERS, LOCK_TYPES } from '../kb/locks';
import { FunctionReader, lockishPattern, setDeclaredPrimitives } from './function-reader';
import type { DeclaredPrimitive } from '../kb/locks';
import { argRef } from './arg-ref';
import { findCacheCreations } from './cache-creations';
import { findEntryFacts } from './entry-points';
import { ENTRY_FIELDS, SHRINKER_CALLS } from '../kb/contexts';
import { matchParen } from '../parse/text-scan';
import { FocusPlan, planFocus, planQuietBodies } from './focus-ranges';

export interface SourceMap {
  text: string;
  masked: string;
  starts: number[];
  span(start: number, end: number): Span;
}

export function makeSourceMap(text: string, root: SyntaxNode, masked = maskedSource(text, root)): SourceMap {
  const starts = lineStarts(text);
  return {
    text,
    masked,
    starts,
    span(start: number, end: number): Span {
      const [l1, c1] = positionAt(starts, start);
      const [l2, c2] = positionAt(starts, end);
      return [l1, c1, l2, c2];
    },
  };
}

export interface ExtractOptions {
  /** 'creations': read only the functions that create caches and the ctors/dtors they name (others are stubs). */
  focus?: 'creations';
  /** With focus: also read these functions' bodies, and their same-file callees (a ctor named in another file, a summary's callees). */
  want?: string[];
  /**
   * Leave bodies with no lock primitive out of the parse (the lock graph):
   * their events come from their text alone, as they would with a tree.
   * Cache creations inside such bodies are read from a parse of their statement alone.
   */
  quietBodies?: boolean;
  /**
   * The previous facts of the same file (an editor buffer being edited):
   * functions whose text, start column and file globals are unchanged are
   * reused with their lines shifted, so an edit re-reads one function.
   */
  previous?: FileFacts;
  /** `.slabcheck.json` `lockPrimitives`: calls to these are lock operations (the facts then depend on them). */
  lockPrimitives?: Record<string, DeclaredPrimitive>;
}

/** Key of a function for reuse: its exact text and start column. */
function fnKey(src: SourceMap, node: SyntaxNode): string {
  return `${node.startPosition.column}\u0000${src.text.slice(node.startIndex, node.endIndex)}`;
}

function shiftSpan(s: Span, d: number): Span {
  return [s[0] + d, s[1], s[2] + d, s[3]];
}

/** A reused function moved by `d` lines. */
export function shiftFunction(fn: FunctionFacts, d: number): FunctionFacts {
  if (d === 0) return fn;
  return {
    ...fn,
    at: shiftSpan(fn.at, d),
    nameAt: shiftSpan(fn.nameAt, d),
    events: fn.events.map((e) => ({ ...e, at: shiftSpan(e.at, d) })),
    imbalances: fn.imbalances.map((i) => ({ ...i, at: shiftSpan(i.at, d), takenAt: i.takenAt ? shiftSpan(i.takenAt, d) : undefined })),
  };
}

const reuseKeys = new WeakMap<FileFacts, { globals: string; byKey: Map<string, FunctionFacts> }>();

export function extractFacts(path: string, text: string, tree?: Tree, opts: ExtractOptions = {}): FileFacts {
  setDeclaredPrimitives(opts.lockPrimitives);
  // The trees parsed here are freed before returning (facts hold no node); a given tree stays the caller's.
  const made: Tree[] = [];
  try {
    return extractFrom(path, text, tree, opts, made);
  } finally {
    setDeclaredPrimitives(undefined);
    for (const t of made) disposeTree(t);
  }
}

function extractFrom(path: string, text: string, tree: Tree | undefined, opts: ExtractOptions, made: Tree[]): FileFacts {
  // Focused and not given a tree: parse only the top level and the bodies that can matter.
  let plan: FocusPlan | undefined;
  let masked: string | undefined;
  if (!tree && opts.focus === 'creations') {
    masked = maskedSource(text);
    plan = planFocus(masked, opts.want);
  } else if (!tree && opts.quietBodies) {
    masked = maskedSource(text);
    plan = planQuietBodies(masked, lockishPattern());
  }
  const t = tree ?? parseC(text, undefined, plan?.ranges);
  if (!tree) made.push(t);
  const root = t.rootNode;
  const src = makeSourceMap(text, root, masked);
  const facts: FileFacts = {
    version: FACTS_VERSION, path, functions: [], caches: [], structs: [], globalLocks: [], globals: {},
    ignores: [], errorNodes: 0,
  };
  const fnNodes: SyntaxNode[] = [];
  walkTop(root, src, facts, fnNodes);
  readPerCpuDefinitions(src, facts);
  const extraTrees: Tree[] = [];
  if (root.hasError) recoverFunctionsByText(src, fnNodes, extraTrees, plan?.skipped, plan?.cut);
  made.push(...extraTrees);
  facts.errorNodes = countErrors(root);
  const globalScope = (name: string) => {
    const g = facts.globals[name];
    return g ? { type: g.type, local: false } : undefined;
  };
  if (opts.focus === 'creations') {
    // A body the plan left out was not parsed: its function is a stub read from the text
    // (reading headers through tree nodes cost more than the focused parse itself). Every body
    // the plan kept is read in full (the creating functions, their ctors and dtors, the
    // functions asked for by name and their same-file callees).
    const wanted = new Set(opts.want);
    for (const n of fnNodes) {
      // Function-like macros: only those asked for by name (a callee that is a wrapper macro).
      if (n.type === 'preproc_function_def') {
        const name = n.childForFieldName('name')?.text;
        if (!name) continue;
        const m = wanted.has(name) ? new FunctionReader(n, src, globalScope, facts.functions).readMacro() : undefined;
        const at = src.span(n.startIndex, n.endIndex);
        facts.functions.push(m ?? { name, isStatic: false, at, nameAt: at, returns: '', params: [], locks: [], events: [], imbalances: [], returnsError: false, macro: true, stub: true });
        continue;
      }
      const skipped = plan?.skippedByEnd.get(n.endIndex);
      const fn = skipped ? textStub(src, n.startIndex, n.endIndex, skipped) : new FunctionReader(n, src, globalScope, facts.functions).read();
      if (fn) facts.functions.push(fn);
    }
    // Functions the plan left out header and all: stubs from the text, in file order among the others.
    if (plan?.cut.length) facts.functions = mergeByStart(facts.functions, plan.cut.map((c) => textStub(src, c.start, c.end, c)));
    facts.partial = facts.functions.some((f) => f.stub);
  } else {
    const globalsSig = JSON.stringify(facts.globals);
    const prev = opts.previous ? reuseKeys.get(opts.previous) : undefined;
    const reusable = prev && prev.globals === globalsSig ? prev.byKey : undefined;
    const byKey = new Map<string, FunctionFacts>();
    for (const node of fnNodes) {
      const key = fnKey(src, node);
      const old = reusable?.get(key);
      let fn: FunctionFacts | undefined;
      if (old) fn = shiftFunction(old, node.startPosition.row - old.at[0]);
      else {
        const r = new FunctionReader(node, src, globalScope, facts.functions, !!opts.quietBodies);
        fn = node.type === 'preproc_function_def' ? r.readMacro() : r.read();
      }
      if (fn) {
        facts.functions.push(fn);
        byKey.set(key, fn);
      }
    }
    reuseKeys.set(facts, { globals: globalsSig, byKey });
  }
  // Creations are read from the tree, and from the functions re-parsed alone where they cover it.
  facts.caches = findCacheCreations(root, src, facts, extraTrees.map((t) => t.rootNode));
  readAssignedRefs(src, facts, fnNodes);
  // Entry points need the bodies: not read from focused or lock-graph parses (the registry asks for full facts).
  if (!plan) {
    const entries = findEntryFacts(root, src, ENTRY_FIELDS, SHRINKER_CALLS, extraTrees.map((t) => t.rootNode));
    if (entries.fields.length || entries.calls.length) facts.entries = entries;
  }
  facts.ignores = findIgnores(root, src);
  return facts;
}

/**
 * Each creation's assignment target read in the creating function's scope (its parameters,
 * its local declarations, the file's globals): `p->cache` with `struct pool *p` names the
 * field class `pool.cache` in the index, `c` a local or `foo_cachep` a global.
 */
function readAssignedRefs(src: SourceMap, facts: FileFacts, fnNodes: SyntaxNode[]): void {
  for (const c of facts.caches) {
    if (!c.assignedTo) continue;
    const off = src.starts[c.at[0]] + c.at[1];
    let fn: FunctionFacts | undefined;
    for (const f of facts.functions) {
      const s = src.starts[f.at[0]] + f.at[1];
      const e = src.starts[f.at[2]] + f.at[3];
      if (s <= off && off < e && (!fn || f.at[0] > fn.at[0] || (f.at[0] === fn.at[0] && f.at[1] > fn.at[1]))) fn = f;
    }
    const node = fnNodes.find((n) => n.startIndex <= off && off < n.endIndex && n.type !== 'preproc_function_def');
    let locals: Map<string, string> | undefined;
    const params = fn?.params ?? [];
    c.assignedRef = argRef(c.assignedTo, params, (name) => {
      const p = params.find((x) => x.name === name);
      if (p) return { type: p.type, local: true };
      if (!locals) {
        locals = new Map();
        const body = node?.type === 'function_definition' ? node.childForFieldName('body') : node;
        for (const decl of body?.descendantsOfType('declaration') ?? []) {
          const t = decl.childForFieldName('type');
          if (!t) continue;
          for (const d of decl.childrenForFieldName('declarator')) {
            const { name: n, pointer } = declaratorName(d);
            if (n && !locals.has(n)) locals.set(n, t.text + (pointer ? ' *' : ''));
          }
        }
      }
      const l = locals.get(name);
      if (l !== undefined) return { type: l, local: true };
      const g = facts.globals[name];
      return g ? { type: g.type, local: false } : undefined;
    });
  }
}

/** A stub from the text: `start` is where the function's node starts, `end` just past its `}`. */
function textStub(src: SourceMap, start: number, end: number, d: { name: string; nameStart: number }): FunctionFacts {
  const head = src.masked.slice(Math.min(start, d.nameStart), d.nameStart);
  return {
    name: d.name, isStatic: /\bstatic\b/.test(head), at: src.span(start, end), nameAt: src.span(d.nameStart, d.nameStart + d.name.length),
    returns: head.replace(/\b(?:static|inline|extern)\b/g, ' ').replace(/\s+/g, ' ').trim(),
    params: [], locks: [], events: [], imbalances: [], returnsError: false, stub: true,
  };
}

/** `extra` (sorted by start) inserted into `fns` before the first function that starts after each. */
function mergeByStart(fns: FunctionFacts[], extra: FunctionFacts[]): FunctionFacts[] {
  const out: FunctionFacts[] = [];
  let j = 0;
  const before = (a: FunctionFacts, b: FunctionFacts) => a.at[0] < b.at[0] || (a.at[0] === b.at[0] && a.at[1] < b.at[1]);
  for (const f of fns) {
    while (j < extra.length && before(extra[j], f)) out.push(extra[j++]);
    out.push(f);
  }
  while (j < extra.length) out.push(extra[j++]);
  return out;
}

function countErrors(root: SyntaxNode): number {
  // Whether the file has parse errors; counting them natively costs a full tree walk.
  return root.hasError ? 1 : 0;
}

function isDeadIf(node: SyntaxNode): boolean {
  const cond = node.childForFieldName('condition');
  return !!cond && /^\(?\s*0\s*\)?$/.test(cond.text);
}

/**
 * The file's top level through a tree cursor: a node object is made only for
 * the children read (node-tree-sitter's nextSibling makes one per child,
 * comments and #includes too, which cost more than reading the declarations).
 */
function walkTop(node: SyntaxNode, src: SourceMap, facts: FileFacts, fnNodes: SyntaxNode[]): void {
  const cur = node.walk();
  try {
    if (cur.gotoFirstChild()) walkLevel(cur, src, facts, fnNodes);
  } finally {
    disposeCursor(cur);
  }
}

function walkLevel(cur: TreeCursor, src: SourceMap, facts: FileFacts, fnNodes: SyntaxNode[]): void {
  do {
    switch (cur.nodeType) {
      case 'function_definition':
      case 'preproc_function_def':
        fnNodes.push(cur.currentNode);
        break;
      case 'declaration':
      case 'type_definition': {
        const c = cur.currentNode;
        readDeclaration(c, src, facts);
        // Struct definitions are in the type (`struct s {...} x;`): a walk of the whole
        // declaration went through every initializer table of the file.
        const type = c.childForFieldName('type');
        if (type && (type.type === 'struct_specifier' || type.type === 'union_specifier')) collectStructs(type, src, facts);
        break;
      }
      case 'struct_specifier':
      case 'union_specifier':
        collectStructs(cur.currentNode, src, facts);
        break;
      case 'preproc_if': {
        const c = cur.currentNode;
        if (isDeadIf(c)) {
          const alt = c.childForFieldName('alternative');
          if (alt) walkTop(alt, src, facts, fnNodes);
          break;
        }
        if (cur.gotoFirstChild()) {
          walkLevel(cur, src, facts, fnNodes);
          cur.gotoParent();
        }
        break;
      }
      case 'preproc_ifdef':
      case 'preproc_else':
      case 'preproc_elif':
      case 'preproc_elifdef':
      case 'linkage_specification':
      case 'declaration_list':
        if (cur.gotoFirstChild()) {
          walkLevel(cur, src, facts, fnNodes);
          cur.gotoParent();
        }
        break;
      case 'ERROR':
        recoverFromError(cur.currentNode, src, facts, fnNodes);
        break;
      case 'expression_statement':
        // `DEFINE_SPINLOCK(x);` at file scope sometimes parses as a call statement.
        readDefineMacro(cur.currentNode, src, facts);
        break;
      default:
        break;
    }
  } while (cur.gotoNextSibling());
}

/**
 * In an ERROR node at file scope, tree-sitter often still holds whole
 * function definitions, or a declarator followed by a compound statement.
 */
function recoverFromError(node: SyntaxNode, src: SourceMap, facts: FileFacts, fnNodes: SyntaxNode[]): void {
  for (let c = node.firstChild; c; c = c.nextSibling) {
    if (c.type === 'function_definition') fnNodes.push(c);
    else if (c.type === 'declaration') readDeclaration(c, src, facts);
    else if (c.type === 'compound_statement') {
      // name ( params ) { ... } split by the error: treat as a function when a declarator precedes it.
      const prev = c.previousSibling;
      if (prev && (prev.type === 'function_declarator' || prev.type === 'parenthesized_declarator' || prev.type === 'call_expression' || prev.type === 'parameter_list' || prev.type === 'argument_list')) {
        fnNodes.push(c);
      }
    } else if (c.type === 'ERROR' || c.type.startsWith('preproc_')) recoverFromError(c, src, facts, fnNodes);
  }
}

/**
 * Functions tree-sitter swallowed into a large ERROR node (a macro it could
 * not read earlier in the file): kernel style opens a function body with `{`
 * at column 0, so each such brace not inside a function already found is
 * re-parsed on its own (one parse of just those functions' ranges, so offsets
 * stay true; a body a focused plan left out is parsed as `{}`).
 */
function recoverFunctionsByText(src: SourceMap, fnNodes: SyntaxNode[], trees: Tree[], skipped?: Set<number>, cut: { start: number; end: number }[] = []): void {
  const m = src.masked;
  const covered = [...fnNodes.map((n) => [n.startIndex, n.endIndex] as const), ...cut.map((c) => [c.start, c.end] as const)];
  const inside = (i: number) => covered.some(([s, e]) => s <= i && i < e);
  const ranges: [number, number, number][] = [];
  let i = m.indexOf('\n{');
  while (i >= 0) {
    const brace = i + 1;
    if (!inside(brace)) {
      const end = matchParen(m, brace);
      const close = m.lastIndexOf(')', brace);
      if (end > 0 && close > 0 && !/[;}]/.test(m.slice(close, brace))) {
        const open = matchBack(m, close);
        let start = open >= 0 ? m.lastIndexOf('\n', open) + 1 : -1;
        // The return type may stand alone on the line above (`static int\nfoo(void)`).
        if (start > 0) {
          const prevStart = m.lastIndexOf('\n', start - 2) + 1;
          const prev = m.slice(prevStart, start - 1);
          if (/^[A-Za-z_][\w\s*]*$/.test(prev) && !/^\s*$/.test(prev)) start = prevStart;
        }
        if (start >= 0 && !ranges.some(([s, e]) => start < e && s < end + 1)) {
          ranges.push([start, end + 1, brace]);
          covered.push([start, end + 1]);
        }
      }
    }
    i = m.indexOf('\n{', i + 2);
  }
  if (!ranges.length) return;
  ranges.sort((a, b) => a[0] - b[0]);
  const parts: [number, number][] = [];
  for (const [s, e, brace] of ranges) {
    if (skipped?.has(brace)) parts.push([s, brace + 1], [e - 1, e]);
    else parts.push([s, e]);
  }
  const t = parseC(src.text, undefined, parts);
  trees.push(t);
  const got = t.rootNode.namedChildren.filter((c) => c.type === 'function_definition');
  fnNodes.push(...got);
  // One body tree-sitter cannot read swallows the bodies after it into its ERROR node again
  // (fs/userfaultfd.c: userfaultfd_register() hid init_once_userfaultfd_ctx(), a ctor): each
  // range with no function read is parsed alone.
  const alone = ranges.filter(([rs, re]) => !got.some((c) => c.startIndex < re && rs < c.endIndex));
  if (alone.length > 64) return;
  for (const [rs, re, brace] of alone) {
    const one = parseC(src.text, undefined, skipped?.has(brace) ? [[rs, brace + 1], [re - 1, re]] : [[rs, re]]);
    const fns = one.rootNode.namedChildren.filter((c) => c.type === 'function_definition');
    if (!fns.length) {
      disposeTree(one);
      continue;
    }
    trees.push(one);
    fnNodes.push(...fns);
  }
}

function matchBack(text: string, close: number): number {
  let depth = 0;
  for (let i = close; i >= 0 && i > close - 2000; i--) {
    if (text[i] === ')') depth++;
    else if (text[i] === '(' && --depth === 0) return i;
  }
  return -1;
}

function readDefineMacro(node: SyntaxNode, src: SourceMap, facts: FileFacts): void {
  const m = /^\s*(static\s+)?([A-Z_]+)\s*\(\s*([A-Za-z_]\w*)/.exec(node.text);
  if (m && LOCK_DEFINERS[m[2]]) {
    facts.globalLocks.push({ name: m[3], kind: LOCK_DEFINERS[m[2]], isStatic: !!m[1], at: src.span(node.startIndex, node.endIndex) });
    facts.globals[m[3]] = { type: m[2], isStatic: !!m[1] };
  }
}

/**
 * `static DEFINE_PER_CPU(raw_spinlock_t, x);`: a lock per CPU, one class (lockdep keys the static object). tree-sitter reads the
 * type-as-argument as a broken declaration, often merged with the next one: read from the text.
 */
const PER_CPU_DEF = /^[ \t]*(static\s+)?DEFINE_PER_CPU(?:_[A-Z_]+)?\s*\(\s*([^,()]+?)\s*,\s*([A-Za-z_]\w*)\s*\)/gm;
function readPerCpuDefinitions(src: SourceMap, facts: FileFacts): void {
  if (!src.masked.includes('DEFINE_PER_CPU')) return;
  PER_CPU_DEF.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = PER_CPU_DEF.exec(src.masked)) !== null) {
    const type = m[2].replace(/\s+/g, ' ');
    const isStatic = !!m[1];
    // Locks only: a per-CPU struct keeps its variable's name for its fields (`memcg_stock.stock_lock`, as the knowledge base names it).
    const kind = LOCK_TYPES[type];
    if (!kind) continue;
    facts.globals[m[3]] = { type, isStatic };
    if (!facts.globalLocks.some((g) => g.name === m![3])) facts.globalLocks.push({ name: m[3], kind, isStatic, at: src.span(m.index, m.index + m[0].length) });
  }
}

function readDeclaration(node: SyntaxNode, src: SourceMap, facts: FileFacts): void {
  const text = node.text;
  const isStatic = /^\s*static\b/.test(text) || /\bstatic\b/.test(text.slice(0, text.indexOf('(') >= 0 ? text.indexOf('(') : text.length));
  // DEFINE_SPINLOCK(name) parses as a declaration of type DEFINE_SPINLOCK.
  const typeNode = node.childForFieldName('type');
  const typeText = typeNode ? typeNode.text : '';
  if (LOCK_DEFINERS[typeText]) {
    const m = /\(\s*([A-Za-z_]\w*)/.exec(text.slice(text.indexOf(typeText) + typeText.length));
    if (m) {
      facts.globalLocks.push({ name: m[1], kind: LOCK_DEFINERS[typeText], isStatic, at: src.span(node.startIndex, node.endIndex) });
      facts.globals[m[1]] = { type: typeText, isStatic };
    }
    return;
  }
  if (node.type !== 'declaration') return;
  for (const d of node.childrenForFieldName('declarator')) {
    const { name, pointer, isFunction } = declaratorName(d);
    if (!name || isFunction) continue;
    const type = typeText + (pointer ? ' *' : '');
    facts.globals[name] = { type, isStatic };
    const kind = LOCK_TYPES[typeText];
    if (kind && !pointer) facts.globalLocks.push({ name, kind, isStatic, at: src.span(node.startIndex, node.endIndex) });
  }
}

/** Name of a declarator, whether it is a pointer, whether it declares a function. */
export function declaratorName(d: SyntaxNode): { name?: string; pointer: boolean; isFunction: boolean; array: boolean } {
  let pointer = false;
  let isFunction = false;
  let array = false;
  let n: SyntaxNode | null = d;
  for (let guard = 0; n && guard < 12; guard++) {
    switch (n.type) {
      case 'identifier':
      case 'field_identifier':
      case 'type_identifier':
        return { name: n.text, pointer, isFunction, array };
      case 'init_declarator':
      case 'parenthesized_declarator':
      case 'attributed_declarator':
        n = n.childForFieldName('declarator') ?? n.namedChild(0);
        break;
      case 'pointer_declarator':
        pointer = true;
        n = n.childForFieldName('declarator');
        break;
      case 'array_declarator':
        array = true;
        n = n.childForFieldName('declarator');
        break;
      case 'function_declarator':
        isFunction = true;
        n = n.childForFieldName('declarator');
        break;
      default:
        return { pointer, isFunction, array };
    }
  }
  return { pointer, isFunction, array };
}

/** Struct and union definitions anywhere below `node` (fields of anonymous members flattened). */
function collectStructs(node: SyntaxNode, src: SourceMap, facts: FileFacts): void {
  // A cursor in document order (node first): descendantsOfType made a node object for every match,
  // each `struct x *` field type included.
  const cur = node.walk();
  try {
    for (;;) {
      const t = cur.nodeType;
      if (t === 'struct_specifier' || t === 'union_specifier') {
        const n = cur.currentNode;
        const body = n.childForFieldName('body');
        const nameNode = n.childForFieldName('name');
        if (body && nameNode) {
          const s: StructFacts = { name: nameNode.text, fields: {}, at: src.span(n.startIndex, n.endIndex) };
          readFields(body, s.fields);
          facts.structs.push(s);
        }
      }
      if (cur.gotoFirstChild()) continue;
      while (!cur.gotoNextSibling()) if (!cur.gotoParent()) return;
    }
  } finally {
    disposeCursor(cur);
  }
}

function readFields(body: SyntaxNode, fields: Record<string, string>): void {
  for (let f = body.firstChild; f; f = f.nextSibling) {
    if (f.type === 'preproc_ifdef' || f.type === 'preproc_if' || f.type === 'preproc_else' || f.type === 'preproc_elif') {
      readFields(f, fields);
      continue;
    }
    if (f.type !== 'field_declaration') continue;
    const typeNode = f.childForFieldName('type');
    if (!typeNode) continue;
    const decls = f.childrenForFieldName('declarator');
    if (decls.length === 0 && (typeNode.type === 'struct_specifier' || typeNode.type === 'union_specifier') && typeNode.childForFieldName('body') && !typeNode.childForFieldName('name')) {
      // Anonymous member: its fields belong to the parent.
      readFields(typeNode.childForFieldName('body')!, fields);
      continue;
    }
    let typeText = typeNode.text;
    if ((typeNode.type === 'struct_specifier' || typeNode.type === 'union_specifier')) {
      const nm = typeNode.childForFieldName('name');
      typeText = `${typeNode.type === 'union_specifier' ? 'union' : 'struct'} ${nm ? nm.text : '<anon>'}`;
    }
    for (const d of decls) {
      const { name, pointer } = declaratorName(d);
      if (name) fields[name] = typeText + (pointer ? ' *' : '');
    }
  }
}

const DIRECTIVE_RE = /slabcheck:\s*(ignore-next-line|ignore-line|ignore-function|ignore-file|ignore)(?![\w-])([^*\n]*)/;

function findIgnores(root: SyntaxNode, src: SourceMap): IgnoreDirective[] {
  const out: IgnoreDirective[] = [];
  if (src.text.indexOf('slabcheck:') < 0) return out;
  for (const c of root.descendantsOfType('comment')) {
    const m = DIRECTIVE_RE.exec(c.text);
    if (!m) continue;
    // Rule ids up to an optional `--` reason.
    const rules = m[2].split('--')[0].split(/[\s,]+/).map((r) => r.trim()).filter((r) => /^[a-z][a-z0-9-]*$/.test(r));
    const line = c.startPosition.row;
    const lineText = src.text.slice(src.starts[line], src.starts[line + 1] ?? src.text.length);
    const alone = lineText.trim().startsWith('/*') || lineText.trim().startsWith('//');
    const kind = m[1];
    if (kind === 'ignore-file') out.push({ rules, line: 0, scope: 'file' });
    else if (kind === 'ignore-function') out.push({ rules, line: c.endPosition.row + 1, scope: 'function' });
    else if (kind === 'ignore-line') out.push({ rules, line, scope: 'line' });
    else if (kind === 'ignore-next-line' || alone) out.push({ rules, line: c.endPosition.row + 1, scope: 'next-line' });
    else out.push({ rules, line, scope: 'line' });
  }
  return out;
}

export type { GlobalLock };
