/**
 * A SLUB-shaped slab allocator (mm/slub.c, with 6.18-style per-CPU object
 * caches, "sheaves", as the per-CPU layer).
 *
 * - alloc: pop from the CPU's cache; else refill from the node partial list
 *   under kmem_cache_node.list_lock (irqsave); else allocate a new slab from
 *   the page allocator with no slab lock held and run the ctor on every
 *   object in the allocating context (caller's locks, IRQ state and gfp).
 * - free: push to the CPU's cache; when full, flush half to the slabs under
 *   list_lock. A slab that becomes empty while the node already has
 *   min_partial partial slabs is unlinked and, after list_lock is dropped,
 *   freed: the dtor runs on each of its objects first.
 * - shrink (the shrinker the RFC proposes): under memory pressure reclaim
 *   frees every empty slab, so dtors also run inside reclaim.
 *
 * In baseline mode the cache has no ctor/dtor: the same step lists run on
 * every allocation and free instead (what the code did before conversion).
 */
import type { CacheModel } from './model';
import type { Engine } from './engine';
import type { Cpu } from './cpu';
import type { GfpInfo } from './gfp';
import type { Lock } from './locks';
import { FRAME_CTOR, FRAME_DTOR, FRAME_SOFTIRQ, IRQ_SAVE, Instr, OP, ins } from './ops';

const PAGE = 4096;
const MAX_ORDER = 3; // PAGE_ALLOC_COSTLY_ORDER

const ST_FREE_ID = 0;
const ST_FULL = 1;
const ST_PARTIAL = 2;
const ST_NEW = 3;

export class SlubCache {
  readonly objSize: number;
  readonly order: number;
  readonly pagesPerSlab: number;
  readonly objsPerSlab: number;
  readonly minPartial: number;
  readonly rcu: boolean;
  readonly listLocks: Lock[] = [];
  readonly partial: number[][] = [];
  readonly sheaf: Int32Array[] = [];
  readonly sheafN: Int32Array;
  readonly capacity: number;

  private readonly slabFree: number[][] = [];
  private readonly slabInuse: number[] = [];
  private readonly slabNode: number[] = [];
  private readonly slabState: number[] = [];
  private readonly freeIds: number[] = [];

  liveSlabs = 0;
  objectsInUse = 0;
  slabsAllocated = 0;
  slabsFreed = 0;
  ctorRuns = 0;
  dtorRuns = 0;
  dtorRunsInReclaim = 0;
  prewarmedObjects = 0;

  ctorProg: Instr[] | null = null;
  dtorProg: Instr[] | null = null;
  /** Percpu regions and bytes the ctor allocates per object (for charge costs and memory). */
  percpuRegions = 0;
  percpuBytesPerObject = 0;

  private readonly refillProgs = new Map<string, Instr[]>();
  private readonly newSlabProgs = new Map<string, Instr[]>();
  private readonly flushProgs: Instr[][] = [];
  private readonly shrinkProgs: Instr[] = [];
  readonly freeTail: Instr[];

