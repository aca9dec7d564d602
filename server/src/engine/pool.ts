/**
 * A small worker_threads pool with one shared queue: every idle worker takes
 * the next chunk, whichever job it belongs to, so a job started while another
 * runs (creation files found by the pre-scan) never waits behind one busy
 * worker while the other idles. Each worker holds up to DEPTH chunks, so it
 * keeps working while this thread is busy (building the name indexes) and
 * cannot hand out the next one. Small inputs run inline until the workers
 * exist (a worker costs ~100 ms to start with tree-sitter loaded).
 */
import type { DeclaredPrimitive } from '../kb/locks';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { FactsOut, flushCacheWrites, GraphOut, PrescanBatch, PrescanOut, runTask, Task } from './tasks';
import { releaseNativeMemory } from './native-memory';

export interface MapOptions<T> {
  maxBytes: number;
  cacheDir?: string;
  focus?: 'creations';
  want?: string[];
  /** Pre-scan: look for lock primitives too. */
  locks?: boolean;
  /** Facts and graph: `.slabcheck.json` lockPrimitives (calls to them are lock operations). */
  primitives?: Record<string, DeclaredPrimitive>;
  chunkSize?: number;
  /** Progress: files done of total. */
  onChunk?: (done: number, total: number) => void;
  /** Each chunk's results as they arrive (so a caller can start the next job early). */
  onResults?: (r: T[]) => void;
  /** Use the workers even for a few files (the main thread has other work meanwhile). */
  workers?: boolean;
}

interface Job {
  task: Task;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

const DEPTH = 2;

export class Pool {
  private workers: Worker[] = [];
  /** Chunks sent to each worker, oldest first (a worker answers in order). */
  private sent = new Map<Worker, Job[]>();
  private queue: Job[] = [];
  private closing = false;

  /** `script`: the worker entry (tests pass one that misbehaves). */
  constructor(private size: number, private script = path.join(__dirname, 'worker.js')) {}

  private ensure(): void {
    this.closing = false;
    while (this.workers.length < this.size) this.workers.push(this.spawn());
  }

  private spawn(): Worker {
    const w = new Worker(this.script);
    this.sent.set(w, []);
    w.on('message', (m: { result?: unknown; error?: string }) => {
      const job = this.sent.get(w)?.shift();
      if (!job) return;
      if (m.error) job.reject(new Error(m.error));
      else job.resolve(m.result);
      this.pump();
    });
    let failed = false;
    const fail = (e: Error) => {
      if (failed) return;
      failed = true;
      // Only the chunks this worker held fail; a fresh worker takes its place.
      const jobs = this.sent.get(w) ?? [];
      this.sent.delete(w);
      this.workers = this.workers.filter((x) => x !== w);
      for (const job of jobs) job.reject(e);
      if (!this.closing) {
        this.workers.push(this.spawn());
        this.pump();
      }
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`worker exited with code ${code}`)));
    return w;
  }

  private pump(): void {
    while (this.queue.length) {
      let best: Worker | undefined;
      for (const w of this.workers) if (!best || this.sent.get(w)!.length < this.sent.get(best)!.length) best = w;
      if (!best || this.sent.get(best)!.length >= DEPTH) return;
      const job = this.queue.shift()!;
      this.sent.get(best)!.push(job);
      best.postMessage({ id: 0, task: job.task });
    }
  }

  private submit<T>(task: Task): Promise<T> {
    if (this.closing) return Promise.reject(new Error('analysis cancelled'));
    return new Promise<T>((resolve, reject) => {
      // Parses go before pre-scan chunks: they are what the caller waits on next, and while
      // they run the pre-scan's own tail keeps the other worker busy.
      const job = { task, resolve: resolve as (v: unknown) => void, reject };
      if (task.kind !== 'prescan') {
        const at = this.queue.findIndex((j) => j.task.kind === 'prescan');
        this.queue.splice(at < 0 ? this.queue.length : at, 0, job);
      } else this.queue.push(job);
      this.pump();
    });
  }

  /** Run a task over files, chunked across workers. */
  async map<T extends PrescanBatch | PrescanOut | FactsOut | GraphOut>(kind: Task['kind'], files: string[], o: MapOptions<T>): Promise<T[]> {
    const chunkSize = o.chunkSize ?? 64;
    const task = (part: string[]) => ({ kind, files: part, maxBytes: o.maxBytes, cacheDir: o.cacheDir, focus: o.focus, want: o.want, locks: o.locks, ...(o.primitives && Object.keys(o.primitives).length ? { primitives: o.primitives } : {}) }) as Task;
    if (this.size <= 1 || (files.length < 48 && !o.workers && !this.workers.length)) {
      const out: T[] = [];
      for (let i = 0; i < files.length; i += chunkSize) {
        const t = task(files.slice(i, i + chunkSize));
        const r = runTask(t) as T[];
        flushCacheWrites();
        releaseNativeMemory();
        out.push(...r);
        o.onResults?.(r);
        o.onChunk?.(Math.min(files.length, i + chunkSize), files.length);
      }
      return out;
    }
    this.ensure();
    const chunks: string[][] = [];
    for (let i = 0; i < files.length; i += chunkSize) chunks.push(files.slice(i, i + chunkSize));
    let done = 0;
    const results = await Promise.all(chunks.map(async (chunk) => {
      let r: T[];
      try {
        r = await this.submit<T[]>(task(chunk));
      } catch (e) {
        if (this.closing) throw new Error('analysis cancelled');
        // A crashed worker loses only its chunk: those files are reported, the rest carry on.
        r = chunk.map((p) => ({ path: p, problem: `analysis failed: ${(e as Error).message}` })) as T[];
      }
      o.onResults?.(r);
      done += chunk.length;
      o.onChunk?.(done, files.length);
      return r;
    }));
    return results.flat();
  }

  /**
   * Stop the workers. Queued chunks are cancelled; a worker in the middle of a
   * chunk is asked to exit after it (terminate() during a native parse aborts
   * the process); an idle one is ended at once.
   */
  async close(): Promise<void> {
    this.closing = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('analysis cancelled'));
    const ws = this.workers;
    this.workers = [];
    await Promise.all(ws.map((w) => {
      w.removeAllListeners('exit');
      w.removeAllListeners('error');
      w.on('error', () => undefined);
      // The exit request queues behind the chunks it holds; they finish first, then the
      // worker writes its pending cache entries and ends (an idle one at once).
      return new Promise<void>((resolve) => {
        w.once('exit', () => {
          for (const job of this.sent.get(w) ?? []) job.reject(new Error('analysis cancelled'));
          this.sent.delete(w);
          resolve();
        });
        w.postMessage({ exit: true });
      });
    }));
  }
}
