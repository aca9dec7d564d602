/**
 * What a function does with the result of an allocation or a call: tests it
 * (checked) or returns it (handing the failure to its caller). Decided from the
 * syntax around each use of the result; the text only filters which uses are
 * worth a look (most calls' results are never tested), since reading tree nodes
 * for every call costs more than the rest of the function reader.
 */
import type { SyntaxNode } from '../parse/parser';
import type { FnEvent } from './types';

/** Where a call's result may go: the call's [start, end), the lvalue it is assigned to, returned as is, inside an expression. */
export interface ResultSite {
  start: number;
  end: number;
  lhs?: string;
  ret?: boolean;
  inExpr?: boolean;
}

/**
 * From the text just before a call (cheap, for every call): assigned to an lvalue,
 * returned (`return f(...)`, casts allowed), or inside an expression that may test it
 * (`if (!f(...))`, `x && f(...)`); a call that starts a statement is none of these.
 */
export function resultSite(m: string, stmtStart: number, start: number, end: number): ResultSite {
  const asg = assignment(m, stmtStart, start);
  const ret = /\breturn\s*(?:\([^()]*\)\s*)?$/.test(m.slice(Math.max(stmtStart, start - 40), start));
  // `if (!(p = kmalloc(...)))`, `if (f(...))`: from where the assignment (or the call) starts.
  const inExpr = !ret && mayBeTested(m, asg ? asg.at : start);
  return { start, end, lhs: asg?.lhs, ret, inExpr };
}

/**
 * Decided from the syntax: an allocation (or a call) is checked when it is called
 * inside a condition (`if (percpu_counter_init(...))`, `if (!(p = kmalloc(...)))`), or
 * the variable it is assigned to is tested later: in an `if`/loop condition or the
 * condition of `c ? a : b`, as `p`, `!p`, `p == NULL`, `NULL != p`, `p < 0`,
 * `IS_ERR_OR_NULL(p)`, `unlikely(...)`/`likely(...)`, one side of `&&`/`||`. It is
 * returned when the function returns it (`return p;`, `return kmalloc(...)`): that hands
 * the failure to the caller, which counts as checked here and makes the caller's use of
 * the result the check (Analysis.summary). Only the uses of each result are looked at.
 */
export function markResults(body: SyntaxNode, m: string, results: Map<FnEvent, ResultSite>): void {
  if (!results.size) return;
  // The uses of the assigned variables in the body, from one pass over its identifiers.
  const usesByLhs = new Map<string, { at: number; use: 'tested' | 'returned' | undefined }[]>();
  const byFirst = new Map<string, string[]>();
  for (const r of results.values()) {
    if (!r.lhs || usesByLhs.has(r.lhs)) continue;
    usesByLhs.set(r.lhs, []);
    const first = /[A-Za-z_]\w*/.exec(r.lhs)![0];
    byFirst.set(first, [...(byFirst.get(first) ?? []), r.lhs]);
  }
  if (byFirst.size) {
    const ident = /[A-Za-z_]\w*/g;
    ident.lastIndex = body.startIndex;
    for (let o = ident.exec(m); o && o.index < body.endIndex; o = ident.exec(m)) {
      const lhss = byFirst.get(o[0]);
      if (!lhss) continue;
      const prev = m[o.index - 1];
      if (prev === '.' || (prev === '>' && m[o.index - 2] === '-')) continue;
      for (const lhs of lhss) {
        const span = matchLvalue(m, o.index, lhs);
        if (!span) continue;
        const [at, end] = span;
        if (!mayBeTested(m, at, end)) continue;
        let use = plainUse(m, at, end);
        if (!use) {
          let x = body.descendantForIndex(at);
          for (let p = x.parent; p && x.endIndex - at < end - at && p.startIndex === at; p = p.parent) x = p;
          use = useOf(x);
        }
        usesByLhs.get(lhs)!.push({ at, use });
      }
    }
  }
  const usesOf = (lhs: string) => usesByLhs.get(lhs) ?? [];
  for (const [e, r] of results) {
    if (e.k !== 'alloc' && e.k !== 'call') continue;
    let checked = e.checked === true;
    let returned = !!r.ret;
    if (!checked && r.inExpr && plainUse(m, r.start, r.end) === 'tested') checked = true;
    else if (!checked && r.inExpr) {
      const call = body.descendantForIndex(r.start).parent;
      if (call?.type === 'call_expression' && call.startIndex === r.start && useOf(call) === 'tested') checked = true;
    }
    if (r.lhs && !(checked && returned)) {
      for (const u of usesOf(r.lhs)) {
        if (u.at <= r.start) continue;
        if (u.use === 'tested') checked = true;
        else if (u.use === 'returned') returned = true;
      }
    }
    if (returned || checked) e.checked = true;
    if (returned) e.returned = true;
  }
}

