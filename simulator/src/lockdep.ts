/**
 * A lockdep-style validator fed by what the simulated CPUs actually did.
 * It keeps a dependency graph of lock classes (edge A -> B when B was taken
 * while A was held), per-class IRQ usage, and reports the classic findings:
 * circular dependencies (including through the fs_reclaim pseudo-lock that
 * every reclaim-capable allocation "takes" and reclaim "holds"), inconsistent
 * IRQ usage, IRQ-safe -> IRQ-unsafe ordering, sleeping in atomic context and
 * recursive locking. Each finding is reported once per distinct cause.
 */
export type FindingKind =
  | 'circular-dependency'
  | 'inconsistent-irq-state'
  | 'irq-lock-inversion'
  | 'sleep-in-atomic'
  | 'recursive-locking'
  | 'lock-imbalance'
  | 'lock-held-at-exit';

export interface DependencyEvidence {
  from: string;
  to: string;
  cpu: number;
  tNs: number;
  /** What the CPU was executing, outermost first. */
  context: string[];
}

export interface LockdepFinding {
  kind: FindingKind;
  severity: 'error' | 'warning';
  /** One line, lockdep's wording where it has one. */
  message: string;
  locks: string[];
  cpu: number;
  tNs: number;
  context: string[];
  /** circular-dependency: classes in order, first == last: held -> new -> ... -> held. */
  cycle?: string[];
  /** Evidence of each edge of `cycle` (or of the offending dependency). */
  chain?: DependencyEvidence[];
  /** Locks the CPU held at the time. */
  held?: string[];
}

const IN_HARDIRQ = 1;
const IN_SOFTIRQ = 2;
const ENABLED_HARDIRQ = 4;
const ENABLED_SOFTIRQ = 8;
const USAGE_NAMES: Record<number, string> = {
  [IN_HARDIRQ]: 'IN-HARDIRQ-W',
  [IN_SOFTIRQ]: 'IN-SOFTIRQ-W',
  [ENABLED_HARDIRQ]: 'HARDIRQ-ON-W',
  [ENABLED_SOFTIRQ]: 'SOFTIRQ-ON-W',
};

export interface UsageEvidence { cpu: number; tNs: number; context: string[] }

/** What lockdep asks the engine when it needs words for a finding. */
export interface LockdepHost {
  /** What the CPU is executing, outermost first. */
  context(cpu: number): string[];
  /** Names of the locks the CPU holds, oldest first. */
  heldNames(cpu: number): string[];
}

export class Lockdep {
  constructor(private readonly host: LockdepHost) {}

  readonly names: string[] = [];
  readonly sleeping: boolean[] = [];
  private readonly ids = new Map<string, number>();
  private readonly usage: number[] = [];
  private readonly usageEvidence: Array<Record<number, UsageEvidence>> = [];
  private readonly succ: number[][] = [];
  private readonly pred: number[][] = [];
  private edgeBits = new Uint8Array(64 * 64);
  private cap = 64;
  private readonly evidence = new Map<number, DependencyEvidence>();
  private readonly seen = new Set<string>();
  readonly findings: LockdepFinding[] = [];

  classId(name: string, sleeping: boolean): number {
    let id = this.ids.get(name);
    if (id !== undefined) return id;
    id = this.names.length;
    this.ids.set(name, id);
    this.names.push(name);
    this.sleeping.push(sleeping);
    this.usage.push(0);
    this.usageEvidence.push({});
    this.succ.push([]);
    this.pred.push([]);
    if (id >= this.cap) this.grow();
    return id;
  }

  private grow(): void {
    const cap = this.cap * 2;
    const bits = new Uint8Array(cap * cap);
    for (let a = 0; a < this.cap; a++) {
      for (let b = 0; b < this.cap; b++) bits[a * cap + b] = this.edgeBits[a * this.cap + b];
    }
    this.edgeBits = bits;
    this.cap = cap;
  }

