import type { Rule } from './types';

/**
 * The engine reports a rule that threw on a cache as this finding on the cache (engine.ts
 * runRule), so one failure never hides the other caches' results nor passes for "no finding".
 */
export const internalError: Rule = {
  meta: {
    id: 'internal-error',
    defaultSeverity: 'error',
    description: 'A rule failed on this cache: its answer for the cache is missing.',
    semantics: 'any',
    explanation: [
      'A rule threw while checking this cache. The other rules and caches still ran; this one answer is missing, so',
      'the run is incomplete (the CLI exits with status 3). The message names the rule and the error.',
      '',
      '**Fix:** none in your code; please report it with the file.',
    ].join('\n'),
  },
  // Its findings come from the engine when another rule fails; there is nothing to check itself.
  check() {},
};
