/**
 * A live run as the extension host shows it: a snapshot, then an append every
 * ~40 ms (LiveBatches), state with "now"; the view must end up as a fresh
 * snapshot of the same trace would, ask for a snapshot when an append does
 * not follow on, and keep appends cheap on a big trace.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { LiveBatches } from '../../src/core/live/liveBatches';
import { K } from '../../src/core/trace/recordKinds';
import { traceRun } from '../../src/core/run/runTrace';
import type { TraceStore } from '../../src/core/trace/traceStore';
import type { RunState } from '../../src/protocol';
import { ensureBuilt, launchBrowser, layout, openWebview, posted, ROOT, send, snapshotOf, waitReady } from './harness';
import { syntheticStore } from './syntheticTrace';

const PYTHON = process.env.CONCURRENCY_TRACE_TEST_PYTHON || 'python3';

describe('live updates', () => {
  let browser: Browser;
  let page: Page;

  before(async () => {
    ensureBuilt();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
  });

  async function fresh(): Promise<void> {
    await page?.close();
    ({ page } = await openWebview(browser));
    await page.waitForFunction(() => !!window.__concurrencyTrace);
  }

  it('follows a real run batch by batch and ends where a snapshot would', async () => {
    await fresh();
    let batches: LiveBatches | undefined;
    let store: TraceStore | undefined;
    let epoch = 0n;
    const sends: Promise<void>[] = [];
    const state = (): RunState => ({ status: 'running', title: 'producer_consumer.py', nowTs: Number(process.hrtime.bigint() - epoch) });
    let timer: NodeJS.Timeout | undefined;
    const result = await traceRun({
      python: PYTHON, script: path.join(ROOT, 'examples', 'producer_consumer.py'), args: [], stdio: ['ignore', 'ignore', 'ignore'],
      onStart: (run, s) => {
        store = s;
        epoch = run.epochNs;
        batches = new LiveBatches(s);
        sends.push(send(page, batches.snapshot(state())));
        timer = setInterval(() => {
          const m = batches!.append(state());
          if (m) sends.push(send(page, m));
        }, 40);
      },
    });
    clearInterval(timer);
    const last = batches!.append({ status: 'exited', title: 'producer_consumer.py', exitCode: result.exitCode });
    if (last) sends.push(send(page, last));
    await Promise.all(sends);
    assert.ok(sends.length > 3, `several appends (${sends.length})`);
    await page.waitForFunction((n) => window.__concurrencyTrace!.eventCount() === n, store!.length);
    await page.evaluate(() => window.__concurrencyTrace!.fit());
    const live = await layout(page);
    assert.equal((await posted(page)).filter((m) => m.type === 'ready').length, 1, 'never had to ask again');
    // The same trace as one snapshot, in a new page.
    const final = store!;
    await fresh();
    await send(page, snapshotOf(final, { status: 'exited', title: 'producer_consumer.py', exitCode: result.exitCode }));
    await waitReady(page);
    const whole = await layout(page);
    assert.deepEqual(live.lanes.map((l) => [l.key, l.height]), whole.lanes.map((l) => [l.key, l.height]));
    assert.deepEqual(live.spans.counts, whole.spans.counts);
    assert.equal(live.stdout, whole.stdout);
    assert.equal(live.arrows.length, whole.arrows.length);
  });

  it('asks for a snapshot when an append does not follow on', async () => {
    await fresh();
    const store = syntheticStore({ events: 800 });
    const batches = new LiveBatches(store);
    await send(page, batches.snapshot({ status: 'running', title: 'x', nowTs: store.lastTs() }));
    await waitReady(page);
    store.push(K.SLEEP, store.lastTs() + 1e6, store.lastTs() + 2e6, 3, 0, -1, 1e6, 0);
    const msg = batches.append({ status: 'running', title: 'x', nowTs: store.lastTs() })!;
    await send(page, { ...msg, fromRow: msg.fromRow + 5 });
    await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.filter((m) => m.type === 'ready').length === 2);
    assert.equal(await page.evaluate(() => window.__concurrencyTrace!.eventCount()), store.length - 1, 'the bad append was not applied');
  });

  it('keeps appends cheap on a 200 000-event trace', async () => {
    await fresh();
    const store = syntheticStore({ events: 200_000 });
    // Every row in the view (a live snapshot past maxSnapshotRows would be thinned: not this test's subject).
    const batches = new LiveBatches(store, { maxSnapshotRows: Infinity });
    let now = store.lastTs();
    await send(page, batches.snapshot({ status: 'running', title: 'big', nowTs: now }));
    await waitReady(page);
    const base = await page.evaluate(() => window.__concurrencyTrace!.messageMs().length);
    const worker = store.threads.findIndex((t) => t.name === 'worker-2');
    for (let i = 0; i < 25; i++) {
      for (let j = 0; j < 40; j++) {
        now += 0.2e6;
        store.push(K.LOCK_HOLD, now, now + 0.1e6, worker, 101, -1, 0, 0);
      }
      await send(page, batches.append({ status: 'running', title: 'big', nowTs: now })!);
    }
    await page.waitForFunction((n) => window.__concurrencyTrace!.eventCount() === n, store.length);
    const ms = (await page.evaluate(() => window.__concurrencyTrace!.messageMs())).slice(base + 1);
    ms.sort((a, b) => a - b);
    const median = ms[Math.floor(ms.length / 2)];
    assert.ok(median < 15, `median append handling ${median.toFixed(1)} ms`);
  });
});
