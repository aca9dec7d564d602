/**
 * The readable report: throughput tables, lock statistics, memory, and the
 * lockdep findings and deadlocks in the shape kernel developers know from
 * lockdep splats (headers, "CPU0 CPU1 ----" scenario columns, timelines).
 */
import type { LockdepFinding } from './lockdep';
import { NOISE_FLOOR_PCT, type CompareRow, type DeadlockReport, type RunResult, type SimResult } from './result';

export function formatReport(r: SimResult): string {
  const out: string[] = [];
  out.push(`slabcheck simulate: workload ${r.workload}, seed ${r.seed}, caches ${r.caches.join(', ') || '(none)'} (result version ${r.version})`);
  if (r.modeLabels) out.push(`  baseline = ${r.modeLabels.baseline}; ctor-dtor = ${r.modeLabels.ctorDtor}`);
  if (r.compare?.length) out.push('', ...compareTable(r));
  if (r.compare?.some((c) => c.sensitivity)) out.push('', ...sensitivityLines(r));
  if (r.assumptions?.length) out.push('', ...assumptionLines(r));
  for (const run of r.runs) out.push('', ...runSection(run));
  if (r.findings.length) {
    out.push('', `== lockdep: ${r.findings.length} finding${r.findings.length === 1 ? '' : 's'} ==`);
    for (const f of r.findings) out.push('', ...finding(f));
  }
  for (const d of r.deadlocks) out.push('', ...deadlock(d));
  for (const s of r.stops) if (s.reason !== 'deadlock' && s.reason !== 'stall') out.push('', `STOPPED (${s.reason}): ${s.message}`);
  out.push('', r.ok ? 'result: ok (no deadlock, no lockdep error)'
    : `result: ${[
      r.deadlocks.length ? `${r.deadlocks.length} deadlock/stall` : '',
      r.findings.filter((f) => f.severity === 'error').length ? `${r.findings.filter((f) => f.severity === 'error').length} lockdep error(s)` : '',
      r.stops.filter((s) => s.reason !== 'deadlock' && s.reason !== 'stall').length ? 'run stopped early' : '',
    ].filter(Boolean).join(', ')}`);
  return out.join('\n') + '\n';
}

/** How a compare row's verdict reads (the CLI report and the results webview use the same words). */
export function verdictText(c: CompareRow): string {
  switch (c.verdict) {
    case 'better': return 'better';
    case 'worse': return 'worse';
    case 'within-noise': return 'within noise';
    case 'one-seed': return '1 seed: spread unknown';
    case 'deadlock': return `${c.deadlock!.kind === 'stall' ? 'STALL' : 'DEADLOCK'} in ${modeText(c.deadlock!.mode)} (${c.deadlock!.seeds.length}/${c.seeds.length} seed${c.seeds.length === 1 ? '' : 's'})`;
    case 'stopped': return `stopped early in ${modeText(c.stopped!.mode)} (${c.stopped!.reason})`;
  }
}

function modeText(m: 'baseline' | 'ctor-dtor' | 'both'): string {
  return m === 'both' ? 'both modes' : m;
}

/** The gain with its spread: "+1.45% +-0.03 (+1.40..+1.50)"; "-" where there is no gain. */
export function gainText(c: CompareRow): string {
  if (c.gainPct === null) return '-';
  if (!c.spread) return pct(c.gainPct);
  const s = c.spread.gainPct;
  return `${pct(c.gainPct)} +-${s.stdev.toFixed(2)} (${pct(s.min)}..${pct(s.max)})`;
}

/** Who waits on whom in a deadlocked row, lockdep style. */
export function rowDeadlockLines(c: CompareRow): string[] {
  const d = c.deadlock;
  if (!d) return [];
  const out = [`${c.machine} ${c.cpus} CPUs, ${modeText(d.mode)}: ${d.kind === 'stall' ? 'STALL' : 'DEADLOCK'} (seed${d.seeds.length === 1 ? '' : 's'} ${d.seeds.join(', ')}): ${d.message}`];
  for (const w of d.cycle) out.push(`    CPU${w.cpu} waits for ${w.waitsFor}${w.heldBy >= 0 ? ` held by CPU${w.heldBy}` : ''}`);
  for (const h of d.holding) out.push(`    CPU${h.cpu} holds: ${h.locks.join(', ') || 'nothing'}`);
  return out;
}

