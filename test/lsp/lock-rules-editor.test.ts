/**
 * Lock rules in the editor, over the protocol: the held-under outlier of the zsmalloc-like
 * example has its code lens, and a rule added to `.slabcheck.json` gives its finding without a
 * restart (the primitives and rules are read again when the watched file changes).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { after, before, describe, it } from 'node:test';
import { fileUri, LspClient } from './rpc-client';

const EX = path.join(__dirname, '..', '..', '..', 'examples', 'zsmalloc-like');

type Lens = { range: { start: { line: number } }; command?: { title: string } };
type Diag = { code: string; range: { start: { line: number } }; message: string };

describe('lock rules: outlier lens, .slabcheck.json edited live (protocol)', { timeout: 60000 }, () => {
  let ws: string;
  let client: LspClient;
  const src = fs.readFileSync(path.join(EX, 'zpool.c'), 'utf8');
  const uri = () => fileUri(path.join(ws, 'zpool.c'));
  const line = (s: string) => src.split('\n').findIndex((l) => l.includes(s));

  before(async () => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'slabcheck-lockrules-'));
    fs.writeFileSync(path.join(ws, 'zpool.c'), src);
    // Primitives only: no rule yet.
    const cfg = JSON.parse(fs.readFileSync(path.join(EX, '.slabcheck.json'), 'utf8'));
    fs.writeFileSync(path.join(ws, '.slabcheck.json'), JSON.stringify({ lockPrimitives: cfg.lockPrimitives }));
    client = new LspClient({ env: { XDG_CACHE_HOME: path.join(ws, '.cache') } });
    await client.initialize(ws);
    await client.waitReady();
    client.notify('textDocument/didOpen', { textDocument: { uri: uri(), languageId: 'c', version: 1, text: src } });
  });

  after(async () => {
    await client?.shutdown();
    if (ws) fs.rmSync(ws, { recursive: true, force: true });
  });

  it('the outlier is a finding and has a lens', async () => {
    const at = src.split('\n').findIndex((l, i) => l === '\tzpage_read_lock(z);' && i > line('static void zp_async_free('));
    await client.waitFor<{ uri: string; diagnostics: Diag[] }>('textDocument/publishDiagnostics', (p) => p.uri === uri() && p.diagnostics.some((x) => x.code === 'lock-rule-held-under-outlier' && x.range.start.line === at), 20000, true);
    const lenses = await client.request<Lens[]>('textDocument/codeLens', { textDocument: { uri: uri() } });
    assert.deepStrictEqual(lenses.filter((x) => x.range.start.line === at).map((x) => x.command?.title), ['zpage.lock: under a lock at 5 of 6 sites, not here']);
  });

  it('a rule written into .slabcheck.json applies without restart', async () => {
    const cfg = path.join(ws, '.slabcheck.json');
    const prims = JSON.parse(fs.readFileSync(cfg, 'utf8')).lockPrimitives;
    // A class no code holds: both write trylocks (compaction, migration) break mustHoldOneOf.
    fs.writeFileSync(cfg, JSON.stringify({ lockPrimitives: prims, lockRules: { 'zpage.lock': { write: { mustHoldOneOf: ['nobody.lock'] } } } }));
    client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: fileUri(cfg), type: 2 }] });
    const d = await client.waitFor<{ uri: string; diagnostics: Diag[] }>('textDocument/publishDiagnostics', (p) => p.uri === uri() && p.diagnostics.some((x) => x.code === 'lock-rule-must-hold'), 20000);
    assert.deepStrictEqual(d.diagnostics.filter((x) => x.code === 'lock-rule-must-hold').map((x) => x.range.start.line).sort((a, b) => a - b), [line('\tif (!zpage_write_trylock(z)) {'), line('\tif (zpage_write_trylock(z)) {')]);
    // A bad entry is reported with its field, and the configuration in effect stays.
    fs.writeFileSync(cfg, JSON.stringify({ lockPrimitives: prims, lockRules: { 'zpage.lock': { write: { trylockOnly: 'yes' } } } }));
    client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: fileUri(cfg), type: 2 }] });
    const msg = await client.waitFor<{ message: string }>('window/showMessage', (m) => m.message.includes('.slabcheck.json'));
    assert.match(msg.message, /lockRules\."zpage\.lock"\.write\.trylockOnly: expected boolean/);
  });
});
