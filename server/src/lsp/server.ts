/**
 * The slabcheck language server. `startServer()` creates the connection
 * (stdio, node-ipc, pipe or socket: vscode-languageserver reads the
 * transport from argv) and wires the protocol to the Workspace. Every handler
 * is guarded: an exception is logged and answered with an empty result, so
 * one bad request never stops the server.
 */
import * as path from 'path';
import {
  CodeActionKind, Connection, createConnection, DidChangeConfigurationNotification, DidChangeWatchedFilesNotification,
  FileChangeType, InitializeParams, InitializeResult, ProposedFeatures, StreamMessageReader, StreamMessageWriter, TextDocumentSyncKind, WatchKind,
} from 'vscode-languageserver/node';
import { FrameGuard } from './framing';
import { codeActions, readText } from './codeactions';
import { shrinkerLenses } from './shrinker-lens';
import { codeLenses, isConversionLensData, resolveConversionLens } from './codelens';
import { lockRuleLenses } from './lock-lens';
import { COMMANDS, conversion, listCaches, lockGraph, simulate, simulationInput } from './commands';
import { DocumentStore } from './documents';
import { hover } from './hover';
import { guard, Logger } from './log';
import { UriMap, uriToPath } from './paths';
import { InitOptions, Workspace } from './workspace';
import { initParser, parserInfo } from '../parse/parser';

export const SERVER_VERSION = '0.1.0';

export interface ServerHandle {
  connection: Connection;
  workspace: Workspace;
}

