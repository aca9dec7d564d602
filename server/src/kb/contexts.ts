/**
 * Execution contexts as data: where a function runs, what holds there, and how the code
 * hands a function to that context (an entry-point pattern). Rules are constraints of a
 * context checked over function summaries (server/src/contexts/). Each entry cites where
 * the fact comes from (Linux 6.12 unless said). `.slabcheck.json` adds contexts and
 * patterns (config/config.ts `contexts`, `entryPoints`).
 */

/** A constraint a context imposes; each is one module in server/src/contexts/constraints/. */
export type ConstraintId =
  /** No allocation with a gfp that may enter direct reclaim. */
  | 'no-reclaim-alloc'
  /** No waiting acquisition of a lock some code holds while allocating with a reclaim-capable gfp. */
  | 'no-reclaim-lock'
  /** No wait without a bound (wait_event, synchronize_rcu, flush_work...). */
  | 'no-unbounded-blocking'
  /** Only leaf spinlocks, taken with interrupts off (the destructor's rules). */
  | 'leaf-irqsafe-locks-only'
  /** Never sleeps (no sleeping lock, no sleeping call). */
  | 'no-sleep'
  /** No call into the ordinary slab/page/vmalloc/percpu allocators (any gfp): only kmalloc_nolock()/kfree_nolock(). */
  | 'no-allocator'
  /** No waiting lock acquisition of any kind: only trylocks (the interrupted code may hold the lock on this CPU). */
  | 'trylock-only';

export interface ContextDef {
  id: string;
  /** Shown in hovers and `slabcheck contexts`: "reclaim (shrinker scan_objects)". */
  title: string;
  maySleep: boolean;
  /** IRQ state on entry: enabled, disabled, or whatever the caller had. */
  irqs: 'enabled' | 'disabled' | 'any';
  inReclaim: boolean;
  nmi: boolean;
  /** What the code that runs the entry point may hold when it does. */
  callerMayHold: string;
  /** Which gfp is safe to allocate with there. */
  safeGfp: string;
  constraints: ConstraintId[];
  source: string;
}

/** How a function becomes an entry point. */
export type EntryPattern =
  /** Stored into a field of a struct: `.scan_objects = f` in an initialiser, `s->scan_objects = f`. */
  | { kind: 'field'; family: string; struct: string; field: string; context: string; role: string; source: string }
  /** Passed as an argument of a registration call: `request_irq(irq, handler, ...)` (arg 1). */
  | { kind: 'call'; family: string; api: string; arg: number; context: string; role: string; source: string }
  /** Defined by a macro that makes the function: `BPF_CALL_2(bpf_map_lookup_elem, ...) { ... }` defines `bpf_map_lookup_elem`. */
  | { kind: 'define'; family: string; macro: RegExp; context: string; role: string; source: string }
  /** Named by a cache creation (`.ctor`, the 5/7-argument form; `.dtor` in the destructor RFC). */
  | { kind: 'cache'; family: 'slab'; slot: 'ctor' | 'dtor'; context: string; role: string; source: string };

const SHRINKER_SRC = 'include/linux/shrinker.h (struct shrinker: count_objects, scan_objects); mm/shrinker.c do_shrink_slab() calls them from shrink_slab()';
const RECLAIM_SRC =
  'reached from direct reclaim (mm/page_alloc.c __perform_reclaim(): fs_reclaim_acquire(gfp), memalloc_noreclaim_save()), ' +
  'kswapd (mm/vmscan.c kswapd(): PF_MEMALLOC | PF_KSWAPD) and memcg reclaim (mm/vmscan.c try_to_free_mem_cgroup_pages(): memalloc_noreclaim_save()); ' +
  'mm/shrinker.c shrink_slab() drops rcu_read_lock() around do_shrink_slab() (6.7+ lockless walk), so callbacks may sleep';

