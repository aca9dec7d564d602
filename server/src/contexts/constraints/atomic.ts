/**
 * What the NMI, tracing and hardirq rules share: the constraints `no-allocator` and
 * `trylock-only` over the summaries, the severity of each context, and the memo that gives a
 * place reached from several contexts to the strictest one only (the engine runs the entry
 * points NMI first, then tracing, then hardirq: kb/contexts.ts ATOMIC_CONTEXTS).
 */
import * as path from 'path';
import type { AllocUse, Analysis, FnRef, FreeUse, LockAcq, Step } from '../../index/analysis';
import type { EntryPoint } from '../registry';
import { isNolockAllocator } from '../../kb/allocators';
import type { Severity } from '../../rules/types';

/** Places already reported (file:line:col of the last evidence step) and the context that reported them. */
export type SiteMemo = Map<string, string>;

/** Claim the place a chain ends at for this context; false when a stricter (earlier) entry point already reported it. */
export function claim(memo: SiteMemo, chain: Step[], context: string): boolean {
  const last = chain[chain.length - 1];
  const k = `${last.file}:${last.span[0]}:${last.span[1]}`;
  if (memo.has(k)) return false;
  memo.set(k, context);
  return true;
}

/** NMI and hardirq are certain; a tracing callback or BPF helper runs in NMI only where it is attached there. */
export function atomicSeverity(ep: EntryPoint): Severity {
  return ep.context.id === 'tracing' ? 'warning' : 'error';
}

/** Where a chain ends, for a message: " in pmu_stash() (record.c:8)"; empty when it ends in the entry function itself. */
export function siteOf(chain: Step[]): string {
  if (chain.length < 2) return '';
  const last = chain[chain.length - 1];
  const fn = /^(\w+)\(\)/.exec(last.note)?.[1];
  return ` in ${fn ? `${fn}() ` : ''}(${path.basename(last.file)}:${last.span[0] + 1})`;
}

export function entryLabel(ep: EntryPoint): string {
  return `${ep.role} ${ep.name}() (${ep.owner})`;
}

export function registeredStep(ep: EntryPoint): Step {
  return { file: ep.registeredAt.file, span: ep.registeredAt.span, note: `${ep.via ?? ep.name} registers ${ep.name}() as ${ep.role}: it runs in ${ep.context.id} context` };
}

/** A chain that goes through an allocation or a free: the allocator's own locks are that call's finding. */
function viaAllocator(chain: Step[]): boolean {
  return chain.some((s) => /\b(?:allocates with|frees with) /.test(s.note));
}

/** Constraint `no-allocator`: calls into the ordinary allocators (any gfp, GFP_ATOMIC included), and their frees. */
export function allocatorCalls(a: Analysis, fn: FnRef): (AllocUse | FreeUse)[] {
  const s = a.summary(fn);
  return [...s.allocs.filter((x) => !isNolockAllocator(x.fn)), ...s.frees.filter((x) => !isNolockAllocator(x.fn))];
}

/** Constraint `trylock-only`: waiting acquisitions of any lock kind (the allocator's own are allocatorCalls'). */
export function waitingLocks(a: Analysis, fn: FnRef): LockAcq[] {
  return [...a.summary(fn).acquires.values()].filter((x) => !x.trylock && !viaAllocator(x.chain));
}
