/**
 * Slab cache creations in every form (see DESIGN.md "Cache creation forms"):
 * legacy 5-argument kmem_cache_create, kmem_cache_create_usercopy (7),
 * kmem_cache_create_rcu (4), kmem_cache_create / __kmem_cache_create_args with
 * a struct kmem_cache_args (a compound literal, a variable set by its
 * initialiser or field by field, or a function-like macro of the file that
 * produces one), and KMEM_CACHE*.
 *
 * Everything is read from tree-sitter nodes: the call (`call_expression`), its
 * arguments (`argument_list`, split at its comma tokens, so `offsetof(struct
 * foo, bar)` and strings with commas do not shift them), the ctor/dtor values
 * through parentheses, casts, `&`, `?:`, and the kmem_cache_args through
 * `initializer_list`/`initializer_pair` and `assignment_expression`s. Code in
 * `#ifdef`/`#else` branches is in the tree like any other, so creations in
 * either branch are found. The masked text (comments, strings and `#if 0`
 * blanked) serves only as an index of where identifier tokens are: each one is
 * looked up in the tree, which says what it is.
 *
 * Trees: the file's own; the functions extract.ts re-parsed alone because
 * tree-sitter swallowed them into an ERROR (preferred where they cover a
 * token); and small "islands" parsed here, with offsets kept, for the text of a
 * macro body (a `preproc_arg` is a single token) and, as the one text fallback,
 * for the statement around a creation that has no usable node at all (a body
 * the parse left out, tokens tree-sitter put loose in an ERROR).
 */
import { disposeTree, parseC, SyntaxNode, Tree } from '../parse/parser';
import { matchParen } from '../parse/text-scan';
import { declaratorName, SourceMap } from './extract';
import type { CacheCreation, CtorHow, CtorRef, FileFacts, FunctionFacts, Span } from './types';

/** Where the API's identifiers are in the masked text (an index only: the tree says what each one is). */
const API_TOKEN = /\b(?:kmem_cache_create_usercopy|kmem_cache_create_rcu|kmem_cache_create|__kmem_cache_create_args|__kmem_cache_create|KMEM_CACHE_USERCOPY|KMEM_CACHE)\b/g;

/** Functions and macros that implement the API itself (include/linux/slab.h, mm/slab_common.c). */
const API_IMPLEMENTATION = new Set([
  'kmem_cache_create_usercopy', '__kmem_cache_create', '__kmem_cache_default_args', '__kmem_cache_create_args',
  'kmem_cache_create', 'kmem_cache_create_rcu', 'do_kmem_cache_create', 'create_cache', 'KMEM_CACHE', 'KMEM_CACHE_USERCOPY',
]);
/** Of those, names other code uses too (mm/zsmalloc.c has its own create_cache()): the API's only in mm/sl*b*. */
const GENERIC_NAMES = new Set(['create_cache', 'do_kmem_cache_create']);
const SLAB_FILE = /(?:^|\/)mm\/sl[aou]b(?:_common)?\.[ch]$/;

function isApiMacro(name: string): boolean {
  return API_IMPLEMENTATION.has(name) || /^(kmem_cache|KMEM_CACHE|__kmem_cache)/.test(name);
}

/** One argument of a call: its node (undefined when the text between two commas is not one node) and text. */
interface Arg {
  node?: SyntaxNode;
  start: number;
  end: number;
  text: string;
}

/** What names mean where a creation is: the enclosing function, or the macro whose body holds it. */
interface Ctx {
  fn?: string;
  params: Set<string>;
  /** [start, end) of the function (its locals, its field assignments). */
  body?: [number, number];
  macro?: string;
  macroParams?: Set<string>;
  /** While reading the body of a macro that produces the kmem_cache_args: its parameters bound to the call's arguments. */
  bind?: Map<string, { arg: Arg; ctx: Ctx }>;
  via?: { macro: string; expr: string };
  /** Offset of the creation call: only field assignments before it count. */
  callAt: number;
}

type Island = SyntaxNode | null;

export function findCacheCreations(root: SyntaxNode, src: SourceMap, facts: FileFacts, recovered: SyntaxNode[] = []): CacheCreation[] {
  const m = src.masked;
  // Cheap exit for the files that name none of the API.
  if (m.indexOf('kmem_cache_create') < 0 && m.indexOf('KMEM_CACHE') < 0 && m.indexOf('__kmem_cache_create') < 0) return [];
  const reader = new CreationReader(root, src, facts, recovered);
  try {
    return reader.read();
  } finally {
    reader.dispose();
  }
}

class CreationReader {
  private readonly recoveredFns: SyntaxNode[] = [];
  private readonly islands = new Map<string, Island>();
  /** The islands' trees, freed when the reader is done (wasm memory). */
  private readonly islandTrees: Tree[] = [];

  constructor(private readonly root: SyntaxNode, private readonly src: SourceMap, private readonly facts: FileFacts, recovered: SyntaxNode[]) {
    for (const r of recovered) {
      if (r.type === 'function_definition') this.recoveredFns.push(r);
      else for (const c of r.namedChildren) if (c.type === 'function_definition') this.recoveredFns.push(c);
    }
  }

  dispose(): void {
    for (const t of this.islandTrees) disposeTree(t);
    this.islandTrees.length = 0;
  }

