/**
 * `slabcheck locks --class NAME`: one class of the whole-tree graph, as a reviewer asks about it
 * ("what are the rules for acquiring this lock?"): its kind and acquisition sites, what is taken
 * while it is held, what it is taken under, and whether it is a leaf and why.
 */
import { Analysis, FS_RECLAIM, Step } from '../index/analysis';
import type { GraphView } from '../graph/graph-index';
import type { Engine } from './engine';
import * as fs from 'fs';
import { trace } from './trace';
import { graphSource, HeldUnder, HeldUnderTable, MAX_CALLER_DEPTH, tableSummary } from '../index/held-under';
import { toGraphFile } from '../graph/graph-facts';
import type { LockGraph } from '../graph/lock-graph';

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

/** `slabcheck locks --class NAME --held-under`: what is held at each acquisition site of a class. */
export interface HeldUnderQuery extends HeldUnderTable {
  summary: string;
  /** How "held" was decided, for the reader of the table. */
  method: string;
  /** Files read to find the callers of the sites' global functions (demand-driven trees). */
  callerFilesRead: number;
}

const MAX_SEARCHED_NAMES = 300;

/** One load of the graph's facts per engine for every class asked (`--class` repeated). */
const loaded = new WeakMap<Engine, Promise<LockGraph>>();

export async function queryHeldUnder(engine: Engine, cls: string): Promise<HeldUnderQuery> {
  let lgp = loaded.get(engine);
  if (!lgp) loaded.set(engine, (lgp = engine.lockGraphFacts(true)));
  const lg = await lgp;
  const prims = engine.config.lockPrimitives;
  const p = engine.project;
  let callerFilesRead = 0;
  const searched = new Set<string>();
  const known = (f: number) => !p.demandDriven || lg.isStatic(f) || searched.has(lg.fnName(f));
  const src = graphSource(lg, prims, known);
  if (p.demandDriven) {
    // A global function's callers may be in files the graph did not read: read the files that
    // name it (one text pass per level of callers). A static one's are in its own file.
    let level = new Set(src.sites(cls).map((s) => s.fn));
    for (let depth = 0; depth < MAX_CALLER_DEPTH && level.size; depth++) {
      const names = [...new Set([...level].filter((f) => !lg.isStatic(f)).map((f) => lg.fnName(f)))].filter((n) => !searched.has(n));
      // A few hundred names at most per pass (a regular expression of thousands is slow): the rest start under nothing.
      const batch = names.slice(0, MAX_SEARCHED_NAMES);
      const files = filesMentioningAny(p.files, batch).filter((f) => !lg.has(f));
      if (files.length) {
        await p.ensureFacts(files);
        for (const f of files) {
          const facts = p.facts.get(f);
          if (facts) lg.add(toGraphFile(facts));
        }
        callerFilesRead += files.length;
      }
      for (const n of batch) searched.add(n);
      trace(`held-under ${cls}: level ${depth + 1}, ${batch.length} of ${names.length} global names searched, ${files.length} files read`);
      const next = new Set<number>();
      for (const f of level) for (const c of src.callers(f)) next.add(c.caller);
      level = next;
    }
  }
  const t = new HeldUnder(src).table(cls);
  trace(`held-under ${cls}: table`);
  return {
    ...t, summary: tableSummary(t), callerFilesRead,
    method: `must-held (every path of the function) at each site, and held at every call of the function found (${MAX_CALLER_DEPTH} callers up; calls through pointers are not seen)`,
  };
}

/** Files whose text names any of `names` (one read per file). */
function filesMentioningAny(files: string[], names: string[]): string[] {
  if (!names.length) return [];
  const re = new RegExp(`\\b(?:${names.join('|')})\\b`);
  const out: string[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = fs.readFileSync(f, 'latin1');
    } catch {
      continue;
    }
    if (re.test(text)) out.push(f);
  }
  return out;
}