export function startServer(): ServerHandle {
  // stdio: well-framed messages only (see framing.ts); node-ipc, pipes and sockets as detected from argv.
  let garbage: string[] = [];
  let log: Logger | undefined;
  const stdio = process.argv.includes('--stdio');
  const connection = stdio
    ? createConnection(ProposedFeatures.all, new StreamMessageReader(process.stdin.pipe(new FrameGuard((what) => (log ? log.warn(`ignored garbage on stdin: ${what}`) : garbage.push(what))))), new StreamMessageWriter(process.stdout))
    : createConnection(ProposedFeatures.all);
  log = new Logger(connection);
  for (const g of garbage) log.warn(`ignored garbage on stdin: ${g}`);
  garbage = [];
  if (stdio) {
    // stdout carries the protocol: anything printed goes to the client's log instead.
    const l = log;
    console.log = (...a: unknown[]) => l.info(a.map(String).join(' '));
    console.info = console.log;
    console.warn = (...a: unknown[]) => l.warn(a.map(String).join(' '));
    console.error = (...a: unknown[]) => l.error(a.map(String).join(' '));
  }
  const docs = new DocumentStore();
  const uris = new UriMap();
  const ws = new Workspace(connection, docs, uris, log);
  let dynamicConfig = false;
  let dynamicWatch = false;
  let folderEvents = false;

  process.on('uncaughtException', (e) => log.error('uncaught exception', e));
  process.on('unhandledRejection', (e) => log.error('unhandled rejection', e));

  // The wasm parser loads asynchronously: initialize waits for it, and the client sends
  // nothing else before its answer. A parser that does not load is logged; parsing then fails per file.
  // Logged once initialized (the protocol allows no notification before initialize).
  let parserLine = '';
  const parserReady = initParser().then(
    () => { parserLine = `parser ${parserInfo()}`; },
    (e: Error) => { parserLine = `no parser: ${e.message}`; },
  );

  connection.onInitialize(async (params: InitializeParams): Promise<InitializeResult> => {
    await parserReady;
    try {
      const c = params.capabilities;
      ws.caps.progress = !!c.window?.workDoneProgress;
      ws.caps.configuration = !!c.workspace?.configuration;
      ws.caps.codeLensRefresh = !!c.workspace?.codeLens?.refreshSupport;
      dynamicConfig = !!c.workspace?.didChangeConfiguration?.dynamicRegistration;
      dynamicWatch = !!c.workspace?.didChangeWatchedFiles?.dynamicRegistration;
      folderEvents = !!c.workspace?.workspaceFolders;
      ws.init = (params.initializationOptions ?? {}) as InitOptions;
      const folders = params.workspaceFolders?.map((f) => uriToPath(f.uri)).filter((p): p is string => !!p);
      const root = params.rootUri ? uriToPath(params.rootUri) : params.rootPath ?? undefined;
      ws.roots = folders?.length ? folders : root ? [path.resolve(root)] : [];
    } catch (e) {
      log.error('initialize', e);
    }
    const cFiles = { filters: [{ scheme: 'file', pattern: { glob: '**/*.{c,h}' } }, { scheme: 'file', pattern: { glob: '**/*', matches: 'folder' as const } }] };
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
        hoverProvider: true,
        codeLensProvider: { resolveProvider: true },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, CodeActionKind.RefactorRewrite], resolveProvider: false },
        executeCommandProvider: { commands: COMMANDS },
        workspace: {
          workspaceFolders: { supported: true, changeNotifications: true },
          fileOperations: { didRename: cFiles, didDelete: cFiles, didCreate: cFiles },
        },
      },
      serverInfo: { name: 'slabcheck', version: SERVER_VERSION },
    };
  });

  connection.onInitialized(guard(log, 'initialized', undefined, async () => {
    if (parserLine.startsWith('no parser')) log.error(parserLine);
    else log.info(parserLine);
    if (dynamicConfig) void connection.client.register(DidChangeConfigurationNotification.type, { section: 'slabcheck' }).catch(() => undefined);
    if (dynamicWatch) {
      void connection.client.register(DidChangeWatchedFilesNotification.type, {
        watchers: [
          { globPattern: '**/*.{c,h}', kind: WatchKind.Create | WatchKind.Change | WatchKind.Delete },
          { globPattern: '**/.slabcheck.json', kind: WatchKind.Create | WatchKind.Change | WatchKind.Delete },
        ],
      }).catch(() => undefined);
    }
    if (folderEvents) {
      try {
        connection.workspace.onDidChangeWorkspaceFolders((e) => {
          const add = e.added.map((f) => uriToPath(f.uri)).filter((p): p is string => !!p);
          const gone = new Set(e.removed.map((f) => uriToPath(f.uri)));
          ws.roots = [...ws.roots.filter((r) => !gone.has(r)), ...add];
          void ws.loadConfig().then(() => ws.index('workspace folders changed'));
        });
      } catch {
        /* the client does not send folder changes */
      }
    }
    await ws.loadConfig();
    void ws.index('startup');
  }));

  // ---- documents ----
  docs.documents.onDidOpen((e) => {
    try {
      ws.opened(e.document);
    } catch (err) {
      log.error('didOpen', err);
    }
  });
  docs.documents.onDidChangeContent((e) => {
    try {
      // onDidOpen fires onDidChangeContent too: only real edits are debounced.
      if (docs.takeChange(e.document.uri)) ws.changed(e.document);
    } catch (err) {
      log.error('didChange', err);
    }
  });
  docs.documents.onDidClose((e) => {
    try {
      ws.closed(e.document);
    } catch (err) {
      log.error('didClose', err);
    }
  });
  docs.documents.onDidSave((e) => {
    try {
      void ws.flush(e.document.uri);
    } catch (err) {
      log.error('didSave', err);
    }
  });

  // ---- files and settings ----
  connection.onDidChangeWatchedFiles(guard(log, 'didChangeWatchedFiles', undefined, (p) => {
    const changes: { path: string; kind: 'created' | 'changed' | 'deleted' }[] = [];
    for (const c of p.changes) {
      const fp = uriToPath(c.uri);
      if (!fp) continue;
      changes.push({ path: fp, kind: c.type === FileChangeType.Created ? 'created' : c.type === FileChangeType.Deleted ? 'deleted' : 'changed' });
    }
    ws.filesChanged(changes);
  }));
  connection.workspace.onDidRenameFiles(guard(log, 'didRenameFiles', undefined, (p) => {
    const changes: { path: string; kind: 'created' | 'deleted' }[] = [];
    for (const f of p.files) {
      const a = uriToPath(f.oldUri);
      const b = uriToPath(f.newUri);
      if (a) changes.push({ path: a, kind: 'deleted' });
      if (b) changes.push({ path: b, kind: 'created' });
    }
    ws.filesChanged(changes);
  }));
  connection.workspace.onDidDeleteFiles(guard(log, 'didDeleteFiles', undefined, (p) => {
    ws.filesChanged(p.files.map((f) => uriToPath(f.uri)).filter((x): x is string => !!x).map((x) => ({ path: x, kind: 'deleted' as const })));
  }));
  connection.workspace.onDidCreateFiles(guard(log, 'didCreateFiles', undefined, (p) => {
    ws.filesChanged(p.files.map((f) => uriToPath(f.uri)).filter((x): x is string => !!x).map((x) => ({ path: x, kind: 'created' as const })));
  }));
  connection.onDidChangeConfiguration(guard(log, 'didChangeConfiguration', undefined, async (p) => {
    const pushed = (p?.settings as { slabcheck?: unknown } | undefined)?.slabcheck;
    await ws.configChanged(ws.caps.configuration ? undefined : pushed);
  }));

  // ---- language features ----
  const ready = () => ws.state === 'ready' || ws.state === 'cancelled';

  connection.onHover(guard(log, 'hover', null, async (params) => {
    const doc = docs.get(params.textDocument.uri);
    const file = uriToPath(params.textDocument.uri);
    if (!doc || !file || !ready()) return null;
    await ws.flush(doc.uri);
    const r = await ws.run('hover', async () => {
      const engine = ws.engine;
      const facts = engine?.project.facts.get(file);
      if (!engine || !facts) return null;
      return hover({ engine, caches: ws.caches, findings: ws.findings, uris, shrinkers: ws.shrinkers }, file, facts, doc.getText(), params.position);
    });
    return r ?? null;
  }));

  connection.onCodeLens(guard(log, 'codeLens', [], async (params) => {
    const doc = docs.get(params.textDocument.uri);
    const file = uriToPath(params.textDocument.uri);
    if (!doc || !file || !ready()) return [];
    await ws.flush(doc.uri);
    const r = await ws.run('codeLens', () => {
      const facts = ws.engine?.project.facts.get(file);
      return facts ? [...codeLenses(ws.caches, ws.findings, uris, file, facts, doc.uri), ...shrinkerLenses(ws.shrinkers, ws.findings, uris, file), ...lockRuleLenses(ws.findings, file)] : [];
    });
    return r ?? [];
  }));

  // Only the ctor/dtor conversion lens is unresolved: its predicted gain runs a short simulation.
  connection.onCodeLensResolve(async (lens) => {
    if (!isConversionLensData(lens.data)) return lens;
    try {
      const models = await listCaches(ws);
      return resolveConversionLens(lens, models, ws.findings, ws.engine?.analysis);
    } catch (e) {
      log.error('codeLens/resolve failed', e);
      return resolveConversionLens(lens, [], []);
    }
  });

  connection.onCodeAction(guard(log, 'codeAction', [], async (params) => {
    const doc = docs.get(params.textDocument.uri);
    const file = uriToPath(params.textDocument.uri);
    if (!doc || !file || !ready()) return [];
    await ws.flush(doc.uri);
    const r = await ws.run('codeAction', () => {
      const engine = ws.engine;
      const facts = engine?.project.facts.get(file);
      if (!engine || !facts) return [];
      const textOf = (f: string) => {
        const open = docs.get(uris.uri(f));
        return open ? open.getText() : engine.project.overlays.get(f) ?? readText(f);
      };
      return codeActions({ engine, caches: ws.caches, findings: ws.findings, uris, textOf }, params, file, facts, doc.getText());
    });
    return r ?? [];
  }));

  connection.onExecuteCommand(guard(log, 'executeCommand', null, async (params) => {
    switch (params.command) {
      case 'slabcheck.restartIndex':
        await ws.loadConfig();
        await ws.index('restart requested');
        return { state: ws.state, findings: ws.findings.length, caches: ws.caches.length };
      case 'slabcheck.listCaches':
        return listCaches(ws);
      case 'slabcheck.lockGraph':
        return lockGraph(ws);
      case 'slabcheck.simulate':
        return simulate(ws, params.arguments ?? []);
      case 'slabcheck.conversionModel':
        return conversion(ws, params.arguments ?? []);
      case 'slabcheck.simulationInput':
        return simulationInput(ws, params.arguments ?? []);
      default:
        log.warn(`unknown command ${params.command}`);
        return null;
    }
  }));

  connection.onNotification('slabcheck/cancelIndex', () => {
    try {
      ws.cancelIndex();
    } catch (e) {
      log.error('cancelIndex', e);
    }
  });

  /** Server state for tests and the bench: waits for queued work first. */
  connection.onRequest('slabcheck/stats', guard(log, 'stats', null, async () => {
    await ws.idle();
    const m = process.memoryUsage();
    const project = ws.engine?.project;
    return {
      state: ws.state, rss: m.rss, heapUsed: m.heapUsed, files: project?.files.length ?? 0, facts: project?.facts.size ?? 0,
      findings: ws.findings.length, caches: ws.caches.length, skipped: [...ws.skipped.keys()], treeEdits: docs.stats.treeEdits,
      demandDriven: project?.demandDriven ?? false, semantics: ws.resolved.config.semantics, debounceMs: ws.debounceMs,
    };
  }));

  connection.onShutdown(guard(log, 'shutdown', undefined, async () => {
    await ws.close();
  }));

  docs.documents.listen(connection);
  connection.listen();
  return { connection, workspace: ws };
}
