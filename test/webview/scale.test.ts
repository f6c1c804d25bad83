/**
 * The timeline at scale in headless Chromium: a 200 000-event trace drawn
 * from its level of detail loses nothing (the columns' counts and the spans
 * drawn whole add up to every span; zoomed in, every span is drawn one by
 * one), the hover over a column names its count, and the HTML report with
 * packed, gzipped columns opens from file:// with the same lanes, spans and
 * its findings. Behaviour only: the figures are in the bench (scaleBench.ts).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { buildHtmlReport } from '../../src/core/export/htmlReport';
import type { TraceStore } from '../../src/core/trace/traceStore';
import { findingsTrace } from './findingsTrace';
import { cspViolations, ensureBuilt, launchBrowser, layout, openReport, openWebview, screenshot, send, snapshotOf, waitReady } from './harness';
import { syntheticStore } from './syntheticTrace';

const EVENTS = 200_000;

describe('timeline at 200 000 events', () => {
  let browser: Browser;
  let store: TraceStore;
  let dir: string;
  let page: Page;

  before(async () => {
    ensureBuilt();
    browser = await launchBrowser();
    store = syntheticStore({ events: EVENTS });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-scale-'));
    ({ page } = await openWebview(browser, { width: 1660, height: 1400 }));
    await send(page, snapshotOf(store));
    await waitReady(page);
  });

  after(async () => {
    await browser?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('draws the whole trace as pixel columns whose counts and the spans drawn whole add up to every span', async () => {
    await page.evaluate(() => window.__concurrencyTrace!.fit());
    const l = await layout(page, 1_000_000);
    assert.ok(l.lanes.every((x) => x.y + x.height < 1400), 'every lane in view');
    assert.ok(l.spans.columns.length > 1000, `${l.spans.columns.length} columns`);
    const inColumns = l.spans.columns.reduce((n, c) => n + c.count, 0);
    assert.ok(inColumns > l.spans.total / 2, 'most spans are narrower than a pixel at this zoom');
    assert.equal(inColumns + l.spans.sample.length, l.spans.total);
    // Per lane too: a column belongs to the lane it is drawn on.
    const perLane = new Map<string, number>();
    for (const c of l.spans.columns) perLane.set(c.lane, (perLane.get(c.lane) ?? 0) + c.count);
    for (const s of l.spans.sample) perLane.set(s.lane, (perLane.get(s.lane) ?? 0) + 1);
    const fromPage = await page.evaluate(() => Object.fromEntries(window.__concurrencyTrace!.laneSpanCounts()));
    assert.deepEqual(Object.fromEntries(perLane), Object.fromEntries(Object.entries(fromPage).filter(([, n]) => n > 0)));
    await screenshot(page, 'scale-200k-fit');
  });

  it('zoomed in, draws every span of the trace one by one', async () => {
    const { view, spans } = await layout(page, 0);
    const windows = 24;
    const seen = new Set<number>();
    const step = (view.t1 - view.t0) / windows;
    for (let w = 0; w < windows; w++) {
      await page.evaluate(([a, b]) => window.__concurrencyTrace!.zoomTo(a, b), [view.t0 + w * step, view.t0 + (w + 1) * step]);
      const l = await layout(page, 1_000_000);
      assert.equal(l.spans.columns.length, 0, `window ${w}: no column at this zoom`);
      for (const s of l.spans.sample) seen.add(s.row);
    }
    assert.equal(seen.size, spans.total);
    assert.ok([...seen].every((r) => r >= 0 && r < store.length), 'rows of the trace');
    await screenshot(page, 'scale-200k-zoomed');
  });

  it('names the count of a pixel column in the hover; a click zooms into it', async () => {
    await page.evaluate(() => window.__concurrencyTrace!.fit());
    const l = await layout(page, 1_000_000);
    const col = l.spans.columns.filter((c) => c.count > 3).sort((a, b) => b.count - a.count)[0];
    assert.ok(col, 'a column of several spans');
    await page.mouse.move(col.x + 0.5, col.y + col.h / 2);
    const title = await page.locator('.tooltip-title').textContent({ timeout: 5000 });
    const m = /^([\d,]+) spans in this pixel$/.exec(title ?? '');
    assert.ok(m, `tooltip title: ${title}`);
    assert.ok(Number(m[1].replace(/,/g, '')) > 1);
    await screenshot(page, 'scale-200k-hover');
    await page.mouse.click(col.x + 0.5, col.y + col.h / 2);
    const after = (await layout(page, 0)).view;
    assert.ok(after.v1 - after.v0 < (after.t1 - after.t0) / 100, 'zoomed into the column');
  });

  it('opens the packed HTML report of the same trace from file:// with the same lanes and spans', async () => {
    const file = path.join(dir, 'big.html');
    fs.writeFileSync(file, buildHtmlReport(store, { findings: [] }));
    const bytes = fs.statSync(file).size;
    assert.ok(bytes < store.length * 10, `${bytes} bytes for ${store.length} events`);
    const { page: report, watch } = await openReport(browser, file);
    await waitReady(report);
    assert.equal(await report.evaluate(() => window.__concurrencyTrace!.eventCount()), store.length);
    const a = await layout(page, 0);
    const b = await layout(report, 0);
    assert.deepEqual(b.lanes.map((x) => [x.key, x.label]), a.lanes.map((x) => [x.key, x.label]));
    assert.equal(b.spans.total, a.spans.total);
    assert.deepEqual(b.spans.counts, a.spans.counts);
    assert.deepEqual(b.cpu, a.cpu);
    assert.equal(b.stdout, a.stdout);
    assert.deepEqual(await cspViolations(report), []);
    assert.deepEqual(watch.errors, []);
    assert.deepEqual(watch.network, []);
    await report.close();
  });

  it("shows a packed report's findings", async () => {
    const t = findingsTrace();
    const file = path.join(dir, 'findings.html');
    fs.writeFileSync(file, buildHtmlReport(t.store, { findings: t.findings }));
    const html = fs.readFileSync(file, 'utf8');
    assert.ok(html.includes('"columns":{"kind":[],"ts":[]') && html.includes('"gzipBase64":"'), 'columns packed, none as JSON');
    const { page: report, watch } = await openReport(browser, file);
    await waitReady(report);
    assert.ok(t.findings.length > 0);
    assert.deepEqual(await report.evaluate(() => window.__concurrencyTrace!.findingIds()), t.findings.map((f) => f.id));
    const l = await layout(report);
    assert.ok(l.spans.total > 0 && l.lanes.length > 0);
    await report.evaluate((id) => window.__concurrencyTrace!.selectFinding(id), t.findings[0].id);
    const drawn = await layout(report);
    assert.ok(drawn.finding && drawn.finding.marks.length > 0, 'the finding is drawn on its events');
    await screenshot(report, 'scale-report-findings');
    assert.deepEqual(await cspViolations(report), []);
    assert.deepEqual(watch.errors, []);
    await report.close();
  });
});
