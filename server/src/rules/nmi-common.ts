/** What the NMI/tracing/hardirq rules share: reading the code at a step, and the nolock code action. */
import * as fs from 'fs';
import type { Analysis, Step } from '../index/analysis';
import type { FnEvent, FunctionFacts, Span } from '../facts/types';
import type { Fix, TextEdit } from './types';
import { lineStarts } from '../parse/mask';
import { splitArgs } from '../contexts/registrations';
import { isNolockAllocator } from '../kb/allocators';

export function fileText(a: Analysis, file: string): string | undefined {
  const o = a.project.overlays.get(file);
  if (o !== undefined) return o;
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function offsetOf(text: string, span: Span): [number, number] {
  const st = lineStarts(text);
  return [st[span[0]] + span[1], st[span[2]] + span[3]];
}

/** The function of `file` whose body holds the span. */
export function functionAt(a: Analysis, file: string, span: Span): FunctionFacts | undefined {
  const inside = (f: FunctionFacts) => (f.at[0] < span[0] || (f.at[0] === span[0] && f.at[1] <= span[1])) && (f.at[2] > span[0] || (f.at[2] === span[0] && f.at[3] >= span[1]));
  return a.functionsIn(file).filter((f) => !f.stub && inside(f)).sort((x, y) => y.at[0] - x.at[0])[0];
}

/** `kmalloc(n, GFP_ATOMIC)` -> `kmalloc_nolock(n, 0, NUMA_NO_NODE)`, when the call is one of those forms. */
function nolockAlloc(call: string): string | undefined {
  const m = /^(kmalloc|kzalloc|kmalloc_node|kzalloc_node)\s*\(/.exec(call);
  if (!m) return undefined;
  const list = splitArgs(call, m[0].length - 1);
  if (!list || list.end !== call.length) return undefined;
  const args = list.args.map((x) => x.text.trim());
  const node = m[1].endsWith('_node') ? args[2] : 'NUMA_NO_NODE';
  const gfp = args[1]?.replace(/\s+/g, '');
  // GFP_ATOMIC/GFP_NOWAIT only: any other gfp asked for something kmalloc_nolock() does not do (reclaim, a zone).
  const g = /^(?:GFP_ATOMIC|GFP_NOWAIT)((?:\|__GFP_ZERO|\|__GFP_NOWARN|\|__GFP_ACCOUNT)*)$/.exec(gfp ?? '');
  if (!g || args.length !== (m[1].endsWith('_node') ? 3 : 2) || !node) return undefined;
  const flags = [...(m[1].startsWith('kz') || g[1].includes('__GFP_ZERO') ? ['__GFP_ZERO'] : []), ...(g[1].includes('__GFP_ACCOUNT') ? ['__GFP_ACCOUNT'] : [])];
  return `kmalloc_nolock(${args[0]}, ${flags.length ? flags.join(' | ') : '0'}, ${node})`;
}

/**
 * The code action of nmi-allocator-call: the allocation (or the free) at the end of `chain`
 * rewritten to the nolock pair. A free is rewritten only when its pointer visibly comes from an
 * allocation in the same function that is (or becomes, in the same fix) kmalloc_nolock(): the
 * 6.18 contract lets kfree_nolock() free only kmalloc_nolock() memory, and kmalloc_nolock()
 * memory be freed only by kfree_nolock(), so the two change together.
 */
export function nolockFix(a: Analysis, chain: Step[]): Fix | undefined {
  const last = chain[chain.length - 1];
  const text = fileText(a, last.file);
  const fn = functionAt(a, last.file, last.span);
  if (!text || !fn) return undefined;
  const ev = fn.events.find((e): e is Extract<FnEvent, { k: 'alloc' | 'free' }> => (e.k === 'alloc' || e.k === 'free') && e.at.join() === last.span.join());
  if (!ev) return undefined;
  const edits: TextEdit[] = [];
  const editAlloc = (e: Extract<FnEvent, { k: 'alloc' }>): boolean => {
    if (isNolockAllocator(e.fn)) return true;
    const [s, t] = offsetOf(text, e.at);
    const to = nolockAlloc(text.slice(s, t));
    if (!to) return false;
    edits.push({ file: last.file, span: e.at, newText: to });
    return true;
  };
  const editFree = (e: Extract<FnEvent, { k: 'free' }>): boolean => {
    if (e.fn !== 'kfree') return false;
    const [s, t] = offsetOf(text, e.at);
    const call = text.slice(s, t);
    if (!/^kfree\s*\(/.test(call)) return false;
    edits.push({ file: last.file, span: e.at, newText: call.replace(/^kfree/, 'kfree_nolock') });
    return true;
  };
  const norm = (x: string | undefined) => x?.replace(/\s+/g, '').replace(/^\((.*)\)$/, '$1');
  if (ev.k === 'alloc') {
    if (!editAlloc(ev)) return undefined;
    // Its frees in the same function go with it.
    for (const f of fn.events) if (f.k === 'free' && ev.assignedTo && norm(f.arg) === norm(ev.assignedTo) && !isNolockAllocator(f.fn) && !editFree(f)) return undefined;
    return { title: `Use kmalloc_nolock()${edits.length > 1 ? ' and kfree_nolock()' : ''} (Linux 6.18+)`, edits };
  }
  const src = fn.events.filter((x): x is Extract<FnEvent, { k: 'alloc' }> => x.k === 'alloc' && !!x.assignedTo && norm(x.assignedTo) === norm(ev.arg));
  if (src.length !== 1 || !editAlloc(src[0]) || !editFree(ev)) return undefined;
  return { title: `Use kfree_nolock()${edits.length > 1 ? ' and kmalloc_nolock()' : ''} (Linux 6.18+)`, edits };
}
