/** uncaught-exception for tasks: reported only when no wait handed the task's exception to the program. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findings } from '../../src/core/analysis/findings';
import { TASK_WAIT, TASK_WAIT_MEMBER } from '../../src/core/analysis/tasks';
import { K } from '../../src/core/trace/recordKinds';
import { MS, Trace } from './analysisTrace';

const POOL = 77;
const ONE = 0;
const ALL = 1;
const DONE = 1;
const RAISED = 2;
const TIMED_OUT = 3;

/** Three tasks on a thread pool; task 2 raises at 100 ms. `wait` adds the caller's waits. */
function failing(wait: (t: Trace, main: number) => void): Trace {
  const t = new Trace();
  t.process(1, 'main');
  const main = t.thread(1, 'MainThread', 0, 1000 * MS);
  const worker = t.thread(1, 'worker_0', 1 * MS, 900 * MS);
  t.object(POOL, 'ThreadPoolExecutor', 'ThreadPoolExecutor(1)', 5);
  for (const id of [1, 2, 3]) {
    t.point(K.TASK_SUBMIT, main, 2 * MS, id, POOL, 0, 7);
    t.span(K.TASK_RUN, worker, (id * 40) * MS, (id * 40 + 30) * MS, id, 0, 0);
    t.point(K.TASK_RESULT, worker, (id * 40 + 30) * MS, id, id === 2 ? 0 : 1);
  }
  wait(t, main);
  return t;
}

const uncaught = (t: Trace) => findings(t.store).filter((f) => f.kind === 'uncaught-exception');

test('a failed task whose exception nobody asked for: uncaught-exception', () => {
  assert.equal(uncaught(failing(() => {})).length, 1);
});

test('a failed task whose result() raised its exception (a wait on it ended RAISED): no finding', () => {
  const t = failing((tr, main) => tr.span(TASK_WAIT, main, 50 * MS, 110 * MS, 2, ONE, RAISED, 9));
  assert.deepEqual(uncaught(t), []);
});

test('a failed task whose exception was handed over after it had finished (a zero-length wait ending RAISED): no finding', () => {
  const t = failing((tr, main) => tr.span(TASK_WAIT, main, 500 * MS, 500 * MS, 2, ONE, RAISED, 9));
  assert.deepEqual(uncaught(t), []);
});

test('a gather of all three tasks that raised the failure (a group wait ending RAISED): no finding', () => {
  const t = failing((tr, main) => {
    tr.point(TASK_WAIT_MEMBER, main, 40 * MS, 500, 1, 3);
    tr.span(TASK_WAIT, main, 40 * MS, 110 * MS, 500, ALL, RAISED, 9);
  });
  assert.deepEqual(uncaught(t), []);
});

test('waits that ended without the exception (done on another task, timed out) do not count as asking: uncaught-exception', () => {
  const t = failing((tr, main) => {
    tr.span(TASK_WAIT, main, 10 * MS, 70 * MS, 1, ONE, DONE, 9);
    tr.span(TASK_WAIT, main, 80 * MS, 90 * MS, 2, ONE, TIMED_OUT, 9);
    tr.point(TASK_WAIT_MEMBER, main, 95 * MS, 501, 3, 1);
    tr.span(TASK_WAIT, main, 95 * MS, 160 * MS, 501, ALL, RAISED, 9);   // raised, but for a group without task 2
  });
  const [f] = uncaught(t);
  assert.ok(f, 'uncaught-exception expected');
  assert.equal(f.details?.count, 1);
});
