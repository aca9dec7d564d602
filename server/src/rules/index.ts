/** Every rule, in the order findings are listed. */
import { ctorAllocates } from './ctor-allocates';
import { ctorDtorCandidate } from './ctor-dtor-candidate';
import { ctorDtorPairing } from './ctor-dtor-pairing';
import { ctorIgnoresGfp } from './ctor-ignores-gfp';
import { ctorLockInversion } from './ctor-lock-inversion';
import { ctorMaySleepInAtomic } from './ctor-may-sleep-in-atomic';
import { dtorAllocates } from './dtor-allocates';
import { dtorFreesToSlab } from './dtor-frees-to-slab';
import { dtorIrqUnsafeLock } from './dtor-irq-unsafe-lock';
import { dtorMaySleep } from './dtor-may-sleep';
import { dtorNonLeafLock } from './dtor-non-leaf-lock';
import { dtorReclaimDeadlock } from './dtor-reclaim-deadlock';
import { dtorSleepingLock } from './dtor-sleeping-lock';
import { lockImbalance } from './lock-imbalance';
import { semanticsMismatch } from './semantics-mismatch';
import { unresolvedCtorDtor } from './unresolved-ctor-dtor';
import { analysisLimit } from './analysis-limit';
import { shrinkerReclaimAlloc } from './shrinker-reclaim-alloc';
import { shrinkerReclaimDeadlock } from './shrinker-reclaim-deadlock';
import { shrinkerUnboundedWait } from './shrinker-unbounded-wait';
import { shrinkerRemovedApi } from './shrinker-removed-api';
import { shrinkerLifetime } from './shrinker-lifetime';
import { shrinkerUnresolvedCallback } from './shrinker-unresolved-callback';
import { contextConstraint } from './context-constraint';
import { nmiAllocatorCall } from './nmi-allocator-call';
import { nmiWaitingLock } from './nmi-waiting-lock';
import { nmiNolockUnchecked } from './nmi-nolock-unchecked';
import { nmiKfreeNolockMismatch } from './nmi-kfree-nolock-mismatch';
import { nmiUnresolvedEntry } from './nmi-unresolved-entry';
import { irqSleepingLock } from './irq-sleeping-lock';
import { irqReclaimAlloc } from './irq-reclaim-alloc';
import { irqMaySleep } from './irq-may-sleep';
import { internalError } from './internal-error';
import { lockRuleTrylockOnly } from './lock-rule-trylock-only';
import { lockRuleHolderSleeps } from './lock-rule-holder-sleeps';
import { lockRuleMustHold } from './lock-rule-must-hold';
import { lockRuleTrylockIgnored } from './lock-rule-trylock-ignored';
import { lockRuleAtomicOnly } from './lock-rule-atomic-only';
import { lockRuleHeldUnderOutlier } from './lock-rule-held-under-outlier';
import type { Rule } from './types';

export const RULES: Rule[] = [
  dtorNonLeafLock, dtorSleepingLock, dtorMaySleep, dtorAllocates, dtorFreesToSlab, dtorIrqUnsafeLock, dtorReclaimDeadlock,
  ctorAllocates, ctorMaySleepInAtomic, ctorIgnoresGfp, ctorDtorPairing, ctorLockInversion, lockImbalance, ctorDtorCandidate, semanticsMismatch,
  shrinkerReclaimDeadlock, shrinkerReclaimAlloc, shrinkerUnboundedWait, shrinkerRemovedApi, shrinkerLifetime, shrinkerUnresolvedCallback, contextConstraint,
  lockRuleTrylockOnly, lockRuleHolderSleeps, lockRuleMustHold, lockRuleTrylockIgnored, lockRuleAtomicOnly, lockRuleHeldUnderOutlier,
  nmiAllocatorCall, nmiWaitingLock, nmiNolockUnchecked, nmiKfreeNolockMismatch, irqSleepingLock, irqReclaimAlloc, irqMaySleep, nmiUnresolvedEntry,
  unresolvedCtorDtor, analysisLimit, internalError,
];

export const RULE_IDS = RULES.map((r) => r.meta.id);

export function ruleById(id: string): Rule | undefined {
  return RULES.find((r) => r.meta.id === id);
}
