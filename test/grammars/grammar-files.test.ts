/**
 * Static checks of the grammar files: they parse, every regex compiles with
 * Oniguruma, scope names follow the conventions, and syntaxes/README.md lists
 * exactly the scopes the grammars emit and a valid contributes snippet.
 */
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as oniguruma from 'vscode-oniguruma';
import { grammarFiles, loadGrammar, onigLib, regexesIn, repoRoot, scopeNamesIn } from './tmHelpers';

const SHIPPED = ['source.c.slabcheck', 'source.c.slabcheck.directives', 'text.slabcheck.report'];
const readme = fs.readFileSync(path.join(repoRoot, 'syntaxes', 'README.md'), 'utf8');

/** Scope names as they appear in grammar files; "${1:/downcase}" is expanded to its documented values. */
function emittedScopes(scopeName: string): string[] {
  const out = new Set<string>();
  for (const name of scopeNamesIn(grammarFiles[scopeName])) {
    for (const one of name.split(' ')) {
      if (one.includes('${1:/downcase}')) {
        for (const v of ['warning', 'bug', 'error', 'info']) out.add(one.replace('${1:/downcase}', v));
      } else {
        out.add(one);
      }
    }
  }
  return [...out];
}

describe('grammar files', () => {
  for (const scopeName of SHIPPED) {
    test(`${scopeName}: JSON, scopeName, every regex compiles, grammar loads`, async () => {
      const file = grammarFiles[scopeName];
      const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as { scopeName: string; injectionSelector?: string };
      assert.equal(raw.scopeName, scopeName);
      await onigLib();
      for (const re of regexesIn(file)) {
        assert.doesNotThrow(() => new oniguruma.OnigScanner([re]).dispose(), `regex does not compile: ${re}`);
      }
      if (scopeName === 'text.slabcheck.report') assert.ok(await loadGrammar(scopeName));
      else assert.ok(raw.injectionSelector, 'an injection grammar needs an injectionSelector');
    });
  }

  test('injection selectors', () => {
    const main = JSON.parse(fs.readFileSync(grammarFiles['source.c.slabcheck'], 'utf8'));
    assert.equal(main.injectionSelector, 'L:source.c -comment -string, L:source.cpp -comment -string');
    const dir = JSON.parse(fs.readFileSync(grammarFiles['source.c.slabcheck.directives'], 'utf8'));
    assert.equal(dir.injectionSelector, 'L:source.c comment, L:source.cpp comment');
  });

  test('scope names use standard roots and end in the grammar language', () => {
    const roots = /^(support\.function|support\.type|keyword\.(other|control|operator)|entity\.(name|other)|storage\.type|variable\.other|punctuation|invalid\.illegal|constant\.(numeric|other|language)|markup\.heading|meta)\./;
    for (const scopeName of SHIPPED) {
      const suffix = scopeName === 'text.slabcheck.report' ? '.slabcheck-report' : '.c';
      for (const s of emittedScopes(scopeName)) {
        assert.match(s, roots, `${s} in ${scopeName}`);
        assert.ok(s.endsWith(suffix), `${s} in ${scopeName} should end with ${suffix}`);
      }
    }
  });
});

describe('syntaxes/README.md', () => {
  const documented = new Set([...readme.matchAll(/^\|\s*`([^`]+)`\s*\|/gm)].map((m) => m[1]));

  test('documents every emitted scope, and nothing else', () => {
    const emitted = new Set(SHIPPED.flatMap(emittedScopes));
    const missing = [...emitted].filter((s) => !documented.has(s));
    assert.deepEqual(missing, [], 'scopes missing from the README table');
    const stale = [...documented].filter((s) => !emitted.has(s));
    assert.deepEqual(stale, [], 'README lists scopes no grammar emits');
  });

  test('the contributes snippet is valid JSON and points at the grammar files', () => {
    const block = /```json\n([\s\S]*?)\n```/.exec(readme);
    assert.ok(block, 'no ```json block');
    const snippet = JSON.parse(block[1]) as {
      contributes: {
        languages: { id: string; extensions: string[] }[];
        grammars: { scopeName: string; path: string; language?: string; injectTo?: string[] }[];
      };
    };
    const { languages, grammars } = snippet.contributes;
    assert.deepEqual(
      languages.map((l) => [l.id, l.extensions]),
      [['slabcheck-report', ['.slabreport']]],
    );
    assert.deepEqual(grammars.map((g) => g.scopeName).sort(), [...SHIPPED].sort());
    for (const g of grammars) {
      const file = path.join(repoRoot, g.path);
      assert.ok(fs.existsSync(file), g.path);
      assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).scopeName, g.scopeName);
      if (g.scopeName.startsWith('source.c')) assert.deepEqual(g.injectTo, ['source.c']);
      else assert.equal(g.language, 'slabcheck-report');
    }
  });
});
