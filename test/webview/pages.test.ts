/**
 * The webview pages rendered in headless Chromium with REAL data: cache
 * models and the lock graph from the engine on a copy of
 * examples/percpu-cache, simulations run here with the job runner the
 * extension's worker uses. Asserts the charts are drawn with data, source
 * links post the right {type:'open'} message (which the extension's
 * validation accepts), the deadlock timeline and lockdep findings are there,
 * the CSP holds (no violation, no remote request, an injected inline script
 * does not run), and takes screenshots (test/webview/artifacts/).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';

/* Page-side code (inside page.evaluate) runs in the browser; the repo compiles tests without the DOM lib. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const window: any;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const document: any;
import { Engine } from '../../server/src/engine/engine';
import { cacheFindings, lockGraph as serverLockGraph, type StaticFinding } from '../../server/src/lsp/commands';
import type { CacheInfo } from '../../server/src/index/analysis';
import type { Finding } from '../../server/src/rules/types';
import { UriMap } from '../../server/src/lsp/paths';
import type { Workspace } from '../../server/src/lsp/workspace';
import type { CacheModel } from '../../simulator/src/model';
import { runJob } from '../../client/src/shared/simJob';
import { anchorsFor, type LockGraphPayload, type SimulationPayload } from '../../client/src/shared/payloads';
import { LOCKGRAPH_MESSAGES, RESULTS_MESSAGES, validateMessage } from '../../client/src/shared/messages';
import { throughputSeries } from '../../client/src/shared/chartData';
import { ARTIFACTS, canvasInk, chromiumPath, Harness, pageErrors, posted, REPO, startHarness, waitPosted } from './browser';

describe('webview pages in headless Chromium', { timeout: 180000 }, () => {
  let h: Harness;
  let ws: string;
  let models: CacheModel[];
  let checked: { findings: Finding[]; caches: CacheInfo[] };
  const rel = (f: string) => path.relative(ws, f);

  before(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'slabcheck-webview-'));
    fs.cpSync(path.join(REPO, 'examples', 'percpu-cache'), ws, { recursive: true });
    const engine = new Engine({ roots: [ws], semantics: 'dtor-rfc', jobs: 1 });
    models = await engine.models();
    checked = await engine.check();
    await engine.close();
    h = await startHarness();
  });

  after(async () => {
    await h?.close();
    if (ws) fs.rmSync(ws, { recursive: true, force: true });
  });

  async function renderResults(p: SimulationPayload): Promise<Page> {
    const page = await h.open('results', p.title);
    await waitPosted(page, 'ready');
    await page.evaluate((data) => window.postMessage(data, '*'), p as unknown as Record<string, unknown>);
    await waitPosted(page, 'rendered');
    return page;
  }

  /** The payload the extension builds: the job's result and the workspace check's findings about the cache. */
  function payload(kind: 'simulate' | 'compare', model: CacheModel, workload: 'exec' | 'lifetime' | 'reclaim', cpus: number[], durationNs?: number): SimulationPayload {
    const out = runJob({ models: [model], workload, cpus, durationNs });
    const staticFindings: StaticFinding[] = cacheFindings(checked, model).map((f) => ({ ...f, label: `${rel(f.file)}:${f.line + 1}` }));
    return {
      type: 'simulation', kind, title: `${kind === 'compare' ? 'ctor/dtor vs per-object' : 'Simulation'}: ${model.name} (${workload})`, cache: model.name, converted: false,
      workload, cpus, result: out.result, report: out.report, anchors: anchorsFor([model], rel), elapsedMs: out.elapsedMs, staticFindings,
    };
  }

  it('headless Chromium comes from the npm registry (nothing from apt)', async () => {
    const exe = await chromiumPath();
    assert.ok(fs.existsSync(exe), exe);
  });

  it('results page: charts drawn with the simulation data, the static findings beside the simulated ones, links, export, screenshot', async () => {
    const widget = models.find((m) => m.name === 'widget')!;
    assert.ok(widget?.ctor && widget.dtor, 'the example has a widget cache with ctor and dtor');
    // The widget's own workload (its objects' lifetime), not mm_struct's exec().
    const p = payload('compare', widget, 'lifetime', [1, 4, 24], 1_000_000);
    assert.strictEqual(p.result.runs.length, 6);
    const page = await renderResults(p);

    // chart.js instances hold the result's data.
    const data = await page.evaluate(() => {
      const c = (window as unknown as { slabcheckCharts: Record<string, { data: { labels: unknown[]; datasets: { label: string; data: unknown[] }[] } }> }).slabcheckCharts;
      const pick = (k: string) => ({ labels: c[k].data.labels.length, sets: c[k].data.datasets.map((d) => ({ label: d.label, n: d.data.length, data: d.data })) });
      return { throughput: pick('throughput'), lockWait: pick('lockWait'), memory: pick('memory') };
    });
    const s = throughputSeries(p.result);
    assert.strictEqual(data.throughput.labels, 3);
    assert.deepStrictEqual(data.throughput.sets.map((d) => d.label), ['baseline (per-object allocation)', 'ctor/dtor', 'gain % (mean over seeds)', 'lowest seed', 'gain range over seeds']);
    assert.deepStrictEqual(data.throughput.sets.map((d) => d.n), [3, 3, 3, 3, 3]);
    assert.deepStrictEqual(data.throughput.sets[0].data, s.baseline);
    assert.deepStrictEqual(data.throughput.sets[1].data, s.ctorDtor);
    assert.ok((s.baseline as number[]).every((x) => x > 0), 'throughput is positive');
    assert.strictEqual(data.lockWait.labels, 6, 'one bar per run');
    assert.ok(data.lockWait.sets.length >= 1 && data.lockWait.sets.every((d) => d.n === 6));
    assert.ok(data.memory.labels > 2, `memory samples: ${data.memory.labels}`);
    assert.deepStrictEqual(data.memory.sets.map((d) => d.label), ['objects in use', 'object slots', 'percpu KiB', 'retained percpu KiB']);

    // The canvases are really painted.
    for (const id of ['chart-throughput', 'chart-lockwait', 'chart-memory']) {
      const ink = await canvasInk(page, id);
      assert.ok(ink.width > 100 && ink.height > 100, `${id} has a size: ${JSON.stringify(ink)}`);
      assert.ok(ink.ink > 2000 && ink.colours > 3, `${id} is drawn: ${JSON.stringify(ink)}`);
    }
    const rows = await page.locator('#compare-table tbody tr').count();
    assert.strictEqual(rows, 3);

    // The check's findings about the widget are on the page beside the simulated ones, and the page is not "ok".
    const statics = p.staticFindings!;
    assert.ok(statics.filter((f) => f.severity === 'error').length >= 2, JSON.stringify(statics.map((f) => f.rule)));
    assert.strictEqual(await page.locator('#static-findings li').count(), statics.length);
    const errors = statics.filter((f) => f.severity === 'error').length;
    assert.match(await page.locator('#static-status').innerText(), new RegExp(`check: ${errors} errors`));
    assert.ok((await page.locator('#static-status').getAttribute('class'))!.includes('error'));
    const staticText = await page.locator('#static-findings').innerText();
    for (const rule of ['dtor-reclaim-deadlock', 'dtor-irq-unsafe-lock']) assert.ok(staticText.includes(rule), `${rule} in ${staticText}`);
    if (!p.result.findings.length) assert.match(await page.locator('#not-reproduced').innerText(), /did not reproduce/);
    assert.doesNotMatch(await page.locator('header').innerText(), /(^|\s)ok(\s|$)/, 'no bare "ok" while the check reports errors');
    // A static finding links to its source.
    await page.locator('#static-findings a.loc').first().click();
    const openStatic = await waitPosted(page, 'open');
    assert.deepStrictEqual(openStatic, { type: 'open', file: statics[0].file, line: statics[0].line, col: statics[0].col });
    await page.locator('#findings').screenshot({ path: path.join(ARTIFACTS, 'results-static-findings.png') });

    // Switching the memory run redraws with that run's samples.
    await page.selectOption('#memory-run', '0');
    const n0 = await page.evaluate(() => (window as unknown as { slabcheckCharts: { memory: { data: { labels: unknown[] } } } }).slabcheckCharts.memory.data.labels.length);
    assert.strictEqual(n0, p.result.runs[0].memory.length);

    // Clicking the ctor link posts an open message for the ctor's definition.
    const ctorLink = page.locator('.sources a.src', { hasText: widget.ctor!.name });
    await ctorLink.click();
    await page.waitForFunction((n) => (window as unknown as { __posted: { type: string }[] }).__posted.filter((m) => m.type === 'open').length >= n, 2);
    const open = (await posted(page)).filter((m) => m.type === 'open').pop()!;
    assert.deepStrictEqual(open, { type: 'open', file: widget.ctor!.at!.file, line: widget.ctor!.at!.startLine, col: widget.ctor!.at!.startCol });
    const v = validateMessage(open, { allowed: RESULTS_MESSAGES, roots: [ws] });
    assert.ok(v.ok, JSON.stringify(v));

    await page.click('#export');
    assert.ok((await posted(page)).some((m) => m.type === 'export'));

    await page.screenshot({ path: path.join(ARTIFACTS, 'results-compare.png'), fullPage: true });
    assert.ok(fs.statSync(path.join(ARTIFACTS, 'results-compare.png')).size > 20000);

    // The CSP holds: nothing violated it, nothing remote was requested, and an injected inline script does not run.
    assert.deepStrictEqual(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp), []);
    assert.deepStrictEqual(h.blocked, []);
    assert.deepStrictEqual(pageErrors(page), []);
    const ran = await page.evaluate(async () => {
      const sc = document.createElement('script');
      sc.textContent = '(window).__inlineRan = true;';
      document.body.append(sc);
      await new Promise((r) => setTimeout(r, 50));
      return { ran: (window as unknown as { __inlineRan?: boolean }).__inlineRan === true, csp: (window as unknown as { __csp: string[] }).__csp };
    });
    assert.strictEqual(ran.ran, false, 'inline script without the nonce is blocked');
    assert.ok(ran.csp.some((c) => c.startsWith('script-src')), JSON.stringify(ran.csp));
    assert.ok(!(await posted(page)).some((m) => m.type === 'error'), JSON.stringify(await posted(page)));
    await page.close();
  });

  it('results page: reclaim deadlock with lockdep findings, timeline and clickable source locations', async () => {
    const session = models.find((m) => m.name === 'session')!;
    const lockStep = session.dtor!.steps.find((s) => s.kind === 'lock')!;
    assert.ok(lockStep.kind === 'lock' && lockStep.at);
    const p = payload('simulate', session, 'reclaim', [2, 4]);
    assert.ok(p.result.deadlocks.length >= 1, 'the session dtor deadlocks inside reclaim');
    assert.ok(p.result.findings.some((f) => f.kind === 'circular-dependency'));
    const page = await renderResults(p);

    // A deadlocked point shows the deadlock, never a gain: no percentage, nothing green, who waits on whom.
    assert.ok(p.result.compare!.every((r) => r.verdict === 'deadlock' && r.gainPct === null));
    for (const cell of await page.locator('#compare-table td.gain').all()) {
      const t = await cell.innerText();
      assert.match(t, /DEADLOCK in ctor-dtor/);
      assert.doesNotMatch(t, /%/);
    }
    assert.strictEqual(await page.locator('#compare-table .good').count(), 0, 'nothing green');
    assert.strictEqual(await page.locator('#compare-table td.bad', { hasText: 'deadlocked' }).count(), 2, 'the deadlocked mode has no throughput');
    const waits = await page.locator('#compare-table tr.deadlock-detail').allInnerTexts();
    assert.strictEqual(waits.length, 2);
    for (const w of waits) assert.match(w, /CPU0 waits for session\.c:session_table_mutex held by CPU0/);
    const gain = await page.evaluate(() => {
      const c = (window as unknown as { slabcheckCharts: { throughput: { data: { datasets: { label: string; data: unknown[] }[] } } } }).slabcheckCharts.throughput;
      return c.data.datasets.map((d) => ({ label: d.label, data: d.data }));
    });
    assert.deepStrictEqual(gain.find((d) => d.label.startsWith('gain %'))!.data, [null, null], 'no gain is charted');
    assert.deepStrictEqual(gain.find((d) => d.label.startsWith('deadlocked'))!.data, [0, 0], 'a deadlock marker at each point');
    assert.deepStrictEqual(gain.find((d) => d.label === 'ctor/dtor')!.data, [null, null], 'no ctor/dtor throughput');
    await page.locator('#compare-table').screenshot({ path: path.join(ARTIFACTS, 'results-deadlock-table.png') });
    await page.locator('.chart-card', { has: page.locator('#chart-throughput') }).screenshot({ path: path.join(ARTIFACTS, 'results-deadlock-chart.png') });

    // Every CPU column of the interleaving is inside the card (none is cut off at the edge).
    const fit = await page.evaluate(() => [...document.querySelectorAll('#deadlocks table.timeline')].map((t: { parentElement: { clientWidth: number; getBoundingClientRect(): { right: number } }; scrollWidth: number; querySelectorAll(s: string): { textContent: string; getBoundingClientRect(): { right: number } }[] }) => ({
      box: t.parentElement.clientWidth, table: t.scrollWidth,
      cols: [...t.querySelectorAll('th')].map((th) => ({ name: th.textContent, right: th.getBoundingClientRect().right, limit: t.parentElement.getBoundingClientRect().right })),
    })));
    assert.ok(fit.length >= 2, 'a timeline per deadlock');
    for (const f of fit) {
      assert.ok(f.table <= f.box + 1, `the timeline is ${f.table}px in a ${f.box}px box`);
      for (const c of f.cols) assert.ok(c.right <= c.limit + 1, `${c.name} ends at ${c.right}, the box at ${c.limit}`);
    }
    await page.locator('#deadlocks article').first().screenshot({ path: path.join(ARTIFACTS, 'results-deadlock-timeline.png') });

    assert.strictEqual(await page.locator('#lockdep article.finding').count(), p.result.findings.length);
    // The static findings of the session cache sit beside the simulated ones.
    assert.strictEqual(await page.locator('#static-findings li').count(), p.staticFindings!.length);
    assert.ok(p.staticFindings!.some((f) => f.rule === 'dtor-sleeping-lock'));
    assert.ok((await page.locator('#deadlocks table.timeline tbody tr').count()) >= 4, 'deadlock timeline rows');
    const cycleText = await page.locator('#lockdep').innerText();
    assert.match(cycleText, /fs_reclaim -> session\.c:session_table_mutex -> fs_reclaim/);

    // A lock class inside the timeline links to the dtor's mutex_lock.
    const link = page.locator('#deadlocks table.timeline a.src', { hasText: lockStep.lock }).first();
    assert.ok((await link.count()) > 0, 'the timeline links the lock class');
    await link.click();
    const open = await waitPosted(page, 'open');
    assert.deepStrictEqual(open, { type: 'open', file: lockStep.at!.file, line: lockStep.at!.startLine, col: lockStep.at!.startCol });
    assert.ok(validateMessage(open, { allowed: RESULTS_MESSAGES, roots: [ws] }).ok);
    // ... and the dtor name in a finding's context links to the dtor.
    await page.locator('#lockdep a.src', { hasText: session.dtor!.name }).first().click();
    const msgs = (await posted(page)).filter((m) => m.type === 'open');
    assert.deepStrictEqual(msgs[msgs.length - 1], { type: 'open', file: session.dtor!.at!.file, line: session.dtor!.at!.startLine, col: session.dtor!.at!.startCol });

    const rendered = (await posted(page)).find((m) => m.type === 'rendered')!;
    assert.ok((rendered.items as number) > 10, `links made: ${rendered.items}`);
    for (const id of ['chart-throughput', 'chart-lockwait', 'chart-memory']) assert.ok((await canvasInk(page, id)).ink > 1000, id);
    await page.locator('details.card summary').click();
    await page.screenshot({ path: path.join(ARTIFACTS, 'results-deadlock.png'), fullPage: true });
    assert.deepStrictEqual(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp), []);
    assert.deepStrictEqual(pageErrors(page), []);
    await page.close();
  });

  it('lock graph page: layered SVG, leaves and fs_reclaim styled, edge evidence with source links', async () => {
    const engine = new Engine({ roots: [ws], semantics: 'dtor-rfc', jobs: 1 });
    const fakeWs = { engine, uris: new UriMap(), run: async <T>(_n: string, fn: () => Promise<T> | T) => fn() } as unknown as Workspace;
    const graph = await serverLockGraph(fakeWs);
    await engine.close();
    assert.ok(graph.classes.length >= 5 && graph.edges.length >= 3, JSON.stringify(graph.classes));
    const labels: Record<string, string> = {};
    for (const e of graph.edges) for (const st of e.evidence) labels[st.file] = rel(st.file);
    const p: LockGraphPayload = { type: 'lockgraph', title: 'Lock graph', graph, labels };
    const page = await h.open('lockgraph', 'Lock graph');
    await waitPosted(page, 'ready');
    await page.evaluate((data) => window.postMessage(data, '*'), p as unknown as Record<string, unknown>);
    const rendered = await waitPosted(page, 'rendered');
    assert.strictEqual(rendered.items, graph.classes.length);

    assert.strictEqual(await page.locator('#graph g.node').count(), graph.classes.length);
    assert.strictEqual(await page.locator('#graph g.edge').count(), graph.edges.length);
    assert.strictEqual(await page.locator('#graph g.node.leaf').count(), graph.leaves.filter((l) => l !== 'fs_reclaim').length);
    assert.strictEqual(await page.locator('#graph g.node.fs-reclaim polygon').count(), 1, 'fs_reclaim drawn apart');
    // Layered: every edge that is not part of a cycle goes left to right.
    const xs = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#graph g.node')].map((g) => [g.getAttribute('data-name'), Number(g.querySelector('.node-shape')!.getAttribute('x') ?? (g.querySelector('polygon')!.getAttribute('points')!.split(/[ ,]/)[0]))])));
    for (const e of graph.edges) if (e.from !== e.to) assert.ok(xs[e.from] < xs[e.to], `${e.from} -> ${e.to} drawn left to right`);

    // Click the edge into fs_reclaim: its evidence chain appears with links.
    const edge = graph.edges.find((e) => e.to === 'fs_reclaim')!;
    assert.ok(edge, 'the example allocates with GFP_KERNEL under widget_registry.reg_lock');
    await page.locator(`#graph g.edge[data-from="${edge.from}"][data-to="fs_reclaim"] path.edge-hit`).click({ force: true });
    await page.waitForSelector('#evidence li');
    assert.strictEqual(await page.locator('#evidence li').count(), edge.evidence.length);
    assert.match(await page.locator('#details').innerText(), /may enter reclaim/);
    await page.locator('#evidence a.src').first().click();
    const open = await waitPosted(page, 'open');
    assert.deepStrictEqual(open, { type: 'open', file: edge.evidence[0].file, line: edge.evidence[0].line, col: edge.evidence[0].character });
    assert.ok(validateMessage(open, { allowed: LOCKGRAPH_MESSAGES, roots: [ws] }).ok);
    assert.strictEqual(await page.locator('#graph g.edge.selected').count(), 1);
    await page.screenshot({ path: path.join(ARTIFACTS, 'lockgraph.png'), fullPage: true });

    // A node lists its edges; picking one from the list selects it.
    await page.locator(`#graph g.node[data-name="${edge.from}"]`).click();
    assert.match(await page.locator('#details').innerText(), /Takes, while held/);
    await page.locator('#details button.linkish', { hasText: 'fs_reclaim' }).click();
    await page.waitForSelector('#evidence li');

    assert.deepStrictEqual(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp), []);
    assert.deepStrictEqual(h.blocked, []);
    assert.deepStrictEqual(pageErrors(page), []);
    await page.close();
  });
});
