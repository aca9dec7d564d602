/**
 * The extension inside a real VS Code extension host (code-server 1.100 here,
 * the same suite @vscode/test-electron would run): activation on C files,
 * diagnostics with evidence for open and not-open files, hover, code lens,
 * code actions, the server's commands, snippets and settings.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import { suite, suiteSetup, test } from 'mocha';
import type { SimCommandResult } from '../../../client/src/simCommands';

const EXT_ID = 'slabcheck.slabcheck';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Api {
  whenReady(timeoutMs?: number): Promise<{ state: string; findings: number }>;
  status(): { state: string; findings: number } | undefined;
  webviews(): PageInfo[];
  simulations(): { jobs: number; workers: number };
  cancelSimulations(): number;
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

/** What the simulation commands return. */
type SimSummary = SimCommandResult;

interface PageInfo {
  id: number;
  viewType: string;
  title: string;
  rendered?: { charts: number; items: number; ms: number; at: number };
  startedAt: number;
  readyAt?: number;
  sentAt?: number;
  rejected: string[];
  pageErrors: string[];
}

function webviewTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview);
}

/** A ctor-dtor-candidate: percpu memory right after kmem_cache_alloc(), released right before kmem_cache_free(). */
const CANDIDATE = `#include <linux/slab.h>
#include <linux/percpu.h>

struct foo_sess { int __percpu *hits; int id; };
static struct kmem_cache *foo_sess_cachep;

struct foo_sess *foo_sess_new(void)
{
\tstruct foo_sess *s = kmem_cache_alloc(foo_sess_cachep, GFP_KERNEL);

\tif (!s)
\t\treturn NULL;
\ts->hits = alloc_percpu(int);
\tif (!s->hits) {
\t\tkmem_cache_free(foo_sess_cachep, s);
\t\treturn NULL;
\t}
\treturn s;
}

void foo_sess_put(struct foo_sess *s)
{
\tfree_percpu(s->hits);
\tkmem_cache_free(foo_sess_cachep, s);
}

static int __init foo_sess_init(void)
{
\tfoo_sess_cachep = kmem_cache_create("foo_sess", sizeof(struct foo_sess), NULL, 0);
\treturn foo_sess_cachep ? 0 : -ENOMEM;
}
`;

