/**
 * What the `lock-rule-*` rules share: every acquisition of a class `.slabcheck.json` gives rules
 * to (`lockRules`) or declares primitives for (`lockPrimitives`), with the rule of its mode and
 * what is held there (in its function, and on entry from every caller: index/held-under.ts).
 */
import type { LockRule } from '../config/config';
import type { FnEvent, Span } from '../facts/types';
import type { Analysis, FnRef, Step } from '../index/analysis';
import { analysisSource, HeldUnder, MAX_CALLER_DEPTH, searchedCallers } from '../index/held-under';
import { allocGfpClass } from '../kb/allocators';
import { OPAQUE_PREFIXES } from '../kb/kernel-functions';
import { LockKind, LockMode, lockMode, SLEEPING_KINDS } from '../kb/locks';

export type LockEvent = Extract<FnEvent, { k: 'lock' }>;

export interface RuleSite {
  ref: FnRef;
  /** The event's index in its function. */
  i: number;
  e: LockEvent;
  cls: string;
  mode: LockMode;
  /** The rule of that mode (write and exclusive stand for each other), if any. */
  rule?: LockRule;
  /** Some primitive of the class is declared in `.slabcheck.json`. */
  declared: boolean;
  /** Held in the function at the site, and on entry from every caller. */
  direct: string[];
  viaCallers: string[];
  kinds: Map<string, LockKind | undefined>;
  irqOff: boolean;
  callers: number;
}

const memo = new WeakMap<Analysis, { gen: number; sites: RuleSite[]; held: HeldUnder<FnRef> }>();

/** The held-under inference over the loaded facts, one per analysis generation. */
export function heldUnderOf(a: Analysis): HeldUnder<FnRef> {
  return compute(a).held;
}

export function ruleSites(a: Analysis): RuleSite[] {
  return compute(a).sites;
}

function compute(a: Analysis): { gen: number; sites: RuleSite[]; held: HeldUnder<FnRef> } {
  const hit = memo.get(a);
  if (hit && hit.gen === a.generation) return hit;
  const cfg = a.project.config;
  const declaredClasses = new Set(Object.values(cfg.lockPrimitives).map((p) => p.class));
  const held = new HeldUnder(analysisSource(a));
  const sites: RuleSite[] = [];
  if (Object.keys(cfg.lockRules).length || declaredClasses.size) {
    for (const [file, f] of a.project.facts) for (const fn of f.functions) {
      // A primitive's own body is not a holder section.
      if (fn.stub || cfg.lockPrimitives[fn.name]) continue;
      fn.events.forEach((e, i) => {
        if (e.k !== 'lock') return;
        const cls = a.classOf(file, fn, fn.locks[e.lock]);
        const rules = cfg.lockRules[cls];
        if (!rules && !declaredClasses.has(cls)) return;
        const mode = lockMode(e.kind, e.read);
        const rule = rules?.[mode] ?? (mode === 'write' ? rules?.exclusive : mode === 'exclusive' ? rules?.write : undefined);
        const ref = { file, fn };
        const h = held.at({ fn: ref, cls, op: e.fn, trylock: !!e.trylock, read: !!e.read, span: e.at, held: heldClasses(a, ref, e), irqOff: e.irqOff });
        sites.push({ ref, i, e, cls, mode, rule, declared: declaredClasses.has(cls), ...h });
      });
    }
  }
  const out = { gen: a.generation, sites, held };
  memo.set(a, out);
  return out;
}

function heldClasses(a: Analysis, ref: FnRef, e: LockEvent): Map<string, LockKind | undefined> {
  const m = new Map<string, LockKind | undefined>();
  for (const i of e.held) {
    if (i === e.lock) continue;
    const lk = ref.fn.events.find((x) => x.k === 'lock' && x.lock === i);
    m.set(a.classOf(ref.file, ref.fn, ref.fn.locks[i]), lk?.k === 'lock' ? lk.kind : undefined);
  }
  return m;
}

/**
 * Demand-driven trees: read what the lock rules look at. The files that call a declared primitive
 * (a text search); then, three levels up from the functions that take a class with rules, their
 * callees (summaries: what may sleep) and the files that name a global one (its callers: what
 * they hold). A global function whose callers were not searched for starts under nothing
 * (index/held-under.ts analysisSource). Classes given rules but no primitive are checked in the
 * files loaded anyway.
 */
