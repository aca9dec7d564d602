/**
 * The discrete-event engine: N simulated CPUs interpreting instruction
 * programs against shared state (locks, slab caches, the percpu allocator),
 * ordered by an event queue in simulated nanoseconds.
 *
 * A CPU runs instructions until it must synchronise with the others: work
 * only accumulates local time, and the next lock or allocator operation is
 * executed once global time has caught up (one queue event). A CPU waiting
 * on a lock has no event; the releaser schedules it. Budgets (events,
 * simulated time, operations without progress, frame depth) stop runaway
 * runs with a message instead of hanging.
 */
import type { CacheModel } from './model';
import type { Costs } from './costs';
import { Topology, type MachineSpec } from './machine';
import { Rng } from './rng';
import { EventQueue } from './event-queue';
import { Timeline, A_ALLOC, A_CTOR, A_DTOR, A_FREE, A_RECLAIM_ENTER, A_RECLAIM_EXIT } from './timeline';
import { Lockdep } from './lockdep';
import { Lock, LockTable, LK_SPIN, LK_LOCAL, LK_RCU, type LockHost } from './locks';
import {
  Cpu, CPU_DONE, CPU_RUNNING, CPU_SPIN, CPU_WAKING, CTX_HARDIRQ, CTX_SOFTIRQ,
  EV_RUN, EV_SPIN_TIMEOUT, EV_WAKE, MAX_DEPTH,
} from './cpu';
import { FRAME_CTOR, FRAME_DTOR, FRAME_RECLAIM, FRAME_SOFTIRQ, Instr, OP, ins } from './ops';
import { PercpuAllocator } from './percpu';
import { SlubCache } from './slub';
import { Compiler } from './compile';
import { KERNEL_CALLS, isPercpuAllocator } from './kernel-calls';
import type { ScenarioStep } from './scenario-types';
import type { DeadlockReport, MemorySample, RunResult, StopInfo } from './result';
import { deadlockReport, memorySample, runResult, stallReport } from './engine-results';

/** Operations a CPU may execute without simulated time advancing. */
const NO_PROGRESS_LIMIT = 1_000_000;

export interface Workload {
  readonly name: string;
  /** Label of a CPU's top frame ("exec() iteration"). */
  readonly label: string;
  /** Every CPU runs until the end (never idle): busy time is the window minus sleeping. */
  readonly looping?: boolean;
  setup(e: Engine): void;
  /** The CPU's next program, or null when it is done. */
  next(e: Engine, c: Cpu): Instr[] | null;
}

export interface EngineConfig {
  machine: MachineSpec;
  ncpus: number;
  costs: Costs;
  seed: number;
  mode: 'baseline' | 'ctor-dtor';
  /** End of the run in simulated ns (Infinity: until every program finished). */
  durationNs: number;
  /** Iterations completed before this are not counted in throughput. */
  warmupNs: number;
  maxEvents: number;
  maxSimNs: number;
  timelineDepth: number;
  sampleEveryNs: number;
  models: CacheModel[];
  workload: Workload;
  pressure: boolean;
  pressureFromNs: number;
  functions: Record<string, ScenarioStep[]>;
  locks: Array<{ name: string; kind: string }>;
}

export class Engine implements LockHost {
  now = 0;
  readonly costs: Costs;
  readonly topo: Topology;
  readonly rng: Rng;
  readonly cpus: Cpu[] = [];
  readonly queue: EventQueue;
  readonly timeline: Timeline;
  readonly lockdep: Lockdep;
  readonly locks: LockTable;
  readonly percpu: PercpuAllocator;
  readonly caches: SlubCache[] = [];
  readonly compiler: Compiler;
  readonly baseline: boolean;
  readonly fsReclaim: Lock;
  readonly fsReclaimClass: number;
  private readonly listLockClass: number;
  private readonly reclaimProg: Instr[];
  private readonly cacheIds = new Map<string, number>();

  events = 0;
  pagesInUse = 0;
  /** Where CPU time goes after warm-up: bucket names and nanoseconds (bucket 0: everything unlabelled). */
  readonly profNames: string[] = ['other'];
  readonly profNs: number[] = [0];
  private readonly profIds = new Map<string, number>([['other', 0]]);
  /** Time CPUs slept on locks after warm-up (not CPU time). */
  sleptNs = 0;
  /** Workload flags (SET_FLAG / SKIP_IF_FLAG). */
  readonly flags: number[] = [];
  reclaimPasses = 0;
  pressure: boolean;
  private halted: StopInfo | null = null;
  private deadlockReport: DeadlockReport | null = null;
  private readonly samples: MemorySample[] = [];
  private nextSample = 0;

