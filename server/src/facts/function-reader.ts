/**
 * One function body -> its events (lock, unlock, alloc, free, call) in source
 * order, each with the locks certainly held at that point, plus lock-balance
 * problems found on some path.
 *
 * The walk is a small abstract interpretation over statements. The state is
 * the stack of held locks (and interrupt-disable depth); a program point keeps
 * a set of states, one per distinct path shape (capped), so `if` branches,
 * early returns, `goto err` unwinding, loops and switch are followed without
 * enumerating paths. "Held" for an event is what every state holds (must-held),
 * which keeps lock-graph edges free of path-merging noise.
 */
import type { SyntaxNode } from '../parse/parser';
import { ALLOCATORS, FREES } from '../kb/allocators';
import { KERNEL_FUNCTIONS, OPAQUE_PREFIXES } from '../kb/kernel-functions';
import { declaredLockOp, DeclaredPrimitive, GUARD_CLASSES, IRQ_OFF, IRQ_ON, LOCK_INITIALISERS, LOCK_OPS, LockOp } from '../kb/locks';
import type { SourceMap } from './extract';
import { declaratorName } from './extract';
import { lockRef, normalizeLockText, TypeScope } from './lock-ref';
import { argRef, textLocals, unparen, VAR_PATH } from './arg-ref';
import { markResults, ResultSite, resultSite } from './result-use';
import { matchParen, scanCalls, splitArgs } from '../parse/text-scan';
import type { ArgRef, FnEvent, FunctionFacts, Imbalance, LockArg, LockRef, Span } from './types';

/**
 * What an accessor macro yields, for lock paths through it (`unix_sk(s)->lock`): its body is a
 * cast `((struct foo *)(x))` or `container_of(x, struct foo, member)`. Otherwise nothing.
 */
