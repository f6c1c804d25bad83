/**
 * Findings of a growing trace (core/live/liveFindings) and how the live feed
 * carries them: the real analysis on a trace that deadlocks while it grows,
 * the pass rate bounded by time and by the analysis's own cost, the version
 * moving only when the list changes, a failing pass keeping the last answer,
 * and the feed sending the findings with the snapshot and after the rows they
 * name, only when they changed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Finding } from '../../src/core/analysis/finding';
import { LiveBatches } from '../../src/core/live/liveBatches';
import { LiveFeed } from '../../src/core/live/liveFeed';
import { LiveFindings } from '../../src/core/live/liveFindings';
import { K } from '../../src/core/trace/recordKinds';
import { TraceStore } from '../../src/core/trace/traceStore';
import type { HostToWebview, RunState } from '../../src/protocol';

const MS = 1e6;

/** Two threads of one process, each holding a lock; `deadlock()` makes each wait for the other's. */
function twoThreads() {
  const store = new TraceStore();
  const p = store.addProcess({ pid: 10, ppid: 1, parentPid: 1, name: 'app.py', argv: [], python: '3.12', startTs: 0, endTs: 0, exited: false,
    exitCode: null, signal: null, internal: false, wallNsAtStart: null, mainThread: 0 });
  for (const name of ['one', 'two']) {
    store.addThread({ process: p.index, pid: 10, ident: store.threads.length + 1, nativeId: 11 + store.threads.length, name, startTs: 0, endTs: NaN,
      daemon: false, internal: false, main: false, exception: null });
  }
  store.objects.set(1, { id: 1, type: 'Lock', label: 'lock_a', pid: 10, site: -1 });
  store.objects.set(2, { id: 2, type: 'Lock', label: 'lock_b', pid: 10, site: -1 });
  const site = store.addSite('/app.py', 7, 'one');
  store.push(K.LOCK_HOLD, 1 * MS, NaN, 0, 1, site, 0, 0);
  store.push(K.LOCK_HOLD, 2 * MS, NaN, 1, 2, site, 0, 0);
  return {
    store,
    deadlock(): void {
      store.push(K.LOCK_WAIT, 3 * MS, NaN, 0, 2, site, 0, 0);
      store.push(K.LOCK_WAIT, 4 * MS, NaN, 1, 1, site, 0, 0);
    },
  };
}

test('the real analysis on a growing trace: nothing, then the deadlock as soon as the cycle closes', () => {
  const { store, deadlock } = twoThreads();
  let now = 0;
  const live = new LiveFindings(() => store, { now: () => now });
  assert.equal(live.poll(), false);
  assert.equal(live.list.length, 0);
  assert.equal(live.version, 0);
  deadlock();
  now += 600;
  // The run clock 300 ms past the second wait: the engine's hold-back (rows of other
  // processes may still arrive) has passed.
  assert.equal(live.poll(false, { now: 304 * MS }), true, 'the list changed');
  assert.equal(live.version, 1);
  // The two locks taken in opposite orders are also a lock-order inversion.
  assert.deepEqual(live.list.map((f) => f.kind), ['deadlock', 'lock-order-inversion']);
  assert.equal(live.rows, store.length);
});

test('passes are at most every minIntervalMs, and never more than maxShare of the time; force runs as soon as the trace changed', () => {
  const store = new TraceStore();
  let now = 0;
  let passes = 0;
  let cost = 0;
  const live = new LiveFindings(() => store, {
    now: () => now,
    minIntervalMs: 500,
    maxShare: 0.1,
    analysis: () => ({
      update: () => {
        passes++;
        // The pass "costs" `cost` ms on the view's clock.
        now += cost;
        return [];
      },
    }),
  });
  const grow = (): number => store.push(K.SLEEP, store.length, store.length, 0, 0, -1, 0, 0);
  grow();
  live.poll();
  assert.equal(passes, 1);
  grow();
  now = 499;
  live.poll();
  assert.equal(passes, 1, 'too soon');
  now = 500;
  live.poll();
  assert.equal(passes, 2);
  now = 10_000;
  live.poll();
  assert.equal(passes, 2, 'the trace did not change: no pass');
  cost = 80;
  grow();
  live.poll();
  assert.equal(passes, 3);
  assert.ok(live.lastMs >= 80);
  grow();
  now += 600;
  live.poll();
  assert.equal(passes, 3, 'an 80 ms pass waits ~800 ms');
  now += 300;
  live.poll();
  assert.equal(passes, 4);
  cost = 0;
  grow();
  live.poll(true);
  assert.equal(passes, 5, 'forced: at once');
});

