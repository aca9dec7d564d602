/**
 * The deferred-free question of the kmalloc_nolock() review (seeds/001). kfree_nolock() cannot
 * take the locks __slab_free() may need, so it pushes the object on a lock-free list
 * (llist_add: a cmpxchg on the list head), and the next ordinary kfree() that takes the
 * slab != c->slab branch drains it (free_deferred_objects(): llist_empty() reads the head, and
 * llist_del_all() swaps it when it is not empty). The posted patch has one list per cache,
 * `s->defer_free_objects`; Vlastimil Babka worried that "every kfree_nolock() will have to make
 * the cache line of s->defer_free_objects exclusive to that cpu in the llist_add(), and then all
 * other cpus doing kfree() will have to refetch it while making it shared again", and proposed
 * one list per CPU (in kmem_cache_cpu).
 *
 * Both designs, on N CPUs each freeing in a loop, a share of the frees from kfree_nolock():
 *   baseline ("per-cache list"): one head line for all CPUs;
 *   ctor-dtor ("per-CPU lists"): each CPU pushes to and drains its own head (raw_cpu_ptr: a
 *     preempted push may land on another CPU's list; not modelled, the review calls it rare).
 *
 * Not the instruction engine: what matters here is a shared read, which the engine's lines do
 * not model (they are exclusive), so this is a small directory-coherence model of the head
 * lines. A line has an exclusive owner or a set of sharers. A read by a CPU that does not have
 * it pulls it from the last writer (or the nearest sharer) and joins the sharers; a write (the
 * cmpxchg or xchg) pulls it and invalidates the sharers (one transfer: the data comes from one
 * CPU; invalidations overlap). Writes to one line are serialised (each holds it for atomicNs
 * plus the transfer, as the engine's contended lines); a read waits for a write in flight.
 * Transfer costs are the topology's (SMT, socket, cross-socket), the free itself is half of
 * SLUB's fast alloc+free pair, each drained object one more such free.
 */
import type { Costs } from '../costs';
import { Topology, type MachineSpec } from '../machine';
import { Rng } from '../rng';
import type { RunResult } from '../result';

export const DEFERRED_FREE_MODES = { baseline: 'one deferred list per cache (s->defer_free_objects, as posted)', 'ctor-dtor': 'one deferred list per CPU (the review\'s proposal)' } as const;

/** Share of frees that are kfree_nolock() (assumed: BPF maps freeing from tracing programs are a minority of all frees). */
export const DEFAULT_NOLOCK_SHARE = 0.1;
export const DEFAULT_FREES_PER_CPU = 4000;

interface Line {
  owner: number;
  sharers: Set<number>;
  /** When the last write in flight ends. */
  busyUntil: number;
  pending: number;
}

export interface DeferredFreeOptions {
  nolockShare?: number;
  freesPerCpu?: number;
  seed?: number;
}

export interface DeferredFreeStats {
  frees: number;
  nolockFrees: number;
  lineTransfers: number;
  lineTransfersPerFree: number;
  drained: number;
  /** Mean time a free waited for the head line (transfer and queueing), ns. */
  stallNsPerFree: number;
}