  constructor(readonly id: number, readonly name: string, readonly model: CacheModel, private readonly e: Engine) {
    this.objSize = Math.max(8, Math.ceil((model.objectSize.bytes || 64) / Math.max(8, model.align || 8)) * Math.max(8, model.align || 8));
    // calculate_order(): enough objects per slab for the number of CPUs.
    const minObjects = 4 * (flsInt(e.topo.possibleCpus) + 1);
    let order = 0;
    while (order < MAX_ORDER && Math.floor((PAGE << order) / this.objSize) < minObjects) order++;
    while (Math.floor((PAGE << order) / this.objSize) < 1 && order < 10) order++;
    this.order = order;
    this.pagesPerSlab = 1 << order;
    this.objsPerSlab = Math.max(1, Math.floor((PAGE << order) / this.objSize));
    // set_min_partial(): ilog2(size) / 2 clamped to [5, 10].
    this.minPartial = Math.min(10, Math.max(5, Math.floor(Math.log2(this.objSize) / 2)));
    this.rcu = model.flags.includes('SLAB_TYPESAFE_BY_RCU');
    this.capacity = Math.max(2, Math.round(e.costs.slubSheafCapacity));
    const nodes = e.topo.machine.sockets;
    for (let n = 0; n < nodes; n++) {
      this.listLocks.push(e.locks.ensure(`kmem_cache_node.list_lock[${name}/node${n}]`, 'spin', 2, 'kmem_cache_node.list_lock'));
      this.partial.push([]);
    }
    this.sheafN = new Int32Array(e.cpus.length);
    for (let i = 0; i < e.cpus.length; i++) this.sheaf.push(new Int32Array(this.capacity));
    this.freeTail = [ins(OP.SLUB_FREE_FINISH, id, 0, `kmem_cache_free(${name})`)];
    for (let n = 0; n < nodes; n++) {
      const ll = this.listLocks[n];
      this.flushProgs.push([
        ins(OP.LOCK, ll.id, IRQ_SAVE, `kmem_cache_free(${name}): flush per-CPU cache, spin_lock_irqsave(&n->list_lock)`),
        ins(OP.SLUB_FLUSH_LOCKED, id, n, `kmem_cache_free(${name}): return objects to slabs`),
        ins(OP.UNLOCK, ll.id, 0, `kmem_cache_free(${name}): spin_unlock_irqrestore(&n->list_lock)`),
        ins(OP.SLUB_DISCARD, id, 0, `discard_slab(${name})`),
        ins(OP.SLUB_FREE_FINISH, id, 0, `kmem_cache_free(${name})`),
      ]);
      this.shrinkProgs.push(
        ins(OP.LOCK, ll.id, IRQ_SAVE, `shrink ${name}: spin_lock_irqsave(&n->list_lock)`),
        ins(OP.SLUB_SHRINK_LOCKED, id, n, `shrink ${name}: unlink empty slabs`),
        ins(OP.UNLOCK, ll.id, 0, `shrink ${name}: spin_unlock_irqrestore(&n->list_lock)`),
        ins(OP.SLUB_DISCARD, id, 0, `shrink ${name}: free empty slabs`),
      );
    }
  }

  /** Objects currently constructed but not handed out (ctor/dtor mode). */
  get freeObjects(): number {
    return this.liveSlabs * this.objsPerSlab - this.objectsInUse;
  }

  shrinkProg(): Instr[] {
    return this.shrinkProgs;
  }

  // --- allocation -----------------------------------------------------------

  alloc(c: Cpu, gfp: GfpInfo): void {
    if (this.fromSheaf(c)) return;
    const p = this.nodeProg(this.refillProgs, c, gfp, (ll, node) => [
      ins(OP.LOCK, ll.id, IRQ_SAVE, `kmem_cache_alloc(${this.name}): refill, spin_lock_irqsave(&n->list_lock)`),
      ins(OP.SLUB_REFILL_LOCKED, this.id, node, `kmem_cache_alloc(${this.name}): take objects from partial slabs`),
      ins(OP.UNLOCK, ll.id, 0, `kmem_cache_alloc(${this.name}): spin_unlock_irqrestore(&n->list_lock)`),
      ins(OP.SLUB_ALLOC_RETRY, this.id, 0, `kmem_cache_alloc(${this.name}, ${gfp.mask})`, { gfp }),
    ]);
    this.e.push(c, p, 1, `kmem_cache_alloc(${this.name}) slow path`, 0);
  }

  /** After a refill attempt: take an object, or grow the cache by a slab. */
  retry(c: Cpu, gfp: GfpInfo): void {
    if (this.fromSheaf(c)) return;
    const p = this.nodeProg(this.newSlabProgs, c, gfp, (ll, node) => [
      ins(OP.PAGE_ALLOC, this.pagesPerSlab, 0, `allocate_slab(${this.name}): alloc_pages(order ${this.order}, ${gfp.mask})`, { gfp }),
      ins(OP.SLUB_NEW_SLAB, this.id, node, `allocate_slab(${this.name}): setup_object on ${this.objsPerSlab} objects`),
      ins(OP.LOCK, ll.id, IRQ_SAVE, `kmem_cache_alloc(${this.name}): new slab, spin_lock_irqsave(&n->list_lock)`),
      ins(OP.SLUB_NEW_SLAB_DONE, this.id, node, `kmem_cache_alloc(${this.name}): add new slab`),
      ins(OP.UNLOCK, ll.id, 0, `kmem_cache_alloc(${this.name}): spin_unlock_irqrestore(&n->list_lock)`),
      ins(OP.SLUB_ALLOC_RETRY, this.id, 0, `kmem_cache_alloc(${this.name}, ${gfp.mask})`, { gfp }),
    ]);
    this.e.push(c, p, 1, `allocate_slab(${this.name})`, 0);
  }

