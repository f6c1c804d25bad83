/**
 * A library's machinery folded away: threads the runtime flagged as running a library's code and
 * asyncio tasks running a library's coroutine, from the raw records (ingest) to the words (naming)
 * and the rows (laneLayout): the user's threads and tasks first, one "library: …" row per process.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Naming, objectLibrary, packageOfFile } from '../../src/core/naming/index';
import { RecordBatch } from '../../src/core/run/eventFile';
import { ProcessIngest } from '../../src/core/run/ingest';
import { K } from '../../src/core/trace/recordKinds';
import { TraceStore } from '../../src/core/trace/traceStore';
import { layoutLanes, type LayoutOptions } from '../../webview/data/laneLayout';
import { placeRow } from '../../webview/data/rowPlace';
import { compileQuery, NO_QUERY } from '../../webview/data/search';
import { TimelineData } from '../../webview/data/timelineData';

const PKG = '/usr/lib/python3/dist-packages';

test('a package is read from a code file as the runtime reads it: vendored copies by their own name', () => {
  assert.equal(packageOfFile(`${PKG}/distributed/utils.py`), 'distributed');
  assert.equal(packageOfFile(`${PKG}/joblib/externals/loky/process_executor.py`), 'loky');
  assert.equal(packageOfFile('/venv/lib/python3.11/site-packages/six.py'), 'six');
  assert.equal(packageOfFile('/home/me/work/site_packages_notes.py'), '');
  assert.equal(packageOfFile('/usr/lib/python3.11/threading.py'), '');
});

/** The records of one traced process, as the collector hands them to ingest. */
function ingestRecords(): TraceStore {
  const store = new TraceStore();
  const ing = new ProcessIngest(store, 42);
  ing.addBlobs([[1, 'MainThread'], [2, 'IO loop'], [3, 'distributed'], [4, '{}'], [5, 'Task-1'], [6, 'main'], [7, 'Task-2'], [8, 'Worker.heartbeat'], [10, 'mine']]);
  const b = new RecordBatch();
  let off = 0;
  const rec = (kind: number, ts: number, ident: number, obj: number, endRaw: number, a: number, bv: number): void => {
    b.push((off += 64), kind, ts, ident, obj, 0, endRaw === 0 ? 0 : ts, endRaw, a, bv);
  };
  rec(K.PROCESS_START, 1, 100, 42, 0, 1, 4);
  rec(K.THREAD_START, 1, 100, 42, 0, 1, 0);
  rec(K.THREAD_START, 2, 200, 43, 0, 2, 1 | 4 | (3 << 3)); // daemon, library "distributed"
  rec(K.THREAD_START, 3, 300, 44, 0, 10, 4); // library flag from a runtime that wrote no package
  rec(K.ASYNC_CREATE, 4, 100, 7001, 0, 5, 6); // the program's task
  rec(K.ASYNC_CREATE, 5, 200, 7002, 3, 7, 8); // distributed's heartbeat: end = the package's blob
  ing.ingest(b);
  return store;
}

test('ingest carries the library flag and package of a thread, and marks a library\'s asyncio task', () => {
  const s = ingestRecords();
  const byName = new Map(s.threads.map((t) => [t.name, t]));
  assert.equal(byName.get('MainThread')?.library, undefined);
  assert.equal(byName.get('IO loop')?.library, 'distributed');
  assert.equal(byName.get('IO loop')?.daemon, true);
  assert.equal(byName.get('mine')?.library, 'library');
  // The stored THREAD_START keeps its flags only (the package blob is this process's string id).
  const io = s.rowsOf(K.THREAD_START).find((r) => s.threads[s.thread[r]].name === 'IO loop')!;
  assert.equal(s.b[io], 5);
  assert.equal(s.objects.get(7002)?.library, 'distributed', 'the package named by ASYNC_CREATE end');
  assert.equal(s.objects.get(7002)?.type, 'asyncio.Task');
  assert.equal(s.objects.has(7001), false, 'the program\'s task is no library object');
  const create = s.rowsOf(K.ASYNC_CREATE);
  assert.deepEqual(create.map((r) => s.end[r] === s.ts[r]), [true, true], 'a point stays a point');
});

