/** URIs, paths, spans and ranges: the only place the LSP and the engine's coordinates meet. */
import * as path from 'path';
import { fileURLToPath, pathToFileURL } from 'url';
import type { Location, Position, Range } from 'vscode-languageserver/node';
import type { Span } from '../facts/types';

/** A file: URI to an absolute path; undefined for other schemes (untitled:, git:...). */
export function uriToPath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return path.resolve(fileURLToPath(uri));
  } catch {
    return undefined;
  }
}

/** Paths map back to the URI the client used when it opened the file; else a canonical file URI. */
export class UriMap {
  private byPath = new Map<string, string>();

  remember(uri: string, p: string): void {
    this.byPath.set(p, uri);
  }

  forget(p: string): void {
    this.byPath.delete(p);
  }

  uri(p: string): string {
    return this.byPath.get(p) ?? pathToFileURL(p).href;
  }
}

export function spanToRange(s: Span): Range {
  return { start: { line: s[0], character: s[1] }, end: { line: s[2], character: s[3] } };
}

export function rangeToSpan(r: Range): Span {
  return [r.start.line, r.start.character, r.end.line, r.end.character];
}

export function spanContains(s: Span, p: Position): boolean {
  if (p.line < s[0] || p.line > s[2]) return false;
  if (p.line === s[0] && p.character < s[1]) return false;
  if (p.line === s[2] && p.character > s[3]) return false;
  return true;
}

export function spansOverlap(a: Span, b: Span): boolean {
  const before = (l1: number, c1: number, l2: number, c2: number) => l1 < l2 || (l1 === l2 && c1 <= c2);
  return before(a[0], a[1], b[2], b[3]) && before(b[0], b[1], a[2], a[3]);
}

export function location(uri: string, s: Span): Location {
  return { uri, range: spanToRange(s) };
}

/** Offsets of line starts, for span <-> offset arithmetic on a text. */
export function lineStarts(text: string): number[] {
  const out = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) out.push(i + 1);
  return out;
}

export function offsetAt(starts: number[], text: string, line: number, col: number): number {
  if (line >= starts.length) return text.length;
  return Math.min(text.length, starts[line] + col);
}

export function positionAt(starts: number[], offset: number): Position {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo, character: offset - starts[lo] };
}

/** The identifier under a position, with its range. */
export function wordAt(text: string, starts: number[], p: Position): { word: string; span: Span } | undefined {
  const off = offsetAt(starts, text, p.line, p.character);
  let s = off;
  let e = off;
  const isW = (c: string | undefined) => !!c && /[A-Za-z0-9_]/.test(c);
  while (s > 0 && isW(text[s - 1])) s--;
  while (e < text.length && isW(text[e])) e++;
  if (s === e) return undefined;
  const word = text.slice(s, e);
  if (!/^[A-Za-z_]/.test(word)) return undefined;
  return { word, span: [p.line, s - starts[p.line], p.line, e - starts[p.line]] };
}

export function relPath(p: string, roots: string[]): string {
  for (const r of roots) {
    if (p.startsWith(r + path.sep)) return p.slice(r.length + 1);
  }
  return p;
}
