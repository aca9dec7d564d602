/**
 * Turning engine state into result records: a run's summary, memory
 * samples, and deadlock/stall reports with their merged timelines. Kept out
 * of engine.ts so the engine file is only about simulating.
 */
import type { Engine } from './engine';
import type { Lock } from './locks';
import { LK_LINE, LK_MUTEX, LK_SPIN } from './locks';
import { CPU_SLEEP, CPU_SPIN } from './cpu';
import type { TimelineEvent } from './timeline';
import type { CacheStats, DeadlockReport, LockStats, MemorySample, RunResult, StopInfo, WaitEdge } from './result';

/** CPUs beyond a deadlock cycle shown in its timeline columns. */
const MAX_EXTRA_COLUMNS = 4;

function waitEdge(e: Engine, cpu: number, fallback: Lock): WaitEdge {
  const w = e.cpus[cpu].waitLock;
  const l = w >= 0 ? e.locks.locks[w] : fallback;
  return { cpu, waitsFor: l.className, heldBy: l.owner };
}

/** Last events of `cpus`, merged by time (ties in column order). */
export function mergedTimeline(e: Engine, cpus: number[]): TimelineEvent[] {
  const all: TimelineEvent[] = [];
  for (const id of cpus) all.push(...e.timeline.events(id));
  const order = new Map(cpus.map((id, i) => [id, i]));
  return all.sort((a, b) => a.tNs - b.tNs || order.get(a.cpu)! - order.get(b.cpu)!);
}

function holding(e: Engine, ids: number[]): DeadlockReport['holding'] {
  return ids.map((id) => ({ cpu: id, locks: e.heldNames(e.cpus[id]), context: e.context(e.cpus[id]) }));
}

/** `chain`: CPUs of the wait cycle, each waiting for a lock the next one holds. */
export function deadlockReport(e: Engine, chain: number[], lock: Lock): DeadlockReport {
  const inChain = new Set(chain);
  const cycle = chain.map((id) => waitEdge(e, id, lock));
  const blocked = e.cpus
    .filter((c) => !inChain.has(c.id) && (c.state === CPU_SPIN || c.state === CPU_SLEEP) && c.waitLock >= 0)
    .map((c) => waitEdge(e, c.id, lock));
  // Timeline columns: the cycle and a few of the CPUs stuck behind it.
  const shown = [...chain, ...blocked.slice(0, MAX_EXTRA_COLUMNS).map((b) => b.cpu)];
  const message = chain.length === 1
    ? `CPU${chain[0]} waits for ${lock.className}, which it already holds: nothing can release it`
    : `CPUs ${chain.join(', ')} wait on each other: ${cycle.map((x) => `CPU${x.cpu} waits for ${x.waitsFor} held by CPU${x.heldBy}`).join('; ')}`;
  return { kind: 'deadlock', tNs: e.now, message, cycle, blocked, holding: holding(e, shown), cpus: shown, timeline: mergedTimeline(e, shown) };
}

/** No event left but CPUs still wait: for locks whose owners finished (or nobody). */
export function stallReport(e: Engine): DeadlockReport | null {
  const stuck = e.cpus.filter((c) => c.state === CPU_SPIN || c.state === CPU_SLEEP);
  if (stuck.length === 0) return null;
  const blocked = stuck.map((c) => {
    const l = e.locks.locks[c.waitLock];
    return { cpu: c.id, waitsFor: l.className, heldBy: l.owner };
  });
  const message = `CPUs ${stuck.map((c) => c.id).join(', ')} wait forever: ${blocked.map((b) => `CPU${b.cpu} waits for ${b.waitsFor} held by ${b.heldBy >= 0 ? `CPU${b.heldBy}, which finished without releasing it` : 'nobody'}`).join('; ')}`;
  const ids: number[] = [];
  for (const b of blocked) if (b.heldBy >= 0 && !ids.includes(b.heldBy)) ids.push(b.heldBy);
  for (const c of stuck.slice(0, MAX_EXTRA_COLUMNS)) if (!ids.includes(c.id)) ids.push(c.id);
  return { kind: 'stall', tNs: e.now, message, cycle: [], blocked, holding: holding(e, ids), cpus: ids, timeline: mergedTimeline(e, ids) };
}

export function memorySample(e: Engine, t: number): MemorySample {
  let slabs = 0;
  let objects = 0;
  let inUse = 0;
  let retained = 0;
  for (const c of e.caches) {
    slabs += c.liveSlabs;
    objects += c.liveSlabs * c.objsPerSlab;
    inUse += c.objectsInUse;
    if (!e.baseline) retained += c.freeObjects * c.percpuBytesPerObject * e.topo.possibleCpus;
  }
  return {
    tNs: Math.round(t), slabs, objects, objectsInUse: inUse,
    percpuBytes: Math.round(e.percpu.allocatedBytes * e.topo.possibleCpus),
    retainedPercpuBytes: Math.round(retained), slabPages: e.pagesInUse,
  };
}

