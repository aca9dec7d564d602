/**
 * The slabcheck VS Code extension: a thin client. It starts the bundled
 * language server (dist/server.js, node IPC), shows indexing progress and the
 * finding count in the status bar, and turns the server's data commands
 * (listCaches, lockGraph, conversionModel) into UI: the simulation commands
 * and webviews live in simCommands.ts and webviews.ts. All analysis lives in
 * the server; simulations run in a worker thread (dist/sim-worker.js).
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { ExecuteCommandRequest, LanguageClient, LanguageClientOptions, ServerOptions, State, TransportKind } from 'vscode-languageclient/node';
import {
  cancelSimulations, compareCommand, newScenarioCommand, quickPickCache, registerScenarioDiagnostics, runScenarioCommand, showLockGraphCommand, simulateCacheCommand,
  simulationsRunning, type Deps,
} from './simCommands';
import { pageInfos, type PageInfo } from './webviews';

interface StatusParams {
  state: 'starting' | 'indexing' | 'ready' | 'cancelled' | 'failed';
  message: string;
  percentage?: number;
  findings: number;
  errors: number;
  warnings: number;
  files: number;
  caches: number;
  skipped: number;
}

interface CacheModelLite {
  name: string;
  variable?: string;
  objectSize: { bytes: number; expr?: string };
  flags: string[];
  ctor?: { name: string; summary: string };
  dtor?: { name: string; summary: string };
  at: { file: string; startLine: number; startCol: number };
}

/** What activate() returns: used by the extension tests. */
export interface SlabcheckApi {
  client(): LanguageClient | undefined;
  status(): StatusParams | undefined;
  whenReady(timeoutMs?: number): Promise<StatusParams>;
  /** The open slabcheck webviews and what they reported. */
  webviews(): PageInfo[];
  /** Simulations in progress and live worker threads. */
  simulations(): { jobs: number; workers: number };
  /** Cancel every simulation in progress (as the notification's Cancel button does). */
  cancelSimulations(): number;
}

let client: LanguageClient | undefined;
let output: vscode.OutputChannel;
let statusItem: vscode.StatusBarItem;
let lastStatus: StatusParams | undefined;
const readyWaiters: ((s: StatusParams) => void)[] = [];

function serverCommand<T>(command: string, args: unknown[] = []): Promise<T> {
  if (!client || client.state !== State.Running) return Promise.reject(new Error('the slabcheck server is not running'));
  return client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args }) as Promise<T>;
}

function renderStatus(s: StatusParams | undefined): void {
  if (!statusItem) return;
  if (!s) {
    statusItem.text = '$(sync~spin) slabcheck';
    statusItem.tooltip = 'slabcheck: starting';
  } else if (s.state === 'indexing' || s.state === 'starting') {
    statusItem.text = `$(sync~spin) slabcheck${s.percentage !== undefined ? ` ${s.percentage}%` : ''}`;
    statusItem.tooltip = `slabcheck: ${s.message}`;
  } else if (s.state === 'failed') {
    statusItem.text = '$(alert) slabcheck';
    statusItem.tooltip = `slabcheck: ${s.message}`;
  } else {
    const icon = s.errors ? '$(error)' : s.warnings ? '$(warning)' : '$(check)';
    statusItem.text = `${icon} slabcheck: ${s.findings} finding${s.findings === 1 ? '' : 's'}${s.state === 'cancelled' ? ' (open files only)' : ''}`;
    statusItem.tooltip = `slabcheck: ${s.errors} errors, ${s.warnings} warnings in ${s.caches} caches, ${s.files} files${s.skipped ? `, ${s.skipped} skipped` : ''}\n${s.message}\nClick for slabcheck commands.`;
  }
  statusItem.show();
}

async function pickCache(placeHolder: string): Promise<CacheModelLite | undefined> {
  return quickPickCache(await serverCommand<CacheModelLite[]>('slabcheck.listCaches'), placeHolder);
}

async function showCaches(): Promise<void> {
  const c = await pickCache('slab caches in the workspace (select to open)');
  if (!c) return;
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(c.at.file));
  const pos = new vscode.Position(c.at.startLine, c.at.startCol);
  await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos) });
}

async function peekCtorDtor(uri: unknown, pos: unknown, locations: unknown): Promise<void> {
  if (typeof uri !== 'string' || !Array.isArray(locations)) return;
  const p = pos as { line: number; character: number };
  const locs = (locations as { uri: string; range: { start: { line: number; character: number }; end: { line: number; character: number } } }[]).map(
    (l) => new vscode.Location(vscode.Uri.parse(l.uri), new vscode.Range(l.range.start.line, l.range.start.character, l.range.end.line, l.range.end.character)),
  );
  await vscode.commands.executeCommand('editor.action.peekLocations', vscode.Uri.parse(uri), new vscode.Position(p.line, p.character), locs, 'peek');
}

