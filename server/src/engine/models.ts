/** CacheInfo -> the versioned cache model the simulator runs (simulator/src/model.ts). */
import { ALLOCATORS, FREES } from '../kb/allocators';
import type { Analysis, CacheInfo, FnRef } from '../index/analysis';
import type { Span } from '../facts/types';
import { CACHE_MODEL_VERSION, CacheModel, CtorDtorModel, ModelStep, SourceRange } from '../../../simulator/src/model';

function range(file: string, s: Span): SourceRange {
  return { file, startLine: s[0], startCol: s[1], endLine: s[2], endCol: s[3] };
}

/** Evaluate simple sizes: numbers and sums of numbers; sizeof() is unknown without a compiler. */
function evalSize(expr: string): { bytes: number; expr?: string; assumed?: boolean } {
  const t = expr.trim();
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

export function fnModel(analysis: Analysis, ref: FnRef): CtorDtorModel {
  const steps: ModelStep[] = [];
  const { file, fn } = ref;
  for (const e of fn.events) {
    const at = range(file, e.at);
    if (e.k === 'lock') steps.push({ kind: 'lock', lock: analysis.classOf(file, fn, fn.locks[e.lock]), lockKind: e.kind, irq: e.irq, trylock: e.trylock, at });
    else if (e.k === 'unlock') steps.push({ kind: 'unlock', lock: analysis.classOf(file, fn, fn.locks[e.lock]), at });
    else if (e.k === 'alloc') steps.push({ kind: 'alloc', allocator: e.fn, gfp: e.gfp ?? (ALLOCATORS[e.fn]?.gfpArg === -1 ? 'GFP_KERNEL' : undefined), percpu: !!ALLOCATORS[e.fn]?.percpu, at });
    else if (e.k === 'free') steps.push({ kind: 'free', allocator: e.fn, percpu: !!FREES[e.fn]?.percpu, at });
    else steps.push({ kind: 'call', fn: e.fn, at });
  }
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
  const align = cr.align && /^\d+$/.test(cr.align.trim()) ? Number(cr.align.trim()) : 8;
  return {
    version: CACHE_MODEL_VERSION,
    name: cr.name.replace(/^"|"$/g, ''),
    variable: cr.assignedTo,
    objectSize: evalSize(cr.size),
    align,
    flags,
    ctor: c.ctor ? fnModel(analysis, c.ctor) : undefined,
    dtor: c.dtor ? fnModel(analysis, c.dtor) : undefined,
    at: range(c.file, cr.at),
  };
}