  constructor(readonly cfg: EngineConfig) {
    this.costs = cfg.costs;
    this.topo = new Topology(cfg.machine, cfg.ncpus, cfg.costs);
    this.rng = new Rng(cfg.seed);
    this.baseline = cfg.mode === 'baseline';
    this.pressure = cfg.pressure;
    for (let i = 0; i < cfg.ncpus; i++) this.cpus.push(new Cpu(i));
    this.queue = new EventQueue(cfg.ncpus);
    this.timeline = new Timeline(cfg.ncpus, cfg.timelineDepth);
    this.lockdep = new Lockdep({ context: (cpu) => this.context(this.cpus[cpu]), heldNames: (cpu) => this.heldNames(this.cpus[cpu]) });
    this.locks = new LockTable(this, cfg.ncpus, (s) => this.timeline.intern(s));
    this.fsReclaim = this.locks.ensure('fs_reclaim', 'pseudo');
    this.fsReclaimClass = this.fsReclaim.cls;
    this.listLockClass = this.lockdep.classId('kmem_cache_node.list_lock', false);
    this.percpu = new PercpuAllocator(this);
    this.compiler = new Compiler(this, cfg.functions);
    for (const l of cfg.locks) this.compiler.declare(l.name, l.kind);
    for (const m of cfg.models) {
      const c = new SlubCache(this.caches.length, m.name, m, this);
      this.cacheIds.set(m.name, c.id);
      this.caches.push(c);
      for (const cpu of this.cpus) cpu.objects.push([]);
    }
    for (const c of this.caches) {
      if (c.model.ctor) this.compiler.learnKinds(c.model.ctor.steps);
      if (c.model.dtor) this.compiler.learnKinds(c.model.dtor.steps);
    }
    for (const steps of Object.values(cfg.functions)) this.compiler.learnKinds(steps);
    for (const c of this.caches) {
      const m = c.model;
      const sizes: number[] = [];
      for (const s of m.ctor?.steps ?? []) {
        let bytes = -1;
        if (s.kind === 'alloc' && (s.percpu || isPercpuAllocator(s.allocator))) bytes = s.bytes ?? 16;
        else if (s.kind === 'call') { const k = KERNEL_CALLS[s.fn]; if (k?.kind === 'percpu-alloc') bytes = k.bytes; }
        if (bytes >= 0) {
          c.percpuRegions++;
          c.percpuBytesPerObject += bytes;
          sizes.push(bytes);
        }
      }
      if (m.ctor) c.ctorProg = this.compiler.compile(m.ctor.steps, `ctor ${m.ctor.name}`);
      // The dtor releases what the ctor allocated, in reverse order.
      if (m.dtor) c.dtorProg = this.compiler.compile(m.dtor.steps, `dtor ${m.dtor.name}`, sizes.reverse());
    }
    this.reclaimProg = [
      ins(OP.LOCK, this.fsReclaim.id, 0, 'direct reclaim: fs_reclaim_acquire'),
      ins(OP.WORK, cfg.costs.reclaimPassNs, 0, 'direct reclaim: shrink LRU lists'),
      ins(OP.SLUB_SHRINK_ALL, 0, 0, 'direct reclaim: slab shrinker frees empty slabs'),
      ins(OP.UNLOCK, this.fsReclaim.id, 0, 'direct reclaim: fs_reclaim_release'),
      ins(OP.RECLAIM_EXIT, 0, 0, 'direct reclaim done'),
    ];
    cfg.workload.setup(this);
  }

  /** The id of profile bucket `name`, created on first use. */
  profBucket(name: string): number {
    let id = this.profIds.get(name);
    if (id === undefined) {
      id = this.profNames.length;
      this.profIds.set(name, id);
      this.profNames.push(name);
      this.profNs.push(0);
    }
    return id;
  }

  profile(c: Cpu, ns: number): void {
    if (this.now >= this.cfg.warmupNs) this.profNs[c.curProf < 0 ? 0 : c.curProf] += ns;
  }

  slept(_c: Cpu, ns: number): void {
    if (this.now >= this.cfg.warmupNs) this.sleptNs += ns;
  }

