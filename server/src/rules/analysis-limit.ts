import type { Rule } from './types';

/**
 * Every bound the analysis keeps (call-chain depth for summaries) is stated where it was hit:
 * a partial answer must not read as "clean".
 */
export const analysisLimit: Rule = {
  meta: {
    id: 'analysis-limit',
    defaultSeverity: 'info',
    description: 'An analysis bound was hit while reading a constructor or destructor: its answer is partial.',
    semantics: 'any',
    explanation: [
      'slabcheck bounds its work so that no input can exhaust the machine (as lockdep caps its held-lock stack at',
      'MAX_LOCK_DEPTH, 48). Summaries follow calls to a depth of 400 functions; a call chain deeper than that (a',
      'generated cycle of thousands of functions, say) stops there. What lies beyond the bound was not read, so the',
      'findings of this ctor/dtor may be incomplete. The finding names the function where the bound was hit.',
      '',
      '**Fix:** nothing in your code needs to change; report the shape if it is real kernel code.',
    ].join('\n'),
  },
  check(ctx, cache) {
    for (const [kind, ref] of [['constructor', cache.ctor], ['destructor', cache.dtor]] as const) {
      if (!ref) continue;
      const lim = ctx.analysis.summary(ref).limit;
      if (!lim) continue;
      ctx.report({
        file: ref.file, span: ref.fn.nameAt, cache: cache.creation.name,
        related: [{ file: lim.file, span: lim.span, note: `${lim.fn}(): ${lim.what}; not read further` }],
        message: `${kind} ${ref.fn.name}(): ${lim.what} (at ${lim.fn}()); its findings may be incomplete`,
      });
    }
  },
};
