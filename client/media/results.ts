/**
 * The simulation results page (bundled with chart.js into dist/media/results.js):
 * throughput against CPUs for both modes, lock wait breakdown, memory over
 * time, where CPU time goes per run (the workload's profile buckets), each
 * gain's sensitivity (the three costs it depends on most, "uncertain" when
 * one flips its sign), the result's assumptions (object size evaluated or
 * assumed, costs used), the lockdep-style findings and deadlock timelines
 * with source links, the full text report, and "Export JSON". Data arrives as a
 * SimulationPayload message after the page posts {type:'ready'}.
 */
import {
  BarController, BarElement, CategoryScale, Chart, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Title, Tooltip,
} from 'chart.js';
import type { DeadlockReport, RunResult, SimResult } from '../../simulator/src/result';
import type { LockdepFinding } from '../../simulator/src/lockdep';
import type { SimulationPayload } from '../src/shared/payloads';
import { defaultMemoryRun, lockWaitBreakdown, memorySeries, runLabel, throughputSeries, transfersSeries } from '../src/shared/chartData';
import { el, fmtInt, fmtNs, installLinkHandler, Linkifier, post, reportErrors, sourceLink, themeColor } from './common';

Chart.register(BarController, BarElement, CategoryScale, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Title, Tooltip);

const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#76b7b2', '#edc948', '#9c755f', '#bab0ac'];

interface Charts {
  throughput?: Chart;
  lockWait?: Chart;
  memory?: Chart;
  profile?: Chart;
  transfers?: Chart;
}

/** What "baseline" and "ctor/dtor" mean in this result. */
function modeNames(r: SimResult): { baseline: string; ctorDtor: string } {
  return r.modeLabels ?? { baseline: 'baseline (per-object allocation)', ctorDtor: 'ctor/dtor' };
}

/** Profile buckets over all runs (largest total first, at most 8, the rest as "rest"), share per run in %. */
export function profileSeries(r: SimResult): { runs: string[]; buckets: { name: string; pct: number[] }[] } {
  const total = new Map<string, number>();
  for (const run of r.runs) for (const p of run.profile ?? []) total.set(p.bucket, (total.get(p.bucket) ?? 0) + p.share);
  const names = [...total.keys()].sort((a, b) => total.get(b)! - total.get(a)! || (a < b ? -1 : 1));
  const keep = names.slice(0, 8);
  const buckets = keep.map((name) => ({ name, pct: r.runs.map((run) => round1((run.profile ?? []).find((p) => p.bucket === name)?.share ?? 0)) }));
  if (names.length > keep.length) {
    buckets.push({ name: 'rest', pct: r.runs.map((run) => round1((run.profile ?? []).filter((p) => !keep.includes(p.bucket)).reduce((a, p) => a + p.share, 0))) });
  }
  return { runs: r.runs.map((run) => runName(r, run)), buckets };
}

function round1(share: number): number {
  return Math.round(share * 1000) / 10;
}

function runName(r: SimResult, run: RunResult): string {
  const m = modeNames(r);
  return `${run.cpus} CPUs, ${run.mode === 'baseline' ? m.baseline : m.ctorDtor}`;
}
const charts: Charts = {};
(window as unknown as { slabcheckCharts: Charts }).slabcheckCharts = charts;

function destroyCharts(): void {
  for (const k of Object.keys(charts) as (keyof Charts)[]) {
    charts[k]?.destroy();
    delete charts[k];
  }
}

function baseOptions(yTitle: string) {
  const fg = themeColor('--vscode-foreground', '#333');
  const grid = themeColor('--vscode-panel-border', 'rgba(128,128,128,0.25)');
  return {
    fg,
    grid,
    options: {
      animation: false as const,
      responsive: true,
      maintainAspectRatio: false,
      color: fg,
      plugins: { legend: { labels: { color: fg, boxWidth: 14 } }, tooltip: { mode: 'index' as const, intersect: false } },
      scales: {
        x: { ticks: { color: fg }, grid: { color: grid } },
        y: { ticks: { color: fg }, grid: { color: grid }, title: { display: true, text: yTitle, color: fg }, beginAtZero: true },
      },
    },
  };
}