function compareTable(r: SimResult): string[] {
  const rows = r.compare!;
  const seeds = rows[0]?.seeds ?? [r.seed];
  const head = ['machine', 'cpus', 'baseline/s', 'ctor-dtor/s', 'gain', 'verdict', 'published', 'analytic gain', 'analytic bottleneck (baseline)'];
  const body = rows.map((c) => [
    c.machine, String(c.cpus), perSec(c.baselinePerSec, c, 'baseline'), perSec(c.ctorDtorPerSec, c, 'ctor-dtor'), gainText(c), verdictText(c),
    c.publishedGainPct === undefined ? '-' : pct(c.publishedGainPct),
    c.analytic ? pct(c.analytic.gainPct) : '-',
    c.analytic ? c.analytic.baseline.bottleneck : '-',
  ]);
  // Columns with nothing in them (no published figure, no analytic model for this workload) are left out.
  const keep = head.map((_, i) => i < 6 || body.some((b) => b[i] !== '-'));
  const pick = <T>(xs: T[]) => xs.filter((_, i) => keep[i]);
  const over = seeds.length > 1 ? `mean of ${seeds.length} seeds (${seeds[0]}-${seeds[seeds.length - 1]}), gain +-stdev (min..max)` : `seed ${seeds[0]} only: no spread`;
  const out = [`== ${r.workload} throughput, baseline vs ctor/dtor (iterations per second of simulated time; ${over}) ==`, ...table(pick(head), body.map(pick), pick([false, true, true, true, true, false, true, true, false]))];
  const locked = rows.filter((c) => c.deadlock);
  if (locked.length) {
    out.push('', '== points with no throughput: a run deadlocked or stalled (no gain is shown for them) ==');
    for (const c of locked) out.push(...rowDeadlockLines(c).map((l, i) => (i ? l : `  ${l}`)));
  }
  if (rows.some((c) => c.verdict === 'within-noise')) {
    out.push('', `within noise: the 95% interval of the mean gain over the seeds contains 0, or the gain is below ${NOISE_FLOOR_PCT} percentage points${rows.some((c) => c.resolutionPct !== undefined) ? " or what counting whole iterations can resolve" : ''}; read it as no difference`);
  }
  if (rows.some((c) => c.baselineTransfersPerFree !== undefined)) {
    out.push('', '== deferred-list head: cache-line transfers per free (baseline = per-cache list, ctor-dtor = per-CPU lists) ==');
    out.push(...table(['machine', 'cpus', 'baseline', 'ctor-dtor'], rows.map((c) => [c.machine, String(c.cpus), String(c.baselineTransfersPerFree ?? '-'), String(c.ctorDtorTransfersPerFree ?? '-')]), [false, true, true, true]));
  }
  return out;
}

function perSec(x: number | null, c: CompareRow, mode: 'baseline' | 'ctor-dtor'): string {
  if (x !== null) return int(x);
  return c.deadlock && (c.deadlock.mode === mode || c.deadlock.mode === 'both') ? (c.deadlock.kind === 'stall' ? 'stalled' : 'deadlocked') : '-';
}

function sensitivityLines(r: SimResult): string[] {
  const out = ['== sensitivity: the three costs each gain depends on most (cost at 50% / 150%) =='];
  for (const c of r.compare!) {
    if (!c.sensitivity) continue;
    out.push(`  ${c.machine} ${c.cpus} CPUs, gain ${gainText(c)}${c.sensitivity.uncertain ? ' UNCERTAIN: flips sign within +-50% of a cost' : ''}`);
    for (const t of c.sensitivity.top) out.push(`    ${t.cost} = ${t.value} (${t.kind}): ${pct(t.low)} / ${pct(t.high)}`);
  }
  return out;
}

