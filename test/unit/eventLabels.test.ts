/** Labels of asyncio awaits (ASYNC_WAIT), what the task waits on in the words of the await; and of task runs. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { K } from '../../src/core/trace/recordKinds';
import { TraceStore } from '../../src/core/trace/traceStore';
import { eventLabel } from '../../webview/data/spanKinds';

function store(): TraceStore {
  const s = new TraceStore();
  const p = s.addProcess({ pid: 7, ppid: 1, parentPid: 1, name: 'main', argv: [], python: '', startTs: 0, endTs: 1e9, exited: true, exitCode: 0, signal: null, internal: false, wallNsAtStart: null, mainThread: -1 });
  const t = s.addThread({ process: p.index, pid: 7, ident: 1, nativeId: 7, name: 'MainThread', startTs: 0, endTs: 1e9, daemon: false, internal: false, main: true, exception: null });
  p.mainThread = t.index;
  s.objects.set(40, { id: 40, type: 'asyncio.Queue', label: 'jobs', pid: 7, site: -1 });
  return s;
}

test('an await of asyncio.sleep reads as the sleep and how long it lasted; an open one without a length', () => {
  const s = store();
  const done = s.push(K.ASYNC_WAIT, 1_000_000, 51_000_000, 0, 5, -1, 0, 1);
  const open = s.push(K.ASYNC_WAIT, 60_000_000, NaN, 0, 5, -1, 0, 1);
  assert.equal(eventLabel(s, done), 'asyncio.sleep 50 ms');
  assert.equal(eventLabel(s, open), 'asyncio.sleep');
});

test('awaits of queues name the queue; of tasks, gather and I/O say so; an unknown object is not named', () => {
  const s = store();
  assert.equal(eventLabel(s, s.push(K.ASYNC_WAIT, 1, 2, 0, 5, -1, 40, 9)), 'get jobs');
  assert.equal(eventLabel(s, s.push(K.ASYNC_WAIT, 1, 2, 0, 5, -1, 40, 10)), 'put (full) jobs');
  assert.equal(eventLabel(s, s.push(K.ASYNC_WAIT, 1, 2, 0, 5, -1, 99, 12)), 'acquire');
  assert.equal(eventLabel(s, s.push(K.ASYNC_WAIT, 1, 2, 0, 5, -1, 6, 3)), 'await task');
  assert.equal(eventLabel(s, s.push(K.ASYNC_WAIT, 1, 2, 0, 5, -1, 3, 4)), 'await gather');
  assert.equal(eventLabel(s, s.push(K.ASYNC_WAIT, 1, 2, 0, 5, -1, 0, 17)), 'await I/O');
});

test('a task run reads as a call when its label is a function, and as the label itself for a dask key or executed code', () => {
  const s = store();
  const run = (label: string, args: string): string => eventLabel(s, s.push(K.TASK_RUN, 1, 2, 0, 9, -1, s.intern(label), s.intern(args)));
  assert.equal(run('square', '3'), 'square(3)');
  assert.equal(run('Worker.compute', ''), 'Worker.compute()');
  assert.equal(run('<lambda>', 'x=1'), '<lambda>(x=1)');
  assert.equal(run('inc-6b2d0f0c5b3a', ''), 'inc-6b2d0f0c5b3a');
  assert.equal(run("('sum-aggregate-5574', 0)", ''), "('sum-aggregate-5574', 0)");
  assert.equal(run('import time', ''), 'import time');
  assert.equal(run('', '2'), 'task(2)');
});
