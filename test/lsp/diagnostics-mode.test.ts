/** slabcheck.diagnostics: onType (default), onSave, off. */
import * as assert from 'assert';
import { describe, it, after } from 'node:test';
import * as path from 'path';
import { tempWorkspace } from '../helpers';
import { fileUri, LspClient } from './rpc-client';
import { cacheWith, HDR } from '../rules/common';

const BUGGY = `${HDR}
static void item_dtor(void *obj)
{
	struct item *it = obj;

	mutex_lock(&it->owner->mlock);
	mutex_unlock(&it->owner->mlock);
}
${cacheWith(null, 'item_dtor')}`;
const FIXED = BUGGY.replace(/\tmutex_(un)?lock\(&it->owner->mlock\);\n/g, '');

describe('slabcheck.diagnostics', () => {
  const dir = tempWorkspace({ 'a.c': BUGGY, '.slabcheck.json': JSON.stringify({ semantics: 'dtor-rfc' }) });
  const uri = fileUri(path.join(dir, 'a.c'));
  const client = new LspClient({ env: { XDG_CACHE_HOME: path.join(dir, '.cache') }, settings: { debounceMs: 0, diagnostics: 'onSave' } });
  after(async () => {
    await client.shutdown();
  });
  const sleeping = (d: { code: string }[] | undefined) => (d ?? []).some((x) => x.code === 'dtor-sleeping-lock');

  it('onSave: an edit publishes nothing until the file is saved', async () => {
    await client.initialize(dir);
    await client.waitReady();
    client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version: 1, text: BUGGY } });
    await client.waitFor('textDocument/publishDiagnostics', (p: { uri: string; diagnostics: { code: string }[] }) => p.uri === uri && sleeping(p.diagnostics), 30000, true);
    client.notify('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: FIXED }] });
    await assert.rejects(client.waitFor('textDocument/publishDiagnostics', (p: { uri: string; version?: number }) => p.uri === uri && p.version === 2, 800), /timeout/);
    assert.ok(sleeping(client.lastDiagnostics(uri)), 'the last published diagnostics are still the saved text\'s');
    client.notify('textDocument/didSave', { textDocument: { uri } });
    const p = await client.waitFor('textDocument/publishDiagnostics', (x: { uri: string; version?: number; diagnostics: { code: string }[] }) => x.uri === uri && x.version === 2);
    assert.ok(!sleeping(p.diagnostics));
  });

  it('off: diagnostics are withdrawn, hovers still answer; onType brings them back as you type', async () => {
    client.notify('textDocument/didChange', { textDocument: { uri, version: 3 }, contentChanges: [{ text: BUGGY }] });
    client.settings = { debounceMs: 0, diagnostics: 'off' };
    client.notify('workspace/didChangeConfiguration', { settings: null });
    await client.waitFor('textDocument/publishDiagnostics', (x: { uri: string; diagnostics: unknown[] }) => x.uri === uri && x.diagnostics.length === 0);
    const line = BUGGY.split('\n').findIndex((l) => l.includes('mutex_lock'));
    const h = await client.request('textDocument/hover', { textDocument: { uri }, position: { line, character: 3 } });
    assert.match(h.contents.value, /lock `pool.mlock`/);
    assert.ok(client.lastDiagnostics(uri)!.length === 0, 'the hover analysed the edit but published nothing');
    client.settings = { debounceMs: 0, diagnostics: 'onType' };
    client.notify('workspace/didChangeConfiguration', { settings: null });
    await client.waitFor('textDocument/publishDiagnostics', (x: { uri: string; diagnostics: { code: string }[] }) => x.uri === uri && sleeping(x.diagnostics));
    client.notify('textDocument/didChange', { textDocument: { uri, version: 4 }, contentChanges: [{ text: FIXED }] });
    const p = await client.waitFor('textDocument/publishDiagnostics', (x: { uri: string; version?: number; diagnostics: { code: string }[] }) => x.uri === uri && x.version === 4);
    assert.ok(!sleeping(p.diagnostics));
  });

  it('a bad value is named', async () => {
    client.settings = { diagnostics: 'sometimes' };
    client.notify('workspace/didChangeConfiguration', { settings: null });
    const msg = await client.waitFor('window/showMessage', () => true);
    assert.match(msg.message, /slabcheck\.diagnostics: must be one of "onType", "onSave", "off", got "sometimes"/);
  });
});
