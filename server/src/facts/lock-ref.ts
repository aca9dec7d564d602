/**
 * Reduce a lock argument expression to a LockRef: the base object's struct
 * type (when the declarations tell it) and the field path, so the index can
 * name the class like lockdep does (`struct_type.field`), whichever variable
 * reaches the lock.
 */
import type { LockRef } from './types';
import { matchParen, splitArgs } from '../parse/text-scan';

/** Variable name -> type text, for the function being read (params, locals, globals). */
export type TypeScope = (name: string) => { type: string; local: boolean; param?: number; static?: boolean } | undefined;

const PERCPU_WRAPPERS = /^(?:this_cpu_ptr|raw_cpu_ptr|per_cpu_ptr|per_cpu|this_cpu_read|get_cpu_ptr|READ_ONCE|rcu_dereference(?:_protected|_raw|_check)?)\s*\(/;

/** `struct foo *` -> `foo`; `spinlock_t` -> `spinlock_t`. */
export function structName(type: string): string | undefined {
  const t = type.replace(/\b(const|volatile|__rcu|__percpu|__iomem|__user|static|extern|unsigned|signed)\b/g, ' ').replace(/[*\s]+/g, ' ').trim();
  const m = /^(?:struct|union)\s+([A-Za-z_]\w*)/.exec(t);
  if (m) return m[1];
  if (/^[A-Za-z_]\w*$/.test(t)) return t;
  return undefined;
}

/** A struct (or typedef) name that can name a class: not `void`, not a scalar. */
function namedStruct(type: string): string | undefined {
  const n = structName(type);
  return n && !/^(void|char|int|long|short|u8|u16|u32|u64|bool|size_t)$/.test(n) ? n : undefined;
}

/**
 * A callee's parameter-bound reference (`lock`, `p->lock` with `p` a macro argument) seen
 * through the caller's argument: the argument's path with the callee's fields after it.
 */
export function bindLockRef(callee: LockRef, arg: LockRef): LockRef {
  const fields = [...arg.fields, ...callee.fields];
  const out: LockRef = { text: callee.fields.length ? `${arg.text}->${callee.fields.join('->')}` : arg.text, fields };
  if (arg.baseType !== undefined) out.baseType = arg.baseType;
  if (arg.symbol !== undefined) out.symbol = arg.symbol;
  if (arg.local !== undefined) out.local = arg.local;
  if (arg.static) out.static = true;
  // A typed argument names the class once the callee's fields follow it (`b` of `struct bucket *b`, then `->block`).
  if (arg.param !== undefined && !(callee.fields.length && arg.baseType)) out.param = arg.param;
  return out;
}

export function normalizeLockText(arg: string): string {
  let s = arg.replace(/\s+/g, '');
  // Strip one layer of outer parentheses and a leading '&'.
  for (let i = 0; i < 3; i++) {
    if (s.startsWith('&')) s = s.slice(1);
    if (s.startsWith('(') && matchParen(s, 0) === s.length - 1) s = s.slice(1, -1);
  }
  return s;
}

export function lockRef(arg: string, scope: TypeScope): LockRef {
  const text = normalizeLockText(arg);
  const ref: LockRef = { text, fields: [] };
  let rest = text;
  // Base: container_of(p, struct foo, member) / wrappers / (*x) / identifier / call
  const co = /^container_of(?:_const)?\(/.exec(rest);
  if (co) {
    const close = matchParen(rest, co[0].length - 1);
    if (close > 0) {
      const inner = rest.slice(co[0].length, close);
      const parts = splitArgs(inner);
      if (parts.length === 3) ref.baseType = structName(parts[1]);
      rest = rest.slice(close + 1);
      return withFields(ref, rest);
    }
  }
  // ACCESS_PRIVATE(p, member) is p->member (include/linux/compiler_types.h): rcu_node.lock is taken through it.
  const ap = /^ACCESS_PRIVATE\(/.exec(rest);
  if (ap) {
    const close = matchParen(rest, ap[0].length - 1);
    const parts = close > 0 ? splitArgs(rest.slice(ap[0].length, close)) : [];
    if (parts.length === 2) return lockRef(`(${parts[0].trim()})->${parts[1].trim()}${rest.slice(close + 1)}`, scope);
  }
  const w = PERCPU_WRAPPERS.exec(rest);
  if (w) {
    const close = matchParen(rest, w[0].length - 1);
    if (close > 0) {
      const inner = splitArgs(rest.slice(w[0].length, close))[0] ?? '';
      const innerRef = lockRef(inner, scope);
      const tail = rest.slice(close + 1);
      const merged: LockRef = { ...innerRef, text };
      return withFields(merged, tail, innerRef.fields);
    }
  }
  // `(*x)`, `(x)` (a macro's or inline's parenthesised argument), `*x`, `x`.
  let m = /^\(\s*\**\s*([A-Za-z_]\w*)\s*\)/.exec(rest);
  if (!m) m = /^\**([A-Za-z_]\w*)/.exec(rest);
  if (!m) return ref;
  const base = m[1];
  rest = rest.slice(m[0].length);
  if (rest.startsWith('(')) {
    // A call: its return type is not known here.
    const close = matchParen(rest, 0);
    ref.symbol = undefined;
    ref.baseType = `${base}()`;
    return withFields(ref, close > 0 ? rest.slice(close + 1) : '');
  }
  // Array subscripts on the base: foo[i].lock
  rest = rest.replace(/^(\[[^\]]*\])+/, '');
  const decl = scope(base);
  const declType = decl ? namedStruct(decl.type) : undefined;
  if (rest === '') {
    ref.symbol = base;
    ref.local = decl?.local ?? false;
    // `static DEFINE_SPINLOCK(x);` in a body: one object, a class like a file static.
    if (decl?.static) ref.static = true;
    // Kept for a callee's fields composed onto this argument (`&obj` passed to a helper that takes `p->lock`).
    if (declType) ref.baseType = declType;
    if (decl?.param !== undefined) ref.param = decl.param;
    return ref;
  }
  if (decl) {
    ref.baseType = declType;
    // A field of a parameter whose type names nothing (a macro's argument, `void *`): the caller's argument decides.
    if (!declType && decl.param !== undefined) ref.param = decl.param;
    // A file-scope variable of an unnamed type (`static struct { spinlock_t lock; } mb0_transfer;`): named by the variable.
    if (!declType && !decl.local) ref.symbol = base;
  } else {
    ref.symbol = base;
  }
  return withFields(ref, rest);
}

function withFields(ref: LockRef, tail: string, prefix: string[] = []): LockRef {
  const fields = [...prefix];
  const re = /^(?:->|\.)([A-Za-z_]\w*)(?:\[[^\]]*\])*/;
  let rest = tail;
  let m: RegExpExecArray | null;
  while ((m = re.exec(rest)) !== null) {
    fields.push(m[1]);
    rest = rest.slice(m[0].length);
  }
  ref.fields = fields;
  if (fields.length) {
    // A field of an unknown global symbol: keep the symbol as base so the name stays specific.
    if (!ref.baseType && ref.symbol) ref.baseType = undefined;
  }
  return ref;
}
