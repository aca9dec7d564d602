/** tree-sitter-c, loaded once per thread. */
import Parser = require('tree-sitter');
import { blankAnnotations } from './attributes';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const CLanguage = require('tree-sitter-c');

export type Tree = Parser.Tree;
export type SyntaxNode = Parser.SyntaxNode;

let parser: Parser | undefined;

function getParser(): Parser {
  if (!parser) {
    parser = new Parser();
    parser.setLanguage(CLanguage);
  }
  return parser;
}

/** Parse C text. `oldTree` (already edited) makes a reparse incremental. */
export function parseC(text: string, oldTree?: Tree): Tree {
  // The binding reads the input in chunks of bufferSize; give it the whole text at once.
  const prepared = blankAnnotations(text);
  return getParser().parse(prepared, oldTree, { bufferSize: Math.max(1024, prepared.length * 2 + 2) });
}
