/**
 * Finding the C files under the given paths: symlink loops, unreadable
 * directories and files that vanish are reported, never fatal.
 */
import * as fs from 'fs';
import * as path from 'path';

export interface Discovery {
  files: string[];
  problems: { path: string; message: string }[];
}

export interface DiscoverOptions {
  include?: RegExp[];
  exclude?: RegExp[];
}

const SKIP_DIRS = new Set(['.git', 'node_modules', '.slabcheck-cache', '.svn', '.hg']);

export function isCFile(p: string): boolean {
  return p.endsWith('.c') || p.endsWith('.h');
}

export function discover(paths: string[], opts: DiscoverOptions = {}): Discovery {
  const files: string[] = [];
  const problems: { path: string; message: string }[] = [];
  const seenDirs = new Set<string>();
  const accept = (p: string) =>
    (!opts.include?.length || opts.include.some((r) => r.test(p))) && !(opts.exclude ?? []).some((r) => r.test(p));
  // Only a symbolic link can make a directory loop, so only roots and links pay for realpath.
  const walk = (dir: string, checkLoop = false) => {
    if (checkLoop) {
      let real: string;
      try {
        real = fs.realpathSync(dir);
      } catch (e) {
        problems.push({ path: dir, message: `cannot resolve directory: ${(e as Error).message}` });
        return;
      }
      if (seenDirs.has(real)) {
        problems.push({ path: dir, message: 'symbolic link loop (directory already visited), skipped' });
        return;
      }
      seenDirs.add(real);
    }
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      problems.push({ path: dir, message: `cannot read directory: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (SKIP_DIRS.has(e.name)) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isSymbolicLink()) {
        let st: fs.Stats;
        try {
          st = fs.statSync(p);
        } catch (err) {
          problems.push({ path: p, message: `broken or looping symbolic link: ${(err as NodeJS.ErrnoException).code}` });
          continue;
        }
        if (st.isDirectory()) walk(p, true);
        else if (st.isFile() && isCFile(p) && accept(p)) files.push(p);
      } else if (e.isFile() && isCFile(p) && accept(p)) files.push(p);
    }
  };
  for (const p of paths) {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch (e) {
      problems.push({ path: p, message: `cannot access: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      continue;
    }
    if (st.isDirectory()) {
      try {
        seenDirs.add(fs.realpathSync(p));
      } catch {
        /* reported by walk */
      }
      walk(p);
    } else if (st.isFile()) files.push(p);
    else problems.push({ path: p, message: 'not a regular file or directory' });
  }
  return { files, problems };
}

/** Glob (`**`, `*`, `?`) to a RegExp on '/'-separated paths. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        re += '.*';
        i++;
        if (glob[i + 1] === '/') i++;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`(^|/)${re}$`);
}