  read(): CacheCreation[] {
    const out: CacheCreation[] = [];
    const m = this.src.masked;
    API_TOKEN.lastIndex = 0;
    let hit: RegExpExecArray | null;
    while ((hit = API_TOKEN.exec(m)) !== null) {
      const start = hit.index;
      const end = start + hit[0].length;
      // A declaration or definition of the API itself, however the tree took it: `struct kmem_cache *kmem_cache_create(`.
      if (/struct\s+kmem_cache\s*\*\s*$/.test(m.slice(Math.max(0, start - 200), start))) continue;
      const node = this.nodeAt(start, end);
      if (node?.type === 'preproc_arg') {
        out.push(...this.inMacroBodyCalls(node, start, end));
        continue;
      }
      const c = this.creationAt(start, end);
      if (c) out.push(c);
    }
    return out;
  }

  /**
   * A creation in the body of a function-like macro of this file that its invocations give the
   * arguments (`#define item_cache_create(c) kmem_cache_create("item", 64, 0, 0, c)`): one
   * creation per invocation, read with the macro's parameters bound to the invocation's
   * arguments and placed at the invocation (its lvalue is the cache). Without invocations here,
   * the creation of the macro body itself (its ctor/dtor maybe the macro's parameters).
   */
  private inMacroBodyCalls(arg: SyntaxNode, start: number, end: number): CacheCreation[] {
    const def = arg.parent;
    const own = this.inMacroBody(arg, start, end);
    const name = def?.type === 'preproc_function_def' ? def.childForFieldName('name')?.text : undefined;
    if (!own || !name || !def) return own ? [own] : [];
    const island = this.island(arg.startIndex, arg.endIndex, true);
    const call = island ? callAt(island, start, end) : undefined;
    if (!call) return [own];
    const params = macroParams(def);
    const out: CacheCreation[] = [];
    for (const off of tokens(this.src.masked, name)) {
      if (off >= def.startIndex && off < def.endIndex) continue;
      const n = this.nodeAt(off, off + name.length);
      const inv = n?.parent;
      if (!n || n.type !== 'identifier' || inv?.type !== 'call_expression' || !sameNode(inv.childForFieldName('function'), n)) continue;
      const list = inv.childForFieldName('arguments');
      if (!list) continue;
      const actual = this.argsOf(list);
      const outer = { ...this.ctxOf(inv), callAt: off };
      const bind = new Map<string, { arg: Arg; ctx: Ctx }>();
      params.forEach((p, i) => {
        if (actual[i]) bind.set(p, { arg: actual[i], ctx: outer });
      });
      const c = this.readCall(call, { ...outer, bind, via: { macro: name, expr: this.textOf(inv.startIndex, inv.endIndex) } });
      if (!c) continue;
      c.at = this.src.span(inv.startIndex, inv.endIndex);
      c.nameAt = this.src.span(n.startIndex, n.endIndex);
      c.inFunction = outer.fn;
      const named = bind.get(c.name);
      if (named) c.name = named.arg.text;
      const to = assignedTo(inv, this.src);
      if (to) c.assignedTo = to;
      else delete c.assignedTo;
      out.push(c);
    }
    return out.length ? out : [own];
  }

