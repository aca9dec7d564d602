/**
 * The results page never says what is false (issue 17 section 7), in
 * headless Chromium: a gain the seeds do not establish is "within noise",
 * neither green nor red, with its spread; a one-point result (a scenario) is
 * two bars, not a line through a dot; legends and axes use human names, never
 * internal ids. Screenshots in test/webview/artifacts/ (results-noise.png,
 * results-scenario.png).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { mmStructModel } from '../../simulator/src/default-models';
import { defaultCosts } from '../../simulator/src/costs';
import { runJob } from '../../client/src/shared/simJob';
import { scenarioTemplate } from '../../client/src/shared/scenarioDoc';
import { anchorsFor, type SimulationPayload } from '../../client/src/shared/payloads';
import { ARTIFACTS, canvasInk, Harness, pageErrors, startHarness, waitPosted } from './browser';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const window: any;

/** Names the simulator uses inside that a page must not show (mode ids, station ids, old bottleneck names). */
const INTERNAL = [/\bctor-dtor\b/, /^binary /, /exec_next_bottleneck/, /_bottleneck\b/];

describe('results page: noise, one point, human names', { timeout: 240000 }, () => {
  let h: Harness;
  before(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    h = await startHarness();
  });
  after(async () => { await h?.close(); });

  async function render(p: SimulationPayload): Promise<Page> {
    const page = await h.open('results', p.title);
    await waitPosted(page, 'ready');
    await page.evaluate((data: unknown) => window.postMessage(data, '*'), p as unknown as Record<string, unknown>);
    await waitPosted(page, 'rendered');
    return page;
  }

  async function chartLabels(page: Page): Promise<string[]> {
    return page.evaluate(() => {
      const out: string[] = [];
      for (const c of Object.values(window.slabcheckCharts) as { data: { labels?: unknown[]; datasets: { label?: string }[] } }[]) {
        for (const l of c.data.labels ?? []) out.push(String(l));
        for (const d of c.data.datasets) if (d.label) out.push(d.label);
      }
      return out;
    });
  }

  it('gains within the seeds\' noise are marked so, neither green nor red, with their spread', async () => {
    const mm = mmStructModel(defaultCosts());
    const out = runJob({ models: [mm], workload: 'exec', cpus: [1, 48, 96, 192], durationNs: 3_000_000, seeds: 5 });
    const rows = out.result.compare!;
    assert.ok(rows.some((r) => r.verdict === 'within-noise'), JSON.stringify(rows.map((r) => [r.cpus, r.gainPct, r.verdict])));
    assert.ok(rows.some((r) => r.verdict === 'better'), '1 CPU: the removed percpu path is a real gain');
    const p: SimulationPayload = {
      type: 'simulation', kind: 'compare', title: 'ctor/dtor vs per-object: mm_struct', cache: mm.name, converted: false, workload: 'exec', cpus: [1, 48, 96, 192],
      result: out.result, report: out.report, anchors: anchorsFor([mm]), elapsedMs: out.elapsedMs, staticFindings: [],
    };
    const page = await render(p);
    for (const r of rows) {
      const cell = page.locator(`#compare-table tr[data-cpus="${r.cpus}"] td.gain`);
      const cls = (await cell.getAttribute('class'))!;
      const text = await cell.innerText();
      assert.strictEqual(await cell.getAttribute('data-verdict'), r.verdict);
      assert.match(text, /\+-\d+\.\d\d \([+-]/, `${r.cpus}: the spread is shown: ${text}`);
      if (r.verdict === 'within-noise') {
        assert.ok(cls.includes('neutral') && !cls.includes('good') && !cls.includes('bad'), `${r.cpus} CPUs: ${cls}`);
        assert.match(text, /within noise/);
      }
      if (r.verdict === 'better') assert.ok(cls.includes('good'), `${r.cpus} CPUs: ${cls}`);
    }
    // The chart colours each gain point by its verdict and draws the seeds' range.
    const chart = await page.evaluate(() => {
      const c = window.slabcheckCharts.throughput;
      const g = c.data.datasets.find((d: { label: string }) => d.label.startsWith('gain %'));
      const band = c.data.datasets.find((d: { label: string }) => d.label === 'gain range over seeds');
      return { colours: g.pointBackgroundColor, band: band.data };
    });
    rows.forEach((r, i) => {
      assert.strictEqual(chart.colours[i], r.verdict === 'better' ? '#1a7f37' : r.verdict === 'worse' ? '#cf222e' : '#8c959f', `${r.cpus}`);
      assert.strictEqual(chart.band[i], r.spread!.gainPct.max);
    });
    for (const l of await chartLabels(page)) for (const re of INTERNAL) assert.doesNotMatch(l, re, `legend or axis label "${l}"`);
    assert.match(await page.locator('header').innerText(), /seeds 1-5/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'results-noise.png'), fullPage: true });
    assert.deepStrictEqual(pageErrors(page), []);
    await page.close();
  });

  it('a scenario (one point) is charted as two bars with its gain and verdict, not a single dot', async () => {
    const doc = JSON.parse(scenarioTemplate('one-point'));
    const out = runJob({ models: [], workload: 'exec', cpus: [1], scenario: doc, seeds: 3 });
    assert.strictEqual(out.result.compare!.length, 1);
    const p: SimulationPayload = {
      type: 'simulation', kind: 'simulate', title: 'Scenario: one-point', cache: out.result.caches.join(', '), converted: false, workload: 'scenario',
      cpus: [...new Set(out.result.runs.map((x) => x.cpus))], result: out.result, report: out.report, anchors: [], elapsedMs: out.elapsedMs,
    };
    const page = await render(p);
    const c = await page.evaluate(() => {
      const t = window.slabcheckCharts.throughput;
      return { type: t.config.type, labels: t.data.labels, data: t.data.datasets[0].data, title: t.options.plugins.title.text };
    });
    assert.strictEqual(c.type, 'bar');
    assert.deepStrictEqual(c.labels, ['baseline (per-object allocation)', 'ctor/dtor']);
    assert.deepStrictEqual(c.data, [out.result.compare![0].baselinePerSec, out.result.compare![0].ctorDtorPerSec]);
    assert.match(c.title, /gain [+-]\d+\.\d\d% \((better|worse|within noise)\)/);
    const ink = await canvasInk(page, 'chart-throughput');
    assert.ok(ink.ink > 3000 && ink.colours > 2, JSON.stringify(ink));
    assert.strictEqual(await page.locator('#static-findings').count(), 0, 'a scenario is not a workspace cache: no static column');
    for (const l of await chartLabels(page)) for (const re of INTERNAL) assert.doesNotMatch(l, re, `legend or axis label "${l}"`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'results-scenario.png'), fullPage: true });
    assert.deepStrictEqual(pageErrors(page), []);
    await page.close();
  });
});
