/**
 * One simulated CPU: its frame stack (what it is executing), the locks it
 * holds, its IRQ/softirq state and context, and what it is waiting on.
 */
import type { Instr } from './ops';

export const MAX_DEPTH = 64;
export const MAX_HELD = 48;

export const CPU_RUNNING = 0;
/** Spinning on a lock (spinlock, or a mutex whose owner runs). */
export const CPU_SPIN = 1;
/** Sleeping on a mutex. */
export const CPU_SLEEP = 2;
/** Woken mutex waiter on its way back to the CPU. */
export const CPU_WAKING = 3;
export const CPU_DONE = 4;

export const CTX_PROCESS = 0;
export const CTX_SOFTIRQ = 1;
export const CTX_HARDIRQ = 2;

/** What the next event of a CPU means. */
export const EV_RUN = 0;
export const EV_SPIN_TIMEOUT = 1;
export const EV_WAKE = 2;

export class Cpu {
  state = CPU_RUNNING;
  ev = EV_RUN;
  /** Work accumulated since the last synchronisation point. */
  pending = 0;

  // Filled (not holey) arrays keep element loads on V8's fast path.
  readonly progs: Instr[][] = new Array<Instr[]>(MAX_DEPTH).fill([]);
  readonly pcs = new Int32Array(MAX_DEPTH);
  readonly reps = new Int32Array(MAX_DEPTH);
  readonly flags = new Int32Array(MAX_DEPTH);
  readonly labels: string[] = new Array<string>(MAX_DEPTH).fill('');
  depth = 0;

  readonly held = new Int32Array(MAX_HELD);
  readonly heldIrq = new Int32Array(MAX_HELD);
  /** Lockdep class of each held lock (-1 for classes lockdep ignores). */
  readonly heldCls = new Int32Array(MAX_HELD);
  readonly heldSince = new Float64Array(MAX_HELD);
  nheld = 0;
  /** Depth of local_irq_save and irqsave locks. */
  hardirqOff = 0;
  softirqOff = 0;
  context = CTX_PROCESS;
  baseContext = CTX_PROCESS;
  /** >0 while running direct reclaim (PF_MEMALLOC: no recursion). */
  inReclaim = 0;
  /** Number of spinning (atomic) locks held. */
  atomicHeld = 0;

  waitLock = -1;
  waitStart = 0;
  /** Profile bucket the current lock acquisition is charged to (-1: none). */
  curProf = -1;
  /** When the current sleep began, and how long this wait has slept so far. */
  sleepStart = 0;
  waitSleptNs = 0;
  /** Lock ids whose trylock failed: their matching unlock is skipped. */
  readonly trylockFailed: number[] = [];

  /** Objects this CPU holds, per cache, oldest first (workload view). */
  readonly objects: number[][] = [];
  /** Slabs unlinked under list_lock and waiting to be freed (dtors first). */
  readonly discard: number[] = [];
  /** Cache whose slabs `discard` belongs to. */
  discardCache = -1;
  /** Whether the current discard batch runs from reclaim. */
  discardInReclaim = false;

  iterations = 0;
  measuredIterations = 0;
  /** Last completion before the measurement window, and last one inside it. */
  doneBeforeWindow = -1;
  lastDoneAt = -1;
  /** Percpu area allocated past the populated pages: populate before unlocking. */
  needPopulate = false;
  /** Set by a reclaim pass so the allocation that triggered it proceeds. */
  justReclaimed = false;
  /** Slabs being constructed (ctor frames running), innermost last. */
  readonly newSlabs: number[] = [];
  /** Objects on their way back to a cache (dtor-in-hot-path frames running). */
  readonly freeing: number[] = [];
  /** Context saved by frames that switch context (RCU callbacks). */
  readonly savedCtx = new Int32Array(MAX_DEPTH);
  /** Workload program index and remaining repeats (scenario programs). */
  program = 0;
  itersLeft = 0;

  constructor(readonly id: number) {}
}
