/**
 * The bundled examples, one per tutorial lesson, traced for real and shown in
 * the timeline page: helpers for the lesson tests (run an example, show it,
 * take the lesson's screenshots in light and dark themes at half and full
 * editor width).
 */
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { findings } from '../../src/core/analysis/findings';
import { traceRun } from '../../src/core/run/runTrace';
import type { TraceStore } from '../../src/core/trace/traceStore';
import type { LayoutInfo } from '../../webview/testHook';
import { darkThemeVars, layout, ROOT, screenshot, send, snapshotOf, waitReady } from './harness';

const PYTHON = process.env.CONCURRENCY_TRACE_TEST_PYTHON || 'python3';

/** An editor beside the code (half the window) and one that has the whole window. */
export const HALF = { width: 700, height: 800 };
export const FULL = { width: 1400, height: 800 };

export async function traceExample(name: string, args: string[] = [], env: Readonly<Record<string, string>> = {}): Promise<TraceStore> {
  const r = await traceRun({ python: PYTHON, script: path.join(ROOT, 'examples', name), args, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'ignore'] });
  return r.store;
}

/** Shows a finished run (with its findings, as the extension sends them) and fits it. */
export async function show(page: Page, store: TraceStore, title: string): Promise<LayoutInfo> {
  await send(page, { ...snapshotOf(store, { status: 'exited', title, exitCode: store.meta.exitCode }), findings: findings(store) } as never);
  await waitReady(page);
  await page.waitForFunction((t) => window.__concurrencyTrace!.state.title === t, title);
  await page.evaluate(() => window.__concurrencyTrace!.fit());
  return layout(page);
}

export async function setTheme(page: Page, theme: 'light' | 'dark'): Promise<void> {
  const vars = darkThemeVars();
  await page.evaluate(([t, v]) => {
    const root = document.documentElement;
    for (const k of Object.keys(v)) {
      if (t === 'dark') root.style.setProperty(k, v[k]);
      else root.style.removeProperty(k);
    }
    document.body.classList.remove('vscode-light', 'vscode-dark');
    document.body.classList.add(`vscode-${t}`);
  }, [theme, vars] as const);
  await page.waitForFunction((t) => window.__concurrencyTrace!.palette().kind === t, theme);
}

/**
 * The lesson's four screenshots: `<lesson>-{half,full}-{light,dark}.png`. Each at its size
 * and theme, fitted, after two frames. Leaves the page at full width, light.
 */
export async function lessonShots(page: Page, lesson: string, before?: () => Promise<void>): Promise<string[]> {
  const files: string[] = [];
  for (const [size, vp] of [['half', HALF], ['full', FULL]] as const) {
    await page.setViewportSize(vp);
    for (const theme of ['light', 'dark'] as const) {
      await setTheme(page, theme);
      await page.evaluate(() => window.__concurrencyTrace!.fit());
      await before?.();
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      files.push(await screenshot(page, `lesson-${lesson}-${size}-${theme}`));
    }
  }
  await page.setViewportSize(FULL);
  await setTheme(page, 'light');
  return files;
}

export function kindTotals(l: LayoutInfo): Record<string, number> {
  const all: Record<string, number> = {};
  for (const byKind of Object.values(l.spans.counts)) for (const [k, n] of Object.entries(byKind)) all[k] = (all[k] ?? 0) + n;
  return all;
}

/** "4 threads want CPU · 1.0 cores used" → 1.0 (NaN when the words hold no figure). */
export function coresIn(text: string): number {
  const m = /([\d.]+) cores? used|· ([\d.]+) cores?$/.exec(text);
  return m ? Number(m[1] ?? m[2]) : NaN;
}
