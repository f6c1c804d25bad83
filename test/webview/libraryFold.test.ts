/**
 * A real dask.distributed run (Debian's /usr/bin/python3, a LocalCluster of two worker processes
 * driven from the program's own asyncio coroutine) on the timeline: the program's MainThread and
 * its task lane first, dask's threads and its hundreds of asyncio tasks folded into one library
 * row per process; a click unfolds it, a search finds what it folds.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { traceRun } from '../../src/core/run/runTrace';
import type { TraceStore } from '../../src/core/trace/traceStore';
import type { LaneInfo } from '../../webview/testHook';
import { cspViolations, ensureBuilt, launchBrowser, layout, openWebview, ROOT, screenshot, send, snapshotOf, waitReady } from './harness';

const DEBIAN_PYTHON = '/usr/bin/python3';
const hasDistributed = fs.existsSync(DEBIAN_PYTHON) && spawnSync(DEBIAN_PYTHON, ['-c', 'import distributed']).status === 0;
const skip = hasDistributed ? false : 'Debian python3-distributed is not installed';

const kinds = (lanes: LaneInfo[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const l of lanes) out[l.kind] = (out[l.kind] ?? 0) + 1;
  return out;
};

describe('library machinery folded on the timeline (dask.distributed)', { skip }, () => {
  let browser: Browser;
  let page: Page;
  let store: TraceStore;

  before(async () => {
    ensureBuilt();
    const r = await traceRun({ python: DEBIAN_PYTHON, script: path.join(ROOT, 'test/scenarios/scripts/dask_async_cluster.py'), args: [], stdio: ['ignore', 'ignore', 'ignore'] });
    store = r.store;
    browser = await launchBrowser();
    ({ page } = await openWebview(browser, { height: 900 }));
    await page.waitForFunction(() => !!window.__concurrencyTrace);
    await send(page, snapshotOf(store, { status: 'exited', title: 'dask_async_cluster.py', exitCode: store.meta.exitCode }));
    await waitReady(page);
    await page.evaluate(() => window.__concurrencyTrace!.fit());
  });

  after(async () => {
    await browser?.close();
  });

  it('by default: the program\'s MainThread and its task lane, one folded library row per process, no library task lane', async () => {
    const userProcesses = store.processes.filter((p) => !p.internal);
    assert.equal(userProcesses.length, 3, 'the program and two dask worker processes');
    const libraryTasks = [...store.objects.values()].filter((o) => o.type === 'asyncio.Task' && o.library).length;
    assert.ok(libraryTasks > 100, `dask's own asyncio tasks: ${libraryTasks}`);
    const l = await layout(page);
    const main = userProcesses.find((p) => p.argv.some((a) => a.endsWith('dask_async_cluster.py')))!;
    const mine = l.lanes.filter((x) => x.pid === main.pid);
    assert.ok(mine.some((x) => x.kind === 'thread' && x.label === 'MainThread'), 'the program\'s MainThread');
    const tasks = l.lanes.filter((x) => x.kind === 'task');
    assert.deepEqual(tasks.map((x) => [x.pid, x.label, x.detail]), [[main.pid, 'Task-1', 'main']], 'the one task lane: the program\'s main() coroutine');
    const groups = l.lanes.filter((x) => x.kind === 'helpers' && x.label.startsWith('library: '));
    assert.deepEqual(groups.map((g) => g.pid).sort(), userProcesses.map((p) => p.pid).sort(), 'one library row per process');
    for (const g of groups) {
      assert.match(g.label, /^library: dask(, tornado)? \(\d+ threads?, \d+ tasks\)$/);
      assert.equal(g.collapsed, true);
    }
    // Arrows among a folded group's threads (dask talking to itself) are not drawn: none starts and ends on one library row.
    for (const g of groups) {
      const inside = (y: number): boolean => y >= g.y && y <= g.y + g.height;
      assert.deepEqual(l.arrows.filter((a) => inside(a.y0) && inside(a.y1)), [], `no arrow within ${g.label}`);
    }
    const before = kinds(l.lanes);
    await screenshot(page, 'library-folded');

    // Unfolding every group (the "helpers" switch) shows dask's threads and task lanes.
    await page.click('#show-menu');
    const box = page.locator('.menu vscode-checkbox', { hasText: 'unfold every helper group' });
    await box.click();
    await page.waitForFunction(() => window.__concurrencyTrace!.layout(1).lanes.filter((x) => x.kind === 'task').length > 5);
    const open = await layout(page);
    const after = kinds(open.lanes);
    console.log(`rows folded ${l.lanes.length} ${JSON.stringify(before)} · unfolded ${open.lanes.length} ${JSON.stringify(after)}`);
    assert.ok(open.lanes.length > l.lanes.length + 20, 'unfolded, the library\'s lanes are back');
    assert.ok(open.lanes.some((x) => x.kind === 'thread' && x.label === 'Profile'), 'dask\'s profiler thread');
    await screenshot(page, 'library-unfolded');
    await box.click();
    await page.waitForFunction((n) => window.__concurrencyTrace!.layout(1).lanes.length === n, l.lanes.length);
    await page.keyboard.press('Escape');
    assert.deepEqual(await cspViolations(page), []);
  });

  it('a click on a library row unfolds that process\'s library lanes only', async () => {
    const l = await layout(page);
    const group = l.lanes.find((x) => x.kind === 'helpers' && x.label.startsWith('library: ') && x.pid === store.processes[0].pid)!;
    await page.click(`.lane-label[data-key="${group.key}"]`);
    await page.waitForFunction((k) => window.__concurrencyTrace!.layout(1).lanes.find((x) => x.key === k)?.collapsed === false, group.key);
    const open = await layout(page);
    const opened = open.lanes.filter((x) => x.pid === group.pid).length - l.lanes.filter((x) => x.pid === group.pid).length;
    assert.ok(opened > 0, 'its lanes are shown');
    assert.equal(open.lanes.filter((x) => x.pid !== group.pid).length, l.lanes.filter((x) => x.pid !== group.pid).length, 'other processes unchanged');
    await page.click(`.lane-label[data-key="${group.key}"]`);
    await page.waitForFunction((n) => window.__concurrencyTrace!.layout(1).lanes.length === n, l.lanes.length);
  });

  it('a search finds a lane folded in a library row', async () => {
    const search = page.locator('vscode-textfield.search input');
    await search.fill('Profile');
    await page.waitForFunction(() => window.__concurrencyTrace!.layout(1).lanes.some((x) => x.label === 'Profile'));
    const l = await layout(page);
    const profile = l.lanes.filter((x) => x.label === 'Profile');
    assert.ok(profile.length >= 1);
    assert.ok(l.lanes.some((x) => x.kind === 'helpers' && x.label.startsWith('library: ') && !x.collapsed), 'its group is open');
    await search.fill('');
  });
});
