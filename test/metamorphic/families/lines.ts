/**
 * Calls split over several lines (each argument on its own line; also a line break after the
 * `(`), and calls and brace initialisers written over several lines joined into one.
 */
import type { Family, Variant } from '../family';
import { calls, Edit, editFiles, functions, lineOf, matching, sources, tokenize, Tok } from '../text';

function split(files: Record<string, string>, afterOpen: boolean) {
  const edits: Record<string, Edit[]> = {};
  for (const file of sources(files)) {
    const src = files[file];
    edits[file] = [];
    for (const c of calls(src)) {
      if (c.args.length < (afterOpen ? 1 : 2)) continue;
      const indent = lineOf(src, c.start).indent + '\t\t';
      if (afterOpen) edits[file].push({ start: c.open + 1, end: c.args[0].start, text: `\n${indent}` });
      for (let i = 1; i < c.args.length; i++) edits[file].push({ start: c.args[i - 1].end + 1, end: c.args[i].start, text: `\n${indent}` });
    }
  }
  return editFiles(files, edits);
}

/** The gaps between tokens open..close that hold a line break and nothing but white space, joined. */
function joinGaps(src: string, toks: Tok[], open: number, close: number, out: Edit[]): void {
  for (let k = open; k < close; k++) {
    if (toks[k].kind === 'pp' || toks[k + 1].kind === 'pp') return;
  }
  for (let k = open; k < close; k++) {
    const gap = src.slice(toks[k].end, toks[k + 1].start);
    if (!gap.includes('\n') || /\S/.test(gap)) continue;
    const tight = toks[k].text === '(' || toks[k + 1].text === ')';
    out.push({ start: toks[k].end, end: toks[k + 1].start, text: tight ? '' : ' ' });
  }
}

function join(files: Record<string, string>) {
  const edits: Record<string, Edit[]> = {};
  for (const file of sources(files)) {
    const src = files[file];
    const toks = tokenize(src);
    const fns = functions(src, toks);
    const es: Edit[] = [];
    const done: [number, number][] = [];
    const within = (k: number) => done.some(([a, b]) => k > a && k < b);
    for (const fn of fns) {
      for (let k = fn.bodyOpen + 1; k < fn.bodyClose; k++) {
        if (within(k)) continue;
        const t = toks[k];
        const callOpen = t.kind === 'id' && toks[k + 1]?.text === '(' && !['if', 'while', 'for', 'switch'].includes(t.text);
        const initOpen = t.text === '=' && toks[k + 1]?.text === '{';
        if (!callOpen && !initOpen) continue;
        const open = k + 1;
        const close = matching(toks, open);
        if (!src.slice(toks[open].start, toks[close].start).includes('\n')) continue;
        joinGaps(src, toks, open, close, es);
        done.push([open, close]);
      }
    }
    edits[file] = es;
  }
  return editFiles(files, edits);
}

export const lines: Family = {
  name: 'lines',
  variants(fx) {
    const out: Variant[] = [];
    const a = split(fx.files, false);
    if (a) out.push({ label: 'split at commas', rewritten: a });
    const b = split(fx.files, true);
    if (b) out.push({ label: 'split after ( and at commas', rewritten: b });
    const c = join(fx.files);
    if (c) out.push({ label: 'joined', rewritten: c });
    return out;
  },
};
