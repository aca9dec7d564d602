/** Where the Linux tree for benchmarks is: $SLABCHECK_LINUX, an extracted tree, or Debian's tarball extracted to /tmp. */
import { execFileSync } from 'child_process';
import * as fs from 'fs';

export function findKernelTree(): string | undefined {
  const cands = [process.env.SLABCHECK_LINUX, '/work/linux/linux-source-6.12', '/tmp/slabcheck-linux/linux-source-6.12'].filter(Boolean) as string[];
  for (const c of cands) if (fs.existsSync(`${c}/mm/slub.c`)) return c;
  const tarball = '/usr/src/linux-source-6.12.tar.xz';
  if (fs.existsSync(tarball)) {
    fs.mkdirSync('/tmp/slabcheck-linux', { recursive: true });
    process.stdout.write(`extracting ${tarball} to /tmp/slabcheck-linux ...\n`);
    execFileSync('tar', ['xJf', tarball, '-C', '/tmp/slabcheck-linux']);
    return '/tmp/slabcheck-linux/linux-source-6.12';
  }
  return undefined;
}
