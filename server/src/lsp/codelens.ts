/**
 * Code lenses above each cache creation: its ctor/dtor, its findings, a
 * simulation, and for ctor-dtor-candidate caches "Simulate ctor/dtor
 * conversion (+X% +-s at 192 CPUs predicted)", whose gain is computed lazily in
 * codeLens/resolve (a short simulator sweep over seeds, memoised per cache
 * model) by the function the finding's hover uses too.
 */
import type { CodeLens } from 'vscode-languageserver/node';
import type { CacheModel } from '../../../simulator/src/model';
import type { FileFacts } from '../facts/types';
import type { CacheInfo } from '../index/analysis';
import type { Finding } from '../rules/types';
import { CANDIDATE_RULE, conversionFigures } from './conversion';
import type { Analysis } from '../index/analysis';
import { sameCreation } from './hover';
import { location, spanToRange, UriMap } from './paths';

export const PEEK_COMMAND = 'slabcheck.peekCtorDtor';
export const SIMULATE_COMMAND = 'slabcheck.simulateCache';
export const PROBLEMS_COMMAND = 'workbench.actions.view.problems';
export const COMPARE_COMMAND = 'slabcheck.compareCtorDtor';
export const CONVERSION_LENS = 'slabcheck.conversionLens';

/** What an unresolved conversion lens carries to codeLens/resolve. */
export interface ConversionLensData {
  kind: typeof CONVERSION_LENS;
  cache: string;
  uri: string;
  file: string;
  line: number;
  col: number;
}

export function isConversionLensData(d: unknown): d is ConversionLensData {
  const x = d as ConversionLensData;
  return !!x && x.kind === CONVERSION_LENS && typeof x.cache === 'string' && typeof x.uri === 'string' && typeof x.file === 'string' && Number.isInteger(x.line) && Number.isInteger(x.col);
}

/**
 * Fill in a conversion lens: predict the gain of the conversion from the
 * cache's model and its candidate finding. `models` and `findings` are the
 * workspace's current ones.
 */
export function resolveConversionLens(lens: CodeLens, models: CacheModel[], findings: Finding[], analysis?: Analysis): CodeLens {
  const d = lens.data as ConversionLensData;
  const command = { title: 'Simulate ctor/dtor conversion', command: COMPARE_COMMAND, arguments: [d.cache, d.uri] };
  const model = models.find((m) => m.at.file === d.file && m.at.startLine === d.line && m.at.startCol === d.col);
  const finding = findings.find((f) => f.rule === CANDIDATE_RULE && f.file === d.file && f.span[0] === d.line && f.span[1] === d.col);
  // The same figures the finding's hover shows (conversion.ts conversionFigures).
  if (model && finding) command.title = conversionFigures(model, finding, analysis).lensTitle;
  return { range: lens.range, command };
}

export function cacheName(literal: string): string {
  return literal.replace(/^"|"$/g, '');
}

export function codeLenses(caches: CacheInfo[], findings: Finding[], uris: UriMap, file: string, facts: FileFacts, uri: string): CodeLens[] {
  const out: CodeLens[] = [];
  for (const cr of facts.caches) {
    const info = caches.find((c) => c.file === file && sameCreation(c.creation, cr));
    const range = spanToRange([cr.at[0], cr.at[1], cr.at[0], cr.at[1]]);
    const label = (kind: 'ctor' | 'dtor') => {
      const ref = kind === 'ctor' ? cr.ctor : cr.dtor;
      const resolved = info ? (kind === 'ctor' ? info.ctor : info.dtor) : undefined;
      if (resolved) return resolved.fn.name;
      if (ref.kind === 'function') return `${ref.name} (not found)`;
      if (ref.kind === 'indirect') return `${ref.expr} (indirect)`;
      return 'none';
    };
    const targets = info ? [info.ctor, info.dtor].filter((r) => !!r).map((r) => location(uris.uri(r!.file), r!.fn.nameAt)) : [];
    out.push({
      range,
      command: targets.length
        ? { title: `ctor: ${label('ctor')} · dtor: ${label('dtor')}`, command: PEEK_COMMAND, arguments: [uri, range.start, targets] }
        : { title: `ctor: ${label('ctor')} · dtor: ${label('dtor')}`, command: '' },
    });
    const n = findings.filter((f) => f.cache === cr.name).length;
    out.push({ range, command: { title: n ? `${n} finding${n > 1 ? 's' : ''}` : 'no findings', command: n ? PROBLEMS_COMMAND : '' } });
    out.push({ range, command: { title: 'Simulate', command: SIMULATE_COMMAND, arguments: [cacheName(cr.name), uri] } });
    if (findings.some((f) => f.rule === CANDIDATE_RULE && f.file === file && f.span[0] === cr.at[0] && f.span[1] === cr.at[1])) {
      const data: ConversionLensData = { kind: CONVERSION_LENS, cache: cacheName(cr.name), uri, file, line: cr.at[0], col: cr.at[1] };
      out.push({ range, data });
    }
  }
  return out;
}
