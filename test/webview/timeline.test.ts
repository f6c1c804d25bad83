/**
 * The timeline app in Chromium as a VS Code webview (acquireVsCodeApi stubbed),
 * fed a synthetic trace with every kind it draws: lanes, spans, arrows, CPU,
 * stdout, details and "Go to source", Stop, Export, theme, search, collapse,
 * zoom, and that trace text never becomes HTML.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { K } from '../../src/core/trace/recordKinds';
import type { TraceStore } from '../../src/core/trace/traceStore';
import { cspViolations, darkThemeVars, ensureBuilt, launchBrowser, layout, openWebview, posted, screenshot, send, snapshotOf, waitReady, type PageWatch } from './harness';
import { SCRIPT_FILE, syntheticStore } from './syntheticTrace';

const HOSTILE = '<img src=x onerror=alert(1)>';

describe('timeline webview', () => {
  let browser: Browser;
  let page: Page;
  let watch: PageWatch;
  let store: TraceStore;
  const dialogs: string[] = [];

  before(async () => {
    ensureBuilt();
    browser = await launchBrowser();
    ({ page, watch } = await openWebview(browser));
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    store = syntheticStore({ events: 3000, threadName: HOSTILE, firstPrint: `${HOSTILE} printed\n` });
    await page.waitForFunction(() => !!window.__concurrencyTrace);
    await send(page, snapshotOf(store));
    await waitReady(page);
  });

  after(async () => {
    await browser?.close();
  });

  /** Unfolds (or folds) every helper group through the Show menu. */
  async function unfoldHelpers(on: boolean): Promise<void> {
    await page.click('#show-menu');
    const box = page.locator('.menu vscode-checkbox', { hasText: 'unfold every helper group' });
    if ((await box.evaluate((e) => (e as HTMLElement & { checked: boolean }).checked)) !== on) await box.click();
    await page.keyboard.press('Escape');
    await page.waitForSelector('.menu', { state: 'hidden' });
  }

  /** Zooms the view onto a row's time, with some room either side. */
  async function zoomOnto(row: number, before = 1e6, afterNs = 2e6): Promise<void> {
    const t = store.ts[row];
    await page.evaluate(([a, b]) => window.__concurrencyTrace!.zoomTo(a, b), [t - before, t + afterNs]);
  }

  it('asks the host for data at start', async () => {
    assert.deepEqual((await posted(page))[0], { type: 'ready' });
  });

  it('shows each process nested under its parent, its own threads first, helpers folded, a lane per asyncio task', async () => {
    const l = await layout(page);
    const procs = l.lanes.filter((x) => x.process);
    // The forkserver is a helper process: folded into a group under the program.
    assert.deepEqual(procs.map((p) => p.pid), [1000, 1002, 1004]);
    assert.match(procs[0].detail, /pid 1000 · exit 0/);
    const threads = l.lanes.filter((x) => x.kind === 'thread');
    assert.ok(threads.some((t) => t.label === 'MainThread' && t.tid === 1000));
    assert.ok(threads.some((t) => t.label === 'worker-1' && t.tid === 2001));
    assert.ok(!threads.some((t) => t.tid === 1003), 'the queue feeder is folded');
    const groups = l.lanes.filter((x) => x.kind === 'helpers');
    assert.deepEqual(groups.map((g) => [g.label, g.collapsed, g.dim]), [['1 helper thread', true, true], ['1 helper process', true, true]]);
    assert.ok(l.lanes.some((x) => x.kind === 'task'), 'asyncio task lane');
    // Process-1 has one thread of its own: one row, labelled with the process, its helpers and its pool worker under it.
    const order = l.lanes.filter((x) => x.kind !== 'thread' || !x.process).map((x) => `${x.kind}:${x.label}`);
    // Process-1 is named by what it runs (the first function of its own code).
    const p1 = order.indexOf('process:run_pool()');
    assert.ok(p1 > 0 && order[p1 + 1] === 'thread:MainThread' && order[p1 + 2] === 'helpers:1 helper thread' && order[p1 + 3] === 'process:Pool(4) worker 1', order.join(' | '));
    assert.match(l.lanes.find((x) => x.label === 'run_pool()')!.detail, /^Process-1 · pid 1002 · exit 0$/);
    // Unfolding a group shows its members, dimmed.
    await page.click('.lane-label[data-key="h:1002"]');
    const open = await layout(page);
    assert.equal(open.lanes.find((x) => x.tid === 1003)?.label, 'feeds results_pipe');
    assert.equal(open.lanes.find((x) => x.tid === 1003)?.dim, true);
    await page.click('.lane-label[data-key="h:1002"]');
    assert.ok(!(await layout(page)).lanes.some((x) => x.tid === 1003), 'folded again');
    const indent = await page.evaluate(() => Array.from(document.querySelectorAll('.lane-label.process, .lane-label.process-row')).map((e) => (e as HTMLElement).style.paddingLeft));
    assert.equal(indent[2], '28px', 'grandchild indented two levels');
    // Lanes are labelled for screen readers.
    const aria = await page.getAttribute('.lane-label.thread', 'aria-label');
    assert.match(aria ?? '', /^Thread MainThread, tid 1000$/);
  });

  it('draws spans of every state, with readable labels', async () => {
    await unfoldHelpers(true);
    const l = await layout(page);
    const all: Record<string, number> = {};
    for (const byKind of Object.values(l.spans.counts)) for (const [k, n] of Object.entries(byKind)) all[k] = (all[k] ?? 0) + n;
    for (const kind of ['lock.wait', 'lock.acquire', 'queue.put', 'queue.get', 'pipe.send', 'pipe.recv', 'condition.wait', 'event.wait',
      'barrier.wait', 'sleep', 'task.start', 'thread.join', 'process.join', 'process.spawn', 'thread.spawn', 'asyncio.task.step']) {
      assert.ok(all[kind] > 0, `${kind} drawn`);
    }
    const task = store.rowsOf(K.TASK_RUN)[2];
    await zoomOnto(task);
    const zoomed = await layout(page);
    const labels = new Map(zoomed.spans.sample.map((s) => [s.row, s.label]));
    assert.equal(labels.get(task), `square(${store.strings[store.b[task]]})`);
    const hold = store.rowsOf(K.LOCK_HOLD).find((r) => Math.abs(store.ts[r] - store.ts[task]) < 3e6)!;
    assert.equal(labels.get(hold), 'balance_lock');
    const unnamed = store.rowsOf(K.LOCK_WAIT).find((r) => store.obj[r] === 109)!;
    await zoomOnto(unnamed);
    assert.ok((await layout(page)).spans.sample.some((s) => s.row === unnamed && s.label === 'wait Lock'), 'an unnamed lock by its type');
  });

  it('extends open spans to now while the run is live', async () => {
    const open = syntheticStore({ events: 500 });
    const hold = open.rowsOf(K.LOCK_HOLD).pop()!;
    open.update(hold, NaN, 0, 0);
    // Live: the program has not exited yet.
    open.processes[0].exited = false;
    const nowTs = open.lastTs() + 50e6;
    try {
      await send(page, snapshotOf(open, { status: 'running', title: 'live', nowTs }));
      await page.waitForFunction(() => window.__concurrencyTrace!.state.status === 'running');
      await page.evaluate(() => window.__concurrencyTrace!.fit());
      const l = await layout(page);
      const span = l.spans.sample.find((s) => s.row === hold)!;
      assert.ok(span, 'open span drawn');
      const right = await page.evaluate(() => document.querySelector('.lanes-canvas')!.getBoundingClientRect().right);
      assert.ok(Math.abs(span.x1 - right) < 2, `open span reaches now (${span.x1} vs ${right})`);
    } finally {
      // Back to the full synthetic trace for the other tests.
      await send(page, snapshotOf(store));
      await page.waitForFunction(() => window.__concurrencyTrace!.state.status === 'saved');
    }
  });

  it('draws flow arrows of every kind, each with a toggle in the Show menu', async () => {
    await page.evaluate(() => window.__concurrencyTrace!.fit());
    await waitReady(page); // arrows are computed after the first paint of a (re)load
    const start = await layout(page);
    const kinds = new Set(start.arrows.map((a) => a.kind));
    for (const k of ['spawn', 'join', 'queue', 'pipe', 'task']) assert.ok(kinds.has(k as never), `${k} arrows`);
    assert.equal(await page.isVisible('.menu'), false, 'the toggles are out of the lanes’ way');
    await page.click('#show-menu');
    await page.locator('.menu vscode-checkbox', { hasText: 'queue' }).last().click();
    const without = await layout(page);
    assert.ok(!without.arrows.some((a) => a.kind === 'queue'), 'queue arrows hidden');
    assert.ok(without.arrows.some((a) => a.kind === 'pipe'), 'other arrows stay');
    assert.match(await page.getAttribute('#show-menu', 'class') ?? '', /filtered/, 'the Show button says something is hidden');
    await page.locator('.menu vscode-checkbox', { hasText: 'queue' }).last().click();
    assert.ok((await layout(page)).arrows.some((a) => a.kind === 'queue'));
    await page.mouse.click(5, 300); // outside: the menu closes
    await page.waitForSelector('.menu', { state: 'hidden' });
  });

  it('charts CPU per core, cores by thread and stdout', async () => {
    const l = await layout(page);
    assert.equal(l.cpu.cores, 4);
    assert.ok(l.cpu.points > 0 && l.cpu.threadSamples > 0 && l.cpu.coreSightings > 0);
    assert.equal(l.stdout, store.rowsOf(K.IO_WRITE).length);
  });

  it('shows details of a clicked span and opens its source', async () => {
    const hold = store.rowsOf(K.LOCK_HOLD)[3];
    await zoomOnto(hold);
    const span = (await layout(page)).spans.sample.find((s) => s.row === hold)!;
    await page.mouse.click((span.x0 + span.x1) / 2, span.y + span.h / 2);
    await page.waitForSelector('.details:not([hidden])');
    const text = await page.textContent('.details');
    assert.match(text ?? '', /lock\.acquire/);
    assert.match(text ?? '', /balance_lock — Lock/);
    assert.match(text ?? '', /Duration/);
    assert.match(text ?? '', /synthetic_app\.py:20 in deposit/);
    await page.click('#go-to-source');
    const last = (await posted(page)).pop();
    assert.deepEqual(last, { type: 'openSource', file: SCRIPT_FILE, line: 20 });
  });

  it('lists the partner of a hand-off and selects it', async () => {
    const put = store.rowsOf(K.QUEUE_PUT)[4];
    await page.evaluate((r) => window.__concurrencyTrace!.select(r), put);
    await page.click('.partners a');
    const get = await page.evaluate(() => window.__concurrencyTrace!.selectedRow());
    assert.equal(store.kind[get], K.QUEUE_GET);
    assert.equal(store.a[get], store.a[put], 'the get of the same message');
  });

  it('posts stop only while running, and export for Perfetto', async () => {
    assert.equal(await page.isVisible('#stop'), false);
    await send(page, { type: 'state', state: { status: 'running', title: 'live', nowTs: store.lastTs() } });
    await page.waitForSelector('#stop:not([hidden])');
    await page.click('#stop');
    assert.deepEqual((await posted(page)).pop(), { type: 'stop' });
    await send(page, { type: 'state', state: { status: 'exited', title: 'done', exitCode: 0 } });
    await page.waitForSelector('#stop', { state: 'hidden' });
    await page.click('#export-perfetto');
    assert.deepEqual((await posted(page)).pop(), { type: 'exportPerfetto' });
  });

  it('filters by process, thread, object or kind', async () => {
    const search = page.locator('vscode-textfield.search input');
    await search.fill('worker-2');
    await page.waitForFunction(() => window.__concurrencyTrace!.layout(1).lanes.filter((l) => l.kind === 'thread').length === 1);
    assert.deepEqual((await layout(page)).lanes.map((l) => l.label), ['synthetic_app.py', 'worker-2']);
    await search.fill('results_pipe');
    await page.waitForFunction(() => window.__concurrencyTrace!.layout(1).lanes.some((l) => l.label === 'feeds results_pipe'));
    const labels = (await layout(page)).lanes.filter((l) => l.kind === 'thread').map((l) => l.label).sort();
    assert.deepEqual(labels, ['MainThread', 'feeds results_pipe'], 'the pipe’s two ends (helpers unfold for a search)');
    await search.fill('barrier.wait');
    await page.waitForFunction(() => window.__concurrencyTrace!.layout(1).lanes.filter((l) => l.kind === 'thread').length === 4);
    await search.fill('');
    await page.waitForFunction(() => window.__concurrencyTrace!.layout(1).lanes.length > 10);
  });

  it('collapses a process and what it started into its row', async () => {
    await page.evaluate(() => window.__concurrencyTrace!.fit());
    const before = (await layout(page)).lanes.length;
    await page.click('.lane-label[data-key="p:1002"] .twisty');
    const l = await layout(page);
    assert.ok(!l.lanes.some((x) => x.tid === 1003 || x.pid === 1004), 'its feeder thread and its pool worker are gone');
    assert.ok(l.lanes.length < before);
    const row = l.lanes.find((x) => x.key === 'p:1002')!;
    assert.equal(row.collapsed, true);
    const mid = row.y + row.height / 2;
    assert.ok(l.arrows.some((a) => Math.abs(a.y1 - mid) < 12 || Math.abs(a.y0 - mid) < 12), 'arrows attach to its row');
    await page.click('.lane-label[data-key="p:1002"] .twisty');
    assert.equal((await layout(page)).lanes.length, before);
  });

  it('zooms and pans with the keyboard, Ctrl+wheel and Shift+drag', async () => {
    await page.evaluate(() => window.__concurrencyTrace!.fit());
    const v0 = (await layout(page, 1)).view;
    await page.mouse.move(700, 300);
    await page.keyboard.down('w');
    await page.waitForTimeout(300);
    await page.keyboard.up('w');
    const v1 = (await layout(page, 1)).view;
    assert.ok(v1.v1 - v1.v0 < (v0.v1 - v0.v0) * 0.8, 'W zoomed in');
    await page.keyboard.down('d');
    await page.waitForTimeout(200);
    await page.keyboard.up('d');
    const v2 = (await layout(page, 1)).view;
    assert.ok(v2.v0 > v1.v0, 'D panned right');
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, 300);
    await page.keyboard.up('Control');
    await page.waitForTimeout(100);
    const v3 = (await layout(page, 1)).view;
    assert.ok(v3.v1 - v3.v0 > v2.v1 - v2.v0, 'Ctrl+wheel down zoomed out');
    const box = (await page.locator('.lanes-canvas').boundingBox())!;
    await page.keyboard.down('Shift');
    await page.mouse.move(box.x + 300, box.y + 100);
    await page.mouse.down();
    await page.mouse.move(box.x + 500, box.y + 120, { steps: 4 });
    await page.mouse.up();
    await page.keyboard.up('Shift');
    const v4 = (await layout(page, 1)).view;
    const expected = ((v3.v1 - v3.v0) * 200) / v3.width;
    assert.ok(Math.abs(v4.v1 - v4.v0 - expected) / expected < 0.05, 'Shift+drag zoomed to the dragged range');
  });

  it('labels the time axis as d3-axis lays it out, reusing its tick elements across a pan and dropping the extra ones on a zoom out', async () => {
    type Tick = { x: number; label: string; kept: boolean };
    const axis = (): Promise<{ attrs: string; domain: string; ticks: Tick[]; parts: string[]; width: number }> => page.evaluate(() => {
      const g = document.querySelector('svg.axis > g.ticks')!;
      const ticks = Array.from(g.querySelectorAll(':scope > g.tick')) as (SVGGElement & { kept?: boolean })[];
      return {
        attrs: ['fill', 'font-size', 'font-family', 'text-anchor'].map((a) => g.getAttribute(a)).join(' '),
        domain: g.firstElementChild!.matches('path.domain') ? g.firstElementChild!.getAttribute('d')! : '',
        ticks: ticks.map((t) => ({ x: Number(/translate\(([^,]+),0\)/.exec(t.getAttribute('transform') ?? '')?.[1]), label: t.textContent ?? '', kept: t.kept === true })),
        parts: ticks.map((t) => `${t.children[0].getAttribute('y2')} ${t.children[1].getAttribute('y')} ${t.children[1].getAttribute('dy')}`),
        width: window.__concurrencyTrace!.layout(1).view.width,
      };
    });
    await page.evaluate(() => window.__concurrencyTrace!.fit());
    const { v0, v1 } = (await layout(page, 1)).view;
    const span = (v1 - v0) / 8;
    await page.evaluate(([a, b]) => {
      window.__concurrencyTrace!.zoomTo(a, b);
      window.__concurrencyTrace!.renderNow();
    }, [v0 + span, v0 + 2 * span]);
    const before = await axis();
    assert.equal(before.attrs, 'none 10 sans-serif middle');
    assert.equal(before.domain, `M0.5,5V0.5H${before.width + 0.5}V5`);
    assert.ok(before.ticks.length >= 2, `ticks: ${JSON.stringify(before.ticks)}`);
    assert.ok(before.parts.every((p) => p === '5 8 0.71em'), before.parts.join(', '));
    // Evenly spaced, inside the plot, one label each, all different.
    const step = before.ticks[1].x - before.ticks[0].x;
    assert.ok(before.ticks.every((t, i) => Math.abs(t.x - before.ticks[0].x - i * step) < 0.01 && t.x >= 0 && t.x <= before.width + 1), JSON.stringify(before.ticks));
    assert.equal(new Set(before.ticks.map((t) => t.label)).size, before.ticks.length);
    // A pan by a tenth: the same elements, moved, with labels of the new view.
    await page.evaluate(([a, b]) => {
      for (const t of Array.from(document.querySelectorAll('svg.axis g.tick'))) (t as Element & { kept?: boolean }).kept = true;
      window.__concurrencyTrace!.zoomTo(a, b);
      window.__concurrencyTrace!.renderNow();
    }, [v0 + 1.1 * span, v0 + 2.1 * span]);
    const panned = await axis();
    assert.ok(panned.ticks.filter((t) => t.kept).length >= Math.min(before.ticks.length, panned.ticks.length), JSON.stringify(panned.ticks));
    assert.notDeepEqual(panned.ticks.map((t) => t.x), before.ticks.map((t) => t.x));
    // Zoomed out: the extra elements go, what stays still reads as the view.
    await page.evaluate(() => {
      window.__concurrencyTrace!.fit();
      window.__concurrencyTrace!.renderNow();
    });
    const fit = await axis();
    assert.ok(fit.ticks.length >= 2 && fit.ticks.length <= Math.floor(fit.width / 110) + 2, JSON.stringify(fit.ticks));
    assert.ok(fit.ticks.every((t) => t.x >= 0 && t.x <= fit.width + 1), JSON.stringify(fit.ticks));
  });

  it('never turns trace text into HTML', async () => {
    const label = await page.locator('.lane-label.thread .name', { hasText: 'onerror' }).textContent();
    assert.equal(label, HOSTILE);
    assert.equal(await page.locator('.lane-labels img, .details img, .tooltip img').count(), 0);
    const print = store.rowsOf(K.IO_WRITE)[0];
    await page.evaluate((r) => window.__concurrencyTrace!.select(r), print);
    assert.equal(await page.textContent('.details-text'), `${HOSTILE} printed\n`);
    assert.equal(await page.locator('img').count(), 0);
    assert.deepEqual(dialogs, []);
  });

  it('follows the theme: canvas colours change with the body class and variables', async () => {
    await page.evaluate(() => window.__concurrencyTrace!.select(-1));
    const pixel = (): Promise<number[]> => page.evaluate(() => {
      const c = document.querySelector('.lanes-canvas') as HTMLCanvasElement;
      return [...c.getContext('2d')!.getImageData(5, c.height - 5, 1, 1).data.slice(0, 3)];
    });
    assert.deepEqual(await pixel(), [255, 255, 255], 'light background');
    await screenshot(page, 'timeline-light');
    const vars = darkThemeVars({ '--vscode-editor-background': '#1e1e1e', '--vscode-charts-red': '#f14c4c' });
    await page.evaluate((v) => {
      for (const [k, value] of Object.entries(v)) document.documentElement.style.setProperty(k, value);
      document.body.classList.replace('vscode-light', 'vscode-dark');
    }, vars);
    await page.waitForFunction(() => window.__concurrencyTrace!.palette().kind === 'dark');
    await page.waitForTimeout(100);
    assert.deepEqual(await pixel(), [30, 30, 30], 'dark background');
    assert.equal((await page.evaluate(() => window.__concurrencyTrace!.palette())).category.lockWait, '#f14c4c');
    await screenshot(page, 'timeline-dark');
    await page.evaluate(() => document.body.classList.replace('vscode-dark', 'vscode-high-contrast'));
    await page.waitForFunction(() => window.__concurrencyTrace!.palette().kind === 'high-contrast');
    assert.ok((await page.evaluate(() => window.__concurrencyTrace!.palette())).outline, 'high contrast outlines spans');
  });

  it('runs under its CSP without violations or errors', async () => {
    assert.deepEqual(await cspViolations(page), []);
    assert.deepEqual(watch.errors, []);
    assert.deepEqual(watch.console.filter((m) => m.startsWith('error')), []);
    assert.deepEqual(watch.network, []);
  });
});
