/**
 * tree-sitter-c, one parser per thread, from one of two backends:
 * - native: the `tree-sitter` N-API binding (an optional dependency: on a machine
 *   whose libstdc++ is older than its prebuild's, npm builds it from source, and
 *   skips it when there is no C++ toolchain);
 * - wasm: `web-tree-sitter` with the `tree-sitter-c.wasm` that tree-sitter-c
 *   ships (no native code at all; ~1.25x slower to parse).
 * `SLABCHECK_PARSER=native|wasm` forces one; by default native when it loads.
 *
 * Call `await initParser()` once per thread (CLI, language server, worker)
 * before the first parseC(); parseC() itself stays synchronous. Only the native
 * backend can also start lazily inside parseC().
 *
 * Both backends give offsets and columns in UTF-16 code units of the JS string
 * (what every caller slices with) and the same node API; the types below are
 * the part of it this code uses, so neither package's typings are needed.
 */
import * as fs from 'fs';
import { blankAnnotations } from './attributes';

export interface Point {
  row: number;
  column: number;
}

export interface Range {
  startIndex: number;
  endIndex: number;
  startPosition: Point;
  endPosition: Point;
}

export interface Edit {
  startIndex: number;
  oldEndIndex: number;
  newEndIndex: number;
  startPosition: Point;
  oldEndPosition: Point;
  newEndPosition: Point;
}

export interface SyntaxNode {
  readonly id: number;
  readonly type: string;
  readonly text: string;
  readonly startIndex: number;
  readonly endIndex: number;
  readonly startPosition: Point;
  readonly endPosition: Point;
  readonly isNamed: boolean;
  readonly hasError: boolean;
  readonly parent: SyntaxNode | null;
  readonly children: SyntaxNode[];
  readonly namedChildren: SyntaxNode[];
  readonly namedChildCount: number;
  readonly childCount: number;
  readonly firstChild: SyntaxNode | null;
  readonly lastChild: SyntaxNode | null;
  readonly nextSibling: SyntaxNode | null;
  readonly previousSibling: SyntaxNode | null;
  readonly nextNamedSibling: SyntaxNode | null;
  readonly previousNamedSibling: SyntaxNode | null;
  child(index: number): SyntaxNode | null;
  namedChild(index: number): SyntaxNode | null;
  childForFieldName(fieldName: string): SyntaxNode | null;
  childrenForFieldName(fieldName: string): SyntaxNode[];
  descendantsOfType(types: string | string[], startPosition?: Point, endPosition?: Point): SyntaxNode[];
  descendantForIndex(start: number, end?: number): SyntaxNode;
  /** A cursor from this node; disposeCursor() it when done (wasm memory). */
  walk(): TreeCursor;
  toString(): string;
}

export interface TreeCursor {
  readonly nodeType: string;
  readonly currentNode: SyntaxNode;
  gotoFirstChild(): boolean;
  gotoNextSibling(): boolean;
  gotoParent(): boolean;
}

export interface Tree {
  readonly rootNode: SyntaxNode;
  edit(edit: Edit): void;
}

export type Backend = 'native' | 'wasm';

interface Impl {
  backend: Backend;
  /** What the log line says: the package and version, why native is not used. */
  detail: string;
  parse(text: string, oldTree: Tree | undefined, ranges: Range[] | undefined): Tree;
}

let impl: Impl | undefined;
let pending: Promise<Impl> | undefined;
/** Trees made by the wasm backend and not yet disposed (tests check that nothing leaks). */
let liveWasmTrees = 0;

/** No parser could be loaded (the forced backend, or neither). */
export class ParserLoadError extends Error {}

function wanted(): Backend | undefined {
  const v = process.env.SLABCHECK_PARSER;
  if (!v) return undefined;
  if (v === 'native' || v === 'wasm') return v;
  throw new ParserLoadError(`SLABCHECK_PARSER must be 'native' or 'wasm', got '${v}'`);
}

