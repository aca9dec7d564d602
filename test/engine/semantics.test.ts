/**
 * "auto" semantics: with no .slabcheck.json, setting or flag, the tree's
 * include/linux/slab.h decides; a `.dtor` checked as mainline is never silent.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { after, describe, it } from 'node:test';
import { Engine } from '../../server/src/engine/engine';
import { argsHaveDtor, detectSemantics } from '../../server/src/config/detect-semantics';
import { brief, tempWorkspace } from '../helpers';
import { fileUri, LspClient } from '../lsp/rpc-client';

/** slab.h as the destructor RFC has it (written for this test). */
const RFC_SLAB_H = `#ifndef _LINUX_SLAB_H
#define _LINUX_SLAB_H
/* struct kmem_cache_args - a comment that names dtor must not count */
struct kmem_cache_args {
	unsigned int align;
	unsigned int useroffset;
	unsigned int usersize;
	unsigned int freeptr_offset;
	bool use_freeptr_offset;
	int (*ctor)(void *, gfp_t);
	void (*dtor)(void *);
};
#endif
`;
const MAINLINE_SLAB_H = RFC_SLAB_H.replace('\tvoid (*dtor)(void *);\n', '');

const CACHE_C = `#include <linux/slab.h>
struct conn { spinlock_t lock; struct mutex m; int __percpu *stats; };
static DEFINE_MUTEX(conn_mutex);
static int conn_ctor(void *obj, gfp_t gfp)
{
	struct conn *c = obj;

	c->stats = alloc_percpu_gfp(int, gfp);
	return c->stats ? 0 : -ENOMEM;
}
static void conn_dtor(void *obj)
{
	struct conn *c = obj;

	mutex_lock(&conn_mutex);
	free_percpu(c->stats);
	mutex_unlock(&conn_mutex);
}
static struct kmem_cache *conn_cachep;
int conn_init(void)
{
	struct kmem_cache_args args = {
		.ctor = conn_ctor,
		.dtor = conn_dtor,
	};

	conn_cachep = kmem_cache_create("conn", sizeof(struct conn), &args, 0);
	return conn_cachep ? 0 : -ENOMEM;
}
`;

const dirs: string[] = [];
function tree(slabH: string, extra: Record<string, string> = {}): string {
  const d = tempWorkspace({ 'include/linux/slab.h': slabH, 'net/conn/conn.c': CACHE_C, ...extra });
  dirs.push(d);
  return d;
}

async function run(dir: string, o: { root?: string; semantics?: 'mainline' | 'dtor-rfc' } = {}) {
  const engine = new Engine({ roots: [o.root ?? dir], semantics: o.semantics, jobs: 1 });
  const r = await engine.check();
  await engine.close();
  return { engine, findings: r.findings, got: brief(r.findings, dir) };
}

