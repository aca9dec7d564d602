/**
 * Lock instances and their contention behaviour.
 *
 * Spinlocks are FIFO (ticket/qspinlock order): the releaser hands the lock to
 * the first waiter, which sees it one cache-line transfer later. Mutexes,
 * rwsems and semaphores (taken exclusively) follow kernel/locking/mutex.c in
 * outline: a waiter spins while the owner is on a CPU, for at most
 * mutexSpinLimitNs, then sleeps; unlock hands to a spinner if there is one,
 * else wakes the first sleeper and leaves the lock free (a running task may
 * steal it meanwhile); a woken waiter that loses sets the handoff flag and
 * gets the lock directly next time. While the owner or the woken waiter is
 * off-CPU, arrivals sleep instead of spinning: that is how convoys form.
 *
 * Every acquisition pays lockAcquireNs plus the transfer of the lock line and
 * of `dataLines` lines of protected data from the previous holder's CPU.
 */
import type { Costs } from './costs';
import { Histogram } from './histogram';
import type { Topology } from './machine';
import {
  Cpu, CPU_RUNNING, CPU_SLEEP, CPU_SPIN, CPU_WAKING, CTX_PROCESS, EV_RUN, EV_SPIN_TIMEOUT, EV_WAKE, MAX_HELD,
} from './cpu';
import type { Lockdep } from './lockdep';
import { IRQ_BH, IRQ_IRQ, IRQ_SAVE } from './ops';
import { A_ACQUIRED, A_LOCK, A_SLEEP, A_SPIN, A_TRYFAIL, A_UNLOCK, A_WAKE } from './timeline';

export const LK_SPIN = 0;
export const LK_MUTEX = 1;
export const LK_LOCAL = 2;
/** fs_reclaim: lockdep sees it, nobody ever waits on it. */
export const LK_PSEUDO = 3;
export const LK_RCU = 4;
/**
 * A contended cache line, not a lock: an atomic RMW (refcount, rwsem count,
 * lockref) owns the line for atomicNs after pulling it from the last CPU
 * that wrote it; CPUs queue FIFO for it like a spinlock. Lockdep ignores it.
 */
export const LK_LINE = 5;

export function lockKindCode(kind: string | undefined): number {
  switch (kind) {
    case 'mutex': case 'rwsem': case 'semaphore': return LK_MUTEX;
    case 'local_lock': return LK_LOCAL;
    case 'rcu': return LK_RCU;
    case 'pseudo': return LK_PSEUDO;
    case 'line': return LK_LINE;
    default: return LK_SPIN; // spin, raw_spin, rwlock, bit_spin, seqlock, unknown
  }
}

export class Lock {
  owner = -1;
  lastCpu = -1;
  acquiredAt = 0;
  handoff = -1;
  /** A woken waiter on its way back (only one is woken at a time). */
  waking = -1;
  spinHead = -1;
  spinTail = -1;
  sleepHead = -1;
  sleepTail = -1;
  acquisitions = 0;
  contended = 0;
  sleeps = 0;
  holdSum = 0;
  holdMax = 0;
  readonly wait = new Histogram();

  constructor(
    readonly id: number,
    readonly name: string,
    /** Lockdep class (several instances may share one, like list_lock). */
    readonly cls: number,
    readonly className: string,
    readonly kind: number,
    readonly kindName: string,
    readonly dataLines: number,
    /** Interned name for timelines. */
    readonly sid: number,
  ) {}
}

export interface LockHost {
  now: number;
  readonly costs: Costs;
  readonly topo: Topology;
  readonly cpus: Cpu[];
  readonly lockdep: Lockdep;
  schedule(c: Cpu, t: number, ev: number): void;
  unschedule(c: Cpu): void;
  rec(c: Cpu, action: number, subject: number): void;
  /** Why the CPU is atomic (for sleep checks), or null. */
  atomicWhy(c: Cpu): string | null;
  /** CPU time spent acquiring (cost, spinning) charged to the CPU's current profile bucket. */
  profile(c: Cpu, ns: number): void;
  /** Time a CPU slept waiting for a lock (not CPU time). */
  slept(c: Cpu, ns: number): void;
  deadlock(chain: number[], lock: Lock): void;
  imbalance(c: Cpu, lock: Lock, what: string): void;
}

export class LockTable {
  readonly locks: Lock[] = [];
  private readonly byName = new Map<string, Lock>();
  private readonly next: Int32Array;
  private readonly prev: Int32Array;

  constructor(private readonly host: LockHost, ncpus: number, private readonly intern: (s: string) => number) {
    this.next = new Int32Array(ncpus).fill(-1);
    this.prev = new Int32Array(ncpus).fill(-1);
  }

