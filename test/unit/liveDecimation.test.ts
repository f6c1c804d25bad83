import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AppendMessage, HostToWebview, RunState, SnapshotMessage } from '../../src/protocol';
import type { Finding } from '../../src/core/analysis/finding';
import { applyAppend, storeFromSnapshot } from '../../src/core/applyMessages';
import { LiveBatches } from '../../src/core/liveBatches';
import { decimate } from '../../src/core/liveDecimation';
import { LiveFeed } from '../../src/core/liveFeed';
import { K } from '../../src/core/recordKinds';
import { TraceStore } from '../../src/core/traceStore';

const running: RunState = { status: 'running', title: 't' };
const wire = <T>(m: T): T => JSON.parse(JSON.stringify(m)) as T;

function hostWithThreads(n: number): TraceStore {
  const s = new TraceStore();
  s.addProcess({ pid: 1, ppid: 0, parentPid: 0, name: 'a', argv: [], python: '', startTs: 0, endTs: 0, exited: false,
    exitCode: null, signal: null, internal: false, wallNsAtStart: null, mainThread: 0 });
  for (let i = 0; i < n; i++) {
    s.addThread({ process: 0, pid: 1, ident: i + 1, nativeId: i + 1, name: `t${i}`, startTs: 0, endTs: NaN, daemon: false, internal: false, main: i === 0, exception: null });
  }
  return s;
}

/** `n` closed lock holds per thread, 1 µs apart, 100 ns long. */
function holds(s: TraceStore, threads: number, n: number, t0 = s.length * 1000): void {
  for (let i = 0; i < n; i++) for (let t = 0; t < threads; t++) s.push(K.LOCK_HOLD, t0 + i * 1000 + t, t0 + i * 1000 + t + 100, t, 7, -1, 0, 0);
}

/** The view's rows are the trace's rows they stand for, field by field. */
function assertViewMatches(view: TraceStore, host: TraceStore, batches: LiveBatches): void {
  const seen = new Map<number, number>();
  for (let r = 0; r < host.length; r++) {
    const v = batches.viewRow(r);
    if (v < 0) continue;
    assert.ok(!seen.has(v), `view row ${v} stands for one trace row`);
    seen.set(v, r);
    for (const col of ['kind', 'ts', 'thread', 'obj', 'site', 'a', 'b'] as const) assert.equal(view[col][v], host[col][r], `${col} of trace row ${r}`);
    assert.ok(Object.is(view.end[v], host.end[r]) || view.end[v] === host.end[r], `end of trace row ${r}`);
  }
  assert.equal(seen.size, view.length, 'every view row stands for a trace row');
}

test('a live append over the cap carries a share of the rows, the rest summed per thread; the view matches the trace row for row', () => {
  const host = hostWithThreads(4);
  const batches = new LiveBatches(host, { maxRows: 200 });
  const view = storeFromSnapshot(wire(batches.snapshot(running)));
  holds(host, 4, 1000);
  host.push(K.LOCK_WAIT, 5_000_000, NaN, 2, 9, -1, 0, 0); // a wait going on now
  host.push(K.THREAD_EXCEPTION, 5_000_001, 5_000_001, 3, 0, -1, 0, 0);
  const msg = wire(batches.append(running) as AppendMessage);
  assert.ok(msg.columns.kind.length <= 200 + 2, `${msg.columns.kind.length} rows`);
  assert.ok(msg.columns.kind.length >= 150, 'about the cap, not far fewer');
  assert.ok(msg.omitted, 'what was left out is summed up');
  const omitted = msg.omitted.count.reduce((x, y) => x + y, 0);
  assert.equal(omitted + msg.columns.kind.length, 4002, 'every row sent or counted');
  assert.deepEqual([...new Set(msg.omitted.thread)].sort(), [0, 1, 2, 3], 'each busy thread has its share left out');
  assert.ok(msg.omitted.from.every((f, i) => f <= msg.omitted!.to[i]));
  assert.ok(msg.omitted.busy.every((b, i) => Math.abs(b - 100 * msg.omitted!.count[i]) < 1e-6), 'busy time of the holds left out');
  assert.ok(msg.columns.kind.includes(K.LOCK_WAIT), 'the open span is sent');
  assert.ok(msg.columns.kind.includes(K.THREAD_EXCEPTION), 'a thread\'s exception is sent');
  assert.deepEqual(msg.load, { eventsPerSecond: msg.load?.eventsPerSecond, traceRows: 4002, omittedRows: omitted });
  assert.ok(applyAppend(view, msg));
  assert.ok(batches.thinned);
  assertViewMatches(view, host, batches);
  // Each thread keeps rows spread over its time, not only its first ones.
  const t0Rows = [];
  for (let v = 0; v < view.length; v++) if (view.thread[v] === 0 && view.kind[v] === K.LOCK_HOLD) t0Rows.push(view.ts[v]);
  assert.ok(Math.max(...t0Rows) > 900_000, 'the end of thread 0\'s stretch is there too');
});

