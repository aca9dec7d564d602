/**
 * The HTML shell of the slabcheck webviews: a strict Content Security
 * Policy (nothing but the page's own nonce-tagged script and stylesheet from
 * the extension's dist/media folder), no inline script or style, no remote
 * content. The page script builds everything else with DOM calls.
 */
import { randomBytes } from 'crypto';

export type PageKind = 'results' | 'lockgraph';

export interface PageHtmlOptions {
  page: PageKind;
  title: string;
  /** webview.cspSource */
  cspSource: string;
  nonce: string;
  /** webview.asWebviewUri(dist/media/<page>.js) */
  scriptUri: string;
  /** webview.asWebviewUri(dist/media/webview.css) */
  styleUri: string;
}

export function makeNonce(): string {
  return randomBytes(18).toString('base64').replace(/[+/=]/g, (c) => (c === '+' ? '-' : c === '/' ? '_' : ''));
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return `default-src 'none'; script-src 'nonce-${nonce}'; style-src ${cspSource} 'nonce-${nonce}'; img-src ${cspSource} data:`;
}

export function pageHtml(o: PageHtmlOptions): string {
  if (!/^[A-Za-z0-9_-]{16,}$/.test(o.nonce)) throw new Error('pageHtml: the nonce must be 16+ characters of [A-Za-z0-9_-]');
  const csp = contentSecurityPolicy(o.cspSource, o.nonce);
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="UTF-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
    `<link rel="stylesheet" nonce="${o.nonce}" href="${escapeHtml(o.styleUri)}">`,
    `<title>${escapeHtml(o.title)}</title>`,
    '</head>',
    `<body data-page="${o.page}">`,
    `<main id="app" aria-live="polite"><p class="muted">${escapeHtml(o.title)}: waiting for data...</p></main>`,
    `<script nonce="${o.nonce}" src="${escapeHtml(o.scriptUri)}"></script>`,
    '</body>',
    '</html>',
  ].join('\n');
}
