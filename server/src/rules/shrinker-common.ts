/** What the shrinker rules share: the callbacks to check, and the note that says what was not read. */
import type { Analysis, FnRef, Step } from '../index/analysis';
import type { Callback, ShrinkerInfo } from '../contexts/registry';
import { shrinkerLabel } from '../contexts/registry';

export function resolvedCallbacks(s: ShrinkerInfo): (Callback & { fn: FnRef })[] {
  // One shrinker may name the same function twice (a table and an assignment): check it once per role.
  const seen = new Set<string>();
  return s.callbacks.filter((c): c is Callback & { fn: FnRef } => {
    if (!c.fn) return false;
    const k = `${c.role}|${c.fn.file}|${c.fn.fn.name}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** "scan_objects callback foo_scan() of shrinker 'foo'" */
export function callbackLabel(s: ShrinkerInfo, c: Callback): string {
  return `${c.role} callback ${c.binding.fn ?? c.binding.expr}() of ${shrinkerLabel(s)}`;
}

/** Where the callback was registered, as evidence. */
export function registeredStep(s: ShrinkerInfo, c: Callback): Step {
  return { file: s.file, span: c.binding.at, note: `${c.binding.expr} is the ${c.role} of ${shrinkerLabel(s)} (${s.anchor.what}): it runs in reclaim` };
}

/** Never silent: what the callback's summary could not read, as a last evidence step. */
export function unreadSteps(a: Analysis, fn: FnRef): Step[] {
  const s = a.summary(fn);
  if (!s.unresolved.size) return [];
  const names = [...s.unresolved].slice(0, 6).map((n) => `${n}()`).join(', ');
  return [{ file: fn.file, span: fn.fn.nameAt, note: `not read (no definition in the workspace): ${names}${s.unresolved.size > 6 ? ` and ${s.unresolved.size - 6} more` : ''}; what they do is not part of this check` }];
}