  /**
   * An acquisition attempt of class `cls` by CPU `cpu`, which holds the
   * classes heldCls[0..nheld). `hardirqsOn`/`softirqsOn` are the IRQ state the
   * lock is taken with (after its own irqsave), `ctx` 0 process, 1 softirq,
   * 2 hardirq; `atomicWhy` says why the CPU is atomic, or null.
   */
  acquire(
    cls: number, heldCls: Int32Array, nheld: number, sleepingLock: boolean, ctx: number,
    hardirqsOn: boolean, softirqsOn: boolean, atomicWhy: string | null, cpu: number, tNs: number, trylock = false,
  ): void {
    if (sleepingLock && atomicWhy !== null) {
      const name = this.names[cls];
      this.report({
        kind: 'sleep-in-atomic', severity: 'error',
        message: `BUG: sleeping function called from invalid context: ${name} (a sleeping lock) taken ${atomicWhy}`,
        locks: [name], cpu, tNs, context: this.host.context(cpu), held: this.host.heldNames(cpu),
      }, `sleep:${name}:${atomicWhy}`);
    }
    const row = cls;
    // A trylock cannot wait, so it adds no dependency (as in lockdep).
    for (let i = 0; i < (trylock ? 0 : nheld); i++) {
      const h = heldCls[i];
      if (h < 0) continue;
      if (h === row) {
        const name = this.names[cls];
        this.report({
          kind: 'recursive-locking', severity: 'error',
          message: `WARNING: possible recursive locking detected: ${name} acquired while already held`,
          locks: [name], cpu, tNs, context: this.host.context(cpu), held: this.host.heldNames(cpu),
        }, `rec:${name}`);
        continue;
      }
      if (this.edgeBits[h * this.cap + cls] === 0) this.addEdge(h, cls, cpu, tNs);
    }
    if (!sleepingLock) {
      let bits = 0;
      if (ctx === 2) bits |= IN_HARDIRQ;
      if (ctx === 1) bits |= IN_SOFTIRQ;
      if (hardirqsOn) bits |= ENABLED_HARDIRQ;
      if (softirqsOn) bits |= ENABLED_SOFTIRQ;
      const old = this.usage[cls];
      if ((old | bits) !== old) this.newUsage(cls, old, bits & ~old, cpu, tNs);
    }
  }

  /** An acquire+release that only lockdep sees (fs_reclaim for an allocation). */
  annotate(cls: number, heldCls: Int32Array, nheld: number, cpu: number, tNs: number): void {
    for (let i = 0; i < nheld; i++) {
      const h = heldCls[i];
      if (h >= 0 && h !== cls && this.edgeBits[h * this.cap + cls] === 0) this.addEdge(h, cls, cpu, tNs);
    }
  }

  sleepInAtomic(what: string, atomicWhy: string, cpu: number, tNs: number, context: string[], held: string[]): void {
    this.report({
      kind: 'sleep-in-atomic', severity: 'error',
      message: `BUG: sleeping function called from invalid context: ${what} ${atomicWhy}`,
      locks: held, cpu, tNs, context, held,
    }, `sleep:${what}:${atomicWhy}`);
  }

  other(f: LockdepFinding, key: string): void {
    this.report(f, key);
  }

  private addEdge(from: number, to: number, cpu: number, tNs: number): void {
    this.edgeBits[from * this.cap + to] = 1;
    this.succ[from].push(to);
    this.pred[to].push(from);
    const ev: DependencyEvidence = { from: this.names[from], to: this.names[to], cpu, tNs, context: this.host.context(cpu) };
    this.evidence.set(from * 1_000_003 + to, ev);
    // A path to -> ... -> from closes a cycle with the new edge.
    const path = this.path(to, from);
    if (path) {
      const cycle = [from, ...path];
      const names = cycle.map((c) => this.names[c]);
      const chain: DependencyEvidence[] = [];
      for (let i = 0; i + 1 < cycle.length; i++) chain.push(this.evidence.get(cycle[i] * 1_000_003 + cycle[i + 1])!);
      const key = 'cyc:' + [...new Set(names)].sort().join(',');
      this.report({
        kind: 'circular-dependency', severity: 'error',
        message: `WARNING: possible circular locking dependency detected: ${names.join(' -> ')}`,
        locks: [...new Set(names)], cpu, tNs, context: ev.context, cycle: names, chain, held: this.host.heldNames(cpu),
      }, key);
    }
    this.checkIrqInversion(from, to, cpu, tNs);
  }

  /** Shortest path src ->* dst as a list of classes (src first, dst last). */
  private path(src: number, dst: number): number[] | null {
    if (src === dst) return [src];
    const prev = new Map<number, number>([[src, -1]]);
    const queue = [src];
    for (let qi = 0; qi < queue.length; qi++) {
      const u = queue[qi];
      for (const v of this.succ[u]) {
        if (prev.has(v)) continue;
        prev.set(v, u);
        if (v === dst) {
          const out = [v];
          let x = u;
          while (x !== -1) { out.push(x); x = prev.get(x)!; }
          return out.reverse();
        }
        queue.push(v);
      }
    }
    return null;
  }

  private reach(start: number, edges: number[][]): number[] {
    const seen = new Set<number>([start]);
    const out: number[] = [];
    const queue = [start];
    for (let qi = 0; qi < queue.length; qi++) {
      for (const v of edges[queue[qi]]) {
        if (!seen.has(v)) { seen.add(v); out.push(v); queue.push(v); }
      }
    }
    return out;
  }

