import type { Rule } from './types';
import { fromChain } from './types';
import { unboundedWaits } from '../contexts/constraints/unbounded-blocking';
import { callbackLabel, registeredStep, resolvedCallbacks, unreadSteps } from './shrinker-common';

/** The shrinker contexts' `no-unbounded-blocking` constraint. */
export const shrinkerUnboundedWait: Rule = {
  meta: {
    id: 'shrinker-unbounded-wait',
    defaultSeverity: 'warning',
    description: 'A shrinker callback (or what it calls) waits without a bound (wait_event, synchronize_rcu, flush_work...).',
    semantics: 'any',
    explanation: [
      'Every task that enters direct reclaim runs the shrinkers: a callback that waits for an event, a grace period or a work',
      'item stalls that task (and kswapd) for as long as the wait lasts, and if what it waits for needs memory, forever.',
      'The lockless-shrink series (seeds/003) removed the wait from the registry itself: unregistration no longer waits',
      'for an RCU grace period (`synchronize_rcu()`) behind `shrinker_rwsem`; the walk takes a refcount and `shrinker_free()`',
      'frees through `call_rcu()`. A callback that waits puts that stall back.',
      '',
      'Bounded waits (`*_timeout`, `msleep()`) are not reported.',
      '',
      '**Fix:** do the slow part asynchronously (queue work, do not flush it), or return `SHRINK_STOP` when the object is busy.',
    ].join('\n'),
  },
  check() {},
  checkShrinker(ctx, s) {
    for (const c of resolvedCallbacks(s)) {
      for (const w of unboundedWaits(ctx.analysis, c.fn)) {
        const chain = w.chain;
        const loc = fromChain(chain);
        ctx.report({
          ...loc,
          related: [...loc.related, registeredStep(s, c), ...unreadSteps(ctx.analysis, c.fn)],
          message: `${callbackLabel(s, c)} runs in reclaim and waits without a bound in ${w.fn}()${chain.length > 1 ? ` (through ${chain.length - 1} call${chain.length > 2 ? 's' : ''})` : ''}`,
        });
      }
    }
  },
};
