/**
 * The command-palette simulations:
 *   Slab: Simulate Cache...                      (cache at the cursor or picked; workload; CPU counts)
 *   Slab: Compare ctor/dtor with per-object allocation  (sweep over CPU counts)
 *   Slab: Show Lock Graph                        (interactive graph webview)
 *   Slab: New Simulation Scenario                (a *.slabscenario.json validated as it is typed)
 *   Slab: Run Simulation Scenario                (the scenario in the active editor)
 * Cache models come from the language server; simulations run in a worker
 * thread behind a cancellable progress notification; results go to webviews.
 * Every command also takes its inputs as arguments, which skips the pickers.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { CacheModel } from '../../simulator/src/model';
import { runInWorker, SimulationCancelled, activeWorkers } from './simRunner';
import { JOB_WORKLOADS, MAX_JOB_CPUS, type JobWorkload, type SimJob } from './shared/simJob';
import { anchorsFor, type LockGraphData, type LockGraphPayload, type SimulationPayload, type StaticFinding } from './shared/payloads';
import { SCENARIO_SUFFIX, scenarioProblems, scenarioTemplate } from './shared/scenarioDoc';
import { openPage, relLabel, showPage } from './webviews';

export interface Deps {
  ctx: vscode.ExtensionContext;
  out: vscode.OutputChannel;
  serverCommand<T>(command: string, args?: unknown[]): Promise<T>;
}

export interface SimOptionsArg {
  workload?: JobWorkload;
  cpus?: number[];
  durationNs?: number;
  seed?: number;
  seeds?: number;
}

/** What the server says of a cache to simulate (server/src/lsp/commands.ts simulationInput). */
export interface SimulationInput {
  available: boolean;
  message: string;
  model?: CacheModel;
  converted?: boolean;
  workload?: 'exec' | 'lifetime';
  findings?: StaticFinding[];
}

/** What the simulation commands return (tests use it). */
export interface SimCommandResult {
  cancelled?: boolean;
  cache?: string;
  workload?: string;
  cpus?: number[];
  converted?: boolean;
  ok?: boolean;
  /** Time in the worker, and from the command to the payload being sent. */
  simMs?: number;
  totalMs?: number;
  pageId?: number;
  gains?: { cpus: number; gainPct: number | null; verdict: string }[];
}

export const DEFAULT_CPUS: Record<JobWorkload, number[]> = { lifetime: [1, 4, 24, 96, 192], exec: [1, 24, 192], burst: [1, 4, 24], reclaim: [2, 4, 24] };
export const COMPARE_CPUS = [1, 2, 4, 8, 16, 24, 48, 96, 192];
const CPU_CHOICES = [1, 2, 4, 8, 16, 24, 48, 96, 192];

const running = new Set<vscode.CancellationTokenSource>();

/** Cancel every simulation in progress (what the notification's Cancel does, for all of them). */
export function cancelSimulations(): number {
  const n = running.size;
  for (const c of running) c.cancel();
  return n;
}

export function simulationsRunning(): { jobs: number; workers: number } {
  return { jobs: running.size, workers: activeWorkers() };
}

// ---------------------------------------------------------------- pickers

function optionsFrom(a: unknown): SimOptionsArg {
  if (!a || typeof a !== 'object') return {};
  const o = a as Record<string, unknown>;
  const out: SimOptionsArg = {};
  if (typeof o.workload === 'string' && (JOB_WORKLOADS as readonly string[]).includes(o.workload)) out.workload = o.workload as JobWorkload;
  else if (o.workload !== undefined) throw new Error(`workload: one of ${JOB_WORKLOADS.join(', ')}`);
  if (Array.isArray(o.cpus)) {
    if (!o.cpus.length || o.cpus.some((n) => !Number.isInteger(n) || n < 1 || n > MAX_JOB_CPUS)) throw new Error(`cpus: integers between 1 and ${MAX_JOB_CPUS}`);
    out.cpus = o.cpus as number[];
  }
  if (typeof o.durationNs === 'number' && o.durationNs > 0) out.durationNs = o.durationNs;
  if (typeof o.seed === 'number' && Number.isInteger(o.seed) && o.seed >= 0) out.seed = o.seed;
  if (typeof o.seeds === 'number' && Number.isInteger(o.seeds) && o.seeds >= 1) out.seeds = o.seeds;
  return out;
}

