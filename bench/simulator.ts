/**
 * Simulator benchmark: engine speed, the wall time of the published exec()
 * sweep, the simulated gains beside the published ones, and how the 192-CPU
 * gain moves with the costs it is most sensitive to. Prints figures only;
 * nothing here is asserted (the tests do that).
 *
 * Run: node out/bench/simulator.js   (or through bench/run.ts)
 */
import { simulate, sweep, COST_TABLE, PUBLISHED_EXEC_GAINS, type CompareRow, type Costs } from '../simulator/src/index';

function cpuSeconds(f: () => void): { cpu: number; wall: number } {
  const u0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  f();
  const u = process.cpuUsage(u0);
  return { cpu: (u.user + u.system) / 1e6, wall: Number(process.hrtime.bigint() - t0) / 1e9 };
}

function fmt(n: number, digits = 2): string {
  return n.toFixed(digits);
}

function row(cells: Array<string | number>, widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
}

/** Events per CPU-second, best of `tries` (the machine may be shared). */
function eventRate(cpus: number, mode: 'baseline' | 'ctor-dtor', tries: number): { events: number; best: number; median: number } {
  simulate([], { cpus, mode, durationNs: 10e6, samples: 0 }); // JIT warm-up
  const rates: number[] = [];
  let events = 0;
  for (let i = 0; i < tries; i++) {
    let ev = 0;
    const t = cpuSeconds(() => { ev = simulate([], { cpus, mode, durationNs: 200e6, samples: 0 }).runs[0].events; });
    events = ev;
    rates.push(ev / t.cpu);
  }
  rates.sort((a, b) => a - b);
  return { events, best: rates[rates.length - 1], median: rates[Math.floor(rates.length / 2)] };
}

function gainAt(rows: CompareRow[], cpus: number): number {
  return rows.find((r) => r.cpus === cpus)?.gainPct ?? NaN;
}

export async function benchSimulator(): Promise<void> {
  const log = (s = '') => process.stdout.write(s + '\n');
  log('== simulator ==');

  log('engine speed (events per CPU-second on one core, 200 ms simulated exec, best and median of 3):');
  const w0 = [34, 12, 10, 10];
  log('  ' + row(['run', 'events', 'best M/s', 'median'], w0));
  for (const [cpus, mode] of [[24, 'baseline'], [192, 'baseline'], [192, 'ctor-dtor']] as const) {
    const r = eventRate(cpus, mode, 3);
    log('  ' + row([`exec ${cpus} CPUs ${mode}`, r.events, fmt(r.best / 1e6), fmt(r.median / 1e6)], w0));
  }
  log();

  let result = sweep([], {});
  const t = cpuSeconds(() => { result = sweep([], {}); });
  const events = result.runs.reduce((a, r) => a + r.events, 0);
  log(`exec sweep 1/24/192 CPUs, both modes (6 runs x 40 ms simulated): ${fmt(t.wall)} s wall, ${fmt(t.cpu)} s CPU, `
    + `${events} events (${fmt(events / t.cpu / 1e6)} M events per CPU-second)`);
  log();

  log('exec() throughput gain of the ctor/dtor pair, simulated vs published (seeds/004):');
  const w1 = [12, 6, 13, 13, 11, 11, 11, 10];
  log('  ' + row(['machine', 'cpus', 'baseline/s', 'ctor-dtor/s', 'simulated', 'published', 'analytic', 'within 5pp'], w1));
  for (const c of result.compare!) {
    const pub = c.publishedGainPct;
    log('  ' + row([
      c.machine, c.cpus, Math.round(c.baselinePerSec), Math.round(c.ctorDtorPerSec), `${fmt(c.gainPct)}%`,
      pub === undefined ? '-' : `${pub}%`, c.analytic ? `${fmt(c.analytic.gainPct)}%` : '-',
      pub === undefined ? '-' : Math.abs(c.gainPct - pub) <= 5 ? 'yes' : 'NO',
    ], w1));
  }
  void PUBLISHED_EXEC_GAINS;
  log();

  log('sensitivity of the gains to single cost changes (everything else at its default; 20 ms runs):');
  const w2 = [42, 10, 10, 10];
  log('  ' + row(['cost = value', '1 CPU', '24 CPUs', '192 CPUs'], w2));
  const variants: Array<[keyof Costs, number[]]> = [
    ['crossSocketTransferNs', [150, 200, 300, 400, 440]],
    ['smtSlowdown', [1.25, 1.5, 1.75]],
    ['pcpuMetadataLines', [1, 2, 3]],
    ['mutexSpinLimitNs', [5_000, 20_000, 1_000_000]],
  ];
  for (const [name, values] of variants) {
    for (const v of values) {
      const r = sweep([], { costs: { [name]: v } as Partial<Costs>, durationNs: 20e6 });
      const mark = v === COST_TABLE[name].value ? ' (default)' : '';
      log('  ' + row([`${name} = ${v}${mark}`, `${fmt(gainAt(r.compare!, 1))}%`, `${fmt(gainAt(r.compare!, 24))}%`, `${fmt(gainAt(r.compare!, 192))}%`], w2));
    }
  }
}

if (require.main === module) {
  benchSimulator().catch((e) => {
    process.stderr.write(String(e instanceof Error ? e.stack : e) + '\n');
    process.exitCode = 1;
  });
}
