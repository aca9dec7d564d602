/**
 * A small layered (Sugiyama-style) layout for the lock graph, left to right:
 * cycles broken by reversing DFS back edges, layers by longest path, order
 * within a layer by a few barycenter sweeps, then coordinates and SVG path
 * data for every edge. Pure and deterministic (names are sorted first).
 */

export interface LayoutNode {
  name: string;
  layer: number;
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface LayoutEdge {
  from: string;
  to: string;
  /** SVG path data from the source's right side to the target's left side. */
  path: string;
  /** Drawn against the layer order (part of a cycle) or a self loop. */
  back: boolean;
  /** A point on the edge (for hit targets and labels). */
  mid: { x: number; y: number };
}

export interface Layout {
  nodes: LayoutNode[];
  edges: LayoutEdge[];
  width: number;
  height: number;
}

export interface LayoutOptions {
  nodeHeight?: number;
  rowGap?: number;
  colGap?: number;
  margin?: number;
  charWidth?: number;
}

export function layoutGraph(names: string[], edges: { from: string; to: string }[], o: LayoutOptions = {}): Layout {
  const H = o.nodeHeight ?? 30;
  const rowGap = o.rowGap ?? 18;
  const colGap = o.colGap ?? 90;
  const margin = o.margin ?? 20;
  const cw = o.charWidth ?? 7.2;

  const all = [...new Set([...names, ...edges.flatMap((e) => [e.from, e.to])])].sort();
  const idx = new Map(all.map((n, i) => [n, i]));
  const out: number[][] = all.map(() => []);
  const uniq = new Set<string>();
  const es: { a: number; b: number }[] = [];
  for (const e of edges) {
    const k = `${e.from}\u0000${e.to}`;
    if (uniq.has(k)) continue;
    uniq.add(k);
    const a = idx.get(e.from)!;
    const b = idx.get(e.to)!;
    es.push({ a, b });
    if (a !== b) out[a].push(b);
  }
  for (const l of out) l.sort((x, y) => x - y);

  // 1. Break cycles: edges to a node on the DFS stack are back edges.
  const state = new Uint8Array(all.length); // 0 new, 1 on stack, 2 done
  const back = new Set<string>();
  for (let s = 0; s < all.length; s++) {
    if (state[s]) continue;
    const stack: { v: number; i: number }[] = [{ v: s, i: 0 }];
    state[s] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1];
      if (top.i < out[top.v].length) {
        const w = out[top.v][top.i++];
        if (state[w] === 1) back.add(`${top.v}:${w}`);
        else if (state[w] === 0) {
          state[w] = 1;
          stack.push({ v: w, i: 0 });
        }
      } else {
        state[top.v] = 2;
        stack.pop();
      }
    }
  }
  const dag: number[][] = all.map(() => []);
  const preds: number[][] = all.map(() => []);
  for (const { a, b } of es) {
    if (a === b) continue;
    const [x, y] = back.has(`${a}:${b}`) ? [b, a] : [a, b];
    dag[x].push(y);
    preds[y].push(x);
  }

  // 2. Layers: longest path from the sources (Kahn order).
  const indeg = preds.map((p) => p.length);
  const layer = new Array<number>(all.length).fill(0);
  const queue: number[] = [];
  for (let i = 0; i < all.length; i++) if (indeg[i] === 0) queue.push(i);
  for (let qi = 0; qi < queue.length; qi++) {
    const v = queue[qi];
    for (const w of dag[v]) {
      layer[w] = Math.max(layer[w], layer[v] + 1);
      if (--indeg[w] === 0) queue.push(w);
    }
  }
  const nLayers = all.length ? Math.max(...layer) + 1 : 0;
  const layers: number[][] = Array.from({ length: nLayers }, () => []);
  for (let i = 0; i < all.length; i++) layers[layer[i]].push(i);

  // 3. Order within layers: barycenter sweeps over the neighbours in other layers.
  const pos = new Array<number>(all.length).fill(0);
  const renumber = () => layers.forEach((l) => l.forEach((v, i) => (pos[v] = i / Math.max(1, l.length - 1))));
  renumber();
  const succs = dag;
  for (let sweep = 0; sweep < 8; sweep++) {
    const down = sweep % 2 === 0;
    const order = down ? layers : [...layers].reverse();
    for (const l of order) {
      const bary = new Map<number, number>();
      for (const v of l) {
        const nb = down ? preds[v] : succs[v];
        bary.set(v, nb.length ? nb.reduce((s, u) => s + pos[u], 0) / nb.length : pos[v]);
      }
      l.sort((x, y) => bary.get(x)! - bary.get(y)! || x - y);
      l.forEach((v, i) => (pos[v] = i / Math.max(1, l.length - 1)));
    }
  }

  // 4. Coordinates: columns as wide as their widest label, columns centred vertically.
  const width = (n: string) => Math.max(80, Math.round(n.length * cw + 28));
  const colW = layers.map((l) => Math.max(0, ...l.map((v) => width(all[v]))));
  const colX: number[] = [];
  let x = margin;
  for (let c = 0; c < nLayers; c++) {
    colX.push(x);
    x += colW[c] + colGap;
  }
  const maxRows = Math.max(0, ...layers.map((l) => l.length));
  const fullH = maxRows * H + Math.max(0, maxRows - 1) * rowGap;
  const nodes: LayoutNode[] = new Array(all.length);
  layers.forEach((l, c) => {
    const h = l.length * H + Math.max(0, l.length - 1) * rowGap;
    const y0 = margin + (fullH - h) / 2;
    l.forEach((v, r) => {
      const w = width(all[v]);
      nodes[v] = { name: all[v], layer: c, x: colX[c] + (colW[c] - w) / 2, y: Math.round(y0 + r * (H + rowGap)), w, h: H };
    });
  });

  // 5. Edges.
  const f = (n: number) => Math.round(n * 10) / 10;
  const outEdges: LayoutEdge[] = [];
  for (const { a, b } of es) {
    const s = nodes[a];
    const t = nodes[b];
    if (a === b) {
      const x0 = s.x + s.w - 14;
      const y0 = s.y;
      outEdges.push({ from: s.name, to: t.name, back: true, path: `M${f(x0)},${f(y0)} C${f(x0 - 6)},${f(y0 - 26)} ${f(x0 + 26)},${f(y0 - 26)} ${f(x0 + 14)},${f(y0 + 6)}`, mid: { x: f(x0 + 9), y: f(y0 - 19) } });
      continue;
    }
    const forward = t.layer > s.layer;
    if (forward) {
      const x1 = s.x + s.w;
      const y1 = s.y + s.h / 2;
      const x2 = t.x;
      const y2 = t.y + t.h / 2;
      const dx = Math.max(30, (x2 - x1) / 2);
      outEdges.push({ from: s.name, to: t.name, back: false, path: `M${f(x1)},${f(y1)} C${f(x1 + dx)},${f(y1)} ${f(x2 - dx)},${f(y2)} ${f(x2)},${f(y2)}`, mid: bezierMid(x1, y1, x1 + dx, y1, x2 - dx, y2, x2, y2) });
    } else {
      // Against the flow: leave from the bottom of the source and loop under to the target's bottom.
      const x1 = s.x + s.w / 2;
      const y1 = s.y + s.h;
      const x2 = t.x + t.w / 2;
      const y2 = t.y + t.h;
      const dip = 40 + Math.abs(s.layer - t.layer) * 10;
      const yc = Math.max(y1, y2) + dip;
      outEdges.push({ from: s.name, to: t.name, back: true, path: `M${f(x1)},${f(y1)} C${f(x1)},${f(yc)} ${f(x2)},${f(yc)} ${f(x2)},${f(y2)}`, mid: bezierMid(x1, y1, x1, yc, x2, yc, x2, y2) });
    }
  }
  const maxX = Math.max(margin, ...nodes.map((n) => n.x + n.w));
  const maxY = Math.max(margin, ...nodes.map((n) => n.y + n.h), ...outEdges.filter((e) => e.back).map((e) => e.mid.y + 10));
  return { nodes, edges: outEdges, width: Math.ceil(maxX + margin), height: Math.ceil(maxY + margin + 30) };
}

function bezierMid(x0: number, y0: number, x1: number, y1: number, x2: number, y2: number, x3: number, y3: number): { x: number; y: number } {
  // t = 0.5 of a cubic Bezier.
  const x = 0.125 * x0 + 0.375 * x1 + 0.375 * x2 + 0.125 * x3;
  const y = 0.125 * y0 + 0.375 * y1 + 0.375 * y2 + 0.125 * y3;
  return { x: Math.round(x * 10) / 10, y: Math.round(y * 10) / 10 };
}