/** The name of the kernel-style function (header at column 0) enclosing `line`, if any. */
export function enclosingFunction(lines: string[], line: number): string | undefined {
  for (let i = Math.min(line, lines.length - 1); i >= 0; i--) {
    const t = lines[i];
    if (i < line && /^\}/.test(t)) return undefined;
    if (/^[A-Za-z_]/.test(t) && !/;\s*$/.test(t)) {
      const m = /([A-Za-z_]\w*)\s*\(/.exec(t);
      if (m && !/^(if|for|while|switch|return|sizeof)$/.test(m[1])) return m[1];
    }
  }
  return undefined;
}

/** The cache whose creation, ctor or dtor the cursor is in. */
export function cacheAtCursor(caches: CacheModel[], editor: vscode.TextEditor | undefined): CacheModel | undefined {
  if (!editor || editor.document.uri.scheme !== 'file') return undefined;
  const file = editor.document.uri.fsPath;
  const line = editor.selection.active.line;
  const inFile = caches.filter((c) => c.at.file === file);
  const created = inFile.find((c) => line >= c.at.startLine && line <= c.at.endLine);
  if (created) return created;
  const fn = enclosingFunction(editor.document.getText().split(/\r?\n/), line);
  if (!fn) return undefined;
  return caches.find((c) => (c.ctor?.name === fn && (!c.ctor.at || c.ctor.at.file === file)) || (c.dtor?.name === fn && (!c.dtor.at || c.dtor.at.file === file)));
}

async function listCaches(d: Deps): Promise<CacheModel[]> {
  return d.serverCommand<CacheModel[]>('slabcheck.listCaches');
}

/** The cache named by the arguments, else the one at the cursor, else a quick pick of every cache. */
async function resolveCache(d: Deps, name: unknown, uri: unknown, placeHolder: string): Promise<CacheModel | undefined> {
  const caches = await listCaches(d);
  if (typeof name === 'string' && name) {
    const file = typeof uri === 'string' ? (uri.startsWith('file:') ? vscode.Uri.parse(uri).fsPath : uri) : undefined;
    const hit = caches.find((c) => c.name === name && (!file || c.at.file === file)) ?? caches.find((c) => c.name === name);
    if (!hit) throw new Error(`no cache named ${JSON.stringify(name)} in the workspace`);
    return hit;
  }
  return cacheAtCursor(caches, vscode.window.activeTextEditor) ?? quickPickCache(caches, placeHolder);
}

type PickableCache = { name: string; ctor?: { name: string; summary: string }; dtor?: { name: string; summary: string }; at: { file: string; startLine: number } };

/** A quick pick of the caches (the cache list and the simulation commands); a message when there are none. */
export async function quickPickCache<C extends PickableCache>(caches: C[], placeHolder: string): Promise<C | undefined> {
  if (!caches.length) {
    void vscode.window.showInformationMessage('slabcheck: no slab caches found in the workspace.');
    return undefined;
  }
  const items = caches.map((c) => ({
    label: c.name,
    description: `ctor: ${c.ctor?.name ?? 'none'} · dtor: ${c.dtor?.name ?? 'none'}`,
    detail: `${relLabel(c.at.file)}:${c.at.startLine + 1}${c.dtor ? ` — dtor ${c.dtor.summary}` : c.ctor ? ` — ctor ${c.ctor.summary}` : ''}`,
    cache: c,
  }));
  const pick = await vscode.window.showQuickPick(items, { placeHolder, matchOnDescription: true, matchOnDetail: true });
  return pick?.cache;
}

