import type { Rule } from './types';
import { fromChain } from './types';
import { depthNote, atomicSeverity, claim, entryLabel, registeredStep, siteOf, waitingLocks } from '../contexts/constraints/atomic';
import { unreadSteps } from './shrinker-common';
import { SLEEPING_KINDS } from '../kb/locks';
import { CONTEXTS } from '../kb/contexts';

/** The NMI and tracing contexts' `trylock-only` constraint. */
export const nmiWaitingLock: Rule = {
  meta: {
    id: 'nmi-waiting-lock',
    defaultSeverity: 'error',
    description: 'An NMI handler, or tracing code that may run in NMI, waits for a lock (spin_lock, raw_spin_lock, a mutex...): only trylocks are safe there.',
    semantics: 'any',
    explanation: [
      'An NMI is not masked by `local_irq_save()`/`spin_lock_irqsave()`: it can arrive while this CPU holds any spinlock,',
      'raw spinlock or rwlock. If the handler (or what it calls) then waits for that same lock, it spins on a lock its own CPU',
      'holds and will never release: the CPU is dead (arch/x86/kernel/nmi.c runs handlers with nothing to break the wait).',
      'lockdep reports it as an inconsistent {IN-NMI} usage. A sleeping lock (mutex, rwsem) is worse: an NMI must never sleep.',
      'The same holds for tracing callbacks and BPF helpers, which may run in NMI (perf events) or inside the locked region',
      'of the code they trace (seeds/001: "there could be re-entrance due to kprobe/fentry/tracepoint").',
      '',
      'What the kernel does instead: `raw_spin_trylock()` and give up (arch/x86/kernel/apic/hw_nmi.c, printk\'s NMI-safe',
      'buffers), per-CPU data with no lock, `irq_work_queue()` to finish the work outside the NMI, lock-free lists (llist).',
      '',
      '**Fix:** take the lock with a trylock and bail out when it fails, or defer the work with irq_work.',
    ].join('\n'),
  },
  check() {},
  checkAtomic(ctx, ep, memo) {
    if (!ep.fn || !CONTEXTS[ep.context.id]?.constraints.includes('trylock-only')) return;
    for (const acq of waitingLocks(ctx.analysis, ep.fn)) {
      if (!claim(memo, acq.chain, ep.context.id)) continue;
      const loc = fromChain(acq.chain);
      const kind = SLEEPING_KINDS.has(acq.kind) ? `a sleeping lock (${acq.kind})` : acq.irqOff ? `a ${acq.kind}, irqsave or not (NMIs are not masked)` : `a ${acq.kind}`;
      ctx.report({
        ...loc, severity: atomicSeverity(ep, acq.chain, ctx.analysis), entry: ep.name,
        related: [...loc.related, registeredStep(ep), ...unreadSteps(ctx.analysis, ep.fn)],
        message: `${entryLabel(ep)} runs in ${ep.context.id === 'nmi' ? 'NMI' : 'tracing (possibly NMI)'} context and waits for ${acq.cls}${siteOf(acq.chain)}, ${kind}: if the NMI hit while this CPU holds it, it spins forever; use a trylock${depthNote(ep, acq.chain, ctx.analysis)}`,
      });
    }
  },
};
