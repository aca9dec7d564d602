/** What `caches` and `check` print about a cache's ctor/dtor, as JSON: everything the text shows. */
import type { CtorRef } from '../facts/types';
import type { CacheInfo, FnRef } from '../index/analysis';

export interface FnRefJson {
  /** 'function' (named), 'indirect' (an expression), as read from the creation. */
  kind: 'function' | 'indirect';
  /** The argument as written. */
  expr: string;
  /** How it was read (direct, address-of, conditional, parameter, table-field, local, selector...). */
  how?: string;
  /** Why an indirect one could not be resolved. */
  why?: string;
  at: { line: number; col: number };
  /** The definition the engine checked, for a named function. */
  resolved?: { name: string; file: string; line: number };
  /** For an indirect one: the functions it may be, and which of them were found and checked. */
  candidates?: { name: string; file?: string; line?: number }[];
  /** No rule ran on it: neither the function nor a candidate was found. */
  unresolved: boolean;
}

function where(r: FnRef): { file: string; line: number } {
  return { file: r.file, line: r.fn.nameAt[0] + 1 };
}

export function fnRefJson(ref: CtorRef, resolved: FnRef | undefined, candidates: FnRef[] | undefined): FnRefJson | undefined {
  if (ref.kind === 'none') return undefined;
  const at = { line: ref.at[0] + 1, col: ref.at[1] + 1 };
  if (ref.kind === 'function') {
    return { kind: 'function', expr: ref.expr ?? ref.name, how: ref.how, at, resolved: resolved && { name: resolved.fn.name, ...where(resolved) }, unresolved: !resolved };
  }
  const found = new Map((candidates ?? []).map((c) => [c.fn.name, c]));
  return {
    kind: 'indirect', expr: ref.expr, how: ref.how, why: ref.why, at,
    candidates: ref.candidates?.map((name) => { const c = found.get(name); return c ? { name, ...where(c) } : { name }; }),
    unresolved: found.size === 0,
  };
}

export function cacheRefsJson(c: CacheInfo): { ctor?: FnRefJson; dtor?: FnRefJson } {
  return {
    ctor: fnRefJson(c.creation.ctor, c.ctor, c.ctorCandidates),
    dtor: fnRefJson(c.creation.dtor, c.dtor, c.dtorCandidates),
  };
}

/** A cache whose ctor or dtor no rule could read (the `unresolved-ctor-dtor` finding says why). */
export function isUnresolved(c: CacheInfo, dtorRules: boolean): boolean {
  const r = cacheRefsJson(c);
  return !!(r.ctor?.unresolved || (dtorRules && r.dtor?.unresolved));
}
