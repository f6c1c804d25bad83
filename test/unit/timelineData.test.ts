/** The timeline's data side (pure, no DOM): lane indexes, layout, search, time window. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { K } from '../../src/core/trace/recordKinds';
import { TraceStore } from '../../src/core/trace/traceStore';
import { firstSpanEndingAfter, LaneSpans, RowList } from '../../webview/data/laneIndex';
import { layoutLanes, rowAt } from '../../webview/data/laneLayout';
import { compileQuery, NO_QUERY } from '../../webview/data/search';
import { eventLabel } from '../../webview/data/spanKinds';
import { TimelineData } from '../../webview/data/timelineData';
import { TimeView } from '../../webview/timeView';
import { buildCpuModel, phases, stepAt, type Steps } from '../../webview/data/cpuModel';

function storeWith(processes: [pid: number, parent: number, internal?: boolean][]): TraceStore {
  const s = new TraceStore();
  for (const [pid, parent, internal] of processes) {
    const p = s.addProcess({ pid, ppid: parent, parentPid: parent, name: `p${pid}`, argv: [], python: '', startTs: pid, endTs: 1000, exited: true, exitCode: 0, signal: null, internal: !!internal, wallNsAtStart: null, mainThread: -1 });
    const t = s.addThread({ process: p.index, pid, ident: 1, nativeId: pid, name: 'MainThread', startTs: pid, endTs: 1000, daemon: false, internal: false, main: true, exception: null });
    p.mainThread = t.index;
  }
  return s;
}

test('spans stack by nesting; each level is disjoint and searchable', () => {
  const s = storeWith([[1, 0]]);
  const spans = new LaneSpans();
  const add = (ts: number, end: number): number => {
    const r = s.push(K.LOCK_HOLD, ts, end, 0, 1, -1, 0, 0);
    spans.add(s, r);
    return r;
  };
  add(0, 100); // outer hold
  add(10, 20); // nested
  add(30, 90); // nested
  add(40, 50); // nested twice
  add(100, 110); // after the outer ends: back to level 0
  assert.deepEqual(spans.levels.map((l) => Array.from(l.rows.subarray(0, l.n))), [[0, 4], [1, 2], [3]]);
  assert.equal(firstSpanEndingAfter(s, spans.levels[1], 25, 1e9), 1, 'skips the span that ended before 25');
  assert.equal(firstSpanEndingAfter(s, spans.levels[1], 15, 1e9), 0, 'the span around 15');
  // An open span (NaN end) encloses everything after it.
  const open = s.push(K.LOCK_HOLD, 200, NaN, 0, 1, -1, 0, 0);
  spans.add(s, open);
  add(210, 220);
  assert.equal(spans.levels[1].rows[spans.levels[1].n - 1], s.length - 1);
});

test('a span that arrives out of order re-stacks its lane', () => {
  const s = storeWith([[1, 0]]);
  const spans = new LaneSpans();
  for (const [ts, end] of [[10, 20], [30, 40], [0, 50]]) spans.add(s, s.push(K.SLEEP, ts, end, 0, 0, -1, 0, 0));
  assert.deepEqual(spans.levels.map((l) => Array.from(l.rows.subarray(0, l.n))), [[2], [0, 1]]);
  assert.deepEqual(spans.rows(s), [2, 0, 1]);
});

test('row lists stay sorted when rows of another process arrive late', () => {
  const l = new RowList();
  for (const [row, t] of [[0, 10], [1, 30], [2, 20], [3, 5], [4, 40]]) l.push(row, t);
  assert.deepEqual(Array.from(l.ts.subarray(0, l.n)), [5, 10, 20, 30, 40]);
  assert.deepEqual(Array.from(l.rows.subarray(0, l.n)), [3, 0, 2, 1, 4]);
  assert.equal(l.lowerBound(20), 2);
  assert.equal(l.upperBound(20), 3);
});

test('asyncio tasks that do not overlap share a lane; overlapping ones get their own', () => {
  const s = storeWith([[1, 0]]);
  const name = (n: string): number => s.intern(n);
  const task = (id: number, from: number, to: number): void => {
    s.push(K.ASYNC_CREATE, from, from, 0, id, -1, name(`t${id}`), name('coro'));
    s.push(K.ASYNC_RUN, from + 1, from + 2, 0, id, -1, 0, 0);
    s.push(K.ASYNC_END, to, to, 0, id, -1, 1, 0);
  };
  task(10, 0, 10);
  task(11, 5, 20); // overlaps 10
  task(12, 12, 30); // after 10 ended: reuses its lane
  const data = new TimelineData(s);
  data.index();
  const lanes = data.threadLanes[0].tasks;
  assert.deepEqual(lanes.map((l) => l.tasks.map((t) => t.name)), [['t10', 't12'], ['t11']]);
  const run = s.rowsOf(K.ASYNC_RUN)[2];
  assert.equal(eventLabel(s, run, (r) => data.taskName(r)), 't12');
  const layout = layoutLanes(data, { collapsed: new Set(), opened: new Set(), showHelpers: true, query: NO_QUERY });
  assert.deepEqual(layout.rows.map((r) => r.label), ['p1', 'MainThread', 'asyncio tasks (2)', 't11']);
});

test('indexing is incremental and reports when lanes change', () => {
  const s = storeWith([[1, 0]]);
  const data = new TimelineData(s);
  data.index();
  s.push(K.SLEEP, 10, 20, 0, 0, -1, 0, 0);
  assert.equal(data.index(), false, 'a span on an existing level: same layout');
  s.push(K.LOCK_HOLD, 12, 15, 0, 1, -1, 0, 0);
  assert.equal(data.index(), true, 'a nested span adds a level');
  s.push(K.SAMPLE_CORE, 30, 30, -1, 1, -1, 50, 0);
  assert.equal(data.index(), true, 'a new core');
  assert.equal(data.coreSamples.length, 2);
  assert.equal(data.indexed, s.length);
});

test('processes nest under the process that started them; one with a single thread is one row; collapsing moves arrows up', () => {
  const s = storeWith([[1, 0], [2, 1], [3, 2], [4, 1, true]]);
  const data = new TimelineData(s);
  data.index();
  const opts = { collapsed: new Set<number>(), opened: new Set<string>(), showHelpers: true, query: NO_QUERY };
  const open = layoutLanes(data, opts);
  assert.deepEqual(open.rows.map((r) => `${r.kind}:${r.label}:${r.indent}${r.processRow ? ':as process' : ''}`),
    ['thread:p1:0:as process', 'thread:p2:1:as process', 'thread:p3:2:as process', 'helpers:1 helper process:1', 'thread:p4:2:as process']);
  assert.equal(open.rows[4].dim, true, 'helper process dimmed');
  assert.equal(open.processRow[1], 1);
  assert.equal(rowAt(open, open.rows[3].y + 1), 3);
  const folded = layoutLanes(data, { ...opts, showHelpers: false });
  assert.deepEqual(folded.rows.map((r) => r.label), ['p1', 'p2', 'p3', '1 helper process'], 'helper processes are folded by default');
  assert.equal(folded.anchor[3], 3, 'the folded helper’s thread attaches to its group');
  const collapsed = layoutLanes(data, { ...opts, collapsed: new Set([1]) });
  assert.deepEqual(collapsed.rows.map((r) => r.label), ['p1', 'p2', '1 helper process', 'p4']);
  assert.equal(collapsed.rows[1].collapsed, true);
  assert.equal(collapsed.anchor[2], 1, 'the grandchild’s thread attaches to p2’s row');
  // A parent-pid cycle does not hang and still shows everyone.
  s.processes[0].parentPid = 3;
  assert.equal(layoutLanes(data, opts).rows.filter((r) => r.processRow || r.kind === 'process').length, 4);
});

test('my code first: a process\'s helper threads are folded into one row under its own threads, unfolded on demand', () => {
  const s = storeWith([[1, 0]]);
  const p = s.processes[0];
  const add = (name: string, internal: boolean): number => s.addThread({ process: p.index, pid: 1, ident: s.threads.length + 10, nativeId: 100 + s.threads.length, name, startTs: 5, endTs: NaN, daemon: true, internal, main: false, exception: null }).index;
  const feeder = add('QueueFeederThread', true);
  add('worker-1', false);
  add('Thread-3 (_handle_results)', true);
  const data = new TimelineData(s);
  data.index();
  const opts = { collapsed: new Set<number>(), opened: new Set<string>(), showHelpers: false, query: NO_QUERY };
  const l = layoutLanes(data, opts);
  assert.deepEqual(l.rows.map((r) => `${r.kind}:${r.label}`), ['process:p1', 'thread:MainThread', 'thread:worker-1', 'helpers:2 helper threads']);
  assert.match(l.rows[3].detail, /queue feeder, Pool's result handler/);
  assert.equal(l.anchor[feeder], 3, 'a folded helper’s arrows attach to the group');
  const unfolded = layoutLanes(data, { ...opts, opened: new Set([l.rows[3].key]) });
  assert.deepEqual(unfolded.rows.slice(3).map((r) => `${r.kind}:${r.label}:${r.dim}`), ['helpers:2 helper threads:true', 'thread:queue feeder:true', "thread:Pool's result handler:true"]);
});

test('a program the trace saw started but that wrote no trace gets a row under its parent', () => {
  const s = storeWith([[1, 0]]);
  s.push(K.CHILD_PROCESS, 10, 10, 0, 4242, -1, s.intern('["uname","-p"]'), 0);
  s.push(K.PROCESS_JOIN, 11, 20, 0, 4242, -1, 0, 1);
  const data = new TimelineData(s);
  data.index();
  const l = layoutLanes(data, { collapsed: new Set(), opened: new Set(), showHelpers: false, query: NO_QUERY });
  const row = l.rows.find((r) => r.kind === 'program');
  assert.ok(row, l.rows.map((r) => r.label).join(', '));
  assert.equal(row.label, 'uname -p');
  assert.match(row.detail, /pid 4242 · not traced · exit 0/);
});

test('the trace\'s time is the program\'s: samples before and after it are not part of the fit', () => {
  const s = storeWith([[1, 0]]);
  s.push(K.SAMPLE_CORE, 1, 1, -1, 0, -1, 50, 0);
  s.push(K.SLEEP, 100, 200, 0, 0, -1, 0, 0);
  s.push(K.SAMPLE_CORE, 5000, 5000, -1, 0, -1, 50, 0);
  const data = new TimelineData(s);
  data.index();
  assert.equal(data.startTime(), 1, 'the process starts at 1 (storeWith)');
  assert.equal(data.endTime(), 1000, 'the process’s end, not the sample at 5000');
});

test('search keeps lanes by name, or by the objects and kinds of their events', () => {
  const s = storeWith([[1, 0], [2, 1]]);
  s.objects.set(77, { id: 77, type: 'Lock', label: 'db_lock', pid: 1, site: -1 });
  s.push(K.LOCK_HOLD, 10, 20, 1, 77, -1, 0, 0);
  const data = new TimelineData(s);
  data.index();
  const labels = (text: string): string[] => layoutLanes(data, { collapsed: new Set(), opened: new Set(), showHelpers: true, query: compileQuery(s, text) }).rows.map((r) => `${r.label}${r.filterEvents ? '*' : ''}`);
  assert.deepEqual(labels('p2'), ['p1', 'p2']);
  assert.deepEqual(labels('db_lock'), ['p1', 'p2*']);
  assert.deepEqual(labels('lock.acquire'), ['p1', 'p2*']);
  assert.deepEqual(labels('nothing'), []);
});

test('the time window stays inside the trace and follows a live end', () => {
  const v = new TimeView();
  v.width = 1000;
  v.setDomain(0, 1e6);
  v.show(-5, 2e6);
  assert.deepEqual([v.v0, v.v1], [0, 1e6]);
  v.setDomain(0, 2e6);
  assert.deepEqual([v.v0, v.v1], [0, 2e6], 'a full view stays full');
  v.show(1.5e6, 2e6);
  v.setDomain(0, 3e6);
  assert.deepEqual([v.v0, v.v1], [2.5e6, 3e6], 'a view at the end follows it');
  v.show(1e6, 1.5e6);
  v.setDomain(0, 4e6);
  assert.deepEqual([v.v0, v.v1], [1e6, 1.5e6], 'a view elsewhere stays');
  v.show(1e6, 1e6 + 10);
  assert.equal(v.v1 - v.v0, 1000, 'no narrower than 1 µs');
  assert.equal(v.x(v.v0 + 500), 500);
});

test('a span that closes after later spans arrived no longer holds them up a level', () => {
  const s = storeWith([[1, 0]]);
  const data = new TimelineData(s);
  const hold = s.push(K.LOCK_HOLD, 10, NaN, 0, 1, -1, 0, 0); // arrives open
  s.push(K.SLEEP, 30, 40, 0, 0, -1, 0, 0); // started after the hold ended, arrives before its end
  data.index();
  assert.equal(data.threadLanes[0].spans.depth, 2, 'stacked on the open hold for now');
  s.update(hold, 20, 0, 0);
  assert.equal(data.index(), true, 'the lane got lower');
  assert.equal(data.threadLanes[0].spans.depth, 1);
});

test('CPU stretches in words: threads starting one after another do not split the stretch they start', () => {
  const steps = (pairs: [number, number][]): Steps => ({ t: Float64Array.from(pairs.map((p) => p[0])), v: Int32Array.from(pairs.map((p) => p[1])), max: Math.max(...pairs.map((p) => p[1])) });
  // 1 thread, then 4 starting 10 apart, 4 for a long time, a blip of 5, then 1 again.
  const want = steps([[0, 1], [100, 2], [110, 3], [120, 4], [130, 5], [135, 4], [600, 1]]);
  // Boundaries are read at a few points per minimum stretch (here every 50 / 6 ns): within one of them.
  const near = (out: { t0: number; t1: number; threads: number }[], want: [number, number, number][]): void => {
    assert.equal(out.length, want.length, JSON.stringify(out));
    out.forEach((p, i) => {
      assert.equal(p.threads, want[i][2]);
      assert.ok(Math.abs(p.t0 - want[i][0]) <= 50 / 6 + 1e-6 && Math.abs(p.t1 - want[i][1]) <= 50 / 6 + 1e-6, JSON.stringify(out));
    });
  };
  near(phases(want, undefined, 0, 1000, 50), [[0, 100, 1], [100, 600, 4], [600, 1000, 1]]);
  // Changes all shorter than the minimum, together long enough: one stretch of the value that held longest.
  const busy = steps([[0, 2], [20, 3], [60, 2], [80, 3], [120, 0]]);
  near(phases(busy, undefined, 0, 200, 50), [[0, 120, 3], [120, 200, 0]]);
  assert.deepEqual(phases(want, undefined, 5, 5, 50), []);
});

test('threads wanting CPU: alive and not in a recorded wait; a pool worker only inside its tasks', () => {
  const s = storeWith([[1, 0], [2, 1]]);
  const t2 = s.addThread({ process: 0, pid: 1, ident: 7, nativeId: 77, name: 'worker-1', startTs: 100, endTs: 600, daemon: false, internal: false, main: false, exception: null }).index;
  // The main thread (1..1000) joins worker-1 from 100 to 600; worker-1 sleeps 200..300.
  s.push(K.THREAD_JOIN, 100, 600, 0, 7, -1, 1, 0);
  s.push(K.SLEEP, 200, 300, t2, 0, -1, 0, 0);
  // Process 2 is a Pool(2) worker: it wants CPU inside its task (700..900) but not in the task's sleep (750..800).
  s.objects.set(9, { id: 9, type: 'Pool', label: 'Pool(2)', pid: 1, site: -1 });
  s.push(K.PROCESS_SPAWN, 50, 60, 0, 2, -1, 9, 0);
  s.push(K.TASK_RUN, 700, 900, 1, 5, -1, 0, 0);
  s.push(K.SLEEP, 750, 800, 1, 0, -1, 0, 0);
  const data = new TimelineData(s);
  data.index();
  const m = buildCpuModel(data, 1000);
  const at = (t: number): number => stepAt(m.want, t);
  assert.deepEqual([at(50), at(150), at(250), at(400), at(650), at(720), at(760), at(850), at(950)], [1, 1, 0, 1, 1, 2, 1, 2, 1]);
  assert.equal(stepAt(m.wantProcesses, 720), 2, 'the program and its pool worker');
  assert.equal(stepAt(m.processWant.get(0)!, 150), 1, 'the main process: worker-1 while main joins');
});