async function pickWorkload(cache: string, own: JobWorkload): Promise<JobWorkload | undefined> {
  const items: (vscode.QuickPickItem & { w: JobWorkload })[] = [
    { label: 'lifetime', description: `each CPU allocates, uses and frees "${cache}" objects in a loop`, detail: "this cache's own object size and ctor/dtor steps: what the pair buys on its hot path", w: 'lifetime' },
    { label: 'exec', description: 'one process per CPU calling exec() in a loop (mm_struct\'s workload, what the RFC measured)', detail: 'the exec() path with its shared locks; the cache is allocated once per exec()', w: 'exec' },
    { label: 'burst', description: 'allocate many objects, free them all, a few rounds', detail: 'slab growth and release: ctor and dtor runs, memory over time', w: 'burst' },
    { label: 'reclaim', description: 'dtors run inside direct reclaim under a held mutex', detail: 'the lock dependencies a dtor creates through fs_reclaim', w: 'reclaim' },
  ];
  // The cache's own workload first.
  items.sort((a, b) => (a.w === own ? -1 : b.w === own ? 1 : 0));
  return (await vscode.window.showQuickPick(items, { placeHolder: 'workload to simulate' }))?.w;
}

async function pickCpus(defaults: number[]): Promise<number[] | undefined> {
  const items = CPU_CHOICES.map((n) => ({ label: String(n), description: n === 1 ? 'up' : n <= 24 ? 'desktop-24 profile' : 'server-192 profile (2 sockets)', picked: defaults.includes(n), n }));
  const pick = await vscode.window.showQuickPick(items, { placeHolder: 'CPU counts (each runs baseline and ctor/dtor)', canPickMany: true });
  if (!pick) return undefined;
  return pick.length ? pick.map((p) => p.n) : defaults;
}

// ---------------------------------------------------------------- running

async function runWithProgress(d: Deps, title: string, job: SimJob): Promise<{ output: Awaited<ReturnType<typeof runInWorker>> } | { cancelled: true }> {
  const worker = d.ctx.asAbsolutePath(path.join('dist', 'sim-worker.js'));
  if (!fs.existsSync(worker)) throw new Error(`${worker} is missing: build the extension (node client/build.js)`);
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const cts = new vscode.CancellationTokenSource();
    const link = token.onCancellationRequested(() => cts.cancel());
    running.add(cts);
    let last = 0;
    try {
      const output = await runInWorker(worker, job, {
        token: cts.token,
        onProgress: (p) => {
          const pct = Math.round((p.done / Math.max(1, p.total)) * 100);
          progress.report({ message: `${p.label} (${p.done + 1}/${p.total})`, increment: pct - last });
          last = pct;
        },
      });
      return { output };
    } catch (e) {
      if (e instanceof SimulationCancelled) return { cancelled: true as const };
      throw e;
    } finally {
      running.delete(cts);
      link.dispose();
      cts.dispose();
    }
  });
}

/**
 * Open (or reuse) the results page first so the webview loads while the
 * worker runs; a page created for a run that is cancelled or fails is closed.
 */
async function withPage<T extends object>(d: Deps, title: string, startedAt: number, run: () => Promise<T | { cancelled: true }>): Promise<({ page: ReturnType<typeof openPage>['page'] } & T) | { cancelled: true }> {
  const { page, fresh } = openPage(d.ctx, d.out, 'results', title, startedAt);
  let r: T | { cancelled: true };
  try {
    r = await run();
  } catch (e) {
    if (fresh) page.panel.dispose();
    throw e;
  }
  if ('cancelled' in r) {
    if (fresh) page.panel.dispose();
    return r as { cancelled: true };
  }
  // Closed by the user meanwhile: show the result in a new one.
  const shown = page.info.disposed ? openPage(d.ctx, d.out, 'results', title, startedAt).page : page;
  return { page: shown, ...(r as T) };
}

function simulationPayload(kind: 'simulate' | 'compare', title: string, model: CacheModel, converted: boolean, job: SimJob, o: Awaited<ReturnType<typeof runInWorker>>, findings: StaticFinding[] | undefined): SimulationPayload {
  return {
    type: 'simulation', kind, title, cache: model.name, converted, workload: job.workload, cpus: [...new Set(job.cpus)].sort((a, b) => a - b),
    result: o.result, report: o.report, anchors: anchorsFor([model], relLabel), elapsedMs: o.elapsedMs,
    staticFindings: (findings ?? []).map((f) => ({ ...f, label: `${relLabel(f.file)}:${f.line + 1}` })),
  };
}

