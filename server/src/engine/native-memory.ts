/**
 * tree-sitter trees live in native memory that is freed only when V8
 * collects their small JS wrappers. A worker parsing thousands of files
 * allocates little JS heap, so V8 seldom collects and the native trees pile
 * up: 1,500 parses held ~1 GB, the kernel's lock graph (17k files) reached
 * 12 GB. A full collection when the resident size has grown past a budget
 * gives it back (a few ms on a small heap, every few hundred files).
 */
import * as v8 from 'v8';
import * as vm from 'vm';

let gc: (() => void) | undefined;
try {
  v8.setFlagsFromString('--expose-gc');
  gc = vm.runInNewContext('gc') as () => void;
} catch {
  gc = undefined;
}

const BUDGET_BYTES = 192 * 1024 * 1024;
let base = 0;
/** Trees made since the resident size was last read. */
let parses = 0;
/** Reading the resident size costs ~0.1 ms here: not after every pre-scan chunk or cached read. */
const PARSES_PER_CHECK = 16;

/** Count trees made (what can pile up in native memory). */
export function noteParses(n: number): void {
  parses += n;
}

/** Collect when the resident size grew by more than the budget since the last collection. */
export function releaseNativeMemory(): void {
  if (!gc || parses < PARSES_PER_CHECK) return;
  parses = 0;
  const rss = process.memoryUsage.rss();
  if (!base) base = rss;
  if (rss - base < BUDGET_BYTES) return;
  gc();
  base = process.memoryUsage.rss();
}
