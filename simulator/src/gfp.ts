/**
 * What a gfp mask means to the simulator: may the allocation sleep, may it
 * enter direct reclaim, and does lockdep's fs_reclaim map see it (only
 * __GFP_FS allocations "take" fs_reclaim; see fs_reclaim_acquire() in
 * mm/page_alloc.c). Unknown masks are treated like GFP_KERNEL, the
 * conservative choice for deadlock checking, and flagged as assumed.
 */
export interface GfpInfo {
  mask: string;
  /** __GFP_DIRECT_RECLAIM: may sleep and may run direct reclaim. */
  mayReclaim: boolean;
  /** __GFP_FS with direct reclaim: lockdep acquires fs_reclaim for it. */
  takesFsReclaim: boolean;
  assumed: boolean;
}

// include/linux/gfp_types.h
const KNOWN: Record<string, { reclaim: boolean; fs: boolean }> = {
  GFP_KERNEL: { reclaim: true, fs: true },
  GFP_KERNEL_ACCOUNT: { reclaim: true, fs: true },
  GFP_USER: { reclaim: true, fs: true },
  GFP_HIGHUSER: { reclaim: true, fs: true },
  GFP_HIGHUSER_MOVABLE: { reclaim: true, fs: true },
  GFP_NOFS: { reclaim: true, fs: false },
  GFP_NOIO: { reclaim: true, fs: false },
  GFP_ATOMIC: { reclaim: false, fs: false },
  GFP_NOWAIT: { reclaim: false, fs: false },
  GFP_DMA: { reclaim: false, fs: false },
  __GFP_NOWARN: { reclaim: false, fs: false },
  __GFP_ZERO: { reclaim: false, fs: false },
  __GFP_NOFAIL: { reclaim: false, fs: false },
  __GFP_NORETRY: { reclaim: false, fs: false },
  __GFP_ACCOUNT: { reclaim: false, fs: false },
  __GFP_HIGH: { reclaim: false, fs: false },
  __GFP_DIRECT_RECLAIM: { reclaim: true, fs: false },
  __GFP_FS: { reclaim: false, fs: true },
};

const cache = new Map<string, GfpInfo>();

export function gfpInfo(mask: string | undefined): GfpInfo {
  const key = (mask ?? 'GFP_KERNEL').trim() || 'GFP_KERNEL';
  const hit = cache.get(key);
  if (hit) return hit;
  let reclaim = false;
  let fs = false;
  let assumed = false;
  let base = false;
  for (const raw of key.split('|')) {
    const f = raw.trim().replace(/^\(|\)$/g, '');
    const k = KNOWN[f];
    if (!k) {
      assumed = true;
      continue;
    }
    if (f.startsWith('GFP_')) base = true;
    reclaim = reclaim || k.reclaim;
    fs = fs || k.fs;
  }
  if (assumed && !base) {
    // No recognisable base mask: assume GFP_KERNEL.
    reclaim = true;
    fs = true;
  }
  const info: GfpInfo = { mask: key, mayReclaim: reclaim, takesFsReclaim: reclaim && fs, assumed };
  cache.set(key, info);
  return info;
}
