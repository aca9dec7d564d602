/**
 * The published exec() throughput gains of the slab ctor/dtor pair that the
 * simulator is validated against (seeds/004: the destructor RFC cover
 * letter, Harry Yoo, linux-mm, 24 April 2025).
 */
export interface PublishedPoint {
  machine: string;
  cpus: number;
  gainPct: number;
  what: string;
}

export const PUBLISHED_EXEC_GAINS: PublishedPoint[] = [
  { machine: 'up', cpus: 1, gainPct: 4, what: 'single-threaded exec() throughput' },
  { machine: 'desktop-24', cpus: 24, gainPct: 4.56, what: 'desktop with 24 hardware threads (12 cores)' },
  { machine: 'server-192', cpus: 192, gainPct: 33, what: '2-socket machine with 192 CPUs' },
];

export const PUBLISHED_SOURCE = '[RFC PATCH 0/7] Reviving the slab destructor to tackle the percpu allocator scalability problem, Message-ID 20250424080755.272925-1-harry.yoo@oracle.com';

/** Tolerance the validation uses, in percentage points. */
export const GAIN_TOLERANCE_PP = 5;

export function publishedGain(machine: string, cpus: number): number | undefined {
  return PUBLISHED_EXEC_GAINS.find((p) => p.machine === machine && p.cpus === cpus)?.gainPct;
}
