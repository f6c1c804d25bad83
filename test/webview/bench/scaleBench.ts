/**
 * The timeline at scale, in headless Chromium (CPU rasterizing, --disable-gpu):
 * for synthetic traces of 200 k, 1 M and 10 M events, the snapshot message's
 * size, the HTML report's size, the first paint (trace received → first frame
 * drawn; for the report: page start → first frame), and the time of a frame
 * (drawing and rasterizing all three canvases) over a fixed walk of pans and
 * zooms from the whole trace down to single events, at 800 px and 1600 px of
 * plot width. Prints one table; asserts nothing.
 *
 *   npm run build && node --import tsx test/webview/bench/scaleBench.ts [events,events,...]
 *
 * Also run by `npm run bench` (section "webview").
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { buildHtmlReport } from '../../../src/core/export/htmlReport';
import type { TraceStore } from '../../../src/core/trace/traceStore';
import type { HostToWebview, SnapshotMessage } from '../../../src/protocol';
import { packColumns } from '../../../src/core/export/columnPack';
import { LABEL_W } from '../../../webview/ui/dom';
import { launchBrowser, openReport, openWebview, send, snapshotOf, waitReady } from '../harness';
import { syntheticStore } from '../syntheticTrace';

export const WIDTHS = [800, 1600];
const HEIGHT = 900;
/** Zoom factors of the walk (1: the whole trace) and the places looked at for each. */
export const WALK_ZOOMS = [1, 2, 4, 16, 64, 256, 1024, 4096, 16384, 65536];
export const WALK_PLACES = 8;
/** From this size on, frames are measured in the report (a JSON snapshot that big takes the page down). */
const REPORT_FRAMES_FROM = 2_000_000;

export interface FrameFigures {
  width: number;
  p50: number;
  p95: number;
  max: number;
  frames: number;
  /** The same frames' CPU time on the renderer thread (NaN if the trace did not have them all). */
  cpuP50: number;
  cpuP95: number;
}

