/**
 * The event queue: an indexed binary min-heap over typed arrays with at most
 * one pending event per CPU (its next resume time). A CPU that waits on a
 * lock has no event; the releaser schedules it. Keeping one slot per CPU lets
 * timeouts be rescheduled in place instead of leaving stale entries behind.
 *
 * Ties on time are broken by insertion sequence, so event order (and thus
 * every result) is a pure function of the seed.
 *
 * Timeouts that all have the same length (mutex spin limits) are scheduled
 * in increasing time order, so they go to a FIFO ring instead of the heap:
 * O(1) to add, cancelled lazily by a per-CPU token. Under heavy contention
 * most waiting CPUs hold such a timeout, and keeping them out of the heap
 * halves its depth.
 */
export class EventQueue {
  private readonly heap: Int32Array;
  private readonly pos: Int32Array;
  private readonly time: Float64Array;
  private readonly seq: Float64Array;
  private n = 0;
  private counter = 0;
  // FIFO ring of timeouts: id, time, seq, token per slot.
  private fId: Int32Array;
  private fTime: Float64Array;
  private fSeq: Float64Array;
  private fTok: Float64Array;
  private readonly token: Float64Array;
  private readonly inFifo: Uint8Array;
  private fHead = 0;
  private fCount = 0;
  private fLive = 0;

  constructor(capacity: number) {
    this.heap = new Int32Array(capacity);
    this.pos = new Int32Array(capacity).fill(-1);
    this.time = new Float64Array(capacity);
    this.seq = new Float64Array(capacity);
    // Each CPU has at most one live timeout, but cancelled slots linger until
    // they reach the head: size the ring generously and grow when needed.
    const cap = Math.max(16, capacity * 4);
    this.fId = new Int32Array(cap);
    this.fTime = new Float64Array(cap);
    this.fSeq = new Float64Array(cap);
    this.fTok = new Float64Array(cap);
    this.token = new Float64Array(capacity);
    this.inFifo = new Uint8Array(capacity);
  }

  get size(): number {
    return this.n + this.fLive;
  }

  has(id: number): boolean {
    return this.pos[id] >= 0 || this.inFifo[id] === 1;
  }

  minTime(): number {
    this.skipStale();
    if (this.fLive === 0) return this.time[this.heap[0]];
    const ft = this.fTime[this.fHead];
    if (this.n === 0) return ft;
    const ht = this.time[this.heap[0]];
    return ft < ht ? ft : ht;
  }

  /**
   * Schedule `id` at `t` in the timeout FIFO. Callers guarantee `t` is not
   * earlier than any timeout already queued (constant length, monotonic now).
   */
  setFifo(id: number, t: number): void {
    this.remove(id);
    if (this.fCount === this.fId.length) this.growFifo();
    const slot = (this.fHead + this.fCount) % this.fId.length;
    this.fId[slot] = id;
    this.fTime[slot] = t;
    this.fSeq[slot] = this.counter++;
    this.fTok[slot] = ++this.token[id];
    this.fCount++;
    this.fLive++;
    this.inFifo[id] = 1;
  }

