import type { Rule } from './types';
import { fromChain } from './types';
import { depthNote, atomicSeverity, claim, entryLabel, registeredStep } from '../contexts/constraints/atomic';
import { unreadSteps } from './shrinker-common';

/** The `no-sleep` constraint of hardirq, NMI and tracing code, for sleeping calls (msleep, might_sleep...). */
export const irqMaySleep: Rule = {
  meta: {
    id: 'irq-may-sleep',
    defaultSeverity: 'error',
    description: 'A primary interrupt handler, an NMI handler or tracing code (or what it calls) calls a function that may sleep.',
    semantics: 'any',
    explanation: [
      'Interrupt handlers, NMI handlers, kprobe/ftrace callbacks, tracepoint probes and BPF helpers all run in atomic',
      'context: interrupts or preemption are off and the scheduler cannot be entered. A call that may sleep there',
      '(`msleep()`, `wait_event()`, `synchronize_rcu()`, `copy_from_user()` on a faulting page, a `GFP_KERNEL` allocation)',
      'is "BUG: scheduling while atomic". Sleeping locks and allocations have their own rules (`irq-sleeping-lock`,',
      '`irq-reclaim-alloc`, `nmi-allocator-call`, `nmi-waiting-lock`); this one reports what else the summary says may sleep',
      '(the first such call: fixing it may show the next).',
      '',
      '**Fix:** use `mdelay()`/`udelay()` for short waits, or move the work to a threaded handler, irq_work or a workqueue.',
    ].join('\n'),
  },
  check() {},
  checkAtomic(ctx, ep, memo) {
    if (!ep.fn) return;
    const sl = ctx.analysis.summary(ep.fn).maySleep;
    // Sleeping locks and allocations are the other rules' (their site is claimed first, or here by kind).
    if (!sl || /takes sleeping lock|allocates with|, which may sleep$|takes a sleeping lock/.test(sl[sl.length - 1].note)) return;
    // A chain cut at MAX_CHAIN no longer shows what sleeps: no evidence, no finding.
    if (!/may sleep|waits/.test(sl[sl.length - 1].note)) return;
    if (!claim(memo, sl, ep.context.id)) return;
    const loc = fromChain(sl);
    ctx.report({
      ...loc, severity: atomicSeverity(ep, sl, ctx.analysis), entry: ep.name,
      related: [...loc.related, registeredStep(ep), ...unreadSteps(ctx.analysis, ep.fn)],
      message: `${entryLabel(ep)} runs in ${ep.context.id} context, which must not sleep, and may sleep: ${sl[sl.length - 1].note}${depthNote(ep, sl, ctx.analysis)}`,
    });
  },
};
