/** SARIF 2.1.0, as GitHub code scanning accepts it (one run, rules with help text, related locations). */
import * as path from 'path';
import { RULES } from '../rules';
import type { Finding } from '../rules/types';

const LEVEL: Record<string, string> = { error: 'error', warning: 'warning', info: 'note', hint: 'note' };

export function toSarif(findings: Finding[], root: string, version: string): object {
  const uri = (p: string) => path.relative(root, p).split(path.sep).join('/');
  const region = (s: [number, number, number, number]) => ({ startLine: s[0] + 1, startColumn: s[1] + 1, endLine: s[2] + 1, endColumn: s[3] + 1 });
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'slabcheck',
          version,
          informationUri: 'https://example.invalid/slabcheck',
          rules: RULES.map((r) => ({
            id: r.meta.id,
            name: r.meta.id.replace(/(^|-)([a-z])/g, (_m, _d, ch: string) => ch.toUpperCase()),
            shortDescription: { text: r.meta.description },
            fullDescription: { text: r.meta.description },
            help: { text: r.meta.explanation, markdown: r.meta.explanation },
            defaultConfiguration: { level: LEVEL[r.meta.defaultSeverity] },
            properties: { tags: ['locking', 'slab'], precision: 'medium' },
          })),
        },
      },
      originalUriBaseIds: { SRCROOT: { uri: `file://${path.resolve(root)}/` } },
      results: findings.map((f) => ({
        ruleId: f.rule,
        ruleIndex: RULES.findIndex((r) => r.meta.id === f.rule),
        level: LEVEL[f.severity],
        message: { text: f.message },
        locations: [{ physicalLocation: { artifactLocation: { uri: uri(f.file), uriBaseId: 'SRCROOT' }, region: region(f.span) } }],
        relatedLocations: f.related.map((s, i) => ({
          id: i + 1,
          message: { text: s.note },
          physicalLocation: { artifactLocation: { uri: uri(s.file), uriBaseId: 'SRCROOT' }, region: region(s.span) },
        })),
        partialFingerprints: { primaryLocationLineHash: `${f.rule}:${uri(f.file)}:${f.message.length}` },
      })),
    }],
  };
}
