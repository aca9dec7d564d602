/**
 * Putting a document's text into the engine. With a kept tree (edited with
 * the change ranges) the reparse is incremental; Engine.updateDocument does
 * the rest (facts, overlay, pre-scan entry, definition indexes).
 */
import type { Engine } from '../engine/engine';
import { disposeTree, parseC, Tree } from '../parse/parser';
import { readSource } from '../engine/read-source';

export interface ApplyResult {
  tree?: Tree;
  parseMs: number;
  extractMs: number;
  incremental: boolean;
}

/**
 * An editor buffer replaces the file's text in the engine; returns the new tree to keep
 * (the caller's DocumentStore.setTree() then disposes the old one).
 */
export function applyText(engine: Engine, p: string, text: string, oldTree: Tree | undefined): ApplyResult {
  const t0 = performance.now();
  let tree: Tree;
  try {
    tree = parseC(text, oldTree);
  } catch {
    // A tree that went out of sync with the text: parse from scratch.
    tree = parseC(text);
    oldTree = undefined;
  }
  const t1 = performance.now();
  try {
    engine.updateDocument(p, text, tree);
  } catch (e) {
    disposeTree(tree);
    throw e;
  }
  return { tree, parseMs: t1 - t0, extractMs: performance.now() - t1, incremental: !!oldTree };
}

/**
 * A file that changed on disk (not open in the editor): re-read it. Returns
 * why it is skipped when it is (too big, binary, vanished).
 */
export function reloadFromDisk(engine: Engine, p: string): { skipped?: string } {
  const r = readSource(p, engine.config.maxFileSize);
  if (!r.ok) {
    engine.removeFile(p);
    return { skipped: r.message };
  }
  engine.updateDocument(p, r.text);
  engine.project.overlays.delete(p);
  return {};
}

/** Why an editor buffer is not analysed, if it is not. */
export function bufferSkipReason(text: string, maxBytes: number): string | undefined {
  if (text.length > maxBytes || Buffer.byteLength(text) > maxBytes) {
    const size = Buffer.byteLength(text);
    return `file is ${(size / 1048576).toFixed(1)} MB, above the ${(maxBytes / 1048576).toFixed(1)} MB limit (slabcheck.maxFileSize); skipped`;
  }
  if (text.slice(0, 8192).indexOf('\0') >= 0) return 'binary file (contains NUL bytes); skipped';
  return undefined;
}
