/**
 * Shared by the webview pages: the VS Code API handle, DOM helpers (no
 * innerHTML anywhere: every text goes through textContent), and source
 * links that post {type:'open', file, line, col} to the extension.
 */
import type { Anchor, SourceLink } from '../src/shared/payloads';
import type { WebviewMessage } from '../src/shared/protocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

export const vscode: VsCodeApi = acquireVsCodeApi();

export function post(m: WebviewMessage): void {
  vscode.postMessage(m);
}

type Child = Node | string | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | number | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined) continue;
    if (k === 'class') e.className = String(v);
    else e.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return e;
}

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number | undefined> = {}, ...children: (Node | null)[]): SVGElementTagNameMap[K] {
  const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) e.setAttribute(k, String(v));
  for (const c of children) if (c) e.append(c);
  return e;
}

/** A link to a source location; clicking it asks the extension to open the editor there. */
export function sourceLink(text: string, at: SourceLink, cls = 'src'): HTMLAnchorElement {
  const a = el('a', { class: cls, href: '#', title: `${at.label}:${at.col + 1}`, 'data-file': at.file, 'data-line': at.line, 'data-col': at.col }, text);
  return a;
}

/** Route clicks on any source link (present or future) to the extension. */
export function installLinkHandler(root: HTMLElement | Document = document): void {
  const open = (target: EventTarget | null, ev: Event) => {
    const a = (target as Element | null)?.closest?.('a[data-file]');
    if (!a) return;
    ev.preventDefault();
    const line = Number(a.getAttribute('data-line'));
    const col = Number(a.getAttribute('data-col'));
    post({ type: 'open', file: a.getAttribute('data-file') ?? '', line: Number.isInteger(line) ? line : 0, col: Number.isInteger(col) ? col : 0 });
  };
  root.addEventListener('click', (ev) => open(ev.target, ev));
  root.addEventListener('keydown', (ev) => {
    if ((ev as KeyboardEvent).key === 'Enter') open(ev.target, ev);
  });
}

/** Turns anchor names inside a text into source links. */
export class Linkifier {
  private re: RegExp | undefined;
  private byText = new Map<string, Anchor>();
  count = 0;

  constructor(anchors: Anchor[]) {
    for (const a of anchors) if (a.text && !this.byText.has(a.text)) this.byText.set(a.text, a);
    const alts = [...this.byText.keys()].sort((a, b) => b.length - a.length).map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    if (alts.length) this.re = new RegExp(`(?<![\\w.])(?:${alts.join('|')})(?![\\w])`, 'g');
  }

  anchor(text: string): Anchor | undefined {
    return this.byText.get(text);
  }

  /** The text with every anchor name linked. */
  render(text: string): DocumentFragment {
    const f = document.createDocumentFragment();
    if (!this.re) {
      f.append(text);
      return f;
    }
    let last = 0;
    this.re.lastIndex = 0;
    for (let m = this.re.exec(text); m; m = this.re.exec(text)) {
      if (m.index > last) f.append(text.slice(last, m.index));
      const a = this.byText.get(m[0])!;
      f.append(sourceLink(m[0], a));
      this.count++;
      last = m.index + m[0].length;
    }
    if (last < text.length) f.append(text.slice(last));
    return f;
  }

  /** An element holding the linked text. */
  span(text: string, cls?: string): HTMLSpanElement {
    const s = el('span', { class: cls });
    s.append(this.render(text));
    return s;
  }
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function fmtNs(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(3)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(1)} us`;
  return `${Math.round(ns)} ns`;
}

export function reportErrors(): void {
  window.addEventListener('error', (e) => post({ type: 'error', message: String(e.message ?? e).slice(0, 1000) }));
  window.addEventListener('unhandledrejection', (e) => post({ type: 'error', message: String((e as PromiseRejectionEvent).reason).slice(0, 1000) }));
}

/** Theme colours from the VS Code CSS variables (with fallbacks outside VS Code). */
export function themeColor(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}
