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
import type { CompareRow, DeadlockReport, RunResult, SimResult } from '../../simulator/src/result';
import type { LockdepFinding } from '../../simulator/src/lockdep';
import type { SimulationPayload, StaticFinding } from '../src/shared/payloads';
import { defaultMemoryRun, displayName, lockWaitBreakdown, memorySeries, modeNames, runLabel, throughputSeries, transfersSeries } from '../src/shared/chartData';
import { verdictText } from '../../simulator/src/report';
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

/** Profile buckets over all runs (largest total first, at most 8, the rest as "rest"), share per run in %. */
export function profileSeries(r: SimResult): { runs: string[]; buckets: { name: string; pct: number[] }[] } {
  const total = new Map<string, number>();
  for (const run of r.runs) for (const p of run.profile ?? []) total.set(p.bucket, (total.get(p.bucket) ?? 0) + p.share);
  const names = [...total.keys()].sort((a, b) => total.get(b)! - total.get(a)! || (a < b ? -1 : 1));
  const keep = names.slice(0, 8);
  const buckets = keep.map((name) => ({ name: displayName(name), pct: r.runs.map((run) => round1((run.profile ?? []).find((p) => p.bucket === name)?.share ?? 0)) }));
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
  return `${run.cpus} CPU${run.cpus === 1 ? '' : 's'}, ${run.mode === 'baseline' ? m.baseline : m.ctorDtor}`;
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

/** Colours of a gain by what it may be read as: green/red only for a gain the seeds establish. */
const VERDICT_COLOUR: Record<CompareRow['verdict'], string> = {
  better: '#1a7f37', worse: '#cf222e', 'within-noise': '#8c959f', 'one-seed': '#8c959f', deadlock: '#cf222e', stopped: '#9a6700',
};

function drawThroughput(canvas: HTMLCanvasElement, p: SimulationPayload): void {
  const s = throughputSeries(p.result);
  const names = modeNames(p.result);
  const { options, fg, grid } = baseOptions(`${workloadUnit(p.workload)} / s`);
  if (s.cpus.length === 1) {
    // One point (a scenario, one CPU count): two bars, not a line through one dot.
    const v = s.verdict[0];
    const gain = s.gainPct[0];
    charts.throughput = new Chart(canvas, {
      type: 'bar',
      data: {
        labels: [names.baseline, names.ctorDtor],
        datasets: [{ label: `${s.cpus[0]} CPU${s.cpus[0] > 1 ? 's' : ''}`, data: [s.baseline[0], s.ctorDtor[0]], backgroundColor: [PALETTE[0], PALETTE[1]] }],
      },
      options: {
        ...options,
        plugins: {
          ...options.plugins,
          legend: { display: false },
          title: {
            display: true, color: VERDICT_COLOUR[v],
            text: v === 'deadlock' ? 'a run deadlocked: no throughput, no gain' : v === 'stopped' ? 'a run stopped early: no gain' : `gain ${gain === null ? '-' : `${gain > 0 ? '+' : ''}${gain.toFixed(2)}%`} (${verdictWords(v)})`,
          },
        },
      },
    });
    return;
  }
  const pointColours = s.verdict.map((v) => VERDICT_COLOUR[v]);
  const deadlocked = s.verdict.map((v) => (v === 'deadlock' ? 0 : null));
  charts.throughput = new Chart(canvas, {
    type: 'line',
    data: {
      labels: s.cpus.map(String),
      datasets: [
        { label: names.baseline, data: s.baseline, borderColor: PALETTE[0], backgroundColor: PALETTE[0], yAxisID: 'y', tension: 0.15 },
        { label: names.ctorDtor, data: s.ctorDtor, borderColor: PALETTE[1], backgroundColor: PALETTE[1], yAxisID: 'y', tension: 0.15 },
        {
          label: 'gain % (mean over seeds)', data: s.gainPct, borderColor: PALETTE[2], backgroundColor: PALETTE[2], pointBackgroundColor: pointColours,
          pointBorderColor: pointColours, pointRadius: 4, borderDash: [5, 4], yAxisID: 'y1', tension: 0.15,
        },
        // The seeds' range of the gain, as a band (its lower edge has no legend entry of its own).
        { label: 'lowest seed', data: s.gainMin, borderWidth: 0, pointRadius: 0, borderColor: 'rgba(89,161,79,0)', backgroundColor: 'rgba(89,161,79,0.18)', yAxisID: 'y1', fill: false },
        { label: 'gain range over seeds', data: s.gainMax, borderWidth: 0, pointRadius: 0, borderColor: 'rgba(89,161,79,0)', backgroundColor: 'rgba(89,161,79,0.18)', yAxisID: 'y1', fill: '-1' },
        ...(deadlocked.some((x) => x !== null)
          ? [{ label: 'deadlocked: no throughput', data: deadlocked, showLine: false, pointStyle: 'crossRot' as const, pointRadius: 9, pointBorderWidth: 3, borderColor: '#cf222e', backgroundColor: '#cf222e', yAxisID: 'y1' }]
          : []),
      ],
    },
    options: {
      ...options,
      plugins: { ...options.plugins, legend: { labels: { color: fg, boxWidth: 14, filter: (item: { text: string }) => item.text !== 'lowest seed' } } },
      scales: {
        ...options.scales,
        x: { ...options.scales.x, title: { display: true, text: 'CPUs', color: fg } },
        y1: { position: 'right', ticks: { color: fg }, grid: { drawOnChartArea: false, color: grid }, title: { display: true, text: 'gain %', color: fg } },
      },
    },
  });
}

function workloadTitle(workload: string): string {
  return workload === 'lifetime' ? "the cache's own objects (lifetime workload)" : workload === 'exec' ? 'exec() workload' : `${workload} workload`;
}

function workloadUnit(workload: string): string {
  return workload === 'exec' ? 'exec() calls' : workload === 'lifetime' ? 'object lifetimes' : `${workload} iterations`;
}

function verdictWords(v: CompareRow['verdict']): string {
  return v === 'within-noise' ? 'within noise' : v === 'one-seed' ? '1 seed: spread unknown' : v;
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

/** Like the CLI report: "+0.00%", "-1.25%". */
function pct2(x: number): string {
  return `${x >= 0 ? '+' : ''}${x.toFixed(2)}%`;
}

function sign(x: number): string {
  return `${x > 0 ? '+' : ''}${x.toFixed(1)}%`;
}

function assumptionsCard(r: SimResult): HTMLElement {
  const card = el('section', { class: 'card', id: 'assumptions' }, el('h2', {}, 'Assumptions of this result'));
  for (const a of r.assumptions ?? []) {
    if (a.cache !== '(none)') {
      card.append(el('p', {}, 'cache ', el('code', {}, a.cache), `: object size ${a.objectSize.bytes} B `,
        el('span', { class: `badge ${a.objectSize.how === 'evaluated' ? 'ok' : 'warning'}`, title: a.objectSize.note ?? '' }, a.objectSize.how),
        a.objectSize.expr ? el('span', { class: 'muted small' }, ` ${a.objectSize.expr}`) : null,
        a.objectSize.note ? el('span', { class: 'muted small' }, ` (${a.objectSize.note})`) : null,
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

function perSecCell(x: number | null, r: CompareRow, mode: 'baseline' | 'ctor-dtor', spread?: { min: number; max: number }): HTMLElement {
  if (x === null) {
    const mine = r.deadlock && (r.deadlock.mode === mode || r.deadlock.mode === 'both');
    return el('td', { class: 'num bad' }, mine ? (r.deadlock!.kind === 'stall' ? 'stalled' : 'deadlocked') : '-');
  }
  return el('td', { class: 'num' }, fmtInt(x), spread && spread.max > spread.min ? el('div', { class: 'muted small' }, `${fmtInt(spread.min)}..${fmtInt(spread.max)}`) : null);
}

function gainCell(r: CompareRow): HTMLElement {
  const v = r.verdict;
  if (v === 'deadlock' || v === 'stopped') {
    return el('td', { class: 'gain verdict-none' }, el('span', { class: `badge ${v === 'deadlock' ? 'error' : 'warning'} verdict`, 'data-verdict': v }, verdictText(r)));
  }
  const cls = v === 'better' ? 'good' : v === 'worse' ? 'bad' : 'neutral';
  const td = el('td', { class: `num gain ${cls}`, 'data-verdict': v }, r.gainPct === null ? '-' : `${r.gainPct > 0 ? '+' : ''}${r.gainPct.toFixed(2)}%`);
  if (r.spread) td.append(el('div', { class: 'muted small spread' }, `+-${r.spread.gainPct.stdev.toFixed(2)} (${pct2(r.spread.gainPct.min)}..${pct2(r.spread.gainPct.max)})`));
  if (v === 'within-noise') td.append(' ', el('span', { class: 'badge neutral verdict', 'data-verdict': v, title: 'the 95% interval of the mean gain over the seeds contains 0, or the gain is under 0.5 points: read it as no difference' }, 'within noise'));
  if (v === 'one-seed') td.append(' ', el('span', { class: 'badge neutral verdict', 'data-verdict': v, title: 'one seed only: how much the gain moves from run to run is not known' }, '1 seed'));
  return td;
}

function compareTable(p: SimulationPayload): HTMLElement {
  const rows = p.result.compare ?? [];
  const m = modeNames(p.result);
  const hasSens = rows.some((r) => r.sensitivity);
  const hasAnalytic = rows.some((r) => r.analytic);
  const hasPublished = rows.some((r) => r.publishedGainPct !== undefined);
  const heads = ['CPUs', 'machine', `${m.baseline} / s`, `${m.ctorDtor} / s`, 'gain (mean +-stdev, seed range)', 'busy CPU time per iteration'];
  if (hasAnalytic) heads.push('analytic gain');
  if (hasPublished) heads.push('published');
  if (hasSens) heads.push('depends most on (cost at 50% / 150%)');
  const t = el('table', { class: 'grid', id: 'compare-table' },
    el('thead', {}, el('tr', {}, ...heads.map((h) => el('th', {}, h)))));
  const body = el('tbody');
  for (const r of rows) {
    const busy = r.verdict === 'deadlock' ? '-' : `${fmtNs(r.baselineBusyNsPerIteration)} -> ${fmtNs(r.ctorDtorBusyNsPerIteration)} (${r.busyReductionPct > 0 ? '-' : '+'}${Math.abs(r.busyReductionPct).toFixed(1)}%)`;
    body.append(el('tr', { 'data-cpus': r.cpus, class: r.verdict === 'deadlock' ? 'deadlocked' : '' },
      el('td', { class: 'num' }, String(r.cpus)), el('td', {}, r.machine),
      perSecCell(r.baselinePerSec, r, 'baseline', r.spread?.baselinePerSec), perSecCell(r.ctorDtorPerSec, r, 'ctor-dtor', r.spread?.ctorDtorPerSec),
      gainCell(r),
      el('td', { class: 'num' }, busy),
      hasAnalytic ? el('td', { class: 'num' }, r.analytic ? `${r.analytic.gainPct > 0 ? '+' : ''}${r.analytic.gainPct.toFixed(2)}%` : '-') : null,
      hasPublished ? el('td', { class: 'num' }, r.publishedGainPct !== undefined ? `${r.publishedGainPct}%` : '-') : null,
      hasSens ? sensitivityCell(r) : null));
    if (r.deadlock) {
      // Who waits on whom, lockdep style, where a gain would have been.
      const d = r.deadlock;
      const waits = el('ul', { class: 'mono small waits' });
      for (const w of d.cycle) waits.append(el('li', {}, `CPU${w.cpu} waits for ${w.waitsFor}${w.heldBy >= 0 ? ` held by CPU${w.heldBy}` : ''}`));
      for (const h of d.holding) waits.append(el('li', { class: 'muted' }, `CPU${h.cpu} holds: ${h.locks.join(', ') || 'nothing'}`));
      body.append(el('tr', { class: 'deadlock-detail' }, el('td', { colspan: heads.length },
        el('strong', {}, `${d.kind === 'stall' ? 'Stall' : 'Deadlock'} in ${d.mode === 'both' ? 'both modes' : d.mode === 'baseline' ? m.baseline : m.ctorDtor}`),
        ` (seed${d.seeds.length === 1 ? '' : 's'} ${d.seeds.join(', ')} of ${r.seeds.length}): ${d.message}`, waits)));
    }
  }
  t.append(body);
  return t;
}

function staticCard(list: StaticFinding[], L: Linkifier): HTMLElement {
  const sec = el('div', { class: 'findings-col', id: 'static-findings' },
    el('h3', {}, `Static: ${list.length} finding${list.length === 1 ? '' : 's'}`),
    el('p', { class: 'muted small' }, 'What slabcheck check reports about this cache (the rules of the Problems panel, over the code as written).'));
  if (!list.length) sec.append(el('p', { class: 'muted' }, 'The check reports nothing about this cache.'));
  const ul = el('ul', { class: 'static-list' });
  for (const f of list) {
    ul.append(el('li', { class: `finding ${f.severity}` },
      el('span', { class: `badge ${f.severity === 'error' ? 'error' : f.severity === 'warning' ? 'warning' : 'neutral'}` }, f.severity), ' ',
      el('code', {}, f.rule), ' ', L.span(f.message), ' ',
      sourceLink(f.label ?? `${f.file}:${f.line + 1}`, { file: f.file, line: f.line, col: f.col, label: f.label ?? f.file }, 'src loc small')));
  }
  sec.append(ul);
  return sec;
}

function counts(list: { severity: string }[]): string {
  const by = (s: string) => list.filter((f) => f.severity === s).length;
  const parts = [['error', by('error')], ['warning', by('warning')], ['info', by('info') + by('hint')]] as const;
  return parts.filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}${n === 1 ? '' : 's'}`).join(', ') || 'none';
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
    card.append(el('p', { class: 'small' }, 'interleaving (last events of the CPUs involved, the deadlock at the bottom):'), el('div', { class: 'timeline-box' }, t));
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

  // The page says "ok" only when neither the simulation nor the check of the code found a problem.
  const statics = p.staticFindings ?? [];
  const staticErrors = statics.filter((f) => f.severity === 'error').length;
  const staticWarnings = statics.filter((f) => f.severity === 'warning').length;
  const simStatus = r.deadlocks.length ? el('span', { class: 'badge error', id: 'sim-status' }, `simulation: ${r.deadlocks.length} deadlock${r.deadlocks.length === 1 ? '' : 's'}/stall${r.deadlocks.length === 1 ? '' : 's'}`)
    : r.ok ? el('span', { class: 'badge ok', id: 'sim-status' }, 'simulation: no problem in these runs') : el('span', { class: 'badge error', id: 'sim-status' }, 'simulation: problems found');
  const staticStatus = p.staticFindings === undefined ? null
    : el('span', { class: `badge ${staticErrors ? 'error' : staticWarnings ? 'warning' : 'ok'}`, id: 'static-status' }, `check: ${statics.length ? counts(statics) : 'no findings'}`);
  const seeds = r.compare?.[0]?.seeds ?? [r.seed];
  const header = el('header', { class: 'page-head' },
    el('div', {}, el('h1', {}, p.title), sources,
      el('p', { class: 'muted small' }, simStatus, ' ', staticStatus, ` ${workloadTitle(p.workload)} · CPUs ${p.cpus.join(', ')} · ${seeds.length > 1 ? `seeds ${seeds[0]}-${seeds[seeds.length - 1]}` : `seed ${seeds[0]}`} · ${r.runs.length} runs shown (first seed), ${fmtInt(r.runs.reduce((s, x) => s + x.events, 0))} events in ${p.elapsedMs} ms`)),
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

  const single = throughputSeries(r).cpus.length === 1;
  const tp = single
    ? chartCard('chart-throughput', `Throughput at ${p.cpus[0] ?? r.runs[0]?.cpus} CPUs`, `${workloadUnit(p.workload)} per second after warm-up, both modes (one point: bars; mean over the seeds).`)
    : chartCard('chart-throughput', 'Throughput against CPUs', `${workloadUnit(p.workload)} per second after warm-up, both modes (mean over the seeds); gain on the right axis, its band the seeds' range; a grey point is within noise, a red cross a point where a run deadlocked.`);
  const lw = chartCard('chart-lockwait', 'Lock wait breakdown', 'Contended acquisitions x mean wait, per lock class and run, summed over CPUs.');
  const select = el('select', { id: 'memory-run', 'aria-label': 'run' });
  r.runs.forEach((run, i) => select.append(el('option', { value: i }, runLabel(run, r))));
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

  // Static and simulated findings side by side: a run that happens not to hit a problem is no proof there is none.
  const simCol = el('div', { class: 'findings-col', id: 'lockdep' }, el('h3', {}, `Simulated (lockdep over these runs): ${r.findings.length} finding${r.findings.length === 1 ? '' : 's'}`),
    el('p', { class: 'muted small' }, 'What the simulated CPUs did: lock dependencies, IRQ states, sleeping in atomic context, as lockdep would see them.'));
  if (!r.findings.length) {
    simCol.append(el('p', { class: 'muted' }, 'No lock dependency problem was observed in these runs.'));
    if (statics.length) simCol.append(el('p', { class: 'note small', id: 'not-reproduced' }, `The check reports ${counts(statics)} for this cache that these runs did not reproduce: a simulation shows what happened in the runs, not that the code is safe.`));
  }
  for (const f of r.findings) simCol.append(findingCard(f, L));
  const fsec = el('section', { class: 'card', id: 'findings' }, el('h2', {}, p.staticFindings === undefined ? 'Findings' : `Findings for cache ${p.cache}`),
    el('div', { class: 'findings-grid' }, p.staticFindings === undefined ? null : staticCard(statics, L), simCol));
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
