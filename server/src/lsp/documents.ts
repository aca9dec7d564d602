/**
 * Open documents (full incremental sync through TextDocuments) plus, per
 * document, the last tree-sitter tree. Each incremental change is applied to
 * the old tree with tree.edit() before the text changes, so the next parse
 * reuses every unchanged subtree (parseC(text, oldTree)). The store owns the
 * kept trees: one replaced or dropped is disposed (wasm trees are not collected).
 */
import { TextDocuments } from 'vscode-languageserver/node';
import { TextDocument, TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import { disposeTree, Tree } from '../parse/parser';

export interface DocInfo {
  /** When the last change arrived (performance.now()). */
  changedAt: number;
}

export class DocumentStore {
  readonly documents: TextDocuments<TextDocument>;
  private trees = new Map<string, Tree>();
  readonly info = new Map<string, DocInfo>();
  private edited = new Set<string>();
  /** Incremental edits applied to kept trees (for tests and the bench). */
  stats = { treeEdits: 0, fullChanges: 0 };

  constructor() {
    this.documents = new TextDocuments<TextDocument>({
      create: (uri, languageId, version, content) => {
        this.setTree(uri, undefined);
        this.info.set(uri, { changedAt: performance.now() });
        return TextDocument.create(uri, languageId, version, content);
      },
      update: (doc, changes, version) => this.applyChanges(doc, changes, version),
    });
  }

  get(uri: string): TextDocument | undefined {
    return this.documents.get(uri);
  }

  all(): TextDocument[] {
    return this.documents.all();
  }

  /** Apply LSP content changes to a document, editing its kept tree first (TextDocuments calls this). */
  applyChanges(doc: TextDocument, changes: TextDocumentContentChangeEvent[], version: number): TextDocument {
    let tree = this.trees.get(doc.uri);
    let d = doc;
    for (const c of changes) {
      if ('range' in c && c.range) {
        if (tree) {
          const startIndex = d.offsetAt(c.range.start);
          const oldEndIndex = d.offsetAt(c.range.end);
          // offsetAt clamps; use the clamped positions for the tree too.
          const start = d.positionAt(startIndex);
          const oldEnd = d.positionAt(oldEndIndex);
          const newEndIndex = startIndex + c.text.length;
          const nl = c.text.lastIndexOf('\n');
          const newEnd = nl < 0
            ? { row: start.line, column: start.character + c.text.length }
            : { row: start.line + countNewlines(c.text), column: c.text.length - nl - 1 };
          tree.edit({
            startIndex, oldEndIndex, newEndIndex,
            startPosition: { row: start.line, column: start.character },
            oldEndPosition: { row: oldEnd.line, column: oldEnd.character },
            newEndPosition: newEnd,
          });
          this.stats.treeEdits++;
        }
      } else {
        this.setTree(doc.uri, undefined);
        tree = undefined;
        this.stats.fullChanges++;
      }
      d = TextDocument.update(d, [c], version);
    }
    this.info.set(doc.uri, { changedAt: performance.now() });
    this.edited.add(doc.uri);
    return d;
  }

  /** The edited tree to reparse from, if one is kept for this document. */
  oldTree(uri: string): Tree | undefined {
    return this.trees.get(uri);
  }

  setTree(uri: string, tree: Tree | undefined): void {
    const old = this.trees.get(uri);
    if (old && old !== tree) disposeTree(old);
    if (tree) this.trees.set(uri, tree);
    else this.trees.delete(uri);
  }

  /** Whether a content-change event comes from an edit (TextDocuments also fires one on open). */
  takeChange(uri: string): boolean {
    return this.edited.delete(uri);
  }

  closed(uri: string): void {
    this.edited.delete(uri);
    this.setTree(uri, undefined);
    this.info.delete(uri);
  }
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}
