/**
 * workspace/executeCommand handlers: restartIndex, listCaches, lockGraph,
 * simulate, conversionModel (the model the "compare ctor/dtor" view sweeps:
 * for a ctor-dtor-candidate cache, the proposed conversion), and the
 * predicted gain of a conversion that the candidate code lens shows.
 */
import type { CacheModel, CtorDtorModel, ModelStep, SourceRange } from '../../../simulator/src/model';
import { simulateCache, sweep } from '../../../simulator/src/simulate';
import type { Finding } from '../rules/types';
import { uriToPath } from './paths';
import type { Workspace } from './workspace';

export const COMMANDS = ['slabcheck.restartIndex', 'slabcheck.listCaches', 'slabcheck.lockGraph', 'slabcheck.simulate', 'slabcheck.conversionModel'];

export const CANDIDATE_RULE = 'ctor-dtor-candidate';

export interface LockGraphResult {
  classes: { name: string; leaf: boolean }[];
  edges: { from: string; to: string; evidence: { uri: string; file: string; line: number; character: number; note: string }[] }[];
  leaves: string[];
}

export interface SimulateResult {
  available: boolean;
  message: string;
  model?: CacheModel;
  report?: string;
  /** The simulation saw no deadlock and no lockdep error. */
  ok?: boolean;
}

export async function listCaches(ws: Workspace): Promise<CacheModel[]> {
  const r = await ws.run('listCaches', async () => (ws.engine ? ws.engine.models() : []));
  return r ?? [];
}

export async function lockGraph(ws: Workspace): Promise<LockGraphResult> {
  const r = await ws.run('lockGraph', async () => {
    if (!ws.engine) return undefined;
    // The stored whole-tree graph when the tree has one (and stores it when it has not).
    const view = await ws.engine.graphView();
    const edges: LockGraphResult['edges'] = [];
    for (const e of view.edges()) {
      edges.push({ from: e.from, to: e.to, evidence: e.chain().map((s) => ({ uri: ws.uris.uri(s.file), file: s.file, line: s.span[0], character: s.span[1], note: s.note })) });
    }
    edges.sort((a, b) => (a.from + a.to < b.from + b.to ? -1 : 1));
    const names = view.classNames().sort();
    return { classes: names.map((name) => ({ name, leaf: view.isLeaf(name) })), edges, leaves: names.filter((n) => view.isLeaf(n)) };
  });
  return r ?? { classes: [], edges: [], leaves: [] };
}

export async function simulate(ws: Workspace, args: unknown[]): Promise<SimulateResult> {
  const name = typeof args[0] === 'string' ? args[0] : undefined;
  const file = typeof args[1] === 'string' ? args[1] : undefined;
  const models = await listCaches(ws);
  const filePath = file?.startsWith('file:') ? uriToPath(file) : file;
  const model = models.find((m) => m.name === name && (!filePath || m.at.file === filePath)) ?? models.find((m) => m.name === name);
  if (!model) return { available: false, message: `no cache named ${JSON.stringify(name)} in the workspace` };
  try {
    const t0 = Date.now();
    const r = simulateCache(model);
    return {
      available: true, model, report: r.report, ok: r.ok,
      message: `simulated cache "${model.name}" in ${Date.now() - t0} ms: ${r.ok ? 'no deadlock, no lockdep error' : 'problems found (see the report)'}`,
    };
  } catch (e) {
    return { available: false, model, message: `the simulation of "${model.name}" failed: ${(e as Error).message}` };
  }
}

export interface ConversionModelResult {
  available: boolean;
  message: string;
  /** The model to compare: the proposed conversion for a candidate, else the cache's own model. */
  model?: CacheModel;
  /** `model` carries a ctor/dtor slabcheck proposed (the cache has none yet). */
  converted?: boolean;
}

function findModel(models: CacheModel[], name: string | undefined, file: string | undefined): CacheModel | undefined {
  return models.find((m) => m.name === name && (!file || m.at.file === file)) ?? models.find((m) => m.name === name);
}

/** The ctor-dtor-candidate finding of a cache (matched by the creation's position). */
export function candidateFinding(findings: Finding[], model: CacheModel): Finding | undefined {
  return findings.find((f) => f.rule === CANDIDATE_RULE && f.file === model.at.file && f.span[0] === model.at.startLine && f.span[1] === model.at.startCol);
}

/** The last `calls X()` in an evidence note (the percpu function itself, past any helper). */
function lastCall(note: string, fallback: string): string {
  const calls = [...note.matchAll(/calls ([A-Za-z_]\w*)\(\)/g)].map((m) => m[1]);
  return calls.length ? calls[calls.length - 1] : fallback;
}

