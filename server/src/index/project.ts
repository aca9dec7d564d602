/**
 * The set of files the engine knows and the facts loaded for them. Loading is
 * demand-driven on big trees: a text pre-scan of every file (in workers,
 * cached by path+mtime+size) says where caches are created and where each
 * function and struct is defined; only the files an analysis needs are parsed.
 * Open editor buffers (overlays) take the place of the files on disk.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Config } from '../config/config';
import { extractFacts } from '../facts/extract';
import type { FileFacts } from '../facts/types';
import type { Tree } from '../parse/parser';
import { globToRegExp, Walker } from '../scan/files';
import { Prescan, prescanBuffer } from '../scan/prescan';
import { Pool } from '../engine/pool';
import { ENGINE_CACHE_KEY, FactsOut, primitivesKey, packPrescan, PrescanBatch, PrescanOut, prescanOuts } from '../engine/tasks';
import { PrescanCache, PrescanIndex } from './prescan-cache';
import { loadFocusPack, PackEntry, saveFocusPack } from './focus-pack';
import { NAME_KIND, NameTable } from './name-table';
import { trace } from '../engine/trace';

export interface Problem {
  path: string;
  message: string;
}

export interface ProjectOptions {
  roots: string[];
  config: Config;
  jobs?: number;
  /** Where content-hash caches live; undefined = no cache. */
  cacheDir?: string;
  onProgress?: (phase: string, done: number, total: number) => void;
  /** At most this many files: parse everything (exact); above it, parse on demand. */
  fullThreshold?: number;
}

export function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'slabcheck');
}

/** name -> files; a Map when built here, file numbers into `paths` when loaded from the cache. */
export class NameIndex {
  /** Files whose entries were replaced after the index was built (an edited buffer). */
  private overridden = new Set<string>();
  private extra = new Map<string, string[]>();
  private extraNames = new Map<string, string[]>();

  constructor(private m: Map<string, string[]> = new Map(), private inv?: { table: NameTable; kind: number }, private paths?: string[]) {}

  /** Sorted paths per name read from the table (the whole-tree lock graph asks 200k times). */
  private sorted = new Map<string, string[] | undefined>();

  get(name: string): string[] | undefined {
    let base: string[] | undefined;
    if (this.inv) {
      base = this.sorted.get(name);
      if (base === undefined && !this.sorted.has(name)) {
        // File numbers follow the order the workers finished in: sort, so results do not.
        base = this.inv.table.get(name, this.inv.kind)?.map((i) => this.paths![i]).sort();
        this.sorted.set(name, base);
      }
    } else base = this.m.get(name);
    if (this.overridden.size && base) base = base.filter((f) => !this.overridden.has(f));
    const add = this.extra.get(name);
    if (!add) return base && base.length ? base : undefined;
    return [...(base ?? []), ...add];
  }

  /** Replace one file's names without rebuilding the whole index (an edit in the editor). */
  replaceFile(file: string, names: string[]): void {
    this.overridden.add(file);
    for (const n of this.extraNames.get(file) ?? []) {
      const a = this.extra.get(n);
      if (!a) continue;
      const rest = a.filter((f) => f !== file);
      if (rest.length) this.extra.set(n, rest);
      else this.extra.delete(n);
    }
    const uniq = [...new Set(names)];
    this.extraNames.set(file, uniq);
    for (const n of uniq) {
      const a = this.extra.get(n);
      if (a) a.push(file);
      else this.extra.set(n, [file]);
    }
  }
  /** The Map form (built on demand from a cached index). */
  map(): Map<string, string[]> {
    const base = this.inv ? new Map([...this.inv.table.entries(this.inv.kind)].map(([k, v]) => [k, v.map((i) => this.paths![i]).sort()])) : this.m;
    if (!this.overridden.size && !this.extra.size) return base;
    const out = new Map<string, string[]>();
    for (const k of new Set([...base.keys(), ...this.extra.keys()])) {
      const v = this.get(k);
      if (v?.length) out.set(k, v);
    }
    return out;
  }
}