function chartCard(id: string, title: string, note: string, extra?: HTMLElement): { card: HTMLElement; canvas: HTMLCanvasElement } {
  const canvas = el('canvas', { id, role: 'img', 'aria-label': title });
  const card = el('section', { class: 'card chart-card' }, el('div', { class: 'card-head' }, el('h2', {}, title), extra ?? null), el('p', { class: 'muted small' }, note), el('div', { class: 'chart-box' }, canvas));
  return { card, canvas };
}

function drawThroughput(canvas: HTMLCanvasElement, p: SimulationPayload): void {
  const s = throughputSeries(p.result);
  const { options, fg, grid } = baseOptions(`${p.workload} iterations / s`);
  charts.throughput = new Chart(canvas, {
    type: 'line',
    data: {
      labels: s.cpus.map(String),
      datasets: [
        { label: modeNames(p.result).baseline, data: s.baseline, borderColor: PALETTE[0], backgroundColor: PALETTE[0], yAxisID: 'y', tension: 0.15 },
        { label: modeNames(p.result).ctorDtor, data: s.ctorDtor, borderColor: PALETTE[1], backgroundColor: PALETTE[1], yAxisID: 'y', tension: 0.15 },
        { label: 'gain %', data: s.gainPct, borderColor: PALETTE[2], backgroundColor: PALETTE[2], borderDash: [5, 4], yAxisID: 'y1', tension: 0.15 },
      ],
    },
    options: {
      ...options,
      scales: {
        ...options.scales,
        x: { ...options.scales.x, title: { display: true, text: 'CPUs', color: fg } },
        y1: { position: 'right', ticks: { color: fg }, grid: { drawOnChartArea: false, color: grid }, title: { display: true, text: 'gain %', color: fg } },
      },
    },
  });
}

function drawTransfers(canvas: HTMLCanvasElement, p: SimulationPayload): void {
  const s = transfersSeries(p.result)!;
  const { options, fg } = baseOptions('line transfers per free');
  charts.transfers = new Chart(canvas, {
    type: 'line',
    data: {
      labels: s.cpus.map(String),
      datasets: [
        { label: modeNames(p.result).baseline, data: s.baseline, borderColor: PALETTE[0], backgroundColor: PALETTE[0], tension: 0.15 },
        { label: modeNames(p.result).ctorDtor, data: s.ctorDtor, borderColor: PALETTE[1], backgroundColor: PALETTE[1], tension: 0.15 },
      ],
    },
    options: { ...options, scales: { ...options.scales, x: { ...options.scales.x, title: { display: true, text: 'CPUs', color: fg } } } },
  });
}

function drawLockWait(canvas: HTMLCanvasElement, p: SimulationPayload): void {
  const b = lockWaitBreakdown(p.result);
  const { options } = baseOptions('total wait, ms (all CPUs)');
  charts.lockWait = new Chart(canvas, {
    type: 'bar',
    data: {
      labels: b.runs,
      datasets: b.classes.length
        ? b.classes.map((c, i) => ({ label: c.name, data: c.waitMs, backgroundColor: PALETTE[i % PALETTE.length], stack: 'wait' }))
        : [{ label: 'no lock was contended', data: b.runs.map(() => 0), backgroundColor: PALETTE[8], stack: 'wait' }],
    },
    options: { ...options, scales: { x: { ...options.scales.x, stacked: true }, y: { ...options.scales.y, stacked: true } } },
  });
}

function drawProfile(canvas: HTMLCanvasElement, p: SimulationPayload): void {
  const s = profileSeries(p.result);
  const { options } = baseOptions('% of busy CPU time');
  charts.profile = new Chart(canvas, {
    type: 'bar',
    data: {
      labels: s.runs,
      datasets: s.buckets.map((b, i) => ({ label: b.name, data: b.pct, backgroundColor: PALETTE[i % PALETTE.length], stack: 'cpu' })),
    },
    options: { ...options, indexAxis: 'y' as const, scales: { x: { ...options.scales.y, stacked: true, max: 100 }, y: { ...options.scales.x, stacked: true } } },
  });
}

