import type { Rule } from './types';
import { preemptOffBefore, ruleSites, underText, why } from './lock-rule-common';
import { atomicAt } from '../index/held-under';

/** Seed 002: "migration/compaction runs in atomic context and grabs write-lock only from atomic context". */
export const lockRuleAtomicOnly: Rule = {
  meta: {
    id: 'lock-rule-atomic-only',
    defaultSeverity: 'error',
    description: 'An acquisition of a lock mode declared `atomicOnly` outside atomic context (no spinning lock held, interrupts and preemption on).',
    semantics: 'any',
    explanation: [
      'A writer that must not sleep is safest when it cannot: seed 002, "migration/compaction runs in atomic context and grabs',
      'write-lock only from atomic context - write-locking function disables preemption before lock(), just to be safe".',
      '',
      '`lockRules."<class>".<mode>.atomicOnly: true` reports an acquisition with no spinning lock held (in the function or by',
      'every caller), interrupts enabled, and no `preempt_disable()` before it in the function (read in source order).',
      '',
      '**Fix:** take it under the spinlock that orders it, or with preemption disabled.',
    ].join('\n'),
  },
  check() {},
  checkLockClasses(ctx) {
    for (const s of ruleSites(ctx.analysis)) {
      if (!s.rule?.atomicOnly || atomicAt(s.kinds, s.irqOff) || preemptOffBefore(s.ref, s.i)) continue;
      ctx.report({ file: s.ref.file, span: s.e.at, related: [], message: `${s.ref.fn.name}() takes ${s.cls} (${s.mode}) ${underText(s)}, outside atomic context: ${s.mode} is atomic-only${why(s)}` });
    }
  },
};
