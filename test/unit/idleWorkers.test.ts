/** idle-workers: workers idle while tasks of their pool wait; a worker still starting is not idle. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findings } from '../../src/core/analysis/findings';
import { K } from '../../src/core/trace/recordKinds';
import { MS, Trace } from './analysisTrace';

const POOL = 77;

/** A pool of two worker processes; `runs` per worker: [start, end] of each task, in order. */
function pool(starts: number[], runs: [number, number][][], type = 'Pool', label = 'Pool(2)'): Trace {
  const t = new Trace();
  t.process(1, 'main');
  const main = t.thread(1, 'MainThread', 0, 10_000 * MS);
  t.object(POOL, type, label, 5);
  let task = 1;
  const submitted: number[] = [];
  for (const r of runs) for (let i = 0; i < r.length; i++) submitted.push(task++);
  for (const id of submitted) t.point(K.TASK_SUBMIT, main, 10 * MS, id, POOL, 0, 5);
  task = 1;
  runs.forEach((r, w) => {
    t.span(K.PROCESS_SPAWN, main, 1 * MS, 2 * MS, 100 + w, POOL);
    t.process(100 + w, `worker-${w}`);
    const th = t.thread(100 + w, 'MainThread', starts[w], 9_000 * MS);
    for (const [a, b] of r) {
      t.span(K.TASK_RUN, th, a * MS, b * MS, task, 0, 0);
      t.point(K.TASK_RESULT, main, b * MS + MS, task++, 1);
    }
  });
  return t;
}

test('a worker that runs its first task seconds after the tasks were queued (still starting: a loky worker importing) is not idle', () => {
  // Worker 1 is up at once and runs three tasks; worker 0's process starts at once but takes 3 s to get going.
  const t = pool([3 * MS, 3 * MS], [[[3000, 3100]], [[20, 1020], [1020, 2020], [2020, 3020]]]);
  assert.deepEqual(findings(t.store).filter((f) => f.kind === 'idle-workers'), []);
});

test('tasks waiting behind a long one on its worker while the other worker has nothing left: idle workers', () => {
  // Worker 0: a 2 s task then a short one queued behind it; worker 1 finishes its tasks at 0.2 s.
  const t = pool([3 * MS, 3 * MS], [[[20, 2020], [2020, 2070]], [[20, 120], [120, 220]]]);
  const [f] = findings(t.store).filter((x) => x.kind === 'idle-workers');
  assert.ok(f, 'idle-workers expected');
  assert.ok(Number(f.details?.idleWorkerMs) >= 1700, JSON.stringify(f.details));
});

/** Worker 0: a 2 s task then a short one queued behind it; worker 1 finishes its tasks at 0.2 s. */
const STAIR: [number, number][][] = [[[20, 2020], [2020, 2070]], [[20, 120], [120, 220]]];

test('the same stair step on a dask scheduler (it places the tasks; they wait on it and on their dependencies): no idle-workers', () => {
  const t = pool([3 * MS, 3 * MS], STAIR, 'dask', 'dask distributed tcp://127.0.0.1:8786');
  assert.deepEqual(findings(t.store).filter((f) => f.kind === 'idle-workers'), []);
});

test('the same stair step on ipyparallel engines: no idle-workers', () => {
  const t = pool([3 * MS, 3 * MS], STAIR, 'ipyparallel', 'ipyparallel.Client');
  assert.deepEqual(findings(t.store).filter((f) => f.kind === 'idle-workers'), []);
});

for (const [type, label, advice] of [
  ['Pool', 'Pool(2)', /chunksize=1/],
  ['ProcessPoolExecutor', 'ProcessPoolExecutor(2)', /Executor\.map with chunksize/],
  ['joblib.Parallel', 'Parallel(n_jobs=2)', /batch_size=1/],
] as const) {
  test(`the stair step on a ${type}: idle-workers, explained with that pool's own knob`, () => {
    const t = pool([3 * MS, 3 * MS], STAIR, type, label);
    const [f] = findings(t.store).filter((x) => x.kind === 'idle-workers');
    assert.ok(f, 'idle-workers expected');
    assert.match(f.explanation, advice);
    if (type !== 'Pool') assert.doesNotMatch(f.explanation, /Pool\.map/);
  });
}