function sensitivityCell(r: NonNullable<SimResult['compare']>[number]): HTMLElement {
  const s = r.sensitivity;
  if (!s) return el('td', { class: 'muted small' }, '-');
  const td = el('td', { class: 'small sensitivity' });
  if (s.uncertain) td.append(el('span', { class: 'badge warning uncertain', title: 'the gain changes sign when one of the costs moves within +-50%' }, 'uncertain'), ' ');
  td.append(s.top.map((t) => `${t.cost} (${t.kind}) ${sign(t.low)}/${sign(t.high)}`).join('; '));
  return td;
}

function sign(x: number): string {
  return `${x > 0 ? '+' : ''}${x.toFixed(1)}%`;
}

function assumptionsCard(r: SimResult): HTMLElement {
  const card = el('section', { class: 'card', id: 'assumptions' }, el('h2', {}, 'Assumptions of this result'));
  for (const a of r.assumptions ?? []) {
    if (a.cache !== '(none)') {
      card.append(el('p', {}, 'cache ', el('code', {}, a.cache), `: object size ${a.objectSize.bytes} B `,
        el('span', { class: `badge ${a.objectSize.how === 'assumed' ? 'warning' : 'ok'}` }, a.objectSize.how),
        a.objectSize.expr ? el('span', { class: 'muted small' }, ` ${a.objectSize.expr}`) : null,
        `, ${a.percpuRegions} percpu region${a.percpuRegions === 1 ? '' : 's'} in the ctor`));
    }
    for (const n of a.notes) card.append(el('p', { class: 'small' }, n));
  }
  const costs = r.assumptions?.[0]?.costs ?? [];
  if (costs.length) {
    const t = el('table', { class: 'grid small', id: 'costs-table' }, el('thead', {}, el('tr', {}, ...['cost', 'value', 'kind', 'source'].map((h) => el('th', {}, h)))));
    const body = el('tbody');
    for (const c of costs) {
      body.append(el('tr', {}, el('td', { class: 'mono' }, c.name), el('td', { class: 'num' }, String(c.value)),
        el('td', {}, el('span', { class: `badge ${c.kind === 'assumed' ? 'warning' : 'ok'}` }, c.kind)), el('td', { class: 'muted' }, c.source)));
    }
    t.append(body);
    card.append(el('details', {}, el('summary', {}, `${costs.length} costs used`), t));
  }
  return card;
}

function memoryData(run: RunResult) {
  const m = memorySeries(run);
  return {
    labels: m.tMs.map((t) => t.toFixed(3)),
    datasets: [
      { label: 'objects in use', data: m.objectsInUse, borderColor: PALETTE[0], backgroundColor: PALETTE[0], yAxisID: 'y' },
      { label: 'object slots', data: m.objects, borderColor: PALETTE[5], backgroundColor: PALETTE[5], yAxisID: 'y' },
      { label: 'percpu KiB', data: m.percpuKiB, borderColor: PALETTE[1], backgroundColor: PALETTE[1], yAxisID: 'y1' },
      { label: 'retained percpu KiB', data: m.retainedPercpuKiB, borderColor: PALETTE[3], backgroundColor: PALETTE[3], borderDash: [5, 4], yAxisID: 'y1' },
    ],
  };
}

function drawMemory(canvas: HTMLCanvasElement, p: SimulationPayload, runIndex: number): void {
  const { options, fg, grid } = baseOptions('objects');
  charts.memory = new Chart(canvas, {
    type: 'line',
    data: memoryData(p.result.runs[runIndex]),
    options: {
      ...options,
      scales: {
        ...options.scales,
        x: { ...options.scales.x, title: { display: true, text: 'simulated time, ms', color: fg } },
        y1: { position: 'right', beginAtZero: true, ticks: { color: fg }, grid: { drawOnChartArea: false, color: grid }, title: { display: true, text: 'KiB', color: fg } },
      },
    },
  });
}