export function runDeferredFree(machine: MachineSpec, ncpus: number, costs: Costs, mode: RunResult['mode'], o: DeferredFreeOptions = {}): RunResult & { deferredFree: DeferredFreeStats } {
  const topo = new Topology(machine, ncpus, costs);
  const rng = new Rng(o.seed ?? 1);
  const share = o.nolockShare ?? DEFAULT_NOLOCK_SHARE;
  const per = o.freesPerCpu ?? DEFAULT_FREES_PER_CPU;
  const perCpu = mode === 'ctor-dtor';
  const lines: Line[] = Array.from({ length: perCpu ? ncpus : 1 }, () => ({ owner: -1, sharers: new Set<number>(), busyUntil: 0, pending: 0 }));
  const t = new Float64Array(ncpus);
  const done = new Int32Array(ncpus);
  const freeNs = costs.slubFastPathNs / 2;
  let transfers = 0;
  let stall = 0;
  let nolock = 0;
  let drained = 0;
  // The nearest CPU that has the line (the owner, else the closest sharer).
  const source = (l: Line, cpu: number): number => {
    if (l.owner >= 0) return l.owner;
    let best = -1;
    let cost = Infinity;
    for (const s of l.sharers) {
      const c = topo.transfer(s, cpu);
      if (c < cost) { cost = c; best = s; }
    }
    return best;
  };
  const write = (l: Line, cpu: number, at: number): number => {
    const start = Math.max(at, l.busyUntil);
    let tr = 0;
    if (l.owner !== cpu) {
      const from = source(l, cpu);
      if (from >= 0 && from !== cpu) { tr = topo.transfer(from, cpu); transfers++; }
    }
    const end = start + tr + costs.atomicNs;
    l.busyUntil = end;
    l.owner = cpu;
    l.sharers = new Set([cpu]);
    stall += end - at - costs.atomicNs;
    return end;
  };
  const read = (l: Line, cpu: number, at: number): number => {
    if (l.owner === cpu || l.sharers.has(cpu)) return at + costs.l2HitNs;
    const start = Math.max(at, l.owner >= 0 ? l.busyUntil : at);
    const from = source(l, cpu);
    const tr = from >= 0 ? topo.transfer(from, cpu) : 0;
    if (from >= 0) transfers++;
    // The writer's copy is downgraded to shared; the reader joins.
    if (l.owner >= 0) { l.sharers = new Set([l.owner]); l.owner = -1; }
    l.sharers.add(cpu);
    const end = start + tr + costs.l2HitNs;
    stall += end - at - costs.l2HitNs;
    return end;
  };
  const total = per * ncpus;
  for (let n = 0; n < total; n++) {
    // The CPU whose next free comes first (ties: the lowest id), so the lines see the frees in time order.
    let cpu = -1;
    for (let i = 0; i < ncpus; i++) if (done[i] < per && (cpu < 0 || t[i] < t[cpu])) cpu = i;
    const l = lines[perCpu ? cpu : 0];
    let now = t[cpu];
    const scale = topo.workScale[cpu];
    if (rng.float() < share) {
      // kfree_nolock(): llist_add() onto the deferred list.
      nolock++;
      now = write(l, cpu, now + freeNs * scale);
      l.pending++;
    } else {
      now += freeNs * scale;
      if (rng.float() < costs.kfreeSlowPathShare) {
        // free_deferred_objects(): llist_empty() on every slow-path kfree(), llist_del_all() when there is something.
        now = read(l, cpu, now);
        if (l.pending > 0) {
          now = write(l, cpu, now);
          drained += l.pending;
          now += l.pending * freeNs * scale;
          l.pending = 0;
        }
      }
    }
    t[cpu] = now;
    done[cpu]++;
  }
  let end = 0;
  let busy = 0;
  for (let i = 0; i < ncpus; i++) { end = Math.max(end, t[i]); busy += t[i]; }
  const measuredNs = Math.max(1, Math.round(end));
  const throughput = (total / measuredNs) * 1e9;
  const stats: DeferredFreeStats = {
    frees: total, nolockFrees: nolock, lineTransfers: transfers, lineTransfersPerFree: round4(transfers / total), drained, stallNsPerFree: round4(stall / total),
  };
  return {
    machine: machine.name, cpus: ncpus, mode, workload: 'deferred-free', simulatedNs: measuredNs, measuredNs, events: total, iterations: total, measuredIterations: total,
    throughputPerSec: Math.round(throughput), throughputPerCpuPerSec: Math.round(throughput / ncpus),
    locks: [], caches: [], percpu: { allocs: 0, frees: 0, populations: 0, possibleCpus: topo.possibleCpus, bytesPerCpu: 0 }, reclaimPasses: 0,
    profile: [], cpuTime: { busyNs: Math.round(busy), sleptNs: 0, busyNsPerIteration: round4(busy / total) }, memory: [],
    lockdep: { classes: 0, edges: [], findings: [] }, deadlock: null, stop: null,
    deferredFree: stats,
  };
}

function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}