test('the version moves only when the list changes; a failing pass keeps the last list', () => {
  const store = new TraceStore();
  let answer: Finding[] | Error = [];
  let now = 0;
  const errors: unknown[] = [];
  const live = new LiveFindings(() => store, {
    now: () => now, onError: (e) => errors.push(e),
    analysis: () => ({
      update: () => {
        if (answer instanceof Error) throw answer;
        return answer;
      },
    }),
  });
  const tick = (): boolean => {
    store.push(K.SLEEP, store.length, store.length, 0, 0, -1, 0, 0);
    now += 1000;
    return live.poll();
  };
  assert.equal(tick(), false);
  const f = { id: 'x', kind: 'unjoined', severity: 'info', message: 'm', explanation: 'e', parties: [], objects: [], sites: [],
    window: { startTs: 0, endTs: 1 }, events: [], edges: [] } as Finding;
  answer = [f];
  assert.equal(tick(), true);
  assert.equal(live.version, 1);
  answer = [{ ...f }];
  assert.equal(tick(), false, 'the same findings again');
  answer = [{ ...f, window: { startTs: 0, endTs: 2 } }];
  assert.equal(tick(), true, 'a finding that grew is a change');
  assert.equal(live.version, 2);
  answer = new Error('half-written trace');
  assert.equal(tick(), false);
  assert.equal(errors.length, 1);
  assert.equal(live.list[0].window.endTs, 2, 'the last answer stays');
});

test('the feed sends the findings with the snapshot, then after the rows they name, only when they changed', () => {
  const { store, deadlock } = twoThreads();
  let now = 0;
  const live = new LiveFindings(() => store, { now: () => now });
  const posted: HostToWebview[] = [];
  const state: RunState = { status: 'running', title: 't', nowTs: 0 };
  const feed = new LiveFeed({
    batches: new LiveBatches(store), state: () => state, intervalMs: 1e6, findings: () => live,
    post: (m) => {
      posted.push(JSON.parse(JSON.stringify(m)) as HostToWebview);
      return true;
    },
  });
  live.poll();
  feed.ready();
  assert.equal(posted[0].type, 'snapshot');
  assert.deepEqual((posted[0] as { findings?: Finding[] }).findings, [], 'the snapshot says: none so far');
  feed.tick();
  assert.equal(posted.length, 2, 'an append (running), no findings message: nothing changed');
  assert.equal(posted[1].type, 'append');
  deadlock();
  now += 1000;
  assert.ok(live.poll(false, { now: 304 * MS }));
  feed.tick();
  const types = posted.slice(2).map((m) => m.type);
  assert.deepEqual(types, ['append', 'findings'], 'the rows first, then the findings that name them');
  const msg = posted.at(-1) as { findings: Finding[]; rows: number };
  assert.equal(msg.findings[0].kind, 'deadlock');
  assert.equal(msg.rows, store.length);
  const sentRows = (posted.slice(0, -1) as { columns: { kind: number[] } }[]).reduce((n, m) => n + m.columns.kind.length, 0);
  assert.ok(Math.max(...msg.findings[0].events) < sentRows, 'every row it names was sent before it');
  feed.tick();
  assert.equal(posted.filter((m) => m.type === 'findings').length, 1, 'not sent again');
  // A reloaded page gets them in its snapshot.
  feed.ready();
  assert.equal((posted.at(-1) as { findings?: Finding[] }).findings?.[0].kind, 'deadlock');
  feed.dispose();
});

test('a hang adds no events: the run clock moving on still brings a pass (told `now`); the end brings one `final` pass', () => {
  const store = new TraceStore();
  store.push(K.SLEEP, 0, 1, 0, 0, -1, 0, 0);
  let wall = 0;
  const told: { final?: boolean; now?: number }[] = [];
  const live = new LiveFindings(() => store, {
    now: () => wall, minIntervalMs: 500,
    analysis: () => ({ update: (o = {}) => (told.push(o), []) }),
  });
  live.poll(false, { now: 1000 * MS });
  assert.equal(told.length, 1);
  wall += 600;
  live.poll(false, { now: 1100 * MS });
  assert.equal(told.length, 1, 'the clock moved less than the interval');
  live.poll(false, { now: 1600 * MS });
  assert.equal(told.length, 2, 'no new event, but 600 ms later on the run clock');
  assert.deepEqual(told[1], { now: 1600 * MS });
  live.poll(false, { final: true });
  live.poll(true, { final: true });
  assert.deepEqual(told.slice(2), [{ final: true }], 'one final pass, even right after the last one');
  live.poll(true);
  assert.equal(told.length, 3, 'nothing changed since');
});