export const CONTEXTS: Record<string, ContextDef> = {
  'slab-ctor': {
    id: 'slab-ctor', title: 'slab constructor (inside kmem_cache_alloc, new slab populated)',
    maySleep: true, irqs: 'any', inReclaim: false, nmi: false,
    callerMayHold: 'whatever the kmem_cache_alloc caller holds (its locks, its IRQ state)',
    safeGfp: "the allocating caller's gfp (RFC: the ctor's gfp argument)",
    constraints: [],
    source: 'mm/slub.c allocate_slab() -> setup_object() runs the ctor for each object of a new slab, with the caller\'s gfp and context',
  },
  'slab-dtor': {
    id: 'slab-dtor', title: 'slab destructor (slab page freed: any context, maybe reclaim)',
    maySleep: false, irqs: 'any', inReclaim: true, nmi: false,
    callerMayHold: 'whatever freed the last object or shrank the cache; an RCU callback for SLAB_TYPESAFE_BY_RCU',
    safeGfp: 'none: a destructor must not allocate',
    constraints: ['no-sleep', 'leaf-irqsafe-locks-only', 'no-reclaim-lock'],
    source: 'destructor RFC (seeds/000): __free_slab() runs the dtor over every object after list_lock was dropped',
  },
  'shrinker-count': {
    id: 'shrinker-count', title: 'reclaim (shrinker count_objects)',
    maySleep: true, irqs: 'enabled', inReclaim: true, nmi: false,
    callerMayHold: 'fs_reclaim (lockdep), and any lock of the task whose allocation entered direct reclaim',
    safeGfp: 'none needed; reclaim runs with PF_MEMALLOC (allocations take the emergency reserves)',
    constraints: ['no-reclaim-alloc', 'no-reclaim-lock', 'no-unbounded-blocking'],
    source: `${SHRINKER_SRC}; ${RECLAIM_SRC}`,
  },
  'shrinker-scan': {
    id: 'shrinker-scan', title: 'reclaim (shrinker scan_objects)',
    maySleep: true, irqs: 'enabled', inReclaim: true, nmi: false,
    callerMayHold: 'fs_reclaim (lockdep), and any lock of the task whose allocation entered direct reclaim; sc->gfp_mask says what that task allows',
    safeGfp: 'none needed; reclaim runs with PF_MEMALLOC (allocations take the emergency reserves); return SHRINK_STOP instead of waiting',
    constraints: ['no-reclaim-alloc', 'no-reclaim-lock', 'no-unbounded-blocking'],
    source: `${SHRINKER_SRC}; ${RECLAIM_SRC}`,
  },
};

const NMI_SRC = 'arch/x86/kernel/nmi.c nmi_handle() runs every nmiaction of the type from exc_nmi() (6.12), with no lock of its own and IRQs off';
const X86_NMI_H = 'arch/x86/include/asm/nmi.h: register_nmi_handler(t, fn, fg, n, init...) is a macro building a static struct nmiaction { .handler = fn } for __register_nmi_handler() (6.12)';
const PERF_SRC = 'kernel/events/core.c perf_event_create_kernel_counter(attr, cpu, task, overflow_handler, context); __perf_event_overflow() calls event->overflow_handler from the PMU interrupt, an NMI on x86 (arch/x86/events/core.c perf_event_nmi_handler()) (6.12)';
const KPROBE_SRC = 'include/linux/kprobes.h struct kprobe { pre_handler, post_handler }; kernel/kprobes.c aggr_pre_handler() and arch/x86/kernel/kprobes/core.c kprobe_int3_handler() run them from the int3 trap with IRQs off, on any code that is not NOKPROBE, NMI handlers included (6.12)';
const FTRACE_SRC = 'include/linux/ftrace.h struct ftrace_ops { ftrace_func_t func; }; kernel/trace/ftrace.c: called from the fentry of every traced function, in whatever context that function runs, NMI included (6.12)';
const TRACEPOINT_SRC = 'include/linux/tracepoint.h DECLARE_TRACE(): register_trace_##name(probe, data); __DO_TRACE() calls the probes where the tracepoint is, in any context (NMI for trace_nmi_handler) (6.12)';
const BPF_SRC = 'include/linux/filter.h BPF_CALL_x(x, attr, name, ...): defines `u64 name(u64 r1..r5)` and the static inline ____name() holding the body; a helper runs inside the BPF program calling it, and perf_event/kprobe/tracepoint programs run in NMI or with the interrupted code\'s locks held (kernel/trace/bpf_trace.c bpf_overflow_handler, trace_call_bpf()) (6.12)';
const IRQ_SRC = 'include/linux/interrupt.h request_irq(irq, handler, flags, name, dev), devm_request_irq(dev, irq, handler, flags, name, dev_id); kernel/irq/manage.c request_threaded_irq(irq, handler, thread_fn, ...), kernel/irq/devres.c devm_request_threaded_irq(dev, irq, handler, thread_fn, ...): kernel/irq/handle.c __handle_irq_event_percpu() calls the primary handler with IRQs off in hardirq context; thread_fn runs in a kernel thread and may sleep (6.12)';
const IRQ_NMI_SRC = 'kernel/irq/manage.c request_nmi(irq, handler, ...), request_percpu_nmi(irq, handler, ...): the handler runs as an NMI (kernel/irq/chip.c handle_fasteoi_nmi()) (6.12)';