export function macroReturns(body: string): string {
  const b = unparen(body.replace(/\\\n/g, ' '));
  const cast = /^\(\s*((?:const\s+)?struct\s+[A-Za-z_]\w*)\s*\*\s*\)/.exec(b);
  if (cast) return `${cast[1].replace(/^const\s+/, '')} *`;
  const co = /^container_of(?:_const)?\s*\([^,]*,\s*(struct\s+[A-Za-z_]\w*)\s*,/.exec(b);
  return co ? `${co[1]} *` : '';
}

/** A lock object's type (`spinlock_t *l`, `struct mutex *m`): a variable that is passed as a lock. */
const LOCK_TYPE_RE = /\b(?:spinlock_t|raw_spinlock_t|rwlock_t|seqlock_t|local_lock_t|struct\s+(?:mutex|rw_semaphore|semaphore))\b/;

interface St {
  held: number[];
  /** Locks held by guard()/scoped_guard(): released at scope end, never leaks. */
  guards: number[];
  irq: number;
}

const MAX_STATES = 8;
/** Anything that can change what is held: lock primitives, guards, IRQ/BH toggles. */
export const LOCKISH = /\b(?:spin_|raw_spin_|read_|write_|mutex_|down|up\b|up_|local_lock|local_unlock|local_irq|local_bh|raw_local_irq|bit_spin|__bit_spin|guard|scoped_guard|scoped_cond_guard)/;
/**
 * `.slabcheck.json` `lockPrimitives`, for the extraction under way (extractFacts sets them and
 * clears them after): a declared primitive is read like a built-in one, so trylocks in
 * conditions, early returns and gotos hold for it too. The facts then depend on the
 * declarations, and every facts cache key includes them (engine/tasks.ts primitivesKey).
 */
let declaredOps: Record<string, LockOp> | undefined;
let lockishRe = LOCKISH;

export function setDeclaredPrimitives(table: Record<string, DeclaredPrimitive> | undefined): void {
  const names = Object.keys(table ?? {});
  if (!names.length) {
    declaredOps = undefined;
    lockishRe = LOCKISH;
    return;
  }
  declaredOps = {};
  for (const n of names) declaredOps[n] = declaredLockOp(table![n]);
  lockishRe = new RegExp(`${LOCKISH.source}|\\b(?:${names.join('|')})\\b`);
}

/** The lock operation a call is: a built-in primitive, or one declared in `.slabcheck.json`. */
export function lockOpOf(name: string): LockOp | undefined {
  return LOCK_OPS[name] ?? declaredOps?.[name];
}

/** Whether text may change what is held (LOCKISH, or a declared primitive's name). */
export function lockishPattern(): RegExp {
  return lockishRe;
}

/** Most events hold nothing: share one empty array. */
const NONE: number[] = [];

function key(s: St): string {
  return `${s.held.join(',')}|${s.guards.join(',')}|${s.irq}`;
}

function dedupe(states: St[]): St[] {
  const seen = new Map<string, St>();
  for (const s of states) seen.set(key(s), s);
  let out = [...seen.values()];
  if (out.length > MAX_STATES) out = [intersect(out)];
  return out;
}

function intersect(states: St[]): St {
  if (states.length === 0) return { held: [], guards: [], irq: 0 };
  let held = states[0].held;
  let guards = states[0].guards;
  let irq = states[0].irq;
  for (const s of states.slice(1)) {
    held = held.filter((h) => s.held.includes(h));
    guards = guards.filter((g) => s.guards.includes(g));
    irq = Math.min(irq, s.irq);
  }
  return { held: [...held], guards: [...guards], irq };
}

function clone(s: St): St {
  return { held: [...s.held], guards: [...s.guards], irq: s.irq };
}

interface LoopCtx {
  breaks: St[];
  continues: St[];
}

export class FunctionReader {
  private locks: LockRef[] = [];
  private lockIdx = new Map<string, number>();
  private lockTakenAt = new Map<number, Span>();
  private events: FnEvent[] = [];
  private imbalances: Imbalance[] = [];
  private imbalanceKeys = new Set<string>();
  private pendingGotos = new Map<string, St[]>();
  private loops: LoopCtx[] = [];
  private locals = new Map<string, string>();
  private staticLocals = new Set<string>();
  private params: { name: string; type: string }[] = [];
  private condVars = new Map<string, number>();
  /** Allocation and call events whose result may be tested: where the call starts, the variable it is assigned to. */
  private results = new Map<FnEvent, ResultSite>();
  /** Local declarations are read only when a lock expression needs a variable's type. */
  private localsRead = false;
  private paramsNode?: SyntaxNode;
  private body: SyntaxNode | null = null;
  private scope: TypeScope;

  constructor(
    private node: SyntaxNode,
    private src: SourceMap,
    private globalScope: TypeScope,
    private priorFns: FunctionFacts[],
    /**
     * Read the parameter list only when a lock expression needs a variable's type
     * (the lock graph: a tenth of its extraction went to parameters nothing read).
     * The facts' params then list only what was read.
     */
    private lazyParams = false,
  ) {
    this.scope = (name) => {
      const p = this.paramScope(name);
      if (p) return p;
      if (!this.localsRead && this.body) {
        this.localsRead = true;
        this.readLocals(this.body);
      }
      const l = this.locals.get(name);
      if (l !== undefined) return this.staticLocals.has(name) ? { type: l, local: true, static: true } : { type: l, local: true };
      return this.globalScope(name);
    };
  }

  read(): FunctionFacts | undefined {
    const node = this.node;
    let name: string | undefined;
    let nameNode: SyntaxNode | undefined;
    let body: SyntaxNode | null;
    let returns = '';
    let isStatic = false;
    if (node.type === 'function_definition') {
      body = node.childForFieldName('body');
      const decl = node.childForFieldName('declarator');
      const fnDecl = decl ? findFunctionDeclarator(decl) : undefined;
      if (!fnDecl) return undefined;
      const id = fnDecl.childForFieldName('declarator');
      if (!id) return undefined;
      nameNode = innermostIdentifier(id);
      name = nameNode?.text;
      const params = fnDecl.childForFieldName('parameters');
      if (params) {
        if (this.lazyParams) this.paramsNode = params;
        else this.readParams(params);
      }
      const typeNode = node.childForFieldName('type');
      returns = (typeNode ? typeNode.text : '') + (decl && decl.type === 'pointer_declarator' ? ' *' : '');
      for (let c = node.firstChild; c; c = c.nextSibling) {
        if (c.type === 'storage_class_specifier' && c.text === 'static') isStatic = true;
      }
    } else {
      // A compound statement recovered from an ERROR node: read the header from the text before it.
      body = node;
      const from = Math.max(0, node.startIndex - 400);
      const head = this.src.masked.slice(from, node.startIndex);
      const m = /([A-Za-z_]\w*)\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)\s*(?:__[a-z_]+(?:\([^()]*\))?\s*)*$/.exec(head);
      if (!m) return undefined;
      name = m[1];
      for (const p of splitArgs(m[2])) {
        const pm = /^(.*?)([A-Za-z_]\w*)\s*$/.exec(p);
        if (pm) this.params.push({ name: pm[2], type: pm[1].trim() });
      }
      const before = head.slice(0, m.index);
      isStatic = /\bstatic\b[^;{}]*$/.test(before);
      returns = (/([A-Za-z_][\w\s*]*?)\s*$/.exec(before)?.[1] ?? '').trim();
    }
    if (!name || !body || /^(if|while|for|switch)$/.test(name)) return undefined;
    this.body = body;
    const nameStart = nameNode ? nameNode.startIndex : body.startIndex;
    const nameEnd = nameNode ? nameNode.endIndex : body.startIndex;
    // Most kernel functions take no lock and touch no IRQ state: their events are the
    // calls in order with nothing held, so the statement walk (the costly part) is skipped.
    const start: St[] = [{ held: [], guards: [], irq: 0 }];
    const endStates = lockishRe.test(this.src.masked.slice(body.startIndex, body.endIndex))
      ? this.visit(body, start)
      : this.applyRange(body.startIndex, body.endIndex, start);
    this.checkReturn(endStates, body.endIndex - 1, body.endIndex);
    this.markChecked(body);
    const bodyText = this.src.masked.slice(body.startIndex, body.endIndex);
    const returnsError = !/^\s*(static\s+)?(inline\s+)?void\s*$/.test(returns)
      && /\breturn\s+(?:-\s*E[A-Z0-9]+|-\s*[1-9]|[A-Za-z_]*(?:err|ret|rc|error|status)[A-Za-z_0-9]*\s*;|PTR_ERR)|\breturn\b[^;{}]*[?:]\s*-\s*E[A-Z0-9]+\b/.test(bodyText);
    return {
      name,
      isStatic,
      at: this.src.span(node.startIndex, node.endIndex),
      nameAt: this.src.span(nameStart, nameEnd),
      returns: returns.replace(/\s+/g, ' ').trim(),
      params: this.params,
      locks: this.locks,
      events: this.events,
      imbalances: this.imbalances,
      returnsError,
    };
  }

  /** `#define name(args) body`: the body's calls, in order, as a function's events. */
  readMacro(): FunctionFacts | undefined {
    const node = this.node;
    const nameNode = node.childForFieldName('name');
    const value = node.childForFieldName('value');
    if (!nameNode || !value) return undefined;
    const params = node.childForFieldName('parameters');
    if (params) for (const p of params.namedChildren) if (p.type === 'identifier') this.params.push({ name: p.text, type: '' });
    const end = this.visitMacroBody(value.startIndex, value.endIndex);
    this.checkReturn([], value.endIndex, value.endIndex);
    void end;
    this.markMacroValue(value.startIndex, value.endIndex);
    return {
      name: nameNode.text, isStatic: false, at: this.src.span(node.startIndex, node.endIndex), nameAt: this.src.span(nameNode.startIndex, nameNode.endIndex),
      returns: macroReturns(this.src.masked.slice(value.startIndex, value.endIndex)), params: this.params, locks: this.locks, events: this.events, imbalances: [], returnsError: false, macro: true,
    };
  }

  /**
   * A macro whose value is one call (`#define buf_alloc(n) kzalloc(n, GFP_KERNEL)`) gives that
   * call's result to its user, like a function returning it: the user's test is the check.
   */
  private markMacroValue(start: number, end: number): void {
    const m = this.src.masked.slice(start, end);
    const call = /^[\s(]*([A-Za-z_]\w*)\s*\(/.exec(m);
    const first = this.events[0];
    if (!call || !first || (first.k !== 'alloc' && first.k !== 'call') || first.fn !== call[1]) return;
    const close = matchParen(m, call[0].length - 1);
    if (close < 0 || !/^[\s)\\]*$/.test(m.slice(close + 1))) return;
    first.returned = true;
    first.checked = true;
  }

  private visitMacroBody(start: number, end: number): St[] {
    return this.applyRange(start, end, [{ held: [], guards: [], irq: 0 }]);
  }

  private readParams(params: SyntaxNode): void {
    for (const p of params.namedChildren) {
      if (p.type !== 'parameter_declaration') continue;
      const t = p.childForFieldName('type');
      const d = p.childForFieldName('declarator');
      if (!t || !d) continue;
      const { name, pointer } = declaratorName(d);
      if (name) this.params.push({ name, type: t.text + (pointer ? ' *' : '') });
    }
  }

  private readLocals(body: SyntaxNode): void {
    for (const decl of body.descendantsOfType('declaration')) {
      const t = decl.childForFieldName('type');
      if (!t) continue;
      const isStatic = decl.namedChildren.some((c) => c.type === 'storage_class_specifier' && c.text === 'static');
      for (const d of decl.childrenForFieldName('declarator')) {
        const { name, pointer } = declaratorName(d);
        if (!name || this.locals.has(name)) continue;
        this.locals.set(name, t.text + (pointer ? ' *' : ''));
        if (isStatic && !pointer) this.staticLocals.add(name);
        // `spinlock_t *lock = &p->lock;` (or `= accessor(x)`), never assigned again: the lock is that expression.
        if (!pointer || !LOCK_TYPE_RE.test(t.text)) continue;
        const value = d.type === 'init_declarator' ? d.childForFieldName('value') : null;
        const rest = this.src.masked.slice((value ?? d).endIndex, body.endIndex);
        const sets = assignments(name, rest);
        // Declared without a value and set once later (`lock = &tbl->slots[i];`) is the same alias.
        if (value && !sets.length) this.aliases.set(name, this.src.masked.slice(value.startIndex, value.endIndex));
        else if (!value && sets.length === 1) this.aliases.set(name, sets[0][1]);
      }
    }
  }

  /** Local lock pointers set once from a lock expression (readLocals). */
  private aliases = new Map<string, string>();

  // ---- statements ----

  private visit(node: SyntaxNode, states: St[]): St[] {
    if (states.length === 0) {
      // Unreachable by fallthrough; a label inside may still be reached by goto.
      if (!this.containsLabel(node)) return [];
    }
    switch (node.type) {
      case 'compound_statement':
        return this.visitBlock(node, states);
      case 'if_statement':
        return this.visitIf(node, states);
      case 'else_clause': {
        const inner = node.namedChildren[0];
        return inner ? this.visit(inner, states) : states;
      }
      case 'for_statement':
      case 'while_statement':
      case 'do_statement':
        return this.visitLoop(node, states);
      case 'switch_statement':
        return this.visitSwitch(node, states);
      case 'return_statement': {
        const s = this.applyRange(node.startIndex, node.endIndex, states);
        this.checkReturn(s, node.startIndex, node.endIndex);
        return [];
      }
      case 'goto_statement': {
        const label = node.childForFieldName('label')?.text;
        if (label) this.pendingGotos.set(label, [...(this.pendingGotos.get(label) ?? []), ...states.map(clone)]);
        return [];
      }
      case 'labeled_statement': {
        const label = node.childForFieldName('label')?.text;
        const incoming = label ? this.pendingGotos.get(label) ?? [] : [];
        if (label) this.pendingGotos.delete(label);
        let s = dedupe([...states, ...incoming]);
        for (let c = node.firstChild; c; c = c.nextSibling) {
          if (c.isNamed && c.type !== 'statement_identifier') s = this.visit(c, s);
        }
        return s;
      }
      case 'break_statement':
        if (this.loops.length) this.loops[this.loops.length - 1].breaks.push(...states.map(clone));
        return [];
      case 'continue_statement':
        if (this.loops.length) this.loops[this.loops.length - 1].continues.push(...states.map(clone));
        return [];
      case 'preproc_if':
      case 'preproc_ifdef':
      case 'preproc_elif':
      case 'preproc_else':
        return this.visitPreproc(node, states);
      case 'comment':
        return states;
      default:
        return this.applyRange(node.startIndex, node.endIndex, states);
    }
  }

  private containsLabel(node: SyntaxNode): boolean {
    if (this.pendingGotos.size === 0) return false;
    for (const l of node.descendantsOfType('labeled_statement')) {
      const label = l.childForFieldName('label')?.text;
      if (label && this.pendingGotos.has(label)) return true;
    }
    return false;
  }

  private visitBlock(node: SyntaxNode, states: St[]): St[] {
    let s = states;
    const guardsHere: number[] = [];
    const children = node.namedChildren;
    for (let i = 0; i < children.length; i++) {
      const c = children[i];
      const scoped = c.type === 'expression_statement' || c.type === 'ERROR' ? this.scopedGuard(c) : undefined;
      if (scoped && i + 1 < children.length) {
        // scoped_guard(class, &lock) <statement>: held for the next statement only.
        s = this.acquireGuard(scoped, s, c);
        const inner = this.visit(children[i + 1], s);
        s = inner.map((st) => this.dropGuard(st, scoped.idx));
        i++;
        continue;
      }
      const before = this.guardCount;
      s = this.visit(c, s);
      if (this.guardCount !== before) guardsHere.push(...this.newGuards.splice(0));
    }
    // guard() locks end with the block.
    if (guardsHere.length) s = s.map((st) => guardsHere.reduce((acc, g) => this.dropGuard(acc, g), st));
    return dedupe(s);
  }

  private guardCount = 0;
  private newGuards: number[] = [];

  private scopedGuard(stmt: SyntaxNode): { idx: number; cls: string; start: number; end: number } | undefined {
    const text = this.src.masked.slice(stmt.startIndex, stmt.endIndex);
    const m = /^\s*(scoped_guard|scoped_cond_guard)\s*\(/.exec(text);
    if (!m) return undefined;
    const open = stmt.startIndex + m[0].length - 1;
    const close = matchParen(this.src.masked, open);
    if (close < 0) return undefined;
    const args = splitArgs(this.src.masked.slice(open + 1, close));
    const cls = args[0];
    const lockArg = m[1] === 'scoped_cond_guard' ? args[2] : args[1];
    if (!cls || !lockArg || !GUARD_CLASSES[cls]) return undefined;
    return { idx: this.lockIndex(lockArg), cls, start: stmt.startIndex + m[0].length - m[1].length - 1, end: close + 1 };
  }

  private acquireGuard(g: { idx: number; cls: string; start: number; end: number }, states: St[], stmt: SyntaxNode): St[] {
    const gc = GUARD_CLASSES[g.cls];
    const at = this.src.span(stmt.startIndex, g.end);
    this.pushLockEvent(g.idx, { op: 'acquire', kind: gc.kind, irq: gc.irq, read: gc.read }, at, states, true, `scoped_guard(${g.cls})`);
    return states.map((s) => ({ held: [...s.held], guards: [...s.guards, g.idx], irq: s.irq + (gc.irq !== 'none' ? 1 : 0) }));
  }

  private dropGuard(s: St, idx: number): St {
    const gi = s.guards.lastIndexOf(idx);
    if (gi < 0) return s;
    const guards = [...s.guards];
    guards.splice(gi, 1);
    return { held: s.held, guards, irq: Math.max(0, s.irq - 1 * (s.irq > 0 ? 1 : 0)) };
  }

  private visitIf(node: SyntaxNode, states: St[]): St[] {
    const cond = node.childForFieldName('condition');
    const cons = node.childForFieldName('consequence');
    const alt = node.childForFieldName('alternative');
    let thenS = states;
    let elseS = states;
    if (cond) {
      const r = this.applyCondition(cond, states);
      thenS = r.thenS;
      elseS = r.elseS;
    }
    const a = cons ? this.visit(cons, thenS) : thenS;
    const b = alt ? this.visit(alt, elseS) : elseS;
    return dedupe([...a, ...b]);
  }

  /** Calls in an if condition; a trylock there holds the lock in one branch only. */
  private applyCondition(cond: SyntaxNode, states: St[]): { thenS: St[]; elseS: St[] } {
    const m = this.src.masked;
    const calls = scanCalls(m, cond.startIndex, cond.endIndex);
    let s = states;
    let thenExtra: number | undefined;
    let elseExtra: number | undefined;
    let irqDelta = 0;
    for (const c of calls) {
      const op = lockOpOf(c.name);
      if (op && op.op === 'acquire' && op.conditional) {
        const args = splitArgs(m.slice(c.open + 1, c.close));
        const idx = this.lockIndex(args[op.lockArg ?? 0] ?? '', op);
        this.pushLockEvent(idx, op, this.src.span(c.start, c.close + 1), s, false, c.name);
        const before = m.slice(cond.startIndex, c.start);
        const negated = /!\s*(?:\(\s*)?(?:unlikely\s*\(\s*|likely\s*\(\s*)?$/.test(before);
        const successInThen = (op.conditional === 'nonzero') !== negated;
        if (successInThen) thenExtra = idx;
        else elseExtra = idx;
        irqDelta = op.irq !== 'none' ? 1 : 0;
        continue;
      }
      s = this.applyCall(c, s, cond.startIndex, true);
    }
    // `if (ret)` after `ret = mutex_lock_interruptible(...)`: the lock is not held in the then-branch.
    const condText = m.slice(cond.startIndex, cond.endIndex).replace(/\s+/g, '');
    const cv = /^\((?:unlikely\()?([A-Za-z_]\w*)(?:<0|!=0)?\)?\)$/.exec(condText);
    let thenS = s;
    if (cv && this.condVars.has(cv[1])) {
      const idx = this.condVars.get(cv[1])!;
      thenS = s.map((st) => {
        const i = st.held.lastIndexOf(idx);
        if (i < 0) return st;
        const held = [...st.held];
        held.splice(i, 1);
        return { held, guards: st.guards, irq: st.irq };
      });
    }
    const add = (list: St[], idx: number | undefined) =>
      idx === undefined ? list : list.map((st) => ({ held: [...st.held, idx], guards: st.guards, irq: st.irq + irqDelta }));
    return { thenS: add(thenS, thenExtra), elseS: add(s, elseExtra) };
  }

  private visitLoop(node: SyntaxNode, states: St[]): St[] {
    const body = node.childForFieldName('body');
    let s = states;
    // Header: everything of the loop node that is not the body.
    if (body) {
      if (node.type !== 'do_statement') s = this.applyRange(node.startIndex, body.startIndex, s);
    } else {
      return this.applyRange(node.startIndex, node.endIndex, s);
    }
    const ctx: LoopCtx = { breaks: [], continues: [] };
    this.loops.push(ctx);
    const after = this.visit(body, s);
    this.loops.pop();
    let out = [...s, ...after, ...ctx.continues];
    if (node.type === 'do_statement') out = this.applyRange(body.endIndex, node.endIndex, dedupe([...after, ...ctx.continues]));
    return dedupe([...out, ...ctx.breaks]);
  }

  private visitSwitch(node: SyntaxNode, states: St[]): St[] {
    const body = node.childForFieldName('body');
    const cond = node.childForFieldName('condition');
    let entry = cond ? this.applyRange(cond.startIndex, cond.endIndex, states) : states;
    if (!body) return entry;
    const ctx: LoopCtx = { breaks: [], continues: [] };
    this.loops.push(ctx);
    let fall: St[] = [];
    let hasDefault = false;
    for (const c of body.namedChildren) {
      if (c.type === 'case_statement') {
        if (/^\s*default\b/.test(c.text)) hasDefault = true;
        let s = dedupe([...entry, ...fall]);
        const value = c.childForFieldName('value');
        for (const st of c.namedChildren) {
          if (st === value || (value && st.startIndex === value.startIndex)) continue;
          s = this.visit(st, s);
        }
        fall = s;
      } else {
        fall = this.visit(c, dedupe([...entry, ...fall]));
      }
    }
    this.loops.pop();
    // `continue` inside a switch belongs to the enclosing loop.
    if (ctx.continues.length && this.loops.length) this.loops[this.loops.length - 1].continues.push(...ctx.continues);
    return dedupe([...fall, ...ctx.breaks, ...(hasDefault ? [] : entry)]);
  }

  private visitPreproc(node: SyntaxNode, states: St[]): St[] {
    const alt = node.childForFieldName('alternative');
    const cond = node.childForFieldName('condition');
    const dead = node.type === 'preproc_if' && cond && /^\(?\s*0\s*\)?$/.test(cond.text);
    let a: St[] = states;
    if (!dead) {
      for (let c = node.firstChild; c; c = c.nextSibling) {
        if (!c.isNamed || c === alt || c.type === 'identifier' || (cond && c.startIndex === cond.startIndex)) continue;
        if (alt && c.startIndex === alt.startIndex) continue;
        a = this.visit(c, a);
      }
    }
    const b = alt ? this.visit(alt, states) : states;
    return dead ? b : dedupe([...a, ...b]);
  }

  // ---- calls ----

  private applyRange(start: number, end: number, states: St[]): St[] {
    let s = states;
    for (const c of scanCalls(this.src.masked, start, end)) s = this.applyCall(c, s, start);
    return s;
  }

  private applyCall(c: { name: string; start: number; open: number; close: number }, states: St[], stmtStart: number, inCondition = false): St[] {
    const m = this.src.masked;
    const name = c.name;
    const at = this.src.span(c.start, c.close + 1);
    const argText = m.slice(c.open + 1, c.close);
    if (LOCK_INITIALISERS.has(name)) return states;
    if (name === 'scoped_guard' || name === 'scoped_cond_guard') return states;
    const op = lockOpOf(name);
    if (op) {
      const args = splitArgs(argText);
      const idx = this.lockIndex(args[op.lockArg ?? 0] ?? '', op);
      if (op.op === 'acquire') {
        // A trylock outside a condition whose result is neither assigned, returned nor tested: its failure is ignored.
        const site = op.conditional && !inCondition ? resultSite(m, stmtStart, c.start, c.close + 1) : undefined;
        this.pushLockEvent(idx, op, at, states, false, name, !!site && !site.lhs && !site.ret && !site.inExpr);
        if (op.conditional === 'zero') {
          const lhs = /([A-Za-z_]\w*)\s*=\s*$/.exec(m.slice(stmtStart, c.start));
          if (lhs) this.condVars.set(lhs[1], idx);
        }
        return states.map((s) => ({ held: [...s.held, idx], guards: s.guards, irq: s.irq + (op.irq !== 'none' ? 1 : 0) }));
      }
      this.pushUnlockEvent(idx, op, at, states, name);
      return states.map((s) => {
        const i = s.held.lastIndexOf(idx);
        if (i < 0) return s;
        const held = [...s.held];
        held.splice(i, 1);
        return { held, guards: s.guards, irq: Math.max(0, s.irq - (op.irq !== 'none' ? 1 : 0)) };
      });
    }
    if (name === 'guard') {
      const cls = argText.trim();
      const rest = /^\s*\(/.exec(m.slice(c.close + 1, c.close + 40));
      const gc = GUARD_CLASSES[cls];
      if (!rest || !gc) return states;
      const open2 = c.close + 1 + rest[0].length - 1;
      const close2 = matchParen(m, open2);
      if (close2 < 0) return states;
      const idx = this.lockIndex(m.slice(open2 + 1, close2));
      this.pushLockEvent(idx, { op: 'acquire', kind: gc.kind, irq: gc.irq, read: gc.read }, this.src.span(c.start, close2 + 1), states, true, `guard(${cls})`);
      this.guardCount++;
      this.newGuards.push(idx);
      return states.map((s) => ({ held: s.held, guards: [...s.guards, idx], irq: s.irq + (gc.irq !== 'none' ? 1 : 0) }));
    }
    if (IRQ_OFF.has(name)) return states.map((s) => ({ ...s, irq: s.irq + 1 }));
    if (IRQ_ON.has(name)) return states.map((s) => ({ ...s, irq: Math.max(0, s.irq - 1) }));
    const held = this.mustHeld(states);
    const irqOff = states.length > 0 && states.every((s) => s.irq > 0);
    const alloc = ALLOCATORS[name];
    if (alloc) {
      const args = splitArgs(argText);
      const site = resultSite(m, stmtStart, c.start, c.close + 1);
      const ev: FnEvent = {
        k: 'alloc', fn: name, at, held, irqOff,
        gfp: alloc.gfpArg !== undefined && alloc.gfpArg >= 0 ? bare(args[alloc.gfpArg]) : undefined,
        cache: alloc.cacheArg !== undefined ? bare(args[alloc.cacheArg]) : undefined,
        ...(alloc.cacheArg !== undefined && args[alloc.cacheArg] !== undefined ? { cacheRef: argRef(args[alloc.cacheArg], this.params, this.scope) } : {}),
        // Tested where it is called (`if (percpu_counter_init(...))`), or later (markChecked).
        checked: inCondition,
        assignedTo: site.lhs,
      };
      this.events.push(ev);
      this.results.set(ev, site);
      return states;
    }
    const free = FREES[name];
    if (free) {
      const args = splitArgs(argText);
      const cache = free.cacheArg !== undefined ? bare(args[free.cacheArg]) : undefined;
      const ev: FnEvent = { k: 'free', fn: name, at, held, irqOff, cache, arg: bare(args[free.cacheArg !== undefined ? free.cacheArg + 1 : 0]) };
      if (free.cacheArg !== undefined && args[free.cacheArg] !== undefined) ev.cacheRef = argRef(args[free.cacheArg], this.params, this.scope);
      this.events.push(ev);
      return states;
    }
    const callArgs = this.callArgs(name, argText);
    const ev: Extract<FnEvent, { k: 'call' }> = callArgs ? { k: 'call', fn: name, at, held, irqOff, args: callArgs } : { k: 'call', fn: name, at, held, irqOff };
    const lockArgs = this.lockArgs(name, argText);
    if (lockArgs) ev.lockArgs = lockArgs;
    this.events.push(ev);
    // What the caller does with the result matters when the callee returns an allocation
    // (never a knowledge-base function or a macro); the lock graph (lazyParams) never asks.
    if (!this.lazyParams && !KERNEL_FUNCTIONS[name] && !OPAQUE_PREFIXES.test(name) && !/^[A-Z0-9_]+$/.test(name)) {
      const site = resultSite(m, stmtStart, c.start, c.close + 1);
      if (site.lhs || site.ret || site.inExpr) this.results.set(ev, site);
    }
    return states;
  }

  /**
   * A call's arguments (ArgRef): what the index binds a callee's parameters to (a gfp passed
   * on, a cache passed to a helper). Not kept for logging/tracing calls (never descended
   * into) nor in lazy-parameter mode (the lock graph reads no arguments).
   */
  private callArgs(name: string, argText: string): ArgRef[] | undefined {
    if (this.lazyParams || OPAQUE_PREFIXES.test(name) || !/\S/.test(argText)) return undefined;
    return splitArgs(argText).map((a) => argRef(a, this.params, this.argScope));
  }

  /** A parameter by name (the list read first when it is read lazily), for both scopes. */
  private paramScope(name: string): { type: string; local: true; param: number } | undefined {
    if (this.paramsNode) {
      const n = this.paramsNode;
      this.paramsNode = undefined;
      this.readParams(n);
    }
    const pi = this.params.findIndex((x) => x.name === name);
    return pi >= 0 ? { type: this.params[pi].type, local: true, param: pi } : undefined;
  }

  /** Locals for call arguments, read from the body's text (arg-ref.ts textLocals). */
  private argLocals?: Map<string, string>;
  private argStatics = new Set<string>();
  private argScope: TypeScope = (name) => {
    const p = this.paramScope(name);
    if (p) return p;
    if (!this.argLocals) this.argLocals = this.body ? textLocals(this.src.masked.slice(this.body.startIndex, this.body.endIndex), this.argStatics) : new Map();
    const l = this.argLocals.get(name);
    if (l !== undefined) return this.argStatics.has(name) ? { type: l, local: true, static: true } : { type: l, local: true };
    return this.globalScope(name);
  };

  private mustHeld(states: St[]): number[] {
    if (states.every((s) => s.held.length === 0 && s.guards.length === 0)) return NONE;
    const i = intersect(states);
    return [...i.held, ...i.guards];
  }

  private pushLockEvent(idx: number, op: LockOp, at: Span, states: St[], guard: boolean, fn: string, ignored = false): void {
    if (!this.lockTakenAt.has(idx)) this.lockTakenAt.set(idx, at);
    this.events.push({
      k: 'lock', fn, lock: idx, kind: op.kind, irq: op.irq, read: op.read, trylock: !!op.conditional,
      guard, at, held: this.mustHeld(states), irqOff: states.length > 0 && states.every((s) => s.irq > 0),
      ...(ignored ? { resultIgnored: true } : {}),
    });
  }

  private pushUnlockEvent(idx: number, op: LockOp, at: Span, states: St[], fn: string): void {
    const held = this.mustHeld(states);
    this.events.push({ k: 'unlock', fn, lock: idx, kind: op.kind, irq: op.irq, at, held, irqOff: states.every((s) => s.irq > 0) });
    if (states.length > 0 && states.every((s) => !s.held.includes(idx))) {
      this.addImbalance({ kind: 'unheld', lock: idx, at });
    }
  }

  private checkReturn(states: St[], start: number, end: number): void {
    for (const s of states) {
      for (const idx of s.held) {
        this.addImbalance({ kind: 'leak', lock: idx, at: this.src.span(start, end), takenAt: this.lockTakenAt.get(idx) });
      }
    }
  }

  private addImbalance(i: Imbalance): void {
    const k = `${i.kind}:${i.lock}:${i.at[0]}`;
    if (this.imbalanceKeys.has(k)) return;
    this.imbalanceKeys.add(k);
    this.imbalances.push(i);
  }

  private lockIndex(arg: string, op?: LockOp): number {
    let text = normalizeLockText(arg);
    if (op?.member) text = `${text}->${op.member.field}`;
    // A declared primitive's lock is its class (one index per object: lock(a) is released by unlock(a)).
    if (op?.declared) {
      const key = `${op.declared}@${text}`;
      let d = this.lockIdx.get(key);
      if (d === undefined) {
        d = this.locks.push({ text, fields: [], declared: op.declared }) - 1;
        this.lockIdx.set(key, d);
      }
      return d;
    }
    let idx = this.lockIdx.get(text);
    if (idx === undefined) {
      idx = this.locks.length;
      // A wrapper's lock is a fixed member (xa_lock(): xarray.xa_lock), not the argument.
      let ref = op?.member ? { text, baseType: op.member.struct, fields: [op.member.field] } : lockRef(arg, this.scope);
      const alias = ref.symbol && ref.local && !ref.fields.length && ref.param === undefined ? this.aliases.get(ref.symbol) : undefined;
      if (alias !== undefined) ref = { ...lockRef(alias, this.scope), text };
      this.locks.push(ref);
      this.lockIdx.set(text, idx);
    }
    return idx;
  }

  /**
   * Arguments that may be a lock a callee takes through its parameter (`helper(&p->lock)`,
   * a lock pointer or a parameter passed on, any argument of an upper-case macro): their
   * references in this function, bound to the callee's parameter-bound locks by the index.
   */
  private lockArgs(name: string, argText: string): LockArg[] | undefined {
    if (OPAQUE_PREFIXES.test(name) || KERNEL_FUNCTIONS[name] || !/\S/.test(argText)) return undefined;
    const macro = /^[A-Z0-9_]+$/.test(name);
    let out: LockArg[] | undefined;
    splitArgs(argText).forEach((a, i) => {
      let t = unparen(a);
      const addr = t.startsWith('&');
      if (addr) t = unparen(t.slice(1));
      const m = VAR_PATH.exec(t);
      if (!m || (!addr && !m[2] && !m[3] && /^(?:[A-Z0-9_]+|NULL|true|false)$/.test(m[1]))) return;
      const d = this.argScope(m[1]);
      const lockVar = !!d && LOCK_TYPE_RE.test(d.type);
      if (!addr && !macro && d?.param === undefined && !lockVar) return;
      // A local lock pointer set once passes what it was set to (`cpu_lock = per_cpu_ptr(&l, cpu)`).
      if (lockVar && d?.param === undefined && !addr && !m[2] && !m[3]) {
        const alias = this.scope(m[1]) && this.aliases.has(m[1]) ? this.aliases.get(m[1]) : this.textAlias(m[1]);
        if (alias) {
          (out ??= []).push({ i, ref: lockRef(alias, this.scope) });
          return;
        }
      }
      (out ??= []).push({ i, ref: lockRef(a, this.argScope) });
    });
    return out;
  }

  /**
   * The same alias as readLocals, from the body's text: the lock graph leaves lock-free bodies
   * out of the parse (their declarations are not nodes), yet they pass such pointers to helpers.
   */
  private textAlias(name: string): string | undefined {
    if (!this.body) return undefined;
    const text = this.src.masked.slice(this.body.startIndex, this.body.endIndex);
    const decl = new RegExp(`\\*\\s*${name}\\s*=(?!=)\\s*([^;]+);`).exec(text);
    if (!decl || !LOCK_TYPE_RE.test(text.slice(Math.max(0, decl.index - 40), decl.index))) return undefined;
    return assignments(name, text.slice(decl.index + decl[0].length)).length ? undefined : decl[1].trim();
  }

  /** Whether allocations and calls are checked or returned, from the syntax (result-use.ts). */
  private markChecked(body: SyntaxNode): void {
    markResults(body, this.src.masked, this.results);
  }
}

/** `name = value;` assignments in `text` (not `==`, not a field `x.name =`): value in [1]. */
function assignments(name: string, text: string): RegExpMatchArray[] {
  return [...text.matchAll(new RegExp(`(?<![\\w.>])${name}\\s*=(?!=)\\s*([^;]+);`, 'g'))];
}

/** An argument without the parentheses around all of it: `(cachep)` is `cachep`, `(struct foo *)p` stays. */
function bare(arg: string | undefined): string | undefined {
  let s = arg;
  while (s && s.startsWith('(') && matchParen(s, 0) === s.length - 1) s = s.slice(1, -1).trim();
  return s;
}

function findFunctionDeclarator(n: SyntaxNode): SyntaxNode | undefined {
  let cur: SyntaxNode | null = n;
  for (let i = 0; cur && i < 8; i++) {
    if (cur.type === 'function_declarator') {
      // int (*fn(void))(int) — the outer one declares a pointer-returning function; take the innermost with an identifier.
      const inner = cur.childForFieldName('declarator');
      if (inner && (inner.type === 'identifier' || inner.type === 'field_identifier')) return cur;
      cur = inner;
      continue;
    }
    cur = cur.childForFieldName('declarator') ?? cur.namedChild(0);
  }
  return undefined;
}

function innermostIdentifier(n: SyntaxNode): SyntaxNode | undefined {
  if (n.type === 'identifier' || n.type === 'field_identifier') return n;
  const d = n.childForFieldName('declarator') ?? n.namedChild(0);
  return d ? innermostIdentifier(d) : undefined;
}
