/**
 * "auto" semantics: a kernel tree says which ctor/dtor contract it has. The
 * destructor RFC adds `void (*dtor)(void *)` to `struct kmem_cache_args` in
 * include/linux/slab.h (mainline 6.12 has only `ctor`), so a tree whose slab.h
 * declares that member is checked with the RFC's rules; checking it as
 * mainline would skip every destructor rule without a word.
 */
import * as fs from 'fs';
import * as path from 'path';
import { lineStarts, maskedSource, positionAt } from '../parse/mask';
import { matchParen } from '../parse/text-scan';
import type { Semantics } from './config';

export interface DetectedSemantics {
  semantics: Semantics;
  /** Where the answer comes from, for messages ("include/linux/slab.h:241 declares kmem_cache_args.dtor"). */
  evidence: string;
  /** The slab.h that was read, if any. */
  slabH?: string;
  /** 0-based line of the dtor member (or of the struct) in slabH. */
  line?: number;
}

/** slab.h of the tree a root belongs to: the root itself or one of its parents (a subdirectory is checked). */
export function findSlabHeader(root: string): string | undefined {
  let dir = path.resolve(root);
  for (let i = 0; i < 6; i++) {
    const p = path.join(dir, 'include', 'linux', 'slab.h');
    try {
      if (fs.statSync(p).isFile()) return p;
    } catch {
      // not here: try the parent
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

/** Read `struct kmem_cache_args { ... }` in a slab.h text: does it have a dtor member? */
export function argsHaveDtor(text: string): { found: boolean; dtor: boolean; line: number } {
  const masked = maskedSource(text);
  const re = /\bstruct\s+kmem_cache_args\s*\{/g;
  const m = re.exec(masked);
  if (!m) return { found: false, dtor: false, line: -1 };
  const open = m.index + m[0].length - 1;
  const close = matchParen(masked, open);
  const body = masked.slice(open, close < 0 ? masked.length : close);
  const starts = lineStarts(text);
  // `void (*dtor)(void *);`, or a typedef'd member `slab_dtor_t dtor;`
  const d = /\(\s*\*\s*dtor\s*\)|\bdtor\s*;/.exec(body);
  const at = d ? open + d.index : m.index;
  return { found: true, dtor: !!d, line: positionAt(starts, at)[0] };
}

export function detectSemantics(roots: string[]): DetectedSemantics {
  for (const root of roots) {
    const h = findSlabHeader(root);
    if (!h) continue;
    let text: string;
    try {
      text = fs.readFileSync(h, 'utf8');
    } catch {
      continue;
    }
    const r = argsHaveDtor(text);
    if (!r.found) continue;
    const rel = path.relative(process.cwd(), h) || h;
    if (r.dtor) return { semantics: 'dtor-rfc', evidence: `${rel}:${r.line + 1} declares kmem_cache_args.dtor (the destructor RFC)`, slabH: h, line: r.line };
    return { semantics: 'mainline', evidence: `${rel}:${r.line + 1}: struct kmem_cache_args has no dtor (mainline)`, slabH: h, line: r.line };
  }
  return { semantics: 'mainline', evidence: 'no include/linux/slab.h with struct kmem_cache_args in the tree: mainline' };
}
