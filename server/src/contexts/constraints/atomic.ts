/**
 * What the NMI, tracing and hardirq rules share: the constraints `no-allocator` and
 * `trylock-only` over the summaries, the severity of each context, and the memo that gives a
 * place reached from several contexts to the strictest one only (the engine runs the entry
 * points NMI first, then tracing, then hardirq: kb/contexts.ts ATOMIC_CONTEXTS).
 */
import * as path from 'path';
import type { AllocUse, Analysis, FnRef, FreeUse, LockAcq, Step } from '../../index/analysis';
import type { FunctionFacts } from '../../facts/types';
import type { EntryPoint } from '../registry';
import { isNolockAllocator } from '../../kb/allocators';
import { lineStarts, maskedSource } from '../../parse/mask';
import { fileText } from '../../rules/nmi-common';
import type { Severity } from '../../rules/types';

/** Places already reported (file:line:col of the last evidence step) and the context that reported them. */
export type SiteMemo = Map<string, string>;

/** Claim the place a chain ends at for this context; false when a stricter (earlier) entry point already reported it. */
export function claim(memo: SiteMemo, chain: Step[], context: string): boolean {
  const last = chain[chain.length - 1];
  const k = `${last.file}:${last.span[0]}:${last.span[1]}`;
  if (memo.has(k)) return false;
  memo.set(k, context);
  return true;
}

/**
 * Evidence steps up to which a finding keeps its context's severity: the place is in the entry
 * function or at most two calls below it. Deeper chains go through code whose summary is
 * path-insensitive (a slow path behind `if (in_nmi()) return;`, a branch the handler never
 * takes), so they are warnings that say how deep they are.
 */
export const MAX_ERROR_CHAIN = 3;

export const MAX_WARNING_CHAIN = 7;

/**
 * NMI and hardirq are certain; a tracing callback or BPF helper runs in NMI only where it is
 * attached there. A place more than six calls below the entry point (most reach the 13-call
 * evidence cap through the scheduler, timers or printk) is info: still said, with its chain,
 * but no reader can confirm such a path from a merged summary, and as warnings they buried the
 * few near ones (Linux 6.12: 465 of 590 NMI/tracing/hardirq warnings).
 */
export function atomicSeverity(ep: EntryPoint, chain?: Step[], a?: Analysis): Severity {
  if (!chain) return ep.context.id === 'tracing' ? 'warning' : 'error';
  const d = depthOf(chain, a);
  if (d > MAX_WARNING_CHAIN) return 'info';
  if (ep.context.id === 'tracing') return 'warning';
  return d > MAX_ERROR_CHAIN || (a && selectorCall(chain, a)) ? 'warning' : 'error';
}

/**
 * What selects a path: `true`/`false`, 0, 1, -1, or an upper-case constant (`DCPU_IS_SLAVE`,
 * `MODE_X`), never a gfp mask or a size (`PAGE_SIZE`, `SZ_4K`, `BUF_LEN`).
 */
const SELECTOR = /^(?:true|false|-?[01][uUlL]*|(?!_*GFP_|SZ_)(?![A-Z0-9_]*_(?:SIZE|LEN|MAX|MIN|COUNT|BYTES|SHIFT)$)[A-Z][A-Z0-9_]*)$/;
/** A scalar parameter type: what a flag, a mode or a state is passed as (never a pointer, nor a size_t). */
const SCALAR = /^(?:const\s+)?(?:(?:unsigned|signed)\s+)?(?:int|long(?:\s+long)?|short|char|bool|_Bool|[us](?:8|16|32|64)|__[us](?:8|16|32|64)|unsigned|signed|enum\s+\w+)(?:\s+int)?$/;
/** A parameter named as a quantity: what it is given picks no path. */
const QUANTITY = /^(?:size|len|length|count|cnt|nr|n|num|bytes|sz|\w+_(?:size|len|count|nr|bytes))$/;

/**
 * A call of the chain that hands its callee a constant for a scalar parameter:
 * `kgdb_nmicallback()` calls `kgdb_cpu_enter(ks, regs, DCPU_IS_SLAVE)`, and with that flag the
 * callee spins as a slave and returns before the lock the chain ends at. The summaries merge
 * every path of the callee, so the hazard is possible, not certain: a warning that names the
 * constant. The call is matched by its site (the step's span) in the caller's events.
 */
export function selectorCall(chain: Step[], a: Analysis): { caller: string; callee: string; arg: string } | undefined {
  for (let i = 0; i + 1 < chain.length; i++) {
    const m = /^(\w+)\(\) calls (\w+)\(\)$/.exec(chain[i].note);
    if (!m) continue;
    const caller = a.resolve(m[1], chain[i].file);
    const callee = a.resolve(m[2], chain[i].file);
    if (!caller || !callee || callee.fn.stub) continue;
    const [line, col] = chain[i].span;
    const call = caller.fn.events.find((e) => e.k === 'call' && e.fn === m[2] && e.at[0] === line && e.at[1] === col);
    if (call?.k !== 'call') continue;
    const j = (call.args ?? []).findIndex((x, k) => {
      const p = callee.fn.params[k];
      return !!p && SELECTOR.test(x.t) && SCALAR.test(p.type.trim()) && !QUANTITY.test(p.name);
    });
    if (j >= 0) return { caller: m[1], callee: m[2], arg: call.args![j].t };
  }
  return undefined;
}

