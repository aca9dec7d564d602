import type { Rule } from './types';
import { ruleSites, underText, why } from './lock-rule-common';

/** Seed 002 rule 2: the zspage writer never spins waiting; compaction and migration bail out. */
export const lockRuleTrylockOnly: Rule = {
  meta: {
    id: 'lock-rule-trylock-only',
    defaultSeverity: 'error',
    description: 'A waiting acquisition of a lock mode `.slabcheck.json` declares trylock-only (`lockRules.<class>.<mode>.trylockOnly`).',
    semantics: 'any',
    explanation: [
      'Some locks have rules of their own that no knowledge base can know. zsmalloc\'s zspage lock (seed 002, Sergey',
      'Senozhatsky on linux-mm, "zsmalloc: make zspage lock preemptible") is a custom lock built on an atomic:',
      '"writer does not spin waiting - that\'s why there is only write_try_lock function - compaction and migration bail',
      'out when they cannot lock the zspage". Readers may sleep while holding it, so a writer that waited could spin for a',
      'whole sleep, with the pool and class spinlocks it is nested under held.',
      '',
      '`lockRules."<class>".<mode>.trylockOnly: true` makes every waiting acquisition of that mode a finding, through',
      'calls (a helper that takes it is reported where it takes it).',
      '',
      '**Fix:** use the trylock primitive and bail out (`-EAGAIN`, skip the object) when it fails.',
    ].join('\n'),
  },
  check() {},
  checkLockClasses(ctx) {
    for (const s of ruleSites(ctx.analysis)) {
      if (!s.rule?.trylockOnly || s.e.trylock) continue;
      ctx.report({
        file: s.ref.file, span: s.e.at, related: [],
        message: `${s.ref.fn.name}() waits for ${s.cls} (${s.mode}) with ${s.e.fn}() ${underText(s)}: ${s.mode} is trylock-only${why(s)}`,
      });
    }
  },
};
