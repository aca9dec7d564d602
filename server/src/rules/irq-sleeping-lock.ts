import type { Rule } from './types';
import { fromChain } from './types';
import { depthNote, atomicSeverity, claim, entryLabel, registeredStep, siteOf } from '../contexts/constraints/atomic';
import { unreadSteps } from './shrinker-common';
import { SLEEPING_KINDS } from '../kb/locks';

/** The hardirq context's `no-sleep` constraint, for locks. */
export const irqSleepingLock: Rule = {
  meta: {
    id: 'irq-sleeping-lock',
    defaultSeverity: 'error',
    description: 'A primary interrupt handler (or what it calls) takes a sleeping lock (mutex, rwsem, semaphore).',
    semantics: 'any',
    explanation: [
      'The primary handler given to `request_irq()`, `request_threaded_irq()`, `devm_request_irq()` or',
      '`devm_request_threaded_irq()` runs in hardirq context with interrupts off (kernel/irq/handle.c',
      '`__handle_irq_event_percpu()`, 6.12). It must not sleep, and a mutex, rwsem or semaphore may sleep when contended',
      '(`might_sleep()` in `mutex_lock()` reports "BUG: sleeping function called from invalid context").',
      'The `thread_fn` of the threaded forms runs in a kernel thread and may: slabcheck checks only the primary handler.',
      '',
      '**Fix:** move the work to the threaded handler (`request_threaded_irq(irq, quick_check, thread_fn, ...)`), a',
      'workqueue, or protect the data with a spinlock.',
    ].join('\n'),
  },
  check() {},
  checkAtomic(ctx, ep, memo) {
    if (!ep.fn || ep.context.id !== 'hardirq') return;
    for (const acq of ctx.analysis.summary(ep.fn).acquires.values()) {
      if (acq.trylock || !SLEEPING_KINDS.has(acq.kind) || !claim(memo, acq.chain, ep.context.id)) continue;
      const loc = fromChain(acq.chain);
      ctx.report({
        ...loc, severity: atomicSeverity(ep, acq.chain, ctx.analysis), entry: ep.name,
        related: [...loc.related, registeredStep(ep), ...unreadSteps(ctx.analysis, ep.fn)],
        message: `${entryLabel(ep)} runs in hardirq context and takes ${acq.cls}${siteOf(acq.chain)}, a ${acq.kind}, which may sleep${depthNote(ep, acq.chain, ctx.analysis)}`,
      });
    }
  },
};
