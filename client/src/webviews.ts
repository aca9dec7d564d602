/**
 * The webview panels of the extension (simulation results, lock graph):
 * strict CSP with a fresh nonce per page, scripts and stylesheet only from
 * dist/media (the only local resource root), data sent when the page says
 * it is ready, and every message from the page validated (messages.ts)
 * before anything happens: opening a source location inside the workspace,
 * exporting the JSON result through a save dialog.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { pageHtml, makeNonce, type PageKind } from './shared/html';
import { LOCKGRAPH_MESSAGES, RESULTS_MESSAGES, validateMessage, type WebviewMessage } from './shared/messages';
import type { PagePayload, SimulationPayload } from './shared/payloads';

export const RESULTS_VIEW = 'slabcheck.simulationResults';
export const LOCKGRAPH_VIEW = 'slabcheck.lockGraph';

/** What tests can see of an open page. */
export interface PageInfo {
  id: number;
  viewType: string;
  title: string;
  visible: boolean;
  disposed: boolean;
  /** The page rendered the payload (its own report: charts drawn, links made). */
  rendered?: { charts: number; items: number; ms: number; at: number };
  /** When the payload was sent (ms since epoch) and when the command started. */
  sentAt?: number;
  /** When the page script last reported it loaded. */
  readyAt?: number;
  startedAt: number;
  /** Messages rejected by validation, and errors the page reported. */
  rejected: string[];
  pageErrors: string[];
  opened: { file: string; line: number; col: number }[];
}

let nextId = 1;
const pages = new Map<number, Page>();

export function pageInfos(): PageInfo[] {
  return [...pages.values()].map((p) => ({ ...p.info, rejected: [...p.info.rejected], pageErrors: [...p.info.pageErrors], opened: [...p.info.opened] }));
}

export function workspaceRoots(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
}

export function relLabel(file: string): string {
  return vscode.workspace.asRelativePath(file, (vscode.workspace.workspaceFolders?.length ?? 0) > 1);
}

class Page {
  readonly panel: vscode.WebviewPanel;
  readonly info: PageInfo;
  private payload: PagePayload | undefined;
  /** The page script has loaded (it posts 'ready' again whenever the webview is re-created). */
  private ready = false;
  private waiters: ((i: PageInfo) => void)[] = [];

  constructor(
    private ctx: vscode.ExtensionContext,
    private out: vscode.OutputChannel,
    private kind: PageKind,
    title: string,
    startedAt: number,
  ) {
    const media = vscode.Uri.joinPath(ctx.extensionUri, 'dist', 'media');
    this.panel = vscode.window.createWebviewPanel(kind === 'results' ? RESULTS_VIEW : LOCKGRAPH_VIEW, title, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, {
      enableScripts: true,
      enableCommandUris: false,
      enableForms: false,
      localResourceRoots: [media],
      retainContextWhenHidden: false,
    });
    this.info = { id: nextId++, viewType: this.panel.viewType, title, visible: true, disposed: false, startedAt, rejected: [], pageErrors: [], opened: [] };
    pages.set(this.info.id, this);
    const w = this.panel.webview;
    w.html = pageHtml({
      page: kind, title, cspSource: w.cspSource, nonce: makeNonce(),
      scriptUri: w.asWebviewUri(vscode.Uri.joinPath(media, `${kind}.js`)).toString(),
      styleUri: w.asWebviewUri(vscode.Uri.joinPath(media, 'webview.css')).toString(),
    });
    const subs: vscode.Disposable[] = [];
    subs.push(w.onDidReceiveMessage((m) => void this.onMessage(m)));
    subs.push(this.panel.onDidChangeViewState((e) => (this.info.visible = e.webviewPanel.visible)));
    this.panel.onDidDispose(() => {
      this.info.disposed = true;
      pages.delete(this.info.id);
      for (const s of subs) s.dispose();
    });
  }

  setPayload(p: PagePayload): void {
    this.payload = p;
    this.panel.title = p.title;
    this.info.title = p.title;
    this.info.rendered = undefined;
    if (this.ready) void this.send();
  }

  private async send(): Promise<void> {
    if (!this.payload) return;
    this.info.sentAt = Date.now();
    await this.panel.webview.postMessage(this.payload);
  }