function packageVersion(name: string): string {
  try {
    // Read from the file: web-tree-sitter's `exports` does not list its package.json.
    const dir = require.resolve(name).replace(/[\\/](?:index\.js|tree-sitter\.cjs)$/, '');
    return (JSON.parse(fs.readFileSync(`${dir}/package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

function loadNative(): Impl {
  // Required here, not imported: the package is optional and may not be installed.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const Parser = require('tree-sitter') as new () => {
    setLanguage(l: unknown): void;
    parse(text: string, old?: Tree, opts?: { bufferSize?: number; includedRanges?: Range[] }): Tree;
  };
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const language = require('tree-sitter-c') as unknown;
  const parser = new Parser();
  parser.setLanguage(language);
  return {
    backend: 'native',
    detail: `tree-sitter ${packageVersion('tree-sitter')}`,
    parse(text, oldTree, ranges) {
      // The binding reads the input in chunks of bufferSize; give it the whole text at once.
      const opts: { bufferSize: number; includedRanges?: Range[] } = { bufferSize: Math.max(1024, text.length * 2 + 2) };
      if (ranges) opts.includedRanges = ranges;
      return parser.parse(text, oldTree, opts);
    },
  };
}

async function loadWasm(why: string): Promise<Impl> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { Parser, Language } = require('web-tree-sitter') as typeof import('web-tree-sitter');
  // The two modules are read from their packages' files (also inside the .vsix, where the
  // server is one bundle): no fetch, no locateFile guessing.
  const wasmDir = require.resolve('web-tree-sitter').replace(/[\\/][^\\/]+$/, '');
  await Parser.init({ wasmBinary: fs.readFileSync(`${wasmDir}/tree-sitter.wasm`) });
  const cDir = require.resolve('tree-sitter-c/package.json').replace(/[\\/]package\.json$/, '');
  const language = await Language.load(fs.readFileSync(`${cDir}/tree-sitter-c.wasm`));
  const parser = new Parser();
  parser.setLanguage(language);
  return {
    backend: 'wasm',
    detail: `web-tree-sitter ${packageVersion('web-tree-sitter')}${why ? `; native tree-sitter not used: ${why}` : ''}`,
    parse(text, oldTree, ranges) {
      const t = parser.parse(text, (oldTree as unknown as import('web-tree-sitter').Tree | undefined) ?? null, ranges ? { includedRanges: ranges } : undefined);
      if (!t) throw new Error('web-tree-sitter returned no tree');
      liveWasmTrees++;
      return t as unknown as Tree;
    },
  };
}

function nativeFailure(e: unknown): string {
  const m = (e as Error).message ?? String(e);
  if ((e as { code?: string }).code === 'MODULE_NOT_FOUND' && /'tree-sitter'/.test(m)) return 'not installed';
  return m.split('\n')[0];
}

/**
 * Load this thread's parser (idempotent; concurrent calls share one load).
 * Resolves to the backend in use; rejects when the forced one cannot load.
 */
export function initParser(): Promise<Backend> {
  if (impl) return Promise.resolve(impl.backend);
  if (!pending) {
    pending = (async () => {
      const want = wanted();
      let why = '';
      if (want !== 'wasm') {
        try {
          return loadNative();
        } catch (e) {
          if (want === 'native') throw new ParserLoadError(`SLABCHECK_PARSER=native: tree-sitter does not load: ${nativeFailure(e)}`);
          why = nativeFailure(e);
        }
      } else why = 'SLABCHECK_PARSER=wasm';
      try {
        return await loadWasm(why);
      } catch (e) {
        throw new ParserLoadError(`no C parser loads: web-tree-sitter: ${(e as Error).message}${want ? '' : `; tree-sitter: ${why}`}`);
      }
    })();
    pending.then((i) => { impl = i; }, () => { pending = undefined; });
  }
  return pending.then((i) => i.backend);
}

function current(): Impl {
  if (impl) return impl;
  // Native loads synchronously: code that did not await initParser() still works there.
  if (wanted() !== 'wasm') {
    try {
      impl = loadNative();
      return impl;
    } catch {
      /* falls through to the error below */
    }
  }
  throw new Error('the wasm parser is not loaded: await initParser() before parseC()');
}

/** The backend in use and what it is ("native: tree-sitter 0.25.1"), once initParser() resolved. */
export function parserInfo(): string | undefined {
  return impl ? `${impl.backend}: ${impl.detail}` : undefined;
}

/**
 * Parse C text. `oldTree` (already edited) makes a reparse incremental.
 * `ranges` ([start, end) offsets, sorted, disjoint) parses only those parts
 * of the text as one document; nodes keep their offsets in the whole text.
 * The tree must be given to disposeTree() when it is no longer read.
 */
export function parseC(text: string, oldTree?: Tree, ranges?: [number, number][]): Tree {
  const prepared = blankAnnotations(text);
  return current().parse(prepared, oldTree, ranges ? toRanges(text, ranges) : undefined);
}

/**
 * Free a tree made by parseC(). Wasm trees live in the WebAssembly memory and
 * are never collected; native ones are freed by V8 (engine/native-memory.ts),
 * so this is a no-op there. A node of a disposed tree must not be read again.
 */
export function disposeTree(tree: Tree | undefined | null): void {
  if (!tree || impl?.backend !== 'wasm') return;
  (tree as unknown as { delete(): void }).delete();
  liveWasmTrees--;
}

/** Free a cursor from node.walk() (wasm memory, like trees); a no-op for native. */
export function disposeCursor(cursor: TreeCursor): void {
  if (impl?.backend === 'wasm') (cursor as unknown as { delete(): void }).delete();
}

/** Wasm trees made and not disposed in this thread (0 for native). */
export function liveTrees(): number {
  return liveWasmTrees;
}

function toRanges(text: string, ranges: [number, number][]): Range[] {
  const out: Range[] = [];
  let row = 0;
  let lineStart = 0;
  let pos = 0;
  // Newlines found with indexOf (native) rather than a JS loop over every character.
  const point = (off: number): Point => {
    for (;;) {
      const nl = text.indexOf('\n', pos);
      if (nl < 0 || nl >= off) break;
      row++;
      lineStart = nl + 1;
      pos = nl + 1;
    }
    return { row, column: off - lineStart };
  };
  for (const [s, e] of ranges) {
    const startPosition = point(s);
    out.push({ startIndex: s, endIndex: e, startPosition, endPosition: point(e) });
  }
  return out;
}