/**
 * How strict a context is, for a function several entry points reach: it is checked in the
 * strictest (NMI before tracing before hardirq), once.
 */
export const ATOMIC_CONTEXTS = ['nmi', 'tracing', 'hardirq'] as const;

const ATOMIC: Record<string, ContextDef> = {
  nmi: {
    id: 'nmi', title: 'NMI (non-maskable interrupt handler)',
    maySleep: false, irqs: 'disabled', inReclaim: false, nmi: true,
    callerMayHold: 'any lock of the interrupted code on this CPU, taken with or without irqsave (an NMI is not masked by local_irq_save())',
    safeGfp: 'none: the allocators take per-CPU local locks and spinlocks the interrupted code may hold; kmalloc_nolock()/kfree_nolock() (6.18) are the exception',
    constraints: ['no-allocator', 'trylock-only', 'no-sleep'],
    source: `${NMI_SRC}; ${PERF_SRC}; ${IRQ_NMI_SRC}`,
  },
  tracing: {
    id: 'tracing', title: 'tracing / re-entrant (kprobe, ftrace, tracepoint probe, BPF helper): may run in NMI',
    maySleep: false, irqs: 'any', inReclaim: false, nmi: true,
    callerMayHold: 'any lock of the traced code (a probe on code inside the allocator re-enters it), and in NMI when attached there or to a perf event',
    safeGfp: 'none in general; kmalloc_nolock()/kfree_nolock() (6.18) for re-entrant allocation',
    constraints: ['no-allocator', 'trylock-only', 'no-sleep'],
    source: `${KPROBE_SRC}; ${FTRACE_SRC}; ${TRACEPOINT_SRC}; ${BPF_SRC}`,
  },
  hardirq: {
    id: 'hardirq', title: 'hardirq (primary interrupt handler)',
    maySleep: false, irqs: 'disabled', inReclaim: false, nmi: false,
    callerMayHold: 'the irq descriptor lock is dropped (kernel/irq/handle.c handle_irq_event()); nothing of the interrupted code may be waited for',
    safeGfp: 'GFP_ATOMIC / GFP_NOWAIT',
    constraints: ['no-sleep', 'no-reclaim-alloc'],
    source: IRQ_SRC,
  },
};
Object.assign(CONTEXTS, ATOMIC);

