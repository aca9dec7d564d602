/**
 * What is held where a lock class is taken: lockset inference in the manner of Eraser and
 * RacerD, kept conservative. A site is "under L" only when every path to it holds L: the
 * function reader's `held` is what every state holds at the event (must-held), and a function
 * whose every caller holds L at the call (each caller's own entry counted, up to MAX_CALLER_DEPTH
 * callers up) starts under L. A function no call reaches (an entry point, or called only
 * through a pointer) starts under nothing. Calls through function pointers are not seen: a
 * function also called that way may be claimed "under L" wrongly (said in the report).
 *
 * One algorithm over two stores (HeldSource): the loaded facts (Analysis, the rules and the
 * editor) and the whole-tree lock graph (LockGraph, `slabcheck locks --class X --held-under`).
 */
import * as path from 'path';
import type { Span } from '../facts/types';
import type { LockGraph } from '../graph/lock-graph';
import { LOCK_OPS, LockKind, LockMode, lockMode, SPINNING_KINDS } from '../kb/locks';
import { declaredLockOp } from '../kb/locks';
import type { Analysis, FnRef } from './analysis';
import { keyOf } from './analysis';

/** Callers followed up from a site (a helper's caller's caller...). */
export const MAX_CALLER_DEPTH = 3;

export interface HeldAt {
  /** Classes held, with their kinds (undefined: not known). */
  held: Map<string, LockKind | undefined>;
  irqOff: boolean;
}

export interface CallSite<F> extends HeldAt {
  caller: F;
  span: Span;
}

export interface LockSite<F> extends HeldAt {
  fn: F;
  cls: string;
  op: string;
  trylock: boolean;
  read: boolean;
  kind?: LockKind;
  span: Span;
}

export interface HeldSource<F> {
  key(f: F): string;
  name(f: F): string;
  file(f: F): string;
  /** Every acquisition of `cls` by a lock primitive (built-in or declared). */
  sites(cls: string): LockSite<F>[];
  /** The calls of `f` found in the workspace, with what each holds there. */
  callers(f: F): CallSite<F>[];
}

/** What every caller holds on entry to a function (intersection over its callers). */
export interface Entry extends HeldAt {
  callers: number;
}

const NOTHING: Entry = { held: new Map(), irqOff: false, callers: 0 };

export class HeldUnder<F> {
  private memo = new Map<string, Entry>();
  private onStack = new Set<string>();

  constructor(public src: HeldSource<F>) {}

  /** Held on entry to `f`, from its callers (conservative: a cycle or the depth bound gives nothing). */
  entry(f: F, depth = 0): Entry {
    const k = this.src.key(f);
    const hit = this.memo.get(k);
    if (hit) return hit;
    if (depth >= MAX_CALLER_DEPTH || this.onStack.has(k)) return NOTHING;
    this.onStack.add(k);
    const calls = this.src.callers(f);
    let out: Entry = NOTHING;
    if (calls.length) {
      let held: Map<string, LockKind | undefined> | undefined;
      let irqOff = true;
      for (const c of calls) {
        const up = this.entry(c.caller, depth + 1);
        const here = new Map([...up.held, ...c.held]);
        held = held ? new Map([...held].filter(([cls]) => here.has(cls))) : here;
        irqOff &&= c.irqOff || up.irqOff;
      }
      out = { held: held ?? new Map(), irqOff, callers: calls.length };
    }
    this.onStack.delete(k);
    // Memoised only when complete: from a shallower start the answer may be larger.
    if (depth === 0 || out.callers) this.memo.set(k, out);
    return out;
  }

  /** A site's held classes: in its function, and on entry to it from every caller. */
  at(s: LockSite<F>): { direct: string[]; viaCallers: string[]; kinds: Map<string, LockKind | undefined>; irqOff: boolean; callers: number } {
    const e = this.entry(s.fn);
    const direct = [...s.held.keys()].filter((c) => c !== s.cls);
    const viaCallers = [...e.held.keys()].filter((c) => c !== s.cls && !s.held.has(c));
    return { direct, viaCallers, kinds: new Map([...e.held, ...s.held]), irqOff: s.irqOff || e.irqOff, callers: e.callers };
  }