  get(name: string): Lock | undefined {
    return this.byName.get(name);
  }

  /** The lock instance `name`, created on first use with class `className`. */
  ensure(name: string, kindName: string | undefined, dataLines = 0, className = name): Lock {
    const hit = this.byName.get(name);
    if (hit) return hit;
    const kind = lockKindCode(kindName);
    const cls = kind === LK_RCU || kind === LK_LINE ? -1 : this.host.lockdep.classId(className, kind === LK_MUTEX);
    const l = new Lock(this.locks.length, name, cls, className, kind, kindName ?? 'spin', dataLines, this.intern(name));
    this.locks.push(l);
    this.byName.set(name, l);
    return l;
  }

  /**
   * Try to take `l` for CPU `c` at host.now. Returns true when the CPU can go
   * on (acquired, or trylock failed), false when it now waits.
   */
  acquire(c: Cpu, l: Lock, irq: number, trylock: boolean): boolean {
    const h = this.host;
    if (c.nheld >= MAX_HELD) {
      h.imbalance(c, l, `more than ${MAX_HELD} locks held`);
      return true;
    }
    // IRQ state changes before the acquisition (spin_lock_irqsave disables first).
    if (irq === IRQ_IRQ || irq === IRQ_SAVE) c.hardirqOff++;
    else if (irq === IRQ_BH) c.softirqOff++;
    const kind = l.kind;
    if (l.cls >= 0) {
      const inProcess = c.context === CTX_PROCESS;
      const hardOn = inProcess && c.hardirqOff === 0;
      const softOn = hardOn && c.softirqOff === 0;
      // fs_reclaim is passed as "sleeping" so lockdep tracks no IRQ usage for it.
      h.lockdep.acquire(l.cls, c.heldCls, c.nheld, kind === LK_MUTEX || kind === LK_PSEUDO, c.context, hardOn, softOn,
        kind === LK_MUTEX ? h.atomicWhy(c) : null, c.id, h.now, trylock);
    }
    if (kind === LK_PSEUDO || kind === LK_LOCAL || kind === LK_RCU) {
      this.take(c, l, irq, h.now);
      c.pending += kind === LK_PSEUDO ? 0 : h.costs.lockAcquireNs;
      return true;
    }
    if (l.owner < 0 && l.spinHead < 0 && l.handoff < 0) {
      this.take(c, l, irq, h.now);
      const tr = h.topo.transfer(l.lastCpu, c.id);
      const cost = this.base(l) + tr * (1 + l.dataLines);
      c.pending += cost;
      h.profile(c, cost);
      return true;
    }
    if (trylock) {
      if (irq === IRQ_IRQ || irq === IRQ_SAVE) c.hardirqOff--;
      else if (irq === IRQ_BH) c.softirqOff--;
      c.trylockFailed.push(l.id);
      h.rec(c, A_TRYFAIL, l.sid);
      return true;
    }
    // Contended.
    h.rec(c, A_LOCK, l.sid);
    l.contended++;
    c.waitLock = l.id;
    c.waitStart = h.now;
    c.waitSleptNs = 0;
    c.heldIrq[c.nheld] = irq; // remembered until granted
    if (kind === LK_MUTEX && !this.ownerRunning(l)) {
      this.enqueueSleeper(c, l, false);
    } else {
      this.enqueueSpinner(c, l, false);
      if (kind === LK_MUTEX) h.schedule(c, h.now + h.costs.mutexSpinLimitNs, EV_SPIN_TIMEOUT);
    }
    this.checkDeadlock(c, l);
    return false;
  }

  release(c: Cpu, l: Lock): void {
    const h = this.host;
    const idx = this.heldIndex(c, l.id);
    if (idx < 0) {
      const tf = c.trylockFailed.indexOf(l.id);
      if (tf >= 0) { c.trylockFailed.splice(tf, 1); return; }
      h.imbalance(c, l, `unlock of ${l.name}, which this CPU does not hold`);
      return;
    }
    h.rec(c, A_UNLOCK, l.sid);
    const irq = c.heldIrq[idx];
    for (let i = idx; i + 1 < c.nheld; i++) {
      c.held[i] = c.held[i + 1];
      c.heldIrq[i] = c.heldIrq[i + 1];
      c.heldCls[i] = c.heldCls[i + 1];
      c.heldSince[i] = c.heldSince[i + 1];
    }
    c.nheld--;
    if (irq === IRQ_IRQ || irq === IRQ_SAVE) c.hardirqOff--;
    else if (irq === IRQ_BH) c.softirqOff--;
    if (l.kind === LK_SPIN || l.kind === LK_LOCAL || l.kind === LK_RCU) c.atomicHeld--;
    if (l.kind === LK_PSEUDO || l.kind === LK_LOCAL || l.kind === LK_RCU) return;
    const hold = h.now - l.acquiredAt;
    l.holdSum += hold;
    if (hold > l.holdMax) l.holdMax = hold;
    l.lastCpu = c.id;
    l.owner = -1;
    if (l.kind === LK_MUTEX) this.releaseMutex(c, l);
    else if (l.spinHead >= 0) this.grant(c, this.dequeue(l, true), l, false);
  }

