/**
 * The simulation worker (bundled to dist/sim-worker.js): runs one job from
 * workerData off the extension host's main thread, posts progress before
 * each CPU count and then the result. The extension terminates the worker
 * to cancel; nothing here needs to cooperate.
 */
import { parentPort, workerData } from 'worker_threads';
import { runJob, type SimJob } from './shared/simJob';

export type WorkerMessage =
  | { type: 'progress'; done: number; total: number; label: string }
  | { type: 'done'; result: unknown; report: string; elapsedMs: number }
  | { type: 'error'; message: string };

function post(m: WorkerMessage): void {
  parentPort?.postMessage(m);
}

try {
  const out = runJob(workerData as SimJob, (p) => post({ type: 'progress', ...p }));
  post({ type: 'done', result: out.result, report: out.report, elapsedMs: out.elapsedMs });
} catch (e) {
  post({ type: 'error', message: (e as Error).message ?? String(e) });
}