/** The server's model of a cache (sized, with its static findings), falling back to the listed one. */
async function simulationInput(d: Deps, picked: CacheModel, convert: boolean): Promise<SimulationInput> {
  try {
    const r = await d.serverCommand<SimulationInput>('slabcheck.simulationInput', [picked.name, picked.at.file, { convert }]);
    if (r?.available && r.model) return r;
  } catch (e) {
    d.out.appendLine(`[simulate] slabcheck.simulationInput failed, simulating the listed model: ${(e as Error).message}`);
  }
  return { available: true, message: '', model: picked, converted: false, workload: picked.name === 'mm_struct' || picked.variable === 'mm_cachep' ? 'exec' : 'lifetime' };
}

function summary(p: SimulationPayload, pageId: number, startedAt: number, converted: boolean): SimCommandResult {
  return {
    cache: p.cache, workload: p.workload, cpus: p.cpus, converted, ok: p.result.ok, simMs: p.elapsedMs, totalMs: Date.now() - startedAt, pageId,
    gains: (p.result.compare ?? []).map((r) => ({ cpus: r.cpus, gainPct: r.gainPct, verdict: r.verdict })),
  };
}

// ---------------------------------------------------------------- commands

/** Slab: Simulate Cache... — args: (cacheName?, fileUri?, {workload, cpus, durationNs, seed}?) */
export async function simulateCacheCommand(d: Deps, name?: unknown, uri?: unknown, opts?: unknown): Promise<SimCommandResult | undefined> {
  const startedAt = Date.now();
  const o = optionsFrom(opts);
  const listed = await resolveCache(d, name, uri, 'cache to simulate');
  if (!listed) return undefined;
  const input = await simulationInput(d, listed, false);
  const model = input.model!;
  const workload = o.workload ?? (await pickWorkload(model.name, input.workload ?? 'lifetime'));
  if (!workload) return undefined;
  const cpus = o.cpus ?? (await pickCpus(DEFAULT_CPUS[workload]));
  if (!cpus) return undefined;
  const job: SimJob = { models: [model], workload, cpus, durationNs: o.durationNs, seed: o.seed, seeds: o.seeds };
  const title = `Simulation: ${model.name} (${workload})`;
  const r = await withPage(d, title, startedAt, () => runWithProgress(d, `slabcheck: simulating cache "${model.name}" (${workload})`, job));
  if ('cancelled' in r) {
    void vscode.window.showInformationMessage(`slabcheck: simulation of "${model.name}" cancelled.`);
    return { cancelled: true, cache: model.name, workload, cpus };
  }
  const p = simulationPayload('simulate', title, model, false, job, r.output, input.findings);
  const page = r.page;
  page.setPayload(p);
  d.out.appendLine(`[simulate] ${model.name} ${workload} on ${cpus.join(',')} CPUs: ${r.output.elapsedMs} ms in the worker, ${Date.now() - startedAt} ms to the view`);
  return summary(p, page.info.id, startedAt, false);
}

/** Slab: Compare ctor/dtor with per-object allocation — args: (cacheName?, fileUri?, {workload, cpus, durationNs, seed, seeds}?) */
export async function compareCommand(d: Deps, name?: unknown, uri?: unknown, opts?: unknown): Promise<SimCommandResult | undefined> {
  const startedAt = Date.now();
  const o = optionsFrom(opts);
  const picked = await resolveCache(d, name, uri, 'cache to compare: ctor/dtor against per-object allocation');
  if (!picked) return undefined;
  const conv = await simulationInput(d, picked, true);
  const model = conv.model!;
  const converted = !!conv.converted;
  if (!model.ctor && !model.dtor) void vscode.window.showInformationMessage(`slabcheck: ${conv.message}`);
  // The cache's own workload: exec() for mm_struct, its objects' lifetime for any other cache.
  const workload: JobWorkload = o.workload ?? conv.workload ?? 'lifetime';
  const job: SimJob = { models: [model], workload, cpus: o.cpus ?? COMPARE_CPUS, durationNs: o.durationNs, seed: o.seed, seeds: o.seeds };
  const title = `ctor/dtor vs per-object: ${model.name}`;
  const r = await withPage(d, title, startedAt, () => runWithProgress(d, `slabcheck: ctor/dtor vs per-object allocation for "${model.name}"`, job));
  if ('cancelled' in r) {
    void vscode.window.showInformationMessage(`slabcheck: comparison for "${model.name}" cancelled.`);
    return { cancelled: true, cache: model.name, workload, cpus: job.cpus, converted };
  }
  const p = simulationPayload('compare', title, model, converted, job, r.output, conv.findings);
  const page = r.page;
  page.setPayload(p);
  d.out.appendLine(`[compare] ${model.name}${converted ? ' (proposed conversion)' : ''} on ${job.cpus.join(',')} CPUs: ${r.output.elapsedMs} ms in the worker, ${Date.now() - startedAt} ms to the view`);
  return summary(p, page.info.id, startedAt, converted);
}

