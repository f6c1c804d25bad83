/**
 * Real runs (the runtime, collector and sampler of this repository) drawn by
 * the timeline: processes, threads, spans, arrows, CPU and stdout of the
 * bundled examples and scenario scripts, asserted through the test hook.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { K } from '../../src/core/recordKinds';
import { traceRun } from '../../src/core/runTrace';
import type { TraceStore } from '../../src/core/traceStore';
import type { LayoutInfo } from '../../webview/testHook';
import { cspViolations, ensureBuilt, launchBrowser, layout, openWebview, ROOT, screenshot, send, snapshotOf, waitReady } from './harness';

const PYTHON = process.env.CONCURRENCY_TRACE_TEST_PYTHON || 'python3';

async function trace(script: string): Promise<TraceStore> {
  const r = await traceRun({ python: PYTHON, script: path.join(ROOT, script), args: [], stdio: ['ignore', 'ignore', 'ignore'] });
  return r.store;
}

function kindTotals(l: LayoutInfo): Record<string, number> {
  const all: Record<string, number> = {};
  for (const byKind of Object.values(l.spans.counts)) for (const [k, n] of Object.entries(byKind)) all[k] = (all[k] ?? 0) + n;
  return all;
}

describe('real traces on the timeline', () => {
  let browser: Browser;
  let page: Page;

  before(async () => {
    ensureBuilt();
    browser = await launchBrowser();
    ({ page } = await openWebview(browser));
    await page.waitForFunction(() => !!window.__concurrencyTrace);
  });

  after(async () => {
    await browser?.close();
  });

  async function show(store: TraceStore, title: string): Promise<LayoutInfo> {
    await send(page, snapshotOf(store, { status: 'exited', title, exitCode: store.meta.exitCode }));
    await waitReady(page);
    await page.waitForFunction((t) => window.__concurrencyTrace!.state.title === t, title);
    await page.evaluate(() => window.__concurrencyTrace!.fit());
    return layout(page);
  }

  it('examples/producer_consumer.py: four processes, queue hand-offs, prints', async () => {
    const store = await trace('examples/producer_consumer.py');
    const l = await show(store, 'producer_consumer.py');
    const procs = l.lanes.filter((x) => x.kind === 'process' && !x.dim);
    assert.equal(procs.length, 4, procs.map((p) => p.label).join(', '));
    assert.equal(procs[0].label, 'producer_consumer.py');
    for (const p of store.processes) {
      for (const t of store.threads.filter((x) => x.pid === p.pid && !x.internal)) {
        assert.ok(l.lanes.some((x) => x.kind === 'thread' && x.tid === t.nativeId), `lane for ${t.name} of ${p.pid}`);
      }
    }
    const kinds = kindTotals(l);
    assert.equal(kinds['process.spawn'], 3);
    assert.equal(kinds['process.join'], 3);
    const arrows = new Set(l.arrows.map((a) => a.kind));
    assert.ok(arrows.has('spawn') && arrows.has('join'), [...arrows].join(','));
    if (store.rowsOf(K.QUEUE_GET).length > 0) {
      assert.equal(kinds['queue.get'], store.rowsOf(K.QUEUE_GET).length);
      assert.ok(arrows.has('pipe') || arrows.has('queue'), 'a queue hand-off is drawn');
    }
    assert.equal(l.stdout, store.rowsOf(K.IO_WRITE).length);
    assert.ok(l.stdout >= 8, 'the consumers’ prints');
    assert.ok(l.cpu.cores > 0 && l.cpu.points > 0, 'CPU per core');
    await screenshot(page, 'producer-consumer');
  });

  it('examples/pool_square.py: six tasks on the pool workers', async () => {
    const store = await trace('examples/pool_square.py');
    const l = await show(store, 'pool_square.py');
    const kinds = kindTotals(l);
    assert.equal(kinds['task.start'], 6);
    const runs = store.rowsOf(K.TASK_RUN);
    await page.evaluate(([a, b]) => window.__concurrencyTrace!.zoomTo(a, b), [Math.min(...runs.map((r) => store.ts[r])) - 2e6, Math.max(...runs.map((r) => store.end[r])) + 2e6]);
    const zoomed = await layout(page);
    const labels = zoomed.spans.sample.filter((s) => s.kind === 'task.start').map((s) => s.label).sort();
    assert.deepEqual(labels, ['square(0)', 'square(1)', 'square(2)', 'square(3)', 'square(4)', 'square(5)']);
    assert.ok(zoomed.arrows.some((a) => a.kind === 'task'), 'submit → run → result arrows');
    const workers = l.lanes.filter((x) => x.process && /^Pool\(4\) worker \d$/.test(x.label));
    assert.equal(workers.length, 4);
    await screenshot(page, 'pool-square');
  });

  it('thread_sync.py: lock, condition, event and barrier waits', async () => {
    const store = await trace('test/scenarios/scripts/thread_sync.py');
    const l = await show(store, 'thread_sync.py');
    const kinds = kindTotals(l);
    for (const k of ['lock.wait', 'lock.acquire', 'thread.join', 'sleep']) assert.ok(kinds[k] > 0, `${k}: ${JSON.stringify(kinds)}`);
    assert.ok((kinds['condition.wait'] ?? 0) + (kinds['event.wait'] ?? 0) + (kinds['barrier.wait'] ?? 0) > 0, 'condition/event/barrier waits');
  });

  it('asyncio_tasks.py: a lane of asyncio tasks under the loop thread', async () => {
    const store = await trace('test/scenarios/scripts/asyncio_tasks.py');
    const l = await show(store, 'asyncio_tasks.py');
    const tasks = l.lanes.filter((x) => x.kind === 'task');
    assert.ok(tasks.length > 0, 'task lanes');
    assert.ok(kindTotals(l)['asyncio.task.step'] > 0);
    assert.deepEqual(await cspViolations(page), []);
    await screenshot(page, 'asyncio-tasks');
  });
});
