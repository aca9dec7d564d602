import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Pool } from '../../server/src/engine/pool';
import type { PrescanOut } from '../../server/src/engine/tasks';

/** A worker that answers each file with its name, dies on "crash" files, and is slow on "slow" ones. */
function fakeWorker(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slabcheck-pool-'));
  const file = path.join(dir, 'worker.js');
  fs.writeFileSync(file, `
const { parentPort, threadId } = require('worker_threads');
parentPort.on('message', (m) => {
  if (m.exit) process.exit(0);
  const files = m.task.files;
  if (files.some((f) => f.includes('crash'))) process.exit(7);
  const until = Date.now() + (files.some((f) => f.includes('slow')) ? 200 : 0);
  while (Date.now() < until);
  parentPort.postMessage({ id: m.id, result: files.map((f) => ({ path: f, problem: 'seen by ' + threadId })) });
});
`);
  return file;
}

test('pool: a crashed worker loses only its chunk; the others finish on a fresh worker', async () => {
  const pool = new Pool(2, fakeWorker());
  const files = Array.from({ length: 100 }, (_, i) => (i === 37 ? 'crash.c' : `f${i}.c`));
  const out = await pool.map<PrescanOut>('prescan', files, { maxBytes: 1, chunkSize: 10 });
  assert.equal(out.length, 100);
  assert.deepEqual(out.map((r) => r.path), files);
  const failed = out.filter((r) => /analysis failed: worker exited with code 7/.test(r.problem ?? '')).map((r) => r.path);
  // The crashing chunk, and at most the one other chunk that worker held, are lost; nothing else.
  // (Which other chunk depends on timing: the pool learns of the exit a little after it.)
  for (const f of files.slice(30, 40)) assert.ok(failed.includes(f), f);
  assert.ok(failed.length <= 20 && failed.length % 10 === 0, `${failed.length} failed`);
  assert.equal(out.filter((r) => /^seen by/.test(r.problem ?? '')).length, 100 - failed.length);
  // A fresh worker took the dead one's place: the pool still runs two at a time.
  const again = await pool.map<PrescanOut>('prescan', files.map((f) => f.replace('crash', 'fine')), { maxBytes: 1, chunkSize: 10 });
  await pool.close();
  assert.ok(again.every((r) => /^seen by/.test(r.problem ?? '')));
  assert.equal(new Set(again.map((r) => r.problem)).size, 2, 'two workers answered');
});

test('pool: a parse job started during a long pre-scan runs ahead of its queued chunks', async () => {
  const pool = new Pool(2, fakeWorker());
  const t0 = Date.now();
  let bDone = 0;
  // A: ten slow pre-scan chunks (about 1 s on two workers). B, started after it: two quick parses.
  const a = pool.map('prescan', Array.from({ length: 10 }, (_, i) => `slow${i}.c`), { maxBytes: 1, chunkSize: 1, workers: true }).then(() => Date.now() - t0);
  const b = pool.map('facts', ['1.c', '2.c'], { maxBytes: 1, chunkSize: 1, workers: true }).then((r) => {
    bDone = Date.now() - t0;
    return r;
  });
  const [aMs, bOut] = await Promise.all([a, b]);
  await pool.close();
  assert.equal(bOut.length, 2);
  // B waits at most for the chunks already handed to the workers, not for the rest of A.
  assert.ok(bDone < aMs - 300, `B done at ${bDone} ms, A at ${aMs} ms`);
});

test('pool: close cancels queued chunks', async () => {
  const pool = new Pool(2, fakeWorker());
  const job = pool.map('prescan', Array.from({ length: 40 }, (_, i) => `slow${i}.c`), { maxBytes: 1, chunkSize: 1, workers: true });
  const cancelled = assert.rejects(job, /cancelled/);
  await new Promise((r) => setTimeout(r, 50));
  await pool.close();
  await cancelled;
});