export function runResult(e: Engine, endNs: number, samples: MemorySample[], deadlock: DeadlockReport | null, stop: StopInfo | null): RunResult {
  const cfg = e.cfg;
  let iterations = 0;
  let measured = 0;
  const window = Math.max(0, endNs - cfg.warmupNs);
  // Per CPU, iterations completed between its last completion before the
  // window and its last one inside it, over that span. Counting whole
  // iterations in the window instead quantises the rate by one iteration
  // per CPU (0.25% at 400 iterations); measuring from completion to
  // completion at both ends keeps the estimate unbiased. A CPU stalled at
  // the end (a starved mutex sleeper) has its stall counted up to the end.
  let tput = 0;
  for (const c of e.cpus) {
    iterations += c.iterations;
    measured += c.measuredIterations;
    const k = c.measuredIterations;
    if (k > 0 && c.doneBeforeWindow >= 0 && c.lastDoneAt > c.doneBeforeWindow) {
      const meanIter = (c.lastDoneAt - c.doneBeforeWindow) / k;
      const spanEnd = endNs - c.lastDoneAt > 2 * meanIter ? endNs : c.lastDoneAt;
      tput += k / ((spanEnd - c.doneBeforeWindow) / 1e9);
    } else if (window > 0) tput += k / (window / 1e9);
  }
  const locks: LockStats[] = e.locks.locks
    .filter((l) => (l.kind === LK_SPIN || l.kind === LK_MUTEX || l.kind === LK_LINE) && (l.acquisitions > 0 || l.contended > 0))
    .map((l) => ({
      name: l.name, class: l.className, kind: l.kindName,
      acquisitions: l.acquisitions, contended: l.contended, sleeps: l.sleeps,
      waitNs: {
        p50: round1(l.wait.quantile(0.5)), p95: round1(l.wait.quantile(0.95)), p99: round1(l.wait.quantile(0.99)),
        max: round1(l.wait.max), mean: round1(l.wait.mean()),
      },
      holdNs: { mean: round1(l.acquisitions ? l.holdSum / l.acquisitions : 0), max: round1(l.holdMax) },
      utilization: round4(endNs > 0 ? l.holdSum / endNs : 0),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const caches: CacheStats[] = e.caches.map((c) => ({
    name: c.name, objectSize: c.objSize, order: c.order, objectsPerSlab: c.objsPerSlab, minPartial: c.minPartial,
    slabs: c.liveSlabs, slabsAllocated: c.slabsAllocated, slabsFreed: c.slabsFreed, objectsInUse: c.objectsInUse,
    ctorRuns: c.ctorRuns, dtorRuns: c.dtorRuns, dtorRunsInReclaim: c.dtorRunsInReclaim, prewarmedObjects: c.prewarmedObjects,
  }));
  let busy = 0;
  for (const ns of e.profNs) busy += ns;
  // Looping workloads never idle: what no bucket saw (allocator bookkeeping) is "other".
  if (cfg.workload.looping && window > 0) {
    const all = cfg.ncpus * window - e.sleptNs;
    if (all > busy) { e.profNs[0] += all - busy; busy = all; }
  }
  const profile = e.profNames
    .map((bucket, i) => ({ bucket, ns: Math.round(e.profNs[i]), share: round4(busy > 0 ? e.profNs[i] / busy : 0) }))
    .filter((p) => p.ns > 0)
    .sort((a, b) => b.ns - a.ns || (a.bucket < b.bucket ? -1 : 1));
  return {
    machine: cfg.machine.name, cpus: cfg.ncpus, mode: cfg.mode, workload: cfg.workload.name,
    simulatedNs: Math.round(endNs), measuredNs: Math.round(window), events: e.events,
    iterations, measuredIterations: measured,
    // A run that deadlocked or stalled has no throughput: what it did before says nothing about the rate.
    throughputPerSec: deadlock ? null : round1(tput), throughputPerCpuPerSec: deadlock ? null : round1(tput / cfg.ncpus),
    locks, caches,
    percpu: {
      allocs: e.percpu.allocs, frees: e.percpu.frees, populations: e.percpu.populations,
      possibleCpus: e.topo.possibleCpus, bytesPerCpu: Math.round(e.percpu.allocatedBytes),
    },
    reclaimPasses: e.reclaimPasses,
    profile,
    cpuTime: { busyNs: Math.round(busy), sleptNs: Math.round(e.sleptNs), busyNsPerIteration: round1(measured > 0 ? busy / measured : 0) },
    memory: samples,
    lockdep: { classes: e.lockdep.names.length, edges: e.lockdep.edges(), findings: e.lockdep.findings.slice() },
    deadlock,
    stop,
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}
