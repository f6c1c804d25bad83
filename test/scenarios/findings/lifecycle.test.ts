/** unjoined, uncaught-exception, lock-contention and idle-workers corpus. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertComplete, assertSilent, lines, only, runCorpus } from './corpus';

test('a thread started and never joined, still working after the main code: unjoined', async () => {
  const run = await runCorpus('unjoined.py', ['thread']);
  assert.equal(run.exitCode, 0, run.stderr);
  const [f] = only(run, 'unjoined');
  assertComplete(f);
  assert.match(f.message, /background/);
  assert.deepEqual(lines(f, 'unjoined.py'), [22]);
});

test('a process started and never joined: unjoined', async () => {
  const run = await runCorpus('unjoined.py', ['process']);
  assert.equal(run.exitCode, 0, run.stderr);
  const [f] = only(run, 'unjoined');
  assertComplete(f);
  assert.match(f.message, /Process-1/);
  assert.deepEqual(lines(f, 'unjoined.py'), [24]);
});

test('the thread and the process joined: no finding', async () => {
  const run = await runCorpus('unjoined.py', ['joined']);
  assert.equal(run.exitCode, 0, run.stderr);
  assertSilent(run, 'joined');
});

for (const [mode, line, what] of [['thread', 17, /Thread worker/], ['process', 17, /Process Process-1/], ['executor', 41, /work\(3\)/], ['pool', 44, /work\(3\) on Pool\(2\)/]] as const) {
  test(`an exception that ends a ${mode === 'executor' || mode === 'pool' ? `${mode} task nobody asks the result of` : mode}: uncaught-exception`, async () => {
    const run = await runCorpus('failures.py', [mode]);
    assert.equal(run.exitCode, 0, run.stderr);
    const [f] = only(run, 'uncaught-exception');
    assertComplete(f);
    assert.match(f.message, what);
    assert.deepEqual(lines(f, 'failures.py'), [line]);
    if (mode !== 'pool' && mode !== 'executor') assert.match(f.message, /ValueError: bad input 3/);
  });
}

test('pool tasks that raise, each exception handed to the caller by get() inside try/except: no finding', async () => {
  const run = await runCorpus('failures.py', ['task']);
  assert.equal(run.exitCode, 0, run.stderr);
  assertSilent(run, 'exceptions asked for');
});

test('the same thread, process and pool tasks without a failure (pool workers ended by Pool.__exit__): no finding', async () => {
  const run = await runCorpus('failures.py', ['none']);
  assert.equal(run.exitCode, 0, run.stderr);
  assertSilent(run, 'no failure');
});

test('four threads sleeping while they hold one lock: lock contention (a convoy)', async () => {
  const run = await runCorpus('convoy.py', ['convoy']);
  assert.equal(run.exitCode, 0, run.stderr);
  const [f] = only(run, 'lock-contention');
  assertComplete(f);
  assert.equal(f.objects[0].name, 'lock');
  assert.ok(Number(f.details?.parties) >= 2);
  assert.ok(lines(f, 'convoy.py').includes(18), 'the holding line');
});

test('the slow work outside the lock: no finding', async () => {
  const run = await runCorpus('convoy.py', ['fine']);
  assert.equal(run.exitCode, 0, run.stderr);
  assertSilent(run, 'work outside the lock');
});

test('Pool.map with a long task and chunksize=2: idle workers while tasks wait behind it', async () => {
  const run = await runCorpus('pool_chunks.py', ['uneven']);
  assert.equal(run.exitCode, 0, run.stderr);
  const [f] = only(run, 'idle-workers');
  assertComplete(f);
  assert.equal(f.objects[0].name, 'Pool(4)');
  assert.deepEqual(lines(f, 'pool_chunks.py'), [23]);
});

test('Pool.map with equal tasks and chunksize=1: no finding', async () => {
  const run = await runCorpus('pool_chunks.py', ['balanced']);
  assert.equal(run.exitCode, 0, run.stderr);
  assertSilent(run, 'balanced pool');
});
