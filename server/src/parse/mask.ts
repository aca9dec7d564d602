/**
 * A copy of the source with comments, strings and `#if 0` regions blanked to
 * spaces (newlines kept), so text scans never match inside them and offsets
 * stay the same as in the original.
 */
import type { SyntaxNode } from './parser';

const BLANK_TYPES = new Set(['comment', 'string_literal', 'char_literal', 'system_lib_string', 'raw_string_literal']);

export function maskedSource(text: string, root: SyntaxNode): string {
  const ranges: [number, number][] = [];
  collect(root, ranges);
  if (ranges.length === 0) return text;
  const out: string[] = [];
  let pos = 0;
  for (const [s, e] of ranges) {
    if (s < pos) continue;
    out.push(text.slice(pos, s));
    out.push(text.slice(s, e).replace(/[^\n]/g, ' '));
    pos = e;
  }
  out.push(text.slice(pos));
  return out.join('');
}

function collect(node: SyntaxNode, ranges: [number, number][]): void {
  const t = node.type;
  if (BLANK_TYPES.has(t)) {
    ranges.push([node.startIndex, node.endIndex]);
    return;
  }
  if ((t === 'preproc_if' || t === 'preproc_elif') && isFalse(node.childForFieldName('condition'))) {
    // Blank the dead branch; keep a live #else/#elif.
    const alt = node.childForFieldName('alternative');
    const end = alt ? alt.startIndex : node.endIndex;
    const cond = node.childForFieldName('condition')!;
    ranges.push([cond.endIndex, end]);
    if (alt) collect(alt, ranges);
    return;
  }
  if (node.childCount === 0) return;
  for (let c = node.firstChild; c; c = c.nextSibling) collect(c, ranges);
}

function isFalse(cond: SyntaxNode | null): boolean {
  return !!cond && /^\(?\s*0\s*\)?$/.test(cond.text);
}

/** Offsets of the start of each line, for offset -> (line, col). */
export function lineStarts(text: string): number[] {
  const starts = [0];
  let i = text.indexOf('\n');
  while (i !== -1) {
    starts.push(i + 1);
    i = text.indexOf('\n', i + 1);
  }
  return starts;
}

export function positionAt(starts: number[], offset: number): [number, number] {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return [lo, offset - starts[lo]];
}
