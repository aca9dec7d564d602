/**
 * Entry points of the NMI, tracing and hardirq families (kb/contexts.ts ATOMIC_PATTERNS): the
 * registrations contexts/registrations.ts finds in the text, their functions resolved like
 * shrinker callbacks (the handler's file, else its candidate files; only the wanted bodies
 * parsed on a big tree), and their callees read for the summaries.
 *
 * In a demand-driven run the files are the pre-scan's `hasAtomic` ones.
 */
import * as fs from 'fs';
import type { Analysis, FnRef } from '../index/analysis';
import { CONTEXTS, PERF_NMI_ARCHES } from '../kb/contexts';
import { findAtomicRegistrations, AtomicRegistration } from '../contexts/registrations';
import type { EntryPoint } from './registry';
import { trace } from '../engine/trace';

/** Callee levels read below a tracing callback / a hardirq handler in a demand-driven run (NMI: Analysis.prepare's default). */
export const TRACING_DEPTH = 4;
export const HARDIRQ_DEPTH = 2;

/** Files whose text may hold an atomic-context registration or a nolock allocator call. */
export function atomicFiles(a: Analysis): string[] {
  const p = a.project;
  const all = p.demandDriven ? p.files.filter((f) => p.prescan.get(f)?.hasAtomic) : [...p.facts.keys()];
  // Headers declare the APIs (and define static inline wrappers over them): no handler is registered there.
  return all.filter((f) => !a.outsideKernel(f) && !f.endsWith('.h')).sort();
}

function readText(a: Analysis, f: string): string | undefined {
  const o = a.project.overlays.get(f);
  if (o !== undefined) return o;
  try {
    return fs.readFileSync(f, 'utf8');
  } catch {
    return undefined;
  }
}

const spanIn = (outer: [number, number, number, number], l: number, c: number) =>
  (l > outer[0] || (l === outer[0] && c >= outer[1])) && (l < outer[2] || (l === outer[2] && c <= outer[3]));

