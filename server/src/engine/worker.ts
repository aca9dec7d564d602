/** Worker thread entry: runs Tasks sent by the pool. */
import { parentPort } from 'worker_threads';
import { runFacts, runPrescan, Task } from './tasks';

parentPort?.on('message', (msg: { id: number; task: Task }) => {
  try {
    const t = msg.task;
    const result = t.kind === 'prescan' ? runPrescan(t.files, t.maxBytes) : runFacts(t.files, t.maxBytes, t.cacheDir, t.focus);
    parentPort!.postMessage({ id: msg.id, result });
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, error: (e as Error).message });
  }
});
