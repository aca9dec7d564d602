/** workspace/executeCommand handlers: restartIndex, listCaches, lockGraph, simulate. */
import type { CacheModel } from '../../../simulator/src/model';
import { simulateCache } from '../../../simulator/src/simulate';
import { uriToPath } from './paths';
import type { Workspace } from './workspace';

export const COMMANDS = ['slabcheck.restartIndex', 'slabcheck.listCaches', 'slabcheck.lockGraph', 'slabcheck.simulate'];

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
    const { graph, classes, leaves } = await ws.engine.lockGraph();
    const edges: LockGraphResult['edges'] = [];
    for (const [from, m] of graph) {
      for (const [to, e] of m) {
        edges.push({ from, to, evidence: e.chain.map((s) => ({ uri: ws.uris.uri(s.file), file: s.file, line: s.span[0], character: s.span[1], note: s.note })) });
      }
    }
    edges.sort((a, b) => (a.from + a.to < b.from + b.to ? -1 : 1));
    return { classes: [...classes].sort().map((name) => ({ name, leaf: leaves.has(name) })), edges, leaves: [...leaves].sort() };
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
