/**
 * The lock graph page (bundled to dist/media/lockgraph.js): the workspace's
 * lock classes as an SVG drawn with a layered layout (no graph library),
 * leaves and fs_reclaim styled apart; clicking an edge shows its evidence
 * chain with links that open the source, clicking a node lists its edges.
 */
import type { LockGraphData, LockGraphPayload } from '../src/shared/payloads';
import { layoutGraph, type Layout } from '../src/shared/graphLayout';
import { el, installLinkHandler, post, reportErrors, sourceLink, svg } from './common';

const FS_RECLAIM = 'fs_reclaim';

let payload: LockGraphPayload | undefined;
let layout: Layout | undefined;
let zoom = 1;
let selected: { kind: 'edge'; index: number } | { kind: 'node'; name: string } | undefined;

function label(file: string): string {
  return payload?.labels[file] ?? file;
}

function nodeClass(name: string, g: LockGraphData): string {
  if (name === FS_RECLAIM) return 'node fs-reclaim';
  return g.leaves.includes(name) ? 'node leaf' : 'node';
}

function drawGraph(g: LockGraphData): SVGSVGElement {
  layout = layoutGraph(g.classes.map((c) => c.name), g.edges);
  const L = layout;
  const root = svg('svg', { id: 'graph', xmlns: 'http://www.w3.org/2000/svg', width: Math.round(L.width * zoom), height: Math.round(L.height * zoom), viewBox: `0 0 ${L.width} ${L.height}`, role: 'img', 'aria-label': 'lock graph' });
  const defs = svg('defs', {},
    svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerUnits: 'userSpaceOnUse', markerWidth: 10, markerHeight: 10, orient: 'auto-start-reverse' }, svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow-head' })),
    svg('marker', { id: 'arrow-sel', viewBox: '0 0 10 10', refX: 9, refY: 5, markerUnits: 'userSpaceOnUse', markerWidth: 12, markerHeight: 12, orient: 'auto-start-reverse' }, svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow-head selected' })));
  root.append(defs);
  const edgesG = svg('g', { class: 'edges' });
  const indexOf = new Map<string, number>();
  g.edges.forEach((x, i) => {
    const k = `${x.from}\u0000${x.to}`;
    if (!indexOf.has(k)) indexOf.set(k, i);
  });
  L.edges.forEach((e) => {
    const dataIdx = indexOf.get(`${e.from}\u0000${e.to}`) ?? -1;
    const grp = svg('g', { class: `edge${e.back ? ' back' : ''}${e.to === FS_RECLAIM || e.from === FS_RECLAIM ? ' reclaim' : ''}`, 'data-index': dataIdx, 'data-from': e.from, 'data-to': e.to, tabindex: 0, role: 'button', 'aria-label': `${e.from} then ${e.to}` },
      svg('title', {}, document.createTextNode(`${e.from} -> ${e.to} (${g.edges[dataIdx]?.evidence.length ?? 0} evidence steps)`)),
      svg('path', { d: e.path, class: 'edge-line', 'marker-end': 'url(#arrow)' }),
      svg('path', { d: e.path, class: 'edge-hit' }));
    grp.addEventListener('click', (ev) => {
      ev.stopPropagation();
      selectEdge(dataIdx);
    });
    grp.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        selectEdge(dataIdx);
      }
    });
    edgesG.append(grp);
  });
  const nodesG = svg('g', { class: 'nodes' });
  for (const n of L.nodes) {
    const cls = nodeClass(n.name, g);
    const shape = n.name === FS_RECLAIM
      ? svg('polygon', { points: hexagon(n.x, n.y, n.w, n.h), class: 'node-shape' })
      : svg('rect', { x: n.x, y: n.y, width: n.w, height: n.h, rx: 6, ry: 6, class: 'node-shape' });
    const text = svg('text', { x: n.x + n.w / 2, y: n.y + n.h / 2 + 4, 'text-anchor': 'middle', class: 'node-label' });
    text.textContent = n.name;
    const grp = svg('g', { class: cls, 'data-name': n.name, tabindex: 0, role: 'button', 'aria-label': `lock class ${n.name}` }, svg('title', {}, document.createTextNode(`${n.name}${g.leaves.includes(n.name) ? ' (leaf)' : ''}`)), shape, text);
    grp.addEventListener('click', (ev) => {
      ev.stopPropagation();
      selectNode(n.name);
    });
    grp.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        selectNode(n.name);
      }
    });
    nodesG.append(grp);
  }
  root.append(edgesG, nodesG);
  root.addEventListener('click', () => clearSelection());
  return root;
}

