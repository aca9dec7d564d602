/**
 * Closed queueing cross-check for the exec workload. N CPUs are N customers
 * cycling through a delay station (everything outside the modelled locks,
 * Z) and one FIFO queue per lock (service demand D = the hold time plus the
 * cache-line transfers a holder pays, with transfers averaged over random
 * pairs of the run's CPUs). Bounds: X <= min(N / (Z + sum D), 1 / max D);
 * exact mean-value analysis gives the curve in between. It ignores mutex
 * sleeping, so it is optimistic where convoys form.
 */
import type { CacheModel } from './model';
import type { Costs } from './costs';
import { Topology, type MachineSpec } from './machine';
import { gfpInfo } from './gfp';
import { isPercpuAllocator, isPercpuFree, knownDataLines, KERNEL_CALLS } from './kernel-calls';
import type { AnalyticEstimate } from './result';
import { execPrivateNs, execStations } from './workloads/exec';

interface Network { think: number; demands: Record<string, number> }

export function analyticExec(models: CacheModel[], costs: Costs, machine: MachineSpec, ncpus: number):
  { baseline: AnalyticEstimate; ctorDtor: AnalyticEstimate; gainPct: number } {
  const topo = new Topology(machine, ncpus, costs);
  let scale = 0;
  for (let i = 0; i < ncpus; i++) scale += topo.workScale[i];
  scale /= ncpus;
  const tr = topo.meanTransfer();
  const acq = (lines: number) => costs.lockAcquireNs + tr * (1 + lines);

  const build = (baseline: boolean): Network => {
    const d: Record<string, number> = {};
    const add = (k: string, v: number) => { d[k] = (d[k] ?? 0) + v; };
    let think = execPrivateNs(costs, models) * scale;
    let overlap = 0;
    for (const st of execStations(costs, ncpus)) {
      const per = st.kind === 'line' ? costs.atomicNs + tr : acq(st.lines) + st.holdNs * scale;
      add(st.name, st.visits * per);
    }
    for (const m of models) {
      think += costs.slubFastPathNs;
      if (!baseline) {
        const regions = (m.ctor?.steps ?? []).filter((s) => s.kind === 'alloc' && (s.percpu || isPercpuAllocator(s.allocator))).length;
        think += 2 * regions * costs.pcpuChargeNs;
        continue;
      }
      for (const steps of [m.ctor?.steps ?? [], m.dtor?.steps ?? []]) {
        const open: string[] = [];
        for (const s of steps) {
          if (s.kind === 'lock') { open.push(s.lock); add(s.lock, acq(knownDataLines(s.lock, costs.pcpuMetadataLines))); continue; }
          if (s.kind === 'unlock') { open.splice(open.lastIndexOf(s.lock), 1); continue; }
          let ns = 0;
          if (s.kind === 'work') ns = s.ns * scale;
          else if (s.kind === 'call') ns = KERNEL_CALLS[s.fn] ? 0 : costs.callNs * scale;
          else if (s.kind === 'alloc' && (s.percpu || isPercpuAllocator(s.allocator))) {
            const inLock = acq(costs.pcpuMetadataLines) + costs.pcpuAllocLockedNs * scale;
            if (gfpInfo(s.gfp).mayReclaim) { add('pcpu_alloc_mutex', acq(0) + inLock); overlap += inLock; }
            add('pcpu_lock', inLock);
            think += (costs.pcpuAllocPathNs - costs.pcpuAllocLockedNs) * scale + topo.possibleCpus * costs.pcpuClearPerCpuNs * scale;
          } else if (s.kind === 'free' && (s.percpu || isPercpuFree(s.allocator))) {
            add('pcpu_lock', acq(costs.pcpuMetadataLines) + costs.pcpuFreeLockedNs * scale);
            think += (costs.pcpuFreePathNs - costs.pcpuFreeLockedNs) * scale;
          } else if (s.kind === 'alloc' || s.kind === 'free') ns = costs.slubFastPathNs / 2;
          if (open.length) add(open[open.length - 1], ns); else think += ns;
        }
      }
    }
    return { think: think - overlap, demands: d };
  };

  const solve = (net: Network): AnalyticEstimate => {
    const names = Object.keys(net.demands).sort();
    const D = names.map((n) => net.demands[n]);
    const Q = D.map(() => 0);
    let X = 0;
    for (let n = 1; n <= ncpus; n++) {
      let R = 0;
      const Rk = D.map((dk, k) => dk * (1 + Q[k]));
      for (const r of Rk) R += r;
      X = n / (net.think + R);
      for (let k = 0; k < D.length; k++) Q[k] = X * Rk[k];
    }
    let sum = 0;
    let max = 0;
    let bottleneck = 'none';
    D.forEach((dk, k) => { sum += dk; if (dk > max) { max = dk; bottleneck = names[k]; } });
    const bound = Math.min(ncpus / (net.think + sum), max > 0 ? 1 / max : Infinity);
    const demandsNs: Record<string, number> = {};
    names.forEach((n, k) => { demandsNs[n] = Math.round(D[k] * 10) / 10; });
    return { mvaPerSec: Math.round(X * 1e9), boundPerSec: Math.round(bound * 1e9), bottleneck, demandsNs, thinkNs: Math.round(net.think) };
  };

  const baseline = solve(build(true));
  const ctorDtor = solve(build(false));
  return { baseline, ctorDtor, gainPct: Math.round((ctorDtor.mvaPerSec / baseline.mvaPerSec - 1) * 10000) / 100 };
}
