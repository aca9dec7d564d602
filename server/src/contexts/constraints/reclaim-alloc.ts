/** Constraint `no-reclaim-alloc`: the function, or what it calls, allocates with a gfp that may enter direct reclaim. */
import type { AllocUse, Analysis, FnRef } from '../../index/analysis';

export function reclaimAllocs(a: Analysis, fn: FnRef): AllocUse[] {
  return a.summary(fn).allocs.filter((x) => x.gfpClass === 'sleep');
}