function compareTable(p: SimulationPayload): HTMLElement {
  const rows = p.result.compare ?? [];
  const m = modeNames(p.result);
  const hasSens = rows.some((r) => r.sensitivity);
  const heads = ['CPUs', 'machine', `${m.baseline} / s`, `${m.ctorDtor} / s`, 'gain', 'busy CPU time per iteration', 'analytic gain', 'published'];
  if (hasSens) heads.push('depends most on (cost at 50% / 150%)');
  const t = el('table', { class: 'grid', id: 'compare-table' },
    el('thead', {}, el('tr', {}, ...heads.map((h) => el('th', {}, h)))));
  const body = el('tbody');
  for (const r of rows) {
    body.append(el('tr', {},
      el('td', { class: 'num' }, String(r.cpus)), el('td', {}, r.machine),
      el('td', { class: 'num' }, fmtInt(r.baselinePerSec)), el('td', { class: 'num' }, fmtInt(r.ctorDtorPerSec)),
      el('td', { class: `num ${r.gainPct > 0.5 ? 'good' : r.gainPct < -0.5 ? 'bad' : ''}` }, `${r.gainPct > 0 ? '+' : ''}${r.gainPct.toFixed(2)}%`),
      el('td', { class: 'num' }, r.baselineBusyNsPerIteration !== undefined ? `${fmtNs(r.baselineBusyNsPerIteration)} -> ${fmtNs(r.ctorDtorBusyNsPerIteration)} (${r.busyReductionPct > 0 ? '-' : '+'}${Math.abs(r.busyReductionPct).toFixed(1)}%)` : '-'),
      el('td', { class: 'num' }, r.analytic ? `${r.analytic.gainPct > 0 ? '+' : ''}${r.analytic.gainPct.toFixed(2)}%` : '-'),
      el('td', { class: 'num' }, r.publishedGainPct !== undefined ? `${r.publishedGainPct}%` : '-'),
      hasSens ? sensitivityCell(r) : null));
  }
  t.append(body);
  return t;
}

function findingCard(f: LockdepFinding, L: Linkifier): HTMLElement {
  const card = el('article', { class: `finding ${f.severity}` },
    el('h3', {}, el('span', { class: `badge ${f.severity}` }, f.severity), ` ${f.kind}: `, L.span(f.message)),
    el('p', { class: 'muted small' }, `CPU${f.cpu} at ${fmtNs(f.tNs)}${f.held?.length ? ', holding ' : ''}`, f.held?.length ? L.span(f.held.join(', ')) : null));
  if (f.cycle?.length) card.append(el('p', {}, 'cycle: ', L.span(f.cycle.join(' -> '), 'mono')));
  if (f.context.length) card.append(contextList(f.context, L));
  if (f.chain?.length) {
    const ol = el('ol', { class: 'chain' });
    for (const e of f.chain) {
      const li = el('li', {}, L.span(`${e.from} -> ${e.to}`, 'mono'), el('span', { class: 'muted small' }, ` first on CPU${e.cpu} at ${fmtNs(e.tNs)}`));
      if (e.context.length) li.append(contextList(e.context, L));
      ol.append(li);
    }
    card.append(el('p', { class: 'small' }, 'dependency chain (with the evidence of each edge):'), ol);
  }
  return card;
}

function contextList(ctx: string[], L: Linkifier): HTMLElement {
  const ul = el('ul', { class: 'context mono small' });
  ctx.forEach((c, i) => ul.append(el('li', { class: `depth-${Math.min(i, 6)}` }, L.render(c))));
  return ul;
}

