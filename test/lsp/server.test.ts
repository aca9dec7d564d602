/**
 * The real language server (`slabcheck lsp --stdio`) over a temp copy of
 * examples/percpu-cache plus test fixtures, spoken to with a hand-written
 * JSON-RPC client. Every assertion is on a real answer.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { after, before, describe, it } from 'node:test';
import { fileUri, LspClient, REPO } from './rpc-client';

type Range = { start: { line: number; character: number }; end: { line: number; character: number } };
type TextEdit = { range: Range; newText: string };
type Diag = { range: Range; code: string; message: string; severity: number; source: string; relatedInformation?: { location: { uri: string; range: Range }; message: string }[]; data?: Record<string, unknown> };

/** Apply LSP text edits (non-overlapping) to a text. */
function applyEdits(text: string, edits: TextEdit[]): string {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  const off = (p: { line: number; character: number }) => (p.line < starts.length ? starts[p.line] + p.character : text.length);
  const sorted = [...edits].sort((a, b) => off(b.range.start) - off(a.range.start));
  let out = text;
  for (const e of sorted) out = out.slice(0, off(e.range.start)) + e.newText + out.slice(off(e.range.end));
  return out;
}

function lineOf(text: string, needle: string): { line: number; character: number } {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const c = lines[i].indexOf(needle);
    if (c >= 0) return { line: i, character: c };
  }
  throw new Error(`not found: ${needle}`);
}

