/**
 * Per-CPU ring buffers of the last K events (time, action, subject), kept so
 * that a deadlock can be reported with the interleaving that led to it.
 * Typed arrays and an interned string table keep recording allocation-free.
 */
export const ACTIONS = [
  'lock', 'acquired', 'spins on', 'sleeps on', 'unlock', 'alloc', 'free',
  'enter', 'leave', 'runs', 'runs', 'woken for', 'iteration', 'trylock failed',
] as const;
export type ActionName = (typeof ACTIONS)[number];

export const A_LOCK = 0;
export const A_ACQUIRED = 1;
export const A_SPIN = 2;
export const A_SLEEP = 3;
export const A_UNLOCK = 4;
export const A_ALLOC = 5;
export const A_FREE = 6;
export const A_RECLAIM_ENTER = 7;
export const A_RECLAIM_EXIT = 8;
export const A_CTOR = 9;
export const A_DTOR = 10;
export const A_WAKE = 11;
export const A_ITER = 12;
export const A_TRYFAIL = 13;

export interface TimelineEvent {
  tNs: number;
  cpu: number;
  action: ActionName;
  subject: string;
}

export class Timeline {
  private readonly t: Float64Array;
  private readonly a: Uint8Array;
  private readonly s: Int32Array;
  private readonly head: Int32Array;
  private readonly count: Int32Array;
  private readonly strings: string[] = [];
  private readonly ids = new Map<string, number>();

  constructor(ncpus: number, readonly depth: number) {
    const n = Math.max(1, ncpus * depth);
    this.t = new Float64Array(n);
    this.a = new Uint8Array(n);
    this.s = new Int32Array(n);
    this.head = new Int32Array(ncpus);
    this.count = new Int32Array(ncpus);
  }

  intern(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.ids.set(s, id);
    }
    return id;
  }

  record(cpu: number, tNs: number, action: number, subject: number): void {
    if (this.depth === 0) return;
    const base = cpu * this.depth;
    const h = this.head[cpu];
    this.t[base + h] = tNs;
    this.a[base + h] = action;
    this.s[base + h] = subject;
    this.head[cpu] = h + 1 === this.depth ? 0 : h + 1;
    if (this.count[cpu] < this.depth) this.count[cpu]++;
  }

  /** The retained events of one CPU, oldest first. */
  events(cpu: number): TimelineEvent[] {
    const out: TimelineEvent[] = [];
    const base = cpu * this.depth;
    const n = this.count[cpu];
    let i = (this.head[cpu] - n + this.depth) % this.depth;
    for (let k = 0; k < n; k++) {
      out.push({ tNs: this.t[base + i], cpu, action: ACTIONS[this.a[base + i]], subject: this.strings[this.s[base + i]] });
      i = i + 1 === this.depth ? 0 : i + 1;
    }
    return out;
  }
}
