/**
 * Code lenses at a shrinker's registration (shrinker_register(), register_shrinker(), or the
 * initialiser/assignment when no registration call was found): its count/scan callbacks and
 * their findings.
 */
import type { CodeLens } from 'vscode-languageserver/node';
import type { ShrinkerInfo } from '../contexts/registry';
import type { Finding } from '../rules/types';
import { location, spanToRange, UriMap } from './paths';
import { PEEK_COMMAND, PROBLEMS_COMMAND } from './codelens';

export function shrinkerLenses(shrinkers: ShrinkerInfo[], findings: Finding[], uris: UriMap, file: string): CodeLens[] {
  const out: CodeLens[] = [];
  for (const s of shrinkers) {
    if (s.anchor.file !== file) continue;
    const range = spanToRange([s.anchor.span[0], s.anchor.span[1], s.anchor.span[0], s.anchor.span[1]]);
    const cb = (role: string) => {
      const c = s.callbacks.find((x) => x.role === role);
      return c ? (c.fn ? c.fn.fn.name : `${c.binding.expr} (not read)`) : 'none';
    };
    const targets = s.callbacks.filter((c) => c.fn).map((c) => location(uris.uri(c.fn!.file), c.fn!.fn.nameAt));
    const title = `shrinker ${s.name ? `'${s.name}'` : s.target} · count: ${cb('count_objects')} · scan: ${cb('scan_objects')}`;
    out.push({ range, command: targets.length ? { title, command: PEEK_COMMAND, arguments: [uris.uri(file), range.start, targets] } : { title, command: '' } });
    const mine = findings.filter((f) => f.rule.startsWith('shrinker-') && f.shrinker === (s.name ?? s.target));
    const errors = mine.filter((f) => f.severity === 'error').length;
    out.push({ range, command: { title: mine.length ? `${mine.length} shrinker finding${mine.length > 1 ? 's' : ''}${errors ? ` (${errors} error${errors > 1 ? 's' : ''})` : ''}` : 'no shrinker findings', command: mine.length ? PROBLEMS_COMMAND : '' } });
  }
  return out;
}