test('a thinned view: spans that close later are updated by their view row; those left out are not sent', () => {
  const host = hostWithThreads(1);
  const batches = new LiveBatches(host, { maxRows: 50 });
  const view = storeFromSnapshot(wire(batches.snapshot(running)));
  for (let i = 0; i < 500; i++) host.push(K.LOCK_HOLD, i * 1000, i === 250 ? NaN : i * 1000 + 10, 0, 7, -1, 0, 0);
  assert.ok(applyAppend(view, wire(batches.append(running) as AppendMessage)));
  const open = 250;
  assert.ok(batches.viewRow(open) >= 0, 'the open span was sent');
  const leftOut = [...Array(500).keys()].find((r) => batches.viewRow(r) < 0) as number;
  host.update(open, 250_500, 0, 0);
  host.update(leftOut, host.ts[leftOut] + 20, 0, 0);
  holds(host, 1, 3, 1_000_000);
  const msg = wire(batches.append(running) as AppendMessage);
  assert.deepEqual(msg.updates.row, [batches.viewRow(open)]);
  assert.ok(applyAppend(view, msg));
  assert.equal(view.end[batches.viewRow(open)], 250_500);
  assertViewMatches(view, host, batches);
});

test('under the cap nothing is thinned: rows keep their numbers and no summary is sent', () => {
  const host = hostWithThreads(2);
  const batches = new LiveBatches(host, { maxRows: 1000 });
  batches.snapshot(running);
  holds(host, 2, 100);
  const msg = batches.append(running) as AppendMessage;
  assert.equal(msg.columns.kind.length, 200);
  assert.equal(msg.omitted, undefined);
  assert.equal(batches.thinned, false);
  assert.equal(batches.viewRow(150), 150);
});

test('the event rate is the trace\'s growth over about the last second', () => {
  const host = hostWithThreads(1);
  let now = 0;
  const batches = new LiveBatches(host, { maxRows: 1e9, now: () => now });
  batches.snapshot(running);
  for (let step = 1; step <= 30; step++) {
    now = step * 100;
    holds(host, 1, 5000); // 5000 rows per 100 ms
    const msg = batches.append(running) as AppendMessage;
    if (step > 12) assert.equal(msg.load?.eventsPerSecond, 50_000);
  }
  assert.equal(batches.append({ status: 'exited', title: 't' })?.load, undefined, 'no rate once the run is over');
});

function finding(rows: number[]): Finding {
  return {
    id: 'f1', kind: 'data-race', severity: 'error', message: 'm', explanation: 'e', parties: [], objects: [],
    sites: [{ file: 'a.py', line: 1, role: 'reads', row: rows[0] }, { file: 'a.py', line: 2, role: 'no row' }],
    window: { startTs: 0, endTs: 1 }, events: rows, edges: [{ fromRow: rows[0], toRow: rows[1], label: 'not ordered' }],
  };
}