/**
 * Steps of a chain that can hide a path: a call into a thin wrapper (a body of one event, like
 * `void *buf_alloc(size_t n, gfp_t g) { return kmalloc(n, g); }`) has no branch of its own and
 * does not count.
 */
export function depthOf(chain: Step[], a?: Analysis): number {
  let n = chain.length;
  if (!a) return n;
  for (let i = 0; i + 1 < chain.length; i++) {
    const callee = /\bcalls (\w+)\(\)$/.exec(chain[i].note)?.[1];
    const d = callee ? a.resolve(callee, chain[i].file) : undefined;
    if (d && !d.fn.stub && thin(d.fn)) n--;
  }
  return n;
}

/**
 * One event, and no constant handed on: `hvc_poll(hp) { return __hvc_poll(hp, false); }` chooses
 * a path of its callee (`if (may_sleep) cond_resched();`) that a path-insensitive summary merges.
 */
function thin(fn: FunctionFacts): boolean {
  const evs = fn.events.filter((e) => e.k !== 'unlock');
  if (evs.length > 1) return false;
  const e = evs[0];
  return !(e?.k === 'call' && (e.args ?? []).some((x) => /^(?:true|false|NULL|-?\d+[uUlL]*)$/.test(x.t.trim())));
}

/** " (5 calls deep: ...)" for a chain beyond MAX_ERROR_CHAIN. */
export function depthNote(ep: EntryPoint, chain: Step[], a?: Analysis): string {
  if (depthOf(chain, a) > MAX_ERROR_CHAIN) return ` (${chain.length - 1} calls deep: the summaries are path-insensitive, check that this path runs in ${ep.context.id} context)`;
  const sel = a && selectorCall(chain, a);
  return sel ? ` (${sel.caller}() passes ${sel.arg} to ${sel.callee}(), which may take another path with it: the summaries are path-insensitive, check that this path is taken)` : '';
}

/** Where a chain ends, for a message: " in pmu_stash() (record.c:8)"; empty when it ends in the entry function itself. */
export function siteOf(chain: Step[]): string {
  if (chain.length < 2) return '';
  const last = chain[chain.length - 1];
  const fn = /^(\w+)\(\)/.exec(last.note)?.[1];
  return ` in ${fn ? `${fn}() ` : ''}(${path.basename(last.file)}:${last.span[0] + 1})`;
}

export function entryLabel(ep: EntryPoint): string {
  return `${ep.role} ${ep.name}() (${ep.owner})`;
}

export function registeredStep(ep: EntryPoint): Step {
  return { file: ep.registeredAt.file, span: ep.registeredAt.span, note: `${ep.via ?? ep.name} registers ${ep.name}() as ${ep.role}: it runs in ${ep.context.id} context` };
}

/** A chain that goes through an allocation or a free: the allocator's own locks are that call's finding. */
function viaAllocator(chain: Step[]): boolean {
  return chain.some((s) => /\b(?:allocates with|frees with) /.test(s.note));
}

/** Constraint `no-allocator`: calls into the ordinary allocators (any gfp, GFP_ATOMIC included), and their frees. */
export function allocatorCalls(a: Analysis, fn: FnRef): (AllocUse | FreeUse)[] {
  const s = a.summary(fn);
  return [...s.allocs.filter((x) => !isNolockAllocator(x.fn)), ...s.frees.filter((x) => !isNolockAllocator(x.fn))];
}

/**
 * Constraint `trylock-only`: waiting acquisitions of any lock kind (the allocator's own are
 * allocatorCalls'). A static lock local to the entry function itself (`ghes_notify_nmi()`'s
 * `static DEFINE_RAW_SPINLOCK(ghes_notify_lock_nmi)`) is taken only there: NMIs do not nest on a
 * CPU, so the interrupted code cannot hold it, and another CPU holding it will release it.
 */
export function waitingLocks(a: Analysis, fn: FnRef): LockAcq[] {
  const own = `${path.basename(fn.file)}:${fn.fn.name}:`;
  return [...a.summary(fn).acquires.values()].filter((x) => !x.trylock && !viaAllocator(x.chain) && !x.cls.startsWith(own) && !(x.chain.length === 1 && staticIn(a, fn, x.cls)));
}

/** The entry function's body declares the lock `static` (its class, `file.c:name`, is a file static's shape). */
function staticIn(a: Analysis, fn: FnRef, cls: string): boolean {
  const name = /(\w+)$/.exec(cls)?.[1];
  const text = name ? fileText(a, fn.file) : undefined;
  if (!name || text === undefined) return false;
  const st = lineStarts(text);
  const body = maskedSource(text.slice(st[fn.fn.at[0]] + fn.fn.at[1], st[fn.fn.at[2]] + fn.fn.at[3]));
  return new RegExp(`\\bstatic\\s+(?:DEFINE_(?:RAW_)?SPINLOCK\\s*\\([\\s(]*${name}[\\s)]*\\)|(?:raw_)?spinlock_t\\s+${name}\\b)`).test(body);
}
