/**
 * The engine facade used by the CLI and the language server: open a
 * workspace, list caches, run the rules, build the lock graph, export cache
 * models for the simulator. Editor buffers are overlays on the files.
 */
import { primitivesKey } from './tasks';
import { prepareLockRules } from '../rules/lock-rule-common';
import * as fs from 'fs';
import * as path from 'path';
import { Config, DEFAULT_CONFIG, Semantics } from '../config/config';
import { detectSemantics } from '../config/detect-semantics';
import { Analysis, CacheInfo, Edge, FS_RECLAIM } from '../index/analysis';
import { Project, Problem, ProjectOptions } from '../index/project';
import { RULES } from '../rules';
import { internalError } from '../rules/internal-error';
import type { Finding, Rule, RuleContext, Severity } from '../rules/types';
import { severityOf } from '../rules/types';
import { applyIgnores } from './ignores';
import { trace } from './trace';
import * as crypto from 'crypto';
import { loadGraphFacts, prunePacks, treeStamp } from './graph-load';
import { GraphView, StoredGraph, writeGraphIndex } from '../graph/graph-index';
import { LiveGraph } from '../graph/graph-view';
import { LockGraph } from '../graph/lock-graph';
import { toGraphFile } from '../graph/graph-facts';
import { cacheModel } from './models';
import type { CacheModel } from '../../../simulator/src/model';
import type { Tree } from '../parse/parser';
import { configEntryPoints, entryPoints, EntryPoint, findShrinkers, ShrinkerInfo } from '../contexts/registry';
import { findAtomicEntries } from '../contexts/atomic-entries';
import { ATOMIC_CONTEXTS } from '../kb/contexts';
import type { SiteMemo } from '../contexts/constraints/atomic';

export interface EngineOptions extends Partial<Omit<ProjectOptions, 'config'>> {
  roots: string[];
  config?: Config;
  semantics?: Semantics;
}

export interface CheckResult {
  findings: Finding[];
  caches: CacheInfo[];
  /** Shrinkers the context registry found (contexts/registry.ts). */
  shrinkers: ShrinkerInfo[];
  /** NMI, tracing and hardirq entry points (contexts/atomic-entries.ts). */
  atomic: EntryPoint[];
  problems: Problem[];
}

/** No file, setting or flag chose the semantics: the tree's slab.h decides (config/detect-semantics.ts). */
function autoSemantics(config: Config, roots: string[]): void {
  if (config.semanticsSource) return;
  const d = detectSemantics(roots);
  config.semantics = d.semantics;
  config.semanticsSource = `auto: ${d.evidence}`;
}

export class Engine {
  readonly project: Project;
  analysis: Analysis;
  private loaded = false;
  /** Per-cache findings and the files they depend on (see check()). */
  private results = new Map<string, { deps: Set<string>; findings: Finding[] }>();
  private dirty = new Set<string>();
  private cachesMemo?: CacheInfo[];
  private shrinkersMemo?: ShrinkerInfo[];
  private configEntriesMemo?: EntryPoint[];
  private graphMemo?: GraphView;
  private atomicMemo?: EntryPoint[];
  /** The stored whole-tree graph open now (openStored). */
  private stored?: { file: string; graph: StoredGraph };
  stats = { rechecked: 0 };
  /** Phase times of the last lockGraph(), for bench/. */
  timings = { loadMs: 0, factsMs: 0, graphMs: 0 };

  constructor(opts: EngineOptions) {
    const config: Config = { ...(opts.config ?? DEFAULT_CONFIG) };
    if (opts.semantics) {
      config.semantics = opts.semantics;
      config.semanticsSource = '--semantics';
    } else autoSemantics(config, opts.roots);
    this.project = new Project({ ...opts, roots: opts.roots, config });
    this.analysis = new Analysis(this.project);
  }

  get config(): Config {
    return this.project.config;
  }

  setConfig(config: Config): void {
    config = { ...config };
    autoSemantics(config, this.project.opts.roots);
    // Declared lock primitives are read into the facts: other declarations, other facts.
    if (primitivesKey(config.lockPrimitives) !== primitivesKey(this.project.config.lockPrimitives)) this.project.dropFacts();
    this.project.opts.config = config;
    this.analysis = new Analysis(this.project);
    this.results.clear();
    this.cachesMemo = undefined;
    this.shrinkersMemo = undefined;
    this.configEntriesMemo = undefined;
    this.graphMemo = undefined;
    this.atomicMemo = undefined;
  }

