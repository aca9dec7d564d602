import type { Rule } from './types';
import { ruleSites, siteStep, sleepsAt, why } from './lock-rule-common';

/** Seed 002 rule 1: a zspage write-lock holder never sleeps, or readers spin for the whole sleep. */
export const lockRuleHolderSleeps: Rule = {
  meta: {
    id: 'lock-rule-holder-sleeps',
    defaultSeverity: 'error',
    description: 'A sleep, or a call that may sleep, while a lock mode whose holder may not sleep (`holderMaySleep: false`) is held; with the call chain.',
    semantics: 'any',
    explanation: [
      'Yosry Ahmed on the zspage lock (seed 002): "the lock you are introducing is a spinning lock but the lock holder can',
      'be preempted. This is why spinning locks do not allow preemption. Others waiting for the lock can spin waiting for a',
      'process that is scheduled out... the compaction/migration code could be sleeping holding the write lock, and a map()',
      'call would spin waiting for that sleeping task." The answer was the rule: "writer cannot sleep".',
      '',
      '`lockRules."<class>".<mode>.holderMaySleep: false` reports anything that may sleep while that mode is held: a sleeping',
      'lock, an allocation with a gfp that may reclaim, a call whose callee (read, or from the knowledge base) may sleep.',
      '',
      '**Fix:** do the sleeping work before taking the lock or after releasing it; allocate with GFP_NOWAIT and bail out.',
    ].join('\n'),
  },
  check() {},
  checkLockClasses(ctx) {
    const a = ctx.analysis;
    for (const s of ruleSites(a)) {
      if (s.rule?.holderMaySleep !== false) continue;
      const evs = s.ref.fn.events;
      for (let j = s.i + 1; j < evs.length; j++) {
        const x = evs[j];
        if (!x.held.includes(s.e.lock)) continue;
        const chain = sleepsAt(a, s.ref, x);
        if (!chain) continue;
        ctx.report({
          file: chain[0].file, span: chain[0].span, related: [siteStep(s, `${s.ref.fn.name}() holds ${s.cls} (${s.mode}) from here`), ...chain.slice(1)],
          message: `${s.ref.fn.name}() may sleep while holding ${s.cls} (${s.mode}), whose holder must not sleep${why(s)}: ${chain[chain.length - 1].note}`,
        });
        break;
      }
    }
  },
};