async function menu(): Promise<void> {
  const items: (vscode.QuickPickItem & { run: () => unknown })[] = [
    { label: '$(list-unordered) List caches', run: () => showCaches() },
    { label: '$(play) Simulate cache...', run: () => vscode.commands.executeCommand('slabcheck.simulateCache') },
    { label: '$(graph-line) Compare ctor/dtor with per-object allocation', run: () => vscode.commands.executeCommand('slabcheck.compareCtorDtor') },
    { label: '$(type-hierarchy) Show lock graph', run: () => vscode.commands.executeCommand('slabcheck.showLockGraph') },
    { label: '$(new-file) New simulation scenario', run: () => vscode.commands.executeCommand('slabcheck.newScenario') },
    { label: '$(refresh) Restart index', run: () => vscode.commands.executeCommand('slabcheck.restartIndex') },
    { label: '$(debug-restart) Restart server', run: () => vscode.commands.executeCommand('slabcheck.restart') },
    { label: '$(output) Show output', run: () => output.show(true) },
  ];
  if (lastStatus?.state === 'indexing') items.unshift({ label: '$(stop) Cancel indexing', run: () => client?.sendNotification('slabcheck/cancelIndex') });
  const pick = await vscode.window.showQuickPick(items, { placeHolder: lastStatus ? `slabcheck: ${lastStatus.message}` : 'slabcheck' });
  if (pick) await pick.run();
}

async function startClient(context: vscode.ExtensionContext): Promise<void> {
  const serverModule = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'c' },
      { scheme: 'file', language: 'cpp', pattern: '**/*.h' },
    ],
    outputChannel: output,
    initializationOptions: {},
  };
  client = new LanguageClient('slabcheck', 'slabcheck', serverOptions, clientOptions);
  client.onDidChangeState((e) => {
    if (e.newState === State.Stopped) {
      statusItem.text = '$(debug-disconnect) slabcheck: stopped';
      statusItem.tooltip = 'slabcheck: the language server is not running. Click for commands.';
    }
  });
  client.onNotification('slabcheck/status', (s: StatusParams) => {
    lastStatus = s;
    renderStatus(s);
    if (s.state === 'ready' || s.state === 'failed' || s.state === 'cancelled') for (const w of readyWaiters.splice(0)) w(s);
  });
  await client.start();
}

export async function activate(context: vscode.ExtensionContext): Promise<SlabcheckApi> {
  output = vscode.window.createOutputChannel('slabcheck');
  statusItem = vscode.window.createStatusBarItem('slabcheck.status', vscode.StatusBarAlignment.Left, 10);
  statusItem.name = 'slabcheck';
  statusItem.command = 'slabcheck.menu';
  renderStatus(undefined);
  const reg = (id: string, fn: (...a: unknown[]) => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, async (...a: unknown[]) => {
      try {
        return await fn(...a);
      } catch (e) {
        output.appendLine(`[${id}] ${(e as Error).stack ?? e}`);
        void vscode.window.showErrorMessage(`slabcheck: ${(e as Error).message}`);
        return undefined;
      }
    }));
  reg('slabcheck.restart', async () => {
    lastStatus = undefined;
    renderStatus(undefined);
    if (client) await client.restart();
  });
  reg('slabcheck.showOutput', () => output.show(true));
  const deps: Deps = { ctx: context, out: output, serverCommand };
  reg('slabcheck.showCaches', showCaches);
  reg('slabcheck.simulateCache', (name, uri, opts) => simulateCacheCommand(deps, name, uri, opts));
  reg('slabcheck.compareCtorDtor', (name, uri, opts) => compareCommand(deps, name, uri, opts));
  reg('slabcheck.showLockGraph', () => showLockGraphCommand(deps));
  reg('slabcheck.newScenario', (target) => newScenarioCommand(deps, target));
  reg('slabcheck.runScenario', (target) => runScenarioCommand(deps, target));
  registerScenarioDiagnostics(context);
  reg('slabcheck.peekCtorDtor', peekCtorDtor);
  reg('slabcheck.menu', menu);
  context.subscriptions.push(output, statusItem, { dispose: () => void client?.stop() }, { dispose: () => void cancelSimulations() });
  try {
    await startClient(context);
  } catch (e) {
    output.appendLine(`slabcheck: the language server failed to start: ${(e as Error).stack ?? e}`);
    void vscode.window.showErrorMessage(`slabcheck: the language server failed to start: ${(e as Error).message}`);
  }
  return {
    webviews: pageInfos,
    simulations: simulationsRunning,
    cancelSimulations,
    client: () => client,
    status: () => lastStatus,
    whenReady: (timeoutMs = 60000) => {
      if (lastStatus && (lastStatus.state === 'ready' || lastStatus.state === 'failed' || lastStatus.state === 'cancelled')) return Promise.resolve(lastStatus);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('slabcheck: index not ready in time')), timeoutMs);
        readyWaiters.push((s) => {
          clearTimeout(t);
          resolve(s);
        });
      });
    },
  };
}

export async function deactivate(): Promise<void> {
  if (client) await client.stop();
  client = undefined;
}
