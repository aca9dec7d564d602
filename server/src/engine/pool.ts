/**
 * A small worker_threads pool. Files are sent in chunks so that the two cores
 * stay busy; small inputs run inline (a worker costs ~100 ms to start with
 * tree-sitter loaded).
 */
import * as path from 'path';
import { Worker } from 'worker_threads';
import { FactsOut, PrescanOut, runFacts, runPrescan, Task } from './tasks';

export class Pool {
  private workers: Worker[] = [];
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(private size: number) {}

  private ensure(): void {
    while (this.workers.length < this.size) {
      const w = new Worker(path.join(__dirname, 'worker.js'));
      w.on('message', (m: { id: number; result?: unknown; error?: string }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.error) p.reject(new Error(m.error));
        else p.resolve(m.result);
      });
      w.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
      this.workers.push(w);
    }
  }

  private run<T>(worker: Worker, task: Task): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ id, task });
    });
  }

  /** Run a task over files, chunked across workers; `onChunk` reports progress. */
  async map<T extends PrescanOut | FactsOut>(
    kind: Task['kind'], files: string[], maxBytes: number, cacheDir: string | undefined,
    onChunk?: (done: number, total: number) => void, chunkSize = 64, focus?: 'creations',
  ): Promise<T[]> {
    if (this.size <= 1 || files.length < 48) {
      const out: T[] = [];
      for (let i = 0; i < files.length; i += chunkSize) {
        const part = files.slice(i, i + chunkSize);
        out.push(...((kind === 'prescan' ? runPrescan(part, maxBytes) : runFacts(part, maxBytes, cacheDir, focus)) as T[]));
        onChunk?.(Math.min(files.length, i + chunkSize), files.length);
      }
      return out;
    }
    this.ensure();
    const chunks: string[][] = [];
    for (let i = 0; i < files.length; i += chunkSize) chunks.push(files.slice(i, i + chunkSize));
    const results: T[][] = new Array(chunks.length);
    let next = 0;
    let done = 0;
    const loop = async (w: Worker) => {
      while (next < chunks.length) {
        const idx = next++;
        results[idx] = await this.run<T[]>(w, { kind, files: chunks[idx], maxBytes, cacheDir, focus } as Task);
        done += chunks[idx].length;
        onChunk?.(done, files.length);
      }
    };
    await Promise.all(this.workers.map(loop));
    return results.flat();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers = [];
  }
}