  /** Resolves when the page reports it rendered the current payload. */
  whenRendered(timeoutMs = 30000): Promise<PageInfo> {
    if (this.info.rendered) return Promise.resolve(this.info);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`the ${this.kind} page did not render within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push((i) => {
        clearTimeout(t);
        resolve(i);
      });
    });
  }

  private async onMessage(raw: unknown): Promise<void> {
    const v = validateMessage(raw, { allowed: this.kind === 'results' ? RESULTS_MESSAGES : LOCKGRAPH_MESSAGES, roots: workspaceRoots() });
    if (!v.ok) {
      this.info.rejected.push(v.error);
      this.out.appendLine(`[webview ${this.kind}] rejected a message: ${v.error}`);
      return;
    }
    const m: WebviewMessage = v.message;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.info.readyAt = Date.now();
        await this.send();
        break;
      case 'rendered':
        this.info.rendered = { charts: m.charts, items: m.items, ms: m.ms, at: Date.now() };
        this.out.appendLine(`[webview ${this.kind}] "${this.info.title}" rendered in ${m.ms} ms, ${Date.now() - this.info.startedAt} ms after the command started`);
        for (const w of this.waiters.splice(0)) w(this.info);
        break;
      case 'error':
        this.info.pageErrors.push(m.message);
        this.out.appendLine(`[webview ${this.kind}] page error: ${m.message}`);
        break;
      case 'open':
        this.info.opened.push({ file: m.file, line: m.line, col: m.col });
        await openSource(m.file, m.line, m.col);
        break;
      case 'export':
        if (this.payload?.type === 'simulation') await exportResult(this.payload);
        break;
    }
  }
}

export async function openSource(file: string, line: number, col: number): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  const l = Math.min(line, Math.max(0, doc.lineCount - 1));
  const pos = new vscode.Position(l, Math.min(col, doc.lineAt(l).text.length));
  const ed = await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, selection: new vscode.Range(pos, pos), preserveFocus: false });
  ed.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  return ed;
}

/** Save the JSON result where the user says (never anywhere else). */
export async function exportResult(p: SimulationPayload, target?: vscode.Uri): Promise<vscode.Uri | undefined> {
  const root = vscode.workspace.workspaceFolders?.[0]?.uri;
  const name = `slabcheck-${p.cache.replace(/[^\w.-]+/g, '_')}-${p.kind === 'compare' ? 'compare' : p.workload}.json`;
  const uri = target ?? (await vscode.window.showSaveDialog({
    title: 'Export the simulation result (JSON)',
    defaultUri: root ? vscode.Uri.joinPath(root, name) : undefined,
    filters: { JSON: ['json'] },
    saveLabel: 'Export',
  }));
  if (!uri) return undefined;
  await vscode.workspace.fs.writeFile(uri, Buffer.from(`${JSON.stringify(p.result, null, 2)}\n`, 'utf8'));
  void vscode.window.showInformationMessage(`slabcheck: result saved to ${path.basename(uri.fsPath)}`);
  return uri;
}

/**
 * The page for `title`: the open one (one panel per title) or a new one. It
 * loads while the caller computes, so the webview's start-up overlaps the
 * simulation; `fresh` says it was created now (dispose it if nothing comes).
 */
export function openPage(ctx: vscode.ExtensionContext, out: vscode.OutputChannel, kind: PageKind, title: string, startedAt: number): { page: Page; fresh: boolean } {
  const viewType = kind === 'results' ? RESULTS_VIEW : LOCKGRAPH_VIEW;
  let page = [...pages.values()].find((p) => p.info.viewType === viewType && p.info.title === title);
  const fresh = !page;
  // Reveal where it is: "Beside" is relative to the active group, which may be its own,
  // and moving a webview to another group reloads it.
  if (page) page.panel.reveal(page.panel.viewColumn, false);
  else page = new Page(ctx, out, kind, title, startedAt);
  page.info.startedAt = startedAt;
  return { page, fresh };
}

/** Show a payload in the page for its title. */
export function showPage(ctx: vscode.ExtensionContext, out: vscode.OutputChannel, kind: PageKind, payload: PagePayload, startedAt: number): Page {
  const { page } = openPage(ctx, out, kind, payload.title, startedAt);
  page.setPayload(payload);
  return page;
}

export type { Page };
