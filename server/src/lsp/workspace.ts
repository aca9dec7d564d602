/**
 * The server's state around one Engine: the background index (with
 * work-done progress and cancellation), debounced re-analysis of edited
 * buffers, files changing on disk, configuration changes, and publishing
 * diagnostics for every file with findings (only what changed is re-sent).
 *
 * Every engine operation runs through one serial queue: the engine is not
 * re-entrant, and results are then always computed on a consistent state.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CodeLensRefreshRequest, Connection, Diagnostic, MessageType, ShowMessageNotification, WorkDoneProgressServerReporter } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { Engine } from '../engine/engine';
import type { ShrinkerInfo } from '../contexts/registry';
import type { CacheInfo } from '../index/analysis';
import { defaultCacheDir } from '../index/project';
import type { Finding } from '../rules/types';
import { globToRegExp, isCFile } from '../scan/files';
import { applyText, bufferSkipReason, reloadFromDisk } from './apply';
import { findingToDiagnostic, skippedDiagnostic } from './diagnostics';
import type { DocumentStore } from './documents';
import type { Logger } from './log';
import { UriMap, uriToPath } from './paths';
import { describeSettingsError, needsReindex, Resolved, resolveSettings } from './settings';

export type IndexState = 'starting' | 'indexing' | 'ready' | 'cancelled' | 'failed';

export interface StatusParams {
  state: IndexState;
  message: string;
  percentage?: number;
  findings: number;
  errors: number;
  warnings: number;
  files: number;
  caches: number;
  skipped: number;
}

export interface TimingParams {
  uri: string;
  version: number;
  /** From the debounce firing (or didOpen) to publishDiagnostics: the analysis itself. */
  latencyMs: number;
  /** From the last didChange receipt to publishDiagnostics (includes the debounce and queue wait). */
  sinceChangeMs: number;
  parseMs: number;
  extractMs: number;
  checkMs: number;
  incremental: boolean;
}

export interface InitOptions {
  cacheDir?: string | null;
  noCache?: boolean;
  /** Send `slabcheck/timing` after each analysis of an edited buffer. */
  timing?: boolean;
  jobs?: number;
  /** Settings to use when the client cannot answer workspace/configuration. */
  settings?: unknown;
}

class Cancelled extends Error {
  constructor() {
    super('indexing cancelled');
  }
}

const SKIP_RE = /maxFileSize|binary file/;

export class Workspace {
  roots: string[] = [];
  engine: Engine | undefined;
  resolved: Resolved;
  state: IndexState = 'starting';
  findings: Finding[] = [];
  caches: CacheInfo[] = [];
  /** Shrinkers of the last check (the context registry). */
  shrinkers: ShrinkerInfo[] = [];
  byFile = new Map<string, Finding[]>();
  /** Files not analysed and why (too big, binary). */
  skipped = new Map<string, string>();
  private published = new Map<string, string>();
  private loggedProblems = new Set<string>();
  private problemsSeen = 0;
  /** A pending change per buffer: a debounce timer (onType), or none until the save (onSave). */
  private timers = new Map<string, { timer?: NodeJS.Timeout; firedAt?: number }>();
  /** The version of each open buffer the engine has seen (diagnostics are labelled with it). */
  private appliedVersion = new Map<string, number>();
  private queue: Promise<unknown> = Promise.resolve();
  private generation = 0;
  private progress: WorkDoneProgressServerReporter | undefined;
  private lastPercent = 0;
  private lastProgressAt = 0;
  private cancelledGen = -1;
  /** Capabilities of the client, set by the server at initialize. */
  caps = { progress: false, configuration: false, codeLensRefresh: false };
  init: InitOptions = {};
  private rawSettings: unknown;

  constructor(
    private connection: Connection,
    private docs: DocumentStore,
    readonly uris: UriMap,
    private log: Logger,
  ) {
    this.resolved = resolveSettings({}, []);
  }

  get debounceMs(): number {
    return this.resolved.options.debounceMs;
  }

  /** Run `fn` after every queued engine operation; errors are logged, not thrown to the caller's caller. */
  run<T>(name: string, fn: () => Promise<T> | T): Promise<T | undefined> {
    const p = this.queue.then(async () => {
      try {
        return await fn();
      } catch (e) {
        if (!(e instanceof Cancelled)) this.log.error(`${name} failed`, e);
        return undefined;
      }
    });
    this.queue = p;
    return p;
  }

  /** Wait for queued work (tests use it through slabcheck/stats). */
  idle(): Promise<unknown> {
    return this.run('idle', () => undefined);
  }

