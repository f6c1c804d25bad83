/** Deadlocks among asyncio tasks on synthetic traces: wait-for edges through asyncio.Locks and awaited tasks. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findings } from '../../src/core/analysis/findings';
import { K } from '../../src/core/trace/recordKinds';
import { MS, Trace } from './analysisTrace';

const LOCK = 12;
const TASK = 3;
const SLEEP = 1;
const A = 101;
const B = 102;

function loop(): { t: Trace; loop: number; lockA: number; lockB: number } {
  const t = new Trace();
  t.process(1);
  const th = t.thread(1, 'MainThread', 0, 100 * MS);
  const lockA = t.object(7, 'asyncio.Lock', 'lock_a');
  const lockB = t.object(8, 'asyncio.Lock', 'lock_b');
  t.point(K.ASYNC_CREATE, th, 1 * MS, A, t.store.intern('worker-a'), t.store.intern('take'));
  t.point(K.ASYNC_CREATE, th, 1 * MS, B, t.store.intern('worker-b'), t.store.intern('take'));
  return { t, loop: th, lockA, lockB };
}

const deadlocks = (t: Trace) => findings(t.store).filter((f) => f.kind === 'deadlock');

test('two tasks each awaiting the asyncio.Lock the other holds, until the end: one deadlock naming both tasks and locks', () => {
  const { t, loop: th, lockA, lockB } = loop();
  t.span(K.ASYNC_HOLD, th, 2 * MS, NaN, lockA, A, 0, 10);
  t.span(K.ASYNC_HOLD, th, 3 * MS, NaN, lockB, B, 0, 10);
  t.span(K.ASYNC_WAIT, th, 5 * MS, NaN, A, lockB, LOCK, 12);
  t.span(K.ASYNC_WAIT, th, 6 * MS, NaN, B, lockA, LOCK, 12);
  const [f, ...rest] = deadlocks(t);
  assert.equal(rest.length, 0);
  assert.match(f.message, /task worker-a \(take\) awaits lock_b held by task worker-b \(take\)/);
  assert.match(f.message, /task worker-b \(take\) awaits lock_a held by task worker-a \(take\)/);
  assert.equal(f.edges.length, 2);
  assert.equal(f.details?.ongoing, true, 'the process never ended: it still holds');
});

test('the holder of the awaited lock is only sleeping: no deadlock', () => {
  const { t, loop: th, lockA } = loop();
  t.span(K.ASYNC_HOLD, th, 2 * MS, 50 * MS, lockA, A, 0, 10);
  t.span(K.ASYNC_WAIT, th, 3 * MS, 50 * MS, A, 0, SLEEP, 11);
  t.span(K.ASYNC_WAIT, th, 4 * MS, 51 * MS, B, lockA, LOCK, 12);
  assert.deepEqual(deadlocks(t), []);
});

test('a cycle whose lock was released before the await ended (another task released it) was no deadlock: dropped', () => {
  const { t, loop: th, lockA, lockB } = loop();
  t.span(K.ASYNC_HOLD, th, 2 * MS, 20 * MS, lockA, A, 0, 10);
  t.span(K.ASYNC_HOLD, th, 3 * MS, 40 * MS, lockB, B, 0, 10);
  t.span(K.ASYNC_WAIT, th, 5 * MS, 40 * MS, A, lockB, LOCK, 12);
  t.span(K.ASYNC_WAIT, th, 6 * MS, 21 * MS, B, lockA, LOCK, 12);
  assert.deepEqual(deadlocks(t), []);
});

test('a cycle ended by a cancelled await while the lock was still held: reported with how long it lasted', () => {
  const { t, loop: th, lockA, lockB } = loop();
  t.span(K.ASYNC_HOLD, th, 2 * MS, 60 * MS, lockA, A, 0, 10);
  t.span(K.ASYNC_HOLD, th, 3 * MS, 61 * MS, lockB, B, 0, 10);
  t.span(K.ASYNC_WAIT, th, 5 * MS, 56 * MS, A, lockB, LOCK, 12);
  t.span(K.ASYNC_WAIT, th, 6 * MS, 57 * MS, B, lockA, LOCK, 12);
  const [f] = deadlocks(t);
  assert.match(f.message, /lasted 50 ms, ended by a cancelled await/);
  assert.equal(f.details?.lastedMs, 50);
  assert.equal(f.details?.ongoing, false, 'dissolved: no longer holds the program');
});

test('tasks awaiting each other form a cycle; a task awaiting one that ended before is not stuck', () => {
  const { t, loop: th } = loop();
  t.span(K.ASYNC_WAIT, th, 5 * MS, NaN, A, B, TASK, 20);
  t.span(K.ASYNC_WAIT, th, 6 * MS, NaN, B, A, TASK, 20);
  assert.equal(deadlocks(t).length, 1);
  const u = loop();
  u.t.point(K.ASYNC_END, u.loop, 4 * MS, B, 1);
  u.t.span(K.ASYNC_WAIT, u.loop, 5 * MS, NaN, A, B, TASK, 20);
  assert.deepEqual(deadlocks(u.t), []);
});
