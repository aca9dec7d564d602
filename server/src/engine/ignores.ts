/** `/* slabcheck: ignore rule-id *\/` comments, honoured on the line, the next line, or the whole function. */
import type { Project } from '../index/project';
import type { Finding } from '../rules/types';

export function applyIgnores(findings: Finding[], project: Project): Finding[] {
  return findings.filter((f) => {
    const facts = project.facts.get(f.file);
    if (!facts || facts.ignores.length === 0) return true;
    const line = f.span[0];
    for (const ig of facts.ignores) {
      const matches = ig.rules.length === 0 || ig.rules.includes(f.rule);
      if (!matches) continue;
      if (ig.scope === 'file') return false;
      if ((ig.scope === 'line' || ig.scope === 'next-line') && ig.line === line) return false;
      if (ig.scope === 'function') {
        const fn = facts.functions.find((x) => x.at[0] <= ig.line + 1 && x.at[0] >= ig.line - 1);
        if (fn && fn.at[0] <= line && line <= fn.at[2]) return false;
      }
    }
    return true;
  });
}
