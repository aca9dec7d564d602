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

/**
 * A depth-first walk in sorted order that can stop and resume: `step` visits
 * up to a number of directories, so a caller can hand the files found so far
 * to the workers between steps (the pre-scan starts while the walk goes on).
 */
export class Walker {
  files: string[] = [];
  problems: { path: string; message: string }[] = [];
  private seenDirs = new Set<string>();
  /** Entries still to visit, the next one last. */
  private stack: { path: string; dir: boolean; link: boolean }[] = [];
  private accept: (p: string) => boolean;

  constructor(paths: string[], opts: DiscoverOptions = {}) {
    this.accept = (p) => (!opts.include?.length || opts.include.some((r) => r.test(p))) && !(opts.exclude ?? []).some((r) => r.test(p));
    const roots: { path: string; dir: boolean; link: boolean }[] = [];
    for (const p of paths) {
      let st: fs.Stats;
      try {
        st = fs.statSync(p);
      } catch (e) {
        this.problems.push({ path: p, message: `cannot access: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
        continue;
      }
      // Normalised once, so that a child's path is `dir + '/' + name` (what path.join gives, without
      // normalising 90k paths again on a kernel tree).
      const root = path.normalize(p).replace(/(?<=.)\/+$/, '');
      if (st.isDirectory()) roots.push({ path: root, dir: true, link: true });
      else if (st.isFile()) roots.push({ path: p, dir: false, link: false });
      else this.problems.push({ path: p, message: 'not a regular file or directory' });
    }
    this.stack = roots.reverse();
  }

  get done(): boolean {
    return this.stack.length === 0;
  }

  /** Visit up to `dirs` directories; the files found are appended to `files`. */
  step(dirs = Infinity): void {
    while (this.stack.length && dirs > 0) {
      const e = this.stack.pop()!;
      if (!e.dir) {
        this.files.push(e.path);
        continue;
      }
      dirs--;
      this.readDir(e.path, e.link);
    }
  }

  private readDir(dir: string, checkLoop: boolean): void {
    // Only a symbolic link (or a root) can make a directory loop, so only they pay for realpath.
    if (checkLoop) {
      let real: string;
      try {
        real = fs.realpathSync(dir);
      } catch (e) {
        this.problems.push({ path: dir, message: `cannot resolve directory: ${(e as Error).message}` });
        return;
      }
      if (this.seenDirs.has(real)) {
        this.problems.push({ path: dir, message: 'symbolic link loop (directory already visited), skipped' });
        return;
      }
      this.seenDirs.add(real);
    }
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      this.problems.push({ path: dir, message: `cannot read directory: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const found: { path: string; dir: boolean; link: boolean }[] = [];
    const prefix = dir === '.' ? '' : dir === '/' ? '/' : `${dir}/`;
    for (const e of entries) {
      if (SKIP_DIRS.has(e.name)) continue;
      if (e.isDirectory()) found.push({ path: prefix + e.name, dir: true, link: false });
      else if (e.isSymbolicLink()) {
        const p = prefix + e.name;
        let st: fs.Stats;
        try {
          st = fs.statSync(p);
        } catch (err) {
          this.problems.push({ path: p, message: `broken or looping symbolic link: ${(err as NodeJS.ErrnoException).code}` });
          continue;
        }
        if (st.isDirectory()) found.push({ path: p, dir: true, link: true });
        else if (st.isFile() && isCFile(p) && this.accept(p)) found.push({ path: p, dir: false, link: false });
      } else if (e.isFile() && isCFile(e.name)) {
        const p = prefix + e.name;
        if (this.accept(p)) found.push({ path: p, dir: false, link: false });
      }
    }
    for (let i = found.length - 1; i >= 0; i--) this.stack.push(found[i]);
  }
}

export function discover(paths: string[], opts: DiscoverOptions = {}): Discovery {
  const w = new Walker(paths, opts);
  w.step();
  return { files: w.files, problems: w.problems };
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