  /** A file changed: caches that read it are checked again; in a small workspace, all are. */
  private markDirty(p: string): void {
    this.analysis.invalidate();
    this.cachesMemo = undefined;
    this.shrinkersMemo = undefined;
    this.configEntriesMemo = undefined;
    this.graphMemo = undefined;
    this.atomicMemo = undefined;
    if (!this.project.demandDriven) this.results.clear();
    else this.dirty.add(p);
  }

  /** `creations`: what follows reads the cache creations first (caches, check). */
  async load(o: { creations?: boolean; locks?: boolean } = {}): Promise<void> {
    if (this.loaded) return;
    await this.project.load(o);
    this.loaded = true;
  }

  async caches(): Promise<CacheInfo[]> {
    await this.load({ creations: true });
    // A closed editor buffer drops its facts: read the file from disk again.
    if (!this.project.demandDriven) await this.project.ensureFacts(this.project.files);
    else this.attachStoredGraph();
    if (!this.cachesMemo) this.cachesMemo = await this.analysis.caches();
    return this.cachesMemo;
  }

  /** Every shrinker of the workspace, its callbacks resolved (the context registry). */
  async shrinkers(): Promise<ShrinkerInfo[]> {
    await this.caches();
    if (!this.shrinkersMemo) this.shrinkersMemo = await findShrinkers(this.analysis);
    return this.shrinkersMemo;
  }

  /** Entry points declared in .slabcheck.json (`entryPoints`), resolved. */
  async configEntryPoints(): Promise<EntryPoint[]> {
    await this.caches();
    if (!this.configEntriesMemo) this.configEntriesMemo = await configEntryPoints(this.analysis);
    return this.configEntriesMemo;
  }

  /** NMI, tracing and hardirq entry points, strictest context first (kb/contexts.ts ATOMIC_CONTEXTS). */
  async atomicEntryPoints(): Promise<EntryPoint[]> {
    await this.caches();
    if (!this.atomicMemo) {
      const rank = (e: EntryPoint) => (ATOMIC_CONTEXTS as readonly string[]).indexOf(e.context.id);
      this.atomicMemo = (await findAtomicEntries(this.analysis)).sort((x, y) => rank(x) - rank(y));
    }
    return this.atomicMemo;
  }

  /** Entry points of every family, by context: slab ctors/dtors, shrinker callbacks, NMI/tracing/hardirq, and those .slabcheck.json declares. */
  async entryPoints(): Promise<EntryPoint[]> {
    return [...entryPoints(await this.caches(), await this.shrinkers()), ...(await this.atomicEntryPoints()), ...(await this.configEntryPoints())];
  }