function hexagon(x: number, y: number, w: number, h: number): string {
  const d = h / 2;
  return [[x, y + d], [x + d, y], [x + w - d, y], [x + w, y + d], [x + w - d, y + h], [x + d, y + h]].map((p) => p.join(',')).join(' ');
}

function highlight(): void {
  const g = payload!.graph;
  document.querySelectorAll('#graph .edge').forEach((e) => {
    const idx = Number(e.getAttribute('data-index'));
    const from = e.getAttribute('data-from');
    const to = e.getAttribute('data-to');
    const on = selected?.kind === 'edge' ? selected.index === idx : selected?.kind === 'node' ? from === selected.name || to === selected.name : false;
    e.classList.toggle('selected', on);
    e.classList.toggle('dim', !!selected && !on);
    e.querySelector('.edge-line')?.setAttribute('marker-end', on ? 'url(#arrow-sel)' : 'url(#arrow)');
  });
  document.querySelectorAll('#graph .node').forEach((n) => {
    const name = n.getAttribute('data-name');
    let on = false;
    if (selected?.kind === 'node') on = name === selected.name;
    else if (selected?.kind === 'edge') on = name === g.edges[selected.index]?.from || name === g.edges[selected.index]?.to;
    n.classList.toggle('selected', on);
  });
}

function details(): HTMLElement {
  return document.getElementById('details')!;
}

function selectEdge(index: number): void {
  const g = payload!.graph;
  const e = g.edges[index];
  if (!e) return;
  selected = { kind: 'edge', index };
  highlight();
  const ol = el('ol', { class: 'evidence', id: 'evidence' });
  for (const st of e.evidence) {
    ol.append(el('li', {}, el('span', {}, st.note), ' ', sourceLink(`${label(st.file)}:${st.line + 1}`, { file: st.file, line: st.line, col: st.character, label: label(st.file) })));
  }
  details().replaceChildren(
    el('h2', {}, el('code', {}, e.from), ' → ', el('code', {}, e.to)),
    el('p', { class: 'muted small' }, `${e.to} is taken while ${e.from} is held${e.to === FS_RECLAIM ? ' (an allocation that may enter reclaim, under the lock)' : ''}. Evidence chain:`),
    e.evidence.length ? ol : el('p', { class: 'muted' }, 'No evidence recorded.'),
  );
}

function edgeButton(i: number, text: string): HTMLElement {
  const b = el('button', { type: 'button', class: 'linkish' }, text);
  b.addEventListener('click', () => selectEdge(i));
  return b;
}

function selectNode(name: string): void {
  const g = payload!.graph;
  selected = { kind: 'node', name };
  highlight();
  const outs = g.edges.map((e, i) => ({ e, i })).filter((x) => x.e.from === name);
  const ins = g.edges.map((e, i) => ({ e, i })).filter((x) => x.e.to === name);
  const leaf = g.leaves.includes(name);
  const list = (items: { e: LockGraphData['edges'][number]; i: number }[], other: 'from' | 'to') => {
    const ul = el('ul');
    for (const x of items) ul.append(el('li', {}, edgeButton(x.i, x.e[other]), el('span', { class: 'muted small' }, ` (${x.e.evidence.length} steps)`)));
    return items.length ? ul : el('p', { class: 'muted small' }, 'none');
  };
  details().replaceChildren(
    el('h2', {}, el('code', {}, name)),
    el('p', {}, name === FS_RECLAIM ? el('span', { class: 'badge reclaim' }, 'fs_reclaim pseudo-lock') : leaf ? el('span', { class: 'badge ok' }, 'leaf') : el('span', { class: 'badge warning' }, 'not a leaf'),
      ' ', name === FS_RECLAIM ? 'held by reclaim; every allocation that may reclaim takes it.' : leaf ? 'no other lock is taken while it is held.' : 'other locks are taken while it is held.'),
    el('h3', {}, 'Takes, while held'), list(outs, 'to'),
    el('h3', {}, 'Taken while holding'), list(ins, 'from'),
  );
}