export async function prepareLockRules(a: Analysis): Promise<void> {
  const p = a.project;
  const cfg = p.config;
  if (!p.demandDriven || (!Object.keys(cfg.lockRules).length && !Object.keys(cfg.lockPrimitives).length)) return;
  // Files read for their cache creations only have stub functions: ensureFacts reads them in full.
  const want = new Set<string>();
  for (const n of Object.keys(cfg.lockPrimitives)) for (const f of await p.filesMentioning([n])) want.add(f);
  if (want.size) await p.ensureFacts([...want]);
  a.invalidate();
  const classes = new Set([...Object.keys(cfg.lockRules), ...Object.values(cfg.lockPrimitives).map((x) => x.class)]);
  let level: FnRef[] = [];
  for (const [file, f] of p.facts) for (const fn of f.functions) {
    if (fn.stub || cfg.lockPrimitives[fn.name]) continue;
    if (fn.events.some((e) => e.k === 'lock' && classes.has(a.classOf(file, fn, fn.locks[e.lock])))) level.push({ file, fn });
  }
  const searched = searchedCallers(p);
  const seen = new Set<string>();
  for (let depth = 0; depth < MAX_CALLER_DEPTH && level.length; depth++) {
    await a.prepare(level);
    const names = [...new Set(level.map((r) => r.fn.name))].filter((n) => !seen.has(n));
    for (const n of names) seen.add(n);
    const files = new Set<string>();
    for (const r of level) if (!r.fn.isStatic && !searched.has(r.fn.name)) for (const f of await p.filesMentioning([r.fn.name])) files.add(f);
    if (files.size) await p.ensureFacts([...files]);
    for (const r of level) searched.add(r.fn.name);
    const callees = new Set(names);
    const next: FnRef[] = [];
    for (const [file, f] of p.facts) for (const fn of f.functions) if (!fn.stub && fn.events.some((e) => e.k === 'call' && callees.has(e.fn))) next.push({ file, fn });
    level = next;
  }
  a.invalidate();
}

export function step(ref: FnRef, span: Span, note: string): Step {
  return { file: ref.file, span, note };
}

/** The site as the first step of evidence. */
export function siteStep(s: RuleSite, note?: string): Step {
  return step(s.ref, s.e.at, note ?? `${s.ref.fn.name}() takes ${s.cls} (${s.mode}) with ${s.e.fn}()`);
}

/** "under zs_pool.lock (held by every caller: 3)": what the site is under, for messages. */
export function underText(s: RuleSite): string {
  const parts = [...s.direct, ...s.viaCallers.map((c) => `${c} (held by all ${s.callers} callers)`)];
  return parts.length ? `under ${parts.join(', ')}` : 'with no lock held';
}

/**
 * Whether an event may sleep, with the chain: a sleeping lock waited for, an allocation whose gfp
 * may reclaim, a call whose callee (its summary, or the knowledge base) may sleep.
 */
export function sleepsAt(a: Analysis, ref: FnRef, e: FnEvent): Step[] | undefined {
  const here = (note: string) => step(ref, e.at, note);
  if (e.k === 'lock') {
    return SLEEPING_KINDS.has(e.kind) && !e.trylock ? [here(`${ref.fn.name}() waits for sleeping lock ${a.classOf(ref.file, ref.fn, ref.fn.locks[e.lock])} (${e.fn})`)] : undefined;
  }
  if (e.k === 'alloc') return allocGfpClass(e.fn, e.gfp) === 'sleep' ? [here(`${ref.fn.name}() allocates with ${e.fn}(${e.gfp ?? 'GFP_KERNEL'}), which may sleep`)] : undefined;
  if (e.k !== 'call' && e.k !== 'free') return undefined;
  if (OPAQUE_PREFIXES.test(e.fn) && !a.kbFunctions[e.fn]) return undefined;
  const call = here(`${ref.fn.name}() calls ${e.fn}()`);
  const callee = a.wantsBody(e) ? a.resolve(e.fn, ref.file) : undefined;
  if (callee) {
    const s = a.summary(callee).maySleep;
    return s ? [call, ...s] : undefined;
  }
  const kb = a.kbFunctions[e.fn];
  return kb?.maySleep ? [call, here(`${e.fn}() may sleep (${kb.source})`)] : undefined;
}

/** `preempt_disable()` earlier in the function with no `preempt_enable()` after it (a linear reading). */
export function preemptOffBefore(ref: FnRef, i: number): boolean {
  let depth = 0;
  for (let j = 0; j < i; j++) {
    const x = ref.fn.events[j];
    if (x.k !== 'call') continue;
    if (/^(?:preempt_disable|preempt_disable_notrace)$/.test(x.fn)) depth++;
    else if (/^(?:preempt_enable|preempt_enable_notrace|preempt_enable_no_resched)$/.test(x.fn)) depth = Math.max(0, depth - 1);
  }
  return depth > 0;
}

export function why(s: RuleSite): string {
  return s.rule?.why ? ` (${s.rule.why})` : '';
}