  /**
   * A site's rows: one, or one per distinct held set of its callers when they disagree (a helper called under the
   * class lock by one and under nothing by another is "under nothing via that one": seed 002's
   * lock_zspage() from async_free_zspage()).
   */
  private evidence(s: LockSite<F>): SiteEvidence[] {
    const h = this.at(s);
    const base: SiteEvidence = {
      fn: this.src.name(s.fn), file: this.src.file(s.fn), line: s.span[0] + 1, span: s.span, op: s.op, trylock: s.trylock,
      mode: s.kind ? lockMode(s.kind, s.read) : s.read ? 'read' : 'exclusive', under: h.direct, underViaCallers: h.viaCallers, callers: h.callers, irqOff: h.irqOff,
    };
    if (!h.callers) return [base];
    const rows = new Map<string, SiteEvidence>();
    for (const c of this.src.callers(s.fn)) {
      const up = this.entry(c.caller, 1);
      const held = [...new Set([...c.held.keys(), ...up.held.keys()])].filter((x) => x !== s.cls && !s.held.has(x)).sort();
      // One row per distinct held set (a helper called from a thousand places under the same lock is one row), named by its first caller.
      const key = held.join(',');
      const row = rows.get(key);
      if (row) row.viaCallers = (row.viaCallers ?? 1) + 1;
      else rows.set(key, { ...base, underViaCallers: held, irqOff: s.irqOff || c.irqOff || up.irqOff, via: this.viaPath(c.caller) });
    }
    const distinct = new Set([...rows.values()].map((r) => r.underViaCallers.join(',')));
    return distinct.size > 1 ? [...rows.values()] : [base];
  }

  /** A caller and, while each has a single calling function, its callers (innermost first). */
  private viaPath(f: F): string[] {
    const out = [this.src.name(f)];
    let cur = f;
    for (let d = 1; d < MAX_CALLER_DEPTH; d++) {
      const up = [...new Map(this.src.callers(cur).map((c) => [this.src.key(c.caller), c.caller])).values()];
      if (up.length !== 1) break;
      cur = up[0];
      out.push(this.src.name(cur));
    }
    return out;
  }

  table(cls: string): HeldUnderTable {
    const rows = new Map<string, SiteEvidence[]>();
    const nothing: SiteEvidence[] = [];
    const all: SiteEvidence[] = [];
    for (const s of this.src.sites(cls)) {
      for (const ev of this.evidence(s)) {
        all.push(ev);
        const under = [...ev.under, ...ev.underViaCallers];
        if (!under.length) nothing.push(ev);
        for (const u of under) rows.set(u, [...(rows.get(u) ?? []), ev]);
      }
    }
    const sorted = [...rows].map(([c, sites]) => ({ cls: c, count: sites.length, sites })).sort((a, b) => b.count - a.count || (a.cls < b.cls ? -1 : 1));
    return { cls, sites: all.length, under: sorted, nothing, outliers: outliersOf(all.length, nothing), all };
  }
}

export interface SiteEvidence {
  fn: string;
  file: string;
  /** 1-based. */
  line: number;
  span: Span;
  op: string;
  trylock: boolean;
  mode: LockMode;
  /** Classes the function holds at the site (every path). */
  under: string[];
  /** Classes every caller holds at its call (not held in the function itself). */
  underViaCallers: string[];
  /** Calls of the function found (0: an entry point, or called only through pointers). */
  callers: number;
  /** When the callers disagree, this row is the site reached through this caller (and its callers, innermost first). */
  via?: string[];
  /** How many calls share this row's held set (the first one is `via`). */
  viaCallers?: number;
  irqOff: boolean;
}

export interface HeldUnderTable {
  cls: string;
  sites: number;
  /** Per class held at some site: the sites under it, most first. */
  under: { cls: string; count: number; sites: SiteEvidence[] }[];
  /** Sites under no lock at all. */
  nothing: SiteEvidence[];
  /** The sites under nothing, when most of the class's sites are under some lock (otherwise none). */
  outliers: SiteEvidence[];
  all: SiteEvidence[];
}

