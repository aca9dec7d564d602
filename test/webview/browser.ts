/**
 * Headless Chromium for the webview page tests: the pages are bundled with
 * client/build.js (the same esbuild config the extension ships), served from
 * 127.0.0.1 under the same HTML shell and Content Security Policy the
 * extension uses (cspSource = the local origin), with a stub of
 * acquireVsCodeApi that records what the page posts. Any request outside
 * that origin is aborted and recorded, as are CSP violations.
 * The browser comes from the npm registry: @sparticuz/chromium ships a headless Chromium inside
 * its package (unpacked to /tmp on first use), so a fresh `npm ci && npm test` needs nothing from
 * apt. $CHROMIUM, when set, names another one.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import type { AddressInfo } from 'net';
import type { BrowserContext, Page } from 'playwright-core';
import { makeNonce, pageHtml, type PageKind } from '../../client/src/shared/html';

/* Page-side code (inside page.evaluate) runs in the browser; the repo compiles tests without the DOM lib. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const window: any;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const document: any;

export const REPO = path.resolve(__dirname, '../../..');
export const ARTIFACTS = path.join(REPO, 'test', 'webview', 'artifacts');

let resolved: string | undefined;

/** $CHROMIUM, else the Chromium inside the @sparticuz/chromium package (a devDependency). */
export async function chromiumPath(): Promise<string> {
  if (resolved) return resolved;
  if (process.env.CHROMIUM) {
    if (!fs.existsSync(process.env.CHROMIUM)) throw new Error(`CHROMIUM=${process.env.CHROMIUM} does not exist`);
    return (resolved = process.env.CHROMIUM);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pkg = require('@sparticuz/chromium') as { executablePath(): Promise<string>; default?: { executablePath(): Promise<string> } };
  return (resolved = await (pkg.default ?? pkg).executablePath());
}

export interface Harness {
  base: string;
  ctx: BrowserContext;
  /** Requests that were not to the local origin (all aborted). */
  blocked: string[];
  open(kind: PageKind, title: string): Promise<Page>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const executablePath = await chromiumPath();
  const media = fs.mkdtempSync(path.join(os.tmpdir(), 'slabcheck-media-'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const build = require(path.join(REPO, 'client', 'build.js')) as { buildWebviews(outdir: string): Promise<void> };
  await build.buildWebviews(media);
  let base = '';
  const pages = new Map<string, string>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', base);
    const html = pages.get(url.pathname);
    if (html) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html);
      return;
    }
    const m = /^\/media\/([\w.-]+)$/.exec(url.pathname);
    const file = m ? path.join(media, m[1]) : undefined;
    if (file && fs.existsSync(file)) {
      res.writeHead(200, { 'content-type': file.endsWith('.css') ? 'text/css' : 'text/javascript' });
      res.end(fs.readFileSync(file));
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { chromium } = await import('playwright-core');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'slabcheck-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const blocked: string[] = [];
  await ctx.route('**/*', (route) => {
    const u = route.request().url();
    if (u.startsWith(`${base}/`)) return route.continue();
    blocked.push(u);
    return route.abort();
  });
  await ctx.addInitScript(() => {
    const w = window as unknown as { __posted: unknown[]; __csp: string[]; acquireVsCodeApi: () => unknown };
    w.__posted = [];
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e: { violatedDirective: string; blockedURI: string }) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    let acquired = false;
    w.acquireVsCodeApi = () => {
      if (acquired) throw new Error('acquireVsCodeApi called twice');
      acquired = true;
      return { postMessage: (m: unknown) => w.__posted.push(JSON.parse(JSON.stringify(m))), getState: () => undefined, setState: () => undefined };
    };
  });
  return {
    base,
    ctx,
    blocked,
    async open(kind, title) {
      const p = `/${kind}-${pages.size}.html`;
      pages.set(p, pageHtml({ page: kind, title, cspSource: base, nonce: makeNonce(), scriptUri: `${base}/media/${kind}.js`, styleUri: `${base}/media/webview.css` }));
      const page = await ctx.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      (page as unknown as { __errors: string[] }).__errors = errors;
      await page.goto(`${base}${p}`);
      return page;
    },
    async close() {
      await ctx.close();
      await new Promise<void>((r) => server.close(() => r()));
      fs.rmSync(profile, { recursive: true, force: true });
      fs.rmSync(media, { recursive: true, force: true });
    },
  };
}

export function pageErrors(page: Page): string[] {
  return (page as unknown as { __errors: string[] }).__errors;
}

/** Messages the page posted through the stubbed VS Code API. */
export function posted<T = { type: string; [k: string]: unknown }>(page: Page): Promise<T[]> {
  return page.evaluate(() => (window as unknown as { __posted: T[] }).__posted);
}

export async function waitPosted(page: Page, type: string, timeoutMs = 15000): Promise<{ type: string; [k: string]: unknown }> {
  await page.waitForFunction((t) => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === t), type, { timeout: timeoutMs });
  return (await posted(page)).filter((m) => m.type === type).pop()!;
}

/** Non-transparent pixels of a canvas, and its size. */
export function canvasInk(page: Page, id: string): Promise<{ ink: number; width: number; height: number; colours: number }> {
  return page.evaluate((cid) => {
    const c = document.getElementById(cid);
    const d: Uint8ClampedArray = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    const colours = new Set<number>();
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] === 0) continue;
      ink++;
      if (colours.size < 64) colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    }
    return { ink, width: c.width, height: c.height, colours: colours.size };
  }, id);
}