/** The lvalue a call at `start` is assigned to in its statement (`it->counts = alloc_percpu(int)`), casts skipped, and where it starts. */
function assignment(m: string, stmtStart: number, start: number): { lhs: string; at: number } | undefined {
  // Most calls are not assigned: look for the `=` (past a cast) before running the regex.
  let i = start - 1;
  while (i > stmtStart && (m.charCodeAt(i) === 32 || m.charCodeAt(i) === 9 || m.charCodeAt(i) === 10)) i--;
  if (m[i] === ')') {
    const open = m.lastIndexOf('(', i);
    if (open < 0 || m.slice(open + 1, i).includes(')')) return undefined;
    i = open - 1;
    while (i > stmtStart && (m.charCodeAt(i) === 32 || m.charCodeAt(i) === 9 || m.charCodeAt(i) === 10)) i--;
  }
  if (m[i] !== '=' || '=!<>+-*/%&|^'.includes(m[i - 1])) return undefined;
  const from = Math.max(stmtStart, i - 160);
  const r = /((?:\*\s*)?[A-Za-z_][\w]*(?:(?:->|\.)[A-Za-z_]\w*|\[[^\]]*\])*)\s*=\s*(?:\([^()]*\)\s*)?$/.exec(m.slice(from, start));
  if (!r) return undefined;
  let at = from + r.index;
  let lhs = r[1];
  // `struct foo *p = ...` declares p: the star is the declarator's, not a dereference.
  if (lhs.startsWith('*') && /[\w*]\s*$/.test(m.slice(Math.max(stmtStart, at - 40), at))) {
    const star = /^\*\s*/.exec(lhs)![0];
    lhs = lhs.slice(star.length);
    at += star.length;
  }
  return { lhs: lhs.replace(/\s+/g, ''), at };
}

/**
 * Whether the expression at [start, end) of masked text can be tested or returned, from the
 * tokens around it: after `!`, `&&`, `||`, `==`, `!=`, `return`, or an opening parenthesis that
 * is not a call's (`if (`, `while (`, `unlikely(`, `((`); or before `==`, `!=`, `&&`, `||`, `?`,
 * `<`, `>`. Only a filter: what the syntax says (useOf) decides.
 */
function mayBeTested(m: string, start: number, end = -1): boolean {
  let i = start - 1;
  while (i >= 0 && (m[i] === ' ' || m[i] === '\t' || m[i] === '\n')) i--;
  const c = m[i];
  if ((c === '!' && m[i + 1] !== '=') || (c === '&' && m[i - 1] === '&') || (c === '|' && m[i - 1] === '|') || (c === '=' && (m[i - 1] === '=' || m[i - 1] === '!'))) return true;
  if (c === 'n' && /\breturn$/.test(m.slice(Math.max(0, i - 6), i + 1))) return true;
  if (c === '(') {
    const w = /([A-Za-z_]\w*)\s*$/.exec(m.slice(Math.max(0, i - 40), i));
    if (!w || w[1] === 'if' || w[1] === 'while' || w[1] === 'return' || TEST_WRAPPERS.has(w[1])) return true;
  }
  if (end < 0) return false;
  const after = /^\s*(==|!=|&&|\|\||\?|<|>)/.exec(m.slice(end, end + 8));
  return !!after;
}

/**
 * The lvalue `lhs` (blanks removed, `*p`, `a->b.c`, `a[i]`) written at `ident` (its first
 * identifier) in masked text: its [start, end), or undefined.
 */
function matchLvalue(m: string, ident: number, lhs: string): [number, number] | undefined {
  let start = ident;
  let k = 0;
  if (lhs[0] === '*') {
    let i = ident - 1;
    while (i >= 0 && (m[i] === ' ' || m[i] === '\t')) i--;
    if (m[i] !== '*') return undefined;
    start = i;
    k = lhs.indexOf(lhs.replace(/^\*+/, '')[0]);
  }
  let j = ident;
  for (; k < lhs.length; k++, j++) {
    while (m[j] === ' ' || m[j] === '\t' || m[j] === '\n') {
      // Blanks only between tokens of the lvalue, never inside a name.
      if (/\w/.test(lhs[k]) && /\w/.test(lhs[k - 1] ?? '')) return undefined;
      j++;
    }
    if (m[j] !== lhs[k]) return undefined;
  }
  return /\w/.test(m[j] ?? '') ? undefined : [start, j];
}

/**
 * The use of the expression at [start, end) when the tokens around it leave no doubt:
 * the whole condition of an `if`/`while`, negated or not (`if (p)`, `if (!p)`), or the
 * whole value of a `return` (`return p;`). Anything else is left to the syntax (useOf).
 */