/**
 * Outliers: a class taken under some lock at most of its sites (three or more, at least three
 * quarters of them) and under none at the rest. Those few are what a reviewer asks about
 * (seed 002: "sometimes with no lock held... async_free_zspage()"): a bug, or a reason to write down.
 */
export function outliersOf(total: number, nothing: SiteEvidence[]): SiteEvidence[] {
  const under = total - nothing.length;
  if (!nothing.length || under < 3 || under < 3 * nothing.length) return [];
  return nothing;
}

/** One line per row: "zspage.lock: taken under zs_pool.lock at 5 sites, under size_class.lock at 3, under nothing at 1 (async_free_zspage)". */
export function tableSummary(t: HeldUnderTable): string {
  const parts = t.under.map((r, i) => `${i ? '' : 'taken '}under ${r.cls} at ${r.count} site${r.count === 1 ? '' : 's'}`);
  const who = (s: SiteEvidence) => (s.via ? `${s.fn} via ${s.via.join(' <- ')}${s.viaCallers ? ` +${s.viaCallers - 1}` : ''}` : s.fn);
  if (t.nothing.length) parts.push(`${parts.length ? '' : 'taken '}under nothing at ${t.nothing.length} (${[...new Set(t.nothing.map(who))].slice(0, 6).join(', ')})`);
  return `${t.cls}: ${parts.join(', ') || 'no acquisition found'} (${t.sites} site${t.sites === 1 ? '' : 's'})`;
}

// ---- the loaded facts ----

const searched = new WeakMap<object, Set<string>>();

/** Global functions whose callers' files were all read (demand-driven trees), per project. */
export function searchedCallers(project: object): Set<string> {
  let s = searched.get(project);
  if (!s) searched.set(project, (s = new Set()));
  return s;
}

/**
 * Over the facts the analysis has loaded (a small workspace: every file). Functions that are
 * declared lock primitives are not holder sections: their bodies give no sites and no callers.
 */
export function analysisSource(a: Analysis): HeldSource<FnRef> {
  const prims = a.project.config.lockPrimitives;
  const fns: FnRef[] = [];
  for (const [file, f] of a.project.facts) for (const fn of f.functions) if (!fn.stub && !prims[fn.name]) fns.push({ file, fn });
  let byCallee: Map<string, { ref: FnRef; i: number }[]> | undefined;
  const heldOf = (ref: FnRef, held: number[]): Map<string, LockKind | undefined> => {
    const m = new Map<string, LockKind | undefined>();
    for (const i of held) {
      const lk = ref.fn.events.find((x) => x.k === 'lock' && x.lock === i);
      m.set(a.classOf(ref.file, ref.fn, ref.fn.locks[i]), lk?.k === 'lock' ? lk.kind : undefined);
    }
    return m;
  };
  return {
    key: keyOf,
    name: (r) => r.fn.name,
    file: (r) => r.file,
    sites(cls) {
      const out: LockSite<FnRef>[] = [];
      for (const ref of fns) {
        for (const e of ref.fn.events) {
          if (e.k !== 'lock' || a.classOf(ref.file, ref.fn, ref.fn.locks[e.lock]) !== cls) continue;
          out.push({ fn: ref, cls, op: e.fn, trylock: !!e.trylock, read: !!e.read, kind: e.kind, span: e.at, held: heldOf(ref, e.held.filter((h) => h !== e.lock)), irqOff: e.irqOff });
        }
      }
      return out;
    },
    callers(f) {
      // On demand, a global function's callers may be in files not read: claim nothing of them
      // unless the files naming it were read (rules/lock-rule-common.ts prepareLockRules).
      if (a.project.demandDriven && !f.fn.isStatic && !searchedCallers(a.project).has(f.fn.name)) return [];
      if (!byCallee) {
        byCallee = new Map();
        for (const ref of fns) ref.fn.events.forEach((e, i) => {
          if (e.k === 'call') byCallee!.set(e.fn, [...(byCallee!.get(e.fn) ?? []), { ref, i }]);
        });
      }
      const out: CallSite<FnRef>[] = [];
      const want = keyOf(f);
      for (const { ref, i } of byCallee.get(f.fn.name) ?? []) {
        const r = a.resolve(f.fn.name, ref.file);
        if (!r || keyOf(r) !== want) continue;
        const e = ref.fn.events[i];
        out.push({ caller: ref, span: e.at, held: heldOf(ref, e.held), irqOff: e.irqOff });
      }
      return out;
    },
  };
}

