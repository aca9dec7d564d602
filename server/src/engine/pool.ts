/**
 * A small worker_threads pool. Files are sent in chunks so that the two cores
 * stay busy; small inputs run inline (a worker costs ~100 ms to start with
 * tree-sitter loaded).
 */
import * as path from 'path';
import { Worker } from 'worker_threads';
import { FactsOut, PrescanOut, runFacts, runPrescan, Task } from './tasks';

export interface MapOptions<T> {
  maxBytes: number;
  cacheDir?: string;
  focus?: 'creations';
  want?: string[];
  chunkSize?: number;
  /** Progress: files done of total. */
  onChunk?: (done: number, total: number) => void;
  /** Each chunk's results as they arrive (so a caller can start the next job early). */
  onResults?: (r: T[]) => void;
  /** Use the workers even for a few files (the main thread has other work meanwhile). */
  workers?: boolean;
}

export class Pool {
  private workers: Worker[] = [];
  private closing = false;
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; worker: Worker }>();

  constructor(private size: number) {}

  private ensure(): void {
    this.closing = false;
    while (this.workers.length < this.size) this.workers.push(this.spawn());
  }

  private spawn(): Worker {
    {
      const w = new Worker(path.join(__dirname, 'worker.js'));
      w.on('message', (m: { id: number; result?: unknown; error?: string }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.error) p.reject(new Error(m.error));
        else p.resolve(m.result);
      });
      const fail = (e: Error) => {
        // Only this worker's tasks fail; the pool replaces the worker.
        for (const [id, p] of this.pending) {
          if (p.worker !== w) continue;
          this.pending.delete(id);
          p.reject(e);
        }
      };
      w.on('error', fail);
      w.on('exit', (code) => fail(new Error(`worker exited with code ${code}`)));
      return w;
    }
  }

  private run<T>(worker: Worker, task: Task): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, worker });
      worker.postMessage({ id, task });
    });
  }

  /** Run a task over files, chunked across workers. */
  async map<T extends PrescanOut | FactsOut>(kind: Task['kind'], files: string[], o: MapOptions<T>): Promise<T[]> {
    const chunkSize = o.chunkSize ?? 64;
    const task = (part: string[]) => ({ kind, files: part, maxBytes: o.maxBytes, cacheDir: o.cacheDir, focus: o.focus, want: o.want }) as Task;
    if (this.size <= 1 || (files.length < 48 && !o.workers)) {
      const out: T[] = [];
      for (let i = 0; i < files.length; i += chunkSize) {
        const t = task(files.slice(i, i + chunkSize));
        const r = (t.kind === 'prescan' ? runPrescan(t.files, t.maxBytes) : runFacts(t.files, t.maxBytes, t.cacheDir, t.focus, t.want)) as T[];
        out.push(...r);
        o.onResults?.(r);
        o.onChunk?.(Math.min(files.length, i + chunkSize), files.length);
      }
      return out;
    }
    this.ensure();
    const chunks: string[][] = [];
    for (let i = 0; i < files.length; i += chunkSize) chunks.push(files.slice(i, i + chunkSize));
    const results: T[][] = new Array(chunks.length);
    let next = 0;
    let done = 0;
    const loop = async (slot: number) => {
      while (next < chunks.length) {
        if (this.closing) throw new Error('analysis cancelled');
        const idx = next++;
        try {
          results[idx] = await this.run<T[]>(this.workers[slot], task(chunks[idx]));
        } catch (e) {
          if (this.closing) throw new Error('analysis cancelled');
          // A crashed worker loses only its chunk: report those files, carry on with a fresh worker.
          results[idx] = chunks[idx].map((p) => ({ path: p, problem: `analysis failed: ${(e as Error).message}` })) as T[];
          void this.workers[slot].terminate();
          this.workers[slot] = this.spawn();
        }
        o.onResults?.(results[idx]);
        done += chunks[idx].length;
        o.onChunk?.(done, files.length);
      }
    };
    await Promise.all(this.workers.map((_w, i) => loop(i)));
    return results.flat();
  }

  /**
   * Stop the workers. A worker in the middle of a chunk is asked to exit after it
   * (terminate() during a native parse aborts the process); an idle one is ended at once.
   */
  async close(): Promise<void> {
    this.closing = true;
    const ws = this.workers;
    this.workers = [];
    await Promise.all(ws.map((w) => {
      const busy = [...this.pending.values()].some((p) => p.worker === w);
      if (!busy) {
        w.removeAllListeners('exit');
        return w.terminate();
      }
      return new Promise<void>((resolve) => {
        w.once('exit', () => resolve());
        w.postMessage({ exit: true });
      });
    }));
  }
}
