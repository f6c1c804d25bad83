import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostToWebview, RunState } from '../../src/protocol';
import { applyAppend, storeFromSnapshot } from '../../src/core/live/applyMessages';
import { LiveBatches } from '../../src/core/live/liveBatches';
import { LiveFeed } from '../../src/core/live/liveFeed';
import { K } from '../../src/core/trace/recordKinds';
import { TraceStore } from '../../src/core/trace/traceStore';

function setup(opts: { intervalMs?: number; post?: (m: HostToWebview) => PromiseLike<boolean> | boolean } = {}) {
  const store = new TraceStore();
  const posted: HostToWebview[] = [];
  let state: RunState = { status: 'running', title: 't', nowTs: 0 };
  const feed = new LiveFeed({
    batches: new LiveBatches(store),
    post: opts.post ?? ((m) => {
      posted.push(JSON.parse(JSON.stringify(m)) as HostToWebview);
      return true;
    }),
    state: () => state,
    intervalMs: opts.intervalMs ?? 1000000,
  });
  const grow = (n: number): void => {
    for (let i = 0; i < n; i++) store.push(K.LOCK_HOLD, store.length, NaN, 0, 1, -1, 0, 0);
  };
  return { store, posted, feed, grow, setState: (s: RunState) => (state = s) };
}

test('ready → snapshot; ticks → appends that rebuild the store; nothing before ready', () => {
  const { store, posted, feed, grow } = setup();
  grow(3);
  feed.tick();
  assert.equal(posted.length, 0, 'no append before the page asked');
  feed.ready();
  assert.equal(posted[0].type, 'snapshot');
  grow(4);
  store.update(1, 77, 0, 0);
  feed.tick();
  assert.equal(posted[1].type, 'append');
  const view = storeFromSnapshot(posted[0] as never);
  assert.ok(applyAppend(view, posted[1] as never));
  assert.deepEqual(view.columns(), store.columns());
  feed.dispose();
});

test('hidden: nothing is sent; shown again: a full snapshot, then appends follow it', () => {
  const { posted, feed, grow } = setup();
  feed.ready();
  feed.setVisible(false);
  grow(5);
  feed.tick();
  feed.pushState();
  assert.equal(posted.length, 1);
  feed.setVisible(true);
  assert.equal(posted[1].type, 'snapshot');
  assert.equal((posted[1] as { columns: { kind: number[] } }).columns.kind.length, 5);
  grow(1);
  feed.tick();
  assert.equal(posted[2].type, 'append');
  assert.equal((posted[2] as { fromRow: number }).fromRow, 5);
  // A reloaded page asks again: a second snapshot, appends continue from it.
  feed.ready();
  assert.equal(posted[3].type, 'snapshot');
  assert.deepEqual(feed.sent, { snapshot: 3, append: 1, state: 0, findings: 0 });
  feed.dispose();
});

test('an undelivered post holds back the next; a refused one waits for a new snapshot', async () => {
  const resolvers: ((v: boolean) => void)[] = [];
  const posted: HostToWebview[] = [];
  const { feed, grow } = setup({
    post: (m) => {
      posted.push(m);
      return new Promise<boolean>((r) => resolvers.push(r));
    },
  });
  feed.ready();
  grow(1);
  feed.tick();
  assert.equal(posted.length, 1, 'snapshot still in flight');
  resolvers[0](true);
  await new Promise((r) => setImmediate(r));
  feed.tick();
  assert.equal(posted.length, 2);
  resolvers[1](false); // the page went away before it got this append
  await new Promise((r) => setImmediate(r));
  grow(1);
  feed.tick();
  assert.equal(posted.length, 2, 'out of step: no appends until the next snapshot');
  feed.ready();
  assert.equal(posted[2].type, 'snapshot');
  feed.dispose();
});

test('finish sends the remaining rows with the final state, then stops', () => {
  const { posted, feed, grow, setState } = setup();
  feed.ready();
  grow(2);
  setState({ status: 'exited', title: 't', exitCode: 0 });
  feed.finish();
  const last = posted.at(-1)!;
  assert.equal(last.type, 'append');
  assert.equal((last as { state: RunState }).state.status, 'exited');
  setState({ status: 'exited', title: 't', exitCode: 0, message: 'saved' });
  feed.pushState();
  assert.deepEqual(posted.at(-1), { type: 'state', state: { status: 'exited', title: 't', exitCode: 0, message: 'saved' } });
  const n = posted.length;
  feed.tick();
  feed.ready(); // a trace editor: snapshot on every (re)load, no timer
  assert.equal(posted.length, n + 1);
  assert.equal(posted.at(-1)!.type, 'snapshot');
  feed.dispose();
});

test('cadence: appends at the interval while running, never more often, from the first tick after ready', async () => {
  // Real timers: on a loaded machine the event loop runs late and an interval's missed turns are
  // not made up, so how many appends come in a given time has no lower bound but one. What cannot
  // change is the spacing: every append waits for a tick of the 40 ms interval.
  const at: number[] = [];
  const posted: HostToWebview[] = [];
  const { feed, grow } = setup({ intervalMs: 40, post: (m) => {
    if (m.type === 'append') at.push(performance.now());
    posted.push(m);
    return true;
  } });
  const t0 = performance.now();
  feed.ready();
  const timer = setInterval(() => grow(10), 5);
  await new Promise((r) => setTimeout(r, 430));
  clearInterval(timer);
  feed.dispose();
  const elapsed = performance.now() - t0;
  assert.equal(posted[0].type, 'snapshot');
  assert.ok(at.length >= 1, 'appends while running');
  assert.ok(at.length <= elapsed / 40 + 1, `${at.length} appends in ${elapsed.toFixed(0)} ms at 40 ms`);
  const gaps = at.slice(1).map((x, i) => x - at[i]);
  assert.ok(gaps.every((g) => g >= 38), `gaps ${gaps.map((g) => g.toFixed(0)).join(' ')} ms`);
  assert.ok(at[0] - t0 >= 38, 'the first append waits for the first tick');
});
