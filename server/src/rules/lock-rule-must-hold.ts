import type { Rule } from './types';
import { ruleSites, underText, why } from './lock-rule-common';

/** Seed 002: "the rule is to disable migration, be it via pool lock or class lock". */
export const lockRuleMustHold: Rule = {
  meta: {
    id: 'lock-rule-must-hold',
    defaultSeverity: 'warning',
    description: 'An acquisition of a lock mode without one of its `mustHoldOneOf` classes held (in the function, or by every caller).',
    semantics: 'any',
    explanation: [
      'A nested lock can rely on an outer one: asked "What are the rules here for acquiring the zspage lock?", Sergey',
      'Senozhatsky answered (seed 002) "the rule is to disable migration, be it via pool lock or class lock", and Yosry Ahmed',
      'found the exception: "we\'re not holding either of these locks in async_free_zspage() when we call lock_zspage(). Is it',
      'safe for a different reason?"',
      '',
      '`lockRules."<class>".<mode>.mustHoldOneOf: [classes]` reports an acquisition where none of them is held on every path:',
      'in the function, or by every caller found at its call (three callers up; a function no call reaches holds nothing).',
      '',
      '**Fix:** take the outer lock, or write down why this site is safe (`/* slabcheck: ignore lock-rule-must-hold */`).',
    ].join('\n'),
  },
  check() {},
  checkLockClasses(ctx) {
    for (const s of ruleSites(ctx.analysis)) {
      const need = s.rule?.mustHoldOneOf;
      if (!need || [...s.direct, ...s.viaCallers].some((c) => need.includes(c))) continue;
      const callers = s.callers ? `; ${s.callers} call${s.callers === 1 ? '' : 's'} of ${s.ref.fn.name}() found, not all under one` : `; no call of ${s.ref.fn.name}() found`;
      ctx.report({ file: s.ref.file, span: s.e.at, related: [], message: `${s.ref.fn.name}() takes ${s.cls} (${s.mode}) ${underText(s)}, without one of ${need.join(', ')}${why(s)}${callers}` });
    }
  },
};
