/** What a rewrite family is given and what it returns. */
import type { Semantics } from '../../server/src/config/config';
import { ALLOCATORS, FREES } from '../../server/src/kb/allocators';
import { ATOMIC_PATTERNS } from '../../server/src/kb/contexts';
import { KERNEL_FUNCTIONS } from '../../server/src/kb/kernel-functions';
import { GUARD_CLASSES, LOCK_OPS } from '../../server/src/kb/locks';
import { calls, functions, type Rewritten } from './text';

/** One rule case: the rule it is about, its files, and the findings of that rule on it. */
export interface Fixture {
  rule: string;
  name: string;
  files: Record<string, string>;
  semantics: Semantics;
  expect: string[];
}

/** An expected finding, after mapping: `rule@file:line (severity)`. */
export interface Expected { rule: string; file: string; line: number; severity: string }

export interface Variant {
  /** Which form of the family (shown in counts' failures): 'double', 'site 3 (mutex_lock)'. */
  label: string;
  rewritten: Rewritten;
  /**
   * The expected findings when the rewrite changes them on purpose (the trylock family):
   * given the original findings mapped through the rewrite, returns those expected.
   */
  adjust?: (mapped: Expected[]) => Expected[];
}

export interface Family {
  name: string;
  /** Also run demand-driven (fullThreshold 0): the cross-file families. */
  demandDriven?: boolean;
  /** The variants of one fixture; null (or none) when the family does not apply to it. */
  variants(fx: Fixture): Variant[] | null;
}

/** Names the knowledge base knows: never renamed, never treated as a workspace helper. */
export function isKernelApi(name: string): boolean {
  return name in LOCK_OPS || name in ALLOCATORS || name in FREES || name in KERNEL_FUNCTIONS || name in GUARD_CLASSES ||
    /^(kmem_cache_|KMEM_CACHE|guard$|scoped_guard$|list_|alloc_percpu|free_percpu|percpu_|pr_|printk|container_of|BPF_CALL_|NOTRACE_BPF_CALL_)/.test(name) ||
    ATOMIC_PATTERNS.some((p) => p.kind === 'call' && (p.api.endsWith('*') ? name.startsWith(p.api.slice(0, -1)) : p.api === name));
}

/** The functions given as a ctor or dtor in the fixture's files (`.ctor = f`, `.dtor = f`, the legacy 5th argument, an argument of a call). */
export function ctorDtorNames(files: Record<string, string>): Set<string> {
  const out = new Set<string>();
  for (const text of Object.values(files)) {
    for (const m of text.matchAll(/\.(?:ctor|dtor)\s*=\s*(?:\w+\s*\?\s*)?(\w+)/g)) out.add(m[1]);
    for (const m of text.matchAll(/\bkmem_cache_create\s*\([^;]*?,[^;]*?,[^;]*?,[^;]*?,\s*(\w+)\s*\)/g)) out.add(m[1]);
  }
  // A function of the workspace passed as a call's argument (to a macro that creates the cache).
  const defined = new Set(Object.values(files).flatMap((t) => functions(t).map((f) => f.name)));
  for (const text of Object.values(files)) for (const c of calls(text)) for (const a of c.args) if (defined.has(a.text)) out.add(a.text);
  return out;
}