export const ENTRY_PATTERNS: EntryPattern[] = [
  { kind: 'cache', family: 'slab', slot: 'ctor', context: 'slab-ctor', role: 'ctor', source: 'mm/slab_common.c __kmem_cache_create_args()' },
  { kind: 'cache', family: 'slab', slot: 'dtor', context: 'slab-dtor', role: 'dtor', source: 'destructor RFC (seeds/000): struct kmem_cache_args.dtor' },
  { kind: 'field', family: 'shrinker', struct: 'shrinker', field: 'count_objects', context: 'shrinker-count', role: 'count_objects', source: SHRINKER_SRC },
  { kind: 'field', family: 'shrinker', struct: 'shrinker', field: 'scan_objects', context: 'shrinker-scan', role: 'scan_objects', source: SHRINKER_SRC },
  // NMI: argument positions as the kernel declares them (0-based).
  { kind: 'call', family: 'nmi', api: 'register_nmi_handler', arg: 1, context: 'nmi', role: 'nmi handler', source: X86_NMI_H },
  { kind: 'call', family: 'nmi', api: 'perf_event_create_kernel_counter', arg: 3, context: 'nmi', role: 'perf overflow handler', source: PERF_SRC },
  { kind: 'call', family: 'nmi', api: 'request_nmi', arg: 1, context: 'nmi', role: 'nmi handler', source: IRQ_NMI_SRC },
  { kind: 'call', family: 'nmi', api: 'request_percpu_nmi', arg: 1, context: 'nmi', role: 'nmi handler', source: IRQ_NMI_SRC },
  // Tracing and re-entrant code.
  { kind: 'field', family: 'tracing', struct: 'kprobe', field: 'pre_handler', context: 'tracing', role: 'kprobe pre_handler', source: KPROBE_SRC },
  { kind: 'field', family: 'tracing', struct: 'kprobe', field: 'post_handler', context: 'tracing', role: 'kprobe post_handler', source: KPROBE_SRC },
  { kind: 'field', family: 'tracing', struct: 'ftrace_ops', field: 'func', context: 'tracing', role: 'ftrace callback', source: FTRACE_SRC },
  // `register_trace_<event>(probe, data)`: the api is a prefix (one function per tracepoint).
  { kind: 'call', family: 'tracing', api: 'register_trace_*', arg: 0, context: 'tracing', role: 'tracepoint probe', source: TRACEPOINT_SRC },
  { kind: 'define', family: 'tracing', macro: /^BPF_CALL_[0-5]$/, context: 'tracing', role: 'BPF helper', source: BPF_SRC },
  // Hardirq: the primary handler only (the thread_fn of the threaded forms may sleep).
  { kind: 'call', family: 'hardirq', api: 'request_irq', arg: 1, context: 'hardirq', role: 'irq handler', source: IRQ_SRC },
  { kind: 'call', family: 'hardirq', api: 'request_threaded_irq', arg: 1, context: 'hardirq', role: 'irq handler (primary)', source: IRQ_SRC },
  { kind: 'call', family: 'hardirq', api: 'devm_request_irq', arg: 2, context: 'hardirq', role: 'irq handler', source: IRQ_SRC },
  { kind: 'call', family: 'hardirq', api: 'devm_request_threaded_irq', arg: 2, context: 'hardirq', role: 'irq handler (primary)', source: IRQ_SRC },
  { kind: 'call', family: 'hardirq', api: 'request_percpu_irq', arg: 1, context: 'hardirq', role: 'percpu irq handler', source: 'include/linux/interrupt.h request_percpu_irq(irq, handler, devname, percpu_dev_id) -> __request_percpu_irq() (6.12)' },
];

/**
 * Architectures whose PMU overflow interrupt is an NMI (or is handled as one), so a perf overflow
 * handler registered in their arch/ code runs in NMI: x86 (arch/x86/events/core.c
 * perf_event_nmi_handler()), arm64 (drivers/perf/arm_pmu.c request_nmi() with pseudo-NMI),
 * powerpc (arch/powerpc/perf/core-book3s.c perf_event_interrupt(): perf_intr_is_nmi()), sparc
 * (arch/sparc/kernel/perf_event.c perf_event_nmi_handler()) (6.12). Elsewhere in arch/ (riscv's
 * SSCOFPMF overflow, a normal IRQ) the handler runs in hardirq; generic code keeps NMI.
 */
export const PERF_NMI_ARCHES: readonly string[] = ['x86', 'arm64', 'powerpc', 'sparc'];

/** The entry patterns of the NMI, tracing and hardirq families (contexts/atomic-entries.ts reads them). */
export const ATOMIC_PATTERNS = ENTRY_PATTERNS.filter((p) => p.family === 'nmi' || p.family === 'tracing' || p.family === 'hardirq');