/** Slab: Show Lock Graph */
export async function showLockGraphCommand(d: Deps): Promise<{ pageId: number; classes: number; edges: number; leaves: number; totalMs: number }> {
  const startedAt = Date.now();
  // The page loads while the server builds the graph (the expensive part on a big tree).
  const { page: opened, fresh } = openPage(d.ctx, d.out, 'lockgraph', 'Lock graph', startedAt);
  let g: LockGraphData;
  try {
    g = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'slabcheck: building the lock graph' }, () => d.serverCommand<LockGraphData>('slabcheck.lockGraph'));
  } catch (e) {
    if (fresh) opened.panel.dispose();
    throw e;
  }
  const labels: Record<string, string> = {};
  for (const e of g.edges) for (const st of e.evidence) if (!(st.file in labels)) labels[st.file] = relLabel(st.file);
  const payload: LockGraphPayload = { type: 'lockgraph', title: 'Lock graph', graph: g, labels };
  // Give the data to the page opened above; revealing it again "beside" itself would move it
  // to another editor group and reload the webview while the data is on its way.
  const page = opened.info.disposed ? showPage(d.ctx, d.out, 'lockgraph', payload, startedAt) : opened;
  if (page === opened) opened.setPayload(payload);
  return { pageId: page.info.id, classes: g.classes.length, edges: g.edges.length, leaves: g.leaves.length, totalMs: Date.now() - startedAt };
}

/** Slab: New Simulation Scenario — args: (target file path or URI?). The template is filled from the workspace's caches. */
export async function newScenarioCommand(d: Pick<Deps, 'serverCommand' | 'out'>, target?: unknown): Promise<vscode.Uri | undefined> {
  let uri: vscode.Uri | undefined;
  if (typeof target === 'string' && target) uri = target.includes('://') || target.startsWith('file:') ? vscode.Uri.parse(target) : vscode.Uri.file(target);
  else if (target instanceof vscode.Uri) uri = target;
  if (!uri) {
    const root = vscode.workspace.workspaceFolders?.[0]?.uri;
    if (!root) throw new Error('open a folder first: the scenario is saved in the workspace');
    const name = await vscode.window.showInputBox({
      title: 'New simulation scenario',
      prompt: `File name (saved as <name>${SCENARIO_SUFFIX} in the workspace folder)`,
      value: 'my-scenario',
      validateInput: (v) => (/^[\w.-]+$/.test(v.replace(/\.slabscenario\.json$/, '')) ? undefined : 'letters, digits, ".", "_" and "-" only'),
    });
    if (!name) return undefined;
    uri = vscode.Uri.joinPath(root, `${name.replace(/\.slabscenario\.json$/, '')}${SCENARIO_SUFFIX}`);
  }
  if (!uri.path.endsWith(SCENARIO_SUFFIX)) uri = uri.with({ path: `${uri.path.replace(/\.json$/, '')}${SCENARIO_SUFFIX}` });
  let exists = false;
  try {
    await vscode.workspace.fs.stat(uri);
    exists = true;
  } catch {
    exists = false;
  }
  if (!exists) {
    const base = path.basename(uri.path, SCENARIO_SUFFIX);
    let caches: CacheModel[] = [];
    try {
      caches = await d.serverCommand<CacheModel[]>('slabcheck.listCaches');
    } catch (e) {
      d.out.appendLine(`[scenario] no cache list from the server (${(e as Error).message}): writing the demonstration scenario`);
    }
    await vscode.workspace.fs.writeFile(uri, Buffer.from(scenarioTemplate(base, caches ?? [], relLabel), 'utf8'));
  }
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc, { preview: false });
  if (exists) void vscode.window.showInformationMessage(`slabcheck: ${path.basename(uri.fsPath)} already exists; opened it.`);
  return uri;
}

