/**
 * The extension inside a real VS Code extension host (code-server 1.100 here,
 * the same suite @vscode/test-electron would run): activation on C files,
 * diagnostics with evidence for open and not-open files, hover, code lens,
 * code actions, the server's commands, snippets and settings.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import { suite, suiteSetup, test } from 'mocha';

const EXT_ID = 'slabcheck.slabcheck';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Api {
  whenReady(timeoutMs?: number): Promise<{ state: string; findings: number }>;
  status(): { state: string; findings: number } | undefined;
}

async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 30000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(150);
  }
}

function ws(...parts: string[]): vscode.Uri {
  return vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, ...parts);
}

function hoverText(hovers: vscode.Hover[]): string {
  return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : (c as vscode.MarkdownString).value))).join('\n');
}

suite('slabcheck extension (extension host)', () => {
  const cacheUri = ws('drivers', 'foo', 'foo_cache.c');
  let doc: vscode.TextDocument;
  let api: Api;

  suiteSetup(async () => {
    doc = await vscode.workspace.openTextDocument(cacheUri);
    await vscode.window.showTextDocument(doc);
    const ext = vscode.extensions.getExtension<Api>(EXT_ID)!;
    api = ext.isActive ? ext.exports : await ext.activate();
    await api.whenReady(90000);
  });

  test('activates on a C file and indexes the workspace', async () => {
    const ext = vscode.extensions.getExtension(EXT_ID);
    assert.ok(ext?.isActive, 'extension active');
    assert.strictEqual(doc.languageId, 'c');
    assert.strictEqual(api.status()?.state, 'ready');
    assert.ok((api.status()?.findings ?? 0) >= 4, JSON.stringify(api.status()));
  });

  test('diagnostics with rule codes and the evidence chain', async () => {
    const diags = await until('foo_cache.c diagnostics', () => {
      const d = vscode.languages.getDiagnostics(cacheUri);
      return d.some((x) => x.source === 'slabcheck' && x.relatedInformation?.length) ? d : undefined;
    });
    const codeOf = (d: vscode.Diagnostic) => (typeof d.code === 'object' ? String(d.code.value) : String(d.code));
    const irq = diags.find((d) => codeOf(d) === 'dtor-irq-unsafe-lock');
    assert.ok(irq, diags.map(codeOf).join());
    assert.strictEqual(irq.severity, vscode.DiagnosticSeverity.Error);
    assert.strictEqual(doc.lineAt(irq.range.start.line).text.trim(), 'spin_lock(&reg->lock);');
    const nonLeaf = diags.find((d) => codeOf(d) === 'dtor-non-leaf-lock')!;
    assert.ok(nonLeaf.relatedInformation!.some((r) => r.location.uri.path.endsWith('foo_core.c') && /foo_list_lock/.test(r.message)));
    assert.match(String((nonLeaf.code as { target: vscode.Uri }).target), /dtor-non-leaf-lock/);
  });

  test('diagnostics for a file that is not open', async () => {
    const buf = ws('drivers', 'foo', 'foo_buf.c');
    assert.ok(!vscode.workspace.textDocuments.some((d) => d.uri.toString() === buf.toString()));
    const d = await until('foo_buf.c diagnostics', () => {
      const x = vscode.languages.getDiagnostics(buf);
      return x.length ? x : undefined;
    });
    assert.ok(d.some((x) => /frees into the slab allocator/.test(x.message)));
  });

  test('hover on the dtor lock explains it', async () => {
    const line = doc.getText().split('\n').findIndex((l) => l.includes('spin_lock(&reg->lock)'));
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', cacheUri, new vscode.Position(line, 3));
    const text = hoverText(hovers);
    assert.match(text, /lock `foo_registry.lock`/);
    assert.match(text, /\*\*leaf\*\*: no/);
    assert.match(text, /destructor\*\* of cache `"foo_obj"`/);
    assert.match(text, /Harry Yoo/);
  });

  test('hover on the cache creation and on the ctor name', async () => {
    const lines = doc.getText().split('\n');
    const create = lines.findIndex((l) => l.includes('kmem_cache_create('));
    const c = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', cacheUri, new vscode.Position(create, lines[create].indexOf('kmem_cache_create') + 2)));
    assert.match(c, /slab cache `"foo_obj"`/);
    assert.match(c, /alloc\\?_percpu/);
    const ctor = lines.findIndex((l) => l.startsWith('static int foo_ctor'));
    const f = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', cacheUri, new vscode.Position(ctor, 13)));
    assert.match(f, /constructor of cache `"foo_obj"`/);
    assert.match(f, /\*\*May sleep\*\*: yes/);
  });

  test('code lenses above the cache creation', async () => {
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', cacheUri, 10);
    const titles = lenses.map((l) => l.command?.title);
    assert.ok(titles.includes('ctor: foo_ctor · dtor: foo_dtor'), titles.join(' | '));
    assert.ok(titles.includes('2 findings'), titles.join(' | '));
    assert.ok(titles.includes('Simulate'), titles.join(' | '));
  });

  test('the server commands answer (listCaches, lockGraph, simulate)', async () => {
    const caches = await vscode.commands.executeCommand<{ name: string; dtor?: { name: string } }[]>('slabcheck.listCaches');
    assert.deepStrictEqual(caches.map((c) => c.name).sort(), ['foo_buf', 'foo_obj']);
    const g = await vscode.commands.executeCommand<{ edges: { from: string; to: string }[] }>('slabcheck.lockGraph');
    assert.ok(g.edges.some((e) => e.from === 'foo_registry.lock' && e.to === 'foo_core.c:foo_list_lock'));
    const sim = await vscode.commands.executeCommand<{ available: boolean; message: string; model?: { name: string } }>('slabcheck.simulate', 'foo_obj', cacheUri.toString());
    assert.strictEqual(sim.model?.name, 'foo_obj');
    assert.ok(sim.available, sim.message);
  });

  test('Simulate (the code lens command) opens the simulator report', async () => {
    const r = await vscode.commands.executeCommand<{ available: boolean; report?: string }>('slabcheck.simulateCache', 'foo_obj', cacheUri.toString());
    assert.ok(r?.available && r.report);
    const ed = await until('report editor', () => (vscode.window.activeTextEditor?.document.languageId === 'slabcheck-report' ? vscode.window.activeTextEditor : undefined));
    assert.match(ed.document.getText(), /caches foo_obj/);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await vscode.window.showTextDocument(doc);
  });

  test('snippets are contributed for C', async () => {
    const pos = new vscode.Position(doc.lineCount - 1, 0);
    const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', cacheUri, pos, undefined, 200);
    const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    assert.ok(labels.some((l) => /slabctordtor|slab ctor\/dtor pair/.test(l)), labels.filter((l) => /slab|kmem/.test(l)).join());
  });

  test('settings apply without a restart', async () => {
    const cfg = vscode.workspace.getConfiguration('slabcheck');
    await cfg.update('rules', { 'dtor-irq-unsafe-lock': 'warning' }, vscode.ConfigurationTarget.Workspace);
    try {
      await until('severity change', () => vscode.languages.getDiagnostics(cacheUri).find((d) => /interrupts enabled/.test(d.message) && d.severity === vscode.DiagnosticSeverity.Warning));
    } finally {
      await cfg.update('rules', undefined, vscode.ConfigurationTarget.Workspace);
    }
    await until('severity back', () => vscode.languages.getDiagnostics(cacheUri).find((d) => /interrupts enabled/.test(d.message) && d.severity === vscode.DiagnosticSeverity.Error));
  });

  test('quick fix spin_lock -> spin_lock_irqsave applies and the finding goes away', async () => {
    const irq = vscode.languages.getDiagnostics(cacheUri).find((d) => /interrupts enabled/.test(d.message))!;
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', cacheUri, irq.range, vscode.CodeActionKind.QuickFix.value);
    const titles = actions.map((a) => a.title);
    assert.ok(titles.some((t) => t.startsWith('Ignore this finding here (slabcheck)')), titles.join(' | '));
    const fix = actions.find((a) => a.title.startsWith('Disable interrupts'));
    assert.ok(fix?.edit, titles.join(' | '));
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.match(doc.getText(), /spin_lock_irqsave\(&reg->lock, flags\);/);
    assert.match(doc.getText(), /spin_unlock_irqrestore\(&reg->lock, flags\);/);
    assert.match(doc.getText(), /\{\n\tunsigned long flags;\n\tstruct foo_obj \*f = obj;/);
    await until('irq finding gone', () => !vscode.languages.getDiagnostics(cacheUri).some((d) => /interrupts enabled/.test(d.message)) || undefined);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });
});