function clearSelection(): void {
  selected = undefined;
  highlight();
  details().replaceChildren(el('p', { class: 'muted' }, 'Click an edge to see its evidence chain, or a lock class to list its edges.'));
}

function setZoom(z: number): void {
  zoom = Math.min(3, Math.max(0.2, z));
  const s = document.getElementById('graph');
  if (s && layout) {
    s.setAttribute('width', String(Math.round(layout.width * zoom)));
    s.setAttribute('height', String(Math.round(layout.height * zoom)));
  }
  const z0 = document.getElementById('zoom-level');
  if (z0) z0.textContent = `${Math.round(zoom * 100)}%`;
}

function render(p: LockGraphPayload): void {
  const t0 = performance.now();
  payload = p;
  selected = undefined;
  const g = p.graph;
  const app = document.getElementById('app')!;
  const btn = (text: string, title: string, fn: () => void) => {
    const b = el('button', { type: 'button', title }, text);
    b.addEventListener('click', fn);
    return b;
  };
  const legend = el('div', { class: 'legend small' },
    el('span', { class: 'key leaf' }, 'leaf'), el('span', { class: 'key' }, 'not a leaf'), el('span', { class: 'key fs-reclaim' }, 'fs_reclaim'),
    el('span', { class: 'key back' }, 'edge against the layer order (cycle)'));
  const head = el('header', { class: 'page-head' },
    el('div', {}, el('h1', {}, p.title), el('p', { class: 'muted small', id: 'summary' }, `${plural(g.classes.length, 'lock class', 'lock classes')}, ${plural(g.edges.length, 'edge')}, ${plural(g.leaves.length, 'leaf', 'leaves')}`), legend),
    el('div', { class: 'actions' }, btn('−', 'zoom out', () => setZoom(zoom / 1.25)), el('span', { id: 'zoom-level', class: 'small' }, '100%'), btn('+', 'zoom in', () => setZoom(zoom * 1.25)), btn('Fit', 'fit to the view', fit)));
  const area = el('div', { class: 'graph-area', id: 'graph-area' });
  if (g.classes.length) area.append(drawGraph(g));
  else area.append(el('p', { class: 'muted' }, 'No lock classes: the workspace takes no lock that slabcheck could name.'));
  const side = el('aside', { id: 'details', class: 'details card' });
  app.replaceChildren(head, el('div', { class: 'graph-layout' }, area, side));
  clearSelection();
  // Start fitted when the graph is wider than the view (never below 40%).
  if (layout && area.clientWidth > 0 && layout.width > area.clientWidth) setZoom(Math.max(0.4, (area.clientWidth - 8) / layout.width));
  post({ type: 'rendered', charts: 0, items: g.classes.length, ms: Math.round(performance.now() - t0) });
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function fit(): void {
  const area = document.getElementById('graph-area');
  if (!area || !layout) return;
  setZoom(Math.min(1.5, (area.clientWidth - 8) / layout.width));
}

function isPayload(x: unknown): x is LockGraphPayload {
  const p = x as LockGraphPayload;
  return !!p && p.type === 'lockgraph' && !!p.graph && Array.isArray(p.graph.classes) && Array.isArray(p.graph.edges);
}

reportErrors();
installLinkHandler(document);
window.addEventListener('message', (ev: MessageEvent) => {
  if (isPayload(ev.data)) render(ev.data);
});
post({ type: 'ready' });
