/**
 * The shrinker family in the editor, over the protocol: the hover on a callback says where it
 * runs, a code lens at the registration names count/scan and their findings, and the
 * shrinker-reclaim-deadlock finding carries the trylock + SHRINK_STOP quick fix.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { after, before, describe, it } from 'node:test';
import { fileUri, LspClient } from './rpc-client';
import { SHRINKER_H } from '../rules/shrinker.test';

const POOL = `#include "shrinker.h"
struct pool {
	struct mutex lock;
	struct shrinker *shrinker;
	long nr;
	void *buf;
};

static unsigned long pool_count(struct shrinker *s, struct shrink_control *sc)
{
	struct pool *p = s->private_data;

	return p->nr;
}

static unsigned long pool_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct pool *p = s->private_data;

	mutex_lock(&p->lock);
	p->nr = 0;
	mutex_unlock(&p->lock);
	return 0;
}

void pool_grow(struct pool *p)
{
	mutex_lock(&p->lock);
	p->buf = kmalloc(4096, GFP_KERNEL);
	mutex_unlock(&p->lock);
}

int pool_init(struct pool *p)
{
	p->shrinker = shrinker_alloc(0, "pool");
	if (!p->shrinker)
		return -ENOMEM;
	p->shrinker->count_objects = pool_count;
	p->shrinker->scan_objects = pool_scan;
	p->shrinker->private_data = p;
	shrinker_register(p->shrinker);
	return 0;
}
`;

type Lens = { range: { start: { line: number } }; command?: { title: string } };

describe('shrinker hover, lens and quick fix (protocol)', { timeout: 60000 }, () => {
  let ws: string;
  let client: LspClient;
  const uri = () => fileUri(path.join(ws, 'pool.c'));
  const line = (s: string) => POOL.split('\n').findIndex((l) => l.includes(s));

  before(async () => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'slabcheck-shrinker-'));
    fs.writeFileSync(path.join(ws, 'shrinker.h'), SHRINKER_H);
    fs.writeFileSync(path.join(ws, 'pool.c'), POOL);
    client = new LspClient({ env: { XDG_CACHE_HOME: path.join(ws, '.cache') } });
    await client.initialize(ws);
    await client.waitReady();
    client.notify('textDocument/didOpen', { textDocument: { uri: uri(), languageId: 'c', version: 1, text: POOL } });
  });

  after(async () => {
    await client?.shutdown();
    if (ws) fs.rmSync(ws, { recursive: true, force: true });
  });

  it('publishes the reclaim deadlock with its evidence', async () => {
    const d = await client.waitFor<{ uri: string; diagnostics: { code: string; range: { start: { line: number } }; relatedInformation?: { message: string }[] }[] }>('textDocument/publishDiagnostics', (p) => p.uri === uri() && p.diagnostics.some((x) => x.code === 'shrinker-reclaim-deadlock'), 20000, true);
    const f = d.diagnostics.find((x) => x.code === 'shrinker-reclaim-deadlock')!;
    assert.strictEqual(f.range.start.line, line('\tmutex_lock(&p->lock);\n\tp->nr'.split('\n')[0]));
    assert.ok(f.relatedInformation?.some((r) => /allocates with kmalloc\(GFP_KERNEL\)/.test(r.message)), JSON.stringify(f.relatedInformation));
  });

  it('hover on the callback says where it runs', async () => {
    const l = line('static unsigned long pool_scan(');
    const h = await client.request<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri: uri() }, position: { line: l, character: 'static unsigned long pool_s'.length } });
    assert.ok(h.contents.value.startsWith(`**Runs in reclaim**: \`scan_objects\` of shrinker 'pool', registered at [pool.c:${line('shrinker_register(') + 1}]`), h.contents.value);
    assert.match(h.contents.value, /### `pool_scan\(\)`/);
  });

  it('a lens at the registration names count and scan and counts the findings', async () => {
    const lenses = await client.request<Lens[]>('textDocument/codeLens', { textDocument: { uri: uri() } });
    const at = lenses.filter((x) => x.range.start.line === line('shrinker_register('));
    assert.deepStrictEqual(at.map((x) => x.command?.title), ["shrinker 'pool' · count: pool_count · scan: pool_scan", '1 shrinker finding (1 error)']);
  });

  it('the quick fix takes the lock with mutex_trylock() and returns SHRINK_STOP', async () => {
    const l = line('\tmutex_lock(&p->lock);');
    const acts = await client.request<{ title: string; edit?: { changes: Record<string, { newText: string }[]> } }[]>('textDocument/codeAction', {
      textDocument: { uri: uri() }, range: { start: { line: l, character: 1 }, end: { line: l, character: 2 } }, context: { diagnostics: [] },
    });
    const fix = acts.find((a) => /mutex_trylock/.test(a.title));
    assert.ok(fix, JSON.stringify(acts.map((a) => a.title)));
    assert.strictEqual(fix!.edit!.changes[uri()][0].newText, '\tif (!mutex_trylock(&p->lock))\n\t\treturn SHRINK_STOP;');
  });
});
