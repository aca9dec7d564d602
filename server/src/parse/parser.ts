/** tree-sitter-c, loaded once per thread. */
import Parser = require('tree-sitter');
import { blankAnnotations } from './attributes';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const CLanguage = require('tree-sitter-c');

export type Tree = Parser.Tree;
export type SyntaxNode = Parser.SyntaxNode;
export type TreeCursor = Parser.TreeCursor;

let parser: Parser | undefined;

function getParser(): Parser {
  if (!parser) {
    parser = new Parser();
    parser.setLanguage(CLanguage);
  }
  return parser;
}

/**
 * Parse C text. `oldTree` (already edited) makes a reparse incremental.
 * `ranges` ([start, end) offsets, sorted, disjoint) parses only those parts
 * of the text as one document; nodes keep their offsets in the whole text.
 */
export function parseC(text: string, oldTree?: Tree, ranges?: [number, number][]): Tree {
  // The binding reads the input in chunks of bufferSize; give it the whole text at once.
  const prepared = blankAnnotations(text);
  const opts: Parser.Options = { bufferSize: Math.max(1024, prepared.length * 2 + 2) };
  if (ranges) opts.includedRanges = toRanges(text, ranges);
  return getParser().parse(prepared, oldTree, opts);
}

function toRanges(text: string, ranges: [number, number][]): Parser.Range[] {
  const out: Parser.Range[] = [];
  let row = 0;
  let lineStart = 0;
  let pos = 0;
  // Newlines found with indexOf (native) rather than a JS loop over every character.
  const point = (off: number): Parser.Point => {
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
