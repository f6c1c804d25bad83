/**
 * The self-contained HTML report (`concurrency-trace html`, `run --html`):
 * opens from file:// in Chromium with no other request, no CSP violation,
 * the trace inside, light and dark by the OS colour scheme.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { writeTrace } from '../../src/core/trace/traceFile';
import { cspViolations, DIST, ensureBuilt, launchBrowser, layout, openReport, ROOT, screenshot, waitReady } from './harness';
import { syntheticStore } from './syntheticTrace';

const CLI = path.join(DIST, 'cli.js');
const PYTHON = process.env.CONCURRENCY_TRACE_TEST_PYTHON || 'python3';
const HOSTILE = '<img src=x onerror=alert(1)></script><script>alert(2)</script>';

describe('HTML report', () => {
  let browser: Browser;
  let dir: string;
  let report: string;

  before(async () => {
    ensureBuilt();
    browser = await launchBrowser();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-report-'));
    const trace = path.join(dir, 'synthetic.ctrace');
    writeTrace(trace, syntheticStore({ events: 4000, threadName: HOSTILE, firstPrint: `${HOSTILE}\n` }));
    report = path.join(dir, 'report.html');
    const r = spawnSync(process.execPath, [CLI, 'html', trace, '-o', report], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });

  after(async () => {
    await browser?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is one file whose embedded trace cannot break out of its element', () => {
    const html = fs.readFileSync(report, 'utf8');
    assert.ok(!html.includes('<img src=x'), 'no raw markup from the trace');
    assert.ok(html.includes('\\u003cimg src=x onerror=alert(1)'), 'escaped in the JSON');
    assert.equal((html.match(/<script/g) ?? []).length, 2, 'the data block and the app, nothing else');
    assert.ok(!/\b(src|href)=["']?(https?:|\/\/|\.\/)/.test(html), 'no external resources');
    assert.match(html, /Content-Security-Policy" content="default-src &#39;none&#39;; script-src &#39;nonce-/);
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`opens from file:// (${scheme}) with no request and no CSP violation`, async () => {
      const { page, watch } = await openReport(browser, report, scheme);
      const dialogs: string[] = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      await waitReady(page);
      const l = await layout(page);
      // The forkserver (a helper) is folded into a group; the program's own processes show.
      assert.deepEqual(l.lanes.filter((x) => x.process).map((x) => x.pid), [1000, 1002, 1004]);
      assert.ok(l.lanes.some((x) => x.kind === 'helpers' && x.label === '1 helper process'));
      assert.ok(l.lanes.some((x) => x.label === HOSTILE), 'hostile thread name shown as text');
      assert.ok(l.spans.total > 1000 && l.arrows.length > 0 && l.cpu.cores === 4 && l.stdout > 0);
      assert.equal(await page.isVisible('#export-perfetto'), false, 'no host to export to');
      assert.equal(await page.isVisible('#stop'), false);
      const palette = await page.evaluate(() => window.__concurrencyTrace!.palette());
      assert.equal(palette.kind, scheme);
      assert.equal(palette.background, scheme === 'dark' ? '#1f1f1f' : '#ffffff');
      const hold = l.spans.sample.find((s) => s.kind === 'lock.acquire')!;
      await page.evaluate((r) => window.__concurrencyTrace!.select(r), hold.row);
      await page.waitForSelector('.details:not([hidden])');
      assert.equal(await page.locator('#go-to-source').count(), 0, 'no editor to open from the report');
      await screenshot(page, `report-${scheme}`);
      assert.deepEqual(watch.network, [], 'no request besides the page');
      assert.deepEqual(await cspViolations(page), []);
      assert.deepEqual(watch.errors, []);
      assert.deepEqual(watch.console.filter((m) => m.startsWith('error')), []);
      assert.deepEqual(dialogs, []);
      assert.equal(await page.locator('img').count(), 0);
      await page.close();
    });
  }

  it('`run --html` writes the trace and the report of a real run', async () => {
    const trace = path.join(dir, 'pool.ctrace');
    const html = path.join(dir, 'pool.html');
    const r = spawnSync(process.execPath, [CLI, 'run', '--python', PYTHON, '--out', trace, '--html', html, path.join(ROOT, 'examples', 'pool_square.py')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '[0, 1, 4, 9, 16, 25]\n', 'the script’s output passes through');
    assert.ok(fs.existsSync(trace) && fs.statSync(trace).size > 0);
    const { page, watch } = await openReport(browser, html);
    await waitReady(page);
    const l = await layout(page);
    // Workers of their pool, by the pool's name.
    assert.equal(l.lanes.filter((x) => x.process && /^Pool\(4\) worker \d$/.test(x.label) && /PoolWorker-\d/.test(x.detail)).length, 4);
    assert.equal(Object.values(l.spans.counts).reduce((n, c) => n + (c['task.start'] ?? 0), 0), 6);
    assert.equal(l.stdout > 0, true);
    assert.deepEqual(watch.network, []);
    assert.deepEqual(await cspViolations(page), []);
    await page.close();
  });

  it('shows the findings of the trace in the same words as `summary`, with the same pane as the panel', async () => {
    // A real run that deadlocks and ends itself (os._exit) with both waits open.
    const trace = path.join(dir, 'deadlock.ctrace');
    const html = path.join(dir, 'deadlock.html');
    const script = path.join(ROOT, 'test', 'unit', 'fixtures', 'deadlock_hang.py');
    const r = spawnSync(process.execPath, [CLI, 'run', '--python', PYTHON, '--out', trace, '--html', html, script, '1'], { encoding: 'utf8' });
    assert.equal(r.status, 3, r.stderr);
    const summary = spawnSync(process.execPath, [CLI, 'summary', '--json', trace], { encoding: 'utf8' });
    const fromSummary = (JSON.parse(summary.stdout) as { findings: { kind: string; message: string }[] }).findings;
    assert.ok(fromSummary.some((f) => f.kind === 'deadlock'), summary.stdout);
    const text = spawnSync(process.execPath, [CLI, 'summary', trace], { encoding: 'utf8' }).stdout;
    const { page, watch } = await openReport(browser, html);
    await waitReady(page);
    await page.click('.findings-toggle');
    const listed = await page.evaluate(() => Array.from(document.querySelectorAll('.findings-list .finding-msg')).map((e) => e.textContent));
    assert.deepEqual(listed.sort(), fromSummary.map((f) => f.message).sort(), 'the same findings, the same words');
    for (const m of listed) assert.ok(text.includes(m!), `the text summary says it too: ${m}`);
    await page.click('.findings-list li.finding[data-kind="deadlock"]');
    const l = await layout(page);
    assert.ok(l.finding && l.finding.marks.length >= 2, 'selected and drawn');
    assert.equal(await page.locator('.finding-go').count(), 0, 'no editor to go to from the report');
    assert.match(await page.textContent('.finding-sites') ?? '', /deadlock_hang\.py:\d+/);
    assert.equal(await page.isVisible('#stop-keep'), false);
    await screenshot(page, 'report-findings');
    assert.deepEqual(watch.network, []);
    assert.deepEqual(await cspViolations(page), []);
    assert.deepEqual(watch.errors, []);
    await page.close();
  });

  it('`html` reports bad input with exit code 2', () => {
    const r = spawnSync(process.execPath, [CLI, 'html', path.join(dir, 'missing.ctrace'), '-o', path.join(dir, 'x.html')], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /not found/);
    const noOut = spawnSync(process.execPath, [CLI, 'html', report], { encoding: 'utf8' });
    assert.equal(noOut.status, 2);
    assert.match(noOut.stderr, /-o/);
  });
});
