/**
 * Kernel functions whose effect we know without reading their bodies: the
 * locks they take inside, whether they may sleep. These win over what a body
 * analysis of the same function would find, so the analysis stays demand
 * driven and does not need mm/ or kernel/ parsed. Each fact cites its source.
 */
import type { LockKind } from './locks';
import { withNoprof } from './allocators';

export interface InternalLock {
  lock: string;
  kind: LockKind;
  irq: 'none' | 'irq' | 'irqsave' | 'bh';
  /** The lock may be taken (a slow path), not always. */
  maybe?: boolean;
  /** Known to be a leaf: nothing is acquired while it is held. */
  leaf?: boolean;
  /** Known to be not a leaf, and why (shown in evidence). */
  nonLeafBecause?: string;
  /**
   * The kernel file that defines this file-static lock: the code's class for it
   * (`percpu.c:pcpu_lock`) is then the knowledge base's (`pcpu_lock`), one class, as lockdep names it.
   */
  definedIn?: string;
  /** What the linux-mm discussion said about it, shown beside what the code shows. */
  saidInDiscussion?: string;
}

export interface KernelFunctionFact {
  locks?: InternalLock[];
  maySleep?: boolean;
  source: string;
  /**
   * The knowledge base answers even where the body is in the workspace, and why: the body has
   * branches a path-insensitive reading cannot tell apart, and the infeasible ones made false findings.
   */
  kbOnly?: string;
}

const LIST_LOCK: InternalLock = {
  lock: 'kmem_cache_node.list_lock', kind: 'spin', irq: 'irqsave', maybe: true,
  nonLeafBecause: 'SLUB takes other locks on some paths while holding list_lock, e.g. slab_lock() in free_debug_processing() (Harry Yoo in the destructor RFC thread, seeds/000: "slab takes list_lock, and it is not a leaf spinlock")',
};
// Harry Yoo in the RFC thread (seeds/000) thought pcpu_lock "seems to be a leaf spinlock"; the 6.12
// source disagrees: free_percpu() (mm/percpu.c:2252-2279) calls pcpu_memcg_free_hook() ->
// obj_cgroup_uncharge() -> refill_obj_stock(), which takes memcg_stock.stock_lock
// (local_lock_irqsave, mm/memcontrol.c) while pcpu_lock is held. No leaf claim is made here: where
// mm/percpu.c is in the workspace its code decides; `slabcheck kb verify` shows the evidence.
const PCPU_LOCK: InternalLock = {
  lock: 'pcpu_lock', kind: 'spin', irq: 'irqsave', definedIn: 'mm/percpu.c',
  saidInDiscussion: 'Harry Yoo, destructor RFC thread (seeds/000): "it seems to be a leaf spinlock"',
};
const PCPU_ALLOC_MUTEX: InternalLock = { lock: 'pcpu_alloc_mutex', kind: 'mutex', irq: 'none', definedIn: 'mm/percpu.c' };
// lib/percpu_counter.c (6.12): a file static; percpu_counter_cpu_dead() (lines 273-283) takes every
// counter's raw fbc->lock while holding it, so it is not a leaf.
const PERCPU_COUNTERS_LOCK: InternalLock = {
  lock: 'percpu_counters_lock', kind: 'spin', irq: 'irqsave', definedIn: 'lib/percpu_counter.c',
  nonLeafBecause: 'percpu_counter_cpu_dead() takes percpu_counter.lock (raw_spin_lock(&fbc->lock)) while holding it (lib/percpu_counter.c, 6.12)',
};

