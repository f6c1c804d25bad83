/** Queue.join() and task_done(): a consumer that forgets task_done() hangs join() (a deadlock, ended by Ctrl-C); its twin is silent. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertComplete, assertSilent, lines, only, runCorpus } from './corpus';

test('a consumer that never calls task_done(): Queue.join() waits for good, a deadlock that tells to call task_done(), ended by Ctrl-C', async () => {
  const run = await runCorpus('task_done.py', ['forgot']);
  assert.equal(run.signal, 'SIGINT', run.stderr); // Python re-raises SIGINT after a KeyboardInterrupt
  assert.match(run.stderr, /KeyboardInterrupt/);
  const d = only(run, 'deadlock');
  assert.equal(d.length, 1, JSON.stringify(d.map((f) => f.message)));
  assertComplete(d[0]);
  assert.equal(d[0].details?.shape, 'taskDone');
  assert.equal(d[0].details?.endedBy, 'Ctrl-C (SIGINT)');
  assert.ok(Number(d[0].details?.lastedMs) >= 1500, `lasted ${d[0].details?.lastedMs} ms`);
  assert.deepEqual(lines(d[0], 'task_done.py'), [20, 32]); // the worker's get() and main's join()
  assert.match(d[0].explanation, /task_done\(\)/);
});

test('a consumer that calls task_done() for every item: join() returns, no finding', async () => {
  const run = await runCorpus('task_done.py', ['fixed']);
  assert.equal(run.exitCode, 0, run.stderr);
  assert.match(run.stdout, /all done/);
  assertSilent(run, 'task_done called');
});
