/**
 * Where a frame's time goes at scale: for a synthetic trace, the same walk of pans and zooms as
 * scaleBench.ts, with each frame split into drawing (lanes, arrows, bottom panel, axis: the
 * app's own phase timings) and rasterizing each canvas (one pixel read per canvas, in turn).
 * Prints medians and 95th percentiles per part; asserts nothing.
 *
 *   npm run build && node --import tsx test/webview/bench/frameBreakdown.ts [events] [width]
 */
import type { Browser } from 'playwright-core';
import { LABEL_W } from '../../../webview/ui/dom';
import { launchBrowser, openWebview, send, snapshotOf } from '../harness';
import { syntheticStore } from '../syntheticTrace';
import { WALK_PLACES, WALK_ZOOMS } from './scaleBench';

export interface FrameParts {
  width: number;
  /** Per part name: p50 and p95 over the walk (ms). */
  parts: Record<string, { p50: number; p95: number }>;
  /** Median frame (ms) per zoom of the walk. */
  zooms: string[];
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

export async function frameBreakdown(browser: Browser, events: number, width: number): Promise<FrameParts> {
  const store = syntheticStore({ events });
  const { page } = await openWebview(browser, { width: width + LABEL_W, height: 900 });
  try {
    await send(page, snapshotOf(store));
    await page.waitForFunction(() => window.__concurrencyTrace?.isReady() === true, null, { timeout: 120_000 });
    const rows = await page.evaluate(async ({ zooms, places }) => {
      const hook = window.__concurrencyTrace!;
      const canvases = Array.from(document.querySelectorAll('canvas'));
      const { t0, t1 } = hook.layout(0).view;
      const total = t1 - t0;
      const out: Record<string, number>[] = [];
      for (const z of zooms) {
        const span = total / z;
        for (let i = 0; i < places; i++) {
          const centre = t0 + span / 2 + ((total - span) * i) / Math.max(1, places - 1);
          hook.zoomTo(centre - span / 2, centre + span / 2);
          const t = performance.now();
          hook.renderNow();
          const row: Record<string, number> = { ...hook.phases() };
          let at = performance.now();
          canvases.forEach((c, k) => {
            c.getContext('2d')?.getImageData(0, 0, 1, 1);
            const now = performance.now();
            row[`raster ${c.className || c.id || k}`] = now - at;
            at = now;
          });
          row.total = at - t;
          row.zoom = z;
          out.push(row);
          if (i === places - 1) await new Promise((r) => requestAnimationFrame(() => r(null)));
        }
      }
      hook.fit();
      return out;
    }, { zooms: WALK_ZOOMS, places: WALK_PLACES });
    const parts: FrameParts['parts'] = {};
    const byZoom = new Map<number, Record<string, number>[]>();
    for (const r of rows) byZoom.set(r.zoom, [...(byZoom.get(r.zoom) ?? []), r]);
    const zooms: string[] = [];
    for (const [z, rs] of byZoom) {
      const names = Object.keys(rs[0]).filter((k) => k !== 'zoom');
      zooms.push(`1/${z}: ${names.map((k) => `${k} ${pct(rs.map((r) => r[k]), 50).toFixed(1)}`).join(' ')}`);
    }
    for (const name of Object.keys(rows[0] ?? {}).filter((k) => k !== 'zoom')) {
      const xs = rows.map((r) => r[name] ?? 0);
      parts[name] = { p50: pct(xs, 50), p95: pct(xs, 95) };
    }
    return { width, parts, zooms };
  } finally {
    await page.close();
  }
}

/** Prints where the frames of the walk go, per width (the `npm run bench` webview section runs it at 1 M events). */
export async function frameBreakdownBench(events: number, widths: number[], log: (line: string) => void = console.log): Promise<void> {
  const browser = await launchBrowser();
  try {
    log(`webview frames split (${events.toLocaleString('en-US')} events; drawing per renderer, then rasterizing per canvas; p50/p95 ms, then the median per zoom)`);
    for (const w of widths) {
      const f = await frameBreakdown(browser, events, w);
      log(`${w} px: ${Object.entries(f.parts).map(([k, v]) => `${k} ${v.p50.toFixed(1)}/${v.p95.toFixed(1)}`).join(' · ')}`);
      for (const z of f.zooms) log(`  ${z}`);
    }
  } finally {
    await browser.close();
  }
}

if (require.main === module) {
  const events = Number(process.argv[2] ?? 1_000_000);
  const widths = (process.argv[3] ?? '800,1600').split(',').map(Number);
  frameBreakdownBench(events, widths).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