describe('auto semantics', () => {
  after(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('reads kmem_cache_args from slab.h, not from comments', () => {
    assert.deepStrictEqual(argsHaveDtor(RFC_SLAB_H), { found: true, dtor: true, line: 10 });
    assert.strictEqual(argsHaveDtor(MAINLINE_SLAB_H).dtor, false);
    assert.strictEqual(argsHaveDtor('struct kmem_cache;\n').found, false);
  });

  it('a tree whose slab.h has the RFC dtor is checked as dtor-rfc, with what --semantics dtor-rfc reports', async () => {
    const dir = tree(RFC_SLAB_H);
    const auto = await run(dir);
    const explicit = await run(dir, { semantics: 'dtor-rfc' });
    assert.strictEqual(auto.engine.config.semantics, 'dtor-rfc');
    assert.match(auto.engine.config.semanticsSource ?? '', /^auto: .*slab\.h:11 declares kmem_cache_args\.dtor/);
    assert.ok(auto.got.includes('dtor-sleeping-lock@net/conn/conn.c:15'), auto.got.join('\n'));
    assert.deepStrictEqual(auto.got, explicit.got);
  });

  it('a subdirectory of such a tree finds its slab.h above it', async () => {
    const dir = tree(RFC_SLAB_H);
    const sub = await run(dir, { root: path.join(dir, 'net') });
    assert.strictEqual(sub.engine.config.semantics, 'dtor-rfc');
  });

  it('mainline tree: a .dtor gets one semantics-mismatch warning instead of silence', async () => {
    const dir = tree(MAINLINE_SLAB_H);
    const r = await run(dir);
    assert.strictEqual(r.engine.config.semantics, 'mainline');
    assert.deepStrictEqual(r.got.filter((x) => x.startsWith('semantics-mismatch') || x.startsWith('dtor-')), ['semantics-mismatch@net/conn/conn.c:24']);
    const f = r.findings.find((x) => x.rule === 'semantics-mismatch')!;
    assert.strictEqual(f.severity, 'warning');
    assert.match(f.message, /sets \.dtor, but the checks run with mainline semantics \(auto: .*no dtor/);
  });

  it('.slabcheck.json wins over the tree, and no semantics-mismatch without a .dtor', async () => {
    const dir = tree(RFC_SLAB_H, { '.slabcheck.json': '{ "semantics": "mainline" }' });
    const { loadConfigFile } = await import('../../server/src/config/config');
    const engine = new Engine({ roots: [dir], config: loadConfigFile(dir).config, jobs: 1 });
    const r = await engine.check();
    await engine.close();
    assert.strictEqual(engine.config.semantics, 'mainline');
    assert.strictEqual(engine.config.semanticsSource, '.slabcheck.json');
    assert.deepStrictEqual(brief(r.findings, dir).filter((x) => x.startsWith('semantics-mismatch')), ['semantics-mismatch@net/conn/conn.c:24']);
    const noDtor = tree(MAINLINE_SLAB_H, { 'net/conn/conn.c': CACHE_C.replace('\t\t.dtor = conn_dtor,\n', '') });
    assert.deepStrictEqual((await run(noDtor)).got.filter((x) => x.startsWith('semantics-mismatch')), []);
  });

  it('no slab.h anywhere: mainline, and the source says why', () => {
    const d = tempWorkspace({ 'a.c': 'int x;\n' });
    dirs.push(d);
    const r = detectSemantics([d]);
    assert.strictEqual(r.semantics, 'mainline');
    assert.match(r.evidence, /no include\/linux\/slab\.h/);
  });

  it('editor: the quick fix writes .slabcheck.json, and the destructor rules then run', { timeout: 60000 }, async () => {
    const dir = tree(MAINLINE_SLAB_H);
    const client = new LspClient({ env: { XDG_CACHE_HOME: path.join(dir, '.cache-home') }, settings: { debounceMs: 30 } });
    try {
      await client.initialize(dir);
      const file = path.join(dir, 'net/conn/conn.c');
      const u = fileUri(file);
      client.notify('textDocument/didOpen', { textDocument: { uri: u, languageId: 'c', version: 1, text: CACHE_C } });
      type D = { code: string; range: { start: { line: number } } };
      const p = await client.waitFor<{ uri: string; diagnostics: D[] }>('textDocument/publishDiagnostics', (x) => x.uri === u && x.diagnostics.some((d: D) => d.code === 'semantics-mismatch'), 20000, true);
      const d = p.diagnostics.find((x) => x.code === 'semantics-mismatch')!;
      assert.strictEqual(d.range.start.line, 23);
      const actions = await client.request('textDocument/codeAction', { textDocument: { uri: u }, range: d.range, context: { diagnostics: [d] } });
      const fix = actions.find((a: { title: string }) => a.title.includes('"semantics": "dtor-rfc"'));
      assert.ok(fix, JSON.stringify(actions.map((a: { title: string }) => a.title)));
      const [create, edit] = fix.edit.documentChanges;
      assert.strictEqual(create.kind, 'create');
      assert.strictEqual(create.uri, fileUri(path.join(dir, '.slabcheck.json')));
      // What the client does with the edit: the file appears, the server is told, the RFC rules run.
      fs.writeFileSync(path.join(dir, '.slabcheck.json'), edit.edits[0].newText);
      assert.deepStrictEqual(JSON.parse(edit.edits[0].newText), { semantics: 'dtor-rfc' });
      client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: create.uri, type: 1 }] });
      const q = await client.waitFor<{ uri: string; diagnostics: D[] }>('textDocument/publishDiagnostics', (x) => x.uri === u && x.diagnostics.some((e: D) => e.code === 'dtor-sleeping-lock'), 20000, true);
      assert.ok(!q.diagnostics.some((x) => x.code === 'semantics-mismatch'));
    } finally {
      client.proc.kill('SIGKILL');
    }
  });
});