/**
 * A dask-like process: MainThread with a task of the program's and two of the library's, an
 * "IO loop" thread of distributed with its own tasks, a dask worker thread (a library's, but it runs
 * the user's work), a user thread, a queue feeder (standard library). A second, plain process.
 */
function daskLike(): TraceStore {
  const s = new TraceStore();
  const p = s.addProcess({ pid: 1, ppid: 0, parentPid: 0, name: 'cluster.py', argv: [], python: '', startTs: 0, endTs: 1000, exited: true, exitCode: 0, signal: null, internal: false, wallNsAtStart: null, mainThread: -1 });
  const thread = (name: string, extra: { library?: string; internal?: boolean; main?: boolean }): number => s.addThread({
    process: p.index, pid: 1, ident: s.threads.length + 1, nativeId: 10 + s.threads.length, name, startTs: 1, endTs: 900, daemon: !extra.main,
    internal: !!extra.internal, ...(extra.library ? { library: extra.library } : {}), main: !!extra.main, exception: null,
  }).index;
  const main = thread('MainThread', { main: true });
  p.mainThread = main;
  const loop = thread('IO loop', { library: 'distributed' });
  thread('Dask-Default-Threads-1-0', { library: 'distributed' });
  thread('reporter', {});
  thread('QueueFeederThread', { internal: true });
  const sp = s.addSite(`${PKG}/distributed/comm/core.py`, 10, 'connect');
  const mine = s.addSite('/home/me/cluster.py', 5, '<module>');
  s.objects.set(500, { id: 500, type: 'Lock', label: 'self._lock', pid: 1, site: sp });
  s.objects.set(501, { id: 501, type: 'Lock', label: 'lock', pid: 1, site: mine });
  const task = (th: number, id: number, t0: number, t1: number, name: string, library?: string): void => {
    if (library) s.objects.set(id, { id, type: 'asyncio.Task', label: '', pid: 1, site: -1, library });
    s.push(K.ASYNC_CREATE, t0, t0, th, id, -1, s.intern(name), s.intern(`${name}_coro`));
    s.push(K.ASYNC_RUN, t0 + 1, t0 + 2, th, id, -1, 0, 0);
    s.push(K.ASYNC_END, t1, t1, th, id, -1, 1, 0);
  };
  task(main, 900001, 10, 100, 'main');
  task(main, 900002, 20, 30, 'heartbeat', 'distributed'); // overlaps main: its own lane, never main's
  task(main, 900003, 40, 50, 'heartbeat2', 'distributed');
  task(loop, 900004, 10, 20, 'handle_comm', 'tornado');
  task(loop, 900005, 15, 25, 'gather_dep', 'distributed');
  s.push(K.LOCK_HOLD, 60, 70, loop, 500, -1, 0, 0);
  s.push(K.LOCK_WAIT, 55, 60, main, 500, -1, 1, 0); // the user's wait in a library lock: the user's story
  // A second process with one thread of its own.
  const q = s.addProcess({ pid: 2, ppid: 1, parentPid: 1, name: 'worker.py', argv: [], python: '', startTs: 5, endTs: 1000, exited: true, exitCode: 0, signal: null, internal: false, wallNsAtStart: null, mainThread: -1 });
  q.mainThread = s.addThread({ process: q.index, pid: 2, ident: 1, nativeId: 99, name: 'MainThread', startTs: 5, endTs: 900, daemon: false, internal: false, main: true, exception: null }).index;
  return s;
}

const OPTS: LayoutOptions = { collapsed: new Set(), opened: new Set(), showHelpers: false, query: NO_QUERY };