export class Project {
  files: string[] = [];
  prescan = new Map<string, Prescan>();
  facts = new Map<string, FileFacts>();
  problems: Problem[] = [];
  overlays = new Map<string, string>();
  defIndex = new NameIndex();
  /** Cache variable (last identifier) -> files that allocate from or free to it. */
  cacheUseIndex = new NameIndex();
  structIndex = new NameIndex();
  readonly pool: Pool;
  stats = { prescanned: 0, prescanCached: 0, parsed: 0, factsCached: 0 };
  private failed = new Set<string>();

  constructor(public opts: ProjectOptions) {
    this.pool = new Pool(Math.max(1, opts.jobs ?? Math.min(os.cpus().length, 4)));
  }

  get config(): Config {
    return this.opts.config;
  }

  get demandDriven(): boolean {
    return this.files.length > (this.opts.fullThreshold ?? 1500);
  }

  private prescanCacheFile(): string | undefined {
    return this.workspaceCacheFile('prescan');
  }

  /** `<cacheDir>/<kind>-<key>`: one file per workspace (its roots) and extractor code, or undefined without a cache. */
  workspaceCacheFile(kind: string): string | undefined {
    if (!this.opts.cacheDir) return undefined;
    // Declared lock primitives change the facts (and so the packs of them), not the pre-scan.
    const prim = kind === 'prescan' ? '' : primitivesKey(this.config.lockPrimitives);
    const key = crypto.createHash('sha1').update(ENGINE_CACHE_KEY).update(prim).update(this.opts.roots.map((r) => path.resolve(r)).join('\0')).digest('hex').slice(0, 16);
    return path.join(this.opts.cacheDir, `${kind}-${key}`);
  }

