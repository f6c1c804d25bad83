/**
 * The Findings pane of the timeline webview in Chromium, fed a trace with the
 * evidence of a deadlock, a data race and a lock-order inversion and their
 * Finding objects (hand-made: the pane is tested on every field of the
 * contract whatever the analysis finds today): listing with severity and
 * counts per kind, the kind filter, selection (zoom, lanes, outlined events,
 * arrows, details with steps and sites), Go to source, live updates and the
 * host's "show this finding", Stop and keep trace, text-only trace strings,
 * and how it fits a half-width editor (light and dark screenshots).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { Finding } from '../../src/core/analysis/finding';
import type { LayoutInfo } from '../../webview/testHook';
import { cspViolations, darkThemeVars, ensureBuilt, launchBrowser, layout, openWebview, posted, screenshot, send, snapshotOf, waitReady, type PageWatch } from './harness';
import { APP_FILE, findingsTrace, type FindingsTrace } from './findingsTrace';

const HOSTILE = '<img src=x onerror=alert(1)>';

async function openWith(browser: Browser, t: FindingsTrace, opts: { width?: number; height?: number; theme?: 'light' | 'dark'; running?: boolean; findings?: Finding[] } = {}): Promise<{ page: Page; watch: PageWatch }> {
  const { page, watch } = await openWebview(browser, { width: opts.width, height: opts.height, theme: opts.theme });
  await page.waitForFunction(() => !!window.__concurrencyTrace);
  if (opts.theme === 'dark') {
    const vars = darkThemeVars({ '--vscode-editor-background': '#1e1e1e' });
    await page.evaluate((v) => {
      for (const [k, value] of Object.entries(v)) document.documentElement.style.setProperty(k, value);
    }, vars);
  }
  const snap = snapshotOf(t.store, opts.running ? { status: 'running', title: 'bank.py', nowTs: 900e6 } : { status: 'saved', title: 'bank.py' });
  if (snap.type === 'snapshot') snap.findings = opts.findings ?? t.findings;
  await send(page, snap);
  await waitReady(page);
  return { page, watch };
}

const listed = (page: Page): Promise<{ id: string; kind: string; text: string; sev: string }[]> =>
  page.evaluate(() => Array.from(document.querySelectorAll<HTMLElement>('.findings-list li.finding[data-id]')).map((li) => ({
    id: li.dataset.id!, kind: li.dataset.kind!, text: li.querySelector('.finding-msg')!.textContent!, sev: /severity-(\w+)/.exec(li.className)![1],
  })));

const box = async (page: Page, selector: string): Promise<{ x: number; y: number; width: number; height: number }> => {
  const b = await page.locator(selector).first().boundingBox();
  assert.ok(b, `${selector} on the page`);
  return b;
};

describe('Findings pane', () => {
  let browser: Browser;
  let t: FindingsTrace;
  let page: Page;
  let watch: PageWatch;
  const dialogs: string[] = [];

  before(async () => {
    ensureBuilt();
    browser = await launchBrowser();
    t = findingsTrace(HOSTILE);
    ({ page, watch } = await openWith(browser, t));
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
  });

  after(async () => {
    await browser?.close();
  });

  it('shows one line with the count, a chip per kind with its count, and the most severe finding', async () => {
    assert.equal(await page.textContent('.findings-count'), '3');
    const chips = await page.evaluate(() => Array.from(document.querySelectorAll<HTMLElement>('.kind-chip')).map((c) => `${c.dataset.kind}:${c.querySelector('.n')!.textContent}:${c.getAttribute('aria-pressed')}`));
    assert.deepEqual(chips, ['deadlock:1:true', 'lock-order-inversion:1:true', 'data-race:1:true']);
    // Errors first, then by time: the race (100 ms) before the deadlock (512 ms).
    assert.match(await page.textContent('.findings-preview') ?? '', /^Data race on balance/);
    assert.equal(await page.isVisible('.findings-list'), false, 'the list is folded: one line');
    const bar = await box(page, '.findings');
    assert.ok(bar.height <= 30, `one line high: ${bar.height}px`);
  });

  it('unfolds into a list with severity, message and kind of each finding', async () => {
    await page.click('.findings-toggle');
    assert.equal(await page.getAttribute('.findings-toggle', 'aria-expanded'), 'true');
    const items = await listed(page);
    assert.deepEqual(items.map((i) => [i.id, i.sev]), [
      ['data-race:balance', 'error'], ['deadlock:lock_a,lock_b', 'error'], ['lock-order-inversion:accounts_lock,audit_lock', 'warning'],
    ]);
    assert.equal(items[1].text, t.findings[1].message);
    const icons = await page.evaluate(() => Array.from(document.querySelectorAll('.findings-list li.finding .codicon')).map((e) => e.className));
    assert.match(icons[0], /codicon-error/);
    assert.match(icons[2], /codicon-warning/);
  });

  it('filters the list by kind and back', async () => {
    await page.click('.kind-chip[data-kind="data-race"]');
    assert.equal(await page.getAttribute('.kind-chip[data-kind="data-race"]', 'aria-pressed'), 'false');
    assert.deepEqual((await listed(page)).map((i) => i.kind), ['deadlock', 'lock-order-inversion']);
    await page.click('.kind-chip[data-kind="deadlock"]');
    assert.deepEqual((await listed(page)).map((i) => i.kind), ['lock-order-inversion']);
    await page.click('.kind-chip[data-kind="data-race"]');
    await page.click('.kind-chip[data-kind="deadlock"]');
    assert.deepEqual((await listed(page)).map((i) => i.kind), ['data-race', 'deadlock', 'lock-order-inversion']);
    assert.equal(await page.textContent('.findings-count'), '3', 'the count is of all findings');
  });

  it('selecting the deadlock zooms to its window, marks its lanes and events, and draws the wait-for cycle', async () => {
    await page.click('.findings-list li.finding[data-id="deadlock:lock_a,lock_b"]');
    assert.equal(await page.evaluate(() => window.__concurrencyTrace!.selectedFinding()), 'deadlock:lock_a,lock_b');
    const l: LayoutInfo = await layout(page);
    const f = t.findings[1];
    // The view shows the window, with room either side, and not much more.
    assert.ok(l.view.v0 < f.window.startTs && l.view.v1 > f.window.endTs - 1, JSON.stringify(l.view));
    assert.ok(l.view.v1 - l.view.v0 < (f.window.endTs - f.window.startTs) * 2, 'zoomed in on it');
    assert.ok(l.finding, 'the finding is drawn');
    const lanes = (label: string): string => l.lanes.find((x) => x.label === label && x.kind === 'thread')!.key;
    assert.deepEqual(new Set(l.finding.lanes), new Set([lanes('one'), lanes('two')]));
    assert.deepEqual(l.finding.marks.map((m) => m.row).sort((a, b) => a - b), [...f.events].sort((a, b) => a - b));
    // Two arrows: one's wait → two's hold of lock_b, two's wait → one's hold of lock_a.
    assert.deepEqual(l.finding.edges.map((e) => [e.fromRow, e.toRow, e.label]), f.edges.map((e) => [e.fromRow, e.toRow, e.label]));
    const mark = (row: number) => l.finding!.marks.find((m) => m.row === row)!;
    for (const e of l.finding.edges) {
      const from = mark(e.fromRow);
      const to = mark(e.toRow);
      assert.ok(e.y0 >= from.y && e.y0 <= from.y + from.h, `arrow starts on its wait span: ${JSON.stringify([e, from])}`);
      assert.ok(e.y1 >= to.y && e.y1 <= to.y + to.h, `arrow ends on the hold span: ${JSON.stringify([e, to])}`);
      assert.ok(e.x0 >= from.x0 - 1 && e.x1 >= to.x0 - 1, 'inside the spans in time');
    }
    // The pixels: the error colour is on the canvas where the first arrow runs.
    const red = await page.evaluate(() => window.__concurrencyTrace!.palette().severity.error);
    assert.ok(red);
    const labelled = await page.evaluate(() => Array.from(document.querySelectorAll('.lane-label.in-finding .name')).map((e) => e.textContent));
    assert.deepEqual(labelled.sort(), ['one', 'two']);
    await screenshot(page, 'findings-deadlock-full');
  });

  it('shows the finding in the details: explanation, parties, objects, sites with Go to source, events', async () => {
    const d = await page.textContent('.details');
    assert.match(d ?? '', /Deadlock: one waits for lock_b held by two/);
    assert.match(d ?? '', /Each thread holds one lock and waits for the other/);
    assert.match(d ?? '', /lock_a \(Lock\); lock_b \(Lock\)/);
    assert.match(d ?? '', /ended by\s*end of trace/);
    const sites = await page.evaluate(() => Array.from(document.querySelectorAll('.finding-sites li')).map((li) => li.textContent));
    assert.equal(sites.length, 2);
    assert.match(sites[0] ?? '', /bank\.py:24.*one waits for lock_b/);
    await page.click('.finding-sites li:nth-child(2) .finding-go');
    const msgs = await posted(page);
    assert.deepEqual(msgs.at(-1), { type: 'openSource', file: APP_FILE, line: 30 });
    // An event of the finding opens its own details; the finding stays drawn.
    await page.click('.finding-events a.partner >> nth=0');
    assert.equal(await page.evaluate(() => window.__concurrencyTrace!.selectedRow()), t.rows.holdA);
    assert.equal(await page.evaluate(() => window.__concurrencyTrace!.selectedFinding()), 'deadlock:lock_a,lock_b');
  });

  it('selecting the race marks both accesses of each process and draws the arrow between the writes', async () => {
    await page.click('.findings-list li.finding[data-id="data-race:balance"]');
    const l = await layout(page);
    assert.ok(l.finding);
    assert.deepEqual(l.finding.marks.map((m) => m.row).sort((a, b) => a - b), [t.rows.readDep, t.rows.readWd, t.rows.writeDep, t.rows.writeWd]);
    assert.equal(l.finding.edges.length, 1);
    const e = l.finding.edges[0];
    assert.ok(e.x1 > e.x0 + 20, 'from the earlier write to the later one');
    assert.notEqual(Math.round(e.y0), Math.round(e.y1), 'between the two processes’ lanes');
    const steps = await page.evaluate(() => Array.from(document.querySelectorAll('.finding-steps li')).map((li) => li.textContent));
    assert.deepEqual(steps, ['P1 read 41 at line 9', 'P2 read 41 at line 16', 'P1 wrote 42', 'P2 wrote 40']);
    await screenshot(page, 'findings-race-full');
  });

  it('selecting the lock-order inversion draws an edge per thread from the outer hold to the inner one', async () => {
    await page.click('.findings-list li.finding[data-id^="lock-order-inversion"]');
    const l = await layout(page);
    assert.ok(l.finding);
    assert.deepEqual(l.finding.edges.map((e) => e.label), ['then audit_lock', 'then accounts_lock']);
    for (const e of l.finding.edges) assert.ok(e.y1 > e.y0, 'outer (level 0) to inner (level 1)');
  });

  it('Escape clears the selection and the drawing', async () => {
    await page.keyboard.press('Escape');
    assert.equal(await page.evaluate(() => window.__concurrencyTrace!.selectedFinding()), null);
    assert.equal((await layout(page)).finding, null);
    assert.equal(await page.isVisible('.details'), false);
  });

  it('the list works from the keyboard', async () => {
    await page.focus('.findings-list li.finding >> nth=0');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => window.__concurrencyTrace!.selectedFinding()), 'deadlock:lock_a,lock_b');
  });

  it('trace strings in findings stay text', async () => {
    assert.equal(await page.locator('.findings img, .details img').count(), 0);
    assert.ok((await listed(page))[0].text.endsWith(HOSTILE));
    assert.deepEqual(dialogs, []);
    assert.deepEqual(await cspViolations(page), []);
    assert.deepEqual(watch.errors, []);
  });

  it('live: a findings message replaces the list, keeps the selection if it is still there, and the host can show one', async () => {
    await page.evaluate(() => window.__concurrencyTrace!.selectFinding('deadlock:lock_a,lock_b'));
    const fewer = t.findings.filter((f) => f.kind !== 'data-race');
    await send(page, { type: 'findings', findings: fewer, rows: t.store.length });
    await page.waitForFunction(() => document.querySelector('.findings-count')?.textContent === '2');
    assert.equal(await page.evaluate(() => window.__concurrencyTrace!.selectedFinding()), 'deadlock:lock_a,lock_b');
    // The selected finding grew (a later pass): its details follow.
    const grown = fewer.map((f) => (f.kind === 'deadlock' ? { ...f, explanation: 'It has now lasted 2 s.' } : f));
    await send(page, { type: 'findings', findings: grown, rows: t.store.length });
    await page.waitForFunction(() => document.querySelector('.finding-explanation')?.textContent === 'It has now lasted 2 s.');
    await send(page, { type: 'findings', findings: fewer.filter((f) => f.kind !== 'deadlock'), rows: t.store.length });
    await page.waitForFunction(() => document.querySelector('.findings-count')?.textContent === '1');
    assert.equal(await page.evaluate(() => window.__concurrencyTrace!.selectedFinding()), null, 'a finding that went away is unselected');
    assert.equal(await page.isVisible('.details'), false, 'and its details close');
    await send(page, { type: 'findings', findings: t.findings, rows: t.store.length });
    await page.click('.kind-chip[data-kind="data-race"]'); // hide races
    await page.click('.findings-toggle'); // fold it
    assert.equal(await page.isVisible('.findings-list'), false);
    await send(page, { type: 'selectFinding', id: 'data-race:balance' });
    await page.waitForFunction(() => window.__concurrencyTrace!.selectedFinding() === 'data-race:balance');
    assert.equal(await page.isVisible('.findings-list'), true, 'shown by the host: the list unfolds');
    assert.equal(await page.getAttribute('.kind-chip[data-kind="data-race"]', 'aria-pressed'), 'true', 'and its kind is shown again');
    assert.equal(await page.getAttribute('.findings-list li.finding[data-id="data-race:balance"]', 'aria-selected'), 'true');
  });

  it('with no findings it says so in one short line', async () => {
    const p = await openWith(browser, t, { findings: [] });
    assert.equal(await p.page.textContent('.findings-none'), 'none');
    assert.equal(await p.page.isVisible('.findings-count'), false);
    await p.page.close();
  });

  it('while the program runs, a deadlock that still holds offers "Stop and keep trace", which asks the host to stop', async () => {
    const dissolved = { ...t.findings[1], details: { ongoing: false, endedBy: 'a timeout' } };
    const p = await openWith(browser, t, { running: true, findings: [t.findings[2], dissolved] });
    assert.equal(await p.page.isVisible('#stop-keep'), false, 'a deadlock that already ended by a timeout: no button');
    assert.equal(await p.page.textContent('.findings-preview') !== null, true);
    await send(p.page, { type: 'findings', findings: t.findings, rows: t.store.length });
    await p.page.waitForSelector('#stop-keep', { state: 'visible' });
    await screenshot(p.page, 'findings-live-deadlock');
    await p.page.click('#stop-keep');
    assert.deepEqual((await posted(p.page)).at(-1), { type: 'stop' });
    await send(p.page, { type: 'state', state: { status: 'stopped', title: 'bank.py' } });
    await p.page.waitForSelector('#stop-keep', { state: 'hidden' });
    assert.equal(await p.page.textContent('.findings-count'), '3', 'the findings stay after Stop');
    await p.page.close();
  });

  for (const theme of ['light', 'dark'] as const) {
    for (const width of [700, 1400]) {
      it(`fits a ${width} px editor (${theme}): one line of findings, the lanes keep their height`, async () => {
        const p = await openWith(browser, t, { width, height: 700, theme });
        const lanesBefore = (await box(p.page, '.lanes-scroll')).height;
        const bar = await box(p.page, '.findings');
        assert.ok(bar.height <= 30, `findings bar ${bar.height}px`);
        assert.ok(bar.width <= width, 'no horizontal overflow');
        await p.page.evaluate(() => window.__concurrencyTrace!.selectFinding('deadlock:lock_a,lock_b'));
        const l = await layout(p.page);
        assert.equal(l.finding?.edges.length, 2);
        const lanesAfter = (await box(p.page, '.lanes-scroll')).height;
        const timeline = await box(p.page, '.lanes-canvas');
        assert.ok(timeline.width >= (width < 900 ? width - 300 : width - 650), `lanes keep their width: ${timeline.width}px`);
        if (width < 900) {
          // Details go under the lanes, not beside them.
          const details = await box(p.page, '.details');
          assert.ok(details.y > (await box(p.page, '.lanes-scroll')).y, 'details under the lanes');
          assert.ok(lanesAfter >= 160, `lanes still ${lanesAfter}px high (were ${lanesBefore}px)`);
        } else assert.equal(lanesAfter, lanesBefore, 'the details sit beside the lanes');
        await screenshot(p.page, `findings-${theme}-${width}`);
        await p.page.click('.findings-toggle');
        const open = await box(p.page, '.findings');
        assert.ok(open.height <= 190, `the unfolded list is short: ${open.height}px`);
        await screenshot(p.page, `findings-${theme}-${width}-list`);
        assert.deepEqual(p.watch.errors, []);
        await p.page.close();
      });
    }
  }
});
