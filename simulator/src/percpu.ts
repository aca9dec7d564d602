/**
 * The percpu allocator (mm/percpu.c) as the simulator sees it.
 *
 * alloc (sleeping gfp): memcg pre-hook (may reclaim: fs_reclaim), then
 * pcpu_alloc_mutex held across the area search and any chunk population;
 * the search itself runs under pcpu_lock (spinlock, irqsave); after the
 * mutex is dropped the area is cleared on every possible CPU. Atomic
 * allocations skip the mutex and never populate. free_percpu takes only
 * pcpu_lock. Population happens when allocated bytes outgrow the populated
 * pages; it allocates a page per possible CPU and maps them, under the mutex.
 */
import type { Engine } from './engine';
import type { GfpInfo } from './gfp';
import type { Lock } from './locks';
import { IRQ_SAVE, Instr, OP, ins } from './ops';
import { MEASURED_POSSIBLE_CPUS } from './costs';
import type { Cpu } from './cpu';

const PAGE = 4096;

export class PercpuAllocator {
  readonly mutex: Lock;
  readonly lock: Lock;
  /** Bytes allocated per CPU unit. */
  allocatedBytes = 0;
  areas = 0;
  populatedBytes = 0;
  allocs = 0;
  frees = 0;
  populations = 0;
  private readonly allocProgs = new Map<string, Instr[]>();
  private readonly freeProgs = new Map<number, Instr[]>();
  private populateProgCache: Instr[] | null = null;

  /** Profile bucket of everything the percpu paths do. */
  readonly prof: number;

  constructor(private readonly e: Engine) {
    this.prof = e.profBucket('percpu allocator');
    this.mutex = e.locks.ensure('pcpu_alloc_mutex', 'mutex', 0);
    this.lock = e.locks.ensure('pcpu_lock', 'spin', e.costs.pcpuMetadataLines);
  }

  allocProg(bytes: number, gfp: GfpInfo, what: string): Instr[] {
    const key = `${bytes}|${gfp.mask}|${what}`;
    const hit = this.allocProgs.get(key);
    if (hit) return hit;
    const k = this.e.costs;
    // The measured path includes clearing on the measuring VM's possible CPUs.
    const outside = Math.max(0, k.pcpuAllocPathNs - k.pcpuAllocLockedNs - MEASURED_POSSIBLE_CPUS * k.pcpuClearPerCpuNs);
    const label = `${what}(${bytes} bytes, ${gfp.mask})`;
    const p: Instr[] = [];
    if (gfp.takesFsReclaim) p.push(ins(OP.MIGHT_LOCK, this.e.fsReclaimClass, 0, `${label}: memcg charge may reclaim`));
    p.push(ins(OP.WORK, outside / 2, 0, `${label}: memcg pre-alloc hook`));
    if (gfp.mayReclaim) p.push(ins(OP.LOCK, this.mutex.id, 0, `${label}: mutex_lock(&pcpu_alloc_mutex)`));
    p.push(ins(OP.LOCK, this.lock.id, IRQ_SAVE, `${label}: spin_lock_irqsave(&pcpu_lock)`));
    p.push(ins(OP.WORK, k.pcpuAllocLockedNs, 0, `${label}: area search`));
    p.push(ins(OP.PCPU_AREA_ALLOC, bytes, gfp.mayReclaim ? 1 : 0, `${label}: pcpu_alloc_area`));
    p.push(ins(OP.UNLOCK, this.lock.id, 0, `${label}: spin_unlock_irqrestore(&pcpu_lock)`));
    if (gfp.mayReclaim) {
      p.push(ins(OP.PCPU_POPULATED, 0, 0, `${label}: populate chunk if needed`));
      p.push(ins(OP.UNLOCK, this.mutex.id, 0, `${label}: mutex_unlock(&pcpu_alloc_mutex)`));
    }
    p.push(ins(OP.WORK, this.e.topo.possibleCpus * k.pcpuClearPerCpuNs, 0, `${label}: clear area on each possible CPU`));
    p.push(ins(OP.WORK, outside / 2, 0, `${label}: memcg post-alloc hook`));
    for (const x of p) x.prof = this.prof;
    this.allocProgs.set(key, p);
    return p;
  }

