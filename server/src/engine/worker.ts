/** Worker thread entry: runs Tasks sent by the pool. */
import { parentPort } from 'worker_threads';
import { runFacts, runPrescan, Task } from './tasks';

parentPort?.on('message', (msg: { id: number; task: Task } | { exit: true }) => {
  // Asked to stop: messages run one at a time, so no parse is under way now. Ending the
  // thread from outside during a tree-sitter parse aborts the whole process (Napi::Error).
  if ('exit' in msg) {
    parentPort!.close();
    process.exit(0);
  }
  try {
    const t = msg.task;
    const result = t.kind === 'prescan' ? runPrescan(t.files, t.maxBytes) : runFacts(t.files, t.maxBytes, t.cacheDir, t.focus, t.want);
    parentPort!.postMessage({ id: msg.id, result });
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, error: (e as Error).message });
  }
});
