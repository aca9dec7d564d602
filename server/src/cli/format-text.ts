/** gcc-style text: `file:line:col: error: message [rule-id]`, evidence as indented `note:` lines. */
import * as path from 'path';
import type { Finding } from '../rules/types';

const rel = (p: string) => {
  const r = path.relative(process.cwd(), p);
  return r.startsWith('..') ? p : r;
};

export function formatFinding(f: Finding, color = false): string {
  const sev = f.severity === 'hint' ? 'note' : f.severity;
  const c = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const sevText = sev === 'error' ? c('1;31', 'error') : sev === 'warning' ? c('1;35', 'warning') : c('1;36', sev);
  const lines = [`${c('1', `${rel(f.file)}:${f.span[0] + 1}:${f.span[1] + 1}:`)} ${sevText}: ${f.message} [${f.rule}]`];
  for (const s of f.related) lines.push(`    ${rel(s.file)}:${s.span[0] + 1}:${s.span[1] + 1}: ${c('1;36', 'note')}: ${s.note}`);
  return lines.join('\n');
}