  /** free_percpu of an area of `bytes` (0: unknown, the mean area size is released). */
  freeProg(bytes = 0): Instr[] {
    const hit = this.freeProgs.get(bytes);
    if (hit) return hit;
    const k = this.e.costs;
    const outside = Math.max(0, k.pcpuFreePathNs - k.pcpuFreeLockedNs);
    const p = [
      ins(OP.WORK, outside / 2, 0, 'free_percpu: lookup chunk'),
      ins(OP.LOCK, this.lock.id, IRQ_SAVE, 'free_percpu: spin_lock_irqsave(&pcpu_lock)'),
      ins(OP.WORK, k.pcpuFreeLockedNs, 0, 'free_percpu: pcpu_free_area'),
      ins(OP.PCPU_AREA_FREE, bytes, 0, 'free_percpu'),
      ins(OP.UNLOCK, this.lock.id, 0, 'free_percpu: spin_unlock_irqrestore(&pcpu_lock)'),
      ins(OP.WORK, outside / 2, 0, 'free_percpu: memcg uncharge'),
    ];
    for (const x of p) x.prof = this.prof;
    this.freeProgs.set(bytes, p);
    return p;
  }

  /** Runs under pcpu_lock: account the area, note whether pages must be populated. */
  areaAlloc(c: Cpu, bytes: number, mayPopulate: boolean): void {
    this.allocatedBytes += bytes;
    this.areas++;
    this.allocs++;
    if (mayPopulate && this.allocatedBytes > this.populatedBytes) c.needPopulate = true;
    else if (!mayPopulate && this.allocatedBytes > this.populatedBytes) {
      // Atomic allocations use already populated pages only; the balance work
      // (not modelled) would populate more. Count the shortfall as populated.
      this.populatedBytes = Math.ceil(this.allocatedBytes / PAGE) * PAGE;
    }
  }

  areaFree(bytes: number): void {
    if (this.areas === 0) return;
    // Without a known size, release the mean area size.
    this.allocatedBytes -= bytes > 0 ? Math.min(bytes, this.allocatedBytes) : this.allocatedBytes / this.areas;
    this.areas--;
    this.frees++;
  }

  /** Under the mutex after the search: push the population frame when needed. */
  populateIfNeeded(c: Cpu): void {
    if (!c.needPopulate) return;
    c.needPopulate = false;
    if (!this.populateProgCache) {
      const k = this.e.costs;
      const pages = this.e.topo.possibleCpus;
      this.populateProgCache = [
        ins(OP.MIGHT_LOCK, this.e.fsReclaimClass, 0, 'pcpu_populate_chunk: alloc pages (GFP_KERNEL)'),
        ins(OP.WORK, pages * k.pageAllocFreeNs / 2 + k.pcpuPopulateMapNs, 0, `pcpu_populate_chunk: ${pages} pages + map`),
        ins(OP.LOCK, this.lock.id, IRQ_SAVE, 'pcpu_chunk_populated: spin_lock_irqsave(&pcpu_lock)'),
        ins(OP.WORK, 50, 0, 'pcpu_chunk_populated'),
        ins(OP.UNLOCK, this.lock.id, 0, 'pcpu_chunk_populated: spin_unlock_irqrestore(&pcpu_lock)'),
      ];
      for (const x of this.populateProgCache) x.prof = this.prof;
    }
    this.populations++;
    this.populatedBytes += PAGE;
    this.e.push(c, this.populateProgCache, 1, 'pcpu_populate_chunk', 0);
  }

  /** Areas held by prewarmed constructed objects (no simulated cost). */
  prewarm(areas: number, bytes: number): void {
    this.areas += areas;
    this.allocatedBytes += bytes;
    if (this.allocatedBytes > this.populatedBytes) this.populatedBytes = Math.ceil(this.allocatedBytes / PAGE) * PAGE;
  }
}
