/**
 * Code lenses at the acquisitions slabcheck infers are outliers (lock-rule-held-under-outlier):
 * "zpage.lock: under a lock at 5 of 6 sites, not here". The finding carries the table's summary.
 */
import type { CodeLens } from 'vscode-languageserver/node';
import type { Finding } from '../rules/types';
import { PROBLEMS_COMMAND } from './codelens';
import { spanToRange } from './paths';

export const OUTLIER_RULE = 'lock-rule-held-under-outlier';

export function lockRuleLenses(findings: Finding[], file: string): CodeLens[] {
  const out: CodeLens[] = [];
  for (const f of findings) {
    if (f.file !== file || f.rule !== OUTLIER_RULE) continue;
    const m = /takes (\S+) under no lock(?: when called from [^,]*(?:, [^,]*)*?)?, where (\d+) of its (\d+) sites/.exec(f.message);
    const title = m ? `${m[1]}: under a lock at ${m[2]} of ${m[3]} sites, not here` : 'lock taken under no lock, unlike its other sites';
    out.push({ range: spanToRange([f.span[0], f.span[1], f.span[0], f.span[1]]), command: { title, command: PROBLEMS_COMMAND } });
  }
  return out;
}
