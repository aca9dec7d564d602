/**
 * Compiles ctor/dtor and scenario step lists to instructions. Lock classes
 * are created on first use; percpu allocators, slab caches and known kernel
 * calls map to the allocator paths; anything else is opaque work.
 */
import type { Engine } from './engine';
import { gfpInfo } from './gfp';
import { KERNEL_CALLS, isPageAllocator, isPercpuAllocator, isPercpuFree, knownDataLines } from './kernel-calls';
import { Instr, OP, irqMode, ins } from './ops';
import type { ScenarioStep } from './scenario-types';

export function describeStep(s: ScenarioStep): string {
  switch (s.kind) {
    case 'lock': return `${lockFn(s.lockKind, s.irq, s.trylock)}(&${s.lock})`;
    case 'unlock': return `unlock(&${s.lock})`;
    case 'alloc': return `${s.allocator}(${[('cache' in s && s.cache) || '', s.gfp ?? ''].filter(Boolean).join(', ')})`;
    case 'free': return `${s.allocator}(${('cache' in s && s.cache) || ''})`;
    case 'call': return `${s.fn}()`;
    case 'work': return `work ${s.ns} ns`;
    case 'reclaim': return 'direct reclaim';
  }
}

function lockFn(kind: string | undefined, irq: string | undefined, trylock: boolean | undefined): string {
  const base = kind === 'mutex' ? 'mutex_lock' : kind === 'rwsem' ? 'down_write' : kind === 'semaphore' ? 'down'
    : kind === 'raw_spin' ? 'raw_spin_lock' : kind === 'rwlock' ? 'write_lock' : kind === 'rcu' ? 'rcu_read_lock'
      : kind === 'local_lock' ? 'local_lock' : 'spin_lock';
  const suffix = irq === 'irqsave' ? '_irqsave' : irq === 'irq' ? '_irq' : irq === 'bh' ? '_bh' : '';
  return (trylock ? base.replace('_lock', '_trylock') : base) + suffix;
}

export class Compiler {
  private readonly fnProgs = new Map<string, Instr[]>();
  private readonly lockKinds = new Map<string, string>();

  constructor(private readonly e: Engine, private readonly functions: Record<string, ScenarioStep[]> = {}) {}

  /** Remember declared kinds so an unlock compiled first still gets the right kind. */
  declare(name: string, kind: string): void {
    this.lockKinds.set(name, kind);
  }

  /** Pre-scan step lists for the kinds of the locks they take. */
  learnKinds(steps: ScenarioStep[]): void {
    for (const s of steps) if (s.kind === 'lock' && s.lockKind && !this.lockKinds.has(s.lock)) this.lockKinds.set(s.lock, s.lockKind);
  }

  /**
   * `freeSizes`: sizes of the percpu areas this list frees, in order (a dtor
   * frees what its ctor allocated, in reverse order); unknown sizes free the
   * allocator's mean area size.
   */
  compile(steps: ScenarioStep[], owner: string, freeSizes: number[] = []): Instr[] {
    const e = this.e;
    const k = e.costs;
    const out: Instr[] = [];
    let nfree = 0;
    for (const s of steps) {
      const label = `${owner}: ${describeStep(s.kind === 'lock' ? { ...s, lockKind: s.lockKind ?? this.lockKinds.get(s.lock) ?? 'spin' } : s)}`;
      switch (s.kind) {
        case 'lock': {
          const kind = s.lockKind ?? this.lockKinds.get(s.lock) ?? 'spin';
          // A contended line is the data itself: nothing else moves with it.
          const l = e.locks.ensure(s.lock, kind, kind === 'line' ? 0 : knownDataLines(s.lock, k.pcpuMetadataLines));
          out.push(ins(OP.LOCK, l.id, irqMode(s.irq), label, { t: !!s.trylock }));
          break;
        }
        case 'unlock': {
          const uk = this.lockKinds.get(s.lock) ?? 'spin';
          const l = e.locks.ensure(s.lock, uk, uk === 'line' ? 0 : knownDataLines(s.lock, k.pcpuMetadataLines));
          out.push(ins(OP.UNLOCK, l.id, 0, label));
          break;
        }
        case 'alloc': {
          const gfp = gfpInfo(s.gfp);
          const cache = 'cache' in s && s.cache ? e.cacheByName(s.cache) : undefined;
          if (cache) out.push(ins(OP.SLAB_ALLOC, cache.id, 0, label, { gfp }));
          else if (s.percpu || isPercpuAllocator(s.allocator)) out.push(ins(OP.PCPU_ALLOC, s.bytes ?? 16, 0, label, { gfp, sub: e.percpu.allocProg(s.bytes ?? 16, gfp, s.allocator) }));
          else out.push(ins(OP.ALLOC, isPageAllocator(s.allocator) ? 1 : 0, 0, label, { gfp }));
          break;
        }
        case 'free': {
          const cache = 'cache' in s && s.cache ? e.cacheByName(s.cache) : undefined;
          if (cache) out.push(ins(OP.SLAB_FREE, cache.id, 0, label));
          else if (s.percpu || isPercpuFree(s.allocator)) out.push(ins(OP.PCPU_FREE, 0, 0, label, { sub: e.percpu.freeProg(freeSizes[nfree++] ?? 0) }));
          else out.push(ins(OP.FREE, isPageAllocator(s.allocator) ? 1 : 0, 0, label));
          break;
        }
        case 'call': {
          const fn = this.functions[s.fn];
          if (fn) {
            out.push(ins(OP.PUSH, 1, 0, `${owner}: ${s.fn}()`, { sub: this.fn(s.fn) }));
            break;
          }
          const eff = KERNEL_CALLS[s.fn];
          if (!eff) out.push(ins(OP.WORK, k.callNs, 0, label));
          else if (eff.kind === 'percpu-alloc') {
            const gfp = gfpInfo('GFP_KERNEL');
            out.push(ins(OP.PCPU_ALLOC, eff.bytes, 0, label, { gfp, sub: e.percpu.allocProg(eff.bytes, gfp, s.fn) }));
          } else if (eff.kind === 'percpu-free') out.push(ins(OP.PCPU_FREE, 0, 0, label, { sub: e.percpu.freeProg(freeSizes[nfree++] ?? 0) }));
          else if (eff.kind === 'slab-free') out.push(ins(OP.FREE, 0, 0, label));
          else if (eff.kind === 'sleep') out.push(ins(OP.SLEEP, eff.ns, 0, label));
          else out.push(ins(OP.WORK, eff.ns, 0, label));
          break;
        }
        case 'work':
          out.push(ins(OP.WORK, s.ns, 0, label));
          break;
        case 'reclaim':
          out.push(ins(OP.RECLAIM, 0, 0, label));
          break;
      }
    }
    return out;
  }

  /** Scenario functions compile once; the validator rejects call cycles. */
  private fn(name: string): Instr[] {
    let p = this.fnProgs.get(name);
    if (!p) {
      p = [];
      this.fnProgs.set(name, p); // placeholder breaks accidental recursion
      p.push(...this.compile(this.functions[name], name));
    }
    return p;
  }
}
