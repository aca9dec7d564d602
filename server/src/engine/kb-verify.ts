/**
 * `slabcheck kb verify`: every claim of the knowledge base (server/src/kb/kernel-functions.ts)
 * recomputed from the tree's own code. A function's claim is checked where the tree holds exactly
 * one kernel .c definition of it; a lock's leaf claim against what the code takes while holding it.
 */
import { KERNEL_FUNCTIONS, knownLockFacts } from '../kb/kernel-functions';
import { FS_RECLAIM, Step } from '../index/analysis';
import type { Engine } from './engine';

/** `header-only`: a macro or static inline, whose callees the knowledge base already covers. */
export type VerdictStatus = 'agrees' | 'disagrees' | 'unconfirmed' | 'not-in-tree' | 'header-only' | 'ambiguous';

export interface ClaimNote {
  /** What differs: the code takes a lock the KB omits, the KB names a lock the code does not take, sleeping. */
  kind: 'code-takes' | 'code-does-not-take' | 'code-sleeps' | 'code-does-not-sleep' | 'lock-nests' | 'unread-callees';
  text: string;
  evidence?: Step[];
}

export interface FunctionVerdict {
  name: string;
  kbSource: string;
  status: VerdictStatus;
  definition?: { file: string; line: number };
  definitions?: number;
  notes: ClaimNote[];
}

export interface LockVerdict {
  lock: string;
  kbSays: 'leaf' | 'not a leaf' | 'no claim';
  /** Classes the code takes while holding it (one evidence chain each, first 5). */
  nests: { cls: string; evidence: Step[] }[];
  /** Whether the code was found to hold it at all. */
  heldInCode: boolean;
  status: VerdictStatus;
}

export interface KbReport {
  functions: FunctionVerdict[];
  locks: LockVerdict[];
  disagreements: number;
}

export async function verifyKb(engine: Engine): Promise<KbReport> {
  await engine.load({ creations: true });
  const a = engine.analysis;
  const p = engine.project;
  const functions: FunctionVerdict[] = [];
  for (const [name, kb] of Object.entries(KERNEL_FUNCTIONS)) {
    const all = (p.defIndex.get(name) ?? []).filter((f) => !a.outsideKernel(f));
    const defs = all.filter((f) => f.endsWith('.c'));
    const v: FunctionVerdict = { name, kbSource: kb.source, status: all.length ? 'header-only' : 'not-in-tree', notes: [] };
    functions.push(v);
    if (defs.length === 0) continue;
    if (defs.length > 1) {
      v.status = 'ambiguous';
      v.definitions = defs.length;
      continue;
    }
    await p.ensureFacts(defs, p.demandDriven ? 'creations' : undefined, [name]);
    const fn = a.functionsIn(defs[0]).find((f) => f.name === name);
    if (!fn || fn.stub) {
      v.status = 'not-in-tree';
      continue;
    }
    const ref = { file: defs[0], fn };
    await a.prepare([ref]);
    v.definition = { file: defs[0], line: fn.nameAt[0] + 1 };
    const s = a.summary(ref);
    const complete = !s.incomplete && s.unresolved.size === 0;
    const claimed = new Set((kb.locks ?? []).map((l) => l.lock));
    for (const [cls, acq] of s.acquires) {
      if (acq.trylock || claimed.has(cls)) continue;
      v.notes.push({ kind: 'code-takes', text: `the code takes ${cls}, which the knowledge base does not list`, evidence: acq.chain });
    }
    for (const l of kb.locks ?? []) {
      if (s.acquires.has(l.lock)) continue;
      if (complete) v.notes.push({ kind: 'code-does-not-take', text: `the knowledge base says it ${l.maybe ? 'may take' : 'takes'} ${l.lock}; the body (read to the end) does not` });
    }
    if (s.maySleep && kb.maySleep === false) v.notes.push({ kind: 'code-sleeps', text: 'the knowledge base says it does not sleep; the code may', evidence: s.maySleep });
    if (!s.maySleep && kb.maySleep === true && complete) v.notes.push({ kind: 'code-does-not-sleep', text: 'the knowledge base says it may sleep; the body (read to the end) does not' });
    const disagrees = v.notes.length > 0;
    if (!complete) {
      const unread = [...s.unresolved].slice(0, 5);
      v.notes.push({ kind: 'unread-callees', text: `not read to the end${unread.length ? ` (calls ${unread.map((u) => `${u}()`).join(', ')}${s.unresolved.size > 5 ? ', ...' : ''} with no body here)` : ' (a callee is not read to the end)'}: what it does not show is not contradicted` });
    }
    v.status = disagrees ? 'disagrees' : complete ? 'agrees' : 'unconfirmed';
  }
  const locks: LockVerdict[] = [];
  for (const [lock, fact] of knownLockFacts()) {
    const { edges } = await a.edgesFrom(lock);
    const byTo = new Map<string, Step[]>();
    for (const e of edges) if (e.to !== FS_RECLAIM && e.to !== lock && !byTo.has(e.to)) byTo.set(e.to, e.chain);
    const kbSays = fact.leaf ? 'leaf' : fact.nonLeafBecause ? 'not a leaf' : 'no claim';
    const heldInCode = edges.length > 0 || (await p.filesMentioning([lock])).length > 0;
    const nests = [...byTo].slice(0, 5).map(([cls, evidence]) => ({ cls, evidence }));
    const status: VerdictStatus = !heldInCode ? 'not-in-tree' : kbSays === 'leaf' && byTo.size ? 'disagrees' : kbSays === 'not a leaf' && !byTo.size ? 'unconfirmed' : 'agrees';
    locks.push({ lock, kbSays, nests, heldInCode, status });
  }
  const disagreements = functions.filter((f) => f.status === 'disagrees').length + locks.filter((l) => l.status === 'disagrees').length;
  return { functions, locks, disagreements };
}
