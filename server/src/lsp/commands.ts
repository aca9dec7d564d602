/**
 * workspace/executeCommand handlers: restartIndex, listCaches, lockGraph,
 * simulate, simulationInput (what the simulation views run for a cache: its
 * model, for "compare" the proposed conversion of a ctor-dtor-candidate
 * cache, the workload that cache is compared on, and the static findings the
 * check reported about it) and conversionModel (the same, converting).
 * The conversion and its predicted gain live in conversion.ts.
 */
import type { CacheModel } from '../../../simulator/src/model';
import { cacheWorkload, simulateCache } from '../../../simulator/src/simulate';
import { candidateFinding, conversionModel } from './conversion';
export { CANDIDATE_RULE, candidateFinding, conversionModel, formatGain, predictConversion, conversionFigures, type Prediction } from './conversion';
import { uriToPath } from './paths';
import type { Workspace } from './workspace';

export const COMMANDS = ['slabcheck.restartIndex', 'slabcheck.listCaches', 'slabcheck.lockGraph', 'slabcheck.simulate', 'slabcheck.conversionModel', 'slabcheck.simulationInput'];

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

function findModel(models: CacheModel[], name: string | undefined, file: string | undefined): CacheModel | undefined {
  return models.find((m) => m.name === name && (!file || m.at.file === file)) ?? models.find((m) => m.name === name);
}

/** A static finding (what `slabcheck check` and the Problems panel report) as the results page lists it. */
export interface StaticFinding {
  rule: string;
  severity: string;
  message: string;
  file: string;
  /** 0-based, like LSP. */
  line: number;
  col: number;
}

/**
 * The workspace check's findings about one cache: those naming its creation
 * (the rules report the cache by its name as written), from the findings the
 * Problems panel shows (severities and ignores applied).
 */
export function cacheFindings(ws: Pick<Workspace, 'findings' | 'caches'>, model: CacheModel): StaticFinding[] {
  const info = ws.caches.find((c) => c.file === model.at.file && c.creation.at[0] === model.at.startLine && c.creation.at[1] === model.at.startCol);
  const name = info?.creation.name;
  const mine = ws.findings.filter((f) => (name !== undefined ? f.cache === name : f.cache?.replace(/^"|"$/g, '') === model.name));
  const rank = (s: string) => (s === 'error' ? 0 : s === 'warning' ? 1 : s === 'info' ? 2 : 3);
  return mine
    .map((f) => ({ rule: f.rule, severity: f.severity, message: f.message, file: f.file, line: f.span[0], col: f.span[1] }))
    .sort((a, b) => rank(a.severity) - rank(b.severity) || (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
}

export interface SimulationInput {
  available: boolean;
  message: string;
  /** The model to simulate (compare: the proposed conversion for a candidate, else the cache's own model). */
  model?: CacheModel;
  /** `model` carries a ctor/dtor slabcheck proposed (the cache has none yet). */
  converted?: boolean;
  /** The workload this cache is compared on (exec() for mm_struct, its objects' lifetime otherwise). */
  workload?: 'exec' | 'lifetime';
  /** The workspace check's findings about the cache. */
  findings?: StaticFinding[];
}

/** The model a cache is simulated with, its struct headers read so its object size is estimated. */
async function inputModel(ws: Workspace, name: string | undefined, filePath: string | undefined): Promise<CacheModel | undefined> {
  const listed = findModel(await listCaches(ws), name, filePath);
  if (!listed || !ws.engine) return listed;
  const r = await ws.run('cacheModel', async () => ws.engine!.model((m) => m.at.file === listed.at.file && m.at.startLine === listed.at.startLine && m.at.startCol === listed.at.startCol));
  return r ?? listed;
}

/** args: (cacheName, fileUri?, {convert?: boolean}?): what "Simulate Cache" and "Compare" need of a cache. */
export async function simulationInput(ws: Workspace, args: unknown[]): Promise<SimulationInput> {
  const name = typeof args[0] === 'string' ? args[0] : undefined;
  const file = typeof args[1] === 'string' ? args[1] : undefined;
  const convert = !!(args[2] && typeof args[2] === 'object' && (args[2] as { convert?: unknown }).convert);
  const filePath = file?.startsWith('file:') ? uriToPath(file) : file;
  const model = await inputModel(ws, name, filePath);
  if (!model) return { available: false, message: `no cache named ${JSON.stringify(name)} in the workspace` };
  const findings = cacheFindings(ws, model);
  const workload = cacheWorkload(model);
  const f = convert ? candidateFinding(ws.findings, model) : undefined;
  if (f) return { available: true, model: conversionModel(model, f, ws.engine?.analysis), converted: true, workload, findings, message: `cache "${model.name}": the proposed ctor/dtor conversion` };
  if (convert && !model.ctor && !model.dtor) return { available: true, model, converted: false, workload, findings, message: `cache "${model.name}" has no ctor/dtor and is not a conversion candidate: both modes run the same code` };
  return { available: true, model, converted: false, workload, findings, message: `cache "${model.name}": its ctor/dtor against running them on every object` };
}

/** slabcheck.conversionModel: simulationInput with the conversion (kept for callers of the older command). */
export async function conversion(ws: Workspace, args: unknown[]): Promise<ConversionModelResult> {
  return simulationInput(ws, [args[0], args[1], { convert: true }]);
}

export type ConversionModelResult = SimulationInput;
