/**
 * Simulator benchmark: engine speed, the wall time of the exec() sweep, and
 * the validation table (every published figure, simulated, difference) with
 * each figure's three most influential costs. Prints figures only;
 * nothing here is asserted (the tests do that).
 *
 * Run: node out/bench/simulator.js   (or through bench/run.ts)
 */
import { simulate, sweep, validate, validationMarkdown, sensitivityMarkdown, COST_TABLE, type ValidationRow } from '../simulator/src/index';

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

  log('validation against every published figure (one cost table; seed 1, 20 ms runs; the same table is in docs/simulator.md):');
  let rows: ValidationRow[] = [];
  const tv = cpuSeconds(() => { rows = validate({ sensitivity: true }); });
  log(validationMarkdown(rows));
  log(`sensitivity (each cost of the workload at 50% and 150%, 10 ms runs; ${fmt(tv.wall)} s wall for the table and this):`);
  log(sensitivityMarkdown(rows));
  const summary = rows.map((r) => `${r.id} ${r.within ? 'met' : 'MISSED'}${r.sensitivity?.uncertain ? ' (uncertain)' : ''}`).join(', ');
  log(`summary: ${summary}`);
  void COST_TABLE;
}

if (require.main === module) {
  benchSimulator().catch((e) => {
    process.stderr.write(String(e instanceof Error ? e.stack : e) + '\n');
    process.exitCode = 1;
  });
}
