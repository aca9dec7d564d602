import type { Rule } from './types';
import { shrinkerLabel } from '../contexts/registry';

/** Never silent: a shrinker whose callback was not read is said to be so, like unresolved-ctor-dtor. */
export const shrinkerUnresolvedCallback: Rule = {
  meta: {
    id: 'shrinker-unresolved-callback',
    defaultSeverity: 'warning',
    description: 'A shrinker callback could not be read (an expression, or no definition in the workspace), or a registered shrinker has no callback the registry found: no shrinker rule ran on it.',
    semantics: 'any',
    explanation: [
      'slabcheck checks a shrinker by reading its `count_objects` and `scan_objects` functions and what they call. When the',
      'value stored there is not a function it can find, or the fields are set where the registry does not look (a helper',
      'in another file given the shrinker, a macro), none of the shrinker rules ran on that callback: an empty report would',
      'say nothing about it. This finding says what was not read.',
      '',
      '**Fix:** open the workspace on the tree that defines the function, or assign the callback by name next to the registration.',
    ].join('\n'),
  },
  check() {},
  checkShrinker(ctx, s) {
    for (const c of s.callbacks) {
      if (!c.unresolved) continue;
      ctx.report({ file: s.file, span: c.binding.at, related: [], message: `${c.role} of ${shrinkerLabel(s)}: ${c.unresolved}; no shrinker rule ran on it` });
    }
    if (!s.register && !s.alloc) return;
    // One callback alone is a shrinker's choice (xen-backend: count_objects does the work, returns 0, scan never runs).
    if (s.callbacks.length) return;
    const missing = ['count_objects', 'scan_objects'];
    ctx.report({
      file: s.file, span: s.anchor.span, related: [],
      message: `${shrinkerLabel(s)} (${s.anchor.what}): no ${missing.join(' or ')} assignment to ${s.target} found in this file; no shrinker rule ran on ${missing.length > 1 ? 'them' : 'it'}`,
    });
  },
};