  cacheByName(name: string): SlubCache | undefined {
    const id = this.cacheIds.get(name);
    return id === undefined ? undefined : this.caches[id];
  }

  // --- LockHost -------------------------------------------------------------

  schedule(c: Cpu, t: number, ev: number): void {
    c.ev = ev;
    // Spin timeouts all last mutexSpinLimitNs: they arrive in time order.
    if (ev === EV_SPIN_TIMEOUT) this.queue.setFifo(c.id, t);
    else this.queue.set(c.id, t);
  }

  unschedule(c: Cpu): void {
    this.queue.remove(c.id);
  }

  rec(c: Cpu, action: number, subject: number): void {
    this.timeline.record(c.id, this.now, action, subject);
  }

  atomicWhy(c: Cpu): string | null {
    if (c.context === CTX_HARDIRQ) return 'in hardirq context';
    if (c.context === CTX_SOFTIRQ) return 'in softirq context';
    if (c.atomicHeld > 0) {
      for (let i = c.nheld - 1; i >= 0; i--) {
        const l = this.locks.locks[c.held[i]];
        if (l.kind === LK_SPIN || l.kind === LK_LOCAL || l.kind === LK_RCU) return `while holding ${l.className} (${l.kindName})`;
      }
    }
    if (c.hardirqOff > 0) return 'with interrupts disabled';
    return null;
  }

  deadlock(chain: number[], lock: Lock): void {
    this.deadlockReport = deadlockReport(this, chain, lock);
    this.halt('deadlock', `DEADLOCK at ${this.now} ns: ${this.deadlockReport.message}`);
  }

  imbalance(c: Cpu, lock: Lock, what: string): void {
    this.lockdep.other({
      kind: 'lock-imbalance', severity: 'error', message: `WARNING: bad unlock balance detected: ${what}`,
      locks: [lock.className], cpu: c.id, tNs: this.now, context: this.context(c), held: this.heldNames(c),
    }, `imb:${lock.className}:${what}`);
  }

  // --- frames -----------------------------------------------------------------

  push(c: Cpu, prog: Instr[], rep: number, label: string, flags: number): void {
    if (c.depth >= MAX_DEPTH) {
      this.halt('recursion', `CPU${c.id}: call depth exceeded ${MAX_DEPTH} frames at ${this.now} ns (${label}); `
        + `a ctor that allocates from its own cache, or a step list that calls itself, cannot terminate. Innermost frames: `
        + c.labels.slice(Math.max(0, c.depth - 4), c.depth).join(' > '));
      return;
    }
    const d = c.depth++;
    c.progs[d] = prog;
    c.pcs[d] = 0;
    c.reps[d] = rep;
    c.flags[d] = flags;
    c.labels[d] = label;
    if (flags !== 0) {
      if (flags & FRAME_RECLAIM) { c.inReclaim++; this.rec(c, A_RECLAIM_ENTER, this.timeline.intern(label)); }
      if (flags & FRAME_SOFTIRQ) { c.savedCtx[d] = c.context; c.context = CTX_SOFTIRQ; }
      if (flags & FRAME_CTOR) this.rec(c, A_CTOR, this.timeline.intern(label));
      if (flags & FRAME_DTOR) this.rec(c, A_DTOR, this.timeline.intern(label));
    }
  }

  private pop(c: Cpu): void {
    const d = --c.depth;
    const flags = c.flags[d];
    if (flags !== 0) {
      if (flags & FRAME_RECLAIM) { c.inReclaim--; this.rec(c, A_RECLAIM_EXIT, this.timeline.intern(c.labels[d])); }
      if (flags & FRAME_SOFTIRQ) c.context = c.savedCtx[d];
    }
    c.progs[d] = EMPTY;
  }

  /** Interned label of an instruction (cached on it). */
  private sid(x: Instr): number {
    if (x.sid < 0) x.sid = this.timeline.intern(x.label);
    return x.sid;
  }

  private pushReclaim(c: Cpu): void {
    this.push(c, this.reclaimProg, 1, 'direct reclaim (memory pressure)', FRAME_RECLAIM);
  }

  private underPressure(): boolean {
    return this.pressure || (this.cfg.pressureFromNs >= 0 && this.now >= this.cfg.pressureFromNs);
  }


