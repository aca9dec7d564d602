/**
 * Messages between the extension and its webviews, and the validation of
 * every message a webview posts before the extension acts on it: a type
 * whitelist per page, exact field sets and types, and source locations that
 * must lie inside a workspace folder (after resolving symlinks). Pure node:
 * no vscode import, so it is unit-tested outside the editor.
 */
import * as fs from 'fs';
import * as path from 'path';

import type { WebviewMessage, WebviewMessageType } from './protocol';

export type { WebviewMessage, WebviewMessageType } from './protocol';

/** What each page may send. */
export const RESULTS_MESSAGES: readonly WebviewMessageType[] = ['ready', 'open', 'export', 'rendered', 'error'];
export const LOCKGRAPH_MESSAGES: readonly WebviewMessageType[] = ['ready', 'open', 'rendered', 'error'];

export type Validated = { ok: true; message: WebviewMessage } | { ok: false; error: string };

export interface ValidateOptions {
  /** Types this page may send. */
  allowed: readonly WebviewMessageType[];
  /** Workspace folders (absolute paths): an `open` outside all of them is rejected. */
  roots: readonly string[];
  /** Resolves symlinks; default fs.realpathSync.native, falling back to the path when it does not exist. */
  realpath?: (p: string) => string;
}

const MAX_LINE = 10_000_000;
const MAX_PATH = 4096;
const MAX_TEXT = 2000;

const FIELDS: Record<WebviewMessageType, Record<string, 'string' | 'int' | 'number'>> = {
  ready: {},
  open: { file: 'string', line: 'int', col: 'int' },
  export: {},
  rendered: { charts: 'int', items: 'int', ms: 'number' },
  error: { message: 'string' },
};

function defaultRealpath(p: string): string {
  try {
    return fs.realpathSync.native(p);
  } catch {
    // Not there (yet): resolve the deepest existing parent so a symlinked folder still counts.
    const parent = path.dirname(p);
    if (parent === p) return p;
    return path.join(defaultRealpath(parent), path.basename(p));
  }
}

/** `file` lies inside `root` (or is root itself), both absolute and normalised. */
export function isInside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** An absolute path inside one of `roots` (after resolving symlinks of both), or an error. */
export function checkWorkspacePath(file: string, roots: readonly string[], realpath: (p: string) => string = defaultRealpath): { ok: true; path: string } | { ok: false; error: string } {
  if (!file || file.length > MAX_PATH || file.includes('\0')) return { ok: false, error: 'file: not a usable path' };
  if (!path.isAbsolute(file)) return { ok: false, error: `file: must be an absolute path, got ${JSON.stringify(file.slice(0, 200))}` };
  const abs = path.resolve(file);
  if (!roots.length) return { ok: false, error: 'file: no workspace folder is open' };
  const real = realpath(abs);
  for (const r of roots) {
    const root = path.resolve(r);
    if (isInside(root, abs) && isInside(realpath(root), real)) return { ok: true, path: abs };
  }
  return { ok: false, error: `file: ${JSON.stringify(file.slice(0, 200))} is outside the workspace` };
}

/** Validate one message a webview posted. Anything not exactly as expected is rejected. */
export function validateMessage(raw: unknown, opts: ValidateOptions): Validated {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, error: 'message: must be an object' };
  const m = raw as Record<string, unknown>;
  const type = m.type;
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(FIELDS, type)) return { ok: false, error: `type: unknown message type ${JSON.stringify(type)}` };
  if (!opts.allowed.includes(type as WebviewMessageType)) return { ok: false, error: `type: ${JSON.stringify(type)} is not accepted from this view` };
  const spec = FIELDS[type as WebviewMessageType];
  for (const k of Object.keys(m)) {
    if (k !== 'type' && !Object.prototype.hasOwnProperty.call(spec, k)) return { ok: false, error: `${k}: unexpected field in a ${type} message` };
  }
  for (const [k, kind] of Object.entries(spec)) {
    const v = m[k];
    if (kind === 'string') {
      if (typeof v !== 'string') return { ok: false, error: `${k}: must be a string` };
      if (v.length > (k === 'file' ? MAX_PATH : MAX_TEXT)) return { ok: false, error: `${k}: too long` };
    } else if (kind === 'int') {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_LINE) return { ok: false, error: `${k}: must be an integer between 0 and ${MAX_LINE}` };
    } else if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      return { ok: false, error: `${k}: must be a finite number >= 0` };
    }
  }
  if (type === 'open') {
    const p = checkWorkspacePath(m.file as string, opts.roots, opts.realpath);
    if (!p.ok) return p;
    return { ok: true, message: { type: 'open', file: p.path, line: m.line as number, col: m.col as number } };
  }
  // Rebuild from the checked fields only.
  const out: Record<string, unknown> = { type };
  for (const k of Object.keys(spec)) out[k] = m[k];
  return { ok: true, message: out as WebviewMessage };
}
