/**
 * User scenarios: each CPU runs the programs that name it, in order, each
 * `iterations` times or in a loop until the scenario's duration ends, in the
 * program's context (process, softirq or hardirq).
 */
import type { Engine, Workload } from '../engine';
import { Cpu, CTX_HARDIRQ, CTX_PROCESS, CTX_SOFTIRQ } from '../cpu';
import { Instr, OP, ins } from '../ops';
import type { Scenario } from '../scenario-types';

interface Compiled { prog: Instr[]; iterations: number; context: number; startNs: number }

export function scenarioWorkload(s: Scenario): Workload {
  const perCpu: Compiled[][] = [];
  return {
    name: 'scenario',
    label: s.name ? `scenario ${s.name}` : 'scenario program',
    setup(e: Engine): void {
      for (let i = 0; i < e.cpus.length; i++) perCpu.push([]);
      s.programs.forEach((p, pi) => {
        const body = e.compiler.compile(p.steps, `programs[${pi}]`);
        body.push(ins(OP.ITER_END, 0, 0, `programs[${pi}] iteration done`));
        const ctx = p.context === 'hardirq' ? CTX_HARDIRQ : p.context === 'softirq' ? CTX_SOFTIRQ : CTX_PROCESS;
        const cpus = p.cpus === 'all' ? e.cpus.map((c) => c.id) : Array.isArray(p.cpus) ? p.cpus : [p.cpus];
        for (const id of cpus) {
          perCpu[id].push({ prog: body, iterations: p.loop ? Infinity : p.iterations ?? 1, context: ctx, startNs: p.startNs ?? 0 });
        }
      });
    },
    next(e: Engine, c: Cpu): Instr[] | null {
      const mine = perCpu[c.id];
      while (c.program < mine.length) {
        const p = mine[c.program];
        if (c.itersLeft === 0) {
          c.itersLeft = p.iterations;
          c.context = p.context;
          if (p.startNs > e.now) return [ins(OP.WORK, p.startNs - e.now, 2, 'wait for program start')];
        }
        if (c.itersLeft > 0) {
          c.itersLeft--;
          if (c.itersLeft === 0) c.program++;
          return p.prog;
        }
        c.program++;
      }
      return null;
    },
  };
}