function deadlockCard(d: DeadlockReport, L: Linkifier): HTMLElement {
  const card = el('article', { class: 'finding error deadlock' },
    el('h3', {}, el('span', { class: 'badge error' }, d.kind), ' ', L.span(d.message)),
    el('p', { class: 'muted small' }, `at ${fmtNs(d.tNs)}`));
  const waits = el('ul', { class: 'mono small' });
  for (const w of d.cycle) waits.append(el('li', {}, L.render(`CPU${w.cpu} waits for ${w.waitsFor} held by CPU${w.heldBy}`)));
  for (const w of d.blocked) waits.append(el('li', { class: 'muted' }, L.render(`CPU${w.cpu} waits for ${w.waitsFor} held by CPU${w.heldBy} (blocked behind)`)));
  card.append(waits);
  for (const h of d.holding) {
    card.append(el('p', { class: 'small' }, `CPU${h.cpu} holds: `, L.span(h.locks.length ? h.locks.join(', ') : 'nothing', 'mono')), contextList(h.context, L));
  }
  if (d.timeline.length) {
    const t = el('table', { class: 'grid timeline' }, el('thead', {}, el('tr', {}, el('th', {}, 'time (ns)'), ...d.cpus.map((c) => el('th', {}, `CPU${c}`)))));
    const body = el('tbody');
    for (const ev of d.timeline) {
      body.append(el('tr', {}, el('td', { class: 'num' }, fmtInt(ev.tNs)), ...d.cpus.map((c) => el('td', { class: 'mono' }, c === ev.cpu ? L.span(`${ev.action} ${ev.subject}`) : ''))));
    }
    t.append(body);
    card.append(el('p', { class: 'small' }, 'interleaving (last events of the CPUs involved):'), el('div', { class: 'scroll-x' }, t));
  }
  return card;
}

let current: SimulationPayload | undefined;