  /**
   * An allocation that may reclaim: lockdep's fs_reclaim annotation, the
   * sleeping check, and under memory pressure a detour through reclaim first
   * (the op is re-run after it). True when the detour was taken.
   */
  private reclaimFirst(c: Cpu, x: Instr, d: number): boolean {
    const gfp = x.gfp!;
    if (gfp.takesFsReclaim) this.lockdep.annotate(this.fsReclaimClass, c.heldCls, c.nheld, c.id, this.now);
    if (gfp.mayReclaim) {
      this.checkSleep(c, `${x.label} (may sleep)`);
      if (this.underPressure() && c.inReclaim === 0 && !c.justReclaimed) {
        c.pcs[d]--;
        this.pushReclaim(c);
        return true;
      }
    }
    c.justReclaimed = false;
    return false;
  }
  private checkSleep(c: Cpu, what: string): void {
    const why = this.atomicWhy(c);
    if (why !== null) this.lockdep.sleepInAtomic(what, why, c.id, this.now, this.context(c), this.heldNames(c));
  }

  // --- the interpreter --------------------------------------------------------

  private run(c: Cpu): void {
    const jitter = this.costs.workJitter;
    const scale = this.topo.workScale[c.id];
    const prof = this.profNs;
    const counting = this.now >= this.cfg.warmupNs;
    let budget = NO_PROGRESS_LIMIT;
    for (;;) {
      if (--budget === 0) {
        this.halt('runaway', `CPU${c.id} executed ${NO_PROGRESS_LIMIT} operations at ${this.now} ns without simulated time advancing `
          + `(${c.labels[Math.max(0, c.depth - 1)] ?? 'no frame'}); a step list loops without doing work`);
        return;
      }
      const d = c.depth - 1;
      if (d < 0) {
        const p = this.cfg.workload.next(this, c);
        if (p === null) {
          if (c.pending > 0) { this.schedule(c, this.now + Math.round(c.pending), EV_RUN); c.pending = 0; return; }
          c.state = CPU_DONE;
          return;
        }
        this.push(c, p, 1, this.cfg.workload.label, 0);
        continue;
      }
      const prog = c.progs[d];
      let pc = c.pcs[d];
      if (pc >= prog.length) {
        if (c.reps[d] > 1) { c.reps[d]--; c.pcs[d] = 0; } else this.pop(c);
        continue;
      }
      let x = prog[pc];
      if (x.op === OP.WORK) {
        // Consecutive work in this frame accumulates without leaving the loop.
        let pending = c.pending;
        do {
          let ns = x.m === 2 ? x.n : x.n * scale;
          if (x.m === 1) ns *= 1 + jitter * (2 * this.rng.float() - 1);
          // Whole nanoseconds keep timelines readable; the rounding is unbiased.
          const r = Math.round(ns);
          pending += r;
          if (counting) prof[x.prof < 0 ? 0 : x.prof] += r;
          pc++;
          if (pc >= prog.length) break;
          x = prog[pc];
        } while (x.op === OP.WORK);
        c.pending = pending;
        c.pcs[d] = pc;
        continue;
      }
      // Everything else touches shared state: run it at the right global time.
      if (c.pending > 0) {
        // Whole nanoseconds keep timelines readable (allocator halves are x.5).
        this.schedule(c, this.now + Math.round(c.pending), EV_RUN);
        c.pending = 0;
        return;
      }
      c.pcs[d] = pc + 1;
      if (!this.exec(c, x, d)) return;
      if (this.halted) return;
    }
  }

