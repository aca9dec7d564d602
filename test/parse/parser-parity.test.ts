/**
 * The two parser backends (native tree-sitter, web-tree-sitter) give the same trees and the
 * same facts: every C file of the tests and examples, text with non-ASCII comments and CRLF
 * line ends (offsets are UTF-16 code units in both), and a sample of the kernel tree when one
 * is here. Skipped, with the reason, where native tree-sitter does not load (no toolchain).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { findKernelTree } from '../../bench/kernel-tree';
import type { ParityAnswer, ParitySource } from './parity-worker';

const ROOT = path.join(__dirname, '..', '..', '..');

function cFiles(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'artifacts') cFiles(p, out);
    } else if (/\.[ch]$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

const UNICODE = `/* Grüße — 𝄞 ünïcödé; the offsets after this must agree */
#include <linux/slab.h>
static struct kmem_cache *café_cachep; /* naïve */
static DEFINE_SPINLOCK(ü_lock);
static void ctor(void *p) { /* “quoted” */ spin_lock(&ü_lock); spin_unlock(&ü_lock); }
static int __init init(void)
{
	café_cachep = kmem_cache_create("café", 64, 0, SLAB_HWCACHE_ALIGN, ctor); /* 𝄞 */
	return café_cachep ? 0 : -ENOMEM;
}
`;

function sources(): ParitySource[] {
  const files = [...cFiles(path.join(ROOT, 'test')), ...cFiles(path.join(ROOT, 'examples'))];
  const out: ParitySource[] = files.map((f) => ({ name: path.relative(ROOT, f), text: fs.readFileSync(f, 'utf8') }));
  out.push({ name: 'unicode.c', text: UNICODE }, { name: 'crlf.c', text: UNICODE.replace(/\n/g, '\r\n') });
  // A kernel sample (mm/ and kernel/fork.c: caches, ctors, locks, ERROR-node recovery), when a tree is here.
  const linux = findKernelTreeQuietly();
  if (linux) {
    const mm = fs.readdirSync(path.join(linux, 'mm')).filter((f) => f.endsWith('.c')).sort().slice(0, 24).map((f) => path.join(linux, 'mm', f));
    for (const f of [...mm, path.join(linux, 'kernel/fork.c'), path.join(linux, 'fs/userfaultfd.c')]) {
      if (fs.existsSync(f)) out.push({ name: path.relative(linux, f), text: fs.readFileSync(f, 'utf8') });
    }
  }
  return out;
}

function findKernelTreeQuietly(): string | undefined {
  // Only an extracted tree: the test never extracts the tarball.
  const c = [process.env.SLABCHECK_LINUX, '/work/linux/linux-source-6.12'].find((d) => d && fs.existsSync(`${d}/mm/slub.c`));
  return c ?? (process.env.SLABCHECK_PARITY_EXTRACT ? findKernelTree() : undefined);
}

function run(backend: 'native' | 'wasm', src: ParitySource[]): Promise<ParityAnswer> {
  return new Promise((resolve, reject) => {
    const w = new Worker(path.join(__dirname, 'parity-worker.js'), { env: { ...process.env, SLABCHECK_PARSER: backend } });
    w.once('message', (m: ParityAnswer | { error: string }) => {
      void w.terminate();
      if ('error' in m) reject(new Error(m.error));
      else resolve(m);
    });
    w.once('error', reject);
    w.postMessage(src);
  });
}

function nativeLoads(): string | undefined {
  try {
    require('tree-sitter');
    return undefined;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

const why = nativeLoads();

test('parser parity: native and wasm give the same trees and facts', { skip: why && `native tree-sitter does not load here (${why})` }, async () => {
  const src = sources();
  assert.ok(src.length >= 13, `only ${src.length} sources`);
  const [n, w] = await Promise.all([run('native', src), run('wasm', src)]);
  assert.match(n.parser, /^native: /);
  assert.match(w.parser, /^wasm: /);
  for (let i = 0; i < src.length; i++) {
    const a = n.results[i];
    const b = w.results[i];
    assert.equal(b.tree, a.tree, `${a.name}: trees differ`);
    assert.equal(b.full, a.full, `${a.name}: full facts differ`);
    assert.equal(b.focus, a.focus, `${a.name}: focused facts differ`);
    assert.equal(b.quiet, a.quiet, `${a.name}: lock-graph facts differ`);
  }
  // The wasm side freed every tree it made (trees there are never collected).
  assert.equal(w.liveTrees, 0);
  // The sample really exercises the recovery, included ranges and offsets after non-ASCII text.
  const uni = JSON.parse(w.results.find((r) => r.name === 'unicode.c')!.full) as { caches: { at: number[] }[] };
  assert.equal(uni.caches.length, 1);
  assert.deepEqual(uni.caches[0].at.slice(0, 2), [7, 15]);
});
