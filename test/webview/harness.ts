/**
 * Drives the built timeline page (dist/webview.js) in the system's headless
 * Chromium: as a VS Code webview (acquireVsCodeApi stubbed, messages posted
 * to it as the host would) or as the HTML report from file://.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { LiveBatches } from '../../src/core/live/liveBatches';
import { webviewPageHtml } from '../../src/core/export/timelineHtml';
import type { TraceStore } from '../../src/core/trace/traceStore';
import type { HostToWebview, RunState, WebviewToHost } from '../../src/protocol';
import type { LayoutInfo } from '../../webview/testHook';

export const ROOT = path.resolve(__dirname, '..', '..');
export const DIST = path.join(ROOT, 'dist');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'webview');
export const CHROMIUM = process.env.CONCURRENCY_TRACE_CHROMIUM || '/usr/bin/chromium';

/** Builds dist/ (the app and the CLI) if a test run starts without it. */
export function ensureBuilt(): void {
  if (fs.existsSync(path.join(DIST, 'webview.js')) && fs.existsSync(path.join(DIST, 'cli.js'))) return;
  execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'inherit' });
}

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium (.ci/run does) or set CONCURRENCY_TRACE_CHROMIUM; nothing downloads a browser`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

export interface PageWatch {
  console: string[];
  errors: string[];
  /** Requests to anything but the page's own files and data: URLs. */
  network: string[];
}

export function watchPage(page: Page, allowFiles = true): PageWatch {
  const w: PageWatch = { console: [], errors: [], network: [] };
  page.on('console', (m) => w.console.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => w.errors.push(e.message));
  page.on('request', (r) => {
    const url = r.url();
    if (url.startsWith('data:') || (allowFiles && url.startsWith('file:'))) return;
    w.network.push(url);
  });
  return w;
}

/** Reports CSP violations into window.__cspViolations (before any page script runs). */
// (tsx compiles the tests' page.evaluate callbacks with esbuild's __name helper: give the page one.)
const CSP_PROBE = `window.__name = (f) => f;
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));`;

/** A webview-like page: the app loaded from dist/ with the extension's CSP, acquireVsCodeApi stubbed. */
export async function openWebview(browser: Browser, opts: { theme?: 'light' | 'dark'; width?: number; height?: number } = {}): Promise<{ page: Page; watch: PageWatch }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-webview-'));
  const html = webviewPageHtml({
    cspSource: 'file:',
    scriptUri: pathToFileURL(path.join(DIST, 'webview.js')).href,
    styleUri: pathToFileURL(path.join(DIST, 'webview.css')).href,
    title: 'test',
  });
  const file = path.join(dir, 'index.html');
  fs.writeFileSync(file, html);
  const page = await browser.newPage({ viewport: { width: opts.width ?? 1400, height: opts.height ?? 800 } });
  const watch = watchPage(page);
  await page.addInitScript(`${CSP_PROBE}
window.__posted = [];
window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m), getState: () => undefined, setState: () => undefined });
document.addEventListener('DOMContentLoaded', () => document.body.classList.add('vscode-${opts.theme ?? 'light'}'));`);
  await page.goto(pathToFileURL(file).href);
  return { page, watch };
}

export async function openReport(browser: Browser, file: string, colorScheme: 'light' | 'dark' = 'light'): Promise<{ page: Page; watch: PageWatch }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 800 }, colorScheme });
  const watch = watchPage(page, false);
  await page.addInitScript(CSP_PROBE);
  // The page itself is the one file: any other request (file or network) is a leak.
  await page.goto(pathToFileURL(file).href);
  watch.network = watch.network.filter((u) => u !== pathToFileURL(file).href);
  return { page, watch };
}

export function snapshotOf(store: TraceStore, state: RunState = { status: 'saved', title: 'test trace' }): HostToWebview {
  return new LiveBatches(store).snapshot(state);
}

/** Posts a host message to the page (as JSON text: Playwright's own argument encoding is slow for big arrays). */
export async function send(page: Page, message: HostToWebview): Promise<void> {
  await page.evaluate((json) => window.postMessage(JSON.parse(json), '*'), JSON.stringify(message));
}

export async function waitReady(page: Page): Promise<void> {
  await page.waitForFunction(() => window.__concurrencyTrace?.isReady() === true, null, { timeout: 15000 });
}

export async function layout(page: Page, limit = 5000): Promise<LayoutInfo> {
  return page.evaluate((n) => window.__concurrencyTrace!.layout(n), limit);
}

export async function posted(page: Page): Promise<WebviewToHost[]> {
  return page.evaluate(() => (window as unknown as { __posted: WebviewToHost[] }).__posted.slice());
}

export async function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations.slice());
}

/** The dark defaults of timeline.css, to set inline on <html> the way VS Code sets a theme's colours. */
export function darkThemeVars(overrides: Record<string, string> = {}): Record<string, string> {
  const css = fs.readFileSync(path.join(ROOT, 'webview', 'timeline.css'), 'utf8');
  const from = css.indexOf('@media (prefers-color-scheme: dark)');
  const block = css.slice(from, css.indexOf('\n}\n', from));
  const vars: Record<string, string> = {};
  for (const m of block.matchAll(/(--vscode-[\w-]+):\s*([^;]+);/g)) vars[m[1]] = m[2].trim();
  return { ...vars, ...overrides };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}
