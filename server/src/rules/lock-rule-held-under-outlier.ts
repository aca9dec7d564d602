import type { Rule } from './types';
import { heldUnderOf } from './lock-rule-common';
import { classesTaken, tableSummary } from '../index/held-under';

/**
 * The rules the code already follows (no declaration needed): a class taken under some lock at
 * most of its sites and under none at a few. Those few are the reviewer's question in seed 002.
 */
export const lockRuleHeldUnderOutlier: Rule = {
  meta: {
    id: 'lock-rule-held-under-outlier',
    defaultSeverity: 'info',
    description: 'A lock class taken under some lock at most of its sites (every path, every caller) and under none here: an outlier of the rule the code follows.',
    semantics: 'any',
    explanation: [
      'Yosry Ahmed reviewing the zspage lock (seed 002): "sometimes we lock the zspage with the pool lock held, sometimes with the',
      'class lock held, and sometimes with no lock held. What are the rules here for acquiring the zspage lock?" and then',
      '"we\'re not holding either of these locks in async_free_zspage() when we call lock_zspage(). Is it safe for a different',
      'reason?"',
      '',
      'For each lock class slabcheck infers what is held at every acquisition site, conservatively (lockset inference in the',
      'manner of Eraser and RacerD): a site is under L only when every path holds L, in its function or at every call of it',
      'found in the workspace (three callers up). When at least three quarters of the sites (three or more) are under some',
      'lock, the sites under none are reported here: a bug, or a reason to write down. `slabcheck locks --class X --held-under`',
      'prints the whole table with its evidence.',
      '',
      'On a large tree (demand-driven) only classes named in `.slabcheck.json` `lockRules`/`lockPrimitives` are looked at.',
    ].join('\n'),
  },
  check() {},
  checkLockClasses(ctx) {
    const a = ctx.analysis;
    const cfg = a.project.config;
    const classes = a.project.demandDriven
      ? new Set([...Object.keys(cfg.lockRules), ...Object.values(cfg.lockPrimitives).map((p) => p.class)])
      : classesTaken(a);
    const held = heldUnderOf(a);
    for (const cls of [...classes].sort()) {
      const t = held.table(cls);
      if (!t.outliers.length) continue;
      const example = t.under[0]?.sites[0];
      // One finding per site (a helper under nothing through several callers is one site).
      const bySite = new Map<string, typeof t.outliers>();
      for (const o of t.outliers) bySite.set(`${o.file}:${o.span.join(',')}`, [...(bySite.get(`${o.file}:${o.span.join(',')}`) ?? []), o]);
      for (const os of bySite.values()) {
        const o = os[0];
        const vias = os.filter((x) => x.via).map((x) => x.via!.join(' <- '));
        ctx.report({
          file: o.file, span: o.span,
          related: example ? [{ file: example.file, span: example.span, note: `${example.fn}() takes ${cls} under ${[...example.under, ...example.underViaCallers].join(', ')}` }] : [],
          message: `${o.fn}() takes ${cls} under no lock${vias.length ? ` when called from ${vias.join(', ')}` : ''}, where ${t.sites - t.nothing.length} of its ${t.sites} sites are under one (${tableSummary(t).replace(/^[^:]*: /, '')})`,
        });
      }
    }
  },
};
