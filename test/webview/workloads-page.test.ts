/**
 * The results page for the tc/shrinker-era result data: the shrinker
 * workload's CPU-time profile (where time goes, per run, like seeds/003's
 * perf profiles), the modes named after what they are (shrinker_rwsem vs
 * lockless), each gain's sensitivity with the "uncertain" mark when the data
 * says a cost flips it, and the assumptions of the result. Screenshots in
 * test/webview/artifacts/.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { sweep } from '../../simulator/src/simulate';
import { formatReport } from '../../simulator/src/report';
import type { SimResult } from '../../simulator/src/result';
import type { SimulationPayload } from '../../client/src/shared/payloads';
import { ARTIFACTS, canvasInk, Harness, pageErrors, startHarness, waitPosted } from './browser';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const window: any;

function payload(title: string, r: SimResult): SimulationPayload {
  return {
    type: 'simulation', kind: 'compare', title, cache: r.caches[0] ?? r.workload, converted: false,
    workload: r.workload, cpus: r.compare!.map((c) => c.cpus), result: r, report: formatReport(r), anchors: [], elapsedMs: 1,
  };
}

describe('results page: workload profiles, sensitivity, assumptions', { timeout: 180000 }, () => {
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

  it('shrinker: where CPU time goes in each mode, named modes, assumptions, sensitivity', async () => {
    const r = sweep([], { workload: 'shrinker', durationNs: 3e6, sensitivity: true });
    const page = await render(payload('shrink_slab: shrinker_rwsem vs lockless (24 CPUs)', r));
    const rendered = await waitPosted(page, 'rendered');
    assert.strictEqual(rendered.charts, 3, 'throughput, lock wait and the profile (no cache: no memory chart)');
    assert.strictEqual(await page.locator('#chart-memory').count(), 0);

    const prof = await page.evaluate(() => {
      const c = window.slabcheckCharts.profile;
      return { labels: c.data.labels, sets: c.data.datasets.map((d: { label: string; data: number[] }) => ({ label: d.label, data: d.data })) };
    });
    assert.strictEqual(prof.labels.length, r.runs.length);
    assert.match(prof.labels[0], /shrinker_rwsem/);
    assert.match(prof.labels[1], /lockless/);
    for (const bucket of ['down_read_trylock', 'up_read', 'shrink_slab']) {
      const set = prof.sets.find((s: { label: string }) => s.label === bucket);
      assert.ok(set, `${bucket} is charted: ${prof.sets.map((s: { label: string }) => s.label).join(', ')}`);
      r.runs.forEach((run, i) => {
        const share = run.profile.find((p) => p.bucket === bucket)?.share ?? 0;
        assert.ok(Math.abs(set.data[i] - share * 100) < 0.06, `${bucket} run ${i}: ${set.data[i]} vs ${share}`);
      });
    }
    const ink = await canvasInk(page, 'chart-profile');
    assert.ok(ink.ink > 2000 && ink.colours > 3, JSON.stringify(ink));

    const head = await page.locator('#compare-table thead').innerText();
    assert.match(head, /shrinker_rwsem \(down_read_trylock\) \/ s/);
    assert.match(head, /lockless \(refcount \+ RCU\) \/ s/);
    const cell = await page.locator('#compare-table td.sensitivity').first().innerText();
    for (const t of r.compare![0].sensitivity!.top) assert.ok(cell.includes(t.cost), `${t.cost} in "${cell}"`);
    assert.strictEqual(await page.locator('#compare-table .uncertain').count(), r.compare!.filter((c) => c.sensitivity!.uncertain).length);

    const assumptions = await page.locator('#assumptions').innerText();
    assert.match(assumptions, /24 reclaiming CPUs on desktop-24/);
    assert.strictEqual(await page.locator('#costs-table tbody tr').count(), r.assumptions[0].costs.length);
    await page.locator('#assumptions details summary').click();
    await page.screenshot({ path: path.join(ARTIFACTS, 'results-shrinker.png'), fullPage: true });
    assert.deepStrictEqual(pageErrors(page), []);
    assert.deepStrictEqual(h.blocked, []);
    await page.close();
  });

  it('tc: an assumed object size is marked; an uncertain gain is marked where the data says so', async () => {
    const r = sweep([], { workload: 'tc', durationNs: 2e6, sensitivity: true });
    // The uncertain mark follows the data: flip it on a copy and the page shows it.
    const flipped: SimResult = JSON.parse(JSON.stringify(r));
    flipped.compare![0].sensitivity!.uncertain = true;
    for (const [res, want] of [[r, r.compare![0].sensitivity!.uncertain ? 1 : 0], [flipped, 1]] as const) {
      const page = await render(payload('tc filter add/delete', res));
      assert.strictEqual(await page.locator('#compare-table .uncertain').count(), want);
      assert.strictEqual(await page.locator('#uncertain-note').count(), want);
      const a = await page.locator('#assumptions').innerText();
      assert.match(a, /tc_action: object size 256 B\s+assumed/);
      assert.match(a, /3 percpu regions/);
      assert.strictEqual((await waitPosted(page, 'rendered')).charts, 4, 'throughput, lock wait, memory, profile');
      if (res === flipped) await page.screenshot({ path: path.join(ARTIFACTS, 'results-tc-uncertain.png'), fullPage: true });
      assert.deepStrictEqual(pageErrors(page), []);
      await page.close();
    }
  });

  it('deferred-free: line transfers per free against CPUs for both designs, named modes', async () => {
    const r = sweep([], { workload: 'deferred-free', freesPerCpu: 500 });
    const page = await render(payload('kfree_nolock() deferred list: per cache vs per CPU', r));
    const rendered = await waitPosted(page, 'rendered');
    assert.strictEqual(rendered.charts, 3, 'throughput, line transfers, lock wait (no cache, no profile)');
    const tr = await page.evaluate(() => {
      const c = window.slabcheckCharts.transfers;
      return { labels: c.data.labels, sets: c.data.datasets.map((d: { label: string; data: number[] }) => ({ label: d.label, data: d.data })) };
    });
    assert.deepStrictEqual(tr.labels, ['1', '24', '192']);
    assert.match(tr.sets[0].label, /per cache/);
    assert.match(tr.sets[1].label, /per CPU/);
    for (const [i, mode] of [[0, 'baseline'], [1, 'ctor-dtor']] as const) {
      assert.deepStrictEqual(tr.sets[i].data, [1, 24, 192].map((n) => r.runs.find((x) => x.cpus === n && x.mode === mode)!.deferredFree!.lineTransfersPerFree));
    }
    const ink = await canvasInk(page, 'chart-transfers');
    assert.ok(ink.ink > 1000 && ink.colours > 2, JSON.stringify(ink));
    await page.screenshot({ path: path.join(ARTIFACTS, 'results-deferred-free.png'), fullPage: true });
    assert.deepStrictEqual(pageErrors(page), []);
    await page.close();
  });
});
