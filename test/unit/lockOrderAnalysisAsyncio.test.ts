/** Lock-order inversion among asyncio tasks on synthetic traces (the lockOrder.ts graph with tasks as parties). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findings } from '../../src/core/analysis/findings';
import { K } from '../../src/core/trace/recordKinds';
import { MS, Trace } from './analysisTrace';

const A = 101;
const B = 102;

function twoTasks(bStarts: number): { t: Trace; loop: number; lockA: number; lockB: number } {
  const t = new Trace();
  t.process(1);
  const loop = t.thread(1, 'MainThread', 0, 100 * MS);
  const lockA = t.object(7, 'asyncio.Lock', 'lock_a');
  const lockB = t.object(8, 'asyncio.Lock', 'lock_b');
  t.point(K.ASYNC_CREATE, loop, 1 * MS, A, t.store.intern('worker-a'), t.store.intern('take'));
  t.point(K.ASYNC_END, loop, 20 * MS, A, 1);
  t.point(K.ASYNC_CREATE, loop, bStarts, B, t.store.intern('worker-b'), t.store.intern('take'));
  // a: lock_a then lock_b; b: lock_b then lock_a (later, one after the other: no hang).
  t.span(K.ASYNC_HOLD, loop, 2 * MS, 6 * MS, lockA, A, 0, 10);
  t.span(K.ASYNC_HOLD, loop, 3 * MS, 5 * MS, lockB, A, 0, 11);
  t.span(K.ASYNC_HOLD, loop, 32 * MS, 36 * MS, lockB, B, 0, 20);
  t.span(K.ASYNC_HOLD, loop, 33 * MS, 35 * MS, lockA, B, 0, 21);
  return { t, loop, lockA, lockB };
}

const inversions = (t: Trace) => findings(t.store).filter((f) => f.kind === 'lock-order-inversion');

test('two asyncio tasks alive together taking two asyncio.Locks in opposite orders: one inversion naming both tasks', () => {
  const [f, ...rest] = inversions(twoTasks(1 * MS).t);
  assert.equal(rest.length, 0);
  assert.match(f.message, /task worker-a on MainThread takes lock_a at line 10 then lock_b at line 11; task worker-b on MainThread takes lock_b at line 20 then lock_a at line 21/);
  assert.ok(f.id.startsWith('lock-order-inversion:async:'));
  assert.deepEqual(findings(twoTasks(1 * MS).t.store).filter((x) => x.kind === 'deadlock'), []);
});

test('the second task created after the first one ended cannot deadlock with it: silent', () => {
  assert.deepEqual(inversions(twoTasks(25 * MS).t), []);
});
