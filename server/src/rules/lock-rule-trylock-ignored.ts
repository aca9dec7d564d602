import type { Rule } from './types';
import { ruleSites } from './lock-rule-common';

/** A trylock whose result is dropped: the code goes on as if it had the lock when it may not. */
export const lockRuleTrylockIgnored: Rule = {
  meta: {
    id: 'lock-rule-trylock-ignored',
    defaultSeverity: 'error',
    description: 'A trylock of a trylock-only mode (or of a declared primitive) whose result is ignored: the failure path is not handled.',
    semantics: 'any',
    explanation: [
      'A trylock-only mode is correct only because every caller handles failure: seed 002, "compaction and migration bail',
      'out when they cannot lock the zspage". A trylock called as a statement, its result neither tested, assigned nor',
      'returned, goes on as though it held the lock when it may not: the object can be migrated or freed under it.',
      '',
      '**Fix:** `if (!my_write_trylock(obj)) return -EAGAIN;` (or skip the object).',
    ].join('\n'),
  },
  check() {},
  checkLockClasses(ctx) {
    for (const s of ruleSites(ctx.analysis)) {
      if (!s.e.trylock || !s.e.resultIgnored || !(s.rule?.trylockOnly || s.declared)) continue;
      ctx.report({ file: s.ref.file, span: s.e.at, related: [], message: `${s.ref.fn.name}() ignores the result of ${s.e.fn}(): when ${s.cls} (${s.mode}) is contended it goes on without the lock` });
    }
  },
};
