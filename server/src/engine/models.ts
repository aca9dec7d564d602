/** CacheInfo -> the versioned cache model the simulator runs (simulator/src/model.ts). */
import { ALLOCATORS, FREES } from '../kb/allocators';
import type { Analysis, CacheInfo, FnRef } from '../index/analysis';
import type { Span } from '../facts/types';
import { estimateStruct } from './sizeof';
import { CACHE_MODEL_VERSION, CacheModel, CtorDtorModel, ModelStep, SourceRange } from '../../../simulator/src/model';

function range(file: string, s: Span): SourceRange {
  return { file, startLine: s[0], startCol: s[1], endLine: s[2], endCol: s[3] };
}

/**
 * Evaluate simple sizes: numbers and sums of numbers; `sizeof(struct X)` is
 * estimated from X's definition when the workspace has it (fields summed,
 * sizeof.ts), and said to be an estimate; anything else is assumed.
 */
function evalSize(expr: string, fields?: (type: string) => Record<string, string> | undefined): CacheModel['objectSize'] {
  const t = expr.trim();
  const m = /^sizeof\s*\(\s*struct\s+(\w+)\s*\)$/.exec(t);
  if (m && fields) {
    const est = estimateStruct(m[1], fields);
    if (est) {
      const note = est.unknown.length ? `; counted as 8 B each or one array element: ${est.unknown.slice(0, 6).join(', ')}${est.unknown.length > 6 ? ` and ${est.unknown.length - 6} more` : ''}` : '';
      return { bytes: est.bytes, expr: t, estimated: true, note: `estimated from struct ${m[1]}'s fields (x86-64 sizes, no debug options, every #ifdef branch counted)${note}` };
    }
  }
  if (/^\d+$/.test(t)) return { bytes: Number(t) };
  if (/^[\d\s+*()]+$/.test(t)) {
    try {
      // eslint-disable-next-line no-new-func
      const v = Function(`"use strict"; return (${t});`)();
      if (typeof v === 'number' && Number.isFinite(v)) return { bytes: v };
    } catch {
      /* fall through */
    }
  }
  return { bytes: 256, expr: t, assumed: true };
}

/** How deep calls of a ctor/dtor are followed into the steps, and how many steps a model may have. */
export const MODEL_CALL_DEPTH = 3;
const MAX_MODEL_STEPS = 200;

/**
 * The steps a function performs in source order. A call to a function the
 * workspace defines is replaced by that function's own steps (MODEL_CALL_DEPTH
 * deep), so a dtor calling `widget_unlink()` takes `reg_lock` in the
 * simulation as it does in the code; a callee that is only a stub, returns
 * with a lock held (or releases one it did not take), recursion and unknown
 * functions stay `call` steps.
 */
function stepsOf(analysis: Analysis, ref: FnRef, depth: number, visiting: Set<FnRef['fn']>, out: ModelStep[]): void {
  const { file, fn } = ref;
  visiting.add(fn);
  for (const e of fn.events) {
    if (out.length >= MAX_MODEL_STEPS) break;
    const at = range(file, e.at);
    if (e.k === 'lock') out.push({ kind: 'lock', lock: analysis.classOf(file, fn, fn.locks[e.lock]), lockKind: e.kind, irq: e.irq, trylock: e.trylock, at });
    else if (e.k === 'unlock') out.push({ kind: 'unlock', lock: analysis.classOf(file, fn, fn.locks[e.lock]), at });
    else if (e.k === 'alloc') out.push({ kind: 'alloc', allocator: e.fn, gfp: e.gfp ?? (ALLOCATORS[e.fn]?.gfpArg === -1 ? 'GFP_KERNEL' : undefined), percpu: !!ALLOCATORS[e.fn]?.percpu, at });
    else if (e.k === 'free') out.push({ kind: 'free', allocator: e.fn, percpu: !!FREES[e.fn]?.percpu, at });
    else {
      const callee = depth < MODEL_CALL_DEPTH ? analysis.resolve(e.fn, file) : undefined;
      if (callee && !callee.fn.stub && !callee.fn.imbalances.length && !visiting.has(callee.fn) && callee.fn.events.length) stepsOf(analysis, callee, depth + 1, visiting, out);
      else out.push({ kind: 'call', fn: e.fn, at });
    }
  }
  visiting.delete(fn);
}

export function fnModel(analysis: Analysis, ref: FnRef): CtorDtorModel {
  const steps: ModelStep[] = [];
  const { file, fn } = ref;
  stepsOf(analysis, ref, 0, new Set(), steps);
  const s = analysis.summary(ref);
  const parts: string[] = [];
  const percpu = s.allocs.filter((a) => a.percpu).length;
  if (s.allocs.length) parts.push(`allocates ${s.allocs.length}${percpu ? ` (${percpu} percpu)` : ''}: ${[...new Set(s.allocs.map((a) => `${a.fn}(${a.gfp ?? ''})`))].join(', ')}`);
  if (s.frees.length) parts.push(`frees: ${[...new Set(s.frees.map((f) => f.fn))].join(', ')}`);
  const locks = [...s.acquires.values()];
  parts.push(locks.length ? `takes ${locks.map((l) => `${l.cls} (${l.kind}${l.irqOff ? ', irqs off' : ''})`).join(', ')}` : 'takes no lock');
  if (s.maySleep) parts.push('may sleep');
  return { name: fn.name, at: range(file, fn.nameAt), steps, summary: parts.join('; '), maySleep: !!s.maySleep };
}

export function cacheModel(analysis: Analysis, c: CacheInfo): CacheModel {
  const cr = c.creation;
  const flags = cr.flags.split('|').map((f) => f.replace(/[()\s]/g, '')).filter((f) => f && f !== '0');
  // An align of 0 is the kernel's "default alignment" (the simulator needs a positive one).
  const align = cr.align && /^\d+$/.test(cr.align.trim()) && Number(cr.align.trim()) > 0 ? Number(cr.align.trim()) : 8;
  return {
    version: CACHE_MODEL_VERSION,
    name: cr.name.replace(/^"|"$/g, ''),
    variable: cr.assignedTo,
    objectSize: evalSize(cr.size, (t) => analysis.structFields(t)),
    align,
    flags,
    ctor: c.ctor ? fnModel(analysis, c.ctor) : undefined,
    dtor: c.dtor ? fnModel(analysis, c.dtor) : undefined,
    at: range(c.file, cr.at),
  };
}
