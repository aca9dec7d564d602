/** Code lenses above each cache creation: its ctor/dtor, its findings, and a simulation. */
import type { CodeLens } from 'vscode-languageserver/node';
import type { FileFacts } from '../facts/types';
import type { CacheInfo } from '../index/analysis';
import type { Finding } from '../rules/types';
import { sameCreation } from './hover';
import { location, spanToRange, UriMap } from './paths';

export const PEEK_COMMAND = 'slabcheck.peekCtorDtor';
export const SIMULATE_COMMAND = 'slabcheck.simulateCache';
export const PROBLEMS_COMMAND = 'workbench.actions.view.problems';

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
  }
  return out;
}