/**
 * The conversion the candidate rule proposes, as a cache model: the percpu
 * allocation made right after kmem_cache_alloc() becomes the ctor and the
 * percpu free made right before kmem_cache_free() becomes the dtor. The
 * simulator's baseline mode then runs them on every object lifetime (the code
 * as it is) and its ctor/dtor mode keeps them with the object.
 */
export function conversionModel(model: CacheModel, finding: Finding): CacheModel {
  const [allocSide, freeSide] = finding.related;
  const allocNote = allocSide?.note ?? '';
  const freeNote = (freeSide?.note ?? '').split(', then frees')[0];
  const allocFn = lastCall(allocNote.split(', then ').slice(1).join(', then ') || allocNote, 'alloc_percpu');
  const freeFn = lastCall(freeNote, 'free_percpu');
  const at = (st: typeof allocSide | undefined): SourceRange | undefined => (st ? { file: st.file, startLine: st.span[0], startCol: st.span[1], endLine: st.span[2], endCol: st.span[3] } : undefined);
  const base = (model.variable ?? model.name).replace(/_?cachep?$/, '') || model.name;
  const allocStep: ModelStep = { kind: 'alloc', allocator: allocFn, gfp: 'GFP_KERNEL', percpu: true, at: at(allocSide) };
  const freeStep: ModelStep = { kind: 'free', allocator: freeFn, percpu: true, at: at(freeSide) };
  const ctor: CtorDtorModel = {
    name: `${base}_ctor`, at: at(allocSide), steps: [allocStep], maySleep: true,
    summary: `proposed: ${allocFn}() moved from the allocation path into a ctor`,
  };
  const dtor: CtorDtorModel = {
    name: `${base}_dtor`, at: at(freeSide), steps: [freeStep], maySleep: false,
    summary: `proposed: ${freeFn}() moved from the free path into a dtor`,
  };
  return { ...model, ctor, dtor };
}

export async function conversion(ws: Workspace, args: unknown[]): Promise<ConversionModelResult> {
  const name = typeof args[0] === 'string' ? args[0] : undefined;
  const file = typeof args[1] === 'string' ? args[1] : undefined;
  const filePath = file?.startsWith('file:') ? uriToPath(file) : file;
  const model = findModel(await listCaches(ws), name, filePath);
  if (!model) return { available: false, message: `no cache named ${JSON.stringify(name)} in the workspace` };
  const f = candidateFinding(ws.findings, model);
  if (f) return { available: true, model: conversionModel(model, f), converted: true, message: `cache "${model.name}": the proposed ctor/dtor conversion` };
  if (!model.ctor && !model.dtor) return { available: true, model, converted: false, message: `cache "${model.name}" has no ctor/dtor and is not a conversion candidate: both modes run the same code` };
  return { available: true, model, converted: false, message: `cache "${model.name}": its ctor/dtor against running them on every object` };
}

export interface Prediction {
  cpus: number;
  machine: string;
  gainPct: number;
  baselinePerSec: number;
  ctorDtorPerSec: number;
  ms: number;
}

/** Simulated time of the lens's prediction run: ~30 ms of wall time at 192 CPUs. */
export const PREDICT_DURATION_NS = 10_000_000;
const predictions = new Map<string, Prediction>();
const MAX_PREDICTIONS = 256;

/**
 * Baseline vs ctor/dtor of the exec-like workload on the 192-CPU server
 * profile, one short run each way; memoised per cache model (position
 * included), so the lens stays cheap while nothing changes.
 */
export function predictConversion(model: CacheModel): Prediction {
  const key = JSON.stringify(model);
  const hit = predictions.get(key);
  if (hit) return hit;
  const t0 = Date.now();
  const r = sweep([model], { workload: 'exec', points: [{ machine: 'server-192', cpus: 192 }], durationNs: PREDICT_DURATION_NS });
  const row = r.compare![0];
  const p: Prediction = { cpus: row.cpus, machine: row.machine, gainPct: row.gainPct, baselinePerSec: row.baselinePerSec, ctorDtorPerSec: row.ctorDtorPerSec, ms: Date.now() - t0 };
  if (predictions.size >= MAX_PREDICTIONS) predictions.delete(predictions.keys().next().value as string);
  predictions.set(key, p);
  return p;
}

export function formatGain(pct: number): string {
  const r = Math.round(pct * 10) / 10;
  return `${r >= 0 ? '+' : '-'}${Math.abs(r).toFixed(1)}%`;
}