suite('slabcheck extension (extension host)', () => {
  const cacheUri = ws('drivers', 'foo', 'foo_cache.c');
  let doc: vscode.TextDocument;
  let api: Api;

  /** The page reported it rendered its payload (charts drawn, graph laid out) in the real webview. */
  const rendered = (id: number) => until(`webview ${id} rendered`, () => api.webviews().find((p) => p.id === id && p.rendered), 30000);

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

  test('slabcheck: Simulate Cache (the code lens command, arguments skip the pickers) shows the results webview', async () => {
    const r = await vscode.commands.executeCommand<SimSummary>('slabcheck.simulateCache', 'foo_obj', cacheUri.toString(), { workload: 'exec', cpus: [1, 4], durationNs: 5_000_000 });
    assert.ok(r && !r.cancelled && r.pageId, JSON.stringify(r));
    assert.strictEqual(r.cache, 'foo_obj');
    assert.deepStrictEqual(r.cpus, [1, 4]);
    assert.deepStrictEqual(r.gains!.map((g) => g.cpus), [1, 4]);
    const page = await rendered(r.pageId!);
    assert.strictEqual(page.viewType, 'slabcheck.simulationResults');
    assert.strictEqual(page.rendered!.charts, 4, 'four charts drawn in the real webview (throughput, contention, memory, where CPU time goes)');
    assert.ok(page.rendered!.items > 0, 'source links made');
    assert.deepStrictEqual(page.pageErrors, []);
    assert.deepStrictEqual(page.rejected, []);
    assert.ok(webviewTabs().some((t) => t.label === 'Simulation: foo_obj (exec)'), webviewTabs().map((t) => t.label).join());
    console.log(`slabcheck e2e figure: simulate foo_obj exec 1,4 CPUs: ${r.simMs} ms in the worker, page ready at ${page.readyAt! - page.startedAt} ms, rendered (${page.rendered!.ms} ms in the page) ${page.rendered!.at - page.startedAt} ms after the command started`);
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
  test('a shrinker reclaim deadlock in the Problems panel with its evidence; the old-API code action applies', async () => {
    const shrinkUri = ws('drivers', 'bar', 'bar_shrink.c');
    const sdoc = await vscode.workspace.openTextDocument(shrinkUri);
    await vscode.window.showTextDocument(sdoc);
    const dl = await until('shrinker-reclaim-deadlock', () => vscode.languages.getDiagnostics(shrinkUri).find((d) => d.code === 'shrinker-reclaim-deadlock' || (d.code as { value?: string })?.value === 'shrinker-reclaim-deadlock'));
    assert.match(dl.message, /scan_objects callback bar_scan\(\) of shrinker 'bar' waits for bar_pool\.lock/);
    assert.ok(dl.relatedInformation!.some((r) => /allocates with kmalloc\(GFP_KERNEL\)/.test(r.message)), JSON.stringify(dl.relatedInformation?.map((r) => r.message)));
    const old = await until('shrinker-removed-api', () => vscode.languages.getDiagnostics(shrinkUri).find((d) => /register_shrinker\(\) of shrinker 'old'/.test(d.message)));
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', shrinkUri, old.range, vscode.CodeActionKind.QuickFix.value);
    const fix = actions.find((a) => a.title.startsWith('Rewrite old_shrinker to shrinker_alloc()'));
    assert.ok(fix?.edit, actions.map((a) => a.title).join(' | '));
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.match(sdoc.getText(), /static struct shrinker \*old_shrinker;/);
    assert.match(sdoc.getText(), /old_shrinker = shrinker_alloc\(0, "old"\);/);
    assert.match(sdoc.getText(), /shrinker_free\(old_shrinker\);/);
    await until('removed-api finding gone', () => !vscode.languages.getDiagnostics(shrinkUri).some((d) => /register_shrinker\(\)/.test(d.message)) || undefined);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  test('slabcheck: Simulate Cache picks the cache at the cursor (burst workload)', async () => {
    const ed = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    const line = doc.getText().split('\n').findIndex((l) => l.includes('INIT_LIST_HEAD'));
    ed.selection = new vscode.Selection(line, 2, line, 2);
    const r = await vscode.commands.executeCommand<SimSummary>('slabcheck.simulateCache', undefined, undefined, { workload: 'burst', cpus: [2] });
    assert.strictEqual(r?.cache, 'foo_obj', JSON.stringify(r));
    assert.strictEqual(r.workload, 'burst');
    const page = await rendered(r.pageId!);
    assert.strictEqual(page.rendered!.charts, 4);
  });

  test('slabcheck: Compare ctor/dtor with per-object allocation sweeps CPU counts into the webview', async () => {
    const r = await vscode.commands.executeCommand<SimSummary>('slabcheck.compareCtorDtor', 'foo_obj', cacheUri.toString(), { cpus: [1, 24], durationNs: 5_000_000 });
    assert.ok(r && r.pageId, JSON.stringify(r));
    assert.strictEqual(r.converted, false, 'foo_obj has its own ctor/dtor');
    assert.deepStrictEqual(r.gains!.map((g) => g.cpus), [1, 24]);
    const page = await rendered(r.pageId!);
    assert.strictEqual(page.title, 'ctor/dtor vs per-object: foo_obj');
    assert.strictEqual(page.rendered!.charts, 4);
  });

  test('a cancelled simulation stops promptly and leaves no worker', async () => {
    const run = vscode.commands.executeCommand<SimSummary>('slabcheck.simulateCache', 'foo_obj', cacheUri.toString(), { workload: 'exec', cpus: [96, 128, 192], durationNs: 400_000_000 });
    await until('the worker to start', () => (api.simulations().workers === 1 ? true : undefined), 20000);
    await sleep(300);
    const t0 = Date.now();
    assert.strictEqual(api.cancelSimulations(), 1);
    const r = await run;
    const ms = Date.now() - t0;
    assert.strictEqual(r?.cancelled, true, JSON.stringify(r));
    assert.ok(ms < 2000, `cancelled in ${ms} ms`);
    assert.deepStrictEqual(api.simulations(), { jobs: 0, workers: 0 });
    console.log(`slabcheck e2e figure: cancellation took ${ms} ms`);
  });

  test('slabcheck: Show Lock Graph shows the interactive graph webview', async () => {
    const r = await vscode.commands.executeCommand<{ pageId: number; classes: number; edges: number; leaves: number }>('slabcheck.showLockGraph');
    assert.ok(r && r.pageId && r.classes >= 3 && r.edges >= 1, JSON.stringify(r));
    const page = await rendered(r.pageId);
    assert.strictEqual(page.viewType, 'slabcheck.lockGraph');
    assert.strictEqual(page.rendered!.items, r.classes, 'one SVG node per lock class');
    assert.deepStrictEqual(page.pageErrors, []);
    assert.ok(webviewTabs().some((t) => t.label === 'Lock graph'));
  });

  test('slabcheck: New Simulation Scenario writes a schema-validated *.slabscenario.json; Run Simulation Scenario runs it', async () => {
    const target = ws('e2e-new.slabscenario.json');
    const uri = await vscode.commands.executeCommand<vscode.Uri>('slabcheck.newScenario', target.fsPath);
    assert.strictEqual(uri?.toString(), target.toString());
    const ed = await until('scenario editor', () => (vscode.window.activeTextEditor?.document.uri.toString() === target.toString() ? vscode.window.activeTextEditor : undefined));
    assert.strictEqual(ed.document.languageId, 'json');
    const sc = JSON.parse(ed.document.getText());
    assert.strictEqual(sc.version, 1);
    // Filled from the workspace's caches, not the fixed demonstration.
    assert.ok(sc.caches.some((c: { name: string }) => c.name === 'foo_obj'), JSON.stringify(sc.caches.map((c: { name: string }) => c.name)));
    const r = await vscode.commands.executeCommand<SimSummary>('slabcheck.runScenario', target.toString());
    assert.ok(r?.pageId, JSON.stringify(r));
    await rendered(r.pageId!);
    // As it is typed: the JSON service validates against the contributed schema, slabcheck adds the cross-reference checks.
    await vscode.window.showTextDocument(ed.document);
    const text = ed.document.getText();
    const cpusAt = text.indexOf('"cpus": 2');
    const cacheRef = /"cache": "([^"]+)"/g;
    let last: RegExpExecArray | null = null;
    for (let m = cacheRef.exec(text); m; m = cacheRef.exec(text)) last = m;
    const typo = `"cache": "${last![1]}_typo"`;
    const edit = new vscode.WorkspaceEdit();
    edit.replace(target, new vscode.Range(ed.document.positionAt(last!.index), ed.document.positionAt(last!.index + last![0].length)), typo);
    edit.replace(target, new vscode.Range(ed.document.positionAt(cpusAt), ed.document.positionAt(cpusAt + '"cpus": 2'.length)), '"cpus": 0');
    assert.ok(await vscode.workspace.applyEdit(edit));
    const diags = await until('schema and scenario diagnostics', () => {
      const d = vscode.languages.getDiagnostics(target);
      return d.some((x) => x.source === 'slabcheck') && d.some((x) => x.source !== 'slabcheck' && x.range.start.line === ed.document.positionAt(cpusAt).line) ? d : undefined;
    }, 30000);
    const mine = diags.find((x) => x.source === 'slabcheck')!;
    assert.match(mine.message, /unknown cache/);
    assert.strictEqual(ed.document.getText(mine.range), `"${last![1]}_typo"`);
    const schema = diags.find((x) => x.source !== 'slabcheck')!;
    assert.match(schema.message, /minimum|1/i);
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await vscode.workspace.fs.delete(target);
  });

  test('the conversion code lens on a ctor-dtor-candidate cache predicts the gain and opens the comparison', async () => {
    const file = ws('drivers', 'foo', 'foo_sess.c');
    await vscode.workspace.fs.writeFile(file, Buffer.from(CANDIDATE, 'utf8'));
    try {
      const d = await vscode.workspace.openTextDocument(file);
      await vscode.window.showTextDocument(d);
      await until('candidate finding', () => vscode.languages.getDiagnostics(file).find((x) => (typeof x.code === 'object' ? String(x.code.value) : String(x.code)) === 'ctor-dtor-candidate'), 60000);
      const t0 = Date.now();
      const lenses = await until('resolved conversion lens', async () => {
        const l = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', file, 20);
        return l.some((x) => /^Simulate ctor\/dtor conversion \(/.test(x.command?.title ?? '')) ? l : undefined;
      });
      const lens = lenses.find((x) => /^Simulate ctor\/dtor conversion/.test(x.command?.title ?? ''))!;
      // conversion.ts predictionText: the mean over seeds, its spread, "within noise" when the seeds do not establish it.
      assert.match(lens.command!.title, /^Simulate ctor\/dtor conversion \([+-]\d+\.\d%( \+-\d+\.\d)?(, within noise)? at 192 CPUs predicted\)$/);
      assert.strictEqual(lens.command!.command, 'slabcheck.compareCtorDtor');
      console.log(`slabcheck e2e figure: "${lens.command!.title}" resolved in ${Date.now() - t0} ms`);
      const r = await vscode.commands.executeCommand<SimSummary>(lens.command!.command, ...(lens.command!.arguments ?? []), { cpus: [1, 192], durationNs: 5_000_000 });
      assert.ok(r?.pageId, JSON.stringify(r));
      assert.strictEqual(r.converted, true, 'the proposed conversion is simulated');
      assert.strictEqual(r.cache, 'foo_sess');
      const page = await rendered(r.pageId!);
      assert.strictEqual(page.rendered!.charts, 4);
      console.log(`slabcheck e2e figure: comparison for foo_sess (1,192 CPUs): ${r.simMs} ms in the worker, ${r.totalMs} ms to the payload, page ready at ${page.readyAt! - page.startedAt} ms, rendered (${page.rendered!.ms} ms in the page) ${page.rendered!.at - page.startedAt} ms after the command started`);
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await vscode.workspace.fs.delete(file);
    }
  });
});
