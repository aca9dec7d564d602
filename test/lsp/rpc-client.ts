/**
 * A small hand-written LSP client for tests and the bench: spawns the real
 * server, frames JSON-RPC with Content-Length headers, answers the requests a
 * server sends (configuration, progress, registrations) and records
 * notifications so tests can wait for them.
 */
import { ChildProcess, spawn } from 'child_process';
import * as path from 'path';
import { pathToFileURL } from 'url';

export const REPO = path.resolve(__dirname, '../../..');

export interface Message {
  jsonrpc: '2.0';
  id?: number | string | null;
  method?: string;
  params?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  result?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  error?: { code: number; message: string; data?: unknown };
}

type Waiter = { method: string; pred: (p: any) => boolean; resolve: (p: any) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface ClientOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Answer for workspace/configuration (the `slabcheck` section). */
  settings?: Record<string, unknown>;
  args?: string[];
}

export function fileUri(p: string): string {
  return pathToFileURL(p).href;
}

export class LspClient {
  readonly proc: ChildProcess;
  private buf = Buffer.alloc(0);
  private nextId = 1;
  private pending = new Map<number | string, { resolve: (m: Message) => void; method: string }>();
  readonly notifications: Message[] = [];
  readonly serverRequests: Message[] = [];
  private waiters: Waiter[] = [];
  settings: Record<string, unknown>;
  stderr = '';
  exited: Promise<number | null>;

  constructor(opts: ClientOptions = {}) {
    this.settings = opts.settings ?? {};
    const args = opts.args ?? [path.join(REPO, 'bin/slabcheck.js'), 'lsp', '--stdio'];
    this.proc = spawn(process.execPath, args, { cwd: opts.cwd ?? REPO, env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout!.on('data', (d: Buffer) => this.onData(d));
    this.proc.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.exited = new Promise((r) => this.proc.on('exit', (code) => r(code)));
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const headerEnd = this.buf.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const header = this.buf.subarray(0, headerEnd).toString('ascii');
      const m = /Content-Length:\s*(\d+)/i.exec(header);
      if (!m) throw new Error(`bad header from server: ${header}`);
      const len = Number(m[1]);
      if (this.buf.length < headerEnd + 4 + len) return;
      const body = this.buf.subarray(headerEnd + 4, headerEnd + 4 + len).toString('utf8');
      this.buf = this.buf.subarray(headerEnd + 4 + len);
      this.dispatch(JSON.parse(body) as Message);
    }
  }

  private dispatch(msg: Message): void {
    if (msg.method && msg.id !== undefined && msg.id !== null) {
      // A request from the server.
      this.serverRequests.push(msg);
      let result: unknown = null;
      if (msg.method === 'workspace/configuration') {
        result = (msg.params.items as { section?: string }[]).map((it) => (it.section === 'slabcheck' || !it.section ? this.settings : null));
      }
      this.write({ jsonrpc: '2.0', id: msg.id, result });
      this.fire(msg.method, msg.params);
      return;
    }
    if (msg.method) {
      this.notifications.push(msg);
      this.fire(msg.method, msg.params);
      return;
    }
    if (msg.id !== undefined && msg.id !== null) {
      const p = this.pending.get(msg.id);
      if (p) {
        this.pending.delete(msg.id);
        p.resolve(msg);
      }
    }
  }

  private fire(method: string, params: unknown): void {
    for (const w of [...this.waiters]) {
      if (w.method !== method) continue;
      let ok = false;
      try {
        ok = w.pred(params);
      } catch {
        ok = false;
      }
      if (ok) {
        clearTimeout(w.timer);
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(params);
      }
    }
  }

  write(msg: object): void {
    this.writeRaw(JSON.stringify(msg));
  }

  /** Frame an arbitrary body (possibly not JSON). */
  writeRaw(body: string): void {
    const b = Buffer.from(body, 'utf8');
    this.proc.stdin!.write(Buffer.concat([Buffer.from(`Content-Length: ${b.length}\r\n\r\n`, 'ascii'), b]));
  }

  /** Send a request; resolves with the whole response message (result or error). */
  requestRaw(method: string, params?: unknown, timeoutMs = 30000): Promise<Message> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`timeout waiting for ${method} (id ${id}); stderr: ${this.stderr.slice(-2000)}`));
      }, timeoutMs);
      this.pending.set(id, { method, resolve: (m) => { clearTimeout(timer); resolve(m); } });
      this.write({ jsonrpc: '2.0', id, method, params });
    });
  }

  async request<T = any>(method: string, params?: unknown, timeoutMs?: number): Promise<T> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const m = await this.requestRaw(method, params, timeoutMs);
    if (m.error) throw new Error(`${method} failed: ${m.error.message}`);
    return m.result as T;
  }

  notify(method: string, params?: unknown): void {
    this.write({ jsonrpc: '2.0', method, params });
  }

  /** The next notification (or server request) `method` whose params satisfy `pred`; past ones count when `past`. */
  waitFor<T = any>(method: string, pred: (p: T) => boolean = () => true, timeoutMs = 30000, past = false): Promise<T> { // eslint-disable-line @typescript-eslint/no-explicit-any
    if (past) {
      const hit = [...this.notifications, ...this.serverRequests].find((n) => n.method === method && pred(n.params));
      if (hit) return Promise.resolve(hit.params as T);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        reject(new Error(`timeout waiting for ${method}; stderr: ${this.stderr.slice(-2000)}`));
      }, timeoutMs);
      this.waiters.push({ method, pred, resolve, reject, timer });
    });
  }

  /** initialize + initialized, with the capabilities VS Code announces for what the server uses. */
  async initialize(rootDir: string, initializationOptions: Record<string, unknown> = {}): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await this.request('initialize', {
      processId: process.pid,
      rootUri: fileUri(rootDir),
      workspaceFolders: [{ uri: fileUri(rootDir), name: path.basename(rootDir) }],
      initializationOptions,
      capabilities: {
        window: { workDoneProgress: true, showMessage: {} },
        workspace: {
          configuration: true, workspaceFolders: true,
          didChangeConfiguration: { dynamicRegistration: true },
          didChangeWatchedFiles: { dynamicRegistration: true },
          codeLens: { refreshSupport: true },
        },
        textDocument: {
          synchronization: { dynamicRegistration: false, didSave: true },
          publishDiagnostics: { relatedInformation: true, versionSupport: true, codeDescriptionSupport: true, dataSupport: true },
          hover: { contentFormat: ['markdown', 'plaintext'] },
          codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'refactor', 'refactor.rewrite'] } }, dataSupport: true },
          codeLens: {},
        },
      },
    });
    this.notify('initialized', {});
    return res;
  }

  /** Wait until the background index reports ready (or cancelled/failed). */
  waitReady(timeoutMs = 60000): Promise<{ state: string; findings: number }> {
    return this.waitFor<{ state: string; findings: number }>('slabcheck/status', (s) => s.state === 'ready' || s.state === 'failed', timeoutMs, true);
  }

  lastDiagnostics(uri: string): any[] | undefined { // eslint-disable-line @typescript-eslint/no-explicit-any
    for (let i = this.notifications.length - 1; i >= 0; i--) {
      const n = this.notifications[i];
      if (n.method === 'textDocument/publishDiagnostics' && n.params.uri === uri) return n.params.diagnostics;
    }
    return undefined;
  }

  async shutdown(): Promise<number | null> {
    try {
      await this.request('shutdown', null, 10000);
      this.notify('exit');
    } catch {
      this.proc.kill();
    }
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }
}
