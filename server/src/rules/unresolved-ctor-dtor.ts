import type { CtorRef } from '../facts/types';
import type { FnRef } from '../index/analysis';
import type { Rule } from './types';

/**
 * "No finding" must mean "no hazard", not "not read". A ctor/dtor that is an expression,
 * a parameter, a macro argument or a function whose definition is not in the workspace
 * gets no ctor/dtor rule at all, so say so where the argument is.
 */
export const unresolvedCtorDtor: Rule = {
  meta: {
    id: 'unresolved-ctor-dtor',
    defaultSeverity: 'warning',
    description: 'A cache\'s constructor or destructor could not be resolved to a function body: the ctor/dtor rules did not run on it.',
    semantics: 'any',
    explanation: [
      'slabcheck checks a constructor or destructor by reading its body and its callees. When the argument of',
      '`kmem_cache_create()` (or `.ctor`/`.dtor` of `struct kmem_cache_args`) is not a function it can find, none',
      'of the ctor/dtor rules ran: an empty report would say nothing about that cache. This finding names what',
      'could not be read and why:',
      '',
      '- an expression or a call that selects the function at run time (`ctor(shift)`),',
      '- a parameter or a local function pointer (the function comes from the caller),',
      '- the argument of a macro defined outside the workspace,',
      '- a function whose definition is not in the workspace (assembly, another tree).',
      '',
      'When the expression has candidates (the functions a static table puts in that field, or both arms of a',
      '`?:`), each candidate is checked as the ctor/dtor, and this finding only lists them (info).',
      '',
      'Severity: info under mainline semantics, warning under the destructor RFC (where a dtor that is not',
      'read could take any lock); `"rules": { "unresolved-ctor-dtor": "error" }` in `.slabcheck.json` changes it.',
      '',
      '**Fix:** open the workspace on the tree that defines the function, or write the function name directly.',
    ].join('\n'),
  },
  check(ctx, cache) {
    const unread = ctx.semantics === 'dtor-rfc' ? 'warning' : 'info';
    for (const kind of ['ctor', 'dtor'] as const) {
      // Under mainline a .dtor is reported by semantics-mismatch instead.
      if (kind === 'dtor' && ctx.semantics !== 'dtor-rfc') continue;
      const ref: CtorRef = cache.creation[kind];
      // Unreadable kmem_cache_args hide both fields; the reader records it on .ctor.
      const wholeArgs = ref.kind === 'indirect' && (ref.how === 'args-expression' || ref.how === 'args-parameter' || ref.how === 'macro-argument');
      const what = wholeArgs ? 'kmem_cache_args (constructor and destructor)' : kind === 'ctor' ? 'constructor' : 'destructor';
      const base = { file: cache.file, related: [], cache: cache.creation.name };
      // The name is usually a string literal; otherwise show the expression that names it.
      const label = cache.creation.name.startsWith('"') ? cache.creation.name : `named by \`${cache.creation.name}\``;
      if (ref.kind === 'function' && (kind === 'ctor' ? cache.ctorMissing : cache.dtorMissing)) {
        ctx.report({ ...base, span: ref.at, severity: unread, message: `${what} ${ref.name}() of cache ${label}: definition not found in the workspace; no ${what} rule ran on it` });
      } else if (ref.kind === 'indirect') {
        const checked: FnRef[] = (kind === 'ctor' ? cache.ctorCandidates : cache.dtorCandidates) ?? [];
        const names = new Set(checked.map((c) => c.fn.name));
        const missing = (ref.candidates ?? []).filter((n) => !names.has(n));
        const head = `${what} of cache ${label} is \`${ref.expr}\` (${ref.why})`;
        const tail = missing.length ? `; candidate${missing.length > 1 ? 's' : ''} ${missing.map((n) => `${n}()`).join(', ')}: definition not found` : '';
        if (checked.length) {
          // Both arms of a `?:` are all it can be; a table field may hold functions from other files.
          const rest = ref.how === 'conditional' || /\?/.test(ref.expr) ? '' : '; another function may be stored there at run time';
          ctx.report({ ...base, span: ref.at, severity: 'info', message: `${head}: checked as each candidate, ${[...names].map((n) => `${n}()`).join(', ')}${tail}${rest}` });
        } else {
          ctx.report({ ...base, span: ref.at, severity: unread, message: `${head}: not resolved to a function${tail}; no ${wholeArgs ? 'constructor or destructor' : what} rule ran on it` });
        }
      }
    }
  },
};
