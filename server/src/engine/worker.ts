/** Worker thread entry: runs Tasks sent by the pool. */
import { parentPort } from 'worker_threads';
import { flushCacheWrites, runTask, Task } from './tasks';
import { releaseNativeMemory } from './native-memory';
import { initParser } from '../parse/parser';

type Msg = { id: number; task: Task } | { exit: true };

// Messages are queued and run one per event-loop turn: a port with messages waiting is
// drained back to back, and the native finalizers that free tree-sitter trees (run from
// setImmediate after a collection) would never get their turn.
const queue: Msg[] = [];
// This thread's parser (the wasm one loads asynchronously): tasks wait for it; if it
// cannot load, each task answers with why.
let ready = false;
let loadError: string | undefined;
initParser().then(
  () => { ready = true; },
  (e: Error) => { ready = true; loadError = e.message; },
).finally(() => { if (queue.length) setImmediate(next); });

parentPort?.on('message', (msg: Msg) => {
  queue.push(msg);
  if (queue.length === 1 && ready) setImmediate(next);
});

// Idle: write pending cache entries, a few per turn so a new task is not kept waiting.
let flushing = false;
function idleFlush(): void {
  flushing = false;
  if (queue.length) return;
  if (flushCacheWrites(4)) {
    flushing = true;
    setImmediate(idleFlush);
  }
}

function next(): void {
  const msg = queue.shift();
  if (!msg) return;
  // Asked to stop: messages run one at a time, so no parse is under way now. Ending the
  // thread from outside during a tree-sitter parse aborts the whole process (Napi::Error).
  if ('exit' in msg) {
    flushCacheWrites();
    parentPort!.close();
    process.exit(0);
  }
  try {
    if (loadError) throw new Error(loadError);
    const result = runTask(msg.task);
    parentPort!.postMessage({ id: msg.id, result });
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, error: (e as Error).message });
  }
  releaseNativeMemory();
  if (queue.length) setImmediate(next);
  else if (!flushing) {
    flushing = true;
    setImmediate(idleFlush);
  }
}