function assumptionLines(r: SimResult): string[] {
  const out = ['== assumptions =='];
  for (const a of r.assumptions) {
    if (a.cache !== '(none)') {
      out.push(`  cache ${a.cache}: object size ${a.objectSize.bytes} B (${a.objectSize.how}${a.objectSize.expr ? `: ${a.objectSize.expr}` : ''}${a.objectSize.note ? `; ${a.objectSize.note}` : ''}), ${a.percpuRegions} percpu region${a.percpuRegions === 1 ? '' : 's'} in the ctor`);
    }
    for (const n of a.notes) out.push(`  ${n}`);
  }
  const costs = r.assumptions[0]?.costs ?? [];
  if (costs.length) out.push(`  costs used: ${costs.map((c) => `${c.name}=${c.value} (${c.kind})`).join(', ')}`);
  return out;
}

function runSection(run: RunResult): string[] {
  const out: string[] = [];
  out.push(`== run: ${run.workload} on ${run.machine}, ${run.cpus} CPU${run.cpus === 1 ? '' : 's'}, ${run.mode} ==`);
  out.push(`  throughput ${run.throughputPerSec === null ? 'none (the run deadlocked)' : `${int(run.throughputPerSec)}/s (${int(run.throughputPerCpuPerSec ?? 0)}/s per CPU)`}; ${run.iterations} iterations, `
    + `${int(run.events)} events, ${ms(run.simulatedNs)} simulated (${ms(run.measuredNs)} measured)`);
  if (run.locks.length) {
    const head = ['lock', 'kind', 'acquired', 'contended', 'slept', 'wait p50', 'p95', 'p99', 'max', 'hold mean', 'util'];
    const body = run.locks.map((l) => [
      l.name, l.kind, int(l.acquisitions), int(l.contended), int(l.sleeps),
      ns(l.waitNs.p50), ns(l.waitNs.p95), ns(l.waitNs.p99), ns(l.waitNs.max), ns(l.holdNs.mean), `${(l.utilization * 100).toFixed(1)}%`,
    ]);
    out.push('  locks (wait = contended acquisitions, request to ownership):');
    out.push(...table(head, body, [false, false, true, true, true, true, true, true, true, true, true]).map((x) => '    ' + x));
  }
  for (const c of run.caches) {
    out.push(`  cache ${c.name}: ${c.objectSize} B objects, ${c.objectsPerSlab}/slab (order ${c.order}), min_partial ${c.minPartial}; `
      + `slabs ${c.slabs} (+${c.slabsAllocated} -${c.slabsFreed}), in use ${c.objectsInUse}; `
      + `ctor runs ${c.ctorRuns}, dtor runs ${c.dtorRuns} (${c.dtorRunsInReclaim} in reclaim)${c.prewarmedObjects ? `, ${c.prewarmedObjects} prewarmed` : ''}`);
  }
  out.push(`  percpu: ${run.percpu.allocs} allocs, ${run.percpu.frees} frees, ${run.percpu.populations} chunk populations, `
    + `${run.percpu.bytesPerCpu} B per CPU x ${run.percpu.possibleCpus} possible CPUs; reclaim passes ${run.reclaimPasses}`);
  if (run.memory.length) {
    const pick = run.memory.length <= 5 ? run.memory
      : [0, Math.floor(run.memory.length / 4), Math.floor(run.memory.length / 2), Math.floor((3 * run.memory.length) / 4), run.memory.length - 1].map((i) => run.memory[i]);
    out.push('  memory over time:');
    out.push(...table(['t', 'slabs', 'objects', 'in use', 'percpu bytes', 'retained percpu'],
      pick.map((m) => [ms(m.tNs), int(m.slabs), int(m.objects), int(m.objectsInUse), int(m.percpuBytes), int(m.retainedPercpuBytes)]),
      [true, true, true, true, true, true]).map((x) => '    ' + x));
  }
  if (run.profile?.length) {
    out.push(`  CPU time (after warm-up; busy ${ms(run.cpuTime.busyNs)}, slept on locks ${ms(run.cpuTime.sleptNs)}, ${int(run.cpuTime.busyNsPerIteration)} ns busy per iteration):`);
    out.push('    ' + run.profile.slice(0, 10).map((p) => `${p.bucket} ${(p.share * 100).toFixed(1)}%`).join(', '));
  }
  if (run.stop) out.push(`  stopped: ${run.stop.message}`);
  return out;
}

