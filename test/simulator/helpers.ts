/** Shared helpers for the simulator tests. */
import * as path from 'node:path';
import { readFileSync } from 'node:fs';

/** Repository root, from out/test/simulator or test/simulator. */
export const REPO = path.resolve(__dirname, __dirname.includes(`${path.sep}out${path.sep}`) ? '../../..' : '../..');

export function readRepoJson(rel: string): unknown {
  return JSON.parse(readFileSync(path.join(REPO, rel), 'utf8'));
}

/** Run `f` with process.stdout/stderr captured. */
export async function captureOutput(f: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  (process.stdout as unknown as { write: (s: string) => boolean }).write = (s: string) => { out.push(String(s)); return true; };
  (process.stderr as unknown as { write: (s: string) => boolean }).write = (s: string) => { err.push(String(s)); return true; };
  try {
    const code = await f();
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}
