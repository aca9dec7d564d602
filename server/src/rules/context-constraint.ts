import type { Rule } from './types';
import { fromChain } from './types';
import { reclaimAllocs } from '../contexts/constraints/reclaim-alloc';
import { reclaimLockHits } from '../contexts/constraints/reclaim-lock';
import { unboundedWaits } from '../contexts/constraints/unbounded-blocking';
import { SPINNING_KINDS } from '../kb/locks';
import { unreadSteps } from './shrinker-common';

/**
 * The constraints of a context declared in `.slabcheck.json`, on the entry points declared there:
 * a new family is data (a context, an entry-point pattern) checked by the constraint modules the
 * built-in families use (contexts/constraints/). Slab and shrinker entry points keep their own rules.
 */
export const contextConstraint: Rule = {
  meta: {
    id: 'context-constraint',
    defaultSeverity: 'error',
    description: 'A function registered for an execution context declared in .slabcheck.json breaks one of that context\'s constraints.',
    semantics: 'any',
    explanation: [
      '`.slabcheck.json` can declare execution contexts (`contexts`: may it sleep, IRQs, reclaim, NMI, and the constraints that',
      'follow) and how code hands a function to one (`entryPoints`: a struct field, or an argument of a registration call).',
      'Each constraint is the one the built-in families use: `no-reclaim-alloc` (no allocation that may enter reclaim),',
      '`no-reclaim-lock` (no waiting acquisition of a lock some code holds while allocating with a reclaim-capable gfp),',
      '`no-unbounded-blocking` (no wait_event/synchronize_rcu/flush_work...), `no-sleep`, `leaf-irqsafe-locks-only`',
      '(only leaf spinlocks, taken with interrupts off).',
      '',
      'An entry point whose function is not read is reported too: no constraint ran on it.',
    ].join('\n'),
  },
  check() {},
  async checkEntry(ctx, ep) {
    const a = ctx.analysis;
    const what = `${ep.name}() (${ep.role}, ${ep.owner}) runs in ${ep.context.title}`;
    if (!ep.fn) {
      ctx.report({ file: ep.registeredAt.file, span: ep.registeredAt.span, related: [], severity: 'warning', message: `${ep.role} ${ep.owner}: ${ep.unresolved}; no constraint of ${ep.context.id} ran on it` });
      return;
    }
    const unread = unreadSteps(a, ep.fn);
    const reg = { file: ep.registeredAt.file, span: ep.registeredAt.span, note: `${ep.name} is registered here (${ep.owner}): it runs in ${ep.context.id}` };
    for (const c of ep.context.constraints) {
      if (c === 'no-reclaim-alloc') {
        const al = reclaimAllocs(a, ep.fn)[0];
        if (al) { const loc = fromChain(al.chain); ctx.report({ ...loc, related: [...loc.related, reg, ...unread], message: `${what} and allocates with ${al.fn}(${al.gfpBound ?? al.gfp ?? 'GFP_KERNEL'}), which may enter reclaim [${c}]` }); }
      } else if (c === 'no-reclaim-lock') {
        for (const { acq, edge } of await reclaimLockHits(a, ep.fn, { fsOnly: true })) {
          const loc = fromChain(acq.chain);
          ctx.report({ ...loc, related: [...loc.related, ...edge.chain, reg, ...unread], message: `${what} and waits for ${acq.cls}, held elsewhere while allocating with a gfp that may enter reclaim [${c}]` });
        }
      } else if (c === 'no-unbounded-blocking') {
        for (const w of unboundedWaits(a, ep.fn)) { const loc = fromChain(w.chain); ctx.report({ ...loc, related: [...loc.related, reg, ...unread], message: `${what} and waits without a bound in ${w.fn}() [${c}]` }); }
      } else if (c === 'no-sleep') {
        const sl = a.summary(ep.fn).maySleep;
        if (sl) { const loc = fromChain(sl); ctx.report({ ...loc, related: [...loc.related, reg, ...unread], message: `${what}, which must not sleep, and may sleep [${c}]` }); }
      } else if (c === 'leaf-irqsafe-locks-only') {
        for (const acq of a.summary(ep.fn).acquires.values()) {
          const loc = fromChain(acq.chain);
          if (!SPINNING_KINDS.has(acq.kind)) ctx.report({ ...loc, related: [...loc.related, reg], message: `${what} and takes ${acq.cls}, a ${acq.kind} [${c}]` });
          else if (!acq.irqOff) ctx.report({ ...loc, related: [...loc.related, reg], message: `${what} and takes ${acq.cls} with interrupts enabled [${c}]` });
          else {
            const { edges } = await a.edgesFrom(acq.cls);
            if (edges[0]) ctx.report({ ...loc, related: [...loc.related, ...edges[0].chain, reg], message: `${what} and takes ${acq.cls}, which is not a leaf (${acq.cls} -> ${edges[0].to}) [${c}]` });
          }
        }
      }
    }
  },
};
