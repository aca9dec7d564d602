/**
 * The kept tree-sitter tree stays in step with the text under random
 * incremental edits: facts from the incremental reparse equal facts from a
 * fresh parse.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { describe, it } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { extractFacts } from '../../server/src/facts/extract';
import { parseC } from '../../server/src/parse/parser';
import { DocumentStore } from '../../server/src/lsp/documents';
import { REPO } from './rpc-client';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const SNIPPETS = ['spin_lock(&w->lock);\n', 'spin_unlock(&w->lock);', '\tkfree(x);\n', ' ', '\n', '{', '}', 'é', '/* c */', 'if (x)\n\t\treturn;', 'mutex_lock(&m);\n'];

describe('incremental document sync with a kept tree', () => {
  it('facts after 300 random incremental edits equal a fresh parse', () => {
    const store = new DocumentStore();
    const uri = 'file:///w/widget.c';
    const original = fs.readFileSync(path.join(REPO, 'examples/percpu-cache/widget.c'), 'utf8') + fs.readFileSync(path.join(REPO, 'examples/percpu-cache/registry.c'), 'utf8');
    let doc = TextDocument.create(uri, 'c', 1, original);
    store.setTree(uri, parseC(original));
    const rand = rng(42);
    for (let v = 2; v < 302; v++) {
      const text = doc.getText();
      const a = Math.floor(rand() * text.length);
      const b = Math.min(text.length, a + Math.floor(rand() * 12));
      const insert = rand() < 0.7 ? SNIPPETS[Math.floor(rand() * SNIPPETS.length)] : '';
      const range = { start: doc.positionAt(a), end: doc.positionAt(b) };
      // Two changes in one notification, as VS Code sends for multi-cursor edits.
      const second = { range: { start: doc.positionAt(0), end: doc.positionAt(0) }, text: v % 3 === 0 ? '// x\n' : '' };
      doc = store.applyChanges(doc, [{ range, text: insert }, second], v);
      if (v % 25 === 0) {
        const incr = parseC(doc.getText(), store.oldTree(uri));
        store.setTree(uri, incr);
        const fresh = parseC(doc.getText());
        assert.strictEqual(incr.rootNode.toString(), fresh.rootNode.toString(), `tree differs after edit ${v}`);
        assert.deepStrictEqual(extractFacts('/w/widget.c', doc.getText(), incr), extractFacts('/w/widget.c', doc.getText()));
      }
    }
    assert.ok(store.stats.treeEdits >= 600);
  });

  it('a full-text change drops the kept tree', () => {
    const store = new DocumentStore();
    const uri = 'file:///w/a.c';
    let doc = TextDocument.create(uri, 'c', 1, 'int a;');
    store.setTree(uri, parseC('int a;'));
    doc = store.applyChanges(doc, [{ text: 'int b;' }], 2);
    assert.strictEqual(doc.getText(), 'int b;');
    assert.strictEqual(store.oldTree(uri), undefined);
  });
});