export interface ScaleFigures {
  events: number;
  /** The snapshot message as VS Code sends it (JSON), bytes; NaN if it could not be made. */
  snapshotBytes: number;
  /** Bytes of a snapshot's binary payload when it has one (0: none). */
  snapshotBinaryBytes: number;
  reportBytes: number;
  /** Trace received → first frame drawn, in the webview (ms). */
  webviewFirstPaint: number;
  /** The same with the columns sent as packed bytes (PackedColumns.bytes) instead of JSON numbers. */
  webviewPackedFirstPaint: number;
  /** Page start → first frame drawn, for the report opened from file:// (ms). */
  reportFirstPaint: number;
  frames: FrameFigures[];
  /** Where the load's time went. */
  notes: string[];
  error?: string;
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

async function firstPaint(page: Page): Promise<{ ms: number; phases: string }> {
  await page.waitForFunction(() => window.__concurrencyTrace?.isReady() === true, null, { timeout: 120_000 });
  return page.evaluate(() => {
    const t = window.__concurrencyTrace!.timing();
    // The app's boot marks (webview/main.ts, app.ts, data/snapshotCodec.ts), ms since the trace arrived.
    const marks = performance.getEntriesByType('mark').filter((m) => m.name.startsWith('ct:') && m.startTime >= t.received);
    const at = marks.length ? ` (at ${marks.map((m) => `${m.name.slice(3)} ${(m.startTime - t.received).toFixed(0)}`).join(', ')})` : '';
    const phases = Object.entries(t.load).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ') + at;
    return { ms: t.firstFrame - t.received, phases };
  });
}

/**
 * Frame times over the walk: each view drawn, then one pixel of every canvas read (rasterizes
 * what was drawn), each frame in a task of its own. Wall time, and the renderer thread's CPU
 * time of the same tasks from Chromium's trace: on a loaded machine the wall time is mostly
 * waiting for a core, the CPU time is what the frame costs.
 */
async function walkFrames(page: Page, width: number): Promise<FrameFigures> {
  const cdp = await page.context().newCDPSession(page);
  const events: { name?: unknown; ph?: unknown; tdur?: unknown }[] = [];
  cdp.on('Tracing.dataCollected', (e) => {
    events.push(...e.value);
  });
  const complete = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
  await cdp.send('Tracing.start', { categories: 'devtools.timeline', transferMode: 'ReportEvents' });
  const ms = await page.evaluate(async ({ zooms, places }) => {
    const hook = window.__concurrencyTrace!;
    const canvases = Array.from(document.querySelectorAll('canvas'));
    const { t0, t1 } = hook.layout(0).view;
    const total = t1 - t0;
    const out: number[] = [];
    for (const z of zooms) {
      const span = total / z;
      for (let i = 0; i < places; i++) {
        const centre = t0 + span / 2 + ((total - span) * i) / Math.max(1, places - 1);
        // A timer task per frame: its TimerFire event in the trace carries the frame's CPU time.
        await new Promise((resolve) => setTimeout(() => {
          const t = performance.now();
          hook.zoomTo(centre - span / 2, centre + span / 2);
          hook.renderNow();
          for (const c of canvases) c.getContext('2d')?.getImageData(0, 0, 1, 1);
          out.push(performance.now() - t);
          resolve(null);
        }, 0));
        // Let the page breathe (its own animation frame draws the same view).
        if (i === places - 1) await new Promise((r) => requestAnimationFrame(() => r(null)));
      }
    }
    hook.fit();
    return out;
  }, { zooms: WALK_ZOOMS, places: WALK_PLACES });
  await cdp.send('Tracing.end');
  await complete;
  await cdp.detach();
  // The walk's timers are the last ones fired.
  const cpu = events.filter((e) => e.name === 'TimerFire' && e.ph === 'X' && typeof e.tdur === 'number').map((e) => (e.tdur as number) / 1000).slice(-ms.length);
  const ok = cpu.length === ms.length;
  return {
    width, p50: pct(ms, 50), p95: pct(ms, 95), max: Math.max(...ms), frames: ms.length,
    cpuP50: ok ? pct(cpu, 50) : NaN, cpuP95: ok ? pct(cpu, 95) : NaN,
  };
}

export async function measureScale(browser: Browser, store: TraceStore): Promise<ScaleFigures> {
  const fig: ScaleFigures = {
    events: store.length, snapshotBytes: NaN, snapshotBinaryBytes: 0, reportBytes: NaN, webviewFirstPaint: NaN, webviewPackedFirstPaint: NaN, reportFirstPaint: NaN, frames: [], notes: [],
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-scale-'));
  try {
    const report = path.join(dir, 'report.html');
    try {
      const html = buildHtmlReport(store, { findings: [] });
      fs.writeFileSync(report, html);
      fig.reportBytes = fs.statSync(report).size;
    } catch (err) {
      fig.error = `report: ${(err as Error).message}`;
    }
    let json: string | undefined;
    try {
      const msg = snapshotOf(store);
      json = JSON.stringify(msg);
      fig.snapshotBytes = Buffer.byteLength(json);
    } catch (err) {
      fig.error = `${fig.error ? `${fig.error}; ` : ''}snapshot: ${(err as Error).message}`;
    }
    if (Number.isFinite(fig.reportBytes)) {
      try {
        const { page } = await openReport(browser, report);
        try {
          const fp = await firstPaint(page);
          fig.reportFirstPaint = fp.ms;
          fig.notes.push(`report load ${fp.phases} ms`);
          if (store.length > REPORT_FRAMES_FROM) {
            // Too big for a JSON message: the frames are walked in the report instead.
            for (const width of WIDTHS) {
              await page.setViewportSize({ width: width + LABEL_W, height: HEIGHT });
              fig.frames.push(await walkFrames(page, width));
            }
            fig.notes.push('frames walked in the report');
          }
        } finally {
          await page.close();
        }
      } catch (err) {
        fig.error = `${fig.error ? `${fig.error}; ` : ''}report page: ${(err as Error).message.split('\n')[0]}`;
      }
    }
    try {
      await measurePackedWebview(browser, store, fig);
    } catch (err) {
      fig.error = `${fig.error ? `${fig.error}; ` : ''}webview (packed): ${(err as Error).message.split('\n')[0]}`;
    }
    if (json !== undefined) {
      try {
        await measureWebview(browser, json, fig);
      } catch (err) {
        fig.error = `${fig.error ? `${fig.error}; ` : ''}webview: ${(err as Error).message.split('\n')[0]}`;
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return fig;
}

/** First paint when the snapshot carries its columns as bytes (what VS Code's postMessage transfers as they are). */
async function measurePackedWebview(browser: Browser, store: TraceStore, fig: ScaleFigures): Promise<void> {
  const header = snapshotOf(store) as SnapshotMessage;
  header.columns = { kind: [], ts: [], end: [], thread: [], obj: [], site: [], a: [], b: [] };
  const block = packColumns(store.columns(), store.length, false);
  fig.snapshotBinaryBytes = block.byteLength;
  const { page } = await openWebview(browser, { width: WIDTHS[WIDTHS.length - 1] + LABEL_W, height: HEIGHT });
  try {
    // The bytes reach the page as base64 (the test driver's channel is text), then travel by postMessage as bytes.
    const b64 = Buffer.from(block.buffer, block.byteOffset, block.byteLength).toString('base64');
    await page.evaluate(([json, data, rows]) => {
      const bin = atob(data);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      const m = JSON.parse(json) as SnapshotMessage;
      m.packed = { format: 'ctc1', rows, bytes };
      window.postMessage(m, '*');
    }, [JSON.stringify(header), b64, store.length] as const);
    fig.webviewPackedFirstPaint = (await firstPaint(page)).ms;
  } finally {
    await page.close();
  }
}

async function measureWebview(browser: Browser, json: string, fig: ScaleFigures): Promise<void> {
  for (const width of WIDTHS) {
    const { page } = await openWebview(browser, { width: width + LABEL_W, height: HEIGHT });
    try {
      await send(page, JSON.parse(json) as HostToWebview);
      const fp = await firstPaint(page);
      if (width === WIDTHS[WIDTHS.length - 1]) {
        fig.webviewFirstPaint = fp.ms;
        fig.notes.push(`view load ${fp.phases} ms`);
      }
      fig.frames.push(await walkFrames(page, width));
    } finally {
      await page.close();
    }
  }
}

const mb = (n: number): string => (Number.isFinite(n) ? `${(n / 1e6).toFixed(1)} MB` : '—');
const ms = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(0)} ms` : '—');

export function formatScaleTable(rows: ScaleFigures[]): string[] {
  const cols = ['events', 'snapshot JSON (packed)', 'report', 'first paint: view JSON / view packed / report', ...WIDTHS.map((w) => `frame ${w} px p50 / p95 / max (CPU p50 / p95)`)];
  const lines = [cols.join(' | ')];
  for (const r of rows) {
    const frames = WIDTHS.map((w) => {
      const f = r.frames.find((x) => x.width === w);
      return f ? `${f.p50.toFixed(1)} / ${f.p95.toFixed(1)} / ${f.max.toFixed(0)} ms (${f.cpuP50.toFixed(1)} / ${f.cpuP95.toFixed(1)})` : '—';
    });
    const snap = `${mb(r.snapshotBytes)} (${mb(r.snapshotBinaryBytes)})`;
    const paint = `${ms(r.webviewFirstPaint)} / ${ms(r.webviewPackedFirstPaint)} / ${ms(r.reportFirstPaint)}`;
    lines.push([r.events.toLocaleString('en-US'), snap, mb(r.reportBytes), paint, ...frames].join(' | '));
    if (r.notes.length) lines.push(`  (${r.events.toLocaleString('en-US')}: ${r.notes.join('; ')})`);
    if (r.error) lines.push(`  (${r.events.toLocaleString('en-US')}: ${r.error})`);
  }
  return lines;
}

/** Builds each trace, measures it, prints the table (and returns it). */
export async function webviewScaleBench(sizes: number[], log: (line: string) => void = console.log): Promise<ScaleFigures[]> {
  const browser = await launchBrowser();
  const rows: ScaleFigures[] = [];
  try {
    for (const events of sizes) {
      let store: TraceStore | undefined = syntheticStore({ events });
      rows.push(await measureScale(browser, store));
      store = undefined;
    }
  } finally {
    await browser.close();
  }
  log(`webview at scale (headless Chromium, CPU raster; frame = zoom + draw + rasterize, wall and renderer-thread CPU, ${WALK_ZOOMS.length * WALK_PLACES} views from the whole trace to 1/${WALK_ZOOMS[WALK_ZOOMS.length - 1]} of it)`);
  for (const line of formatScaleTable(rows)) log(line);
  log('goals: first paint ≤ 1 s, frames ≤ 16 ms p95 at 1 M events');
  return rows;
}

if (require.main === module) {
  const sizes = (process.argv[2] ?? '200000,1000000').split(',').map(Number);
  webviewScaleBench(sizes).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
