/**
 * Real runs (the runtime, collector and sampler of this repository) of the
 * scenario scripts drawn by the timeline, asserted through the test hook.
 * The bundled examples have their own lesson tests (lessons.test.ts).
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { traceRun } from '../../src/core/run/runTrace';
import type { TraceStore } from '../../src/core/trace/traceStore';
import type { LayoutInfo } from '../../webview/testHook';
import { cspViolations, ensureBuilt, launchBrowser, layout, openWebview, ROOT, screenshot, send, snapshotOf, waitReady } from './harness';
import { kindTotals } from './lessons';

const PYTHON = process.env.CONCURRENCY_TRACE_TEST_PYTHON || 'python3';

async function trace(script: string): Promise<TraceStore> {
  const r = await traceRun({ python: PYTHON, script: path.join(ROOT, script), args: [], stdio: ['ignore', 'ignore', 'ignore'] });
  return r.store;
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