/** Slab: Run Simulation Scenario — args: (scenario file URI?) */
export async function runScenarioCommand(d: Deps, target?: unknown): Promise<SimCommandResult | undefined> {
  const startedAt = Date.now();
  const uri = typeof target === 'string' ? (target.includes('://') ? vscode.Uri.parse(target) : vscode.Uri.file(target)) : target instanceof vscode.Uri ? target : vscode.window.activeTextEditor?.document.uri;
  if (!uri || !uri.path.endsWith(SCENARIO_SUFFIX)) throw new Error(`open a *${SCENARIO_SUFFIX} file first (Slab: New Simulation Scenario creates one)`);
  const doc = await vscode.workspace.openTextDocument(uri);
  let scenario: unknown;
  try {
    scenario = JSON.parse(doc.getText());
  } catch (e) {
    throw new Error(`${path.basename(uri.fsPath)} is not valid JSON: ${(e as Error).message}`);
  }
  const job: SimJob = { models: [], workload: 'exec', cpus: [1], scenario };
  const r = await runWithProgress(d, `slabcheck: running scenario ${path.basename(uri.fsPath)}`, job);
  if ('cancelled' in r) return { cancelled: true };
  const name = (scenario as { name?: string }).name ?? path.basename(uri.fsPath, SCENARIO_SUFFIX);
  const p: SimulationPayload = {
    type: 'simulation', kind: 'simulate', title: `Scenario: ${name}`, cache: r.output.result.caches.join(', '), converted: false, workload: 'scenario',
    cpus: [...new Set(r.output.result.runs.map((x) => x.cpus))], result: r.output.result, report: r.output.report, anchors: [], elapsedMs: r.output.elapsedMs,
  };
  const page = showPage(d.ctx, d.out, 'results', p, startedAt);
  return summary(p, page.info.id, startedAt, false);
}

/**
 * Diagnostics for the checks a JSON schema cannot express, on every open
 * *.slabscenario.json as it is typed (VS Code's JSON support validates the
 * structure against the contributed schema).
 */
export function registerScenarioDiagnostics(ctx: vscode.ExtensionContext): vscode.DiagnosticCollection {
  const coll = vscode.languages.createDiagnosticCollection('slabcheck-scenario');
  const timers = new Map<string, NodeJS.Timeout>();
  const check = (doc: vscode.TextDocument) => {
    if (!doc.uri.path.endsWith(SCENARIO_SUFFIX)) return;
    const diags = scenarioProblems(doc.getText()).map((p) => {
      const dg = new vscode.Diagnostic(new vscode.Range(doc.positionAt(p.start), doc.positionAt(p.end)), p.message, vscode.DiagnosticSeverity.Error);
      dg.source = 'slabcheck';
      return dg;
    });
    coll.set(doc.uri, diags);
  };
  const later = (doc: vscode.TextDocument) => {
    const k = doc.uri.toString();
    clearTimeout(timers.get(k));
    timers.set(k, setTimeout(() => {
      timers.delete(k);
      check(doc);
    }, 200));
  };
  ctx.subscriptions.push(
    coll,
    vscode.workspace.onDidOpenTextDocument(check),
    vscode.workspace.onDidChangeTextDocument((e) => later(e.document)),
    vscode.workspace.onDidCloseTextDocument((doc) => coll.delete(doc.uri)),
    { dispose: () => timers.forEach((t) => clearTimeout(t)) },
  );
  vscode.workspace.textDocuments.forEach(check);
  return coll;
}