test('rows a finding names reach a thinned view, and the finding comes in the view\'s numbers', () => {
  const host = hostWithThreads(1);
  let list: Finding[] = [];
  let version = 0;
  const posted: HostToWebview[] = [];
  const batches = new LiveBatches(host, { maxRows: 20 });
  const feed = new LiveFeed({
    batches, post: (m) => { posted.push(wire(m)); return true; }, state: () => running, intervalMs: 1e6,
    findings: () => ({ list, version, rows: host.length }),
  });
  feed.ready();
  for (let i = 0; i < 400; i++) host.push(K.SHARED_WRITE, i * 1000, i * 1000, 0, 9, -1, 0, i);
  feed.tick();
  const [a, b] = [...Array(400).keys()].filter((r) => batches.viewRow(r) < 0).slice(0, 2);
  assert.ok(a !== undefined && b !== undefined, 'rows were left out');
  list = [finding([a, b])];
  version++;
  feed.tick();
  const view = storeFromSnapshot(posted[0] as SnapshotMessage);
  for (const m of posted.slice(1)) if (m.type === 'append') assert.ok(applyAppend(view, m));
  const f = posted.filter((m) => m.type === 'findings').pop();
  assert.ok(f && f.type === 'findings');
  const [fa, fb] = f.findings[0].events;
  assert.equal(view.b[fa], a, 'the view row of the first access');
  assert.equal(view.b[fb], b);
  assert.deepEqual(f.findings[0].edges.map((e) => [e.fromRow, e.toRow]), [[fa, fb]]);
  assert.equal(f.findings[0].sites[0].row, fa);
  assert.equal(f.findings[0].sites[1].row, undefined);
  assert.equal(f.rows, view.length);
  feed.dispose();
});

test('once the run of a thinned view is over, the view gets the whole trace as a snapshot', () => {
  const host = hostWithThreads(2);
  let state: RunState = running;
  const posted: HostToWebview[] = [];
  const feed = new LiveFeed({ batches: new LiveBatches(host, { maxRows: 30 }), post: (m) => { posted.push(wire(m)); return true; }, state: () => state, intervalMs: 1e6 });
  feed.ready();
  holds(host, 2, 300);
  feed.tick();
  assert.ok((posted[1] as AppendMessage).omitted);
  state = { status: 'exited', title: 't', exitCode: 0 };
  feed.finish();
  const last = posted[posted.length - 1] as SnapshotMessage;
  assert.equal(last.type, 'snapshot');
  assert.equal(last.columns.kind.length, 600);
  assert.equal(last.omitted, undefined);
  assert.deepEqual(storeFromSnapshot(last).columns(), host.columns());
});

test('decimate keeps each stretch\'s longest span, so a long hold among many short ones survives', () => {
  const host = hostWithThreads(1);
  for (let i = 0; i < 1000; i++) host.push(K.LOCK_HOLD, i * 1000, i * 1000 + (i === 777 ? 900 : 5), 0, 7, -1, 0, 0);
  const d = decimate(host, 0, host.length, 10);
  assert.ok(d.rows.length <= 10);
  assert.ok(d.rows.includes(777));
  assert.equal(d.omittedCount + d.rows.length, 1000);
  assert.deepEqual(d.rows, [...d.rows].sort((x, y) => x - y), 'in trace order');
});

test('decimate shares the room fairly: a quiet thread keeps all its rows next to a busy one', () => {
  const host = hostWithThreads(2);
  for (let i = 0; i < 2000; i++) host.push(K.LOCK_HOLD, i, i + 1, 0, 7, -1, 0, 0);
  for (let i = 0; i < 5; i++) host.push(K.LOCK_HOLD, i, i + 1, 1, 7, -1, 0, 0);
  const d = decimate(host, 0, host.length, 100);
  assert.equal(d.rows.filter((r) => host.thread[r] === 1).length, 5);
  assert.ok(d.rows.filter((r) => host.thread[r] === 0).length <= 95);
});