  /** One non-work instruction; false when the CPU now waits. */
  private exec(c: Cpu, x: Instr, d: number): boolean {
    const costs = this.costs;
    switch (x.op) {
      case OP.LOCK:
        c.curProf = x.prof;
        return this.locks.acquire(c, this.locks.locks[x.n], x.m, x.t === true);
      case OP.SET_FLAG:
        this.flags[x.n] = x.m;
        return true;
      case OP.SKIP_IF_FLAG:
        if (this.flags[x.n]) c.pcs[d] += x.m;
        return true;
      case OP.UNLOCK:
        this.locks.release(c, this.locks.locks[x.n]);
        return true;
      case OP.MIGHT_LOCK:
        this.lockdep.annotate(x.n, c.heldCls, c.nheld, c.id, this.now);
        return true;
      case OP.SLEEP:
        this.checkSleep(c, x.label);
        c.pending += x.n;
        return true;
      case OP.ALLOC: {
        if (this.reclaimFirst(c, x, d)) return true;
        c.pending += x.n === 1 ? costs.pageAllocFreeNs / 2 : costs.slubFastPathNs / 2;
        this.rec(c, A_ALLOC, this.sid(x));
        return true;
      }
      case OP.FREE:
        // kfree/kmem_cache_free may take kmem_cache_node.list_lock (not a leaf).
        if (x.n === 0) this.lockdep.annotate(this.listLockClass, c.heldCls, c.nheld, c.id, this.now);
        c.pending += x.n === 1 ? costs.pageAllocFreeNs / 2 : costs.slubFastPathNs / 2;
        this.rec(c, A_FREE, this.sid(x));
        return true;
      case OP.PCPU_ALLOC:
        if (x.gfp!.mayReclaim) this.checkSleep(c, `${x.label} (takes pcpu_alloc_mutex)`);
        this.rec(c, A_ALLOC, this.sid(x));
        this.push(c, x.sub!, 1, x.label, 0);
        return true;
      case OP.PCPU_FREE:
        this.rec(c, A_FREE, this.sid(x));
        this.push(c, x.sub!, 1, x.label, 0);
        return true;
      case OP.SLAB_ALLOC: {
        const gfp = x.gfp!;
        // slab_pre_alloc_hook -> might_alloc(): fs_reclaim annotation, might_sleep.
        if (gfp.takesFsReclaim) this.lockdep.annotate(this.fsReclaimClass, c.heldCls, c.nheld, c.id, this.now);
        if (gfp.mayReclaim) this.checkSleep(c, `${x.label} (may sleep)`);
        this.rec(c, A_ALLOC, this.sid(x));
        this.caches[x.n].alloc(c, gfp);
        return true;
      }
      case OP.SLAB_FREE:
        this.caches[x.n].free(c, x.m);
        return true;
      case OP.PUSH:
        this.push(c, x.sub!, x.n, x.label, 0);
        return true;
      case OP.ITER_END:
        c.iterations++;
        if (this.now >= this.cfg.warmupNs) {
          c.measuredIterations++;
          c.lastDoneAt = this.now;
        } else c.doneBeforeWindow = this.now;
        return true;
      case OP.RECLAIM:
        if (c.inReclaim === 0) this.pushReclaim(c);
        return true;
      case OP.PRESSURE:
        this.pressure = x.n === 1;
        return true;
      case OP.SLUB_REFILL_LOCKED:
        this.caches[x.n].refillLocked(c, x.m);
        return true;
      case OP.SLUB_ALLOC_RETRY:
        this.caches[x.n].retry(c, x.gfp!);
        return true;
      case OP.SLUB_NEW_SLAB:
        this.caches[x.n].newSlab(c, x.m);
        return true;
      case OP.SLUB_NEW_SLAB_DONE:
        this.caches[x.n].newSlabDone(c, x.m);
        return true;
      case OP.SLUB_FLUSH_LOCKED:
        this.caches[x.n].flushLocked(c);
        return true;
      case OP.SLUB_FREE_FINISH:
        this.caches[x.n].finishFree(c);
        return true;
      case OP.SLUB_DISCARD:
        if (c.discard.length > 0) {
          const slab = c.discard.pop()!;
          const cache = c.discard.pop()!;
          c.pcs[d]--; // come back for the next one
          this.caches[cache].discardOne(c, slab);
        }
        return true;
      case OP.SLUB_SHRINK_ALL:
        for (let i = this.caches.length - 1; i >= 0; i--) this.push(c, this.caches[i].shrinkProg(), 1, `shrink ${this.caches[i].name}`, 0);
        return true;
      case OP.SLUB_SHRINK_LOCKED:
        this.caches[x.n].shrinkLocked(c, x.m);
        return true;
      case OP.RECLAIM_EXIT:
        c.justReclaimed = true;
        this.reclaimPasses++;
        return true;
      case OP.PCPU_AREA_ALLOC:
        this.percpu.areaAlloc(c, x.n, x.m === 1);
        return true;
      case OP.PCPU_AREA_FREE:
        this.percpu.areaFree(x.n);
        return true;
      case OP.PCPU_POPULATED:
        this.percpu.populateIfNeeded(c);
        return true;
      case OP.PAGE_ALLOC: {
        if (this.reclaimFirst(c, x, d)) return true;
        c.pending += x.n * costs.pageAllocFreeNs / 2;
        this.pagesInUse += x.n;
        return true;
      }
      default:
        throw new Error(`internal: unknown op ${x.op}`);
    }
  }