  /** The creation whose API identifier is the token at [start, end), if it is one. */
  private creationAt(start: number, end: number): CacheCreation | undefined {
    const node = this.nodeAt(start, end);
    if (node && node.type === 'preproc_arg') return this.inMacroBody(node, start, end);
    if (node && node.type === 'identifier' && node.startIndex === start && node.endIndex === end) {
      const call = node.parent;
      if (call && call.type === 'call_expression' && sameNode(call.childForFieldName('function'), node)) {
        const list = call.childForFieldName('arguments');
        // tree-sitter-c closes `offsetof(struct s, a.b)` with a MISSING `)` and the call at the wrong
        // parenthesis: when the argument list does not end where its `(` is matched, re-read the statement.
        if (list && matchParen(this.src.masked, list.startIndex) + 1 !== list.endIndex) {
          const again = this.inStatementIsland(start, end, this.ctxOf(call));
          if (again) return again;
        }
        return this.readCall(call, this.ctxOf(call));
      }
      // The identifier in a declarator, EXPORT_SYMBOL(...), `&kmem_cache_create`: not a creation.
      if (!hasErrorAncestor(node)) return undefined;
    }
    if (node && node.type.startsWith('preproc_')) return undefined;
    // Text fallback, for a token no tree has a usable node for (a body the parse left out, or tokens
    // loose in an ERROR): parse the statement around it on its own and read the call from that tree.
    if (!/^\s*\(/.test(this.src.masked.slice(end, end + 40))) return undefined;
    return this.inStatementIsland(start, end);
  }

  /** A creation written in a macro body: read from a parse of the body, its ctor/dtor maybe the macro's arguments. */
  private inMacroBody(arg: SyntaxNode, start: number, end: number): CacheCreation | undefined {
    const def = arg.parent;
    if (!def || (def.type !== 'preproc_function_def' && def.type !== 'preproc_def')) return undefined;
    const name = def.childForFieldName('name')?.text;
    // Macros that wrap the API (include/linux/slab.h: kmem_cache_create is a _Generic macro there, KMEM_CACHE*).
    if (!name || isApiMacro(name)) return undefined;
    const island = this.island(arg.startIndex, arg.endIndex, true);
    const call = island ? callAt(island, start, end) : undefined;
    if (!call) return undefined;
    const ctx: Ctx = { params: new Set(), macro: name, macroParams: new Set(macroParams(def)), callAt: start };
    return this.readCall(call, ctx, `#define ${name}`);
  }

  private inStatementIsland(start: number, end: number, ctx?: Ctx): CacheCreation | undefined {
    const m = this.src.masked;
    const open = m.indexOf('(', end);
    const close = matchParen(m, open);
    if (close < 0) return undefined;
    const stmt = Math.max(m.lastIndexOf(';', start), m.lastIndexOf('{', start), m.lastIndexOf('}', start)) + 1;
    const island = this.island(stmt, close + 1);
    const call = island ? callAt(island, start, end) : undefined;
    if (!call) return undefined;
    return this.readCall(call, ctx ?? this.ctxFromFacts(start));
  }

  private readCall(call: SyntaxNode, ctx: Ctx, inMacro?: string): CacheCreation | undefined {
    const fnNode = call.childForFieldName('function')!;
    const api = fnNode.text;
    if (ctx.fn && API_IMPLEMENTATION.has(ctx.fn) && (!GENERIC_NAMES.has(ctx.fn) || SLAB_FILE.test(this.facts.path))) return undefined;
    const argList = call.childForFieldName('arguments');
    if (!argList) return undefined;
    const args = this.argsOf(argList);
    const src = this.src;
    const base = { api, at: src.span(call.startIndex, call.endIndex), nameAt: src.span(fnNode.startIndex, fnNode.endIndex), inFunction: ctx.fn ?? inMacro };
    const none: CtorRef = { kind: 'none' };
    const ctorOf = (a: Arg | undefined): CtorRef => (a ? this.classify(a, ctx) : none);
    let c: CacheCreation | undefined;
    if (api === 'KMEM_CACHE' || api === 'KMEM_CACHE_USERCOPY') {
      if (args.length < 2) return undefined;
      c = { ...base, form: 'macro', name: args[0].text, size: `sizeof(struct ${args[0].text})`, flags: args[1].text, ctor: none, dtor: none };
    } else if (api === 'kmem_cache_create_usercopy') {
      if (args.length !== 7) return undefined;
      c = { ...base, form: 'usercopy7', name: args[0].text, size: args[1].text, align: args[2].text, flags: args[3].text, ctor: ctorOf(args[6]), dtor: none };
    } else if (api === 'kmem_cache_create_rcu') {
      if (args.length !== 4) return undefined;
      c = { ...base, form: 'args', name: args[0].text, size: args[1].text, flags: args[3].text, ctor: none, dtor: none };
    } else if ((api === 'kmem_cache_create' || api === '__kmem_cache_create') && args.length === 5) {
      c = { ...base, form: 'legacy5', name: args[0].text, size: args[1].text, align: args[2].text, flags: args[3].text, ctor: ctorOf(args[4]), dtor: none };
    } else if ((api === 'kmem_cache_create' || api === '__kmem_cache_create_args') && args.length === 4) {
      c = { ...base, form: 'args', name: args[0].text, size: args[1].text, flags: args[3].text, ctor: none, dtor: none };
      this.readArgs(c, args[2], ctx, 0);
    }
    const to = c && assignedTo(call, this.src);
    if (c && to) c.assignedTo = to;
    return c;
  }

  // ---- arguments ----

  /**
   * The arguments of an argument_list, split at its comma tokens. An `#if`/`#ifdef` inside the
   * list comes out as ERROR nodes around the directives: the first branch is read, an
   * `#else`/`#elif` branch skipped (its commas too) up to the `#endif`.
   */
  private argsOf(list: SyntaxNode): Arg[] {
    const groups: SyntaxNode[][] = [[]];
    let skip = false;
    // One `children` call: node-tree-sitter marshals each child(i) separately.
    for (const c of list.children) {
      const t = c.type;
      if (t === '(' || t === ')' || t === 'comment') continue;
      const directive = t === 'ERROR' || t.startsWith('preproc_') ? /^#\s*(\w+)/.exec(this.src.text.slice(c.startIndex, c.endIndex)) : null;
      if (directive) {
        const d = directive[1];
        if (d === 'else' || d.startsWith('elif')) skip = true;
        else if (d === 'endif') skip = false;
        continue;
      }
      if (skip) continue;
      if (t === ',') groups.push([]);
      else groups[groups.length - 1].push(c);
    }
    if (groups.length === 1 && groups[0].length === 0) return [];
    return groups.map((g) => {
      if (!g.length) return { start: list.endIndex, end: list.endIndex, text: '' };
      const start = g[0].startIndex;
      const end = g[g.length - 1].endIndex;
      return { node: g.length === 1 ? g[0] : undefined, start, end, text: this.textOf(start, end) };
    });
  }

  private argOf(n: SyntaxNode): Arg {
    return { node: n, start: n.startIndex, end: n.endIndex, text: this.textOf(n.startIndex, n.endIndex) };
  }

  /** Original text (not the parser's annotation-blanked copy), whitespace and line continuations collapsed. */
  private textOf(start: number, end: number): string {
    return this.src.text.slice(start, end).replace(/\\\r?\n/g, ' ').replace(/\s+/g, ' ').trim();
  }

  // ---- ctor / dtor values ----

  private classify(a: Arg, ctx: Ctx): CtorRef {
    const at = this.src.span(a.start, a.end);
    if (!a.node) return { kind: 'indirect', expr: a.text, why: 'an expression', at, how: 'expression' };
    const { inner, addr } = strip(a.node);
    if (isNull(inner)) return { kind: 'none' };
    const expr = a.text;
    switch (inner.type) {
      case 'identifier':
        return this.classifyName(inner.text, expr, at, addr, ctx);
      case 'conditional_expression': {
        const names: string[] = [];
        this.branchNames(inner, ctx, names);
        const ref: CtorRef = { kind: 'indirect', expr, why: 'a conditional expression', at, how: 'conditional' };
        if (names.length) ref.candidates = names;
        return ref;
      }
      case 'field_expression':
      case 'subscript_expression': {
        const ref: CtorRef = { kind: 'indirect', expr, why: inner.type === 'field_expression' ? 'a structure field' : 'a table entry', at, how: 'table-field' };
        // `info->ctor` over a static table: the functions the file's initialisers put in that field.
        const field = inner.type === 'field_expression' ? inner.childForFieldName('field')?.text : undefined;
        const found = field ? this.initialisedIn(field) : [];
        if (found.length) ref.candidates = found;
        return ref;
      }
      case 'call_expression': {
        const callee = inner.childForFieldName('function');
        return { kind: 'indirect', expr, why: callee ? `chosen by a call to ${this.textOf(callee.startIndex, callee.endIndex)}()` : 'an expression', at, how: 'selector' };
      }
      default:
        return { kind: 'indirect', expr, why: 'an expression', at, how: 'expression' };
    }
  }

  private classifyName(name: string, expr: string, at: Span, addr: boolean, ctx: Ctx): CtorRef {
    const bound = ctx.bind?.get(name);
    if (bound) {
      // A parameter of the macro that produced the kmem_cache_args: what the call passed for it.
      const r = this.classify(bound.arg, bound.ctx);
      const via = ctx.via!;
      if (r.kind === 'function') return { ...r, how: 'macro-argument', expr: via.expr };
      if (r.kind === 'indirect') return { ...r, why: `${r.why}, through macro ${via.macro}()` };
      return r;
    }
    if (ctx.params.has(name)) return { kind: 'indirect', expr: name, why: `parameter '${name}' of ${ctx.fn}()`, at, how: 'parameter' };
    if (ctx.macroParams?.has(name)) return { kind: 'indirect', expr: name, why: `argument of macro ${ctx.macro}`, at, how: 'macro-argument' };
    const local = this.localOf(name, ctx);
    if (local) {
      const ref: CtorRef = { kind: 'indirect', expr: name, why: `local ${local.fnPointer ? 'function pointer' : 'variable'} '${name}' in ${ctx.fn}()`, at, how: 'local' };
      const names: string[] = [];
      for (const v of local.values) this.valueNames(v, ctx, names, name);
      if (names.length) ref.candidates = names;
      return ref;
    }
    const ref: CtorRef = { kind: 'function', name, at, how: addr ? 'address-of' : 'direct' };
    if (expr !== name) ref.expr = expr;
    return ref;
  }

  /** Function names in the branches of `c ? f : g` (nested conditionals, `&`, parentheses, casts; NULL left out). */
  private branchNames(cond: SyntaxNode, ctx: Ctx, out: string[]): void {
    for (const f of ['consequence', 'alternative']) {
      const b = cond.childForFieldName(f);
      if (b) this.valueNames(b, ctx, out);
    }
  }

  private valueNames(v: SyntaxNode, ctx: Ctx, out: string[], self?: string): void {
    const { inner } = strip(v);
    if (inner.type === 'conditional_expression') this.branchNames(inner, ctx, out);
    else if (inner.type === 'identifier' && !isNull(inner) && inner.text !== self) {
      const b = ctx.bind?.get(inner.text);
      if (b) {
        if (b.arg.node) this.valueNames(b.arg.node, b.ctx, out);
      } else if (!out.includes(inner.text)) out.push(inner.text);
    }
  }

  /** The functions the file's designated initialisers put in `.field` (`{ .ctor = w_ctor }`). */
  private initialisedIn(field: string): string[] {
    const out: string[] = [];
    for (const off of tokens(this.src.masked, field)) {
      const n = this.nodeAt(off, off + field.length);
      const v = n ? designatedValue(n) : undefined;
      if (!v) continue;
      const { inner } = strip(v);
      if (inner.type === 'identifier' && !isNull(inner) && !out.includes(inner.text)) out.push(inner.text);
    }
    return out;
  }

  /** A local variable `name` of the creating function: whether it is a function pointer, and the values given to it. */
  private localOf(name: string, ctx: Ctx): { fnPointer: boolean; values: SyntaxNode[] } | undefined {
    if (!ctx.body) return undefined;
    let found: { fnPointer: boolean; values: SyntaxNode[] } | undefined;
    const values: SyntaxNode[] = [];
    for (const off of tokens(this.src.masked, name, ctx.body[0], ctx.body[1])) {
      const n = this.nodeAt(off, off + name.length);
      if (!n || n.type !== 'identifier') continue;
      const d = declarationOf(n);
      if (d) {
        const info = declaratorName(d.declarator);
        found = { fnPointer: info.pointer && info.isFunction, values };
        const v = d.declarator.type === 'init_declarator' ? d.declarator.childForFieldName('value') : null;
        if (v) values.push(v);
        continue;
      }
      const p = n.parent;
      if (p && p.type === 'assignment_expression' && sameNode(p.childForFieldName('left'), n)) {
        const v = p.childForFieldName('right');
        if (v) values.push(v);
      }
    }
    return found;
  }

  // ---- struct kmem_cache_args ----

  /** Fill ctor/dtor/align from the kmem_cache_args argument; what cannot be read becomes an indirect ctor. */
  private readArgs(c: CacheCreation, a: Arg, ctx: Ctx, depth: number): void {
    const at = this.src.span(a.start, a.end);
    const indirect = (how: CtorHow, why: string) => {
      c.ctor = { kind: 'indirect', expr: a.text, why, at, how };
    };
    if (!a.node) return indirect('args-expression', 'kmem_cache_args passed as an expression');
    const { inner, addr } = strip(a.node);
    if (isNull(inner)) return;
    if (inner.type === 'compound_literal_expression' && /\bkmem_cache_args\b/.test(inner.childForFieldName('type')?.text ?? '')) {
      const list = inner.childForFieldName('value');
      if (!list) return;
      this.readInitializer(c, list, ctx);
      if (!ctx.via) c.argsAt = this.src.span(list.startIndex, list.endIndex);
      return;
    }
    if (inner.type === 'identifier') {
      const name = inner.text;
      const bound = ctx.bind?.get(name);
      if (bound && depth < 4) return this.readArgs(c, bound.arg, bound.ctx, depth + 1);
      if (ctx.params.has(name)) return indirect('args-parameter', `kmem_cache_args come from parameter '${name}' of ${ctx.fn}()`);
      if (ctx.macroParams?.has(name)) return indirect('macro-argument', `kmem_cache_args are argument '${name}' of macro ${ctx.macro}`);
      const macro = this.macroDef(name, ctx.callAt);
      if (macro && depth < 4) return this.expandArgsMacro(c, a, macro, [], ctx, depth);
      if (this.readArgsVariable(c, name, addr, ctx, depth)) return;
      if (/^[A-Z_][A-Z0-9_]*$/.test(name)) return indirect('macro-argument', `kmem_cache_args from macro ${name}, which is not defined in this file`);
      return indirect('args-expression', addr ? `kmem_cache_args variable '${name}' is not defined in this file` : `kmem_cache_args pointer '${name}'`);
    }
    if (inner.type === 'call_expression' && !addr) {
      const callee = inner.childForFieldName('function');
      const list = inner.childForFieldName('arguments');
      if (callee?.type === 'identifier' && list) {
        const name = callee.text;
        const macro = this.macroDef(name, ctx.callAt);
        if (macro && macro.type === 'preproc_function_def' && depth < 4) return this.expandArgsMacro(c, a, macro, this.argsOf(list), ctx, depth);
        if (/^[A-Z_][A-Z0-9_]*$/.test(name)) return indirect('macro-argument', `kmem_cache_args from macro ${name}(), which is not defined in this file`);
        return indirect('args-expression', `kmem_cache_args returned by ${name}()`);
      }
    }
    return indirect('args-expression', 'kmem_cache_args passed as an expression');
  }

  /** A macro of this file that produces the kmem_cache_args: its body parsed, its parameters bound to `actual`. */
  private expandArgsMacro(c: CacheCreation, a: Arg, def: SyntaxNode, actual: Arg[], ctx: Ctx, depth: number): void {
    const name = def.childForFieldName('name')!.text;
    const value = def.childForFieldName('value');
    const island = value ? this.island(value.startIndex, value.endIndex, true) : undefined;
    const expr = island ? islandExpression(island) : undefined;
    if (!expr) {
      c.ctor = { kind: 'indirect', expr: a.text, why: `kmem_cache_args from macro ${name}, whose body could not be read`, at: this.src.span(a.start, a.end), how: 'macro-argument' };
      return;
    }
    const bind = new Map<string, { arg: Arg; ctx: Ctx }>();
    macroParams(def).forEach((p, i) => {
      if (actual[i]) bind.set(p, { arg: actual[i], ctx });
    });
    const inner: Ctx = { ...ctx, bind, via: { macro: name, expr: a.text } };
    this.readArgs(c, this.argOf(expr), inner, depth + 1);
  }

  /**
   * `&args`: the variable's initialiser (the creating function's own declaration first, then one at
   * file scope), then `args.ctor = f;` assignments (and `args = (struct kmem_cache_args){...}`)
   * before the call, in order. False when the file neither declares nor assigns it.
   */
  private readArgsVariable(c: CacheCreation, name: string, addr: boolean, ctx: Ctx, depth: number): boolean {
    const m = this.src.masked;
    const inBody = (off: number) => !!ctx.body && ctx.body[0] <= off && off < ctx.body[1];
    let decl: { declaration: SyntaxNode; declarator: SyntaxNode; local: boolean } | undefined;
    const sets: { off: number; field?: string; value: SyntaxNode }[] = [];
    for (const off of tokens(m, name)) {
      const n = this.nodeAt(off, off + name.length);
      if (!n || n.type !== 'identifier') continue;
      const d = declarationOf(n);
      if (d) {
        if (!/\bkmem_cache_args\b/.test(d.declaration.childForFieldName('type')?.text ?? '')) continue;
        const local = inBody(off);
        // The function's own declaration wins (the last before the call); else the first at file scope.
        // Another function's local of the same name is not this one.
        if (!local && !atFileScope(d.declaration)) continue;
        if (local ? off < ctx.callAt || !decl?.local : !decl) decl = { ...d, local };
        continue;
      }
      const p = n.parent;
      if (!p) continue;
      if (p.type === 'field_expression' && sameNode(p.childForFieldName('argument'), n)) {
        const field = p.childForFieldName('field')?.text;
        const asg = p.parent;
        if (field && asg?.type === 'assignment_expression' && sameNode(asg.childForFieldName('left'), p) && asg.childForFieldName('operator')?.text === '=') {
          const v = asg.childForFieldName('right');
          if (v) sets.push({ off, field, value: v });
        }
      } else if (p.type === 'assignment_expression' && sameNode(p.childForFieldName('left'), n) && p.childForFieldName('operator')?.text === '=') {
        const v = p.childForFieldName('right');
        if (v) sets.push({ off, value: v });
      }
    }
    // Assignments in the creating function before the call; for a file-scope variable, anywhere before it in the file.
    const scoped = (decl && !decl.local ? sets : sets.filter((s) => inBody(s.off))).filter((s) => s.off < ctx.callAt);
    if (!decl && !scoped.length) return false;
    // A pointer to kmem_cache_args: what it was set to (`struct kmem_cache_args *a = &local;`).
    if (decl && !addr && declaratorName(decl.declarator).pointer) {
      const v = decl.declarator.type === 'init_declarator' ? decl.declarator.childForFieldName('value') : null;
      if (v && depth < 4) this.readArgs(c, this.argOf(v), ctx, depth + 1);
      else c.ctor = { kind: 'indirect', expr: name, why: `kmem_cache_args pointer '${name}'`, at: this.src.span(decl.declarator.startIndex, decl.declarator.endIndex), how: 'args-expression' };
      return true;
    }
    if (decl) {
      const v = decl.declarator.type === 'init_declarator' ? decl.declarator.childForFieldName('value') : null;
      if (v && v.type === 'initializer_list') {
        this.readInitializer(c, v, ctx);
        if (!ctx.via) {
          const type = decl.declaration.childForFieldName('type') ?? decl.declarator;
          c.argsAt = this.src.span(type.startIndex, decl.declarator.endIndex);
        }
      }
    }
    for (const s of scoped) {
      if (s.field) this.setField(c, s.field, s.value, ctx);
      else {
        const { inner } = strip(s.value);
        if (inner.type === 'compound_literal_expression') {
          const list = inner.childForFieldName('value');
          if (list) {
            c.ctor = { kind: 'none' };
            c.dtor = { kind: 'none' };
            this.readInitializer(c, list, ctx);
          }
        }
      }
    }
    return true;
  }

  /**
   * `.ctor = f, .dtor = g, .align = 64` in any order. An `#ifdef` inside the braces comes out as
   * ERROR nodes (the first designator after it glued into `CONFIG_X.ctor = f`): the first
   * branch is read; an `#else`/`#elif` branch gives only the fields an earlier branch of the
   * same `#if` did not set (`#ifdef X` with no `.dtor`, `#else .dtor = f`: the dtor is f).
   */
  private readInitializer(c: CacheCreation, list: SyntaxNode, ctx: Ctx): void {
    let alt = false;
    let setInGroup = new Set<string>();
    let prev: SyntaxNode | undefined;
    for (const e of list.children) {
      const before = prev;
      prev = e;
      if (e.type === 'ERROR') {
        const d = /^#\s*(\w+)/.exec(this.src.text.slice(e.startIndex, e.endIndex));
        if (d && (d[1] === 'else' || d[1].startsWith('elif'))) alt = true;
        else if (d && d[1] === 'endif') alt = false;
        else if (d && d[1].startsWith('if')) setInGroup = new Set();
        continue;
      }
      let field: string | undefined;
      let value: SyntaxNode | null = null;
      if (e.type === 'initializer_pair') {
        const designators = e.childrenForFieldName('designator');
        if (designators.length === 1 && designators[0].type === 'field_designator') field = designators[0].namedChild(0)?.text;
        value = e.childForFieldName('value');
      } else if (e.type === 'assignment_expression' && before?.type === 'ERROR') {
        const left = e.childForFieldName('left');
        if (left?.type === 'field_expression' && left.childForFieldName('operator')?.text === '.') field = left.childForFieldName('field')?.text;
        value = e.childForFieldName('right');
      }
      if (!field || !value || (alt && setInGroup.has(field))) continue;
      setInGroup.add(field);
      this.setField(c, field, value, ctx);
    }
  }

  private setField(c: CacheCreation, field: string, v: SyntaxNode, ctx: Ctx): void {
    if (field === 'align') {
      // `.align = (a)` in a macro body: what the call passed for `a`.
      let n = v;
      while (n.type === 'parenthesized_expression' && n.namedChildCount === 1) n = n.namedChild(0)!;
      const bound = n.type === 'identifier' ? ctx.bind?.get(n.text) : undefined;
      c.align = bound ? bound.arg.text : this.textOf(v.startIndex, v.endIndex);
    }
    else if (field === 'ctor') c.ctor = this.classify(this.argOf(v), ctx);
    else if (field === 'dtor') c.dtor = this.classify(this.argOf(v), ctx);
  }

  /** `#define name...` of this file: the nearest one before `before`, else the first. */
  private macroDef(name: string, before: number): SyntaxNode | undefined {
    let best: SyntaxNode | undefined;
    for (const off of tokens(this.src.masked, name)) {
      const n = this.nodeAt(off, off + name.length);
      const p = n?.parent;
      if (!p || (p.type !== 'preproc_function_def' && p.type !== 'preproc_def') || !sameNode(p.childForFieldName('name'), n!)) continue;
      if (!best || off < before) best = p;
      if (off > before) break;
    }
    return best;
  }

  // ---- scopes and trees ----

  /** The function around a node of a tree, from the tree; from the facts when no function node encloses it. */
  private ctxOf(node: SyntaxNode): Ctx {
    for (let p = node.parent; p; p = p.parent) {
      if (p.type !== 'function_definition') continue;
      const decl = p.childForFieldName('declarator');
      const name = decl ? declaratorName(decl).name : undefined;
      const params = new Set<string>();
      const fd = decl ? functionDeclarator(decl) : undefined;
      const plist = fd?.childForFieldName('parameters');
      if (plist) for (const q of plist.namedChildren) {
        const d = q.type === 'parameter_declaration' ? q.childForFieldName('declarator') : null;
        const n = d ? declaratorName(d).name : undefined;
        if (n) params.add(n);
      }
      const body = p.childForFieldName('body') ?? p;
      return { fn: name, params, body: [body.startIndex, body.endIndex], callAt: node.startIndex };
    }
    return this.ctxFromFacts(node.startIndex);
  }

  private ctxFromFacts(offset: number): Ctx {
    const fn = enclosingFunction(this.facts.functions, this.src, offset);
    if (!fn) return { params: new Set(), callAt: offset };
    return { fn: fn.name, params: new Set(fn.params.map((p) => p.name)), body: [offsetOf(this.src, fn.at[0], fn.at[1]), offsetOf(this.src, fn.at[2], fn.at[3])], callAt: offset };
  }

  /** The smallest node at [start, end): in a re-parsed function when one covers it, else in the file's tree. */
  private nodeAt(start: number, end: number): SyntaxNode | undefined {
    for (const f of this.recoveredFns) if (f.startIndex <= start && end <= f.endIndex) return f.descendantForIndex(start, end);
    return this.root.descendantForIndex(start, end) ?? undefined;
  }

  /**
   * Parse text[start, end) alone as the body of a function, every offset kept: the wrapper
   * `void _(){` takes the place of the 9 characters before it and `;}` of the 2 after, in a copy.
   * In the copy, same length: `offsetof` is spelled `offsetoF` so `offsetof(struct s, a.b)` parses as
   * an ordinary call, and in a macro body line continuations are blanked and `#x`, `a##b` become
   * identifiers (`_x`, `a__b`). Node texts are never read from the copy (textOf reads the original).
   */
  private island(start: number, end: number, macroBody = false): Island {
    const key = `${start}:${end}`;
    const cached = this.islands.get(key);
    if (cached !== undefined) return cached;
    let root: Island = null;
    const OPEN = 'void _(){';
    const CLOSE = ';}';
    if (start >= OPEN.length) {
      const t = this.src.text;
      let body = t.slice(start, end).replace(/\boffsetof(?=\s*\()/g, 'offsetoF');
      if (macroBody) body = body.replace(/\\(?=\r?\n)/g, ' ').replace(/##/g, '__').replace(/#(?=\s*[A-Za-z_])/g, '_');
      const copy = t.slice(0, start - OPEN.length) + OPEN + body + CLOSE + t.slice(end + CLOSE.length);
      const tree = parseC(copy, undefined, [[start - OPEN.length, end + CLOSE.length]]);
      this.islandTrees.push(tree);
      root = tree.rootNode;
    }
    this.islands.set(key, root);
    return root;
  }
}

// ---- node helpers ----

function collapse(n: SyntaxNode, src: SourceMap): string {
  return src.text.slice(n.startIndex, n.endIndex).replace(/\s+/g, ' ').trim();
}

function sameNode(a: SyntaxNode | null | undefined, b: SyntaxNode): boolean {
  return !!a && a.startIndex === b.startIndex && a.endIndex === b.endIndex && a.type === b.type;
}

function hasErrorAncestor(n: SyntaxNode): boolean {
  for (let p = n.parent; p; p = p.parent) if (p.type === 'ERROR') return true;
  return false;
}

/** Through parentheses, casts and `&`: the value itself, and whether its address was taken. */
function strip(n: SyntaxNode): { inner: SyntaxNode; addr: boolean } {
  let addr = false;
  for (let guard = 0; guard < 16; guard++) {
    if (n.type === 'parenthesized_expression') {
      const c = n.namedChildren.filter((x) => x.type !== 'comment');
      if (c.length !== 1) break;
      n = c[0];
    } else if (n.type === 'cast_expression') {
      const v = n.childForFieldName('value');
      if (!v) break;
      n = v;
    } else if (n.type === 'pointer_expression' && n.childForFieldName('operator')?.text === '&') {
      const v = n.childForFieldName('argument');
      if (!v) break;
      addr = true;
      n = v;
    } else break;
  }
  return { inner: n, addr };
}

function isNull(n: SyntaxNode): boolean {
  return (n.type === 'identifier' && n.text === 'NULL') || (n.type === 'number_literal' && /^0[uUlL]*$/.test(n.text)) || n.type === 'null';
}

/** The call whose function is the identifier at [start, end) of an island tree. */
function callAt(root: SyntaxNode, start: number, end: number): SyntaxNode | undefined {
  const n = root.descendantForIndex(start, end);
  const call = n?.parent;
  if (n && n.type === 'identifier' && call?.type === 'call_expression' && sameNode(call.childForFieldName('function'), n)) return call;
  return undefined;
}

/** The expression a macro body island holds: `void _(){ (&(struct kmem_cache_args){...}) ;}`. */
function islandExpression(root: SyntaxNode): SyntaxNode | undefined {
  const fn = root.namedChildren.find((c) => c.type === 'function_definition');
  const body = fn?.childForFieldName('body');
  const stmts = body?.namedChildren.filter((c) => c.type !== 'comment') ?? [];
  if (stmts.length !== 1 || stmts[0].type !== 'expression_statement') return undefined;
  const e = stmts[0].namedChildren.filter((c) => c.type !== 'comment');
  return e.length === 1 ? e[0] : undefined;
}

function macroParams(def: SyntaxNode): string[] {
  const ps = def.childForFieldName('parameters');
  return ps ? ps.namedChildren.filter((p) => p.type === 'identifier').map((p) => p.text) : [];
}

function functionDeclarator(d: SyntaxNode): SyntaxNode | undefined {
  let n: SyntaxNode | null = d;
  for (let guard = 0; n && guard < 12; guard++) {
    if (n.type === 'function_declarator') return n;
    n = n.childForFieldName('declarator');
  }
  return undefined;
}

const DECLARATOR_TYPES = new Set(['pointer_declarator', 'parenthesized_declarator', 'function_declarator', 'array_declarator', 'attributed_declarator', 'init_declarator']);

/** When `id` is the name a declaration declares: that declaration and the declarator (init_declarator included). */
function declarationOf(id: SyntaxNode): { declaration: SyntaxNode; declarator: SyntaxNode } | undefined {
  let n = id;
  let p = n.parent;
  while (p && DECLARATOR_TYPES.has(p.type)) {
    // Only through the declarator chain: not the `= value` of an init_declarator nor a parameter list.
    const d = p.childForFieldName('declarator') ?? (p.type === 'parenthesized_declarator' || p.type === 'attributed_declarator' ? p.namedChild(0) : null);
    if (!sameNode(d, n)) return undefined;
    n = p;
    p = p.parent;
  }
  if (!p || p.type !== 'declaration') return undefined;
  return { declaration: p, declarator: n };
}

/** A declaration outside every function body (translation unit, #if branches, extern "C"). */
function atFileScope(decl: SyntaxNode): boolean {
  for (let p = decl.parent; p; p = p.parent) if (p.type === 'compound_statement' || p.type === 'function_definition') return false;
  return true;
}

/** The value a designated initialiser gives `.field` (`{ .ctor = f }`; `CONFIG_X.ctor = f` when an #ifdef split the list). */
function designatedValue(n: SyntaxNode): SyntaxNode | undefined {
  if (n.type !== 'field_identifier') return undefined;
  const p = n.parent;
  if (p?.type === 'field_designator') {
    const pair = p.parent;
    return pair?.type === 'initializer_pair' ? pair.childForFieldName('value') ?? undefined : undefined;
  }
  if (p?.type === 'field_expression' && p.parent?.type === 'assignment_expression' && p.parent.parent?.type === 'initializer_list') {
    return p.parent.childForFieldName('right') ?? undefined;
  }
  return undefined;
}

/** The lvalue the call's result is stored in: `x = `, `s->cache = `, `struct kmem_cache *c = `, through parentheses and casts. */
function assignedTo(call: SyntaxNode, src: SourceMap): string | undefined {
  let n = call;
  let p = n.parent;
  while (p && (p.type === 'parenthesized_expression' || p.type === 'cast_expression')) {
    n = p;
    p = p.parent;
  }
  if (!p) return undefined;
  if (p.type === 'assignment_expression' && sameNode(p.childForFieldName('right'), n) && p.childForFieldName('operator')?.text === '=') {
    let left = p.childForFieldName('left');
    // `*pkc = kmem_cache_create(...)`: the pointer the cache is stored through, as the text reading gave.
    if (left?.type === 'pointer_expression' && left.childForFieldName('operator')?.text === '*') left = left.childForFieldName('argument');
    return left && isPlainLvalue(left) ? collapse(left, src) : undefined;
  }
  if (p.type === 'init_declarator' && sameNode(p.childForFieldName('value'), n)) return declaratorName(p).name;
  return undefined;
}

/** `x`, `s->cache`, `caches[i].c`: the shapes an allocation site can name again. */
function isPlainLvalue(n: SyntaxNode): boolean {
  if (n.type === 'identifier') return true;
  if (n.type === 'field_expression' || n.type === 'subscript_expression') {
    const a = n.childForFieldName('argument');
    return !!a && isPlainLvalue(a);
  }
  return false;
}

/** Offsets of the identifier `name` in masked text, within [from, to). */
function* tokens(masked: string, name: string, from = 0, to = masked.length): Generator<number> {
  const isWord = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
  let i = masked.indexOf(name, from);
  while (i >= 0 && i < to) {
    if (!isWord(masked.charCodeAt(i - 1)) && !isWord(masked.charCodeAt(i + name.length))) yield i;
    i = masked.indexOf(name, i + name.length);
  }
}

function offsetOf(src: SourceMap, line: number, col: number): number {
  return (src.starts[line] ?? src.text.length) + col;
}

function enclosingFunction(fns: FunctionFacts[], src: SourceMap, offset: number): FunctionFacts | undefined {
  let best: FunctionFacts | undefined;
  for (const f of fns) {
    if (f.macro) continue;
    const s = offsetOf(src, f.at[0], f.at[1]);
    const e = offsetOf(src, f.at[2], f.at[3]);
    if (s <= offset && offset < e && (!best || s > offsetOf(src, best.at[0], best.at[1]))) best = f;
  }
  return best;
}