  /** The fast path: an object from this CPU's sheaf, when it has one. */
  private fromSheaf(c: Cpu): boolean {
    if (this.sheafN[c.id] <= 0) return false;
    this.deliver(c, this.sheaf[c.id][--this.sheafN[c.id]]);
    return true;
  }

  /** A slow-path program for this CPU's node and gfp, built once and kept. */
  private nodeProg(progs: Map<string, Instr[]>, c: Cpu, gfp: GfpInfo, build: (ll: Lock, node: number) => Instr[]): Instr[] {
    const node = this.e.topo.socket[c.id] % this.listLocks.length;
    const key = `${node}|${gfp.mask}`;
    let p = progs.get(key);
    if (!p) {
      p = build(this.listLocks[node], node);
      progs.set(key, p);
    }
    return p;
  }

  private deliver(c: Cpu, obj: number): void {
    const e = this.e;
    c.objects[this.id].push(obj);
    this.objectsInUse++;
    c.pending += e.costs.slubFastPathNs / 2;
    if (e.baseline) {
      if (this.ctorProg) e.push(c, this.ctorProg, 1, `${this.model.ctor!.name} work in the allocation path (baseline)`, 0);
    } else {
      c.pending += this.percpuRegions * e.costs.pcpuChargeNs;
    }
  }

  refillLocked(c: Cpu, node: number): void {
    const list = this.partial[node];
    const sheaf = this.sheaf[c.id];
    const want = Math.max(1, this.capacity >> 1);
    let moved = 0;
    while (list.length > 0 && this.sheafN[c.id] < want) {
      const s = list[0];
      const free = this.slabFree[s];
      while (free.length > 0 && this.sheafN[c.id] < want) {
        sheaf[this.sheafN[c.id]++] = free.pop()!;
        this.slabInuse[s]++;
        moved++;
      }
      if (free.length === 0) {
        list.shift();
        this.slabState[s] = ST_FULL;
      }
    }
    c.pending += moved * this.e.costs.slubListPerObjectNs;
  }

  /** A slab id with all its objects free, on `node` (a recycled id when there is one). */
  private takeSlab(node: number): number {
    const id = this.freeIds.length ? this.freeIds.pop()! : this.slabFree.length;
    const free: number[] = [];
    for (let i = this.objsPerSlab - 1; i >= 0; i--) free.push(id * this.objsPerSlab + i);
    this.slabFree[id] = free;
    this.slabInuse[id] = 0;
    this.slabNode[id] = node;
    this.liveSlabs++;
    this.slabsAllocated++;
    return id;
  }

  /** Move objects of slab `id` into CPU c's sheaf up to `limit`; the slab goes on its node's partial list if some are left. */
  private fillSheaf(c: Cpu, id: number, node: number, limit: number): void {
    const free = this.slabFree[id];
    const sheaf = this.sheaf[c.id];
    while (free.length > 0 && this.sheafN[c.id] < limit) {
      sheaf[this.sheafN[c.id]++] = free.pop()!;
      this.slabInuse[id]++;
    }
    if (free.length > 0) {
      this.slabState[id] = ST_PARTIAL;
      this.partial[node].push(id);
    } else {
      this.slabState[id] = ST_FULL;
    }
  }

  newSlab(c: Cpu, node: number): void {
    const e = this.e;
    const id = this.takeSlab(node);
    this.slabState[id] = ST_NEW;
    c.newSlabs.push(id);
    c.pending += e.costs.slubNewSlabNs;
    if (!e.baseline && this.ctorProg) {
      this.ctorRuns += this.objsPerSlab;
      e.push(c, this.ctorProg, this.objsPerSlab, `ctor ${this.model.ctor!.name} on a new ${this.name} slab (${this.objsPerSlab} objects)`, FRAME_CTOR);
    }
  }

  newSlabDone(c: Cpu, node: number): void {
    const id = c.newSlabs.pop();
    if (id === undefined) return;
    this.fillSheaf(c, id, node, this.capacity);
  }

  // --- free -------------------------------------------------------------------

