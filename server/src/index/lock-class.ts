/**
 * Lock class names, like lockdep's: `struct.field` whichever variable reaches
 * the lock (through embedded structs and `container_of`), globals by symbol,
 * file statics and function-scope statics as `file.c:name`, other locals
 * as `file.c:function:name`. One
 * definition for the per-function analysis and the whole-tree lock graph,
 * which see the same facts through different stores.
 */
import * as path from 'path';
import { structName } from '../facts/lock-ref';
import type { LockRef } from '../facts/types';
import { kbStaticLockAliases } from '../kb/kernel-functions';

export interface ClassScope {
  file: string;
  fnName: string;
  /** A file-scope variable of the function's file. */
  global(symbol: string): { type: string; isStatic: boolean } | undefined;
  /** Return type of the function `name` as called from this file (`foo()->lock`). */
  returnsOf(name: string): string | undefined;
  /** Field name -> type text of a struct. */
  fields(type: string): Record<string, string> | undefined;
}

/** File statics the knowledge base knows by their symbol (percpu.c:pcpu_lock is pcpu_lock). */
const KB_ALIASES = kbStaticLockAliases();

export function lockClassName(ref: LockRef, s: ClassScope): string {
  if (ref.declared) return ref.declared;
  const base = path.basename(s.file);
  if (ref.fields.length === 0) {
    if (ref.symbol) {
      if (ref.local) return ref.static ? `${base}:${ref.symbol}` : `${base}:${s.fnName}:${ref.symbol}`;
      if (s.global(ref.symbol)?.isStatic) return KB_ALIASES.get(`${base}:${ref.symbol}`) ?? `${base}:${ref.symbol}`;
      return ref.symbol;
    }
    // The lock an accessor returns (`spin_lock(dev_lock(dev))`, `ptl = pte_lockptr(mm, pmd)`): one class per accessor.
    if (ref.baseType?.endsWith('()')) return ref.baseType;
    return `${base}:${s.fnName}:${ref.text}`;
  }
  let type = ref.baseType;
  if (type && type.endsWith('()')) {
    const returns = s.returnsOf(type.slice(0, -2));
    type = returns !== undefined ? structName(returns) : undefined;
  }
  if (!type && ref.symbol) {
    const g = s.global(ref.symbol);
    type = g ? structName(g.type) : undefined;
    // A file static of an unnamed struct type is its file's, like a static lock.
    if (!type) return `${g?.isStatic ? `${base}:` : ''}${ref.symbol}.${ref.fields.join('.')}`;
  }
  if (!type) return `${base}:${s.fnName}:${ref.text}`;
  const fields = ref.fields;
  for (let i = 0; i < fields.length - 1; i++) {
    const ft: string | undefined = s.fields(type as string)?.[fields[i]];
    const next: string | undefined = ft ? structName(ft) : undefined;
    if (!next) return `${type}.${fields.slice(i).join('.')}`;
    type = next;
  }
  return `${type}.${fields[fields.length - 1]}`;
}
