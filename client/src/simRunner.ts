/**
 * Runs a simulation job in a worker_threads Worker (dist/sim-worker.js, the
 * bundled simulator) so the extension host's main thread stays free.
 * Cancellation terminates the worker at once (the simulator's inner loop
 * never yields, so it cannot be asked to stop); every listener and the
 * cancellation subscription are released whichever way the run ends.
 * No vscode import: the same code is unit-tested under node.
 */
import { Worker } from 'worker_threads';
import type { JobOutput, JobProgress, SimJob } from './shared/simJob';
import type { SimResult } from '../../simulator/src/result';
import type { WorkerMessage } from './sim-worker';

/** The part of vscode.CancellationToken the runner uses. */
export interface CancelToken {
  isCancellationRequested: boolean;
  onCancellationRequested(listener: () => unknown): { dispose(): unknown };
}

export class SimulationCancelled extends Error {
  readonly cancelled = true;
  constructor() {
    super('simulation cancelled');
  }
}

const active = new Set<Worker>();

/** Workers currently running (tests assert a cancelled run leaves none). */
export function activeWorkers(): number {
  return active.size;
}

export interface RunOptions {
  token?: CancelToken;
  onProgress?: (p: JobProgress) => void;
  /** Kill the run after this long (default 10 minutes). */
  timeoutMs?: number;
}

export function runInWorker(workerPath: string, job: SimJob, opts: RunOptions = {}): Promise<JobOutput> {
  if (opts.token?.isCancellationRequested) return Promise.reject(new SimulationCancelled());
  return new Promise<JobOutput>((resolve, reject) => {
    const worker = new Worker(workerPath, { workerData: job, stdout: false, stderr: false });
    active.add(worker);
    let settled = false;
    let outcome: { ok: true; value: JobOutput } | { ok: false; error: Error } | undefined;
    const timer = setTimeout(() => finish({ ok: false, error: new Error(`the simulation did not finish within ${Math.round((opts.timeoutMs ?? 600_000) / 1000)} s`) }, true), opts.timeoutMs ?? 600_000);
    const sub = opts.token?.onCancellationRequested(() => finish({ ok: false, error: new SimulationCancelled() }, true));

    // Settle once the thread is gone, so a caller that awaits the promise knows nothing is left running.
    function finish(o: typeof outcome, kill: boolean): void {
      if (outcome) return;
      outcome = o;
      clearTimeout(timer);
      sub?.dispose();
      if (kill) void worker.terminate();
    }
    function settle(): void {
      if (settled) return;
      settled = true;
      active.delete(worker);
      worker.removeAllListeners();
      const o = outcome ?? { ok: false as const, error: new Error('the simulation worker stopped without a result') };
      if (o.ok) resolve(o.value);
      else reject(o.error);
    }

    worker.on('message', (m: WorkerMessage) => {
      if (outcome) return;
      if (m.type === 'progress') opts.onProgress?.({ done: m.done, total: m.total, label: m.label });
      else if (m.type === 'done') finish({ ok: true, value: { result: m.result as SimResult, report: m.report, elapsedMs: m.elapsedMs } }, true);
      else if (m.type === 'error') finish({ ok: false, error: new Error(m.message) }, true);
    });
    worker.on('error', (e) => finish({ ok: false, error: e }, false));
    worker.on('exit', () => {
      finish(outcome ?? { ok: false, error: new Error('the simulation worker stopped without a result') }, false);
      settle();
    });
  });
}