export const KERNEL_FUNCTIONS: Readonly<Record<string, KernelFunctionFact>> = withNoprof({
  // mm/slub.c: freeing may move a slab between lists under n->list_lock.
  kmem_cache_free: { locks: [LIST_LOCK], source: 'mm/slub.c: __slab_free() takes n->list_lock when a slab changes state' },
  kmem_cache_free_bulk: { locks: [LIST_LOCK], source: 'mm/slub.c: __slab_free()' },
  kfree: { locks: [LIST_LOCK], source: 'mm/slub.c: kfree() -> slab_free() -> __slab_free()' },
  // 6.18: objects go to a lock-free deferred list (llist_add) that the next kfree() drains; no lock taken.
  kfree_nolock: { source: 'mm/slub.c kfree_nolock() -> defer_free() (Linux 6.18)' },
  kmalloc_nolock: { source: 'mm/slub.c kmalloc_nolock_noprof(): local_lock_is_locked() checks, trylocks only (Linux 6.18)' },
  kvfree: { locks: [LIST_LOCK], maySleep: false, source: 'mm/util.c: kvfree() -> kfree()/vfree()' },
  kfree_sensitive: { locks: [LIST_LOCK], source: 'mm/slab_common.c' },
  kmem_cache_alloc: { locks: [LIST_LOCK], source: 'mm/slub.c: ___slab_alloc() -> get_partial_node() takes n->list_lock' },
  kmalloc: { locks: [LIST_LOCK], source: 'mm/slub.c' },
  kzalloc: { locks: [LIST_LOCK], source: 'mm/slub.c' },
  // mm/percpu.c (6.12): pcpu_alloc() takes pcpu_alloc_mutex for !atomic gfp, then pcpu_lock irqsave.
  alloc_percpu: { locks: [PCPU_ALLOC_MUTEX, PCPU_LOCK], maySleep: true, source: 'mm/percpu.c: pcpu_alloc() mutex_lock_killable(&pcpu_alloc_mutex); spin_lock_irqsave(&pcpu_lock)' },
  __alloc_percpu: { locks: [PCPU_ALLOC_MUTEX, PCPU_LOCK], maySleep: true, source: 'mm/percpu.c: pcpu_alloc()' },
  alloc_percpu_gfp: { locks: [PCPU_ALLOC_MUTEX, PCPU_LOCK], source: 'mm/percpu.c: pcpu_alloc(); the mutex only for sleeping gfp' },
  __alloc_percpu_gfp: { locks: [PCPU_ALLOC_MUTEX, PCPU_LOCK], source: 'mm/percpu.c: pcpu_alloc()' },
  alloc_percpu_noprof: { locks: [PCPU_ALLOC_MUTEX, PCPU_LOCK], maySleep: true, source: 'include/linux/percpu.h (6.12): pcpu_alloc_noprof(..., GFP_KERNEL)' },
  pcpu_alloc_noprof: { locks: [PCPU_ALLOC_MUTEX, PCPU_LOCK], source: 'mm/percpu.c (6.12): pcpu_alloc_noprof() takes pcpu_alloc_mutex when gfpflags_allow_blocking(gfp)' },
  free_percpu: { locks: [PCPU_LOCK], maySleep: false, source: 'mm/percpu.c: free_percpu() spin_lock_irqsave(&pcpu_lock), then pcpu_schedule_balance_work() after it is released' },
  percpu_counter_init: { locks: [PCPU_ALLOC_MUTEX, PCPU_LOCK, PERCPU_COUNTERS_LOCK], source: 'lib/percpu_counter.c: __percpu_counter_init_many() -> __alloc_percpu_gfp(); list add under percpu_counters_lock' },
  percpu_counter_destroy: { locks: [PERCPU_COUNTERS_LOCK, PCPU_LOCK], maySleep: false, source: 'lib/percpu_counter.c: percpu_counter_destroy() -> percpu_counter_destroy_many(): percpu_counters_lock (CONFIG_HOTPLUG_CPU), then free_percpu()' },
  percpu_counter_destroy_many: { locks: [PERCPU_COUNTERS_LOCK, PCPU_LOCK], maySleep: false, source: 'lib/percpu_counter.c: percpu_counter_destroy_many(): percpu_counters_lock (CONFIG_HOTPLUG_CPU), then free_percpu()' },
  percpu_counter_init_many: { locks: [PCPU_ALLOC_MUTEX, PCPU_LOCK, PERCPU_COUNTERS_LOCK], source: 'lib/percpu_counter.c: __percpu_counter_init_many() -> __alloc_percpu_gfp(); list add under percpu_counters_lock' },
  vfree: { maySleep: true, source: 'mm/vmalloc.c: vfree() may sleep (might_sleep() unless in interrupt, then deferred)' },
  vmalloc: { maySleep: true, source: 'mm/vmalloc.c' },
  synchronize_rcu: { maySleep: true, source: 'kernel/rcu/tree.c' },
  synchronize_srcu: { maySleep: true, source: 'kernel/rcu/srcutree.c' },
  msleep: { maySleep: true, source: 'kernel/time/sleep_timeout.c' },
  ssleep: { maySleep: true, source: 'include/linux/delay.h' },
  usleep_range: { maySleep: true, source: 'kernel/time/sleep_timeout.c' },
  schedule: { maySleep: true, source: 'kernel/sched/core.c' },
  schedule_timeout: { maySleep: true, source: 'kernel/time/sleep_timeout.c' },
  cond_resched: { maySleep: true, source: 'include/linux/sched.h' },
  might_sleep: { maySleep: true, source: 'include/linux/kernel.h' },
  wait_for_completion: { maySleep: true, source: 'kernel/sched/completion.c' },
  wait_event: { maySleep: true, source: 'include/linux/wait.h' },
  wait_event_interruptible: { maySleep: true, source: 'include/linux/wait.h' },
  flush_work: { maySleep: true, source: 'kernel/workqueue.c' },
  flush_workqueue: { maySleep: true, source: 'kernel/workqueue.c' },
  cancel_work_sync: { maySleep: true, source: 'kernel/workqueue.c' },
  cancel_delayed_work_sync: { maySleep: true, source: 'kernel/workqueue.c' },
  rcu_barrier: { maySleep: true, source: 'kernel/rcu/tree.c' },
  copy_from_user: { maySleep: true, source: 'include/linux/uaccess.h (may fault)' },
  copy_to_user: { maySleep: true, source: 'include/linux/uaccess.h (may fault)' },
  get_user: { maySleep: true, source: 'arch uaccess.h (may fault)' },
  put_user: { maySleep: true, source: 'arch uaccess.h (may fault)' },
  kthread_stop: { maySleep: true, source: 'kernel/kthread.c' },
  vunmap: { maySleep: true, source: 'mm/vmalloc.c' },
  kmem_cache_destroy: { maySleep: true, source: 'mm/slab_common.c: takes slab_mutex' },
  kmem_cache_create: { maySleep: true, source: 'mm/slab_common.c: takes slab_mutex' },
  pcpu_alloc: { locks: [PCPU_ALLOC_MUTEX, PCPU_LOCK], source: 'mm/percpu.c: pcpu_alloc_noprof(); the mutex only for sleeping gfp' },
  // set_memory_*()/set_pages_*() reach it through __change_page_attr(). Read as code, its populate_pgd()
  // (get_zeroed_page(GFP_KERNEL)) made every set_pages_wb() caller allocate under its locks (ttm's
  // pool_shrink_rwsem on 6.12); that branch runs only for a cpa with its own page table.
  __cpa_process_fault: {
    maySleep: false,
    source: 'arch/x86/mm/pat/set_memory.c (6.12) __cpa_process_fault(): populate_pgd() only `if (cpa->pgd)` (EFI: kernel_map_pages_in_pgd()); otherwise it returns 0 or -EFAULT',
    kbOnly: 'its allocating branch needs cpa->pgd, which only the EFI page-table mappings set',
  },
  // Every folio_put() reaches it (mm/swap.c __folio_put(): folio_test_hugetlb()). Read as code, its
  // subpool release (unlock_or_release_subpool() -> hugetlb_acct_memory(h, -min_hpages)) looked like the
  // positive-delta branch, gather_surplus_pages() -> cma_alloc() under cma_mutex: every shrinker that frees
  // a page "waited" for cma_mutex on Linux 6.12.
  free_huge_folio: {
    locks: [
      { lock: 'hugepage_subpool.lock', kind: 'spin', irq: 'irqsave' },
      { lock: 'hugetlb_lock', kind: 'spin', irq: 'irqsave' },
    ],
    maySleep: false,
    source: 'mm/hugetlb.c (6.12) free_huge_folio(): hugepage_subpool_put_pages() under spool->lock, hugetlb_lock irqsave; surplus pages freed by update_and_free_hugetlb_folio(h, folio, true), deferred to a workqueue',
    kbOnly: 'its only branch that allocates (hugetlb_acct_memory() with a positive delta) is not reached from the free path',
  },
});