function render(p: SimulationPayload): void {
  const t0 = performance.now();
  destroyCharts();
  current = p;
  const L = new Linkifier(p.anchors);
  const app = document.getElementById('app')!;
  const r = p.result;

  const sources = el('p', { class: 'sources small' });
  const cacheAnchor = L.anchor(p.cache);
  sources.append('cache ', cacheAnchor ? sourceLink(p.cache, cacheAnchor) : el('code', {}, p.cache));
  for (const a of p.anchors.filter((x) => x.kind === 'ctor' || x.kind === 'dtor')) sources.append(` · ${a.kind} `, sourceLink(a.text, a));

  const exportBtn = el('button', { id: 'export', type: 'button', title: 'Save the JSON result' }, 'Export JSON');
  exportBtn.addEventListener('click', () => post({ type: 'export' }));

  const status = r.ok ? el('span', { class: 'badge ok' }, 'ok') : el('span', { class: 'badge error' }, 'problems found');
  const header = el('header', { class: 'page-head' },
    el('div', {}, el('h1', {}, p.title), sources,
      el('p', { class: 'muted small' }, status, ` ${p.workload} workload · CPUs ${p.cpus.join(', ')} · seed ${r.seed} · ${r.runs.length} runs, ${fmtInt(r.runs.reduce((s, x) => s + x.events, 0))} events simulated in ${p.elapsedMs} ms`)),
    el('div', { class: 'actions' }, exportBtn));

  const parts: HTMLElement[] = [header];
  if (p.converted) {
    parts.push(el('p', { class: 'note' }, 'This cache has no ctor/dtor yet. slabcheck reported it as a ctor/dtor candidate; "ctor/dtor" below is the proposed conversion: the percpu allocation made after kmem_cache_alloc() moves into a constructor and the free made before kmem_cache_free() into a destructor. "baseline" is the code as it is.'));
  }
  const names = modeNames(r);
  const uncertain = (r.compare ?? []).filter((c) => c.sensitivity?.uncertain);
  const cmp = el('section', { class: 'card' }, el('h2', {}, r.modeLabels ? `${names.baseline} vs ${names.ctorDtor}` : 'Baseline vs ctor/dtor'), compareTable(p));
  if (uncertain.length) {
    cmp.append(el('p', { class: 'note', id: 'uncertain-note' }, el('span', { class: 'badge warning' }, 'uncertain'),
      ` the gain at ${uncertain.map((c) => `${c.cpus} CPUs`).join(', ')} changes sign when one cost it depends on moves within +-50%: read it as a direction at most.`));
  }
  parts.push(cmp, assumptionsCard(r));

  const tp = chartCard('chart-throughput', 'Throughput against CPUs', 'Workload iterations per second after warm-up, both modes; gain on the right axis.');
  const lw = chartCard('chart-lockwait', 'Lock wait breakdown', 'Contended acquisitions x mean wait, per lock class and run, summed over CPUs.');
  const select = el('select', { id: 'memory-run', 'aria-label': 'run' });
  r.runs.forEach((run, i) => select.append(el('option', { value: i }, runLabel(run))));
  const memIdx = defaultMemoryRun(r);
  select.value = String(memIdx);
  const mem = chartCard('chart-memory', 'Memory over time', 'Objects and percpu memory of the selected run (percpu over all possible CPUs; retained = held by free constructed objects).', select);
  const hasProfile = r.runs.some((run) => (run.profile ?? []).length > 0);
  const pf = chartCard('chart-profile', 'Where CPU time goes', 'Share of busy CPU time (work and spinning; sleeping excluded) per bucket the workload names, after warm-up, per run.');
  // A workload without caches (shrinker) has no memory to show.
  const hasMemory = r.caches.length > 0;
  // The deferred-free workload: how often a free pulls the deferred list's head line.
  const hasTransfers = transfersSeries(r) !== null;
  const tr = chartCard('chart-transfers', 'Deferred-list line transfers per free', 'Cache-line transfers of the kfree_nolock() list heads per free, against CPUs: one list per cache vs one per CPU.');
  parts.push(el('div', { class: 'charts' }, tp.card, hasTransfers ? tr.card : null, lw.card, hasMemory ? mem.card : null, hasProfile ? pf.card : null));

  const fsec = el('section', { class: 'card', id: 'lockdep' }, el('h2', {}, `Lockdep: ${r.findings.length} finding${r.findings.length === 1 ? '' : 's'}`));
  if (!r.findings.length) fsec.append(el('p', { class: 'muted' }, 'No lock dependency problem was observed in these runs.'));
  for (const f of r.findings) fsec.append(findingCard(f, L));
  parts.push(fsec);

  if (r.deadlocks.length) {
    const dsec = el('section', { class: 'card', id: 'deadlocks' }, el('h2', {}, `Deadlocks: ${r.deadlocks.length}`));
    for (const d of r.deadlocks) dsec.append(deadlockCard(d, L));
    parts.push(dsec);
  }
  if (r.stops.length) {
    const ssec = el('section', { class: 'card', id: 'stops' }, el('h2', {}, 'Runs stopped early'));
    const ul = el('ul');
    for (const s of r.stops) ul.append(el('li', {}, el('strong', {}, s.reason), ' ', L.span(s.message)));
    ssec.append(ul);
    parts.push(ssec);
  }
  const pre = el('pre', { class: 'report', id: 'report' });
  pre.append(L.render(p.report));
  parts.push(el('details', { class: 'card' }, el('summary', {}, 'Full report (lockdep style)'), pre));

  app.replaceChildren(...parts);

  drawThroughput(tp.canvas, p);
  drawLockWait(lw.canvas, p);
  if (hasMemory) drawMemory(mem.canvas, p, memIdx);
  if (hasProfile) drawProfile(pf.canvas, p);
  if (hasTransfers) drawTransfers(tr.canvas, p);
  select.addEventListener('change', () => {
    const i = Number(select.value);
    if (!current || !charts.memory || !current.result.runs[i]) return;
    const d = memoryData(current.result.runs[i]);
    charts.memory.data.labels = d.labels;
    charts.memory.data.datasets = d.datasets;
    charts.memory.update();
  });
  post({ type: 'rendered', charts: 2 + (hasMemory ? 1 : 0) + (hasProfile ? 1 : 0) + (hasTransfers ? 1 : 0), items: L.count, ms: Math.round(performance.now() - t0) });
}

function isPayload(x: unknown): x is SimulationPayload {
  const p = x as SimulationPayload;
  return !!p && p.type === 'simulation' && typeof p.title === 'string' && !!p.result && Array.isArray(p.result.runs) && Array.isArray(p.anchors);
}

reportErrors();
installLinkHandler(document);
window.addEventListener('message', (ev: MessageEvent) => {
  if (isPayload(ev.data)) render(ev.data);
});
post({ type: 'ready' });
