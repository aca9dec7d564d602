/**
 * Test helpers for the slabcheck TextMate grammars: load vscode-oniguruma and
 * vscode-textmate, register the grammars in syntaxes/ (plus the test-only base
 * C grammar in test/grammars/fixtures/), tokenize snippets line by line while
 * carrying the rule stack, and look up the scopes of the token covering a
 * substring.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as oniguruma from 'vscode-oniguruma';
import * as vsctm from 'vscode-textmate';

/** The repository root: the nearest ancestor holding syntaxes/slab-c.injection.tmLanguage.json. */
export const repoRoot: string = (() => {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'syntaxes', 'slab-c.injection.tmLanguage.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find the repository root above ${__dirname}`);
    dir = up;
  }
})();

export const grammarFiles: Record<string, string> = {
  'source.c': path.join(repoRoot, 'test', 'grammars', 'fixtures', 'c.tmLanguage.json'),
  'source.c.slabcheck': path.join(repoRoot, 'syntaxes', 'slab-c.injection.tmLanguage.json'),
  'source.c.slabcheck.directives': path.join(repoRoot, 'syntaxes', 'slab-c-directives.injection.tmLanguage.json'),
  'text.slabcheck.report': path.join(repoRoot, 'syntaxes', 'slabcheck-report.tmLanguage.json'),
};

/** What package.json's contributes.grammars does with injectTo: ["source.c"]. */
export const injectionsFor = (scopeName: string): string[] | undefined =>
  scopeName === 'source.c' ? ['source.c.slabcheck', 'source.c.slabcheck.directives'] : undefined;

let onigReady: Promise<vsctm.IOnigLib> | undefined;

export function onigLib(): Promise<vsctm.IOnigLib> {
  if (!onigReady) {
    onigReady = (async () => {
      const wasmPath = require.resolve('vscode-oniguruma/release/onig.wasm');
      const bytes = fs.readFileSync(wasmPath);
      const data = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      await oniguruma.loadWASM(data);
      return {
        createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
        createOnigString: (s: string) => new oniguruma.OnigString(s),
      };
    })();
  }
  return onigReady;
}

export function newRegistry(): vsctm.Registry {
  return new vsctm.Registry({
    onigLib: onigLib(),
    loadGrammar: async (scopeName) => {
      const file = grammarFiles[scopeName];
      if (!file) return null;
      return vsctm.parseRawGrammar(fs.readFileSync(file, 'utf8'), file);
    },
    getInjections: injectionsFor,
  });
}

const grammarCache = new Map<string, Promise<vsctm.IGrammar>>();

export function loadGrammar(scopeName: string): Promise<vsctm.IGrammar> {
  let g = grammarCache.get(scopeName);
  if (!g) {
    g = newRegistry()
      .loadGrammar(scopeName)
      .then((grammar) => {
        if (!grammar) throw new Error(`grammar ${scopeName} did not load`);
        return grammar;
      });
    grammarCache.set(scopeName, g);
  }
  return g;
}

export interface Token {
  text: string;
  start: number;
  end: number;
  scopes: string[];
}

export interface Line {
  /** 0-based line number in the snippet. */
  index: number;
  text: string;
  tokens: Token[];
}

export class Doc {
  constructor(readonly lines: Line[]) {}

  /** The nth (0-based) line whose text contains `needle`. */
  line(needle: string, nth = 0): Line {
    const hits = this.lines.filter((l) => l.text.includes(needle));
    const hit = hits[nth];
    if (!hit) throw new Error(`no line #${nth} containing ${JSON.stringify(needle)} in:\n${this.dump()}`);
    return hit;
  }

  /** Every distinct scope name on every token. */
  allScopes(): Set<string> {
    const out = new Set<string>();
    for (const l of this.lines) for (const t of l.tokens) for (const s of t.scopes) out.add(s);
    return out;
  }

  dump(): string {
    return this.lines.map(dumpLine).join('\n');
  }
}

export function dumpLine(line: Line): string {
  return (
    `${line.index}: ${line.text}\n` +
    line.tokens.map((t) => `    ${JSON.stringify(t.text)} ${t.scopes.join(' ')}`).join('\n')
  );
}

/** Tokenize `source` line by line, carrying the rule stack from line to line. */
export function tokenize(grammar: vsctm.IGrammar, source: string): Doc {
  let stack: vsctm.StateStack = vsctm.INITIAL;
  const lines: Line[] = [];
  source.split(/\r?\n/).forEach((text, index) => {
    const r = grammar.tokenizeLine(text, stack);
    stack = r.ruleStack;
    lines.push({
      index,
      text,
      tokens: r.tokens.map((t) => ({
        text: text.slice(t.startIndex, Math.min(t.endIndex, text.length)),
        start: t.startIndex,
        end: t.endIndex,
        scopes: t.scopes,
      })),
    });
  });
  return new Doc(lines);
}

export async function tokenizeC(source: string): Promise<Doc> {
  return tokenize(await loadGrammar('source.c'), source);
}

export async function tokenizeReport(source: string): Promise<Doc> {
  return tokenize(await loadGrammar('text.slabcheck.report'), source);
}

/**
 * The token of `line` covering the `occurrence`-th (0-based) occurrence of
 * `needle`. Throws (with a token dump) when the substring is absent or spans
 * more than one token, so an assertion never passes by accident.
 */
export function tokenOf(line: Line, needle: string, occurrence = 0): Token {
  let at = -1;
  for (let i = 0; i <= occurrence; i++) {
    at = line.text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`${JSON.stringify(needle)} (occurrence ${occurrence}) not in line\n${dumpLine(line)}`);
  }
  const end = at + needle.length;
  const tok = line.tokens.find((t) => t.start <= at && end <= t.end);
  if (!tok) throw new Error(`${JSON.stringify(needle)} spans several tokens\n${dumpLine(line)}`);
  return tok;
}

/** The scopes of the token covering `needle` (see tokenOf). */
export function scopesOf(line: Line, needle: string, occurrence = 0): string[] {
  return tokenOf(line, needle, occurrence).scopes;
}

/** True when some scope of the token covering `needle` is `scope` or starts with `scope + '.'`. */
export function hasScope(line: Line, needle: string, scope: string, occurrence = 0): boolean {
  return scopesOf(line, needle, occurrence).some((s) => s === scope || s.startsWith(scope + '.'));
}

/** Scopes on the line that come from the slabcheck grammars (they all contain ".slab"). */
export function slabScopes(line: Line): string[] {
  return line.tokens.flatMap((t) => t.scopes.filter((s) => /\.slab(check)?\b/.test(s)));
}

/** Every "name" in a grammar file (rules and captures), in order of appearance. */
export function scopeNamesIn(file: string): string[] {
  const out: string[] = [];
  const walk = (v: unknown, key?: string): void => {
    if (Array.isArray(v)) v.forEach((x) => walk(x));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
    else if (key === 'name' && typeof v === 'string') out.push(v);
  };
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  walk({ patterns: raw.patterns, repository: raw.repository });
  return out;
}

/** Every regex (match/begin/end/while) in a grammar file. */
export function regexesIn(file: string): string[] {
  const out: string[] = [];
  const walk = (v: unknown, key?: string): void => {
    if (Array.isArray(v)) v.forEach((x) => walk(x));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
    else if (typeof v === 'string' && (key === 'match' || key === 'begin' || key === 'end' || key === 'while')) out.push(v);
  };
  walk(JSON.parse(fs.readFileSync(file, 'utf8')));
  return out;
}