/**
 * Infrastructure the analysis does not descend into: logging, tracing,
 * sanitizer and lockdep hooks, debug objects, preemption points, RCU read
 * side. Their internal locks and allocations handle their own failures and
 * are not what a ctor/dtor does (reading them produced false findings on
 * mainline, e.g. preempt_enable() -> __schedule() and debug_object_init() ->
 * fill_pool()). Names are matched by prefix.
 */
export const OPAQUE_PREFIXES = /^(?:v?sn?printf|v?scnprintf|vsprintf|sprintf|kasprintf|kvasprintf|seq_(?:v?printf|puts|putc|write|escape|pad|hex_dump)|snprint_|sscanf|vsscanf|trace_|__trace_|kasan_|__kasan_|kmsan_|kcsan_|kfence_|lockdep_|debug_object|debug_check_|debug_lockdep|pr_|printk|_printk|vprintk|dev_(?:err|warn|info|dbg|notice|printk)|netdev_(?:err|warn|info|dbg)|WARN|dump_stack|rcu_read_|preempt_|__preempt_|dynamic_preempt|preempt_schedule|__schedule|might_|__might_|kmemleak_|instrument_|check_object_size|fortify_|panic|BUG)/;

/** `percpu.c:pcpu_lock` (the code's name for a file static) -> `pcpu_lock` (the knowledge base's). */
export function kbStaticLockAliases(): Map<string, string> {
  const m = new Map<string, string>();
  for (const f of Object.values(KERNEL_FUNCTIONS)) for (const l of f.locks ?? []) {
    if (l.definedIn) m.set(`${l.definedIn.slice(l.definedIn.lastIndexOf('/') + 1)}:${l.lock}`, l.lock);
  }
  return m;
}

/** Lock classes known to the knowledge base, with leaf facts. */
export function knownLockFacts(): Map<string, InternalLock> {
  const m = new Map<string, InternalLock>();
  for (const f of Object.values(KERNEL_FUNCTIONS)) for (const l of f.locks ?? []) if (!m.has(l.lock)) m.set(l.lock, l);
  return m;
}
