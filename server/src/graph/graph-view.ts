/**
 * The lock graph computed in this process, seen through the same questions as the stored one
 * (graph-index.ts): a lock query and the listings do not care which they read.
 */
import { LOCK_OPS } from '../kb/locks';
import type { Edge, Step } from '../index/analysis';
import type { StepKey } from './lock-graph';
import type { IndexSource, Site } from './graph-index';
import type { LockGraph } from './lock-graph';

/** Acquisition sites kept per class (the query lists the first ten). */
export const FIRST_SITES = 10;

export class LiveGraph implements IndexSource {
  private acq?: ReturnType<LockGraph['acquisitionsByClass']>;

  constructor(private graph: Map<string, Map<string, Edge>>, private classes: Set<string>, private leaves: Set<string>, private lg?: LockGraph) {}

  classNames(): string[] {
    return [...this.classes].sort();
  }

  has(cls: string): boolean {
    return this.classes.has(cls);
  }

  isLeaf(cls: string): boolean {
    return this.leaves.has(cls);
  }

  unresolved(cls: string): string | undefined {
    return this.lg?.unresolvedWhy(cls);
  }

  sites(cls: string): { count: number; trylocks: number; kinds: string[]; first: Site[] } {
    this.acq ??= this.lg?.acquisitionsByClass(FIRST_SITES) ?? new Map();
    const a = this.acq.get(cls);
    if (!a) return { count: 0, trylocks: 0, kinds: [], first: [] };
    return { count: a.count, trylocks: a.trylocks, kinds: [...new Set([...a.ops].map((op) => LOCK_OPS[op]?.kind ?? op))].sort(), first: a.first };
  }

  nests(cls: string): { cls: string; evidence: Step[] }[] {
    return [...(this.graph.get(cls) ?? [])].map(([to, e]) => ({ cls: to, evidence: e.chain }));
  }

  outKeyed(cls: string): { cls: string; keyed?: () => StepKey[]; chain: () => Step[] }[] {
    return [...(this.graph.get(cls) ?? [])].map(([to, e]) => ({ cls: to, keyed: 'keyed' in e ? () => e.keyed! : undefined, chain: () => e.chain }));
  }

  under(cls: string, limit: number): { cls: string; evidence: Step[] }[] {
    const out: { cls: string; evidence: Step[] }[] = [];
    for (const [from, m] of this.graph) {
      if (out.length >= limit) break;
      const e = m.get(cls);
      if (e && from !== cls) out.push({ cls: from, evidence: e.chain });
    }
    return out;
  }

  *edges(): Iterable<{ from: string; to: string; chain: () => Step[]; last: () => Step }> {
    for (const [from, m] of this.graph) {
      for (const [to, e] of m) yield { from, to, chain: () => e.chain, last: () => e.last ?? e.chain[e.chain.length - 1] };
    }
  }
}
