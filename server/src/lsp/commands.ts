/** workspace/executeCommand handlers: restartIndex, listCaches, lockGraph, simulate. */
import * as fs from 'fs';
import * as path from 'path';
import type { CacheModel } from '../../../simulator/src/model';
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

type SimulatorModule = Record<string, unknown>;

/** The simulator, when this build has it (simulator/src/index.ts next to the server's output). */
function loadSimulator(): SimulatorModule | undefined {
  const candidates = [path.join(__dirname, '../../../simulator/src/index.js'), path.join(__dirname, 'simulator.js')];
  for (const c of candidates) {
    if (!fs.existsSync(c)) continue;
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return require(c) as SimulatorModule;
  }
  return undefined;
}

export async function simulate(ws: Workspace, args: unknown[]): Promise<SimulateResult> {
  const name = typeof args[0] === 'string' ? args[0] : undefined;
  const file = typeof args[1] === 'string' ? args[1] : undefined;
  const models = await listCaches(ws);
  const filePath = file?.startsWith('file:') ? uriToPath(file) : file;
  const model = models.find((m) => m.name === name && (!filePath || m.at.file === filePath)) ?? models.find((m) => m.name === name);
  if (!model) return { available: false, message: `no cache named ${JSON.stringify(name)} in the workspace` };
  let sim: SimulatorModule | undefined;
  try {
    sim = loadSimulator();
  } catch (e) {
    return { available: false, model, message: `the simulator failed to load: ${(e as Error).message}` };
  }
  const fn = sim && (['simulateCache', 'simulateModel', 'simulate'] as const).map((k) => sim![k]).find((f) => typeof f === 'function') as ((m: CacheModel) => unknown) | undefined;
  if (!fn) {
    return { available: false, model, message: `The allocator simulator is not part of this build yet; the cache model of "${model.name}" is attached (run \`slabcheck simulate\` on the command line).` };
  }
  try {
    const result = await fn(model);
    const report = typeof result === 'string' ? result : typeof (result as { report?: unknown })?.report === 'string' ? (result as { report: string }).report : JSON.stringify(result, null, 2);
    return { available: true, model, report, message: `simulated cache "${model.name}"` };
  } catch (e) {
    return { available: false, model, message: `the simulation failed: ${(e as Error).message}` };
  }
}