/** Every NMI, tracing and hardirq entry point of the workspace, resolved, callees read. */
export async function findAtomicEntries(a: Analysis): Promise<EntryPoint[]> {
  const p = a.project;
  const files = atomicFiles(a);
  const regs: { file: string; r: AtomicRegistration }[] = [];
  for (const f of files) {
    const text = readText(a, f);
    if (text === undefined) continue;
    for (const r of findAtomicRegistrations(text)) regs.push({ file: f, r });
  }
  trace(`atomic registrations (${regs.length} in ${files.length} files)`);
  // The registering files (their functions' spans, and handlers defined there) and the handlers' bodies.
  const wanted = new Set(regs.flatMap((x) => (x.r.fn ? [x.r.fn] : [])));
  const regFiles = [...new Set(regs.map((x) => x.file))];
  await p.ensureFacts(regFiles, p.demandDriven ? 'creations' : undefined, [...wanted]);
  // BPF_CALL_n bodies are named by the macro's argument, which the pre-scan and the focused parse do not see: read those files whole.
  const defineFiles = [...new Set(regs.filter((x) => x.r.pattern.kind === 'define').map((x) => x.file))];
  if (defineFiles.length) await p.ensureFacts(defineFiles);
  const need = new Set<string>();
  for (const { file, r } of regs) {
    if (!r.fn || a.functionsIn(file).some((f) => f.name === r.fn && !f.stub)) continue;
    for (const c of a.candidateFiles(r.fn, file).slice(0, 3)) need.add(c);
  }
  if (need.size) await p.ensureFacts([...need], p.demandDriven ? 'creations' : undefined, [...wanted]);
  const stubbed = new Set<string>();
  for (const { file, r } of regs) {
    const d = r.fn ? a.resolve(r.fn, file) : undefined;
    if (d?.fn.stub) stubbed.add(d.file);
  }
  if (stubbed.size) await p.ensureFacts([...stubbed]);
  const out: EntryPoint[] = [];
  const roots: FnRef[] = [];
  const byKey = new Map<string, EntryPoint>();
  for (const { file, r } of regs) {
    const pat = r.pattern;
    // A perf overflow handler of an architecture whose PMU interrupt is not an NMI runs in hardirq.
    const arch = /\/arch\/([^/]+)\//.exec(file)?.[1];
    const context = CONTEXTS[r.api === 'perf_event_create_kernel_counter' && arch && !PERF_NMI_ARCHES.includes(arch) ? 'hardirq' : pat.context];
    const fns = a.functionsIn(file);
    const inFn = fns.filter((f) => spanIn(f.at, r.at[0], r.at[1])).sort((x, y) => y.at[0] - x.at[0])[0];
    const owner = pat.kind === 'define' ? `${r.api}() definition` : pat.kind === 'field' ? `${pat.struct}.${pat.field}${inFn ? ` in ${inFn.name}()` : ''}` : `${r.api}()${inFn ? ` in ${inFn.name}()` : ''}`;
    const ep: EntryPoint = { family: pat.family, role: pat.role, context, name: r.fn ?? r.expr, owner, registeredAt: { file, span: r.at }, via: r.text };
    if (!r.fn) {
      // `request_threaded_irq(irq, NULL, thread_fn, ...)`: the core's default primary handler, nothing of this file.
      if (r.isNull) continue;
      ep.unresolved = `the ${pat.role} value \`${r.expr}\` is not a function name`;
    } else if (inFn?.params.some((q) => q.name === r.fn)) {
      // A wrapper handing its parameter on (devm_request_irq() -> devm_request_threaded_irq()): its callers register.
      continue;
    } else {
      const d = a.resolve(r.fn, file);
      if (!d || d.fn.stub) ep.unresolved = `${r.fn}() has no definition in the workspace`;
      else {
        ep.fn = d;
        roots.push(d);
      }
    }
    // One entry per function and context: hpwdt registers one handler for three NMI types.
    const k = `${ep.context.id}|${ep.fn ? `${ep.fn.file}#${ep.fn.fn.name}` : `${file}|${ep.name}`}`;
    const prev = byKey.get(k);
    if (prev) {
      (prev.alsoAt ??= []).push({ file, span: r.at });
      continue;
    }
    byKey.set(k, ep);
    out.push(ep);
  }
  trace(`atomic entry points resolved (${out.filter((e) => e.fn).length} of ${out.length})`);
  // How deep callees are read on a big tree (a small workspace is read whole): the 15 NMI handlers of a
  // kernel fully; the ~700 BPF helpers and probes, and the ~3,700 hardirq handlers (3,300 driver
  // files), a few calls down, which is where their allocations and locks are (what is below is not read).
  for (const [ctx, depth] of [['nmi', undefined], ['tracing', TRACING_DEPTH], ['hardirq', HARDIRQ_DEPTH]] as const) {
    const mine = out.filter((e) => e.fn && e.context.id === ctx).map((e) => e.fn!);
    if (mine.length) await a.prepare(mine, depth);
  }
  trace('atomic entry points: callees read');
  // A callee read as a stub by prepare() is re-read by name there; the roots themselves may have been upgraded.
  for (const ep of out) if (ep.fn) ep.fn = a.resolve(ep.fn.fn.name, ep.registeredAt.file) ?? ep.fn;
  return out;
}

/** The workspace's functions that call `word` (kmalloc_nolock, kfree_nolock), read in full with their callees. */
export async function nolockFunctions(a: Analysis, word: string): Promise<FnRef[]> {
  const p = a.project;
  const files: string[] = [];
  for (const f of atomicFiles(a)) {
    const t = readText(a, f);
    if (t !== undefined && t.includes(word)) files.push(f);
  }
  if (!files.length) return [];
  await p.ensureFacts(files);
  const out: FnRef[] = [];
  // Every function of those files: a wrapper (`#define ev_alloc(n) kmalloc_nolock(n, 0, NUMA_NO_NODE)`) hands its allocation to its callers.
  for (const f of files) for (const fn of a.functionsIn(f)) if (!fn.stub) out.push({ file: f, fn });
  await a.prepare(out, 4);
  return out.map((r) => ({ file: r.file, fn: a.functionsIn(r.file).find((x) => x.name === r.fn.name && !x.stub) ?? r.fn }));
}