/** Every class some loaded function takes (for the outlier rule). */
export function classesTaken(a: Analysis): Set<string> {
  const out = new Set<string>();
  const prims = a.project.config.lockPrimitives;
  for (const [file, f] of a.project.facts) for (const fn of f.functions) {
    if (prims[fn.name]) continue;
    for (const e of fn.events) if (e.k === 'lock') out.add(a.classOf(file, fn, fn.locks[e.lock]));
  }
  return out;
}

// ---- the whole-tree lock graph ----

/** Over the whole-tree lock graph (what `slabcheck locks` loads). */
/**
 * `callersKnown`: whether every caller of a function is in the loaded files (on a demand-driven
 * tree, a global function's are only when the files naming it were read); otherwise it starts
 * under nothing.
 */
export function graphSource(lg: LockGraph, prims: Record<string, { class: string; op: string; mode: string }> = {}, callersKnown: (fn: number) => boolean = () => true): HeldSource<number> {
  const kindOf = (op: string): LockKind | undefined => LOCK_OPS[op]?.kind ?? (prims[op] ? declaredLockOp(prims[op] as never).kind : undefined);
  const heldOf = (fn: number, evs: ReturnType<LockGraph['eventsOf']>, held: number[]): Map<string, LockKind | undefined> => {
    const m = new Map<string, LockKind | undefined>();
    for (const r of held) {
      const lk = evs.find((x) => x.lock && x.ref === r);
      m.set(lg.className(lg.classOfRef(fn, r)), lk ? kindOf(lk.name) : undefined);
    }
    return m;
  };
  let named = -1;
  return {
    key: (f) => String(f),
    name: (f) => lg.fnName(f),
    file: (f) => lg.fnPath(f),
    sites(cls) {
      const out: LockSite<number>[] = [];
      // Class ids are given as references are named: name every acquisition's first (again after files were added).
      if (named !== lg.size) {
        lg.acquiredClasses();
        named = lg.size;
      }
      for (const s of lg.acquisitions(cls)) {
        for (const fn of lg.functionsOf(s.file)) {
          if (lg.fnName(fn) !== s.fn || prims[s.fn]) continue;
          const evs = lg.eventsOf(fn);
          const e = evs.find((x) => x.lock && x.span[0] === s.span[0] && x.span[1] === s.span[1]);
          if (!e) continue;
          out.push({ fn, cls, op: s.op, trylock: s.trylock, kind: kindOf(s.op), read: !!(LOCK_OPS[s.op]?.read ?? prims[s.op]?.mode === 'read'), span: s.span, held: heldOf(fn, evs, e.held.filter((h) => h !== e.ref)), irqOff: e.irqOff });
          break;
        }
      }
      return out;
    },
    callers(f) {
      const out: CallSite<number>[] = [];
      if (!callersKnown(f)) return out;
      const name = lg.fnName(f);
      for (const fn of lg.callersByName().get(name) ?? []) {
        if (prims[lg.fnName(fn)] || lg.resolveCall(fn, name) !== f) continue;
        const evs = lg.eventsOf(fn);
        for (const e of evs) if (!e.lock && e.name === name) out.push({ caller: fn, span: e.span, held: heldOf(fn, evs, e.held), irqOff: e.irqOff });
      }
      return out;
    },
  };
}

/** Whether a site is atomic: interrupts off, or a spinning lock held (in the function or by every caller). */
export function atomicAt(kinds: Map<string, LockKind | undefined>, irqOff: boolean): boolean {
  return irqOff || [...kinds.values()].some((k) => !!k && SPINNING_KINDS.has(k));
}

export function shortFile(f: string): string {
  return path.basename(f);
}
