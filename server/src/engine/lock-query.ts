/**
 * `slabcheck locks --class NAME`: one class of the whole-tree graph, as a reviewer asks about it
 * ("what are the rules for acquiring this lock?"): its kind and acquisition sites, what is taken
 * while it is held, what it is taken under, and whether it is a leaf and why.
 */
import { Analysis, FS_RECLAIM, Step } from '../index/analysis';
import type { GraphView } from '../graph/graph-index';
import type { Engine } from './engine';

export interface LockQuery {
  cls: string;
  found: boolean;
  /** Similar class names when `found` is false. */
  suggestions?: string[];
  kinds: string[];
  sites: { count: number; trylocks: number; first: { fn: string; file: string; line: number; op: string }[] };
  leaf: 'yes' | 'no' | 'unknown';
  why: string;
  /** Classes taken while it is held, one evidence chain each. */
  nests: { cls: string; evidence: Step[] }[];
  /** Classes it is taken under. */
  under: { cls: string; evidence: Step[] }[];
  /** Why the class is named by an expression or an unbound parameter. */
  unresolved?: string;
  knowledgeBase?: { leaf?: boolean; nonLeafBecause?: string; definedIn?: string; saidInDiscussion?: string };
}

const MAX_LISTED = 50;

export async function queryLockClass(engine: Engine, cls: string): Promise<LockQuery> {
  return answerLockClass(await engine.graphView(), engine.analysis.lockFacts, cls);
}

/** The answer from a graph (computed here or stored by an earlier run): the same words either way. */
export function answerLockClass(view: GraphView, lockFacts: Analysis['lockFacts'], cls: string): LockQuery {
  const known = lockFacts.get(cls);
  const base: LockQuery = { cls, found: view.has(cls), kinds: [], sites: { count: 0, trylocks: 0, first: [] }, leaf: 'unknown', why: '', nests: [], under: [] };
  if (known) base.knowledgeBase = { leaf: known.leaf, nonLeafBecause: known.nonLeafBecause, definedIn: known.definedIn, saidInDiscussion: known.saidInDiscussion };
  if (!base.found) {
    const low = cls.toLowerCase();
    base.suggestions = view.classNames().filter((c) => c.toLowerCase().includes(low) || low.includes(c.toLowerCase().split(/[.:]/).pop() ?? '\0')).sort((a, b) => a.length - b.length).slice(0, 10);
    base.why = 'no acquisition of this class was found in the tree';
    return base;
  }
  const sites = view.sites(cls);
  base.sites = { count: sites.count, trylocks: sites.trylocks, first: sites.first };
  base.kinds = sites.kinds;
  const unresolved = view.unresolved(cls);
  if (unresolved) base.unresolved = unresolved;
  base.nests = view.nests(cls).filter((n) => n.cls !== cls).slice(0, MAX_LISTED);
  base.under = view.under(cls, MAX_LISTED);
  const real = base.nests.filter((n) => n.cls !== FS_RECLAIM);
  if (known?.declared && known.leaf) {
    base.leaf = 'yes';
    base.why = 'declared a leaf in .slabcheck.json';
  } else if (real.length) {
    base.leaf = 'no';
    base.why = `${real.slice(0, 3).map((n) => n.cls).join(', ')}${real.length > 3 ? ` and ${real.length - 3} more` : ''} ${real.length > 1 ? 'are' : 'is'} taken while it is held`;
  } else if (known && !known.declared && sites.count === 0) {
    base.why = 'taken only inside kernel functions whose code is not in the workspace (knowledge base): what it nests is not known';
  } else if (view.isLeaf(cls)) {
    base.leaf = 'yes';
    base.why = base.nests.length ? 'no other lock is taken while it is held (an allocation under it may enter reclaim: fs_reclaim)' : 'no other lock is taken while it is held';
  } else {
    base.why = known?.nonLeafBecause ?? 'not decided';
    base.leaf = known?.nonLeafBecause ? 'no' : 'unknown';
  }
  return base;
}