test('naming: a flagged thread is its library\'s helper (dask for distributed); a dask worker thread stays a worker', () => {
  const s = daskLike();
  const n = new Naming(s).update();
  const w = (name: string) => n.words.thread(s.threads.find((t) => t.name === name)!);
  assert.deepEqual([w('IO loop').helper, w('IO loop').library, w('IO loop').helperOf], [true, 'dask', 'dask']);
  assert.deepEqual([w('Dask-Default-Threads-1-0').role, w('Dask-Default-Threads-1-0').library], ['worker', '']);
  assert.deepEqual([w('reporter').role, w('reporter').library], ['user', '']);
  assert.deepEqual([w('QueueFeederThread').helper, w('QueueFeederThread').library], [true, '']);
  // A trace made before the flag: dask's threads still known by name.
  s.threads.find((t) => t.name === 'IO loop')!.library = undefined;
  assert.equal(new Naming(s).update().words.thread(s.threads.find((t) => t.name === 'IO loop')!).library, 'dask');
  assert.equal(objectLibrary(s, 500), 'dask', 'a lock made on a line of distributed is dask\'s');
  assert.equal(objectLibrary(s, 501), '', 'a lock made on the program\'s line is the program\'s');
  assert.equal(objectLibrary(s, 900005), 'dask');
  assert.equal(objectLibrary(s, 900004), 'tornado');
});

test('layout: the user\'s threads and tasks first, then one folded library row per process, then standard-library helpers', () => {
  const s = daskLike();
  const data = new TimelineData(s);
  data.index();
  const lanes = data.threadLanes[0].tasks;
  assert.deepEqual(lanes.map((l) => [l.library, l.tasks.map((t) => t.name)]), [['', ['main']], ['dask', ['heartbeat', 'heartbeat2']]],
    'a library\'s task never shares a lane with the program\'s');
  const l = layoutLanes(data, OPTS);
  assert.deepEqual(l.rows.map((r) => `${r.kind}:${r.label}`), [
    'process:cluster.py', 'thread:MainThread', 'task:main', 'thread:dask worker', 'thread:reporter',
    'helpers:library: dask, tornado (1 thread, 4 tasks)', 'helpers:1 helper thread', 'thread:worker.py',
  ]);
  const group = l.rows.findIndex((r) => r.library);
  assert.equal(l.rows[group].collapsed, true, 'folded by default');
  assert.equal(l.rows[group].key, 'l:1');
  const io = s.threads.findIndex((t) => t.name === 'IO loop');
  assert.equal(l.anchor[io], group, 'a folded library thread attaches to its group');
  assert.equal(l.folded?.[io], 1);
  assert.equal(l.folded?.[0], 0, 'MainThread is no folded thread');
  // The events of a folded library task sit on the group; the user's wait in a library lock stays on MainThread.
  const heartbeatRun = s.rowsOf(K.ASYNC_RUN)[1];
  assert.equal(placeRow(s, data, l, heartbeatRun, 1000)?.lane, group);
  const wait = s.rowsOf(K.LOCK_WAIT)[0];
  assert.equal(placeRow(s, data, l, wait, 1000)?.lane, 1);

  const open = layoutLanes(data, { ...OPTS, opened: new Set(['l:1']) });
  assert.deepEqual(open.rows.slice(group).map((r) => `${r.kind}:${r.label}:${r.dim}`), [
    'helpers:library: dask, tornado (1 thread, 4 tasks):true', 'thread:IO loop:true', 'task:handle_comm:true', 'task:gather_dep:true',
    'task:asyncio tasks (2):true', 'helpers:1 helper thread:true', 'thread:worker.py:false',
  ]);
  assert.notEqual(open.anchor[io], group, 'unfolded: its own lane');
  assert.equal(open.folded?.[io], 0, 'unfolded: arrows among the library\'s threads show again');
});

test('search finds lanes inside a folded library group: the group opens on them', () => {
  const s = daskLike();
  const data = new TimelineData(s);
  data.index();
  const rows = (text: string) => layoutLanes(data, { ...OPTS, query: compileQuery(s, text) }).rows;
  const labels = (text: string): string[] => rows(text).map((r) => r.label);
  assert.deepEqual(labels('IO loop').slice(0, 3), ['cluster.py', 'library: dask, tornado (1 thread, 4 tasks)', 'IO loop']);
  assert.equal(rows('IO loop')[1].collapsed, false);
  assert.ok(!labels('IO loop').includes('MainThread'), 'the search keeps only what matches');
  assert.ok(labels('self._lock').includes('IO loop'), 'a lane holding a library lock is found');
});

