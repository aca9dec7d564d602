/**
 * The NMI family in the editor (protocol): the allocator call in an NMI handler is published with its
 * registration as evidence, and the quick fix rewrites kmalloc(GFP_ATOMIC) and the kfree() of the same
 * pointer to kmalloc_nolock()/kfree_nolock().
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { after, before, describe, it } from 'node:test';
import { fileUri, LspClient } from './rpc-client';
import { NMI_H } from '../rules/nmi.test';

const SRC = `#include "nmi.h"
struct sample { int v; };
static int bt_nmi(unsigned int cmd, struct pt_regs *regs)
{
	struct sample *s = kmalloc(sizeof(*s), GFP_ATOMIC);

	if (!s)
		return NMI_DONE;
	s->v = 1;
	kfree(s);
	return NMI_HANDLED;
}
int bt_init(void)
{
	return register_nmi_handler(NMI_LOCAL, bt_nmi, 0, "bt");
}
`;

describe('NMI allocator call: diagnostic and quick fix (protocol)', { timeout: 60000 }, () => {
  let ws: string;
  let client: LspClient;
  const uri = () => fileUri(path.join(ws, 'bt.c'));
  const line = (s: string) => SRC.split('\n').findIndex((l) => l.includes(s));

  before(async () => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'slabcheck-nmi-'));
    fs.writeFileSync(path.join(ws, 'nmi.h'), NMI_H);
    fs.writeFileSync(path.join(ws, 'bt.c'), SRC);
    client = new LspClient({ env: { XDG_CACHE_HOME: path.join(ws, '.cache') } });
    await client.initialize(ws);
    await client.waitReady();
    client.notify('textDocument/didOpen', { textDocument: { uri: uri(), languageId: 'c', version: 1, text: SRC } });
  });

  after(async () => {
    await client?.shutdown();
    if (ws) fs.rmSync(ws, { recursive: true, force: true });
  });

  it('publishes the allocation and the free, with the registration as evidence', async () => {
    const d = await client.waitFor<{ uri: string; diagnostics: { code: string; severity: number; range: { start: { line: number } }; relatedInformation?: { message: string }[] }[] }>('textDocument/publishDiagnostics', (p) => p.uri === uri() && p.diagnostics.filter((x) => x.code === 'nmi-allocator-call').length === 2, 20000, true);
    const f = d.diagnostics.filter((x) => x.code === 'nmi-allocator-call').sort((a, b) => a.range.start.line - b.range.start.line);
    assert.deepStrictEqual(f.map((x) => [x.range.start.line, x.severity]), [[line('kmalloc('), 1], [line('kfree('), 1]]);
    assert.ok(f[0].relatedInformation?.some((r) => /registers bt_nmi\(\) as nmi handler/.test(r.message)), JSON.stringify(f[0].relatedInformation));
  });

  it('the quick fix uses kmalloc_nolock() and kfree_nolock() together', async () => {
    const l = line('kmalloc(');
    const acts = await client.request<{ title: string; edit?: { changes: Record<string, { newText: string }[]> } }[]>('textDocument/codeAction', {
      textDocument: { uri: uri() }, range: { start: { line: l, character: 30 }, end: { line: l, character: 31 } }, context: { diagnostics: [] },
    });
    const fix = acts.find((a) => /kmalloc_nolock/.test(a.title));
    assert.ok(fix, JSON.stringify(acts.map((a) => a.title)));
    assert.deepStrictEqual(fix!.edit!.changes[uri()].map((e) => e.newText).sort(), ['kfree_nolock(s)', 'kmalloc_nolock(sizeof(*s), 0, NUMA_NO_NODE)']);
  });
});