  /**
   * Discover the files and pre-scan them. `creations`: start parsing the files
   * that create caches as soon as the pre-scan finds them, so the workers parse
   * while this thread builds the name indexes (what `caches` and `check` read first).
   */
  async load(o: { creations?: boolean; locks?: boolean } = {}): Promise<void> {
    const cfg = this.config;
    const walker = new Walker(this.opts.roots, { include: cfg.include.map(globToRegExp), exclude: cfg.exclude.map(globToRegExp) });
    this.files = walker.files;
    const cacheBase = this.prescanCacheFile();
    const cache = cacheBase ? new PrescanCache(cacheBase) : undefined;
    const cached = cache ? cache.loadMeta() : new Map<string, Prescan>();
    if (cacheBase) {
      this.packFile = `${cacheBase}.focus.bin`;
      this.pack = loadFocusPack(this.packFile);
      for (const [p, e] of loadFocusPack(this.packMoreFile())) this.pack.set(p, e);
    }
    const todo: string[] = [];
    const cachedSkips: Problem[] = [];
    const early: Promise<void>[] = [];
    let batch: string[] = [];
    // Creation files are parsed while the pre-scan goes on (demand-driven loads only: a small
    // workspace parses everything anyway, and the walk has to find enough files to tell).
    const flush = (atLeast: number) => {
      if (batch.length < atLeast || !o.creations || !this.demandDriven) return;
      early.push(this.ensureFacts(batch, 'creations', undefined, true));
      batch = [];
    };
    // The name indexes are built as chunks arrive, while the workers keep scanning.
    const index = new IndexBuilder();
    const parts: Promise<(PrescanBatch | PrescanOut)[]>[] = [];
    let pending: string[] = [];
    let done = 0;
    const send = () => {
      if (!pending.length) return;
      parts.push(this.pool.map<PrescanBatch | PrescanOut>('prescan', pending, {
        maxBytes: cfg.maxFileSize, chunkSize: 256, locks: o.locks,
        onResults: (rs) => {
          for (const r of rs) done += 'outs' in r ? r.outs.length : 1;
          this.opts.onProgress?.('scan', done, todo.length);
          for (const r of rs) {
            if (!('outs' in r)) continue;
            index.addBatch(r);
            for (const x of r.outs) if (x.prescan?.hasCreate && !x.prescan.skipped) batch.push(x.path);
          }
          flush(8);
        },
      }));
      pending = [];
    };
    // The walk hands files to the workers as it finds them, yielding so their answers are taken.
    for (let seen = 0; ;) {
      walker.step(64);
      for (; seen < walker.files.length; seen++) {
        const f = walker.files[seen];
        const c = cached.get(f);
        if (c) {
          let st: fs.Stats | undefined;
          try {
            st = fs.statSync(f);
          } catch {
            st = undefined;
          }
          if (st && st.size === c.size && st.mtimeMs === c.mtimeMs && !(o.locks && c.hasLock === undefined)) {
            this.prescan.set(f, c);
            if (c.skipped) cachedSkips.push({ path: f, message: c.skipped });
            else if (c.hasCreate) batch.push(f);
            this.stats.prescanCached++;
            continue;
          }
        }
        todo.push(f);
        pending.push(f);
      }
      if (walker.done) break;
      if (pending.length >= 1024) send();
      await new Promise((r) => setImmediate(r));
    }
    send();
    trace(`discovered ${walker.files.length} files`);
    this.problems.push(...walker.problems, ...cachedSkips);
    const results = (await Promise.all(parts)).flat();
    flush(1);
    // Chunk order (the order of discovery), whatever order the workers finished in.
    const out = prescanOuts(results);
    trace(`pre-scanned ${todo.length} files`);
    for (const r of out) {
      if (r.prescan) {
        this.prescan.set(r.path, r.prescan);
        if (r.prescan.skipped) this.problems.push({ path: r.path, message: r.prescan.skipped });
      } else if (r.problem) this.problems.push({ path: r.path, message: r.problem });
    }
    this.stats.prescanned = todo.length;
    const unchanged = todo.length === 0 && cached.size === this.prescan.size;
    let indexes = unchanged ? cache?.loadIndex() : undefined;
    if (!indexes) {
      // Files changed: the unchanged ones get their definition lists back from the cached index.
      if (cache && this.stats.prescanCached) {
        const fromCache = (p: string) => cached.get(p) === this.prescan.get(p);
        cache.loadDefs(this.prescan, fromCache);
        index.addBatch(packPrescan([...this.prescan].filter(([p]) => fromCache(p)).map(([path, prescan]) => ({ path, prescan: { ...prescan } }))));
      }
      indexes = index.result();
      trace('name indexes built');
      // Saved when this thread next waits (for the workers' parses), from a snapshot.
      if (cache) {
        const snapshot = new Map(this.prescan);
        const idx = indexes;
        this.saving = new Promise<void>((resolve) => setImmediate(resolve)).then(() => cache.save(snapshot, idx)).then(() => trace('pre-scan cache saved'));
      }
    }
    this.index = { cache, idx: indexes };
    this.useIndexes(indexes);
    this.files = this.files.filter((f) => this.prescan.has(f) && !this.prescan.get(f)!.skipped);
    await Promise.all(early);
    trace('early parses done');
    // The creation files' focused facts are written while this thread next waits (on the callee
    // levels' parses), so the end of the run writes only what the levels added.
    if (this.packDirty) this.savingFocus = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.saveFocused(true));
    if (!this.demandDriven) await this.ensureFacts(this.files);
  }

  private useIndexes(t: PrescanIndex): void {
    this.defIndex = new NameIndex(undefined, { table: t.table, kind: NAME_KIND.defs }, t.paths);
    this.structIndex = new NameIndex(undefined, { table: t.table, kind: NAME_KIND.structs }, t.paths);
    this.cacheUseIndex = new NameIndex(undefined, { table: t.table, kind: NAME_KIND.uses }, t.paths);
  }

  /** Make sure facts are loaded for these files (parsing in workers, cached by content hash). */
  async ensureFacts(paths: string[], focus?: 'creations', want?: string[], workers = false): Promise<void> {
    const all = [...new Set(paths)];
    // Files already being parsed (an early start): wait for them, then ask again.
    const busy = all.filter((p) => this.inflight.has(p));
    if (busy.length) {
      await Promise.all(new Set(busy.map((p) => this.inflight.get(p)!)));
      return this.ensureFacts(all, focus, want, workers);
    }
    // Focused facts kept by an earlier run, for files that have not changed since.
    if (focus) {
      for (const p of all) {
        const e = this.pack.get(p);
        if (!e || this.facts.has(p) || this.overlays.has(p) || !this.stillDescribes(p, e)) continue;
        e.facts.path = p;
        this.intern(e.facts);
        this.facts.set(p, e.facts);
        this.focused.set(p, e.facts);
        this.stats.factsCached++;
      }
    }
    const stale = (p: string) => !!focus && missesWanted(this.facts.get(p)!, want);
    const need = all.filter((p) => (!this.facts.has(p) || (!focus && this.facts.get(p)!.partial) || stale(p)) && !this.failed.has(p));
    // Focused facts read again for more functions keep the ones they had read.
    if (focus && want) want = wantKeepingRead(want, need.flatMap((p) => this.facts.get(p) ?? []));
    const fromOverlay = need.filter((p) => this.overlays.has(p));
    for (const p of fromOverlay) this.setFactsFromText(p, this.overlays.get(p)!);
    const onDisk = need.filter((p) => !this.overlays.has(p));
    if (!onDisk.length) return;
    // Small chunks for a small batch: a callee level of 20 files in chunks of 8 kept one worker
    // busy with most of them while the other idled, and the next level waits on the slowest.
    const chunkSize = Math.max(1, Math.min(8, Math.floor(onDisk.length / 8)));
    const job = this.pool.map<FactsOut>('facts', onDisk, {
      maxBytes: this.config.maxFileSize, cacheDir: this.opts.cacheDir, chunkSize, focus, want, workers, primitives: this.config.lockPrimitives,
      onChunk: (done, total) => this.opts.onProgress?.('parse', done, total),
    });
    for (const p of onDisk) this.inflight.set(p, job);
    let out: FactsOut[];
    try {
      out = await job;
    } finally {
      for (const p of onDisk) if (this.inflight.get(p) === job) this.inflight.delete(p);
    }
    for (const r of out) {
      if (r.facts) {
        this.intern(r.facts);
        this.facts.set(r.path, r.facts);
        if (focus && !r.fromCache) {
          this.focused.set(r.path, r.facts);
          // A file read again only to find what it cannot give (an empty macro asked for by name)
          // yields what the pack has: no reason to write the pack again.
          const had = this.pack.get(r.path)?.facts;
          if (!had || JSON.stringify(had) !== JSON.stringify(r.facts)) this.packDirty = true;
        }
        if (r.fromCache) this.stats.factsCached++;
        else this.stats.parsed++;
      } else {
        this.failed.add(r.path);
        if (r.problem) this.problems.push({ path: r.path, message: r.problem });
      }
    }
  }

  /** Parses under way, by file. */
  private inflight = new Map<string, Promise<unknown>>();
  private strings = new Map<string, string>();

  /** Facts cloned from a worker carry one copy of "spin_lock" per event: share them. */
  private intern(f: FileFacts): void {
    const s = this.strings;
    const i = (x: string) => {
      const v = s.get(x);
      if (v !== undefined) return v;
      s.set(x, x);
      return x;
    };
    for (const fn of f.functions) for (const e of fn.events) e.fn = i(e.fn);
  }

  /** An editor buffer or a changed file: re-extract its facts from text. */
  setFactsFromText(p: string, text: string, tree?: Tree): FileFacts {
    // Keep remembered text searches true for the new text of this one file.
    for (const [key, files] of this.mentionMemo) {
      const has = key.split('\0').every((w) => text.includes(w));
      const i = files.indexOf(p);
      if (has && i < 0) files.push(p);
      else if (!has && i >= 0) files.splice(i, 1);
    }
    const facts = extractFacts(p, text, tree, { previous: this.facts.get(p), lockPrimitives: this.config.lockPrimitives });
    this.facts.set(p, facts);
    this.dropFocused(p);
    this.failed.delete(p);
    const buf = Buffer.from(text);
    const pre = prescanBuffer(buf, buf.length, Date.now(), Number.MAX_SAFE_INTEGER, p.endsWith('.h') ? '' : p);
    const old = this.prescan.get(p);
    this.prescan.set(p, pre);
    if (!this.files.includes(p)) this.files.push(p);
    // Only this file's entries change: patch the indexes instead of rebuilding them.
    if (!old || old.defs.join() !== pre.defs.join()) this.defIndex.replaceFile(p, pre.defs);
    if (!old || old.structs.join() !== pre.structs.join()) this.structIndex.replaceFile(p, pre.structs);
    if (!old || old.cacheUses?.join() !== pre.cacheUses.join()) this.cacheUseIndex.replaceFile(p, pre.cacheUses);
    return facts;
  }

  /** Focused facts of a file whose text changed no longer describe it. */
  private dropFocused(p: string): void {
    const had = this.focused.delete(p);
    if (this.pack.delete(p) || had) this.packDirty = true;
  }

  forget(p: string): void {
    this.dropFocused(p);
    this.mentionMemo.clear();
    this.facts.delete(p);
    this.prescan.delete(p);
    this.overlays.delete(p);
    this.files = this.files.filter((f) => f !== p);
    this.defIndex.replaceFile(p, []);
    this.structIndex.replaceFile(p, []);
    this.cacheUseIndex.replaceFile(p, []);
  }

  private mentionMemo = new Map<string, string[]>();

  /** Forget every file's facts (read again when asked): the declared lock primitives changed. */
  dropFacts(): void {
    this.facts.clear();
    this.focused.clear();
    this.pack.clear();
    // Its name was keyed by the old declarations: not written this session.
    this.packFile = undefined;
  }

  /** Files whose text contains every one of the words (read from disk; used for targeted searches). */
  async filesMentioning(words: string[], candidates: string[] = this.files): Promise<string[]> {
    // Hovers and rules ask the same question repeatedly: remember answers until a file changes.
    const key = candidates === this.files ? words.join('\0') : undefined;
    const memo = key !== undefined ? this.mentionMemo.get(key) : undefined;
    if (memo) return memo;
    const out: string[] = [];
    for (const f of candidates) {
      const text = this.overlays.get(f);
      let buf: Buffer | undefined;
      if (text === undefined) {
        try {
          buf = fs.readFileSync(f);
        } catch {
          continue;
        }
      }
      const hay = buf ?? Buffer.from(text!);
      if (words.every((w) => hay.indexOf(w) >= 0)) out.push(f);
    }
    if (key !== undefined) this.mentionMemo.set(key, out);
    return out;
  }

  /** The pre-scan cache being written. */
  private saving?: Promise<void>;
  private index?: { cache?: PrescanCache; idx: PrescanIndex };

  /**
   * Look for lock primitives in the files whose pre-scan did not (a `caches` or
   * `check` run leaves them out): what the lock graph needs before it starts.
   */
  async ensureLockFlags(): Promise<void> {
    const files = this.files.filter((f) => this.prescan.get(f)?.hasLock === undefined);
    if (!files.length) return;
    const rs = await this.pool.map<PrescanBatch | PrescanOut>('prescan', files, { maxBytes: this.config.maxFileSize, chunkSize: 256, locks: true });
    for (const x of prescanOuts(rs)) {
      const had = this.prescan.get(x.path);
      if (had) had.hasLock = x.prescan?.hasLock ?? false;
    }
    if (this.index?.cache) {
      await this.saving;
      this.saving = this.index.cache.save(new Map(this.prescan), this.index.idx);
    }
  }

  async close(): Promise<void> {
    await this.saving;
    await this.savingFocus;
    await this.saveFocused(false);
    await this.pool.close();
  }

  /** Focused facts from the last run's pack (by path). */
  private pack = new Map<string, PackEntry>();
  private packFile?: string;
  /**
   * Focused facts loaded in this run: what the pack keeps for the next one, with the size and
   * mtime the pre-scan saw (early parses finish before the pre-scan has them all).
   */
  private focused = new Map<string, FileFacts>();
  private packDirty = false;
  private savingFocus?: Promise<void>;
  /** What this run already wrote to the pack file (the early save), by path. */
  private packWritten?: Map<string, FileFacts>;

  /** Whether a pack entry is for the file as the pre-scan saw it (same size and mtime). */
  private stillDescribes(p: string, e: PackEntry): boolean {
    const pre = this.prescan.get(p);
    return !!pre && pre.size === e.size && pre.mtimeMs === e.mtimeMs;
  }

  /** A pack entry for focused facts of `p` read in this run (none for an editor buffer). */
  private packEntry(p: string, facts: FileFacts): PackEntry | undefined {
    const pre = this.prescan.get(p);
    return pre && !this.overlays.has(p) ? { size: pre.size, mtimeMs: pre.mtimeMs, facts } : undefined;
  }

  /** Entries added after the pack file was written in the same run (read over it). */
  private packMoreFile(): string {
    return this.packFile!.replace(/\.bin$/, '-more.bin');
  }

  /**
   * Write the focused facts still in use when this run read or made new ones. `early`, or
   * when nothing was written yet: the whole pack (and no "more" file); otherwise only what
   * was added since, to the "more" file.
   */
  private async saveFocused(early: boolean): Promise<void> {
    if (!this.packFile || !this.packDirty) return;
    this.packDirty = false;
    const written = this.packWritten;
    if (!early && written) {
      const more = new Map<string, PackEntry>();
      for (const [p, facts] of this.focused) {
        const e = written.get(p) !== facts ? this.packEntry(p, facts) : undefined;
        if (e) more.set(p, e);
      }
      await saveFocusPack(this.packMoreFile(), more);
      trace(`focused facts saved (${more.size} more files)`);
      return;
    }
    const keep = new Map<string, PackEntry>();
    // Kept even when full facts took their place later in the run: a focused request must get
    // what the cold run's focused request got, or the warm analysis would reach further.
    for (const [p, facts] of this.focused) {
      const e = this.packEntry(p, facts);
      if (e) keep.set(p, e);
    }
    // What the last run kept and this one did not need stays while its file is unchanged.
    for (const [p, e] of this.pack) if (!keep.has(p) && !this.focused.has(p) && this.stillDescribes(p, e)) keep.set(p, e);
    this.packWritten = new Map([...keep].map(([p, e]) => [p, e.facts]));
    await fs.promises.rm(this.packMoreFile(), { force: true }).catch(() => undefined);
    await saveFocusPack(this.packFile, keep);
    trace(`focused facts saved (${keep.size} files)`);
  }
}

/** Focused facts that left a function asked for by name unread (a stub). */
function missesWanted(facts: FileFacts, want: readonly string[] | undefined): boolean {
  if (!want?.length || !facts.partial) return false;
  const w = new Set(want);
  return facts.functions.some((f) => f.stub && w.has(f.name));
}

/** `want` plus the functions these focused facts had read: what a second focused read keeps. */
function wantKeepingRead(want: readonly string[] | undefined, had: FileFacts[]): string[] {
  const out = new Set(want);
  for (const f of had) for (const fn of f.functions) if (!fn.stub) out.add(fn.name);
  return [...out];
}

/** The pre-scan's name table, built a chunk at a time as the workers send them. */
class IndexBuilder {
  private paths: string[] = [];
  private table = new NameTable();

  addBatch(b: PrescanBatch): void {
    const files = new Int32Array(b.outs.length).fill(-1);
    b.outs.forEach((o, i) => {
      if (o.prescan) files[i] = this.paths.push(o.path) - 1;
    });
    this.table.addPacked(b.packed, files);
  }

  result(): PrescanIndex {
    return { paths: this.paths, table: this.table };
  }
}
