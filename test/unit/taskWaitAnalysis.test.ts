/** Waits on futures / pool results (TASK_WAIT, events.py 43–44) in the wait-for graph and happens-before. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findings } from '../../src/core/analysis/findings';
import { TASK_WAIT } from '../../src/core/analysis/tasks';
import { K } from '../../src/core/trace/recordKinds';
import { MS, Trace } from './analysisTrace';


function executor(workers: number): { t: Trace; pool: number; w: number[] } {
  const t = new Trace();
  t.process(1);
  const pool = t.object(900, 'ThreadPoolExecutor', `ThreadPoolExecutor(${workers})`);
  t.thread(1, 'MainThread', 0, 3000 * MS);
  const w = Array.from({ length: workers }, (_, i) => t.thread(1, `ThreadPoolExecutor-0_${i}`, 1 * MS, 2900 * MS));
  return { t, pool, w };
}

test('two tasks waiting on each other\'s results (concurrent.futures docs): a deadlock until the timeout', () => {
  const { t, pool, w } = executor(2);
  const fnA = t.store.intern('wait_on_b');
  const fnB = t.store.intern('wait_on_a');
  t.point(K.TASK_SUBMIT, 0, 2 * MS, 501, pool, fnA, 33);
  t.point(K.TASK_SUBMIT, 0, 3 * MS, 502, pool, fnB, 34);
  t.span(K.TASK_RUN, w[0], 4 * MS, 1800 * MS, 501, fnA);
  t.span(K.TASK_RUN, w[1], 5 * MS, 1801 * MS, 502, fnB);
  t.span(TASK_WAIT, w[0], 200 * MS, 1700 * MS, 502, 0, 3, 18); // timed out
  t.span(TASK_WAIT, w[1], 201 * MS, 1701 * MS, 501, 0, 1, 26);
  t.point(K.TASK_RESULT, w[0], 1800 * MS, 501, 1);
  t.point(K.TASK_RESULT, w[1], 1801 * MS, 502, 1);
  const [d] = findings(t.store).filter((f) => f.kind === 'deadlock');
  assert.ok(d);
  assert.equal(d.details?.shape, 'futures');
  assert.match(d.message, /waits for the result of wait_on_a\(\)/);
});

test('a task waiting for a task it queued on its own one-worker pool: a deadlock', () => {
  const { t, pool, w } = executor(1);
  t.point(K.TASK_SUBMIT, 0, 2 * MS, 601, pool, t.store.intern('outer'));
  t.span(K.TASK_RUN, w[0], 4 * MS, 1800 * MS, 601);
  t.point(K.TASK_SUBMIT, w[0], 5 * MS, 602, pool, t.store.intern('pow'));
  t.span(TASK_WAIT, w[0], 6 * MS, 1506 * MS, 602, 0, 3, 42);
  const [d] = findings(t.store).filter((f) => f.kind === 'deadlock');
  assert.ok(d);
  assert.match(d.message, /still queued/);
});

test('waiting for a task another worker is running is not a deadlock', () => {
  const { t, pool, w } = executor(2);
  t.point(K.TASK_SUBMIT, 0, 2 * MS, 701, pool);
  t.span(K.TASK_RUN, w[1], 3 * MS, 1000 * MS, 701);
  t.span(TASK_WAIT, 0, 4 * MS, 1001 * MS, 701, 0, 1);
  t.point(K.TASK_RESULT, w[1], 1000 * MS, 701, 1);
  assert.deepEqual(findings(t.store).map((f) => f.kind), []);
});

test('a thread that holds a lock while it waits for tasks that need that lock: a deadlock explained as such, each step once', () => {
  const { t, pool, w } = executor(2);
  const lock = t.object(950, 'Lock', 'lock');
  t.hold(0, lock, 2 * MS, 1900 * MS, 8);
  t.point(K.TASK_SUBMIT, 0, 3 * MS, 801, pool, t.store.intern('add'));
  t.point(K.TASK_SUBMIT, 0, 3 * MS, 802, pool, t.store.intern('add'));
  t.span(K.TASK_RUN, w[0], 4 * MS, 1950 * MS, 801);
  t.span(K.TASK_RUN, w[1], 5 * MS, 1950 * MS, 802);
  t.wait(w[0], lock, 6 * MS, 1901 * MS, true, 12);
  t.wait(w[1], lock, 7 * MS, 1902 * MS, false, 12);
  t.span(TASK_WAIT, 0, 10 * MS, 1800 * MS, 801, 0, 3, 9);
  const [d] = findings(t.store).filter((f) => f.kind === 'deadlock');
  assert.ok(d);
  assert.equal(d.details?.shape, 'heldWhileWaiting');
  assert.match(d.explanation, /holds a lock those tasks need/);
  const took = (d.steps ?? []).filter((x) => /took lock/.test(x));
  assert.equal(took.length, 1, (d.steps ?? []).join('\n'));
});
