/**
 * Constraint `no-unbounded-blocking`: the function, or what it calls, waits without a bound
 * (kb/contexts.ts UNBOUNDED_WAITS: wait_event, synchronize_rcu, flush_work...). Calls are followed
 * through the definitions the analysis has read, a few levels deep, each function once.
 */
import type { Analysis, FnRef, Step } from '../../index/analysis';
import { UNBOUNDED_WAITS } from '../../kb/contexts';

const MAX_DEPTH = 6;

export interface Wait {
  fn: string;
  source: string;
  chain: Step[];
}

export function unboundedWaits(a: Analysis, root: FnRef, waits: Record<string, string> = UNBOUNDED_WAITS): Wait[] {
  const out = new Map<string, Wait>();
  const seen = new Set<string>();
  const walk = (ref: FnRef, chain: Step[], depth: number) => {
    const key = `${ref.file}#${ref.fn.name}`;
    if (seen.has(key) || depth > MAX_DEPTH) return;
    seen.add(key);
    for (const e of ref.fn.events) {
      if (e.k !== 'call') continue;
      const step: Step = { file: ref.file, span: e.at, note: `${ref.fn.name}() calls ${e.fn}()` };
      if (waits[e.fn] !== undefined) {
        if (!out.has(e.fn)) out.set(e.fn, { fn: e.fn, source: waits[e.fn], chain: [...chain, { ...step, note: `${ref.fn.name}() calls ${e.fn}(), which waits without a bound (${waits[e.fn]})` }] });
        continue;
      }
      if (!a.readsBody(e.fn, 'call')) continue;
      const callee = a.resolve(e.fn, ref.file);
      if (callee && !callee.fn.stub) walk(callee, [...chain, step], depth + 1);
    }
  };
  walk(root, [], 0);
  return [...out.values()];
}