  // --- main loop --------------------------------------------------------------

  runToEnd(): RunResult {
    const cfg = this.cfg;
    const end = Math.min(cfg.durationNs, cfg.maxSimNs);
    const q = this.queue;
    for (const c of this.cpus) this.schedule(c, 0, EV_RUN);
    const sampleEvery = cfg.sampleEveryNs > 0 ? cfg.sampleEveryNs : Infinity;
    let lastT = 0;
    while (q.size > 0) {
      const t = q.minTime();
      if (t > end) break;
      while (this.nextSample <= t) this.sample(this.nextSample), this.nextSample += sampleEvery;
      if (++this.events > cfg.maxEvents) {
        this.events--;
        this.halt('event-budget', `event budget exhausted: ${cfg.maxEvents} events processed by ${this.now} ns of simulated time; `
          + `raise maxEvents (--max-events) or shorten the run (durationNs / --duration-ms)`);
        break;
      }
      const id = q.peek();
      const seqBefore = q.seqOf(id);
      const c = this.cpus[id];
      this.now = t;
      lastT = t;
      switch (c.ev) {
        case EV_RUN:
          if (c.state === CPU_WAKING) c.state = CPU_RUNNING;
          this.run(c);
          break;
        case EV_SPIN_TIMEOUT:
          if (c.state === CPU_SPIN) this.locks.spinTimeout(c);
          break;
        case EV_WAKE:
          if (c.state === CPU_WAKING) this.locks.wakeRetry(c);
          break;
      }
      q.finish(id, seqBefore);
      if (this.halted) break;
    }
    let endNs: number;
    if (this.halted) endNs = this.now;
    else if (q.size > 0) {
      endNs = end;
      if (end === cfg.maxSimNs && cfg.durationNs > cfg.maxSimNs) {
        this.halt('time-budget', `simulated-time budget of ${cfg.maxSimNs} ns exhausted with CPUs still running; raise maxSimNs (--max-sim-ms) or give the programs fewer iterations`);
      }
    } else endNs = lastT;
    this.now = Math.max(this.now, endNs);
    this.sample(this.now);
    if (!this.halted) this.checkEnd();
    return this.result(endNs);
  }

  /** After the last event: locks still held, CPUs stuck behind them. */
  private checkEnd(): void {
    for (const c of this.cpus) {
      if (c.state === CPU_DONE && c.nheld > 0) {
        for (const n of this.heldNames(c)) {
          if (n === 'fs_reclaim') continue;
          this.lockdep.other({
            kind: 'lock-held-at-exit', severity: 'error', message: `WARNING: lock held when returning to user space: ${n}`,
            locks: [n], cpu: c.id, tNs: this.now, context: [this.cfg.workload.label], held: this.heldNames(c),
          }, `exit:${n}`);
        }
      }
    }
    if (this.queue.size > 0) return;
    const stall = stallReport(this);
    if (stall) {
      this.deadlockReport = stall;
      this.halt('stall', `STALL at ${this.now} ns: ${stall.message}`);
    }
  }

  private halt(reason: StopInfo['reason'], message: string): void {
    if (!this.halted) this.halted = { reason, message, tNs: this.now };
  }

  // --- reporting helpers --------------------------------------------------------

  context(c: Cpu): string[] {
    const out: string[] = [];
    for (let i = 0; i < c.depth; i++) if (out[out.length - 1] !== c.labels[i]) out.push(c.labels[i]);
    const d = c.depth - 1;
    if (d >= 0) {
      const x = c.progs[d][c.pcs[d] - 1];
      if (x && out[out.length - 1] !== x.label) out.push(x.label);
    }
    return out;
  }

  heldNames(c: Cpu): string[] {
    const out: string[] = [];
    for (let i = 0; i < c.nheld; i++) out.push(this.locks.locks[c.held[i]].className);
    return out;
  }

  private sample(t: number): void {
    const s = memorySample(this, t);
    const last = this.samples[this.samples.length - 1];
    if (last && last.tNs === s.tNs) this.samples[this.samples.length - 1] = s;
    else this.samples.push(s);
  }

  private result(endNs: number): RunResult {
    return runResult(this, endNs, this.samples, this.deadlockReport, this.halted);
  }
}

const EMPTY: Instr[] = [];