  private newUsage(cls: number, old: number, added: number, cpu: number, tNs: number): void {
    const ctx = this.host.context(cpu);
    for (const b of [IN_HARDIRQ, IN_SOFTIRQ, ENABLED_HARDIRQ, ENABLED_SOFTIRQ]) {
      if (added & b) this.usageEvidence[cls][b] = { cpu, tNs, context: ctx };
    }
    const now = old | added;
    this.usage[cls] = now;
    const name = this.names[cls];
    for (const [inb, onb, irq] of [[IN_HARDIRQ, ENABLED_HARDIRQ, 'HARDIRQ'], [IN_SOFTIRQ, ENABLED_SOFTIRQ, 'SOFTIRQ']] as const) {
      if ((now & inb) && (now & onb) && ((added & inb) || (added & onb))) {
        const first = (added & inb) ? onb : inb;
        const then = (added & inb) ? inb : onb;
        const prevEv = this.usageEvidence[cls][first];
        this.report({
          kind: 'inconsistent-irq-state', severity: 'error',
          message: `WARNING: inconsistent lock state: ${name} {${USAGE_NAMES[first]}} -> {${USAGE_NAMES[then]}} usage`,
          locks: [name], cpu, tNs, context: ctx,
          chain: prevEv ? [{ from: name, to: name, cpu: prevEv.cpu, tNs: prevEv.tNs, context: prevEv.context }] : undefined,
        }, `incons:${name}:${irq}`);
      }
    }
    // Newly IRQ-safe: anything it leads to that is IRQ-unsafe; newly unsafe: anything leading to it that is safe.
    for (const [inb, onb, irq] of [[IN_HARDIRQ, ENABLED_HARDIRQ, 'HARDIRQ'], [IN_SOFTIRQ, ENABLED_SOFTIRQ, 'SOFTIRQ']] as const) {
      if (added & inb) {
        for (const v of this.reach(cls, this.succ)) if (this.usage[v] & onb) this.inversion(cls, v, irq, cpu, tNs, ctx);
      }
      if (added & onb) {
        for (const u of this.reach(cls, this.pred)) if (this.usage[u] & inb) this.inversion(u, cls, irq, cpu, tNs, ctx);
      }
    }
  }

  private checkIrqInversion(from: number, to: number, cpu: number, tNs: number): void {
    for (const [inb, onb, irq] of [[IN_HARDIRQ, ENABLED_HARDIRQ, 'HARDIRQ'], [IN_SOFTIRQ, ENABLED_SOFTIRQ, 'SOFTIRQ']] as const) {
      const safe = [from, ...this.reach(from, this.pred)].filter((u) => this.usage[u] & inb);
      if (!safe.length) continue;
      const unsafe = [to, ...this.reach(to, this.succ)].filter((v) => this.usage[v] & onb);
      if (!unsafe.length) continue;
      this.inversion(safe[0], unsafe[0], irq, cpu, tNs, this.host.context(cpu));
    }
  }

  private inversion(safe: number, unsafe: number, irq: string, cpu: number, tNs: number, ctx: string[]): void {
    const p = this.path(safe, unsafe);
    const names = (p ?? [safe, unsafe]).map((c) => this.names[c]);
    const chain: DependencyEvidence[] = [];
    if (p) for (let i = 0; i + 1 < p.length; i++) { const e = this.evidence.get(p[i] * 1_000_003 + p[i + 1]); if (e) chain.push(e); }
    this.report({
      kind: 'irq-lock-inversion', severity: 'error',
      message: `WARNING: ${irq}-safe -> ${irq}-unsafe lock order detected: ${names.join(' -> ')} (${this.names[safe]} is taken in ${irq.toLowerCase()} context, ${this.names[unsafe]} with ${irq.toLowerCase()}s enabled)`,
      locks: [this.names[safe], this.names[unsafe]], cpu, tNs, context: ctx, cycle: names, chain,
    }, `inv:${irq}:${this.names[safe]}:${this.names[unsafe]}`);
  }

  private report(f: LockdepFinding, key: string): void {
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.findings.push(f);
  }

  /** Dependency edges seen, for the result (sorted for determinism). */
  edges(): Array<{ from: string; to: string }> {
    const out: Array<{ from: string; to: string }> = [];
    for (let a = 0; a < this.names.length; a++) for (const b of this.succ[a]) out.push({ from: this.names[a], to: this.names[b] });
    return out.sort((x, y) => (x.from < y.from ? -1 : x.from > y.from ? 1 : x.to < y.to ? -1 : x.to > y.to ? 1 : 0));
  }
}
