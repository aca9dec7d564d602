/**
 * Cancelling the background index through its work-done progress: the
 * server stops (no workspace-wide diagnostics), keeps analysing open files,
 * and slabcheck.restartIndex builds the index again.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { after, before, describe, it } from 'node:test';
import { fileUri, LspClient, REPO } from './rpc-client';

describe('cancelling the index', { timeout: 60000 }, () => {
  let ws: string;
  let client: LspClient;

  before(() => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'slabcheck-lsp-cancel-'));
    fs.cpSync(path.join(REPO, 'examples/percpu-cache'), ws, { recursive: true });
    // Enough files that indexing takes a while (in worker threads).
    for (let d = 0; d < 30; d++) {
      const dir = path.join(ws, `gen/d${d}`);
      fs.mkdirSync(dir, { recursive: true });
      for (let i = 0; i < 100; i++) fs.writeFileSync(path.join(dir, `f${i}.c`), `static int f_${d}_${i}(int x)\n{\n\treturn x + ${i};\n}\n`);
    }
    client = new LspClient({ env: { XDG_CACHE_HOME: path.join(ws, '.cache-home') }, settings: {} });
  });

  after(() => {
    if (client && client.proc.exitCode === null) client.proc.kill('SIGKILL');
    fs.rmSync(ws, { recursive: true, force: true });
  });

  it('stops on cancel, keeps serving open files, and restarts on request', async () => {
    const created = client.waitFor<{ token: string }>('window/workDoneProgress/create', () => true, 20000);
    await client.initialize(ws);
    const { token } = await created;
    const u = fileUri(path.join(ws, 'widget.c'));
    client.notify('textDocument/didOpen', { textDocument: { uri: u, languageId: 'c', version: 1, text: fs.readFileSync(path.join(ws, 'widget.c'), 'utf8') } });
    await client.waitFor('$/progress', (p: { token: string; value: { kind: string } }) => p.token === token && p.value.kind === 'begin', 20000, true);
    client.notify('window/workDoneProgress/cancel', { token });
    const st = await client.waitFor<{ state: string }>('slabcheck/status', (s) => s.state === 'cancelled' || s.state === 'ready', 30000, true);
    assert.strictEqual(st.state, 'cancelled');
    // The open file is still analysed on its own; session.c (not open) gets nothing.
    const d = await client.waitFor<{ uri: string; diagnostics: { code: string }[] }>('textDocument/publishDiagnostics', (p) => p.uri === u, 20000, true);
    assert.ok(Array.isArray(d.diagnostics));
    assert.ok(!client.notifications.some((n) => n.method === 'textDocument/publishDiagnostics' && n.params.uri === fileUri(path.join(ws, 'session.c')) && n.params.diagnostics.length));
    const r = await client.request('workspace/executeCommand', { command: 'slabcheck.restartIndex', arguments: [] }, 60000);
    assert.strictEqual(r.state, 'ready');
    const session = await client.waitFor<{ uri: string; diagnostics: { code: string }[] }>('textDocument/publishDiagnostics', (p) => p.uri === fileUri(path.join(ws, 'session.c')) && p.diagnostics.length > 0, 20000, true);
    assert.ok(session.diagnostics.some((x) => x.code === 'dtor-sleeping-lock'));
    const widget = client.lastDiagnostics(u)!;
    assert.ok(widget.some((x) => x.code === 'dtor-irq-unsafe-lock'), 'cross-file findings are back for the open file');
    assert.strictEqual(await client.shutdown(), 0);
  });
});