  /** kmem_cache_free of the CPU's oldest object while it holds more than `keep`. */
  free(c: Cpu, keep: number): void {
    const mine = c.objects[this.id];
    if (mine.length <= keep) return;
    const e = this.e;
    const obj = mine.shift()!;
    this.objectsInUse--;
    c.freeing.push(obj);
    if (e.baseline) {
      e.push(c, this.freeTail, 1, `kmem_cache_free(${this.name})`, 0);
      if (this.dtorProg) e.push(c, this.dtorProg, 1, `${this.model.dtor!.name} work in the free path (baseline)`, 0);
    } else {
      c.pending += this.percpuRegions * e.costs.pcpuChargeNs;
      this.finishFree(c);
    }
  }

  /** Put the object in the CPU's cache, flushing half of it first when full. */
  finishFree(c: Cpu): void {
    if (this.sheafN[c.id] < this.capacity) {
      this.sheaf[c.id][this.sheafN[c.id]++] = c.freeing.pop()!;
      c.pending += this.e.costs.slubFastPathNs / 2;
      return;
    }
    const node = this.e.topo.socket[c.id] % this.listLocks.length;
    this.e.push(c, this.flushProgs[node], 1, `kmem_cache_free(${this.name}) slow path`, 0);
  }

  /** Under list_lock: return half of the CPU's cache to the slabs (each to its own node's list). */
  flushLocked(c: Cpu): void {
    const e = this.e;
    const sheaf = this.sheaf[c.id];
    const n = Math.ceil(this.sheafN[c.id] / 2);
    for (let k = 0; k < n; k++) {
      const obj = sheaf[--this.sheafN[c.id]];
      const s = Math.floor(obj / this.objsPerSlab);
      this.slabFree[s].push(obj);
      const inuse = --this.slabInuse[s];
      const list = this.partial[this.slabNode[s]];
      if (this.slabState[s] === ST_FULL) {
        this.slabState[s] = ST_PARTIAL;
        list.push(s);
      }
      if (inuse === 0 && list.length > this.minPartial) {
        list.splice(list.indexOf(s), 1);
        this.unlink(c, s);
      }
    }
    c.pending += n * e.costs.slubListPerObjectNs;
  }

  shrinkLocked(c: Cpu, node: number): void {
    const list = this.partial[node];
    let kept = 0;
    for (let i = 0; i < list.length; i++) {
      const s = list[i];
      if (this.slabInuse[s] === 0) this.unlink(c, s);
      else list[kept++] = s;
    }
    c.pending += (list.length - kept + 1) * this.e.costs.slubListPerObjectNs;
    list.length = kept;
  }

  private unlink(c: Cpu, s: number): void {
    this.slabState[s] = ST_NEW; // off every list, about to be freed
    c.discard.push(this.id, s);
  }

  /** Free one unlinked slab: dtor on every object, then the pages. */
  discardOne(c: Cpu, s: number): void {
    const e = this.e;
    this.slabState[s] = ST_FREE_ID;
    this.slabFree[s] = [];
    this.freeIds.push(s);
    this.liveSlabs--;
    this.slabsFreed++;
    e.pagesInUse -= this.pagesPerSlab;
    c.pending += this.pagesPerSlab * e.costs.pageAllocFreeNs / 2;
    if (!e.baseline && this.dtorProg) {
      this.dtorRuns += this.objsPerSlab;
      if (c.inReclaim > 0) this.dtorRunsInReclaim += this.objsPerSlab;
      const where = c.inReclaim > 0 ? ' from reclaim' : this.rcu ? ' from an RCU callback' : '';
      e.push(c, this.dtorProg, this.objsPerSlab, `dtor ${this.model.dtor!.name} on a freed ${this.name} slab${where} (${this.objsPerSlab} objects)`,
        FRAME_DTOR | (this.rcu ? FRAME_SOFTIRQ : 0));
    }
  }

  /**
   * Warm start: hand CPU c `count` constructed objects in its cache, as a
   * long-running benchmark would have, without simulating the warm-up.
   */
  prewarm(c: Cpu, count: number): void {
    const node = this.e.topo.socket[c.id] % this.listLocks.length;
    while (this.sheafN[c.id] < count) {
      const id = this.takeSlab(node);
      this.e.pagesInUse += this.pagesPerSlab;
      this.prewarmedObjects += this.objsPerSlab;
      this.fillSheaf(c, id, node, count);
      if (!this.e.baseline) this.e.percpu.prewarm(this.objsPerSlab * Math.max(0, this.percpuRegions), this.objsPerSlab * this.percpuBytesPerObject);
    }
  }
}

function flsInt(x: number): number {
  return x <= 0 ? 0 : 32 - Math.clz32(x);
}
