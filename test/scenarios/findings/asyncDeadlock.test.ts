/** deadlock corpus among asyncio tasks: lock cycles, tasks awaiting each other, timeouts, and their correct twins. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { assertComplete, assertLastedAsItsWaits, assertSilent, lines, only, runCorpus } from './corpus';

/** A Python 3.12+ (wait_for awaits in the calling task there), if the machine has one. */
function python312(): string | undefined {
  const root = '/root/.pyenv/versions';
  if (!fs.existsSync(root)) return undefined;
  const v = fs.readdirSync(root).find((d) => d.startsWith('3.12'));
  const p = v ? `${root}/${v}/bin/python3.12` : undefined;
  return p && fs.existsSync(p) ? p : undefined;
}

test('two asyncio tasks taking two asyncio.Locks in opposite order: a deadlock among the tasks, with both awaits and both tasks named', async () => {
  const run = await runCorpus('async_deadlock.py', ['locks-cycle']);
  assert.equal(run.exitCode, 0, run.stderr);
  assert.match(run.stdout, /pending 2/);
  const [f] = only(run, 'deadlock', ['lock-order-inversion']);
  assertComplete(f);
  assert.match(f.message, /^Deadlock among asyncio tasks: /);
  assert.match(f.message, /task worker-a \(take\) awaits lock_b held by task worker-b/);
  assert.match(f.message, /task worker-b \(take\) awaits lock_a held by task worker-a/);
  assert.match(f.message, /until the process exiting/);
  assert.equal(f.details?.ongoing, false, 'the process exited: it no longer holds');
  // The awaits (line 27, `async with second`) and the holds (line 24, `async with first`).
  assert.deepEqual(lines(f, 'async_deadlock.py'), [24, 27]);
  assert.deepEqual(f.objects.map((o) => o.name).sort(), ['lock_a', 'lock_b']);
  assert.equal(f.parties.length, 2);
  assert.equal(f.edges.length, 2, 'one arrow per await, to the hold that blocks it');
  // And the orders that made it: each task took one lock, then reached for the other.
  const [lo] = run.findings.filter((x) => x.kind === 'lock-order-inversion');
  assert.ok(lo, 'the lock-order inversion');
  assert.match(lo.message, /task worker-a on MainThread takes lock_a at line 24 then lock_b at line 27/);
});

test('the same two tasks taking the locks in one order: no finding', async () => {
  const run = await runCorpus('async_deadlock.py', ['locks-ordered']);
  assert.equal(run.exitCode, 0, run.stderr);
  assert.match(run.stdout, /'worker-a both', 'worker-b both'/);
  assertSilent(run, 'asyncio locks in one order');
});

test('opposite order with the second acquire inside `async with asyncio.timeout(1.0)`: a deadlock that lasted until the first timeout, ended by the cancelled await', async () => {
  const run = await runCorpus('async_deadlock.py', ['locks-timeout-scope']);
  assert.equal(run.exitCode, 0, run.stderr);
  assert.match(run.stdout, /'worker-a gave up', 'worker-b gave up'/);
  const [f] = only(run, 'deadlock', ['lock-order-inversion']);
  assertComplete(f);
  assert.match(f.message, /lasted \d+ ms, ended by a cancelled await \(a timeout/);
  // From the second task's await to the first timeout (1 s after the first task's await).
  assertLastedAsItsWaits(f, run.store, 1000);
});

test('opposite order with the second acquire inside asyncio.wait_for(…, 1.0) on Python 3.12: the deadlock, dissolved by the timeout', async (t) => {
  const python = python312();
  if (!python) {
    t.skip('no Python 3.12 on this machine');
    return;
  }
  const run = await runCorpus('async_deadlock.py', ['locks-timeout'], { python });
  assert.equal(run.exitCode, 0, run.stderr);
  assert.match(run.stdout, /'worker-a gave up', 'worker-b gave up'/);
  const [f] = only(run, 'deadlock', ['lock-order-inversion']);
  assert.match(f.message, /awaits lock_b held by task worker-b/);
  assert.match(f.message, /ended by a cancelled await \(a timeout: asyncio\.wait_for/);
});

test('two asyncio tasks taking two asyncio.Locks in opposite orders at different moments (no hang this run): a lock-order inversion, no deadlock', async () => {
  const run = await runCorpus('async_deadlock.py', ['locks-inverted']);
  assert.equal(run.exitCode, 0, run.stderr);
  assert.match(run.stdout, /'worker-a both', 'worker-b both'/);
  const [f] = only(run, 'lock-order-inversion');
  assertComplete(f);
  assert.match(f.message, /task worker-a on MainThread takes lock_a at line 43 then lock_b at line 44; task worker-b on MainThread takes lock_b at line 24 then lock_a at line 27/);
  assert.match(f.explanation, /different asyncio tasks/);
  assert.deepEqual(f.objects.map((o) => o.name).sort(), ['lock_a', 'lock_b']);
});

test('two asyncio tasks awaiting each other: a deadlock naming both tasks and the await line', async () => {
  const run = await runCorpus('async_deadlock.py', ['tasks-cycle']);
  assert.equal(run.exitCode, 0, run.stderr);
  const [f] = only(run, 'deadlock');
  assertComplete(f);
  assert.match(f.message, /task task-a \(awaits\) awaits task task-b/);
  assert.match(f.message, /task task-b \(awaits\) awaits task task-a/);
  assert.deepEqual(lines(f, 'async_deadlock.py'), [50]);
  assert.match(f.explanation, /must not await a task that awaits it back/);
});

test('a chain of tasks awaiting the next (the last one sleeps and returns): no finding', async () => {
  const run = await runCorpus('async_deadlock.py', ['tasks-chain']);
  assert.equal(run.exitCode, 0, run.stderr);
  assert.match(run.stdout, /'task-a leaf', 'task-b leaf', 'task-c leaf'/);
  assertSilent(run, 'a chain of awaits');
});

test('a task awaiting a lock held by a task that is only sleeping: no finding', async () => {
  const run = await runCorpus('async_deadlock.py', ['sleeping-holder']);
  assert.equal(run.exitCode, 0, run.stderr);
  assert.match(run.stdout, /'waiter got it'/);
  assertSilent(run, 'a lock held across a sleep');
});