test('a process whose one thread of its own runs only library tasks is still one row, with its library group under it', () => {
  const s = new TraceStore();
  const p = s.addProcess({ pid: 3, ppid: 0, parentPid: 0, name: 'worker', argv: [], python: '', startTs: 0, endTs: 100, exited: true, exitCode: 0, signal: null, internal: false, wallNsAtStart: null, mainThread: -1 });
  p.mainThread = s.addThread({ process: p.index, pid: 3, ident: 1, nativeId: 3, name: 'MainThread', startTs: 0, endTs: 100, daemon: false, internal: false, main: true, exception: null }).index;
  for (let i = 0; i < 3; i++) {
    s.objects.set(800 + i, { id: 800 + i, type: 'asyncio.Task', label: '', pid: 3, site: -1, library: 'distributed' });
    s.push(K.ASYNC_CREATE, 10 + i, 10 + i, 0, 800 + i, -1, s.intern(`t${i}`), s.intern('Worker.handle_stream'));
  }
  const data = new TimelineData(s);
  data.index();
  const l = layoutLanes(data, OPTS);
  assert.deepEqual(l.rows.map((r) => `${r.kind}:${r.label}:${r.processRow}`), ['thread:worker:true', 'helpers:library: dask (3 tasks):false']);
});

test('an executor a library made is its machinery while it runs only the library\'s calls; the program\'s work keeps a worker shown', () => {
  const s = new TraceStore();
  const p = s.addProcess({ pid: 5, ppid: 0, parentPid: 0, name: 'w', argv: [], python: '', startTs: 0, endTs: 100, exited: true, exitCode: 0, signal: null, internal: false, wallNsAtStart: null, mainThread: -1 });
  const th = (name: string, main = false): number => s.addThread({ process: p.index, pid: 5, ident: s.threads.length + 1, nativeId: 50 + s.threads.length, name, startTs: 0, endTs: 100, daemon: !main, internal: false, main, exception: null }).index;
  p.mainThread = th('MainThread', true);
  const offload = th('asyncio_0');
  const mine = th('ThreadPoolExecutor-0_0');
  const shutdown = th('Thread-2 (_do_shutdown)');
  const libLine = s.addSite(`${PKG}/distributed/utils.py`, 1, 'offload');
  const userLine = s.addSite('/home/me/app.py', 9, 'main');
  s.objects.set(70, { id: 70, type: 'ThreadPoolExecutor', label: 'ThreadPoolExecutor(6)', pid: 5, site: libLine });
  s.objects.set(71, { id: 71, type: 'ThreadPoolExecutor', label: 'ThreadPoolExecutor(2)', pid: 5, site: libLine });
  const task = (id: number, pool: number, site: number, worker: number): void => {
    s.push(K.TASK_SUBMIT, id, id, 0, id, site, pool, s.intern('f'));
    s.push(K.TASK_RUN, id + 1, id + 2, worker, id, -1, s.intern('f'), 0);
  };
  task(10, 70, libLine, offload);
  task(20, 70, libLine, offload);
  task(30, 71, libLine, mine);
  task(40, 71, userLine, mine); // the program's call on the same library-made executor
  const n = new Naming(s).update();
  const w = (t: number) => n.words.thread(s.threads[t]);
  assert.deepEqual([w(offload).helper, w(offload).library, w(offload).label], [true, 'dask', 'ThreadPoolExecutor(6) worker 1']);
  assert.deepEqual([w(mine).role, w(mine).library], ['worker', '']);
  assert.deepEqual([w(shutdown).helper, w(shutdown).library, w(shutdown).helperOf], [true, '', 'standard library']);
});
