/**
 * Machine topology: sockets, cores and SMT siblings, with the cost of moving
 * a cache line between two CPUs. Lock handoffs and shared data pay that cost,
 * which is why the same lock behaves differently on one socket and on two.
 */
import type { Costs } from './costs';
import { SimUsageError, describe } from './costs';

export interface MachineSpec {
  name: string;
  sockets: number;
  coresPerSocket: number;
  threadsPerCore: number;
}

export const MACHINE_PROFILES: Record<string, MachineSpec> = {
  up: { name: 'up', sockets: 1, coresPerSocket: 1, threadsPerCore: 1 },
  'desktop-24': { name: 'desktop-24', sockets: 1, coresPerSocket: 12, threadsPerCore: 2 },
  'server-192': { name: 'server-192', sockets: 2, coresPerSocket: 48, threadsPerCore: 2 },
};

export const MAX_CPUS = 1024;

export function machineThreads(m: MachineSpec): number {
  return m.sockets * m.coresPerSocket * m.threadsPerCore;
}

/** The smallest named profile with at least n threads, or a generic box. */
export function machineForCpus(n: number): MachineSpec {
  if (n <= 1) return MACHINE_PROFILES.up;
  if (n <= 24) return MACHINE_PROFILES['desktop-24'];
  if (n <= 192) return MACHINE_PROFILES['server-192'];
  // Beyond the named profiles: 64-core sockets with SMT2, enough sockets.
  const sockets = Math.ceil(n / 128);
  return { name: `generic-${sockets}x64x2`, sockets, coresPerSocket: 64, threadsPerCore: 2 };
}

/** A profile name or an explicit spec; throws naming `field` when invalid. */
export function resolveMachine(m: string | MachineSpec | undefined, field = 'machine'): MachineSpec | undefined {
  if (m === undefined) return undefined;
  if (typeof m === 'string') {
    const p = MACHINE_PROFILES[m];
    if (!p) throw new SimUsageError([`${field}: unknown machine ${JSON.stringify(m)} (known: ${Object.keys(MACHINE_PROFILES).join(', ')})`]);
    return p;
  }
  const errors: string[] = [];
  for (const k of ['sockets', 'coresPerSocket', 'threadsPerCore'] as const) {
    const v = (m as unknown as Record<string, unknown>)[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_CPUS) {
      errors.push(`${field}.${k}: must be an integer between 1 and ${MAX_CPUS}, got ${describe(v)}`);
    }
  }
  if (!errors.length && machineThreads(m) > MAX_CPUS) errors.push(`${field}: at most ${MAX_CPUS} threads, got ${machineThreads(m)}`);
  if (errors.length) throw new SimUsageError(errors);
  return { name: m.name ?? `${m.sockets}x${m.coresPerSocket}x${m.threadsPerCore}`, sockets: m.sockets, coresPerSocket: m.coresPerSocket, threadsPerCore: m.threadsPerCore };
}

/**
 * The CPUs of a run. Numbering follows x86 Linux: first the first thread of
 * every core, socket by socket, then the second threads. So a 24-CPU run on
 * the 192-thread server uses 24 cores of socket 0 without SMT sharing.
 */
export class Topology {
  readonly socket: Int32Array;
  readonly core: Int32Array;
  /** Per-CPU multiplier on work: smtSlowdown when the SMT sibling also runs. */
  readonly workScale: Float64Array;
  /** CPUs the kernel would consider possible: all threads of the machine. */
  readonly possibleCpus: number;

  constructor(readonly machine: MachineSpec, readonly ncpus: number, private readonly costs: Costs) {
    const total = machineThreads(machine);
    if (ncpus > total) {
      throw new SimUsageError([`cpus: ${ncpus} exceeds the ${total} threads of machine ${machine.name}`]);
    }
    this.possibleCpus = total;
    const cores = machine.sockets * machine.coresPerSocket;
    this.socket = new Int32Array(ncpus);
    this.core = new Int32Array(ncpus);
    this.workScale = new Float64Array(ncpus);
    for (let i = 0; i < ncpus; i++) {
      const coreIdx = i % cores;
      this.core[i] = coreIdx;
      this.socket[i] = Math.floor(coreIdx / machine.coresPerSocket);
    }
    for (let i = 0; i < ncpus; i++) {
      let shared = false;
      for (let t = 0; t < machine.threadsPerCore; t++) {
        const sib = this.core[i] + t * cores;
        if (sib !== i && sib < ncpus) shared = true;
      }
      this.workScale[i] = shared ? costs.smtSlowdown : 1;
    }
  }

  /** Cost of pulling a line last written by CPU `from` into CPU `to`. */
  transfer(from: number, to: number): number {
    if (from < 0 || from === to) return 0;
    if (this.core[from] === this.core[to]) return this.costs.smtTransferNs;
    if (this.socket[from] === this.socket[to]) return this.costs.sameSocketTransferNs;
    return this.costs.crossSocketTransferNs;
  }

  /** Mean transfer between two distinct random CPUs of this run. */
  meanTransfer(): number {
    const n = this.ncpus;
    if (n < 2) return 0;
    let sum = 0;
    // Count by class rather than by pair to stay O(n).
    const perSocket = new Map<number, number>();
    const perCore = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      perSocket.set(this.socket[i], (perSocket.get(this.socket[i]) ?? 0) + 1);
      perCore.set(this.core[i], (perCore.get(this.core[i]) ?? 0) + 1);
    }
    let sameCorePairs = 0;
    for (const k of [...perCore.keys()].sort((a, b) => a - b)) { const v = perCore.get(k)!; sameCorePairs += v * (v - 1); }
    let sameSocketPairs = 0;
    for (const k of [...perSocket.keys()].sort((a, b) => a - b)) { const v = perSocket.get(k)!; sameSocketPairs += v * (v - 1); }
    const all = n * (n - 1);
    sum = sameCorePairs * this.costs.smtTransferNs
      + (sameSocketPairs - sameCorePairs) * this.costs.sameSocketTransferNs
      + (all - sameSocketPairs) * this.costs.crossSocketTransferNs;
    return sum / all;
  }
}
