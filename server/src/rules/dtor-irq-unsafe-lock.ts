import { SPINNING_KINDS } from '../kb/locks';
import type { Rule } from './types';
import { fromChain } from './types';

export const dtorIrqUnsafeLock: Rule = {
  meta: {
    id: 'dtor-irq-unsafe-lock',
    defaultSeverity: 'error',
    description: 'A slab destructor takes a spinlock without disabling interrupts.',
    semantics: 'dtor-rfc',
    explanation: [
      'The destructor runs in the context that freed the slab: that can be a hard interrupt handler freeing an object, softirq,',
      'an RCU callback (`SLAB_TYPESAFE_BY_RCU`), or process context. If the same spinlock is ever taken from an interrupt while',
      'process context holds it without interrupts disabled, the CPU deadlocks on itself (lockdep: "inconsistent {HARDIRQ-ON-W} -> {IN-HARDIRQ-W} usage").',
      '',
      'Harry Yoo in the destructor RFC thread: it is safe "as long as you 1) disable interrupts and 2) take only leaf spinlocks".',
      '`free_percpu()` takes `pcpu_lock` with `spin_lock_irqsave()` for this reason.',
      '',
      '**Fix:** use `spin_lock_irqsave()`/`spin_unlock_irqrestore()` (a quick fix is offered).',
    ].join('\n'),
  },
  check(ctx, cache) {
    if (!cache.dtor) return;
    for (const a of ctx.analysis.summary(cache.dtor).acquires.values()) {
      if (!SPINNING_KINDS.has(a.kind) || a.kind === 'local_lock' || a.irqOff) continue;
      ctx.report({ ...fromChain(a.chain), message: `destructor ${cache.dtor.fn.name}() takes spinlock ${a.cls} with interrupts enabled${a.irq === 'bh' ? ' (only bottom halves disabled)' : ''}; dtors may run from any context that frees a slab`, cache: cache.creation.name });
    }
  },
};