function finding(f: LockdepFinding): string[] {
  const out: string[] = [];
  const header = (h: string) => out.push('='.repeat(Math.max(30, h.length)), h, '-'.repeat(Math.max(30, h.length)));
  switch (f.kind) {
    case 'circular-dependency': {
      const cyc = f.cycle!;
      const held = cyc[0];
      const next = cyc[1];
      header('WARNING: possible circular locking dependency detected');
      out.push(`CPU${f.cpu} at ${f.tNs} ns is trying to acquire lock:`, `  (${next}), at: ${last(f.chain?.[0]?.context ?? f.context)}`, '');
      out.push('but it is already holding lock:', `  (${held})`, '');
      out.push('which lock already depends on the new lock.', '');
      out.push('the existing dependency chain (in reverse order) is:');
      const chain = f.chain ?? [];
      for (let i = chain.length - 1; i >= 0; i--) {
        const e = chain[i];
        out.push('', `-> #${chain.length - 1 - i} (${e.from}) -> (${e.to}):`);
        out.push(`       CPU${e.cpu} at ${e.tNs} ns took ${e.to} while holding ${e.from}`);
        for (const c of e.context) out.push(`         ${c}`);
      }
      out.push('', 'other info that might help us debug this:', '');
      if (cyc.length > 3) out.push(` Chain exists of:\n   ${cyc.slice(1).join(' --> ')}`, '');
      out.push(...scenario(next, held), '', ' *** DEADLOCK ***');
      if (f.held?.length) out.push('', `locks held by CPU${f.cpu}: ${f.held.join(', ')}`);
      break;
    }
    case 'inconsistent-irq-state': {
      header('WARNING: inconsistent lock state');
      out.push(f.message.replace(/^WARNING: inconsistent lock state: /, 'inconsistent ') + '.');
      out.push(`CPU${f.cpu} at ${f.tNs} ns takes:`, `  (${f.locks[0]})`);
      for (const c of f.context) out.push(`    ${c}`);
      const prev = f.chain?.[0];
      if (prev) {
        out.push('the other usage was registered at:', `  CPU${prev.cpu} at ${prev.tNs} ns`);
        for (const c of prev.context) out.push(`    ${c}`);
      }
      out.push('', ' Possible unsafe locking scenario:', '', '       CPU0', '       ----', `  lock(${f.locks[0]});`, '  <Interrupt>', `    lock(${f.locks[0]});`, '', ' *** DEADLOCK ***');
      break;
    }
    case 'irq-lock-inversion': {
      const cut = f.message.indexOf(' detected') + ' detected'.length;
      header(f.message.slice(0, cut));
      out.push(f.message.slice(cut).replace(/^: /, ''));
      for (const e of f.chain ?? []) {
        out.push(`  ${e.from} -> ${e.to}: CPU${e.cpu} at ${e.tNs} ns`);
        for (const c of e.context) out.push(`      ${c}`);
      }
      const [safe, unsafe] = f.locks;
      out.push('', ' Possible interrupt unsafe locking scenario:', '', pad('       CPU0', 32) + 'CPU1', pad('       ----', 32) + '----',
        `  lock(${unsafe});`, pad('', 32) + 'local_irq_disable();', pad('', 32) + `lock(${safe});`, pad('', 32) + `lock(${unsafe});`,
        '  <Interrupt>', `    lock(${safe});`, '', ' *** DEADLOCK ***');
      break;
    }
    default: {
      header(f.message);
      out.push(`CPU${f.cpu} at ${f.tNs} ns${f.held?.length ? `, holding: ${f.held.join(', ')}` : ''}`);
      for (const c of f.context) out.push(`    ${c}`);
    }
  }
  return out;
}