  /** A spinning mutex waiter gave up: it goes to sleep. */
  spinTimeout(w: Cpu): void {
    const l = this.locks[w.waitLock];
    this.unlink(w, l, true);
    this.enqueueSleeper(w, l, false);
  }

  /** A woken mutex waiter is back on its CPU: take the lock or wait again. */
  wakeRetry(w: Cpu): boolean {
    const h = this.host;
    const l = this.locks[w.waitLock];
    if (l.waking === w.id) l.waking = -1;
    w.waitSleptNs += h.now - w.sleepStart;
    h.rec(w, A_WAKE, l.sid);
    if (l.owner < 0 && l.spinHead < 0) {
      this.finishWait(w, l, h.now + this.base(l) + h.topo.transfer(l.lastCpu, w.id) * (1 + l.dataLines), false);
      return true;
    }
    if (l.handoff < 0) l.handoff = w.id;
    if (this.ownerRunning(l)) this.enqueueSpinner(w, l, true);
    else this.enqueueSleeper(w, l, true);
    this.checkDeadlock(w, l);
    return false;
  }

  /**
   * __mutex_unlock_slowpath(): with the handoff flag set the top waiter gets
   * the lock directly; otherwise the lock is released (a spinner takes it
   * next) and, if anyone sleeps, the first sleeper is woken. A woken waiter
   * that then loses to a spinner sets the handoff flag (wakeRetry).
   */
  private releaseMutex(r: Cpu, l: Lock): void {
    const h = this.host;
    if (l.handoff >= 0) {
      const w = h.cpus[l.handoff];
      l.handoff = -1;
      const sleeping = w.state === CPU_SLEEP;
      this.unlink(w, l, !sleeping);
      this.grant(r, w, l, sleeping);
      return;
    }
    if (l.spinHead >= 0) this.grant(r, this.dequeue(l, true), l, false);
    if (l.sleepHead >= 0 && l.waking < 0) {
      const w = this.dequeue(l, false);
      l.waking = w.id;
      w.state = CPU_WAKING;
      h.schedule(w, h.now + h.costs.mutexWakeupNs, EV_WAKE);
    }
  }

  private grant(r: Cpu, w: Cpu, l: Lock, wake: boolean): void {
    const h = this.host;
    const tr = h.topo.transfer(r.id, w.id);
    const at = h.now + (wake ? h.costs.mutexWakeupNs : 0) + tr;
    if (wake) w.waitSleptNs += at - w.sleepStart;
    this.finishWait(w, l, at + this.base(l) + tr * l.dataLines, wake, at);
  }

  /** Fixed cost of one acquisition besides moving lines: a lock's acquire+release, a line's atomic. */
  private base(l: Lock): number {
    return l.kind === LK_LINE ? this.host.costs.atomicNs : this.host.costs.lockAcquireNs;
  }

  /**
   * w owns l from `acquiredAt` and resumes at `resumeAt`. A sleeper handed
   * the lock stays off-CPU (CPU_WAKING) until then, so arrivals meanwhile see
   * an owner that is not running and sleep too.
   */
  private finishWait(w: Cpu, l: Lock, resumeAtNs: number, offCpu: boolean, acquiredAtNs = this.host.now): void {
    // Whole nanoseconds, as everywhere else in simulated time (costs may be fractional).
    const resumeAt = Math.round(resumeAtNs);
    const acquiredAt = Math.round(acquiredAtNs);
    l.wait.add(acquiredAt - w.waitStart);
    const h = this.host;
    h.profile(w, resumeAt - w.waitStart - w.waitSleptNs);
    if (w.waitSleptNs > 0) h.slept(w, w.waitSleptNs);
    w.waitSleptNs = 0;
    this.take(w, l, w.heldIrq[w.nheld], acquiredAt);
    w.waitLock = -1;
    w.state = offCpu ? CPU_WAKING : CPU_RUNNING;
    h.schedule(w, resumeAt, EV_RUN);
  }