describe('slabcheck language server (stdio)', { timeout: 60000 }, () => {
  let ws: string;
  let client: LspClient;
  const uri = (f: string) => fileUri(path.join(ws, f));
  const read = (f: string) => fs.readFileSync(path.join(ws, f), 'utf8');
  const versions = new Map<string, number>();
  const texts = new Map<string, string>();

  function open(f: string): string {
    const u = uri(f);
    const text = read(f);
    versions.set(u, 1);
    texts.set(u, text);
    client.notify('textDocument/didOpen', { textDocument: { uri: u, languageId: 'c', version: 1, text } });
    return u;
  }

  /** Replace the whole text through an incremental change covering everything but the unchanged prefix/suffix. */
  function change(u: string, next: string): number {
    const prev = texts.get(u)!;
    let a = 0;
    while (a < prev.length && a < next.length && prev[a] === next[a]) a++;
    let b = 0;
    while (b < prev.length - a && b < next.length - a && prev[prev.length - 1 - b] === next[next.length - 1 - b]) b++;
    const pos = (t: string, o: number) => {
      const before = t.slice(0, o);
      const line = before.split('\n').length - 1;
      return { line, character: o - (before.lastIndexOf('\n') + 1) };
    };
    const v = (versions.get(u) ?? 1) + 1;
    versions.set(u, v);
    texts.set(u, next);
    client.notify('textDocument/didChange', {
      textDocument: { uri: u, version: v },
      contentChanges: [{ range: { start: pos(prev, a), end: pos(prev, prev.length - b) }, text: next.slice(a, next.length - b) }],
    });
    return v;
  }

  const diagsAt = (u: string, v: number) => client.waitFor<{ uri: string; version?: number; diagnostics: Diag[] }>('textDocument/publishDiagnostics', (p) => p.uri === u && p.version === v, 20000, true);

  before(async () => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'slabcheck-lsp-'));
    fs.cpSync(path.join(REPO, 'examples/percpu-cache'), ws, { recursive: true });
    fs.copyFileSync(path.join(REPO, 'test/lsp/fixtures/pool.c'), path.join(ws, 'pool.c'));
    // A file above maxFileSize (set to 200 kB below) and a binary .c file.
    const big = ['// generated: larger than slabcheck.maxFileSize'];
    for (let i = 0; big.join('\n').length < 300000; i++) big.push(`static int filler_${i}(int x) { return x * ${i} + 1; }`);
    fs.writeFileSync(path.join(ws, 'huge.c'), big.join('\n'));
    fs.writeFileSync(path.join(ws, 'blob.c'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 1, 2, 3, 0, 0x6b, 0x6d, 0x65, 0x6d]));
    client = new LspClient({ env: { XDG_CACHE_HOME: path.join(ws, '.cache-home') }, settings: { maxFileSize: 200000, debounceMs: 30 } });
  });

  after(async () => {
    if (client && client.proc.exitCode === null) client.proc.kill('SIGKILL');
    fs.rmSync(ws, { recursive: true, force: true });
  });

  it('initialize announces the capabilities', async () => {
    const r = await client.initialize(ws);
    const c = r.capabilities;
    assert.strictEqual(c.textDocumentSync.change, 2, 'incremental sync');
    assert.strictEqual(c.textDocumentSync.openClose, true);
    assert.strictEqual(c.hoverProvider, true);
    assert.ok(c.codeLensProvider);
    assert.deepStrictEqual(c.codeActionProvider.codeActionKinds, ['quickfix', 'refactor.rewrite']);
    for (const cmd of ['slabcheck.restartIndex', 'slabcheck.listCaches', 'slabcheck.lockGraph']) assert.ok(c.executeCommandProvider.commands.includes(cmd), cmd);
    assert.strictEqual(r.serverInfo.name, 'slabcheck');
  });

  it('indexes in the background with work-done progress and publishes diagnostics for files not open', async () => {
    const st = await client.waitReady();
    assert.strictEqual(st.state, 'ready');
    assert.ok(client.serverRequests.some((m) => m.method === 'window/workDoneProgress/create'), 'progress created');
    const begin = client.notifications.find((n) => n.method === '$/progress' && n.params.value.kind === 'begin');
    assert.ok(begin && begin.params.value.cancellable === true, 'cancellable progress');
    await client.waitFor('$/progress', (p: { value: { kind: string } }) => p.value.kind === 'end', 10000, true);
    const session = await client.waitFor<{ uri: string; diagnostics: Diag[] }>('textDocument/publishDiagnostics', (p) => p.uri === uri('session.c'), 10000, true);
    const codes = session.diagnostics.map((d: Diag) => d.code);
    assert.ok(codes.includes('dtor-sleeping-lock'), codes.join());
    assert.ok(codes.includes('dtor-frees-to-slab'), codes.join());
  });

  it('skips the huge and the binary file with one clear message each, and still publishes the rest', async () => {
    const logs = client.notifications.filter((n) => n.method === 'window/logMessage').map((n) => n.params.message as string);
    const hugeLogs = logs.filter((m) => m.includes('huge.c'));
    assert.strictEqual(hugeLogs.length, 1, hugeLogs.join('\n'));
    assert.match(hugeLogs[0], /above the 0\.2 MB limit/);
    const blobLogs = logs.filter((m) => m.includes('blob.c'));
    assert.strictEqual(blobLogs.length, 1, blobLogs.join('\n'));
    assert.match(blobLogs[0], /binary/);
    // Not open: the Problems panel is left to the findings (the status item counts skipped files).
    assert.strictEqual(client.lastDiagnostics(uri('huge.c')), undefined);
    assert.strictEqual(client.lastDiagnostics(uri('blob.c')), undefined);
    assert.ok(client.lastDiagnostics(uri('widget.c'))!.length >= 3, 'other files still have their diagnostics');
    // Opened, the file says why it has no findings.
    const u = open('huge.c');
    const p = await client.waitFor('textDocument/publishDiagnostics', (x: { uri: string; diagnostics: Diag[] }) => x.uri === u && x.diagnostics.length === 1, 30000, true);
    assert.strictEqual(p.diagnostics[0].severity, 3, 'information');
    assert.match(p.diagnostics[0].message, /maxFileSize/);
    client.notify('textDocument/didClose', { textDocument: { uri: u } });
  });

  it('didOpen publishes diagnostics with rule codes and the evidence chain', async () => {
    const u = open('widget.c');
    const p = await diagsAt(u, 1);
    const irq = p.diagnostics.find((d) => d.code === 'dtor-irq-unsafe-lock');
    assert.ok(irq, JSON.stringify(p.diagnostics.map((d) => d.code)));
    assert.strictEqual(irq.source, 'slabcheck');
    assert.strictEqual(irq.severity, 1);
    assert.match((irq as unknown as { codeDescription: { href: string } }).codeDescription.href, /dtor-irq-unsafe-lock$/);
    assert.strictEqual(irq.range.start.line, lineOf(read('widget.c'), 'widget_unlink(w);').line);
    assert.ok(irq.relatedInformation?.some((r) => r.location.uri === uri('registry.c') && /widget_unlink\(\) takes widget_registry.reg_lock/.test(r.message)));
    const nonLeaf = p.diagnostics.find((d) => d.code === 'dtor-non-leaf-lock')!;
    assert.ok(nonLeaf.relatedInformation!.some((r) => /widget_stats_lock/.test(r.message)), 'nesting site in the evidence');
    assert.strictEqual(irq.data?.rule, 'dtor-irq-unsafe-lock');
  });

  it('hover on a cache creation shows the cache card', async () => {
    const text = read('widget.c');
    const at = lineOf(text, 'kmem_cache_create(');
    const h = await client.request('textDocument/hover', { textDocument: { uri: uri('widget.c') }, position: { line: at.line, character: at.character + 3 } });
    const v: string = h.contents.value;
    assert.match(v, /slab cache `"widget"`/);
    assert.match(v, /sizeof\(struct widget\)/);
    assert.match(v, /SLAB\\?_HWCACHE\\?_ALIGN/);
    assert.match(v, /\*\*ctor\*\*: `widget_ctor`/);
    assert.match(v, /\*\*dtor\*\*: `widget_dtor`.*takes widget\\?_registry.reg\\?_lock/);
    assert.match(v, /3 findings/);
  });

  it('hover on the dtor name shows its cache, locks, allocations and may-sleep', async () => {
    const text = read('widget.c');
    const at = lineOf(text, 'static void widget_dtor');
    const h = await client.request('textDocument/hover', { textDocument: { uri: uri('widget.c') }, position: { line: at.line, character: at.character + 14 } });
    const v: string = h.contents.value;
    assert.match(v, /destructor of cache `"widget"`/);
    assert.match(v, /`widget_registry.reg_lock` \(spin, interrupts on\) via widget\\?_unlink\(\)/);
    assert.match(v, /\*\*May sleep\*\*: no/);
    assert.match(v, /dtor-irq-unsafe-lock/);
  });

  it('hover on a lock call explains class, kind, irq mode, leaf-ness with the nesting site', async () => {
    const u = open('registry.c');
    await diagsAt(u, 1);
    const at = lineOf(read('registry.c'), 'spin_lock(&widget_reg.reg_lock)');
    const h = await client.request('textDocument/hover', { textDocument: { uri: u }, position: { line: at.line, character: at.character + 2 } });
    const v: string = h.contents.value;
    assert.match(v, /lock `widget_registry.reg_lock`/);
    assert.match(v, /kind \*\*spin\*\*, irq mode \*\*none\*\*/);
    assert.match(v, /\*\*leaf\*\*: no — `widget_stats_lock` is taken while it is held/);
    assert.match(v, /nesting site: \[registry.c:26\]/);
    assert.match(v, /\*\*IRQ safety\*\*: taken with interrupts enabled/);
    assert.match(v, /destructor path\*\* of cache `"widget"`/);
  });

  it('hover on a diagnostic range shows the rule explanation', async () => {
    const at = lineOf(read('widget.c'), 'widget_unlink(w);');
    const h = await client.request('textDocument/hover', { textDocument: { uri: uri('widget.c') }, position: { line: at.line, character: at.character + 16 } });
    const v: string = h.contents.value;
    assert.match(v, /slabcheck `dtor-irq-unsafe-lock`/);
    assert.match(v, /spin_lock_irqsave\(\)/);
    assert.match(v, /Harry Yoo/);
  });

  it('code lenses above each cache creation', async () => {
    const lenses = await client.request('textDocument/codeLens', { textDocument: { uri: uri('widget.c') } });
    const titles = lenses.map((l: { command: { title: string } }) => l.command.title);
    assert.deepStrictEqual(titles, ['ctor: widget_ctor · dtor: widget_dtor', '3 findings', 'Simulate']);
    const sim = lenses[2].command;
    assert.strictEqual(sim.command, 'slabcheck.simulateCache');
    assert.deepStrictEqual(sim.arguments, ['widget', uri('widget.c')]);
    assert.strictEqual(lenses[0].range.start.line, lineOf(read('widget.c'), 'kmem_cache_create(').line);
  });

  it('quick fix: spin_lock -> spin_lock_irqsave in the dtor, then the finding disappears', async () => {
    const u = open('pool.c');
    const p = await diagsAt(u, 1);
    const d = p.diagnostics.find((x) => x.code === 'dtor-irq-unsafe-lock');
    assert.ok(d, JSON.stringify(p.diagnostics.map((x) => x.code)));
    assert.strictEqual(d.data?.direct, true);
    const actions = await client.request('textDocument/codeAction', { textDocument: { uri: u }, range: d.range, context: { diagnostics: [d] } });
    const fix = actions.find((a: { kind: string; isPreferred?: boolean }) => a.kind === 'quickfix' && a.isPreferred);
    assert.ok(fix, JSON.stringify(actions.map((a: { title: string }) => a.title)));
    const next = applyEdits(texts.get(u)!, fix.edit.changes[u]);
    assert.match(next, /static void pool_dtor\(void \*obj\)\n\{\n\tunsigned long flags;\n\tstruct pool_obj \*p = obj;/);
    assert.match(next, /\tspin_lock_irqsave\(&pool_list_lock, flags\);/);
    assert.match(next, /\tspin_unlock_irqrestore\(&pool_list_lock, flags\);/);
    const v = change(u, next);
    const after_ = await diagsAt(u, v);
    assert.ok(!after_.diagnostics.some((x) => x.code === 'dtor-irq-unsafe-lock'), JSON.stringify(after_.diagnostics.map((x) => x.code)));
  });

  it('"Ignore this finding here" inserts the directive above with the indentation, and the engine honours it', async () => {
    const u = uri('pool.c');
    const p = await diagsAt(u, versions.get(u)!);
    const d = p.diagnostics.find((x) => x.code === 'ctor-dtor-pairing')!;
    assert.ok(d, JSON.stringify(p.diagnostics.map((x) => x.code)));
    const actions = await client.request('textDocument/codeAction', { textDocument: { uri: u }, range: d.range, context: { diagnostics: [d] } });
    const ign = actions.find((a: { title: string }) => a.title === 'Ignore this finding here (slabcheck)');
    assert.ok(ign, JSON.stringify(actions.map((a: { title: string }) => a.title)));
    const next = applyEdits(texts.get(u)!, ign.edit.changes[u]);
    assert.match(next, /\n\t\/\* slabcheck: ignore ctor-dtor-pairing \*\/\n\tb->bitmap = kzalloc/);
    const v = change(u, next);
    const after_ = await diagsAt(u, v);
    assert.ok(!after_.diagnostics.some((x) => x.code === 'ctor-dtor-pairing'));
  });

  it('"Generate dtor from ctor" writes the dtor and converts the legacy call to kmem_cache_args', async () => {
    const u = uri('pool.c');
    const text = texts.get(u)!;
    const at = lineOf(text, 'static int bitmap_ctor');
    const actions = await client.request('textDocument/codeAction', { textDocument: { uri: u }, range: { start: { line: at.line, character: at.character + 12 }, end: { line: at.line, character: at.character + 12 } }, context: { diagnostics: [] } });
    const gen = actions.find((a: { title: string }) => a.title.startsWith('Generate dtor from ctor'));
    assert.ok(gen, JSON.stringify(actions.map((a: { title: string }) => a.title)));
    const next = applyEdits(text, gen.edit.changes[u]);
    assert.match(next, /static void bitmap_dtor\(void \*obj\)\n\{\n\tstruct pool_obj \*b = obj;\n\n\tpercpu_counter_destroy\(&b->refs\);\n\tfree_percpu\(b->stats\);\n\tkfree\(b->bitmap\);\n\}/);
    assert.match(next, /kmem_cache_create\("bitmap_obj", sizeof\(struct pool_obj\),\n\t\t&\(struct kmem_cache_args\)\{\n\t\t\t\.ctor = bitmap_ctor,\n\t\t\t\.dtor = bitmap_dtor,\n\t\t\}, SLAB_HWCACHE_ALIGN\)/);
    const v = change(u, next);
    const after_ = await diagsAt(u, v);
    assert.ok(!after_.diagnostics.some((x) => x.code === 'ctor-dtor-pairing'), JSON.stringify(after_.diagnostics.map((x) => `${x.code}: ${x.message}`)));
    // The new dtor is the cache's dtor now.
    const caches = await client.request('workspace/executeCommand', { command: 'slabcheck.listCaches', arguments: [] });
    assert.strictEqual(caches.find((c: { name: string }) => c.name === 'bitmap_obj').dtor.name, 'bitmap_dtor');
  });

  it('didChange that fixes the bug makes the diagnostic disappear (incremental reparse)', async () => {
    const u = uri('widget.c');
    const next = texts.get(u)!.replace('\twidget_unlink(w);\n', '');
    const v = change(u, next);
    const p = await diagsAt(u, v);
    assert.ok(!p.diagnostics.some((d) => d.code === 'dtor-irq-unsafe-lock'), JSON.stringify(p.diagnostics.map((d) => d.code)));
    const stats = await client.request('slabcheck/stats');
    assert.ok(stats.treeEdits >= 1, 'edits were applied to the kept tree');
    // The code lens count follows.
    const lenses = await client.request('textDocument/codeLens', { textDocument: { uri: u } });
    assert.strictEqual(lenses[1].command.title, 'no findings');
  });

  it('executeCommand listCaches and lockGraph', async () => {
    const caches = await client.request('workspace/executeCommand', { command: 'slabcheck.listCaches', arguments: [] });
    const names = caches.map((c: { name: string }) => c.name).sort();
    assert.deepStrictEqual(names, ['bitmap_obj', 'pool_obj', 'session', 'widget']);
    const w = caches.find((c: { name: string }) => c.name === 'widget');
    assert.strictEqual(w.version, 1);
    assert.strictEqual(w.ctor.name, 'widget_ctor');
    assert.strictEqual(w.variable, 'widget_cachep');
    const g = await client.request('workspace/executeCommand', { command: 'slabcheck.lockGraph', arguments: [] });
    assert.ok(g.classes.some((c: { name: string; leaf: boolean }) => c.name === 'widget_stats_lock' && c.leaf));
    const e = g.edges.find((x: { from: string; to: string }) => x.from === 'widget_registry.reg_lock' && x.to === 'widget_stats_lock');
    assert.ok(e && e.evidence.length >= 2 && e.evidence[0].uri === uri('registry.c'));
    // The code lens's Simulate: the cache model run through the allocator simulator.
    const sim = await client.request('workspace/executeCommand', { command: 'slabcheck.simulate', arguments: ['widget', uri('widget.c')] });
    assert.strictEqual(sim.available, true, sim.message);
    assert.strictEqual(sim.model.name, 'widget');
    assert.match(sim.report, /caches widget/);
    const none = await client.request('workspace/executeCommand', { command: 'slabcheck.simulate', arguments: ['no-such-cache'] });
    assert.strictEqual(none.available, false);
  });

  it('settings apply without restart; a bad setting is reported by name and the previous config kept', async () => {
    const u = uri('registry.c');
    client.settings = { maxFileSize: 200000, debounceMs: 30, rules: { 'dtor-non-leaf-lock': 'info' } };
    client.notify('workspace/didChangeConfiguration', { settings: null });
    const p = await client.waitFor('textDocument/publishDiagnostics', (x: { uri: string; diagnostics: Diag[] }) => x.uri === uri('session.c') && x.diagnostics.some((d) => d.code === 'dtor-non-leaf-lock' && d.severity === 3));
    assert.ok(p);
    client.settings = { maxFileSize: 200000, rules: { 'no-such-rule': 'error' } };
    client.notify('workspace/didChangeConfiguration', { settings: null });
    const msg = await client.waitFor('window/showMessage', () => true);
    assert.match(msg.message, /slabcheck\.rules\.no-such-rule/);
    const stats = await client.request('slabcheck/stats');
    assert.strictEqual(stats.semantics, 'dtor-rfc');
    const d = client.lastDiagnostics(uri('session.c'))!;
    assert.ok(d.some((x) => x.code === 'dtor-non-leaf-lock' && x.severity === 3), 'previous config kept');
    assert.ok(u);
  });

  it('.slabcheck.json is watched: a change of semantics applies without restart', async () => {
    client.settings = { maxFileSize: 200000, debounceMs: 30 };
    const cfg = path.join(ws, '.slabcheck.json');
    const original = fs.readFileSync(cfg, 'utf8');
    fs.writeFileSync(cfg, JSON.stringify({ semantics: 'mainline' }));
    client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: fileUri(cfg), type: 2 }] });
    // Destructor rules only exist under the destructor RFC: session.c's dtor findings go away.
    await client.waitFor('textDocument/publishDiagnostics', (x: { uri: string; diagnostics: Diag[] }) => x.uri === uri('session.c') && !x.diagnostics.some((d) => d.code.startsWith('dtor-')));
    assert.strictEqual((await client.request('slabcheck/stats')).semantics, 'mainline');
    fs.writeFileSync(cfg, original);
    client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: fileUri(cfg), type: 2 }] });
    await client.waitFor('textDocument/publishDiagnostics', (x: { uri: string; diagnostics: Diag[] }) => x.uri === uri('session.c') && x.diagnostics.some((d) => d.code === 'dtor-sleeping-lock'));
    // A broken file is reported with its field, and the configuration in effect stays.
    fs.writeFileSync(cfg, JSON.stringify({ semantics: 'dtor-rfc', rules: { 'dtor-may-sleep': 'loud' } }));
    client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: fileUri(cfg), type: 2 }] });
    const msg = await client.waitFor('window/showMessage', (m: { message: string }) => m.message.includes('.slabcheck.json'));
    assert.match(msg.message, /rules\.dtor-may-sleep: severity must be one of/);
    assert.strictEqual((await client.request('slabcheck/stats')).semantics, 'dtor-rfc');
    fs.writeFileSync(cfg, original);
  });

  it('files created, changed and deleted on disk are followed', async () => {
    const f = path.join(ws, 'extra.c');
    fs.writeFileSync(f, [
      '#include <linux/slab.h>',
      'static DEFINE_MUTEX(extra_mutex);',
      'static struct kmem_cache *extra_cachep;',
      'static void extra_dtor(void *obj)',
      '{',
      '\tmutex_lock(&extra_mutex);',
      '\tmutex_unlock(&extra_mutex);',
      '}',
      'static int __init extra_init(void)',
      '{',
      '\textra_cachep = kmem_cache_create("extra", 64, &(struct kmem_cache_args){ .dtor = extra_dtor }, 0);',
      '\treturn 0;',
      '}',
      '',
    ].join('\n'));
    client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: fileUri(f), type: 1 }] });
    const p = await client.waitFor('textDocument/publishDiagnostics', (x: { uri: string; diagnostics: Diag[] }) => x.uri === fileUri(f) && x.diagnostics.some((d) => d.code === 'dtor-sleeping-lock'));
    assert.ok(p);
    fs.unlinkSync(f);
    client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: fileUri(f), type: 3 }] });
    await client.waitFor('textDocument/publishDiagnostics', (x: { uri: string; diagnostics: Diag[] }) => x.uri === fileUri(f) && x.diagnostics.length === 0);
  });

  it('survives malformed and out-of-order messages and keeps answering', async () => {
    client.writeRaw('{"jsonrpc": "2.0", "id": 9999, "method": "textDocument/hover", "params": {');
    client.writeRaw('this is not json at all');
    // Broken framing: a non-numeric length, a length longer and one shorter than the body, stray bytes.
    client.proc.stdin!.write('Content-Length: abc\r\n\r\n{"jsonrpc":"2.0","method":"initialized"}');
    client.proc.stdin!.write('Content-Length: 5000\r\n\r\n{"jsonrpc":"2.0","method":"$/noop"}');
    client.proc.stdin!.write('Content-Length: 7\r\n\r\n{"jsonrpc":"2.0","method":"$/noop"}');
    client.proc.stdin!.write('\r\n\r\ngarbage between messages\r\n');
    const first = await client.requestRaw('slabcheck/stats', {});
    assert.ok(first.result && first.result.state === 'ready', JSON.stringify(first));
    const unknown = await client.requestRaw('slabcheck/noSuchMethod', {});
    assert.strictEqual(unknown.error?.code, -32601);
    client.notify('textDocument/didChange', { textDocument: { uri: uri('never-opened.c'), version: 3 }, contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: 'x' }] });
    client.notify('textDocument/didChange', { textDocument: { uri: uri('widget.c'), version: 99 }, contentChanges: [{ range: { start: { line: 5000, character: 3 }, end: { line: 4000, character: 0 } }, text: '' }] });
    client.write({ jsonrpc: '2.0', id: 123456, result: { unexpected: 'response' } });
    client.notify('textDocument/didOpen', { textDocument: { uri: 'untitled:Untitled-1', languageId: 'c', version: 1, text: 'int x;' } });
    const h0 = await client.request('textDocument/hover', { textDocument: { uri: uri('nowhere.c') }, position: { line: 0, character: 0 } });
    assert.strictEqual(h0, null);
    const bad = await client.requestRaw('textDocument/hover', { textDocument: {} });
    assert.ok(bad.result === null || bad.error);
    const h = await client.request('textDocument/hover', { textDocument: { uri: uri('registry.c') }, position: lineOf(read('registry.c'), 'spin_lock(&widget_reg.reg_lock)') });
    assert.match(h.contents.value, /widget_registry.reg_lock/);
    const caches = await client.request('workspace/executeCommand', { command: 'slabcheck.listCaches', arguments: [] });
    assert.ok(caches.length >= 4);
    assert.ok(client.lastDiagnostics(uri('session.c'))!.length > 0, 'no other results lost');
    const logs = client.notifications.filter((n) => n.method === 'window/logMessage').map((n) => n.params.message as string);
    assert.ok(logs.some((m) => /ignored garbage on stdin: bad message header/.test(m)), logs.join('\n'));
  });

  it('shutdown and exit', async () => {
    const code = await client.shutdown();
    assert.strictEqual(code, 0);
  });
});