  /**
   * Run every enabled rule over every cache. Results are kept per cache with
   * the files they were computed from; after an edit only the caches that
   * read the edited file run again (so typing in one file of a kernel tree
   * does not re-check 600 caches).
   */
  async check(onlyFiles?: Set<string>): Promise<CheckResult> {
    const caches = await this.caches();
    const findings: Finding[] = [];
    const cfg = this.config;
    const dirty = this.dirty;
    this.dirty = new Set();
    const next = new Map<string, { deps: Set<string>; findings: Finding[] }>();
    this.stats.rechecked = 0;
    const ruleMs = new Map<string, number>();
    trace('caches found');
    for (const cache of caches) {
      const key = `${cache.file}\0${cache.creation.at.join(',')}\0${cache.creation.name}`;
      const reran = await this.recheck(key, cache.file, dirty, next, findings, async (mine) => {
        for (const variant of candidateVariants(cache)) for (const rule of RULES) {
          if (rule.meta.semantics !== 'any' && rule.meta.semantics !== cfg.semantics) continue;
          const sev = severityOf(rule.meta, cfg.rules);
          if (sev === 'off') continue;
          const t = Date.now();
          await this.runRule(rule, variant, sev, mine);
          ruleMs.set(rule.meta.id, (ruleMs.get(rule.meta.id) ?? 0) + Date.now() - t);
        }
      });
      if (reran) this.stats.rechecked++;
    }
    trace(`cache rules run: ${[...ruleMs].filter(([, ms]) => ms >= 100).sort((x, y) => y[1] - x[1]).map(([id, ms]) => `${id} ${ms} ms`).join(', ')}`);
    // The shrinker family: each shrinker's rules, kept like a cache's with the files they read.
    const shrinkers = await this.shrinkers();
    const dirtyShrinkers = shrinkers.filter((s) => !this.unchanged(`shrinker\0${s.key}`, dirty));
    if (dirtyShrinkers.length) for (const rule of RULES) {
      if (!rule.prepareShrinkers || severityOf(rule.meta, cfg.rules) === 'off') continue;
      const ctx: RuleContext = { analysis: this.analysis, semantics: cfg.semantics, report: () => undefined };
      try {
        await rule.prepareShrinkers(ctx, dirtyShrinkers);
      } catch (e) {
        this.project.problems.push({ path: dirtyShrinkers[0].file, message: `rule ${rule.meta.id} failed preparing the shrinkers: ${(e as Error).message}` });
      }
    }
    trace('shrinker rules prepared');
    for (const s of shrinkers) {
      await this.recheck(`shrinker\0${s.key}`, s.file, dirty, next, findings, async (mine) => {
        for (const rule of RULES) {
          if (!rule.checkShrinker || (rule.meta.semantics !== 'any' && rule.meta.semantics !== cfg.semantics)) continue;
          const sev = severityOf(rule.meta, cfg.rules);
          if (sev === 'off') continue;
          await this.runShrinkerRule(rule, s, sev, mine);
        }
      });
    }
    trace('shrinker rules run');
    // Entry points declared in .slabcheck.json: their context's constraints (rule context-constraint).
    for (const ep of await this.configEntryPoints()) {
      for (const rule of RULES) {
        if (!rule.checkEntry || severityOf(rule.meta, cfg.rules) === 'off') continue;
        const ctx = this.ruleContext(rule, severityOf(rule.meta, cfg.rules) as Severity, findings);
        try {
          await rule.checkEntry(ctx, ep);
        } catch (e) {
          this.project.problems.push({ path: ep.registeredAt.file, message: `rule ${rule.meta.id} failed on ${ep.name}: ${(e as Error).message}` });
        }
      }
    }
    // NMI, tracing and hardirq: one unit (a place reached from several contexts is reported once, in the strictest).
    const atomic = await this.atomicEntryPoints();
    trace(`atomic entry points found (${atomic.length})`);
    await this.recheck('atomic\0', this.project.opts.roots[0] ?? '', dirty, next, findings, async (mine) => {
      const memo: SiteMemo = new Map();
      for (const ep of atomic) for (const rule of RULES) {
        if (!rule.checkAtomic || severityOf(rule.meta, cfg.rules) === 'off') continue;
        await this.guarded(rule, ep.registeredAt.file, ep.registeredAt.span, ep.name, mine, (ctx) => rule.checkAtomic!(ctx, ep, memo));
      }
      for (const rule of RULES) {
        if (!rule.checkWorkspace || severityOf(rule.meta, cfg.rules) === 'off') continue;
        await this.guarded(rule, this.project.opts.roots[0] ?? '', [0, 0, 0, 0], 'the workspace', mine, (ctx) => rule.checkWorkspace!(ctx));
      }
    });
    trace(() => `atomic rules run: ${this.analysis.summaryStats()}`);
    // Lock-class rules (declared rules, inferred held-under outliers): over every class, run every check.
    const wide = RULES.filter((r) => r.checkLockClasses && severityOf(r.meta, cfg.rules) !== 'off');
    if (wide.length) {
      await prepareLockRules(this.analysis);
      for (const rule of wide) await this.guarded(rule, this.project.opts.roots[0] ?? '', [0, 0, 0, 0], 'the lock classes', findings, (ctx) => rule.checkLockClasses!(ctx));
      trace('lock-class rules run');
    }
    this.results = next;
    let out = applyIgnores(dedupe(findings), this.project);
    if (onlyFiles) out = out.filter((f) => onlyFiles.has(f.file));
    out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.span[0] - b.span[0] || a.span[1] - b.span[1] || (a.rule < b.rule ? -1 : 1)));
    return { findings: out, caches, shrinkers, atomic, problems: this.project.problems };
  }

  /**
   * One unit of the incremental check (a cache, a shrinker): its previous findings when no file
   * it read changed, else `run` again, recording the files it reads and its findings' files.
   * Returns whether it ran.
   */
  private async recheck(
    key: string, file: string, dirty: Set<string>, next: Map<string, { deps: Set<string>; findings: Finding[] }>,
    findings: Finding[], run: (mine: Finding[]) => Promise<void>,
  ): Promise<boolean> {
    const prev = this.unchanged(key, dirty);
    if (prev) {
      findings.push(...prev.findings);
      next.set(key, prev);
      return false;
    }
    const mine: Finding[] = [];
    const deps = this.analysis.beginTouch();
    deps.add(file);
    try {
      await run(mine);
    } finally {
      this.analysis.endTouch(deps);
    }
    for (const f of mine) {
      deps.add(f.file);
      for (const r of f.related) deps.add(r.file);
    }
    next.set(key, { deps, findings: mine });
    findings.push(...mine);
    return true;
  }

  /** The previous results of a unit when none of the files it read changed. */
  private unchanged(key: string, dirty: Set<string>): { deps: Set<string>; findings: Finding[] } | undefined {
    const prev = this.results.get(key);
    return prev && ![...prev.deps].some((f) => dirty.has(f)) ? prev : undefined;
  }

  /** What a rule reports into: the severity .slabcheck.json sets, else the finding's own, else the rule's. */
  private ruleContext(rule: Rule, sev: Severity, out: Finding[], extra: Partial<Finding> = {}): RuleContext {
    return {
      analysis: this.analysis,
      semantics: this.config.semantics,
      report: (f) => {
        const configured = this.config.rules[rule.meta.id];
        const severity = configured && configured !== 'off' ? configured : f.severity ?? sev;
        out.push({ ...f, ...extra, rule: rule.meta.id, severity });
      },
    };
  }

  /** Run one rule on one unit; a rule that throws is an internal-error finding there, not a lost run. */
  private async guarded(rule: Rule, file: string, span: [number, number, number, number], what: string, out: Finding[], run: (ctx: RuleContext) => Promise<void> | void): Promise<void> {
    const sev = severityOf(rule.meta, this.config.rules) as Severity;
    try {
      await run(this.ruleContext(rule, sev, out));
    } catch (e) {
      const message = `rule ${rule.meta.id} failed on ${what}: ${(e as Error).message}`;
      this.project.problems.push({ path: file, message });
      if (severityOf(internalError.meta, this.config.rules) !== 'off') {
        out.push({ rule: internalError.meta.id, severity: this.config.rules[internalError.meta.id] as Severity ?? 'error', message, file, span, related: [] });
      }
    }
  }

  private async runShrinkerRule(rule: Rule, s: ShrinkerInfo, sev: Severity, out: Finding[]): Promise<void> {
    const ctx = this.ruleContext(rule, sev, out, { shrinker: s.name ?? s.target });
    try {
      await rule.checkShrinker!(ctx, s);
    } catch (e) {
      const message = `rule ${rule.meta.id} failed on shrinker ${s.name ?? s.target}: ${(e as Error).message}`;
      this.project.problems.push({ path: s.file, message });
      if (severityOf(internalError.meta, this.config.rules) !== 'off') {
        out.push({ rule: internalError.meta.id, severity: this.config.rules[internalError.meta.id] as Severity ?? 'error', message, file: s.file, span: s.anchor.span, related: [] });
      }
    }
  }

  private async runRule(rule: Rule, cache: CacheInfo, sev: Severity, out: Finding[]): Promise<void> {
    const ctx = this.ruleContext(rule, sev, out);
    try {
      await rule.check(ctx, cache);
    } catch (e) {
      // A finding on the cache, not a line on stderr: the run is incomplete and says where.
      const message = `rule ${rule.meta.id} failed on cache ${cache.creation.name}: ${(e as Error).message}`;
      this.project.problems.push({ path: cache.file, message });
      if (severityOf(internalError.meta, this.config.rules) !== 'off') {
        out.push({ rule: internalError.meta.id, severity: this.config.rules[internalError.meta.id] as Severity ?? 'error', message, file: cache.file, span: cache.creation.at, related: [], cache: cache.creation.name });
      }
    }
  }

  /**
   * The whole-tree lock graph's facts loaded, no edge computed yet (`locks --held-under` needs
   * only the sites and the calls). `keepWorkers`: more files will be read into it.
   */
  async lockGraphFacts(keepWorkers = false): Promise<LockGraph> {
    const t0 = Date.now();
    // The pre-scan looks for lock primitives too (the files the graph starts from);
    // a project loaded without them (by `check`) looks now.
    await this.load({ locks: true });
    const p = this.project;
    if (p.demandDriven) await p.ensureLockFlags();
    this.timings.loadMs = Date.now() - t0;
    const a = this.analysis;
    const lg = new LockGraph({ candidateFiles: (n, f) => a.candidateFiles(n, f), kbFunctions: a.kbFunctions, readsBody: (n, k) => a.readsBody(n, k) });
    if (p.demandDriven) {
      await loadGraphFacts(p, lg, a);
      // The parsing is done: give the workers' heaps back before the graph is built.
      if (!keepWorkers) await p.pool.close();
    } else {
      await p.ensureFacts(p.files);
      for (const f of p.facts.values()) lg.add(toGraphFile(f));
    }
    return lg;
  }

  /** The lock graph of the workspace (every file parsed: this is the expensive one). */
  async lockGraph(): Promise<{ graph: Map<string, Map<string, Edge>>; classes: Set<string>; leaves: Set<string>; lg?: LockGraph }> {
    const t0 = Date.now();
    const lg = await this.lockGraphFacts();
    const a = this.analysis;
    this.timings.factsMs = Date.now() - t0 - this.timings.loadMs;
    const t1 = Date.now();
    const raw = lg.edges();
    trace('lock graph: edges');
    const graph = lg.toEdgeMap(raw);
    const classes = new Set<string>();
    for (const [from, m] of graph) {
      classes.add(from);
      for (const to of m.keys()) classes.add(to);
    }
    // Classes that are taken somewhere but nest nothing are leaves too.
    for (const c of lg.classesTaken()) classes.add(lg.className(c));
    trace('lock graph: classes taken');
    const acquired = lg.acquiredClasses();
    const leaves = new Set<string>();
    for (const c of classes) {
      if (c === FS_RECLAIM) continue;
      const known = a.lockFacts.get(c);
      if (known?.nonLeafBecause) continue;
      // A knowledge-base lock whose code is not here (taken only inside mm/ functions we do not
      // read) is not seen nesting anything: unknown, never a leaf, unless .slabcheck.json says so.
      if (known && !known.declared && !acquired.has(c)) continue;
      const out = graph.get(c);
      if (!out || out.size === 0 || known?.leaf) leaves.add(c);
    }
    trace('lock graph: leaves');
    this.timings.graphMs = Date.now() - t1;
    return { graph, classes, leaves, lg };
  }

  /**
   * The whole lock graph to ask questions of. On a big tree it is stored (`graph-index-*.bin`,
   * graph/graph-index.ts) for the tree's files as they are on disk, the code and the config: the
   * next run reads it instead of computing it again. Small workspaces and editor buffers compute it.
   */
  async graphView(): Promise<GraphView> {
    if (this.graphMemo) return this.graphMemo;
    await this.load({ locks: true });
    const p = this.project;
    const at = this.overlaysAsOnDisk() ? this.graphIndexAt() : undefined;
    const stored = at && this.openStored(at);
    if (stored) {
      trace('lock graph: stored index read');
      return (this.graphMemo = stored);
    }
    const file = at?.file;
    const stamp = at?.stamp ?? '';
    const { graph, classes, leaves, lg } = await this.lockGraph();
    const live = new LiveGraph(graph, classes, leaves, lg);
    this.graphMemo = live;
    if (file) {
      try {
        writeGraphIndex(file, stamp, path.resolve(p.opts.roots[0] ?? '.'), live);
        prunePacks(path.dirname(file), 'graph-index');
        trace('lock graph: index stored');
        // Read back: the listings then decode each chain from the file once instead of walking it again.
        this.graphMemo = this.openStored({ file, stamp }) ?? live;
        if (this.graphMemo !== live) this.analysis.wholeGraph = this.graphMemo;
      } catch (e) {
        p.problems.push({ path: file, message: `the lock graph could not be stored: ${(e as Error).message}` });
      }
    }
    return this.graphMemo;
  }

  /** Every editor buffer holds what its file holds on disk (an editor has files open that are not edited). */
  private overlaysAsOnDisk(): boolean {
    for (const [file, text] of this.project.overlays) {
      try {
        if (fs.readFileSync(file, 'utf8') !== text) return false;
      } catch {
        return false;
      }
    }
    return true;
  }

  /** Where the stored graph of this tree is and the stamp it must carry (undefined on a small workspace or without a cache). */
  private graphIndexAt(): { file: string; stamp: string } | undefined {
    const p = this.project;
    const base = p.demandDriven ? p.workspaceCacheFile('graph-index') : undefined;
    if (!base) return undefined;
    return { file: `${base}.bin`, stamp: crypto.createHash('sha1').update(treeStamp(p)).update(JSON.stringify(this.config)).digest('hex') };
  }

  /** The stored graph for `at`: one open instance per file and stamp, shared by graphView() and the rules; an older one is closed. */
  private openStored(at: { file: string; stamp: string }): StoredGraph | undefined {
    const cur = this.stored;
    if (cur && cur.file === at.file && cur.graph.stamp === at.stamp) return cur.graph;
    const g = StoredGraph.open(at.file, at.stamp);
    if (!g) return undefined;
    if (cur) {
      if (this.analysis.wholeGraph === cur.graph) this.analysis.wholeGraph = undefined;
      if (this.graphMemo === cur.graph) this.graphMemo = undefined;
      cur.graph.close();
    }
    this.stored = { file: at.file, graph: g };
    return g;
  }

  /**
   * A stored graph of the tree as it is on disk, for the rules and hovers that ask what nests
   * under a lock (Analysis.edgesFrom): exact answers from the whole tree instead of a search of
   * the likeliest holders. Editor buffers add their own edges to it there.
   */
  private attachStoredGraph(): void {
    if (this.analysis.wholeGraph) return;
    const at = this.graphIndexAt();
    const stored = at && this.openStored(at);
    if (stored) {
      this.analysis.wholeGraph = stored;
      trace('lock graph: stored index attached');
    }
  }

  async models(): Promise<CacheModel[]> {
    const caches = await this.caches();
    return caches.map((c) => cacheModel(this.analysis, c));
  }

  /**
   * One cache's model for a simulation: as models() gives it, with the headers
   * defining its object's struct read first (on a big tree they are not loaded
   * for the cache list), so `sizeof(struct X)` is estimated from X's fields.
   */
  async model(match: (m: CacheModel) => boolean): Promise<CacheModel | undefined> {
    const caches = await this.caches();
    const hit = caches.find((c) => match(cacheModel(this.analysis, c)));
    if (!hit) return undefined;
    const m = /^sizeof\s*\(\s*struct\s+(\w+)\s*\)$/.exec(hit.creation.size.trim());
    if (m) await this.analysis.prepareStructTypes([m[1]]);
    return cacheModel(this.analysis, hit);
  }

  /** An open editor buffer replaces the file's text. */
  updateDocument(file: string, text: string, tree?: Tree): void {
    const p = path.resolve(file);
    this.project.overlays.set(p, text);
    this.project.setFactsFromText(p, text, tree);
    this.markDirty(p);
  }

  closeDocument(file: string): void {
    const p = path.resolve(file);
    this.project.overlays.delete(p);
    this.project.facts.delete(p);
    this.markDirty(p);
  }

  removeFile(file: string): void {
    this.project.forget(path.resolve(file));
    this.markDirty(path.resolve(file));
  }

  async close(): Promise<void> {
    this.stored?.graph.close();
    this.stored = undefined;
    await this.project.close();
  }
}

/**
 * The cache, then once per candidate of an indirect ctor/dtor (`info->ctor` over a table,
 * `c ? f : NULL`): each candidate may be what runs, so each is checked as the ctor/dtor.
 */
function candidateVariants(cache: CacheInfo): CacheInfo[] {
  const out = [cache];
  for (const ctor of cache.ctorCandidates ?? []) out.push({ ...cache, ctor });
  for (const dtor of cache.dtorCandidates ?? []) out.push({ ...cache, dtor });
  return out;
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const k = `${f.rule}|${f.file}|${f.span.join(',')}|${f.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