  private growFifo(): void {
    const cap = this.fId.length;
    const mk = <T extends Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap * 2);
      for (let i = 0; i < this.fCount; i++) b[i] = a[(this.fHead + i) % cap];
      return b;
    };
    this.fId = mk(this.fId, (k) => new Int32Array(k));
    this.fTime = mk(this.fTime, (k) => new Float64Array(k));
    this.fSeq = mk(this.fSeq, (k) => new Float64Array(k));
    this.fTok = mk(this.fTok, (k) => new Float64Array(k));
    this.fHead = 0;
  }

  private skipStale(): void {
    while (this.fCount > 0) {
      const h = this.fHead;
      const id = this.fId[h];
      if (this.inFifo[id] === 1 && this.fTok[h] === this.token[id]) return;
      this.fHead = h + 1 === this.fId.length ? 0 : h + 1;
      this.fCount--;
    }
  }

  /** Insert or move `id` to time `t`. */
  set(id: number, t: number): void {
    if (this.inFifo[id] === 1) { this.inFifo[id] = 0; this.token[id]++; this.fLive--; }
    this.time[id] = t;
    this.seq[id] = this.counter++;
    const p = this.pos[id];
    if (p < 0) {
      const i = this.n++;
      this.heap[i] = id;
      this.pos[id] = i;
      this.up(i);
    } else {
      this.up(p);
      this.down(this.pos[id]);
    }
  }

  remove(id: number): void {
    if (this.inFifo[id] === 1) {
      this.inFifo[id] = 0;
      this.token[id]++;
      this.fLive--;
    }
    const p = this.pos[id];
    if (p < 0) return;
    const last = this.heap[--this.n];
    this.pos[id] = -1;
    if (p === this.n) return;
    this.heap[p] = last;
    this.pos[last] = p;
    this.up(p);
    this.down(this.pos[last]);
  }

  /**
   * The id with the earliest (time, seq), left in place when it is a heap
   * entry: the caller usually reschedules it later, and moving the root
   * down once is half the work of a pop plus an insert. Timeouts are taken
   * off their FIFO. Use `seqOf` before and `finish` after handling it.
   */
  peek(): number {
    const f = this.takeFifoHead();
    return f >= 0 ? f : this.heap[0];
  }

  /** The timeout FIFO's head, taken off it, when it comes before the heap's root; else -1. */
  private takeFifoHead(): number {
    this.skipStale();
    if (this.fLive > 0) {
      const h = this.fHead;
      const useFifo = this.n === 0 || this.fTime[h] < this.time[this.heap[0]]
        || (this.fTime[h] === this.time[this.heap[0]] && this.fSeq[h] < this.seq[this.heap[0]]);
      if (useFifo) {
        const id = this.fId[h];
        this.fHead = h + 1 === this.fId.length ? 0 : h + 1;
        this.fCount--;
        this.fLive--;
        this.inFifo[id] = 0;
        return id;
      }
    }
    return -1;
  }

  /** Insertion sequence of id's heap entry (-1 when it has none). */
  seqOf(id: number): number {
    return this.pos[id] >= 0 ? this.seq[id] : -1;
  }

  /** After handling a peeked id: drop its old entry unless it was rescheduled. */
  finish(id: number, seqBefore: number): void {
    if (seqBefore >= 0 && this.pos[id] >= 0 && this.seq[id] === seqBefore) this.remove(id);
  }

  /** Remove and return the id with the earliest (time, seq). */
  pop(): number {
    const f = this.takeFifoHead();
    if (f >= 0) return f;
    const top = this.heap[0];
    const last = this.heap[--this.n];
    this.pos[top] = -1;
    if (this.n > 0) {
      this.heap[0] = last;
      this.pos[last] = 0;
      this.down(0);
    }
    return top;
  }

  private up(i: number): void {
    const heap = this.heap;
    const time = this.time;
    const seq = this.seq;
    const pos = this.pos;
    const id = heap[i];
    const t = time[id];
    const q = seq[id];
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pid = heap[parent];
      const pt = time[pid];
      if (t > pt || (t === pt && q > seq[pid])) break;
      heap[i] = pid;
      pos[pid] = i;
      i = parent;
    }
    heap[i] = id;
    pos[id] = i;
  }

  private down(i: number): void {
    const heap = this.heap;
    const time = this.time;
    const seq = this.seq;
    const pos = this.pos;
    const n = this.n;
    const id = heap[i];
    const t = time[id];
    const q = seq[id];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      let ct = time[heap[l]];
      if (r < n) {
        const rt = time[heap[r]];
        if (rt < ct || (rt === ct && seq[heap[r]] < seq[heap[l]])) { c = r; ct = rt; }
      }
      const cid = heap[c];
      if (ct > t || (ct === t && seq[cid] > q)) break;
      heap[i] = cid;
      pos[cid] = i;
      i = c;
    }
    heap[i] = id;
    pos[id] = i;
  }
}