  // ---- configuration ----

  async readSettings(): Promise<unknown> {
    if (this.caps.configuration) {
      try {
        const s = await this.connection.workspace.getConfiguration({ section: 'slabcheck' });
        return s ?? {};
      } catch (e) {
        this.log.warn(`workspace/configuration failed: ${(e as Error).message}`);
      }
    }
    return this.rawSettings ?? this.init.settings ?? {};
  }

  /** Read settings and `.slabcheck.json`; a bad value is shown to the user and the previous config kept. Returns true when it changed. */
  async loadConfig(pushed?: unknown): Promise<{ changed: boolean; reindex: boolean }> {
    if (pushed !== undefined) this.rawSettings = pushed;
    const raw = await this.readSettings();
    let next: Resolved;
    try {
      next = resolveSettings(raw, this.roots);
    } catch (e) {
      const msg = describeSettingsError(e);
      this.log.warn(msg);
      void this.connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Error, message: msg }).catch(() => undefined);
      return { changed: false, reindex: false };
    }
    const prev = this.resolved;
    const changed = JSON.stringify(prev.config) !== JSON.stringify(next.config);
    const reindex = needsReindex(prev.config, next.config);
    this.resolved = next;
    if (next.configFile) this.log.info(`configuration: ${next.configFile} + settings (semantics ${next.config.semantics})`);
    return { changed, reindex };
  }

  /** Settings or `.slabcheck.json` changed: apply without a restart. */
  async configChanged(pushed?: unknown): Promise<void> {
    const before = this.resolved.options.diagnostics;
    const { changed, reindex } = await this.loadConfig(pushed);
    if (this.resolved.options.diagnostics !== before) this.publish();
    if (!changed) return;
    if (reindex || !this.engine) {
      void this.index('configuration changed');
      return;
    }
    await this.run('apply configuration', async () => {
      if (!this.engine) return;
      this.engine.setConfig(this.resolved.config);
      await this.recheck();
    });
  }

  // ---- indexing ----

  private makeEngine(roots: string[], gen: number): Engine {
    const cacheDir = this.init.noCache ? undefined : this.init.cacheDir ?? defaultCacheDir();
    return new Engine({
      roots,
      config: this.resolved.config,
      cacheDir,
      jobs: this.init.jobs,
      onProgress: (phase, done, total) => this.onProgress(gen, phase, done, total),
    });
  }

  private onProgress(gen: number, phase: string, done: number, total: number): void {
    if (gen !== this.generation || this.cancelledGen === gen) throw new Cancelled();
    const now = Date.now();
    const pct = Math.min(95, phase === 'scan' ? Math.round((done / Math.max(1, total)) * 50) : 50 + Math.round((done / Math.max(1, total)) * 45));
    this.lastPercent = Math.max(this.lastPercent, pct);
    if (now - this.lastProgressAt < 150 && done < total) return;
    this.lastProgressAt = now;
    const message = `${phase === 'scan' ? 'scanning' : 'parsing'} ${done}/${total} files`;
    this.progress?.report(this.lastPercent, message);
    this.sendStatus(message, this.lastPercent);
  }

  /** (Re)build the index in the background. Resolves when it is done, failed or cancelled. */
  async index(reason: string): Promise<void> {
    const gen = ++this.generation;
    this.progress?.done();
    this.progress = undefined;
    this.state = 'indexing';
    this.lastPercent = 0;
    this.sendStatus(`indexing (${reason})`, 0);
    let reporter: WorkDoneProgressServerReporter | undefined;
    if (this.caps.progress) {
      try {
        // A client that never answers window/workDoneProgress/create must not hold up the index.
        reporter = await Promise.race([
          this.connection.window.createWorkDoneProgress(),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer to window/workDoneProgress/create')), 5000).unref()),
        ]);
        reporter.begin('slabcheck: indexing', 0, reason, true);
        reporter.token.onCancellationRequested(() => {
          if (gen === this.generation) this.cancelIndex();
        });
        this.progress = reporter;
      } catch (e) {
        this.log.warn(`cannot create progress: ${(e as Error).message}`);
      }
    }
    await this.run('index', async () => {
      if (gen !== this.generation) return;
      const t0 = Date.now();
      const old = this.engine;
      this.engine = undefined;
      if (old) await old.close().catch(() => undefined);
      const engine = this.makeEngine(this.roots, gen);
      this.engine = engine;
      try {
        await engine.load();
        if (gen !== this.generation || this.cancelledGen === gen) throw new Cancelled();
        for (const doc of this.docs.all()) this.applyOpenDoc(doc);
        this.progress?.report(96, 'checking caches');
        this.sendStatus('checking caches', 96);
        await this.recheck();
        if (gen !== this.generation || this.cancelledGen === gen) throw new Cancelled();
        this.state = 'ready';
        const s = engine.project.stats;
        this.log.info(`indexed ${engine.project.files.length} files in ${Date.now() - t0} ms (${s.prescanned} scanned, ${s.prescanCached} from cache, ${s.parsed} parsed, ${s.factsCached} facts from cache${engine.project.demandDriven ? ', on demand' : ''}): ${this.caches.length} caches, ${this.findings.length} findings`);
        this.sendStatus('ready');
        if (this.caps.codeLensRefresh) void this.connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
      } catch (e) {
        if (gen !== this.generation) return; // superseded by a newer index
        if (e instanceof Cancelled) {
          // Stop: no workspace-wide results; open files are still analysed on their own.
          this.state = 'cancelled';
          await engine.close().catch(() => undefined);
          const solo = this.makeEngine([], ++this.generation);
          this.engine = solo;
          await solo.load();
          for (const doc of this.docs.all()) this.applyOpenDoc(doc);
          await this.recheck();
          this.sendStatus('indexing cancelled: only open files are analysed (run "slabcheck: Restart Index")');
          return;
        }
        this.state = 'failed';
        this.log.error('indexing failed', e);
        this.sendStatus(`indexing failed: ${(e as Error).message}`);
      } finally {
        reporter?.done();
        if (this.progress === reporter) this.progress = undefined;
      }
    });
  }

  /** Cancel the running index (the progress's cancel button, or the client's menu). */
  cancelIndex(): void {
    if (this.state !== 'indexing') return;
    this.cancelledGen = this.generation;
    this.log.info('indexing cancelled by the user');
  }

  // ---- documents ----

  /** Put an open buffer into the engine (sync). Returns timing for the bench. */
  private applyOpenDoc(doc: TextDocument): { parseMs: number; extractMs: number; incremental: boolean; unchanged?: boolean } | undefined {
    const engine = this.engine;
    const p = uriToPath(doc.uri);
    if (!engine || !p) return undefined;
    this.uris.remember(doc.uri, p);
    this.appliedVersion.set(doc.uri, doc.version);
    const text = doc.getText();
    const skip = bufferSkipReason(text, engine.config.maxFileSize);
    if (skip) {
      this.markSkipped(p, skip);
      if (engine.project.facts.has(p)) engine.removeFile(p);
      this.docs.setTree(doc.uri, undefined);
      return undefined;
    }
    this.skipped.delete(p);
    // Opening a file whose facts are loaded and whose text is the disk's: nothing to re-analyse.
    const project = engine.project;
    // (Not for facts from a focused extraction: hovers and code actions need every function.)
    if (project.facts.has(p) && !project.facts.get(p)!.partial && !project.overlays.has(p) && !this.docs.oldTree(doc.uri)) {
      let disk: string | undefined;
      try {
        disk = fs.readFileSync(p, 'utf8');
      } catch {
        disk = undefined;
      }
      if (disk === text) {
        project.overlays.set(p, text);
        return { parseMs: 0, extractMs: 0, incremental: false, unchanged: true };
      }
    }
    const r = applyText(engine, p, text, this.docs.oldTree(doc.uri));
    this.docs.setTree(doc.uri, r.tree);
    return r;
  }

  opened(doc: TextDocument): void {
    const p = uriToPath(doc.uri);
    if (p) this.uris.remember(doc.uri, p);
    const receivedAt = performance.now();
    void this.run('didOpen', async () => {
      if (!this.engine || this.state === 'indexing') return; // the index applies open buffers itself
      const r = this.applyOpenDoc(doc);
      // The buffer is the file the index analysed: its findings are current, publish them at once.
      if (r?.unchanged) this.publish(doc.uri);
      else await this.recheck({ uri: doc.uri, start: receivedAt, changedAt: receivedAt, apply: r });
    });
  }

  changed(doc: TextDocument): void {
    const uri = doc.uri;
    const prev = this.timers.get(uri);
    if (prev?.timer) clearTimeout(prev.timer);
    // onSave: the change waits for didSave (or a hover or code action, which flush first).
    const timer = this.resolved.options.diagnostics === 'onType' ? setTimeout(() => void this.flush(uri), this.debounceMs) : undefined;
    this.timers.set(uri, { timer });
  }

  /** Analyse a buffer now if a debounced change is pending (before hovers and code actions). */
  flush(uri: string): Promise<unknown> {
    const t = this.timers.get(uri);
    if (!t) return Promise.resolve();
    if (t.timer) clearTimeout(t.timer);
    this.timers.delete(uri);
    const firedAt = performance.now();
    return this.run('didChange', async () => {
      const doc = this.docs.get(uri);
      if (!doc || !this.engine || this.state === 'indexing') return;
      const r = this.applyOpenDoc(doc);
      await this.recheck({ uri, start: firedAt, changedAt: this.docs.info.get(uri)?.changedAt ?? firedAt, apply: r });
    });
  }

  closed(doc: TextDocument): void {
    const uri = doc.uri;
    const t = this.timers.get(uri);
    if (t?.timer) clearTimeout(t.timer);
    this.timers.delete(uri);
    this.docs.closed(uri);
    this.appliedVersion.delete(uri);
    const p = uriToPath(uri);
    void this.run('didClose', async () => {
      if (!p) return;
      this.uris.forget(p);
      if (!this.engine) return;
      // The file on disk takes the buffer's place (closeDocument would drop its facts).
      if (this.engine.project.overlays.has(p) || this.skipped.has(p)) {
        if (fs.existsSync(p) && this.accepts(p)) this.diskChanged(p);
        else this.removed(p);
      }
      if (this.state !== 'indexing') await this.recheck();
    });
  }

  // ---- files on disk ----

  /** Whether a path belongs to the workspace's analysed files. */
  accepts(p: string): boolean {
    if (!isCFile(p)) return false;
    if (this.roots.length && !this.roots.some((r) => p === r || p.startsWith(r + path.sep))) return false;
    const cfg = this.resolved.config;
    const inc = cfg.include.map(globToRegExp);
    const exc = cfg.exclude.map(globToRegExp);
    if (inc.length && !inc.some((r) => r.test(p))) return false;
    return !exc.some((r) => r.test(p));
  }

  private isOpen(p: string): boolean {
    return this.docs.all().some((d) => uriToPath(d.uri) === p);
  }

  private diskChanged(p: string): void {
    const engine = this.engine;
    if (!engine) return;
    const r = reloadFromDisk(engine, p);
    if (r.skipped) {
      if (SKIP_RE.test(r.skipped)) this.markSkipped(p, r.skipped);
      else this.skipped.delete(p);
    } else this.skipped.delete(p);
  }

  private removed(p: string): void {
    const engine = this.engine;
    this.skipped.delete(p);
    if (!engine) return;
    const under = engine.project.files.filter((f) => f === p || f.startsWith(p + path.sep));
    for (const f of under.length ? under : [p]) if (!this.isOpen(f)) engine.removeFile(f);
  }

  /** didChangeWatchedFiles / didRenameFiles / didDeleteFiles, as (path, kind) pairs. */
  filesChanged(changes: { path: string; kind: 'created' | 'changed' | 'deleted' }[]): void {
    const configTouched = changes.some((c) => path.basename(c.path) === '.slabcheck.json');
    const sources = changes.filter((c) => path.basename(c.path) !== '.slabcheck.json');
    if (sources.length) {
      void this.run('files changed', async () => {
        if (!this.engine || this.state === 'indexing') return;
        let touched = 0;
        for (const c of sources) {
          if (this.isOpen(c.path)) continue; // the editor buffer wins
          if (c.kind === 'deleted') {
            this.removed(c.path);
            touched++;
          } else if (this.accepts(c.path)) {
            this.diskChanged(c.path);
            touched++;
          }
        }
        if (touched) await this.recheck();
      });
    }
    if (configTouched) void this.configChanged();
  }

  // ---- results ----

  private markSkipped(p: string, reason: string): void {
    const prev = this.skipped.get(p);
    this.skipped.set(p, reason);
    const key = `${p}\0${reason}`;
    if (prev !== reason && !this.loggedProblems.has(key)) {
      this.loggedProblems.add(key);
      this.log.warn(`${p}: ${reason}`);
    }
  }

  /** Engine problems since the last look: skipped files get a diagnostic, the rest is logged once. */
  private collectProblems(engine: Engine): void {
    const problems = engine.project.problems;
    if (this.problemsSeen > problems.length) this.problemsSeen = 0;
    for (const pr of problems.slice(this.problemsSeen)) {
      if (SKIP_RE.test(pr.message)) {
        this.markSkipped(pr.path, pr.message.replace(/; skipped$/, '') + (/skipped/.test(pr.message) ? '' : '; skipped'));
        continue;
      }
      const key = `${pr.path}\0${pr.message}`;
      if (this.loggedProblems.has(key)) continue;
      this.loggedProblems.add(key);
      this.log.info(`${pr.path}: ${pr.message}`);
    }
    this.problemsSeen = problems.length;
  }

  /** Run the rules and publish; `edit` marks the buffer whose change triggered it. */
  async recheck(edit?: { uri: string; start: number; changedAt: number; apply?: { parseMs: number; extractMs: number; incremental: boolean } }): Promise<void> {
    const engine = this.engine;
    if (!engine) return;
    if (engine !== this.engine) return;
    const t0 = performance.now();
    const r = await engine.check();
    const checkMs = performance.now() - t0;
    if (engine !== this.engine) return;
    this.collectProblems(engine);
    this.findings = r.findings;
    this.caches = r.caches;
    this.shrinkers = r.shrinkers;
    this.byFile.clear();
    for (const f of r.findings) {
      const a = this.byFile.get(f.file);
      if (a) a.push(f);
      else this.byFile.set(f.file, [f]);
    }
    this.publish(edit?.uri);
    if (edit) {
      const end = performance.now();
      const doc = this.docs.get(edit.uri);
      if (this.init.timing) {
        const t: TimingParams = {
          uri: edit.uri, version: this.appliedVersion.get(edit.uri) ?? doc?.version ?? 0, latencyMs: end - edit.start, sinceChangeMs: end - edit.changedAt,
          parseMs: edit.apply?.parseMs ?? 0, extractMs: edit.apply?.extractMs ?? 0, checkMs, incremental: !!edit.apply?.incremental,
        };
        void this.connection.sendNotification('slabcheck/timing', t);
      }
    }
    if (this.state === 'ready' || this.state === 'cancelled') this.sendStatus(this.state === 'ready' ? 'ready' : 'indexing cancelled: only open files are analysed');
  }

  /** Publish diagnostics for every file whose diagnostics changed (and always for `force`). */
  private publish(force?: string): void {
    const next = new Map<string, Diagnostic[]>();
    // slabcheck.diagnostics "off": the analysis still serves hovers, lenses and commands; nothing is published.
    const off = this.resolved.options.diagnostics === 'off';
    if (!off) for (const [file, fs_] of this.byFile) next.set(file, fs_.map((f) => findingToDiagnostic(f, this.uris)));
    // A skipped file is said once in the output and counted in the status item; the Problems
    // panel hears of it only while the file is open (35 kernel headers over 4 MB buried the findings).
    for (const [file, reason] of off ? [] : this.skipped) {
      if (!this.docs.get(this.uris.uri(file))) continue;
      const list = next.get(file) ?? [];
      list.unshift(skippedDiagnostic(file, reason));
      next.set(file, list);
    }
    const forcePath = force ? uriToPath(force) : undefined;
    const paths = new Set<string>([...next.keys(), ...this.published.keys()]);
    if (forcePath) paths.add(forcePath);
    for (const p of paths) {
      const diags = next.get(p) ?? [];
      const json = JSON.stringify(diags);
      const uri = this.uris.uri(p);
      if (this.published.get(p) === json && p !== forcePath) continue;
      if (diags.length) this.published.set(p, json);
      else this.published.delete(p);
      const doc = this.docs.get(uri);
      const version = doc ? this.appliedVersion.get(uri) ?? doc.version : undefined;
      void this.connection.sendDiagnostics({ uri, version, diagnostics: diags }).catch(() => undefined);
    }
  }

  findingsIn(p: string): Finding[] {
    return this.byFile.get(p) ?? [];
  }

  sendStatus(message: string, percentage?: number): void {
    const errors = this.findings.filter((f) => f.severity === 'error').length;
    const warnings = this.findings.filter((f) => f.severity === 'warning').length;
    const s: StatusParams = {
      state: this.state, message, percentage, findings: this.findings.length, errors, warnings,
      files: this.engine?.project.files.length ?? 0, caches: this.caches.length, skipped: this.skipped.size,
    };
    void this.connection.sendNotification('slabcheck/status', s).catch(() => undefined);
  }

  async close(): Promise<void> {
    for (const t of this.timers.values()) if (t.timer) clearTimeout(t.timer);
    this.timers.clear();
    this.generation++;
    const e = this.engine;
    this.engine = undefined;
    if (e) await e.close().catch(() => undefined);
  }
}
