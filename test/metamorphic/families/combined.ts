/**
 * Several families applied one after the other (each to the previous one's output, the maps
 * composed): renamed locals and functions, then NULL checks as `NULL == p`, calls split at
 * their commas, comments before every line, parentheses around arguments; and a second chain
 * with the args as a compound literal, calls joined, guards and a function moved away (run
 * demand-driven too). A step that does not apply is skipped; a chain of fewer than two
 * steps is not a variant.
 */
import type { Family, Fixture, Variant } from '../family';
import { compose, Rewritten } from '../text';
import { cacheArgs } from './cache-args';
import { comments } from './comments';
import { guards } from './guard';
import { lines } from './lines';
import { moveHelper } from './move-helper';
import { nullChecks } from './null-checks';
import { parens } from './parens';
import { renameFamily } from './rename';

type Step = [Family, (label: string) => boolean];

function chain(fx: Fixture, steps: Step[]): { r: Rewritten; labels: string[] } | null {
  let r: Rewritten | null = null;
  const labels: string[] = [];
  for (const [fam, pick] of steps) {
    const cur: Fixture = { ...fx, files: r ? r.files : fx.files };
    const v = fam.variants(cur)?.find((x) => pick(x.label));
    if (!v) continue;
    r = r ? compose(r, v.rewritten) : v.rewritten;
    labels.push(`${fam.name}: ${v.label.replace(/ \(.*/, '')}`);
  }
  return r && labels.length >= 2 ? { r, labels } : null;
}

const any = () => true;

export const combined: Family = {
  name: 'combined',
  demandDriven: true,
  variants(fx) {
    const out: Variant[] = [];
    const a = chain(fx, [
      [renameFamily, (l) => l.startsWith('locals')],
      [renameFamily, (l) => l.startsWith('functions')],
      [nullChecks, (l) => l === 'NULL == p'],
      [lines, (l) => l === 'split at commas'],
      [comments, (l) => l === 'block'],
      [parens, (l) => l === 'single'],
    ]);
    if (a) out.push({ label: a.labels.join(' + '), rewritten: a.r });
    const b = chain(fx, [
      [cacheArgs, (l) => l === 'variable -> compound literal' || l === 'legacy -> compound literal'],
      [lines, (l) => l === 'joined'],
      [guards, (l) => l === 'scoped_guard() { }'],
      [moveHelper, any],
      [comments, (l) => l === 'debug'],
    ]);
    if (b) out.push({ label: b.labels.join(' + '), rewritten: b.r });
    return out;
  },
};