  private take(c: Cpu, l: Lock, irq: number, at: number): void {
    const i = c.nheld++;
    c.held[i] = l.id;
    c.heldIrq[i] = irq;
    c.heldCls[i] = l.cls;
    c.heldSince[i] = at;
    if (l.kind === LK_SPIN || l.kind === LK_LOCAL || l.kind === LK_RCU) c.atomicHeld++;
    if (l.kind === LK_PSEUDO || l.kind === LK_LOCAL || l.kind === LK_RCU) return;
    l.owner = c.id;
    l.acquiredAt = at;
    l.acquisitions++;
    this.host.rec(c, A_ACQUIRED, l.sid);
  }

  private ownerRunning(l: Lock): boolean {
    if (l.owner < 0) return true;
    const s = this.host.cpus[l.owner].state;
    return s === CPU_RUNNING || s === CPU_SPIN;
  }

  private heldIndex(c: Cpu, id: number): number {
    for (let i = c.nheld - 1; i >= 0; i--) if (c.held[i] === id) return i;
    return -1;
  }

  private enqueueSpinner(c: Cpu, l: Lock, atHead: boolean): void {
    c.state = CPU_SPIN;
    this.host.rec(c, A_SPIN, l.sid);
    this.link(c, l, true, atHead);
  }

  private enqueueSleeper(c: Cpu, l: Lock, atHead: boolean): void {
    const h = this.host;
    c.state = CPU_SLEEP;
    c.sleepStart = h.now;
    l.sleeps++;
    h.rec(c, A_SLEEP, l.sid);
    h.unschedule(c);
    this.link(c, l, false, atHead);
    // Its own mutexes now have an off-CPU owner: their spinners go to sleep.
    for (let i = 0; i < c.nheld; i++) {
      const m = this.locks[c.held[i]];
      if (m.kind !== LK_MUTEX) continue;
      while (m.spinHead >= 0) {
        const s = this.dequeue(m, true);
        if (m.handoff === s.id) { s.state = CPU_SLEEP; s.sleepStart = h.now; h.unschedule(s); this.link(s, m, false, true); continue; }
        this.enqueueSleeper(s, m, false);
      }
    }
  }

  private link(c: Cpu, l: Lock, spin: boolean, atHead: boolean): void {
    const id = c.id;
    const head = spin ? l.spinHead : l.sleepHead;
    const tail = spin ? l.spinTail : l.sleepTail;
    if (head < 0) {
      this.next[id] = -1; this.prev[id] = -1;
      if (spin) { l.spinHead = id; l.spinTail = id; } else { l.sleepHead = id; l.sleepTail = id; }
    } else if (atHead) {
      this.prev[id] = -1; this.next[id] = head; this.prev[head] = id;
      if (spin) l.spinHead = id; else l.sleepHead = id;
    } else {
      this.next[id] = -1; this.prev[id] = tail; this.next[tail] = id;
      if (spin) l.spinTail = id; else l.sleepTail = id;
    }
  }

  private unlink(c: Cpu, l: Lock, spin: boolean): void {
    const id = c.id;
    const p = this.prev[id];
    const n = this.next[id];
    if (p >= 0) this.next[p] = n; else if (spin) l.spinHead = n; else l.sleepHead = n;
    if (n >= 0) this.prev[n] = p; else if (spin) l.spinTail = p; else l.sleepTail = p;
    this.next[id] = -1; this.prev[id] = -1;
    if (spin) this.host.unschedule(c);
  }

  private dequeue(l: Lock, spin: boolean): Cpu {
    const c = this.host.cpus[spin ? l.spinHead : l.sleepHead];
    this.unlink(c, l, spin);
    return c;
  }

  /** Follow owner -> waited-on lock -> owner; a return to `c` is a deadlock. */
  private checkDeadlock(c: Cpu, l: Lock): void {
    const cpus = this.host.cpus;
    let o = l.owner;
    let steps = 0;
    for (; o >= 0 && steps <= cpus.length; steps++) {
      if (o === c.id) break;
      const oc = cpus[o];
      if ((oc.state !== CPU_SPIN && oc.state !== CPU_SLEEP) || oc.waitLock < 0) return;
      o = this.locks[oc.waitLock].owner;
    }
    if (o !== c.id) return;
    // A cycle: walk it again to name the CPUs (rare, so the array is fine).
    const chain = [c.id];
    for (let x = l.owner; x !== c.id; x = this.locks[cpus[x].waitLock].owner) chain.push(x);
    this.host.deadlock(chain, l);
  }
}