/**
 * The shrinker API, both generations. 6.7+ (include/linux/shrinker.h, mm/shrinker.c):
 * shrinker_alloc(flags, fmt, ...) -> struct shrinker *, shrinker_register(), shrinker_free()
 * (unregisters too; the shrinker is freed after an RCU grace period, so the object behind
 * private_data can be freed right after). Up to 6.6 (6.1 mm/vmscan.c): a struct shrinker the
 * caller owns (static or embedded), register_shrinker(s, fmt, ...), unregister_shrinker(s),
 * and the two-step prealloc_shrinker()/register_shrinker_prepared()/free_prealloced_shrinker().
 */
export const SHRINKER_API = {
  alloc: ['shrinker_alloc'],
  register: ['shrinker_register'],
  free: ['shrinker_free'],
  oldRegister: ['register_shrinker', 'prealloc_shrinker', 'register_shrinker_prepared'],
  oldUnregister: ['unregister_shrinker', 'free_prealloced_shrinker'],
  source: 'include/linux/shrinker.h, mm/shrinker.c (6.12); mm/vmscan.c (6.1); lockless-shrink series (seeds/003) patch 43 "mm: shrinker: remove old APIs"',
} as const;

export const SHRINKER_CALLS: readonly string[] = [
  ...SHRINKER_API.alloc, ...SHRINKER_API.register, ...SHRINKER_API.free, ...SHRINKER_API.oldRegister, ...SHRINKER_API.oldUnregister,
];

/** Fields of struct shrinker the registry reads besides the callbacks. */
export const SHRINKER_DATA_FIELDS = ['private_data'];

/** The field names the facts record (a pure, fixed list: config-added fields are read by the registry itself). */
export const ENTRY_FIELDS: readonly string[] = [
  ...new Set([...ENTRY_PATTERNS.flatMap((p) => (p.kind === 'field' ? [p.field] : [])), ...SHRINKER_DATA_FIELDS]),
];

/**
 * Waits without a bound: a callback that makes one can stall every task in reclaim behind it.
 * Bounded variants (`*_timeout`, `msleep`) are not listed. Sources: include/linux/wait.h
 * (wait_event*), kernel/sched/completion.c, kernel/rcu/tree.c, kernel/workqueue.c (6.12).
 */
export const UNBOUNDED_WAITS: Record<string, string> = {
  wait_event: 'include/linux/wait.h', wait_event_interruptible: 'include/linux/wait.h', wait_event_killable: 'include/linux/wait.h',
  wait_event_idle: 'include/linux/wait.h', wait_event_freezable: 'include/linux/wait.h', wait_var_event: 'include/linux/wait_bit.h',
  wait_on_bit: 'include/linux/wait_bit.h', wait_on_bit_lock: 'include/linux/wait_bit.h',
  wait_for_completion: 'kernel/sched/completion.c', wait_for_completion_interruptible: 'kernel/sched/completion.c', wait_for_completion_killable: 'kernel/sched/completion.c',
  synchronize_rcu: 'kernel/rcu/tree.c', synchronize_rcu_expedited: 'kernel/rcu/tree.c', synchronize_srcu: 'kernel/rcu/srcutree.c', synchronize_net: 'net/core/dev.c',
  rcu_barrier: 'kernel/rcu/tree.c', srcu_barrier: 'kernel/rcu/srcutree.c',
  flush_work: 'kernel/workqueue.c', flush_delayed_work: 'kernel/workqueue.c', flush_workqueue: 'kernel/workqueue.c', drain_workqueue: 'kernel/workqueue.c',
  __flush_workqueue: 'kernel/workqueue.c', cancel_work_sync: 'kernel/workqueue.c', cancel_delayed_work_sync: 'kernel/workqueue.c',
  flush_scheduled_work: 'include/linux/workqueue.h', kthread_stop: 'kernel/kthread.c', wait_on_page_writeback: 'mm/page-writeback.c', folio_wait_writeback: 'mm/page-writeback.c',
};

/** Waiting lock ops and their trylock forms (the SHRINK_STOP code action). */
export const TRYLOCK_OF: Record<string, string> = {
  mutex_lock: 'mutex_trylock', down_read: 'down_read_trylock', down_write: 'down_write_trylock',
  spin_lock: 'spin_trylock', read_lock: 'read_trylock', write_lock: 'write_trylock',
};