/** Lockdep's two-CPU picture of a dependency cycle: held -> ... and next -> held. */
function scenario(next: string, held: string): string[] {
  const w = 32;
  return [
    ' Possible unsafe locking scenario:', '',
    pad('       CPU0', w) + 'CPU1',
    pad('       ----', w) + '----',
    `  lock(${next});`,
    pad('', w) + `lock(${held});`,
    pad('', w) + `lock(${next});`,
    `  lock(${held});`,
  ];
}

function deadlock(d: DeadlockReport): string[] {
  const out: string[] = [];
  const title = d.kind === 'deadlock' ? 'DEADLOCK: CPUs wait on each other' : 'STALL: CPUs wait for locks nobody will release';
  out.push('='.repeat(title.length), title, '-'.repeat(title.length));
  out.push(d.message, '');
  for (const e of d.cycle) out.push(`  CPU${e.cpu} waits for ${e.waitsFor}${e.heldBy >= 0 ? ` held by CPU${e.heldBy}` : ''}`);
  for (const e of d.blocked.slice(0, 8)) out.push(`  CPU${e.cpu} waits for ${e.waitsFor}${e.heldBy >= 0 ? ` held by CPU${e.heldBy}` : ''} (blocked behind)`);
  if (d.blocked.length > 8) out.push(`  ... and ${d.blocked.length - 8} more CPUs blocked behind`);
  for (const h of d.holding) {
    out.push(`  CPU${h.cpu} holds: ${h.locks.join(', ') || 'nothing'}`);
    if (h.context.length) out.push(`    in: ${h.context.join('\n        > ')}`);
  }
  out.push('', `  interleaving (last events per CPU, ns):`);
  const cols = d.cpus;
  const w = cols.length > 2 ? 40 : 52;
  out.push(('  ' + pad('time', 10) + cols.map((c) => pad(`CPU${c}`, w)).join('')).trimEnd());
  out.push(('  ' + pad('----', 10) + cols.map(() => pad('----', w)).join('')).trimEnd());
  for (const e of d.timeline) {
    const cell = `${e.action} ${e.subject}`;
    out.push('  ' + pad(String(Math.round(e.tNs)), 10) + cols.map((c) => pad(c === e.cpu ? clip(cell, w - 2) : '', w)).join('').trimEnd());
  }
  out.push('', ' *** DEADLOCK ***');
  return out;
}

// --- formatting helpers -----------------------------------------------------------

function table(head: string[], rows: string[][], right: boolean[]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((x, i) => (right[i] ? x.padStart(widths[i]) : x.padEnd(widths[i]))).join('  ').trimEnd();
  return [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)];
}

function pad(s: string, w: number): string {
  return s.length >= w ? s + ' ' : s.padEnd(w);
}

function clip(s: string, w: number): string {
  return s.length <= w ? s : s.slice(0, w - 1) + '~';
}

function last(a: string[]): string {
  return a[a.length - 1] ?? '?';
}

/** Thousands separators without locale data (the same output everywhere). */
function int(x: number): string {
  const s = String(Math.abs(Math.round(x)));
  const grouped = s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return x < 0 ? '-' + grouped : grouped;
}

function pct(x: number): string {
  return `${x >= 0 ? '+' : ''}${x.toFixed(2)}%`;
}

function ns(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}ms`;
  if (x >= 1e4) return `${(x / 1e3).toFixed(1)}us`;
  return `${Math.round(x)}`;
}

function ms(x: number): string {
  return `${(x / 1e6).toFixed(3)} ms`;
}
