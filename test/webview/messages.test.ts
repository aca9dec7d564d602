/**
 * Validation of what a webview posts (client/src/shared/messages.ts): only
 * whitelisted types per page, exact fields with the right types, and source
 * locations inside a workspace folder (symlinks resolved).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { after, before, describe, it } from 'node:test';
import { checkWorkspacePath, LOCKGRAPH_MESSAGES, RESULTS_MESSAGES, validateMessage } from '../../client/src/shared/messages';
import { contentSecurityPolicy, escapeHtml, makeNonce, pageHtml } from '../../client/src/shared/html';

describe('webview message validation', () => {
  let ws: string;
  let outside: string;
  const file = () => path.join(ws, 'drivers', 'foo.c');

  before(() => {
    ws = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'slabcheck-msg-ws-')));
    outside = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'slabcheck-msg-out-')));
    fs.mkdirSync(path.join(ws, 'drivers'));
    fs.writeFileSync(file(), 'int x;\n');
    fs.writeFileSync(path.join(outside, 'secret.c'), 'int y;\n');
    fs.symlinkSync(outside, path.join(ws, 'escape'));
    fs.symlinkSync(path.join(outside, 'secret.c'), path.join(ws, 'drivers', 'link.c'));
  });
  after(() => {
    fs.rmSync(ws, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });
  const v = (m: unknown, allowed = RESULTS_MESSAGES) => validateMessage(m, { allowed, roots: [ws] });
  const rejected = (m: unknown, re: RegExp, allowed = RESULTS_MESSAGES) => {
    const r = v(m, allowed);
    assert.strictEqual(r.ok, false, `should be rejected: ${JSON.stringify(m)}`);
    if (!r.ok) assert.match(r.error, re);
  };

  it('accepts the messages each page may send', () => {
    assert.deepStrictEqual(v({ type: 'ready' }), { ok: true, message: { type: 'ready' } });
    assert.deepStrictEqual(v({ type: 'export' }), { ok: true, message: { type: 'export' } });
    assert.deepStrictEqual(v({ type: 'open', file: file(), line: 3, col: 0 }), { ok: true, message: { type: 'open', file: file(), line: 3, col: 0 } });
    assert.deepStrictEqual(v({ type: 'rendered', charts: 3, items: 12, ms: 4.5 }), { ok: true, message: { type: 'rendered', charts: 3, items: 12, ms: 4.5 } });
    assert.deepStrictEqual(v({ type: 'error', message: 'x' }), { ok: true, message: { type: 'error', message: 'x' } });
    assert.ok(v({ type: 'open', file: file(), line: 0, col: 0 }, LOCKGRAPH_MESSAGES).ok);
    // A file that does not exist yet but would be inside is fine (the editor reports it missing).
    assert.ok(v({ type: 'open', file: path.join(ws, 'new', 'x.c'), line: 0, col: 0 }).ok);
  });

  it('rejects anything that is not an object with a known type', () => {
    for (const m of [null, undefined, 'open', 42, [], [{ type: 'ready' }], true]) rejected(m, /message: must be an object/);
    rejected({}, /type: unknown message type undefined/);
    rejected({ type: 'OPEN' }, /unknown message type "OPEN"/);
    rejected({ type: 'runCommand', command: 'workbench.action.terminal.new' }, /unknown message type/);
    rejected({ type: 'constructor' }, /unknown message type/);
    rejected({ type: '__proto__' }, /unknown message type/);
    rejected({ type: 7 }, /unknown message type 7/);
  });

  it('rejects types a page may not send', () => {
    rejected({ type: 'export' }, /"export" is not accepted from this view/, LOCKGRAPH_MESSAGES);
  });

  it('rejects wrong field types, missing and extra fields', () => {
    rejected({ type: 'open', file: file(), line: '3', col: 0 }, /line: must be an integer/);
    rejected({ type: 'open', file: file(), line: 1.5, col: 0 }, /line: must be an integer/);
    rejected({ type: 'open', file: file(), line: -1, col: 0 }, /line: must be an integer/);
    rejected({ type: 'open', file: file(), line: 1, col: Number.NaN }, /col: must be an integer/);
    rejected({ type: 'open', file: file(), line: 1e9, col: 0 }, /line: must be an integer between 0 and/);
    rejected({ type: 'open', file: file(), line: 1 }, /col: must be an integer/);
    rejected({ type: 'open', file: 42, line: 1, col: 0 }, /file: must be a string/);
    rejected({ type: 'open', file: { path: file() }, line: 1, col: 0 }, /file: must be a string/);
    rejected({ type: 'open', file: file(), line: 1, col: 0, command: 'x' }, /command: unexpected field/);
    rejected({ type: 'ready', extra: 1 }, /extra: unexpected field/);
    rejected({ type: 'export', result: {} }, /result: unexpected field/);
    rejected({ type: 'rendered', charts: 3, items: 1, ms: -1 }, /ms: must be a finite number/);
    rejected({ type: 'rendered', charts: 3, items: 1, ms: Infinity }, /ms: must be a finite number/);
    rejected({ type: 'error', message: 'x'.repeat(5000) }, /message: too long/);
  });

  it('rejects paths outside the workspace', () => {
    rejected({ type: 'open', file: path.join(outside, 'secret.c'), line: 0, col: 0 }, /outside the workspace/);
    rejected({ type: 'open', file: '/etc/passwd', line: 0, col: 0 }, /outside the workspace/);
    rejected({ type: 'open', file: path.join(ws, '..', path.basename(outside), 'secret.c'), line: 0, col: 0 }, /outside the workspace/);
    rejected({ type: 'open', file: `${ws}-evil/x.c`, line: 0, col: 0 }, /outside the workspace/);
    rejected({ type: 'open', file: 'drivers/foo.c', line: 0, col: 0 }, /must be an absolute path/);
    rejected({ type: 'open', file: '', line: 0, col: 0 }, /not a usable path/);
    rejected({ type: 'open', file: `${file()}\0.png`, line: 0, col: 0 }, /not a usable path/);
    rejected({ type: 'open', file: 'file:///etc/passwd', line: 0, col: 0 }, /must be an absolute path/);
    // Through a symlink that leaves the workspace: a folder, and a file.
    rejected({ type: 'open', file: path.join(ws, 'escape', 'secret.c'), line: 0, col: 0 }, /outside the workspace/);
    rejected({ type: 'open', file: path.join(ws, 'drivers', 'link.c'), line: 0, col: 0 }, /outside the workspace/);
    // No workspace folder: nothing can be opened.
    const r = validateMessage({ type: 'open', file: file(), line: 0, col: 0 }, { allowed: RESULTS_MESSAGES, roots: [] });
    assert.ok(!r.ok && /no workspace folder/.test(r.error));
  });

  it('normalises accepted paths and accepts any of several roots', () => {
    const other = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'slabcheck-msg-ws2-')));
    try {
      const p = checkWorkspacePath(path.join(other, 'a', '..', 'b.c'), [ws, other]);
      assert.deepStrictEqual(p, { ok: true, path: path.join(other, 'b.c') });
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('webview HTML shell', () => {
  it('has a nonce CSP with no remote or inline allowance', () => {
    const nonce = makeNonce();
    assert.match(nonce, /^[A-Za-z0-9_-]{24}$/);
    assert.notStrictEqual(nonce, makeNonce());
    const csp = contentSecurityPolicy('https://x.vscode-cdn.net', nonce);
    assert.strictEqual(csp, `default-src 'none'; script-src 'nonce-${nonce}'; style-src https://x.vscode-cdn.net 'nonce-${nonce}'; img-src https://x.vscode-cdn.net data:`);
    const html = pageHtml({ page: 'results', title: 'A <b> & "c"', cspSource: 'https://x.vscode-cdn.net', nonce, scriptUri: 'https://x.vscode-cdn.net/dist/media/results.js', styleUri: 'https://x.vscode-cdn.net/dist/media/webview.css' });
    assert.ok(html.includes(`<script nonce="${nonce}" src="https://x.vscode-cdn.net/dist/media/results.js"></script>`));
    assert.ok(html.includes(escapeHtml(csp)));
    assert.ok(!/unsafe-inline|unsafe-eval|https?:\/\/(?!x\.vscode-cdn\.net)/.test(html), html);
    assert.ok(html.includes('A &lt;b&gt; &amp; &quot;c&quot;'));
    assert.strictEqual((html.match(/<script/g) ?? []).length, 1, 'one script, no inline one');
    assert.ok(!/ style=/.test(html), 'no inline style attribute');
    assert.throws(() => pageHtml({ page: 'results', title: 't', cspSource: 'x', nonce: "a' 'unsafe-inline", scriptUri: '', styleUri: '' }), /nonce/);
  });
});