function plainUse(m: string, start: number, end: number): 'tested' | 'returned' | undefined {
  let i = start - 1;
  const back = () => { while (i >= 0 && (m[i] === ' ' || m[i] === '\t' || m[i] === '\n')) i--; };
  back();
  let not = false;
  if (m[i] === '!' && m[i + 1] !== '=') {
    not = true;
    i--;
    back();
  }
  let j = end;
  while (j < m.length && (m[j] === ' ' || m[j] === '\t' || m[j] === '\n')) j++;
  if (m[i] === '(' && m[j] === ')') {
    i--;
    back();
    const w = /(?:^|[^\w])(if|while|likely|unlikely|IS_ERR|IS_ERR_OR_NULL)$/.exec(m.slice(Math.max(0, i - 16), i + 1));
    if (!w) return undefined;
    if (w[1] === 'if' || w[1] === 'while') return 'tested';
    // `if (unlikely(!p))`, `if (IS_ERR(p))`: the wrapper is the whole condition.
    i -= w[1].length;
    back();
    j++;
    while (j < m.length && (m[j] === ' ' || m[j] === '\t' || m[j] === '\n')) j++;
    if (m[i] !== '(' || m[j] !== ')') return undefined;
    i--;
    back();
    return /(?:^|[^\w])(if|while)$/.test(m.slice(Math.max(0, i - 6), i + 1)) ? 'tested' : undefined;
  }
  if (m[i] === 'n' && m[j] === ';' && /(?:^|[^\w])return$/.test(m.slice(Math.max(0, i - 7), i + 1))) return not ? 'tested' : 'returned';
  return undefined;
}

/** Calls that test their first argument. */
const TEST_WRAPPERS = new Set(['likely', 'unlikely', 'IS_ERR', 'IS_ERR_OR_NULL', 'WARN_ON', 'WARN_ON_ONCE', 'WARN', 'WARN_ONCE', 'BUG_ON', 'MEM_FAIL']);
/** A failure tested by these is handled (by a crash or a warning) even in a plain statement: `BUG_ON(!p);`. */
const ASSERTS = new Set(['WARN_ON', 'WARN_ON_ONCE', 'WARN', 'WARN_ONCE', 'BUG_ON', 'MEM_FAIL']);
const CONDITIONED = new Set(['if_statement', 'while_statement', 'do_statement', 'for_statement', 'conditional_expression']);

function nullish(x: SyntaxNode | null): boolean {
  return !!x && (x.type === 'null' || x.text === 'NULL' || (x.type === 'number_literal' && /^0[uUlL]*$/.test(x.text)));
}

/**
 * What the code around an expression does with its value: tests it (it is, or is
 * compared with NULL/0 in, a condition: `p`, `!p`, `p == NULL`, `NULL != p`, `p < 0`,
 * `unlikely(!p)`, `IS_ERR_OR_NULL(p)`, `a && p`), or returns it (`return p;`, casts and
 * parentheses allowed).
 */
function useOf(n: SyntaxNode): 'tested' | 'returned' | undefined {
  let cur = n;
  let test = false;
  for (let i = 0; i < 12; i++) {
    const p = cur.parent;
    if (!p) return undefined;
    switch (p.type) {
      case 'parenthesized_expression':
      case 'cast_expression':
        break;
      case 'assignment_expression':
        // `(p = kmalloc(...))`: the assignment's value is p.
        if (p.childForFieldName('right')?.startIndex !== cur.startIndex) return undefined;
        break;
      case 'unary_expression':
        if (p.childForFieldName('operator')?.text !== '!') return undefined;
        test = true;
        break;
      case 'binary_expression': {
        const op = p.childForFieldName('operator')?.text ?? '';
        const other = p.childForFieldName('left')?.startIndex === cur.startIndex ? p.childForFieldName('right') : p.childForFieldName('left');
        if (op !== '&&' && op !== '||' && !(/^(==|!=|<|<=|>|>=)$/.test(op) && nullish(other))) return undefined;
        test = true;
        break;
      }
      case 'argument_list': {
        const call = p.parent;
        const fn = call?.childForFieldName('function')?.text ?? '';
        if (!call || !TEST_WRAPPERS.has(fn) || p.namedChildren[0]?.startIndex !== cur.startIndex) return undefined;
        test = true;
        if (ASSERTS.has(fn)) return 'tested';
        cur = call;
        continue;
      }
      case 'return_statement':
        return test ? 'tested' : 'returned';
      default:
        if (CONDITIONED.has(p.type)) return p.childForFieldName('condition')?.startIndex === cur.startIndex ? 'tested' : undefined;
        return undefined;
    }
    cur = p;
  }
  return undefined;
}
