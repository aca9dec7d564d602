/** Test helpers: write a small C workspace to a temp dir and run the engine on it. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { test } from 'node:test';
import { Engine } from '../server/src/engine/engine';
import { loadConfigFile, Semantics } from '../server/src/config/config';
import { RULE_IDS } from '../server/src/rules/index';
import type { Finding } from '../server/src/rules/types';

export function tempWorkspace(files: Record<string, string | Buffer>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slabcheck-test-'));
  for (const [name, content] of Object.entries(files)) {
    const p = path.join(dir, name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }
  return dir;
}

export async function checkFiles(files: Record<string, string>, semantics: Semantics = 'dtor-rfc', opts: { fullThreshold?: number } = {}): Promise<{ findings: Finding[]; dir: string; engine: Engine }> {
  const dir = tempWorkspace(files);
  // A case may carry its `.slabcheck.json` (declared lock primitives and rules), read as the CLI reads it.
  const engine = new Engine({ roots: [dir], semantics, jobs: 1, fullThreshold: opts.fullThreshold, config: loadConfigFile(dir, RULE_IDS).config });
  const r = await engine.check();
  await engine.close();
  return { findings: r.findings, dir, engine };
}

/** "rule@file:line" (1-based lines) for compact assertions. */
export function brief(findings: Finding[], dir: string): string[] {
  return findings.map((f) => `${f.rule}@${path.relative(dir, f.file)}:${f.span[0] + 1}`).sort();
}

export interface RuleCase {
  name: string;
  files: Record<string, string>;
  semantics?: Semantics;
  /** Expected `rule@file:line` of this rule's findings (exact set). */
  expect: string[];
  /** Run demand-driven, as on a big tree (0: every file is only pre-scanned first). */
  fullThreshold?: number;
}

/**
 * ESLint-style: every valid case has no finding of the rule; every invalid case has exactly the expected ones.
 * Each case runs twice: reading the whole workspace (a small tree) and demand-driven (how a kernel tree is read).
 */
export async function runRuleCases(rule: string, cases: RuleCase[]): Promise<void> {
  const assert: typeof import("node:assert/strict") = (await import("node:assert/strict")).default;
  for (const c of cases) {
    for (const [mode, fullThreshold] of [['full', c.fullThreshold], ['demand-driven', 0]] as const) {
      const { findings, dir } = await checkFiles(c.files, c.semantics ?? 'dtor-rfc', { fullThreshold });
      const got = brief(findings.filter((f) => f.rule === rule), dir);
      fs.rmSync(dir, { recursive: true, force: true });
      assert.deepEqual(got, [...c.expect].sort(), `${rule}: case "${c.name}" (${mode} analysis)\n${findings.map((f) => `${f.rule} ${f.message}`).join('\n')}`);
    }
  }
}

/**
 * One test per rule, each running that rule's cases. A rule test file exports its cases
 * (the metamorphic harness imports them all) and registers its tests only when it is the
 * file being run, so importing it for its data runs nothing.
 */
export function registerRuleTests(cases: Record<string, RuleCase[]>, mod: NodeModule): void {
  if (require.main !== mod) return;
  for (const [rule, list] of Object.entries(cases)) test(rule, () => runRuleCases(rule, list));
}

/** `test` for a rule test file's other tests: a no-op when the file is imported for its cases. */
export function fileTests(mod: NodeModule): typeof test {
  return require.main === mod ? test : ((() => undefined) as unknown as typeof test);
}
